# METADATA
# title: Output ports are governed by a well-formed data contract
# description: >-
#   Every output port of an active product names the data contract that
#   governs it (the view's output_ports[].contract: Bitol ODPS contractId, DPDS
#   x-contractId, DPS dataContractId, Witboost dataContract), and a contract id
#   is well-formed: at most max_length (default 128) characters of letters,
#   digits and . _ : / - (a UUID, a URN or a slug), so that it can be looked
#   up in a contract registry.
# custom:
#   severity: error
#   category: interoperability
#   level: gold
#   standards: [bitol-odps, dpds, dps, witboost]
#   remediation:
#     bitol-odps: Set the output port's contractId to the id of its data contract.
#     dpds: Set the output port's x-contractId to the id of its data contract.
#     dps: Set the output port's dataContractId.
#     witboost: Add the output port's dataContract.
#     default: Name the data contract of every output port.
package governance.contracts

import data.governance.lib

defaults := {"max_length": 128}

params := lib.params("governance.contracts", defaults)

standards := {"bitol-odps", "dpds", "dps", "witboost"}

id_chars := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/-"

applicable if {
	lib.standard in standards
	count(lib.view.output_ports) > 0
}

deny contains {
	"msg": sprintf("output port \"%s\" names no data contract", [lib.port_label(port, i)]),
	"path": ["view", "output_ports", i, "contract"],
	"id": "contract-missing",
} if {
	lib.standard in standards
	lib.active
	some i, port in lib.view.output_ports
	is_object(port)
	not port.contract
}

deny contains {
	"msg": sprintf("contract id \"%s\" of output port \"%s\" is not well-formed (letters, digits and . _ : / -, at most %d characters)", [port.contract, lib.port_label(port, i), params.max_length]),
	"path": ["view", "output_ports", i, "contract"],
	"id": "contract-id-malformed",
} if {
	lib.standard in standards
	some i, port in lib.view.output_ports
	is_string(port.contract)
	malformed(port.contract)
}

malformed(c) if trim(c, id_chars) != ""

malformed(c) if c == ""

malformed(c) if count(c) > params.max_length
