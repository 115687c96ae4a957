package governance.lifecycle_test

# data.meshgate.product for a descriptor of `standard` whose normalized view is
# `view` (as meshgate builds it, see src/view.rs).
product(standard, view) := {
	"path": "domains/inventory/products/p/dataproduct.yaml",
	"domain": "inventory",
	"standard": standard,
	"format": "yaml",
	"view": object.union({"standard": standard}, view),
}

ids(findings) := {f.id | some f in findings; is_object(f)}

denies(raw, facts) := found if {
	found := data.governance.lifecycle.deny with input as raw with data.meshgate.product as facts
}

warns(raw, facts) := found if {
	found := data.governance.lifecycle.warn with input as raw with data.meshgate.product as facts
}

# A Bitol ODPS product with status `s` (input and view agree).
odps(s) := product("bitol-odps", {"id": "a", "status": s})

# ---------------------------------------------------------------------------
# Bitol ODPS
# ---------------------------------------------------------------------------

test_allowed_statuses_pass if {
	every s in ["proposed", "draft", "active", "deprecated", "retired"] {
		count(denies({"id": "a", "status": s}, odps(s))) == 0
	}
}

test_unknown_status_fails if {
	denies({"id": "a", "status": "Active"}, odps("Active")) == {{
		"msg": "status \"Active\" is not one of proposed, draft, active, deprecated, retired",
		"path": "view.status",
		"id": "lifecycle-invalid-status",
	}}
}

test_missing_status_fails if {
	denies({"id": "a"}, product("bitol-odps", {"id": "a"})) == {{
		"msg": "status is missing; it must be one of proposed, draft, active, deprecated, retired",
		"path": "view.status",
		"id": "lifecycle-missing-status",
	}}
}

test_yaml_boolean_status_fails if {
	ids(denies({"id": "a", "status": true}, odps(true))) == {"lifecycle-invalid-status"}
}

test_retired_with_ports_is_noted if {
	facts := product("bitol-odps", {"id": "a", "status": "retired", "output_ports": [{"name": "p"}]})
	warns({"id": "a", "status": "retired"}, facts) == {{
		"msg": "the product is retired but still exposes 1 output port(s)",
		"path": "view.output_ports",
		"id": "lifecycle-retired-with-ports",
		"severity": "info",
	}}
}

# ---------------------------------------------------------------------------
# DPDS: the extension info.x-status
# ---------------------------------------------------------------------------

test_dpds_status_extension if {
	bad := {"info": {"name": "x", "x-status": "live"}}
	some f in denies(bad, product("dpds", {"name": "x", "status": "live"}))
	f.path == "view.status"
	f.id == "lifecycle-invalid-status"

	# no status: only a note, the product is taken as active
	unset := {"info": {"name": "x"}}
	count(denies(unset, product("dpds", {"name": "x"}))) == 0
	warns(unset, product("dpds", {"name": "x"})) == {{
		"msg": "the product declares no lifecycle status (info.x-status); it is assumed active",
		"path": "view.status",
		"id": "lifecycle-missing-status",
		"severity": "info",
	}}
}

# ---------------------------------------------------------------------------
# ODPI ODPS, DPS, Witboost: their own statuses
# ---------------------------------------------------------------------------

test_odpi_statuses if {
	count(denies({}, product("odpi-odps", {"status": "production"}))) == 0
	count(denies({}, product("odpi-odps", {"status": "sunset"}))) == 0
	ids(denies({}, product("odpi-odps", {"status": "active"}))) == {"lifecycle-invalid-status"}

	# the status is required
	ids(denies({}, product("odpi-odps", {"name": "x"}))) == {"lifecycle-missing-status"}
}

test_dps_statuses if {
	count(denies({}, product("dps", {"status": "in development"}))) == 0
	ids(denies({}, product("dps", {"status": "live"}))) == {"lifecycle-invalid-status"}
}

test_witboost_statuses_ignore_case if {
	count(denies({}, product("witboost", {"status": "Published"}))) == 0
	ids(denies({}, product("witboost", {"status": "active"}))) == {"lifecycle-invalid-status"}
	ids(warns({}, product("witboost", {"status": "Retired", "output_ports": [{"name": "p"}]}))) == {"lifecycle-retired-with-ports"}
}

test_custom_standard_is_skipped if {
	facts := {"path": "domains/x/products/p/p.yaml", "domain": "x", "standard": "custom", "format": "yaml"}
	count(denies({"status": "whatever"}, facts)) == 0
	count(warns({}, facts)) == 0
}

test_allowed_statuses_are_a_parameter if {
	p := {"governance.lifecycle": {"allowed_statuses": {"witboost": ["draft", "published", "retired", "archived"]}}}
	count(denies({}, product("witboost", {"status": "Archived"}))) == 0 with data.meshgate.params as p
	ids(denies({}, product("witboost", {"status": "Archived"}))) == {"lifecycle-invalid-status"}

	# the other standards keep their defaults
	ids(denies({}, product("dps", {"status": "live"}))) == {"lifecycle-invalid-status"} with data.meshgate.params as p
}
