//! Differential tests of regorus's two evaluators: the interpreter (the default and the
//! reference) and the opt-in bytecode VM must give the same bytes on every fixture, including
//! the broken ones, where the VM hands over to the interpreter; on the one with a runtime
//! error the VM's documented blind spot is pinned down exactly.

mod common;

use std::path::Path;

use common::{meshgate, meshgate_in, write, Run};

fn both(dir: &Path, args: &[&str]) -> (Run, Run) {
    let with = |evaluator: &str| {
        let mut a = args.to_vec();
        a.extend(["--evaluator", evaluator]);
        meshgate_in(dir, &a)
    };
    (with("vm"), with("interpreter"))
}

fn assert_same(vm: &Run, interpreter: &Run) {
    assert_eq!(
        vm.code, interpreter.code,
        "exit codes differ\n{}",
        vm.stderr
    );
    assert_eq!(vm.stdout, interpreter.stdout, "outputs differ");
}

#[test]
fn the_vm_and_the_interpreter_agree_on_every_fixture() {
    for mesh in [
        "fixtures/mesh",
        "fixtures/standards",
        "fixtures/conftest",
        "fixtures/bad/descriptors",
        "fixtures/bad/policy-recursion",
        "fixtures/bad/policy-syntax",
        "fixtures/bad/local-isolation",
        "fixtures/bad/policy-slow",
    ] {
        let (vm, interpreter) = both(&common::repo(), &["check", mesh, "--format", "json"]);
        assert!(!vm.stdout.is_empty(), "{mesh}: {}", vm.stderr);
        assert_same(&vm, &interpreter);
    }
}

/// fixtures/bad/policy-runtime: the VM runs that set (its call to a builtin regorus lacks is
/// rejected at load, so nothing keeps the VM from compiling the rest) and, as documented,
/// does not report the conflict error the interpreter reports (as a finding and among the run
/// errors). Everything else is the same: the load error, the other policies' findings.
#[test]
fn on_policy_runtime_the_vm_only_misses_the_runtime_error() {
    let (vm, interpreter) = both(
        &common::repo(),
        &["check", "fixtures/bad/policy-runtime", "--format", "json"],
    );
    let parse = |r: &Run| -> serde_json::Value {
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr))
    };
    let (vm, interpreter) = (parse(&vm), parse(&interpreter));
    // The load errors are the same; the interpreter also lists the runtime error it saw.
    let kinds = |doc: &serde_json::Value, runtime: bool| -> Vec<serde_json::Value> {
        doc["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| (e["kind"] == "policy-runtime") == runtime)
            .cloned()
            .collect()
    };
    assert_eq!(kinds(&vm, false), kinds(&interpreter, false));
    assert!(kinds(&vm, true).is_empty());
    assert_eq!(kinds(&interpreter, true).len(), 1);
    let findings = |doc: &serde_json::Value, errors: bool| -> Vec<serde_json::Value> {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| (f["id"] == "policy-error") == errors)
            .cloned()
            .collect()
    };
    assert_eq!(findings(&vm, false), findings(&interpreter, false));
    assert!(findings(&vm, true).is_empty());
    let missed = findings(&interpreter, true);
    assert_eq!(missed.len(), 1, "{missed:#?}");
    assert_eq!(missed[0]["policy"], "checks.conflict");
}

#[test]
fn the_default_evaluator_is_the_interpreter() {
    let default = meshgate(&["check", "fixtures/mesh", "--format", "json"]);
    let (_, interpreter) = both(
        &common::repo(),
        &["check", "fixtures/mesh", "--format", "json"],
    );
    assert_same(&default, &interpreter);
}

/// regorus 0.14.1's VM treats an error inside a rule body (here a type error in `lower`) as the
/// body not matching, so it cannot fail closed: the default evaluator reports the error, and
/// `--evaluator vm` says it does not.
#[test]
fn runtime_errors_fail_closed_by_default_and_the_vm_warns() {
    let t = mesh_with_policy(
        "package t\n\ndeny contains \"lower-case name\" if lower(input.n) == \"a\"\n",
        "n: 5\n",
    );
    let default = meshgate_in(t.path(), &["check", ".", "--format", "json"]);
    assert_eq!(default.code, 2, "{}", default.stdout);
    assert!(
        default.stdout.contains("policy failed to evaluate"),
        "{}",
        default.stdout
    );
    assert!(
        default.stdout.contains("\"status\": \"error\""),
        "{}",
        default.stdout
    );
    let vm = meshgate_in(t.path(), &["check", ".", "--evaluator", "vm"]);
    assert!(
        vm.stderr.contains("does not report runtime errors"),
        "{}",
        vm.stderr
    );
}

fn mesh_with_policy(policy: &str, descriptor: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "domains/d/domain.yaml", "name: d\n");
    write(
        t.path(),
        "domains/d/products/p/dataproduct.yaml",
        descriptor,
    );
    write(t.path(), "policies/p.rego", policy);
    t
}

/// regorus 0.14.1's VM, in its run-to-completion mode, lets a failed condition inside a
/// comprehension skip the iteration of the enclosing loop: the port without a classification
/// would be dropped and its finding lost. meshgate runs the VM in the mode that gets it right.
#[test]
fn a_failed_condition_in_a_comprehension_does_not_skip_the_enclosing_loop() {
    let t = mesh_with_policy(
        r#"package t

deny contains sprintf("%s: %d classifications", [port.name, count(cs)]) if {
	some port in input.ports
	cs := {c | c := port.classification; is_string(c)}
}
"#,
        "ports:\n  - name: a\n  - name: b\n    classification: restricted\n",
    );
    let (vm, interpreter) = both(t.path(), &["check", ".", "--format", "json"]);
    assert_same(&vm, &interpreter);
    assert!(vm.stdout.contains("a: 0 classifications"), "{}", vm.stdout);
    assert!(vm.stdout.contains("b: 1 classifications"), "{}", vm.stdout);
}

/// The VM does not support `with`: a set that uses it is evaluated by the interpreter.
#[test]
fn a_policy_the_vm_cannot_compile_is_evaluated_by_the_interpreter() {
    let t = mesh_with_policy(
        r#"package t

owner := input.owner

deny contains "no owner" if not owner

deny contains "mocked" if {
	owner == "x" with input as {"owner": "x"}
}
"#,
        "name: p\n",
    );
    let (vm, interpreter) = both(t.path(), &["check", ".", "--format", "json"]);
    assert_same(&vm, &interpreter);
    assert!(vm.stdout.contains("\"no owner\""), "{}", vm.stdout);
    assert!(vm.stdout.contains("\"mocked\""), "{}", vm.stdout);
}

/// The VM's default instruction cap (25,000) is lifted: a large descriptor is evaluated fully
/// (by either evaluator) and the time limit alone bounds the work.
#[test]
fn large_descriptors_are_evaluated_fully() {
    let mut descriptor = String::from("ports:\n");
    for i in 0..5000 {
        descriptor.push_str(&format!("  - name: p{i}\n"));
    }
    let t = mesh_with_policy(
        r#"package t

deny contains sprintf("%d unnamed-or-named ports", [count(names)]) if {
	names := {n | some port in input.ports; n := port.name; startswith(n, "p")}
}
"#,
        &descriptor,
    );
    let (vm, interpreter) = both(t.path(), &["check", ".", "--format", "json"]);
    assert_same(&vm, &interpreter);
    assert!(
        vm.stdout.contains("5000 unnamed-or-named ports"),
        "{}",
        vm.stdout
    );
}
