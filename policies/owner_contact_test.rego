package governance.owner_contact_test

import data.governance.lib_test.ids
import data.governance.lib_test.product

mesh := {"domains": {"orders": {"descriptor": {"name": "orders", "owner": {"team": "orders-platform"}, "teams": ["checkout"]}}}}

denies(facts) := found if {
	found := data.governance.owner_contact.deny with data.meshgate.product as facts with data.meshgate.mesh as mesh
}

test_emails_and_declared_teams_pass if {
	count(denies(product("bitol-odps", {"owners": ["maria.keller@acme.example"]}))) == 0
	count(denies(product("dps", {"owners": ["checkout"]}))) == 0
	count(denies(product("dpds", {"owners": ["orders-platform"]}))) == 0
}

test_a_display_name_fails if {
	denies(product("dpds", {"owners": ["Customer Data Team"]})) == {{
		"msg": "owner \"Customer Data Team\" is neither an e-mail address nor a team id declared in domains/orders/domain.yaml",
		"path": ["view", "owners", 0],
		"id": "owner-unreachable",
	}}
	ids(denies(product("witboost", {"owners": ["user:jane"]}))) == {"owner-unreachable"}
}

test_email_domain_parameter if {
	p := {"governance.owner_contact": {"email_domain": "acme.example"}}
	count(denies(product("bitol-odps", {"owners": ["Maria@ACME.example"]}))) == 0 with data.meshgate.params as p
	ids(denies(product("odpi-odps", {"owners": ["maria@gmail.example"]}))) == {"owner-email-foreign-domain"} with data.meshgate.params as p
	count(denies(product("odpi-odps", {"owners": ["maria@gmail.example"]}))) == 0
}

test_applicable_only_with_owners if {
	not data.governance.owner_contact.applicable with data.meshgate.product as product("dps", {"owners": []})
}
