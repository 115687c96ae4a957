package governance.naming_test

odps := {"path": "domains/orders/products/order-events/dataproduct.yaml", "domain": "orders", "standard": "bitol-odps", "format": "yaml"}

dpds := {"path": "domains/orders/products/daily-order-summary/daily-order-summary.dpds.yaml", "domain": "orders", "standard": "dpds", "format": "yaml"}

ids(findings) := {f.id | some f in findings; is_object(f)}

dpds_product(info) := {"dataProductDescriptor": "1.0.0", "info": info, "interfaceComponents": {"outputPorts": [{
	"fullyQualifiedName": "urn:dpds:acme:dataproducts:daily-order-summary:2:outputports:daily-summary",
	"name": "daily-summary",
	"version": "2.1.0",
}]}}

good_info := {
	"fullyQualifiedName": "urn:dpds:acme:dataproducts:daily-order-summary:2",
	"name": "daily-order-summary",
	"version": "2.1.0",
	"domain": "orders",
	"owner": {"id": "orders-team@example.com"},
}

test_kebab_case_name_passes if {
	count(data.governance.naming.deny) == 0 with input as {"id": "3f1c9a52-7d1e-4b8a-9c55-0d2e6f4a8b11", "name": "order-events"} with data.meshgate.product as odps
}

test_name_with_spaces_and_capitals_fails if {
	denies := data.governance.naming.deny with input as {"id": "a", "name": "Order Events"} with data.meshgate.product as odps
	ids(denies) == {"naming-name-not-kebab-case"}
}

test_snake_case_and_dangling_dashes_fail if {
	every name in ["order_events", "-orders", "orders-", "order--events", "ordersÄ"] {
		denies := data.governance.naming.deny with input as {"id": "a", "name": name} with data.meshgate.product as odps
		ids(denies) == {"naming-name-not-kebab-case"}
	}
}

test_missing_name if {
	denies := data.governance.naming.deny with input as {"id": "a"} with data.meshgate.product as odps
	some f in denies
	f.id == "naming-missing-name"
	f.path == "name"
}

test_upper_case_id_fails if {
	denies := data.governance.naming.deny with input as {"id": "ORD-1", "name": "orders"} with data.meshgate.product as odps
	ids(denies) == {"naming-id-format"}
}

test_dpds_good_fqn_passes if {
	count(data.governance.naming.deny) == 0 with input as dpds_product(good_info) with data.meshgate.product as dpds
	count(data.governance.naming.warn) == 0 with input as dpds_product(good_info) with data.meshgate.product as dpds
}

test_dpds_fqn_wrong_shape if {
	info := object.union(good_info, {"fullyQualifiedName": "acme.daily-order-summary"})
	denies := data.governance.naming.deny with input as dpds_product(info) with data.meshgate.product as dpds
	ids(denies) == {"naming-fqn-format"}
}

test_dpds_fqn_major_mismatch if {
	info := object.union(good_info, {"version": "3.0.0"})
	denies := data.governance.naming.deny with input as dpds_product(info) with data.meshgate.product as dpds
	ids(denies) == {"naming-fqn-major-mismatch"}
}

test_dpds_fqn_name_mismatch if {
	info := object.union(good_info, {"fullyQualifiedName": "urn:dpds:acme:dataproducts:order-summary:2"})
	denies := data.governance.naming.deny with input as dpds_product(info) with data.meshgate.product as dpds
	ids(denies) == {"naming-fqn-name-mismatch"}

	# the port no longer sits under the product's name
	warns := data.governance.naming.warn with input as dpds_product(info) with data.meshgate.product as dpds
	ids(warns) == {"naming-port-fqn-prefix"}
}

test_dpds_camel_case_name if {
	info := object.union(good_info, {"name": "dailyOrderSummary", "fullyQualifiedName": "urn:dpds:acme:dataproducts:dailyOrderSummary:2"})
	denies := data.governance.naming.deny with input as dpds_product(info) with data.meshgate.product as dpds
	ids(denies) == {"naming-name-not-kebab-case"}
}
