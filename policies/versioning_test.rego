package governance.versioning_test

import data.governance.lib_test.ids
import data.governance.lib_test.product

denies(facts) := found if {
	found := data.governance.versioning.deny with data.meshgate.product as facts
}

warns(facts) := found if {
	found := data.governance.versioning.warn with data.meshgate.product as facts
}

test_semantic_versions_pass if {
	count(denies(product("bitol-odps", {"version": "2.3.0"}))) == 0
	count(denies(product("dpds", {"version": "1.0.0-beta.3", "status": "draft"}))) == 0
	count(warns(product("dpds", {"version": "1.0.0-beta.3", "status": "draft"}))) == 0
}

test_v_prefix_and_short_versions_fail if {
	denies(product("bitol-odps", {"version": "v2.0.0"})) == {{
		"msg": "version \"v2.0.0\" is not a semantic version MAJOR.MINOR.PATCH",
		"path": "view.version",
		"id": "version-not-semantic",
	}}
	ids(denies(product("odpi-odps", {"version": "4.0"}))) == {"version-not-semantic"}
}

test_v_prefix_allowed_by_parameter if {
	count(denies(product("bitol-odps", {"version": "v2.0.0"}))) == 0 with data.meshgate.params as {"governance.versioning": {"allow_v_prefix": true}}
}

test_missing_version_fails if {
	ids(denies(product("dps", {"name": "x"}))) == {"version-missing"}
	ids(denies(product("witboost", {"version": ""}))) == {"version-missing"}
}

test_prerelease_in_use_warns if {
	ids(warns(product("witboost", {"version": "1.0.0-rc.1", "status": "Published"}))) == {"version-prerelease-in-use"}
	ids(warns(product("bitol-odps", {"version": "1.0.0+build.5", "status": "active"}))) == set()
}

test_custom_standard_is_skipped if {
	count(denies({"path": "x.yaml", "domain": "x", "standard": "custom", "format": "yaml"})) == 0
}
