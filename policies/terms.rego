# METADATA
# title: Data products state their terms of use
# description: >-
#   Consumers need to know what they may do with the data: licence, permitted
#   purposes, attribution. The product states terms of use (the view's terms:
#   ODPI ODPS product.license, Bitol ODPS a root custom property termsOfUse,
#   DPDS info.x-termsOfUse) of at least min_length (default 20) characters, or
#   as an object.
# custom:
#   severity: warning
#   category: terms
#   level: gold
#   standards: [bitol-odps, dpds, odpi-odps]
#   remediation:
#     bitol-odps: "Add a root custom property {property: termsOfUse, value: <the terms>}."
#     dpds: Add info.x-termsOfUse.
#     odpi-odps: Add product.license with its scope and terms.
#     default: State the terms of use.
package governance.terms

import data.governance.lib

defaults := {"min_length": 20}

params := lib.params("governance.terms", defaults)

standards := {"bitol-odps", "dpds", "odpi-odps"}

applicable if lib.standard in standards

stated if {
	is_string(lib.view.terms)
	count(trim_space(lib.view.terms)) >= params.min_length
}

stated if {
	is_object(lib.view.terms)
	count(lib.view.terms) > 0
}

warn contains {
	"msg": "the product states no terms of use",
	"path": "view.terms",
	"id": "terms-missing",
} if {
	lib.standard in standards
	is_object(lib.view)
	not lib.view.terms
}

warn contains {
	"msg": sprintf("the terms of use are too short (at least %d characters)", [params.min_length]),
	"path": "view.terms",
	"id": "terms-too-short",
} if {
	lib.standard in standards
	lib.view.terms
	not stated
}
