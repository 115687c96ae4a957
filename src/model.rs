//! The result model of a check: products with their status and per-policy outcomes, policies
//! with their metadata, findings, run errors and summaries. Every renderer reads this, and only
//! this; [`Report::finish`] is the one post-processing stage that sorts, fingerprints, applies
//! waivers and the baseline, derives statuses and counts.
//!
//! Waived and baselined findings are modelled as a per-finding
//! [`Disposition`] rather than as lists of their own (as excepted
//! findings are): an `exception` rule is the policy saying there is nothing wrong, so its
//! findings change no outcome; a waiver or a baseline entry is someone deciding that something
//! wrong may pass the gate for now, so the finding stays a finding of its product (outcome
//! `f`, status counted, never a pass) and only the gate (exit code, open counts) leaves it out.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize, Serializer};

use crate::descriptor::{Format, Standard};
use crate::findings::{
    sort_findings, Disposition, ErrorKind, Finding, Location, RunError, Severity,
};
use crate::policy::{Level, Remediation};
use crate::rules::POLICY_ERROR_ID;

/// What a product's findings say about it. A fact about the product, independent of
/// `--fail-on` (which decides only the exit code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Checked: no error- or warning-level finding (info findings may exist).
    Pass,
    /// Checked: warning-level findings, no error-level one.
    Warn,
    /// Checked: at least one error-level finding.
    Fail,
    /// Not fully checked: the descriptor did not parse, or a policy failed on it or did not
    /// load (fails closed).
    Error,
    /// Not checked on purpose: the file is a template.
    Skipped,
    /// Not checked: outside the part of the mesh the run was asked to check (loaded for
    /// cross-product rules only).
    NotSelected,
}

/// The outcome of one policy on one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Evaluated; no finding.
    Pass,
    /// Evaluated; at least one finding (of any severity).
    Fail,
    /// Not evaluated to the end: the policy errored, or the descriptor did not parse (fails
    /// closed: counts as failed).
    Error,
    /// The policy does not apply to this product.
    NotApplicable,
    /// Not evaluated on purpose (a template).
    Skipped,
}

impl Outcome {
    /// The letter of the compact JSON form (`ProductReport::outcomes`).
    pub fn letter(self) -> char {
        match self {
            Outcome::Pass => 'p',
            Outcome::Fail => 'f',
            Outcome::Error => 'e',
            Outcome::NotApplicable => 'n',
            Outcome::Skipped => 's',
        }
    }
}

/// How far the pipeline got with a product (the input [`Report::finish`] derives the status from).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Checked {
    /// Every policy of its set was evaluated.
    #[default]
    Complete,
    /// A policy failed on it, or a policy of its set did not load.
    Incomplete,
    /// Its descriptor did not parse.
    Unparsed,
    /// A template, not checked.
    Skipped,
    /// Outside the scope of the run, not checked.
    NotSelected,
}

/// One product in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ProductReport {
    /// Repo-relative path.
    pub path: String,
    /// Its domain.
    pub domain: Option<String>,
    /// Detected standard (null when it did not parse).
    pub standard: Option<Standard>,
    /// Version of the standard the descriptor declares, as written (null when none).
    pub standard_version: Option<String>,
    /// YAML or JSON.
    pub format: Format,
    /// Pass, warn, fail, error or skipped (set by [`Report::finish`]).
    pub status: Status,
    /// The outcome of every policy of [`Report::policies`] on this product, by index; `None`
    /// for a policy outside the product's scope (another domain's local policy). In JSON: one
    /// letter per policy in scope (the global policies and the product's domain's), in the
    /// order of `policies` (`p` pass, `f` fail, `e` error, `n` not applicable, `s` skipped).
    #[serde(serialize_with = "outcome_letters")]
    pub outcomes: Vec<Option<Outcome>>,
    /// The ids of the policies that do not apply to this product (outcome `n`: a standard
    /// outside the policy's `custom.standards`, or its `applicable` rule not true), in the
    /// order of `policies`. Neither passed nor failed.
    pub not_applicable: Vec<String>,
    /// How many of its policy findings an `exception` rule excepted (set by
    /// [`Report::finish`]); they change neither its status nor its outcomes.
    pub excepted: usize,
    /// How many of its findings a waiver set aside (set by [`Report::finish`]). They still
    /// count in its status and outcomes (a waived finding is never a pass), not in the gate.
    pub waived: usize,
    /// How many of its findings the baseline records (set by [`Report::finish`]); like
    /// waived ones, they count in its status and outcomes, not in the gate.
    pub baselined: usize,
    /// How far the pipeline got (not serialized: `status` says it).
    #[serde(skip)]
    pub checked: Checked,
    /// Why a changed-only run (`--changed-since`) selected it (absent in other runs, and on
    /// products it did not select).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selected_because: Vec<crate::scope::Reason>,
}

impl ProductReport {
    /// `(index into Report::policies, outcome)` for every policy of the product's set.
    pub fn policy_outcomes(&self) -> impl Iterator<Item = (usize, Outcome)> + '_ {
        self.outcomes
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.map(|o| (i, o)))
    }
}

fn outcome_letters<S: Serializer>(outcomes: &[Option<Outcome>], s: S) -> Result<S::Ok, S::Error> {
    let text: String = outcomes.iter().flatten().map(|o| o.letter()).collect();
    s.serialize_str(&text)
}

/// One policy in the report, with the METADATA a renderer shows (the rule registry of Rego
/// policies; built-in checks are in [`crate::rules`]).
#[derive(Debug, Clone, Serialize)]
pub struct PolicyReport {
    /// Package name (policy id).
    pub id: String,
    /// Domain for domain-local policies, null for global ones.
    pub domain: Option<String>,
    /// Files declaring it.
    pub files: Vec<String>,
    /// Rules it defines (`deny`, `deny_missing_owner`, `warn`, …).
    pub rules: Vec<String>,
    /// Whether it defines an `exception` rule.
    pub exceptions: bool,
    /// METADATA title.
    pub title: Option<String>,
    /// METADATA description.
    pub description: Option<String>,
    /// METADATA custom.severity.
    pub severity: Option<Severity>,
    /// METADATA custom.category.
    pub category: Option<String>,
    /// METADATA custom.remediation, as written: one string, or a map from standard name (and
    /// `default`) to text. A finding's `help` is the text for its product's standard.
    pub remediation: Option<Remediation>,
    /// METADATA custom.level (`bronze` when absent).
    pub level: Level,
    /// METADATA custom.waivable (`true` when absent).
    pub waivable: bool,
    /// METADATA custom.standards: the standards the policy applies to; `null` for all.
    pub standards: Option<Vec<Standard>>,
}

/// Findings counted by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    /// Errors.
    pub error: usize,
    /// Warnings.
    pub warning: usize,
    /// Infos.
    pub info: usize,
}

impl SeverityCounts {
    fn add(&mut self, s: Severity) {
        match s {
            Severity::Error => self.error += 1,
            Severity::Warning => self.warning += 1,
            Severity::Info => self.info += 1,
        }
    }

    /// Total of all severities.
    pub fn total(&self) -> usize {
        self.error + self.warning + self.info
    }

    /// How many findings are at `threshold` or above.
    pub fn at_least(&self, threshold: Severity) -> usize {
        match threshold {
            Severity::Error => self.error,
            Severity::Warning => self.error + self.warning,
            Severity::Info => self.total(),
        }
    }
}

/// Per-(product, policy) outcomes counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutcomeCounts {
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Errored.
    pub error: usize,
    /// Not applicable.
    pub not_applicable: usize,
    /// Skipped.
    pub skipped: usize,
}

impl OutcomeCounts {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Error => self.error += 1,
            Outcome::NotApplicable => self.not_applicable += 1,
            Outcome::Skipped => self.skipped += 1,
        }
    }
}

/// Totals of a whole check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Products in the scope of the run (every product found, without a scope).
    pub products: usize,
    /// Domains found.
    pub domains: usize,
    /// Policies loaded (global and domain-local).
    pub policies: usize,
    /// Policy × product evaluations performed.
    pub evaluations: usize,
    /// Open findings by severity: those that decide the exit code (waived and baselined
    /// ones are counted apart).
    pub findings: SeverityCounts,
    /// Findings a waiver set aside (in `findings` with `disposition: waived`).
    pub waived: usize,
    /// Findings the baseline records (in `findings` with `disposition: baselined`).
    pub baselined: usize,
    /// Entries of the baseline that no finding matches any more: fixed, and removable with
    /// `--prune-baseline` (0 without `--baseline`).
    pub baseline_fixed: usize,
    /// Per-(product, policy) outcomes.
    pub outcomes: OutcomeCounts,
    /// Policy findings that an `exception` rule excepted (not counted in `findings`).
    pub excepted: usize,
    /// Products with status `pass`.
    pub products_passing: usize,
    /// Products with status `warn`.
    pub products_warning: usize,
    /// Products with status `fail`.
    pub products_failing: usize,
    /// Products with status `error`.
    pub products_error: usize,
    /// Products with status `skipped` (templates).
    pub products_skipped: usize,
    /// Products with status `not-selected` (outside the scope; not counted in `products`).
    pub products_not_selected: usize,
    /// Products on which a policy could not be evaluated (internal: drives exit code 2).
    #[serde(skip)]
    pub products_error_eval: usize,
}

/// Totals of one domain.
#[derive(Debug, Clone, Serialize)]
pub struct DomainSummary {
    /// Domain name (`null` groups products outside any domain).
    pub name: Option<String>,
    /// The owner team its `domain.yaml` names (`owner.team`, or `owner` when a string).
    pub owner: Option<String>,
    /// Products in it.
    pub products: usize,
    /// Of which passing.
    pub passing: usize,
    /// Of which with warnings only.
    pub warning: usize,
    /// Of which failing.
    pub failing: usize,
    /// Of which in error.
    pub errors: usize,
    /// Of which skipped (templates).
    pub skipped: usize,
    /// Open findings by severity (the domain's products' and its `domain.yaml`'s).
    pub findings: SeverityCounts,
    /// Findings of its products that an `exception` rule excepted.
    pub excepted: usize,
    /// Its findings a waiver set aside.
    pub waived: usize,
    /// Its findings the baseline records.
    pub baselined: usize,
}

impl DomainSummary {
    fn new(name: Option<String>) -> DomainSummary {
        DomainSummary {
            name,
            owner: None,
            products: 0,
            passing: 0,
            warning: 0,
            failing: 0,
            errors: 0,
            skipped: 0,
            findings: SeverityCounts::default(),
            excepted: 0,
            waived: 0,
            baselined: 0,
        }
    }
}

/// The result of a check: what every renderer draws from.
pub struct Report {
    /// Every finding, sorted, fingerprinted, with its disposition (open, waived, baselined).
    pub findings: Vec<Finding>,
    /// The findings that a policy's `exception` rule excepted, sorted, fingerprinted (as they
    /// would be without the exception). They fail nothing.
    pub excepted: Vec<Finding>,
    /// Every product with its status and outcomes, sorted by path.
    pub products: Vec<ProductReport>,
    /// Every policy that was evaluated.
    pub policies: Vec<PolicyReport>,
    /// Run-level errors: policies that did not load or failed at run time, unreadable paths.
    pub errors: Vec<RunError>,
    /// Totals.
    pub summary: Summary,
    /// Per-domain totals.
    pub domains: Vec<DomainSummary>,
    /// Whether the shipped library was used because the repository has no global policies.
    pub builtin_library: bool,
    /// The fail-on threshold that decides the exit code (`None`: never on findings).
    pub fail_on: Option<Severity>,
    /// The parts of the mesh checked (repo-relative), empty for the whole mesh.
    pub scope: Vec<String>,
    /// The shard of the products checked (`--shard K/N`), `None` for all of them.
    pub shard: Option<crate::scope::Shard>,
    /// The change a changed-only run (`--changed-since`) selected its products by.
    pub change: Option<crate::git::ChangeSet>,
    /// The policy impact preview (`--impact`), set after [`Report::finish`].
    pub impact: Option<crate::impact::Impact>,
    /// Source texts for snippets.
    pub sources: BTreeMap<String, Arc<str>>,
    /// What the baseline given with `--baseline` found (`None` without one).
    pub baseline: Option<crate::baseline::Outcome>,
}

/// What the pipeline hands to [`Report::finish`].
pub struct Parts {
    /// Every finding, in any order.
    pub findings: Vec<Finding>,
    /// The excepted findings, in any order.
    pub excepted: Vec<Finding>,
    /// Every product, sorted by path, `status` not yet set.
    pub products: Vec<ProductReport>,
    /// Every policy.
    pub policies: Vec<PolicyReport>,
    /// Run-level errors.
    pub errors: Vec<RunError>,
    /// The mesh's domain names (each gets a summary row, even without products).
    pub domains: Vec<String>,
    /// The owner team of each domain that names one in its `domain.yaml`.
    pub owners: BTreeMap<String, String>,
    /// Policy × product evaluations performed.
    pub evaluations: usize,
    /// Whether the shipped library was used.
    pub builtin_library: bool,
    /// The fail-on threshold.
    pub fail_on: Option<Severity>,
    /// The parts of the mesh checked (repo-relative), empty for the whole mesh.
    pub scope: Vec<String>,
    /// The shard of the products checked (`--shard K/N`), `None` for all of them.
    pub shard: Option<crate::scope::Shard>,
    /// The change a changed-only run (`--changed-since`) selected its products by.
    pub change: Option<crate::git::ChangeSet>,
    /// Source texts for snippets.
    pub sources: BTreeMap<String, Arc<str>>,
    /// The mesh's waivers (their problems are added to the findings).
    pub waivers: crate::waivers::Waivers,
    /// The baseline given with `--baseline`.
    pub baseline: Option<crate::baseline::Baseline>,
}

impl Report {
    /// The one post-processing stage: sorts and fingerprints findings, sets every product's
    /// status, applies waivers then the baseline (each finding's disposition), and counts the
    /// summaries.
    pub fn finish(parts: Parts) -> Report {
        let Parts {
            mut findings,
            mut excepted,
            mut products,
            policies,
            errors,
            domains,
            owners,
            evaluations,
            builtin_library,
            fail_on,
            scope,
            shard,
            change,
            mut sources,
            waivers,
            baseline,
        } = parts;
        findings.extend(waivers.findings.iter().cloned());
        sources.extend(waivers.sources.iter().cloned());
        sort_findings(&mut findings);
        assign_fingerprints(&mut findings);
        // Waivers match fingerprints, so they apply once those are set; their own problems
        // (and those that only the policies reveal) are findings like any other.
        let whole_mesh = products.iter().all(|p| p.checked != Checked::NotSelected);
        let problems = crate::waivers::apply(
            &waivers,
            &mut findings,
            &policies,
            whole_mesh,
            evaluations > 0,
        );
        if !problems.is_empty() {
            findings.extend(problems);
            sort_findings(&mut findings);
            assign_fingerprints(&mut findings);
        }
        // The problems of a domain's waiver file belong to that domain: left out when the run
        // does not cover it (as its `domain.yaml`'s are).
        findings.retain(|f| {
            f.policy != crate::findings::POLICY_WAIVER
                || f.domain.as_ref().is_none_or(|d| domains.contains(d))
        });
        let baseline = baseline.map(|b| {
            let checked: std::collections::HashSet<&str> = products
                .iter()
                .filter(|p| p.checked != Checked::NotSelected)
                .map(|p| p.path.as_str())
                .collect();
            crate::baseline::apply(&b, &mut findings, |product| match product {
                Some(p) => checked.contains(p),
                None => whole_mesh,
            })
        });
        sort_findings(&mut excepted);
        assign_fingerprints(&mut excepted);
        let mut errors = errors;
        errors.extend(runtime_errors(&findings));
        // A built-in finding without help of its own gets its rule's.
        for f in findings.iter_mut().filter(|f| f.help.is_none()) {
            if let Some(rule) = crate::rules::find(&f.code()) {
                f.help = Some(rule.help.to_string());
            }
        }

        // The worst severity of each product's findings.
        let index: HashMap<&str, usize> = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.path.as_str(), i))
            .collect();
        let mut worst: Vec<Option<Severity>> = vec![None; products.len()];
        for f in &findings {
            if let Some(&i) = f.product.as_deref().and_then(|p| index.get(p)) {
                worst[i] = worst[i].max(Some(f.severity));
            }
        }
        let mut set_aside = vec![(0, 0); products.len()];
        for f in &findings {
            if let Some(&i) = f.product.as_deref().and_then(|p| index.get(p)) {
                match f.disposition {
                    Disposition::Open => {}
                    Disposition::Waived => set_aside[i].0 += 1,
                    Disposition::Baselined => set_aside[i].1 += 1,
                }
            }
        }
        let mut excepted_of = vec![0; products.len()];
        for f in &excepted {
            if let Some(&i) = f.product.as_deref().and_then(|p| index.get(p)) {
                excepted_of[i] += 1;
            }
        }

        let mut per: BTreeMap<Option<String>, DomainSummary> = domains
            .iter()
            .map(|d| (Some(d.clone()), DomainSummary::new(Some(d.clone()))))
            .collect();
        let mut s = Summary {
            products: 0,
            domains: domains.len(),
            policies: policies.len(),
            evaluations,
            baseline_fixed: baseline.as_ref().map_or(0, |b| b.fixed.len()),
            ..Summary::default()
        };
        for (((p, worst), excepted), (waived, baselined)) in products
            .iter_mut()
            .zip(worst)
            .zip(excepted_of)
            .zip(set_aside)
        {
            p.excepted = excepted;
            p.waived = waived;
            p.baselined = baselined;
            if p.checked == Checked::NotSelected {
                p.status = Status::NotSelected;
                s.products_not_selected += 1;
                continue;
            }
            s.products += 1;
            p.status = match p.checked {
                Checked::Skipped => Status::Skipped,
                Checked::NotSelected => Status::NotSelected,
                Checked::Unparsed => Status::Error,
                Checked::Incomplete => {
                    s.products_error_eval += 1;
                    Status::Error
                }
                Checked::Complete => match worst {
                    Some(Severity::Error) => Status::Fail,
                    Some(Severity::Warning) => Status::Warn,
                    Some(Severity::Info) | None => Status::Pass,
                },
            };
            for (_, o) in p.policy_outcomes() {
                s.outcomes.add(o);
            }
            let d = per
                .entry(p.domain.clone())
                .or_insert_with(|| DomainSummary::new(p.domain.clone()));
            d.products += 1;
            let (domain_count, total) = match p.status {
                Status::Pass => (&mut d.passing, &mut s.products_passing),
                Status::Warn => (&mut d.warning, &mut s.products_warning),
                Status::Fail => (&mut d.failing, &mut s.products_failing),
                Status::Error => (&mut d.errors, &mut s.products_error),
                Status::Skipped => (&mut d.skipped, &mut s.products_skipped),
                Status::NotSelected => continue,
            };
            *domain_count += 1;
            *total += 1;
        }
        for f in &findings {
            let d = per
                .entry(f.domain.clone())
                .or_insert_with(|| DomainSummary::new(f.domain.clone()));
            match f.disposition {
                Disposition::Open => {
                    s.findings.add(f.severity);
                    d.findings.add(f.severity);
                }
                Disposition::Waived => {
                    s.waived += 1;
                    d.waived += 1;
                }
                Disposition::Baselined => {
                    s.baselined += 1;
                    d.baselined += 1;
                }
            }
        }
        for f in &excepted {
            s.excepted += 1;
            per.entry(f.domain.clone())
                .or_insert_with(|| DomainSummary::new(f.domain.clone()))
                .excepted += 1;
        }
        // Named domains first (sorted), then products outside any domain.
        let mut domain_rows: Vec<DomainSummary> = per.into_values().collect();
        for d in &mut domain_rows {
            d.owner = d.name.as_ref().and_then(|n| owners.get(n)).cloned();
        }
        domain_rows.sort_by(|a, b| (a.name.is_none(), &a.name).cmp(&(b.name.is_none(), &b.name)));
        Report {
            findings,
            excepted,
            products,
            policies,
            errors,
            summary: s,
            domains: domain_rows,
            builtin_library,
            fail_on,
            scope,
            shard,
            change,
            impact: None,
            sources,
            baseline,
        }
    }

    /// Exit code: 2 when the check could not be done as asked, 1 when findings reach the
    /// threshold, else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() || self.summary.products_error_eval > 0 {
            2
        } else if self
            .fail_on
            .is_some_and(|t| self.summary.findings.at_least(t) > 0)
        {
            1
        } else {
            0
        }
    }
}

/// The run errors of policies that failed at run time: one per distinct (policy, location,
/// message) among the `policy-error` findings, saying on how many products and on which
/// first (in report order), rather than one per product, which would flood the list.
fn runtime_errors(findings: &[Finding]) -> Vec<RunError> {
    const PREFIX: &str = "policy failed to evaluate: ";
    let mut seen: BTreeMap<(&str, &Option<Location>, &str), (usize, &str)> = BTreeMap::new();
    for f in findings {
        if f.id.as_deref() != Some(POLICY_ERROR_ID) {
            continue;
        }
        let Some(product) = f.product.as_deref() else {
            continue;
        };
        let message = f.message.strip_prefix(PREFIX).unwrap_or(&f.message);
        seen.entry((&f.policy, &f.location, message))
            .and_modify(|(n, _)| *n += 1)
            .or_insert((1, product));
    }
    seen.into_iter()
        .map(|((policy, location, message), (n, first))| RunError {
            kind: ErrorKind::PolicyRuntime,
            message: if n == 1 {
                format!("policy `{policy}` failed to evaluate on {first}: {message}")
            } else {
                format!(
                    "policy `{policy}` failed to evaluate on {n} products (the first: {first}): {message}"
                )
            },
            location: location.clone(),
        })
        .collect()
}

/// 64-bit FNV-1a: small, stable across platforms and releases (unlike `std`'s hasher).
pub(crate) fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// `message` without positions: every `<digits>:<digits>` (a `line:col`, as in "first defined
/// at 3:5") becomes `#`, so that a line shift does not change a fingerprint.
pub(crate) fn without_positions(message: &str) -> String {
    let b = message.as_bytes();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    while i < b.len() {
        let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
        let n = digits(i);
        let preceded_by_digit = i > 0 && b[i - 1].is_ascii_digit();
        if n > 0 && !preceded_by_digit && b.get(i + n) == Some(&b':') && digits(i + n + 1) > 0 {
            out.push('#');
            i += n + 1 + digits(i + n + 1);
            continue;
        }
        let ch_len = message[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&message[i..i + ch_len]);
        i += ch_len;
    }
    out
}

/// The fingerprint of a finding, before disambiguation: a hash of what the finding is about
/// (product or domain file, the file it is located in, policy, rule, id, the field path, and
/// the message without positions), never of the line or column. Stable across line shifts,
/// key reordering and unrelated edits; two findings that differ only in path differ.
pub fn fingerprint(f: &Finding) -> u64 {
    fnv1a(&[
        f.subject(),
        f.location.as_ref().map_or("", |l| l.file.as_str()),
        f.domain.as_deref().unwrap_or(""),
        &f.policy,
        &f.rule,
        f.id.as_deref().unwrap_or(""),
        f.path.as_deref().unwrap_or(""),
        &without_positions(&f.message),
    ])
}

/// Sets every finding's fingerprint (16 hex digits). Findings that hash alike (the same
/// message twice in one file, without a path) are told apart by their rank in the sorted
/// order, so that every fingerprint of a report is unique.
fn assign_fingerprints(findings: &mut [Finding]) {
    let mut assigned: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let mut rank_of: HashMap<u64, u64> = HashMap::new();
    for f in findings.iter_mut() {
        let base = fingerprint(f);
        let mut h = base;
        // The n-th finding with this base hash gets the hash of (base, n), moved on until it
        // differs from every fingerprint already given (a 64-bit collision is unlikely, but
        // a collision would hide a finding from a baseline).
        let rank = rank_of.entry(base).or_insert(0);
        while !assigned.insert(h) {
            *rank += 1;
            h = fnv1a(&[&format!("{base:016x}"), &rank.to_string()]);
        }
        f.fingerprint = format!("{h:016x}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::Pos;
    use crate::findings::Location;

    fn finding(path: Option<&str>, line: u32, message: &str) -> Finding {
        Finding {
            product: Some("domains/d/products/p/dataproduct.yaml".to_string()),
            domain: Some("d".to_string()),
            policy: "governance.ownership".to_string(),
            rule: "deny".to_string(),
            id: Some("owner-missing".to_string()),
            severity: Severity::Error,
            message: message.to_string(),
            path: path.map(str::to_string),
            location: Some(Location::new(
                "domains/d/products/p/dataproduct.yaml",
                Pos::new(line as usize, 3),
                4,
            )),
            help: None,
            fingerprint: String::new(),
            disposition: Disposition::Open,
            waiver: None,
        }
    }

    #[test]
    fn fingerprints_ignore_lines_and_tell_paths_apart() {
        let a = finding(Some("team.members[0].role"), 4, "no role");
        let shifted = finding(Some("team.members[0].role"), 40, "no role");
        assert_eq!(fingerprint(&a), fingerprint(&shifted));
        let other = finding(Some("team.members[1].role"), 4, "no role");
        assert_ne!(fingerprint(&a), fingerprint(&other));
        let dup = finding(None, 4, "duplicate key `name` (first defined at 3:5)");
        let dup_shifted = finding(None, 9, "duplicate key `name` (first defined at 8:5)");
        assert_eq!(fingerprint(&dup), fingerprint(&dup_shifted));
    }

    #[test]
    fn equal_fingerprints_are_ranked_apart() {
        let mut fs = vec![finding(None, 3, "x"), finding(None, 9, "x")];
        assign_fingerprints(&mut fs);
        assert_ne!(fs[0].fingerprint, fs[1].fingerprint);
        assert_eq!(fs[0].fingerprint.len(), 16);
        assert_eq!(fs[0].fingerprint, format!("{:016x}", fingerprint(&fs[0])));
    }

    #[test]
    fn positions_are_dropped_from_messages() {
        assert_eq!(
            without_positions("at 3:5 and 10:12, v1.2"),
            "at # and #, v1.2"
        );
        assert_eq!(without_positions("no ports: é 3"), "no ports: é 3");
        assert_eq!(without_positions("a1:2"), "a#");
    }
}
