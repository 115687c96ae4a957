package governance.contracts_test

import data.governance.lib_test.ids
import data.governance.lib_test.product

denies(facts) := found if {
	found := data.governance.contracts.deny with data.meshgate.product as facts
}

test_ports_with_contract_ids_pass if {
	count(denies(product("bitol-odps", {"status": "active", "output_ports": [{"name": "a", "contract": "6ecb2bf3-91d1-5ad4-a956-69d72d36e9b4"}]}))) == 0
	count(denies(product("witboost", {"status": "Published", "output_ports": [{"name": "a", "contract": {"SLA": {}}}]}))) == 0
}

test_port_without_contract_fails if {
	denies(product("dpds", {"status": "active", "output_ports": [{"name": "kpi-extract"}]})) == {{
		"msg": "output port \"kpi-extract\" names no data contract",
		"path": ["view", "output_ports", 0, "contract"],
		"id": "contract-missing",
	}}

	# a draft may still lack one
	count(denies(product("dpds", {"status": "draft", "output_ports": [{"name": "x"}]}))) == 0
}

test_malformed_contract_ids_fail if {
	ids(denies(product("dps", {"output_ports": [{"name": "a", "contract": "orders contract v1"}]}))) == {"contract-id-malformed"}
	ids(denies(product("bitol-odps", {"output_ports": [{"name": "a", "contract": "abcdef"}]}))) == {"contract-id-malformed"} with data.meshgate.params as {"governance.contracts": {"max_length": 5}}
}

test_odpi_is_not_applicable if {
	not data.governance.contracts.applicable with data.meshgate.product as product("odpi-odps", {"output_ports": [{"name": "a"}]})
}
