package governance.ownership_test

# data.meshgate.product for a descriptor of `standard` whose normalized view is
# `view` (as meshgate builds it, see src/view.rs).
product(standard, view) := {
	"path": "domains/orders/products/p/dataproduct.yaml",
	"domain": "orders",
	"standard": standard,
	"format": "yaml",
	"view": object.union({"standard": standard}, view),
}

custom := {"path": "domains/orders/products/legacy/dataproduct.yaml", "domain": "orders", "standard": "custom", "format": "yaml"}

support := [{"channel": "#orders-data", "url": "https://chat.example.com/orders-data"}]

ids(findings) := {f.id | some f in findings; is_object(f)}

denies(raw, facts) := found if {
	found := data.governance.ownership.deny with input as raw with data.meshgate.product as facts
}

warns(raw, facts) := found if {
	found := data.governance.ownership.warn with input as raw with data.meshgate.product as facts
}

# ---------------------------------------------------------------------------
# Bitol ODPS
# ---------------------------------------------------------------------------

test_odps_v1_team_with_owner_passes if {
	raw := {"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "a", "support": support, "team": {
		"name": "Orders",
		"members": [
			{"username": "ana@example.com", "role": "owner"},
			{"username": "bo@example.com", "role": "data steward"},
		],
	}}
	facts := product("bitol-odps", {"id": "a", "owners": ["ana@example.com"], "support": support, "team": {
		"name": "Orders",
		"members": [{"id": "ana@example.com", "role": "owner"}, {"id": "bo@example.com", "role": "data steward"}],
	}})
	count(denies(raw, facts)) == 0
	count(warns(raw, facts)) == 0
}

test_odps_v09_team_list_with_owner_passes if {
	raw := {"apiVersion": "v0.9.0", "kind": "DataProduct", "id": "a", "support": support, "team": [{"username": "ana@example.com", "role": "Owner"}]}
	facts := product("bitol-odps", {"id": "a", "owners": ["ana@example.com"], "support": support, "team": {"members": [{"id": "ana@example.com", "role": "Owner"}]}})
	count(denies(raw, facts)) == 0
}

test_odps_missing_team_is_reported_once if {
	facts := product("bitol-odps", {"id": "a", "owners": [], "support": support})
	denies({"id": "a", "support": support}, facts) == {{"msg": "the product has no team, so nobody is accountable for it", "path": "view.team", "id": "ownership-missing-team"}}
}

test_odps_team_without_owner if {
	raw := {"id": "a", "team": [{"username": "bo@example.com", "role": "engineer"}]}
	facts := product("bitol-odps", {"id": "a", "owners": [], "team": {"members": [{"id": "bo@example.com", "role": "engineer"}]}})
	denies(raw, facts) == {{"msg": "no current team member has the role \"owner\"", "path": "view.owners", "id": "ownership-missing-owner"}}
}

test_owner_who_left_does_not_count if {
	raw := {"id": "a", "support": support, "team": {"members": [{"username": "ana@example.com", "role": "owner", "dateOut": "2024-03-31"}]}}

	# meshgate leaves an owner with a dateOut out of view.owners
	facts := product("bitol-odps", {"id": "a", "owners": [], "support": support, "team": {"members": [{"id": "ana@example.com", "role": "owner", "date_out": "2024-03-31"}]}})
	ids(denies(raw, facts)) == {"ownership-missing-owner"}
	warns(raw, facts) == {{
		"msg": "team member ana@example.com is listed as owner but left the team on 2024-03-31",
		"path": ["view", "team", "members", 0, "date_out"],
		"id": "ownership-owner-left",
	}}
}

test_malformed_team if {
	facts := product("bitol-odps", {"id": "a", "owners": [], "support": support, "team": {}})
	ids(denies({"id": "a", "team": "orders", "support": support}, facts)) == {"ownership-malformed-team", "ownership-missing-owner"}
}

test_blank_owner_does_not_count if {
	facts := product("bitol-odps", {"id": "a", "owners": [" "], "support": support, "team": {"members": [{"id": " ", "role": "owner"}]}})
	ids(denies({"id": "a"}, facts)) == {"ownership-missing-owner"}
}

# ---------------------------------------------------------------------------
# DPDS
# ---------------------------------------------------------------------------

contact_points := [{"name": "orders-data", "channel": "email", "address": "orders-data@example.com"}]

test_dpds_owner_present_passes if {
	raw := {"dataProductDescriptor": "1.0.0", "info": {"name": "x", "owner": {"id": "orders-team@example.com", "name": "Orders team"}, "contactPoints": contact_points}}
	facts := product("dpds", {"name": "x", "owners": ["orders-team@example.com"], "support": contact_points})
	count(denies(raw, facts)) == 0
	count(warns(raw, facts)) == 0
}

test_dpds_missing_owner if {
	raw := {"dataProductDescriptor": "1.0.0", "info": {"name": "x", "contactPoints": contact_points}}
	facts := product("dpds", {"name": "x", "owners": [], "support": contact_points})
	denies(raw, facts) == {{"msg": "info.owner is missing; a DPDS product must name its owner", "path": "view.owners", "id": "ownership-missing-owner"}}
}

test_dpds_owner_named_without_id if {
	raw := {"dataProductDescriptor": "1.0.0", "info": {"name": "x", "owner": {"name": "Orders team"}, "contactPoints": contact_points}}

	# the view falls back to the name
	facts := product("dpds", {"name": "x", "owners": ["Orders team"], "support": contact_points})
	denies(raw, facts) == {{
		"msg": "info.owner.id is missing; a DPDS owner is identified by id, not only by its name \"Orders team\"",
		"path": "info.owner.id",
		"id": "ownership-owner-without-id",
	}}
}

test_dpds_owner_without_name_warns if {
	raw := {"dataProductDescriptor": "1.0.0", "info": {"name": "x", "owner": {"id": "orders-team@example.com"}}}
	facts := product("dpds", {"name": "x", "owners": ["orders-team@example.com"]})
	ids(warns(raw, facts)) == {"ownership-owner-without-name"}
}

# ---------------------------------------------------------------------------
# ODPI ODPS, DPS, Witboost: the owner from the view
# ---------------------------------------------------------------------------

test_odpi_data_holder if {
	raw := {"schema": "https://opendataproducts.org/v4.0/schema/odps.yaml", "version": 4, "product": {"dataHolder": {"en": {"email": "mkt@example.com"}}}}
	count(denies(raw, product("odpi-odps", {"owners": ["mkt@example.com"]}))) == 0
	count(warns(raw, product("odpi-odps", {"owners": ["mkt@example.com"]}))) == 0

	missing := denies({"product": {}}, product("odpi-odps", {"owners": []}))
	missing == {{"msg": "product.dataHolder names nobody; an ODPI ODPS product must name its data holder", "path": "view.owners", "id": "ownership-missing-owner"}}
}

test_dps_owner if {
	count(denies({"info": {"owner": "search-team"}}, product("dps", {"owners": ["search-team"]}))) == 0
	ids(denies({"info": {}}, product("dps", {"owners": []}))) == {"ownership-missing-owner"}
}

test_witboost_owner_and_owner_group if {
	raw := {"id": "urn:dmb:dp:finance:cash-flow:0", "dataProductOwner": "user:jane", "ownerGroup": "group:finance"}
	count(denies(raw, product("witboost", {"owners": ["user:jane"], "team": {"name": "group:finance"}}))) == 0

	# ownerGroup is not an owner
	no_owner := denies({"ownerGroup": "group:finance"}, product("witboost", {"owners": [], "team": {"name": "group:finance"}}))
	ids(no_owner) == {"ownership-missing-owner"}

	no_group := denies({"dataProductOwner": "user:jane"}, product("witboost", {"owners": ["user:jane"]}))
	no_group == {{"msg": "ownerGroup is missing: name the group that owns the product", "path": "view.team", "id": "ownership-missing-team"}}
}

test_custom_standard_is_skipped if {
	count(denies({"whatever": true}, custom)) == 0
	count(warns({"whatever": true}, custom)) == 0
}
