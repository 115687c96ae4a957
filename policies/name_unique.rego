# METADATA
# title: Product names are unique within their domain
# description: >-
#   Two products of one domain with the same name (the view's name: Bitol ODPS
#   name, DPDS info.name, ODPI ODPS product.details.<lang>.name, DPS
#   info.title, Witboost name) are ambiguous in catalogs, URLs and lineage
#   graphs. The check is a lookup in meshgate's index of names per domain
#   (data.meshgate.mesh.index.product_names), not a scan of the mesh.
# custom:
#   severity: error
#   category: identity
#   level: bronze
#   remediation: >-
#     Rename one of the products (or merge them if they are the same product
#     declared twice); names only need to be unique within a domain.
package governance.name_unique

import data.governance.lib

facts := data.meshgate.product

# The other products of the domain with the same name.
others := [p | some p in lib.index.product_names[facts.domain][lib.view.name]; p != facts.path]

applicable if lib.nonempty(lib.view.name)

deny contains {
	"msg": sprintf("name \"%s\" is also used by %d other product(s) of domain %s, e.g. %s", [lib.view.name, count(others), facts.domain, others[0]]),
	"path": "view.name",
	"id": "name-not-unique-in-domain",
} if {
	lib.nonempty(lib.view.name)
	count(others) > 0
}
