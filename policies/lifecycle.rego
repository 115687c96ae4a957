# METADATA
# title: Data products have a valid lifecycle status
# description: >-
#   The lifecycle status tells consumers whether they may build on a product.
#   Bitol ODPS `status` and the DPDS extension `info.x-status` must be one of
#   proposed, draft, active, deprecated, retired. A deprecated product should
#   tell its consumers when it goes away or what replaces it; a retired product
#   should no longer expose output ports.
# custom:
#   severity: error
#   category: lifecycle
#   remediation: >-
#     Set status (ODPS) or info.x-status (DPDS) to proposed, draft, active,
#     deprecated or retired; for a deprecated product add a sunset date or a
#     successor (ODPS custom property sunsetDate / replacedBy, DPDS
#     info.x-sunsetDate / info.x-replacedBy or a port promises.deprecationPolicy).
package governance.lifecycle

standard := data.meshgate.product.standard

allowed := {"proposed", "draft", "active", "deprecated", "retired"}

sunset_properties := {"sunsetdate", "sunset", "deprecationnotice", "deprecation", "replacedby", "successor"}

# ---------------------------------------------------------------------------
# Where the status lives
# ---------------------------------------------------------------------------

status_path := "status" if standard == "bitol-odps"

status_path := ["info", "x-status"] if standard == "dpds"

status := input.status if standard == "bitol-odps"

status := input.info["x-status"] if standard == "dpds"

deny contains {
	"msg": "status is missing; it must be one of proposed, draft, active, deprecated, retired",
	"path": "status",
	"id": "lifecycle-missing-status",
} if {
	standard == "bitol-odps"
	not has_status
}

has_status if status != null

warn contains {
	"msg": "the DPDS descriptor declares no lifecycle status (info.x-status); it is assumed active",
	"path": ["info", "x-status"],
	"id": "lifecycle-missing-status",
	"severity": "info",
} if {
	standard == "dpds"
	not has_status
}

deny contains {
	"msg": sprintf("status \"%s\" is not one of proposed, draft, active, deprecated, retired", [status]),
	"path": status_path,
	"id": "lifecycle-invalid-status",
} if {
	is_string(status)
	not status in allowed
}

deny contains {
	"msg": "status must be a string: one of proposed, draft, active, deprecated, retired",
	"path": status_path,
	"id": "lifecycle-invalid-status",
} if {
	has_status
	not is_string(status)
}

# ---------------------------------------------------------------------------
# Deprecation needs a sunset hint
# ---------------------------------------------------------------------------

has_sunset_hint if {
	standard == "bitol-odps"
	some cp in input.customProperties
	is_string(cp.property)
	lower(cp.property) in sunset_properties
}

has_sunset_hint if {
	standard == "bitol-odps"
	is_string(input.description.limitations)
	contains(lower(input.description.limitations), "sunset")
}

has_sunset_hint if {
	standard == "dpds"
	some key in ["x-sunsetDate", "x-sunset", "x-replacedBy", "x-deprecationNotice"]
	input.info[key]
}

has_sunset_hint if {
	standard == "dpds"
	some port in input.interfaceComponents.outputPorts
	port.promises.deprecationPolicy
}

warn contains {
	"msg": "the product is deprecated but names no sunset date or successor",
	"path": "customProperties",
	"id": "lifecycle-deprecated-without-sunset",
} if {
	standard == "bitol-odps"
	status == "deprecated"
	not has_sunset_hint
}

warn contains {
	"msg": "the product is deprecated but names no sunset date or successor",
	"path": ["info", "x-sunsetDate"],
	"id": "lifecycle-deprecated-without-sunset",
} if {
	standard == "dpds"
	status == "deprecated"
	not has_sunset_hint
}

# ---------------------------------------------------------------------------
# Retired products should not be consumable any more
# ---------------------------------------------------------------------------

warn contains {
	"msg": sprintf("the product is retired but still exposes %d output port(s)", [count(ports)]),
	"path": ports_path,
	"id": "lifecycle-retired-with-ports",
	"severity": "info",
} if {
	status == "retired"
	count(ports) > 0
}

ports := input.outputPorts if {
	standard == "bitol-odps"
	is_array(input.outputPorts)
}

ports := input.interfaceComponents.outputPorts if {
	standard == "dpds"
	is_array(input.interfaceComponents.outputPorts)
}

ports_path := "outputPorts" if standard == "bitol-odps"

ports_path := "interfaceComponents.outputPorts" if standard == "dpds"
