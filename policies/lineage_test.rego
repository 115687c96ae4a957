package governance.lineage_test

import data.governance.lib_test.product_in

a := product_in("customers", "customer-profile", "bitol-odps", {"input_ports": [{"name": "orders", "ref": "c-b"}]})

b := product_in("orders", "order-events", "bitol-odps", {"input_ports": [{"name": "profiles", "ref": "c-a"}]})

c := product_in("orders", "order-summary", "dpds", {"input_ports": [{"name": "events", "ref": "c-b"}]})

index := {
	"output_contracts": {"c-a": [a.path], "c-b": [b.path]},
	"dependency_cycles": {a.path: [a.path, b.path], b.path: [a.path, b.path]},
}

denies(facts) := found if {
	found := data.governance.lineage.deny with data.meshgate.product as facts with data.meshgate.mesh as {"index": index}
}

test_a_cycle_fails_on_both_products if {
	denies(a) == {{
		"msg": "input port \"orders\" consumes domains/orders/products/order-events/dataproduct.yaml, which itself depends on this product: a dependency cycle",
		"path": ["view", "input_ports", 0, "ref"],
		"id": "lineage-cycle",
	}}
	count(denies(b)) == 1
}

test_downstream_of_a_cycle_passes if {
	count(denies(c)) == 0
}

test_self_dependency_is_a_cycle if {
	self := product_in("orders", "loop", "dpds", {"input_ports": [{"name": "own", "ref": "c-self"}]})
	idx := {"output_contracts": {"c-self": [self.path]}, "dependency_cycles": {self.path: [self.path]}}
	found := data.governance.lineage.deny with data.meshgate.product as self with data.meshgate.mesh as {"index": idx}
	count(found) == 1
}

test_not_applicable_without_input_ports if {
	not data.governance.lineage.applicable with data.meshgate.product as product_in("x", "y", "dpds", {"input_ports": []})
}
