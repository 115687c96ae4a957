//! Renderers: one per output format, all drawing from the same [`Report`](crate::model::Report).

pub mod human;
pub mod json;
pub mod list;
pub mod testrun;

use std::io::{self, Write};

use crate::model::Report;

/// The output formats of `meshgate check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Findings with source snippets, then a summary per domain (default).
    Human,
    /// The versioned JSON document described in the README.
    Json,
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
}

/// Renders `report` as `format` into `out`.
pub fn render(
    format: Format,
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(report, opts, out),
        Format::Json => json::render(report, out),
    }
}
