//! The one model of a finding (a policy verdict or a built-in check) and of a run-level error.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::descriptor::Pos;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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

/// A place in a file: 1-based line and column, and how many characters to underline.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// Repo-relative path of the file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// Characters to underline (not part of the JSON schema).
    #[serde(skip)]
    pub len: u32,
}

impl Location {
    /// A location at `pos` in `file`.
    pub fn new(file: &str, pos: Pos, len: u32) -> Location {
        Location {
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
            len: len.max(1),
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
/// Policy id of the note that a file is a template and was skipped.
pub const POLICY_TEMPLATE: &str = "meshgate.template";
/// Policy id used for failures of the engine itself on a product (policy errors, time-outs).
pub const POLICY_EVAL: &str = "meshgate.eval";

/// One problem found on one data product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Repo-relative path of the product descriptor.
    pub product: String,
    /// The product's domain (its folder's), if it is in one.
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
}

impl Finding {
    /// A finding of a built-in check (`meshgate.*`): its rule is also its id, and it is located.
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
            product: product.to_string(),
            domain: domain.map(str::to_string),
            policy: policy.to_string(),
            rule: rule.to_string(),
            id: Some(rule.to_string()),
            severity,
            message,
            path: None,
            location: Some(location),
            help,
        }
    }

    /// The order findings are reported in: product, policy, rule, message, then the rest.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.product,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// Bad flags or configuration.
    Config,
    /// A policy file that does not parse or compile.
    PolicyCompile,
    /// A policy file rejected by meshgate's rules (reserved package, domain isolation, recursion).
    PolicyRejected,
    /// A file that could not be read.
    Io,
}

/// A problem that stops part of the check from being done as asked (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
}
