//! `$ref` resolution (JSON Reference): local files inside the repository and JSON pointers,
//! never the network. Resolved fragments keep the positions of the file they come from.
//!
//! A JSON pointer is taken from the root of the document it points into, except in an ODPI
//! ODPS document, whose pointers are relative to its `product` object (`#/SLA/default` is
//! `product.SLA.default`), as that standard defines them.

use std::collections::HashMap;

use super::{Entry, Node, NodeValue, Span, Standard};

/// Most `$ref`s followed in a chain before giving up.
const MAX_DEPTH: usize = 32;
/// Most nodes that resolution may add to one product (guards against reference bombs).
const MAX_NODES: usize = 1_000_000;

/// A `$ref` that could not be resolved, located at the `$ref` value.
#[derive(Debug, Clone, PartialEq)]
pub struct RefError {
    /// Stable short code: `ref-missing`, `ref-url`, `ref-outside`, `ref-absolute`, `ref-cycle`,
    /// `ref-pointer`, `ref-parse`, `ref-limit`.
    pub code: &'static str,
    /// Whether the reference is broken (an error) or only not followed (a URL: a warning).
    pub broken: bool,
    /// What is wrong.
    pub message: String,
    /// Where the `$ref` value is written (its `file` indexes [`Resolved::files`]).
    pub span: Span,
    /// What to do about it.
    pub help: String,
}

/// What a referenced file held, as the loader gives it.
pub enum Loaded {
    /// The file parsed: its text and tree.
    Parsed(std::sync::Arc<str>, Node),
    /// The file does not exist.
    Missing,
    /// The file exists but could not be read or parsed (the message says why and where).
    Broken(String),
    /// The path leaves the repository once symlinks are followed.
    Outside,
}

/// The result of resolving a descriptor's references.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Repo-relative paths of the files involved; index 0 is the descriptor itself.
    pub files: Vec<String>,
    /// The text of each file (same indexes as `files`), for showing snippets.
    pub texts: Vec<std::sync::Arc<str>>,
    /// References that could not be resolved (left in place as `{"$ref": …}`).
    pub errors: Vec<RefError>,
}

/// Resolves every `$ref` in `root` (the descriptor at repo-relative `path`) in place.
/// `load` reads a repo-relative path; the resolver refuses URLs, absolute paths and paths that
/// climb out of the repository before ever calling it.
pub fn resolve(
    root: &mut Node,
    path: &str,
    text: std::sync::Arc<str>,
    load: &dyn Fn(&str) -> Loaded,
) -> Resolved {
    if !has_ref(root) {
        return Resolved {
            files: vec![path.to_string()],
            texts: vec![text],
            errors: Vec::new(),
        };
    }
    let mut r = Resolver {
        docs: vec![root.clone()],
        index: HashMap::from([(path.to_string(), 0)]),
        out: Resolved {
            files: vec![path.to_string()],
            texts: vec![text],
            errors: Vec::new(),
        },
        load,
        added: 0,
    };
    r.walk(root, 0, &mut Vec::new());
    r.out
}

fn has_ref(node: &Node) -> bool {
    match &node.value {
        NodeValue::Object(entries) => entries.iter().any(|e| e.key == "$ref" || has_ref(&e.value)),
        NodeValue::Array(items) => items.iter().any(has_ref),
        _ => false,
    }
}

struct Resolver<'a> {
    /// Original (unresolved) tree of each file, for JSON pointers.
    docs: Vec<Node>,
    index: HashMap<String, usize>,
    out: Resolved,
    load: &'a dyn Fn(&str) -> Loaded,
    added: usize,
}

impl Resolver<'_> {
    /// Resolves references below `node`, which lives in file `file`. `stack` holds the
    /// (file, pointer) targets being expanded, to detect cycles.
    fn walk(&mut self, node: &mut Node, file: usize, stack: &mut Vec<(usize, String)>) {
        if let Some((reference, span)) = ref_of(node) {
            match self.target(&reference, span, file, stack) {
                Ok((target_file, pointer, mut target)) => {
                    stack.push((target_file, pointer));
                    self.walk(&mut target, target_file, stack);
                    stack.pop();
                    merge_siblings(node, target);
                }
                // A fragment reached from several places meets the same broken reference each
                // time: it is reported once.
                Err(e) => {
                    if !self
                        .out
                        .errors
                        .iter()
                        .any(|o| o.code == e.code && o.span == e.span)
                    {
                        self.out.errors.push(e);
                    }
                }
            }
            return;
        }
        match &mut node.value {
            NodeValue::Object(entries) => {
                for e in entries {
                    self.walk(&mut e.value, file, stack);
                }
            }
            NodeValue::Array(items) => {
                for i in items {
                    self.walk(i, file, stack);
                }
            }
            _ => {}
        }
    }

    /// Finds the node a reference points at: (its file, the pointer, a copy of it).
    fn target(
        &mut self,
        reference: &str,
        span: Span,
        file: usize,
        stack: &[(usize, String)],
    ) -> Result<(usize, String, Node), RefError> {
        let err = |code, message: String, help: &str| RefError {
            code,
            broken: code != "ref-url",
            message,
            span,
            help: help.to_string(),
        };
        let (file_part, pointer) = match reference.split_once('#') {
            Some((f, p)) => (f, p.to_string()),
            None => (reference, String::new()),
        };
        if is_url(file_part) {
            return Err(err(
                "ref-url",
                format!("`$ref` to `{reference}` is a URL: not followed, meshgate never fetches from the network"),
                "policies see the `$ref` object itself; to check the referenced document, copy it into the repository and reference it by relative path",
            ));
        }
        if file_part.starts_with('/') || file_part.starts_with('\\') {
            return Err(err(
                "ref-absolute",
                format!("`$ref` to `{reference}` is an absolute path"),
                "reference files by a path relative to the file that holds the `$ref`",
            ));
        }
        let target_file = if file_part.is_empty() {
            file
        } else {
            let base = &self.out.files[file];
            let Some(rel) = join(base, file_part) else {
                return Err(err(
                    "ref-outside",
                    format!("`$ref` to `{reference}` leaves the repository"),
                    "keep referenced files inside the mesh repository",
                ));
            };
            self.file(&rel, reference, &err)?
        };
        if stack
            .iter()
            .any(|(f, p)| *f == target_file && *p == pointer)
        {
            return Err(err(
                "ref-cycle",
                format!("`$ref` to `{reference}` is circular: it leads back to itself"),
                "break the cycle: one of the referenced documents must hold the value itself",
            ));
        }
        if stack.len() >= MAX_DEPTH {
            return Err(err(
                "ref-limit",
                format!("`$ref` chain deeper than {MAX_DEPTH} references"),
                "reference the final document directly",
            ));
        }
        let doc = &self.docs[target_file];
        let (base, odpi) = pointer_base(doc);
        let Some(target) = follow_pointer(base, &pointer) else {
            let (within, help) = if odpi {
                let rooted = follow_pointer(doc, &pointer).is_some();
                let help = match pointer.strip_prefix("/product") {
                    Some(rest) if rooted && rest.starts_with('/') => format!(
                        "in an ODPI ODPS document a pointer is relative to `product`: write `#{rest}`"
                    ),
                    _ => "fix the JSON pointer or the referenced file; in an ODPI ODPS document a pointer is relative to `product` (`#/SLA/default` is `product.SLA.default`)".to_string(),
                };
                (" under `product`", help)
            } else {
                (
                    "",
                    "fix the JSON pointer (e.g. `#/components/inputPorts/name`) or the referenced file"
                        .to_string(),
                )
            };
            return Err(err(
                "ref-pointer",
                format!(
                    "`$ref` to `{reference}`: the pointer `#{pointer}` matches nothing{within} in {}",
                    self.out.files[target_file]
                ),
                &help,
            ));
        };
        self.added += count(target);
        if self.added > MAX_NODES {
            return Err(err(
                "ref-limit",
                format!("`$ref`s expand the descriptor past {MAX_NODES} nodes"),
                "reference smaller fragments",
            ));
        }
        Ok((target_file, pointer, target.clone()))
    }

    /// The index of a referenced file, loading it on first use.
    fn file(
        &mut self,
        rel: &str,
        reference: &str,
        err: &dyn Fn(&'static str, String, &str) -> RefError,
    ) -> Result<usize, RefError> {
        if let Some(&i) = self.index.get(rel) {
            return Ok(i);
        }
        match (self.load)(rel) {
            Loaded::Parsed(text, mut node) => {
                let i = self.out.files.len();
                set_file(&mut node, i as u32);
                self.out.files.push(rel.to_string());
                self.out.texts.push(text);
                self.docs.push(node);
                self.index.insert(rel.to_string(), i);
                Ok(i)
            }
            Loaded::Missing => Err(err(
                "ref-missing",
                format!("`$ref` to `{reference}`: file {rel} does not exist"),
                "fix the path (it is relative to the file that holds the `$ref`) or add the file",
            )),
            Loaded::Broken(why) => Err(err(
                "ref-parse",
                format!("`$ref` to `{reference}`: {rel} cannot be used: {why}"),
                "fix the referenced file",
            )),
            Loaded::Outside => Err(err(
                "ref-outside",
                format!("`$ref` to `{reference}` leaves the repository (through a symlink)"),
                "keep referenced files inside the mesh repository",
            )),
        }
    }
}

/// `Some((reference, span of its value))` when `node` is an object with a string `$ref`.
fn ref_of(node: &Node) -> Option<(String, Span)> {
    let e = node.entry("$ref")?;
    Some((e.value.as_str()?.to_string(), e.value.span))
}

/// Replaces the `$ref` object by its target. Sibling members of `$ref` (e.g. DPDS's
/// `mediaType`, `description`) are kept when the target is an object that lacks them.
fn merge_siblings(node: &mut Node, mut target: Node) {
    let siblings: Vec<Entry> = match &node.value {
        NodeValue::Object(entries) => entries
            .iter()
            .filter(|e| e.key != "$ref")
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    if let NodeValue::Object(entries) = &mut target.value {
        for s in siblings {
            if !entries.iter().any(|e| e.key == s.key) {
                entries.push(s);
            }
        }
    }
    *node = target;
}

fn is_url(s: &str) -> bool {
    // A scheme: a letter, then letters, digits, `+`, `-`, `.`, then `:` (but not `C:` drives).
    match s.split_once(':') {
        Some((scheme, _)) => {
            scheme.len() > 1
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Joins a relative reference to the folder of `base` (both repo-relative, `/`-separated),
/// resolving `.` and `..` lexically. `None` when the result climbs above the repository root.
pub fn join(base: &str, reference: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for seg in reference.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The node a JSON pointer into `doc` starts from: `product` in an ODPI ODPS document (its
/// pointers are relative to it: `#/SLA/default` is `product.SLA.default`), else the root.
/// The flag says whether it is an ODPI ODPS document.
fn pointer_base(doc: &Node) -> (&Node, bool) {
    match Standard::detect(doc).0 {
        Standard::OdpiOdps => match doc.get("product") {
            Some(product) => (product, true),
            None => (doc, false),
        },
        _ => (doc, false),
    }
}

/// Follows an RFC 6901 JSON pointer (the part after `#`, percent-decoded).
fn follow_pointer<'a>(doc: &'a Node, pointer: &str) -> Option<&'a Node> {
    let pointer = percent_decode(pointer);
    if pointer.is_empty() {
        return Some(doc);
    }
    let rest = pointer.strip_prefix('/')?;
    let mut node = doc;
    for token in rest.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        node = match &node.value {
            NodeValue::Object(_) => node.get(&token)?,
            NodeValue::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn set_file(node: &mut Node, file: u32) {
    node.span.file = file;
    match &mut node.value {
        NodeValue::Object(entries) => {
            for e in entries {
                e.key_span.file = file;
                set_file(&mut e.value, file);
            }
        }
        NodeValue::Array(items) => {
            for i in items {
                set_file(i, file);
            }
        }
        _ => {}
    }
}

fn count(node: &Node) -> usize {
    1 + match &node.value {
        NodeValue::Object(entries) => entries.iter().map(|e| count(&e.value)).sum(),
        NodeValue::Array(items) => items.iter().map(count).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::{parse, Format, Limits, Pos};

    fn yaml(text: &str) -> Node {
        parse(text.as_bytes(), Format::Yaml, &Limits::default()).unwrap()
    }

    fn loader(files: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Loaded {
        move |p: &str| match files.iter().find(|(n, _)| *n == p) {
            Some((_, t)) => Loaded::Parsed((*t).into(), yaml(t)),
            None => Loaded::Missing,
        }
    }

    #[test]
    fn joins_lexically_and_refuses_to_climb_out() {
        assert_eq!(join("a/b/c.yaml", "x.json").as_deref(), Some("a/b/x.json"));
        assert_eq!(join("a/b/c.yaml", "../x.json").as_deref(), Some("a/x.json"));
        assert_eq!(
            join("a/b/c.yaml", "./p/../q.json").as_deref(),
            Some("a/b/q.json")
        );
        assert_eq!(join("a/c.yaml", "../../x.json"), None);
        assert!(is_url("https://x/y.json") && is_url("file:x") && !is_url("C:x") && !is_url("p/x"));
    }

    #[test]
    fn resolves_files_and_pointers_keeping_positions() {
        let mut root = yaml(
            "ports:\n  - $ref: ports/a.yaml\n  - $ref: '#/components/b'\ncomponents:\n  b: {name: b}\n",
        );
        let files: &'static [(&str, &str)] = &[
            ("d/ports/a.yaml", "name: a\nschema:\n  $ref: s.yaml#/x\n"),
            ("d/ports/s.yaml", "x:\n  type: object\n"),
        ];
        let r = resolve(&mut root, "d/p.yaml", "".into(), &loader(files));
        assert_eq!(r.errors, vec![]);
        assert_eq!(
            r.files,
            vec!["d/p.yaml", "d/ports/a.yaml", "d/ports/s.yaml"]
        );
        let ports = root.get("ports").unwrap();
        let NodeValue::Array(items) = &ports.value else {
            panic!()
        };
        let a_name = items[0].get("name").unwrap();
        assert_eq!(a_name.as_str(), Some("a"));
        assert_eq!((a_name.span.file, a_name.span.start), (1, Pos::new(1, 7)));
        let ty = items[0].get("schema").unwrap().get("type").unwrap();
        assert_eq!((ty.span.file, ty.span.start), (2, Pos::new(2, 9)));
        assert_eq!(items[1].get("name").unwrap().as_str(), Some("b"));
        assert_eq!(items[1].get("name").unwrap().span.file, 0);
    }

    #[test]
    fn unresolvable_references_are_errors_at_the_ref() {
        let mut root = yaml(
            "a: {$ref: missing.yaml}\nb: {$ref: 'https://x.org/p.json'}\nc: {$ref: ../../../x.yaml}\nd: {$ref: /etc/passwd}\ne: {$ref: cyc1.yaml}\nf: {$ref: '#/nope'}\n",
        );
        let files: &'static [(&str, &str)] = &[
            ("d/cyc1.yaml", "$ref: cyc2.yaml\n"),
            ("d/cyc2.yaml", "$ref: cyc1.yaml\n"),
        ];
        let r = resolve(&mut root, "d/p.yaml", "".into(), &loader(files));
        let codes: Vec<(&str, u32, u32)> = r
            .errors
            .iter()
            .map(|e| (e.code, e.span.file, e.span.start.line))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("ref-missing", 0, 1),
                ("ref-url", 0, 2),
                ("ref-outside", 0, 3),
                ("ref-absolute", 0, 4),
                ("ref-cycle", 2, 1),
                ("ref-pointer", 0, 6),
            ]
        );
        // Unresolved references stay in place.
        assert!(root.get("a").unwrap().get("$ref").is_some());
    }

    #[test]
    fn odpi_odps_pointers_are_relative_to_product() {
        let mut root = yaml(
            "schema: https://opendataproducts.org/v4.0/schema/odps.yaml\nversion: 4.0\nproduct:\n  pricingPlans:\n    en:\n      - name: Basic\n        SLA: {$ref: '#/SLA/default'}\n        access: {$ref: '#/dataAccess/API'}\n      - name: Wrong\n        SLA: {$ref: '#/product/SLA/default'}\n        access: {$ref: '#/dataAccess/none'}\n  SLA:\n    default: {uptime: 99}\n  dataAccess:\n    API: {type: API}\n",
        );
        let r = resolve(&mut root, "m/odps.yaml", "".into(), &loader(&[]));
        let plans = root.get("product").unwrap().get("pricingPlans").unwrap();
        let NodeValue::Array(en) = &plans.get("en").unwrap().value else {
            panic!("pricing plans are a list")
        };
        let basic = &en[0];
        let uptime = basic.get("SLA").unwrap().get("uptime").unwrap();
        assert_eq!(
            (uptime.as_str(), uptime.span.start),
            (None, Pos::new(13, 23))
        );
        assert_eq!(
            basic.get("access").unwrap().get("type").unwrap().as_str(),
            Some("API")
        );
        // A document-root pointer does not resolve; the help says how to write it.
        let errors: Vec<(&str, u32, &str)> = r
            .errors
            .iter()
            .map(|e| (e.code, e.span.start.line, e.help.as_str()))
            .collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].0, "ref-pointer");
        assert_eq!(errors[0].1, 10);
        assert!(errors[0].2.contains("write `#/SLA/default`"), "{errors:?}");
        assert!(
            r.errors[1].message.contains("under `product`"),
            "{errors:?}"
        );
        // Other standards keep document-root pointers, `product` or not.
        let mut root = yaml(
            "dataProductDescriptor: 1.0.0\ninfo: {name: x}\nproduct: {a: 1}\nport: {$ref: '#/product'}\n",
        );
        let r = resolve(&mut root, "d.yaml", "".into(), &loader(&[]));
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert!(root.get("port").unwrap().get("a").is_some());
    }

    #[test]
    fn a_broken_ref_in_a_shared_fragment_is_reported_once() {
        let mut root = yaml(
            "ports:\n  - $ref: port.yaml\n  - $ref: port.yaml\n  - {$ref: '#/shared'}\nshared:\n  $ref: port.yaml\n",
        );
        let files: &'static [(&str, &str)] = &[(
            "port.yaml",
            "name: p\nschema: {$ref: missing.yaml}\nterms: {$ref: '#/nowhere'}\n",
        )];
        let r = resolve(&mut root, "p.yaml", "".into(), &loader(files));
        let codes: Vec<(&str, u32, u32)> = r
            .errors
            .iter()
            .map(|e| (e.code, e.span.file, e.span.start.line))
            .collect();
        assert_eq!(codes, vec![("ref-missing", 1, 2), ("ref-pointer", 1, 3)]);
    }

    #[test]
    fn siblings_of_ref_are_kept_when_the_target_lacks_them() {
        let mut root =
            yaml("def: {$ref: '#/x', mediaType: text/yaml, k: sibling}\nx: {k: target}\n");
        let r = resolve(&mut root, "p.yaml", "".into(), &loader(&[]));
        assert!(r.errors.is_empty());
        let def = root.get("def").unwrap();
        assert_eq!(def.get("k").unwrap().as_str(), Some("target"));
        assert_eq!(def.get("mediaType").unwrap().as_str(), Some("text/yaml"));
    }
}
