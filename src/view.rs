//! The normalized view: one shape for every descriptor standard, so a policy is written once.
//!
//! The view is itself a [`Node`] tree whose every node carries the span (and file) of the source
//! node it was taken from, so a finding on `view.owners[0]` is located where that owner is written.
//! Fields a standard lacks are absent, never invented. The README has the mapping per standard.

use crate::descriptor::{Entry, Node, NodeValue, Span, Standard};

/// Roles (compared lower-cased and trimmed) that make a Bitol ODPS team member an owner.
pub const OWNER_ROLES: [&str; 6] = [
    "owner",
    "product owner",
    "data product owner",
    "product-owner",
    "data-product-owner",
    "dataproductowner",
];

/// Builds `data.meshgate.product.view` for a recognised standard (`None` for `custom`).
pub fn build(root: &Node, standard: Standard, version: Option<&str>) -> Option<Node> {
    let mut v = View {
        entries: Vec::new(),
    };
    v.put_str("standard", root.span, standard.as_str());
    if let (Some(e), Some(text)) = (
        standard.version_field().and_then(|k| root.entry(k)),
        version,
    ) {
        v.put(
            "standard_version",
            e.key_span,
            string(e.value.span, text.to_string()),
        );
    }
    match standard {
        Standard::BitolOdps => bitol(&mut v, root),
        Standard::Dpds => dpds(&mut v, root),
        Standard::OdpiOdps => odpi(&mut v, root),
        Standard::Dps => dps(&mut v, root),
        Standard::Witboost => witboost(&mut v, root),
        Standard::Custom => return None,
    }
    Some(object(root.span, v.entries))
}

/// Entries of the view being built.
struct View {
    entries: Vec<Entry>,
}

impl View {
    /// Copies a member that must be a list; anything else is left out of the view.
    fn copy_list(&mut self, key: &str, src: Option<&Entry>) {
        self.copy(
            key,
            src.filter(|e| matches!(e.value.value, NodeValue::Array(_))),
        );
    }

    /// Copies a source member under a new key, keeping its spans.
    fn copy(&mut self, key: &str, src: Option<&Entry>) {
        if let Some(e) = src {
            self.entries.push(Entry {
                key: key.to_string(),
                key_span: e.key_span,
                value: e.value.clone(),
            });
        }
    }

    /// Copies a scalar member as a string exactly as written (`4.0` stays "4.0").
    fn text(&mut self, key: &str, src: Option<&Entry>) {
        if let Some(e) = src {
            let value = match e.value.scalar_text() {
                Some(t) => string(e.value.span, t),
                None => e.value.clone(),
            };
            self.put(key, e.key_span, value);
        }
    }

    fn put(&mut self, key: &str, key_span: Span, value: Node) {
        self.entries.push(Entry {
            key: key.to_string(),
            key_span,
            value,
        });
    }

    fn put_str(&mut self, key: &str, span: Span, text: &str) {
        self.put(key, span, string(span, text.to_string()));
    }

    /// `owners`, located at the first of `places` that exists (where the owner is written, or
    /// where it belongs when it is missing), else at the root.
    fn owners(&mut self, owners: Vec<Node>, places: &[Option<&Entry>], root: &Node) {
        match places.iter().flatten().next() {
            Some(e) => self.put("owners", e.key_span, array(e.value.span, owners)),
            None => self.put("owners", root.span, array(root.span, owners)),
        }
    }

    /// `description: {purpose, limitations, usage}` from whichever of them exist.
    fn description(&mut self, at: Span, parts: [(&str, Option<&Entry>); 3]) {
        let entries: Vec<Entry> = parts
            .into_iter()
            .filter_map(|(k, e)| e.map(|e| renamed(k, e)))
            .collect();
        if let Some(first) = entries.first() {
            let span = first.key_span;
            self.put("description", span, object(at, entries));
        }
    }
}

fn string(span: Span, text: String) -> Node {
    Node {
        value: NodeValue::String(text),
        span,
        raw: None,
    }
}

fn object(span: Span, entries: Vec<Entry>) -> Node {
    Node {
        value: NodeValue::Object(entries),
        span,
        raw: None,
    }
}

fn array(span: Span, items: Vec<Node>) -> Node {
    Node {
        value: NodeValue::Array(items),
        span,
        raw: None,
    }
}

fn renamed(key: &str, e: &Entry) -> Entry {
    Entry {
        key: key.to_string(),
        key_span: e.key_span,
        value: e.value.clone(),
    }
}

fn items(node: &Node) -> &[Node] {
    match &node.value {
        NodeValue::Array(items) => items,
        _ => &[],
    }
}

/// The first of `keys` whose value is a non-blank scalar, as text.
fn first_text(node: &Node, keys: &[&str]) -> Option<Node> {
    keys.iter()
        .filter_map(|k| node.get(k))
        .find(|n| n.scalar_text().is_some_and(|t| !t.trim().is_empty()))
        .and_then(as_text)
}

fn nonempty(node: &Node) -> bool {
    node.as_str().is_some_and(|s| !s.trim().is_empty())
}

/// A string copy of a scalar node (numbers as written).
fn as_text(node: &Node) -> Option<Node> {
    node.scalar_text().map(|t| string(node.span, t))
}

/// A list of ports, each built by `port` from the source item; `None` when the source has none
/// or has something other than a list (a list field of the view is always a list, so policies
/// can iterate it without checking its type).
fn ports(src: Option<&Entry>, port: impl Fn(&Node) -> Vec<Entry>) -> Option<(Span, Node)> {
    let e = src?;
    if !matches!(e.value.value, NodeValue::Array(_)) {
        return None;
    }
    let list = items(&e.value)
        .iter()
        .map(|item| object(item.span, port(item)))
        .collect();
    Some((e.key_span, array(e.value.span, list)))
}

/// Members of a port object, renamed: `(view key, source member)`.
fn pick(pairs: Vec<(&str, Option<&Entry>)>) -> Vec<Entry> {
    pairs
        .into_iter()
        .filter_map(|(k, e)| e.map(|e| renamed(k, e)))
        .collect()
}

/// The `value` member of the first `customProperties` item whose `property` is one of `names`.
fn custom_property<'a>(node: &'a Node, names: &[&str]) -> Option<&'a Entry> {
    items(node.get("customProperties")?).iter().find_map(|cp| {
        let name = cp.get("property")?.as_str()?.to_lowercase();
        names.contains(&name.as_str()).then(|| cp.entry("value"))?
    })
}

fn bitol(v: &mut View, root: &Node) {
    v.copy("id", root.entry("id"));
    v.copy("name", root.entry("name"));
    v.copy("domain", root.entry("domain"));
    v.text("version", root.entry("version"));
    v.copy("status", root.entry("status"));
    match root.entry("description") {
        Some(e) if e.value.is_object() => v.description(
            e.value.span,
            [
                ("purpose", e.value.entry("purpose")),
                ("limitations", e.value.entry("limitations")),
                ("usage", e.value.entry("usage")),
            ],
        ),
        Some(e) => v.description(e.value.span, [("purpose", Some(e)), ("", None), ("", None)]),
        None => {}
    }
    // v1.0: team {name, members}; v0.9: team is the list of members.
    let team = root.entry("team");
    let members = team.and_then(|t| match &t.value.value {
        NodeValue::Array(_) => Some(t),
        NodeValue::Object(_) => t.value.entry("members"),
        _ => None,
    });
    let owners_at = members.or(team);
    let owners: Vec<Node> = members
        .map(|m| items(&m.value))
        .unwrap_or_default()
        .iter()
        .filter(|m| {
            m.get("role")
                .and_then(Node::as_str)
                .is_some_and(|r| OWNER_ROLES.contains(&r.trim().to_lowercase().as_str()))
                && !m.get("dateOut").is_some_and(nonempty)
        })
        .filter_map(|m| first_text(m, &["username", "name"]))
        .collect();
    v.owners(owners, &[owners_at], root);
    if let Some(t) = team {
        let mut entries = Vec::new();
        if t.value.is_object() {
            if let Some(name) = t.value.entry("name") {
                entries.push(renamed("name", name));
            }
        }
        if let Some(m) = members {
            let list = items(&m.value)
                .iter()
                .map(|m| {
                    object(
                        m.span,
                        pick(vec![
                            ("id", m.entry("username")),
                            ("name", m.entry("name")),
                            ("role", m.entry("role")),
                            ("date_in", m.entry("dateIn")),
                            ("date_out", m.entry("dateOut")),
                        ]),
                    )
                })
                .collect();
            entries.push(Entry {
                key: "members".to_string(),
                key_span: m.key_span,
                value: array(m.value.span, list),
            });
        }
        v.put("team", t.key_span, object(t.value.span, entries));
    }
    v.copy_list("tags", root.entry("tags"));
    if let Some((span, list)) = ports(root.entry("inputPorts"), |p| {
        pick(vec![
            ("name", p.entry("name")),
            ("ref", p.entry("contractId")),
        ])
    }) {
        v.put("input_ports", span, list);
    }
    if let Some((span, list)) = ports(root.entry("outputPorts"), |p| {
        pick(vec![
            ("name", p.entry("name")),
            ("type", p.entry("type")),
            ("description", p.entry("description")),
            ("contract", p.entry("contractId")),
            (
                "sla",
                custom_property(p, &["sla"]).or_else(|| p.entry("sla")),
            ),
            (
                "classification",
                custom_property(p, &["classification", "dataclassification"]),
            ),
            (
                "retention",
                custom_property(p, &["retention", "retentionperiod"]),
            ),
            ("pii", custom_property(p, &["pii"])),
        ])
    }) {
        v.put("output_ports", span, list);
    }
    v.copy("support", root.entry("support"));
    lifecycle_terms(
        v,
        [
            custom_property(root, &["sunsetdate"]),
            custom_property(root, &["replacedby", "successor"]),
            custom_property(root, &["termsofuse", "terms"]),
        ],
    );
}

/// `sunset_date`, `replaced_by` and `terms` (meshgate's conventions where the standard has no
/// such field: custom properties, `x-` extensions), from whichever exist.
fn lifecycle_terms(v: &mut View, [sunset, successor, terms]: [Option<&Entry>; 3]) {
    v.copy("sunset_date", sunset);
    v.copy("replaced_by", successor);
    v.copy("terms", terms);
}

fn dpds(v: &mut View, root: &Node) {
    let info = root.get("info");
    let i = |k: &str| info.and_then(|n| n.entry(k));
    v.copy("id", i("fullyQualifiedName"));
    v.copy("name", i("name"));
    v.copy("domain", i("domain"));
    v.text("version", i("version"));
    v.copy("status", i("x-status"));
    v.description(
        info.map_or(root.span, |n| n.span),
        [("purpose", i("description")), ("", None), ("", None)],
    );
    let owner = i("owner");
    let owners = owner.and_then(|o| first_text(&o.value, &["id", "name"]));
    v.owners(
        owners.into_iter().collect(),
        &[owner, root.entry("info")],
        root,
    );
    v.copy_list("tags", root.entry("tags"));
    let interface = root.get("interfaceComponents");
    let ic = |k: &str| interface.and_then(|n| n.entry(k));
    if let Some((span, list)) = ports(ic("inputPorts"), |p| {
        pick(vec![
            ("name", p.entry("name")),
            ("ref", p.entry("x-contractId")),
        ])
    }) {
        v.put("input_ports", span, list);
    }
    if let Some((span, list)) = ports(ic("outputPorts"), |p| {
        let promises = p.get("promises");
        let obligations = p.get("obligations");
        pick(vec![
            ("name", p.entry("name")),
            ("type", promises.and_then(|n| n.entry("servicesType"))),
            ("description", p.entry("description")),
            ("contract", p.entry("x-contractId")),
            (
                "sla",
                promises
                    .and_then(|n| n.entry("slo"))
                    .or_else(|| obligations.and_then(|n| n.entry("sla"))),
            ),
            ("classification", p.entry("x-classification")),
            ("retention", p.entry("x-retention")),
            ("pii", p.entry("x-pii")),
        ])
    }) {
        v.put("output_ports", span, list);
    }
    v.copy("support", i("contactPoints"));
    lifecycle_terms(v, [i("x-sunsetDate"), i("x-replacedBy"), i("x-termsOfUse")]);
}

fn odpi(v: &mut View, root: &Node) {
    let Some(product) = root.get("product") else {
        return;
    };
    // v4: product.details.<lang>; v3: product.<lang>. English when present, else the first.
    fn lang(holder: &Node) -> Option<&Node> {
        holder.get("en").or_else(|| match &holder.value {
            NodeValue::Object(entries) => entries
                .iter()
                .find(|e| e.key.len() == 2 && e.value.is_object())
                .map(|e| &e.value),
            _ => None,
        })
    }
    let details = product
        .get("details")
        .and_then(lang)
        .or_else(|| lang(product));
    let d = |k: &str| details.and_then(|n| n.entry(k));
    v.copy("id", d("productID"));
    v.copy("name", d("name"));
    v.text("version", d("productVersion"));
    v.copy("status", d("status"));
    v.description(
        details.map_or(product.span, |n| n.span),
        [("purpose", d("description")), ("", None), ("", None)],
    );
    let holder = product.entry("dataHolder");
    let holder_details = holder.and_then(|h| lang(&h.value).or(Some(&h.value)));
    let owners = holder_details.and_then(|h| first_text(h, &["email", "name"]));
    v.owners(
        owners.into_iter().collect(),
        &[holder, root.entry("product")],
        root,
    );
    v.copy_list("tags", d("tags"));
    if let Some(access) = product.entry("dataAccess") {
        if let NodeValue::Object(methods) = &access.value.value {
            let sla = product.get("SLA");
            let list = methods
                .iter()
                .map(|m| {
                    let mut entries = vec![Entry {
                        key: "name".to_string(),
                        key_span: m.key_span,
                        value: string(m.key_span, m.key.clone()),
                    }];
                    entries.extend(pick(vec![
                        ("type", m.value.entry("type")),
                        ("description", m.value.entry("description")),
                        (
                            "sla",
                            sla.and_then(|s| s.entry(&m.key).or_else(|| s.entry("default"))),
                        ),
                    ]));
                    object(m.value.span, entries)
                })
                .collect();
            v.put(
                "output_ports",
                access.key_span,
                array(access.value.span, list),
            );
        }
    }
    v.copy("terms", product.entry("license"));
}

fn dps(v: &mut View, root: &Node) {
    let info = root.get("info");
    let i = |k: &str| info.and_then(|n| n.entry(k));
    v.copy("id", root.entry("id"));
    v.copy("name", i("title"));
    v.copy("domain", i("domain"));
    v.text("version", i("version"));
    v.copy("status", i("status"));
    v.description(
        info.map_or(root.span, |n| n.span),
        [
            ("purpose", i("purpose").or_else(|| i("description"))),
            ("", None),
            ("", None),
        ],
    );
    let owner = i("owner");
    let owners = owner
        .filter(|o| nonempty(&o.value))
        .and_then(|o| as_text(&o.value));
    v.owners(
        owners.into_iter().collect(),
        &[owner, root.entry("info")],
        root,
    );
    v.copy_list("tags", root.entry("tags"));
    if let Some((span, list)) = ports(root.entry("inputPorts"), |p| {
        pick(vec![
            ("name", p.entry("name").or_else(|| p.entry("id"))),
            (
                "ref",
                p.entry("sourceOutputPortId")
                    .or_else(|| p.entry("sourceSystemId")),
            ),
        ])
    }) {
        v.put("input_ports", span, list);
    }
    if let Some((span, list)) = ports(root.entry("outputPorts"), |p| {
        pick(vec![
            ("name", p.entry("name").or_else(|| p.entry("id"))),
            ("type", p.entry("type")),
            ("description", p.entry("description")),
            ("contract", p.entry("dataContractId")),
            ("pii", p.entry("containsPii")),
        ])
    }) {
        v.put("output_ports", span, list);
    }
    let custom = root.get("custom");
    let c = |k: &str| custom.and_then(|n| n.entry(k));
    lifecycle_terms(v, [c("sunsetDate"), c("replacedBy"), None]);
}

fn witboost(v: &mut View, root: &Node) {
    v.copy("id", root.entry("id"));
    v.copy("name", root.entry("name"));
    v.copy("domain", root.entry("domain"));
    v.text("version", root.entry("version"));
    v.copy("status", root.entry("status"));
    v.description(
        root.span,
        [
            ("purpose", root.entry("description")),
            ("", None),
            ("", None),
        ],
    );
    let owner = root.entry("dataProductOwner");
    let owners = owner
        .filter(|o| nonempty(&o.value))
        .and_then(|o| as_text(&o.value));
    v.owners(owners.into_iter().collect(), &[owner], root);
    if let Some(group) = root.entry("ownerGroup") {
        v.put(
            "team",
            group.key_span,
            object(group.value.span, vec![renamed("name", group)]),
        );
    }
    if let Some(tags) = root
        .entry("tags")
        .filter(|t| matches!(t.value.value, NodeValue::Array(_)))
    {
        // Witboost tags are objects `{tagFQN: …}`; the view lists the names.
        let list = items(&tags.value)
            .iter()
            .filter_map(|t| match &t.value {
                NodeValue::Object(_) => t.get("tagFQN").and_then(as_text),
                _ => as_text(t),
            })
            .collect();
        v.put("tags", tags.key_span, array(tags.value.span, list));
    }
    if let Some(components) = root.entry("components") {
        let list: Vec<Node> = items(&components.value)
            .iter()
            .filter(|c| {
                c.get("kind")
                    .and_then(Node::as_str)
                    .is_some_and(|k| k.eq_ignore_ascii_case("outputport"))
            })
            .map(|c| {
                let contract = c.get("dataContract");
                let agreement = c.get("dataSharingAgreement");
                object(
                    c.span,
                    pick(vec![
                        ("name", c.entry("name")),
                        ("type", c.entry("outputPortType")),
                        ("description", c.entry("description")),
                        ("contract", c.entry("dataContract")),
                        ("sla", contract.and_then(|n| n.entry("SLA"))),
                        (
                            "classification",
                            agreement.and_then(|n| n.entry("confidentiality")),
                        ),
                        ("retention", agreement.and_then(|n| n.entry("lifeCycle"))),
                    ]),
                )
            })
            .collect();
        v.put(
            "output_ports",
            components.key_span,
            array(components.value.span, list),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::{parse, parse_path, Format, Limits, Pos};
    use serde_json::json;

    /// The view of a YAML/JSON descriptor, as JSON, and the descriptor's root.
    fn view_of(text: &str, format: Format) -> (serde_json::Value, Node) {
        let root = parse(text.as_bytes(), format, &Limits::default()).unwrap();
        let (standard, version) = Standard::detect(&root);
        let view = build(&root, standard, version.as_deref()).expect("a recognised standard");
        // As policies see it: the Rego value, as JSON.
        let json = serde_json::to_value(view.to_rego()).expect("a view converts to JSON");
        (json, view)
    }

    fn at(view: &Node, path: &str) -> Pos {
        let (span, found) = view.locate(&parse_path(path).unwrap());
        assert!(found, "{path} not in the view");
        span.start
    }

    #[test]
    fn list_fields_that_are_not_lists_are_left_out() {
        // A malformed descriptor: the view's lists stay lists (policies iterate them
        // without checking), the scalars are kept.
        let (v, _) = view_of(
            "apiVersion: v1.0.0\nkind: DataProduct\nid: p\nname: n\ntags: pii\ninputPorts: 5\noutputPorts: \"\"\n",
            Format::Yaml,
        );
        assert_eq!(v["id"], json!("p"));
        for key in ["tags", "input_ports", "output_ports"] {
            assert!(v.get(key).is_none(), "{key}: {v}");
        }
        let (v, _) = view_of(
            "{\"dataProductDescriptor\": \"1.0.0\", \"info\": {\"name\": \"n\"}, \"tags\": {\"a\": 1}, \"interfaceComponents\": {\"outputPorts\": {\"x\": 1}}}",
            Format::Json,
        );
        assert!(
            v.get("tags").is_none() && v.get("output_ports").is_none(),
            "{v}"
        );
    }

    #[test]
    fn bitol_odps_v1_and_v0_9() {
        let (v, view) = view_of(
            "apiVersion: v1.0.0\nkind: DataProduct\nid: p-1\nname: orders\nversion: 1.10\nstatus: active\ndomain: sales\n\
description:\n  purpose: Orders placed.\n  usage: Analytics.\n\
team:\n  name: sales-team\n  members:\n    - {username: ann, role: Owner}\n    - {username: bob, role: owner, dateOut: 2024-01-01}\n    - {username: cy, role: engineer}\n\
tags: [a]\ninputPorts:\n  - {name: in, contractId: c-in}\n\
outputPorts:\n  - name: out\n    type: tables\n    contractId: c-out\n    customProperties:\n      - {property: dataClassification, value: restricted}\n      - {property: pii, value: true}\n\
support:\n  - {channel: slack, url: 'https://x'}\n",
            Format::Yaml,
        );
        assert_eq!(
            v,
            json!({
                "standard": "bitol-odps", "standard_version": "v1.0.0",
                "id": "p-1", "name": "orders", "domain": "sales", "version": "1.10", "status": "active",
                "description": {"purpose": "Orders placed.", "usage": "Analytics."},
                "owners": ["ann"],
                "team": {"name": "sales-team", "members": [
                    {"id": "ann", "role": "Owner"},
                    {"id": "bob", "role": "owner", "date_out": "2024-01-01"},
                    {"id": "cy", "role": "engineer"}]},
                "tags": ["a"],
                "input_ports": [{"name": "in", "ref": "c-in"}],
                "output_ports": [{"name": "out", "type": "tables", "contract": "c-out", "classification": "restricted", "pii": true}],
                "support": [{"channel": "slack", "url": "https://x"}],
            })
        );
        assert_eq!(at(&view, "version"), Pos::new(5, 10));
        assert_eq!(at(&view, "owners[0]"), Pos::new(14, 18));
        assert_eq!(
            at(&view, "output_ports[0].classification"),
            Pos::new(25, 47)
        );
        // v0.9: team is the list of members; nobody owns it.
        let (v, view) = view_of(
            "apiVersion: v0.9.0\nkind: DataProduct\nteam:\n  - {username: cy, role: engineer}\n",
            Format::Yaml,
        );
        assert_eq!(v["owners"], json!([]));
        assert_eq!(
            v["team"],
            json!({"members": [{"id": "cy", "role": "engineer"}]})
        );
        assert_eq!(at(&view, "owners"), Pos::new(3, 1));
    }

    #[test]
    fn dpds() {
        let (v, view) = view_of(
            r#"{"dataProductDescriptor": "1.0.0",
 "info": {"fullyQualifiedName": "urn:dpds:x:1", "name": "x", "domain": "d", "version": "1.0.0",
          "description": "Things.", "owner": {"id": "team@x", "name": "Team"}, "x-status": "active",
          "contactPoints": [{"channel": "email", "address": "a@x"}]},
 "interfaceComponents": {
   "inputPorts": [{"name": "i", "x-contractId": "c1"}],
   "outputPorts": [{"name": "o", "description": "Out.", "x-contractId": "c2", "x-pii": true,
                    "x-classification": "internal", "promises": {"servicesType": "batch", "slo": {"freshness": "PT1H"}}}]},
 "tags": ["t"]}"#,
            Format::Json,
        );
        assert_eq!(
            v,
            json!({
                "standard": "dpds", "standard_version": "1.0.0",
                "id": "urn:dpds:x:1", "name": "x", "domain": "d", "version": "1.0.0", "status": "active",
                "description": {"purpose": "Things."},
                "owners": ["team@x"],
                "tags": ["t"],
                "input_ports": [{"name": "i", "ref": "c1"}],
                "output_ports": [{"name": "o", "type": "batch", "description": "Out.", "contract": "c2",
                                  "sla": {"freshness": "PT1H"}, "classification": "internal", "pii": true}],
                "support": [{"channel": "email", "address": "a@x"}],
            })
        );
        assert_eq!(at(&view, "owners[0]"), Pos::new(3, 53));
        assert_eq!(at(&view, "output_ports[0].pii"), Pos::new(7, 88));
        // No owner: an empty list located at `info`.
        let (v, view) = view_of(
            "dataProductDescriptor: 1.0.0\ninfo:\n  name: y\n",
            Format::Yaml,
        );
        assert_eq!(v["owners"], json!([]));
        assert_eq!(at(&view, "owners"), Pos::new(2, 1));
    }

    #[test]
    fn odpi_odps_v4_and_v3() {
        let (v, view) = view_of(
            "schema: https://opendataproducts.org/v4.0/schema/odps.yaml\nversion: 4.0\nproduct:\n  details:\n    en:\n      name: Reach\n      productID: reach-1\n      status: production\n      description: Campaign reach.\n      tags: [ads]\n  \
dataAccess:\n    default: {type: API, description: REST}\n    file: {type: file}\n  SLA:\n    default: {uptime: 99}\n  license: {scope: internal}\n  dataHolder:\n    en: {name: Marketing, email: mkt@x}\n",
            Format::Yaml,
        );
        assert_eq!(
            v,
            json!({
                "standard": "odpi-odps", "standard_version": "4.0",
                "id": "reach-1", "name": "Reach", "status": "production",
                "description": {"purpose": "Campaign reach."},
                "owners": ["mkt@x"],
                "tags": ["ads"],
                "output_ports": [
                    {"name": "default", "type": "API", "description": "REST", "sla": {"uptime": 99}},
                    {"name": "file", "type": "file", "sla": {"uptime": 99}}],
                "terms": {"scope": "internal"},
            })
        );
        assert_eq!(at(&view, "standard_version"), Pos::new(2, 10));
        assert_eq!(at(&view, "owners[0]"), Pos::new(18, 34));
        assert_eq!(at(&view, "output_ports[1].name"), Pos::new(13, 5));
        // v3: details directly under product.<lang>; no data holder.
        let (v, view) = view_of(
            "schema: x\nversion: 3.1\nproduct:\n  en:\n    name: News\n    productID: n-1\n",
            Format::Yaml,
        );
        assert_eq!(
            (v["standard_version"].clone(), v["id"].clone()),
            (json!("3.1"), json!("n-1"))
        );
        assert_eq!(v["owners"], json!([]));
        assert_eq!(at(&view, "owners"), Pos::new(3, 1));
    }

    #[test]
    fn data_product_specification() {
        let (v, _) = view_of(
            "dataProductSpecification: 0.0.1\nid: search-queries\ninfo:\n  title: Search Queries\n  owner: search-team\n  domain: search\n  status: active\n  purpose: Queries.\n\
inputPorts:\n  - {id: kafka, name: Kafka topic, sourceSystemId: search-service}\n\
outputPorts:\n  - {id: sq, name: SQ, type: snowflake, dataContractId: sq-v1, containsPii: false}\ntags: [search]\n",
            Format::Yaml,
        );
        assert_eq!(
            v,
            json!({
                "standard": "dps", "standard_version": "0.0.1",
                "id": "search-queries", "name": "Search Queries", "domain": "search", "status": "active",
                "description": {"purpose": "Queries."},
                "owners": ["search-team"],
                "tags": ["search"],
                "input_ports": [{"name": "Kafka topic", "ref": "search-service"}],
                "output_ports": [{"name": "SQ", "type": "snowflake", "contract": "sq-v1", "pii": false}],
            })
        );
    }

    #[test]
    fn witboost() {
        let (v, view) = view_of(
            "id: urn:dmb:dp:finance:cash-flow:0\nname: Cash Flow\ndomain: finance\nversion: 0.1.0\ndescription: Cash.\n\
dataProductOwner: user:jane\nownerGroup: group:fin\ntags:\n  - tagFQN: finance\n\
components:\n  - id: urn:dmb:cmp:x\n    kind: outputport\n    name: Raw\n    outputPortType: SQL\n    dataContract: {SLA: {upTime: 99.9%}}\n    dataSharingAgreement: {confidentiality: internal}\n  - {id: w, kind: workload, name: job}\n",
            Format::Yaml,
        );
        assert_eq!(
            v,
            json!({
                "standard": "witboost",
                "id": "urn:dmb:dp:finance:cash-flow:0", "name": "Cash Flow", "domain": "finance", "version": "0.1.0",
                "description": {"purpose": "Cash."},
                "owners": ["user:jane"],
                "team": {"name": "group:fin"},
                "tags": ["finance"],
                "output_ports": [{"name": "Raw", "type": "SQL", "contract": {"SLA": {"upTime": "99.9%"}},
                                  "sla": {"upTime": "99.9%"}, "classification": "internal"}],
            })
        );
        assert_eq!(at(&view, "tags[0]"), Pos::new(9, 13));
        assert_eq!(
            at(&view, "output_ports[0].classification"),
            Pos::new(16, 45)
        );
    }

    #[test]
    fn retention_sunset_successor_and_terms() {
        let (v, view) = view_of(
            "apiVersion: v1.0.0\nkind: DataProduct\nid: a\ncustomProperties:\n  - property: sunsetDate\n    value: 2026-06-30\n  - property: replacedBy\n    value: b\n  - property: termsOfUse\n    value: Internal analytics only.\noutputPorts:\n  - name: o\n    customProperties:\n      - property: retentionPeriod\n        value: P2Y\n",
            Format::Yaml,
        );
        assert_eq!(v["sunset_date"], json!("2026-06-30"));
        assert_eq!(v["replaced_by"], json!("b"));
        assert_eq!(v["terms"], json!("Internal analytics only."));
        assert_eq!(v["output_ports"][0]["retention"], json!("P2Y"));
        assert_eq!(at(&view, "sunset_date"), Pos::new(6, 12));
        assert_eq!(at(&view, "output_ports[0].retention"), Pos::new(15, 16));

        let (v, _) = view_of(
            r#"{"dataProductDescriptor": "1.0.0",
 "info": {"name": "x", "x-sunsetDate": "2026-01-31", "x-replacedBy": "urn:dpds:x:y:2", "x-termsOfUse": "CC-BY"},
 "interfaceComponents": {"outputPorts": [{"name": "o", "x-retention": "P30D"}]}}"#,
            Format::Json,
        );
        assert_eq!(v["sunset_date"], json!("2026-01-31"));
        assert_eq!(v["replaced_by"], json!("urn:dpds:x:y:2"));
        assert_eq!(v["terms"], json!("CC-BY"));
        assert_eq!(v["output_ports"][0]["retention"], json!("P30D"));

        let (v, _) = view_of(
            "dataProductSpecification: 0.0.1\nid: s\ninfo:\n  title: S\ncustom:\n  sunsetDate: 2026-03-01\n  replacedBy: s2\n",
            Format::Yaml,
        );
        assert_eq!(v["sunset_date"], json!("2026-03-01"));
        assert_eq!(v["replaced_by"], json!("s2"));
        assert_eq!(v.get("terms"), None);

        let (v, _) = view_of(
            "id: urn:dmb:dp:d:n:1\ndataProductOwner: user:x\nkind: dataproduct\ncomponents:\n  - kind: outputport\n    name: o\n    dataSharingAgreement:\n      lifeCycle: Kept 5 years.\n",
            Format::Yaml,
        );
        assert_eq!(v["output_ports"][0]["retention"], json!("Kept 5 years."));
    }

    #[test]
    fn custom_has_no_view() {
        let root = parse(b"name: x\n", Format::Yaml, &Limits::default()).unwrap();
        assert!(build(&root, Standard::Custom, None).is_none());
    }
}
