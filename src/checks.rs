//! The built-in layout checks, which need no Rego: products outside any domain, a descriptor
//! naming another domain than its folder, the same product declared twice. Their rules are
//! registered in [`crate::rules`].

use std::collections::BTreeMap;

use crate::descriptor::{self, Pos, Standard};
use crate::findings::{Finding, Location, Severity, POLICY_LAYOUT};
use crate::product::Product;

/// `.rego` files that no policy folder reaches: a warning each, on the file (a domain-level
/// finding under `domains/<d>/`, else a finding on the repository), so that a misplaced policy
/// (`domains/orders/policy/`) does not go unnoticed while it is never evaluated.
pub fn stray_policies(paths: &[String]) -> Vec<Finding> {
    paths
        .iter()
        .map(|path| {
            let domain = match path.split('/').collect::<Vec<_>>().as_slice() {
                ["domains", d, _, ..] => Some(d.to_string()),
                _ => None,
            };
            let mut f = Finding::builtin(
                POLICY_LAYOUT,
                "stray-policy",
                path,
                domain.as_deref(),
                Severity::Warning,
                "this policy file is not evaluated: no policy folder reaches it".to_string(),
                Location::new(path, Pos::START, 1),
                Some(STRAY_HELP.to_string()),
            );
            f.product = None;
            f
        })
        .collect()
}

const STRAY_HELP: &str = "move it into `policies/` (global) or `domains/<domain>/policies/` (domain-local), add its folder to `policies` in meshgate.toml, or list it under `exclude`";

/// The domain a product's descriptor declares, and where.
fn declared_domain(p: &Product) -> Option<(String, descriptor::Span)> {
    let node = p.view.as_ref().or(p.root.as_ref())?.get("domain")?;
    let text = node.as_str()?;
    // Witboost writes domains as `domain:<name>`.
    let name = text.strip_prefix("domain:").unwrap_or(text);
    Some((name.to_string(), node.span))
}

/// Built-in layout checks: products outside any domain, domain mismatches.
pub fn layout(products: &[Product]) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in products {
        let layout = |rule: &str,
                      message: String,
                      location: Location,
                      path: Option<String>,
                      help: String| Finding {
            path,
            ..Finding::builtin(
                POLICY_LAYOUT,
                rule,
                &p.path,
                p.domain.as_deref(),
                Severity::Error,
                message,
                location,
                Some(help),
            )
        };
        match &p.domain {
            None => out.push(layout(
                "outside-domain",
                "product is outside any domain".to_string(),
                Location::new(&p.path, Pos::START, 1),
                None,
                "move it to domains/<domain>/products/<product>/, or exclude it in meshgate.toml"
                    .to_string(),
            )),
            Some(folder) => {
                if let Some((declared, span)) = declared_domain(p) {
                    let field = p.standard.unwrap_or(Standard::Custom).domain_field();
                    if &declared != folder {
                        out.push(layout(
                            "domain-mismatch",
                            format!("descriptor says domain `{declared}` but the product is in the folder of domain `{folder}`"),
                            p.location(span),
                            Some(field.to_string()),
                            format!("set `{field}` to `{folder}`, or move the product to domains/{declared}/"),
                        ));
                    }
                }
            }
        }
    }
    out
}

/// The same product declared twice: the same id in several descriptors, or the same
/// descriptor in two formats side by side (`dataproduct.yaml` and `dataproduct.json`).
/// Every copy after the first (in path order) gets a finding naming the first.
pub fn duplicates(products: &[Product]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut first_by_id: BTreeMap<&str, &str> = BTreeMap::new();
    let mut first_by_stem: BTreeMap<String, &str> = BTreeMap::new();
    for p in products {
        if p.skipped.is_some() || p.root.is_none() {
            continue;
        }
        let id = p
            .view
            .as_ref()
            .and_then(|v| v.entry("id"))
            .and_then(|e| e.value.as_str().map(|s| (s, e.value.span)));
        let stem = match p.path.rsplit_once('.') {
            Some((stem, _)) => stem.to_string(),
            None => p.path.clone(),
        };
        let mut dup = |first: &str, what: String, span: descriptor::Span| {
            out.push(Finding::builtin(
                POLICY_LAYOUT,
                "duplicate-product",
                &p.path,
                p.domain.as_deref(),
                Severity::Error,
                format!("{what} is also declared by {first}: the same product is counted twice"),
                p.location(span),
                Some("keep one descriptor per product: delete or exclude the copy, or give it its own id".to_string()),
            ))
        };
        if let Some((id, span)) = id {
            if let Some(first) = first_by_id.get(id) {
                dup(first, format!("product id `{id}`"), span);
                continue;
            }
            first_by_id.insert(id, &p.path);
        }
        let root_span = p.root.as_ref().map(|r| r.span).unwrap_or_default();
        match first_by_stem.get(&stem) {
            Some(first) => dup(
                first,
                "this descriptor (same name, other format)".to_string(),
                root_span,
            ),
            None => {
                first_by_stem.insert(stem, &p.path);
            }
        }
    }
    out
}
