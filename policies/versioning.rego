# METADATA
# title: Data products carry a semantic version
# description: >-
#   Consumers pin and compare versions, so the product's version (the view's
#   version: Bitol ODPS version, DPDS info.version, ODPI ODPS
#   product.details.<lang>.productVersion, DPS info.version, Witboost version)
#   is a semantic version MAJOR.MINOR.PATCH (https://semver.org), without a
#   "v" prefix unless the parameter allow_v_prefix is true. A product in use
#   (active, production, published) should not be on a pre-release version.
# custom:
#   severity: error
#   category: identity
#   level: silver
#   remediation:
#     bitol-odps: Set version to MAJOR.MINOR.PATCH, e.g. 2.3.0 (not v2.3.0).
#     dpds: Set info.version to MAJOR.MINOR.PATCH, e.g. 2.3.0.
#     odpi-odps: Set product.details.<lang>.productVersion to MAJOR.MINOR.PATCH.
#     dps: Set info.version to MAJOR.MINOR.PATCH.
#     default: Set version to MAJOR.MINOR.PATCH, e.g. 2.3.0.
package governance.versioning

import data.governance.lib

defaults := {"allow_v_prefix": false}

params := lib.params("governance.versioning", defaults)

version := lib.view.version

# The version as checked: without its "v" when the prefix is allowed.
bare := trim_prefix(version, "v") if {
	is_string(version)
	params.allow_v_prefix == true
} else := version if is_string(version)

deny contains {
	"msg": "the product has no version",
	"path": "view.version",
	"id": "version-missing",
} if {
	is_object(lib.view)
	not lib.text(lib.view, "version")
}

deny contains {
	"msg": sprintf("version \"%s\" is not a semantic version MAJOR.MINOR.PATCH", [version]),
	"path": "view.version",
	"id": "version-not-semantic",
} if {
	lib.nonempty(version)
	not semantic
}

# Go OPA's semver.is_valid accepts a leading "v", regorus's does not: the
# prefix is decided here, so that both engines agree.
semantic if {
	not startswith(bare, "v")
	semver.is_valid(bare)
}

warn contains {
	"msg": sprintf("the product is %s but on the pre-release version %s", [lib.status, version]),
	"path": "view.version",
	"id": "version-prerelease-in-use",
} if {
	lib.status in lib.active_statuses
	semantic
	contains(split(bare, "+")[0], "-")
}
