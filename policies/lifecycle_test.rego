package governance.lifecycle_test

odps := {"path": "domains/inventory/products/warehouse-snapshots/dataproduct.yaml", "domain": "inventory", "standard": "bitol-odps", "format": "yaml"}

dpds := {"path": "domains/inventory/products/replenishment-forecast/replenishment-forecast.dpds.yaml", "domain": "inventory", "standard": "dpds", "format": "yaml"}

ids(findings) := {f.id | some f in findings; is_object(f)}

test_allowed_statuses_pass if {
	every s in ["proposed", "draft", "active", "deprecated", "retired"] {
		count(data.governance.lifecycle.deny) == 0 with input as {"id": "a", "status": s} with data.meshgate.product as odps
	}
}

test_unknown_status_fails if {
	denies := data.governance.lifecycle.deny with input as {"id": "a", "status": "Active"} with data.meshgate.product as odps
	denies == {{"msg": "status \"Active\" is not one of proposed, draft, active, deprecated, retired", "path": "status", "id": "lifecycle-invalid-status"}}
}

test_missing_status_fails if {
	denies := data.governance.lifecycle.deny with input as {"id": "a"} with data.meshgate.product as odps
	ids(denies) == {"lifecycle-missing-status"}
}

test_yaml_boolean_status_fails if {
	denies := data.governance.lifecycle.deny with input as {"id": "a", "status": true} with data.meshgate.product as odps
	ids(denies) == {"lifecycle-invalid-status"}
}

test_deprecated_without_sunset_warns if {
	warns := data.governance.lifecycle.warn with input as {"id": "a", "status": "deprecated"} with data.meshgate.product as odps
	ids(warns) == {"lifecycle-deprecated-without-sunset"}
}

test_deprecated_with_sunset_date_is_quiet if {
	product := {"id": "a", "status": "deprecated", "customProperties": [{"property": "sunsetDate", "value": "2026-06-30"}]}
	count(data.governance.lifecycle.warn) == 0 with input as product with data.meshgate.product as odps
}

test_dpds_status_extension if {
	bad := {"info": {"name": "x", "x-status": "live"}}
	denies := data.governance.lifecycle.deny with input as bad with data.meshgate.product as dpds
	some f in denies
	f.path == ["info", "x-status"]

	warns := data.governance.lifecycle.warn with input as {"info": {"name": "x"}} with data.meshgate.product as dpds
	some w in warns
	w.severity == "info"
}

test_dpds_deprecation_policy_is_a_sunset_hint if {
	product := {"info": {"name": "x", "x-status": "deprecated"}, "interfaceComponents": {"outputPorts": [{"name": "p", "promises": {"deprecationPolicy": {"specification": "text", "definition": "Removed on 2026-01-31; use forecast-v2."}}}]}}
	count(data.governance.lifecycle.warn) == 0 with input as product with data.meshgate.product as dpds
}
