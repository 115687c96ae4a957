# A view-based policy written once for every standard: used by tests/standards.rs.
package test.owner

view := data.meshgate.product.view

deny contains {"msg": "no owner", "path": "view.owners"} if {
	count([o | some o in view.owners; is_string(o); o != ""]) == 0
}

deny contains {"msg": sprintf("output port %s carries PII but has no classification", [port.name]), "path": ["view", "output_ports", i, "classification"]} if {
	some i, port in view.output_ports
	port.pii == true
	not port.classification
}
