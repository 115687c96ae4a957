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

/// JUnit XML through `quick-junit`, as `check --format junit` writes it: a testsuite per
/// package, a testcase per test (`classname` the package, so that (classname, name) is unique
/// even when two packages name a test alike), `file` and `line` attributes, and no timestamps
/// and zero durations, for byte-identical output.
fn junit(run: &TestRun, opts: &TestRenderOptions, out: &mut dyn Write) -> io::Result<()> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    use std::time::Duration;

    let mut suites: BTreeMap<&str, Vec<&crate::testing::TestResult>> = BTreeMap::new();
    for r in &run.results {
        suites.entry(r.package.as_str()).or_default().push(r);
    }
    let mut report = Report::new("meshgate test");
    report.set_time(Duration::ZERO);
    for (package, tests) in &suites {
        let mut suite = TestSuite::new(*package);
        suite.set_time(Duration::ZERO);
        for t in tests {
            let file = path(opts, &t.location.file);
            let status = match t.outcome {
                Outcome::Pass => TestCaseStatus::success(),
                Outcome::Todo => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message("todo");
                    s
                }
                Outcome::Fail => {
                    let produced = t.produced.as_deref().unwrap_or("undefined");
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(format!("produced {produced}"));
                    s.set_description(format!(
                        "{file}:{}: {} produced {produced}",
                        t.location.line,
                        t.full_name()
                    ));
                    s
                }
                Outcome::Error => {
                    let e = t.error.as_ref();
                    let message = e.map_or("error", |e| e.message.as_str());
                    let at = e
                        .and_then(|e| e.location.as_ref())
                        .map(|l| format!("{}:{}:{}: ", path(opts, &l.file), l.line, l.column))
                        .unwrap_or_default();
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                    s.set_message(message);
                    s.set_description(format!("{at}{message}"));
                    s
                }
            };
            let mut case = TestCase::new(t.name.as_str(), status);
            case.set_classname(*package);
            case.set_time(Duration::ZERO);
            case.extra.insert("file".into(), file.into());
            case.extra
                .insert("line".into(), t.location.line.to_string().into());
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.serialize(&mut *out).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ranges() {
        assert_eq!(ranges(&[1, 2, 3, 7, 9, 10]), "1-3, 7, 9-10");
        assert_eq!(ranges(&[]), "");
    }
}
