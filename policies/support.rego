# METADATA
# title: Data products publish a support channel
# description: >-
#   Consumers must be able to reach the team running a product. It lists at
#   least one support channel (the view's support: Bitol ODPS support, DPDS
#   info.contactPoints), and every channel says where to go: a url (Bitol
#   ODPS) or an address (DPDS), or an e-mail.
# custom:
#   severity: warning
#   category: support
#   level: silver
#   standards: [bitol-odps, dpds]
#   remediation:
#     bitol-odps: "Add support: [{channel: '#team-data', url: https://chat.example.com/team-data}]."
#     dpds: "Add info.contactPoints: [{name: ..., channel: email, address: team@example.com}]."
#     default: List a support channel with a url or an address.
package governance.support

import data.governance.lib

standards := {"bitol-odps", "dpds"}

support_field := {"bitol-odps": "support", "dpds": "info.contactPoints"}

applicable if lib.standard in standards

has_support if count(lib.as_list(lib.view.support)) > 0

reachable(ch) if {
	some k in ["url", "address", "email"]
	lib.nonempty(ch[k])
}

deny contains {
	"msg": sprintf("no support channel is listed (%s); consumers cannot reach the owning team", [support_field[lib.standard]]),
	"path": "view.support",
	"id": "support-missing",
} if {
	lib.standard in standards
	is_object(lib.view)
	not has_support
}

deny contains {
	"msg": sprintf("support channel #%d says nowhere to go (no url, address or email)", [i]),
	"path": ["view", "support", i],
	"id": "support-channel-unreachable",
} if {
	lib.standard in standards
	some i, ch in lib.as_list(lib.view.support)
	not reachable(ch)
}
