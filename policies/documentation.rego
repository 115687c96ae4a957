# METADATA
# title: Data products are documented
# description: >-
#   Consumers discover products through their descriptions. The purpose of the
#   product (ODPS description.purpose, DPDS info.description) must be present
#   and say something real (at least 20 characters, no placeholder such as
#   "TBD"), and every output port must be described. Usage and limitations are
#   recommended.
# custom:
#   severity: error
#   category: documentation
#   remediation: >-
#     Write a purpose of one or two sentences, describe every output port, and
#     add description.usage and description.limitations (ODPS).
package governance.documentation

standard := data.meshgate.product.standard

min_length := 20

placeholders := {"tbd", "tba", "todo", "n/a", "na", "none", "-", "...", "wip", "description", "purpose", "to be defined"}

nonempty(s) if {
	is_string(s)
	trim_space(s) != ""
}

# True when obj[key] is a non-blank string. Negate it as `not text(obj, "key")`
# with obj always defined, never as `not nonempty(obj.key)`: OPA hoists a
# reference out of a negated call, so the negation of a call on an undefined
# reference is undefined, not true.
text(obj, key) if nonempty(obj[key])

trivial(s) if count(trim_space(s)) < min_length

trivial(s) if lower(trim_space(s)) in placeholders

trivial(s) if contains(lower(s), "lorem ipsum")

# ---------------------------------------------------------------------------
# Bitol ODPS
# ---------------------------------------------------------------------------

deny contains {
	"msg": "description.purpose is missing: say what the product is for",
	"path": "description.purpose",
	"id": "documentation-missing-purpose",
} if {
	standard == "bitol-odps"
	not has_purpose
}

has_purpose if nonempty(input.description.purpose)

deny contains {
	"msg": sprintf("description.purpose \"%s\" is too short or a placeholder (at least %d characters)", [trim_space(input.description.purpose), min_length]),
	"path": "description.purpose",
	"id": "documentation-trivial-purpose",
} if {
	standard == "bitol-odps"
	nonempty(input.description.purpose)
	trivial(input.description.purpose)
}

deny contains {
	"msg": sprintf("output port \"%s\" has no description", [port_label(port, i)]),
	"path": sprintf("outputPorts[%d].description", [i]),
	"id": "documentation-missing-port-description",
} if {
	standard == "bitol-odps"
	some i, port in input.outputPorts
	not text(port, "description")
}

warn contains {
	"msg": sprintf("description.%s is missing", [field]),
	"path": ["description", field],
	"id": "documentation-missing-field",
} if {
	standard == "bitol-odps"
	some field in ["usage", "limitations"]
	not field in described
}

described contains field if {
	some field in ["purpose", "usage", "limitations"]
	nonempty(input.description[field])
}

warn contains "description.purpose and description.usage are identical; usage should say how to consume the data" if {
	standard == "bitol-odps"
	nonempty(input.description.purpose)
	lower(trim_space(input.description.purpose)) == lower(trim_space(input.description.usage))
}

port_label(port, i) := port.name if {
	nonempty(port.name)
} else := sprintf("#%d", [i])

# ---------------------------------------------------------------------------
# Open Data Mesh DPDS
# ---------------------------------------------------------------------------

deny contains {
	"msg": "info.description is missing: say what the product is for",
	"path": "info.description",
	"id": "documentation-missing-purpose",
} if {
	standard == "dpds"
	not has_info_description
}

has_info_description if nonempty(input.info.description)

deny contains {
	"msg": sprintf("info.description \"%s\" is too short or a placeholder (at least %d characters)", [trim_space(input.info.description), min_length]),
	"path": "info.description",
	"id": "documentation-trivial-purpose",
} if {
	standard == "dpds"
	nonempty(input.info.description)
	trivial(input.info.description)
}

deny contains {
	"msg": sprintf("output port \"%s\" has no description", [port_label(port, i)]),
	"path": ["interfaceComponents", "outputPorts", i, "description"],
	"id": "documentation-missing-port-description",
} if {
	standard == "dpds"
	some i, port in input.interfaceComponents.outputPorts
	is_object(port)
	not port["$ref"] # a reference is documented where it points to
	not text(port, "description")
}

warn contains {
	"msg": "info.displayName is missing; catalogs fall back to the technical name",
	"path": "info.displayName",
	"id": "documentation-missing-display-name",
} if {
	standard == "dpds"
	not has_display_name
}

has_display_name if nonempty(input.info.displayName)
