# METADATA
# title: Products do not depend on each other in a cycle
# description: >-
#   Lineage must be a directed acyclic graph: a product that (directly or
#   through others) consumes its own output cannot be rebuilt from its
#   sources, and its freshness is undefined. A product depends on the products
#   whose output contracts its input ports consume; meshgate computes the
#   cycles of that graph once for the whole mesh
#   (data.meshgate.mesh.index.dependency_cycles: a product's cycle, by path),
#   so the rule is a lookup per product rather than a walk of the graph per
#   product (graph.reachable from every product is quadratic in a mesh where
#   many products share contracts).
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

# The products on this product's cycle (itself included), when it is on one.
cycle := {p | some p in lib.index.dependency_cycles[path]}

applicable if count(lib.view.input_ports) > 0

# The products offering input port i's contract that are on this product's
# cycle: one finding per port, however many products offer the contract.
cyclic_producers(port) := [p | some p in lib.index.output_contracts[port.ref]; p in cycle]

producers_text(ps) := ps[0] if {
	count(ps) == 1
} else := sprintf("%s (and %d other product(s) offering the contract)", [ps[0], count(ps) - 1])

deny contains {
	"msg": sprintf("input port \"%s\" consumes %s, which itself depends on this product: a dependency cycle", [lib.port_label(port, i), producers_text(ps)]),
	"path": ["view", "input_ports", i, "ref"],
	"id": "lineage-cycle",
} if {
	count(cycle) > 0
	some i, port in lib.view.input_ports
	lib.nonempty(port.ref)
	ps := cyclic_producers(port)
	count(ps) > 0
}
