//! Saved results read back: a `check --format json` document deserialized into the result
//! model's [`Parts`] and finished again by [`Report::finish`] (for `check --from`), and the
//! results of several runs over one mesh (the shards of `--shard K/N`) merged into one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::findings::{ErrorKind, Finding, RunError, Severity};
use crate::model::{Checked, Outcome, Parts, PolicyReport, ProductReport, Report, Status};
use crate::report::json::SCHEMA_VERSION;
use crate::scope::{Reason, Shard};

#[derive(Deserialize)]
struct Tool {
    version: String,
}

#[derive(Deserialize, PartialEq)]
struct ChangedSince {
    reference: String,
    merge_base: String,
    changed: Vec<String>,
    deleted: Vec<String>,
}

#[derive(Deserialize)]
struct SummaryDoc {
    evaluations: usize,
    baseline_fixed: usize,
}

#[derive(Deserialize)]
struct DomainDoc {
    name: Option<String>,
    owner: Option<String>,
}

#[derive(Deserialize, PartialEq)]
struct PolicyDoc {
    id: String,
    domain: Option<String>,
    files: Vec<String>,
    rules: Vec<String>,
    exceptions: bool,
    title: Option<String>,
    description: Option<String>,
    severity: Option<Severity>,
    category: Option<String>,
    remediation: Option<crate::policy::Remediation>,
    level: crate::policy::Level,
    waivable: bool,
    standards: Option<Vec<crate::descriptor::Standard>>,
}

#[derive(Deserialize, PartialEq)]
struct ProductDoc {
    path: String,
    domain: Option<String>,
    standard: Option<crate::descriptor::Standard>,
    standard_version: Option<String>,
    format: crate::descriptor::Format,
    status: Status,
    outcomes: String,
    not_applicable: Vec<String>,
    #[serde(default)]
    selected_because: Vec<Reason>,
}

#[derive(Deserialize)]
struct Doc {
    tool: Tool,
    fail_on: Option<Severity>,
    scope: Vec<String>,
    #[serde(default)]
    shard: Option<Shard>,
    #[serde(default)]
    changed_since: Option<ChangedSince>,
    builtin_library: bool,
    summary: SummaryDoc,
    domains: Vec<DomainDoc>,
    products: Vec<ProductDoc>,
    policies: Vec<PolicyDoc>,
    findings: Vec<Finding>,
    excepted: Vec<Finding>,
    errors: Vec<RunError>,
    #[serde(default)]
    impact: Option<crate::impact::Impact>,
}

/// One saved result, read and checked: the document and the file it came from.
pub struct Saved {
    file: String,
    doc: Doc,
}

/// Reads a `check --format json` result. A file that does not parse, or that is of another
/// schema version, is an error naming the file (and line:column).
pub fn read(path: &Path) -> Result<Saved, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {file}: {e}"))?;
    parse(&text, &file)
}

/// Parses a `check --format json` result read from `file` (see [`read`]).
pub fn parse(text: &str, file: &str) -> Result<Saved, String> {
    #[derive(Deserialize)]
    struct Version {
        version: Option<u32>,
    }
    let version: Version = serde_json::from_str(text).map_err(|e| {
        format!(
            "{file}:{}:{}: not a `meshgate check --format json` result: {e}",
            e.line(),
            e.column()
        )
    })?;
    match version.version {
        Some(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(format!(
                "{file}: JSON schema version {v}, but this meshgate reads version {SCHEMA_VERSION}: re-run `meshgate check --format json` with this meshgate"
            ))
        }
        None => {
            return Err(format!(
                "{file}: no `version`: not a `meshgate check --format json` result"
            ))
        }
    }
    let doc: Doc = serde_json::from_str(text).map_err(|e| {
        format!(
            "{file}:{}:{}: not a `meshgate check --format json` result: {e}",
            e.line(),
            e.column()
        )
    })?;
    Ok(Saved {
        file: file.to_string(),
        doc,
    })
}

/// The report a saved result holds, finished again (as `check` finished it): what
/// `check --from` renders.
pub fn report(saved: Saved) -> Result<Report, String> {
    let shard = saved.doc.shard;
    let mut report = combine(vec![saved])?;
    report.shard = shard;
    Ok(report)
}

/// Merges the results of runs over one mesh (typically the N shards of `--shard K/N`) into
/// the result of one run: a product checked in one input and `not-selected` in the others is
/// its checked entry, findings are gathered and sorted, summaries counted again by
/// [`Report::finish`]. Inputs of different meshes, policies, meshgate versions or options, a
/// product checked in two inputs with different results, and an incomplete or repeated set of
/// shards are errors naming the files.
pub fn merge(inputs: Vec<Saved>) -> Result<Report, String> {
    check_shards(&inputs)?;
    combine(inputs)
}

/// When any input is a shard, every input must be one of the same N, each K once.
fn check_shards(inputs: &[Saved]) -> Result<(), String> {
    let shards: Vec<(&str, Option<Shard>)> = inputs
        .iter()
        .map(|s| (s.file.as_str(), s.doc.shard))
        .collect();
    let Some((first_file, Some(first))) = shards.iter().find(|(_, s)| s.is_some()).copied() else {
        return Ok(());
    };
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for (file, shard) in &shards {
        let Some(shard) = shard else {
            return Err(format!(
                "{file} is the result of a whole run and {first_file} of shard {first}: merge the shards of one run only"
            ));
        };
        if shard.count != first.count {
            return Err(format!(
                "{file} is shard {shard} and {first_file} shard {first}: merge the shards of one run (the same N) only"
            ));
        }
        if let Some(other) = seen.insert(shard.index, file) {
            return Err(format!(
                "{other} and {file} are both shard {shard}: give each shard once"
            ));
        }
    }
    let missing: Vec<String> = (1..=first.count)
        .filter(|k| !seen.contains_key(k))
        .map(|k| format!("{k}/{}", first.count))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "shard{} {} missing (given: {}): the merged result would leave their products unchecked",
            if missing.len() == 1 { " is" } else { "s are" },
            missing.join(", "),
            shards.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(())
}

/// What must be the same in every input for them to be one run's parts.
fn same_run(a: &Saved, b: &Saved) -> Result<(), String> {
    let (fa, fb) = (&a.file, &b.file);
    let (da, db) = (&a.doc, &b.doc);
    let differ = |what: &str| -> Result<(), String> {
        Err(format!(
            "{fa} and {fb} are not results of one run: {what} differ; merge results of one mesh, checked by one meshgate with the same policies and options"
        ))
    };
    if da.tool.version != db.tool.version {
        return differ(&format!(
            "their meshgate versions ({} and {})",
            da.tool.version, db.tool.version
        ));
    }
    let paths = |d: &Doc| {
        d.products
            .iter()
            .map(|p| p.path.clone())
            .collect::<Vec<_>>()
    };
    if paths(da) != paths(db) {
        return differ("their meshes (the products found)");
    }
    if da.policies != db.policies {
        return differ("their policies");
    }
    if da.fail_on != db.fail_on {
        return differ("their --fail-on thresholds");
    }
    if da.builtin_library != db.builtin_library {
        return differ("their policy libraries (built-in or the repository's)");
    }
    if da.scope != db.scope {
        return differ("their PATH scopes");
    }
    if da.changed_since != db.changed_since {
        return differ("their --changed-since changes");
    }
    Ok(())
}

/// The outcomes of a product, read back from their letters: one per policy in the product's
/// scope (the global policies and its domain's), in the order of `policies`.
fn outcomes(
    file: &str,
    p: &ProductDoc,
    policies: &[PolicyDoc],
) -> Result<Vec<Option<Outcome>>, String> {
    let in_scope: Vec<bool> = policies
        .iter()
        .map(|pol| pol.domain.is_none() || pol.domain == p.domain)
        .collect();
    if p.outcomes.is_empty() {
        return Ok(vec![None; policies.len()]);
    }
    let mut letters = p.outcomes.chars();
    let mut out = Vec::with_capacity(policies.len());
    for &scoped in &in_scope {
        if !scoped {
            out.push(None);
            continue;
        }
        let o = match letters.next() {
            Some('p') => Outcome::Pass,
            Some('f') => Outcome::Fail,
            Some('e') => Outcome::Error,
            Some('n') => Outcome::NotApplicable,
            Some('s') => Outcome::Skipped,
            _ => return Err(bad_outcomes(file, p, &in_scope)),
        };
        out.push(Some(o));
    }
    if letters.next().is_some() {
        return Err(bad_outcomes(file, p, &in_scope));
    }
    Ok(out)
}

fn bad_outcomes(file: &str, p: &ProductDoc, in_scope: &[bool]) -> String {
    format!(
        "{file}: product {}: outcomes `{}` are not one of p, f, e, n, s for each of the {} policies in its scope",
        p.path,
        p.outcomes,
        in_scope.iter().filter(|s| **s).count()
    )
}

/// How far `check` got with a product, as its status says (an `error` product without a
/// detected standard did not parse; one with a standard was not fully evaluated).
fn checked(p: &ProductDoc) -> Checked {
    match p.status {
        Status::Pass | Status::Warn | Status::Fail => Checked::Complete,
        Status::Error if p.standard.is_none() => Checked::Unparsed,
        Status::Error => Checked::Incomplete,
        Status::Skipped => Checked::Skipped,
        Status::NotSelected => Checked::NotSelected,
    }
}

/// Builds the [`Parts`] of the inputs (already checked to be of one run) and finishes them.
fn combine(inputs: Vec<Saved>) -> Result<Report, String> {
    let Some(first) = inputs.first() else {
        return Err("nothing to merge: give the JSON results to merge".to_string());
    };
    for other in &inputs[1..] {
        same_run(first, other)?;
    }
    if let Some(s) = inputs.iter().find(|s| s.doc.impact.is_some()) {
        if inputs.len() > 1 {
            return Err(format!(
                "{}: holds an --impact preview, which merge does not combine: run --impact once, without --shard",
                s.file
            ));
        }
    }
    // Each product's entry: the one input that checked it, else the first (not selected).
    let count = first.doc.products.len();
    let mut owner: Vec<Option<usize>> = vec![None; count];
    for (k, s) in inputs.iter().enumerate() {
        for (i, p) in s.doc.products.iter().enumerate() {
            if p.status == Status::NotSelected {
                continue;
            }
            match owner[i] {
                None => owner[i] = Some(k),
                Some(o) => {
                    let (a, b) = (&inputs[o], s);
                    let findings_of = |d: &Doc| -> Vec<Finding> {
                        let mut f: Vec<Finding> = d
                            .findings
                            .iter()
                            .chain(&d.excepted)
                            .filter(|f| f.product.as_deref() == Some(p.path.as_str()))
                            .cloned()
                            .map(|mut f| {
                                f.fingerprint.clear();
                                f
                            })
                            .collect();
                        f.sort_by(|x, y| format!("{x:?}").cmp(&format!("{y:?}")));
                        f
                    };
                    if a.doc.products[i] != *p || findings_of(&a.doc) != findings_of(&s.doc) {
                        return Err(format!(
                            "{} and {} both checked {} with different results: merge results of one run",
                            a.file, b.file, p.path
                        ));
                    }
                }
            }
        }
    }
    let owned: BTreeMap<&str, usize> = first
        .doc
        .products
        .iter()
        .zip(&owner)
        .filter_map(|(p, o)| o.map(|o| (p.path.as_str(), o)))
        .collect();
    // A product's findings come from the input that checked it; mesh-level findings (of a
    // domain or a file) are in every input that covers them: one copy of each.
    let gather = |pick: fn(&Doc) -> &Vec<Finding>| -> Vec<Finding> {
        let mut out = Vec::new();
        let mut mesh_level: BTreeSet<String> = BTreeSet::new();
        for (k, s) in inputs.iter().enumerate() {
            for f in pick(&s.doc) {
                let keep = match f.product.as_deref() {
                    Some(p) => owned.get(p) == Some(&k),
                    None => {
                        let mut key = f.clone();
                        key.fingerprint.clear();
                        mesh_level.insert(format!("{key:?}"))
                    }
                };
                if keep {
                    out.push(f.clone());
                }
            }
        }
        out
    };
    let findings = gather(|d| &d.findings);
    let excepted = gather(|d| &d.excepted);

    let policies_doc = &first.doc.policies;
    let mut products = Vec::with_capacity(count);
    for (i, o) in owner.iter().enumerate() {
        let s = &inputs[o.unwrap_or(0)];
        let p = &s.doc.products[i];
        products.push(ProductReport {
            path: p.path.clone(),
            domain: p.domain.clone(),
            standard: p.standard,
            standard_version: p.standard_version.clone(),
            format: p.format,
            status: p.status,
            outcomes: outcomes(&s.file, p, policies_doc)?,
            not_applicable: p.not_applicable.clone(),
            excepted: 0,
            waived: 0,
            baselined: 0,
            checked: checked(p),
            selected_because: p.selected_because.clone(),
        });
    }
    let policies = policies_doc
        .iter()
        .map(|p| PolicyReport {
            id: p.id.clone(),
            domain: p.domain.clone(),
            files: p.files.clone(),
            rules: p.rules.clone(),
            exceptions: p.exceptions,
            title: p.title.clone(),
            description: p.description.clone(),
            severity: p.severity,
            category: p.category.clone(),
            remediation: p.remediation.clone(),
            level: p.level,
            waivable: p.waivable,
            standards: p.standards.clone(),
        })
        .collect();
    // Run errors: one copy of each; those of policies that failed at run time are counted
    // again from the findings by `Report::finish`.
    let mut errors: Vec<RunError> = Vec::new();
    for s in &inputs {
        for e in &s.doc.errors {
            if e.kind != ErrorKind::PolicyRuntime && !errors.contains(e) {
                errors.push(e.clone());
            }
        }
    }
    let mut domains: Vec<String> = Vec::new();
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for s in &inputs {
        for d in &s.doc.domains {
            let Some(name) = &d.name else { continue };
            if !domains.contains(name) {
                domains.push(name.clone());
            }
            if let Some(owner) = &d.owner {
                owners.insert(name.clone(), owner.clone());
            }
        }
    }
    domains.sort();
    let evaluations = inputs.iter().map(|s| s.doc.summary.evaluations).sum();
    let baseline_fixed: usize = inputs.iter().map(|s| s.doc.summary.baseline_fixed).sum();
    let change = first
        .doc
        .changed_since
        .as_ref()
        .map(|c| crate::git::ChangeSet {
            reference: c.reference.clone(),
            base: c.merge_base.clone(),
            changed: c.changed.clone(),
            deleted: c.deleted.clone(),
        });
    let impact = match inputs.len() {
        1 => first.doc.impact.clone(),
        _ => None,
    };
    let parts = Parts {
        findings,
        excepted,
        products,
        policies,
        errors,
        domains,
        owners,
        evaluations,
        builtin_library: first.doc.builtin_library,
        fail_on: first.doc.fail_on,
        scope: first.doc.scope.clone(),
        shard: None,
        change,
        sources: BTreeMap::new(),
        waivers: crate::waivers::Waivers::default(),
        baseline: None,
    };
    let mut report = Report::finish(parts);
    report.summary.baseline_fixed = baseline_fixed;
    report.impact = impact;
    Ok(report)
}

/// Reads the source texts of the files the report's findings are located in, from the mesh
/// at `root` (for the snippets of the human format); a file that cannot be read is left out.
pub fn load_sources(report: &mut Report, root: &Path) {
    let files: BTreeSet<String> = report
        .findings
        .iter()
        .chain(&report.excepted)
        .filter_map(|f| f.location.as_ref().map(|l| l.file.clone()))
        .collect();
    for file in files {
        if let Ok(text) = std::fs::read_to_string(root.join(&file)) {
            report.sources.insert(file, Arc::from(text));
        }
    }
}
