//! Markdown for a pull-request comment (and GitHub's job summary): a verdict line, a table of
//! the domains, and a collapsible `<details>` per domain with its findings. Kept within
//! [`MAX_BYTES`] (GitHub refuses longer comments): rows that do not fit are left out, and a
//! note says how many and how to see them all.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::findings::Finding;
use crate::model::Report;

use super::{anchor, by_severity};

/// GitHub's limit on a comment body, in characters (bytes are never fewer).
pub const MAX_BYTES: usize = 65_536;
/// Room kept for closing tags and the truncation note.
const RESERVE: usize = 1_024;

/// Escapes text for a table cell: `|` (a cell break), `<` and `>` (HTML), `&`, backticks
/// left as is, newlines as `<br>`.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

fn finding_row(f: &Finding) -> String {
    let at = anchor(f);
    format!(
        "| {} | `{}:{}` | `{}` | {} |\n",
        f.severity,
        cell(&at.file),
        at.line,
        cell(&f.code()),
        cell(&f.message)
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Writes the markdown report, at most [`MAX_BYTES`] bytes.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let mut md = String::new();
    let open = s.findings.error + s.findings.warning;
    let verdict = match report.exit_code() {
        // `--fail-on never` gates on nothing: "passed" would read as "nothing wrong".
        0 if report.fail_on.is_none() && open > 0 => "not gating (`--fail-on never`)",
        0 => "passed",
        1 => "failed",
        _ => "could not check everything",
    };
    md.push_str(&format!("### meshgate: {verdict}\n\n"));
    md.push_str(&format!(
        "{} checked: {} passing, {} with warnings, {} failing, {} in error, {} skipped. Findings: {}, {}, {}.\n\n",
        plural(s.products, "product", "products"),
        s.products_passing,
        s.products_warning,
        s.products_failing,
        s.products_error,
        s.products_skipped,
        plural(s.findings.error, "error", "errors"),
        plural(s.findings.warning, "warning", "warnings"),
        plural(s.findings.info, "info", "infos"),
    ));
    if s.waived + s.baselined + s.baseline_fixed > 0 {
        md.push_str(&format!(
            "Not failing: {} waived, {} baselined (their products still count as failing).{}\n\n",
            s.waived,
            plural(s.baselined, "finding", "findings"),
            if s.baseline_fixed > 0 {
                format!(
                    " {} in the baseline {} fixed: remove them with `--prune-baseline`.",
                    plural(s.baseline_fixed, "finding", "findings"),
                    if s.baseline_fixed == 1 { "is" } else { "are" }
                )
            } else {
                String::new()
            }
        ));
    }
    if !report.errors.is_empty() {
        md.push_str(&format!(
            "**{} not be loaded** (the products they apply to are in error):\n\n",
            plural(report.errors.len(), "policy could", "policies could")
        ));
        for (i, e) in report.errors.iter().enumerate() {
            let line = format!("- {}\n", cell(&e.to_string()));
            if md.len() + line.len() + RESERVE > MAX_BYTES / 4 {
                md.push_str(&format!("- … and {} more\n", report.errors.len() - i));
                break;
            }
            md.push_str(&line);
        }
        md.push('\n');
    }
    md.push_str(
        "| Domain | Products | Pass | Warn | Fail | Error | Error findings | Warning findings |\n",
    );
    md.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (i, d) in report.domains.iter().enumerate() {
        if md.len() + RESERVE > MAX_BYTES / 2 {
            md.push_str(&format!(
                "| … and {} more | | | | | | | |\n",
                plural(report.domains.len() - i, "domain", "domains")
            ));
            break;
        }
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            cell(d.name.as_deref().unwrap_or("(no domain)")),
            d.products,
            d.passing,
            d.warning,
            d.failing,
            d.errors,
            d.findings.error,
            d.findings.warning
        ));
    }
    md.push('\n');
    let mut left_out = 0usize;
    let mut per_domain: BTreeMap<Option<&str>, Vec<&Finding>> = BTreeMap::new();
    for f in by_severity(&report.findings)
        .into_iter()
        .filter(|f| f.disposition.is_open())
    {
        per_domain.entry(f.domain.as_deref()).or_default().push(f);
    }
    for d in &report.domains {
        let Some(findings) = per_domain.get(&d.name.as_deref()) else {
            continue;
        };
        let name = d.name.as_deref().unwrap_or("(no domain)");
        let head = format!(
            "<details><summary><b>{}</b>: {}</summary>\n\n| Severity | Where | Code | Message |\n|---|---|---|---|\n",
            cell(name),
            plural(findings.len(), "finding", "findings")
        );
        if md.len() + head.len() + RESERVE > MAX_BYTES {
            left_out += findings.len();
            continue;
        }
        md.push_str(&head);
        for f in findings {
            let row = finding_row(f);
            if md.len() + row.len() + RESERVE > MAX_BYTES {
                left_out += 1;
                continue;
            }
            md.push_str(&row);
        }
        md.push_str("\n</details>\n\n");
    }
    if left_out > 0 {
        md.push_str(&format!(
            "_{} left out to keep this comment within GitHub's size limit; run `meshgate check --format json` (or see the job's full report) for all of them._\n",
            plural(left_out, "finding is", "findings are")
        ));
    }
    out.write_all(md.as_bytes())
}
