//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per
//! finding, most severe first, within GitHub's limits, and the job summary (markdown).
//!
//! GitHub shows at most [`MAX_PER_LEVEL`] annotations of each level per step (and 50 per job)
//! and silently drops the rest, so the output keeps within them and ends with one notice that
//! says how many findings are not shown and where the full report is.

use std::io::{self, Write};

use crate::findings::{Finding, Location, RunError, Severity};
use crate::model::Report;

use super::{anchor, by_severity, repo_relative, RenderOptions};

/// Annotations GitHub shows per level and step.
pub const MAX_PER_LEVEL: usize = 10;

/// Escapes a workflow command's message: `%`, then CR and LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value: as [`escape_data`], and `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The command name of a severity.
fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// `file=…,line=…,col=…,endLine=…,endColumn=…` (columns only on a one-line span: GitHub
/// rejects `col`/`endColumn` across lines).
fn position(l: &Location) -> String {
    let file = escape_property(&l.file);
    if l.end_line == l.line {
        format!(
            "file={file},line={},col={},endLine={},endColumn={}",
            l.line, l.column, l.end_line, l.end_column
        )
    } else {
        format!("file={file},line={},endLine={}", l.line, l.end_line)
    }
}

fn finding_command(f: &Finding) -> String {
    let mut message = f.message.clone();
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{} {},title={}::{}",
        command(f.severity),
        position(&anchor(f)),
        escape_property(&format!("meshgate {}", f.code())),
        escape_data(&message)
    )
}

fn error_command(e: &RunError) -> String {
    let title = escape_property("meshgate: policy did not load");
    match e
        .location
        .as_ref()
        .and_then(|l| repo_relative(&l.file).map(|f| (f, l)))
    {
        Some((file, l)) => format!(
            "::error {},title={title}::{}",
            position(&Location {
                file: file.to_string(),
                ..l.clone()
            }),
            escape_data(&e.message)
        ),
        None => format!("::error title={title}::{}", escape_data(&e.to_string())),
    }
}

/// Writes the annotations: run-level errors, then findings by severity, each level capped at
/// [`MAX_PER_LEVEL`]; then, when some did not fit, one notice that counts them.
pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut lines: Vec<(Severity, String)> = report
        .errors
        .iter()
        .map(|e| (Severity::Error, error_command(e)))
        .collect();
    lines.extend(
        // Waived and baselined findings fail nothing: they are counted in the job summary,
        // not annotated.
        by_severity(&report.findings)
            .into_iter()
            .filter(|f| f.disposition.is_open())
            .map(|f| (f.severity, finding_command(f))),
    );
    let total = lines.len();
    // The closing notice takes one notice slot when anything is left out.
    let fits = |cap_info: usize| {
        let mut shown = [0usize; 3];
        let mut kept = Vec::new();
        for (s, line) in &lines {
            let (slot, cap) = match s {
                Severity::Error => (0, MAX_PER_LEVEL),
                Severity::Warning => (1, MAX_PER_LEVEL),
                Severity::Info => (2, cap_info),
            };
            if shown[slot] < cap {
                shown[slot] += 1;
                kept.push(line.as_str());
            }
        }
        kept
    };
    let mut kept = fits(MAX_PER_LEVEL);
    if kept.len() < total {
        kept = fits(MAX_PER_LEVEL - 1);
    }
    for line in &kept {
        writeln!(out, "{line}")?;
    }
    let hidden = total - kept.len();
    if hidden > 0 {
        let mut m = format!(
            "{hidden} more finding{} not shown as annotations ({} in all; GitHub shows at most {MAX_PER_LEVEL} per level and step).",
            if hidden == 1 { " is" } else { "s are" },
            total
        );
        match &opts.report_url {
            Some(url) => m.push_str(&format!(" The full report is in the job summary: {url}")),
            None => m.push_str(
                " The full report is in the job summary, or run `meshgate check --format json`.",
            ),
        }
        writeln!(
            out,
            "::notice title={}::{}",
            escape_property("meshgate: more findings"),
            escape_data(&m)
        )?;
    }
    Ok(())
}

/// Appends the job summary (the markdown report) to `path`, the file GitHub names in
/// `$GITHUB_STEP_SUMMARY`.
pub fn append_summary(report: &Report, path: &std::path::Path) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut buf = Vec::new();
    super::markdown::render(report, &mut buf)?;
    file.write_all(&buf)?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_first_then_cr_lf_and_in_properties_colon_comma() {
        // `%` first: an escaped `\n` must not be re-escaped into `%250A`.
        assert_eq!(escape_data("100% a\r\nb"), "100%25 a%0D%0Ab");
        assert_eq!(escape_data("a:b,c"), "a:b,c");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
