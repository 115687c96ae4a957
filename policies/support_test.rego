package governance.support_test

import data.governance.lib_test.ids
import data.governance.lib_test.product

denies(facts) := found if {
	found := data.governance.support.deny with data.meshgate.product as facts
}

test_channels_with_an_address_pass if {
	count(denies(product("bitol-odps", {"support": [{"channel": "#orders-data", "url": "https://chat.example.com/orders"}]}))) == 0
	count(denies(product("dpds", {"support": [{"name": "team", "channel": "email", "address": "team@acme.example"}]}))) == 0
}

test_missing_support_fails if {
	denies(product("dpds", {"name": "x"})) == {{
		"msg": "no support channel is listed (info.contactPoints); consumers cannot reach the owning team",
		"path": "view.support",
		"id": "support-missing",
	}}
	ids(denies(product("bitol-odps", {"support": []}))) == {"support-missing"}
}

test_channel_without_address_fails if {
	ids(denies(product("bitol-odps", {"support": [{"channel": "#orders-data"}, "slack"]}))) == {"support-channel-unreachable"}
	count(denies(product("bitol-odps", {"support": [{"channel": "#orders-data"}, "slack"]}))) == 2
}

test_other_standards_are_not_applicable if {
	count(denies(product("witboost", {}))) == 0
}
