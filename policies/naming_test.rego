package governance.naming_test

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
	found := data.governance.naming.deny with input as raw with data.meshgate.product as facts
}

warns(raw, facts) := found if {
	found := data.governance.naming.warn with input as raw with data.meshgate.product as facts
}

# The findings on a Bitol ODPS product `{id, name}`: the same fields in the
# descriptor and the view.
odps_denies(fields) := denies(fields, product("bitol-odps", fields))

# ---------------------------------------------------------------------------
# Bitol ODPS
# ---------------------------------------------------------------------------

test_kebab_case_name_passes if {
	count(odps_denies({"id": "3f1c9a52-7d1e-4b8a-9c55-0d2e6f4a8b11", "name": "order-events"})) == 0
}

test_name_with_spaces_and_capitals_fails if {
	odps_denies({"id": "a", "name": "Order Events"}) == {{
		"msg": "name \"Order Events\" is not lowercase kebab-case (e.g. \"order-events\")",
		"path": "view.name",
		"id": "naming-name-not-kebab-case",
	}}
}

test_snake_case_and_dangling_dashes_fail if {
	every name in ["order_events", "-orders", "orders-", "order--events", "ordersÄ", "orders 1"] {
		ids(odps_denies({"id": "a", "name": name})) == {"naming-name-not-kebab-case"}
	}
}

test_digits_and_single_words_pass if {
	every name in ["orders", "orders-2024", "3d-models"] {
		count(odps_denies({"id": "a", "name": name})) == 0
	}
}

test_missing_name if {
	odps_denies({"id": "a"}) == {{"msg": "the product has no name (name)", "path": "view.name", "id": "naming-missing-name"}}
}

test_upper_case_id_fails if {
	ids(odps_denies({"id": "ORD-1", "name": "orders"})) == {"naming-id-format"}
}

# ---------------------------------------------------------------------------
# DPDS
# ---------------------------------------------------------------------------

dpds_input(info) := {"dataProductDescriptor": "1.0.0", "info": info, "interfaceComponents": {"outputPorts": [{
	"fullyQualifiedName": "urn:dpds:acme:dataproducts:daily-order-summary:2:outputports:daily-summary",
	"name": "daily-summary",
	"version": "2.1.0",
}]}}

# The view of dpds_input(info).
dpds_view(info) := product("dpds", {
	"id": info.fullyQualifiedName,
	"name": info.name,
	"version": info.version,
	"domain": "orders",
	"owners": ["orders-team@example.com"],
	"output_ports": [{"name": "daily-summary"}],
})

dpds_denies(info) := denies(dpds_input(info), dpds_view(info))

good_info := {
	"fullyQualifiedName": "urn:dpds:acme:dataproducts:daily-order-summary:2",
	"name": "daily-order-summary",
	"version": "2.1.0",
	"domain": "orders",
	"owner": {"id": "orders-team@example.com"},
}

test_dpds_good_fqn_passes if {
	count(dpds_denies(good_info)) == 0
	count(warns(dpds_input(good_info), dpds_view(good_info))) == 0
}

test_dpds_fqn_wrong_shape if {
	info := object.union(good_info, {"fullyQualifiedName": "acme.daily-order-summary"})
	ids(dpds_denies(info)) == {"naming-fqn-format"}
}

test_dpds_fqn_major_mismatch if {
	info := object.union(good_info, {"version": "3.0.0"})
	dpds_denies(info) == {{
		"msg": "fullyQualifiedName ends in major version \"2\" but info.version is \"3.0.0\"",
		"path": "info.fullyQualifiedName",
		"id": "naming-fqn-major-mismatch",
	}}
}

test_dpds_fqn_name_mismatch if {
	info := object.union(good_info, {"fullyQualifiedName": "urn:dpds:acme:dataproducts:order-summary:2"})
	ids(dpds_denies(info)) == {"naming-fqn-name-mismatch"}

	# the port no longer sits under the product's name
	ids(warns(dpds_input(info), dpds_view(info))) == {"naming-port-fqn-prefix"}
}

test_dpds_camel_case_name if {
	info := object.union(good_info, {"name": "dailyOrderSummary", "fullyQualifiedName": "urn:dpds:acme:dataproducts:dailyOrderSummary:2"})
	dpds_denies(info) == {{
		"msg": "info.name \"dailyOrderSummary\" is not lowercase kebab-case (e.g. \"order-events\")",
		"path": "view.name",
		"id": "naming-name-not-kebab-case",
	}}
}

# ---------------------------------------------------------------------------
# ODPI ODPS, DPS, Witboost: display names; ids
# ---------------------------------------------------------------------------

test_display_names_need_not_be_kebab_case if {
	count(denies({}, product("odpi-odps", {"id": "campaign-reach", "name": "Campaign Reach"}))) == 0
	count(denies({}, product("dps", {"id": "search-queries", "name": "Search Queries"}))) == 0
	count(denies({}, product("witboost", {"id": "urn:dmb:dp:finance:cash-flow:0", "name": "Cash Flow", "version": "0.4.0"}))) == 0
}

test_every_standard_needs_a_name if {
	denies({}, product("dps", {"id": "search-queries"})) == {{"msg": "the product has no name (info.title)", "path": "view.name", "id": "naming-missing-name"}}
	ids(denies({}, product("odpi-odps", {"id": "campaign-reach", "name": " "}))) == {"naming-missing-name"}
}

test_dps_id_with_upper_case_fails if {
	ids(denies({}, product("dps", {"id": "Search Queries", "name": "Search Queries"}))) == {"naming-id-format"}
}

test_witboost_urn if {
	bad_shape := product("witboost", {"id": "urn:dmb:dp:cash-flow", "name": "Cash Flow", "version": "0.4.0"})
	ids(denies({}, bad_shape)) == {"naming-urn-format"}

	bad_major := product("witboost", {"id": "urn:dmb:dp:finance:cash-flow:0", "name": "Cash Flow", "version": "1.0.0"})
	denies({}, bad_major) == {{
		"msg": "id ends in major version \"0\" but version is \"1.0.0\"",
		"path": "view.id",
		"id": "naming-urn-major-mismatch",
	}}
}

test_custom_standard_is_skipped if {
	facts := {"path": "domains/x/products/p/p.yaml", "domain": "x", "standard": "custom", "format": "yaml"}
	count(denies({"name": "Not Kebab"}, facts)) == 0
}
