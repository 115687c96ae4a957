package governance.retention_test

import data.governance.lib_test.product

denies(facts) := found if {
	found := data.governance.retention.deny with data.meshgate.product as facts
}

test_pii_port_with_retention_passes if {
	count(denies(product("bitol-odps", {"output_ports": [{"name": "profiles", "pii": true, "retention": "P2Y"}]}))) == 0
	count(denies(product("dpds", {"output_ports": [{"name": "consent", "pii": "yes", "retention": {"period": "P7Y"}}]}))) == 0
}

test_pii_port_without_retention_fails if {
	denies(product("dpds", {"output_ports": [{"name": "kpis"}, {"name": "consent", "pii": true}]})) == {{
		"msg": "output port \"consent\" carries personal data but states no retention period",
		"path": ["view", "output_ports", 1, "retention"],
		"id": "retention-missing",
	}}
	count(denies(product("witboost", {"output_ports": [{"name": "Raw", "tags": ["PII"], "retention": " "}]}))) == 1
}

test_not_applicable_without_pii_or_retention_field if {
	not data.governance.retention.applicable with data.meshgate.product as product("bitol-odps", {"output_ports": [{"name": "x"}]})
	not data.governance.retention.applicable with data.meshgate.product as product("dps", {"output_ports": [{"name": "x", "pii": true}]})
}
