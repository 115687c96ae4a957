//! The canonical JSON report (schema version 2; documented in README.md).

use std::io::{self, Write};

use serde::Serialize;

use crate::findings::{Finding, RunError, Severity};
use crate::model::{DomainSummary, PolicyReport, ProductReport, Report, Summary};

/// Version of the JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// What a changed-only run compared (`--changed-since`).
#[derive(Serialize)]
struct ChangedSince<'a> {
    reference: &'a str,
    merge_base: &'a str,
    changed: &'a [String],
    deleted: &'a [String],
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    fail_on: Option<Severity>,
    scope: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<crate::scope::Shard>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_since: Option<ChangedSince<'a>>,
    builtin_library: bool,
    summary: &'a Summary,
    domains: &'a [DomainSummary],
    products: &'a [ProductReport],
    policies: &'a [PolicyReport],
    findings: &'a [Finding],
    excepted: &'a [Finding],
    errors: &'a [RunError],
    #[serde(skip_serializing_if = "Option::is_none")]
    impact: Option<&'a crate::impact::Impact>,
}

/// Writes the report as pretty-printed JSON followed by a newline.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "meshgate",
            version: env!("CARGO_PKG_VERSION"),
        },
        fail_on: report.fail_on,
        scope: &report.scope,
        shard: report.shard,
        changed_since: report.change.as_ref().map(|c| ChangedSince {
            reference: &c.reference,
            merge_base: &c.base,
            changed: &c.changed,
            deleted: &c.deleted,
        }),
        builtin_library: report.builtin_library,
        summary: &report.summary,
        domains: &report.domains,
        products: &report.products,
        policies: &report.policies,
        findings: &report.findings,
        excepted: &report.excepted,
        errors: &report.errors,
        impact: report.impact.as_ref(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::from)?;
    writeln!(out)
}
