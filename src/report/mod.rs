//! Renderers: one per output format, all drawing from the same [`Report`](crate::model::Report).

pub mod badge;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod list;
pub mod markdown;
pub mod sarif;
pub mod scorecard;
pub mod testrun;

use std::io::{self, Write};

use crate::findings::{Finding, Location};
use crate::model::Report;

/// The output formats of `meshgate check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Findings with source snippets, then a summary per domain (default).
    Human,
    /// The versioned JSON document described in the README.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning (and other SARIF viewers).
    Sarif,
    /// JUnit XML: one testsuite per domain, one testcase per product × policy.
    Junit,
    /// GitHub Actions workflow commands (annotations), plus the job summary in
    /// `$GITHUB_STEP_SUMMARY` when set.
    Github,
    /// A GitLab Code Quality report (JSON).
    Gitlab,
    /// A short markdown summary for a pull-request comment.
    Markdown,
}

/// How a renderer draws (the parts that do not come from the report).
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// Print findings only (no summary).
    pub quiet: bool,
    /// Prefix that turns repo-relative paths into paths relative to the working directory.
    pub path_prefix: String,
    /// Which mesh root and scope the run used, when worth saying (human summary).
    pub root: Option<String>,
    /// Where the full report of this run can be read (the CI run's page), for the `github`
    /// format's closing notice.
    pub report_url: Option<String>,
}

/// Renders `report` as `format` into `out`.
pub fn render(
    format: Format,
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => {
            human::render(report, opts, out)?;
            match &report.impact {
                Some(i) => crate::impact::render_human(i, out),
                None => Ok(()),
            }
        }
        Format::Json => json::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Junit => junit::render(report, out),
        Format::Github => github::render(report, opts, out),
        Format::Gitlab => gitlab::render(report, out),
        Format::Markdown => {
            markdown::render(report, out)?;
            match &report.impact {
                Some(i) => crate::impact::render_markdown(i, out),
                None => Ok(()),
            }
        }
    }
}

/// `file` as a repo-relative path without `./`, or `None` for a file outside the repository
/// (an absolute path, or the shipped library's `<builtin>/…`).
pub(crate) fn repo_relative(file: &str) -> Option<&str> {
    let mut f = file;
    while let Some(rest) = f.strip_prefix("./") {
        f = rest;
    }
    if f.is_empty() || f.starts_with('<') || f.starts_with('/') || f.contains(":\\") {
        None
    } else {
        Some(f)
    }
}

/// Where a CI format points a finding: its location when that is a repo file, else line 1 of
/// the file it is about (the product descriptor, or the domain file). Always a repo-relative
/// file with line and column at least 1.
pub(crate) fn anchor(f: &Finding) -> Location {
    if let Some(l) = &f.location {
        if let Some(file) = repo_relative(&l.file) {
            let line = l.line.max(1);
            let column = l.column.max(1);
            let end_line = l.end_line.max(line);
            let end_column = if end_line == line {
                l.end_column.max(column + 1)
            } else {
                l.end_column.max(1)
            };
            return Location {
                file: file.to_string(),
                line,
                column,
                end_line,
                end_column,
            };
        }
    }
    let file = repo_relative(f.subject())
        .map(str::to_string)
        .or_else(|| {
            f.domain
                .as_ref()
                .map(|d| format!("domains/{d}/domain.yaml"))
        })
        .unwrap_or_else(|| "meshgate.toml".to_string());
    Location {
        file,
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 2,
    }
}

/// Whether [`anchor`] had to stand in for a missing or out-of-repository location.
pub(crate) fn anchor_is_exact(f: &Finding) -> bool {
    f.location
        .as_ref()
        .is_some_and(|l| repo_relative(&l.file).is_some())
}

/// The findings, most severe first (stable: the report's order within a severity).
pub(crate) fn by_severity(findings: &[Finding]) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = findings.iter().collect();
    v.sort_by_key(|f| std::cmp::Reverse(f.severity));
    v
}

/// Cuts `text` to at most `max` characters, ending with `…` when cut.
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}
