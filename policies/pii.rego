# METADATA
# title: Personal data is classified restricted or confidential
# description: >-
#   A port or schema element that carries personally identifiable information
#   must be classified "restricted" or "confidential". An element is PII when it
#   has the tag "pii", a field `pii: true` / `x-pii: true`, or a custom property
#   named "pii" with value true. Its classification is read from a field
#   `classification` / `x-classification` or a custom property named
#   "classification" or "dataClassification". Elements checked - Bitol ODPS:
#   input and output ports, and the fields listed in an output port's custom
#   property "schema"; DPDS: interface input and output ports, and the
#   properties of an output port's promises.api.definition.schema.
# custom:
#   severity: error
#   category: privacy
#   remediation: >-
#     Classify the element as restricted or confidential (ODPS port: custom
#     property classification; schema field: classification; DPDS: x-classification),
#     or remove the PII marker if the element holds no personal data.
package governance.pii

standard := data.meshgate.product.standard

allowed := {"restricted", "confidential"}

classification_properties := {"classification", "dataclassification"}

truthy(v) if v == true

truthy(v) if {
	is_string(v)
	lower(v) in {"true", "yes"}
}

is_custom(cp, names) if {
	is_string(cp.property)
	lower(cp.property) in names
}

is_pii(e) if {
	some t in e.tags
	is_string(t)
	lower(t) == "pii"
}

is_pii(e) if truthy(e.pii)

is_pii(e) if truthy(e["x-pii"])

is_pii(e) if {
	some cp in e.customProperties
	is_custom(cp, {"pii"})
	truthy(cp.value)
}

# Every classification an element declares, as [lower-cased value, path].
classifications(e, base) := {[lower(e.classification), array.concat(base, ["classification"])] | is_string(e.classification)} | {[lower(e["x-classification"]), array.concat(base, ["x-classification"])] | is_string(e["x-classification"])} | {[lower(cp.value), array.concat(base, ["customProperties", j, "value"])] |
	some j, cp in e.customProperties
	is_custom(cp, classification_properties)
	is_string(cp.value)
}

# Elements to check: {"label", "element", "base" (its path), "missing" (where
# the classification is expected when there is none)}.
elements contains {"label": label(port, i), "element": port, "base": [kind, i], "missing": [kind, i, "customProperties"]} if {
	standard == "bitol-odps"
	some kind in ["inputPorts", "outputPorts"]
	some i, port in input[kind]
	is_object(port)
}

elements contains {
	"label": sprintf("field %s of output port %s", [label(field, k), label(port, i)]),
	"element": field,
	"base": base,
	"missing": array.concat(base, ["classification"]),
} if {
	standard == "bitol-odps"
	some i, port in input.outputPorts
	some j, cp in port.customProperties
	is_custom(cp, {"schema"})
	some k, field in cp.value
	is_object(field)
	base := ["outputPorts", i, "customProperties", j, "value", k]
}

elements contains {"label": label(port, i), "element": port, "base": base, "missing": array.concat(base, ["x-classification"])} if {
	standard == "dpds"
	some kind in ["inputPorts", "outputPorts"]
	some i, port in input.interfaceComponents[kind]
	is_object(port)
	base := ["interfaceComponents", kind, i]
}

elements contains {
	"label": sprintf("property %s of output port %s", [name, label(port, i)]),
	"element": prop,
	"base": base,
	"missing": array.concat(base, ["x-classification"]),
} if {
	standard == "dpds"
	some i, port in input.interfaceComponents.outputPorts
	is_object(port.promises.api.definition.schema.properties)
	some name, prop in port.promises.api.definition.schema.properties
	is_object(prop)
	base := ["interfaceComponents", "outputPorts", i, "promises", "api", "definition", "schema", "properties", name]
}

label(e, i) := e.name if {
	is_string(e.name)
	e.name != ""
} else := sprintf("#%d", [i])

deny contains {
	"msg": sprintf("%s is marked as PII but has no classification; it must be restricted or confidential", [el.label]),
	"path": el.missing,
	"id": "pii-missing-classification",
} if {
	some el in elements
	is_pii(el.element)
	count(classifications(el.element, el.base)) == 0
}

deny contains {
	"msg": sprintf("%s is marked as PII but classified \"%s\"; it must be restricted or confidential", [el.label, c[0]]),
	"path": c[1],
	"id": "pii-weak-classification",
} if {
	some el in elements
	is_pii(el.element)
	some c in classifications(el.element, el.base)
	not c[0] in allowed
}

warn contains "the product is tagged \"pii\" but none of its ports or schema elements is marked as PII" if {
	standard in {"bitol-odps", "dpds"}
	some t in input.tags
	is_string(t)
	lower(t) == "pii"
	count({el | some el in elements; is_pii(el.element)}) == 0
}
