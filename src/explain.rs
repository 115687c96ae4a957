//! `meshgate explain`: what a finding's code checks and how to fix it, read from the one place
//! that knows: the built-in rule registry ([`crate::rules`]) or the policy's METADATA.

use std::io::{self, Write};

use crate::findings::Severity;
use crate::mesh::Mesh;
use crate::policy::{self, Origin};
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
    /// How to fix what it finds.
    pub help: Option<String>,
    /// Where it is defined: `built in`, or the policy's files.
    pub source: String,
}

impl Entry {
    fn builtin(r: &Rule, code: String) -> Entry {
        Entry {
            code,
            title: Some(r.title.to_string()),
            severity: Some(r.severity),
            description: Some(r.description.to_string()),
            help: Some(r.help.to_string()),
            source: "built in".to_string(),
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
    let files = mesh.policy_files();
    let mut policies: Vec<Entry> = Vec::new();
    for s in &files.sources {
        let Some(package) = package_of(&s.text) else {
            continue;
        };
        if let Some(e) = policies.iter_mut().find(|e| e.code == package) {
            e.source.push_str(&format!(", {}", s.path));
            continue;
        }
        let meta = policy::parse_metadata(&s.path, &s.text)
            .ok()
            .flatten()
            .unwrap_or_default();
        let scope = match &s.origin {
            Origin::Global => String::new(),
            Origin::Domain(d) => format!(" (domain {d})"),
        };
        policies.push(Entry {
            code: package.to_string(),
            title: meta.title,
            // `deny` and `violation` members are errors unless the METADATA says otherwise.
            severity: Some(meta.severity.unwrap_or(Severity::Error)),
            description: meta.description,
            help: meta.remediation.map(|r| format!("{r:?}")),
            source: format!("{}{scope}", s.path),
        });
    }
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
    writeln!(out, "  defined: {}", e.source)?;
    if let Some(d) = &e.description {
        writeln!(out, "\n{d}")?;
    }
    if let Some(h) = &e.help {
        writeln!(out, "\nHow to fix: {h}")?;
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
