//! `meshgate policies`: the catalog of the policies in effect (the global ones, then each
//! domain's local ones) with their METADATA, as a table, JSON, or the Markdown reference a
//! governance board publishes.

use std::io::{self, Write};

use serde::Serialize;

use crate::descriptor::Standard;
use crate::findings::{RunError, Severity};
use crate::policy::{self, Level, Origin, PolicySource, Remediation};

/// The output formats of `meshgate policies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per policy, grouped by scope (default).
    Human,
    /// `{"policies": [...], "errors": [...]}`.
    Json,
    /// A Markdown reference: a summary table, then a section per policy.
    Markdown,
}

/// One policy of the catalog.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Policy id (the package).
    pub id: String,
    /// The domain of a local policy, `null` for a global one.
    pub domain: Option<String>,
    /// METADATA title.
    pub title: Option<String>,
    /// METADATA description.
    pub description: Option<String>,
    /// The severity of its `deny`/`violation` findings (`custom.severity`, default error).
    pub severity: Severity,
    /// METADATA custom.category.
    pub category: Option<String>,
    /// METADATA custom.level (default bronze).
    pub level: Level,
    /// METADATA custom.standards; `null` for every standard.
    pub standards: Option<Vec<Standard>>,
    /// METADATA custom.waivable (default true).
    pub waivable: bool,
    /// METADATA custom.remediation, as written.
    pub remediation: Option<Remediation>,
    /// The files that declare it.
    pub files: Vec<String>,
    /// Its policy rules.
    pub rules: Vec<String>,
    /// Whether it has an `applicable` rule (it may not apply to every product).
    pub applicable: bool,
}

/// The policies in effect and the files that did not load.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    /// The global policies by id, then each domain's local ones (domains by name, then id).
    pub policies: Vec<Entry>,
    /// Policy files that were rejected (the catalog leaves them out; exit 2).
    pub errors: Vec<RunError>,
}

/// Loads `sources` as `check` does (same rules, same errors) and lists the policies.
pub fn build(sources: Vec<PolicySource>, domains: &[String]) -> Catalog {
    let data = regorus::Value::from_json_str(r#"{"meshgate": {"mesh": {}, "params": {}}}"#)
        .unwrap_or_else(|_| regorus::Value::new_object());
    let lib = policy::build(sources, domains, &data, std::time::Duration::from_secs(5));
    let mut policies: Vec<Entry> = lib
        .policies
        .iter()
        .map(|p| Entry {
            id: p.package.clone(),
            domain: match &p.origin {
                Origin::Global => None,
                Origin::Domain(d) => Some(d.clone()),
            },
            title: p.metadata.title.clone(),
            description: p.metadata.description.clone(),
            severity: p.metadata.severity.unwrap_or(Severity::Error),
            category: p.metadata.category.clone(),
            level: p.metadata.level(),
            standards: p.metadata.standards.clone(),
            waivable: p.metadata.waivable(),
            remediation: p.metadata.remediation.clone(),
            files: p.files.clone(),
            rules: p.rules.clone(),
            applicable: p.applicable,
        })
        .collect();
    policies.sort_by(|a, b| (&a.domain, &a.id).cmp(&(&b.domain, &b.id)));
    Catalog {
        policies,
        errors: lib.errors,
    }
}

/// Renders the catalog as `format`.
pub fn render(catalog: &Catalog, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human(catalog, out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, catalog).map_err(io::Error::other)?;
            writeln!(out)
        }
        Format::Markdown => markdown(catalog, out),
    }
}

fn standards_text(e: &Entry) -> String {
    match &e.standards {
        None => "all".to_string(),
        Some(list) => list
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The catalog's scopes in order: `None` (global), then each domain.
fn scopes(catalog: &Catalog) -> Vec<Option<&str>> {
    let mut scopes: Vec<Option<&str>> = catalog
        .policies
        .iter()
        .map(|e| e.domain.as_deref())
        .collect();
    scopes.dedup();
    scopes
}

fn scope_title(scope: Option<&str>) -> String {
    match scope {
        None => "Global policies".to_string(),
        Some(d) => format!("Domain `{d}`: local policies"),
    }
}

fn human(catalog: &Catalog, out: &mut dyn Write) -> io::Result<()> {
    let width = catalog
        .policies
        .iter()
        .map(|e| e.id.len())
        .max()
        .unwrap_or(0);
    for scope in scopes(catalog) {
        writeln!(out, "{}:", scope_title(scope).replace('`', ""))?;
        for e in catalog
            .policies
            .iter()
            .filter(|e| e.domain.as_deref() == scope)
        {
            writeln!(
                out,
                "  {:<width$}  {:<7}  {:<6}  {}",
                e.id,
                e.severity.as_str(),
                e.level.as_str(),
                e.title.as_deref().unwrap_or("")
            )?;
            writeln!(
                out,
                "  {:<width$}  category: {}; standards: {}; waivable: {}; rules: {}; files: {}",
                "",
                e.category.as_deref().unwrap_or("-"),
                standards_text(e),
                if e.waivable { "yes" } else { "no" },
                e.rules.join(", "),
                e.files.join(", ")
            )?;
        }
    }
    let globals = catalog
        .policies
        .iter()
        .filter(|e| e.domain.is_none())
        .count();
    writeln!(
        out,
        "{} policies: {globals} global, {} domain-local.",
        catalog.policies.len(),
        catalog.policies.len() - globals
    )
}

/// Text for Markdown: one line, pipes and `<` escaped (`<lang>` is not an HTML tag).
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
        .replace('<', "\\<")
}

/// A GitHub heading anchor for a policy id heading (`` `a.b_c` `` → `ab_c`).
fn anchor(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn markdown(catalog: &Catalog, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# Policy catalog\n")?;
    writeln!(
        out,
        "Generated by `meshgate policies --format markdown`: every policy in effect, with its METADATA. Severity is that of its `deny`/`violation` findings (`warn` findings are warnings); level is `bronze` (what every product must have), `silver` or `gold`.\n"
    )?;
    for scope in scopes(catalog) {
        writeln!(out, "## {}\n", scope_title(scope))?;
        writeln!(
            out,
            "| Policy | Title | Severity | Level | Category | Standards | Waivable |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|")?;
        let entries: Vec<&Entry> = catalog
            .policies
            .iter()
            .filter(|e| e.domain.as_deref() == scope)
            .collect();
        for e in &entries {
            writeln!(
                out,
                "| [`{}`](#{}) | {} | {} | {} | {} | {} | {} |",
                e.id,
                anchor(&e.id),
                cell(e.title.as_deref().unwrap_or("")),
                e.severity.as_str(),
                e.level.as_str(),
                cell(e.category.as_deref().unwrap_or("")),
                standards_text(e),
                if e.waivable { "yes" } else { "no" }
            )?;
        }
        writeln!(out)?;
        for e in entries {
            writeln!(out, "### `{}`\n", e.id)?;
            if let Some(t) = &e.title {
                writeln!(out, "**{}**\n", cell(t))?;
            }
            if let Some(d) = &e.description {
                writeln!(out, "{}\n", cell(d))?;
            }
            let files: Vec<String> = e.files.iter().map(|f| format!("`{f}`")).collect();
            let rules: Vec<String> = e.rules.iter().map(|r| format!("`{r}`")).collect();
            writeln!(
                out,
                "- Severity: {}; level: {}; category: {}; waivable: {}",
                e.severity.as_str(),
                e.level.as_str(),
                e.category.as_deref().unwrap_or("none"),
                if e.waivable { "yes" } else { "no" }
            )?;
            let standards = match e.standards {
                None => "every standard".to_string(),
                Some(_) => standards_text(e),
            };
            writeln!(
                out,
                "- Applies to: {standards}{}",
                if e.applicable {
                    ", where its `applicable` rule holds"
                } else {
                    ""
                }
            )?;
            writeln!(out, "- Rules: {}", rules.join(", "))?;
            writeln!(out, "- Defined in: {}", files.join(", "))?;
            match &e.remediation {
                None => {}
                Some(Remediation::Text(t)) => writeln!(out, "- How to fix: {}", cell(t))?,
                Some(Remediation::ByStandard(map)) => {
                    writeln!(out, "- How to fix:")?;
                    for (standard, t) in map {
                        writeln!(out, "  - {standard}: {}", cell(t))?;
                    }
                }
            }
            writeln!(out)?;
        }
    }
    Ok(())
}
