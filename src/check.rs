//! The check pipeline: discover → parse descriptors → load policies → evaluate → findings → summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;
use regorus::Value;
use serde::Serialize;

use crate::config::{Config, ConfigError};
use crate::descriptor::{self, Format, Limits, Node, NodeValue, Pos, Standard};
use crate::discover::{self, DiscoverError, Inventory};
use crate::engine;
use crate::findings::{
    sort_findings, Finding, Location, RunError, Severity, POLICY_LAYOUT, POLICY_PARSE,
};
use crate::library;
use crate::policy::{self, Library, Origin, PolicySource};
use crate::product::{self, LoadOptions, LoadedProduct, Product};
use crate::score::{self, Summary};

/// What to check and how.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The mesh repository root.
    pub root: PathBuf,
    /// Global policy folders (override the config's `policies` when not empty).
    pub policy_dirs: Vec<String>,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Lowest severity that fails the run (`None`: never fail on findings).
    pub fail_on: Option<Severity>,
    /// Only discover and parse (built-in checks); evaluate no policy.
    pub parse_only: bool,
    /// Accept duplicate keys with a warning (overrides `lenient-keys = false` in the config).
    pub lenient_keys: bool,
    /// Which Rego evaluator runs the policies.
    pub evaluator: engine::Evaluator,
}

/// A problem that stops the check before it starts (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    /// `meshgate.toml` is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The repository could not be walked.
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    /// A requested policy folder does not exist.
    #[error("policy folder `{0}` does not exist")]
    MissingPolicyDir(String),
    /// The thread pool could not be created.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// A domain folder with its parsed `domain.yaml`.
#[derive(Debug, Clone)]
pub struct Domain {
    /// Folder name.
    pub name: String,
    /// Repo-relative path of its descriptor.
    pub path: Option<String>,
    /// The parsed descriptor.
    pub descriptor: Option<Node>,
}

/// A parsed mesh repository: everything that is known before policies run.
pub struct Mesh {
    /// The repository root.
    pub root: PathBuf,
    /// Its configuration.
    pub config: Config,
    /// What the walk found.
    pub inventory: Inventory,
    /// Every product, parsed or not, sorted by path.
    pub products: Vec<Product>,
    /// Every domain, sorted by name.
    pub domains: Vec<Domain>,
    /// Findings of the built-in checks (parse errors, layout).
    pub builtin_findings: Vec<Finding>,
    /// Source text of every file read, by repo-relative path (for snippets).
    pub sources: BTreeMap<String, Arc<str>>,
}

/// Builds a thread pool with large stacks (deep policies and documents recurse).
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, Fatal> {
    let mut b = rayon::ThreadPoolBuilder::new().stack_size(64 << 20);
    if let Some(n) = threads {
        b = b.num_threads(n.max(1));
    }
    b.build().map_err(|e| Fatal::Threads(e.to_string()))
}

/// Walks and parses the repository (call inside the thread pool to parse in parallel).
pub fn load_mesh(opts: &CheckOptions) -> Result<Mesh, Fatal> {
    let config = Config::load(&opts.root)?;
    let inventory = discover::discover(&opts.root, &config, &opts.policy_dirs)?;
    // A missing policy folder is an error unless it is the default `policies/` (then the
    // shipped library is used).
    let explicit = !opts.policy_dirs.is_empty() || config.policies != Config::default().policies;
    if let Some(missing) = inventory.missing_policy_dirs.first().filter(|_| explicit) {
        return Err(Fatal::MissingPolicyDir(missing.clone()));
    }
    let limits = Limits {
        max_bytes: config.max_descriptor_bytes,
        lenient_keys: config.lenient_keys || opts.lenient_keys,
        ..Limits::default()
    };
    let load_opts = LoadOptions {
        root: &opts.root,
        limits: &limits,
        resolve_refs: config.resolve_refs,
    };
    let loaded: Vec<LoadedProduct> = inventory
        .products
        .par_iter()
        .map(|pf| product::load(&pf.path, pf.domain.as_deref(), &load_opts))
        .collect();

    let mut sources = BTreeMap::new();
    let mut builtin_findings = Vec::new();
    let mut products = Vec::with_capacity(loaded.len());
    for l in loaded {
        sources.extend(l.texts);
        builtin_findings.extend(l.findings);
        products.push(l.product);
    }

    let mut domains = Vec::new();
    for d in &inventory.domains {
        let mut descriptor = None;
        if let Some(path) = &d.descriptor {
            let result = product::read_limited(&opts.root.join(path), &limits).and_then(|bytes| {
                sources.insert(path.clone(), String::from_utf8_lossy(&bytes).into());
                descriptor::parse(&bytes, Format::from_path(Path::new(path)), &limits)
            });
            match result {
                Ok(node) => descriptor = Some(node),
                Err(e) => builtin_findings.push(product::parse_finding(
                    path,
                    path,
                    Some(&d.name),
                    &e,
                    Severity::Error,
                )),
            }
        }
        domains.push(Domain {
            name: d.name.clone(),
            path: d.descriptor.clone(),
            descriptor,
        });
    }

    builtin_findings.extend(layout_findings(&products));
    builtin_findings.extend(duplicate_findings(&products));

    Ok(Mesh {
        root: opts.root.clone(),
        config,
        inventory,
        products,
        domains,
        builtin_findings,
        sources,
    })
}

/// The domain a product's descriptor declares, and where.
fn declared_domain(p: &Product) -> Option<(String, descriptor::Span)> {
    let node = p.view.as_ref().or(p.root.as_ref())?.get("domain")?;
    let text = node.as_str()?;
    // Witboost writes domains as `domain:<name>`.
    let name = text.strip_prefix("domain:").unwrap_or(text);
    Some((name.to_string(), node.span))
}

/// Built-in layout checks: products outside any domain, domain mismatches.
fn layout_findings(products: &[Product]) -> Vec<Finding> {
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
fn duplicate_findings(products: &[Product]) -> Vec<Finding> {
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

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    pairs
        .into_iter()
        .map(|(k, v)| (Value::from(k), v))
        .collect::<regorus::value::Object>()
        .into()
}

fn opt_str(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::from)
}

impl Mesh {
    /// `data` as every policy sees it (without the per-product part): `{"meshgate": {"mesh": …}}`.
    pub fn data(&self) -> Value {
        let domains: regorus::value::Object = self
            .domains
            .iter()
            .map(|d| {
                (
                    Value::from(d.name.as_str()),
                    obj(vec![
                        ("name", Value::from(d.name.as_str())),
                        ("path", opt_str(d.path.as_deref())),
                        (
                            "descriptor",
                            d.descriptor.as_ref().map_or(Value::Null, Node::to_rego),
                        ),
                    ]),
                )
            })
            .collect();
        // Built in parallel (it is serial time otherwise: ~30 ms on 10k products), then
        // collected in order.
        let entries: Vec<(Value, Value)> = self
            .products
            .par_iter()
            .map(|p| {
                (
                    Value::from(p.path.as_str()),
                    obj(vec![
                        ("path", Value::from(p.path.as_str())),
                        ("domain", opt_str(p.domain.as_deref())),
                        ("standard", opt_str(p.standard.map(Standard::as_str))),
                        ("standard_version", opt_str(p.standard_version.as_deref())),
                        ("format", Value::from(p.format.as_str())),
                        ("descriptor", p.input.clone().unwrap_or(Value::Null)),
                        ("view", p.facts["view"].clone()),
                    ]),
                )
            })
            .collect();
        let products: regorus::value::Object = entries.into_iter().collect();
        obj(vec![(
            "meshgate",
            obj(vec![(
                "mesh",
                obj(vec![
                    ("domains", domains.into()),
                    ("products", products.into()),
                    ("index", self.index()),
                ]),
            )]),
        )])
    }

    /// Lookup tables over the whole mesh, so cross-product rules cost O(1) per product
    /// instead of a scan of every product: `{"product_ids": {id: [paths]},
    /// "output_contracts": {contract: [paths]}}` (paths sorted), from the normalized views
    /// (`view.id`, `view.output_ports[].contract` when it is a string).
    fn index(&self) -> Value {
        let mut ids: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut contracts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for p in &self.products {
            let Some(view) = &p.view else {
                continue;
            };
            if let Some(id) = view.get("id").and_then(Node::as_str) {
                ids.entry(id).or_default().push(&p.path);
            }
            if let Some(NodeValue::Array(ports)) = view.get("output_ports").map(|n| &n.value) {
                for port in ports {
                    if let Some(c) = port.get("contract").and_then(Node::as_str) {
                        let list = contracts.entry(c).or_default();
                        if list.last() != Some(&p.path.as_str()) {
                            list.push(&p.path);
                        }
                    }
                }
            }
        }
        let table = |m: BTreeMap<&str, Vec<&str>>| -> Value {
            m.into_iter()
                .map(|(k, v)| {
                    let paths: Vec<Value> = v.into_iter().map(Value::from).collect();
                    (Value::from(k), Value::from(paths))
                })
                .collect::<regorus::value::Object>()
                .into()
        };
        obj(vec![
            ("product_ids", table(ids)),
            ("output_contracts", table(contracts)),
        ])
    }

    /// The policy files to load: the repository's (global and domain-local), or the shipped library.
    pub fn policy_sources(&self) -> Result<(Vec<PolicySource>, bool), std::io::Error> {
        let mut out = Vec::new();
        for path in &self.inventory.global_policies {
            let p = Path::new(path);
            let abs = if p.is_absolute() {
                p.to_path_buf()
            } else {
                self.root.join(p)
            };
            out.push(PolicySource {
                path: path.clone(),
                text: std::fs::read_to_string(&abs)?.into(),
                origin: Origin::Global,
            });
        }
        let builtin = out.is_empty();
        if builtin {
            for (name, text) in library::LIBRARY {
                out.push(PolicySource {
                    path: format!("{}{name}", library::BUILTIN_PREFIX),
                    text: Arc::from(*text),
                    origin: Origin::Global,
                });
            }
        }
        for d in &self.inventory.domains {
            for path in &d.policies {
                out.push(PolicySource {
                    path: path.clone(),
                    text: std::fs::read_to_string(self.root.join(path))?.into(),
                    origin: Origin::Domain(d.name.clone()),
                });
            }
        }
        Ok((out, builtin))
    }
}

/// Status of one product after the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No finding at or above the fail-on threshold.
    Pass,
    /// At least one finding at or above the threshold.
    Fail,
    /// Not fully checked: the descriptor did not parse or a policy failed on it (fails closed).
    Error,
    /// Not checked on purpose: the file is a template.
    Skipped,
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
    /// Pass, fail, error or skipped.
    pub status: Status,
}

/// One policy in the report.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyReport {
    /// Package name (policy id).
    pub id: String,
    /// Domain for domain-local policies, null for global ones.
    pub domain: Option<String>,
    /// Files declaring it.
    pub files: Vec<String>,
    /// Rules it defines.
    pub rules: Vec<&'static str>,
    /// METADATA title.
    pub title: Option<String>,
    /// METADATA custom.severity.
    pub severity: Option<Severity>,
    /// METADATA custom.category.
    pub category: Option<String>,
}

/// The result of a check: what every renderer draws from.
pub struct Report {
    /// Every finding, sorted.
    pub findings: Vec<Finding>,
    /// Every product with its status, sorted by path.
    pub products: Vec<ProductReport>,
    /// Every policy that was evaluated.
    pub policies: Vec<PolicyReport>,
    /// Run-level errors (policies that did not load).
    pub errors: Vec<RunError>,
    /// Totals.
    pub summary: Summary,
    /// Per-domain totals.
    pub domains: Vec<score::DomainSummary>,
    /// Whether the shipped library was used because the repository has no policies.
    pub builtin_library: bool,
    /// The fail-on threshold the statuses were computed with.
    pub fail_on: Option<Severity>,
    /// Source texts for snippets.
    pub sources: BTreeMap<String, Arc<str>>,
}

impl Report {
    /// Exit code: 2 when the check could not be done as asked, 1 when findings reach the threshold, else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() || self.summary.products_error_eval > 0 {
            2
        } else if self
            .fail_on
            .is_some_and(|t| self.findings.iter().any(|f| f.severity >= t))
        {
            1
        } else {
            0
        }
    }
}

/// Runs the whole check.
pub fn check(opts: &CheckOptions) -> Result<Report, Fatal> {
    let pool = thread_pool(opts.threads)?;
    pool.install(|| check_in_pool(opts))
}

/// Prints how long each phase took to stderr when `MESHGATE_TIMINGS` is set (for benchmarks).
struct Timings {
    enabled: bool,
    last: std::time::Instant,
}

impl Timings {
    fn new() -> Timings {
        Timings {
            enabled: std::env::var_os("MESHGATE_TIMINGS").is_some(),
            last: std::time::Instant::now(),
        }
    }

    fn phase(&mut self, name: &str) {
        if self.enabled {
            let now = std::time::Instant::now();
            eprintln!(
                "meshgate: timing: {name:<10} {:>8.3} s",
                (now - self.last).as_secs_f64()
            );
            self.last = now;
        }
    }
}

fn check_in_pool(opts: &CheckOptions) -> Result<Report, Fatal> {
    let mut timings = Timings::new();
    let mesh = load_mesh(opts)?;
    timings.phase("load");
    let data = mesh.data();
    timings.phase("mesh-data");
    let (sources, builtin_library) = match mesh.policy_sources() {
        Ok(_) if opts.parse_only => (Vec::new(), false),
        Ok(s) => s,
        Err(e) => {
            return Err(Fatal::Discover(DiscoverError::Root {
                path: mesh.root.clone(),
                source: e,
            }))
        }
    };
    let domain_names: Vec<String> = mesh.domains.iter().map(|d| d.name.clone()).collect();
    let timeout = Duration::from_millis(mesh.config.policy_timeout_ms);
    let lib = policy::build(sources, &domain_names, &data, timeout);
    timings.phase("compile");
    let eval = engine::EvalOptions {
        evaluator: opts.evaluator,
        timeout,
    };
    let outcomes = engine::evaluate(&mesh.products, &lib, &data, &eval);
    timings.phase("evaluate");
    let report = assemble(mesh, lib, outcomes, builtin_library, opts.fail_on);
    timings.phase("assemble");
    Ok(report)
}

fn assemble(
    mesh: Mesh,
    lib: Library,
    outcomes: Vec<engine::Outcome>,
    builtin_library: bool,
    fail_on: Option<Severity>,
) -> Report {
    let mut findings = mesh.builtin_findings;
    let mut evaluations = 0;
    let mut eval_errored = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        evaluations += o.evaluations;
        eval_errored.push(o.errored);
        findings.extend(o.findings);
    }
    sort_findings(&mut findings);

    let mut by_product: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &findings {
        by_product.entry(f.product.as_str()).or_default().push(f);
    }
    let mut products_error_eval = 0;
    let products: Vec<ProductReport> = mesh
        .products
        .iter()
        .zip(&eval_errored)
        .map(|(p, &errored)| {
            let fs = by_product
                .get(p.path.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let degraded = lib.is_degraded(p.domain.as_deref()) && p.root.is_some();
            if errored || degraded {
                products_error_eval += 1;
            }
            let status = if p.skipped.is_some() {
                Status::Skipped
            } else if p.root.is_none() || errored || degraded {
                Status::Error
            } else if fail_on.is_some_and(|t| fs.iter().any(|f| f.severity >= t)) {
                Status::Fail
            } else {
                Status::Pass
            };
            ProductReport {
                path: p.path.clone(),
                domain: p.domain.clone(),
                standard: p.standard,
                standard_version: p.standard_version.clone(),
                format: p.format,
                status,
            }
        })
        .collect();

    let policies = lib
        .policies
        .iter()
        .map(|p| PolicyReport {
            id: p.package.clone(),
            domain: match &p.origin {
                Origin::Global => None,
                Origin::Domain(d) => Some(d.clone()),
            },
            files: p.files.clone(),
            rules: p.rules.clone(),
            title: p.metadata.title.clone(),
            severity: p.metadata.severity,
            category: p.metadata.category.clone(),
        })
        .collect::<Vec<_>>();
    let domain_names: Vec<String> = mesh.domains.iter().map(|d| d.name.clone()).collect();
    let (mut summary, domains) = score::summarize(&products, &findings, &domain_names);
    summary.policies = policies.len();
    summary.evaluations = evaluations;
    summary.products_error_eval = products_error_eval;
    let mut sources = mesh.sources;
    sources.extend(lib.sources.clone());
    // Freeing every product's trees (hundreds of MB on a large mesh) took a third of a
    // parse-only run: hand them to a thread that frees them while the report is rendered
    // (and that the process may simply outlive when it exits).
    let errors = lib.errors.clone();
    let products_data = mesh.products;
    let domains_data = mesh.domains;
    let _ = std::thread::Builder::new()
        .name("meshgate-free".to_string())
        .spawn(move || drop((products_data, domains_data, lib)));
    Report {
        findings,
        products,
        policies,
        errors,
        summary,
        domains,
        builtin_library,
        fail_on,
        sources,
    }
}

/// One descriptor found by the walk, for `meshgate check --list-products`.
#[derive(Debug, Clone, Serialize)]
pub struct ListedProduct {
    /// Repo-relative path.
    pub path: String,
    /// Its domain (null when outside any domain folder).
    pub domain: Option<String>,
    /// Detected standard (null when it did not parse or was skipped).
    pub standard: Option<Standard>,
    /// Version of the standard the file declares, as written.
    pub standard_version: Option<String>,
    /// `ok`, `skipped` (a template), or `error` (does not parse).
    pub status: &'static str,
    /// Why it was skipped or does not parse.
    pub note: Option<String>,
    /// Files reached through `$ref`.
    pub refs: Vec<String>,
}

/// What discovery found: products (with standard and version) and excluded descriptor files.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    /// Every product descriptor found, sorted by path.
    pub products: Vec<ListedProduct>,
    /// Files matching the product globs that `exclude` left out, so users see why.
    pub excluded: Vec<String>,
}

/// Discovers and loads every product without evaluating policies.
pub fn list_products(opts: &CheckOptions) -> Result<Listing, Fatal> {
    let pool = thread_pool(opts.threads)?;
    let mesh = pool.install(|| load_mesh(opts))?;
    let errors: BTreeMap<&str, &Finding> = mesh
        .builtin_findings
        .iter()
        .filter(|f| f.policy == POLICY_PARSE && f.severity == Severity::Error)
        .map(|f| (f.product.as_str(), f))
        .collect();
    let products = mesh
        .products
        .iter()
        .map(|p| {
            let (status, note) = match (&p.skipped, errors.get(p.path.as_str())) {
                (Some(why), _) => ("skipped", Some(why.clone())),
                (None, Some(f)) => ("error", Some(f.message.clone())),
                (None, None) => ("ok", None),
            };
            ListedProduct {
                path: p.path.clone(),
                domain: p.domain.clone(),
                standard: p.standard,
                standard_version: p.standard_version.clone(),
                status,
                note,
                refs: p.files.iter().skip(1).cloned().collect(),
            }
        })
        .collect();
    Ok(Listing {
        products,
        excluded: mesh.inventory.excluded_products.clone(),
    })
}
