# METADATA
# title: A deprecated product names its sunset date and an existing successor
# description: >-
#   A deprecated product (status deprecated) tells its consumers when it goes
#   away and what replaces it: a sunset date YYYY-MM-DD (the view's
#   sunset_date: Bitol ODPS custom property sunsetDate, DPDS info.x-sunsetDate,
#   DPS custom.sunsetDate) and a successor (the view's replaced_by: Bitol ODPS
#   custom property replacedBy, DPDS info.x-replacedBy, DPS custom.replacedBy)
#   that is the id of a product of the mesh (a lookup in
#   data.meshgate.mesh.index.product_ids). A product past its sunset date
#   should be retired (the date is compared with time.now_ns, fixed per run by
#   --now).
# custom:
#   severity: error
#   category: lifecycle
#   level: silver
#   standards: [bitol-odps, dpds, dps]
#   remediation:
#     bitol-odps: "Add root custom properties {property: sunsetDate, value: 2026-06-30} and {property: replacedBy, value: <successor id>}."
#     dpds: Add info.x-sunsetDate (YYYY-MM-DD) and info.x-replacedBy (the successor's fullyQualifiedName).
#     dps: Add custom.sunsetDate (YYYY-MM-DD) and custom.replacedBy (the successor's id).
#     default: Name a sunset date and the id of the product that replaces this one.
package governance.deprecation

import data.governance.lib

applicable if lib.status in lib.deprecated_statuses

deny contains {
	"msg": "the product is deprecated but names no sunset date",
	"path": "view.sunset_date",
	"id": "deprecation-missing-sunset-date",
} if {
	applicable
	not lib.view.sunset_date
}

deny contains {
	"msg": sprintf("sunset date \"%v\" is not a date YYYY-MM-DD", [lib.view.sunset_date]),
	"path": "view.sunset_date",
	"id": "deprecation-bad-sunset-date",
} if {
	applicable
	lib.view.sunset_date
	not lib.date(lib.view.sunset_date)
}

warn contains {
	"msg": sprintf("the sunset date %s has passed; retire the product", [lib.view.sunset_date]),
	"path": "view.sunset_date",
	"id": "deprecation-sunset-passed",
} if {
	applicable
	lib.date(lib.view.sunset_date)
	time.parse_rfc3339_ns(concat("", [substring(lib.view.sunset_date, 0, 10), "T00:00:00Z"])) < time.now_ns()
}

deny contains {
	"msg": "the product is deprecated but names no successor",
	"path": "view.replaced_by",
	"id": "deprecation-missing-successor",
} if {
	applicable
	not lib.text(lib.view, "replaced_by")
}

deny contains {
	"msg": sprintf("successor \"%s\" is not the id of any product in the mesh", [lib.view.replaced_by]),
	"path": "view.replaced_by",
	"id": "deprecation-unknown-successor",
} if {
	applicable
	lib.nonempty(lib.view.replaced_by)
	not lib.index.product_ids[lib.view.replaced_by]
}
