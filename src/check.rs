//! The check pipeline: discover → parse descriptors → load policies → evaluate → findings → summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;
use regorus::Value;
use serde::Serialize;

use crate::config::{Config, ConfigError};
use crate::descriptor::{self, Format, Limits, Node, ParseError, Pos, Standard};
use crate::discover::{self, DiscoverError, Inventory};
use crate::engine::{self, Product};
use crate::findings::{
    sort_findings, Finding, Location, RunError, Severity, POLICY_LAYOUT, POLICY_PARSE,
};
use crate::library;
use crate::policy::{self, Library, Origin, PolicySource};
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

fn parse_error_finding(product: &str, domain: Option<&str>, e: &ParseError) -> Finding {
    Finding {
        product: product.to_string(),
        domain: domain.map(str::to_string),
        policy: POLICY_PARSE.to_string(),
        rule: e.code.to_string(),
        id: Some(e.code.to_string()),
        severity: Severity::Error,
        message: e.message.clone(),
        path: None,
        location: Some(Location::new(product, e.pos, 1)),
        help: e.help.clone(),
    }
}

/// Reads a file, refusing files over the size limit before reading them.
fn read_limited(path: &Path, limits: &Limits) -> Result<Vec<u8>, ParseError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| ParseError::new("io", format!("cannot read file: {e}"), Pos::START))?;
    if meta.len() > limits.max_bytes {
        return Err(ParseError::new(
            "too-large",
            format!(
                "descriptor is {} bytes, over the limit of {} bytes",
                meta.len(),
                limits.max_bytes
            ),
            Pos::START,
        )
        .with_help("split the descriptor, or raise `max-descriptor-bytes` in meshgate.toml"));
    }
    std::fs::read(path)
        .map_err(|e| ParseError::new("io", format!("cannot read file: {e}"), Pos::START))
}

fn read_and_parse(root: &Path, rel: &str, limits: &Limits) -> (Arc<str>, Result<Node, ParseError>) {
    let format = Format::from_path(Path::new(rel));
    match read_limited(&root.join(rel), limits) {
        Ok(bytes) => {
            let text: Arc<str> = String::from_utf8_lossy(&bytes).into();
            (text, descriptor::parse(&bytes, format, limits))
        }
        Err(e) => (Arc::from(""), Err(e)),
    }
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
        ..Limits::default()
    };
    let root = opts.root.clone();

    let parsed: Vec<(Product, Arc<str>, Option<Finding>)> = inventory
        .products
        .par_iter()
        .map(|pf| {
            let format = Format::from_path(Path::new(&pf.path));
            let (text, result) = read_and_parse(&root, &pf.path, &limits);
            match result {
                Ok(node) => {
                    let standard = Standard::detect(&node);
                    let input = node.to_rego();
                    (
                        Product {
                            path: pf.path.clone(),
                            domain: pf.domain.clone(),
                            format,
                            root: Some(node),
                            standard: Some(standard),
                            input: Some(input),
                        },
                        text,
                        None,
                    )
                }
                Err(e) => (
                    Product {
                        path: pf.path.clone(),
                        domain: pf.domain.clone(),
                        format,
                        root: None,
                        standard: None,
                        input: None,
                    },
                    text,
                    Some(parse_error_finding(&pf.path, pf.domain.as_deref(), &e)),
                ),
            }
        })
        .collect();

    let mut sources = BTreeMap::new();
    let mut builtin_findings = Vec::new();
    let mut products = Vec::with_capacity(parsed.len());
    for (p, text, finding) in parsed {
        sources.insert(p.path.clone(), text);
        builtin_findings.extend(finding);
        products.push(p);
    }

    let mut domains = Vec::new();
    for d in &inventory.domains {
        let mut descriptor = None;
        if let Some(path) = &d.descriptor {
            let (text, result) = read_and_parse(&opts.root, path, &limits);
            sources.insert(path.clone(), text);
            match result {
                Ok(node) => descriptor = Some(node),
                Err(e) => builtin_findings.push(parse_error_finding(path, Some(&d.name), &e)),
            }
        }
        domains.push(Domain {
            name: d.name.clone(),
            path: d.descriptor.clone(),
            descriptor,
        });
    }

    // Layout checks.
    for p in &products {
        match (&p.domain, &p.root, p.standard) {
            (None, _, _) => builtin_findings.push(Finding {
                product: p.path.clone(),
                domain: None,
                policy: POLICY_LAYOUT.to_string(),
                rule: "outside-domain".to_string(),
                id: Some("outside-domain".to_string()),
                severity: Severity::Error,
                message: "product is outside any domain".to_string(),
                path: None,
                location: Some(Location::new(&p.path, Pos::START, 1)),
                help: Some("move it to domains/<domain>/products/<product>/, or exclude it in meshgate.toml".to_string()),
            }),
            (Some(folder), Some(root), Some(standard)) => {
                let field = standard.domain_field();
                let segs: Vec<descriptor::PathSeg> = field.iter().map(|s| descriptor::PathSeg::Key(s.to_string())).collect();
                let mut node = Some(root);
                for f in field {
                    node = node.and_then(|n| n.get(f));
                }
                if let Some(declared) = node.and_then(Node::as_str) {
                    if declared != folder {
                        let (span, _) = root.locate(&segs);
                        builtin_findings.push(Finding {
                            product: p.path.clone(),
                            domain: Some(folder.clone()),
                            policy: POLICY_LAYOUT.to_string(),
                            rule: "domain-mismatch".to_string(),
                            id: Some("domain-mismatch".to_string()),
                            severity: Severity::Error,
                            message: format!("descriptor says domain `{declared}` but the product is in the folder of domain `{folder}`"),
                            path: Some(field.join(".")),
                            location: Some(Location::new(&p.path, span.start, span.len)),
                            help: Some(format!("set `{}` to `{folder}`, or move the product to domains/{declared}/", field.join("."))),
                        });
                    }
                }
            }
            _ => {}
        }
    }

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
        let products: regorus::value::Object = self
            .products
            .iter()
            .map(|p| {
                (
                    Value::from(p.path.as_str()),
                    obj(vec![
                        ("path", Value::from(p.path.as_str())),
                        ("domain", opt_str(p.domain.as_deref())),
                        ("standard", opt_str(p.standard.map(Standard::as_str))),
                        ("format", Value::from(p.format.as_str())),
                        ("descriptor", p.input.clone().unwrap_or(Value::Null)),
                    ]),
                )
            })
            .collect();
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
    /// "output_contracts": {contractId: [paths]}}` (paths sorted). Ids are ODPS `id` and
    /// DPDS `info.fullyQualifiedName`; contracts are ODPS `outputPorts[].contractId` and
    /// DPDS `interfaceComponents.outputPorts[].x-contractId`.
    fn index(&self) -> Value {
        let mut ids: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut contracts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for p in &self.products {
            let (Some(root), Some(standard)) = (&p.root, p.standard) else {
                continue;
            };
            let (id, ports, contract_key) = match standard {
                Standard::BitolOdps => (root.get("id"), root.get("outputPorts"), "contractId"),
                Standard::Dpds => (
                    root.get("info").and_then(|i| i.get("fullyQualifiedName")),
                    root.get("interfaceComponents")
                        .and_then(|i| i.get("outputPorts")),
                    "x-contractId",
                ),
                Standard::Custom => (None, None, ""),
            };
            if let Some(id) = id.and_then(Node::as_str) {
                ids.entry(id).or_default().push(&p.path);
            }
            if let Some(descriptor::NodeValue::Array(ports)) = ports.map(|n| &n.value) {
                for port in ports {
                    if let Some(c) = port.get(contract_key).and_then(Node::as_str) {
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
    /// YAML or JSON.
    pub format: Format,
    /// Pass, fail or error.
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

fn check_in_pool(opts: &CheckOptions) -> Result<Report, Fatal> {
    let mesh = load_mesh(opts)?;
    let data = mesh.data();
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
    let lib = policy::build(
        sources,
        &domain_names,
        &data,
        Duration::from_millis(mesh.config.policy_timeout_ms),
    );
    let outcomes = engine::evaluate(&mesh.products, &lib);
    Ok(assemble(mesh, lib, outcomes, builtin_library, opts.fail_on))
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
            let status = if p.root.is_none() || errored || degraded {
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
    Report {
        findings,
        products,
        policies,
        errors: lib.errors.clone(),
        summary,
        domains,
        builtin_library,
        fail_on,
        sources,
    }
}
