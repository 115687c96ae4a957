//! Command-line interface: argument definitions and the dispatch from a command to the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::baseline;
use crate::catalog;
use crate::check::{self, CheckOptions};
use crate::engine::Evaluator;
use crate::explain;
use crate::findings::Severity;
use crate::inspect;
use crate::mesh::{self, LoadSettings};
use crate::report::{self, RenderOptions};
use crate::scope::{self, Target};
use crate::testing::{self, TestOptions};

/// meshgate: policy-as-code governance for data meshes.
#[derive(Debug, Parser)]
#[command(name = "meshgate", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The lowest severity that makes the run fail (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Fail on errors (default).
    Error,
    /// Fail on warnings and errors.
    Warning,
    /// Fail on any finding.
    Info,
    /// Never fail because of findings (exit 2 for broken policies still applies).
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

/// Which Rego evaluator runs the policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvaluatorChoice {
    /// The interpreter (default): runtime errors are reported and fail closed.
    Interpreter,
    /// regorus's bytecode VM: faster, but runtime errors inside rules go unreported.
    Vm,
}

/// How to read the mesh: flags shared by every command that loads one.
#[derive(Debug, Clone, clap::Args)]
struct MeshArgs {
    /// Global policy folder, relative to the working directory (repeatable); replaces
    /// `policies` of meshgate.toml.
    #[arg(long = "policy", short = 'p', value_name = "DIR")]
    policy: Vec<String>,
    /// Accept duplicate keys in descriptors (the last value wins) with a warning.
    #[arg(long)]
    lenient_keys: bool,
}

impl MeshArgs {
    fn settings(&self, root: &std::path::Path) -> LoadSettings {
        LoadSettings {
            root: root.to_path_buf(),
            policy_dirs: policy_dirs(root, &self.policy),
            lenient_keys: self.lenient_keys,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate every policy on every data product of a mesh repository.
    Check {
        /// The mesh repository, or folders and product descriptors in it: the mesh root is
        /// found above them, and only the products under them are checked.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = report::Format::Human)]
        format: report::Format,
        /// Write the report to FILE instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Lowest severity that fails the run (exit code 1).
        #[arg(long, value_enum, default_value_t = FailOn::Error)]
        fail_on: FailOn,
        /// Worker threads (default, or 0: one per core; at most 4 per core are used).
        #[arg(long, short = 'j', value_name = "N")]
        threads: Option<usize>,
        #[command(flatten)]
        mesh: MeshArgs,
        /// Print findings only, no summary.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// When to use colours.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
        /// Only find and parse descriptors (built-in checks); evaluate no policy.
        #[arg(long)]
        parse_only: bool,
        /// Accept a repository without any product descriptor (by default that is exit 2:
        /// nothing checked is not a pass).
        #[arg(long)]
        allow_empty: bool,
        /// List the descriptors found (standard, version, status) and exit; check nothing.
        #[arg(long)]
        list_products: bool,
        /// Rego evaluator: `interpreter` (default) reports every runtime error; `vm` is 4-5x
        /// faster but does not report runtime errors inside rules (a policy that errors may
        /// pass): use it only with policies known not to error.
        #[arg(long, value_enum, default_value_t = EvaluatorChoice::Interpreter)]
        evaluator: EvaluatorChoice,
        /// What `time.now_ns()` returns in every policy, as an RFC 3339 date-time
        /// (`2026-01-31T00:00:00Z`). Default: the clock when the check starts, the same for
        /// every product.
        #[arg(long, value_name = "RFC3339", value_parser = crate::rego::parse_rfc3339_ns)]
        now: Option<i64>,
        /// Memory one product's evaluation may allocate, in MiB; past it the product is in
        /// error. Overrides `policy-memory-mb` of meshgate.toml (default 1024).
        #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..))]
        policy_memory_mb: Option<u64>,
        /// Show the findings FILE records (written by --write-baseline) as baselined and fail
        /// only on new ones; the summary counts the baselined findings that are fixed.
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// Rewrite the --baseline file without the findings that are fixed.
        #[arg(long, requires = "baseline")]
        prune_baseline: bool,
        /// Record today's findings (except waived ones) in FILE, a baseline for --baseline;
        /// the exit code is then 0 unless the check could not be done (2).
        #[arg(long, value_name = "FILE")]
        write_baseline: Option<PathBuf>,
        /// Check only the products changed since the merge base of REF and HEAD (committed,
        /// staged, unstaged and untracked changes), and the products they touch: same `$ref`
        /// files, domain, consumers and producers. The whole mesh is still loaded.
        #[arg(long, value_name = "REF")]
        changed_since: Option<String>,
        /// With --changed-since: also evaluate the whole mesh with the policies at the merge
        /// base and with the policies now, and report per domain the products that newly fail
        /// or pass and the findings whose severity changed (human, json, markdown).
        /// Informational: the exit code does not change, unless --fail-on-impact.
        #[arg(long, requires = "changed_since")]
        impact: bool,
        /// With --impact: exit 1 when the policy change makes a product newly fail.
        #[arg(long, requires = "impact")]
        fail_on_impact: bool,
        /// Check only the K-th of N shards of the products (1 <= K <= N), balanced by
        /// descriptor size; the whole mesh is still loaded. `meshgate merge` joins the JSON
        /// results of the N shards into the result of the whole run.
        #[arg(long, value_name = "K/N")]
        shard: Option<scope::Shard>,
        /// Render a saved `check --format json` result (or a `meshgate merge` of shards) in
        /// --format instead of evaluating; PATH is the mesh it came from (for snippets). The
        /// exit code is the saved result's.
        #[arg(long, value_name = "RESULT.json", conflicts_with_all = [
            "shard", "changed_since", "baseline", "write_baseline", "list_products",
            "parse_only", "fail_on", "evaluator", "now", "policy_memory_mb", "allow_empty",
        ])]
        from: Option<PathBuf>,
    },
    /// Merge the JSON results of `check --shard K/N` (every K of one N) or of checks of parts of
    /// one mesh into the JSON result of one run, for `check --from` and `report --from`.
    Merge {
        /// The `check --format json` results to merge.
        #[arg(required = true, value_name = "RESULT.json")]
        files: Vec<PathBuf>,
        /// Write the merged result to FILE instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The governance board's report: a score and a level per product, a scorecard per
    /// domain and the mesh overview, from the evaluation `check` runs (or a saved result).
    Report {
        /// The mesh repository, or parts of it (as for `check`); with --from, where to read
        /// meshgate.toml's `[score]` weights.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = report::scorecard::ReportFormat::Markdown)]
        format: report::scorecard::ReportFormat,
        /// Write the report to FILE instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Read a saved `meshgate check --format json` result instead of evaluating the mesh.
        #[arg(long, value_name = "RESULT.json")]
        from: Option<PathBuf>,
        /// Compare with an earlier `meshgate report --format json`: score deltas, level
        /// changes, new and fixed findings.
        #[arg(long, value_name = "PREVIOUS.json")]
        compare: Option<PathBuf>,
        /// Add the scores at up to N evenly spaced commits of the mesh's git history
        /// (first parent, oldest to HEAD), each evaluated from `git archive` in a temporary
        /// folder with the policies of that commit.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
        history: Option<u32>,
        /// With --history: walk the history from this day on (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", requires = "history", value_parser = crate::history::parse_since)]
        history_since: Option<String>,
        /// With --history: judge every past commit by the policies of REF (e.g. HEAD: "had
        /// today's rules applied then"), global and domain-local, instead of its own.
        #[arg(long, value_name = "REF", requires = "history")]
        policies_at: Option<String>,
        /// Also write one report per domain, in the same format, into DIR (`<domain>.md`,
        /// `.json` or `.html`; `_no-domain` for products outside any domain).
        #[arg(long, value_name = "DIR")]
        split_domains: Option<PathBuf>,
        /// Also write an SVG badge per domain (`<domain>.svg`: level and mean score) and one
        /// for the mesh (`_mesh.svg`) into DIR.
        #[arg(long, value_name = "DIR")]
        badge_dir: Option<PathBuf>,
        /// Exit 1 when the mesh's mean score is below SCORE (0-100), or no product is scored.
        #[arg(long, value_name = "SCORE", value_parser = parse_percent)]
        fail_under: Option<f64>,
        /// Worker threads (default, or 0: one per core; at most 4 per core are used).
        #[arg(long, short = 'j', value_name = "N")]
        threads: Option<usize>,
        #[command(flatten)]
        mesh: MeshArgs,
        /// Accept a repository without any product descriptor.
        #[arg(long)]
        allow_empty: bool,
        /// Rego evaluator, as for `check`.
        #[arg(long, value_enum, default_value_t = EvaluatorChoice::Interpreter)]
        evaluator: EvaluatorChoice,
        /// What `time.now_ns()` returns in every policy (RFC 3339), as for `check`.
        #[arg(long, value_name = "RFC3339", value_parser = crate::rego::parse_rfc3339_ns)]
        now: Option<i64>,
        /// Memory one product's evaluation may allocate, in MiB, as for `check`.
        #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..))]
        policy_memory_mb: Option<u64>,
    },
    /// Run the Rego unit tests (`*_test.rego`) next to the policies `check` loads, evaluated
    /// as `check` evaluates, with optional line coverage.
    Test {
        /// The mesh repository, or parts of it: `policies` runs the global tests,
        /// `domains/orders` that domain's local tests (with the global policies they build on).
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = report::testrun::TestFormat::Human)]
        format: report::testrun::TestFormat,
        /// Write the report to FILE instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Run only the tests whose full name (`data.pkg.test_x`) matches REGEX.
        #[arg(long, value_name = "REGEX", value_parser = parse_regex)]
        run: Option<regex::Regex>,
        /// Worker threads (default: one per core); the output does not depend on it.
        #[arg(long, short = 'j', value_name = "N")]
        threads: Option<usize>,
        /// Report line coverage of the policy files tested.
        #[arg(long)]
        coverage: bool,
        /// Exit 1 when total coverage is below PCT percent (implies --coverage).
        #[arg(long, value_name = "PCT", value_parser = parse_percent)]
        threshold: Option<f64>,
        /// List passing and skipped tests too (human format).
        #[arg(long, short = 'v')]
        verbose: bool,
        /// Also write the test helper `data.meshgate.test.facts` as a Rego file for `opa test`:
        /// a table of the descriptors these tests pass to it and their facts.
        #[arg(long, value_name = "FILE")]
        opa_helper: Option<PathBuf>,
        /// What `time.now_ns()` returns in every policy and test (RFC 3339). Default: the clock
        /// when the run starts.
        #[arg(long, value_name = "RFC3339", value_parser = crate::rego::parse_rfc3339_ns)]
        now: Option<i64>,
        #[command(flatten)]
        mesh: MeshArgs,
    },
    /// Explain a finding's code (`meshgate.parse/syntax`, `governance.ownership/…`) or a policy
    /// id: what it checks and how to fix it. Without CODE, list every rule.
    Explain {
        /// The code or policy id; omit to list them all.
        code: Option<String>,
        /// The mesh repository root whose policies to explain.
        #[arg(long, value_name = "DIR", default_value = ".")]
        repo: PathBuf,
        #[command(flatten)]
        mesh: MeshArgs,
    },
    /// List every policy in effect (the global ones, then each domain's local ones) with its
    /// METADATA: id, title, severity, category, level, standards, waivable, files and rules.
    Policies {
        /// The mesh repository root.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Output format (`markdown` is the reference a governance board publishes).
        #[arg(long, value_enum, default_value_t = catalog::Format::Human)]
        format: catalog::Format,
        /// List the library shipped with meshgate instead of the repository's policies.
        #[arg(long, conflicts_with = "path")]
        builtin: bool,
        #[command(flatten)]
        mesh: MeshArgs,
    },
    /// Print `{"input", "data"}` exactly as policies see them for one product (for `opa eval`).
    Inspect {
        /// A product descriptor (or, with --bundle, the mesh repository root).
        path: PathBuf,
        /// The mesh repository root (default: found above the product).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Print the whole mesh with its policies as one document (for other engines).
        #[arg(long)]
        bundle: bool,
        /// Keep only this product under `data.meshgate.mesh.products` (domains and index stay):
        /// small on a large mesh, but rules that read other products' descriptors see less.
        #[arg(long, conflicts_with = "bundle")]
        no_mesh: bool,
        /// Write input.json, data.json and the product's policies (the shipped library
        /// included) into DIR, and print the `opa eval` command that reproduces its verdicts.
        #[arg(long, value_name = "DIR", conflicts_with = "bundle")]
        write: Option<PathBuf>,
        #[command(flatten)]
        mesh: MeshArgs,
    },
}

fn use_color(choice: ColorChoice, to_file: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            !to_file
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// Why a command stopped early.
enum Stop {
    /// An error, printed once by [`run`]: exit 2.
    Error(String),
    /// Standard output was closed by its reader (`meshgate check | head`): as ripgrep does, a
    /// quiet exit 0, since the reader asked for no more.
    PipeClosed,
}

impl From<String> for Stop {
    fn from(e: String) -> Stop {
        Stop::Error(e)
    }
}

/// Lets `render` write to FILE (created) or to standard output, buffered and streamed (a
/// report of a large mesh is tens of megabytes: no copy of it is kept in memory). A closed
/// standard output stops the command quietly ([`Stop::PipeClosed`]).
fn write_output(
    output: Option<&PathBuf>,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Stop> {
    match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
            render(&mut w)
                .and_then(|_| w.flush())
                .map_err(|e| Stop::Error(format!("cannot write {}: {e}", path.display())))
        }
        None => {
            let mut w = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            match render(&mut w).and_then(|_| w.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    // The buffer still holds bytes it would try again to write when dropped.
                    let (_, _) = w.into_parts();
                    Err(Stop::PipeClosed)
                }
                Err(e) => Err(Stop::Error(format!("cannot write output: {e}"))),
            }
        }
    }
}

/// The evaluation flags `check` and `report` share.
struct Evaluation {
    threads: Option<usize>,
    evaluator: EvaluatorChoice,
    allow_empty: bool,
    now: Option<i64>,
    policy_memory_mb: Option<u64>,
}

/// Finds the mesh root and scope of `paths` and sets up an evaluation as `check` and `report`
/// run it (the worker-thread cap is said once on standard error); the options a command adds
/// (`--fail-on`, `--shard`, …) keep their defaults.
fn check_options(
    paths: &[PathBuf],
    mesh: &MeshArgs,
    e: Evaluation,
) -> Result<(Target, CheckOptions), String> {
    let target = scope::resolve_all(paths).map_err(|e| e.to_string())?;
    let (threads, note) = check::worker_threads(e.threads);
    if let Some(note) = note {
        eprintln!("meshgate: note: {note}");
    }
    let opts = CheckOptions {
        load: mesh.settings(&target.root),
        threads: Some(threads),
        fail_on: None,
        parse_only: false,
        evaluator: match e.evaluator {
            EvaluatorChoice::Vm => Evaluator::Vm,
            EvaluatorChoice::Interpreter => Evaluator::Interpreter,
        },
        allow_empty: e.allow_empty,
        scopes: target.scopes.clone(),
        now_ns: e.now,
        policy_memory_mb: e.policy_memory_mb,
        baseline: None,
        changed_since: None,
        impact: false,
        shard: None,
    };
    Ok((target, opts))
}

/// Where the check ran, for the human summary: said when only part of the mesh is checked
/// (the root is then not the path given).
fn target_line(target: &Target) -> Option<String> {
    let root = target.root.display().to_string();
    let found = target.found.describe();
    if target.scopes.is_empty() {
        // The path given is the root: nothing to add.
        return None;
    }
    let what: Vec<String> = target
        .scopes
        .iter()
        .map(|s| format!("{}{}", s.path, if s.file { "" } else { "/" }))
        .collect();
    Some(format!(
        "Mesh root: {root} (found by {found}); checked only {}, with the whole mesh loaded for cross-product rules.",
        what.join(", ")
    ))
}

fn path_prefix(path: &std::path::Path) -> String {
    let s = path.to_string_lossy();
    if s == "." || s.is_empty() {
        String::new()
    } else if s.ends_with('/') {
        s.into_owned()
    } else {
        format!("{s}/")
    }
}

/// `--policy` folders are given relative to the working directory (like every other path on the
/// command line); meshgate wants them relative to the mesh root when they are inside it.
fn policy_dirs(root: &std::path::Path, dirs: &[String]) -> Vec<String> {
    let abs_root = std::path::absolute(root).ok().map(|r| lexical_clean(&r));
    dirs.iter()
        .map(|d| {
            let Ok(abs) = std::path::absolute(d).map(|a| lexical_clean(&a)) else {
                return d.clone();
            };
            match abs_root.as_ref().and_then(|r| abs.strip_prefix(r).ok()) {
                Some(rel) if !rel.as_os_str().is_empty() => {
                    rel.to_string_lossy().replace('\\', "/")
                }
                Some(_) => ".".to_string(),
                None => abs.to_string_lossy().into_owned(),
            }
        })
        .collect()
}

/// Removes `.` and resolves `..` without touching the file system.
fn lexical_clean(path: &std::path::Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Runs the parsed command line and returns the process exit code. An error that stops a
/// command is printed once, here, and exits 2.
pub fn run(cli: Cli) -> u8 {
    let result = match cli.command {
        Command::Check {
            paths,
            format,
            output,
            fail_on,
            threads,
            mesh,
            quiet,
            color,
            parse_only,
            allow_empty,
            list_products,
            evaluator,
            now,
            policy_memory_mb,
            baseline,
            prune_baseline,
            write_baseline,
            changed_since,
            impact,
            fail_on_impact,
            shard,
            from,
        } => {
            let evaluation = Evaluation {
                threads,
                evaluator,
                allow_empty,
                now,
                policy_memory_mb,
            };
            let (target, base) = match check_options(&paths, &mesh, evaluation) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("meshgate: error: {e}");
                    return 2;
                }
            };
            let opts = CheckOptions {
                fail_on: fail_on.threshold(),
                parse_only,
                changed_since,
                impact,
                shard,
                ..base
            };
            if list_products {
                if !matches!(format, report::Format::Human | report::Format::Json) {
                    eprintln!(
                        "meshgate: error: --list-products prints `human` or `json`, not `{}`",
                        format
                            .to_possible_value()
                            .map_or_else(String::new, |v| v.get_name().to_string())
                    );
                    return 2;
                }
                run_list(&opts, format, output.as_ref())
            } else {
                let render_opts = RenderOptions {
                    color: use_color(color, output.is_some()),
                    quiet,
                    path_prefix: path_prefix(&target.root),
                    root: target_line(&target),
                    report_url: github_run_url(),
                };
                if impact
                    && !matches!(
                        format,
                        report::Format::Human | report::Format::Json | report::Format::Markdown
                    )
                {
                    eprintln!(
                        "meshgate: note: --impact is shown in the human, json and markdown formats only; this format leaves it out"
                    );
                }
                let baselines = Baselines {
                    read: baseline,
                    prune: prune_baseline,
                    write: write_baseline,
                };
                run_check(
                    opts,
                    format,
                    output.as_ref(),
                    &render_opts,
                    &baselines,
                    fail_on_impact,
                    from.as_ref(),
                )
            }
        }
        Command::Report {
            paths,
            format,
            output,
            from,
            compare,
            split_domains,
            badge_dir,
            history,
            history_since,
            policies_at,
            fail_under,
            threads,
            mesh,
            allow_empty,
            evaluator,
            now,
            policy_memory_mb,
        } => {
            let evaluation = Evaluation {
                threads,
                evaluator,
                allow_empty,
                now,
                policy_memory_mb,
            };
            let opts = match check_options(&paths, &mesh, evaluation) {
                Ok((_, opts)) => opts,
                Err(e) => {
                    eprintln!("meshgate: error: {e}");
                    return 2;
                }
            };
            let inputs = ReportInputs {
                from,
                compare,
                split_domains,
                badge_dir,
                history,
                history_since,
                policies_at,
                fail_under,
            };
            run_report(&opts, &inputs, format, output.as_ref())
        }
        Command::Merge { files, output } => run_merge(&files, output.as_ref()),
        Command::Inspect {
            path,
            repo,
            bundle,
            no_mesh,
            write,
            mesh,
        } => run_inspect(
            &path,
            repo.as_deref(),
            InspectMode {
                bundle,
                no_mesh,
                write,
            },
            &mesh,
        ),
        Command::Explain { code, repo, mesh } => run_explain(code.as_deref(), &repo, &mesh),
        Command::Policies {
            path,
            format,
            builtin,
            mesh,
        } => run_policies(&path, format, builtin, &mesh),
        Command::Test {
            paths,
            format,
            output,
            run,
            threads,
            coverage,
            threshold,
            verbose,
            opa_helper,
            now,
            mesh,
        } => {
            let target = match scope::resolve_all(&paths) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("meshgate: error: {e}");
                    return 2;
                }
            };
            let opts = TestOptions {
                load: mesh.settings(&target.root),
                scopes: target.scopes.clone(),
                run,
                threads,
                coverage: coverage || threshold.is_some(),
                now_ns: now,
            };
            let render_opts = report::testrun::TestRenderOptions {
                path_prefix: path_prefix(&target.root),
                verbose,
                threshold,
            };
            run_test(
                &opts,
                format,
                output.as_ref(),
                &render_opts,
                opa_helper.as_ref(),
            )
        }
    };
    match result {
        Ok(code) => code,
        Err(Stop::PipeClosed) => 0,
        Err(Stop::Error(e)) => {
            eprintln!("meshgate: error: {e}");
            2
        }
    }
}

/// `meshgate check --list-products`.
fn run_list(
    opts: &CheckOptions,
    format: report::Format,
    output: Option<&PathBuf>,
) -> Result<u8, Stop> {
    let listing = check::list_products(opts).map_err(|e| e.to_string())?;
    write_output(output, |w| report::list::render(format, &listing, w))?;
    for e in &listing.errors {
        eprintln!("meshgate: error: {e}");
    }
    Ok(if listing.errors.is_empty() { 0 } else { 2 })
}

/// The baseline flags of `meshgate check`.
struct Baselines {
    read: Option<PathBuf>,
    prune: bool,
    write: Option<PathBuf>,
}

/// `meshgate merge`: exit 0 once the merged result is written, 2 when the inputs are not
/// parts of one run.
fn run_merge(files: &[PathBuf], output: Option<&PathBuf>) -> Result<u8, Stop> {
    let inputs = files
        .iter()
        .map(|f| crate::merge::read(f))
        .collect::<Result<Vec<_>, String>>()?;
    let merged = crate::merge::merge(inputs)?;
    write_output(output, |w| report::json::render(&merged, w))?;
    Ok(0)
}

/// `meshgate check` (with `from`: `check --from`, rendering a saved result).
fn run_check(
    mut opts: CheckOptions,
    format: report::Format,
    output: Option<&PathBuf>,
    render_opts: &RenderOptions,
    baselines: &Baselines,
    fail_on_impact: bool,
    from: Option<&PathBuf>,
) -> Result<u8, Stop> {
    if let Some(path) = &baselines.read {
        opts.baseline = Some(baseline::load(path).map_err(|e| e.to_string())?);
    }
    let opts = &opts;
    if opts.evaluator == Evaluator::Vm && !opts.parse_only {
        eprintln!(
            "meshgate: warning: --evaluator vm does not report runtime errors inside rules (regorus's VM treats them as the rule not matching): a policy that errors may pass"
        );
    }
    let report = match from {
        Some(file) => {
            let mut report = crate::merge::report(crate::merge::read(file)?)?;
            crate::merge::load_sources(&mut report, &opts.load.root);
            report
        }
        None => check::check(opts).map_err(|e| e.to_string())?,
    };
    if !render_opts.quiet {
        for line in changed_note(&report) {
            eprintln!("meshgate: note: {line}");
        }
    }
    if format != report::Format::Human {
        for e in &report.errors {
            eprintln!("meshgate: error: {e}");
        }
    }
    let mut render_opts = render_opts.clone();
    if let Some(change) = &report.change {
        let selected = report
            .products
            .iter()
            .filter(|p| !p.selected_because.is_empty())
            .count();
        let line = format!(
            "Changed-only: checked the {selected} product{} that the changes since the merge base of {} touch (--changed-since; why each is on standard error and in the JSON report), with the whole mesh loaded for cross-product rules; {} not selected.",
            if selected == 1 { "" } else { "s" },
            change.reference,
            report.summary.products_not_selected
        );
        render_opts.root = Some(match render_opts.root.take() {
            Some(root) => format!("{root}\n{line}"),
            None => line,
        });
    }
    if let Some(shard) = report.shard {
        let checked = report.summary.products;
        let line = format!(
            "Shard {shard}: checked {checked} product{}, the other {} shard{} check the rest (--shard, balanced by descriptor size), with the whole mesh loaded for cross-product rules; `meshgate merge` joins the shards' JSON results.",
            if checked == 1 { "" } else { "s" },
            shard.count - 1,
            if shard.count == 2 { "" } else { "s" }
        );
        render_opts.root = Some(match render_opts.root.take() {
            Some(root) => format!("{root}\n{line}"),
            None => line,
        });
    }
    let render_opts = &render_opts;
    write_output(output, |w| report::render(format, &report, render_opts, w))?;
    if format == report::Format::Github {
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            report::github::append_summary(&report, &path).map_err(|e| {
                format!(
                    "cannot append the job summary to {} ($GITHUB_STEP_SUMMARY): {e}",
                    path.display()
                )
            })?;
        }
    }
    if let (true, Some(outcome)) = (baselines.prune, &report.baseline) {
        let path = baselines
            .read
            .as_ref()
            .map_or_else(PathBuf::new, PathBuf::clone);
        std::fs::write(&path, baseline::pruned(outcome))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!(
            "meshgate: removed {} fixed finding(s) from the baseline {}",
            outcome.fixed.len(),
            path.display()
        );
    }
    if let Some(path) = &baselines.write {
        std::fs::write(path, baseline::record(&report.findings))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("meshgate: wrote the baseline {}", path.display());
        if let Some(shard) = report.shard {
            eprintln!(
                "meshgate: warning: the baseline holds only the findings of shard {shard}: write it from a run of the whole mesh, or the other shards' findings will be new"
            );
        }
        if !report.scope.is_empty() {
            eprintln!(
                "meshgate: warning: the baseline holds only the findings of {}: write it from a run of the whole mesh, or the other products' findings will be new",
                report.scope.join(", ")
            );
        }
        // Recording is not gating: every finding is in the new baseline.
        return Ok(if report.exit_code() == 2 { 2 } else { 0 });
    }

    let code = report.exit_code();
    // The preview fails the run only when asked, and never hides a worse code.
    let newly_failing = report.impact.as_ref().map_or(0, |i| i.newly_failing);
    if fail_on_impact && newly_failing > 0 && code == 0 {
        eprintln!(
            "meshgate: error: --fail-on-impact: the policy change makes {newly_failing} product{} newly fail",
            if newly_failing == 1 { "" } else { "s" }
        );
        return Ok(1);
    }
    Ok(code)
}

/// What a changed-only run selected and why, for standard error: one line for the change, one
/// per selected product (the first [`NOTE_PRODUCTS`]).
fn changed_note(report: &crate::model::Report) -> Vec<String> {
    const NOTE_PRODUCTS: usize = 20;
    let Some(change) = &report.change else {
        return Vec::new();
    };
    let base = change.base.get(..12).unwrap_or(&change.base);
    let files = format!(
        "{} file{} changed or added, {} deleted",
        change.changed.len(),
        if change.changed.len() == 1 { "" } else { "s" },
        change.deleted.len()
    );
    let selected: Vec<&crate::model::ProductReport> = report
        .products
        .iter()
        .filter(|p| !p.selected_because.is_empty())
        .collect();
    if selected.is_empty() {
        return vec![format!(
            "--changed-since {}: the changes since the merge base {base} ({files}) touch no data product, so no product was checked; that is a pass, not an accident: every product is `not-selected`",
            change.reference
        )];
    }
    let mut lines = vec![format!(
        "--changed-since {}: the changes since the merge base {base} ({files}) touch {} of {} products; checking only those:",
        change.reference,
        selected.len(),
        report.products.len()
    )];
    for p in selected.iter().take(NOTE_PRODUCTS) {
        let why: Vec<String> = p.selected_because.iter().map(ToString::to_string).collect();
        lines.push(format!("  {} ({})", p.path, why.join("; ")));
    }
    if selected.len() > NOTE_PRODUCTS {
        lines.push(format!(
            "  … and {} more (the JSON report gives each product's `selected_because`)",
            selected.len() - NOTE_PRODUCTS
        ));
    }
    lines
}

/// The files and gate of `meshgate report`.
struct ReportInputs {
    from: Option<PathBuf>,
    compare: Option<PathBuf>,
    split_domains: Option<PathBuf>,
    badge_dir: Option<PathBuf>,
    history: Option<u32>,
    history_since: Option<String>,
    policies_at: Option<String>,
    fail_under: Option<f64>,
}

/// The file name of a domain's report or badge: the domain's folder name (already a valid
/// file name), `_no-domain` for products outside any domain.
fn domain_file(name: Option<&str>, ext: &str) -> String {
    format!("{}.{ext}", name.unwrap_or("_no-domain"))
}

/// Writes `--split-domains` and `--badge-dir` files.
fn write_report_files(
    board: &crate::score::Board,
    inputs: &ReportInputs,
    format: report::scorecard::ReportFormat,
) -> Result<(), Stop> {
    let create = |dir: &PathBuf| {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
    };
    let write = |path: PathBuf, text: &[u8]| {
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    if let Some(dir) = &inputs.split_domains {
        create(dir)?;
        let ext = match format {
            report::scorecard::ReportFormat::Json => "json",
            report::scorecard::ReportFormat::Markdown => "md",
            report::scorecard::ReportFormat::Html => "html",
        };
        for (i, d) in board.domains.iter().enumerate() {
            let mut text = Vec::new();
            report::scorecard::render(format, &board.for_domain(i), &mut text)
                .map_err(|e| format!("cannot render the report of a domain: {e}"))?;
            write(dir.join(domain_file(d.name.as_deref(), ext)), &text)?;
        }
    }
    if let Some(dir) = &inputs.badge_dir {
        create(dir)?;
        for d in &board.domains {
            write(
                dir.join(domain_file(d.name.as_deref(), "svg")),
                report::badge::domain_badge(d).as_bytes(),
            )?;
        }
        write(
            dir.join("_mesh.svg"),
            report::badge::mesh_badge(board).as_bytes(),
        )?;
    }
    Ok(())
}

/// `meshgate report`: evaluates as `check` does (or reads `--from`), scores, renders. Exit 2
/// when the evaluation was incomplete, else 1 under `--fail-under`, else 0.
fn run_report(
    opts: &CheckOptions,
    inputs: &ReportInputs,
    format: report::scorecard::ReportFormat,
    output: Option<&PathBuf>,
) -> Result<u8, Stop> {
    use crate::score;
    let read = |file: &PathBuf| {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))
    };
    // The earlier report is read first: a wrong file stops before the evaluation.
    let previous = match &inputs.compare {
        Some(file) => Some(score::read_board(
            &read(file)?,
            &file.display().to_string(),
        )?),
        None => None,
    };
    let (from, fail_under) = (inputs.from.as_ref(), inputs.fail_under);
    // The history's commits are found first: outside git or in a shallow clone, stop early.
    let commits = match inputs.history {
        Some(n) => Some(crate::history::commits(
            &opts.load.root,
            n as usize,
            inputs.history_since.as_deref(),
        )?),
        None => None,
    };
    let config = crate::config::Config::load(&opts.load.root).map_err(|e| {
        format!(
            "{}",
            crate::config::ConfigError {
                file: opts.load.root.join(&e.file).display().to_string(),
                ..e
            }
        )
    })?;
    let input = match from {
        Some(file) => score::Input::from_check_json(&read(file)?, &file.display().to_string())?,
        None => score::Input::from_report(&check::check(opts).map_err(|e| e.to_string())?),
    };
    for e in &input.errors {
        eprintln!("meshgate: error: {e}");
    }
    let mut board = score::board(&input, &config.score);
    board.comparison = previous.map(|p| score::compare(&board, &p));
    if let Some(commits) = &commits {
        board.history = Some(crate::history::scores(
            opts,
            commits,
            &config.score,
            inputs.policies_at.as_deref(),
        )?);
    }
    write_report_files(&board, inputs, format)?;
    if output.is_some() || inputs.split_domains.is_none() {
        write_output(output, |w| report::scorecard::render(format, &board, w))?;
    }
    if input.incomplete {
        return Ok(2);
    }
    if let Some(min) = fail_under {
        match board.mesh.stats.mean {
            Some(mean) if mean >= min => {}
            Some(mean) => {
                eprintln!("meshgate: the mesh's mean score {mean:.1} is under --fail-under {min}");
                return Ok(1);
            }
            None => {
                eprintln!(
                    "meshgate: no product has a score, so the mesh is not over --fail-under {min}"
                );
                return Ok(1);
            }
        }
    }
    Ok(0)
}

/// The page of the current GitHub Actions run (where its job summary is), from the variables
/// GitHub sets; `None` outside GitHub Actions.
fn github_run_url() -> Option<String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    Some(format!(
        "{}/{}/actions/runs/{}",
        var("GITHUB_SERVER_URL")?,
        var("GITHUB_REPOSITORY")?,
        var("GITHUB_RUN_ID")?
    ))
}

/// `meshgate explain`.
fn run_explain(code: Option<&str>, repo: &std::path::Path, args: &MeshArgs) -> Result<u8, Stop> {
    let root = scope::resolve(repo).map_err(|e| e.to_string())?.root;
    let pool = check::thread_pool(None).map_err(|e| e.to_string())?;
    let catalog = pool.install(|| {
        mesh::load(&args.settings(&root))
            .map(|mesh| explain::catalog(&mesh))
            .map_err(|e| e.to_string())
    })?;
    match code {
        None => {
            write_output(None, |w| explain::render_list(&catalog, w))?;
            Ok(0)
        }
        Some(code) => match explain::find(&catalog, code) {
            Some(entry) => {
                write_output(None, |w| explain::render_entry(&entry, w))?;
                Ok(0)
            }
            None => {
                // A built-in policy (`meshgate.parse`): its rules.
                let prefix = format!("{code}/");
                let rules: Vec<explain::Entry> = catalog
                    .iter()
                    .filter(|e| e.code.starts_with(&prefix))
                    .cloned()
                    .collect();
                if rules.is_empty() {
                    return Err(Stop::Error(format!(
                        "no rule or policy `{code}` in the mesh at {} (run `meshgate explain` to list them, or pass the mesh with --repo)",
                        repo.display()
                    )));
                }
                write_output(None, |w| explain::render_list(&rules, w))?;
                Ok(0)
            }
        },
    }
}

/// `meshgate policies`: exit 0, or 2 when a policy file did not load (it is left out of the
/// catalog and reported on standard error).
fn run_policies(
    path: &std::path::Path,
    format: catalog::Format,
    builtin: bool,
    args: &MeshArgs,
) -> Result<u8, Stop> {
    let catalog = if builtin {
        catalog::build(crate::library::sources(), &[])
    } else {
        let root = scope::resolve(path).map_err(|e| e.to_string())?.root;
        let pool = check::thread_pool(None).map_err(|e| e.to_string())?;
        pool.install(|| {
            let mesh = mesh::load(&args.settings(&root)).map_err(|e| e.to_string())?;
            let files = mesh.policy_files();
            let mut catalog = catalog::build(files.sources, &mesh.domain_names());
            catalog
                .errors
                .extend(files.unreadable.into_iter().map(|(_, e)| e));
            Ok::<_, String>(catalog)
        })?
    };
    write_output(None, |w| catalog::render(&catalog, format, w))?;
    for e in &catalog.errors {
        eprintln!("meshgate: error: {e}");
    }
    Ok(if catalog.errors.is_empty() { 0 } else { 2 })
}

/// What `meshgate inspect` prints or writes.
struct InspectMode {
    bundle: bool,
    no_mesh: bool,
    write: Option<PathBuf>,
}

/// `meshgate inspect`.
fn run_inspect(
    path: &std::path::Path,
    repo: Option<&std::path::Path>,
    mode: InspectMode,
    args: &MeshArgs,
) -> Result<u8, Stop> {
    let settings = args.settings(path);
    let doc = if mode.bundle {
        let pool = check::thread_pool(None).map_err(|e| e.to_string())?;
        pool.install(|| {
            let mesh = mesh::load(&settings).map_err(|e| e.to_string())?;
            inspect::bundle(&mesh).map_err(|e| e.to_string())
        })?
    } else {
        let found = inspect::product_document(path, repo, &settings, mode.no_mesh)
            .map_err(|e| e.to_string())?;
        if let Some(dir) = &mode.write {
            let written = inspect::write_reproduction(&found, dir)?;
            let d = dir.display();
            let packages: std::collections::BTreeSet<String> = found
                .policies
                .iter()
                .filter_map(|p| inspect::package_of(&p.text))
                .collect();
            write_output(None, |w| {
                writeln!(w, "wrote {} files into {d}:", written.len())?;
                for f in &written {
                    writeln!(w, "  {f}")?;
                }
                writeln!(w, "reproduce a policy's verdict with:")?;
                for pkg in &packages {
                    writeln!(w, "  opa eval --v1-compatible -i {d}/input.json -d {d}/data.json -d {d}/policies 'data.{pkg}'")?;
                }
                Ok(())
            })?;
            return Ok(0);
        }
        found.doc
    };
    write_output(None, |w| {
        serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::from)?;
        writeln!(w)
    })?;
    Ok(0)
}

fn parse_regex(text: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(text).map_err(|e| format!("not a regular expression: {e}"))
}

fn parse_percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

/// `meshgate test`.
fn run_test(
    opts: &TestOptions,
    format: report::testrun::TestFormat,
    output: Option<&PathBuf>,
    render_opts: &report::testrun::TestRenderOptions,
    opa_helper: Option<&PathBuf>,
) -> Result<u8, Stop> {
    let run = match testing::run(opts) {
        Ok(run) => run,
        Err(testing::TestFatal::Load(errors)) => {
            // Every problem, each on its own line, then exit 2.
            for e in &errors {
                eprintln!("meshgate: error: {e}");
            }
            return Ok(2);
        }
        Err(e) => return Err(Stop::Error(e.to_string())),
    };
    write_output(output, |w| {
        report::testrun::render(format, &run, render_opts, w)
    })?;
    if let Some(file) = opa_helper {
        std::fs::write(file, testing::opa_helper(&run))
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    }
    let s = run.summary();
    let below = match (&run.coverage, render_opts.threshold) {
        (Some(c), Some(t)) => c.percent() < t,
        _ => false,
    };
    Ok(if s.failed > 0 || s.errored > 0 || below {
        1
    } else {
        0
    })
}
