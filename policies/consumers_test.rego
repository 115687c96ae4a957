package governance.consumers_test

import data.governance.lib_test.entry
import data.governance.lib_test.product_in

old := product_in("inventory", "warehouse-snapshots", "bitol-odps", {"status": "deprecated"})

gone := product_in("inventory", "legacy-stock", "dpds", {"status": "retired"})

live := product_in("inventory", "supplier-catalog", "bitol-odps", {"status": "active"})

mesh := {
	"domains": {},
	"products": {old.path: entry(old, {}), gone.path: entry(gone, {}), live.path: entry(live, {})},
	"index": {
		"output_contracts": {"c-old": [old.path], "c-gone": [gone.path], "c-live": [live.path]},
		"contract_statuses": {"c-old": {"deprecated": [old.path]}, "c-gone": {"retired": [gone.path]}, "c-live": {"active": [live.path]}},
	},
}

denies(facts) := found if {
	found := data.governance.consumers.deny with data.meshgate.product as facts with data.meshgate.mesh as mesh
}

test_consuming_active_products_passes if {
	count(denies(product_in("inventory", "stock-levels", "bitol-odps", {"status": "active", "input_ports": [{"name": "s", "ref": "c-live"}]}))) == 0
}

test_consuming_leaving_products_fails if {
	facts := product_in("inventory", "stock-levels", "dpds", {"input_ports": [
		{"name": "snapshots", "ref": "c-old"},
		{"name": "legacy", "ref": "c-gone"},
		{"name": "suppliers", "ref": "c-live"},
	]})
	denies(facts) == {
		{"msg": "input port \"snapshots\" consumes domains/inventory/products/warehouse-snapshots/dataproduct.yaml, which is deprecated", "path": ["view", "input_ports", 0, "ref"], "id": "consumes-leaving-product", "severity": "warning"},
		{"msg": "input port \"legacy\" consumes domains/inventory/products/legacy-stock/dataproduct.yaml, which is retired", "path": ["view", "input_ports", 1, "ref"], "id": "consumes-leaving-product", "severity": "error"},
	}
}

test_one_finding_per_port_however_many_producers if {
	other := "domains/inventory/products/warehouse-snapshots-eu/dataproduct.yaml"
	m := object.union(mesh, {"index": {"contract_statuses": {"c-old": {"deprecated": [old.path, other]}}}})
	facts := product_in("inventory", "stock-levels", "bitol-odps", {"status": "active", "input_ports": [{"name": "snapshots", "ref": "c-old"}]})
	found := data.governance.consumers.deny with data.meshgate.product as facts with data.meshgate.mesh as m
	found == {{"msg": "input port \"snapshots\" consumes domains/inventory/products/warehouse-snapshots/dataproduct.yaml (and 1 other product(s) offering the contract), which is deprecated", "path": ["view", "input_ports", 0, "ref"], "id": "consumes-leaving-product", "severity": "warning"}}
}

test_a_draft_consumer_is_not_checked if {
	facts := product_in("inventory", "next", "bitol-odps", {"status": "draft", "input_ports": [{"name": "x", "ref": "c-gone"}]})
	count(denies(facts)) == 0
	not data.governance.consumers.applicable with data.meshgate.product as facts
}
