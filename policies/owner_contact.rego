# METADATA
# title: The product's owner can be reached
# description: >-
#   Every owner the product names (the view's owners) is either an e-mail
#   address (of the organisation's domain when the parameter email_domain is
#   set, e.g. "acme.example") or the id of a team its domain declares in
#   domains/<domain>/domain.yaml (`owner`, `owner.team` or `teams`). A
#   person's display name ("Customer Data Team") cannot be contacted.
# custom:
#   severity: error
#   category: ownership
#   level: bronze
#   remediation:
#     bitol-odps: Give the owning team member a username that is their e-mail address.
#     dpds: Set info.owner.id to an e-mail address or a team id declared in domain.yaml.
#     odpi-odps: Give product.dataHolder an email.
#     dps: Set info.owner to a team id declared in domain.yaml (teams) or an e-mail address.
#     witboost: Set dataProductOwner to an e-mail address or a team id declared in domain.yaml.
#     default: Name the owner by e-mail address or by a team id declared in the domain's domain.yaml.
package governance.owner_contact

import data.governance.lib

defaults := {"email_domain": ""}

params := lib.params("governance.owner_contact", defaults)

# "@acme.example" when an e-mail domain is required.
required_suffix := concat("", ["@", lower(params.email_domain)]) if lib.nonempty(params.email_domain)

applicable if count(lib.view.owners) > 0

declared_team(owner) if lower(trim_space(owner)) in lib.domain_teams(lib.domain)

deny contains {
	"msg": sprintf("owner \"%s\" is neither an e-mail address nor a team id declared in %s", [owner, lib.domain_file]),
	"path": ["view", "owners", i],
	"id": "owner-unreachable",
} if {
	some i, owner in lib.view.owners
	lib.nonempty(owner)
	not lib.email(owner)
	not declared_team(owner)
}

deny contains {
	"msg": sprintf("owner e-mail \"%s\" is not an address of %s", [owner, params.email_domain]),
	"path": ["view", "owners", i],
	"id": "owner-email-foreign-domain",
} if {
	required_suffix
	some i, owner in lib.view.owners
	lib.email(owner)
	not endswith(lower(owner), required_suffix)
}
