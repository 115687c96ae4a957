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
#   ODPS require a status. A retired product should no longer expose output
#   ports. The allowed statuses are the parameter allowed_statuses, a map from
#   standard to list (a standard left out keeps its default). Deprecated
#   products are checked by governance.deprecation.
# custom:
#   severity: error
#   category: lifecycle
#   remediation: >-
#     Set the status to one of the standard's values (Bitol ODPS status; DPDS
#     info.x-status; ODPI ODPS product.details.<lang>.status; DPS info.status;
#     Witboost status).
#   level: bronze
package governance.lifecycle

import data.governance.lib

standard := data.meshgate.product.standard

# The normalized view; absent for custom descriptors, so every rule on it is
# silent for them.
view := data.meshgate.product.view

# The statuses each standard allows, in lifecycle order (the defaults of the
# parameter allowed_statuses).
default_statuses := {
	"bitol-odps": ["proposed", "draft", "active", "deprecated", "retired"],
	"dpds": ["proposed", "draft", "active", "deprecated", "retired"],
	"odpi-odps": ["announcement", "draft", "development", "testing", "acceptance", "production", "sunset", "retired"],
	"dps": ["proposed", "in development", "active", "deprecated", "retired"],
	"witboost": ["draft", "published", "retired"],
}

params := lib.params("governance.lifecycle", {"allowed_statuses": default_statuses})

allowed := params.allowed_statuses

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
