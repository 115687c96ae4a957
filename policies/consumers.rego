# METADATA
# title: Nothing active consumes a deprecated or retired product
# description: >-
#   An active product (status active, production or published, or no status)
#   must not build on a product that is going away. Each input port's contract
#   (the view's input_ports[].ref) is looked up in
#   data.meshgate.mesh.index.contract_statuses, the statuses of the products
#   offering each contract: consuming a retired
#   product is an error, a deprecated one (deprecated, sunset) a warning.
# custom:
#   severity: error
#   category: lifecycle
#   level: silver
#   standards: [bitol-odps, dpds]
#   remediation: >-
#     Move the input port to the successor's contract (the producer's
#     replacedBy), or stop consuming the deprecated product before its
#     sunset date.
package governance.consumers

import data.governance.lib

path := data.meshgate.product.path

applicable if {
	lib.active
	count(lib.view.input_ports) > 0
}

# [input port index, status, producer paths] for every input port whose
# contract is offered by products that are going away: one lookup per port
# and status in meshgate's index of the statuses of each contract's producers
# (data.meshgate.mesh.index.contract_statuses), however many products offer
# the contract. One finding per port and status, not per producer.
leaving contains [i, s, producers] if {
	lib.active
	some i, port in lib.view.input_ports
	lib.nonempty(port.ref)
	some s in leaving_statuses
	paths := lib.index.contract_statuses[port.ref][s]
	producers := [p | some p in paths; p != path]
	count(producers) > 0
}

leaving_statuses := lib.deprecated_statuses | lib.retired_statuses

# The producers for a message: the first, and how many more there are.
producers_text(ps) := ps[0] if {
	count(ps) == 1
} else := sprintf("%s (and %d other product(s) offering the contract)", [ps[0], count(ps) - 1])

deny contains {
	"msg": sprintf("input port \"%s\" consumes %s, which is %s", [lib.port_label(lib.view.input_ports[i], i), producers_text(ps), s]),
	"path": ["view", "input_ports", i, "ref"],
	"id": "consumes-leaving-product",
	"severity": severity[s],
} if {
	some [i, s, ps] in leaving
}

severity := {"retired": "error", "deprecated": "warning", "sunset": "warning"}
