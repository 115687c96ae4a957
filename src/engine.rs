//! Parallel evaluation: every policy of a product's set on every product, one engine clone per worker.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;
use regorus::rvm::vm::ExecutionMode;
use regorus::rvm::{Program, RegoVM};
use regorus::{CompiledPolicy, Value};

use crate::data::{self, WITH_PRODUCT};
use crate::descriptor::{format_path, parse_path, PathSeg, Standard};
use crate::findings::{Disposition, Finding, Location, Severity, POLICY_POLICY};
use crate::model::Outcome;
use crate::policy::{
    exception_name, Library, Origin, Policy, PolicySet, APPLICABLE_RULE, EXCEPTION_RULE,
};
use crate::product::Product;
use crate::rego::{char_column, execution_timer, rule_ref, split_regorus_error};
use crate::rules::{BAD_PATH, POLICY_ERROR_ID};
use crate::view::check_view_path;

/// What evaluating one product produced.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Policy findings (unsorted).
    pub findings: Vec<Finding>,
    /// Findings of rules that the policy's `exception` rule excepted on this product
    /// (unsorted): reported, but they do not fail anything.
    pub excepted: Vec<Finding>,
    /// Whether some policy failed to evaluate on it (fail closed).
    pub errored: bool,
    /// Number of policies evaluated.
    pub evaluations: usize,
    /// The outcome of every policy of the product's set: (index into [`Library::policies`],
    /// outcome), in set order. Empty when the product was not evaluated.
    pub outcomes: Vec<(usize, Outcome)>,
    /// Whether an evaluation passed the memory ceiling (maybe because of another product
    /// evaluated at the same time: it is then evaluated again, alone).
    pub out_of_memory: bool,
}

/// A value as JSON for a message, cut to a readable length.
fn short_json(v: &Value) -> String {
    let text = serde_json::to_string(v).unwrap_or_default();
    match text.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// A member's `path`: the field path when it is one, and what is wrong with it, if anything.
/// A well-formed path to a field the descriptor lacks is fine (it points at the nearest
/// parent); a path into the view must name a field the view can have (if it does not, it is
/// still used, and points at the nearest parent).
fn member_path(v: &Value) -> (Option<Vec<PathSeg>>, Option<String>) {
    match parse_member_path(v) {
        Err(why) => (None, Some(why)),
        Ok(path) => {
            let bad = match path.split_first() {
                Some((PathSeg::Key(k), rest)) if k == "view" => check_view_path(rest)
                    .err()
                    .map(|e| format!("`path` {} names no field of the view: {e}", short_json(v))),
                _ => None,
            };
            (Some(path), bad)
        }
    }
}

fn parse_member_path(v: &Value) -> Result<Vec<PathSeg>, String> {
    let path = match v {
        Value::String(s) => {
            parse_path(s).map_err(|e| format!("`path` {} is not a field path: {e}", short_json(v)))?
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(PathSeg::Key(s.to_string())),
                Value::Number(_) if item.as_u64().is_ok() => item
                    .as_u64()
                    .map(|n| PathSeg::Index(usize::try_from(n).unwrap_or(usize::MAX)))
                    .map_err(|e| e.to_string()),
                other => Err(format!(
                    "`path` {} is not a field path: item {i} is {}, where a key (a string) or an index (an integer from 0) is expected",
                    short_json(v),
                    short_json(other)
                )),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(format!(
                "`path` {} is neither a string (\"team.members[0].role\") nor an array of keys and indexes ([\"team\", \"members\", 0, \"role\"])",
                short_json(other)
            ))
        }
    };
    Ok(path)
}

/// A member of a policy's set, read.
struct Member {
    msg: String,
    path: Option<Vec<PathSeg>>,
    /// Why `path` is not usable, when it is not (the member is still reported), and the
    /// `path` as JSON.
    bad_path: Option<(String, String)>,
    id: Option<String>,
    severity: Option<Severity>,
}

/// A member that breaks the policy contract: what is wrong, and JSON snippets of it (its keys,
/// a bad value) that pick out the rule definition that produced it.
struct BadMember {
    why: String,
    words: Vec<String>,
}

/// `v` as compact JSON (a Rego literal writes keys and strings the same way).
fn json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn member(v: &Value) -> Result<Member, BadMember> {
    match v {
        Value::String(s) => Ok(Member {
            msg: s.to_string(),
            path: None,
            bad_path: None,
            id: None,
            severity: None,
        }),
        Value::Object(obj) => {
            let get = |k: &str| obj.get(&Value::from(k));
            let keys: Vec<String> = obj
                .keys()
                .map(|k| match k {
                    Value::String(s) => s.to_string(),
                    other => short_json(other),
                })
                .collect();
            let key_words: Vec<String> = obj.keys().map(json).collect();
            let msg = match get("msg") {
                Some(Value::String(s)) => s.to_string(),
                found => {
                    let why = match found {
                        Some(m) => format!(
                            "an object member whose `msg` is {}: `msg` must be a string",
                            short_json(m)
                        ),
                        None => format!(
                            "an object member without `msg`: object members need `msg` (a string); found keys: {}",
                            if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
                        ),
                    };
                    return Err(BadMember {
                        why,
                        words: key_words,
                    });
                }
            };
            let severity = match get("severity") {
                Some(Value::String(s)) => Some(s.parse::<Severity>().map_err(|_| BadMember {
                    why: format!(
                        "a member with `severity` \"{s}\": expected error, warning or info"
                    ),
                    words: vec![
                        json(&Value::from("severity")),
                        json(&Value::from(s.as_ref())),
                    ],
                })?),
                Some(other) => {
                    return Err(BadMember {
                        why: format!(
                        "a member with `severity` {}: expected the string error, warning or info",
                        short_json(other)
                    ),
                        words: vec![json(&Value::from("severity")), json(other)],
                    })
                }
                None => None,
            };
            let (path, bad_path) = match get("path") {
                Some(raw) => {
                    let (path, why) = member_path(raw);
                    (path, why.map(|w| (w, json(raw))))
                }
                None => (None, None),
            };
            Ok(Member {
                msg,
                path,
                bad_path,
                id: match get("id") {
                    Some(Value::String(s)) => Some(s.to_string()),
                    _ => None,
                },
                severity,
            })
        }
        other => Err(BadMember {
            why: format!(
                "a member that is neither a string nor an object with `msg`: {}",
                short_json(other)
            ),
            words: Vec::new(),
        }),
    }
}

/// The start of regorus's message when an evaluation passes the memory ceiling.
const MEMORY_EXCEEDED: &str = "execution exceeded memory limit";

/// Drops run-dependent details (elapsed time, bytes in use) so output is deterministic: a
/// time-out or a memory overrun is reported with the configured limit.
fn stable_message(message: &str, opts: &EvalOptions) -> String {
    if message.starts_with("execution exceeded time limit") {
        format!(
            "execution exceeded the time limit of {} ms",
            opts.timeout.as_millis()
        )
    } else if message.starts_with(MEMORY_EXCEEDED) {
        format!(
            "execution exceeded the memory limit of {} MiB",
            opts.memory_limit.unwrap_or(0) >> 20
        )
    } else {
        message.to_string()
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
    if message.contains("memory limit") {
        return Some("the rule built more data than the memory limit allows (a huge `numbers.range`, a runaway comprehension): make it cheaper, or raise `policy-memory-mb` in meshgate.toml (or --policy-memory-mb)".to_string());
    }
    if message.contains("time limit")
        || message.contains("timed out")
        || message.contains("exceeded")
    {
        return Some("the rule ran past the time limit: make it cheaper, or raise `policy-timeout-ms` in meshgate.toml".to_string());
    }
    None
}

/// Package of the module meshgate adds to each worker's engine to evaluate every rule of a set
/// in one rule evaluation (reserved: user policies cannot declare `meshgate.*`).
const EVAL_PACKAGE: &str = "meshgate.internal.evaluate";

/// Which of regorus's two evaluators runs the policies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Evaluator {
    /// The tree-walking interpreter (the default): a policy that errors at run time (a type
    /// error in a builtin, conflicting values of a complete rule…) is reported and fails closed,
    /// as in OPA.
    #[default]
    Interpreter,
    /// The RVM, opt-in: each policy set is compiled once to bytecode and evaluated 4-5x faster,
    /// but regorus 0.14.1's VM treats an error inside a rule body as that body not matching, so
    /// a policy that errors can pass (fail open). Sets it cannot compile (`with`) and products
    /// on which it fails outright (a time-out) go to the interpreter.
    Vm,
}

/// How products are evaluated.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// The evaluator.
    pub evaluator: Evaluator,
    /// Time limit of one evaluation call (`policy-timeout-ms`).
    pub timeout: Duration,
    /// What `time.now_ns()` returns, the same for every product of the run (`--now`, else the
    /// clock when the run started): date rules are reproducible within a run and testable.
    pub now_ns: i64,
    /// How many bytes one product's evaluation may allocate beyond what the process holds
    /// when it starts (`policy-memory-mb`); `None`: no limit.
    pub memory_limit: Option<u64>,
}

/// The builtin whose value [`EvalOptions::now_ns`] fixes.
const NOW_NS: &str = "time.now_ns";

/// Rule that the RVM program of a set evaluates: `[data.a.deny, data.a.warn, …]` (no `with`,
/// which the RVM does not support: the product's facts are set as its data instead).
const VM_PACKAGE: &str = "meshgate.internal.vm";

/// A policy set compiled for the RVM, once, shared by every worker.
struct VmProgram {
    compiled: CompiledPolicy,
    program: Arc<Program>,
    /// The program serialized, from which each worker makes its own copy.
    bytes: Option<Vec<u8>>,
    /// Run-to-completion (faster) when it is exact for this program, else suspendable.
    mode: ExecutionMode,
    /// `data.meshgate.internal.vm.results`.
    entry: String,
}

impl VmProgram {
    /// Compiles the set's rules to one RVM entry point; `None` when the RVM cannot compile them
    /// (the interpreter then evaluates the set).
    fn compile(engine: &regorus::Engine, queries: &SetQueries, now_ns: i64) -> Option<VmProgram> {
        let mut engine = engine.clone();
        let module = format!(
            "package {VM_PACKAGE}\n\nresults := [{}]\n{}",
            queries.elements.join(", "),
            queries.helpers
        );
        engine
            .add_policy("<meshgate-vm>".to_string(), module)
            .ok()?;
        let entry = format!("data.{VM_PACKAGE}.results");
        let compiled = engine
            .compile_with_entrypoint(&entry.as_str().into())
            .ok()?;
        let program = regorus::languages::rego::compiler::Compiler::compile_from_policy(
            &compiled,
            &[entry.as_str()],
        )
        .ok()?;
        let mut program = Arc::unwrap_or_clone(program);
        fix_now(&mut program, now_ns)?;
        let program = Arc::new(program);
        Some(VmProgram {
            mode: if run_to_completion_is_exact(&program) {
                ExecutionMode::RunToCompletion
            } else {
                ExecutionMode::Suspendable
            },
            compiled,
            bytes: program.serialize_binary().ok(),
            program,
            entry,
        })
    }

    /// A copy of the program that shares nothing with other workers' copies. A clone of the
    /// `Arc` would share the program's literal values, whose reference counts every worker then
    /// updates at every load: with 2 threads, evaluation was ~5% slower (10k bench mesh, 6 runs
    /// each: 0.73-0.78 s shared, 0.71-0.73 s own copies).
    fn own_program(&self) -> Arc<Program> {
        let own = self
            .bytes
            .as_deref()
            .and_then(|b| Program::deserialize_binary(b).ok())
            .and_then(|r| match r {
                regorus::rvm::program::DeserializationResult::Complete(p) => Some(Arc::new(p)),
                regorus::rvm::program::DeserializationResult::Partial(_) => None,
            });
        own.unwrap_or_else(|| self.program.clone())
    }

    /// A VM for one worker. The run-to-completion mode is ~30% faster than the suspendable one
    /// (measured on the shipped library: 107 against 156 µs per product), but in regorus 0.14.1
    /// it mis-evaluates some programs (see [`run_to_completion_is_exact`]), which then run in
    /// the suspendable mode. Builtin errors are errors, as in the interpreter; the instruction
    /// cap is lifted (the time limit bounds the work).
    fn vm(&self, timeout: Duration) -> RegoVM {
        let mut vm = RegoVM::new_with_policy(self.compiled.clone());
        vm.load_program(self.own_program());
        vm.set_execution_mode(self.mode);
        vm.set_strict_builtin_errors(true);
        vm.set_max_instructions(usize::MAX);
        vm.set_execution_timer_config(Some(execution_timer(timeout)));
        vm
    }
}

/// Replaces every call of `time.now_ns` in `program` by a load of `now_ns` (the RVM has no
/// `with` and no extensions; the instruction count, hence every jump, is unchanged). `None`
/// when the program cannot take one more literal.
fn fix_now(program: &mut Program, now_ns: i64) -> Option<()> {
    use regorus::rvm::Instruction;
    let calls_now = |ins: &Instruction| match *ins {
        Instruction::BuiltinCall { params_index } => program
            .instruction_data
            .builtin_call_params
            .get(usize::from(params_index))
            .filter(|p| {
                program
                    .builtin_info_table
                    .get(usize::from(p.builtin_index))
                    .is_some_and(|b| b.name == NOW_NS)
            })
            .map(|p| p.dest),
        _ => None,
    };
    let sites: Vec<(usize, u8)> = program
        .instructions
        .iter()
        .enumerate()
        .filter_map(|(pc, ins)| calls_now(ins).map(|dest| (pc, dest)))
        .collect();
    if sites.is_empty() {
        return Some(());
    }
    let literal_idx = u16::try_from(program.add_literal(Value::from(now_ns))).ok()?;
    for (pc, dest) in sites {
        if let Some(ins) = program.instructions.get_mut(pc) {
            *ins = Instruction::Load { dest, literal_idx };
        }
    }
    Some(())
}

/// Whether the VM's run-to-completion mode evaluates `program` exactly.
///
/// In regorus 0.14.1 that mode sends a failed condition (`AssertEq`, `Guard`, the only two
/// instructions that fail one) to the innermost active loop if there is one, else to the
/// innermost comprehension. That is wrong only for a condition that sits in a comprehension's
/// body (outside any loop of that body) while a loop enclosing the comprehension runs: the loop
/// skips its iteration instead of the comprehension dropping one element. Rule and function
/// calls start with empty loop and comprehension stacks, and loop and comprehension bodies are
/// contiguous, properly nested ranges of instructions, so the check is a scan of the ranges.
fn run_to_completion_is_exact(program: &Program) -> bool {
    use regorus::rvm::Instruction;
    let data = &program.instruction_data;
    // (start, end) of every loop body and every comprehension body, end excluded.
    let mut loops = Vec::new();
    let mut comprehensions = Vec::new();
    for (pc, ins) in program.instructions.iter().enumerate() {
        match ins {
            Instruction::LoopStart { params_index } => {
                match data.loop_params.get(usize::from(*params_index)) {
                    Some(l) => loops.push((pc, usize::from(l.loop_end))),
                    None => return false,
                }
            }
            Instruction::ComprehensionBegin { params_index } => {
                match data
                    .comprehension_begin_params
                    .get(usize::from(*params_index))
                {
                    Some(c) => comprehensions.push((pc, usize::from(c.comprehension_end))),
                    None => return false,
                }
            }
            _ => {}
        }
    }
    let inside = |pc: usize, (start, end): (usize, usize)| start < pc && pc < end;
    program.instructions.iter().enumerate().all(|(pc, ins)| {
        if !matches!(
            ins,
            Instruction::AssertEq { .. } | Instruction::Guard { .. }
        ) {
            return true;
        }
        // The innermost comprehension around the condition, if no loop is nested closer.
        let Some(&comprehension) = comprehensions
            .iter()
            .filter(|&&c| inside(pc, c))
            .max_by_key(|c| c.0)
        else {
            return true;
        };
        let loop_inside = loops
            .iter()
            .any(|&l| inside(pc, l) && l.0 > comprehension.0);
        let loop_outside = loops.iter().any(|&l| inside(comprehension.0, l));
        loop_inside || !loop_outside
    })
}

/// What one query of a set evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The policy's `applicable` rule (evaluated first: when it is not `true`, the policy's
    /// other rules are not evaluated on the product).
    Applicable,
    /// The policy's `exception` rule (evaluated before its other rules).
    Exception,
    /// The policy's rule of this index in [`Policy::rules`].
    Rule(usize),
}

/// The queries a worker runs for the policies of one set that apply to a product's standard,
/// built once per set and standard.
struct SetQueries {
    /// A module whose rule `results` evaluates, `with` the product, every rule of the policies
    /// (see [`SetQueries::results_module`]): all of them in one evaluation, without parsing a
    /// query per product.
    module: String,
    /// One query per (policy index, rule), in policy order: per policy, its `applicable` rule
    /// first (if it has one), then its `exception` rule (if it has one), then its rules.
    each: Vec<(usize, Target, String)>,
    /// The elements of `results` (see [`SetQueries::results_module`]).
    elements: Vec<String>,
    /// Rules the elements refer to (`applies_<k>`, `policy_<k>`), to add to the results module.
    helpers: String,
    /// Per policy, in order: whether it has an `applicable` rule, and how many of its other
    /// rules are queried. Says how the elements of `results` map to `each`.
    layout: Vec<(bool, usize)>,
}

impl SetQueries {
    fn new(set_policies: &[usize], lib: &Library) -> SetQueries {
        let mut each = Vec::new();
        let mut elements = Vec::new();
        let mut helpers = String::new();
        let mut layout = Vec::new();
        for &pi in set_policies {
            let policy = &lib.policies[pi];
            let targets = policy
                .exceptions
                .then_some((Target::Exception, EXCEPTION_RULE))
                .into_iter()
                .chain(
                    policy
                        .rules
                        .iter()
                        .enumerate()
                        .map(|(i, r)| (Target::Rule(i), r.as_str())),
                );
            let mut refs = Vec::new();
            if policy.applicable {
                let r = rule_ref(&policy.package, APPLICABLE_RULE);
                each.push((pi, Target::Applicable, format!("{r}{WITH_PRODUCT}")));
            }
            for (target, rule) in targets {
                let r = rule_ref(&policy.package, rule);
                each.push((pi, target, format!("{r}{WITH_PRODUCT}")));
                refs.push(r);
            }
            layout.push((policy.applicable, refs.len()));
            if policy.applicable {
                // The policy's rules are evaluated only where `applicable` is true.
                let k = layout.len() - 1;
                let applicable = rule_ref(&policy.package, APPLICABLE_RULE);
                helpers.push_str(&format!(
                    "\ndefault applies_{k} := false\n\napplies_{k} if {applicable} == true\n\ndefault policy_{k} := []\n\npolicy_{k} := [{}] if applies_{k}\n",
                    refs.join(", ")
                ));
                elements.push(format!("applies_{k}"));
                elements.push(format!("policy_{k}"));
            } else {
                elements.extend(refs);
            }
        }
        let module = format!(
            "package {EVAL_PACKAGE}\n\nresults := r if {{\n\tr := [{}]{WITH_PRODUCT}\n}}\n{helpers}",
            elements.join(", ")
        );
        SetQueries {
            module,
            each,
            elements,
            helpers,
            layout,
        }
    }

    /// The values of `results` spread over `each`: a policy that is not applicable gets
    /// `false` for its `applicable` query and `Undefined` (not evaluated) for its other rules.
    /// `None` when `items` do not have the expected shape (a complete rule that is undefined
    /// leaves the policy's array undefined): the rules are then evaluated one by one.
    fn spread(&self, items: &[Value]) -> Option<Vec<Result<Value, String>>> {
        let mut out = Vec::with_capacity(self.each.len());
        let mut items = items.iter();
        for &(applicable, n) in &self.layout {
            if applicable {
                let applies = items.next()?;
                let Value::Array(values) = items.next()? else {
                    return None;
                };
                if *applies == Value::from(true) {
                    if values.len() != n {
                        return None;
                    }
                    out.push(Ok(Value::from(true)));
                    out.extend(values.iter().cloned().map(Ok));
                } else {
                    out.push(Ok(Value::from(false)));
                    out.extend((0..n).map(|_| Ok(Value::Undefined)));
                }
            } else {
                for _ in 0..n {
                    out.push(Ok(items.next()?.clone()));
                }
            }
        }
        (items.next().is_none() && out.len() == self.each.len()).then_some(out)
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

/// The values of every rule of the set on one product, in the order of `queries.each`.
///
/// The RVM (when the set compiled for it) evaluates all rules at once; the interpreter does so
/// when there is no VM or the VM failed. If that fails too (an error, a time-out), each rule is
/// evaluated on its own so that errors are attributed to the rule that raised them and the
/// other rules still count. A VM failure is never reported as such: the interpreter, the
/// reference, decides what the error is.
fn rule_values(
    w: &mut Worker<'_>,
    data: &Value,
    p: &Product,
    input: &Value,
) -> Vec<Result<Value, String>> {
    let queries = &w.prepared.queries;
    let n = queries.each.len();
    if let (Some(vm), Some(program)) = (&mut w.vm, &w.prepared.program) {
        if vm.set_data(data::with_product(data, &p.facts)).is_ok() {
            vm.set_input(input.clone());
            if let Ok(Value::Array(items)) = vm.execute_entry_point_by_name(&program.entry) {
                if let Some(values) = queries.spread(items.as_slice()) {
                    return values;
                }
            }
        }
    }
    let engine = w.engine.get_or_insert_with(|| {
        let mut engine = w.prepared.set.engine.clone();
        // On failure the combined rule is undefined and every product takes the rule-by-rule
        // path, which is slower but still exact.
        let _ = engine.add_policy("<meshgate>".to_string(), queries.module.clone());
        // The interpreter looks extensions up before builtins (a policy's own `with
        // time.now_ns as …` still wins). A fresh engine has none, so this cannot fail.
        let now = Value::from(w.opts.now_ns);
        let _ = engine.add_extension(
            NOW_NS.to_string(),
            0,
            Box::new(move |_: Vec<Value>| Ok(now.clone())),
        );
        engine
    });
    engine.set_input(data::wrapper(input, &p.facts));
    if let Ok(Value::Array(items)) = engine.eval_rule(format!("data.{EVAL_PACKAGE}.results")) {
        if let Some(values) = queries.spread(items.as_slice()) {
            return values;
        }
    }
    // Each rule on its own, each under its own time limit (regorus restarts its timer at every
    // evaluation): a rule that runs away does not keep the others from being checked. The
    // rules of a policy whose `applicable` is not true (or errs) are not evaluated.
    let mut values = Vec::with_capacity(n);
    let mut skip = None;
    for (pi, target, q) in &queries.each {
        if skip == Some(*pi) {
            values.push(Ok(Value::Undefined));
            continue;
        }
        let value = engine
            .eval_query(q.clone(), false)
            .map(query_value)
            .map_err(|e| e.to_string());
        if *target == Target::Applicable && value.as_ref().ok() != Some(&Value::from(true)) {
            skip = Some(*pi);
        }
        values.push(value);
    }
    values
}

/// Evaluates every rule of the set on one product and turns the members into findings.
fn eval_product(
    w: &mut Worker<'_>,
    data: &Value,
    lib: &Library,
    p: &Product,
    input: &Value,
) -> Evaluation {
    let queries = &w.prepared.queries;
    let values = if queries.each.is_empty() {
        Vec::new()
    } else {
        rule_values(w, data, p, input)
    };
    let opts = w.opts;
    let mut out = Evaluation {
        out_of_memory: values
            .iter()
            .any(|v| v.as_ref().is_err_and(|e| e.contains(MEMORY_EXCEEDED))),
        ..Evaluation::default()
    };
    // The policies of the set that `custom.standards` leaves out for this product's standard:
    // not applicable, not evaluated.
    out.outcomes.extend(
        w.prepared
            .set
            .policies
            .iter()
            .filter(|&&pi| !lib.policies[pi].metadata.covers(p.standard))
            .map(|&pi| (pi, Outcome::NotApplicable)),
    );
    // The rule names (see `exception_name`) the current policy's `exception` excepts.
    let mut excepted: Vec<String> = Vec::new();
    // A policy whose `applicable` rule is not true (or failed): its other rules are skipped.
    let mut skip = None;
    for ((pi, target, _), result) in queries.each.iter().zip(values) {
        let policy: &Policy = &lib.policies[*pi];
        if skip == Some(*pi) {
            continue;
        }
        if out.outcomes.last().map(|(i, _)| i) != Some(pi) {
            out.evaluations += 1;
            out.outcomes.push((*pi, Outcome::Pass));
            excepted.clear();
        }
        let findings_before = out.findings.len();
        let errored = match *target {
            Target::Applicable => match result {
                Ok(v) if v == Value::from(true) => false,
                Ok(_) => {
                    skip = Some(*pi);
                    out.evaluations -= 1;
                    if let Some((_, o)) = out.outcomes.last_mut() {
                        *o = Outcome::NotApplicable;
                    }
                    false
                }
                // Fails closed: the policy errors on the product, its rules are not evaluated.
                Err(e) => {
                    skip = Some(*pi);
                    out.findings.push(evaluation_error(
                        p,
                        policy,
                        APPLICABLE_RULE,
                        &e,
                        opts,
                        &lib.sources,
                    ));
                    true
                }
            },
            Target::Exception => match exception_names(p, policy, result, opts, &lib.sources) {
                Ok(names) => {
                    excepted = names;
                    false
                }
                Err(error) => {
                    out.findings.push(*error);
                    true
                }
            },
            Target::Rule(ri) => {
                let rule = &policy.rules[ri];
                let mut members = Vec::new();
                let errored = rule_findings(
                    &mut members,
                    &mut out.findings,
                    p,
                    policy,
                    rule,
                    result,
                    opts,
                    &lib.sources,
                );
                // A rule the product is excepted from reports its members as excepted; its
                // errors stay errors (fail closed).
                if excepted.iter().any(|e| e == exception_name(rule)) {
                    out.excepted.extend(members);
                } else {
                    out.findings.extend(members);
                }
                errored
            }
        };
        out.errored |= errored;
        // The policy's outcome: error beats fail beats pass, over all its rules.
        if let Some((_, o)) = out.outcomes.last_mut() {
            if errored {
                *o = Outcome::Error;
            } else if out.findings.len() > findings_before && *o == Outcome::Pass {
                *o = Outcome::Fail;
            }
        }
    }
    out.outcomes.sort_by_key(|&(pi, _)| pi);
    out
}

/// The finding that says a rule of `policy` failed to evaluate on `p`.
fn error_finding(
    p: &Product,
    policy: &Policy,
    rule: &str,
    message: String,
    location: Option<Location>,
) -> Finding {
    let help = error_help(&message);
    Finding {
        product: Some(p.path.clone()),
        domain: p.domain.clone(),
        policy: policy.package.clone(),
        rule: rule.to_string(),
        id: Some(POLICY_ERROR_ID.to_string()),
        severity: Severity::Error,
        message: format!("policy failed to evaluate: {message}"),
        path: None,
        location,
        help,
        fingerprint: String::new(),
        disposition: Disposition::Open,
        waiver: None,
    }
}

/// The error of a failed evaluation, located in the policy where regorus says; errors regorus
/// does not place (a time-out, a memory overrun) are placed at the rule: each rule has been
/// evaluated on its own by now.
fn evaluation_error(
    p: &Product,
    policy: &Policy,
    rule: &str,
    error: &str,
    opts: &EvalOptions,
    sources: &std::collections::BTreeMap<String, std::sync::Arc<str>>,
) -> Finding {
    let (loc, message) = split_regorus_error(error);
    let message = stable_message(&message, opts);
    let location = match loc {
        Some((file, pos)) => {
            let pos = char_column(sources.get(&file).map(|s| &**s), pos);
            Some(Location::new(&file, pos, 1))
        }
        None => policy.rule_location(rule, &[]).cloned(),
    };
    error_finding(p, policy, rule, message, location)
}

/// The rule names a policy's `exception` rule excepts on one product: the strings of every
/// member, each member a list (array or set) of names, as conftest's
/// `exception contains rules if { …; rules := ["missing_owner"] }`. Anything else is an
/// error (conftest ignores it silently, which would leave the exception without effect).
fn exception_names(
    p: &Product,
    policy: &Policy,
    result: Result<Value, String>,
    opts: &EvalOptions,
    sources: &std::collections::BTreeMap<String, std::sync::Arc<str>>,
) -> Result<Vec<String>, Box<Finding>> {
    let value = result.map_err(|e| {
        Box::new(evaluation_error(
            p,
            policy,
            EXCEPTION_RULE,
            &e,
            opts,
            sources,
        ))
    })?;
    let shape = |what: String| {
        Box::new(error_finding(
            p,
            policy,
            EXCEPTION_RULE,
            format!(
                "`exception` must be a set of rule-name lists, as in `exception contains rules if {{ …; rules := [\"missing_owner\"] }}`; {what}"
            ),
            None,
        ))
    };
    let members: Vec<&Value> = match &value {
        Value::Undefined => return Ok(Vec::new()),
        Value::Set(s) => s.iter().collect(),
        Value::Array(a) => a.iter().collect(),
        other => {
            return Err(shape(format!(
                "got {}",
                other.to_json_str().unwrap_or_default()
            )))
        }
    };
    let mut names = Vec::new();
    for m in members {
        let items: Vec<&Value> = match m {
            Value::Set(s) => s.iter().collect(),
            Value::Array(a) => a.iter().collect(),
            other => {
                return Err(shape(format!(
                    "got the member {} (write it as a list: [{0}])",
                    other.to_json_str().unwrap_or_default()
                )))
            }
        };
        for item in items {
            match item {
                Value::String(s) => names.push(s.to_string()),
                other => {
                    return Err(shape(format!(
                        "got {} among the rule names",
                        other.to_json_str().unwrap_or_default()
                    )))
                }
            }
        }
    }
    Ok(names)
}

/// Turns one rule's value on a product into findings: its members are pushed to `members`,
/// an error to `errors`; returns whether the rule failed to evaluate (then an error finding
/// says why).
#[allow(clippy::too_many_arguments)]
fn rule_findings(
    members: &mut Vec<Finding>,
    errors: &mut Vec<Finding>,
    p: &Product,
    policy: &Policy,
    rule: &str,
    result: Result<Value, String>,
    opts: &EvalOptions,
    sources: &std::collections::BTreeMap<String, std::sync::Arc<str>>,
) -> bool {
    let value = match result {
        Ok(v) => v,
        Err(e) => {
            errors.push(evaluation_error(p, policy, rule, &e, opts, sources));
            return true;
        }
    };
    let items: Vec<&Value> = match &value {
        Value::Undefined => Vec::new(),
        Value::Set(s) => s.iter().collect(),
        Value::Array(a) => a.iter().collect(),
        other => {
            errors.push(error_finding(
                p,
                policy,
                rule,
                format!(
                    "`{rule}` must be a set of messages (`{rule} contains msg if …`), got {} (conftest would count it as passed)",
                    short_json(other)
                ),
                policy.rule_location(rule, &[]).cloned(),
            ));
            return true;
        }
    };
    let mut errored = false;
    for m in items {
        match member(m) {
            Ok(m) => {
                if let Some((why, raw)) = &m.bad_path {
                    errors.push(bad_path_finding(policy, rule, why, raw));
                }
                let location = p.locate(m.path.as_deref().unwrap_or(&[]));
                members.push(Finding {
                    product: Some(p.path.clone()),
                    domain: p.domain.clone(),
                    policy: policy.package.clone(),
                    rule: rule.to_string(),
                    id: m.id,
                    severity: m.severity.unwrap_or_else(|| policy.default_severity(rule)),
                    message: m.msg,
                    path: m.path.as_deref().map(format_path),
                    location,
                    help: policy
                        .metadata
                        .remediation_for(p.standard)
                        .map(str::to_string),
                    fingerprint: String::new(),
                    disposition: Disposition::Open,
                    waiver: None,
                });
            }
            Err(bad) => {
                let location = policy.rule_location(rule, &[bad.words]).cloned();
                errors.push(error_finding(
                    p,
                    policy,
                    rule,
                    format!("`{rule}` returned {}", bad.why),
                    location,
                ));
                errored = true;
            }
        }
    }
    errored
}

/// The warning that a policy returned a member with an unusable `path`: on the policy (at the
/// rule's definition), not on the product, so that it is reported once however many products
/// it concerns (identical findings are merged when the report is assembled).
fn bad_path_finding(policy: &Policy, rule: &str, why: &str, raw: &str) -> Finding {
    Finding {
        product: None,
        domain: match &policy.origin {
            Origin::Global => None,
            Origin::Domain(d) => Some(d.clone()),
        },
        policy: POLICY_POLICY.to_string(),
        rule: BAD_PATH.to_string(),
        id: Some(BAD_PATH.to_string()),
        severity: Severity::Warning,
        message: format!(
            "`{rule}` of policy `{}` returned a member whose {why}; the finding is reported at the nearest field that exists (else the descriptor's start)",
            policy.package
        ),
        path: None,
        location: policy
            .rule_location(
                rule,
                &[vec![raw.to_string()], vec![json(&Value::from("path"))]],
            )
            .cloned(),
        help: None,
        fingerprint: String::new(),
        disposition: Disposition::Open,
        waiver: None,
    }
}

/// A policy set made ready once, before the workers start: its queries and, with the VM, its
/// compiled program.
struct Prepared<'a> {
    set: &'a PolicySet,
    queries: SetQueries,
    program: Option<VmProgram>,
}

/// What one worker keeps for one policy set.
struct Worker<'a> {
    prepared: &'a Prepared<'a>,
    /// The worker's VM, when the set compiled for it.
    vm: Option<RegoVM>,
    /// Interpreter engine with the `with` module (fallback and reference), made on first use.
    engine: Option<regorus::Engine>,
    /// The time and memory limits.
    opts: &'a EvalOptions,
}

/// Evaluates every selected product that parsed (`selected[i]` for `products[i]`) against the
/// policy set of its domain, in parallel. `data` is the mesh-wide data (`{"meshgate": {"mesh": …}}`) the sets were built with.
/// Results come back in the order of `products`.
pub fn evaluate(
    products: &[Product],
    selected: &[bool],
    lib: &Library,
    data: &Value,
    opts: &EvalOptions,
) -> Vec<Evaluation> {
    // The set of a product: its domain's, or the global one.
    let set_key = |p: &Product| -> Option<String> {
        if lib.domains.contains_key(p.domain.as_deref().unwrap_or("")) {
            p.domain.clone()
        } else {
            None
        }
    };
    // One preparation per set and list of policies that apply to a standard (`custom.standards`):
    // one for the whole set unless some policy is limited to some standards.
    let mut prepared: Vec<Prepared<'_>> = Vec::new();
    let mut by_policies: HashMap<(Option<String>, Vec<usize>), usize> = HashMap::new();
    let mut slot: HashMap<(Option<String>, Option<Standard>), usize> = HashMap::new();
    for (p, _) in products
        .iter()
        .zip(selected)
        .filter(|(p, &s)| s && p.input.is_some())
    {
        let key = set_key(p);
        if slot.contains_key(&(key.clone(), p.standard)) {
            continue;
        }
        let set = lib.set_for(key.as_deref());
        if set.policies.is_empty() {
            continue;
        }
        let applying: Vec<usize> = set
            .policies
            .iter()
            .copied()
            .filter(|&pi| lib.policies[pi].metadata.covers(p.standard))
            .collect();
        let index = *by_policies
            .entry((key.clone(), applying))
            .or_insert_with_key(|(_, applying)| {
                let queries = SetQueries::new(applying, lib);
                let program = match opts.evaluator {
                    Evaluator::Vm if !queries.each.is_empty() => {
                        VmProgram::compile(&set.engine, &queries, opts.now_ns)
                    }
                    _ => None,
                };
                prepared.push(Prepared {
                    set,
                    queries,
                    program,
                });
                prepared.len() - 1
            });
        slot.insert((key, p.standard), index);
    }
    let (prepared, slot) = (&prepared[..], &slot);
    let index = |p: &Product| slot.get(&(set_key(p), p.standard)).copied();
    let mut results: Vec<Evaluation> = with_memory_ceiling(opts.memory_limit, || {
        products
            .par_iter()
            .zip(selected)
            .map_init(HashMap::new, |workers, (p, &selected)| {
                if !selected {
                    return Evaluation::default();
                }
                eval_one(workers, prepared, index(p), lib, data, opts, p)
            })
            .collect()
    });
    // regorus's ceiling is on the whole process: an evaluation that runs away can make the
    // evaluations running beside it fail too. Each product that hit it is evaluated again
    // alone, in path order, with a ceiling of its own, so that the verdict is its own and the
    // same whatever the thread count. (With one thread, every evaluation already ran alone.)
    let mut workers = HashMap::new();
    let alone = rayon::current_num_threads() == 1;
    for (e, p) in results.iter_mut().zip(products) {
        if e.out_of_memory && !alone {
            *e = with_memory_ceiling(opts.memory_limit, || {
                eval_one(&mut workers, prepared, index(p), lib, data, opts, p)
            });
        }
    }
    results
}

/// Evaluates one product with the worker of its preparation (`index` into `prepared`; made on
/// first use).
fn eval_one<'a>(
    workers: &mut HashMap<usize, Worker<'a>>,
    prepared: &'a [Prepared<'a>],
    index: Option<usize>,
    lib: &Library,
    data: &Value,
    opts: &'a EvalOptions,
    p: &Product,
) -> Evaluation {
    let Some(input) = &p.input else {
        return Evaluation::default();
    };
    let Some(index) = index else {
        // A set without policies.
        return Evaluation::default();
    };
    let ready = &prepared[index];
    let w = workers.entry(index).or_insert_with(|| Worker {
        prepared: ready,
        vm: ready.program.as_ref().map(|prog| prog.vm(opts.timeout)),
        engine: None,
        opts,
    });
    eval_product(w, data, lib, p, input)
}

/// Runs `f` with regorus's memory ceiling set `limit` bytes above what the process holds now
/// (no ceiling when `limit` is `None`), and lifts the ceiling afterwards.
///
/// regorus (feature `allocator-memory-limits`) counts live bytes in its global allocator, per
/// thread, publishing to a process-wide total every 1 MiB of change, and its interpreter
/// compares that total with the ceiling every few steps and inside builtins that build large
/// values (`numbers.range`); past it, the evaluation fails with an error.
fn with_memory_ceiling<R>(limit: Option<u64>, f: impl FnOnce() -> R) -> R {
    let Some(limit) = limit else {
        return f();
    };
    regorus::flush_thread_memory_counters();
    let held = regorus_mimalloc::limits::global_allocation_stats_snapshot().allocated;
    regorus::set_global_memory_limit(Some(held.saturating_add(limit)));
    let out = f();
    regorus::set_global_memory_limit(None);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{self, Origin, PolicySource};

    fn library_of(sources: Vec<PolicySource>) -> Library {
        let data: Value = regorus::Value::from_json_str(r#"{"meshgate": {"mesh": {}}}"#).unwrap();
        policy::build(sources, &[], &data, Duration::from_secs(5))
    }

    fn library(rego: &str) -> Library {
        library_of(vec![PolicySource {
            path: "p.rego".to_string(),
            text: rego.into(),
            origin: Origin::Global,
        }])
    }

    fn vm_program(lib: &Library) -> VmProgram {
        let queries = SetQueries::new(&lib.global.policies, lib);
        VmProgram::compile(&lib.global.engine, &queries, 0).expect("compiles for the VM")
    }

    fn exact(rego: &str) -> bool {
        run_to_completion_is_exact(&vm_program(&library(rego)).program)
    }

    #[test]
    fn run_to_completion_is_avoided_where_regorus_gets_it_wrong() {
        // A condition in a comprehension, inside a loop: the mode would skip the port.
        assert!(!exact(
            "package p\n\ndeny contains n if {\n\tsome port in input.ports\n\tn := count({c | c := port.x; is_string(c)})\n}\n"
        ));
        // The same comprehension in a function (calls start afresh), or with a loop of its
        // own, or without an enclosing loop: exact.
        assert!(exact(
            "package p\n\nxs(port) := {c | c := port.x; is_string(c)}\n\ndeny contains n if {\n\tsome port in input.ports\n\tn := count(xs(port))\n}\n"
        ));
        assert!(exact(
            "package p\n\ndeny contains n if {\n\tsome port in input.ports\n\tn := count({c | some c in port.tags; is_string(c)})\n}\n"
        ));
        assert!(exact(
            "package p\n\ndeny contains n if {\n\tn := count({c | c := input.x; is_string(c)})\n}\n"
        ));
    }

    #[test]
    fn the_shipped_library_runs_in_the_fast_mode() {
        let sources = crate::library::LIBRARY
            .iter()
            .map(|(name, text)| PolicySource {
                path: format!("{}{name}", crate::library::BUILTIN_PREFIX),
                text: (*text).into(),
                origin: Origin::Global,
            })
            .collect();
        let lib = library_of(sources);
        assert!(lib.errors.is_empty(), "{:?}", lib.errors);
        assert_eq!(vm_program(&lib).mode, ExecutionMode::RunToCompletion);
    }

    #[test]
    fn each_worker_gets_its_own_copy_of_the_vm_program() {
        let lib = library("package p\n\ndeny contains \"x\" if input.bad\n");
        let program = vm_program(&lib);
        let own = program.own_program();
        assert!(!Arc::ptr_eq(&own, &program.program));
        assert_eq!(own.instructions.len(), program.program.instructions.len());
    }

    /// The VM evaluates `time.now_ns()` as the run's fixed time, from its own copy of the
    /// program too (the literal survives serialization).
    #[test]
    fn the_vm_program_reads_the_fixed_time() {
        let lib = library("package p\n\ndeny contains time.now_ns() if true\n");
        let queries = SetQueries::new(&lib.global.policies, &lib);
        let now = 1_769_817_600_000_000_000;
        let program = VmProgram::compile(&lib.global.engine, &queries, now).expect("compiles");
        let calls_now = program.program.instructions.iter().any(|ins| {
            matches!(ins, regorus::rvm::Instruction::BuiltinCall { params_index }
                if program.program.instruction_data.builtin_call_params[usize::from(*params_index)]
                    .builtin_index as usize
                    == program.program.builtin_info_table.iter().position(|b| b.name == NOW_NS).unwrap_or(usize::MAX))
        });
        assert!(!calls_now);
        let mut vm = program.vm(Duration::from_secs(5));
        vm.set_data(regorus::Value::from_json_str(r#"{"meshgate": {"mesh": {}}}"#).unwrap())
            .unwrap();
        vm.set_input(Value::new_object());
        let out = vm.execute_entry_point_by_name(&program.entry).unwrap();
        let members: Vec<&Value> = out[0].as_set().unwrap().iter().collect();
        assert_eq!(members, [&Value::from(now)], "{out}");
    }

    /// The combined evaluation (VM and interpreter) evaluates `applicable` and spreads its
    /// results over the queries without falling back to the rule-by-rule path.
    #[test]
    fn applicable_is_evaluated_in_the_one_call_paths() {
        let lib = library(
            "package p\n\napplicable := input.on\n\ndeny contains \"x\" if true\n\nwarn contains \"y\" if true\n",
        );
        let queries = SetQueries::new(&lib.global.policies, &lib);
        assert_eq!(queries.each.len(), 3);
        let program = VmProgram::compile(&lib.global.engine, &queries, 0).expect("compiles");
        let data = regorus::Value::from_json_str(r#"{"meshgate": {"mesh": {}}}"#).unwrap();
        let mut engine = lib.global.engine.clone();
        engine
            .add_policy("<meshgate>".to_string(), queries.module.clone())
            .unwrap();
        for (on, applies) in [("true", true), ("false", false), ("\"yes\"", false)] {
            let input = regorus::Value::from_json_str(&format!(r#"{{"on": {on}}}"#)).unwrap();
            let mut vm = program.vm(Duration::from_secs(5));
            vm.set_data(data.clone()).unwrap();
            vm.set_input(input.clone());
            let Value::Array(items) = vm.execute_entry_point_by_name(&program.entry).unwrap()
            else {
                panic!("not an array")
            };
            let vm_values = queries.spread(items.as_slice()).expect("spreads");
            engine.set_input(data::wrapper(&input, &Value::new_object()));
            let Value::Array(items) = engine
                .eval_rule(format!("data.{EVAL_PACKAGE}.results"))
                .unwrap()
            else {
                panic!("not an array")
            };
            let values = queries.spread(items.as_slice()).expect("spreads");
            assert_eq!(values, vm_values, "{on}");
            assert_eq!(values[0], Ok(Value::from(applies)), "{on}");
            assert_eq!(
                values[1].as_ref().unwrap() == &Value::Undefined,
                !applies,
                "{on}"
            );
        }
    }

    #[test]
    fn a_set_using_with_is_left_to_the_interpreter() {
        let lib = library(
            "package p\n\nx := input.a\n\ndeny contains \"y\" if x with input as {\"a\": 1}\n",
        );
        let queries = SetQueries::new(&lib.global.policies, &lib);
        assert!(VmProgram::compile(&lib.global.engine, &queries, 0).is_none());
    }
}
