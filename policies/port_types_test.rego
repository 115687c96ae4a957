package governance.port_types_test

import data.governance.lib_test.ids
import data.governance.lib_test.product

denies(facts) := found if {
	found := data.governance.port_types.deny with data.meshgate.product as facts
}

warns(facts) := found if {
	found := data.governance.port_types.warn with data.meshgate.product as facts
}

test_agreed_types_pass if {
	count(denies(product("bitol-odps", {"output_ports": [{"name": "a", "type": "tables"}, {"name": "b", "type": "Topic"}]}))) == 0
	count(denies(product("dpds", {"output_ports": [{"name": "a", "type": "datastore-services"}]}))) == 0
}

test_other_types_fail if {
	denies(product("bitol-odps", {"output_ports": [{"name": "snapshots", "type": "files"}]})) == {{
		"msg": "output port \"snapshots\" has type \"files\", which is not one of the agreed port types",
		"path": ["view", "output_ports", 0, "type"],
		"id": "port-type-not-allowed",
	}}
	ids(denies(product("witboost", {"output_ports": [{"name": "Raw", "type": "ftp"}]}))) == {"port-type-not-allowed"}
}

test_missing_type_warns if {
	ids(warns(product("dps", {"output_ports": [{"name": "x"}]}))) == {"port-type-missing"}
}

test_allowed_types_are_a_parameter if {
	count(denies(product("witboost", {"output_ports": [{"name": "Raw", "type": "ftp"}]}))) == 0 with data.meshgate.params as {"governance.port_types": {"allowed_port_types": ["FTP"]}}
}
