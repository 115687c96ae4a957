# METADATA
# title: The mesh is consistent across data products
# description: >-
#   Checks that need the whole mesh (data.meshgate.mesh). An input port that
#   consumes a data contract (the view's input_ports[].ref: Bitol ODPS
#   inputPorts[].contractId, DPDS x-contractId) must consume one that some
#   product of the mesh, of any standard, offers on an output port (the view's
#   output_ports[].contract: Bitol ODPS contractId, DPDS x-contractId, DPS
#   dataContractId). Bitol ODPS input ports must name their contract. DPS input
#   ports name a source system or output port, not a contract, and ODPI ODPS
#   and Witboost descriptors have no input ports, so they are not checked.
#   (Products declared twice are reported by meshgate itself, as
#   meshgate.layout duplicate-product.)
# custom:
#   severity: error
#   level: silver
#   standards: [bitol-odps, dpds]
#   category: mesh
#   remediation: >-
#     Point the input port (Bitol ODPS contractId, DPDS x-contractId) at a
#     contract that an existing output port offers (Bitol ODPS contractId, DPDS
#     x-contractId, DPS dataContractId), or add the producing product to the
#     mesh.
package governance.mesh

import data.governance.lib

standard := data.meshgate.product.standard

# The normalized view; absent for custom descriptors, so every rule on it is
# silent for them.
view := data.meshgate.product.view

# Standards whose view.input_ports[].ref is a data contract id. (A DPS ref is
# a sourceSystemId or sourceOutputPortId: a system or a port, not a contract.)
contract_refs := {"bitol-odps", "dpds"}

# Whether some output port anywhere in the mesh offers the contract. The
# lookup goes through meshgate's index (data.meshgate.mesh.index), built from
# every product's view.output_ports[].contract, so it costs the same in a mesh
# of 10 products or 10,000: scanning every product for every product would be
# quadratic.
offered(cid) if data.meshgate.mesh.index.output_contracts[cid]

deny contains {
	"msg": sprintf("input port \"%s\" consumes contract %s, which no output port in the mesh offers", [lib.port_label(port, i), port.ref]),
	"path": ["view", "input_ports", i, "ref"],
	"id": "mesh-unknown-input-contract",
} if {
	standard in contract_refs
	some i, port in view.input_ports
	lib.nonempty(port.ref)
	not offered(port.ref)
}

# Bitol ODPS requires inputPorts[].contractId; the DPDS x-contractId is an
# optional extension.
deny contains {
	"msg": sprintf("input port \"%s\" names no contractId, so its source cannot be traced", [lib.port_label(port, i)]),
	"path": ["view", "input_ports", i, "ref"],
	"id": "mesh-input-without-contract",
} if {
	standard == "bitol-odps"
	some i, port in view.input_ports
	is_object(port)
	not lib.text(port, "ref")
}
