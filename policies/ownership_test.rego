package governance.ownership_test

odps := {"path": "domains/orders/products/order-events/dataproduct.yaml", "domain": "orders", "standard": "bitol-odps", "format": "yaml"}

dpds := {"path": "domains/orders/products/daily-order-summary/daily-order-summary.dpds.yaml", "domain": "orders", "standard": "dpds", "format": "yaml"}

custom := {"path": "domains/orders/products/legacy/dataproduct.yaml", "domain": "orders", "standard": "custom", "format": "yaml"}

support := [{"channel": "#orders-data", "url": "https://chat.example.com/orders-data"}]

ids(findings) := {f.id | some f in findings; is_object(f)}

test_odps_v1_team_with_owner_passes if {
	product := {"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "a", "support": support, "team": {
		"name": "Orders",
		"members": [
			{"username": "ana@example.com", "role": "owner"},
			{"username": "bo@example.com", "role": "data steward"},
		],
	}}
	count(data.governance.ownership.deny) == 0 with input as product with data.meshgate.product as odps
	count(data.governance.ownership.warn) == 0 with input as product with data.meshgate.product as odps
}

test_odps_v09_team_list_with_owner_passes if {
	product := {"apiVersion": "v0.9.0", "kind": "DataProduct", "id": "a", "support": support, "team": [{"username": "ana@example.com", "role": "Owner"}]}
	count(data.governance.ownership.deny) == 0 with input as product with data.meshgate.product as odps
}

test_odps_missing_team if {
	denies := data.governance.ownership.deny with input as {"id": "a"} with data.meshgate.product as odps
	denies == {{"msg": "the product has no team, so nobody is accountable for it", "path": "team", "id": "ownership-missing-team"}}
}

test_odps_v1_team_without_owner_points_at_members if {
	product := {"id": "a", "team": {"name": "Orders", "members": [{"username": "bo@example.com", "role": "data steward"}]}}
	denies := data.governance.ownership.deny with input as product with data.meshgate.product as odps
	some f in denies
	f.id == "ownership-missing-owner"
	f.path == ["team", "members"]
}

test_odps_v09_team_without_owner_points_at_team if {
	product := {"id": "a", "team": [{"username": "bo@example.com", "role": "engineer"}]}
	denies := data.governance.ownership.deny with input as product with data.meshgate.product as odps
	some f in denies
	f.id == "ownership-missing-owner"
	f.path == ["team"]
}

test_owner_who_left_does_not_count if {
	product := {"id": "a", "support": support, "team": {"members": [{"username": "ana@example.com", "role": "owner", "dateOut": "2024-03-31"}]}}
	denies := data.governance.ownership.deny with input as product with data.meshgate.product as odps
	warns := data.governance.ownership.warn with input as product with data.meshgate.product as odps
	ids(denies) == {"ownership-missing-owner"}
	some w in warns
	w.id == "ownership-owner-left"
	w.path == ["team", "members", 0, "dateOut"]
}

test_role_that_is_not_a_string_is_ignored if {
	product := {"id": "a", "team": [{"username": "ana@example.com", "role": 7}]}
	denies := data.governance.ownership.deny with input as product with data.meshgate.product as odps
	ids(denies) == {"ownership-missing-owner"}
}

test_dpds_owner_id_required if {
	product := {"dataProductDescriptor": "1.0.0", "info": {"name": "x", "owner": {"name": "Orders team"}}}
	denies := data.governance.ownership.deny with input as product with data.meshgate.product as dpds
	some f in denies
	f.id == "ownership-missing-owner"
	f.path == "info.owner.id"
}

test_dpds_owner_present_passes if {
	product := {"dataProductDescriptor": "1.0.0", "info": {
		"name": "x",
		"owner": {"id": "orders-team@example.com", "name": "Orders team"},
		"contactPoints": [{"name": "orders-data", "channel": "email", "address": "orders-data@example.com"}],
	}}
	count(data.governance.ownership.deny) == 0 with input as product with data.meshgate.product as dpds
	count(data.governance.ownership.warn) == 0 with input as product with data.meshgate.product as dpds
}

test_custom_standard_is_skipped if {
	count(data.governance.ownership.deny) == 0 with input as {"whatever": true} with data.meshgate.product as custom
	count(data.governance.ownership.warn) == 0 with input as {"whatever": true} with data.meshgate.product as custom
}
