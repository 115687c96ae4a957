package governance.domain_membership_test

import data.governance.lib_test.product

orders := {"name": "orders", "owner": {"team": "orders-platform", "email": "orders-platform@acme.example"}, "members": [
	{"email": "maria.keller@acme.example", "role": "owner"},
	"ines.duarte@acme.example",
]}

mesh := {"domains": {"orders": {"name": "orders", "path": "domains/orders/domain.yaml", "descriptor": orders}}, "products": {}}

denies(facts) := found if {
	found := data.governance.domain_membership.deny with data.meshgate.product as facts with data.meshgate.mesh as mesh
}

test_members_and_the_owner_team_pass if {
	count(denies(product("bitol-odps", {"owners": ["maria.keller@acme.example"]}))) == 0
	count(denies(product("dpds", {"owners": ["Orders-Platform@acme.example"]}))) == 0
	count(denies(product("dps", {"owners": ["orders-platform"]}))) == 0
}

test_an_outsider_fails if {
	denies(product("bitol-odps", {"owners": ["aisha.rahman@acme.example"]})) == {{
		"msg": "owner \"aisha.rahman@acme.example\" is not listed as an owner, team or member of domains/orders/domain.yaml",
		"path": ["view", "owners", 0],
		"id": "owner-not-in-domain",
	}}
	count(denies(product("dpds", {"owners": ["Customer Data Team"]}))) == 1
}

test_not_applicable_without_domain_file if {
	facts := product("dpds", {"owners": ["someone"]})
	not data.governance.domain_membership.applicable with data.meshgate.product as facts with data.meshgate.mesh as {"domains": {"orders": {"descriptor": null}}}
	data.governance.domain_membership.applicable with data.meshgate.product as facts with data.meshgate.mesh as mesh
	count(data.governance.domain_membership.deny) == 0 with data.meshgate.product as facts with data.meshgate.mesh as {"domains": {}}
}
