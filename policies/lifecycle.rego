# METADATA
# title: Data products have a valid lifecycle status
# description: >-
#   The lifecycle status (the view's status) tells consumers whether they may
#   build on a product. It must be one of the standard's values - Bitol ODPS
#   status and the DPDS extension info.x-status: proposed, draft, active,
#   deprecated, retired; ODPI ODPS product.details.<lang>.status: announcement,
#   draft, development, testing, acceptance, production, sunset, retired; DPS
#   info.status: proposed, in development, active, deprecated, retired;
#   Witboost status: draft, published, retired (any case). Bitol ODPS and ODPI
#   ODPS require a status. A deprecated product (Bitol ODPS, DPDS, DPS) should
#   tell its consumers when it goes away or what replaces it; a retired product
#   should no longer expose output ports.
# custom:
#   severity: error
#   category: lifecycle
#   remediation: >-
#     Set the status to one of the standard's values (Bitol ODPS status; DPDS
#     info.x-status; ODPI ODPS product.details.<lang>.status; DPS info.status;
#     Witboost status). For a deprecated product name a sunset date or a
#     successor - Bitol ODPS: a root custom property sunsetDate / replacedBy or
#     "sunset" in description.limitations; DPDS: info.x-sunsetDate /
#     info.x-replacedBy or a port promises.deprecationPolicy; DPS: custom
#     sunsetDate / replacedBy.
package governance.lifecycle

standard := data.meshgate.product.standard

# The normalized view; absent for custom descriptors, so every rule on it is
# silent for them.
view := data.meshgate.product.view

# `x` when it is a list. The descriptor's own lists are iterated through it, so
# that a value of another type (a malformed descriptor) leaves the rule silent
# instead of failing it: unlike OPA, regorus raises an error on `some v in <scalar>`.
as_list(x) := x if is_array(x)

# The statuses each standard allows, in lifecycle order.
allowed := {
	"bitol-odps": ["proposed", "draft", "active", "deprecated", "retired"],
	"dpds": ["proposed", "draft", "active", "deprecated", "retired"],
	"odpi-odps": ["announcement", "draft", "development", "testing", "acceptance", "production", "sunset", "retired"],
	"dps": ["proposed", "in development", "active", "deprecated", "retired"],
	"witboost": ["draft", "published", "retired"],
}

# The allowed statuses as text, for messages.
allowed_text := concat(", ", allowed[standard])

# Where each standard writes the status.
status_field := {
	"bitol-odps": "status",
	"dpds": "info.x-status",
	"odpi-odps": "product.details.<lang>.status",
	"dps": "info.status",
	"witboost": "status",
}

# Standards that require a status; for the others it is optional (DPDS: an
# extension) and a product without one is taken as active.
required := {"bitol-odps", "odpi-odps"}

sunset_properties := {"sunsetdate", "sunset", "deprecationnotice", "deprecation", "replacedby", "successor"}

# ---------------------------------------------------------------------------
# The status
# ---------------------------------------------------------------------------

# The status as compared: Witboost statuses are case-insensitive
# ("Published"), the others are compared exactly.
status := lower(view.status) if {
	standard == "witboost"
	is_string(view.status)
} else := view.status if {
	is_string(view.status)
}

has_status if view.status != null

deny contains {
	"msg": sprintf("%s is missing; it must be one of %s", [status_field[standard], allowed_text]),
	"path": "view.status",
	"id": "lifecycle-missing-status",
} if {
	standard in required
	is_object(view)
	not has_status
}

warn contains {
	"msg": sprintf("the product declares no lifecycle status (%s); it is assumed active", [status_field[standard]]),
	"path": "view.status",
	"id": "lifecycle-missing-status",
	"severity": "info",
} if {
	not standard in required
	is_object(view)
	not has_status
}

deny contains {
	"msg": sprintf("status \"%s\" is not one of %s", [view.status, allowed_text]),
	"path": "view.status",
	"id": "lifecycle-invalid-status",
} if {
	is_string(status)
	not status in allowed[standard]
}

deny contains {
	"msg": sprintf("status must be a string: one of %s", [allowed_text]),
	"path": "view.status",
	"id": "lifecycle-invalid-status",
} if {
	has_status
	not is_string(view.status)
}

# ---------------------------------------------------------------------------
# Deprecation needs a sunset hint (the standards with a deprecated status)
# ---------------------------------------------------------------------------

deprecated if {
	standard in {"bitol-odps", "dpds", "dps"}
	status == "deprecated"
}

# Every standard: the limitations announce the sunset.
has_sunset_hint if {
	is_string(view.description.limitations)
	contains(lower(view.description.limitations), "sunset")
}

has_sunset_hint if {
	standard == "bitol-odps"
	some cp in as_list(input.customProperties)
	is_string(cp.property)
	lower(cp.property) in sunset_properties
}

has_sunset_hint if {
	standard == "dpds"
	some key in ["x-sunsetDate", "x-sunset", "x-replacedBy", "x-deprecationNotice"]
	input.info[key]
}

has_sunset_hint if {
	standard == "dpds"
	some port in as_list(input.interfaceComponents.outputPorts)
	port.promises.deprecationPolicy
}

has_sunset_hint if {
	standard == "dps"
	is_object(input.custom)
	some key, value in input.custom
	lower(key) in sunset_properties
	value
}

warn contains {
	"msg": "the product is deprecated but names no sunset date or successor",
	"path": "view.status",
	"id": "lifecycle-deprecated-without-sunset",
} if {
	deprecated
	not has_sunset_hint
}

# ---------------------------------------------------------------------------
# Retired products should not be consumable any more
# ---------------------------------------------------------------------------

warn contains {
	"msg": sprintf("the product is retired but still exposes %d output port(s)", [count(view.output_ports)]),
	"path": "view.output_ports",
	"id": "lifecycle-retired-with-ports",
	"severity": "info",
} if {
	status == "retired"
	is_array(view.output_ports)
	count(view.output_ports) > 0
}
