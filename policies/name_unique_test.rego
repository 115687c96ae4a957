package governance.name_unique_test

import data.governance.lib_test.product_in

a := product_in("orders", "order-events", "bitol-odps", {"name": "order-events"})

b := product_in("orders", "order-events-v2", "dpds", {"name": "order-events"})

c := product_in("logistics", "order-events", "dps", {"name": "order-events"})

index := {"product_names": {
	"orders": {"order-events": [a.path, b.path]},
	"logistics": {"order-events": [c.path]},
}}

denies(facts) := found if {
	found := data.governance.name_unique.deny with data.meshgate.product as facts
		with data.meshgate.mesh as {"domains": {}, "products": {}, "index": index}
}

test_same_name_twice_in_a_domain_fails if {
	denies(a) == {{
		"msg": "name \"order-events\" is also used by 1 other product(s) of domain orders, e.g. domains/orders/products/order-events-v2/dataproduct.yaml",
		"path": "view.name",
		"id": "name-not-unique-in-domain",
	}}
	count(denies(b)) == 1
}

test_same_name_in_another_domain_passes if {
	count(denies(c)) == 0
}

test_applicable_only_with_a_name if {
	data.governance.name_unique.applicable with data.meshgate.product as a
	not data.governance.name_unique.applicable with data.meshgate.product as product_in("orders", "x", "witboost", {"id": "urn:dmb:dp:orders:x:1"})
}
