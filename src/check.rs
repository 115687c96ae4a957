//! The check, as orchestration: load the mesh → read and compile policies → evaluate in
//! parallel → hand everything to the result model's one post-processing stage.

use std::time::Duration;

use crate::engine::{self, Evaluation};
use crate::findings::{ErrorKind, Location, RunError, Severity};
use crate::mesh::{self, Fatal, LoadSettings, Mesh};
use crate::model::{Checked, Outcome, Parts, PolicyReport, ProductReport, Report, Status};
use crate::policy::{self, Library, Origin};
use crate::scope::{in_scope, Scope, Selection};
use crate::waivers;

/// What to check and how.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Where the mesh is and how to read it.
    pub load: LoadSettings,
    /// Worker threads (`None` or 0: one per core; at most [`THREADS_PER_CORE`] per core).
    pub threads: Option<usize>,
    /// Lowest severity that fails the run (`None`: never fail on findings).
    pub fail_on: Option<Severity>,
    /// Only discover and parse (built-in checks); evaluate no policy.
    pub parse_only: bool,
    /// Which Rego evaluator runs the policies.
    pub evaluator: engine::Evaluator,
    /// Accept a mesh without products (exit 0 instead of 2).
    pub allow_empty: bool,
    /// Check only the products under these parts of the mesh (empty: every product).
    pub scopes: Vec<Scope>,
    /// Check only the products the change since the merge base of this git ref and HEAD
    /// touches (`--changed-since`).
    pub changed_since: Option<String>,
    /// With `changed_since`: also evaluate the whole mesh with the policies at the merge base
    /// and now, and report the difference (`--impact`).
    pub impact: bool,
    /// What `time.now_ns()` returns in every policy, in nanoseconds since the Unix epoch
    /// (`--now`); `None`: the clock when the check starts, read once.
    pub now_ns: Option<i64>,
    /// Memory limit of one product's evaluation in MiB (`--policy-memory-mb`); `None`: the
    /// configuration's `policy-memory-mb`.
    pub policy_memory_mb: Option<u64>,
    /// The baseline to apply (`--baseline`), read by [`crate::baseline::load`].
    pub baseline: Option<crate::baseline::Baseline>,
    /// Check only this shard of the products the other options select (`--shard K/N`).
    pub shard: Option<crate::scope::Shard>,
}

/// How many threads per core meshgate uses at most: evaluation is CPU-bound, and the loading
/// phase waits on the disk a little, so a few threads per core can help there; beyond that,
/// threads only cost (each reserves a 64 MiB stack: `--threads 5000` took 17 s to set up on
/// 16 products, `--threads 100000` ran out of memory mappings and panicked).
pub const THREADS_PER_CORE: usize = 4;

/// The worker threads to use for `requested` (`None` or `Some(0)`: one per core), and, when
/// the request was cut down to [`THREADS_PER_CORE`] per core, a note saying so.
pub fn worker_threads(requested: Option<usize>) -> (usize, Option<String>) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let most = cores.saturating_mul(THREADS_PER_CORE);
    match requested {
        None | Some(0) => (cores, None),
        Some(n) if n > most => (
            most,
            Some(format!(
                "--threads {n} is more than this machine can use: using {most} ({THREADS_PER_CORE} per core, {cores} core{})",
                if cores == 1 { "" } else { "s" }
            )),
        ),
        Some(n) => (n, None),
    }
}

/// Builds a thread pool with large stacks (deep policies and documents recurse), of
/// [`worker_threads`] threads.
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, Fatal> {
    let (n, _) = worker_threads(threads);
    rayon::ThreadPoolBuilder::new()
        .stack_size(64 << 20)
        .num_threads(n)
        .build()
        .map_err(|e| Fatal::Threads(e.to_string()))
}

/// Runs the whole check.
pub fn check(opts: &CheckOptions) -> Result<Report, Fatal> {
    let pool = thread_pool(opts.threads)?;
    pool.install(|| check_in_pool(opts))
}

/// Discovers and loads every product without evaluating policies.
pub fn list_products(opts: &CheckOptions) -> Result<mesh::Listing, Fatal> {
    let pool = thread_pool(opts.threads)?;
    let change = changes(opts)?;
    let mesh = pool.install(|| mesh::load(&opts.load))?;
    let mut selection = mesh.select(&opts.scopes, change.as_ref(), true)?;
    shard(&mesh, &mut selection, opts.shard);
    Ok(mesh.listing(&selection.selected))
}

/// Narrows `selection` to `shard` (`--shard K/N`), balanced by descriptor size.
fn shard(mesh: &Mesh, selection: &mut Selection, shard: Option<crate::scope::Shard>) {
    let Some(shard) = shard else { return };
    let sizes: Vec<u64> = mesh
        .products
        .iter()
        .map(|p| mesh.sources.get(&p.path).map_or(0, |t| t.len() as u64))
        .collect();
    let paths: Vec<&str> = mesh.products.iter().map(|p| p.path.as_str()).collect();
    selection.shard(shard, &sizes, &paths);
}

/// The change `--changed-since` names, read with git (`None` without the flag).
fn changes(opts: &CheckOptions) -> Result<Option<crate::git::ChangeSet>, Fatal> {
    match &opts.changed_since {
        None => Ok(None),
        Some(reference) => Ok(Some(crate::git::changed_since(&opts.load.root, reference)?)),
    }
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
    let change = changes(opts)?;
    if change.is_some() {
        timings.phase("git");
    }
    let mesh = mesh::load(&opts.load)?;
    mesh.require_products(opts.allow_empty)?;
    let mut selection = mesh.select(&opts.scopes, change.as_ref(), opts.allow_empty)?;
    if opts.impact {
        selection.leave_policy_changes_to_impact();
    }
    shard(&mesh, &mut selection, opts.shard);
    let selected = &selection.selected;
    timings.phase("load");
    let data = mesh.data();
    timings.phase("mesh-data");
    let timeout = Duration::from_millis(mesh.config.policy_timeout_ms);
    let (mut lib, builtin_library) = if opts.parse_only {
        (Library::empty(), false)
    } else {
        let files = mesh.policy_files();
        let mut lib = policy::build(files.sources, &mesh.domain_names(), &data, timeout);
        for (origin, error) in files.unreadable {
            lib.add_unreadable(&origin, error);
        }
        // Parameters for a policy that does not exist (a typo): the policy meant runs with its
        // defaults, so no product is fully checked as configured.
        let ids = lib.policies.iter().map(|p| p.package.as_str());
        let unknown = mesh.config.unknown_params(crate::config::FILE_NAME, ids);
        if !unknown.is_empty() {
            lib.degrade(None);
        }
        for e in unknown {
            lib.errors.push(RunError {
                kind: ErrorKind::Config,
                message: e.message,
                location: Some(Location::new(&e.file, e.pos, 1)),
            });
        }
        (lib, files.builtin_library)
    };
    // An unreadable folder may hide products or policies: the products it may concern are
    // not fully checked.
    for (scope, _) in &mesh.walk_errors {
        lib.degrade(scope.clone());
    }
    timings.phase("compile");
    let now_ns = opts.now_ns.unwrap_or_else(clock_ns);
    let eval = engine::EvalOptions {
        evaluator: opts.evaluator,
        timeout,
        now_ns,
        memory_limit: Some(
            opts.policy_memory_mb
                .unwrap_or(mesh.config.policy_memory_mb)
                .saturating_mul(1 << 20),
        ),
    };
    let evaluations = engine::evaluate(&mesh.products, selected, &lib, &data, &eval);
    timings.phase("evaluate");
    let waivers = waivers::load(&waivers::Settings {
        root: &opts.load.root,
        file: &mesh.config.waivers,
        domains: &mesh.domain_names(),
        max_days: mesh.config.waiver_max_days,
        now_ns,
    });
    let impact = match (&change, opts.impact && !opts.parse_only) {
        (Some(change), true) => {
            let dirs = if opts.load.policy_dirs.is_empty() {
                mesh.config.policies.clone()
            } else {
                opts.load.policy_dirs.clone()
            };
            let sources = crate::impact::base_policies(&mesh, &dirs, change)?;
            let key = |s: &policy::PolicySource| (s.path.clone(), s.text.clone());
            let mut then: Vec<_> = sources.iter().map(key).collect();
            let mut now: Vec<_> = mesh.policy_files().sources.iter().map(key).collect();
            then.sort();
            now.sort();
            let all = vec![true; mesh.products.len()];
            let impact = if then == now {
                // The same policy files: nothing to compare (two whole-mesh evaluations saved).
                crate::impact::compare(&mesh.products, &[], &[], change)
            } else {
                let before_lib = policy::build(sources, &mesh.domain_names(), &data, timeout);
                let before = engine::evaluate(&mesh.products, &all, &before_lib, &data, &eval);
                let after = engine::evaluate(&mesh.products, &all, &lib, &data, &eval);
                crate::impact::compare(&mesh.products, &before, &after, change)
            };
            timings.phase("impact");
            Some(impact)
        }
        _ => None,
    };
    let run = Run {
        shard: opts.shard,
        builtin_library,
        fail_on: opts.fail_on,
        scopes: &opts.scopes,
        selection: &selection,
        waivers,
        baseline: opts.baseline.clone(),
    };
    let mut report = Report::finish(parts(mesh, lib, evaluations, run));
    report.impact = impact;
    timings.phase("assemble");
    Ok(report)
}

/// The clock, in nanoseconds since the Unix epoch (0 before it, the maximum past year 2262).
pub(crate) fn clock_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// How the check was run, as far as the result model needs to know.
struct Run<'a> {
    /// The shard checked (`--shard`).
    shard: Option<crate::scope::Shard>,
    builtin_library: bool,
    fail_on: Option<Severity>,
    scopes: &'a [Scope],
    /// Which products are checked (`selected[i]` for `mesh.products[i]`), and why.
    selection: &'a Selection,
    /// The mesh's waivers.
    waivers: waivers::Waivers,
    /// The baseline to apply.
    baseline: Option<crate::baseline::Baseline>,
}

/// Gathers the pipeline's results for [`Report::finish`]: every finding, every product with
/// how far it was checked and the outcome of each policy of its set, every policy.
fn parts(mut mesh: Mesh, lib: Library, evaluations: Vec<Evaluation>, run: Run<'_>) -> Parts {
    let mut findings = std::mem::take(&mut mesh.builtin_findings);
    let selection = run.selection;
    if !run.scopes.is_empty() || selection.change.is_some() || run.shard.is_some() {
        retain_in_scope(&mut findings, &mesh, run.scopes, selection);
    }
    let mut excepted = Vec::new();
    let mut evaluated = 0;
    let mut products = Vec::with_capacity(mesh.products.len());
    for (((p, e), &selected), because) in mesh
        .products
        .iter()
        .zip(evaluations)
        .zip(&selection.selected)
        .zip(&selection.because)
    {
        evaluated += e.evaluations;
        let degraded = lib.is_degraded(p.domain.as_deref());
        let checked = if !selected {
            Checked::NotSelected
        } else if p.skipped.is_some() {
            Checked::Skipped
        } else if p.root.is_none() {
            Checked::Unparsed
        } else if e.errored || degraded {
            Checked::Incomplete
        } else {
            Checked::Complete
        };
        // Every policy in the product's scope (the global ones and its domain's) gets an
        // outcome; one the engine did not report (its file was dropped from the set, say)
        // is an error, never a pass.
        let not_run = match checked {
            Checked::NotSelected => None,
            Checked::Skipped => Some(Outcome::Skipped),
            _ => Some(Outcome::Error),
        };
        let mut outcomes: Vec<Option<Outcome>> = lib
            .policies
            .iter()
            .map(|pol| match &pol.origin {
                Origin::Global => not_run,
                Origin::Domain(d) if p.domain.as_deref() == Some(d) => not_run,
                Origin::Domain(_) => None,
            })
            .collect();
        for (pi, o) in e.outcomes {
            outcomes[pi] = Some(o);
        }
        let checked = if checked == Checked::Complete && outcomes.contains(&Some(Outcome::Error)) {
            Checked::Incomplete
        } else {
            checked
        };
        let not_applicable = outcomes
            .iter()
            .zip(&lib.policies)
            .filter(|(o, _)| **o == Some(Outcome::NotApplicable))
            .map(|(_, pol)| pol.package.clone())
            .collect();
        findings.extend(e.findings);
        excepted.extend(e.excepted);
        products.push(ProductReport {
            path: p.path.clone(),
            domain: p.domain.clone(),
            standard: p.standard,
            standard_version: p.standard_version.clone(),
            format: p.format,
            status: Status::Pass,
            outcomes,
            not_applicable,
            excepted: 0,
            waived: 0,
            baselined: 0,
            checked,
            selected_because: because.clone(),
        });
    }
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
            exceptions: p.exceptions,
            title: p.metadata.title.clone(),
            description: p.metadata.description.clone(),
            severity: p.metadata.severity,
            category: p.metadata.category.clone(),
            remediation: p.metadata.remediation.clone(),
            level: p.metadata.level(),
            waivable: p.metadata.waivable(),
            standards: p.metadata.standards.clone(),
        })
        .collect();
    let domains = mesh
        .domains
        .iter()
        .filter(|d| domain_in_scope(&d.name, run.scopes, &mesh, selection))
        .map(|d| d.name.clone())
        .collect();
    let owners = mesh
        .domains
        .iter()
        .filter_map(|d| Some((d.name.clone(), domain_owner(d.descriptor.as_ref()?)?)))
        .collect();
    let mut errors: Vec<_> = mesh.walk_errors.into_iter().map(|(_, e)| e).collect();
    errors.extend(lib.errors.iter().cloned());
    let mut sources = mesh.sources;
    sources.extend(lib.sources.clone());
    // Freeing every product's trees (hundreds of MB on a large mesh) took a third of a
    // parse-only run: hand them to a thread that frees them while the report is rendered
    // (and that the process may simply outlive when it exits).
    let (products_data, domains_data) = (mesh.products, mesh.domains);
    let _ = std::thread::Builder::new()
        .name("meshgate-free".to_string())
        .spawn(move || drop((products_data, domains_data, lib)));
    Parts {
        findings,
        excepted,
        products,
        policies,
        errors,
        domains,
        owners,
        evaluations: evaluated,
        builtin_library: run.builtin_library,
        fail_on: run.fail_on,
        scope: run.scopes.iter().map(|s| s.path.clone()).collect(),
        shard: run.shard,
        change: selection.change.clone(),
        sources,
        waivers: run.waivers,
        baseline: run.baseline,
    }
}

/// The owner team a `domain.yaml` names: `owner.team`, else `owner` when it is a string.
fn domain_owner(descriptor: &crate::descriptor::Node) -> Option<String> {
    let owner = descriptor.get("owner")?;
    owner
        .get("team")
        .and_then(|t| t.scalar_text())
        .or_else(|| owner.as_str().map(str::to_string))
        .filter(|t| !t.trim().is_empty())
}

/// Whether a domain is part of the scope: its folder is under the scope (in a changed-only
/// run: its `domain.yaml` changed), or it has a selected product (then its `domain.yaml` bears
/// on that product).
fn domain_in_scope(name: &str, scopes: &[Scope], mesh: &Mesh, selection: &Selection) -> bool {
    let folder = format!("domains/{name}");
    let in_folder = match &selection.change {
        None => in_scope(scopes, &folder),
        Some(change) => {
            in_scope(scopes, &folder)
                && mesh
                    .domains
                    .iter()
                    .any(|d| d.name == name && d.path.as_deref().is_some_and(|p| change.touches(p)))
        }
    };
    in_folder
        || mesh
            .products
            .iter()
            .enumerate()
            .any(|(i, p)| selection.in_run(i) && p.domain.as_deref() == Some(name))
}

/// Keeps the built-in findings that concern the selection: those on a selected product, on a
/// domain in the scope, or on a file under it (in a changed-only run: a changed file).
fn retain_in_scope(
    findings: &mut Vec<crate::findings::Finding>,
    mesh: &Mesh,
    scopes: &[Scope],
    selection: &Selection,
) {
    let products: std::collections::HashSet<&str> = mesh
        .products
        .iter()
        .zip(&selection.selected)
        .filter(|(_, &s)| s)
        .map(|(p, _)| p.path.as_str())
        .collect();
    // In a sharded run, the mesh-level findings (domains, files) are every shard's: `merge`
    // keeps one copy.
    let domains: std::collections::HashSet<&str> = mesh
        .domains
        .iter()
        .filter(|d| domain_in_scope(&d.name, scopes, mesh, selection))
        .map(|d| d.name.as_str())
        .collect();
    findings.retain(|f| match (&f.product, &f.domain) {
        (Some(p), _) => products.contains(p.as_str()),
        (None, Some(d)) => domains.contains(d.as_str()),
        (None, None) => f.location.as_ref().is_some_and(|l| {
            in_scope(scopes, &l.file)
                && selection.change.as_ref().is_none_or(|c| c.touches(&l.file))
        }),
    });
}
