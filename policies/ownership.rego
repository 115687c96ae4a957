# METADATA
# title: Every data product has an accountable owner
# description: >-
#   A data product without an accountable owner cannot be governed. Every
#   product must name an owner (the normalized view's `owners`): Bitol ODPS a
#   current team member (no dateOut) whose role is owner / product owner / data
#   product owner, DPDS info.owner, ODPI ODPS product.dataHolder, DPS
#   info.owner, Witboost dataProductOwner. Where the standard has a team (Bitol
#   ODPS team, Witboost ownerGroup) it must be present; a DPDS owner must be
#   identified by info.owner.id. (Support channels: governance.support; the
#   owner's domain and reachability: governance.domain_membership and
#   governance.owner_contact.)
# custom:
#   severity: error
#   category: ownership
#   remediation: >-
#     Bitol ODPS: add a team member with role "owner" (team.members in v1.0, the
#     team list in v0.9) and no dateOut; DPDS: set info.owner.id (and
#     info.owner.name); ODPI ODPS: add product.dataHolder with an email or name;
#     DPS: set info.owner to the id of the owning team; Witboost: set
#     dataProductOwner (ownerGroup is a group, not an owner) and ownerGroup.
#   level: bronze
package governance.ownership

import data.governance.lib

standard := data.meshgate.product.standard

# The normalized view; absent for custom descriptors, so every rule on it is
# silent for them.
view := data.meshgate.product.view

# Roles that make a team member an owner (compared lower-cased and trimmed),
# as meshgate uses them to build view.owners.
owner_roles := {"owner", "product owner", "data product owner", "product-owner", "data-product-owner", "dataproductowner"}

# ---------------------------------------------------------------------------
# Every standard: the product names an owner
# ---------------------------------------------------------------------------

# The owners the view names, blank entries left out.
owners := [o | some o in view.owners; lib.nonempty(o)] if is_array(view.owners)

# What is missing, in the words of each standard.
missing_owner_msg := {
	"bitol-odps": "no current team member has the role \"owner\"",
	"dpds": "info.owner is missing; a DPDS product must name its owner",
	"odpi-odps": "product.dataHolder names nobody; an ODPI ODPS product must name its data holder",
	"dps": "info.owner is missing; a DPS product must name the team that owns it",
	"witboost": "dataProductOwner is missing; a Witboost product must name its owner (ownerGroup is a group, not an owner)",
}

deny contains {
	"msg": missing_owner_msg[standard],
	"path": "view.owners",
	"id": "ownership-missing-owner",
} if {
	count(owners) == 0
	not bitol_without_team
}

# A Bitol ODPS product without a team has no owner either; that is reported
# once, as ownership-missing-team.
bitol_without_team if {
	standard == "bitol-odps"
	not view.team
}

# ---------------------------------------------------------------------------
# Standards with a team: Bitol ODPS `team`, Witboost `ownerGroup`
# ---------------------------------------------------------------------------

missing_team_msg := {
	"bitol-odps": "the product has no team, so nobody is accountable for it",
	"witboost": "ownerGroup is missing: name the group that owns the product",
}

deny contains {
	"msg": missing_team_msg[standard],
	"path": "view.team",
	"id": "ownership-missing-team",
} if {
	is_object(view)
	not view.team
}

# Bitol ODPS only: the view cannot tell a malformed team from an empty one.
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

is_owner(m) if {
	is_string(m.role)
	lower(trim_space(m.role)) in owner_roles
}

member_label(m) := m.id if {
	lib.nonempty(m.id)
} else := m.name if {
	lib.nonempty(m.name)
} else := "(unnamed member)"

# An owner who has left (Bitol ODPS dateOut) no longer counts as an owner.
warn contains {
	"msg": sprintf("team member %s is listed as owner but left the team on %s", [member_label(m), m.date_out]),
	"path": ["view", "team", "members", i, "date_out"],
	"id": "ownership-owner-left",
} if {
	some i, m in view.team.members
	is_owner(m)
	lib.nonempty(m.date_out)
}

# ---------------------------------------------------------------------------
# DPDS: the owner is identified by info.owner.id
# ---------------------------------------------------------------------------

# The view falls back to info.owner.name when there is no id; DPDS requires
# the id. (No owner at all is ownership-missing-owner.)
deny contains {
	"msg": sprintf("info.owner.id is missing; a DPDS owner is identified by id, not only by its name \"%s\"", [owners[0]]),
	"path": "info.owner.id",
	"id": "ownership-owner-without-id",
} if {
	standard == "dpds"
	count(owners) > 0
	is_object(input.info.owner)
	not lib.text(input.info.owner, "id")
}

warn contains {
	"msg": "info.owner.name is not set; the owner is only known by its id",
	"path": "info.owner.name",
	"id": "ownership-owner-without-name",
} if {
	standard == "dpds"
	is_object(input.info.owner)
	lib.text(input.info.owner, "id")
	not lib.text(input.info.owner, "name")
}
