//! Renderers of `meshgate test`: human (failures, then a summary and coverage), JSON, JUnit.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::testing::{Coverage, Outcome, Summary, TestRun};

/// The output formats of `meshgate test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    /// One line per failing or erroring test, then a summary (and coverage) (default).
    Human,
    /// Every test, the summary and the coverage as one JSON document.
    Json,
    /// JUnit XML: a testsuite per package.
    Junit,
}

/// What the renderers need besides the run.
#[derive(Debug, Clone, Default)]
pub struct TestRenderOptions {
    /// Prefix that turns repo-relative paths into paths relative to the working directory.
    pub path_prefix: String,
    /// List passing and skipped tests too (human).
    pub verbose: bool,
    /// The coverage threshold, when one was given.
    pub threshold: Option<f64>,
}

/// Renders `run` as `format` into `out`.
pub fn render(
    format: TestFormat,
    run: &TestRun,
    opts: &TestRenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        TestFormat::Human => human(run, opts, out),
        TestFormat::Json => json(run, opts, out),
        TestFormat::Junit => junit(run, opts, out),
    }
}

fn path(opts: &TestRenderOptions, file: &str) -> String {
    if file.starts_with('<') || file.starts_with('/') {
        file.to_string()
    } else {
        format!("{}{file}", opts.path_prefix)
    }
}

fn human(run: &TestRun, opts: &TestRenderOptions, out: &mut dyn Write) -> io::Result<()> {
    for r in &run.results {
        let at = format!("{}:{}", path(opts, &r.location.file), r.location.line);
        match r.outcome {
            Outcome::Fail => writeln!(
                out,
                "FAIL  {at}: {}: produced {}",
                r.full_name(),
                r.produced.as_deref().unwrap_or("undefined")
            )?,
            Outcome::Error => {
                let e = r.error.as_ref();
                let where_ = e
                    .and_then(|e| e.location.as_ref())
                    .map(|l| format!("{}:{}:{}: ", path(opts, &l.file), l.line, l.column))
                    .unwrap_or_default();
                write!(
                    out,
                    "ERROR {at}: {}: {where_}{}",
                    r.full_name(),
                    e.map_or("error", |e| e.message.as_str())
                )?;
                match e.and_then(|e| e.help.as_deref()) {
                    Some(h) => writeln!(out, " ({h})")?,
                    None => writeln!(out)?,
                }
            }
            Outcome::Pass if opts.verbose => writeln!(out, "PASS  {at}: {}", r.full_name())?,
            Outcome::Todo if opts.verbose => writeln!(out, "TODO  {at}: {}", r.full_name())?,
            Outcome::Pass | Outcome::Todo => {}
        }
    }
    let s = run.summary();
    writeln!(out, "{}", "-".repeat(80))?;
    let run_count = s.total - s.skipped;
    writeln!(out, "PASS: {}/{run_count}", s.passed)?;
    if s.failed > 0 {
        writeln!(out, "FAIL: {}/{run_count}", s.failed)?;
    }
    if s.errored > 0 {
        writeln!(out, "ERROR: {}/{run_count}", s.errored)?;
    }
    if s.skipped > 0 {
        writeln!(out, "SKIPPED: {} (todo_test_*)", s.skipped)?;
    }
    if let Some(c) = &run.coverage {
        writeln!(out, "{}", "-".repeat(80))?;
        writeln!(
            out,
            "Coverage (lines with expressions evaluated by a test):"
        )?;
        let width = c
            .files
            .iter()
            .map(|f| path(opts, &f.file).chars().count())
            .max()
            .unwrap_or(0);
        for f in &c.files {
            write!(
                out,
                "  {:<width$}  {:>6.2}%  {}/{} lines",
                path(opts, &f.file),
                f.percent(),
                f.covered.len(),
                f.covered.len() + f.not_covered.len()
            )?;
            if f.not_covered.is_empty() {
                writeln!(out)?;
            } else {
                writeln!(out, "; not covered: {}", ranges(&f.not_covered))?;
            }
        }
        write!(out, "Total: {:.2}%", c.percent())?;
        match opts.threshold {
            Some(t) if c.percent() < t => writeln!(out, ", below the threshold of {t}%")?,
            Some(t) => writeln!(out, " (threshold {t}%)")?,
            None => writeln!(out)?,
        }
    }
    Ok(())
}

/// `1-3, 7, 9-10`.
fn ranges(lines: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i];
        let mut end = start;
        while i + 1 < lines.len() && lines[i + 1] == end + 1 {
            i += 1;
            end = lines[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

/// The JSON document (see the README).
#[derive(Serialize)]
struct JsonRun<'a> {
    version: u32,
    summary: Summary,
    tests: &'a [crate::testing::TestResult],
    #[serde(skip_serializing_if = "Option::is_none")]
    coverage: Option<JsonCoverage<'a>>,
}

#[derive(Serialize)]
struct JsonCoverage<'a> {
    percent: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<f64>,
    files: Vec<JsonFile<'a>>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    file: &'a str,
    percent: f64,
    covered: &'a [u32],
    not_covered: &'a [u32],
}

/// Rounds to 2 decimals so the JSON does not carry float noise.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn json(run: &TestRun, opts: &TestRenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let coverage = run.coverage.as_ref().map(|c: &Coverage| JsonCoverage {
        percent: round2(c.percent()),
        threshold: opts.threshold,
        files: c
            .files
            .iter()
            .map(|f| JsonFile {
                file: &f.file,
                percent: round2(f.percent()),
                covered: &f.covered,
                not_covered: &f.not_covered,
            })
            .collect(),
    });
    let doc = JsonRun {
        version: 1,
        summary: run.summary(),
        tests: &run.results,
        coverage,
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML, written by hand: the document is four elements with escaped attributes and
/// text. `quick-junit` would add quick-xml, chrono, uuid, newtype-uuid, indexmap and
/// strip-ansi-escapes to the build (the crate keeps its dependencies few on purpose, see
/// Cargo.toml) for what [`xml_escape`] does here, and its timestamps and durations would have
/// to be left out anyway for byte-identical output.
fn junit(run: &TestRun, opts: &TestRenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut suites: BTreeMap<&str, Vec<&crate::testing::TestResult>> = BTreeMap::new();
    for r in &run.results {
        suites.entry(r.package.as_str()).or_default().push(r);
    }
    let s = run.summary();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="meshgate test" tests="{}" failures="{}" errors="{}" skipped="{}">"#,
        s.total, s.failed, s.errored, s.skipped
    )?;
    for (package, tests) in &suites {
        let count = |o: Outcome| tests.iter().filter(|t| t.outcome == o).count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}" errors="{}" skipped="{}">"#,
            xml_escape(package),
            tests.len(),
            count(Outcome::Fail),
            count(Outcome::Error),
            count(Outcome::Todo)
        )?;
        for t in tests {
            let file = path(opts, &t.location.file);
            let open = format!(
                r#"    <testcase name="{}" classname="{}" file="{}" line="{}""#,
                xml_escape(&t.name),
                xml_escape(package),
                xml_escape(&file),
                t.location.line
            );
            match t.outcome {
                Outcome::Pass => writeln!(out, "{open}/>")?,
                Outcome::Todo => {
                    writeln!(out, "{open}>")?;
                    writeln!(out, r#"      <skipped message="todo"/>"#)?;
                    writeln!(out, "    </testcase>")?;
                }
                Outcome::Fail => {
                    let produced = t.produced.as_deref().unwrap_or("undefined");
                    writeln!(out, "{open}>")?;
                    writeln!(
                        out,
                        r#"      <failure message="produced {}">{}:{}: {} produced {}</failure>"#,
                        xml_escape(produced),
                        xml_escape(&file),
                        t.location.line,
                        xml_escape(&t.full_name()),
                        xml_escape(produced)
                    )?;
                    writeln!(out, "    </testcase>")?;
                }
                Outcome::Error => {
                    let e = t.error.as_ref();
                    let message = e.map_or("error", |e| e.message.as_str());
                    let at = e
                        .and_then(|e| e.location.as_ref())
                        .map(|l| format!("{}:{}:{}: ", path(opts, &l.file), l.line, l.column))
                        .unwrap_or_default();
                    writeln!(out, "{open}>")?;
                    writeln!(
                        out,
                        r#"      <error message="{}">{}{}</error>"#,
                        xml_escape(message),
                        xml_escape(&at),
                        xml_escape(message)
                    )?;
                    writeln!(out, "    </testcase>")?;
                }
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ranges() {
        assert_eq!(ranges(&[1, 2, 3, 7, 9, 10]), "1-3, 7, 9-10");
        assert_eq!(ranges(&[]), "");
    }

    #[test]
    fn xml_is_escaped() {
        assert_eq!(
            xml_escape("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\\u{1}"
        );
    }
}
