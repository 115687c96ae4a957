//! The governance board's view of a check: a score and a level per product, a scorecard per
//! domain and an overview of the mesh, computed from the result model alone (a [`Report`], or
//! a saved `check --format json` document read back by [`Input::from_check_json`]).
//!
//! - A product's score is Σ weight·pass / Σ weight over the policies that apply to it, ×100,
//!   the weight being its severity's (`[score]` of meshgate.toml). An error outcome counts as
//!   failed; a not-applicable one is in neither sum. No applicable policy: no score. A
//!   descriptor that does not parse: 0. Templates are not scored.
//! - A product stands at the highest level (bronze < silver < gold) such that every applicable
//!   policy of that level and of the levels below passes; otherwise at `none`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::ScoreWeights;
use crate::findings::{Finding, Severity};
use crate::model::{Outcome, Report, Status};
use crate::policy::Level;

/// Version of the report's JSON schema (README, "The report's JSON"); bumped on any
/// incompatible change.
pub const REPORT_VERSION: u32 = 1;

/// A product's level: `none`, or the highest policy level it meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Some bronze policy fails.
    None,
    /// Every bronze policy passes.
    Bronze,
    /// Every bronze and silver policy passes.
    Silver,
    /// Every applicable policy passes.
    Gold,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 4] = [Tier::None, Tier::Bronze, Tier::Silver, Tier::Gold];

    /// The name shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::None => "none",
            Tier::Bronze => "bronze",
            Tier::Silver => "silver",
            Tier::Gold => "gold",
        }
    }

    fn of(level: Level) -> Tier {
        match level {
            Level::Bronze => Tier::Bronze,
            Level::Silver => Tier::Silver,
            Level::Gold => Tier::Gold,
        }
    }

    fn next(self) -> Option<Tier> {
        match self {
            Tier::None => Some(Tier::Bronze),
            Tier::Bronze => Some(Tier::Silver),
            Tier::Silver => Some(Tier::Gold),
            Tier::Gold => None,
        }
    }
}

/// A policy as scoring sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyInfo {
    /// Policy id.
    pub id: String,
    /// Its domain for a domain-local policy.
    pub domain: Option<String>,
    /// METADATA title.
    pub title: Option<String>,
    /// The severity it counts at: METADATA `custom.severity`, else `warning` for a policy of
    /// `warn` rules only, else `error`.
    pub severity: Severity,
    /// METADATA `custom.level` (bronze when absent).
    pub level: Level,
}

/// A product as scoring sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductInput {
    /// Repo-relative path.
    pub path: String,
    /// Its domain.
    pub domain: Option<String>,
    /// Its status in the check.
    pub status: Status,
    /// Whether its descriptor did not parse.
    pub unparsed: bool,
    /// The outcome of each policy of [`Input::policies`], by index (`None`: out of its scope).
    pub outcomes: Vec<Option<Outcome>>,
}

/// What scoring reads from a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Every policy.
    pub policies: Vec<PolicyInfo>,
    /// Every product (those outside the run's scope are left out).
    pub products: Vec<ProductInput>,
    /// Every domain with its owner team (`None` name: products outside any domain).
    pub domains: Vec<(Option<String>, Option<String>)>,
    /// Every finding.
    pub findings: Vec<Finding>,
    /// The check's run errors (exit 2 when any).
    pub errors: Vec<String>,
    /// Whether the check would exit 2.
    pub incomplete: bool,
}

/// The severity a policy counts at (see [`PolicyInfo::severity`]).
fn policy_severity(severity: Option<Severity>, rules: &[String]) -> Severity {
    severity.unwrap_or_else(|| {
        if !rules.is_empty() && rules.iter().all(|r| r == "warn" || r.starts_with("warn_")) {
            Severity::Warning
        } else {
            Severity::Error
        }
    })
}

/// meshgate's built-in checks on products, scored as bronze policies of these severities: a
/// product passes one when it has no finding of it.
pub const BUILTIN_POLICIES: [(&str, Severity); 3] = [
    (crate::findings::POLICY_PARSE, Severity::Error),
    (crate::findings::POLICY_LAYOUT, Severity::Error),
    (crate::findings::POLICY_REF, Severity::Warning),
];

impl Input {
    /// Adds the built-in checks as policies ([`BUILTIN_POLICIES`]), with each product's
    /// outcome from its findings.
    fn with_builtins(mut self) -> Input {
        let first = self.policies.len();
        for (id, severity) in BUILTIN_POLICIES {
            self.policies.push(PolicyInfo {
                id: id.to_string(),
                domain: None,
                title: Some("meshgate built-in checks".to_string()),
                severity,
                level: Level::Bronze,
            });
        }
        let mut hit: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
        for f in &self.findings {
            if let Some(p) = &f.product {
                hit.insert((p.as_str(), f.policy.as_str()));
            }
        }
        for p in &mut self.products {
            for (k, (id, _)) in BUILTIN_POLICIES.iter().enumerate() {
                let outcome = if p.status == Status::Skipped {
                    Outcome::Skipped
                } else if hit.contains(&(p.path.as_str(), *id)) {
                    Outcome::Fail
                } else {
                    Outcome::Pass
                };
                p.outcomes.resize(first + k, None);
                p.outcomes.push(Some(outcome));
            }
        }
        self
    }

    /// From a check's result model.
    pub fn from_report(report: &Report) -> Input {
        Input {
            policies: report
                .policies
                .iter()
                .map(|p| PolicyInfo {
                    id: p.id.clone(),
                    domain: p.domain.clone(),
                    title: p.title.clone(),
                    severity: policy_severity(p.severity, &p.rules),
                    level: p.level,
                })
                .collect(),
            products: report
                .products
                .iter()
                .filter(|p| p.status != Status::NotSelected)
                .map(|p| ProductInput {
                    path: p.path.clone(),
                    domain: p.domain.clone(),
                    status: p.status,
                    unparsed: p.checked == crate::model::Checked::Unparsed,
                    outcomes: p.outcomes.clone(),
                })
                .collect(),
            domains: report
                .domains
                .iter()
                .map(|d| (d.name.clone(), d.owner.clone()))
                .collect(),
            findings: report.findings.clone(),
            errors: report.errors.iter().map(|e| e.to_string()).collect(),
            incomplete: report.exit_code() == 2,
        }
        .with_builtins()
    }

    /// From the text of a saved `check --format json` document; `file` names it in errors.
    pub fn from_check_json(text: &str, file: &str) -> Result<Input, String> {
        #[derive(Deserialize)]
        struct Doc {
            version: u32,
            domains: Vec<Domain>,
            products: Vec<Product>,
            policies: Vec<Policy>,
            findings: Vec<Finding>,
            errors: Vec<Error>,
        }
        #[derive(Deserialize)]
        struct Domain {
            name: Option<String>,
            #[serde(default)]
            owner: Option<String>,
        }
        #[derive(Deserialize)]
        struct Product {
            path: String,
            domain: Option<String>,
            standard: Option<serde_json::Value>,
            status: Status,
            outcomes: String,
        }
        #[derive(Deserialize)]
        struct Policy {
            id: String,
            domain: Option<String>,
            title: Option<String>,
            severity: Option<Severity>,
            rules: Vec<String>,
            #[serde(default)]
            level: Level,
        }
        #[derive(Deserialize)]
        struct Error {
            message: String,
        }
        let doc: Doc = serde_json::from_str(text).map_err(|e| {
            format!(
                "{file}:{}:{}: not a `meshgate check --format json` result: {e}",
                e.line(),
                e.column()
            )
        })?;
        if doc.version != crate::report::json::SCHEMA_VERSION {
            return Err(format!(
                "{file}: a check result of JSON schema version {}, but this meshgate reads version {}: run `meshgate check --format json` again with this version",
                doc.version,
                crate::report::json::SCHEMA_VERSION
            ));
        }
        let policies: Vec<PolicyInfo> = doc
            .policies
            .into_iter()
            .map(|p| PolicyInfo {
                severity: policy_severity(p.severity, &p.rules),
                id: p.id,
                domain: p.domain,
                title: p.title,
                level: p.level,
            })
            .collect();
        let mut products = Vec::new();
        for (i, p) in doc.products.into_iter().enumerate() {
            if p.status == Status::NotSelected {
                continue;
            }
            // One letter per policy in the product's scope, in the order of `policies`.
            let in_scope: Vec<usize> = policies
                .iter()
                .enumerate()
                .filter(|(_, pol)| pol.domain.is_none() || pol.domain == p.domain)
                .map(|(j, _)| j)
                .collect();
            let letters: Vec<char> = p.outcomes.chars().collect();
            if letters.len() != in_scope.len() {
                return Err(format!(
                    "{file}: products[{i}] ({}): `outcomes` has {} letters, but {} policies are in its scope",
                    p.path,
                    letters.len(),
                    in_scope.len()
                ));
            }
            let mut outcomes = vec![None; policies.len()];
            for (&j, &c) in in_scope.iter().zip(&letters) {
                outcomes[j] = Some(match c {
                    'p' => Outcome::Pass,
                    'f' => Outcome::Fail,
                    'e' => Outcome::Error,
                    'n' => Outcome::NotApplicable,
                    's' => Outcome::Skipped,
                    other => {
                        return Err(format!(
                            "{file}: products[{i}] ({}): unknown outcome letter `{other}` (expected p, f, e, n or s)",
                            p.path
                        ))
                    }
                });
            }
            products.push(ProductInput {
                unparsed: p.status == Status::Error && p.standard.is_none(),
                path: p.path,
                domain: p.domain,
                status: p.status,
                outcomes,
            });
        }
        let errors: Vec<String> = doc.errors.into_iter().map(|e| e.message).collect();
        Ok(Input {
            policies,
            products,
            domains: doc.domains.into_iter().map(|d| (d.name, d.owner)).collect(),
            findings: doc.findings,
            incomplete: !errors.is_empty(),
            errors,
        }
        .with_builtins())
    }
}

/// One product's score and level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductScore {
    /// Repo-relative path.
    pub path: String,
    /// Its domain.
    pub domain: Option<String>,
    /// Its status in the check.
    pub status: Status,
    /// 0-100, one decimal; `null` when not scored (a template, or no applicable policy).
    pub score: Option<f64>,
    /// Its level; `null` when not scored.
    pub level: Option<Tier>,
    /// The level above it (`null` at gold or when not scored).
    pub next_level: Option<Tier>,
    /// The failing policies that keep it from `next_level`: what to fix first (lowest level,
    /// then most severe, first).
    pub blocking: Vec<String>,
    /// Applicable policies passed.
    pub passed: usize,
    /// Applicable policies failed (findings) or in error.
    pub failed: usize,
    /// The ids of the policies that do not apply to it (n/a: in neither sum).
    pub not_applicable: Vec<String>,
}

/// Scores one product (a template, or a product with no applicable policy, gets no score).
pub fn score_product(
    p: &ProductInput,
    policies: &[PolicyInfo],
    weights: &ScoreWeights,
) -> ProductScore {
    let mut s = ProductScore {
        path: p.path.clone(),
        domain: p.domain.clone(),
        status: p.status,
        score: None,
        level: None,
        next_level: None,
        blocking: Vec::new(),
        passed: 0,
        failed: 0,
        not_applicable: Vec::new(),
    };
    if matches!(p.status, Status::Skipped | Status::NotSelected) {
        return s;
    }
    // (policy index, passed) of every applicable policy.
    let mut applicable: Vec<(usize, bool)> = Vec::new();
    for (i, o) in p.outcomes.iter().enumerate() {
        match o {
            Some(Outcome::Pass) => applicable.push((i, true)),
            Some(Outcome::Fail | Outcome::Error) => applicable.push((i, false)),
            Some(Outcome::NotApplicable) => s.not_applicable.push(policies[i].id.clone()),
            Some(Outcome::Skipped) | None => {}
        }
    }
    s.passed = applicable.iter().filter(|(_, ok)| *ok).count();
    s.failed = applicable.len() - s.passed;
    if applicable.is_empty() && !p.unparsed {
        return s;
    }
    let weight = |i: usize| u64::from(weights.of(policies[i].severity));
    let total: u64 = applicable.iter().map(|&(i, _)| weight(i)).sum();
    let passed: u64 = applicable
        .iter()
        .filter(|(_, ok)| *ok)
        .map(|&(i, _)| weight(i))
        .sum();
    s.score = if p.unparsed {
        Some(0.0)
    } else {
        // Tenths, rounded half up, in integers: the same on every platform. No weight at
        // all (every applicable severity weighs 0): no score.
        (passed * 1000 + total / 2)
            .checked_div(total)
            .map(|tenths| tenths as f64 / 10.0)
    };
    let fails_up_to = |tier: Tier| {
        applicable
            .iter()
            .any(|&(i, ok)| !ok && Tier::of(policies[i].level) <= tier)
    };
    let level = if p.unparsed {
        Tier::None
    } else {
        [Tier::Bronze, Tier::Silver, Tier::Gold]
            .into_iter()
            .take_while(|&t| !fails_up_to(t))
            .last()
            .unwrap_or(Tier::None)
    };
    s.level = Some(level);
    s.next_level = level.next();
    if let Some(next) = s.next_level {
        let mut blocking: Vec<&PolicyInfo> = applicable
            .iter()
            .filter(|&&(i, ok)| !ok && Tier::of(policies[i].level) <= next)
            .map(|&(i, _)| &policies[i])
            .collect();
        blocking.sort_by(|a, b| {
            (a.level, std::cmp::Reverse(a.severity), &a.id).cmp(&(
                b.level,
                std::cmp::Reverse(b.severity),
                &b.id,
            ))
        });
        s.blocking = blocking.iter().map(|p| p.id.clone()).collect();
    }
    s
}

/// How many products stand at each level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelCounts {
    /// At none.
    pub none: usize,
    /// At bronze.
    pub bronze: usize,
    /// At silver.
    pub silver: usize,
    /// At gold.
    pub gold: usize,
}

impl LevelCounts {
    fn add(&mut self, t: Tier) {
        match t {
            Tier::None => self.none += 1,
            Tier::Bronze => self.bronze += 1,
            Tier::Silver => self.silver += 1,
            Tier::Gold => self.gold += 1,
        }
    }

    /// The count at `t`.
    pub fn get(&self, t: Tier) -> usize {
        match t {
            Tier::None => self.none,
            Tier::Bronze => self.bronze,
            Tier::Silver => self.silver,
            Tier::Gold => self.gold,
        }
    }
}

/// A policy failing on some products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyHits {
    /// Policy id.
    pub policy: String,
    /// Its level.
    pub level: Level,
    /// The severity it counts at.
    pub severity: Severity,
    /// On how many products it fails (or errors).
    pub products: usize,
}

/// The statistics of a set of products' scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Products (templates left out).
    pub products: usize,
    /// Of which scored.
    pub scored: usize,
    /// Templates (not scored).
    pub templates: usize,
    /// Mean score (one decimal; `null` when none is scored).
    pub mean: Option<f64>,
    /// Median score.
    pub median: Option<f64>,
    /// Lowest score.
    pub min: Option<f64>,
    /// Products at each level.
    pub levels: LevelCounts,
}

fn stats(products: &[&ProductScore]) -> Stats {
    let mut scores: Vec<f64> = products.iter().filter_map(|p| p.score).collect();
    scores.sort_by(f64::total_cmp);
    let mut levels = LevelCounts::default();
    for t in products.iter().filter_map(|p| p.level) {
        levels.add(t);
    }
    let templates = products
        .iter()
        .filter(|p| p.status == Status::Skipped)
        .count();
    let n = scores.len();
    let round = |x: f64| (x * 10.0).round() / 10.0;
    Stats {
        products: products.len() - templates,
        scored: n,
        templates,
        mean: (n > 0).then(|| round(scores.iter().sum::<f64>() / n as f64)),
        median: (n > 0).then(|| {
            if n % 2 == 1 {
                scores[n / 2]
            } else {
                round((scores[n / 2 - 1] + scores[n / 2]) / 2.0)
            }
        }),
        min: scores.first().copied(),
        levels,
    }
}

/// The policies failing on `products`, by how many they hit (then by id).
fn failing(
    products: &[&ProductScore],
    input: &Input,
    index: &BTreeMap<&str, usize>,
) -> Vec<PolicyHits> {
    let mut hits: BTreeMap<usize, usize> = BTreeMap::new();
    for p in products {
        let Some(&pi) = index.get(p.path.as_str()) else {
            continue;
        };
        if p.score.is_none() && p.level.is_none() {
            continue;
        }
        for (i, o) in input.products[pi].outcomes.iter().enumerate() {
            if matches!(o, Some(Outcome::Fail | Outcome::Error)) {
                *hits.entry(i).or_default() += 1;
            }
        }
    }
    let mut v: Vec<PolicyHits> = hits
        .into_iter()
        .map(|(i, n)| PolicyHits {
            policy: input.policies[i].id.clone(),
            level: input.policies[i].level,
            severity: input.policies[i].severity,
            products: n,
        })
        .collect();
    v.sort_by(|a, b| {
        b.products
            .cmp(&a.products)
            .then_with(|| a.policy.cmp(&b.policy))
    });
    v
}

/// A product among a domain's lowest scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Worst {
    /// Repo-relative path.
    pub path: String,
    /// Its score.
    pub score: f64,
    /// Its level.
    pub level: Option<Tier>,
}

/// One domain's scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainCard {
    /// Domain name (`null`: products outside any domain).
    pub name: Option<String>,
    /// Owner team from its `domain.yaml`.
    pub owner: Option<String>,
    /// Score statistics.
    #[serde(flatten)]
    pub stats: Stats,
    /// Policies failing in the domain, by how many of its products they hit.
    pub failing_policies: Vec<PolicyHits>,
    /// Its five lowest-scored products, lowest first.
    pub worst: Vec<Worst>,
    /// Every product of the domain with its score, by path.
    pub product_scores: Vec<ProductScore>,
}

/// How many scored products fall in one score range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// The range, as `lo-hi` (inclusive).
    pub range: String,
    /// Products in it.
    pub products: usize,
}

/// The whole mesh at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeshCard {
    /// Domains (a row each in `domains`).
    pub domains: usize,
    /// Score statistics over every product.
    #[serde(flatten)]
    pub stats: Stats,
    /// Scored products per score range.
    pub distribution: Vec<Bucket>,
    /// The ten policies failing on most products across the mesh.
    pub failing_policies: Vec<PolicyHits>,
}

/// The report: what every report format draws from, and the versioned JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    /// Schema version ([`REPORT_VERSION`]).
    pub report_version: u32,
    /// What wrote it.
    pub tool: Tool,
    /// The weights used.
    pub weights: ScoreWeights,
    /// The mesh overview.
    pub mesh: MeshCard,
    /// One scorecard per domain (named ones sorted, then products outside any domain).
    pub domains: Vec<DomainCard>,
    /// Every policy.
    pub policies: Vec<PolicyInfo>,
    /// Every finding of the check.
    pub findings: Vec<Finding>,
    /// The check's run errors.
    pub errors: Vec<String>,
    /// The changes since an earlier report (`--compare`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// The scores at past commits, oldest first (`--history`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<crate::history::HistoryPoint>>,
}

/// A score then and now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreDelta {
    /// In the earlier report (`null`: no score, or not in it).
    pub before: Option<f64>,
    /// Now.
    pub after: Option<f64>,
    /// `after - before`, one decimal, when both exist.
    pub delta: Option<f64>,
}

impl ScoreDelta {
    fn new(before: Option<f64>, after: Option<f64>) -> ScoreDelta {
        ScoreDelta {
            before,
            after,
            delta: before
                .zip(after)
                .map(|(b, a)| ((a - b) * 10.0).round() / 10.0 + 0.0),
        }
    }
}

/// A domain's change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainDelta {
    /// Domain name.
    pub name: Option<String>,
    /// Its mean score then and now.
    #[serde(flatten)]
    pub mean: ScoreDelta,
    /// Findings new in it.
    pub new_findings: usize,
    /// Findings gone from it.
    pub fixed_findings: usize,
}

/// A product whose score or level changed, or that came or went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductDelta {
    /// Repo-relative path.
    pub path: String,
    /// Its domain (now, or then for a product that went).
    pub domain: Option<String>,
    /// Its score then and now.
    #[serde(flatten)]
    pub score: ScoreDelta,
    /// Its level then (`null`: no level, or not in the earlier report).
    pub level_before: Option<Tier>,
    /// Its level now (`null`: no level, or gone).
    pub level_after: Option<Tier>,
    /// `new` (not in the earlier report), `removed` (not in this one) or `changed`.
    pub change: String,
}

/// A finding as `--compare` matches it: by product (or domain file), policy, rule and
/// message, never by line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FindingKey {
    /// The product, `null` for a domain-level finding.
    pub product: Option<String>,
    /// Its domain.
    pub domain: Option<String>,
    /// Policy id.
    pub policy: String,
    /// Rule.
    pub rule: String,
    /// Message.
    pub message: String,
    /// Severity (not part of the match).
    pub severity: Severity,
}

/// What changed since an earlier report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The mesh's mean score then and now.
    pub mesh: ScoreDelta,
    /// Every domain of either report, as in `domains`.
    pub domains: Vec<DomainDelta>,
    /// The products whose score or level changed, that are new or that went, by path.
    pub products: Vec<ProductDelta>,
    /// Findings in this report and not in the earlier one (sorted).
    pub new_findings: Vec<FindingKey>,
    /// Findings in the earlier report and not in this one (sorted).
    pub fixed_findings: Vec<FindingKey>,
}

fn keys(findings: &[Finding]) -> Vec<FindingKey> {
    let mut v: Vec<FindingKey> = findings
        .iter()
        .map(|f| FindingKey {
            product: f.product.clone(),
            domain: f.domain.clone(),
            policy: f.policy.clone(),
            rule: f.rule.clone(),
            message: f.message.clone(),
            severity: f.severity,
        })
        .collect();
    v.sort();
    v
}

/// `a` minus `b`, as multisets matched without severity (both sorted).
fn minus(a: &[FindingKey], b: &[FindingKey]) -> Vec<FindingKey> {
    let id = |k: &FindingKey| {
        (
            k.product.clone(),
            k.domain.clone(),
            k.policy.clone(),
            k.rule.clone(),
            k.message.clone(),
        )
    };
    let mut left: BTreeMap<_, usize> = BTreeMap::new();
    for k in b {
        *left.entry(id(k)).or_default() += 1;
    }
    a.iter()
        .filter(|k| match left.get_mut(&id(k)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .cloned()
        .collect()
}

/// Reads an earlier JSON report (`--compare`); `file` names it in errors.
pub fn read_board(text: &str, file: &str) -> Result<Board, String> {
    #[derive(Deserialize)]
    struct Version {
        report_version: Option<u32>,
    }
    let v: Version = serde_json::from_str(text).map_err(|e| {
        format!(
            "{file}:{}:{}: not a `meshgate report --format json` report: {e}",
            e.line(),
            e.column()
        )
    })?;
    match v.report_version {
        Some(REPORT_VERSION) => {}
        Some(other) => {
            return Err(format!(
                "{file}: a report of version {other}, but this meshgate compares with version {REPORT_VERSION}: write the earlier report again with this version (`meshgate report --format json`)"
            ))
        }
        None => {
            return Err(format!(
                "{file}: no `report_version`: --compare takes an earlier `meshgate report --format json` (not a `check` result)"
            ))
        }
    }
    serde_json::from_str(text).map_err(|e| {
        format!(
            "{file}:{}:{}: not a `meshgate report --format json` report: {e}",
            e.line(),
            e.column()
        )
    })
}

/// What changed from `previous` to `current`.
pub fn compare(current: &Board, previous: &Board) -> Comparison {
    let now = keys(&current.findings);
    let then = keys(&previous.findings);
    let new_findings = minus(&now, &then);
    let fixed_findings = minus(&then, &now);
    let mut names: Vec<Option<String>> = current
        .domains
        .iter()
        .chain(&previous.domains)
        .map(|d| d.name.clone())
        .collect();
    names.sort_by(|a, b| (a.is_none(), a).cmp(&(b.is_none(), b)));
    names.dedup();
    let mean_of = |b: &Board, n: &Option<String>| {
        b.domains
            .iter()
            .find(|d| &d.name == n)
            .and_then(|d| d.stats.mean)
    };
    let domains = names
        .iter()
        .map(|n| DomainDelta {
            name: n.clone(),
            mean: ScoreDelta::new(mean_of(previous, n), mean_of(current, n)),
            new_findings: new_findings.iter().filter(|k| &k.domain == n).count(),
            fixed_findings: fixed_findings.iter().filter(|k| &k.domain == n).count(),
        })
        .collect();
    let products_of = |b: &Board| -> BTreeMap<String, ProductScore> {
        b.domains
            .iter()
            .flat_map(|d| d.product_scores.iter())
            .map(|p| (p.path.clone(), p.clone()))
            .collect()
    };
    let (before, after) = (products_of(previous), products_of(current));
    let mut paths: Vec<&String> = before.keys().chain(after.keys()).collect();
    paths.sort();
    paths.dedup();
    let products = paths
        .into_iter()
        .filter_map(|path| {
            let (b, a) = (before.get(path), after.get(path));
            let change = match (b, a) {
                (None, Some(_)) => "new",
                (Some(_), None) => "removed",
                (Some(b), Some(a)) if b.score != a.score || b.level != a.level => "changed",
                _ => return None,
            };
            Some(ProductDelta {
                path: path.clone(),
                domain: a.or(b).and_then(|p| p.domain.clone()),
                score: ScoreDelta::new(b.and_then(|p| p.score), a.and_then(|p| p.score)),
                level_before: b.and_then(|p| p.level),
                level_after: a.and_then(|p| p.level),
                change: change.to_string(),
            })
        })
        .collect();
    Comparison {
        mesh: ScoreDelta::new(previous.mesh.stats.mean, current.mesh.stats.mean),
        domains,
        products,
        new_findings,
        fixed_findings,
    }
}

/// The program that wrote a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// `meshgate`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// The ranges of the score distribution.
const BUCKETS: [(f64, f64, &str); 5] = [
    (0.0, 49.95, "0-49"),
    (49.95, 69.95, "50-69"),
    (69.95, 89.95, "70-89"),
    (89.95, 99.95, "90-99"),
    (99.95, 100.1, "100"),
];

/// Scored products per range of [`BUCKETS`].
fn distribution(products: &[&ProductScore]) -> Vec<Bucket> {
    BUCKETS
        .iter()
        .map(|&(lo, hi, range)| Bucket {
            range: range.to_string(),
            products: products
                .iter()
                .filter_map(|p| p.score)
                .filter(|&s| s >= lo && s < hi)
                .count(),
        })
        .collect()
}

impl Board {
    /// The report of the domain `domains[i]` alone: its scorecard is the overview, and only
    /// its findings and changes are kept (`--split-domains`).
    pub fn for_domain(&self, i: usize) -> Board {
        let d = &self.domains[i];
        let products: Vec<&ProductScore> = d.product_scores.iter().collect();
        let mut failing_policies = d.failing_policies.clone();
        failing_policies.truncate(10);
        Board {
            report_version: self.report_version,
            tool: self.tool.clone(),
            weights: self.weights,
            mesh: MeshCard {
                domains: usize::from(d.name.is_some()),
                stats: d.stats.clone(),
                distribution: distribution(&products),
                failing_policies,
            },
            domains: vec![d.clone()],
            policies: self.policies.clone(),
            findings: self
                .findings
                .iter()
                .filter(|f| f.domain == d.name)
                .cloned()
                .collect(),
            errors: self.errors.clone(),
            comparison: self.comparison.as_ref().map(|c| {
                let domains: Vec<DomainDelta> = c
                    .domains
                    .iter()
                    .filter(|x| x.name == d.name)
                    .cloned()
                    .collect();
                Comparison {
                    mesh: domains
                        .first()
                        .map_or_else(|| ScoreDelta::new(None, d.stats.mean), |x| x.mean.clone()),
                    domains,
                    products: c
                        .products
                        .iter()
                        .filter(|p| p.domain == d.name)
                        .cloned()
                        .collect(),
                    new_findings: c
                        .new_findings
                        .iter()
                        .filter(|k| k.domain == d.name)
                        .cloned()
                        .collect(),
                    fixed_findings: c
                        .fixed_findings
                        .iter()
                        .filter(|k| k.domain == d.name)
                        .cloned()
                        .collect(),
                }
            }),
            history: self.history.as_ref().map(|h| {
                h.iter()
                    .map(|p| {
                        let mine: Vec<(Option<String>, Option<f64>)> = p
                            .domains
                            .iter()
                            .filter(|(n, _)| *n == d.name)
                            .cloned()
                            .collect();
                        crate::history::HistoryPoint {
                            mean: mine.first().and_then(|(_, m)| *m),
                            domains: mine,
                            ..p.clone()
                        }
                    })
                    .collect()
            }),
        }
    }
}

/// Scores every product and draws up the domain scorecards and the mesh overview.
pub fn board(input: &Input, weights: &ScoreWeights) -> Board {
    let scores: Vec<ProductScore> = input
        .products
        .iter()
        .map(|p| score_product(p, &input.policies, weights))
        .collect();
    let index: BTreeMap<&str, usize> = input
        .products
        .iter()
        .enumerate()
        .map(|(i, p)| (p.path.as_str(), i))
        .collect();
    let mut owners: BTreeMap<Option<String>, Option<String>> =
        input.domains.iter().cloned().collect();
    for p in &scores {
        owners.entry(p.domain.clone()).or_default();
    }
    let mut names: Vec<Option<String>> = owners.keys().cloned().collect();
    names.sort_by(|a, b| (a.is_none(), a).cmp(&(b.is_none(), b)));
    let domains: Vec<DomainCard> = names
        .into_iter()
        .map(|name| {
            let mine: Vec<&ProductScore> = scores.iter().filter(|p| p.domain == name).collect();
            let mut worst: Vec<Worst> = mine
                .iter()
                .filter_map(|p| {
                    Some(Worst {
                        path: p.path.clone(),
                        score: p.score?,
                        level: p.level,
                    })
                })
                .collect();
            worst.sort_by(|a, b| {
                a.score
                    .total_cmp(&b.score)
                    .then_with(|| a.path.cmp(&b.path))
            });
            worst.truncate(5);
            DomainCard {
                owner: owners.get(&name).cloned().flatten(),
                stats: stats(&mine),
                failing_policies: failing(&mine, input, &index),
                worst,
                product_scores: mine.into_iter().cloned().collect(),
                name,
            }
        })
        .collect();
    let all: Vec<&ProductScore> = scores.iter().collect();
    let distribution = distribution(&all);
    let mut failing_policies = failing(&all, input, &index);
    failing_policies.truncate(10);
    Board {
        report_version: REPORT_VERSION,
        tool: Tool {
            name: "meshgate".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        weights: *weights,
        mesh: MeshCard {
            domains: domains.iter().filter(|d| d.name.is_some()).count(),
            stats: stats(&all),
            distribution,
            failing_policies,
        },
        domains,
        policies: input.policies.clone(),
        findings: input.findings.clone(),
        errors: input.errors.clone(),
        comparison: None,
        history: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(id: &str, severity: Severity, level: Level) -> PolicyInfo {
        PolicyInfo {
            id: id.to_string(),
            domain: None,
            title: None,
            severity,
            level,
        }
    }

    fn product(outcomes: &str) -> ProductInput {
        ProductInput {
            path: "domains/d/products/p/dataproduct.yaml".to_string(),
            domain: Some("d".to_string()),
            status: Status::Fail,
            unparsed: false,
            outcomes: outcomes
                .chars()
                .map(|c| match c {
                    'p' => Some(Outcome::Pass),
                    'f' => Some(Outcome::Fail),
                    'e' => Some(Outcome::Error),
                    'n' => Some(Outcome::NotApplicable),
                    's' => Some(Outcome::Skipped),
                    _ => None,
                })
                .collect(),
        }
    }

    /// error/bronze, warning/silver, info/gold, error/silver.
    fn policies() -> Vec<PolicyInfo> {
        vec![
            policy("a.err", Severity::Error, Level::Bronze),
            policy("b.warn", Severity::Warning, Level::Silver),
            policy("c.info", Severity::Info, Level::Gold),
            policy("d.err", Severity::Error, Level::Silver),
        ]
    }

    fn score(outcomes: &str) -> ProductScore {
        score_product(&product(outcomes), &policies(), &ScoreWeights::default())
    }

    #[test]
    fn weighted_share_of_passes() {
        // Passes 10 + 1 of 10 + 5 + 1 + 10 = 26: 42.3.
        let s = score("pfpf");
        assert_eq!(s.score, Some(42.3));
        assert_eq!((s.passed, s.failed), (2, 2));
        // Bronze passes, silver fails (b.warn, d.err): bronze, next silver, blocked by both,
        // the error-level one first.
        assert_eq!(s.level, Some(Tier::Bronze));
        assert_eq!(s.next_level, Some(Tier::Silver));
        assert_eq!(s.blocking, ["d.err", "b.warn"]);
        let s = score("pppp");
        assert_eq!(
            (s.score, s.level, s.next_level),
            (Some(100.0), Some(Tier::Gold), None)
        );
        assert!(s.blocking.is_empty());
        // Only the gold info policy fails: 25 of 26 = 96.2, silver, blocked by c.info.
        let s = score("ppfp");
        assert_eq!((s.score, s.level), (Some(96.2), Some(Tier::Silver)));
        assert_eq!(s.blocking, ["c.info"]);
    }

    #[test]
    fn an_evaluation_error_counts_as_failed() {
        // a.err errored: 5 + 1 + 10 of 26 = 61.5, level none, blocked by a.err.
        let s = score("eppp");
        assert_eq!((s.score, s.level), (Some(61.5), Some(Tier::None)));
        assert_eq!(s.blocking, ["a.err"]);
        assert_eq!(s.failed, 1);
    }

    #[test]
    fn not_applicable_is_in_neither_sum() {
        // b.warn and d.err do not apply: 10 + 1 of 11 = 100 with c.info passing.
        let s = score("pnpn");
        assert_eq!((s.score, s.level), (Some(100.0), Some(Tier::Gold)));
        assert_eq!(s.not_applicable, ["b.warn", "d.err"]);
        // a.err fails, the rest n/a: 0 of 10 (+1 for c.info passing) = 1 of 11 = 9.1.
        assert_eq!(score("fnpn").score, Some(9.1));
    }

    #[test]
    fn no_applicable_policy_means_no_score() {
        let s = score("nnnn");
        assert_eq!((s.score, s.level, s.next_level), (None, None, None));
        let s = score_product(&product(""), &[], &ScoreWeights::default());
        assert_eq!((s.score, s.level), (None, None));
    }

    #[test]
    fn an_unparsed_descriptor_scores_zero_and_a_template_is_not_scored() {
        let mut p = product("eeee");
        p.status = Status::Error;
        p.unparsed = true;
        let s = score_product(&p, &policies(), &ScoreWeights::default());
        assert_eq!((s.score, s.level), (Some(0.0), Some(Tier::None)));
        // Even with no policy at all.
        let mut p = product("");
        p.status = Status::Error;
        p.unparsed = true;
        assert_eq!(
            score_product(&p, &[], &ScoreWeights::default()).score,
            Some(0.0)
        );
        let mut t = product("ssss");
        t.status = Status::Skipped;
        let s = score_product(&t, &policies(), &ScoreWeights::default());
        assert_eq!((s.score, s.level), (None, None));
    }

    #[test]
    fn only_warnings() {
        let ps = vec![
            policy("w1", Severity::Warning, Level::Bronze),
            policy("w2", Severity::Warning, Level::Bronze),
            policy("w3", Severity::Warning, Level::Bronze),
        ];
        // 2 of 3 warnings: 10 of 15 = 66.7; a bronze one fails: none.
        let s = score_product(&product("pfp"), &ps, &ScoreWeights::default());
        assert_eq!((s.score, s.level), (Some(66.7), Some(Tier::None)));
        assert_eq!(s.blocking, ["w2"]);
        // The weights are the configuration's: with warning = 0 there is nothing to weigh.
        let w = ScoreWeights {
            error: 10,
            warning: 0,
            info: 1,
        };
        assert_eq!(score_product(&product("pfp"), &ps, &w).score, None);
    }

    #[test]
    fn a_policy_without_level_is_bronze() {
        // Read back from a check's JSON, a policy with no `level` is bronze; one with no
        // severity and only warn rules counts as a warning.
        let json = r#"{"version": 2, "domains": [{"name": "d", "owner": "team-d"}],
          "products": [{"path": "p.yaml", "domain": "d", "standard": "dpds", "status": "fail", "outcomes": "fp"}],
          "policies": [{"id": "x", "domain": null, "title": null, "severity": null, "rules": ["deny"]},
                       {"id": "y", "domain": "d", "title": null, "severity": null, "rules": ["warn"], "level": "gold"}],
          "findings": [], "errors": []}"#;
        let input = Input::from_check_json(json, "r.json").unwrap();
        assert_eq!(input.policies[0].level, Level::Bronze);
        assert_eq!(input.policies[0].severity, Severity::Error);
        assert_eq!(input.policies[1].severity, Severity::Warning);
        let s = score_product(
            &input.products[0],
            &input.policies,
            &ScoreWeights::default(),
        );
        // x (bronze, 10) fails; y (gold, 5) and the built-in checks (10 + 10 + 5, no
        // finding) pass: 30 of 40 = 75.0, none, blocked by x.
        assert_eq!(input.policies.len(), 5);
        assert_eq!((s.score, s.level), (Some(75.0), Some(Tier::None)));
        assert_eq!(s.blocking, ["x"]);
    }

    #[test]
    fn a_built_in_finding_fails_its_built_in_policy() {
        // A layout error on the product: meshgate.layout (bronze, error) fails: 15 of 25 = 60.
        let finding = r#"{"product": "p.yaml", "domain": "d", "policy": "meshgate.layout", "rule": "domain-mismatch",
            "id": "domain-mismatch", "severity": "error", "message": "m", "path": null, "location": null, "help": null,
            "fingerprint": "0"}"#;
        let json = format!(
            r#"{{"version": 2, "domains": [], "products": [{{"path": "p.yaml", "domain": "d", "standard": "dpds",
              "status": "fail", "outcomes": ""}}], "policies": [], "findings": [{finding}], "errors": []}}"#
        );
        let input = Input::from_check_json(&json, "r.json").unwrap();
        let s = score_product(
            &input.products[0],
            &input.policies,
            &ScoreWeights::default(),
        );
        assert_eq!((s.score, s.level), (Some(60.0), Some(Tier::None)));
        assert_eq!(s.blocking, ["meshgate.layout"]);
    }

    #[test]
    fn check_json_errors_say_where() {
        let e = Input::from_check_json("{\n  \"version\": 2,\n  \"domains\": 3\n}", "r.json")
            .unwrap_err();
        assert!(e.starts_with("r.json:3:"), "{e}");
        let e = Input::from_check_json(
            r#"{"version": 2, "domains": [], "products": [{"path": "p", "domain": null, "standard": null, "status": "pass", "outcomes": "pp"}], "policies": [], "findings": [], "errors": []}"#,
            "r.json",
        )
        .unwrap_err();
        assert!(
            e.contains("`outcomes` has 2 letters, but 0 policies"),
            "{e}"
        );
        let e = Input::from_check_json(r#"{"version": 1, "domains": [], "products": [], "policies": [], "findings": [], "errors": []}"#, "r.json").unwrap_err();
        assert!(e.contains("schema version 1"), "{e}");
    }

    #[test]
    fn domain_and_mesh_statistics() {
        let ps = policies();
        let mut input = Input {
            policies: ps,
            products: Vec::new(),
            domains: vec![
                (Some("d".into()), Some("team".into())),
                (Some("e".into()), None),
            ],
            findings: Vec::new(),
            errors: Vec::new(),
            incomplete: false,
        };
        for (i, o) in ["pppp", "pfpf", "eppp", "nnnn"].iter().enumerate() {
            let mut p = product(o);
            p.path = format!("domains/d/products/p{i}/dataproduct.yaml");
            input.products.push(p);
        }
        let b = board(&input, &ScoreWeights::default());
        let d = &b.domains[0];
        assert_eq!(d.owner.as_deref(), Some("team"));
        // Scores 100, 42.3, 61.5; the fourth has none.
        assert_eq!((d.stats.products, d.stats.scored), (4, 3));
        assert_eq!(d.stats.mean, Some(67.9));
        assert_eq!(d.stats.median, Some(61.5));
        assert_eq!(d.stats.min, Some(42.3));
        assert_eq!(
            d.stats.levels,
            LevelCounts {
                none: 1,
                bronze: 1,
                silver: 0,
                gold: 1
            }
        );
        assert_eq!(
            d.worst.iter().map(|w| w.score).collect::<Vec<_>>(),
            [42.3, 61.5, 100.0]
        );
        let hits: Vec<(&str, usize)> = d
            .failing_policies
            .iter()
            .map(|h| (h.policy.as_str(), h.products))
            .collect();
        assert_eq!(hits, [("a.err", 1), ("b.warn", 1), ("d.err", 1)]);
        // The empty domain still has its row.
        assert_eq!(b.domains[1].name.as_deref(), Some("e"));
        assert_eq!(b.domains[1].stats.mean, None);
        assert_eq!(b.mesh.domains, 2);
        let dist: Vec<usize> = b.mesh.distribution.iter().map(|x| x.products).collect();
        assert_eq!(dist, [1, 1, 0, 0, 1]);
    }
}
