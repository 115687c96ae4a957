//! Parallel evaluation: every policy of a product's set on every product, one engine clone per worker.

use std::collections::HashMap;

use rayon::prelude::*;
use regorus::Value;

use crate::descriptor::{format_path, parse_path, PathSeg};
use crate::findings::{Finding, Location, Severity};
use crate::policy::{split_regorus_error, Library, Policy};
use crate::product::Product;

/// What evaluating one product produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Policy findings (unsorted).
    pub findings: Vec<Finding>,
    /// Whether some policy failed to evaluate on it (fail closed).
    pub errored: bool,
    /// Number of policies evaluated.
    pub evaluations: usize,
}

fn member_path(v: &Value) -> Option<Vec<PathSeg>> {
    match v {
        Value::String(s) => parse_path(s).ok(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Some(PathSeg::Key(s.to_string())),
                Value::Number(_) => i.as_u64().ok().map(|n| PathSeg::Index(n as usize)),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

struct Member {
    msg: String,
    path: Option<Vec<PathSeg>>,
    id: Option<String>,
    severity: Option<Severity>,
}

fn member(v: &Value) -> Result<Member, String> {
    match v {
        Value::String(s) => Ok(Member {
            msg: s.to_string(),
            path: None,
            id: None,
            severity: None,
        }),
        Value::Object(obj) => {
            let get = |k: &str| obj.get(&Value::from(k));
            let msg = match get("msg") {
                Some(Value::String(s)) => s.to_string(),
                _ => return Err("an object member without a string `msg` field".to_string()),
            };
            let severity = match get("severity") {
                Some(Value::String(s)) => Some(s.parse::<Severity>()?),
                Some(_) => return Err("a `severity` that is not a string".to_string()),
                None => None,
            };
            Ok(Member {
                msg,
                path: get("path").and_then(member_path),
                id: match get("id") {
                    Some(Value::String(s)) => Some(s.to_string()),
                    _ => None,
                },
                severity,
            })
        }
        other => Err(format!(
            "a member that is neither a string nor an object with `msg`: {}",
            other.to_json_str().unwrap_or_default()
        )),
    }
}

/// Drops run-dependent details (elapsed nanoseconds) so output is deterministic.
fn stable_message(message: &str) -> String {
    match message.find(" (elapsed=") {
        Some(i) if message.starts_with("execution exceeded time limit") => {
            let limit = message[i..].split("limit=").nth(1).and_then(|r| {
                r.trim_end_matches(')')
                    .trim_end_matches("ns")
                    .parse::<u128>()
                    .ok()
            });
            match limit {
                Some(ns) => format!("execution exceeded the time limit of {} ms", ns / 1_000_000),
                None => message[..i].to_string(),
            }
        }
        _ => message.to_string(),
    }
}

/// Help text for a regorus error message.
fn error_help(message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("could not find function ") {
        return Some(format!(
            "the builtin `{}` is not available in meshgate's Rego engine (regorus); rewrite the rule without it",
            rest.trim()
        ));
    }
    if message.contains("time limit")
        || message.contains("timed out")
        || message.contains("exceeded")
    {
        return Some("the rule ran past the time limit: make it cheaper, or raise `policy-timeout-ms` in meshgate.toml".to_string());
    }
    None
}

/// A Rego reference to `data.<package>.<rule>`, bracketing segments that are not identifiers.
fn rule_ref(package: &str, rule: &str) -> String {
    let mut out = String::from("data");
    for seg in package.split('.').chain([rule]) {
        let ident = seg
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ident {
            out.push('.');
            out.push_str(seg);
        } else {
            out.push_str(&format!("[{}]", serde_json::Value::from(seg)));
        }
    }
    out
}

/// The `with` clause that gives a query the product's descriptor as `input` and its facts as
/// `data.meshgate.product`, both taken from the wrapper set as the engine's input.
///
/// Facts go through `with` rather than `Engine::add_data` because adding data un-prepares a
/// regorus engine: every product would then pay for re-analysing all policies (measured: ~75% of
/// the run). `with` keeps one prepared engine per worker. OPA gives the same semantics, so
/// `opa eval` on what `meshgate inspect` prints reproduces the verdict.
const WITH_PRODUCT: &str =
    " with input as input.descriptor with data.meshgate.product as input.product";

/// Package of the module meshgate adds to each worker's engine to evaluate every rule of a set
/// in one rule evaluation (reserved: user policies cannot declare `meshgate.*`).
const EVAL_PACKAGE: &str = "meshgate.internal.evaluate";

/// The queries a worker runs for one policy set, built once per set.
struct SetQueries {
    /// A module whose rule `results` is `[data.a.deny, data.a.warn, …]` evaluated `with` the
    /// product: every rule of the set in one evaluation, without parsing a query per product.
    module: String,
    /// One query per (policy index, rule), in the same order as the elements of `all`.
    each: Vec<(usize, &'static str, String)>,
}

impl SetQueries {
    fn new(set_policies: &[usize], lib: &Library) -> SetQueries {
        let mut each = Vec::new();
        for &pi in set_policies {
            let policy = &lib.policies[pi];
            for rule in &policy.rules {
                let r = rule_ref(&policy.package, rule);
                each.push((pi, *rule, format!("{r}{WITH_PRODUCT}")));
            }
        }
        let refs: Vec<String> = set_policies
            .iter()
            .flat_map(|&pi| {
                let policy = &lib.policies[pi];
                policy.rules.iter().map(|r| rule_ref(&policy.package, r))
            })
            .collect();
        SetQueries {
            module: format!(
                "package {EVAL_PACKAGE}\n\nresults := r if {{\n\tr := [{}]{WITH_PRODUCT}\n}}\n",
                refs.join(", ")
            ),
            each,
        }
    }
}

/// The single value of a query's result, or `Undefined` when the query had no result.
fn query_value(result: regorus::QueryResults) -> Value {
    result
        .result
        .into_iter()
        .next()
        .and_then(|r| r.expressions.into_iter().next())
        .map(|e| e.value)
        .unwrap_or(Value::Undefined)
}

/// Evaluates every rule of the set on one product. The fast path evaluates all rules in one
/// query; if that fails (an error, a time-out), each rule is evaluated on its own so that errors
/// are attributed to the rule that raised them and the other rules still count.
fn eval_product(
    engine: &mut regorus::Engine,
    queries: &SetQueries,
    lib: &Library,
    p: &Product,
    input: &Value,
) -> Outcome {
    let wrapper: Value = [
        (Value::from("descriptor"), input.clone()),
        (Value::from("product"), p.facts.clone()),
    ]
    .into_iter()
    .collect::<regorus::value::Object>()
    .into();
    engine.set_input(wrapper);
    let combined = engine.eval_rule(format!("data.{EVAL_PACKAGE}.results"));
    let values: Vec<Result<Value, String>> = match combined {
        Ok(Value::Array(items)) if items.len() == queries.each.len() => {
            items.iter().cloned().map(Ok).collect()
        }
        _ => queries
            .each
            .iter()
            .map(|(_, _, q)| {
                engine
                    .eval_query(q.clone(), false)
                    .map(query_value)
                    .map_err(|e| e.to_string())
            })
            .collect(),
    };
    let mut out = Outcome::default();
    let mut last_policy = None;
    for ((pi, rule, _), result) in queries.each.iter().zip(values) {
        let policy: &Policy = &lib.policies[*pi];
        if last_policy != Some(*pi) {
            out.evaluations += 1;
            last_policy = Some(*pi);
        }
        let error = |message: String, location: Option<Location>| {
            let help = error_help(&message);
            Finding {
                product: p.path.clone(),
                domain: p.domain.clone(),
                policy: policy.package.clone(),
                rule: rule.to_string(),
                id: Some("policy-error".to_string()),
                severity: Severity::Error,
                message: format!("policy failed to evaluate: {message}"),
                path: None,
                location,
                help,
            }
        };
        let value = match result {
            Ok(v) => v,
            Err(e) => {
                let (loc, message) = split_regorus_error(&e);
                let message = stable_message(&message);
                let location = loc.map(|(file, pos)| Location::new(&file, pos, 1));
                out.findings.push(error(message, location));
                out.errored = true;
                continue;
            }
        };
        let members: Vec<&Value> = match &value {
            Value::Undefined => Vec::new(),
            Value::Set(s) => s.iter().collect(),
            Value::Array(a) => a.iter().collect(),
            other => {
                out.findings.push(error(
                    format!(
                        "`{rule}` must be a set of messages, got {}",
                        other.to_json_str().unwrap_or_default()
                    ),
                    None,
                ));
                out.errored = true;
                continue;
            }
        };
        for m in members {
            match member(m) {
                Ok(m) => {
                    let location = p.locate(m.path.as_deref().unwrap_or(&[]));
                    out.findings.push(Finding {
                        product: p.path.clone(),
                        domain: p.domain.clone(),
                        policy: policy.package.clone(),
                        rule: rule.to_string(),
                        id: m.id,
                        severity: m.severity.unwrap_or_else(|| policy.default_severity(rule)),
                        message: m.msg,
                        path: m.path.as_deref().map(format_path),
                        location,
                        help: policy.metadata.remediation.clone(),
                    });
                }
                Err(why) => {
                    out.findings
                        .push(error(format!("`{rule}` returned {why}"), None));
                    out.errored = true;
                }
            }
        }
    }
    out
}

/// Evaluates every product that parsed against the policy set of its domain, in parallel.
/// Results come back in the order of `products`.
pub fn evaluate(products: &[Product], lib: &Library) -> Vec<Outcome> {
    products
        .par_iter()
        .map_init(
            HashMap::<Option<String>, (regorus::Engine, SetQueries)>::new,
            |workers, p| {
                let Some(input) = &p.input else {
                    return Outcome::default();
                };
                let set = lib.set_for(p.domain.as_deref());
                if set.policies.is_empty() {
                    return Outcome::default();
                }
                let key = if lib.domains.contains_key(p.domain.as_deref().unwrap_or("")) {
                    p.domain.clone()
                } else {
                    None
                };
                let (engine, queries) = workers.entry(key).or_insert_with(|| {
                    let queries = SetQueries::new(&set.policies, lib);
                    let mut engine = set.engine.clone();
                    // On failure the combined rule is undefined and every product takes the
                    // rule-by-rule path, which is slower but still exact.
                    let _ = engine.add_policy("<meshgate>".to_string(), queries.module.clone());
                    (engine, queries)
                });
                eval_product(engine, queries, lib, p, input)
            },
        )
        .collect()
}
