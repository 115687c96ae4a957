# METADATA
# title: Data products follow the naming conventions
# description: >-
#   Product names are lowercase kebab-case (e.g. "order-events") so that they can
#   be used in URLs, topic names and catalog paths. Bitol ODPS ids carry no
#   whitespace or upper case. DPDS fully qualified names have the form
#   urn:dpds:<org>:dataproducts:<name>:<major version>, agree with info.name and
#   info.version, and prefix the fully qualified names of the product's ports.
# custom:
#   severity: error
#   category: naming
#   remediation: >-
#     Rename the product in lowercase kebab-case and make the DPDS
#     fullyQualifiedName read urn:dpds:<org>:dataproducts:<info.name>:<major of info.version>.
package governance.naming

standard := data.meshgate.product.standard

nonempty(s) if {
	is_string(s)
	trim_space(s) != ""
}

# The one regular expression of this policy: lowercase kebab-case.
kebab(s) if {
	is_string(s)
	regex.match("^[a-z0-9]+(-[a-z0-9]+)*$", s)
}

major(v) := split(trim_prefix(v, "v"), ".")[0] if is_string(v)

# ---------------------------------------------------------------------------
# Bitol ODPS
# ---------------------------------------------------------------------------

deny contains {
	"msg": "the product has no name",
	"path": "name",
	"id": "naming-missing-name",
} if {
	standard == "bitol-odps"
	not has_name
}

has_name if nonempty(input.name)

deny contains {
	"msg": sprintf("product name \"%s\" is not lowercase kebab-case (e.g. \"order-events\")", [input.name]),
	"path": "name",
	"id": "naming-name-not-kebab-case",
} if {
	standard == "bitol-odps"
	nonempty(input.name)
	not kebab(input.name)
}

deny contains {
	"msg": sprintf("product id \"%s\" must not contain whitespace or upper-case letters", [input.id]),
	"path": "id",
	"id": "naming-id-format",
} if {
	standard == "bitol-odps"
	nonempty(input.id)
	bad_id(input.id)
}

bad_id(s) if s != lower(s)

bad_id(s) if contains(s, " ")

bad_id(s) if contains(s, "\t")

# ---------------------------------------------------------------------------
# Open Data Mesh DPDS
# ---------------------------------------------------------------------------

deny contains {
	"msg": sprintf("info.name \"%s\" is not lowercase kebab-case (e.g. \"order-events\")", [input.info.name]),
	"path": "info.name",
	"id": "naming-name-not-kebab-case",
} if {
	standard == "dpds"
	nonempty(input.info.name)
	not kebab(input.info.name)
}

deny contains {
	"msg": "info.fullyQualifiedName is missing",
	"path": "info.fullyQualifiedName",
	"id": "naming-missing-fqn",
} if {
	standard == "dpds"
	not fqn
}

fqn := input.info.fullyQualifiedName if nonempty(input.info.fullyQualifiedName)

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

deny contains {
	"msg": sprintf("fullyQualifiedName ends in major version \"%s\" but info.version is \"%s\"", [fqn_parts[5], input.info.version]),
	"path": "info.fullyQualifiedName",
	"id": "naming-fqn-major-mismatch",
} if {
	standard == "dpds"
	fqn_well_formed
	fqn_parts[5] != major(input.info.version)
}

warn contains {
	"msg": sprintf("port fullyQualifiedName \"%s\" does not start with the product's \"%s:\"", [port.fullyQualifiedName, fqn]),
	"path": ["interfaceComponents", kind, i, "fullyQualifiedName"],
	"id": "naming-port-fqn-prefix",
} if {
	standard == "dpds"
	fqn_well_formed
	some kind in ["inputPorts", "outputPorts"]
	some i, port in input.interfaceComponents[kind]
	nonempty(port.fullyQualifiedName)
	not startswith(port.fullyQualifiedName, concat("", [fqn, ":"]))
}
