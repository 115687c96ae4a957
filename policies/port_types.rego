# METADATA
# title: Output ports use an agreed port type
# description: >-
#   Consumers and platform tooling rely on a small set of port types. Every
#   output port states its type (the view's output_ports[].type: Bitol ODPS
#   type, DPDS promises.servicesType, ODPI ODPS dataAccess type, DPS type,
#   Witboost outputPortType), and the type is one of the parameter
#   allowed_port_types (compared case-insensitively).
# custom:
#   severity: error
#   category: interoperability
#   level: silver
#   remediation:
#     bitol-odps: Set the output port's type to an agreed type (tables, topic, file, api, ...).
#     dpds: Set promises.servicesType to an agreed type (datastore-services, streaming-services, rest-services, ...).
#     witboost: Set outputPortType to an agreed type (SQL, Files, Events, ...).
#     default: Set the output port's type to one of the agreed port types.
package governance.port_types

import data.governance.lib

defaults := {"allowed_port_types": [
	"tables", "table", "view", "topic", "file", "api", "sql", "events", "batch", "streaming",
	"datastore-services", "streaming-services", "rest-services", "file-services",
	"snowflake", "bigquery", "databricks", "s3", "kafka",
]}

params := lib.params("governance.port_types", defaults)

allowed := {lower(t) | some t in params.allowed_port_types; is_string(t)}

applicable if count(lib.view.output_ports) > 0

deny contains {
	"msg": sprintf("output port \"%s\" has type \"%s\", which is not one of the agreed port types", [lib.port_label(port, i), port.type]),
	"path": ["view", "output_ports", i, "type"],
	"id": "port-type-not-allowed",
} if {
	some i, port in lib.view.output_ports
	is_string(port.type)
	not lower(port.type) in allowed
}

warn contains {
	"msg": sprintf("output port \"%s\" states no type", [lib.port_label(port, i)]),
	"path": ["view", "output_ports", i, "type"],
	"id": "port-type-missing",
} if {
	some i, port in lib.view.output_ports
	is_object(port)
	not lib.text(port, "type")
}
