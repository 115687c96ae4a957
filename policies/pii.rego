# METADATA
# title: Personal data is classified restricted or confidential
# description: >-
#   A port or schema element that carries personally identifiable information
#   must be classified "restricted" or "confidential". Output ports (every
#   standard) are PII when the view's output_ports[].pii is true (Bitol ODPS
#   custom property "pii", DPDS x-pii, DPS containsPii) or the port has the tag
#   "pii"; their classification is the view's output_ports[].classification
#   (Bitol ODPS custom property "classification" / "dataClassification", DPDS
#   x-classification, Witboost dataSharingAgreement.confidentiality). DPS and
#   ODPI ODPS descriptors cannot classify a port (DPS keeps it in the data
#   contract), so their ports are not checked. Also checked, per standard -
#   Bitol ODPS: input ports and the fields listed in an output port's custom
#   property "schema"; DPDS: interface input ports and the properties of an
#   output port's promises.api.definition.schema (PII: the tag "pii", `pii` /
#   `x-pii` or a custom property "pii"; classification: `classification` /
#   `x-classification` or a custom property "classification").
# custom:
#   severity: error
#   level: bronze
#   category: privacy
#   remediation: >-
#     Classify the element as restricted or confidential - Bitol ODPS port:
#     custom property classification; Bitol ODPS schema field: classification;
#     DPDS port or schema property: x-classification; Witboost:
#     dataSharingAgreement.confidentiality - or remove the PII marker if the
#     element holds no personal data.
package governance.pii

import data.governance.lib

standard := data.meshgate.product.standard

# The normalized view; absent for custom descriptors, so every rule on it is
# silent for them.
view := data.meshgate.product.view

allowed := {"restricted", "confidential"}

classification_properties := {"classification", "dataclassification"}

is_custom(cp, names) if {
	is_string(cp.property)
	lower(cp.property) in names
}

tagged_pii(e) if {
	some t in lib.as_list(e.tags)
	is_string(t)
	lower(t) == "pii"
}

label(e, i) := e.name if {
	is_string(e.name)
	e.name != ""
} else := sprintf("#%d", [i])

# ---------------------------------------------------------------------------
# Output ports, from the view (every standard)
# ---------------------------------------------------------------------------

# The descriptor's own list of output ports, for the standards whose view
# lists them one for one and in order (view.output_ports[i] is element i).
source_output_ports := lib.as_list(input.outputPorts) if standard in {"bitol-odps", "dps"}

source_output_ports := lib.as_list(input.interfaceComponents.outputPorts) if standard == "dpds"

# Indexes of the output ports marked as PII: the view's `pii`, or a tag "pii"
# on the port (the view's port tags; Witboost's are its tagFQN names).
pii_output_ports contains i if {
	some i, port in view.output_ports
	lib.truthy(port.pii)
}

pii_output_ports contains i if {
	some i, port in view.output_ports
	tagged_pii(port)
}

pii_output_ports contains i if {
	some i, port in source_output_ports
	tagged_pii(port)
}

# Standards whose view can classify an output port.
classifiable := {"bitol-odps", "dpds", "witboost"}

# ---------------------------------------------------------------------------
# Elements to check: {"label", "classifications" ([lower-cased value, path]
# pairs), "missing" (where a classification belongs when there is none)}
# ---------------------------------------------------------------------------

checked contains el if {
	standard in classifiable
	some i in pii_output_ports
	port := view.output_ports[i]
	el := {
		"label": label(port, i),
		"classifications": classifications(port, ["view", "output_ports", i]),
		"missing": ["view", "output_ports", i, "classification"],
	}
}

checked contains el if some el in raw_pii_elements

# Every classification a raw element declares, as [lower-cased value, path].
classifications(e, base) := {[lower(e.classification), array.concat(base, ["classification"])] | is_string(e.classification)} | {[lower(e["x-classification"]), array.concat(base, ["x-classification"])] | is_string(e["x-classification"])} | {[lower(cp.value), array.concat(base, ["customProperties", j, "value"])] |
	some j, cp in lib.as_list(e.customProperties)
	is_custom(cp, classification_properties)
	is_string(cp.value)
}

# A raw element (input port, schema field) marked as PII.
is_pii(e) if tagged_pii(e)

is_pii(e) if lib.truthy(e.pii)

is_pii(e) if lib.truthy(e["x-pii"])

is_pii(e) if {
	some cp in lib.as_list(e.customProperties)
	is_custom(cp, {"pii"})
	lib.truthy(cp.value)
}

raw_element(name, e, base, missing) := {
	"label": name,
	"classifications": classifications(e, base),
	"missing": missing,
}

# Bitol ODPS input ports.
raw_pii_elements contains el if {
	standard == "bitol-odps"
	some i, port in lib.as_list(input.inputPorts)
	is_object(port)
	is_pii(port)
	base := ["inputPorts", i]
	el := raw_element(label(port, i), port, base, array.concat(base, ["customProperties"]))
}

# Bitol ODPS: the fields listed in an output port's custom property "schema".
raw_pii_elements contains el if {
	standard == "bitol-odps"
	some i, port in lib.as_list(input.outputPorts)
	some j, cp in lib.as_list(port.customProperties)
	is_custom(cp, {"schema"})
	some k, field in lib.as_list(cp.value)
	is_object(field)
	is_pii(field)
	base := ["outputPorts", i, "customProperties", j, "value", k]
	name := sprintf("field %s of output port %s", [label(field, k), label(port, i)])
	el := raw_element(name, field, base, array.concat(base, ["classification"]))
}

# DPDS interface input ports.
raw_pii_elements contains el if {
	standard == "dpds"
	some i, port in lib.as_list(input.interfaceComponents.inputPorts)
	is_object(port)
	is_pii(port)
	base := ["interfaceComponents", "inputPorts", i]
	el := raw_element(label(port, i), port, base, array.concat(base, ["x-classification"]))
}

# DPDS: the properties of an output port's promises.api.definition.schema.
raw_pii_elements contains el if {
	standard == "dpds"
	some i, port in lib.as_list(input.interfaceComponents.outputPorts)
	is_object(port.promises.api.definition.schema.properties)
	some key, prop in port.promises.api.definition.schema.properties
	is_object(prop)
	is_pii(prop)
	base := ["interfaceComponents", "outputPorts", i, "promises", "api", "definition", "schema", "properties", key]
	name := sprintf("property %s of output port %s", [key, label(port, i)])
	el := raw_element(name, prop, base, array.concat(base, ["x-classification"]))
}

# ---------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------

deny contains {
	"msg": sprintf("%s is marked as PII but has no classification; it must be restricted or confidential", [el.label]),
	"path": el.missing,
	"id": "pii-missing-classification",
} if {
	some el in checked
	count(el.classifications) == 0
}

deny contains {
	"msg": sprintf("%s is marked as PII but classified \"%s\"; it must be restricted or confidential", [el.label, c[0]]),
	"path": c[1],
	"id": "pii-weak-classification",
} if {
	some el in checked
	some c in el.classifications
	not c[0] in allowed
}

# Standards that can mark an element as PII (ODPI ODPS and Witboost cannot).
markable := {"bitol-odps", "dpds", "dps"}

warn contains {
	"msg": "the product is tagged \"pii\" but none of its ports or schema elements is marked as PII",
	"path": "view.tags",
	"id": "pii-tag-without-pii-element",
} if {
	standard in markable
	some t in view.tags
	is_string(t)
	lower(t) == "pii"
	count(pii_output_ports) == 0
	count(raw_pii_elements) == 0
}
