# METADATA
# title: The product's owner belongs to its domain
# description: >-
#   The owner a product names (the view's owners) must be someone the
#   product's domain lists in domains/<domain>/domain.yaml: its `owner` (a team
#   id, or an object with team / id / email), one of its `teams` (ids, or
#   objects with an id) or one of its `members` (ids or e-mails, or objects
#   with id / email / username), compared case-insensitively. A product owned
#   by someone outside its domain has nobody accountable in the domain. Only
#   products whose domain has a domain.yaml are checked.
# custom:
#   severity: error
#   category: ownership
#   level: silver
#   remediation: >-
#     Add the owner to the domain's domain.yaml (members: [{email: ...,
#     role: owner}] or teams: [<team id>]), or make the product's owner
#     someone the domain already lists.
package governance.domain_membership

import data.governance.lib

applicable if {
	lib.domain
	count(lib.view.owners) > 0
}

deny contains {
	"msg": sprintf("owner \"%s\" is not listed as an owner, team or member of %s", [owner, lib.domain_file]),
	"path": ["view", "owners", i],
	"id": "owner-not-in-domain",
} if {
	lib.domain
	some i, owner in lib.view.owners
	lib.nonempty(owner)
	not lower(trim_space(owner)) in lib.domain_people(lib.domain)
}
