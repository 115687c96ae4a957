package governance.exposure_test

import data.governance.lib_test.product

denies(facts) := found if {
	found := data.governance.exposure.deny with data.meshgate.product as facts
}

test_restricted_on_tables_passes if {
	count(denies(product("bitol-odps", {"output_ports": [{"name": "p", "type": "tables", "classification": "restricted"}]}))) == 0
	count(denies(product("dpds", {"output_ports": [{"name": "p", "type": "public-api", "classification": "public"}]}))) == 0
}

test_restricted_on_public_port_fails if {
	denies(product("bitol-odps", {"output_ports": [{"name": "directory", "type": "public-api", "classification": "Confidential"}]})) == {{
		"msg": "output port \"directory\" is classified \"Confidential\" but public",
		"path": ["view", "output_ports", 0, "type"],
		"id": "exposure-restricted-on-public-port",
	}}
	denies(product("dps", {"output_ports": [{"name": "x", "type": "download", "pii": true}]})) == {{
		"msg": "output port \"x\" is marked as personal data but public",
		"path": ["view", "output_ports", 0, "type"],
		"id": "exposure-restricted-on-public-port",
	}}
}

test_public_port_types_are_a_parameter if {
	facts := product("witboost", {"output_ports": [{"name": "Raw", "type": "Files", "classification": "secret"}]})
	count(denies(facts)) == 0
	count(denies(facts)) == 1 with data.meshgate.params as {"governance.exposure": {"public_port_types": ["files"]}}
}
