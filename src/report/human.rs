//! Human output: one rustc/ruff-style block per finding with the source line underlined, then a summary.

use std::io::{self, Write};

use crate::findings::{Disposition, ErrorKind, Finding, Location, RunError, Severity};
use crate::model::Report;
use crate::rules::POLICY_ERROR_ID;

use super::RenderOptions;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.wrap(code, s.as_str())
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn blue(&self, s: &str) -> String {
        self.wrap("1;34", s)
    }
}

fn display_path(opts: &RenderOptions, file: &str) -> String {
    if file.starts_with('<') || file.starts_with('/') || opts.path_prefix.is_empty() {
        file.to_string()
    } else {
        format!("{}{file}", opts.path_prefix)
    }
}

/// Writes the snippet (`  |` gutter, the line, the underline) for `loc`.
fn snippet(
    out: &mut dyn Write,
    report: &Report,
    loc: &Location,
    paint: &Paint,
    underline_code: &str,
) -> io::Result<()> {
    let Some(text) = report.sources.get(&loc.file) else {
        return Ok(());
    };
    let Some(line) = text.lines().nth(loc.line.saturating_sub(1) as usize) else {
        return Ok(());
    };
    let line = line.trim_end_matches('\r');
    let num = loc.line.to_string();
    let pad = " ".repeat(gutter(loc) - 1);
    let col = loc.column.saturating_sub(1) as usize;
    let chars: Vec<char> = line.chars().collect();
    let col = col.min(chars.len());
    let width = (loc.width() as usize).clamp(1, chars.len().saturating_sub(col).max(1));
    // Tabs before the column keep their width in the underline.
    let lead: String = chars[..col]
        .iter()
        .map(|&c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    writeln!(out, "{} {}", pad, paint.blue("|"))?;
    writeln!(out, "{} {} {}", paint.blue(&num), paint.blue("|"), line)?;
    writeln!(
        out,
        "{} {} {}{}",
        pad,
        paint.blue("|"),
        lead,
        paint.wrap(underline_code, &"^".repeat(width))
    )?;
    Ok(())
}

/// Width of the gutter before `-->` / `|`: the line number's digits plus one.
fn gutter(loc: &Location) -> usize {
    loc.line.to_string().len() + 1
}

fn underline_code(s: Severity) -> &'static str {
    match s {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Info => "1;36",
    }
}

fn pad_of(f: &Finding) -> String {
    " ".repeat(f.location.as_ref().map_or(2, gutter))
}

fn finding(
    out: &mut dyn Write,
    report: &Report,
    f: &Finding,
    opts: &RenderOptions,
    paint: &Paint,
) -> io::Result<()> {
    let code = f.code();
    if f.disposition == Disposition::Baselined {
        // One line each: a baseline may record thousands, and they are not news.
        let at = f.location.as_ref().map_or_else(
            || display_path(opts, f.subject()),
            |l| display_path(opts, &l.to_string()),
        );
        return writeln!(
            out,
            "baselined {}{}: {} {} {at}",
            paint.severity(f.severity),
            paint.bold(&format!("[{code}]")),
            f.message,
            paint.blue("-->"),
        );
    }
    let set_aside = match f.disposition {
        Disposition::Open => "",
        Disposition::Waived => "waived ",
        Disposition::Baselined => "baselined ",
    };
    writeln!(
        out,
        "{set_aside}{}{}: {}",
        paint.severity(f.severity),
        paint.bold(&format!("[{code}]")),
        paint.bold(&f.message)
    )?;
    match &f.location {
        Some(loc) => located(out, report, loc, opts, paint, f.severity)?,
        None => writeln!(
            out,
            "  {} {}",
            paint.blue("-->"),
            display_path(opts, f.subject())
        )?,
    }
    if let Some(path) = &f.path {
        writeln!(out, "{}{} field: {path}", pad_of(f), paint.blue("="))?;
    }
    if let Some(product) = &f.product {
        if f.location.as_ref().is_some_and(|l| &l.file != product) {
            writeln!(
                out,
                "{}{} product: {}",
                pad_of(f),
                paint.blue("="),
                display_path(opts, product)
            )?;
        }
    }
    if let Some(help) = &f.help {
        writeln!(out, "{}{} help: {help}", pad_of(f), paint.blue("="))?;
    }
    if let Some(w) = &f.waiver {
        writeln!(
            out,
            "{}{} waived: {} (approved by {}, until {}; {})",
            pad_of(f),
            paint.blue("="),
            w.reason,
            w.approved_by,
            w.expires,
            display_path(opts, &w.location.to_string())
        )?;
    }
    writeln!(out)
}

fn run_error(
    out: &mut dyn Write,
    report: &Report,
    e: &RunError,
    opts: &RenderOptions,
    paint: &Paint,
) -> io::Result<()> {
    let kind = serde_json::to_value(e.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    writeln!(
        out,
        "{}{}: {}",
        paint.severity(Severity::Error),
        paint.bold(&format!("[{kind}]")),
        paint.bold(&e.message)
    )?;
    if let Some(loc) = &e.location {
        located(out, report, loc, opts, paint, Severity::Error)?;
    }
    writeln!(out)
}

/// The `--> file:line:col` line and the source snippet with the location underlined.
fn located(
    out: &mut dyn Write,
    report: &Report,
    loc: &Location,
    opts: &RenderOptions,
    paint: &Paint,
    severity: Severity,
) -> io::Result<()> {
    writeln!(
        out,
        "{}{} {}:{}:{}",
        " ".repeat(gutter(loc) - 1),
        paint.blue("-->"),
        display_path(opts, &loc.file),
        loc.line,
        loc.column
    )?;
    snippet(out, report, loc, paint, underline_code(severity))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Renders the human report.
pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let paint = Paint { on: opts.color };
    for e in &report.errors {
        run_error(out, report, e, opts, &paint)?;
    }
    for f in &report.findings {
        finding(out, report, f, opts, &paint)?;
    }
    if opts.quiet {
        return Ok(());
    }
    let s = &report.summary;
    if !report.domains.is_empty() {
        let name_w = report
            .domains
            .iter()
            .map(|d| d.name.as_deref().unwrap_or("(no domain)").chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        // Two groups of counts, labelled so that products in error and error findings are
        // not mistaken for each other.
        let products_w = "Products  Pass  Warn  Fail  In error".len();
        let findings_w = "Errors  Warnings  Infos".len();
        writeln!(
            out,
            "{}",
            paint.bold(
                format!(
                    "{:<name_w$}  {:^products_w$}   {:^findings_w$}",
                    "", "products by status", "findings by severity"
                )
                .trim_end()
            )
        )?;
        writeln!(
            out,
            "{}",
            paint.bold(&format!(
                "{:<name_w$}  {:>8}  {:>4}  {:>4}  {:>4}  {:>8}   {:>6}  {:>8}  {:>5}",
                "Domain",
                "Products",
                "Pass",
                "Warn",
                "Fail",
                "In error",
                "Errors",
                "Warnings",
                "Infos"
            ))
        )?;
        for d in &report.domains {
            writeln!(
                out,
                "{:<name_w$}  {:>8}  {:>4}  {:>4}  {:>4}  {:>8}   {:>6}  {:>8}  {:>5}",
                d.name.as_deref().unwrap_or("(no domain)"),
                d.products,
                d.passing,
                d.warning,
                d.failing,
                d.errors,
                d.findings.error,
                d.findings.warning,
                d.findings.info
            )?;
        }
        writeln!(out)?;
    }
    if let Some(root) = &opts.root {
        writeln!(out, "{root}")?;
    }
    if report.builtin_library {
        writeln!(
            out,
            "note: the repository has no global policies; used meshgate's shipped policy library as the global policies"
        )?;
    }
    let verdict = format!(
        "{}, {}, {}",
        plural(s.findings.error, "error", "errors"),
        plural(s.findings.warning, "warning", "warnings"),
        plural(s.findings.info, "info", "infos"),
    );
    writeln!(
        out,
        "Checked {} in {} against {} ({}): {}; {} passing, {} with warnings, {} failing, {} in error{}.",
        plural(s.products, "product", "products"),
        plural(s.domains, "domain", "domains"),
        plural(s.policies, "policy", "policies"),
        plural(s.evaluations, "evaluation", "evaluations"),
        verdict,
        s.products_passing,
        s.products_warning,
        s.products_failing,
        s.products_error,
        if s.products_skipped > 0 {
            format!(", {} skipped (templates)", s.products_skipped)
        } else {
            String::new()
        },
    )?;
    if s.excepted > 0 {
        let products = report.products.iter().filter(|p| p.excepted > 0).count();
        writeln!(
            out,
            "note: {} on {} excepted by a policy's `exception` rule: not counted above and failing nothing (`--format json` lists them under `excepted`).",
            plural(s.excepted, "finding", "findings"),
            plural(products, "product", "products"),
        )?;
    }
    if s.waived > 0 {
        writeln!(
            out,
            "note: {} waived: not counted above and failing nothing; their products still count as failing (a waiver is not a pass).",
            plural(s.waived, "finding", "findings"),
        )?;
    }
    if let Some(b) = &report.baseline {
        writeln!(
            out,
            "note: {} in the baseline {} (not counted above, failing nothing); {} fixed{}.",
            plural(s.baselined, "finding", "findings"),
            b.path,
            plural(
                s.baseline_fixed,
                "baselined finding is",
                "baselined findings are"
            ),
            if s.baseline_fixed > 0 {
                ": remove them with --prune-baseline"
            } else {
                ""
            }
        )?;
    }
    let runtime = report
        .errors
        .iter()
        .filter(|e| e.kind == ErrorKind::PolicyRuntime)
        .count();
    let load = report.errors.len() - runtime;
    if load > 0 {
        writeln!(
            out,
            "{}: {} could not be read or loaded; the products they apply to are in error (exit code 2).",
            paint.severity(Severity::Error),
            plural(load, "file or folder", "files or folders")
        )?;
    }
    if runtime > 0 {
        let products: std::collections::BTreeSet<&str> = report
            .findings
            .iter()
            .filter(|f| f.id.as_deref() == Some(POLICY_ERROR_ID))
            .filter_map(|f| f.product.as_deref())
            .collect();
        writeln!(
            out,
            "{}: policies failed to evaluate on {} ({} listed at the top); {} in error, not passed (exit code 2).",
            paint.severity(Severity::Error),
            plural(products.len(), "product", "products"),
            plural(runtime, "distinct error", "distinct errors"),
            if products.len() == 1 { "it is" } else { "they are" }
        )?;
    }
    Ok(())
}
