# Reports every field the view lacks, by its view path, and every port tagged PII: used by
# tests/standards.rs to check where a missing field is located, for each standard.
package test.fields

view := data.meshgate.product.view

deny contains {"msg": sprintf("no %s", [f]), "path": ["view", f]} if {
	some f in ["name", "status", "description", "support", "version"]
	not view[f]
}

deny contains {"msg": sprintf("output port %d has no sla", [i]), "path": ["view", "output_ports", i, "sla"]} if {
	some i, port in view.output_ports
	not port.sla
}

deny contains {"msg": sprintf("%s port %d is tagged pii", [kind, i]), "path": ["view", list, i, "tags", j]} if {
	some [kind, list] in [["input", "input_ports"], ["output", "output_ports"]]
	some i, port in view[list]
	some j, tag in port.tags
	lower(tag) == "pii"
}
