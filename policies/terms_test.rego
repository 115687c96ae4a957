package governance.terms_test

import data.governance.lib_test.ids
import data.governance.lib_test.product

warns(facts) := found if {
	found := data.governance.terms.warn with data.meshgate.product as facts
}

test_stated_terms_pass if {
	count(warns(product("odpi-odps", {"terms": {"scope": "internal", "termsOfUse": "Analytics only."}}))) == 0
	count(warns(product("bitol-odps", {"terms": "Internal analytics only; no resale, no re-identification."}))) == 0
}

test_missing_or_short_terms_warn if {
	warns(product("dpds", {"name": "x"})) == {{"msg": "the product states no terms of use", "path": "view.terms", "id": "terms-missing"}}
	ids(warns(product("bitol-odps", {"terms": "ok"}))) == {"terms-too-short"}
	ids(warns(product("odpi-odps", {"terms": {}}))) == {"terms-too-short"}
}

test_other_standards_are_not_applicable if {
	count(warns(product("dps", {}))) == 0
	not data.governance.terms.applicable with data.meshgate.product as product("witboost", {})
}
