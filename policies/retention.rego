# METADATA
# title: Personal data has a retention period
# description: >-
#   An output port that carries personal data (the view's output_ports[].pii,
#   or a port tag "pii") must say how long the data is kept (the view's
#   output_ports[].retention: Bitol ODPS custom property "retention" /
#   "retentionPeriod", DPDS x-retention, Witboost
#   dataSharingAgreement.lifeCycle), so that erasure obligations can be met.
#   Its classification is checked by governance.pii.
# custom:
#   severity: error
#   category: privacy
#   level: silver
#   standards: [bitol-odps, dpds, witboost]
#   remediation:
#     bitol-odps: "Add a custom property to the port: {property: retention, value: P2Y}."
#     dpds: Add x-retention (an ISO 8601 duration such as P2Y) to the output port.
#     witboost: Describe the retention in the output port's dataSharingAgreement.lifeCycle.
#     default: State how long the port's personal data is kept.
package governance.retention

import data.governance.lib

standards := {"bitol-odps", "dpds", "witboost"}

pii_ports contains i if {
	lib.standard in standards
	some i, port in lib.view.output_ports
	lib.pii_port(port)
}

applicable if count(pii_ports) > 0

has_retention(port) if lib.nonempty(port.retention)

has_retention(port) if is_number(port.retention)

has_retention(port) if {
	is_object(port.retention)
	count(port.retention) > 0
}

deny contains {
	"msg": sprintf("output port \"%s\" carries personal data but states no retention period", [lib.port_label(port, i)]),
	"path": ["view", "output_ports", i, "retention"],
	"id": "retention-missing",
} if {
	some i in pii_ports
	port := lib.view.output_ports[i]
	not has_retention(port)
}
