//! Summaries: counts per severity, per domain and overall.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::check::{ProductReport, Status};
use crate::findings::{Finding, Severity};

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
}

/// Totals of a whole check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Products found.
    pub products: usize,
    /// Domains found.
    pub domains: usize,
    /// Policies loaded (global and domain-local).
    pub policies: usize,
    /// Policy × product evaluations performed.
    pub evaluations: usize,
    /// Findings by severity.
    pub findings: SeverityCounts,
    /// Products with status `pass`.
    pub products_passing: usize,
    /// Products with status `fail`.
    pub products_failing: usize,
    /// Products with status `error`.
    pub products_error: usize,
    /// Products with status `skipped` (templates).
    pub products_skipped: usize,
    /// Products on which a policy could not be evaluated (internal: drives exit code 2).
    #[serde(skip)]
    pub products_error_eval: usize,
}

/// Totals of one domain.
#[derive(Debug, Clone, Serialize)]
pub struct DomainSummary {
    /// Domain name (`null` groups products outside any domain).
    pub name: Option<String>,
    /// Products in it.
    pub products: usize,
    /// Of which passing.
    pub passing: usize,
    /// Of which failing.
    pub failing: usize,
    /// Of which in error.
    pub errors: usize,
    /// Of which skipped (templates).
    pub skipped: usize,
    /// Findings by severity.
    pub findings: SeverityCounts,
}

/// Computes the overall and per-domain summaries.
pub fn summarize(
    products: &[ProductReport],
    findings: &[Finding],
    domains: &[String],
) -> (Summary, Vec<DomainSummary>) {
    let mut per: BTreeMap<Option<String>, DomainSummary> = domains
        .iter()
        .map(|d| {
            (
                Some(d.clone()),
                DomainSummary {
                    name: Some(d.clone()),
                    products: 0,
                    passing: 0,
                    failing: 0,
                    errors: 0,
                    skipped: 0,
                    findings: SeverityCounts::default(),
                },
            )
        })
        .collect();
    let mut s = Summary {
        products: products.len(),
        domains: domains.len(),
        ..Summary::default()
    };
    let entry = |per: &mut BTreeMap<Option<String>, DomainSummary>, d: &Option<String>| {
        per.entry(d.clone()).or_insert_with(|| DomainSummary {
            name: d.clone(),
            products: 0,
            passing: 0,
            failing: 0,
            errors: 0,
            skipped: 0,
            findings: SeverityCounts::default(),
        });
    };
    for p in products {
        entry(&mut per, &p.domain);
        let Some(d) = per.get_mut(&p.domain) else {
            continue;
        };
        d.products += 1;
        match p.status {
            Status::Pass => {
                d.passing += 1;
                s.products_passing += 1;
            }
            Status::Fail => {
                d.failing += 1;
                s.products_failing += 1;
            }
            Status::Error => {
                d.errors += 1;
                s.products_error += 1;
            }
            Status::Skipped => {
                d.skipped += 1;
                s.products_skipped += 1;
            }
        }
    }
    for f in findings {
        s.findings.add(f.severity);
        entry(&mut per, &f.domain);
        if let Some(d) = per.get_mut(&f.domain) {
            d.findings.add(f.severity);
        }
    }
    // Named domains first (sorted), then products outside any domain.
    let mut list: Vec<DomainSummary> = per.into_values().collect();
    list.sort_by(|a, b| (a.name.is_none(), &a.name).cmp(&(b.name.is_none(), &b.name)));
    (s, list)
}
