//! Glue over regorus shared by loading and evaluation: a Rego v1 engine, the execution timer,
//! and the parsing of regorus's error text into a location and a message.

use regorus::Engine;

use crate::descriptor::Pos;
use crate::findings::Location;

/// A regorus engine that reads Rego v1, as OPA 1.x does.
pub fn new_engine() -> Engine {
    let mut e = Engine::new();
    e.set_rego_v0(false);
    e
}

/// The execution timer of one product's evaluation (interpreter and VM alike).
pub fn execution_timer(
    timeout: std::time::Duration,
) -> regorus::utils::limits::ExecutionTimerConfig {
    regorus::utils::limits::ExecutionTimerConfig {
        limit: timeout,
        check_interval: std::num::NonZeroU32::new(64).unwrap_or(std::num::NonZeroU32::MIN),
    }
}

/// Nanoseconds since the Unix epoch of an RFC 3339 date-time (`2026-01-31T00:00:00Z`), read
/// by regorus's own `time.parse_rfc3339_ns`, so that `--now` accepts exactly what policies do.
pub fn parse_rfc3339_ns(text: &str) -> Result<i64, String> {
    let mut engine = new_engine();
    engine.set_strict_builtin_errors(true);
    let bad = |why: &str| {
        format!("`{text}` is not an RFC 3339 date-time with a time zone, such as 2026-01-31T00:00:00Z ({why})")
    };
    engine
        .add_policy(
            "<now>".to_string(),
            "package now\n\nns := time.parse_rfc3339_ns(input)\n".to_string(),
        )
        .map_err(|e| bad(&e.to_string()))?;
    engine.set_input(regorus::Value::from(text));
    match engine.eval_rule("data.now.ns".to_string()) {
        Ok(v) => v.as_i64().map_err(|_| bad("out of range")),
        Err(e) => Err(bad(&split_regorus_error(&e.to_string()).1)),
    }
}

/// Splits a regorus error (`--> file:line:col … error: message`) into location and message.
pub fn split_regorus_error(text: &str) -> (Option<(String, Pos)>, String) {
    let loc = text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("--> ")?;
        let mut it = rest.rsplitn(3, ':');
        let col = it.next()?.trim().parse::<usize>().ok()?;
        let line = it.next()?.trim().parse::<usize>().ok()?;
        let file = it.next()?.to_string();
        Some((file, Pos::new(line, col)))
    });
    let message = match text.rfind("error: ") {
        Some(i) if loc.is_some() => text[i + 7..].trim().to_string(),
        _ => text.trim().to_string(),
    };
    (loc, message)
}

/// The character column of a position regorus reports. regorus counts a tab as 4 columns;
/// meshgate's columns count characters (as the README says), so a position in tab-indented
/// Rego is converted with the line it is on. Without the source, the column is kept.
pub fn char_column(source: Option<&str>, pos: Pos) -> Pos {
    let Some(line) = source.and_then(|s| s.lines().nth((pos.line as usize).saturating_sub(1)))
    else {
        return pos;
    };
    let mut regorus_col = 1;
    for (i, c) in line.chars().enumerate() {
        if regorus_col >= pos.column {
            return Pos::new(pos.line as usize, i + 1);
        }
        regorus_col += if c == '\t' { 4 } else { 1 };
    }
    Pos::new(pos.line as usize, line.chars().count() + 1)
}

/// One definition of a policy rule (`deny`, `violation`, `warn`) in a policy file: where it
/// is, and its text, to tell apart the definitions of an incremental rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDefinition {
    /// The rule's name.
    pub rule: String,
    /// Its head, with the column in characters.
    pub location: Location,
    /// The definition's source text (head and bodies) without whitespace, for
    /// [`crate::policy::Policy::rule_location`].
    pub text: String,
}

/// The definitions of `rules` (by root name) in the policies of `engine` whose file is `file`,
/// in source order. Read from regorus's AST (the doc-hidden [`regorus::unstable`] types and
/// `Engine::get_modules`; see [`crate::recursion`] for why).
pub fn rule_definitions(
    engine: &Engine,
    file: &str,
    source: &str,
    rules: &[String],
) -> Vec<RuleDefinition> {
    use regorus::unstable::{Expr, Rule, RuleHead};
    // `get_modules` needs `&mut`; cloning an engine clones pointers to its modules.
    let mut engine = engine.clone();
    let mut out = Vec::new();
    for m in engine.get_modules() {
        if m.package.span.source.file() != file {
            continue;
        }
        for r in &m.policy {
            let Rule::Spec { span, head, .. } = &**r else {
                continue;
            };
            let (RuleHead::Set { refr, .. } | RuleHead::Compr { refr, .. }) = head else {
                continue;
            };
            let mut root = &**refr;
            while let Expr::RefBrack { refr, .. } | Expr::RefDot { refr, .. } = root {
                root = refr;
            }
            let Expr::Var { span: name, .. } = root else {
                continue;
            };
            let Some(rule) = rules.iter().find(|r| **r == name.text()) else {
                continue;
            };
            let pos = Pos::new(span.line as usize, span.col as usize);
            out.push(RuleDefinition {
                rule: rule.clone(),
                location: Location::new(
                    file,
                    char_column(Some(source), pos),
                    name.text().chars().count() as u32,
                ),
                text: span.text().split_whitespace().collect(),
            });
        }
    }
    out
}

/// A Rego reference to `data.<package>.<rule>`, bracketing segments that are not identifiers.
pub fn rule_ref(package: &str, rule: &str) -> String {
    let mut out = String::from("data");
    for seg in package.split('.').chain([rule]) {
        let ident = seg
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ident {
            out.push('.');
            out.push_str(seg);
        } else {
            out.push_str(&format!("[{}]", serde_json::Value::from(seg)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_read_as_rfc3339() {
        assert_eq!(parse_rfc3339_ns("1970-01-01T00:00:01Z"), Ok(1_000_000_000));
        assert_eq!(
            parse_rfc3339_ns("2026-01-31T02:00:00+02:00"),
            Ok(1_769_817_600_000_000_000)
        );
        for bad in ["2026-01-31", "yesterday", "", "2026-13-01T00:00:00Z"] {
            let e = parse_rfc3339_ns(bad).unwrap_err();
            assert!(e.starts_with(&format!("`{bad}` is not an RFC 3339")), "{e}");
        }
    }

    #[test]
    fn tab_columns_become_character_columns() {
        let src = "package p\n\nx := lower(5)\n\n\tx := lower(5)\n";
        // regorus: the `5` after a tab is at column 16; it is character 13.
        assert_eq!(char_column(Some(src), Pos::new(5, 16)), Pos::new(5, 13));
        assert_eq!(char_column(Some(src), Pos::new(3, 12)), Pos::new(3, 12));
        assert_eq!(char_column(None, Pos::new(5, 16)), Pos::new(5, 16));
        assert_eq!(char_column(Some(src), Pos::new(9, 3)), Pos::new(9, 3));
    }
}
