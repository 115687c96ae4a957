package governance.pii_test

# data.meshgate.product for a descriptor of `standard` whose normalized view is
# `view` (as meshgate builds it, see src/view.rs).
product(standard, view) := {
	"path": "domains/customers/products/p/dataproduct.yaml",
	"domain": "customers",
	"standard": standard,
	"format": "yaml",
	"view": object.union({"standard": standard}, view),
}

ids(findings) := {f.id | some f in findings; is_object(f)}

denies(raw, facts) := found if {
	found := data.governance.pii.deny with input as raw with data.meshgate.product as facts
}

warns(raw, facts) := found if {
	found := data.governance.pii.warn with input as raw with data.meshgate.product as facts
}

test_classified_pii_port_passes if {
	raw := {"outputPorts": [{"name": "p", "customProperties": [{"property": "pii", "value": true}, {"property": "classification", "value": "Confidential"}]}]}
	facts := product("bitol-odps", {"tags": ["pii"], "output_ports": [{"name": "p", "pii": true, "classification": "Confidential"}]})
	count(denies(raw, facts)) == 0
	count(warns(raw, facts)) == 0
}

test_odps_port_tagged_pii_with_weak_classification if {
	raw := {"outputPorts": [{"name": "p", "tags": ["pii"], "customProperties": [{"property": "classification", "value": "internal"}]}]}
	facts := product("bitol-odps", {"output_ports": [{"name": "p", "classification": "internal"}]})
	denies(raw, facts) == {{
		"msg": "p is marked as PII but classified \"internal\"; it must be restricted or confidential",
		"path": ["view", "output_ports", 0, "classification"],
		"id": "pii-weak-classification",
	}}
}

test_dpds_pii_port_without_classification if {
	raw := {"interfaceComponents": {"outputPorts": [{"name": "profile", "x-pii": true}]}}
	facts := product("dpds", {"output_ports": [{"name": "profile", "pii": true}]})
	denies(raw, facts) == {{
		"msg": "profile is marked as PII but has no classification; it must be restricted or confidential",
		"path": ["view", "output_ports", 0, "classification"],
		"id": "pii-missing-classification",
	}}
}

test_witboost_port_tagged_pii_without_confidentiality if {
	facts := product("witboost", {"output_ports": [{"name": "Raw", "tags": ["Finance.Treasury", "PII"]}]})
	denies({}, facts) == {{
		"msg": "Raw is marked as PII but has no classification; it must be restricted or confidential",
		"path": ["view", "output_ports", 0, "classification"],
		"id": "pii-missing-classification",
	}}
}

test_witboost_confidentiality if {
	# Witboost ports cannot be marked as PII in the view; the classification is read when they are
	facts := product("witboost", {"output_ports": [{"name": "Raw", "pii": true, "classification": "internal"}]})
	ids(denies({}, facts)) == {"pii-weak-classification"}
}

test_odps_schema_field if {
	schema := [{"name": "email", "pii": "yes", "classification": "confidential"}, {"name": "postcode", "pii": true}]
	raw := {"outputPorts": [{"name": "p", "customProperties": [{"property": "schema", "value": schema}]}]}
	facts := product("bitol-odps", {"output_ports": [{"name": "p"}]})
	denies(raw, facts) == {{
		"msg": "field postcode of output port p is marked as PII but has no classification; it must be restricted or confidential",
		"path": ["outputPorts", 0, "customProperties", 0, "value", 1, "classification"],
		"id": "pii-missing-classification",
	}}
}

test_dpds_schema_property_and_input_port if {
	raw := {"interfaceComponents": {
		"inputPorts": [{"name": "crm", "x-pii": true, "x-classification": "public"}],
		"outputPorts": [{"name": "p", "promises": {"api": {"definition": {"schema": {"properties": {"email": {"x-pii": true}}}}}}}],
	}}
	facts := product("dpds", {"input_ports": [{"name": "crm"}], "output_ports": [{"name": "p"}]})
	{[f.id, f.path] | some f in denies(raw, facts)} == {
		["pii-weak-classification", ["interfaceComponents", "inputPorts", 0, "x-classification"]],
		["pii-missing-classification", ["interfaceComponents", "outputPorts", 0, "promises", "api", "definition", "schema", "properties", "email", "x-classification"]],
	}
}

test_dps_pii_ports_cannot_be_classified if {
	# DPS keeps the classification in the data contract: nothing to check here
	raw := {"outputPorts": [{"id": "clicks", "containsPii": true, "tags": ["pii"]}]}
	facts := product("dps", {"tags": ["search"], "output_ports": [{"name": "clicks", "pii": true}]})
	count(denies(raw, facts)) == 0
	count(warns(raw, facts)) == 0
}

test_tagged_pii_without_pii_element_warns if {
	facts := product("dpds", {"tags": ["customers", "PII"], "output_ports": [{"name": "scores"}]})
	warns({"interfaceComponents": {"outputPorts": [{"name": "scores"}]}}, facts) == {{
		"msg": "the product is tagged \"pii\" but none of its ports or schema elements is marked as PII",
		"path": "view.tags",
		"id": "pii-tag-without-pii-element",
	}}

	# a DPS port with containsPii is such an element
	dps := product("dps", {"tags": ["pii"], "output_ports": [{"name": "clicks", "pii": true}]})
	count(warns({}, dps)) == 0
}

test_custom_standard_is_skipped if {
	facts := {"path": "domains/x/products/p/p.yaml", "domain": "x", "standard": "custom", "format": "yaml"}
	raw := {"tags": ["pii"], "outputPorts": [{"name": "p", "tags": ["pii"]}]}
	count(denies(raw, facts)) == 0
	count(warns(raw, facts)) == 0
}
