# Helpers shared by the shipped library. This package defines no deny, warn or
# violation rule, so it is not a policy itself; the policies import it as
# `import data.governance.lib` and call `lib.nonempty(x)` and so on.
#
# Every helper is written so that it works identically in regorus and in Go
# OPA: no `some x in <scalar>` (regorus raises an error where OPA is
# undefined), no recursion, string builtins rather than regular expressions
# (regorus compiles a pattern at every call, under a global lock).
package governance.lib

# The normalized view of the product being checked (data.meshgate.product.view,
# see README "The normalized view"); absent for custom descriptors, so every
# rule on it is silent for them.
view := data.meshgate.product.view

standard := data.meshgate.product.standard

# The whole mesh and its lookup tables (README "The policy contract").
mesh := data.meshgate.mesh

index := data.meshgate.mesh.index

# `x` when it is a list. The descriptor's own lists are iterated through it, so
# that a value of another type (a malformed descriptor) leaves the rule silent
# instead of failing it.
as_list(x) := x if is_array(x)

# `x` when it is an object (for `some k, v in as_object(x)`).
as_object(x) := x if is_object(x)

nonempty(s) if {
	is_string(s)
	trim_space(s) != ""
}

# True when obj[key] is a non-blank string. Negate it as `not lib.text(obj,
# "key")` with obj always defined, never as `not lib.nonempty(obj.key)`: OPA
# hoists a reference out of a negated call, so the negation of a call on an
# undefined reference is undefined, not true.
text(obj, key) if nonempty(obj[key])

# A port's name for messages: its name, else its position.
port_label(port, i) := port.name if {
	nonempty(port.name)
} else := sprintf("#%d", [i])

# A policy's parameters: data.meshgate.params["<policy id>"] (meshgate.toml
# [params."<policy id>"]) merged over the defaults the policy writes. A
# parameter that is not an object is ignored, so a policy never fails on it
# (meshgate rejects such a configuration before evaluating anything).
#
# It reads data.meshgate.params[id] only, never data.meshgate as a whole:
# meshgate evaluates the rules through a query rule of its own under
# data.meshgate, which a read of the whole document would make recursive.
params(id, defaults) := object.union(defaults, given) if {
	given := data.meshgate.params[id]
	is_object(given)
} else := defaults

# The status as compared, lower-cased (Witboost writes "Published"); absent
# when the view has no string status.
status := lower(view.status) if is_string(view.status)

# Statuses that mean "in use": a product with no status is taken as active.
active_statuses := {"active", "production", "published"}

active if status in active_statuses

active if {
	is_object(view)
	not status
}

# Statuses that mean "on its way out" or "gone".
deprecated_statuses := {"deprecated", "sunset"}

retired_statuses := {"retired"}

# Lower-case kebab-case ("order-events") without a regular expression: only
# a-z, 0-9 and single dashes between words.
kebab(s) if {
	is_string(s)
	s != ""
	trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
	not startswith(s, "-")
	not endswith(s, "-")
	not contains(s, "--")
}

# An e-mail address: one @, a non-empty local part, a dotted domain, no
# whitespace. Deliberately loose (no regular expression): it tells an address
# from a team id or a person's name.
email(s) if {
	is_string(s)
	parts := split(s, "@")
	count(parts) == 2
	parts[0] != ""
	contains(parts[1], ".")
	not startswith(parts[1], ".")
	not endswith(parts[1], ".")
	not contains(s, " ")
}

# A calendar date YYYY-MM-DD (an RFC 3339 timestamp starts with one).
date(s) if {
	is_string(s)
	count(s) >= 10
	d := substring(s, 0, 10)
	trim(d, "0123456789-") == ""
	parts := split(d, "-")
	count(parts) == 3
	count(parts[0]) == 4
	count(parts[1]) == 2
	count(parts[2]) == 2
}

# "true", true or "yes": how descriptors mark a flag such as PII.
truthy(v) if v == true

truthy(v) if {
	is_string(v)
	lower(v) in {"true", "yes"}
}

# The tags of a view port or a raw element, lower-cased.
tags_of(e) := {lower(t) | some t in as_list(e.tags); is_string(t)}

# A view output port that carries personal data: its `pii` flag, or a tag
# "pii".
pii_port(port) if truthy(port.pii)

pii_port(port) if "pii" in tags_of(port)

# ---------------------------------------------------------------------------
# The product's domain (domains/<d>/domain.yaml), for ownership rules
#
# Functions of the parsed domain.yaml, not rules: regorus evaluates every rule
# of this package for each product as soon as a policy reads one of them, so
# the package keeps its rules few and cheap and computes the rest on call.
# ---------------------------------------------------------------------------

# The parsed domain.yaml of the product's domain, when it is an object.
domain := d if {
	d := data.meshgate.mesh.domains[data.meshgate.product.domain].descriptor
	is_object(d)
}

# Where it is, for messages.
domain_file := sprintf("domains/%s/domain.yaml", [data.meshgate.product.domain])

# An entry of domain.yaml that names someone: a string, or an object's id,
# email, username or team.
names_of(x) := {lower(x)} if nonempty(x)

names_of(x) := {lower(x[k]) | some k in ["id", "email", "username", "team"]; nonempty(x[k])} if is_object(x)

# The team ids domain.yaml `d` declares, lower-cased: `owner` (a string, or
# its `team` / `id`) and every entry of `teams` (a string or an object's
# `id`).
domain_teams(d) := ({lower(d.owner) | nonempty(d.owner)} | {lower(t) | some k in ["team", "id"]; t := d.owner[k]; nonempty(t)}) | ({lower(x) | some x in as_list(d.teams); nonempty(x)} | {lower(x.id) | some x in as_list(d.teams); nonempty(x.id)})

# Everyone domain.yaml `d` lists as owner or member (ids, e-mails, usernames,
# teams), lower-cased.
domain_people(d) := ({n | some n in names_of(d.owner)} | {n | some m in as_list(d.members); some n in names_of(m)}) | domain_teams(d)
