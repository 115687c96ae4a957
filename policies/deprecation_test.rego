package governance.deprecation_test

import data.governance.lib_test.ids
import data.governance.lib_test.product

mesh := {"domains": {}, "products": {}, "index": {"product_ids": {"stock-levels": ["domains/inventory/products/stock-levels/dataproduct.json"]}}}

# 2026-01-01T00:00:00Z
now := 1767225600000000000

denies(facts) := found if {
	found := data.governance.deprecation.deny with data.meshgate.product as facts with data.meshgate.mesh as mesh
}

warns(facts) := found if {
	found := data.governance.deprecation.warn with data.meshgate.product as facts with data.meshgate.mesh as mesh with time.now_ns as now
}

test_sunset_and_existing_successor_pass if {
	facts := product("bitol-odps", {"status": "deprecated", "sunset_date": "2026-06-30", "replaced_by": "stock-levels"})
	count(denies(facts)) == 0
	count(warns(facts)) == 0
}

test_missing_sunset_and_successor_fail if {
	denies(product("dpds", {"status": "deprecated"})) == {
		{"msg": "the product is deprecated but names no sunset date", "path": "view.sunset_date", "id": "deprecation-missing-sunset-date"},
		{"msg": "the product is deprecated but names no successor", "path": "view.replaced_by", "id": "deprecation-missing-successor"},
	}
}

test_bad_date_and_unknown_successor_fail if {
	facts := product("dps", {"status": "deprecated", "sunset_date": "end of Q2", "replaced_by": "stock-levels-v2"})
	ids(denies(facts)) == {"deprecation-bad-sunset-date", "deprecation-unknown-successor"}
}

test_passed_sunset_warns if {
	facts := product("bitol-odps", {"status": "deprecated", "sunset_date": "2025-06-30", "replaced_by": "stock-levels"})
	ids(warns(facts)) == {"deprecation-sunset-passed"}
}

test_only_deprecated_products_apply if {
	not data.governance.deprecation.applicable with data.meshgate.product as product("bitol-odps", {"status": "active"})
	count(denies(product("dpds", {"status": "active"}))) == 0
}
