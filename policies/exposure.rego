# METADATA
# title: Restricted data is not exposed on a public port
# description: >-
#   An output port whose data is restricted - classified as one of the
#   parameter restricted_classifications (default restricted, confidential,
#   secret) or marked as personal data - must not be of a public kind: a port
#   type in the parameter public_port_types (default public, open-data,
#   public-api, download, website) or a port tagged "public". The view's
#   output_ports[].type and classification are used (README "The normalized
#   view").
# custom:
#   severity: error
#   category: privacy
#   level: bronze
#   remediation: >-
#     Serve the restricted data on a port with access control (a table, an
#     authenticated API), or publish only an anonymised derivative on the
#     public port and classify it accordingly.
package governance.exposure

import data.governance.lib

defaults := {
	"restricted_classifications": ["restricted", "confidential", "secret"],
	"public_port_types": ["public", "open-data", "opendata", "public-api", "download", "website"],
}

params := lib.params("governance.exposure", defaults)

restricted_classes := {lower(c) | some c in params.restricted_classifications; is_string(c)}

public_types := {lower(t) | some t in params.public_port_types; is_string(t)}

applicable if count(lib.view.output_ports) > 0

public(port) if {
	is_string(port.type)
	lower(port.type) in public_types
}

public(port) if "public" in lib.tags_of(port)

# Why the port's data is restricted.
restriction(port) := sprintf("classified \"%s\"", [port.classification]) if {
	is_string(port.classification)
	lower(port.classification) in restricted_classes
} else := "marked as personal data" if lib.pii_port(port)

deny contains {
	"msg": sprintf("output port \"%s\" is %s but public", [lib.port_label(port, i), reason]),
	"path": ["view", "output_ports", i, "type"],
	"id": "exposure-restricted-on-public-port",
} if {
	some i, port in lib.view.output_ports
	public(port)
	reason := restriction(port)
}
