# METADATA
# title: Every data product has an accountable owner
# description: >-
#   A data product without an accountable owner cannot be governed. Bitol ODPS
#   products need a current team member whose role is "owner" (team.members in
#   ODPS v1.0, the team list in ODPS v0.9); Open Data Mesh DPDS products need
#   info.owner.id. Products should also publish a support channel.
# custom:
#   severity: error
#   category: ownership
#   remediation: >-
#     Add a team member with role "owner" (ODPS) or set info.owner.id (DPDS),
#     and list at least one support channel (ODPS support, DPDS info.contactPoints).
package governance.ownership

standard := data.meshgate.product.standard

owner_roles := {"owner", "product owner", "data product owner", "product-owner", "data-product-owner"}

nonempty(s) if {
	is_string(s)
	trim_space(s) != ""
}

# ---------------------------------------------------------------------------
# Bitol ODPS: v1.0 `team: {name, members: [...]}`, v0.9 `team: [...]`
# ---------------------------------------------------------------------------

members_prefix := ["team", "members"] if is_object(input.team)

members_prefix := ["team"] if is_array(input.team)

members := input.team.members if {
	is_object(input.team)
	is_array(input.team.members)
}

members := input.team if is_array(input.team)

is_owner(m) if {
	is_string(m.role)
	lower(trim_space(m.role)) in owner_roles
}

# A member who has a dateOut has left the team.
# True when obj[key] is a non-blank string. Negate it as `not text(obj, "key")`
# with obj always defined, never as `not nonempty(obj.key)`: OPA hoists a
# reference out of a negated call, so the negation of a call on an undefined
# reference is undefined, not true.
text(obj, key) if nonempty(obj[key])

current(m) if not text(m, "dateOut")

member_label(m) := m.username if {
	nonempty(m.username)
} else := m.name if {
	nonempty(m.name)
} else := "(unnamed member)"

active_owners contains i if {
	some i, m in members
	is_owner(m)
	current(m)
}

deny contains {
	"msg": "the product has no team, so nobody is accountable for it",
	"path": "team",
	"id": "ownership-missing-team",
} if {
	standard == "bitol-odps"
	not input.team
}

deny contains {
	"msg": "team must be an object with members (ODPS v1.0) or a list of members (ODPS v0.9)",
	"path": "team",
	"id": "ownership-malformed-team",
} if {
	standard == "bitol-odps"
	input.team
	not is_object(input.team)
	not is_array(input.team)
}

deny contains {
	"msg": "no current team member has the role \"owner\"",
	"path": members_prefix,
	"id": "ownership-missing-owner",
} if {
	standard == "bitol-odps"
	count(active_owners) == 0
}

warn contains {
	"msg": sprintf("team member %s is listed as owner but left the team on %s", [member_label(m), m.dateOut]),
	"path": array.concat(members_prefix, [i, "dateOut"]),
	"id": "ownership-owner-left",
} if {
	standard == "bitol-odps"
	some i, m in members
	is_owner(m)
	nonempty(m.dateOut)
}

warn contains {
	"msg": "no support channel is listed; consumers cannot reach the owning team",
	"path": "support",
	"id": "ownership-no-support-channel",
} if {
	standard == "bitol-odps"
	not has_support
}

has_support if {
	is_array(input.support)
	count(input.support) > 0
}

# ---------------------------------------------------------------------------
# Open Data Mesh DPDS: info.owner {id, name}, info.contactPoints
# ---------------------------------------------------------------------------

deny contains {
	"msg": "info.owner.id is missing; a DPDS product must name its owner",
	"path": "info.owner.id",
	"id": "ownership-missing-owner",
} if {
	standard == "dpds"
	not has_owner_id
}

has_owner_id if nonempty(input.info.owner.id)

warn contains "info.owner.name is not set; the owner is only known by its id" if {
	standard == "dpds"
	has_owner_id
	not has_owner_name
}

has_owner_name if nonempty(input.info.owner.name)

warn contains {
	"msg": "no contact point is listed; consumers cannot reach the owning team",
	"path": "info.contactPoints",
	"id": "ownership-no-support-channel",
} if {
	standard == "dpds"
	not has_contact_points
}

has_contact_points if {
	is_array(input.info.contactPoints)
	count(input.info.contactPoints) > 0
}
