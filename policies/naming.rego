# METADATA
# title: Data products follow the naming conventions
# description: >-
#   Every product has a name. Where the name is the product's technical name
#   (Bitol ODPS name, DPDS info.name) it is lowercase kebab-case (e.g.
#   "order-events") so that it can be used in URLs, topic names and catalog
#   paths; DPS info.title, ODPI ODPS name and Witboost name are display names
#   and may be written freely. Product ids carry no whitespace or upper case.
#   DPDS fully qualified names have the form
#   urn:dpds:<org>:dataproducts:<name>:<major version>, agree with info.name
#   and info.version, and prefix the fully qualified names of the product's
#   ports; Witboost ids have the form urn:dmb:dp:<domain>:<name>:<major
#   version> and agree with version.
# custom:
#   severity: error
#   level: bronze
#   category: naming
#   remediation: >-
#     Bitol ODPS: write name in lowercase kebab-case and use a lowercase id (e.g.
#     a UUID); DPDS: write info.name in lowercase kebab-case and make
#     info.fullyQualifiedName read urn:dpds:<org>:dataproducts:<info.name>:<major
#     of info.version>; ODPI ODPS: set product.details.<lang>.name and a
#     lowercase productID; DPS: set info.title and a lowercase id; Witboost: set
#     name and make id read urn:dmb:dp:<domain>:<name>:<major of version>.
package governance.naming

import data.governance.lib

standard := data.meshgate.product.standard

# The normalized view; absent for custom descriptors, so every rule on it is
# silent for them.
view := data.meshgate.product.view

# The major version of "2.1.0", "v2.1.0" or "2".
major(v) := split(trim_prefix(v, "v"), ".")[0] if is_string(v)

# Where each standard writes the product's name.
name_field := {
	"bitol-odps": "name",
	"dpds": "info.name",
	"odpi-odps": "product.details.<lang>.name",
	"dps": "info.title",
	"witboost": "name",
}

# ---------------------------------------------------------------------------
# Every standard: a name, and an id without whitespace or upper case
# ---------------------------------------------------------------------------

deny contains {
	"msg": sprintf("the product has no name (%s)", [name_field[standard]]),
	"path": "view.name",
	"id": "naming-missing-name",
} if {
	is_object(view)
	not lib.text(view, "name")
}

# Standards whose name is the technical name; the others' is a display title.
technical_name := {"bitol-odps", "dpds"}

deny contains {
	"msg": sprintf("%s \"%s\" is not lowercase kebab-case (e.g. \"order-events\")", [name_field[standard], view.name]),
	"path": "view.name",
	"id": "naming-name-not-kebab-case",
} if {
	standard in technical_name
	lib.nonempty(view.name)
	not lib.kebab(view.name)
}

# The DPDS id is the fully qualified name, checked by the rules below instead.
deny contains {
	"msg": sprintf("product id \"%s\" must not contain whitespace or upper-case letters", [view.id]),
	"path": "view.id",
	"id": "naming-id-format",
} if {
	standard != "dpds"
	lib.nonempty(view.id)
	bad_id(view.id)
}

bad_id(s) if s != lower(s)

bad_id(s) if contains(s, " ")

bad_id(s) if contains(s, "\t")

# ---------------------------------------------------------------------------
# Open Data Mesh DPDS: info.fullyQualifiedName (the view's id)
# ---------------------------------------------------------------------------

deny contains {
	"msg": "info.fullyQualifiedName is missing",
	"path": "info.fullyQualifiedName",
	"id": "naming-missing-fqn",
} if {
	standard == "dpds"
	not fqn
}

fqn := input.info.fullyQualifiedName if lib.nonempty(input.info.fullyQualifiedName)

fqn_parts := split(fqn, ":")

fqn_well_formed if {
	count(fqn_parts) == 6
	fqn_parts[0] == "urn"
	fqn_parts[1] == "dpds"
	fqn_parts[2] != ""
	fqn_parts[3] == "dataproducts"
	fqn_parts[4] != ""
	fqn_parts[5] != ""
}

deny contains {
	"msg": sprintf("fullyQualifiedName \"%s\" does not have the form urn:dpds:<org>:dataproducts:<name>:<major>", [fqn]),
	"path": "info.fullyQualifiedName",
	"id": "naming-fqn-format",
} if {
	standard == "dpds"
	fqn
	not fqn_well_formed
}

deny contains {
	"msg": sprintf("fullyQualifiedName names the product \"%s\" but info.name is \"%s\"", [fqn_parts[4], input.info.name]),
	"path": "info.fullyQualifiedName",
	"id": "naming-fqn-name-mismatch",
} if {
	standard == "dpds"
	fqn_well_formed
	is_string(input.info.name)
	fqn_parts[4] != input.info.name
}

# view.version is info.version as written, so `version: 2.0` reads "2.0".
deny contains {
	"msg": sprintf("fullyQualifiedName ends in major version \"%s\" but info.version is \"%s\"", [fqn_parts[5], view.version]),
	"path": "info.fullyQualifiedName",
	"id": "naming-fqn-major-mismatch",
} if {
	standard == "dpds"
	fqn_well_formed
	fqn_parts[5] != major(view.version)
}

warn contains {
	"msg": sprintf("port fullyQualifiedName \"%s\" does not start with the product's \"%s:\"", [port.fullyQualifiedName, fqn]),
	"path": ["interfaceComponents", kind, i, "fullyQualifiedName"],
	"id": "naming-port-fqn-prefix",
} if {
	standard == "dpds"
	fqn_well_formed
	some kind in ["inputPorts", "outputPorts"]
	some i, port in lib.as_list(input.interfaceComponents[kind])
	lib.nonempty(port.fullyQualifiedName)
	not startswith(port.fullyQualifiedName, concat("", [fqn, ":"]))
}

# ---------------------------------------------------------------------------
# Witboost: id urn:dmb:dp:<domain>:<name>:<major version>
# ---------------------------------------------------------------------------

urn_parts := split(view.id, ":") if {
	standard == "witboost"
	lib.nonempty(view.id)
}

urn_well_formed if {
	count(urn_parts) == 6
	urn_parts[0] == "urn"
	urn_parts[1] == "dmb"
	urn_parts[2] == "dp"
	urn_parts[3] != ""
	urn_parts[4] != ""
	urn_parts[5] != ""
}

deny contains {
	"msg": sprintf("id \"%s\" does not have the form urn:dmb:dp:<domain>:<name>:<major>", [view.id]),
	"path": "view.id",
	"id": "naming-urn-format",
} if {
	urn_parts
	not urn_well_formed
}

deny contains {
	"msg": sprintf("id ends in major version \"%s\" but version is \"%s\"", [urn_parts[5], view.version]),
	"path": "view.id",
	"id": "naming-urn-major-mismatch",
} if {
	urn_well_formed
	urn_parts[5] != major(view.version)
}
