package governance.mesh_test

a_path := "domains/orders/products/order-events/dataproduct.yaml"

b_path := "domains/logistics/products/shipment-tracking/dataproduct.yaml"

c_path := "domains/logistics/products/fleet/fleet.dpds.json"

# Each product: its descriptor (input) and the normalized view meshgate builds
# from it (src/view.rs).
a_input := {"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "prod-a", "outputPorts": [{"name": "order-placed", "version": "1.0.0", "contractId": "contract-orders-1"}]}

a_view := {"standard": "bitol-odps", "id": "prod-a", "owners": [], "output_ports": [{"name": "order-placed", "contract": "contract-orders-1"}]}

b_input := {"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "prod-b", "inputPorts": [
	{"name": "orders", "version": "1.0.0", "contractId": "contract-orders-1"},
	{"name": "fleet", "version": "1.0.0", "contractId": "contract-fleet-1"},
]}

b_view := {"standard": "bitol-odps", "id": "prod-b", "owners": [], "input_ports": [
	{"name": "orders", "ref": "contract-orders-1"},
	{"name": "fleet", "ref": "contract-fleet-1"},
]}

c_input := {"dataProductDescriptor": "1.0.0", "info": {"fullyQualifiedName": "urn:dpds:acme:dataproducts:fleet:1", "name": "fleet"}, "interfaceComponents": {"outputPorts": [{"name": "positions", "version": "1.0.0", "x-contractId": "contract-fleet-1"}]}}

c_view := {"standard": "dpds", "id": "urn:dpds:acme:dataproducts:fleet:1", "name": "fleet", "owners": [], "output_ports": [{"name": "positions", "contract": "contract-fleet-1"}]}

facts(path, domain, view) := {"path": path, "domain": domain, "standard": view.standard, "format": "yaml", "view": view}

entry(path, domain, descriptor, view) := object.union(facts(path, domain, view), {"descriptor": descriptor})

# The mesh of the three products and the index meshgate builds over their
# views (view.id, view.output_ports[].contract).
mesh := {
	"domains": {},
	"products": {
		a_path: entry(a_path, "orders", a_input, a_view),
		b_path: entry(b_path, "logistics", b_input, b_view),
		c_path: entry(c_path, "logistics", c_input, c_view),
	},
	"index": {
		"product_ids": {"prod-a": [a_path], "prod-b": [b_path], "urn:dpds:acme:dataproducts:fleet:1": [c_path]},
		"output_contracts": {"contract-orders-1": [a_path], "contract-fleet-1": [c_path]},
	},
}

# The mesh's findings on a product at `path` with this descriptor and view.
denies(path, raw, view) := found if {
	found := data.governance.mesh.deny with input as raw
		with data.meshgate.product as facts(path, "logistics", view)
		with data.meshgate.mesh as mesh
}

test_input_contracts_offered_by_odps_and_dpds_ports if {
	count(denies(b_path, b_input, b_view)) == 0
}

test_unknown_input_contract if {
	raw := object.union(b_input, {"inputPorts": [
		{"name": "orders", "version": "1.0.0", "contractId": "contract-orders-1"},
		{"name": "fleet", "version": "1.0.0", "contractId": "contract-nobody"},
	]})
	view := object.union(b_view, {"input_ports": [
		{"name": "orders", "ref": "contract-orders-1"},
		{"name": "fleet", "ref": "contract-nobody"},
	]})
	denies(b_path, raw, view) == {{
		"msg": "input port \"fleet\" consumes contract contract-nobody, which no output port in the mesh offers",
		"path": ["view", "input_ports", 1, "ref"],
		"id": "mesh-unknown-input-contract",
	}}
}

test_odps_input_without_contract if {
	raw := {"id": "prod-b", "inputPorts": [{"name": "orders", "version": "1.0.0"}]}
	view := object.union(b_view, {"input_ports": [{"name": "orders"}]})
	denies(b_path, raw, view) == {{
		"msg": "input port \"orders\" names no contractId, so its source cannot be traced",
		"path": ["view", "input_ports", 0, "ref"],
		"id": "mesh-input-without-contract",
	}}
}

test_dpds_input_contracts_are_checked_and_optional if {
	raw := {"dataProductDescriptor": "1.0.0", "info": {"name": "d"}, "interfaceComponents": {"inputPorts": [
		{"name": "orders", "x-contractId": "contract-orders-1"},
		{"name": "legacy", "x-contractId": "contract-gone"},
		{"name": "raw-feed"},
	]}}
	view := {"standard": "dpds", "name": "d", "owners": [], "input_ports": [
		{"name": "orders", "ref": "contract-orders-1"},
		{"name": "legacy", "ref": "contract-gone"},
		{"name": "raw-feed"},
	]}
	findings := denies("domains/logistics/products/d/d.dpds.yaml", raw, view)
	{[f.id, f.path] | some f in findings} == {["mesh-unknown-input-contract", ["view", "input_ports", 1, "ref"]]}
}

test_dps_source_systems_are_not_contracts if {
	raw := {"dataProductSpecification": "0.0.1", "id": "search-queries", "inputPorts": [{"id": "log", "name": "Query log", "sourceSystemId": "search-service"}]}
	view := {"standard": "dps", "id": "search-queries", "owners": [], "input_ports": [{"name": "Query log", "ref": "search-service"}]}
	count(denies("domains/search/products/search-queries/dataproduct.yaml", raw, view)) == 0
}

test_duplicate_ids_are_left_to_meshgate if {
	# meshgate reports the same product twice itself (meshgate.layout duplicate-product)
	m := object.union(mesh, {"index": {"product_ids": {"prod-a": [a_path, b_path]}}})
	denies_on_a := data.governance.mesh.deny with input as a_input
		with data.meshgate.product as facts(a_path, "orders", a_view)
		with data.meshgate.mesh as m
	count(denies_on_a) == 0
}

test_no_mesh_data_means_every_input_is_unknown if {
	findings := data.governance.mesh.deny with input as b_input
		with data.meshgate.product as facts(b_path, "logistics", b_view)
		with data.meshgate.mesh as {"domains": {}, "products": {}}
	count(findings) == 2
}

test_custom_standard_is_skipped if {
	findings := data.governance.mesh.deny with input as b_input
		with data.meshgate.product as {"path": b_path, "domain": "logistics", "standard": "custom", "format": "yaml"}
		with data.meshgate.mesh as mesh
	count(findings) == 0
}
