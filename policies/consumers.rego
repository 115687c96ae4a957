# METADATA
# title: Nothing active consumes a deprecated or retired product
# description: >-
#   An active product (status active, production or published, or no status)
#   must not build on a product that is going away. Each input port's contract
#   (the view's input_ports[].ref) is looked up in
#   data.meshgate.mesh.index.output_contracts, and the status of every product
#   offering it is read from data.meshgate.mesh.products: consuming a retired
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

# [input port index, producer path, producer status] for every producer of an
# input port's contract that is going away.
leaving contains [i, p, s] if {
	lib.active
	some i, port in lib.view.input_ports
	lib.nonempty(port.ref)
	some p in lib.index.output_contracts[port.ref]
	p != path
	status := lib.mesh.products[p].view.status
	is_string(status)
	s := lower(status)
	s in (lib.deprecated_statuses | lib.retired_statuses)
}

deny contains {
	"msg": sprintf("input port \"%s\" consumes %s, which is %s", [lib.port_label(lib.view.input_ports[i], i), p, s]),
	"path": ["view", "input_ports", i, "ref"],
	"id": "consumes-leaving-product",
	"severity": severity[s],
} if {
	some [i, p, s] in leaving
}

severity := {"retired": "error", "deprecated": "warning", "sunset": "warning"}
