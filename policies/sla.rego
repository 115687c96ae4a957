# METADATA
# title: Output ports declare a service level
# description: >-
#   Every output port of a product in use (active, production, published, or
#   no status) promises a service level
#   to its consumers (the view's output_ports[].sla): Bitol ODPS a custom
#   property named "sla" (or the port field `sla`), DPDS promises.slo (or
#   obligations.sla), ODPI ODPS product.SLA.<access method> or SLA.default,
#   Witboost dataContract.SLA. DPS ports are not checked: DPS keeps the service
#   level in the data contract (dataContractId), not in the descriptor. An SLA
#   should state an availability and a freshness (or latency): Bitol ODPS
#   availability / freshness, DPDS promises.slo.definition, ODPI ODPS
#   dimensions uptime / updateFrequency, Witboost upTime / timeliness or
#   intervalOfChange.
# custom:
#   severity: error
#   level: silver
#   standards: [bitol-odps, dpds, odpi-odps, witboost]
#   category: reliability
#   remediation: >-
#     Bitol ODPS: add `customProperties: [{property: sla, value: {availability:
#     "99.9%", freshness: PT1H}}]` to the output port; DPDS: add promises.slo
#     with a specification and a definition {availability, freshness}; ODPI
#     ODPS: add product.SLA.default (or one per dataAccess entry) with uptime
#     and updateFrequency dimensions; Witboost: add dataContract.SLA {upTime,
#     timeliness} to the outputport component.
package governance.sla

import data.governance.lib

standard := data.meshgate.product.standard

# The normalized view; absent for custom descriptors, so every rule on it is
# silent for them.
view := data.meshgate.product.view

# The SLA rules apply to products in use (active, production, published, or
# without a status) that have output ports.
applicable if {
	lib.active
	count(view.output_ports) > 0
}

# Where each standard declares a port's SLA; DPS has none in the descriptor.
sla_field := {
	"bitol-odps": "a custom property named \"sla\"",
	"dpds": "promises.slo",
	"odpi-odps": "product.SLA.<access method> or product.SLA.default",
	"witboost": "dataContract.SLA",
}

# The descriptor's own list of output ports, for the standards whose view
# lists them one for one and in order (view.output_ports[i] is element i).
source_output_ports := lib.as_list(input.outputPorts) if standard in {"bitol-odps", "dps"}

source_output_ports := lib.as_list(input.interfaceComponents.outputPorts) if standard == "dpds"

# An output port that is still a bare `{"$ref": ...}` (meshgate could not
# resolve it and reports it as meshgate.ref): it is checked where it points to.
unresolved(i) if source_output_ports[i]["$ref"]

# ---------------------------------------------------------------------------
# Where a port's SLA is: {"value": ..., "path": [...]}
# ---------------------------------------------------------------------------

# The view's sla, else (Bitol ODPS) the port field `sla`: many Bitol files
# write the SLA there, and the view only maps the custom property.
port_sla(i) := {"value": view.output_ports[i].sla, "path": ["view", "output_ports", i, "sla"]} if {
	view.output_ports[i].sla != null
} else := {"value": input.outputPorts[i].sla, "path": ["outputPorts", i, "sla"]} if {
	standard == "bitol-odps"
	input.outputPorts[i].sla != null
}

slas[i] := s if {
	sla_field[standard]
	some i, _ in view.output_ports
	s := port_sla(i)
}

# ---------------------------------------------------------------------------
# Missing SLAs
# ---------------------------------------------------------------------------

deny contains {
	"msg": sprintf("output port \"%s\" declares no SLA (%s)", [lib.port_label(port, i), sla_field[standard]]),
	"path": missing_sla_path(i),
	"id": "sla-missing",
} if {
	sla_field[standard]
	lib.active
	some i, port in view.output_ports
	is_object(port)
	not unresolved(i)
	not slas[i]
}

# Where a missing SLA is reported. A missing view field is located at its
# nearest parent in the view, the port; a DPDS SLO belongs in the port's
# `promises`, so the DPDS path points there (at the port when it has none).
missing_sla_path(i) := ["interfaceComponents", "outputPorts", i, "promises", "slo"] if {
	standard == "dpds"
} else := ["view", "output_ports", i, "sla"]

# ---------------------------------------------------------------------------
# What an SLA states, whatever its standard
# ---------------------------------------------------------------------------

# The object that holds an SLA's terms, with its path: DPDS promises.slo keeps
# them in `definition` (next to `specification`); the others in the SLA itself.
terms(s) := {"value": s.value.definition, "path": array.concat(s.path, ["definition"])} if {
	standard == "dpds"
	is_object(s.value.definition)
}

terms(s) := s if {
	standard != "dpds"
	is_object(s.value)
}

# The terms of each port's SLA, and the availabilities they state, by port
# index: computed once per port and shared by the rules below (a function is
# evaluated again at every call). The function's result is bound in the body,
# not written as the rule's value: regorus fails a partial object rule whose
# value is a call that is undefined for an earlier key ("not an object").
port_terms[i] := t if {
	some i, s in slas
	t := terms(s)
}

port_availabilities[i] := stated if {
	some i, t in port_terms
	stated := availabilities(t)
}

availability_keys := {"availability", "uptime", "upTime"}

freshness_keys := {"freshness", "latency", "updateFrequency", "frequency", "timeliness", "intervalOfChange"}

# ODPI ODPS states its terms as `dimensions: [{dimension, objective, unit}]`.
availability_dimensions := {"uptime", "availability"}

freshness_dimensions := {"updatefrequency", "frequency", "freshness", "latency", "timeliness"}

# Every availability the terms state, as [value, path].
availabilities(t) := {[t.value[k], array.concat(t.path, [k])] | some k in availability_keys; t.value[k] != null} | {[d.objective, array.concat(t.path, ["dimensions", j, "objective"])] |
	some j, d in lib.as_list(t.value.dimensions)
	is_string(d.dimension)
	lower(d.dimension) in availability_dimensions
	d.objective != null
}

has_freshness(t) if {
	some k in freshness_keys
	t.value[k]
}

has_freshness(t) if {
	some d in lib.as_list(t.value.dimensions)
	is_string(d.dimension)
	lower(d.dimension) in freshness_dimensions
}

warn contains {
	"msg": sprintf("the SLA of output port \"%s\" is free text; use an object with availability and freshness", [lib.port_label(view.output_ports[i], i)]),
	"path": s.path,
	"id": "sla-unstructured",
} if {
	some i, s in slas
	not is_object(s.value)
}

warn contains {
	"msg": sprintf("the SLA of output port \"%s\" states no availability", [lib.port_label(view.output_ports[i], i)]),
	"path": array.concat(t.path, ["availability"]),
	"id": "sla-missing-availability",
} if {
	some i, t in port_terms
	count(port_availabilities[i]) == 0
}

warn contains {
	"msg": sprintf("the SLA of output port \"%s\" states no freshness or latency", [lib.port_label(view.output_ports[i], i)]),
	"path": array.concat(t.path, ["freshness"]),
	"id": "sla-missing-freshness",
} if {
	some i, t in port_terms
	not has_freshness(t)
}

warn contains {
	"msg": sprintf("the SLA of output port \"%s\" promises less than 99 percent availability", [lib.port_label(view.output_ports[i], i)]),
	"path": a[1],
	"id": "sla-low-availability",
	"severity": "info",
} if {
	some i, stated in port_availabilities
	some a in stated
	percent(a[0]) < 99
}

# Availability as a number (99.5) or a string ("99.5%", "99.5"), parsed
# without a regular expression and without ever calling to_number on text
# that is not a plain decimal.
percent(a) := a if is_number(a)

percent(a) := to_number(t) if {
	is_string(a)
	t := trim_suffix(trim_space(a), "%")
	t != ""
	count(trim(t, "0123456789.")) == 0
	count(split(t, ".")) <= 2
	not startswith(t, ".")
	not endswith(t, ".")
}

# ---------------------------------------------------------------------------
# DPDS: an SLO says what it promises
# ---------------------------------------------------------------------------

warn contains {
	"msg": sprintf("promises.slo of output port \"%s\" has no definition", [lib.port_label(view.output_ports[i], i)]),
	"path": array.concat(s.path, ["definition"]),
	"id": "sla-slo-without-definition",
} if {
	standard == "dpds"
	some i, s in slas
	is_object(s.value)
	not s.value["$ref"]
	not s.value.definition
}
