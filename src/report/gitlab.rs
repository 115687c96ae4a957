//! A GitLab Code Quality report: a JSON array of issues (`description`, `check_name`,
//! `fingerprint`, `severity`, `location.path`, `location.lines.begin`).
//!
//! GitLab keys issues by fingerprint: two issues with one fingerprint show as one, and a
//! fingerprint that moves with line numbers turns every edit above a finding into "fixed one,
//! found one". Findings use their report fingerprint (unique per report, line-free); run-level
//! errors get one made the same way, kept apart from every other.

use std::collections::HashSet;
use std::io::{self, Write};

use serde::Serialize;

use crate::findings::{RunError, Severity};
use crate::model::{fnv1a, without_positions, Report};
use crate::rules::POLICY_ERROR_ID;

use super::{anchor, repo_relative};

#[derive(Serialize)]
struct Issue {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: IssueLocation,
}

#[derive(Serialize)]
struct IssueLocation {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

/// GitLab's severity (`info`, `minor`, `major`, `critical`, `blocker`) for a finding: errors
/// fail the gate (`critical`), warnings are `minor`, infos `info`; a policy that failed to
/// evaluate left the product unchecked (`blocker`).
pub fn severity(s: Severity, id: Option<&str>) -> &'static str {
    if id == Some(POLICY_ERROR_ID) {
        return "blocker";
    }
    match s {
        Severity::Error => "critical",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

/// The report's hash over `parts`, as 16 hex digits.
fn hash(parts: &[&str]) -> String {
    format!("{:016x}", fnv1a(parts))
}

fn error_issue(e: &RunError) -> Issue {
    let path = e
        .location
        .as_ref()
        .and_then(|l| repo_relative(&l.file))
        .unwrap_or("meshgate.toml")
        .to_string();
    let line = e
        .location
        .as_ref()
        .filter(|l| repo_relative(&l.file).is_some())
        .map_or(1, |l| l.line.max(1));
    let kind = serde_json::to_value(e.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Issue {
        kind: "issue",
        description: format!("meshgate/{kind}: {e}"),
        check_name: format!("meshgate/{kind}"),
        // Never the line: two errors of one file that differ only in position are told
        // apart by `unique` in report order.
        fingerprint: hash(&[&path, &kind, &without_positions(&e.message)]),
        severity: "blocker",
        location: IssueLocation {
            path,
            lines: Lines { begin: line },
        },
    }
}

/// Writes the Code Quality report (pretty-printed JSON array and a newline).
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut issues: Vec<Issue> = Vec::with_capacity(report.findings.len() + report.errors.len());
    let mut seen: HashSet<String> = HashSet::new();
    let mut unique = |fp: String| {
        let mut fp = fp;
        let mut n = 0u32;
        while !seen.insert(fp.clone()) {
            n += 1;
            fp = hash(&[&fp, &n.to_string()]);
        }
        fp
    };
    for e in &report.errors {
        let mut issue = error_issue(e);
        issue.fingerprint = unique(issue.fingerprint);
        issues.push(issue);
    }
    // Waived and baselined findings fail nothing: Code Quality has no way to say so, so they
    // are left out (the JSON report has them).
    for f in report.findings.iter().filter(|f| f.disposition.is_open()) {
        let at = anchor(f);
        let code = f.code();
        issues.push(Issue {
            kind: "issue",
            // GitLab's widget shows the description, not the check name: lead with the code.
            description: format!("{code}: {}", f.message),
            check_name: code,
            fingerprint: unique(f.fingerprint.clone()),
            severity: severity(f.severity, f.id.as_deref()),
            location: IssueLocation {
                path: at.file,
                lines: Lines { begin: at.line },
            },
        });
    }
    serde_json::to_writer_pretty(&mut *out, &issues).map_err(io::Error::other)?;
    writeln!(out)
}
