# METADATA
# title: Products do not depend on each other in a cycle
# description: >-
#   Lineage must be a directed acyclic graph: a product that (directly or
#   through others) consumes its own output cannot be rebuilt from its
#   sources, and its freshness is undefined. The dependency graph is meshgate's
#   index data.meshgate.mesh.index.dependencies (a product's input port
#   contracts resolved to the products offering them), walked once per product
#   with graph.reachable.
# custom:
#   severity: error
#   category: lineage
#   level: gold
#   standards: [bitol-odps, dpds]
#   remediation: >-
#     Break the cycle: one of the products must stop consuming the other (for
#     example, split the shared data into a product of its own that both
#     consume).
package governance.lineage

import data.governance.lib

path := data.meshgate.product.path

deps := lib.index.dependencies

applicable if deps[path]

# The product reaches itself through its dependencies.
cyclic if path in graph.reachable(deps, deps[path])

deny contains {
	"msg": sprintf("input port \"%s\" consumes %s, which itself depends on this product: a dependency cycle", [lib.port_label(port, i), p]),
	"path": ["view", "input_ports", i, "ref"],
	"id": "lineage-cycle",
} if {
	cyclic
	some i, port in lib.view.input_ports
	lib.nonempty(port.ref)
	some p in lib.index.output_contracts[port.ref]
	path in graph.reachable(deps, [p])
}
