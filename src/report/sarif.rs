//! SARIF 2.1.0 for GitHub code scanning: one `reportingDescriptor` per policy (from its
//! METADATA) and per built-in rule that occurs, one result per finding, run-level errors as
//! tool execution notifications.
//!
//! A small hand-typed serde model rather than the `serde-sarif` crate: meshgate writes a
//! dozen of SARIF's several hundred properties, and `serde-sarif` generates its types from
//! the schema in a build script (see the commit that added this module for the measured cost).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::findings::{Disposition, Finding, Location, RunError, Severity};
use crate::model::Report;
use crate::rules::{self, BUILTIN};

use super::{anchor, anchor_is_exact, repo_relative, truncate_chars};

/// The schema a SARIF document names.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where to learn about meshgate (the driver's `informationUri`).
pub const INFORMATION_URI: &str = "https://github.com/meshgate/meshgate";
/// GitHub code scanning truncates longer rule descriptions; SARIF viewers show them whole.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
/// The base every artifact uri is relative to: the repository root (what CodeQL writes, and
/// what GitHub resolves against the checkout).
pub const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    invocations: [Invocation; 1],
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

fn text(s: impl Into<String>) -> Text {
    Text { text: s.into() }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    short_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_description: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_configuration: Option<Configuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<RuleProperties>,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    exit_code: u8,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    descriptor: NotificationId,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
}

#[derive(Serialize)]
struct NotificationId {
    id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [SarifLocation; 1],
    partial_fingerprints: Fingerprints<'a>,
    /// Only with `--baseline`: `new` for an open finding, `unchanged` for a baselined one.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    /// A waived finding's waiver, as an external suppression (SARIF viewers hide it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Fingerprints<'a> {
    primary_location_line_hash: &'a str,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    product: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

/// SARIF's level for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A repo-relative path as a relative URI reference: every byte outside RFC 3986's unreserved
/// and sub-delimiter characters (and `/`, `:` after the first segment, `@`) percent-encoded.
pub fn uri_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, b) in path.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric()
            || b"-._~/!$&'()*+,;=@".contains(&b)
            // A colon in the first segment would read as a scheme.
            || (b == b':' && path[..i].contains('/'));
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn physical(l: &Location) -> SarifLocation {
    SarifLocation {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri_of(&l.file),
                uri_base_id: SRCROOT,
            },
            region: Region {
                start_line: l.line.max(1),
                start_column: l.column.max(1),
                end_line: l.end_line.max(l.line.max(1)),
                end_column: l.end_column.max(1),
            },
        },
    }
}

/// The rule id of a finding: the policy id for a Rego policy's findings (METADATA is per
/// policy, and the id of a message is free text a policy may vary), the finding's code for a
/// built-in check (the registry describes each).
pub fn rule_id(f: &Finding) -> String {
    let code = f.code();
    if rules::find(&code).is_some() {
        code
    } else {
        f.policy.clone()
    }
}

fn descriptors(report: &Report) -> Vec<Descriptor> {
    let mut out: Vec<Descriptor> = report
        .policies
        .iter()
        .map(|p| {
            let title = p
                .title
                .clone()
                .unwrap_or_else(|| format!("Policy {}", p.id));
            Descriptor {
                id: p.id.clone(),
                name: None,
                short_description: text(truncate_chars(&title, MAX_DESCRIPTION_CHARS)),
                full_description: Some(text(truncate_chars(
                    p.description.as_deref().unwrap_or(&title),
                    MAX_DESCRIPTION_CHARS,
                ))),
                help: p.remediation.as_ref().map(|r| text(r.all_standards())),
                default_configuration: p.severity.map(|s| Configuration { level: level(s) }),
                properties: p.category.clone().map(|c| RuleProperties { tags: vec![c] }),
            }
        })
        .collect();
    let used: std::collections::BTreeSet<String> =
        report.findings.iter().map(|f| f.code()).collect();
    for r in BUILTIN.iter().filter(|r| used.contains(&r.code())) {
        out.push(Descriptor {
            id: r.code(),
            name: Some(r.id.to_string()),
            short_description: text(truncate_chars(r.title, MAX_DESCRIPTION_CHARS)),
            full_description: Some(text(truncate_chars(r.description, MAX_DESCRIPTION_CHARS))),
            help: Some(text(r.help)),
            default_configuration: Some(Configuration {
                level: level(r.severity),
            }),
            properties: None,
        });
    }
    // A finding of a policy the report does not list (not expected): a bare descriptor, so
    // that every result's rule exists.
    let mut known: std::collections::BTreeSet<String> = out.iter().map(|d| d.id.clone()).collect();
    for f in &report.findings {
        let id = rule_id(f);
        if known.insert(id.clone()) {
            out.push(Descriptor {
                short_description: text(format!("Policy {id}")),
                id,
                name: None,
                full_description: None,
                help: None,
                default_configuration: None,
                properties: None,
            });
        }
    }
    out
}

fn result_message(f: &Finding) -> String {
    let mut m = f.message.clone();
    if !anchor_is_exact(f) {
        if let Some(l) = &f.location {
            // Located outside the repository (the shipped library): say where.
            m.push_str(&format!(" (at {l})"));
        }
    }
    m
}

fn notification(e: &RunError) -> Notification {
    let loc = e.location.as_ref().and_then(|l| {
        repo_relative(&l.file).map(|file| Location {
            file: file.to_string(),
            ..l.clone()
        })
    });
    let mut message = e.message.clone();
    if let (None, Some(l)) = (&loc, &e.location) {
        message = format!("{l}: {message}");
    }
    Notification {
        level: "error",
        message: text(message),
        descriptor: NotificationId {
            id: e.kind.as_str(),
        },
        locations: loc.iter().map(physical).collect(),
    }
}

/// Writes the report as one SARIF 2.1.0 log (pretty-printed JSON and a newline).
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rules = descriptors(report);
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let ids: Vec<String> = report.findings.iter().map(rule_id).collect();
    let results = report
        .findings
        .iter()
        .zip(&ids)
        .map(|(f, id)| SarifResult {
            rule_id: id,
            rule_index: index.get(id.as_str()).copied().unwrap_or(0),
            level: level(f.severity),
            message: text(result_message(f)),
            locations: [physical(&anchor(f))],
            partial_fingerprints: Fingerprints {
                primary_location_line_hash: &f.fingerprint,
            },
            baseline_state: match (&report.baseline, f.disposition) {
                (None, _) | (_, Disposition::Waived) => None,
                (Some(_), Disposition::Open) => Some("new"),
                (Some(_), Disposition::Baselined) => Some("unchanged"),
            },
            suppressions: f
                .waiver
                .iter()
                .map(|w| Suppression {
                    kind: "external",
                    status: "accepted",
                    justification: format!(
                        "{} (approved by {}, until {}; {})",
                        w.reason, w.approved_by, w.expires, w.location
                    ),
                })
                .collect(),
            properties: ResultProperties {
                code: f.code(),
                product: f.product.as_deref(),
                path: f.path.as_deref(),
            },
        })
        .collect();
    let exit_code = report.exit_code();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "meshgate",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules,
                },
            },
            invocations: [Invocation {
                execution_successful: exit_code != 2,
                exit_code,
                tool_execution_notifications: report.errors.iter().map(notification).collect(),
            }],
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_relative_references() {
        assert_eq!(
            uri_of("domains/a b/products/ü/x.yaml"),
            "domains/a%20b/products/%C3%BC/x.yaml"
        );
        assert_eq!(uri_of("50%/x:y.yaml"), "50%25/x:y.yaml");
        // A colon in the first segment would read as a URI scheme.
        assert_eq!(uri_of("c:d/x"), "c%3Ad/x");
    }
}
