//! `meshgate test`: the Rego unit tests (`*_test.rego`) next to the policies `check` loads,
//! run by the interpreter exactly as `check` evaluates (same engine setup, time limit, fixed
//! `time.now_ns`, load-time checks), with line coverage of the policy files.
//!
//! A test is a rule named `test_*` (not a function) in a test file: it passes when its value
//! is `true`, fails when it is anything else or undefined, and errors when evaluation errors
//! (an error is a failure, never a pass). `todo_test_*` rules are skipped and counted, as in
//! `opa test`. Tests see no mesh: `input` and `data.meshgate.*` are whatever their `with`
//! clauses give, as in `opa test`, so a test that passes here passes there.
//!
//! The reserved package `meshgate.test` ([`HELPER_PACKAGE`]) provides `facts(descriptor)`: the
//! facts and view meshgate computes for a descriptor literal ([`facts_of`]). Here it calls
//! meshgate's Rust code; for Go OPA, [`opa_helper`] writes the same function as a Rego table
//! of every descriptor the tests passed to it (`meshgate test --opa-helper FILE`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rayon::prelude::*;
use regorus::unstable::{Expr, Literal, Module, Query, Rule, RuleHead};
use regorus::{Engine, Value};
use serde::Serialize;

use crate::data;
use crate::descriptor::{self, Format, Limits, Pos, Standard};
use crate::findings::{ErrorKind, Location, RunError};
use crate::library::BUILTIN_PREFIX;
use crate::mesh::{self, Fatal, LoadSettings, Mesh};
use crate::policy::{self, Origin};
use crate::rego::{char_column, split_regorus_error};
use crate::scope::{in_scope, Scope};

/// The reserved package of the test helper.
pub const HELPER_PACKAGE: &str = "meshgate.test";

/// `path` of the facts [`facts_of`] builds.
pub const HELPER_PATH: &str = "domains/example/products/example/dataproduct.yaml";

/// `domain` of the facts [`facts_of`] builds.
pub const HELPER_DOMAIN: &str = "example";

/// The extension the helper module calls (not meant to be called by tests directly).
const FACTS_EXTENSION: &str = "meshgate_test_facts";

/// Display path of the helper module.
const HELPER_FILE: &str = "<meshgate>/meshgate_test.rego";

/// The helper module meshgate loads next to the tests.
fn helper_module() -> String {
    format!(
        "package {HELPER_PACKAGE}\n\nfacts(descriptor) := {FACTS_EXTENSION}(descriptor)\n\nready := true\n"
    )
}

/// What to test and how.
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Where the mesh is and how to read it.
    pub load: LoadSettings,
    /// Run only the tests in these parts of the mesh (empty: every test).
    pub scopes: Vec<Scope>,
    /// Run only the tests whose full name (`data.pkg.test_x`) matches.
    pub run: Option<regex::Regex>,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Measure line coverage of the policy files in scope.
    pub coverage: bool,
    /// What `time.now_ns()` returns (`None`: the clock when the run starts).
    pub now_ns: Option<i64>,
}

/// How a test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The body was true.
    Pass,
    /// The body was false, undefined, or a value other than `true`.
    Fail,
    /// Evaluation errored (or the test file was rejected at load): a failure.
    Error,
    /// A `todo_test_*` rule: not run.
    Todo,
}

impl Outcome {
    /// The lower-case name (`pass`, `fail`, `error`, `todo`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
            Outcome::Todo => "todo",
        }
    }
}

/// One test and how it ended.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    /// Package without `data.`.
    pub package: String,
    /// The rule's name (`test_x`, `todo_test_y`).
    pub name: String,
    /// Where the rule is declared (its first definition).
    pub location: Location,
    /// How it ended.
    pub outcome: Outcome,
    /// What the rule produced when it failed: `false`, `undefined`, or a value as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub produced: Option<String>,
    /// Why it errored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<TestError>,
}

impl TestResult {
    /// `data.<package>.<name>`.
    pub fn full_name(&self) -> String {
        format!("data.{}.{}", self.package, self.name)
    }
}

/// Why a test errored.
#[derive(Debug, Clone, Serialize)]
pub struct TestError {
    /// What went wrong.
    pub message: String,
    /// Where, when known (in a policy or in the test).
    pub location: Option<Location>,
    /// What to do, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// Line coverage of one policy file.
#[derive(Debug, Clone, Serialize)]
pub struct FileCoverage {
    /// Repo-relative path.
    pub file: String,
    /// Lines whose expressions some test evaluated.
    pub covered: Vec<u32>,
    /// Lines with expressions no test evaluated.
    pub not_covered: Vec<u32>,
}

impl FileCoverage {
    /// Covered lines in percent of the lines with expressions (100 for a file without any).
    pub fn percent(&self) -> f64 {
        percent(self.covered.len(), self.not_covered.len())
    }
}

fn percent(covered: usize, not_covered: usize) -> f64 {
    let total = covered + not_covered;
    if total == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / total as f64
    }
}

/// Line coverage of the policy files in scope.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Per file, sorted by path.
    pub files: Vec<FileCoverage>,
}

impl Coverage {
    /// Covered lines of all files in percent of their lines with expressions.
    pub fn percent(&self) -> f64 {
        let covered = self.files.iter().map(|f| f.covered.len()).sum();
        let not = self.files.iter().map(|f| f.not_covered.len()).sum();
        percent(covered, not)
    }
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    /// Tests found (after `--run`).
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Errored.
    pub errored: usize,
    /// `todo_test_*`, skipped.
    pub skipped: usize,
}

/// The result of `meshgate test`.
#[derive(Debug, Clone)]
pub struct TestRun {
    /// Every test, sorted by file, line, then name.
    pub results: Vec<TestResult>,
    /// Line coverage, when asked for.
    pub coverage: Option<Coverage>,
    /// Descriptors passed to `data.meshgate.test.facts` and their facts, by descriptor JSON.
    pub recorded: BTreeMap<String, (Value, Value)>,
}

impl TestRun {
    /// The counts.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            total: self.results.len(),
            ..Summary::default()
        };
        for r in &self.results {
            match r.outcome {
                Outcome::Pass => s.passed += 1,
                Outcome::Fail => s.failed += 1,
                Outcome::Error => s.errored += 1,
                Outcome::Todo => s.skipped += 1,
            }
        }
        s
    }
}

/// Why the tests could not be run (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum TestFatal {
    /// The mesh could not be loaded.
    #[error(transparent)]
    Mesh(#[from] Fatal),
    /// Policies or tests do not compile, or a test file has no package: every problem.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Load(Vec<RunError>),
    /// No test file in scope.
    #[error("{0}: no `*_test.rego` file next to the policies meshgate loads (the global policy folders{1}, and `domains/<d>/policies/`): nothing was tested, which is not a pass; check the path, or put the tests next to the policies")]
    NoTests(String, String),
}

/// A test file found next to the policies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct TestFile {
    /// Repo-relative path.
    path: String,
    /// The policy set it runs against.
    origin: Origin,
}

fn is_test_file(name: &str) -> bool {
    name.ends_with("_test.rego")
}

/// Every `*_test.rego` under the global policy folders (or next to a policy file given
/// directly) and under `domains/<d>/policies/`, sorted. Hidden folders and links are skipped.
fn find_test_files(mesh: &Mesh, settings: &LoadSettings) -> Vec<TestFile> {
    let root = &mesh.root;
    let mut out = Vec::new();
    let walk = |dir: &Path, origin: Origin, out: &mut Vec<TestFile>| {
        let walker = walkdir::WalkDir::new(dir)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker.flatten() {
            if entry.file_type().is_file() && is_test_file(&entry.file_name().to_string_lossy()) {
                out.push(TestFile {
                    path: crate::discover::rel_path(root, entry.path()),
                    origin: origin.clone(),
                });
            }
        }
    };
    let dirs: &[String] = if settings.policy_dirs.is_empty() {
        &mesh.config.policies
    } else {
        &settings.policy_dirs
    };
    for dir in dirs {
        let abs = if Path::new(dir).is_absolute() {
            PathBuf::from(dir)
        } else {
            root.join(dir)
        };
        if abs.is_file() {
            // `--policy checks/owner.rego`: its tests are `checks/owner_test.rego`.
            let test = abs.with_extension("").to_string_lossy().to_string() + "_test.rego";
            if Path::new(&test).is_file() {
                out.push(TestFile {
                    path: crate::discover::rel_path(root, Path::new(&test)),
                    origin: Origin::Global,
                });
            }
        } else if abs.is_dir() {
            walk(&abs, Origin::Global, &mut out);
        }
    }
    for d in &mesh.inventory.domains {
        let dir = root.join("domains").join(&d.name).join("policies");
        if dir.is_dir() {
            walk(&dir, Origin::Domain(d.name.clone()), &mut out);
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.path == b.path);
    out
}

/// The facts `data.meshgate.test.facts(descriptor)` returns: `data.meshgate.product` as
/// `check` builds it for a product whose descriptor is `descriptor` (standard detected, view
/// built), at [`HELPER_PATH`] in domain [`HELPER_DOMAIN`], format `yaml`. `$ref`s are not
/// resolved (there is no file to resolve them against).
pub fn facts_of(descriptor: &Value) -> Result<Value, String> {
    if !matches!(descriptor, Value::Object(_)) {
        return Err(format!(
            "data.meshgate.test.facts: the descriptor must be an object, not {}",
            serde_json::to_string(descriptor).unwrap_or_else(|_| "this value".to_string())
        ));
    }
    let json =
        serde_json::to_vec(descriptor).map_err(|e| format!("data.meshgate.test.facts: {e}"))?;
    let root = descriptor::parse(&json, Format::Json, &Limits::default())
        .map_err(|e| format!("data.meshgate.test.facts: {}", e.message))?;
    let (standard, version) = Standard::detect(&root);
    let view = crate::view::build(&root, standard, version.as_deref());
    Ok(data::product_facts(
        HELPER_PATH,
        Some(HELPER_DOMAIN),
        Format::Yaml,
        Some(standard),
        version.as_deref(),
        view.as_ref().map(|v| &v.view),
    ))
}

/// Descriptors recorded by the helper, by their JSON.
type Recorder = Arc<Mutex<BTreeMap<String, (Value, Value)>>>;

/// A test rule of a test file.
#[derive(Debug, Clone)]
struct TestRule {
    package: String,
    name: String,
    file: String,
    pos: Pos,
    /// Where the test is defined a second time, if it is.
    redefined: Option<(String, Pos)>,
}

/// Package (without `data.`) of a module.
fn module_package(m: &Module) -> String {
    let text = m.package.refr.span().text().to_string();
    text.strip_prefix("data.").unwrap_or(&text).to_string()
}

/// The `test_*` and `todo_test_*` rules (not functions) of `modules` of `files`, in file then
/// source order, each once, with where it is defined again if it is.
fn test_rules(
    modules: &[regorus::unstable::Ref<Module>],
    files: &BTreeSet<String>,
) -> Vec<TestRule> {
    let mut out: Vec<TestRule> = Vec::new();
    for m in modules {
        let file = m.package.span.source.file().to_string();
        if !files.contains(&file) {
            continue;
        }
        let package = module_package(m);
        for rule in &m.policy {
            let (refr, span) = match &**rule {
                Rule::Spec {
                    head: RuleHead::Compr { refr, span, .. } | RuleHead::Set { refr, span, .. },
                    ..
                } => (refr, span),
                Rule::Default { refr, span, .. } => (refr, span),
                Rule::Spec {
                    head: RuleHead::Func { .. },
                    ..
                } => continue,
            };
            let Expr::Var { span: name, .. } = &**refr else {
                continue;
            };
            let name = name.text().to_string();
            if !(name.starts_with("test_") || name.starts_with("todo_test_")) {
                continue;
            }
            let pos = Pos::new(span.line as usize, span.col as usize);
            if let Some(first) = out
                .iter_mut()
                .find(|t| t.package == package && t.name == name)
            {
                if first.redefined.is_none() {
                    first.redefined = Some((file.clone(), pos));
                }
                continue;
            }
            out.push(TestRule {
                package: package.clone(),
                name,
                file: file.clone(),
                pos,
                redefined: None,
            });
        }
    }
    out
}

/// Runs the tests.
pub fn run(opts: &TestOptions) -> Result<TestRun, TestFatal> {
    let pool = crate::check::thread_pool(opts.threads)?;
    pool.install(|| run_in_pool(opts))
}

fn load_error(kind: ErrorKind, message: String, location: Option<Location>) -> RunError {
    RunError {
        kind,
        message,
        location,
    }
}

fn compile_error(path: &str, source: &str, text: &str) -> RunError {
    let (loc, message) = split_regorus_error(text);
    load_error(
        ErrorKind::PolicyCompile,
        format!("test does not compile: {message}"),
        Some(match loc {
            Some((_, pos)) => Location::new(path, char_column(Some(source), pos), 1),
            None => Location::new(path, Pos::START, 1),
        }),
    )
}

/// A test file read and compiled on its own.
struct ReadTest {
    file: TestFile,
    text: Arc<str>,
}

fn read_test(root: &Path, file: &TestFile) -> Result<ReadTest, RunError> {
    let abs = if Path::new(&file.path).is_absolute() {
        PathBuf::from(&file.path)
    } else {
        root.join(&file.path)
    };
    let at_start = || Some(Location::new(&file.path, Pos::START, 1));
    let text = std::fs::read(&abs)
        .map_err(|e| e.to_string())
        .and_then(|b| String::from_utf8(b).map_err(|_| "the file is not UTF-8 text".to_string()))
        .map_err(|why| {
            load_error(
                ErrorKind::Io,
                format!("cannot read test file: {why}"),
                at_start(),
            )
        })?;
    if !text
        .lines()
        .any(|l| l.trim_start().starts_with("package ") || l.trim() == "package")
    {
        return Err(load_error(
            ErrorKind::PolicyCompile,
            "test file has no `package` declaration: start it with `package <name>` (e.g. the policy's package followed by `_test`)".to_string(),
            at_start(),
        ));
    }
    let mut engine = crate::rego::new_engine();
    let pkg = engine
        .add_policy(file.path.clone(), text.clone())
        .map_err(|e| compile_error(&file.path, &text, &e.to_string()))?;
    let package = pkg.strip_prefix("data.").unwrap_or(&pkg);
    if package == "meshgate" || package.starts_with("meshgate.") {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with("package "))
            .unwrap_or(0);
        return Err(load_error(
            ErrorKind::PolicyRejected,
            format!("package `{package}` is reserved: names under `meshgate.` belong to meshgate itself (`{HELPER_PACKAGE}` is the test helper); rename the package"),
            Some(Location::new(&file.path, Pos::new(line + 1, 1), 7)),
        ));
    }
    Ok(ReadTest {
        file: file.clone(),
        text: text.into(),
    })
}

/// One policy set with its tests, ready to run.
struct Prepared {
    engine: Engine,
    tests: Vec<TestRule>,
    /// Tests of files rejected at load (recursion, unknown calls): errors at the problem.
    rejected: Vec<(TestRule, TestError)>,
}

/// Loads the set's engine with the helper and `tests`; rejects test files whose calls or
/// recursion the load-time checks refuse (their tests become errors at the problem).
fn prepare(
    base: &Engine,
    tests: &[&ReadTest],
    now_ns: i64,
    recorder: &Recorder,
) -> Result<Prepared, Vec<RunError>> {
    let mut engine = base.clone();
    engine
        .add_policy(HELPER_FILE.to_string(), helper_module())
        .map_err(|e| {
            vec![load_error(
                ErrorKind::PolicyCompile,
                format!("the test helper does not compile: {e}"),
                None,
            )]
        })?;
    let rec = recorder.clone();
    let _ = engine.add_extension(
        FACTS_EXTENSION.to_string(),
        1,
        Box::new(move |args: Vec<Value>| {
            let d = args.into_iter().next().unwrap_or(Value::Undefined);
            let facts = facts_of(&d).map_err(std::io::Error::other)?;
            let key = serde_json::to_string(&d).unwrap_or_default();
            if let Ok(mut m) = rec.lock() {
                m.entry(key).or_insert_with(|| (d.clone(), facts.clone()));
            }
            Ok(facts)
        }),
    );
    let now = Value::from(now_ns);
    let _ = engine.add_extension(
        "time.now_ns".to_string(),
        0,
        Box::new(move |_: Vec<Value>| Ok(now.clone())),
    );
    let mut errors = Vec::new();
    let mut added: Vec<&ReadTest> = Vec::new();
    for t in tests {
        let mut probe = engine.clone();
        match probe.add_policy(t.file.path.clone(), t.text.to_string()) {
            Ok(_) => {
                engine = probe;
                added.push(t);
            }
            Err(e) => errors.push(compile_error(&t.file.path, &t.text, &e.to_string())),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let files: BTreeSet<String> = added.iter().map(|t| t.file.path.clone()).collect();
    let all_tests = {
        let mut e = engine.clone();
        test_rules(e.get_modules(), &files)
    };
    // Load-time checks, as for policies: a test file that recurses or calls an unknown or
    // outside-reaching function is left out; its tests are errors at the problem.
    let mut problems: BTreeMap<String, TestError> = BTreeMap::new();
    let analysis = crate::recursion::analyze(&engine);
    for c in &analysis.cycles {
        if files.contains(&c.file) {
            problems.entry(c.file.clone()).or_insert(TestError {
                message: format!(
                    "recursion is not allowed in Rego (`{}`): a rule or function that refers to itself can run forever",
                    c.chain.join(" -> ")
                ),
                location: Some(Location::new(&c.file, c.pos, 1)),
                help: Some("rewrite it without recursion (e.g. with `walk` or `graph.reachable`)".to_string()),
            });
        }
    }
    for call in &analysis.calls {
        if !files.contains(&call.file) || call.function == FACTS_EXTENSION {
            continue;
        }
        let Some(message) = crate::calls::problem(&call.function) else {
            continue;
        };
        let source = added
            .iter()
            .find(|t| t.file.path == call.file)
            .map(|t| &*t.text);
        let width = u32::try_from(call.function.chars().count()).unwrap_or(u32::MAX);
        problems.entry(call.file.clone()).or_insert(TestError {
            message,
            location: Some(Location::new(
                &call.file,
                char_column(source, call.pos),
                width,
            )),
            help: None,
        });
    }
    if !problems.is_empty() {
        // Rebuild without the rejected files.
        let kept: Vec<&ReadTest> = tests
            .iter()
            .copied()
            .filter(|t| !problems.contains_key(&t.file.path))
            .collect();
        let mut again = prepare(base, &kept, now_ns, recorder)?;
        again.rejected.extend(
            all_tests
                .into_iter()
                .filter_map(|t| problems.get(&t.file).map(|p| (t, p.clone()))),
        );
        return Ok(again);
    }
    // Warm the engine once (regorus prepares it at the first evaluation), so every clone
    // starts prepared.
    let _ = engine.eval_rule(format!("data.{HELPER_PACKAGE}.ready"));
    Ok(Prepared {
        engine,
        tests: all_tests,
        rejected: Vec::new(),
    })
}

/// Drops run-dependent details (elapsed time) so output is deterministic.
fn stable_message(message: &str, timeout: Duration) -> String {
    if message.starts_with("execution exceeded time limit") {
        format!(
            "execution exceeded the time limit of {} ms",
            timeout.as_millis()
        )
    } else {
        message.to_string()
    }
}

fn error_help(message: &str) -> Option<String> {
    if message.starts_with("could not find function ") {
        return Some("the function is not available in meshgate's Rego engine (regorus); rewrite the rule without it".to_string());
    }
    if message.contains("time limit") {
        return Some("the test ran past `policy-timeout-ms` (meshgate.toml): make the rule cheaper, or raise the limit".to_string());
    }
    None
}

/// Runs one test on its own clone of the prepared engine.
fn run_one(
    prepared: &Prepared,
    t: &TestRule,
    timeout: Duration,
    sources: &BTreeMap<String, Arc<str>>,
    coverage: bool,
) -> (TestResult, Option<regorus::coverage::Report>) {
    let location = Location::new(
        &t.file,
        char_column(sources.get(&t.file).map(|s| &**s), t.pos),
        t.name.chars().count() as u32,
    );
    let mut result = TestResult {
        package: t.package.clone(),
        name: t.name.clone(),
        location,
        outcome: Outcome::Todo,
        produced: None,
        error: None,
    };
    if t.name.starts_with("todo_") {
        return (result, None);
    }
    if let Some((file, pos)) = &t.redefined {
        // OPA runs each definition of a test as a test of its own (`test_x#01`, …); evaluated
        // together, a false definition would hide behind a true one. Fail closed.
        result.outcome = Outcome::Error;
        result.error = Some(TestError {
            message: format!(
                "`{}` is defined more than once: `opa test` runs each definition as its own test, evaluated together one would hide another's failure",
                t.name
            ),
            location: Some(Location::new(
                file,
                char_column(sources.get(file).map(|s| &**s), *pos),
                t.name.chars().count() as u32,
            )),
            help: Some("give each definition its own name".to_string()),
        });
        return (result, None);
    }
    let mut engine = prepared.engine.clone();
    if coverage {
        engine.set_enable_coverage(true);
    }
    match engine.eval_rule(crate::rego::rule_ref(&t.package, &t.name)) {
        Ok(Value::Bool(true)) => result.outcome = Outcome::Pass,
        Ok(Value::Undefined) => {
            result.outcome = Outcome::Fail;
            result.produced = Some("undefined".to_string());
        }
        Ok(v) => {
            result.outcome = Outcome::Fail;
            result.produced =
                Some(serde_json::to_string(&v).unwrap_or_else(|_| "a value".to_string()));
        }
        Err(e) => {
            let (loc, message) = split_regorus_error(&e.to_string());
            let message = stable_message(&message, timeout);
            result.outcome = Outcome::Error;
            result.error = Some(TestError {
                help: error_help(&message),
                message,
                // An error raised by the helper is the test's: its own line says where.
                location: loc
                    .filter(|(file, _)| file != HELPER_FILE)
                    .map(|(file, pos)| {
                        let col = char_column(sources.get(&file).map(|s| &**s), pos);
                        Location::new(&file, col, 1)
                    }),
            });
        }
    }
    let report = if coverage {
        engine.get_coverage_report().ok()
    } else {
        None
    };
    (result, report)
}

fn run_in_pool(opts: &TestOptions) -> Result<TestRun, TestFatal> {
    let mesh = mesh::load(&opts.load)?;
    let timeout = Duration::from_millis(mesh.config.policy_timeout_ms);
    let now_ns = opts.now_ns.unwrap_or_else(crate::check::clock_ns);
    let found: Vec<TestFile> = find_test_files(&mesh, &opts.load)
        .into_iter()
        .filter(|t| in_scope(&opts.scopes, &t.path))
        .collect();
    if found.is_empty() {
        let what: Vec<&str> = opts.scopes.iter().map(|s| s.given.as_str()).collect();
        let dirs = if opts.load.policy_dirs.is_empty() {
            &mesh.config.policies
        } else {
            &opts.load.policy_dirs
        };
        let dirs: Vec<String> = dirs.iter().map(|d| format!("`{d}`")).collect();
        return Err(TestFatal::NoTests(
            if what.is_empty() {
                mesh.root.display().to_string()
            } else {
                what.join(", ")
            },
            if dirs.is_empty() {
                String::new()
            } else {
                format!(" {}", dirs.join(", "))
            },
        ));
    }
    // Which policy sets run tests: the global one, and the domains with tests in scope.
    let tested_domains: BTreeSet<String> = found
        .iter()
        .filter_map(|t| match &t.origin {
            Origin::Domain(d) => Some(d.clone()),
            Origin::Global => None,
        })
        .collect();

    let files = mesh.policy_files();
    let policy_paths: Vec<(String, Origin)> = files
        .sources
        .iter()
        .map(|s| (s.path.clone(), s.origin.clone()))
        .collect();
    // Tests see no mesh data, as in `opa test`: whatever they need they give with `with`.
    let lib = policy::build(
        files.sources,
        &mesh.domain_names(),
        &Value::new_object(),
        timeout,
    );
    let relevant = |file: &str| {
        policy_paths.iter().any(|(p, o)| {
            p == file
                && match o {
                    Origin::Global => true,
                    // Another domain's policy matters when the run covers its folder.
                    Origin::Domain(d) => tested_domains.contains(d) || in_scope(&opts.scopes, p),
                }
        })
    };
    let mut errors: Vec<RunError> = lib
        .errors
        .iter()
        .filter(|e| e.location.as_ref().is_none_or(|l| relevant(&l.file)))
        .cloned()
        .collect();
    for (origin, e) in files.unreadable {
        if match &origin {
            Origin::Global => true,
            Origin::Domain(d) => tested_domains.contains(d) || opts.scopes.is_empty(),
        } {
            errors.push(e);
        }
    }
    errors.extend(mesh.walk_errors.iter().map(|(_, e)| e.clone()));

    let mut read = Vec::new();
    for t in &found {
        match read_test(&mesh.root, t) {
            Ok(r) => read.push(r),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(TestFatal::Load(errors));
    }

    let mut sources = lib.sources.clone();
    for r in &read {
        sources.insert(r.file.path.clone(), r.text.clone());
    }
    let recorder: Recorder = Arc::default();
    // One prepared engine per set: the global tests, then each tested domain's.
    let mut sets: Vec<Prepared> = Vec::new();
    let mut load_errors = Vec::new();
    let groups: Vec<(Option<&str>, Vec<&ReadTest>)> = std::iter::once(None)
        .chain(tested_domains.iter().map(|d| Some(d.as_str())))
        .map(|domain| {
            let tests = read
                .iter()
                .filter(|r| match (&r.file.origin, domain) {
                    (Origin::Global, None) => true,
                    (Origin::Domain(d), Some(x)) => d == x,
                    _ => false,
                })
                .collect();
            (domain, tests)
        })
        .collect();
    for (domain, tests) in groups {
        if tests.is_empty() {
            continue;
        }
        let base = &lib.set_for(domain).engine;
        match prepare(base, &tests, now_ns, &recorder) {
            Ok(p) => sets.push(p),
            Err(e) => load_errors.extend(e),
        }
    }
    if !load_errors.is_empty() {
        return Err(TestFatal::Load(load_errors));
    }

    let mut jobs: Vec<(usize, &TestRule)> = Vec::new();
    let mut results: Vec<TestResult> = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        for t in &set.tests {
            jobs.push((i, t));
        }
        for (t, err) in &set.rejected {
            results.push(TestResult {
                package: t.package.clone(),
                name: t.name.clone(),
                location: Location::new(
                    &t.file,
                    char_column(sources.get(&t.file).map(|s| &**s), t.pos),
                    t.name.chars().count() as u32,
                ),
                outcome: if t.name.starts_with("todo_") {
                    Outcome::Todo
                } else {
                    Outcome::Error
                },
                produced: None,
                error: (!t.name.starts_with("todo_")).then(|| err.clone()),
            });
        }
    }
    let matches = |package: &str, name: &str| {
        opts.run
            .as_ref()
            .is_none_or(|re| re.is_match(&format!("data.{package}.{name}")))
    };
    jobs.retain(|(_, t)| matches(&t.package, &t.name));
    results.retain(|r| matches(&r.package, &r.name));
    let ran: Vec<(TestResult, Option<regorus::coverage::Report>)> = jobs
        .par_iter()
        .map(|(i, t)| run_one(&sets[*i], t, timeout, &sources, opts.coverage))
        .collect();
    let mut reports = Vec::new();
    for (r, c) in ran {
        results.push(r);
        reports.extend(c);
    }
    results.sort_by(|a, b| {
        (&a.location.file, a.location.line, &a.package, &a.name).cmp(&(
            &b.location.file,
            b.location.line,
            &b.package,
            &b.name,
        ))
    });
    let coverage = opts.coverage.then(|| {
        let in_coverage = |p: &str| {
            !p.starts_with(BUILTIN_PREFIX)
                && (in_scope(&opts.scopes, p)
                    || opts.scopes.iter().any(|s| tests_cover(s, p, &found)))
        };
        let mut modules = Vec::new();
        if let Some(set) = sets.first() {
            let mut e = set.engine.clone();
            modules.extend(e.get_modules().iter().cloned());
        }
        for set in sets.iter().skip(1) {
            let mut e = set.engine.clone();
            modules.extend(e.get_modules().iter().cloned());
        }
        let policy_files: BTreeSet<String> = policy_paths
            .iter()
            .map(|(p, _)| p.clone())
            .filter(|p| in_coverage(p) && sets_hold(&modules, p))
            .collect();
        coverage_of(&modules, &policy_files, &reports)
    });
    let recorded = recorder.lock().map(|m| m.clone()).unwrap_or_default();
    Ok(TestRun {
        results,
        coverage,
        recorded,
    })
}

/// Whether a scope selects tests whose policies are `policy`: `meshgate test domains/orders`
/// measures the coverage of `domains/orders/policies/*.rego`, which the scope contains anyway;
/// this covers a scope given as a test file (`policies/naming_test.rego`), whose folder's
/// policies are then measured.
fn tests_cover(scope: &Scope, policy: &str, found: &[TestFile]) -> bool {
    scope.file
        && found.iter().any(|t| t.path == scope.path)
        && Path::new(&scope.path).parent() == Path::new(policy).parent()
}

fn sets_hold(modules: &[regorus::unstable::Ref<Module>], file: &str) -> bool {
    modules.iter().any(|m| m.package.span.source.file() == file)
}

/// Coverage of `files` from the per-test reports. The lines counted are those regorus's
/// report counts (every expression of every rule, see [`expression_lines`]); a line is covered
/// when some test evaluated an expression on it.
fn coverage_of(
    modules: &[regorus::unstable::Ref<Module>],
    files: &BTreeSet<String>,
    reports: &[regorus::coverage::Report],
) -> Coverage {
    let mut covered: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for r in reports {
        for f in &r.files {
            covered
                .entry(f.path.as_str())
                .or_default()
                .extend(f.covered.iter().copied());
        }
    }
    let mut lines: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    for m in modules {
        let file = m.package.span.source.file().to_string();
        if files.contains(&file) {
            lines.entry(file).or_default().extend(expression_lines(m));
        }
    }
    let files = lines
        .into_iter()
        .map(|(file, all)| {
            let hit = covered.get(file.as_str());
            let (c, n): (Vec<u32>, Vec<u32>) =
                all.iter().partition(|l| hit.is_some_and(|h| h.contains(l)));
            FileCoverage {
                file,
                covered: c,
                not_covered: n,
            }
        })
        .collect();
    Coverage { files }
}

/// The lines regorus's coverage report counts for a module (its `get_coverage_report`, which
/// lists only files some evaluation touched, so meshgate walks every file the same way):
/// the value of each rule head (`:=` value, `contains` key, default value) and every
/// expression of every rule body statement (`some … in`, expressions, `every` domain and
/// body), nested expressions included, comprehension bodies instead of the comprehension
/// itself; not `with` values, function arguments or `else` values.
pub fn expression_lines(m: &Module) -> BTreeSet<u32> {
    enum Item<'a> {
        Expr(&'a Expr),
        Query(&'a Query),
    }
    let mut work: Vec<Item<'_>> = Vec::new();
    for rule in &m.policy {
        match &**rule {
            Rule::Spec { head, bodies, .. } => {
                match head {
                    RuleHead::Compr { assign, .. } | RuleHead::Func { assign, .. } => {
                        if let Some(a) = assign {
                            work.push(Item::Expr(&a.value));
                        }
                    }
                    RuleHead::Set { key, .. } => {
                        if let Some(k) = key {
                            work.push(Item::Expr(k));
                        }
                    }
                }
                for b in bodies {
                    work.push(Item::Query(&b.query));
                }
            }
            Rule::Default { value, .. } => work.push(Item::Expr(value)),
        }
    }
    let mut lines = BTreeSet::new();
    while let Some(item) = work.pop() {
        match item {
            Item::Query(q) => {
                for stmt in &q.stmts {
                    match &stmt.literal {
                        Literal::SomeVars { .. } => {}
                        Literal::SomeIn {
                            value, collection, ..
                        } => {
                            work.push(Item::Expr(value));
                            work.push(Item::Expr(collection));
                        }
                        Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => {
                            work.push(Item::Expr(expr))
                        }
                        Literal::Every { domain, query, .. } => {
                            work.push(Item::Expr(domain));
                            work.push(Item::Query(query));
                        }
                    }
                }
            }
            Item::Expr(e) => match e {
                Expr::ArrayCompr { query, .. }
                | Expr::SetCompr { query, .. }
                | Expr::ObjectCompr { query, .. } => work.push(Item::Query(query)),
                _ => {
                    lines.insert(e.span().line);
                    match e {
                        Expr::String { .. }
                        | Expr::RawString { .. }
                        | Expr::Number { .. }
                        | Expr::Bool { .. }
                        | Expr::Null { .. }
                        | Expr::Var { .. }
                        | Expr::ArrayCompr { .. }
                        | Expr::SetCompr { .. }
                        | Expr::ObjectCompr { .. } => {}
                        Expr::Array { items, .. } | Expr::Set { items, .. } => {
                            work.extend(items.iter().map(|i| Item::Expr(i)))
                        }
                        Expr::Object { fields, .. } => {
                            for (_, k, v) in fields {
                                work.push(Item::Expr(k));
                                work.push(Item::Expr(v));
                            }
                        }
                        Expr::Call { params, .. } => {
                            work.extend(params.iter().map(|p| Item::Expr(p)))
                        }
                        Expr::UnaryExpr { expr, .. } => work.push(Item::Expr(expr)),
                        Expr::RefDot { refr, .. } => work.push(Item::Expr(refr)),
                        Expr::RefBrack { refr, index, .. } => {
                            work.push(Item::Expr(refr));
                            work.push(Item::Expr(index));
                        }
                        Expr::BinExpr { lhs, rhs, .. }
                        | Expr::BoolExpr { lhs, rhs, .. }
                        | Expr::ArithExpr { lhs, rhs, .. }
                        | Expr::AssignExpr { lhs, rhs, .. } => {
                            work.push(Item::Expr(lhs));
                            work.push(Item::Expr(rhs));
                        }
                        Expr::Membership {
                            key,
                            value,
                            collection,
                            ..
                        } => {
                            if let Some(k) = key {
                                work.push(Item::Expr(k));
                            }
                            work.push(Item::Expr(value));
                            work.push(Item::Expr(collection));
                        }
                    }
                }
            },
        }
    }
    lines.remove(&0);
    lines
}

/// The Rego module that gives Go OPA the same `data.meshgate.test.facts`: a table of every
/// descriptor the tests passed to it and the facts meshgate computed (a descriptor not in the
/// table has no facts there: its test fails in OPA, never passes).
pub fn opa_helper(run: &TestRun) -> String {
    let mut out = String::new();
    out.push_str("# Generated by `meshgate test --opa-helper`: do not edit. For `opa test`, the\n");
    out.push_str(
        "# test helper of meshgate as a table of the descriptors the tests pass to it and\n",
    );
    out.push_str("# the facts meshgate computes for them (src/view.rs). Regenerate it when the\n");
    out.push_str("# tests or meshgate change; a descriptor missing from the table has no facts.\n");
    out.push_str(&format!("package {HELPER_PACKAGE}\n\n"));
    out.push_str("facts(descriptor) := entry.facts if {\n\tsome entry in table\n\tentry.descriptor == descriptor\n}\n\n");
    out.push_str("table := [");
    for (d, f) in run.recorded.values() {
        let d = serde_json::to_string(d).unwrap_or_default();
        let f = serde_json::to_string(f).unwrap_or_default();
        out.push_str(&format!("\n\t{{\"descriptor\": {d}, \"facts\": {f}}},"));
    }
    out.push_str("\n]\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_detect_the_standard_and_build_the_view() {
        let d = Value::from_json_str(
            r#"{"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "a", "status": "active"}"#,
        )
        .unwrap();
        let f = facts_of(&d).unwrap();
        assert_eq!(f["standard"], Value::from("bitol-odps"));
        assert_eq!(f["view"]["id"], Value::from("a"));
        assert_eq!(f["path"], Value::from(HELPER_PATH));
        assert!(facts_of(&Value::from("x")).is_err());
    }

    #[test]
    fn expression_lines_are_what_regorus_reports() {
        let text = "package p\n\nimport rego.v1\n\nallow if {\n\tx := [y | some y in input.a; y > 1]\n\tcount(x) > 0\n}\n\nf(a) := b if {\n\tb := a + 1\n}\n\ndefault d := false\n\ns contains m if {\n\tsome m in input.b\n\tevery k in input.c { k > 0 }\n}\n";
        let mut e = crate::rego::new_engine();
        e.add_policy("p.rego".into(), text.into()).unwrap();
        e.set_enable_coverage(true);
        e.set_input(Value::from_json_str(r#"{"a": [2]}"#).unwrap());
        let _ = e.eval_rule("data.p.allow".into());
        let report = e.get_coverage_report().unwrap();
        let f = &report.files[0];
        let reported: BTreeSet<u32> = f.covered.union(&f.not_covered).copied().collect();
        let mine = expression_lines(&e.get_modules()[0]);
        assert_eq!(mine, reported);
        assert!(f.covered.contains(&7) && f.not_covered.contains(&11));
    }
}
