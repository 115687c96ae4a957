# METADATA
# title: Output ports declare a service level
# description: >-
#   Every output port of a product that is not retired promises a service level
#   to its consumers. Bitol ODPS ports declare it as a port field `sla` or as a
#   custom property named "sla"; DPDS ports declare `promises.slo`. An SLA should
#   state an availability and a freshness (or latency).
# custom:
#   severity: error
#   category: reliability
#   remediation: >-
#     Add `customProperties: [{property: sla, value: {availability: "99.9%",
#     freshness: PT1H}}]` to the ODPS output port, or `promises.slo` with a
#     specification and definition to the DPDS output port.
package governance.sla

standard := data.meshgate.product.standard

freshness_keys := {"freshness", "latency", "updateFrequency", "frequency"}

nonempty(s) if {
	is_string(s)
	trim_space(s) != ""
}

is_custom(cp, name) if {
	is_string(cp.property)
	lower(cp.property) == lower(name)
}

status := input.status if standard == "bitol-odps"

status := input.info["x-status"] if standard == "dpds"

retired if {
	is_string(status)
	lower(status) == "retired"
}

# ---------------------------------------------------------------------------
# Where a port's SLA lives: {"value": ..., "path": [...]}
# ---------------------------------------------------------------------------

odps_sla(port, i) := {"value": port.sla, "path": ["outputPorts", i, "sla"]} if {
	port.sla != null
} else := {"value": port.customProperties[j].value, "path": ["outputPorts", i, "customProperties", j, "value"]} if {
	idx := {k | some k, cp in port.customProperties; is_custom(cp, "sla")}
	count(idx) > 0
	j := min(idx)
}

dpds_slo(port, i) := {"value": port.promises.slo, "path": ["interfaceComponents", "outputPorts", i, "promises", "slo"]} if {
	port.promises.slo != null
}

slas[i] := s if {
	standard == "bitol-odps"
	some i, port in input.outputPorts
	s := odps_sla(port, i)
}

# ---------------------------------------------------------------------------
# Missing SLAs
# ---------------------------------------------------------------------------

deny contains {
	"msg": sprintf("output port \"%s\" declares no SLA", [port_label(port, i)]),
	"path": sprintf("outputPorts[%d].sla", [i]),
	"id": "sla-missing",
} if {
	standard == "bitol-odps"
	not retired
	some i, port in input.outputPorts
	not odps_sla(port, i)
}

deny contains {
	"msg": sprintf("output port \"%s\" declares no promises.slo", [port_label(port, i)]),
	"path": ["interfaceComponents", "outputPorts", i, "promises", "slo"],
	"id": "sla-missing",
} if {
	standard == "dpds"
	not retired
	some i, port in input.interfaceComponents.outputPorts
	is_object(port)
	not port["$ref"]
	not dpds_slo(port, i)
}

warn contains "the product declares no output ports, so it offers no service level" if {
	standard == "bitol-odps"
	not retired
	not has_output_ports
}

has_output_ports if {
	is_array(input.outputPorts)
	count(input.outputPorts) > 0
}

port_label(port, i) := port.name if {
	nonempty(port.name)
} else := sprintf("#%d", [i])

# ---------------------------------------------------------------------------
# Softer checks on the SLA's content (ODPS)
# ---------------------------------------------------------------------------

warn contains {
	"msg": sprintf("the SLA of output port #%d is free text; use an object with availability and freshness", [i]),
	"path": s.path,
	"id": "sla-unstructured",
} if {
	some i, s in slas
	not is_object(s.value)
}

warn contains {
	"msg": sprintf("the SLA of output port #%d states no availability", [i]),
	"path": array.concat(s.path, ["availability"]),
	"id": "sla-missing-availability",
} if {
	some i, s in slas
	is_object(s.value)
	not s.value.availability
}

warn contains {
	"msg": sprintf("the SLA of output port #%d states no freshness or latency", [i]),
	"path": array.concat(s.path, ["freshness"]),
	"id": "sla-missing-freshness",
} if {
	some i, s in slas
	is_object(s.value)
	not has_freshness(s.value)
}

has_freshness(v) if {
	some key in freshness_keys
	v[key]
}

warn contains {
	"msg": sprintf("the SLA of output port #%d promises less than 99 percent availability", [i]),
	"path": array.concat(s.path, ["availability"]),
	"id": "sla-low-availability",
	"severity": "info",
} if {
	some i, s in slas
	percent(s.value.availability) < 99
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
# Softer checks on the SLO (DPDS)
# ---------------------------------------------------------------------------

warn contains {
	"msg": sprintf("promises.slo of output port \"%s\" has no definition", [port_label(port, i)]),
	"path": array.concat(s.path, ["definition"]),
	"id": "sla-slo-without-definition",
} if {
	standard == "dpds"
	some i, port in input.interfaceComponents.outputPorts
	s := dpds_slo(port, i)
	is_object(s.value)
	not s.value["$ref"]
	not s.value.definition
}
