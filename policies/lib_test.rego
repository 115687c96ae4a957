package governance.lib_test

import data.governance.lib

# data.meshgate.product for a descriptor of `standard` in domain `domain`
# whose normalized view is `view` (as meshgate builds it, see src/view.rs).
# Shared by the library's tests.
product_in(domain, name, standard, view) := {
	"path": sprintf("domains/%s/products/%s/dataproduct.yaml", [domain, name]),
	"domain": domain,
	"standard": standard,
	"format": "yaml",
	"view": object.union({"standard": standard}, view),
}

product(standard, view) := product_in("orders", "p", standard, view)

# The ids of a rule's findings.
ids(findings) := {f.id | some f in findings; is_object(f)}

# A mesh entry (facts plus descriptor) for data.meshgate.mesh.products.
entry(facts, descriptor) := object.union(facts, {"descriptor": descriptor})

test_kebab if {
	lib.kebab("order-events")
	not lib.kebab("Order-Events")
	not lib.kebab("order--events")
	not lib.kebab("-order")
	not lib.kebab(5)
}

test_email if {
	lib.email("ana@acme.example")
	not lib.email("Customer Data Team")
	not lib.email("ana@localhost")
	not lib.email("a@b@c.d")
	not lib.email(["a@b.c"])
}

test_date if {
	lib.date("2026-06-30")
	lib.date("2026-06-30T00:00:00Z")
	not lib.date("30/06/2026")
	not lib.date("soon")
	not lib.date(20260630)
}

test_params_merge_over_defaults if {
	lib.params("governance.x", {"a": 1, "b": 2}) == {"a": 1, "b": 3} with data.meshgate.params as {"governance.x": {"b": 3}}
	lib.params("governance.x", {"a": 1}) == {"a": 1}
	lib.params("governance.x", {"a": 1}) == {"a": 1} with data.meshgate.params as {"governance.x": "oops"}
}

test_domain_people_and_teams if {
	d := {"name": "orders", "owner": {"team": "orders-platform", "email": "orders@acme.example"}, "teams": ["checkout", {"id": "Payments"}], "members": ["ana@acme.example", {"username": "bo", "role": "steward"}, 7]}
	m := {"domains": {"orders": {"name": "orders", "path": "domains/orders/domain.yaml", "descriptor": d}}}
	facts := product("bitol-odps", {})
	lib.domain_teams(d) == {"orders-platform", "checkout", "payments"}
	dom := lib.domain with data.meshgate.mesh as m with data.meshgate.product as facts
	lib.domain_people(dom) == {"orders-platform", "orders@acme.example", "checkout", "payments", "ana@acme.example", "bo"}
}

test_a_domain_owner_may_be_a_plain_team_id if {
	lib.domain_teams({"owner": "team-orders"}) == {"team-orders"}
	lib.domain_teams({"owner": 5, "teams": "x"}) == set()
}
