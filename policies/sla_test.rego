package governance.sla_test

# data.meshgate.product for a descriptor of `standard` whose normalized view is
# `view` (as meshgate builds it, see src/view.rs).
product(standard, view) := {
	"path": "domains/orders/products/p/dataproduct.yaml",
	"domain": "orders",
	"standard": standard,
	"format": "yaml",
	"view": object.union({"standard": standard}, view),
}

ids(findings) := {f.id | some f in findings; is_object(f)}

denies(raw, facts) := found if {
	found := data.governance.sla.deny with input as raw with data.meshgate.product as facts
}

warns(raw, facts) := found if {
	found := data.governance.sla.warn with input as raw with data.meshgate.product as facts
}

good := {"availability": "99.9%", "freshness": "PT1H"}

test_odps_sla_custom_property_passes if {
	raw := {"outputPorts": [{"name": "p", "customProperties": [{"property": "sla", "value": good}]}]}
	facts := product("bitol-odps", {"output_ports": [{"name": "p", "sla": good}]})
	count(denies(raw, facts)) == 0
	count(warns(raw, facts)) == 0
}

test_odps_sla_port_field_passes if {
	# not in the view: the policy reads the port field itself
	raw := {"outputPorts": [{"name": "p", "sla": good}]}
	facts := product("bitol-odps", {"output_ports": [{"name": "p"}]})
	count(denies(raw, facts)) == 0
	count(warns(raw, facts)) == 0
}

test_missing_sla if {
	raw := {"outputPorts": [{"name": "p"}]}
	denies(raw, product("bitol-odps", {"status": "active", "output_ports": [{"name": "p"}]})) == {{
		"msg": "output port \"p\" declares no SLA (a custom property named \"sla\")",
		"path": ["view", "output_ports", 0, "sla"],
		"id": "sla-missing",
	}}

	# retired products promise nothing any more
	count(denies(raw, product("bitol-odps", {"status": "retired", "output_ports": [{"name": "p"}]}))) == 0
}

test_dpds_missing_slo_points_into_promises if {
	raw := {"interfaceComponents": {"outputPorts": [{"name": "p", "promises": {"servicesType": "batch"}}]}}
	denies(raw, product("dpds", {"output_ports": [{"name": "p", "type": "batch"}]})) == {{
		"msg": "output port \"p\" declares no SLA (promises.slo)",
		"path": ["interfaceComponents", "outputPorts", 0, "promises", "slo"],
		"id": "sla-missing",
	}}
}

test_dpds_slo_terms_are_in_the_definition if {
	ok := product("dpds", {"output_ports": [{"name": "p", "sla": {"specification": "custom", "definition": good}}]})
	count(warns({}, ok)) == 0

	no_definition := product("dpds", {"output_ports": [{"name": "p", "sla": {"specification": "custom"}}]})
	warns({}, no_definition) == {{
		"msg": "promises.slo of output port \"p\" has no definition",
		"path": ["view", "output_ports", 0, "sla", "definition"],
		"id": "sla-slo-without-definition",
	}}
}

test_odpi_dimensions if {
	sla := {"dimensions": [{"dimension": "uptime", "objective": 99.5, "unit": "percent"}, {"dimension": "updateFrequency", "objective": 24, "unit": "hours"}]}
	count(warns({}, product("odpi-odps", {"output_ports": [{"name": "default", "sla": sla}]}))) == 0

	best_effort := {"dimensions": [{"dimension": "updateFrequency", "objective": 24, "unit": "hours"}]}
	warns({}, product("odpi-odps", {"output_ports": [{"name": "default", "sla": best_effort}]})) == {{
		"msg": "the SLA of output port \"default\" states no availability",
		"path": ["view", "output_ports", 0, "sla", "availability"],
		"id": "sla-missing-availability",
	}}
}

test_witboost_sla_terms if {
	sla := {"upTime": "98.5%", "timeliness": "6 hours"}
	warns({}, product("witboost", {"output_ports": [{"name": "Raw", "sla": sla}]})) == {{
		"msg": "the SLA of output port \"Raw\" promises less than 99 percent availability",
		"path": ["view", "output_ports", 0, "sla", "upTime"],
		"id": "sla-low-availability",
		"severity": "info",
	}}
}

test_free_text_sla if {
	ids(warns({}, product("witboost", {"output_ports": [{"name": "Raw", "sla": "best effort"}]}))) == {"sla-unstructured"}
}

test_dps_ports_are_not_checked if {
	# DPS keeps the service level in the data contract
	facts := product("dps", {"output_ports": [{"name": "SQ", "contract": "sq-v1"}]})
	count(denies({"outputPorts": [{"id": "sq"}]}, facts)) == 0
	count(warns({"outputPorts": [{"id": "sq"}]}, facts)) == 0
}

test_only_products_in_use_with_ports_apply if {
	draft := product("bitol-odps", {"status": "draft", "output_ports": [{"name": "p"}]})
	count(denies({"outputPorts": [{"name": "p"}]}, draft)) == 0
	not data.governance.sla.applicable with data.meshgate.product as draft
	not data.governance.sla.applicable with data.meshgate.product as product("dps", {"name": "x"})
	data.governance.sla.applicable with data.meshgate.product as product("witboost", {"status": "Published", "output_ports": [{"name": "p"}]})
}

test_custom_standard_is_skipped if {
	facts := {"path": "domains/x/products/p/p.yaml", "domain": "x", "standard": "custom", "format": "yaml"}
	count(denies({"outputPorts": [{"name": "p"}]}, facts)) == 0
	count(warns({}, facts)) == 0
}
