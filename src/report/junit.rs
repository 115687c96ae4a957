//! JUnit XML, through `quick-junit`: one testsuite per domain, one testcase per product ×
//! policy (its outcome: pass, failure, error, skipped), plus a testcase per built-in check that
//! found something on a product or a domain file, and a `meshgate` suite of run-level errors.
//!
//! Every testcase has a non-empty `classname` (the product's path) and `time="0.000"`:
//! meshgate does not time single evaluations, and a measured time would make the output
//! differ from run to run. Test names (`<policy> :: <product path>`) are unique per suite.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::findings::Finding;
use crate::model::{Outcome, ProductReport, Report, Status};

use super::anchor;

/// The suite name of products outside any domain.
pub const NO_DOMAIN: &str = "(no domain)";

/// `file:line:col: severity code: message` for each finding, one a line.
fn describe(findings: &[&Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            let at = anchor(f);
            format!(
                "{}:{}:{}: {} {}: {}",
                at.file,
                at.line,
                at.column,
                f.severity,
                f.code(),
                f.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The failure (or error) status of findings: the message is the first finding's, with its
/// location, and a count when there are more.
fn non_success(kind: NonSuccessKind, findings: &[&Finding], fallback: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(kind);
    match findings.first() {
        Some(first) => {
            let at = anchor(first);
            let more = match findings.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            status.set_message(format!(
                "{}:{}:{}: {}{more}",
                at.file, at.line, at.column, first.message
            ));
            status.set_type(first.severity.as_str());
            status.set_description(describe(findings));
        }
        None => {
            status.set_message(fallback);
        }
    }
    status
}

fn case(name: String, classname: &str, status: TestCaseStatus) -> TestCase {
    let mut c = TestCase::new(name, status);
    c.set_classname(classname);
    c.set_time(Duration::ZERO);
    c
}

/// A failure with the open findings; when a waiver or the baseline set every finding aside,
/// a skipped case saying so (it fails nothing, and it did not pass either).
fn failure_unless_set_aside(findings: &[&Finding], fallback: &str) -> TestCaseStatus {
    let open: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| f.disposition.is_open())
        .collect();
    if !open.is_empty() || findings.is_empty() {
        return non_success(NonSuccessKind::Failure, &open, fallback);
    }
    let mut s = TestCaseStatus::skipped();
    let waived = findings.iter().filter(|f| f.waiver.is_some()).count();
    s.set_message(match (waived, findings.len() - waived) {
        (_, 0) => format!("failed, waived: {}", describe_waiver(findings)),
        (0, _) => "failed, in the baseline".to_string(),
        _ => format!(
            "failed, waived or in the baseline: {}",
            describe_waiver(findings)
        ),
    });
    s.set_description(describe(findings));
    s
}

fn describe_waiver(findings: &[&Finding]) -> String {
    findings
        .iter()
        .find_map(|f| f.waiver.as_ref())
        .map_or_else(String::new, |w| {
            format!(
                "{} (approved by {}, until {})",
                w.reason, w.approved_by, w.expires
            )
        })
}

fn product_cases(
    p: &ProductReport,
    report: &Report,
    by_subject: &BTreeMap<(&str, &str), Vec<&Finding>>,
) -> Vec<TestCase> {
    let mut cases = Vec::new();
    let classname = p.path.as_str();
    let none: Vec<&Finding> = Vec::new();
    // Built-in checks (parse, layout, $ref, template) that found something.
    for ((subject, policy), fs) in by_subject.range((p.path.as_str(), "")..) {
        if *subject != p.path {
            break;
        }
        if policy.starts_with("meshgate.") {
            cases.push(case(
                format!("{policy} :: {}", p.path),
                classname,
                failure_unless_set_aside(fs, ""),
            ));
        }
    }
    for (i, outcome) in p.policy_outcomes() {
        let Some(policy) = report.policies.get(i) else {
            continue;
        };
        let fs = by_subject
            .get(&(p.path.as_str(), policy.id.as_str()))
            .unwrap_or(&none);
        let status = match outcome {
            Outcome::Pass => TestCaseStatus::success(),
            Outcome::Fail => failure_unless_set_aside(fs, "failed"),
            Outcome::Error => {
                let reason = if p.status == Status::Error && fs.is_empty() {
                    "not evaluated: the descriptor did not parse or a policy did not load (fails closed)"
                } else {
                    "the policy failed to evaluate (fails closed)"
                };
                non_success(NonSuccessKind::Error, fs, reason)
            }
            Outcome::NotApplicable => {
                let mut s = TestCaseStatus::skipped();
                s.set_message("not applicable to this product");
                s
            }
            Outcome::Skipped => {
                let mut s = TestCaseStatus::skipped();
                s.set_message("not checked: a template");
                s
            }
        };
        cases.push(case(
            format!("{} :: {}", policy.id, p.path),
            classname,
            status,
        ));
    }
    cases
}

/// Writes the JUnit XML report.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // Findings by (product or domain file, policy).
    let mut by_subject: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_subject
            .entry((f.subject(), f.policy.as_str()))
            .or_default()
            .push(f);
    }
    let mut junit = JunitReport::new("meshgate");
    junit.set_time(Duration::ZERO);
    if !report.errors.is_empty() {
        let mut suite = TestSuite::new("meshgate");
        suite.set_time(Duration::ZERO);
        for (n, e) in report.errors.iter().enumerate() {
            let file = e.location.as_ref().map_or("meshgate", |l| l.file.as_str());
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(e.to_string());
            status.set_type("run-error");
            // Several errors may name one file: number them to keep names unique.
            suite.add_test_case(case(
                format!("policy load #{} :: {file}", n + 1),
                file,
                status,
            ));
        }
        junit.add_test_suite(suite);
    }
    for d in &report.domains {
        let name = d.name.as_deref().unwrap_or(NO_DOMAIN);
        let mut suite = TestSuite::new(name);
        suite.set_time(Duration::ZERO);
        for p in report
            .products
            .iter()
            .filter(|p| p.domain == d.name && p.status != Status::NotSelected)
        {
            suite.add_test_cases(product_cases(p, report, &by_subject));
        }
        // Findings on the domain's own files (domain.yaml), not on a product.
        for ((_, policy), fs) in &by_subject {
            let Some(first) = fs.first() else { continue };
            if first.product.is_some() || first.domain != d.name {
                continue;
            }
            let file = anchor(first).file;
            suite.add_test_case(case(
                format!("{policy} :: {file}"),
                &file,
                failure_unless_set_aside(fs, ""),
            ));
        }
        junit.add_test_suite(suite);
    }
    junit.serialize(&mut *out).map_err(io::Error::other)?;
    writeln!(out)
}
