//! A strict JSON (RFC 8259) parser that keeps the position of every key and value.

use std::collections::HashMap;

use super::{check_duplicate, Entry, Limits, Node, NodeValue, Number, ParseError, Pos, Span};

struct Reader<'a> {
    src: &'a [u8],
    i: usize,
    line: u32,
    /// 1-based column of `src[i]`, in characters.
    col: u32,
    depth: usize,
    nodes: usize,
    limits: &'a Limits,
    warnings: Vec<ParseError>,
}

impl<'a> Reader<'a> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.col,
        }
    }

    fn err(&self, code: &'static str, msg: impl Into<String>) -> ParseError {
        ParseError::new(code, msg, self.pos())
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.i).copied()
    }

    fn bump(&mut self) {
        if let Some(&b) = self.src.get(self.i) {
            self.i += 1;
            if b == b'\n' {
                self.line += 1;
                self.col = 1;
            } else if b & 0xC0 != 0x80 {
                self.col += 1;
            }
        }
    }

    fn ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.bump(),
                _ => break,
            }
        }
    }

    fn describe(&self) -> String {
        match self.peek() {
            None => "end of file".to_string(),
            Some(_) => {
                let rest = std::str::from_utf8(&self.src[self.i..]).unwrap_or("");
                format!("`{}`", rest.chars().next().unwrap_or('?'))
            }
        }
    }

    fn expect_literal(&mut self, lit: &str, v: NodeValue) -> Result<Node, ParseError> {
        let start = self.pos();
        if self.src[self.i..].starts_with(lit.as_bytes()) {
            for _ in 0..lit.len() {
                self.bump();
            }
            Ok(Node {
                value: v,
                span: Span {
                    start,
                    len: lit.len() as u32,
                    file: 0,
                },
                raw: None,
            })
        } else {
            Err(self.err(
                "syntax",
                format!("invalid JSON: unexpected {}", self.describe()),
            ))
        }
    }

    fn value(&mut self) -> Result<Node, ParseError> {
        self.ws();
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(self.err(
                "too-many-nodes",
                format!("document has more than {} nodes", self.limits.max_nodes),
            ));
        }
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                let start = self.pos();
                let s = self.string()?;
                let len = self.col.saturating_sub(start.column).max(1);
                Ok(Node {
                    value: NodeValue::String(s),
                    span: Span {
                        start,
                        len: if self.line == start.line { len } else { 1 },
                        file: 0,
                    },
                    raw: None,
                })
            }
            Some(b't') => self.expect_literal("true", NodeValue::Bool(true)),
            Some(b'f') => self.expect_literal("false", NodeValue::Bool(false)),
            Some(b'n') => self.expect_literal("null", NodeValue::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err(
                "syntax",
                format!("invalid JSON: expected a value, found {}", self.describe()),
            )),
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(self
                .err(
                    "too-deep",
                    format!("nesting is deeper than {} levels", self.limits.max_depth),
                )
                .with_help("flatten the descriptor"));
        }
        Ok(())
    }

    fn array(&mut self) -> Result<Node, ParseError> {
        let start = self.pos();
        self.enter()?;
        self.bump();
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.bump();
        } else {
            loop {
                items.push(self.value()?);
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.bump();
                        self.ws();
                        if self.peek() == Some(b']') {
                            return Err(self.err("syntax", "invalid JSON: trailing comma in array"));
                        }
                    }
                    Some(b']') => {
                        self.bump();
                        break;
                    }
                    _ => {
                        return Err(self.err(
                            "syntax",
                            format!(
                                "invalid JSON: expected `,` or `]`, found {}",
                                self.describe()
                            ),
                        ))
                    }
                }
            }
        }
        self.depth -= 1;
        Ok(Node {
            value: NodeValue::Array(items),
            span: Span {
                start,
                len: 1,
                file: 0,
            },
            raw: None,
        })
    }

    fn object(&mut self) -> Result<Node, ParseError> {
        let start = self.pos();
        self.enter()?;
        self.bump();
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen: Option<HashMap<String, Pos>> = None;
        self.ws();
        if self.peek() == Some(b'}') {
            self.bump();
        } else {
            loop {
                self.ws();
                if self.peek() != Some(b'"') {
                    return Err(self.err(
                        "syntax",
                        format!(
                            "invalid JSON: expected a string key, found {}",
                            self.describe()
                        ),
                    ));
                }
                let key_start = self.pos();
                let key = self.string()?;
                let key_len = if self.line == key_start.line {
                    self.col.saturating_sub(key_start.column).max(1)
                } else {
                    1
                };
                check_duplicate(
                    &entries,
                    &mut seen,
                    &key,
                    key_start,
                    self.limits,
                    &mut self.warnings,
                )?;
                self.ws();
                if self.peek() != Some(b':') {
                    return Err(self.err(
                        "syntax",
                        format!(
                            "invalid JSON: expected `:` after key, found {}",
                            self.describe()
                        ),
                    ));
                }
                self.bump();
                let value = self.value()?;
                entries.push(Entry {
                    key,
                    key_span: Span {
                        start: key_start,
                        len: key_len,
                        file: 0,
                    },
                    value,
                });
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.bump();
                        self.ws();
                        if self.peek() == Some(b'}') {
                            return Err(
                                self.err("syntax", "invalid JSON: trailing comma in object")
                            );
                        }
                    }
                    Some(b'}') => {
                        self.bump();
                        break;
                    }
                    _ => {
                        return Err(self.err(
                            "syntax",
                            format!(
                                "invalid JSON: expected `,` or `}}`, found {}",
                                self.describe()
                            ),
                        ))
                    }
                }
            }
        }
        self.depth -= 1;
        Ok(Node {
            value: NodeValue::Object(entries),
            span: Span {
                start,
                len: 1,
                file: 0,
            },
            raw: None,
        })
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = self
                .peek()
                .and_then(|b| (b as char).to_digit(16))
                .ok_or_else(|| self.err("syntax", "invalid JSON: bad \\u escape"))?;
            v = v * 16 + d;
            self.bump();
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.bump(); // opening quote
        let mut out = String::new();
        loop {
            // Copy a run of plain bytes at once.
            let run_start = self.i;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.bump();
            }
            // Input is valid UTF-8 and the run stops only at ASCII bytes, so this is a char boundary.
            out.push_str(std::str::from_utf8(&self.src[run_start..self.i]).unwrap_or(""));
            match self.peek() {
                None => return Err(self.err("syntax", "invalid JSON: unterminated string")),
                Some(b'"') => {
                    self.bump();
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.bump();
                    let c = self.peek();
                    self.bump();
                    match c {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if self.peek() == Some(b'\\')
                                    && self.src.get(self.i + 1) == Some(&b'u')
                                {
                                    self.bump();
                                    self.bump();
                                    let lo = self.hex4()?;
                                    if !(0xDC00..0xE000).contains(&lo) {
                                        return Err(
                                            self.err("syntax", "invalid JSON: bad surrogate pair")
                                        );
                                    }
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                } else {
                                    return Err(self.err("syntax", "invalid JSON: lone surrogate"));
                                }
                            } else {
                                hi
                            };
                            out.push(char::from_u32(cp).ok_or_else(|| {
                                self.err("syntax", "invalid JSON: bad \\u escape")
                            })?);
                        }
                        _ => return Err(self.err("syntax", "invalid JSON: unknown escape")),
                    }
                }
                Some(_) => {
                    return Err(self.err(
                        "syntax",
                        "invalid JSON: control character in string (escape it, e.g. \\n)",
                    ))
                }
            }
        }
    }

    fn number(&mut self) -> Result<Node, ParseError> {
        let start_pos = self.pos();
        let start = self.i;
        let mut is_float = false;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        match self.peek() {
            Some(b'0') => self.bump(),
            Some(b'1'..=b'9') => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.bump();
                }
            }
            _ => return Err(self.err("syntax", "invalid JSON: bad number")),
        }
        if self.peek() == Some(b'.') {
            is_float = true;
            self.bump();
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("syntax", "invalid JSON: bad number"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.bump();
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            is_float = true;
            self.bump();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.bump();
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("syntax", "invalid JSON: bad number"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.bump();
            }
        }
        let text = std::str::from_utf8(&self.src[start..self.i]).unwrap_or("0");
        let num = match (is_float, text.parse::<i64>()) {
            (false, Ok(i)) => Number::Int(i),
            _ => Number::Float(text.parse::<f64>().unwrap_or(f64::NAN)),
        };
        Ok(Node {
            value: NodeValue::Number(num),
            span: Span {
                start: start_pos,
                len: (self.i - start) as u32,
                file: 0,
            },
            raw: Some(text.into()),
        })
    }
}

/// Parses one JSON document.
pub fn parse_json(
    text: &str,
    limits: &Limits,
    warnings: &mut Vec<ParseError>,
) -> Result<Node, ParseError> {
    let mut r = Reader {
        src: text.as_bytes(),
        i: 0,
        line: 1,
        col: 1,
        depth: 0,
        nodes: 0,
        limits,
        warnings: Vec::new(),
    };
    let v = r.value()?;
    r.ws();
    if r.peek().is_some() {
        return Err(r.err(
            "syntax",
            format!(
                "invalid JSON: unexpected {} after the document",
                r.describe()
            ),
        ));
    }
    warnings.append(&mut r.warnings);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Node, ParseError> {
        parse_json(s, &Limits::default(), &mut Vec::new())
    }

    #[test]
    fn values_and_positions() {
        let n = p("{\n  \"a\": [1, 2.5, \"x\"],\n  \"é\": {\"b\": null, \"c\": true}\n}").unwrap();
        let NodeValue::Array(items) = &n.get("a").unwrap().value else {
            panic!()
        };
        assert_eq!(items[0].value, NodeValue::Number(Number::Int(1)));
        assert_eq!(items[1].value, NodeValue::Number(Number::Float(2.5)));
        assert_eq!(
            items[2].span,
            Span {
                start: Pos::new(2, 17),
                len: 3,
                file: 0,
            }
        );
        let e = n.get("é").unwrap();
        assert_eq!(e.get("c").unwrap().span.start, Pos::new(3, 25));
        assert_eq!(e.get("b").unwrap().value, NodeValue::Null);
    }

    #[test]
    fn errors_are_located() {
        let e = p("{\n  \"a\": 1,\n}").unwrap_err();
        assert_eq!((e.code, e.pos), ("syntax", Pos::new(3, 1)));
        assert!(e.message.contains("trailing comma"));
        let e = p("{\"a\": 1, \"a\": 2}").unwrap_err();
        assert_eq!((e.code, e.pos), ("duplicate-key", Pos::new(1, 10)));
        assert_eq!(p("{\"a\": tru}").unwrap_err().pos, Pos::new(1, 7));
        assert_eq!(p("{} x").unwrap_err().code, "syntax");
        assert_eq!(p("{\"a\": \"x\ny\"}").unwrap_err().code, "syntax");
        assert_eq!(p("[01]").unwrap_err().code, "syntax");
    }

    #[test]
    fn escapes() {
        let n = p(r#"{"s": "a\"b\\c\u00e9\ud83d\ude00\n"}"#).unwrap();
        assert_eq!(n.get("s").unwrap().as_str(), Some("a\"b\\cé😀\n"));
        assert!(p(r#"{"s": "\ud83d"}"#).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(p(&s).unwrap_err().code, "too-deep");
    }

    #[test]
    fn big_integers_become_floats() {
        let n = p(r#"{"n": 123456789012345678901234567890}"#).unwrap();
        assert!(matches!(
            n.get("n").unwrap().value,
            NodeValue::Number(Number::Float(_))
        ));
    }
}
