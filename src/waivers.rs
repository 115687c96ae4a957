//! Waivers: time-boxed exceptions with accountability. The board's `waivers.yaml` at the
//! repository root (path configurable) and each domain's `domains/<d>/waivers.yaml` list them;
//! [`load`] reads and validates them (every problem a `meshgate.waiver` finding at its
//! file:line:col), and [`apply`], called by [`crate::model::Report::finish`], sets matching
//! findings aside as waived.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use globset::{GlobBuilder, GlobMatcher};

use crate::descriptor::{self, Format, Limits, Node, NodeValue, Pos};
use crate::findings::{Disposition, Finding, Location, Severity, WaiverRef, POLICY_WAIVER};
use crate::model::PolicyReport;
use crate::rules::POLICY_ERROR_ID;

/// The default waiver file at the repository root (`waivers` in meshgate.toml changes it).
pub const DEFAULT_FILE: &str = "waivers.yaml";
/// How far ahead a waiver may expire by default, in days (`waiver-max-days` in meshgate.toml).
pub const DEFAULT_MAX_DAYS: u32 = 180;

/// One valid waiver.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// Where it is written (the waiver file, at its list item).
    pub location: Location,
    /// The domain of a domain waiver file (`None` for the root file).
    pub domain: Option<String>,
    /// The product path or glob, as written.
    pub product: String,
    matcher: GlobMatcher,
    /// The policy id.
    pub policy: String,
    policy_pos: Pos,
    /// The rule (`deny_missing_owner`) or finding id (`owner-missing`) it is limited to.
    pub rule: Option<String>,
    /// The finding fingerprint it is limited to.
    pub fingerprint: Option<String>,
    /// Why.
    pub reason: String,
    /// Who approved it.
    pub approved_by: String,
    /// The last day it waives, `YYYY-MM-DD`.
    pub expires: String,
}

/// The waiver files of a mesh, read.
#[derive(Debug, Clone, Default)]
pub struct Waivers {
    /// The valid, unexpired waivers: root file first, then domains by name, in file order.
    pub entries: Vec<Waiver>,
    /// Problems found while reading them (invalid, expired, too long), as findings.
    pub findings: Vec<Finding>,
    /// The waiver files read, for snippets.
    pub sources: Vec<(String, Arc<str>)>,
}

/// Where the waiver files are and what is allowed.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    /// The mesh root.
    pub root: &'a Path,
    /// The root waiver file, repo-relative.
    pub file: &'a str,
    /// The mesh's domains (each may have `domains/<d>/waivers.yaml`).
    pub domains: &'a [String],
    /// Longest a waiver may run from today, in days.
    pub max_days: u32,
    /// The run's clock, nanoseconds since the Unix epoch.
    pub now_ns: i64,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` as days since the epoch; `None` when it is not a real date in that form.
pub fn parse_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = &text[r];
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (d >= 1 && d <= days_in).then(|| days_from_civil(i64::from(y), m, d))
}

/// The waiver-file rules, by id (registered in [`crate::rules`]).
pub mod codes {
    /// The file does not parse or does not have the expected shape.
    pub const INVALID: &str = "invalid";
    /// A waiver lacks `reason`, `approved_by` or `expires` (or `product`, `policy`).
    pub const MISSING_FIELD: &str = "missing-field";
    /// A waiver expires further ahead than `waiver-max-days`.
    pub const TOO_LONG: &str = "too-long";
    /// A waiver's expiry date has passed.
    pub const EXPIRED: &str = "expired";
    /// A waiver names a policy with `custom.waivable: false`.
    pub const NOT_WAIVABLE: &str = "not-waivable";
    /// A domain's waiver reaches beyond the domain (another domain's products, a global policy).
    pub const OUT_OF_DOMAIN: &str = "out-of-domain";
    /// A waiver matches no finding.
    pub const UNUSED: &str = "unused";
}

fn finding(
    file: &str,
    domain: Option<&str>,
    code: &str,
    severity: Severity,
    message: String,
    pos: Pos,
    len: u32,
) -> Finding {
    Finding {
        product: None,
        domain: domain.map(str::to_string),
        policy: POLICY_WAIVER.to_string(),
        rule: code.to_string(),
        id: Some(code.to_string()),
        severity,
        message,
        path: None,
        location: Some(Location::new(file, pos, len)),
        help: None,
        fingerprint: String::new(),
        disposition: Disposition::Open,
        waiver: None,
    }
}

fn width(node: &Node) -> u32 {
    node.scalar_text()
        .map_or(1, |t| u32::try_from(t.chars().count()).unwrap_or(u32::MAX))
}

/// Reads the root waiver file and every domain's. A missing file is no waiver; one that cannot
/// be read or parsed is a finding.
pub fn load(settings: &Settings<'_>) -> Waivers {
    let mut out = Waivers::default();
    let today = settings.now_ns.div_euclid(86_400 * 1_000_000_000);
    let mut files: Vec<(String, Option<&str>)> = vec![(settings.file.to_string(), None)];
    for d in settings.domains {
        files.push((format!("domains/{d}/{DEFAULT_FILE}"), Some(d.as_str())));
    }
    for (file, domain) in files {
        let path = settings.root.join(&file);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                out.findings.push(finding(
                    &file,
                    domain,
                    codes::INVALID,
                    Severity::Error,
                    format!("cannot read the waiver file: {e}"),
                    Pos::START,
                    1,
                ));
                continue;
            }
        };
        let mut warnings = Vec::new();
        match descriptor::parse_value(&bytes, Format::Yaml, &Limits::default(), &mut warnings) {
            Ok(root) => {
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    out.sources.push((file.clone(), Arc::from(text)));
                }
                read_file(&file, domain, &root, today, settings.max_days, &mut out);
            }
            // A file with only comments holds no waiver.
            Err(e) if e.code == "empty" => {}
            Err(e) => out.findings.push(finding(
                &file,
                domain,
                codes::INVALID,
                Severity::Error,
                format!("the waiver file does not parse: {}", e.message),
                e.pos,
                1,
            )),
        }
    }
    out
}

const FIELDS: &[&str] = &[
    "product",
    "policy",
    "rule",
    "fingerprint",
    "reason",
    "approved_by",
    "expires",
];

fn read_file(
    file: &str,
    domain: Option<&str>,
    root: &Node,
    today: i64,
    max_days: u32,
    out: &mut Waivers,
) {
    let mut problem = |code: &str, message: String, pos: Pos, len: u32| {
        let severity = Severity::Error;
        out.findings
            .push(finding(file, domain, code, severity, message, pos, len));
    };
    let items = match root.get("waivers").map(|n| &n.value) {
        Some(NodeValue::Array(items)) => items,
        Some(NodeValue::Null) => return,
        _ => {
            problem(
                codes::INVALID,
                "a waiver file is a mapping with a `waivers` list (`waivers:` then `- product: …` items)"
                    .to_string(),
                root.span.start,
                1,
            );
            return;
        }
    };
    if let NodeValue::Object(entries) = &root.value {
        for e in entries.iter().filter(|e| e.key != "waivers") {
            problem(
                codes::INVALID,
                format!("unknown key `{}` (a waiver file has only `waivers`)", e.key),
                e.key_span.start,
                e.key_span.len,
            );
        }
    }
    let mut valid = Vec::new();
    'items: for item in items {
        let NodeValue::Object(entries) = &item.value else {
            problem(
                codes::INVALID,
                "a waiver is a mapping with product, policy, reason, approved_by and expires"
                    .to_string(),
                item.span.start,
                1,
            );
            continue;
        };
        let mut ok = true;
        for e in entries {
            if !FIELDS.contains(&e.key.as_str()) {
                problem(
                    codes::INVALID,
                    format!(
                        "unknown waiver field `{}` (expected one of {})",
                        e.key,
                        FIELDS.join(", ")
                    ),
                    e.key_span.start,
                    e.key_span.len,
                );
                ok = false;
            }
        }
        let mut text = |key: &str, required: bool| -> Option<(String, &Node)> {
            match item.get(key) {
                Some(n) => match n.scalar_text().filter(|t| !t.trim().is_empty()) {
                    Some(t) if matches!(n.value, NodeValue::String(_)) || key == "expires" => {
                        Some((t, n))
                    }
                    _ => {
                        let (code, why) = if n.scalar_text().is_some_and(|t| t.trim().is_empty())
                            || matches!(n.value, NodeValue::Null)
                        {
                            (codes::MISSING_FIELD, "is empty")
                        } else {
                            (codes::INVALID, "must be a string")
                        };
                        problem(
                            code,
                            format!("waiver field `{key}` {why}"),
                            n.span.start,
                            width(n),
                        );
                        None
                    }
                },
                None => {
                    if required {
                        problem(
                            codes::MISSING_FIELD,
                            format!("waiver without `{key}`: every waiver names product, policy, reason, approved_by and expires"),
                            item.span.start,
                            1,
                        );
                    }
                    None
                }
            }
        };
        let product = text("product", true);
        let policy = text("policy", true);
        let rule = text("rule", false);
        let fingerprint = text("fingerprint", false);
        let reason = text("reason", true);
        let approved_by = text("approved_by", true);
        let expires = text("expires", true);
        let (
            Some((product, product_node)),
            Some((policy, policy_node)),
            Some((reason, _)),
            Some((approved_by, _)),
            Some((expires, expires_node)),
        ) = (product, policy, reason, approved_by, expires)
        else {
            continue 'items;
        };
        let matcher = match GlobBuilder::new(&product).literal_separator(true).build() {
            Ok(g) => g.compile_matcher(),
            Err(e) => {
                problem(
                    codes::INVALID,
                    format!("`{product}` is not a path or glob: {}", e.kind()),
                    product_node.span.start,
                    width(product_node),
                );
                continue;
            }
        };
        if let Some(d) = domain {
            let prefix = format!("domains/{d}/");
            if !product.starts_with(&prefix) {
                problem(
                    codes::OUT_OF_DOMAIN,
                    format!("a waiver in {file} can only waive findings on domain `{d}`'s products: start `product` with `{prefix}`, or put the waiver in the root waiver file"),
                    product_node.span.start,
                    width(product_node),
                );
                ok = false;
            }
        }
        let Some(day) = parse_date(&expires) else {
            problem(
                codes::INVALID,
                format!("`expires: {expires}` is not a date: write it as YYYY-MM-DD (the last day the waiver applies)"),
                expires_node.span.start,
                width(expires_node),
            );
            continue;
        };
        if day < today {
            problem(
                codes::EXPIRED,
                format!("waiver expired on {expires}: it waives nothing any more; fix the findings, or have `{approved_by}` renew it with a new date"),
                expires_node.span.start,
                width(expires_node),
            );
            continue;
        }
        if day - today > i64::from(max_days) {
            problem(
                codes::TOO_LONG,
                format!("waiver expires on {expires}, {} days from today: at most {max_days} days ahead are allowed (`waiver-max-days` in meshgate.toml)", day - today),
                expires_node.span.start,
                width(expires_node),
            );
            ok = false;
        }
        if !ok {
            continue;
        }
        valid.push(Waiver {
            location: Location::new(file, item.span.start, 1),
            domain: domain.map(str::to_string),
            product,
            matcher,
            policy,
            policy_pos: policy_node.span.start,
            rule: rule.map(|(r, _)| r),
            fingerprint: fingerprint.map(|(f, _)| f),
            reason,
            approved_by,
            expires,
        });
    }
    out.entries.extend(valid);
}

impl Waiver {
    fn matches(&self, f: &Finding) -> bool {
        f.policy == self.policy
            && self.matcher.is_match(f.subject())
            && self
                .rule
                .as_ref()
                .is_none_or(|r| &f.rule == r || f.id.as_ref() == Some(r))
            && self
                .fingerprint
                .as_ref()
                .is_none_or(|fp| &f.fingerprint == fp)
            && self
                .domain
                .as_ref()
                .is_none_or(|d| f.domain.as_ref() == Some(d))
    }

    fn reference(&self) -> WaiverRef {
        WaiverRef {
            location: self.location.clone(),
            reason: self.reason.clone(),
            approved_by: self.approved_by.clone(),
            expires: self.expires.clone(),
        }
    }
}

/// Marks every open finding that a waiver matches as waived (the first matching waiver, root
/// file first) and returns the problems only the policies can reveal: a waiver of a policy
/// that is not waivable, a domain waiver of a policy that is not the domain's own, and, when
/// `whole_mesh` (an unused waiver may match outside a partial run), the waivers that match
/// nothing (of Rego policies only when `evaluated`: a `--parse-only` run evaluates none).
/// `meshgate.waiver` findings and policy errors are never waived.
pub fn apply(
    waivers: &Waivers,
    findings: &mut [Finding],
    policies: &[PolicyReport],
    whole_mesh: bool,
    evaluated: bool,
) -> Vec<Finding> {
    let mut problems = Vec::new();
    let mut usable = Vec::with_capacity(waivers.entries.len());
    for w in &waivers.entries {
        let file = &w.location.file;
        let policy = policies.iter().find(|p| p.id == w.policy);
        let len = u32::try_from(w.policy.chars().count()).unwrap_or(u32::MAX);
        if policy.is_some_and(|p| !p.waivable) {
            problems.push(finding(
                file,
                w.domain.as_deref(),
                codes::NOT_WAIVABLE,
                Severity::Error,
                format!("policy `{}` is not waivable (`custom.waivable: false` in its METADATA): fix the findings instead", w.policy),
                w.policy_pos,
                len,
            ));
            continue;
        }
        if let Some(d) = &w.domain {
            if policy.is_none_or(|p| p.domain.as_ref() != Some(d)) {
                problems.push(finding(
                    file,
                    Some(d),
                    codes::OUT_OF_DOMAIN,
                    Severity::Error,
                    format!("`{}` is not a policy of domain `{d}`: a domain's waiver file can waive only its own policies; waiving a global policy needs the root waiver file, which the governance board owns", w.policy),
                    w.policy_pos,
                    len,
                ));
                continue;
            }
        }
        usable.push((w, false));
    }
    // The waivers of each policy, in order: a finding is matched against its policy's only.
    let mut by_policy: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (w, _)) in usable.iter().enumerate() {
        by_policy.entry(w.policy.as_str()).or_default().push(i);
    }
    for f in findings.iter_mut() {
        if !f.disposition.is_open()
            || f.policy == POLICY_WAIVER
            || f.id.as_deref() == Some(POLICY_ERROR_ID)
        {
            continue;
        }
        let Some(candidates) = by_policy.get(f.policy.as_str()) else {
            continue;
        };
        if let Some(&i) = candidates.iter().find(|&&i| usable[i].0.matches(f)) {
            let (w, used) = &mut usable[i];
            *used = true;
            f.disposition = Disposition::Waived;
            f.waiver = Some(Box::new(w.reference()));
        }
    }
    if whole_mesh {
        let unused = usable
            .iter()
            .filter(|(w, used)| !used && (evaluated || w.policy.starts_with("meshgate.")));
        for (w, _) in unused {
            problems.push(finding(
                &w.location.file,
                w.domain.as_deref(),
                codes::UNUSED,
                Severity::Warning,
                format!(
                    "waiver of `{}` on `{}` matches no finding: remove it (the findings are fixed) or correct it",
                    w.policy, w.product
                ),
                Pos::new(w.location.line as usize, w.location.column as usize),
                1,
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-13-01"), None);
        assert_eq!(parse_date("2023-1-01"), None);
        assert_eq!(parse_date("+023-01-01"), None);
    }
}
