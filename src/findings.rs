//! The one model of a finding (a policy verdict or a built-in check) and of a run-level error.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::descriptor::Pos;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a run unless `--fail-on info`.
    Info,
    /// Should be fixed; fails a run with `--fail-on warning`.
    Warning,
    /// Must be fixed; fails a run by default.
    Error,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "error" => Ok(Severity::Error),
            "warning" | "warn" => Ok(Severity::Warning),
            "info" => Ok(Severity::Info),
            other => Err(format!(
                "unknown severity `{other}` (expected error, warning or info)"
            )),
        }
    }
}

/// A span in a file: 1-based start line and column, and its end (exclusive, on the same line).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// Repo-relative path of the file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// 1-based line of the span's end (meshgate's spans are within one line).
    pub end_line: u32,
    /// 1-based column of the first character after the span (exclusive end, as SARIF's
    /// `endColumn`); at least `column + 1`.
    pub end_column: u32,
}

impl Location {
    /// A location at `pos` in `file`, `len` characters long (at least 1).
    pub fn new(file: &str, pos: Pos, len: u32) -> Location {
        Location {
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
            end_line: pos.line,
            end_column: pos.column.saturating_add(len.max(1)),
        }
    }

    /// How many characters the span covers on its line (at least 1).
    pub fn width(&self) -> u32 {
        if self.end_line == self.line {
            self.end_column.saturating_sub(self.column).max(1)
        } else {
            1
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Policy id of built-in descriptor parsing checks.
pub const POLICY_PARSE: &str = "meshgate.parse";
/// Policy id of built-in repository layout checks.
pub const POLICY_LAYOUT: &str = "meshgate.layout";
/// Policy id of built-in `$ref` resolution checks.
pub const POLICY_REF: &str = "meshgate.ref";
/// Policy id of checks on what Rego policies return (a member with an unusable `path`).
pub const POLICY_POLICY: &str = "meshgate.policy";
/// Policy id of the note that a file is a template and was skipped.
pub const POLICY_TEMPLATE: &str = "meshgate.template";
/// Policy id of checks on waiver files (`waivers.yaml`): invalid, expired and unused waivers.
pub const POLICY_WAIVER: &str = "meshgate.waiver";

/// What the gate does with a finding. Waivers and the baseline change the gate, not the facts:
/// a waived or baselined finding is still a finding of its product (its outcome stays `fail`,
/// its status counts it), but it fails nothing.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Disposition {
    /// Counts towards the exit code (the default; not written in JSON).
    #[default]
    Open,
    /// Set aside by a valid, unexpired waiver (see [`Finding::waiver`]).
    Waived,
    /// Recorded in the baseline given with `--baseline`: not new.
    Baselined,
}

impl Disposition {
    /// Whether the finding counts towards the exit code.
    pub fn is_open(&self) -> bool {
        *self == Disposition::Open
    }

    /// Lower-case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Open => "open",
            Disposition::Waived => "waived",
            Disposition::Baselined => "baselined",
        }
    }
}

/// The waiver that waived a finding, as the finding carries it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WaiverRef {
    /// Where the waiver is written (its waiver file, line and column).
    pub location: Location,
    /// Why the exception was granted.
    pub reason: String,
    /// Who granted it.
    pub approved_by: String,
    /// The last day it waives (`YYYY-MM-DD`).
    pub expires: String,
}

/// One problem found on one data product, or on one domain's `domain.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Repo-relative path of the product descriptor; `null` for a finding on a domain file
    /// (then `domain` is set) or on the repository itself.
    pub product: Option<String>,
    /// The product's domain (its folder's), or the domain a domain-level finding is about.
    pub domain: Option<String>,
    /// The policy: Rego package without `data.`, or a built-in `meshgate.*` id.
    pub policy: String,
    /// The rule that produced it: `deny`, `violation`, `warn`, or the built-in check's name.
    pub rule: String,
    /// A stable id for the kind of problem, when the policy gives one.
    pub id: Option<String>,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// The descriptor field path the finding is about, as `a.b[0].c`.
    pub path: Option<String>,
    /// Where in which file, when known.
    pub location: Option<Location>,
    /// How to fix it (the policy's remediation), when known.
    pub help: Option<String>,
    /// A stable identity of the finding that survives line shifts, key reordering and
    /// unrelated edits (see [`crate::model::fingerprint`]); set when the report is assembled.
    pub fingerprint: String,
    /// Whether it counts towards the exit code, or a waiver or the baseline set it aside (set
    /// when the report is assembled). Not written in JSON when `open`.
    #[serde(default, skip_serializing_if = "Disposition::is_open")]
    pub disposition: Disposition,
    /// The waiver, when `disposition` is `waived`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Box<WaiverRef>>,
}

impl Finding {
    /// A finding of a built-in check (`meshgate.*`) on a product: its rule is also its id, and
    /// it is located.
    #[allow(clippy::too_many_arguments)]
    pub fn builtin(
        policy: &str,
        rule: &str,
        product: &str,
        domain: Option<&str>,
        severity: Severity,
        message: String,
        location: Location,
        help: Option<String>,
    ) -> Finding {
        Finding {
            product: Some(product.to_string()),
            domain: domain.map(str::to_string),
            policy: policy.to_string(),
            rule: rule.to_string(),
            id: Some(rule.to_string()),
            severity,
            message,
            path: None,
            location: Some(location),
            help,
            fingerprint: String::new(),
            disposition: Disposition::Open,
            waiver: None,
        }
    }

    /// The code a reader looks up: `policy/id`, or `policy/rule` when the member gave no id
    /// (`meshgate.parse/syntax`, `governance.ownership/owner-missing`, `orders.retention/deny`).
    pub fn code(&self) -> String {
        format!(
            "{}/{}",
            self.policy,
            self.id.as_deref().unwrap_or(&self.rule)
        )
    }

    /// The file the finding is about: the product descriptor, else the file it is located in.
    pub fn subject(&self) -> &str {
        match (&self.product, &self.location) {
            (Some(p), _) => p,
            (None, Some(l)) => &l.file,
            (None, None) => "",
        }
    }

    /// The order findings are reported in: product (or domain file), policy, rule, message,
    /// then the rest.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            self.subject(),
            &self.policy,
            &self.rule,
            &self.message,
            &self.path,
            &self.location,
            std::cmp::Reverse(self.severity),
            &self.id,
        )
    }
}

/// Sorts findings into their canonical, deterministic order and drops exact duplicates.
pub fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup();
}

/// What kind of run-level error happened (not tied to one product).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// A policy file that does not parse or compile.
    PolicyCompile,
    /// A policy file rejected by meshgate's rules (reserved package, domain isolation, recursion).
    PolicyRejected,
    /// A policy file that could not be read (permissions, not UTF-8).
    Io,
    /// A policy that failed while being evaluated (a runtime error, a time-out, a member that
    /// breaks the policy contract): one entry per distinct (policy, location, message), however
    /// many products it failed on.
    PolicyRuntime,
    /// `meshgate.toml` names something that does not exist (a `[params."<id>"]` table of no
    /// policy).
    Config,
}

impl ErrorKind {
    /// The kind's name, as in JSON (`policy-compile`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::PolicyCompile => "policy-compile",
            ErrorKind::PolicyRejected => "policy-rejected",
            ErrorKind::Io => "io",
            ErrorKind::PolicyRuntime => "policy-runtime",
            ErrorKind::Config => "config",
        }
    }
}

/// A problem that stops part of the check from being done as asked (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    /// What kind of problem.
    pub kind: ErrorKind,
    /// What is wrong and what to do.
    pub message: String,
    /// Where, when known.
    pub location: Option<Location>,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(l) => write!(f, "{l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_order_and_parse() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
        assert_eq!("warn".parse::<Severity>(), Ok(Severity::Warning));
        assert!("fatal".parse::<Severity>().is_err());
    }

    #[test]
    fn error_kind_names_are_the_json_ones() {
        for kind in [
            ErrorKind::PolicyCompile,
            ErrorKind::PolicyRejected,
            ErrorKind::Io,
            ErrorKind::PolicyRuntime,
            ErrorKind::Config,
        ] {
            let json = serde_json::to_value(kind).unwrap_or_default();
            assert_eq!(json, kind.as_str());
        }
    }
}
