package governance.mesh_test

a_path := "domains/orders/products/order-events/dataproduct.yaml"

b_path := "domains/logistics/products/shipment-tracking/dataproduct.yaml"

c_path := "domains/logistics/products/fleet/fleet.dpds.json"

product_a := {"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "prod-a", "outputPorts": [{"name": "order-placed", "version": "1.0.0", "contractId": "contract-orders-1"}]}

product_b := {"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "prod-b", "inputPorts": [
	{"name": "orders", "version": "1.0.0", "contractId": "contract-orders-1"},
	{"name": "fleet", "version": "1.0.0", "contractId": "contract-fleet-1"},
]}

product_c := {"dataProductDescriptor": "1.0.0", "info": {"fullyQualifiedName": "urn:dpds:acme:dataproducts:fleet:1", "name": "fleet"}, "interfaceComponents": {"outputPorts": [{"name": "positions", "version": "1.0.0", "x-contractId": "contract-fleet-1"}]}}

facts(path, domain, standard) := {"path": path, "domain": domain, "standard": standard, "format": "yaml"}

entry(path, domain, standard, descriptor) := object.union(facts(path, domain, standard), {"descriptor": descriptor})

# The mesh of the three products, with `b` as product b's descriptor, and the
# index meshgate builds over it (ids and offered output contracts).
mesh_with(b) := {
	"domains": {},
	"products": {
		a_path: entry(a_path, "orders", "bitol-odps", product_a),
		b_path: entry(b_path, "logistics", "bitol-odps", b),
		c_path: entry(c_path, "logistics", "dpds", product_c),
	},
	"index": {
		"product_ids": ids_with(b),
		"output_contracts": {"contract-orders-1": [a_path], "contract-fleet-1": [c_path]},
	},
}

ids_with(b) := {"prod-a": [a_path, b_path], "urn:dpds:acme:dataproducts:fleet:1": [c_path]} if b.id == "prod-a"

ids_with(b) := {"prod-a": [a_path], b.id: [b_path], "urn:dpds:acme:dataproducts:fleet:1": [c_path]} if b.id != "prod-a"

mesh := mesh_with(product_b)

test_input_contracts_offered_by_odps_and_dpds_ports if {
	denies := data.governance.mesh.deny with input as product_b
		with data.meshgate.product as facts(b_path, "logistics", "bitol-odps")
		with data.meshgate.mesh as mesh
	count(denies) == 0
}

test_unknown_input_contract if {
	product := object.union(product_b, {"inputPorts": [
		{"name": "orders", "version": "1.0.0", "contractId": "contract-orders-1"},
		{"name": "fleet", "version": "1.0.0", "contractId": "contract-nobody"},
	]})
	denies := data.governance.mesh.deny with input as product
		with data.meshgate.product as facts(b_path, "logistics", "bitol-odps")
		with data.meshgate.mesh as mesh_with(product)
	denies == {{
		"msg": "input port \"fleet\" consumes contract contract-nobody, which no output port in the mesh offers",
		"path": "inputPorts[1].contractId",
		"id": "mesh-unknown-input-contract",
	}}
}

test_duplicate_ids_are_reported_on_both_products_with_the_other_path if {
	dup := object.union(product_b, {"id": "prod-a"})
	m := mesh_with(dup)
	on_a := data.governance.mesh.deny with input as product_a
		with data.meshgate.product as facts(a_path, "orders", "bitol-odps")
		with data.meshgate.mesh as m
	on_b := data.governance.mesh.deny with input as dup
		with data.meshgate.product as facts(b_path, "logistics", "bitol-odps")
		with data.meshgate.mesh as m
	on_a == {{"msg": sprintf("product id prod-a is also used by %s", [b_path]), "path": "id", "id": "mesh-duplicate-product-id"}}
	on_b == {{"msg": sprintf("product id prod-a is also used by %s", [a_path]), "path": "id", "id": "mesh-duplicate-product-id"}}
}

test_a_product_is_not_its_own_duplicate if {
	denies := data.governance.mesh.deny with input as product_c
		with data.meshgate.product as facts(c_path, "logistics", "dpds")
		with data.meshgate.mesh as mesh
	count(denies) == 0
}

test_no_mesh_data_means_every_input_is_unknown if {
	denies := data.governance.mesh.deny with input as product_b
		with data.meshgate.product as facts(b_path, "logistics", "bitol-odps")
		with data.meshgate.mesh as {"domains": {}, "products": {}}
	count(denies) == 2
}
