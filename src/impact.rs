//! The policy impact preview (`check --changed-since REF --impact`): the whole mesh evaluated
//! with the policies at the merge base and with the policies now, compared per domain.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::sync::Arc;

use serde::Serialize;

use crate::discover;
use crate::engine::Evaluation;
use crate::findings::{Finding, Severity};
use crate::git::{self, ChangeSet, GitError};
use crate::library;
use crate::mesh::Mesh;
use crate::policy::{Origin, PolicySource};
use crate::product::Product;

/// What the policy change does to the mesh.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Impact {
    /// The ref given.
    pub reference: String,
    /// The merge base whose policies are compared with today's.
    pub merge_base: String,
    /// Products that fail now and did not (summed over domains).
    pub newly_failing: usize,
    /// Products that failed and do not now.
    pub newly_passing: usize,
    /// Findings whose severity changed.
    pub severity_changed: usize,
    /// Per domain, only the domains with a difference, sorted (`null` last: outside any domain).
    pub domains: Vec<DomainImpact>,
}

/// The difference in one domain.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DomainImpact {
    /// Domain name (`null`: products outside any domain).
    pub name: Option<String>,
    /// Products that newly fail, with the findings they did not have.
    pub newly_failing: Vec<FailingProduct>,
    /// Products that newly pass.
    pub newly_passing: Vec<String>,
    /// Findings on the same product, policy, rule, id, path and message whose severity changed.
    pub severity_changed: Vec<SeverityChange>,
}

/// A product that newly fails.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct FailingProduct {
    /// Repo-relative path.
    pub path: String,
    /// Its findings that the policies at the merge base did not give (or gave at another
    /// severity).
    pub new_findings: Vec<Brief>,
}

/// A finding, in short.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Brief {
    /// Its code (`policy/id`).
    pub code: String,
    /// Its severity.
    pub severity: Severity,
    /// Its message.
    pub message: String,
}

/// A finding whose severity changed.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SeverityChange {
    /// Repo-relative product path.
    pub product: String,
    /// Its code.
    pub code: String,
    /// Its message.
    pub message: String,
    /// Severity at the merge base.
    pub before: Severity,
    /// Severity now.
    pub after: Severity,
}

/// The policy files at the merge base: the global policy folders' and every domain's, read
/// from git (`policy_dirs` as the run uses them; a folder outside the repository is read as it
/// is now). The shipped library stands in when there was no global policy, as it does now.
pub fn base_policies(
    mesh: &Mesh,
    policy_dirs: &[String],
    change: &ChangeSet,
) -> Result<Vec<PolicySource>, GitError> {
    let root = &mesh.root;
    let mut sources = Vec::new();
    let mut global = 0;
    for dir in policy_dirs {
        if std::path::Path::new(dir).is_absolute() {
            // Outside the repository: today's files.
            for path in mesh
                .inventory
                .global_policies
                .iter()
                .filter(|p| p.starts_with(dir.as_str()))
            {
                if let Ok(text) = std::fs::read_to_string(path) {
                    global += 1;
                    sources.push(source(path, text, Origin::Global));
                }
            }
            continue;
        }
        for path in git::list_files(root, &change.base, dir)? {
            let name = path.rsplit('/').next().unwrap_or_default();
            if !discover::is_policy_file(name) {
                continue;
            }
            if let Some(text) = git::show(root, &change.base, &path) {
                global += 1;
                sources.push(source(&path, text, Origin::Global));
            }
        }
    }
    if global == 0 {
        let lib = library::LIBRARY.iter().map(|(name, text)| PolicySource {
            path: format!("{}{name}", library::BUILTIN_PREFIX),
            text: Arc::from(*text),
            origin: Origin::Global,
        });
        sources.splice(0..0, lib);
    }
    for path in git::list_files(root, &change.base, "domains")? {
        let parts: Vec<&str> = path.split('/').collect();
        if discover::is_in_domain_policies(&parts)
            && discover::is_policy_file(parts[parts.len() - 1])
        {
            if let Some(text) = git::show(root, &change.base, &path) {
                let domain = parts[1].to_string();
                sources.push(source(&path, text, Origin::Domain(domain)));
            }
        }
    }
    Ok(sources)
}

fn source(path: &str, text: String, origin: Origin) -> PolicySource {
    PolicySource {
        path: path.to_string(),
        text: text.into(),
        origin,
    }
}

/// What identifies a finding across the two runs (not its location, which the same rule
/// gives in both).
type Key = (String, String, Option<String>, Option<String>, String);

fn key(f: &Finding) -> Key {
    (
        f.policy.clone(),
        f.rule.clone(),
        f.id.clone(),
        f.path.clone(),
        f.message.clone(),
    )
}

fn fails(e: &Evaluation) -> bool {
    e.errored || e.findings.iter().any(|f| f.severity == Severity::Error)
}

/// Compares every product's evaluation with the policies at the merge base (`before`) and now
/// (`after`). A product fails when a policy errored on it or gave an error-level finding.
pub fn compare(
    products: &[Product],
    before: &[Evaluation],
    after: &[Evaluation],
    change: &ChangeSet,
) -> Impact {
    let mut per: BTreeMap<(bool, Option<String>), DomainImpact> = BTreeMap::new();
    for ((p, b), a) in products.iter().zip(before).zip(after) {
        if p.skipped.is_some() || p.root.is_none() {
            continue;
        }
        let old: BTreeMap<Key, Severity> =
            b.findings.iter().map(|f| (key(f), f.severity)).collect();
        let mut changed = Vec::new();
        let mut new = Vec::new();
        let mut seen = BTreeSet::new();
        for f in &a.findings {
            let k = key(f);
            if !seen.insert(k.clone()) {
                continue;
            }
            match old.get(&k) {
                None => new.push(brief(f)),
                Some(&s) if s != f.severity => {
                    changed.push(SeverityChange {
                        product: p.path.clone(),
                        code: f.code(),
                        message: f.message.clone(),
                        before: s,
                        after: f.severity,
                    });
                    new.push(brief(f));
                }
                Some(_) => {}
            }
        }
        let (was, is) = (fails(b), fails(a));
        if was == is && changed.is_empty() {
            continue;
        }
        let d = per
            .entry((p.domain.is_none(), p.domain.clone()))
            .or_insert_with(|| DomainImpact {
                name: p.domain.clone(),
                newly_failing: Vec::new(),
                newly_passing: Vec::new(),
                severity_changed: Vec::new(),
            });
        if is && !was {
            d.newly_failing.push(FailingProduct {
                path: p.path.clone(),
                new_findings: new,
            });
        } else if was && !is {
            d.newly_passing.push(p.path.clone());
        }
        d.severity_changed.extend(changed);
    }
    let domains: Vec<DomainImpact> = per.into_values().collect();
    Impact {
        reference: change.reference.clone(),
        merge_base: change.base.clone(),
        newly_failing: domains.iter().map(|d| d.newly_failing.len()).sum(),
        newly_passing: domains.iter().map(|d| d.newly_passing.len()).sum(),
        severity_changed: domains.iter().map(|d| d.severity_changed.len()).sum(),
        domains,
    }
}

fn brief(f: &Finding) -> Brief {
    Brief {
        code: f.code(),
        severity: f.severity,
        message: f.message.clone(),
    }
}

fn short(base: &str) -> &str {
    base.get(..12).unwrap_or(base)
}

fn headline(i: &Impact) -> String {
    format!(
        "Policy impact (policies at the merge base {} of {} → now, on the whole mesh): {} newly failing, {} newly passing, {} severity change{}",
        short(&i.merge_base),
        i.reference,
        i.newly_failing,
        i.newly_passing,
        i.severity_changed,
        if i.severity_changed == 1 { "" } else { "s" }
    )
}

/// Writes the impact as plain text (after the human report).
pub fn render_human(i: &Impact, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{}", headline(i))?;
    for d in &i.domains {
        writeln!(out, "  {}:", d.name.as_deref().unwrap_or("(no domain)"))?;
        for p in &d.newly_failing {
            writeln!(out, "    newly failing: {}", p.path)?;
            for f in &p.new_findings {
                writeln!(
                    out,
                    "      {} {}: {}",
                    f.severity.as_str(),
                    f.code,
                    f.message
                )?;
            }
        }
        for p in &d.newly_passing {
            writeln!(out, "    newly passing: {p}")?;
        }
        for c in &d.severity_changed {
            writeln!(
                out,
                "    severity {} → {}: {} {}: {}",
                c.before.as_str(),
                c.after.as_str(),
                c.product,
                c.code,
                c.message
            )?;
        }
    }
    Ok(())
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Writes the impact as a markdown section for a pull-request comment (after the markdown
/// report): the totals, then one collapsible block per domain.
pub fn render_markdown(i: &Impact, out: &mut dyn Write) -> io::Result<()> {
    let mut md = format!(
        "\n### Policy impact\n\nPolicies at the merge base `{}` of `{}` against the policies now, on the whole mesh: **{}** newly failing, **{}** newly passing, **{}** severity changes.\n\n",
        short(&i.merge_base),
        cell(&i.reference),
        i.newly_failing,
        i.newly_passing,
        i.severity_changed
    );
    for d in &i.domains {
        md.push_str(&format!(
            "<details><summary><b>{}</b>: {} newly failing, {} newly passing, {} severity changes</summary>\n\n| Product | Change | Code | Message |\n|---|---|---|---|\n",
            cell(d.name.as_deref().unwrap_or("(no domain)")),
            d.newly_failing.len(),
            d.newly_passing.len(),
            d.severity_changed.len()
        ));
        for p in &d.newly_failing {
            for f in &p.new_findings {
                md.push_str(&format!(
                    "| `{}` | newly failing ({}) | `{}` | {} |\n",
                    cell(&p.path),
                    f.severity.as_str(),
                    cell(&f.code),
                    cell(&f.message)
                ));
            }
        }
        for p in &d.newly_passing {
            md.push_str(&format!("| `{}` | newly passing | | |\n", cell(p)));
        }
        for c in &d.severity_changed {
            md.push_str(&format!(
                "| `{}` | {} → {} | `{}` | {} |\n",
                cell(&c.product),
                c.before.as_str(),
                c.after.as_str(),
                cell(&c.code),
                cell(&c.message)
            ));
        }
        md.push_str("\n</details>\n\n");
    }
    out.write_all(md.as_bytes())
}
