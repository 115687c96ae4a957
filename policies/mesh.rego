# METADATA
# title: The mesh is consistent across data products
# description: >-
#   Checks that need the whole mesh (data.meshgate.mesh). Every Bitol ODPS input
#   port must consume a contract that some product of the mesh offers on an
#   output port (ODPS outputPorts[].contractId, or the extension
#   `x-contractId` of a DPDS output port), and product ids (ODPS id, DPDS
#   info.fullyQualifiedName) are unique across the mesh.
# custom:
#   severity: error
#   category: mesh
#   remediation: >-
#     Point the input port at a contract that an existing output port offers (or
#     add the producing product to the mesh), and give each product its own id.
package governance.mesh

standard := data.meshgate.product.standard

here := data.meshgate.product.path

nonempty(s) if {
	is_string(s)
	trim_space(s) != ""
}

# True when obj[key] is a non-blank string. Negate it as `not text(obj, "key")`
# with obj always defined, never as `not nonempty(obj.key)`: OPA hoists a
# reference out of a negated call, so the negation of a call on an undefined
# reference is undefined, not true.
text(obj, key) if nonempty(obj[key])

my_id := input.id if {
	standard == "bitol-odps"
	nonempty(input.id)
}

my_id := input.info.fullyQualifiedName if {
	standard == "dpds"
	nonempty(input.info.fullyQualifiedName)
}

my_id_path := "id" if standard == "bitol-odps"

my_id_path := "info.fullyQualifiedName" if standard == "dpds"

# Whether some output port anywhere in the mesh offers the contract. The
# lookup goes through meshgate's index (data.meshgate.mesh.index), so it costs
# the same in a mesh of 10 products or 10,000: scanning every product for
# every product would be quadratic.
offered(cid) if data.meshgate.mesh.index.output_contracts[cid]

deny contains {
	"msg": sprintf("input port \"%s\" consumes contract %s, which no output port in the mesh offers", [port_label(port, i), port.contractId]),
	"path": sprintf("inputPorts[%d].contractId", [i]),
	"id": "mesh-unknown-input-contract",
} if {
	standard == "bitol-odps"
	some i, port in input.inputPorts
	nonempty(port.contractId)
	not offered(port.contractId)
}

deny contains {
	"msg": sprintf("input port \"%s\" names no contractId, so its source cannot be traced", [port_label(port, i)]),
	"path": sprintf("inputPorts[%d].contractId", [i]),
	"id": "mesh-input-without-contract",
} if {
	standard == "bitol-odps"
	some i, port in input.inputPorts
	not text(port, "contractId")
}

deny contains {
	"msg": sprintf("product id %s is also used by %s", [my_id, other_path]),
	"path": my_id_path,
	"id": "mesh-duplicate-product-id",
} if {
	my_id
	some other_path in data.meshgate.mesh.index.product_ids[my_id]
	other_path != here
}

port_label(port, i) := port.name if {
	nonempty(port.name)
} else := sprintf("#%d", [i])
