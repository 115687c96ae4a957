//! `meshgate test` end to end: the Rego unit tests next to a mesh's policies, run on temp
//! meshes (passing, failing, erroring, todo, `--run`, the output formats, coverage figures on a
//! hand-checked policy, broken tests), and the shipped library's own tests.

mod common;

use common::{mesh_with_product, meshgate, meshgate_in, write};
use serde_json::Value;

const PRODUCT: &str = "apiVersion: v1.0.0\nkind: DataProduct\nid: daily\n";

/// Lines: 3 and 7 are the heads' keys, 4 and 8 the bodies' expressions.
const POLICY: &str = r#"package t.p

deny contains "no id" if {
	not input.id
}

deny contains "bad status" if {
	input.status == "bad"
}
"#;

/// One test of each outcome.
const MIXED_TESTS: &str = r#"package t.p_test

test_no_id if {
	"no id" in data.t.p.deny with input as {}
}

test_false if {
	"bad status" in data.t.p.deny with input as {}
}

test_value := 3

test_error if {
	x := 1 / 0
	x == 1
}

todo_test_later if {
	false
}
"#;

fn mesh(tests: &str) -> tempfile::TempDir {
    let t = mesh_with_product(PRODUCT);
    write(t.path(), "policies/p.rego", POLICY);
    write(t.path(), "policies/p_test.rego", tests);
    t
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn each_outcome_is_reported_with_its_location_and_a_failure_exits_1() {
    let t = mesh(MIXED_TESTS);
    let r = meshgate_in(t.path(), &["test"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "FAIL  policies/p_test.rego:7: data.t.p_test.test_false: produced undefined",
            "FAIL  policies/p_test.rego:11: data.t.p_test.test_value: produced 3",
            "ERROR policies/p_test.rego:13: data.t.p_test.test_error: policies/p_test.rego:14:9: divide by zero",
        ],
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("PASS: 1/4\nFAIL: 2/4\nERROR: 1/4\nSKIPPED: 1 (todo_test_*)\n"),
        "{}",
        r.stdout
    );
    // Passing and todo tests are not listed unless -v.
    assert!(!r.stdout.contains("test_no_id"));
    let v = meshgate_in(t.path(), &["test", "-v"]);
    assert!(v
        .stdout
        .contains("PASS  policies/p_test.rego:3: data.t.p_test.test_no_id"));
    assert!(v
        .stdout
        .contains("TODO  policies/p_test.rego:18: data.t.p_test.todo_test_later"));
}

#[test]
fn all_passing_exits_0() {
    let t = mesh("package t.p_test\n\ntest_no_id if {\n\t\"no id\" in data.t.p.deny with input as {}\n}\n\ntodo_test_x if { false }\n");
    let r = meshgate_in(t.path(), &["test"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("PASS: 1/1\nSKIPPED: 1"), "{}", r.stdout);
}

#[test]
fn run_filters_by_full_name() {
    let t = mesh(MIXED_TESTS);
    let r = meshgate_in(
        t.path(),
        &["test", "--run", "t\\.p_test\\.test_no", "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc = json(&r.stdout);
    assert_eq!(doc["summary"]["total"], 1);
    assert_eq!(doc["tests"][0]["name"], "test_no_id");
    let bad = meshgate_in(t.path(), &["test", "--run", "("]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("not a regular expression"),
        "{}",
        bad.stderr
    );
}

#[test]
fn json_has_every_test_and_the_summary() {
    let t = mesh(MIXED_TESTS);
    let r = meshgate_in(t.path(), &["test", "--format", "json"]);
    assert_eq!(r.code, 1);
    let doc = json(&r.stdout);
    assert_eq!(doc["version"], 1);
    assert_eq!(
        doc["summary"],
        json(r#"{"total": 5, "passed": 1, "failed": 2, "errored": 1, "skipped": 1}"#)
    );
    let outcomes: Vec<(&str, &str)> = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("test_no_id", "pass"),
            ("test_false", "fail"),
            ("test_value", "fail"),
            ("test_error", "error"),
            ("todo_test_later", "todo")
        ]
    );
    let err = &doc["tests"][3]["error"];
    assert_eq!(err["message"], "divide by zero");
    assert_eq!(err["location"]["file"], "policies/p_test.rego");
    assert_eq!(err["location"]["line"], 14);
    assert_eq!(doc["tests"][2]["produced"], "3");
    assert_eq!(doc["tests"][0]["location"]["line"], 3);
}

#[test]
fn junit_has_a_suite_per_package_and_unique_cases() {
    let t = mesh(MIXED_TESTS);
    write(
        t.path(),
        "policies/other_test.rego",
        "package t.other_test\n\ntest_no_id if { true }\n",
    );
    let r = meshgate_in(t.path(), &["test", "--format", "junit"]);
    assert_eq!(r.code, 1);
    let report = quick_junit::Report::deserialize_from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JUnit ({e}): {}", r.stdout));
    assert_eq!(
        report.name.as_ref().map(|n| n.as_str()),
        Some("meshgate test")
    );
    assert_eq!(
        (report.tests, report.failures, report.errors),
        (6, 2, 1),
        "{}",
        r.stdout
    );
    let suites: Vec<(&str, usize)> = report
        .test_suites
        .iter()
        .map(|s| (s.name.as_str(), s.test_cases.len()))
        .collect();
    assert_eq!(suites, [("t.other_test", 1), ("t.p_test", 5)]);
    // The same rule name in two packages: (classname, name) stays unique, and every case has
    // a time in plain decimal notation and its file and line.
    let mut seen = std::collections::BTreeSet::new();
    for s in &report.test_suites {
        for c in &s.test_cases {
            let class = c.classname.as_ref().map(|c| c.as_str()).unwrap_or_default();
            assert_eq!(class, s.name.as_str());
            assert!(seen.insert((class.to_string(), c.name.as_str().to_string())));
            assert_eq!(c.time, Some(std::time::Duration::ZERO));
            assert!(c.extra.contains_key("file") && c.extra.contains_key("line"));
        }
    }
    assert!(r.stdout.contains(" time=\"0.000\""), "{}", r.stdout);
    let status = |name: &str| {
        &report
            .test_suites
            .iter()
            .flat_map(|s| &s.test_cases)
            .find(|c| c.name.as_str() == name)
            .unwrap_or_else(|| panic!("no test case {name}"))
            .status
    };
    match status("test_false") {
        quick_junit::TestCaseStatus::NonSuccess {
            kind: quick_junit::NonSuccessKind::Failure,
            message,
            description,
            ..
        } => {
            assert_eq!(message.as_ref().unwrap().as_str(), "produced undefined");
            assert_eq!(
                description.as_ref().unwrap().as_str(),
                "policies/p_test.rego:7: data.t.p_test.test_false produced undefined"
            );
        }
        other => panic!("{other:?}"),
    }
    match status("test_error") {
        quick_junit::TestCaseStatus::NonSuccess {
            kind: quick_junit::NonSuccessKind::Error,
            description,
            ..
        } => assert_eq!(
            description.as_ref().unwrap().as_str(),
            "policies/p_test.rego:14:9: divide by zero"
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        status("todo_test_later"),
        quick_junit::TestCaseStatus::Skipped { .. }
    ));
}

#[test]
fn coverage_counts_the_lines_regorus_evaluates() {
    // With input {}: the first body is true (its key, line 3, is evaluated), the second body's
    // expression (line 8) is evaluated and false, so its key (line 7) is not: 3 of 4 lines.
    let t = mesh(
        "package t.p_test\n\ntest_no_id if {\n\t\"no id\" in data.t.p.deny with input as {}\n}\n",
    );
    let r = meshgate_in(t.path(), &["test", "--coverage"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("  policies/p.rego   75.00%  3/4 lines; not covered: 7\nTotal: 75.00%\n"),
        "{}",
        r.stdout
    );
    let j = json(&meshgate_in(t.path(), &["test", "--coverage", "--format", "json"]).stdout);
    assert_eq!(
        j["coverage"],
        json(
            r#"{"percent": 75.0, "files": [{"file": "policies/p.rego", "percent": 75.0, "covered": [3, 4, 8], "not_covered": [7]}]}"#
        )
    );
    // Below the threshold: exit 1, and said.
    let below = meshgate_in(t.path(), &["test", "--threshold", "80"]);
    assert_eq!(below.code, 1, "{}", below.stdout);
    assert!(
        below
            .stdout
            .contains("Total: 75.00%, below the threshold of 80%"),
        "{}",
        below.stdout
    );
    let above = meshgate_in(t.path(), &["test", "--threshold", "75"]);
    assert_eq!(above.code, 0, "{}", above.stdout);
    assert_eq!(
        meshgate_in(t.path(), &["test", "--threshold", "101"]).code,
        2
    );
}

#[test]
fn a_policy_no_test_evaluates_is_0_percent() {
    let t = mesh("package t.p_test\n\ntest_x if { true }\n");
    write(
        t.path(),
        "policies/q.rego",
        "package t.q\n\nwarn contains \"w\" if {\n\tinput.x\n}\n",
    );
    let r = meshgate_in(t.path(), &["test", "--coverage", "--format", "json"]);
    let files = &json(&r.stdout)["coverage"]["files"];
    assert_eq!(files[0]["file"], "policies/p.rego");
    assert_eq!(files[0]["not_covered"], json("[3, 4, 7, 8]"));
    assert_eq!(files[1]["file"], "policies/q.rego");
    assert_eq!(files[1]["percent"], 0.0);
}

#[test]
fn output_does_not_depend_on_threads() {
    let t = mesh(MIXED_TESTS);
    write(
        t.path(),
        "policies/more_test.rego",
        (0..40)
            .map(|i| format!("test_{i} if {{ {i} % 3 != 0 }}\n"))
            .fold("package t.more_test\n\n".to_string(), |a, b| a + &b),
    );
    let one = meshgate_in(
        t.path(),
        &["test", "--threads", "1", "--coverage", "--format", "json"],
    );
    let four = meshgate_in(
        t.path(),
        &["test", "--threads", "4", "--coverage", "--format", "json"],
    );
    assert_eq!(one.stdout, four.stdout);
    assert_eq!(json(&one.stdout)["summary"]["failed"], 16);
}

#[test]
fn a_test_that_recurses_or_calls_an_unknown_function_errors_and_the_others_run() {
    let t = mesh(
        "package t.p_test\n\ntest_no_id if {\n\t\"no id\" in data.t.p.deny with input as {}\n}\n",
    );
    write(
        t.path(),
        "policies/rec_test.rego",
        "package t.rec_test\n\nf(x) := y if {\n\ty := f(x)\n}\n\ntest_rec if {\n\tf(1) == 1\n}\n\ntest_other if { true }\n",
    );
    write(
        t.path(),
        "policies/unknown_test.rego",
        "package t.unknown_test\n\ntest_unknown if {\n\tnosuch.fn(1) == 1\n}\n",
    );
    let r = meshgate_in(t.path(), &["test"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("ERROR policies/rec_test.rego:7: data.t.rec_test.test_rec: policies/rec_test.rego:3:1: recursion is not allowed in Rego (`t.rec_test.f -> t.rec_test.f`)"), "{}", r.stdout);
    // The whole file is left out: its other tests are errors at the same place.
    assert!(r.stdout.contains("ERROR policies/rec_test.rego:11: data.t.rec_test.test_other: policies/rec_test.rego:3:1: recursion"), "{}", r.stdout);
    assert!(r.stdout.contains("ERROR policies/unknown_test.rego:3: data.t.unknown_test.test_unknown: policies/unknown_test.rego:4:2: unknown function `nosuch.fn`"), "{}", r.stdout);
    assert!(r.stdout.contains("PASS: 1/4\nERROR: 3/4\n"), "{}", r.stdout);
}

#[test]
fn a_test_past_the_time_limit_errors_and_the_others_run() {
    let t = mesh("package t.p_test\n\ntest_no_id if {\n\t\"no id\" in data.t.p.deny with input as {}\n}\n\ntest_slow if {\n\tcount([x | some x in numbers.range(1, 100000000); x > 0]) > 0\n}\n");
    write(t.path(), "meshgate.toml", "policy-timeout-ms = 100\n");
    let r = meshgate_in(t.path(), &["test"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("ERROR policies/p_test.rego:7: data.t.p_test.test_slow: execution exceeded the time limit of 100 ms"), "{}", r.stdout);
    assert!(r.stdout.contains("PASS: 1/2\nERROR: 1/2\n"), "{}", r.stdout);
}

#[test]
fn a_test_that_does_not_compile_or_has_no_package_exits_2() {
    let t = mesh("package t.p_test\n\ntest_x if {\n\t1 +\n}\n");
    write(t.path(), "policies/q_test.rego", "test_y if { true }\n");
    write(
        t.path(),
        "policies/r_test.rego",
        "package meshgate.test\n\ntest_z if { true }\n",
    );
    let r = meshgate_in(t.path(), &["test"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("meshgate: error: policies/p_test.rego:5:1: test does not compile: "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(
            "meshgate: error: policies/q_test.rego:1:1: test file has no `package` declaration"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(
            "meshgate: error: policies/r_test.rego:1:1: package `meshgate.test` is reserved"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
}

#[test]
fn a_policy_that_does_not_compile_exits_2() {
    let t = mesh("package t.p_test\n\ntest_x if { true }\n");
    write(
        t.path(),
        "policies/p.rego",
        "package t.p\n\ndeny contains \"x\" if {\n\tinput.x ==\n}\n",
    );
    let r = meshgate_in(t.path(), &["test"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("policies/p.rego:5:1: policy does not compile"),
        "{}",
        r.stderr
    );
}

#[test]
fn no_test_is_not_a_pass() {
    let t = mesh_with_product(PRODUCT);
    write(t.path(), "policies/p.rego", POLICY);
    let r = meshgate_in(t.path(), &["test"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("no `*_test.rego` file"), "{}", r.stderr);
}

const LOCAL_POLICY: &str =
    "package orders.local\n\ndeny contains \"no owner\" if {\n\tnot input.owner\n}\n";

#[test]
fn a_domain_runs_its_local_tests_with_the_globals() {
    let t = mesh("package t.p_test\n\ntest_global_broken if { false }\n");
    write(t.path(), "domains/orders/policies/local.rego", LOCAL_POLICY);
    write(
        t.path(),
        "domains/orders/policies/local_test.rego",
        "package orders.local_test\n\ntest_owner_missing if {\n\t\"no owner\" in data.orders.local.deny with input as {}\n}\n\ntest_global_visible if {\n\t\"no id\" in data.t.p.deny with input as {}\n}\n",
    );
    let r = meshgate_in(t.path(), &["test", "domains/orders", "--coverage"]);
    // The broken global test is not part of the domain's run.
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("PASS: 2/2\n"), "{}", r.stdout);
    // Coverage is of the domain's policies.
    assert!(
        r.stdout
            .contains("  domains/orders/policies/local.rego  100.00%  2/2 lines\n"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("policies/p.rego "), "{}", r.stdout);
    let g = meshgate_in(t.path(), &["test", "policies"]);
    assert_eq!(g.code, 1);
    assert!(g.stdout.contains("test_global_broken"));
    assert!(!g.stdout.contains("orders"));
}

#[test]
fn a_broken_local_test_shows_its_file_and_line_and_exits_1() {
    let t = mesh_with_product(PRODUCT);
    write(t.path(), "domains/orders/policies/local.rego", LOCAL_POLICY);
    write(
        t.path(),
        "domains/orders/policies/local_test.rego",
        "package orders.local_test\n\ntest_ok if { true }\n\ntest_wrong if {\n\t\"no owner\" in data.orders.local.deny with input as {\"owner\": \"ana\"}\n}\n",
    );
    let r = meshgate_in(t.path(), &["test", "domains/orders"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("FAIL  domains/orders/policies/local_test.rego:5: data.orders.local_test.test_wrong: produced undefined\n"), "{}", r.stdout);
    // From inside the domain, paths are relative to where meshgate runs.
    let inner = meshgate_in(&t.path().join("domains/orders"), &["test", "."]);
    assert!(
        inner
            .stdout
            .starts_with("FAIL  ../../domains/orders/policies/local_test.rego:5:"),
        "{}",
        inner.stdout
    );
}

#[test]
fn the_helper_builds_facts_from_a_descriptor() {
    let t = mesh(
        r#"package t.p_test

odps := {"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "abc", "status": "active"}

test_facts if {
	f := data.meshgate.test.facts(odps)
	f.standard == "bitol-odps"
	f.standard_version == "v1.0.0"
	f.view.id == "abc"
	f.view.status == "active"
}

test_with_the_policy if {
	count(data.t.p.deny) == 0 with input as odps with data.meshgate.product as data.meshgate.test.facts(odps)
}

test_not_an_object if {
	data.meshgate.test.facts("x")
}
"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let helper = dir.path().join("helper.rego");
    let r = meshgate_in(
        t.path(),
        &["test", "--opa-helper", helper.to_str().unwrap()],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("ERROR policies/p_test.rego:17: data.t.p_test.test_not_an_object: data.meshgate.test.facts: the descriptor must be an object"), "{}", r.stdout);
    assert!(r.stdout.contains("PASS: 2/3\n"), "{}", r.stdout);
    let text = std::fs::read_to_string(&helper).unwrap();
    assert!(text.contains("package meshgate.test\n"), "{text}");
    assert!(text.contains(r#"{"descriptor": {"apiVersion":"v1.0.0","id":"abc","kind":"DataProduct","status":"active"}, "facts": {"domain":"example","#), "{text}");
    // One entry per distinct descriptor.
    assert_eq!(text.matches("\"descriptor\":").count(), 1, "{text}");
}

#[test]
fn the_shipped_library_passes_its_tests_with_coverage_above_90() {
    let r = meshgate(&[
        "test",
        "policies",
        "--coverage",
        "--threshold",
        "90",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc = json(&r.stdout);
    let s = &doc["summary"];
    assert_eq!(s["failed"], 0);
    assert_eq!(s["errored"], 0);
    assert!(s["passed"].as_u64().unwrap() >= 80, "{s}");
    assert!(doc["coverage"]["percent"].as_f64().unwrap() >= 90.0);
}

#[test]
fn a_test_defined_twice_is_an_error_not_a_pass() {
    // OPA runs each definition as its own test; together, the true one would hide the false one.
    let t = mesh("package t.p_test\n\ntest_twice if { true }\n\ntest_twice if { false }\n\ntest_once if { true }\n");
    let r = meshgate_in(t.path(), &["test"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("ERROR policies/p_test.rego:3: data.t.p_test.test_twice: policies/p_test.rego:5:1: `test_twice` is defined more than once"), "{}", r.stdout);
    assert!(r.stdout.contains("PASS: 1/2\nERROR: 1/2\n"), "{}", r.stdout);
}

#[test]
fn another_domains_broken_policy_does_not_stop_a_domains_tests() {
    let t = mesh_with_product(PRODUCT);
    write(t.path(), "policies/p.rego", POLICY);
    write(t.path(), "domains/orders/policies/local.rego", LOCAL_POLICY);
    write(
        t.path(),
        "domains/orders/policies/local_test.rego",
        "package orders.local_test\n\ntest_ok if {\n\t\"no owner\" in data.orders.local.deny with input as {}\n}\n",
    );
    write(
        t.path(),
        "domains/payments/policies/broken.rego",
        "package payments.broken\n\ndeny contains \"x\" if {\n\tinput.x ==\n}\n",
    );
    write(t.path(), "domains/payments/domain.yaml", "name: payments\n");
    let r = meshgate_in(t.path(), &["test", "domains/orders"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // The whole mesh's tests include payments, whose policy does not compile: exit 2.
    let all = meshgate_in(t.path(), &["test"]);
    assert_eq!(all.code, 2, "{}{}", all.stdout, all.stderr);
    assert!(
        all.stderr
            .contains("domains/payments/policies/broken.rego:5:1: policy does not compile"),
        "{}",
        all.stderr
    );
}
