# METADATA
# title: Data products are documented
# description: >-
#   Consumers discover products through their descriptions. The purpose of the
#   product (the view's description.purpose: Bitol ODPS description.purpose,
#   DPDS info.description, ODPI ODPS product.details.<lang>.description, DPS
#   info.purpose, Witboost description) must be present and say something real
#   (at least 20 characters, no placeholder such as "TBD"), and every output
#   port must be described. Bitol ODPS products should also state usage and
#   limitations; DPDS products should have an info.displayName.
# custom:
#   severity: error
#   level: bronze
#   category: documentation
#   remediation: >-
#     Write a purpose of one or two sentences (Bitol ODPS description.purpose;
#     DPDS info.description; ODPI ODPS product.details.<lang>.description; DPS
#     info.purpose; Witboost description) and describe every output port (ODPI
#     ODPS: the product.dataAccess entry's description; Witboost: the
#     outputport component's description). Bitol ODPS: add description.usage
#     and description.limitations; DPDS: add info.displayName.
package governance.documentation

import data.governance.lib

standard := data.meshgate.product.standard

# The normalized view; absent for custom descriptors, so every rule on it is
# silent for them.
view := data.meshgate.product.view

# The minimum length of a purpose: the parameter min_length.
params := lib.params("governance.documentation", {"min_length": 20})

min_length := params.min_length

placeholders := {"tbd", "tba", "todo", "n/a", "na", "none", "-", "...", "wip", "description", "purpose", "to be defined"}

# A description: a non-blank string, or a map of translations (ODPI ODPS
# `{en: "..."}`) with at least one non-blank text.
described(d) if lib.nonempty(d)

described(d) if {
	is_object(d)
	some t in d
	lib.nonempty(t)
}

# True when obj[key] is a description. Negate it as `not text(obj, "key")`
# with obj always defined, never as `not described(obj.key)`: OPA hoists a
# reference out of a negated call, so the negation of a call on an undefined
# reference is undefined, not true.
text(obj, key) if described(obj[key])

trivial(s) if count(trim_space(s)) < min_length

trivial(s) if lower(trim_space(s)) in placeholders

trivial(s) if contains(lower(s), "lorem ipsum")

# Where each standard writes the purpose (the view's description.purpose).
purpose_field := {
	"bitol-odps": "description.purpose",
	"dpds": "info.description",
	"odpi-odps": "product.details.<lang>.description",
	"dps": "info.purpose",
	"witboost": "description",
}

# The descriptor's own list of output ports, for the standards whose view
# lists them one for one and in order (view.output_ports[i] is element i).
source_output_ports := lib.as_list(input.outputPorts) if standard in {"bitol-odps", "dps"}

source_output_ports := lib.as_list(input.interfaceComponents.outputPorts) if standard == "dpds"

# An output port that is still a bare `{"$ref": ...}` (meshgate could not
# resolve it and reports it as meshgate.ref): it is checked where it points to.
unresolved(i) if source_output_ports[i]["$ref"]

# ---------------------------------------------------------------------------
# Every standard: purpose and port descriptions
# ---------------------------------------------------------------------------

deny contains {
	"msg": sprintf("%s is missing: say what the product is for", [purpose_field[standard]]),
	"path": "view.description.purpose",
	"id": "documentation-missing-purpose",
} if {
	is_object(view)
	not has_purpose
}

has_purpose if text(view.description, "purpose")

deny contains {
	"msg": sprintf("%s \"%s\" is too short or a placeholder (at least %d characters)", [purpose_field[standard], trim_space(view.description.purpose), min_length]),
	"path": "view.description.purpose",
	"id": "documentation-trivial-purpose",
} if {
	lib.nonempty(view.description.purpose)
	trivial(view.description.purpose)
}

deny contains {
	"msg": sprintf("output port \"%s\" has no description", [lib.port_label(port, i)]),
	"path": ["view", "output_ports", i, "description"],
	"id": "documentation-missing-port-description",
} if {
	some i, port in view.output_ports
	is_object(port)
	not unresolved(i)
	not text(port, "description")
}

# ---------------------------------------------------------------------------
# Bitol ODPS: usage and limitations (no other standard has them)
# ---------------------------------------------------------------------------

warn contains {
	"msg": sprintf("description.%s is missing", [field]),
	"path": ["view", "description", field],
	"id": "documentation-missing-field",
} if {
	standard == "bitol-odps"
	is_object(view)
	some field in ["usage", "limitations"]
	not text(object.get(view, "description", {}), field)
}

warn contains {
	"msg": "description.purpose and description.usage are identical; usage should say how to consume the data",
	"path": "view.description.usage",
	"id": "documentation-usage-repeats-purpose",
} if {
	lib.nonempty(view.description.purpose)
	lib.nonempty(view.description.usage)
	lower(trim_space(view.description.purpose)) == lower(trim_space(view.description.usage))
}

# ---------------------------------------------------------------------------
# Open Data Mesh DPDS: info.displayName (not in the view)
# ---------------------------------------------------------------------------

warn contains {
	"msg": "info.displayName is missing; catalogs fall back to the technical name",
	"path": "info.displayName",
	"id": "documentation-missing-display-name",
} if {
	standard == "dpds"
	not has_display_name
}

has_display_name if lib.nonempty(input.info.displayName)
