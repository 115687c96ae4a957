//! The normalized view: one shape for every descriptor standard, so a policy is written once.
//!
//! The view is itself a [`Node`] tree whose every node carries the span (and file) of the source
//! node it was taken from, so a finding on `view.owners[0]` is located where that owner is written.
//! Fields a standard lacks are absent, never invented. A field missing from a descriptor is
//! absent too, and an [`Anchor`] records where it belongs (the object that would hold it), so a
//! finding on it is located there. The README has the mapping per standard.

use crate::descriptor::{format_path, Entry, Node, NodeValue, PathSeg, Span, Standard};

/// Roles (compared lower-cased and trimmed) that make a Bitol ODPS team member an owner.
pub const OWNER_ROLES: [&str; 6] = [
    "owner",
    "product owner",
    "data product owner",
    "product-owner",
    "data-product-owner",
    "dataproductowner",
];

/// The shape of the view, for telling a path to a field the view never has (`view.output_port`)
/// from a path to a field this product lacks (which points at its nearest parent).
enum Shape {
    /// A value copied from the descriptor as written: any path below it may exist.
    Any,
    /// An object with these fields.
    Object(&'static [(&'static str, Shape)]),
    /// A list of these.
    List(&'static Shape),
}

const PORT_IN: Shape = Shape::List(&Shape::Object(&[
    ("name", Shape::Any),
    ("ref", Shape::Any),
    ("tags", Shape::List(&Shape::Any)),
]));
const PORT_OUT: Shape = Shape::List(&Shape::Object(&[
    ("name", Shape::Any),
    ("type", Shape::Any),
    ("description", Shape::Any),
    ("contract", Shape::Any),
    ("sla", Shape::Any),
    ("classification", Shape::Any),
    ("pii", Shape::Any),
    ("retention", Shape::Any),
    ("tags", Shape::List(&Shape::Any)),
]));
const MEMBERS: Shape = Shape::List(&Shape::Object(&[
    ("id", Shape::Any),
    ("name", Shape::Any),
    ("role", Shape::Any),
    ("date_in", Shape::Any),
    ("date_out", Shape::Any),
]));

/// Every field of the view, whatever the standard (README: "The normalized view").
const VIEW: Shape = Shape::Object(&[
    ("standard", Shape::Any),
    ("standard_version", Shape::Any),
    ("id", Shape::Any),
    ("name", Shape::Any),
    ("domain", Shape::Any),
    ("version", Shape::Any),
    ("status", Shape::Any),
    (
        "description",
        Shape::Object(&[
            ("purpose", Shape::Any),
            ("limitations", Shape::Any),
            ("usage", Shape::Any),
        ]),
    ),
    ("owners", Shape::List(&Shape::Any)),
    (
        "team",
        Shape::Object(&[("name", Shape::Any), ("members", MEMBERS)]),
    ),
    ("tags", Shape::List(&Shape::Any)),
    ("input_ports", PORT_IN),
    ("output_ports", PORT_OUT),
    ("support", Shape::Any),
    ("terms", Shape::Any),
    ("sunset_date", Shape::Any),
    ("replaced_by", Shape::Any),
]);

/// Whether `path` (below `view`) can exist in the view of some product; if not, why not.
pub fn check_view_path(path: &[PathSeg]) -> Result<(), String> {
    let mut shape = &VIEW;
    for (i, seg) in path.iter().enumerate() {
        let here = || format_path(&path[..i]);
        let at = |what: &str| {
            if i == 0 {
                format!("the view is {what}")
            } else {
                format!("`view.{}` is {what}", here())
            }
        };
        shape = match (shape, seg) {
            (Shape::Any, _) => return Ok(()),
            (Shape::Object(fields), PathSeg::Key(k)) => {
                match fields.iter().find(|(name, _)| name == k) {
                    Some((_, s)) => s,
                    None => {
                        let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
                        return Err(format!(
                            "{} without a field `{k}` (its fields: {})",
                            at("an object"),
                            names.join(", ")
                        ));
                    }
                }
            }
            (Shape::Object(_), PathSeg::Index(n)) => {
                return Err(format!(
                    "{}, not a list: `[{n}]` selects nothing",
                    at("an object")
                ))
            }
            (Shape::List(item), PathSeg::Index(_)) => item,
            (Shape::List(_), PathSeg::Key(k)) => {
                return Err(format!(
                    "{}: `{k}` selects nothing (use an index, `[0]`)",
                    at("a list")
                ))
            }
        };
    }
    Ok(())
}

/// Where a field missing from the view belongs: its view path (below `view`) and the span of
/// the source object where it would be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Anchor {
    /// The missing field, as a path into the view (`["name"]`, `["output_ports", 0, "sla"]`).
    pub path: Vec<PathSeg>,
    /// The object that would hold it.
    pub span: Span,
}

/// A product's normalized view and where its missing fields belong.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// `data.meshgate.product.view`.
    pub view: Node,
    /// Where each missing field of the view belongs.
    pub anchors: Vec<Anchor>,
}

/// Where a path into the view points: the source of the field, or, for a field missing from
/// the view, where it belongs (the deepest anchor covering the path), else its nearest existing
/// parent. The flag says whether the whole path exists.
pub fn locate(view: &Node, anchors: &[Anchor], path: &[PathSeg]) -> (Span, bool) {
    let (span, found) = view.locate(path);
    if found {
        return (span, true);
    }
    let anchor = anchors
        .iter()
        .filter(|a| path.starts_with(&a.path))
        .max_by_key(|a| a.path.len());
    (anchor.map_or(span, |a| a.span), false)
}

/// The product-level fields whose absence is anchored where the standard would write them
/// (for the standards that have a place for each; `owners` is always present, located the same
/// way).
const TOP_FIELDS: [&str; 7] = [
    "id",
    "name",
    "domain",
    "version",
    "status",
    "description",
    "support",
];

/// Builds `data.meshgate.product.view` for a recognised standard (`None` for `custom`).
pub fn build(root: &Node, standard: Standard, version: Option<&str>) -> Option<Normalized> {
    let mut v = View {
        entries: Vec::new(),
        anchors: Vec::new(),
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
    Some(Normalized {
        view: object(root.span, v.entries),
        anchors: v.anchors,
    })
}

/// Entries of the view being built, and where its missing fields belong.
struct View {
    entries: Vec<Entry>,
    anchors: Vec<Anchor>,
}

impl View {
    /// Copies a member that must be a list; anything else is left out of the view.
    fn copy_list(&mut self, key: &str, src: Option<&Entry>) {
        self.copy(key, list(src));
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

    /// Anchors each of `keys` the view lacks at `span`, the object where it would be written.
    fn belong(&mut self, keys: &[&str], span: Span) {
        for key in keys {
            if !self.entries.iter().any(|e| e.key == *key) {
                self.anchors.push(Anchor {
                    path: vec![PathSeg::Key(key.to_string())],
                    span,
                });
            }
        }
    }

    /// Anchors `field` of each item of the view list `list` that lacks it, at `spans[i]` (the
    /// source object where it would be written; `None` keeps the item itself).
    fn belong_in_items(&mut self, list: &str, field: &str, spans: &[Option<Span>]) {
        let Some(e) = self.entries.iter().find(|e| e.key == list) else {
            return;
        };
        let mut anchors = Vec::new();
        for (i, item) in items(&e.value).iter().enumerate() {
            if let (None, Some(Some(span))) = (item.get(field), spans.get(i)) {
                anchors.push(Anchor {
                    path: vec![
                        PathSeg::Key(list.to_string()),
                        PathSeg::Index(i),
                        PathSeg::Key(field.to_string()),
                    ],
                    span: *span,
                });
            }
        }
        self.anchors.extend(anchors);
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

    /// Anchors each of `parts` that the view's object `key` lacks (all of them when the view
    /// has no `key`) at `span`, the source object that holds them.
    fn belong_parts(&mut self, key: &str, parts: &[&str], span: Span) {
        let have = self.entries.iter().find(|e| e.key == key).map(|e| &e.value);
        for part in parts {
            if have.and_then(|n| n.get(part)).is_none() {
                self.anchors.push(Anchor {
                    path: vec![
                        PathSeg::Key(key.to_string()),
                        PathSeg::Key(part.to_string()),
                    ],
                    span,
                });
            }
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

/// A member that must be a list; anything else is left out, as if absent.
fn list(src: Option<&Entry>) -> Option<&Entry> {
    src.filter(|e| matches!(e.value.value, NodeValue::Array(_)))
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
            ("tags", list(p.entry("tags"))),
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
            ("tags", list(p.entry("tags"))),
        ])
    }) {
        v.put("output_ports", span, list);
    }
    v.copy("support", root.entry("support"));
    // Everything is written at the root; a missing part of the description belongs in it.
    v.belong(&TOP_FIELDS, root.span);
    if let Some(e) = root.entry("description") {
        v.belong_parts(
            "description",
            &["purpose", "limitations", "usage"],
            e.key_span,
        );
    }
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
            ("tags", list(p.entry("tags"))),
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
            ("tags", list(p.entry("tags"))),
        ])
    }) {
        v.put("output_ports", span, list);
    }
    v.copy("support", i("contactPoints"));
    v.belong(
        &TOP_FIELDS,
        root.entry("info").map_or(root.span, |e| e.key_span),
    );
    // A port's SLA is written in its `promises` (as `slo`), when it has them.
    let promises: Vec<Option<Span>> = ic("outputPorts")
        .map(|e| items(&e.value))
        .unwrap_or_default()
        .iter()
        .map(|p| p.entry("promises").map(|e| e.key_span))
        .collect();
    v.belong_in_items("output_ports", "sla", &promises);
    lifecycle_terms(v, [i("x-sunsetDate"), i("x-replacedBy"), i("x-termsOfUse")]);
}

fn odpi(v: &mut View, root: &Node) {
    let Some(product) = root.get("product") else {
        return;
    };
    // v4: product.details.<lang>; v3: product.<lang>. English when present, else the first.
    fn lang_entry(holder: &Node) -> Option<&Entry> {
        holder.entry("en").or_else(|| match &holder.value {
            NodeValue::Object(entries) => entries
                .iter()
                .find(|e| e.key.len() == 2 && e.value.is_object()),
            _ => None,
        })
    }
    fn lang(holder: &Node) -> Option<&Node> {
        lang_entry(holder).map(|e| &e.value)
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
    // Missing details belong in the language block (`details.en`, v3 `en`), else in
    // `details`, else in `product`; support and terms in `product`, SLAs in `product.SLA`.
    let product_at = root.entry("product").map_or(root.span, |e| e.key_span);
    let details_at = match product.entry("details") {
        Some(d) => lang_entry(&d.value).map_or(d.key_span, |e| e.key_span),
        None => lang_entry(product).map_or(product_at, |e| e.key_span),
    };
    v.belong(
        &["id", "name", "version", "status", "description"],
        details_at,
    );
    v.belong(&["support", "terms"], product_at);
    let sla_at = product.entry("SLA").map_or(product_at, |e| e.key_span);
    let ports = v
        .entries
        .iter()
        .find(|e| e.key == "output_ports")
        .map_or(0, |e| items(&e.value).len());
    v.belong_in_items("output_ports", "sla", &vec![Some(sla_at); ports]);
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
            ("tags", list(p.entry("tags"))),
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
            ("tags", list(p.entry("tags"))),
        ])
    }) {
        v.put("output_ports", span, list);
    }
    v.belong(&["id"], root.span);
    v.belong(
        &["name", "domain", "version", "status", "description"],
        root.entry("info").map_or(root.span, |e| e.key_span),
    );
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
    if let Some(tags) = witboost_tags(root.entry("tags")) {
        v.entries.push(tags);
    }
    if let Some(components) = root.entry("components") {
        let outputs: Vec<&Node> = items(&components.value)
            .iter()
            .filter(|c| {
                c.get("kind")
                    .and_then(Node::as_str)
                    .is_some_and(|k| k.eq_ignore_ascii_case("outputport"))
            })
            .collect();
        let list: Vec<Node> = outputs
            .iter()
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
                    ])
                    .into_iter()
                    .chain(witboost_tags(c.entry("tags")))
                    .collect(),
                )
            })
            .collect();
        v.put(
            "output_ports",
            components.key_span,
            array(components.value.span, list),
        );
        // A port's SLA is written in its `dataContract` (as `SLA`), when it has one.
        let contracts: Vec<Option<Span>> = outputs
            .iter()
            .map(|c| c.entry("dataContract").map(|e| e.key_span))
            .collect();
        v.belong_in_items("output_ports", "sla", &contracts);
    }
    v.belong(
        &["id", "name", "domain", "version", "status", "description"],
        root.span,
    );
}

/// `tags` of a Witboost product or component: objects `{tagFQN: …}` (OpenMetadata tag labels)
/// or plain strings; the view lists the names. `None` unless the source is a list.
fn witboost_tags(src: Option<&Entry>) -> Option<Entry> {
    let tags = src.filter(|t| matches!(t.value.value, NodeValue::Array(_)))?;
    let list = items(&tags.value)
        .iter()
        .filter_map(|t| match &t.value {
            NodeValue::Object(_) => t.get("tagFQN").and_then(as_text),
            _ => as_text(t),
        })
        .collect();
    Some(Entry {
        key: "tags".to_string(),
        key_span: tags.key_span,
        value: array(tags.value.span, list),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::{parse, parse_path, Format, Limits, Pos};
    use serde_json::json;

    /// The view of a YAML/JSON descriptor, as JSON, and the view with its anchors.
    fn view_of(text: &str, format: Format) -> (serde_json::Value, Normalized) {
        let root = parse(text.as_bytes(), format, &Limits::default()).unwrap();
        let (standard, version) = Standard::detect(&root);
        let view = build(&root, standard, version.as_deref()).expect("a recognised standard");
        // As policies see it: the Rego value, as JSON.
        let json = serde_json::to_value(view.view.to_rego()).expect("a view converts to JSON");
        (json, view)
    }

    fn at(view: &Normalized, path: &str) -> Pos {
        let (span, found) = locate(&view.view, &view.anchors, &parse_path(path).unwrap());
        assert!(found, "{path} not in the view");
        span.start
    }

    /// Where a field missing from the view is located.
    fn missing_at(view: &Normalized, path: &str) -> Pos {
        let (span, found) = locate(&view.view, &view.anchors, &parse_path(path).unwrap());
        assert!(!found, "{path} is in the view");
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
    fn missing_fields_are_located_where_they_belong() {
        // Bitol ODPS: product fields at the root; description parts in `description`; a
        // port's SLA in the port.
        let (_, view) = view_of(
            "# leading comment\napiVersion: v1.0.0\nkind: DataProduct\ndescription:\n  usage: x\noutputPorts:\n  - name: o\n",
            Format::Yaml,
        );
        for path in ["name", "status", "version", "support", "id"] {
            assert_eq!(missing_at(&view, path), Pos::new(2, 1), "{path}");
        }
        assert_eq!(missing_at(&view, "description.purpose"), Pos::new(4, 1));
        assert_eq!(
            missing_at(&view, "output_ports[0].sla.availability"),
            Pos::new(7, 5)
        );
        // DPDS: in `info`; a port's SLA in its `promises` when it has them.
        let (_, view) = view_of(
            "dataProductDescriptor: 1.0.0\ninfo:\n  owner: {id: x}\ninterfaceComponents:\n  outputPorts:\n    - name: a\n      promises: {api: {}}\n    - name: b\n",
            Format::Yaml,
        );
        for path in [
            "name",
            "status",
            "version",
            "support",
            "description.purpose",
        ] {
            assert_eq!(missing_at(&view, path), Pos::new(2, 1), "{path}");
        }
        assert_eq!(missing_at(&view, "output_ports[0].sla"), Pos::new(7, 7));
        assert_eq!(missing_at(&view, "output_ports[1].sla"), Pos::new(8, 7));
        // ODPI ODPS v4: details in `details.en`, support in `product`, SLAs in `product.SLA`
        // (or `product` when there is none).
        let (_, view) = view_of(
            "schema: x\nversion: 4.0\nproduct:\n  details:\n    en:\n      productID: p\n  dataAccess:\n    default: {type: API}\n  SLA:\n    premium: {}\n",
            Format::Yaml,
        );
        for path in ["name", "status", "version", "description"] {
            assert_eq!(missing_at(&view, path), Pos::new(5, 5), "{path}");
        }
        assert_eq!(missing_at(&view, "support"), Pos::new(3, 1));
        assert_eq!(missing_at(&view, "output_ports[0].sla"), Pos::new(9, 3));
        // v3 without SLA: details in `product.en`, the SLA in `product`.
        let (_, view) = view_of(
            "schema: x\nversion: 3.1\nproduct:\n  en:\n    productID: p\n  dataAccess:\n    default: {type: API}\n",
            Format::Yaml,
        );
        assert_eq!(missing_at(&view, "status"), Pos::new(4, 3));
        assert_eq!(missing_at(&view, "output_ports[0].sla"), Pos::new(3, 1));
        // DPS: `id` at the root, the rest in `info`.
        let (_, view) = view_of(
            "dataProductSpecification: 0.0.1\nid: x\ninfo:\n  owner: t\n",
            Format::Yaml,
        );
        for path in ["name", "status", "version", "description.purpose"] {
            assert_eq!(missing_at(&view, path), Pos::new(3, 1), "{path}");
        }
        // Witboost: at the root; a port's SLA in its `dataContract` when it has one.
        let (_, view) = view_of(
            "id: urn:dmb:dp:x:y:0\ndomain: x\ncomponents:\n  - {kind: workload}\n  - kind: outputport\n    dataContract: {schema: []}\n  - {kind: outputport, name: b}\n",
            Format::Yaml,
        );
        assert_eq!(missing_at(&view, "status"), Pos::new(1, 1));
        assert_eq!(missing_at(&view, "output_ports[0].sla"), Pos::new(6, 5));
        assert_eq!(missing_at(&view, "output_ports[1].sla"), Pos::new(7, 6));
        // A present field is located at its value, never at an anchor.
        assert_eq!(at(&view, "domain"), Pos::new(2, 9));
    }

    #[test]
    fn port_tags_are_in_the_view() {
        let (v, _) = view_of(
            "apiVersion: v1.0.0\nkind: DataProduct\ninputPorts:\n  - {name: i, tags: [raw]}\noutputPorts:\n  - {name: o, tags: [pii, gold]}\n  - {name: p, tags: pii}\n",
            Format::Yaml,
        );
        assert_eq!(v["input_ports"][0]["tags"], json!(["raw"]));
        assert_eq!(v["output_ports"][0]["tags"], json!(["pii", "gold"]));
        // Not a list: left out. A tag does not set `pii`: it stays as written (absent here).
        assert_eq!(v["output_ports"][1], json!({"name": "p"}));
        assert!(v["output_ports"][0].get("pii").is_none());
        let (v, _) = view_of(
            "{\"dataProductDescriptor\": \"1.0.0\", \"info\": {}, \"interfaceComponents\": {\"inputPorts\": [{\"name\": \"i\", \"tags\": [\"a\"]}], \"outputPorts\": [{\"name\": \"o\", \"tags\": [\"pii\"]}]}}",
            Format::Json,
        );
        assert_eq!(v["input_ports"][0]["tags"], json!(["a"]));
        assert_eq!(v["output_ports"][0]["tags"], json!(["pii"]));
        let (v, _) = view_of(
            "dataProductSpecification: 0.0.1\nid: x\ninfo: {}\ninputPorts: [{id: i, tags: [kafka]}]\noutputPorts: [{id: o, containsPii: false, tags: [pii]}]\n",
            Format::Yaml,
        );
        assert_eq!(v["input_ports"][0]["tags"], json!(["kafka"]));
        assert_eq!(
            v["output_ports"][0],
            json!({"name": "o", "pii": false, "tags": ["pii"]})
        );
        let (v, view) = view_of(
            "id: urn:dmb:dp:x:y:0\ndomain: x\ncomponents:\n  - kind: outputport\n    name: o\n    tags:\n      - tagFQN: PII.Sensitive\n      - plain\n",
            Format::Yaml,
        );
        assert_eq!(
            v["output_ports"][0]["tags"],
            json!(["PII.Sensitive", "plain"])
        );
        assert_eq!(at(&view, "output_ports[0].tags[0]"), Pos::new(7, 17));
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

#[cfg(test)]
mod shape_tests {
    use super::*;
    use crate::descriptor::{parse, Format, Limits};

    /// Every path to a leaf (and to every node) of `node`, as segments.
    fn paths(node: &Node, prefix: &mut Vec<PathSeg>, out: &mut Vec<Vec<PathSeg>>) {
        out.push(prefix.clone());
        match &node.value {
            NodeValue::Object(entries) => {
                for e in entries {
                    prefix.push(PathSeg::Key(e.key.clone()));
                    paths(&e.value, prefix, out);
                    prefix.pop();
                }
            }
            NodeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    prefix.push(PathSeg::Index(i));
                    paths(item, prefix, out);
                    prefix.pop();
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_view_of_the_fixture_meshes_fits_the_shape() {
        let mut checked = 0;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
            let path = entry.path();
            let format = match path.extension().and_then(|e| e.to_str()) {
                Some("yaml" | "yml") => Format::Yaml,
                Some("json") => Format::Json,
                _ => continue,
            };
            let Ok(text) = std::fs::read(path) else {
                continue;
            };
            let Ok(root) = parse(&text, format, &Limits::default()) else {
                continue;
            };
            let (standard, version) = Standard::detect(&root);
            let Some(view) = build(&root, standard, version.as_deref()) else {
                continue;
            };
            let mut all = Vec::new();
            paths(&view.view, &mut Vec::new(), &mut all);
            for p in all {
                assert_eq!(
                    check_view_path(&p),
                    Ok(()),
                    "{}: view.{}",
                    path.display(),
                    format_path(&p)
                );
            }
            checked += 1;
        }
        assert!(checked >= 20, "only {checked} views checked");
    }

    #[test]
    fn paths_the_view_never_has_are_told_apart() {
        let p = |s: &str| crate::descriptor::parse_path(s).unwrap();
        assert_eq!(
            check_view_path(&p("output_ports[3].sla.anything[2]")),
            Ok(())
        );
        assert_eq!(check_view_path(&p("team.members[0].date_out")), Ok(()));
        let e = check_view_path(&p("output_port")).unwrap_err();
        assert!(
            e.starts_with("the view is an object without a field `output_port`"),
            "{e}"
        );
        let e = check_view_path(&p("output_ports.sla")).unwrap_err();
        assert_eq!(
            e,
            "`view.output_ports` is a list: `sla` selects nothing (use an index, `[0]`)"
        );
        let e = check_view_path(&p("team[0]")).unwrap_err();
        assert_eq!(
            e,
            "`view.team` is an object, not a list: `[0]` selects nothing"
        );
    }
}
