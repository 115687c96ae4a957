//! Data product descriptors: parsing YAML and JSON into a [`Node`] tree that keeps
//! the source position of every key and value, and detecting the descriptor standard.

mod json;
pub mod refs;
mod yaml;

use std::fmt;
use std::path::Path;

use serde::Serialize;

pub use json::parse_json;
pub use yaml::parse_yaml;

/// A 1-based line and column (columns count Unicode scalar values, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Pos {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl Pos {
    /// The first character of a file.
    pub const START: Pos = Pos { line: 1, column: 1 };

    /// Builds a position from 1-based line and column.
    pub fn new(line: usize, column: usize) -> Pos {
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Where a node sits in its source file: start position and width (in characters) to underline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Start of the node.
    pub start: Pos,
    /// Number of characters to underline from `start` (at least 1 when rendered).
    pub len: u32,
    /// Which file of the product holds it: 0 is the descriptor, others are files reached
    /// through `$ref` (see [`crate::descriptor::refs`]).
    pub file: u32,
}

/// One value of a parsed descriptor with its source span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value itself.
    pub value: NodeValue,
    /// Where the value starts in the source file.
    pub span: Span,
    /// The scalar exactly as written, for numbers (`4.0`, `1e3`, `0x1F`), whose parsed value
    /// loses the spelling. `None` for everything else.
    pub raw: Option<Box<str>>,
}

/// The JSON data model, with positions kept on every child.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// `null`, `~` or an empty YAML value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, kept as written (after YAML 1.2 core-schema resolution) so no precision is lost.
    Number(Number),
    /// A string.
    String(String),
    /// A sequence.
    Array(Vec<Node>),
    /// A mapping, in source order. Keys are unique (duplicates are rejected while parsing).
    Object(Vec<Entry>),
}

/// A number as parsed: integers stay exact, floats are `f64`.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    /// An integer that fits in `i64`.
    Int(i64),
    /// Any other number (including integers too large for `i64`).
    Float(f64),
}

/// One key/value pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, as a string (YAML scalar keys such as `1` or `true` become their text).
    pub key: String,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

/// Why a descriptor could not be parsed, with the position where the problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Stable short code (`syntax`, `duplicate-key`, `empty`, ...).
    pub code: &'static str,
    /// What is wrong, for a human.
    pub message: String,
    /// Where it was found.
    pub pos: Pos,
    /// What to do about it.
    pub help: Option<String>,
}

impl ParseError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>, pos: Pos) -> Self {
        ParseError {
            code,
            message: message.into(),
            pos,
            help: None,
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {})", self.message, self.pos)
    }
}

/// Limits that protect the parser from hostile or broken input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
    /// Deepest nesting of arrays/objects accepted.
    pub max_depth: usize,
    /// Most nodes a document may expand to (counts YAML alias expansion).
    pub max_nodes: usize,
    /// Accept duplicate keys (the last value wins) and report them as warnings instead of
    /// rejecting the file (`--lenient-keys`).
    pub lenient_keys: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 10 * 1024 * 1024,
            max_depth: 128,
            max_nodes: 1_000_000,
            lenient_keys: false,
        }
    }
}

/// The serialization a descriptor was written in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// YAML 1.2 (core schema).
    Yaml,
    /// JSON.
    Json,
}

impl Format {
    /// Picks the format from a file name: `.json` is JSON, everything else YAML.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Yaml,
        }
    }

    /// Lower-case name used in output and in `data.meshgate.product.format`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
        }
    }
}

/// The descriptor standard a product follows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub enum Standard {
    /// Bitol Open Data Product Standard (`apiVersion` + `kind: DataProduct`).
    #[serde(rename = "bitol-odps")]
    BitolOdps,
    /// Open Data Mesh Data Product Descriptor Specification (`dataProductDescriptor` + `info`).
    #[serde(rename = "dpds")]
    Dpds,
    /// Open Data Product Initiative ODPS (`schema` + `version` + `product`).
    #[serde(rename = "odpi-odps")]
    OdpiOdps,
    /// Data Product Specification of Data Mesh Manager (`dataProductSpecification` + `id` + `info`).
    #[serde(rename = "dps")]
    Dps,
    /// Agile Lab / Witboost Data Product Specification (`id: urn:dmb:dp:…`).
    #[serde(rename = "witboost")]
    Witboost,
    /// Any other mapping.
    #[serde(rename = "custom")]
    Custom,
}

impl Standard {
    /// Name used in output and in `data.meshgate.product.standard`.
    pub fn as_str(self) -> &'static str {
        match self {
            Standard::BitolOdps => "bitol-odps",
            Standard::Dpds => "dpds",
            Standard::OdpiOdps => "odpi-odps",
            Standard::Dps => "dps",
            Standard::Witboost => "witboost",
            Standard::Custom => "custom",
        }
    }

    /// The field (from the root) where this standard names the product's domain.
    pub fn domain_field(self) -> &'static str {
        match self {
            Standard::Dpds | Standard::Dps => "info.domain",
            Standard::OdpiOdps | Standard::BitolOdps | Standard::Witboost | Standard::Custom => {
                "domain"
            }
        }
    }

    /// The root field where a descriptor of this standard declares the standard's version.
    pub fn version_field(self) -> Option<&'static str> {
        match self {
            Standard::BitolOdps => Some("apiVersion"),
            Standard::Dpds => Some("dataProductDescriptor"),
            Standard::OdpiOdps => Some("version"),
            Standard::Dps => Some("dataProductSpecification"),
            Standard::Witboost | Standard::Custom => None,
        }
    }

    /// Detects the standard from the root keys of a parsed descriptor, with the version of the
    /// standard the file declares (as written), if it declares one.
    pub fn detect(root: &Node) -> (Standard, Option<String>) {
        let standard = Standard::detect_kind(root);
        let version = standard
            .version_field()
            .and_then(|k| root.get(k))
            .and_then(Node::scalar_text);
        (standard, version)
    }

    fn detect_kind(root: &Node) -> Standard {
        if root.get("apiVersion").is_some()
            && root.get("kind").and_then(Node::as_str) == Some("DataProduct")
        {
            Standard::BitolOdps
        } else if root.get("dataProductDescriptor").is_some() && root.get("info").is_some() {
            Standard::Dpds
        } else if root.get("schema").is_some()
            && root.get("version").is_some()
            && root.get("product").is_some_and(Node::is_object)
        {
            Standard::OdpiOdps
        } else if root.get("dataProductSpecification").is_some()
            && root.get("id").is_some()
            && root.get("info").is_some()
        {
            Standard::Dps
        } else if root
            .get("id")
            .and_then(Node::as_str)
            .is_some_and(|id| id.starts_with("urn:dmb:dp:"))
            && (root.get("dataProductOwner").is_some()
                || root.get("components").is_some()
                || root.get("domain").is_some())
        {
            Standard::Witboost
        } else {
            Standard::Custom
        }
    }
}

/// One step of a path into a descriptor: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathSeg {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Renders a path as `team.members[0].role` (keys that are not identifiers are quoted: `a["b.c"]`).
pub fn format_path(path: &[PathSeg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            PathSeg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            PathSeg::Key(k) => {
                let ident = !k.is_empty()
                    && k.chars().all(|c| {
                        c.is_alphanumeric() || c == '_' || c == '-' || c == '$' || c == '@'
                    });
                if ident {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                } else {
                    out.push('[');
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push(']');
                }
            }
        }
    }
    out
}

/// Parses a path written as `team.members[0].role` or `a["b.c"][2]`.
pub fn parse_path(text: &str) -> Result<Vec<PathSeg>, String> {
    let mut segs = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut key = String::new();
    let flush = |key: &mut String, segs: &mut Vec<PathSeg>| {
        if !key.is_empty() {
            segs.push(PathSeg::Key(std::mem::take(key)));
        }
    };
    while i < chars.len() {
        match chars[i] {
            '.' => {
                flush(&mut key, &mut segs);
                i += 1;
            }
            '[' => {
                flush(&mut key, &mut segs);
                let close = chars[i..]
                    .iter()
                    .position(|&c| c == ']')
                    .map(|p| p + i)
                    .ok_or_else(|| format!("unclosed `[` in path `{text}`"))?;
                let inner: String = chars[i + 1..close].iter().collect();
                let inner = inner.trim();
                if let Ok(n) = inner.parse::<usize>() {
                    segs.push(PathSeg::Index(n));
                } else if inner.starts_with('"') {
                    let k: String = serde_json::from_str(inner)
                        .map_err(|_| format!("bad quoted key {inner} in path `{text}`"))?;
                    segs.push(PathSeg::Key(k));
                } else if !inner.is_empty() {
                    segs.push(PathSeg::Key(inner.to_string()));
                } else {
                    return Err(format!("empty `[]` in path `{text}`"));
                }
                i = close + 1;
            }
            c => {
                key.push(c);
                i += 1;
            }
        }
    }
    flush(&mut key, &mut segs);
    Ok(segs)
}

impl Node {
    /// The value of `key` if this node is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Object(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    /// Whether this node is a mapping.
    pub fn is_object(&self) -> bool {
        matches!(self.value, NodeValue::Object(_))
    }

    /// The member `key` (key span and value) if this node is an object that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            NodeValue::Object(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// A scalar as text exactly as written: strings as they are, numbers in their source
    /// spelling (`4.0` stays `4.0`), booleans as `true`/`false`. `None` for null and collections.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            NodeValue::String(s) => Some(s.clone()),
            NodeValue::Number(n) => Some(match (&self.raw, n) {
                (Some(raw), _) => raw.to_string(),
                (None, Number::Int(i)) => i.to_string(),
                (None, Number::Float(f)) => f.to_string(),
            }),
            NodeValue::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The string value, if this node is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// Follows `path` as far as it exists. Returns the span of the deepest node reached
    /// and whether the whole path was found. For an object member whose value is an
    /// array or object, the span is the member's key (where a reader looks); for a
    /// scalar it is the value.
    pub fn locate(&self, path: &[PathSeg]) -> (Span, bool) {
        let mut node = self;
        let mut span = self.span;
        for seg in path {
            let next = match (seg, &node.value) {
                (PathSeg::Key(k), NodeValue::Object(entries)) => {
                    entries.iter().find(|e| &e.key == k).map(|e| {
                        let s = if matches!(
                            e.value.value,
                            NodeValue::Array(_) | NodeValue::Object(_)
                        ) {
                            e.key_span
                        } else {
                            e.value.span
                        };
                        (&e.value, s)
                    })
                }
                (PathSeg::Index(i), NodeValue::Array(items)) => items.get(*i).map(|n| (n, n.span)),
                // A numeric key addressing an object, or "0" addressing an array: be lenient.
                (PathSeg::Key(k), NodeValue::Array(items)) => k
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .map(|n| (n, n.span)),
                (PathSeg::Index(i), NodeValue::Object(entries)) => {
                    let k = i.to_string();
                    entries
                        .iter()
                        .find(|e| e.key == k)
                        .map(|e| (&e.value, e.key_span))
                }
                _ => None,
            };
            match next {
                Some((n, s)) => {
                    node = n;
                    span = s;
                }
                None => return (span, false),
            }
        }
        (span, true)
    }

    /// Converts to a regorus value (the policy `input`).
    pub fn to_rego(&self) -> regorus::Value {
        use regorus::Value;
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::from(*b),
            NodeValue::Number(Number::Int(i)) => Value::from(*i),
            NodeValue::Number(Number::Float(f)) => Value::from(*f),
            NodeValue::String(s) => Value::from(s.as_str()),
            NodeValue::Array(items) => {
                Value::from(items.iter().map(Node::to_rego).collect::<Vec<_>>())
            }
            NodeValue::Object(entries) => entries
                .iter()
                .map(|e| (Value::from(e.key.as_str()), e.value.to_rego()))
                .collect::<regorus::value::Object>()
                .into(),
        }
    }
}

/// Parses `bytes` as `format`, enforcing `limits`. The root must be a mapping.
pub fn parse(bytes: &[u8], format: Format, limits: &Limits) -> Result<Node, ParseError> {
    parse_with_warnings(bytes, format, limits).map(|(node, _)| node)
}

/// Like [`parse`], also returning what was accepted with a warning (duplicate keys in lenient mode).
pub fn parse_with_warnings(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<(Node, Vec<ParseError>), ParseError> {
    let mut warnings = Vec::new();
    let mut root = parse_value(bytes, format, limits, &mut warnings)?;
    if !matches!(root.value, NodeValue::Object(_)) {
        return Err(ParseError::new(
            "not-a-mapping",
            "descriptor root must be a mapping (an object of fields)",
            root.span.start,
        ));
    }
    if !warnings.is_empty() {
        keep_last_duplicates(&mut root);
    }
    Ok((root, warnings))
}

/// Parses a `$ref` fragment: any value (not only a mapping), with the checks of [`parse`]. In
/// lenient mode duplicate keys are returned as warnings and the last value is kept, exactly as
/// in a descriptor.
pub fn parse_fragment(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<(Node, Vec<ParseError>), ParseError> {
    let mut warnings = Vec::new();
    let mut node = parse_value(bytes, format, limits, &mut warnings)?;
    if !warnings.is_empty() {
        keep_last_duplicates(&mut node);
    }
    Ok((node, warnings))
}

/// Parses any YAML/JSON document (a `$ref` fragment need not be a mapping), applying the
/// size limit, UTF-8 and emptiness checks. Duplicate keys in lenient mode are pushed to
/// `warnings` and left in place.
pub fn parse_value(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    warnings: &mut Vec<ParseError>,
) -> Result<Node, ParseError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(ParseError::new(
            "too-large",
            format!(
                "descriptor is {} bytes, over the limit of {} bytes",
                bytes.len(),
                limits.max_bytes
            ),
            Pos::START,
        )
        .with_help("split the descriptor, or raise `max-descriptor-bytes` in meshgate.toml"));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            let col = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
            return Err(ParseError::new(
                "invalid-utf8",
                format!("invalid UTF-8 at byte {}", e.valid_up_to()),
                Pos::new(line, col),
            )
            .with_help("save the file as UTF-8"));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ParseError::new("empty", "descriptor is empty", Pos::START)
            .with_help("write the product's descriptor, or remove the file"));
    }
    match format {
        Format::Json => parse_json(text, limits, warnings),
        Format::Yaml => parse_yaml(text, limits, warnings),
    }
}

/// Checks a newly seen key against the ones already in a mapping.
pub(crate) fn check_duplicate(
    entries: &[Entry],
    seen: &mut Option<std::collections::HashMap<String, Pos>>,
    key: &str,
    pos: Pos,
    limits: &Limits,
    warnings: &mut Vec<ParseError>,
) -> Result<(), ParseError> {
    let first = if entries.len() < 16 {
        entries
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.key_span.start)
    } else {
        let map = seen.get_or_insert_with(|| {
            entries
                .iter()
                .map(|e| (e.key.clone(), e.key_span.start))
                .collect()
        });
        let found = map.get(key).copied();
        map.insert(key.to_string(), pos);
        found
    };
    match first {
        Some(first) if limits.lenient_keys => {
            warnings.push(
                ParseError::new(
                    "duplicate-key",
                    format!("duplicate key `{key}` (first defined at {first}); the last value is kept"),
                    pos,
                )
                .with_help("remove one of the two entries; other tools may keep the first one"),
            );
            Ok(())
        }
        Some(first) => Err(ParseError::new(
            "duplicate-key",
            format!("duplicate key `{key}` (first defined at {first})"),
            pos,
        )
        .with_help("remove one of the two entries; parsers disagree on which one wins, or run with --lenient-keys to keep the last")),
        None => Ok(()),
    }
}

/// Drops earlier entries of keys written twice, keeping the last value (lenient mode).
fn keep_last_duplicates(node: &mut Node) {
    match &mut node.value {
        NodeValue::Object(entries) => {
            let mut keep = vec![true; entries.len()];
            for i in 0..entries.len() {
                if entries[i + 1..].iter().any(|e| e.key == entries[i].key) {
                    keep[i] = false;
                }
            }
            let mut k = keep.into_iter();
            entries.retain(|_| k.next().unwrap_or(true));
            for e in entries {
                keep_last_duplicates(&mut e.value);
            }
        }
        NodeValue::Array(items) => items.iter_mut().for_each(keep_last_duplicates),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_round_trip() {
        let p = parse_path("team.members[0].role").unwrap();
        assert_eq!(
            p,
            vec![
                PathSeg::Key("team".into()),
                PathSeg::Key("members".into()),
                PathSeg::Index(0),
                PathSeg::Key("role".into())
            ]
        );
        assert_eq!(format_path(&p), "team.members[0].role");
        let q = parse_path(r#"a["b.c"][2]"#).unwrap();
        assert_eq!(
            q,
            vec![
                PathSeg::Key("a".into()),
                PathSeg::Key("b.c".into()),
                PathSeg::Index(2)
            ]
        );
        assert_eq!(format_path(&q), r#"a["b.c"][2]"#);
        assert!(parse_path("a[0").is_err());
    }

    #[test]
    fn detect_standards_and_their_versions() {
        let lim = Limits::default();
        let cases: [(&[u8], Format, Standard, Option<&str>); 8] = [
            (b"apiVersion: v1.0.0\nkind: DataProduct\nid: x\n", Format::Yaml, Standard::BitolOdps, Some("v1.0.0")),
            (br#"{"dataProductDescriptor":"1.0.0","info":{}}"#, Format::Json, Standard::Dpds, Some("1.0.0")),
            (b"schema: https://opendataproducts.org/v4.0/schema/odps.yaml\nversion: 4.0\nproduct: {}\n", Format::Yaml, Standard::OdpiOdps, Some("4.0")),
            (b"schema: x\nversion: 3.10\nproduct:\n  en: {}\n", Format::Yaml, Standard::OdpiOdps, Some("3.10")),
            (b"dataProductSpecification: 0.0.1\nid: s\ninfo: {}\n", Format::Yaml, Standard::Dps, Some("0.0.1")),
            (b"id: urn:dmb:dp:finance:cash-flow:0\ndomain: finance\n", Format::Yaml, Standard::Witboost, None),
            (b"kind: DataProduct\n", Format::Yaml, Standard::Custom, None),
            (b"id: urn:other:x\ndomain: finance\n", Format::Yaml, Standard::Custom, None),
        ];
        for (text, format, standard, version) in cases {
            let root = parse(text, format, &lim).unwrap();
            assert_eq!(
                Standard::detect(&root),
                (standard, version.map(str::to_string)),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn lenient_keys_keep_the_last_value_with_a_warning() {
        let text = b"a: 1\nb:\n  c: x\n  c: y\n";
        let strict = parse(text, Format::Yaml, &Limits::default()).unwrap_err();
        assert_eq!((strict.code, strict.pos), ("duplicate-key", Pos::new(4, 3)));
        let lenient = Limits {
            lenient_keys: true,
            ..Limits::default()
        };
        let (root, warnings) = parse_with_warnings(text, Format::Yaml, &lenient).unwrap();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].pos, Pos::new(4, 3));
        let c = root.get("b").unwrap().get("c").unwrap();
        assert_eq!((c.as_str(), c.span.start), (Some("y"), Pos::new(4, 6)));
        let (root, warnings) =
            parse_with_warnings(br#"{"k": 1, "k": 2}"#, Format::Json, &lenient).unwrap();
        assert_eq!(warnings.len(), 1);
        assert_eq!(root.get("k").unwrap().scalar_text().as_deref(), Some("2"));
    }

    #[test]
    fn positions_survive_crlf_missing_newline_and_non_ascii() {
        let lim = Limits::default();
        let text =
            "name: Zahlungsrückbuchungen – Übersicht\r\nowner: { id: \"ä\" }\r\nversion: 4.0";
        let root = parse(text.as_bytes(), Format::Yaml, &lim).unwrap();
        let owner = root.get("owner").unwrap().get("id").unwrap();
        assert_eq!(owner.span.start, Pos::new(2, 14));
        let version = root.get("version").unwrap();
        assert_eq!(version.span.start, Pos::new(3, 10));
        assert_eq!(version.scalar_text().as_deref(), Some("4.0"));
        let json = "{\r\n  \"näme\": \"Ü\",\r\n  \"v\": 1.50}";
        let root = parse(json.as_bytes(), Format::Json, &lim).unwrap();
        assert_eq!(root.entry("v").unwrap().key_span.start, Pos::new(3, 3));
        assert_eq!(root.get("v").unwrap().span.start, Pos::new(3, 8));
        assert_eq!(
            root.get("v").unwrap().scalar_text().as_deref(),
            Some("1.50")
        );
        assert_eq!(root.get("näme").unwrap().span.start, Pos::new(2, 11));
    }

    #[test]
    fn positions_stay_exact_in_a_large_manifest() {
        let mut text = String::from("kind: big\nitems:\n");
        let mut i = 0;
        while text.len() < 300 * 1024 {
            text.push_str(&format!("  - name: item-{i}\n    note: \"ünïcödé {i}\"\n"));
            i += 1;
        }
        text.push_str("last: here\n");
        let root = parse(text.as_bytes(), Format::Yaml, &Limits::default()).unwrap();
        let lines = text.lines().count() as u32;
        assert_eq!(
            root.get("last").unwrap().span.start,
            Pos::new(lines as usize, 7)
        );
        let NodeValue::Array(items) = &root.get("items").unwrap().value else {
            panic!("items is not a list")
        };
        let note = items[i - 1].get("note").unwrap();
        assert_eq!(note.span.start, Pos::new(lines as usize - 1, 11));
    }

    #[test]
    fn rejects_non_mapping_empty_and_large() {
        let lim = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(parse(b"", Format::Yaml, &lim).unwrap_err().code, "empty");
        assert_eq!(
            parse(b"  \n", Format::Json, &lim).unwrap_err().code,
            "empty"
        );
        assert_eq!(
            parse(b"- a\n", Format::Yaml, &lim).unwrap_err().code,
            "not-a-mapping"
        );
        let big = vec![b'a'; 11];
        assert_eq!(
            parse(&big, Format::Yaml, &lim).unwrap_err().code,
            "too-large"
        );
    }

    #[test]
    fn invalid_utf8_is_located() {
        let err = parse(b"a: 1\nb: \xff\xfe\n", Format::Yaml, &Limits::default()).unwrap_err();
        assert_eq!(err.code, "invalid-utf8");
        assert_eq!(err.pos, Pos::new(2, 4));
    }

    #[test]
    fn locate_prefers_keys_for_collections_and_values_for_scalars() {
        let src = "id: x\nteam:\n  members:\n    - name: ann\n      role: owner\n";
        let root = parse(src.as_bytes(), Format::Yaml, &Limits::default()).unwrap();
        let (s, ok) = root.locate(&parse_path("team.members[0].role").unwrap());
        assert!(ok);
        assert_eq!(s.start, Pos::new(5, 13));
        assert_eq!(s.len, 5);
        let (s, ok) = root.locate(&parse_path("team").unwrap());
        assert!(ok);
        assert_eq!((s.start, s.len), (Pos::new(2, 1), 4));
        // Missing leaf: nearest existing parent.
        let (s, ok) = root.locate(&parse_path("team.name").unwrap());
        assert!(!ok);
        assert_eq!(s.start, Pos::new(2, 1));
        let (s, ok) = root.locate(&parse_path("team.members[0]").unwrap());
        assert!(ok);
        assert_eq!(s.start, Pos::new(4, 7));
    }
}
