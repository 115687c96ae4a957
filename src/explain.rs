//! `meshgate explain`: what a finding's code checks and how to fix it, read from the one place
//! that knows: the built-in rule registry ([`crate::rules`]) or the policy's METADATA.

use std::io::{self, Write};

use crate::findings::Severity;
use crate::mesh::Mesh;
use crate::policy::{Level, Remediation};
use crate::rules::{self, Rule, POLICY_ERROR, POLICY_ERROR_ID};

/// One explainable rule: a built-in check's, or a Rego policy's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The code (`meshgate.parse/syntax`) or policy id (`governance.ownership`).
    pub code: String,
    /// Short title.
    pub title: Option<String>,
    /// Default severity.
    pub severity: Option<Severity>,
    /// What it checks.
    pub description: Option<String>,
    /// How to fix what it finds (for a policy: its `custom.remediation`, maybe per standard).
    pub help: Option<Remediation>,
    /// Where it is defined: `built in`, or the policy's files.
    pub source: String,
    /// A policy's `custom.level`.
    pub level: Option<Level>,
    /// A passing and a failing example from the policy's tests (see [`examples`]).
    pub examples: Vec<Example>,
}

/// A test of a policy shown as an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// Whether the test shows a product that passes (else one that fails).
    pub passing: bool,
    /// `file:line` of the test rule.
    pub at: String,
    /// The test rule's text.
    pub text: String,
}

/// The examples of policy `id` in test files (`(path, text)`): the first test rule whose name
/// ends in `_passes` or `_pass` (a passing example), and the first whose name ends in `_fails`
/// or `_fail` (a failing one), among the tests of files that test the policy (package `id` or
/// `id_test`, or a reference to `data.id.`). A rule runs from its `test_…` line to the first
/// line that is `}`.
pub fn examples(id: &str, tests: &[(String, String)]) -> Vec<Example> {
    let mut found: Vec<Example> = Vec::new();
    for (path, text) in tests {
        let package = package_of(text);
        let tests_it = package == Some(id)
            || package == Some(&format!("{id}_test"))
            || text.contains(&format!("data.{id}."));
        if !tests_it {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(name) = line
                .strip_prefix("test_")
                .and_then(|rest| rest.split([' ', '(', '{']).next())
            else {
                continue;
            };
            let passing = if name.ends_with("_passes") || name.ends_with("_pass") {
                true
            } else if name.ends_with("_fails") || name.ends_with("_fail") {
                false
            } else {
                continue;
            };
            if found.iter().any(|e| e.passing == passing) {
                continue;
            }
            let end = (i..lines.len())
                .find(|&j| lines[j] == "}" || (j == i && line.trim_end().ends_with('}')))
                .unwrap_or(lines.len() - 1);
            found.push(Example {
                passing,
                at: format!("{path}:{}", i + 1),
                text: lines[i..=end].join("\n"),
            });
        }
    }
    found.sort_by_key(|e| !e.passing);
    found
}

/// The test files next to a policy's files: `*_test.rego` in the same folders (the shipped
/// library's embedded tests for `<builtin>/` files).
fn tests_next_to(mesh: &Mesh, files: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for f in files {
        if f.starts_with(crate::library::BUILTIN_PREFIX) {
            for (name, text) in crate::library::LIBRARY_TESTS {
                let path = format!("{}{name}", crate::library::BUILTIN_PREFIX);
                if !out.iter().any(|(p, _)| *p == path) {
                    out.push((path, text.to_string()));
                }
            }
            continue;
        }
        let dir = std::path::Path::new(f)
            .parent()
            .unwrap_or(std::path::Path::new(""));
        let abs = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            mesh.root.join(dir)
        };
        let Ok(entries) = std::fs::read_dir(&abs) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| n.ends_with("_test.rego"))
            .collect();
        names.sort();
        for n in names {
            let path = dir.join(&n).to_string_lossy().replace('\\', "/");
            if out.iter().any(|(p, _)| *p == path) {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(abs.join(&n)) {
                out.push((path, text));
            }
        }
    }
    out
}

impl Entry {
    fn builtin(r: &Rule, code: String) -> Entry {
        Entry {
            code,
            title: Some(r.title.to_string()),
            severity: Some(r.severity),
            description: Some(r.description.to_string()),
            help: Some(Remediation::Text(r.help.to_string())),
            source: "built in".to_string(),
            level: None,
            examples: Vec::new(),
        }
    }
}

/// The package a Rego file declares (`package a.b` → `a.b`), read from its text.
fn package_of(text: &str) -> Option<&str> {
    text.lines().find_map(|l| {
        let rest = l.trim_start().strip_prefix("package ")?;
        rest.split_whitespace().next()
    })
}

/// Every rule meshgate knows for this mesh: the built-in ones, then the mesh's policies (the
/// shipped library where the mesh has no global policies), by id.
pub fn catalog(mesh: &Mesh) -> Vec<Entry> {
    let mut out: Vec<Entry> = rules::BUILTIN
        .iter()
        .map(|r| Entry::builtin(r, r.code()))
        .collect();
    out.push(Entry::builtin(&POLICY_ERROR, POLICY_ERROR.code()));
    // The policies as `check` loads them: a package's METADATA merged over its files.
    let files = mesh.policy_files();
    let loaded = crate::catalog::build(files.sources, &mesh.domain_names());
    let mut policies: Vec<Entry> = loaded
        .policies
        .into_iter()
        .map(|p| {
            let scope = match &p.domain {
                None => String::new(),
                Some(d) => format!(" (domain {d})"),
            };
            let examples = examples(&p.id, &tests_next_to(mesh, &p.files));
            Entry {
                code: p.id,
                title: p.title,
                // `deny` and `violation` members are errors unless the METADATA says otherwise.
                severity: Some(p.severity),
                description: p.description,
                help: p.remediation,
                source: format!("{}{scope}", p.files.join(", ")),
                level: Some(p.level),
                examples,
            }
        })
        .collect();
    policies.sort_by(|a, b| a.code.cmp(&b.code));
    out.extend(policies);
    out
}

/// The entry for `code`: a built-in code, a policy id, or a policy finding's code
/// (`governance.ownership/owner-missing` explains `governance.ownership`).
pub fn find(catalog: &[Entry], code: &str) -> Option<Entry> {
    if let Some(e) = catalog.iter().find(|e| e.code == code) {
        return Some(e.clone());
    }
    let (policy, id) = code.rsplit_once('/')?;
    if id == POLICY_ERROR_ID {
        return Some(Entry::builtin(&POLICY_ERROR, code.to_string()));
    }
    catalog
        .iter()
        .find(|e| e.code == policy && !policy.starts_with("meshgate."))
        .cloned()
}

/// Writes one entry in full.
pub fn render_entry(e: &Entry, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", e.code)?;
    if let Some(t) = &e.title {
        writeln!(out, "  {t}")?;
    }
    if let Some(s) = e.severity {
        writeln!(out, "  severity: {s}")?;
    }
    if let Some(l) = e.level {
        writeln!(out, "  level: {}", l.as_str())?;
    }
    writeln!(out, "  defined: {}", e.source)?;
    if let Some(d) = &e.description {
        writeln!(out, "\n{d}")?;
    }
    match &e.help {
        None => {}
        Some(Remediation::Text(h)) => writeln!(out, "\nHow to fix: {h}")?,
        Some(Remediation::ByStandard(map)) => {
            writeln!(out, "\nHow to fix:")?;
            for (standard, h) in map {
                writeln!(out, "  {standard}: {h}")?;
            }
        }
    }
    for x in &e.examples {
        let what = if x.passing { "Passing" } else { "Failing" };
        writeln!(out, "\n{what} example ({}):\n", x.at)?;
        for line in x.text.lines() {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(())
}

/// Writes the catalog, one line per entry.
pub fn render_list(catalog: &[Entry], out: &mut dyn Write) -> io::Result<()> {
    let width = catalog.iter().map(|e| e.code.len()).max().unwrap_or(0);
    for e in catalog {
        writeln!(
            out,
            "{:<width$}  {:<7}  {}",
            e.code,
            e.severity.map_or("-", Severity::as_str),
            e.title.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_builtin_codes_policy_ids_and_policy_finding_codes() {
        let catalog = vec![
            Entry::builtin(&rules::BUILTIN[0], rules::BUILTIN[0].code()),
            Entry {
                code: "governance.ownership".into(),
                title: Some("Owner".into()),
                severity: None,
                description: None,
                help: None,
                source: "p.rego".into(),
                level: None,
                examples: Vec::new(),
            },
        ];
        assert_eq!(
            find(&catalog, &rules::BUILTIN[0].code()).map(|e| e.source),
            Some("built in".to_string())
        );
        assert_eq!(
            find(&catalog, "governance.ownership/owner-missing").map(|e| e.code),
            Some("governance.ownership".to_string())
        );
        assert_eq!(
            find(&catalog, "governance.ownership/policy-error").and_then(|e| e.title),
            Some(POLICY_ERROR.title.to_string())
        );
        assert_eq!(find(&catalog, "meshgate.parse/nope"), None);
        assert_eq!(find(&catalog, "nope"), None);
        assert_eq!(package_of("# c\npackage a.b\n"), Some("a.b"));
    }
}
