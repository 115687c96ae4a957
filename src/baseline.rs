//! The baseline (ratchet): `check --write-baseline FILE` records today's findings;
//! `check --baseline FILE` marks the findings it records as baselined (they fail nothing) and
//! says which of its entries are fixed; `--prune-baseline` rewrites it without them.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::findings::{Disposition, Finding, Severity, POLICY_WAIVER};
use crate::rules::POLICY_ERROR_ID;

/// The version of the baseline file format meshgate writes and reads.
pub const VERSION: u32 = 1;

/// One recorded finding. Matched by product, policy, rule and fingerprint; severity and
/// message are for the humans reviewing the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The product descriptor (`null` for a finding on a domain file).
    pub product: Option<String>,
    /// The policy id.
    pub policy: String,
    /// The rule.
    pub rule: String,
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// Its severity when recorded.
    pub severity: Severity,
    /// Its message when recorded.
    pub message: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Deserialize)]
struct Header {
    version: Option<serde_json::Value>,
}

/// A baseline file, read.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// Its path, as given.
    pub path: String,
    /// Its entries, in file order.
    pub entries: Vec<Entry>,
}

/// What applying a baseline found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The baseline file.
    pub path: String,
    /// Entries that no finding matched in the part of the mesh the run checked: fixed, and
    /// removable (`--prune-baseline`).
    pub fixed: Vec<Entry>,
    /// The other entries, in file order (what `--prune-baseline` keeps).
    pub kept: Vec<Entry>,
}

/// A baseline file that cannot be used (exit 2).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct BaselineError {
    /// The file.
    pub path: String,
    /// 1-based line of the problem (1 when unknown).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong and what to do.
    pub message: String,
}

/// Reads a baseline file.
pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
    let shown = path.display().to_string();
    let err = |line: usize, column: usize, message: String| BaselineError {
        path: shown.clone(),
        line: line.max(1),
        column: column.max(1),
        message,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(1, 1, format!("cannot read the baseline: {e} (write one with `meshgate check --write-baseline {shown}`)")))?;
    let json = |e: serde_json::Error| {
        err(
            e.line(),
            e.column(),
            format!("not a meshgate baseline: {e} (write a new one with `--write-baseline`)"),
        )
    };
    let header: Header = serde_json::from_str(&text).map_err(json)?;
    if header.version != Some(serde_json::Value::from(VERSION)) {
        let (line, column) = position_of(&text, "\"version\"");
        let found = header
            .version
            .map_or_else(|| "no version".to_string(), |v| format!("version {v}"));
        return Err(err(
            line,
            column,
            format!("baseline file has {found}; this meshgate reads version {VERSION}: write a new baseline with `--write-baseline`, or use the meshgate that wrote it"),
        ));
    }
    let file: File = serde_json::from_str(&text).map_err(json)?;
    Ok(Baseline {
        path: shown,
        entries: file.findings,
    })
}

/// The 1-based line and column of the first occurrence of `needle` (1:1 when absent).
fn position_of(text: &str, needle: &str) -> (usize, usize) {
    let Some(at) = text.find(needle) else {
        return (1, 1);
    };
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// Whether a finding can be recorded in (and matched by) a baseline: not a waiver-file
/// problem (a baseline must not outlive a waiver's expiry) and not a policy error (a broken
/// policy always fails closed).
fn baselinable(f: &Finding) -> bool {
    f.policy != POLICY_WAIVER && f.id.as_deref() != Some(POLICY_ERROR_ID)
}

fn entry(f: &Finding) -> Entry {
    Entry {
        product: f.product.clone(),
        policy: f.policy.clone(),
        rule: f.rule.clone(),
        fingerprint: f.fingerprint.clone(),
        severity: f.severity,
        message: f.message.clone(),
    }
}

type Key<'a> = (Option<&'a str>, &'a str, &'a str, &'a str);

fn key(e: &Entry) -> Key<'_> {
    (e.product.as_deref(), &e.policy, &e.rule, &e.fingerprint)
}

/// Marks the open findings the baseline records as baselined. `in_scope(product)` says
/// whether the run checked a product (`None`: a finding on a domain file); an entry on a
/// checked product that no finding matches is fixed.
pub fn apply(
    baseline: &Baseline,
    findings: &mut [Finding],
    in_scope: impl Fn(Option<&str>) -> bool,
) -> Outcome {
    let mut index: HashMap<Key<'_>, Vec<usize>> = HashMap::new();
    for (i, e) in baseline.entries.iter().enumerate() {
        index.entry(key(e)).or_default().push(i);
    }
    let mut used = vec![false; baseline.entries.len()];
    for f in findings.iter_mut() {
        if !f.disposition.is_open() || !baselinable(f) {
            continue;
        }
        let k = (
            f.product.as_deref(),
            f.policy.as_str(),
            f.rule.as_str(),
            f.fingerprint.as_str(),
        );
        if let Some(slots) = index.get(&k) {
            for &i in slots {
                used[i] = true;
            }
            f.disposition = Disposition::Baselined;
        }
    }
    let mut out = Outcome {
        path: baseline.path.clone(),
        ..Outcome::default()
    };
    for (e, used) in baseline.entries.iter().zip(used) {
        if !used && in_scope(e.product.as_deref()) {
            out.fixed.push(e.clone());
        } else {
            out.kept.push(e.clone());
        }
    }
    out
}

fn to_json(entries: Vec<Entry>) -> String {
    let file = File {
        version: VERSION,
        findings: entries,
    };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

/// The baseline of `findings`: every open or baselined finding (waived ones have their
/// waiver, which expires), in report order.
pub fn record(findings: &[Finding]) -> String {
    to_json(
        findings
            .iter()
            .filter(|f| f.disposition != Disposition::Waived && baselinable(f))
            .map(entry)
            .collect(),
    )
}

/// The baseline without its fixed entries.
pub fn pruned(outcome: &Outcome) -> String {
    to_json(outcome.kept.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        assert_eq!(position_of("{\n  \"version\": 9", "\"version\""), (2, 3));
        assert_eq!(position_of("{}", "\"version\""), (1, 1));
    }
}
