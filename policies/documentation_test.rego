package governance.documentation_test

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
	found := data.governance.documentation.deny with input as raw with data.meshgate.product as facts
}

warns(raw, facts) := found if {
	found := data.governance.documentation.warn with input as raw with data.meshgate.product as facts
}

purpose := "Every customer order placed on the web shop, one event per state change."

odps_description := {
	"purpose": purpose,
	"usage": "Subscribe to the topic for near-real-time use cases.",
	"limitations": "Late events older than 72 hours are dropped.",
}

test_documented_odps_product_passes if {
	raw := {"id": "a", "description": odps_description, "outputPorts": [{"name": "events", "description": "Kafka topic."}]}
	facts := product("bitol-odps", {"id": "a", "description": odps_description, "output_ports": [{"name": "events", "description": "Kafka topic."}]})
	count(denies(raw, facts)) == 0
	count(warns(raw, facts)) == 0
}

test_odps_missing_usage_and_limitations_warn if {
	facts := product("bitol-odps", {"id": "a", "description": {"purpose": purpose}})
	{f.path | some f in warns({}, facts)} == {["view", "description", "usage"], ["view", "description", "limitations"]}
}

test_odps_usage_repeating_the_purpose_warns if {
	facts := product("bitol-odps", {"id": "a", "description": {"purpose": purpose, "usage": purpose, "limitations": "None known so far, really."}})
	ids(warns({}, facts)) == {"documentation-usage-repeats-purpose"}
}

test_trivial_purpose_on_every_standard if {
	every standard in ["bitol-odps", "dpds", "odpi-odps", "dps", "witboost"] {
		ids(denies({}, product(standard, {"description": {"purpose": "TBD"}, "output_ports": []}))) == {"documentation-trivial-purpose"}
	}
	denies({}, product("dpds", {"description": {"purpose": "TBD"}})) == {{
		"msg": "info.description \"TBD\" is too short or a placeholder (at least 20 characters)",
		"path": "view.description.purpose",
		"id": "documentation-trivial-purpose",
	}}
}

test_missing_purpose if {
	denies({}, product("witboost", {"name": "Cash Flow"})) == {{
		"msg": "description is missing: say what the product is for",
		"path": "view.description.purpose",
		"id": "documentation-missing-purpose",
	}}
}

test_port_without_description if {
	facts := product("witboost", {"description": {"purpose": purpose}, "output_ports": [{"name": "Raw", "description": " "}]})
	denies({}, facts) == {{
		"msg": "output port \"Raw\" has no description",
		"path": ["view", "output_ports", 0, "description"],
		"id": "documentation-missing-port-description",
	}}
}

test_odpi_port_description_may_be_translated if {
	facts := product("odpi-odps", {"description": {"purpose": purpose}, "output_ports": [
		{"name": "default", "description": {"en": "Secure share, refreshed daily."}},
		{"name": "file", "description": {"en": ""}},
	]})
	{f.path | some f in denies({}, facts)} == {["view", "output_ports", 1, "description"]}
}

test_unresolved_ref_ports_are_skipped if {
	raw := {"dataProductDescriptor": "1.0.0", "info": {"displayName": "X"}, "interfaceComponents": {"outputPorts": [{"$ref": "https://example.com/port.json"}]}}
	facts := product("dpds", {"description": {"purpose": purpose}, "output_ports": [{}]})
	count(denies(raw, facts)) == 0
}

test_dpds_display_name if {
	facts := product("dpds", {"description": {"purpose": purpose}})
	warns({"info": {"name": "x"}}, facts) == {{
		"msg": "info.displayName is missing; catalogs fall back to the technical name",
		"path": "info.displayName",
		"id": "documentation-missing-display-name",
	}}
}

test_custom_standard_is_skipped if {
	facts := {"path": "domains/x/products/p/p.yaml", "domain": "x", "standard": "custom", "format": "yaml"}
	count(denies({}, facts)) == 0
	count(warns({}, facts)) == 0
}

test_minimum_length_is_a_parameter if {
	facts := product("dps", {"description": {"purpose": "Orders, one row per order."}})
	count(denies({}, facts)) == 0
	ids(denies({}, facts)) == {"documentation-trivial-purpose"} with data.meshgate.params as {"governance.documentation": {"min_length": 40}}
}
