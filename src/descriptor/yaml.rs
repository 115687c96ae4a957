//! YAML 1.2 (core schema) parsing into [`Node`]s, built from yaml-rust2's marked event stream.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{check_duplicate, Entry, Limits, Node, NodeValue, Number, ParseError, Pos, Span};

fn pos(m: &Marker) -> Pos {
    Pos::new(m.line(), m.col() + 1)
}

enum Frame {
    Seq {
        items: Vec<Node>,
        span: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        key: Option<(String, Span)>,
        span: Option<Span>,
        start: Span,
        anchor: usize,
        seen: Option<HashMap<String, Pos>>,
    },
}

struct Builder<'l> {
    stack: Vec<Frame>,
    root: Option<Node>,
    /// Anchored nodes with their expanded size, by anchor id.
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    limits: &'l Limits,
    warnings: Vec<ParseError>,
}

fn subtree_size(n: &Node) -> usize {
    match &n.value {
        NodeValue::Array(items) => 1 + items.iter().map(subtree_size).sum::<usize>(),
        NodeValue::Object(entries) => {
            1 + entries
                .iter()
                .map(|e| subtree_size(&e.value))
                .sum::<usize>()
        }
        _ => 1,
    }
}

impl Builder<'_> {
    fn count(&mut self, n: usize, at: Pos) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(ParseError::new(
                "too-many-nodes",
                format!(
                    "document expands to more than {} nodes (YAML alias expansion?)",
                    self.limits.max_nodes
                ),
                at,
            )
            .with_help("remove the aliases (`*name`) that multiply the document"));
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors
                .insert(anchor, (node.clone(), subtree_size(node)));
        }
    }

    /// Places a finished node into its parent (or makes it the root).
    fn push(&mut self, node: Node, is_scalar_key: Option<String>) -> Result<(), ParseError> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                key,
                span,
                seen,
                ..
            }) => match key.take() {
                None => {
                    let Some(text) = is_scalar_key else {
                        return Err(ParseError::new(
                            "complex-key",
                            "mapping keys must be plain scalars (strings, numbers, booleans)",
                            node.span.start,
                        ));
                    };
                    if span.is_none() {
                        *span = Some(node.span);
                    }
                    check_duplicate(
                        entries,
                        seen,
                        &text,
                        node.span.start,
                        self.limits,
                        &mut self.warnings,
                    )?;
                    *key = Some((text, node.span));
                    Ok(())
                }
                Some((k, key_span)) => {
                    entries.push(Entry {
                        key: k,
                        key_span,
                        value: node,
                    });
                    Ok(())
                }
            },
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> NodeValue {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeValue::Null,
        "true" | "True" | "TRUE" => return NodeValue::Bool(true),
        "false" | "False" | "FALSE" => return NodeValue::Bool(false),
        _ => {}
    }
    let bytes = text.as_bytes();
    let first = bytes[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return NodeValue::String(text.to_string());
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return NodeValue::Number(Number::Int(i));
            }
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            if let Ok(i) = i64::from_str_radix(oct, 8) {
                return NodeValue::Number(Number::Int(i));
            }
        }
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(i) => NodeValue::Number(Number::Int(i)),
            Err(_) => text
                .parse::<f64>()
                .map(|f| NodeValue::Number(Number::Float(f)))
                .unwrap_or_else(|_| NodeValue::String(text.to_string())),
        };
    }
    if is_core_float(digits) {
        if let Ok(f) = text.parse::<f64>() {
            return NodeValue::Number(Number::Float(f));
        }
    }
    // `.inf` and `.nan` have no JSON equivalent: policies see them as strings.
    NodeValue::String(text.to_string())
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let had_int = i > int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let fs = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if !had_int && i == fs {
            return false;
        }
    } else if !had_int {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let es = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == es {
            return false;
        }
    }
    i == b.len()
}

/// How many characters a scalar spans in the source, quotes included: a quoted scalar is
/// measured in the source line itself (escapes such as `\u0041` are longer than what they
/// decode to), a plain one by its value. A scalar that spans lines counts 1.
fn scalar_len(source: &Lines<'_>, at: Pos, value: &str, style: TScalarStyle) -> u32 {
    match style {
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => source
            .quoted_len(at, style == TScalarStyle::DoubleQuoted)
            .unwrap_or(1),
        TScalarStyle::Plain if !value.contains('\n') => (value.chars().count() as u32).max(1),
        _ => 1,
    }
}

/// The lines of the source, for measuring scalars where they are written.
struct Lines<'a> {
    text: &'a str,
    /// Byte offset of the start of every line.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// The length in characters of the quoted scalar that starts at `at` (its opening quote),
    /// closing quote included; `None` when it does not close on that line.
    fn quoted_len(&self, at: Pos, double: bool) -> Option<u32> {
        let start = *self.starts.get((at.line as usize).checked_sub(1)?)?;
        let end = self
            .starts
            .get(at.line as usize)
            .map_or(self.text.len(), |e| e.saturating_sub(1));
        let line = self.text.get(start..end)?;
        let mut chars = line.chars().skip((at.column as usize).checked_sub(1)?);
        let quote = if double { '"' } else { '\'' };
        if chars.next()? != quote {
            return None;
        }
        let mut n = 1;
        while let Some(c) = chars.next() {
            n += 1;
            if double && c == '\\' {
                chars.next()?;
                n += 1;
            } else if c == quote {
                // `''` inside a single-quoted scalar is an escaped quote.
                let mut peek = chars.clone();
                if !double && peek.next() == Some('\'') {
                    chars.next();
                    n += 1;
                } else {
                    return Some(n);
                }
            }
        }
        None
    }
}

/// Parses one YAML document. Multiple documents, complex keys and duplicate keys are errors.
pub fn parse_yaml(
    text: &str,
    limits: &Limits,
    warnings: &mut Vec<ParseError>,
) -> Result<Node, ParseError> {
    let mut parser = Parser::new_from_str(text);
    let lines = Lines::new(text);
    let mut b = Builder {
        stack: Vec::new(),
        root: None,
        anchors: HashMap::new(),
        nodes: 0,
        limits,
        warnings: Vec::new(),
    };
    let mut documents = 0;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            let m = e.marker();
            let p = Pos::new(m.line(), m.col() + 1);
            let info = e.info();
            if info.contains("recursion limit") {
                ParseError::new(
                    "too-deep",
                    format!("nesting is deeper than the parser's limit ({info})"),
                    p,
                )
                .with_help("flatten the descriptor")
            } else {
                ParseError::new("syntax", format!("invalid YAML: {info}"), p)
            }
        })?;
        let at = pos(&mark);
        match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(ParseError::new(
                        "multi-document",
                        "file holds more than one YAML document (a second `---`)",
                        at,
                    )
                    .with_help("keep one descriptor per file"));
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                b.count(1, at)?;
                let key_text = b.expecting_key().then(|| value.clone());
                let len = scalar_len(&lines, at, &value, style);
                let is_str_tag = tag
                    .as_ref()
                    .is_some_and(|t| t.handle == "tag:yaml.org,2002:" && t.suffix == "str");
                let (v, raw) = if style == TScalarStyle::Plain && !is_str_tag {
                    let v = resolve_plain(&value);
                    let raw = matches!(v, NodeValue::Number(_)).then(|| value.into_boxed_str());
                    (v, raw)
                } else {
                    (NodeValue::String(value), None)
                };
                let node = Node {
                    value: v,
                    span: Span {
                        start: at,
                        len,
                        file: 0,
                    },
                    raw,
                };
                b.remember(anchor, &node);
                b.push(node, key_text)?;
            }
            Event::Alias(id) => {
                let Some((node, size)) = b.anchors.get(&id) else {
                    return Err(ParseError::new("syntax", "alias to an unknown anchor", at));
                };
                let (mut node, size) = (node.clone(), *size);
                b.count(size, at)?;
                node.span = Span {
                    start: at,
                    len: 1,
                    file: 0,
                };
                let key_text = if b.expecting_key() {
                    node.as_str().map(str::to_string)
                } else {
                    None
                };
                b.push(node, key_text)?;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                b.count(1, at)?;
                if b.expecting_key() {
                    return Err(ParseError::new(
                        "complex-key",
                        "mapping keys must be plain scalars (strings, numbers, booleans)",
                        at,
                    ));
                }
                if b.stack.len() >= limits.max_depth {
                    return Err(ParseError::new(
                        "too-deep",
                        format!("nesting is deeper than {} levels", limits.max_depth),
                        at,
                    )
                    .with_help("flatten the descriptor"));
                }
                let span = Span {
                    start: at,
                    len: 1,
                    file: 0,
                };
                b.stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        span,
                        anchor,
                    }
                } else {
                    Frame::Map {
                        entries: Vec::new(),
                        key: None,
                        span: None,
                        start: span,
                        anchor,
                        seen: None,
                    }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match b.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        span,
                        anchor,
                    }) => (
                        Node {
                            value: NodeValue::Array(items),
                            span,
                            raw: None,
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        entries,
                        span,
                        start,
                        anchor,
                        ..
                    }) => (
                        Node {
                            value: NodeValue::Object(entries),
                            span: span.unwrap_or(start),
                            raw: None,
                        },
                        anchor,
                    ),
                    None => return Err(ParseError::new("syntax", "unbalanced YAML events", at)),
                };
                b.remember(anchor, &node);
                b.push(node, None)?;
            }
        }
    }
    warnings.append(&mut b.warnings);
    b.root
        .ok_or_else(|| ParseError::new("empty", "descriptor is empty", Pos::START))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Node, ParseError> {
        parse_yaml(s, &Limits::default(), &mut Vec::new())
    }

    #[test]
    fn quoted_scalars_are_measured_in_the_source() {
        let n = p("domain: \"sales\\u0041\\u0042\"\nb: 'it''s'\nc: \"é \\\" x\"\nd: plain text\ne: \"two\n  lines\"\n").unwrap();
        let len = |k: &str| n.get(k).unwrap().span.len;
        assert_eq!(
            n.get("domain").unwrap().value,
            NodeValue::String("salesAB".into())
        );
        assert_eq!(len("domain"), 19);
        assert_eq!(len("b"), 7);
        assert_eq!(len("c"), 8);
        assert_eq!(len("d"), 10);
        assert_eq!(len("e"), 1);
    }

    #[test]
    fn core_schema_scalars() {
        let n = p("a: yes\nb: 4.0\nc: 2024-01-01\nd: ~\ne: 0x1F\nf: '12'\ng: 12\nh: true\ni: .inf\nj: 1e3\nk: 99999999999999999999\n").unwrap();
        assert_eq!(n.get("a").unwrap().value, NodeValue::String("yes".into()));
        assert_eq!(
            n.get("b").unwrap().value,
            NodeValue::Number(Number::Float(4.0))
        );
        assert_eq!(
            n.get("c").unwrap().value,
            NodeValue::String("2024-01-01".into())
        );
        assert_eq!(n.get("d").unwrap().value, NodeValue::Null);
        assert_eq!(
            n.get("e").unwrap().value,
            NodeValue::Number(Number::Int(31))
        );
        assert_eq!(n.get("f").unwrap().value, NodeValue::String("12".into()));
        assert_eq!(
            n.get("g").unwrap().value,
            NodeValue::Number(Number::Int(12))
        );
        assert_eq!(n.get("h").unwrap().value, NodeValue::Bool(true));
        assert_eq!(n.get("i").unwrap().value, NodeValue::String(".inf".into()));
        assert_eq!(
            n.get("j").unwrap().value,
            NodeValue::Number(Number::Float(1000.0))
        );
        assert!(matches!(
            n.get("k").unwrap().value,
            NodeValue::Number(Number::Float(_))
        ));
    }

    #[test]
    fn positions_of_keys_and_values() {
        let n = p("name: orders\nports:\n  - id: a\n    kind: \"x\"\n").unwrap();
        let e = match &n.value {
            NodeValue::Object(e) => e,
            _ => panic!("not an object"),
        };
        assert_eq!(e[0].key_span.start, Pos::new(1, 1));
        assert_eq!(
            e[0].value.span,
            Span {
                start: Pos::new(1, 7),
                len: 6,
                file: 0,
            }
        );
        let ports = n.get("ports").unwrap();
        assert_eq!(ports.span.start, Pos::new(3, 3));
        let NodeValue::Array(items) = &ports.value else {
            panic!()
        };
        assert_eq!(items[0].span.start, Pos::new(3, 5));
        assert_eq!(
            items[0].get("kind").unwrap().span,
            Span {
                start: Pos::new(4, 11),
                len: 3,
                file: 0,
            }
        );
    }

    #[test]
    fn crlf_and_non_ascii_positions() {
        let n = p("név: ünïcödé\r\nzweite: wert\r\n").unwrap();
        assert_eq!(n.get("zweite").unwrap().span.start, Pos::new(2, 9));
        assert_eq!(n.get("név").unwrap().span.start, Pos::new(1, 6));
    }

    #[test]
    fn duplicate_keys_are_errors_with_both_positions() {
        let e = p("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.code, "duplicate-key");
        assert_eq!(e.pos, Pos::new(3, 1));
        assert!(e.message.contains("first defined at 1:1"), "{}", e.message);
        // Many keys take the hash-set path.
        let many: String =
            (0..40).map(|i| format!("k{i}: {i}\n")).collect::<String>() + "k7: again\n";
        assert_eq!(p(&many).unwrap_err().pos, Pos::new(41, 1));
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = p("a: 1\nb: {c: 1\nd: 2\n").unwrap_err();
        assert_eq!(e.code, "syntax");
        assert!(e.pos.line >= 2, "{e:?}");
    }

    #[test]
    fn multi_document_rejected() {
        let e = p("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(e.code, "multi-document");
        assert_eq!(e.pos.line, 2);
    }

    #[test]
    fn alias_bomb_is_stopped() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            s.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let e = p(&s).unwrap_err();
        assert_eq!(e.code, "too-many-nodes");
        // Small aliases are fine.
        let n = p("base: &b {x: 1}\nother: *b\n").unwrap();
        assert_eq!(
            n.get("other").unwrap().get("x").unwrap().value,
            NodeValue::Number(Number::Int(1))
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = format!("a: {}{}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(p(&s).unwrap_err().code, "too-deep");
        let mut block = String::new();
        for i in 0..3000 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        assert_eq!(p(&block).unwrap_err().code, "too-deep");
    }

    #[test]
    fn complex_keys_rejected() {
        assert_eq!(p("? [a, b]\n: 1\n").unwrap_err().code, "complex-key");
    }
}
