//! Differential tests against the Go OPA engine (v1.20, from the PyPI wheel
//! `opa-golib-python-bindings`, driven by `bench/opa_eval.py`): the same policies on the same
//! inputs (`meshgate inspect --bundle`) must give the same findings, and the shipped library's
//! own OPA unit tests must pass; on the conftest-style fixture, Go OPA's values of the prefixed
//! rules and `exception`s, with conftest's exception semantics applied, must be meshgate's
//! findings and excepted findings. Skipped, with a message, where python3 or the wheel cannot be
//! had (the harness exits 77), or when `MESHGATE_OPA=off`.

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use common::{meshgate, repo};
use serde_json::Value;

/// Exit code of `bench/opa_eval.py` when the OPA library cannot be had.
const SKIP: i32 = 77;

/// Runs the harness: `(exit code, stdout, stderr)`, or `None` (after printing why) when the
/// test must be skipped.
fn opa_eval(args: &[&str]) -> Option<(i32, String, String)> {
    if std::env::var("MESHGATE_OPA").is_ok_and(|v| v == "off") {
        eprintln!("skipped: MESHGATE_OPA=off");
        return None;
    }
    let child = Command::new("python3")
        .arg(repo().join("bench/opa_eval.py"))
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::null())
        .output();
    let out = match child {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipped: python3 is not available ({e})");
            return None;
        }
    };
    let code = out.status.code().unwrap_or(-1);
    if code == SKIP {
        eprintln!(
            "skipped: the Go OPA library is not available: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        code == 0 || args.contains(&"--test"),
        "opa_eval.py failed ({code}): {stderr}"
    );
    Some((code, stdout, stderr))
}

/// (product, policy, rule, message, id) of every member a policy returned.
type Row = (String, String, String, String, Option<String>);

fn member_rows(product: &str, policy: &str, rule: &str, value: &Value) -> Vec<Row> {
    let row = |m: &Value| -> Row {
        let (msg, id) = match m {
            Value::String(s) => (s.clone(), None),
            other => (
                other["msg"].as_str().unwrap_or_default().to_string(),
                other["id"].as_str().map(str::to_string),
            ),
        };
        (product.into(), policy.into(), rule.into(), msg, id)
    };
    match value {
        Value::Array(items) => items.iter().map(row).collect(),
        Value::Null => Vec::new(),
        single => vec![row(single)],
    }
}

fn same_findings_as_opa(mesh: &str) {
    let bundle = meshgate(&["inspect", "--bundle", mesh]);
    assert_eq!(bundle.code, 0, "{}", bundle.stderr);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.json");
    std::fs::write(&file, &bundle.stdout).unwrap();
    let Some((_, out, _)) = opa_eval(&[file.to_str().unwrap()]) else {
        return;
    };
    let opa: Value = serde_json::from_str(&out).expect("harness JSON");
    assert_eq!(opa["errors"].as_array().map(Vec::len), Some(0), "{out}");
    let from_opa: BTreeSet<Row> = opa["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            member_rows(
                f["product"].as_str().unwrap(),
                f["policy"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                &f["value"],
            )
        })
        .collect();

    let run = meshgate(&["check", mesh, "--format", "json"]);
    let doc: Value = serde_json::from_str(&run.stdout).expect("meshgate JSON");
    let from_meshgate: BTreeSet<Row> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["policy"].as_str().unwrap().starts_with("meshgate."))
        .map(|f| {
            (
                f["product"].as_str().unwrap().to_string(),
                f["policy"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
                f["id"].as_str().map(str::to_string),
            )
        })
        .collect();
    assert!(
        !from_meshgate.is_empty(),
        "{mesh}: no policy findings at all"
    );
    assert_eq!(
        from_meshgate, from_opa,
        "{mesh}: meshgate and Go OPA disagree"
    );
}

#[test]
fn example_mesh_findings_match_go_opa() {
    same_findings_as_opa("fixtures/mesh");
}

#[test]
fn mixed_standard_mesh_findings_match_go_opa() {
    same_findings_as_opa("fixtures/standards");
}

/// Runs `meshgate test DIR --opa-helper` (all tests must pass), then the same tests in Go OPA
/// with the helper it wrote: `(meshgate's pass count, OPA's output)`, or `None` when OPA is
/// not available.
fn tests_in_both_engines(dir: &str) -> Option<(usize, String)> {
    let helper_dir = tempfile::tempdir().unwrap();
    let helper = helper_dir.path().join("meshgate_test.rego");
    let helper = helper.to_str().unwrap();
    let r = meshgate(&[
        "test",
        dir,
        "--policy",
        dir,
        "--opa-helper",
        helper,
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "meshgate test {dir}: {}{}", r.stdout, r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let passed = doc["summary"]["passed"].as_u64().unwrap() as usize;
    let (code, stdout, stderr) = opa_eval(&["--test", dir, helper])?;
    let out = format!("{stdout}{stderr}");
    assert_eq!(code, 0, "{out}");
    Some((passed, out))
}

#[test]
fn the_shipped_library_passes_its_opa_unit_tests() {
    let Some((passed, out)) = tests_in_both_engines("policies") else {
        return;
    };
    assert!(out.contains(&format!("{passed} passed, 0 failed")), "{out}");
}

/// Tests written with `data.meshgate.test.facts` pass in Go OPA with the helper `meshgate test
/// --opa-helper` writes, as they do in meshgate.
#[test]
fn the_test_helper_gives_opa_the_same_facts() {
    let dir = tempfile::tempdir_in(repo().join("target")).unwrap();
    let rel = dir
        .path()
        .strip_prefix(repo())
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    std::fs::write(
        dir.path().join("owner.rego"),
        "package t.owner\n\ndeny contains msg if {\n\tcount(data.meshgate.product.view.owners) == 0\n\tmsg := sprintf(\"%s product without owner\", [data.meshgate.product.standard])\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("owner_test.rego"),
        r#"package t.owner_test

odps := {"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "a", "team": {"members": [{"username": "ana@example.com", "role": "owner"}]}}

dpds := {"dataProductDescriptor": "1.0.0", "info": {"fullyQualifiedName": "urn:dpds:x", "name": "x", "version": "1.0.0", "domain": "d", "owner": {"id": "bo@example.com"}}}

odps_without_owner := {"apiVersion": "v1.0.0", "kind": "DataProduct", "id": "b"}

test_odps_owner_is_seen if {
	f := data.meshgate.test.facts(odps)
	f.view.owners == ["ana@example.com"]
	count(data.t.owner.deny) == 0 with input as odps with data.meshgate.product as f
}

test_dpds_owner_is_seen if {
	f := data.meshgate.test.facts(dpds)
	f.standard == "dpds"
	count(data.t.owner.deny) == 0 with input as dpds with data.meshgate.product as f
}

test_missing_owner_fails if {
	f := data.meshgate.test.facts(odps_without_owner)
	data.t.owner.deny == {"bitol-odps product without owner"} with input as odps_without_owner with data.meshgate.product as f
}
"#,
    )
    .unwrap();
    let Some((passed, out)) = tests_in_both_engines(&rel) else {
        return;
    };
    assert_eq!(passed, 3);
    assert!(out.contains("3 passed, 0 failed"), "{out}");
}

/// conftest's `removeRulePrefix` (policy/engine.go): the name an `exception` lists a rule by.
fn conftest_exception_name(rule: &str) -> &str {
    if ["deny", "violation", "warn"].contains(&rule) {
        return "";
    }
    let rule = rule.strip_prefix("violation_").unwrap_or(rule);
    let rule = rule.strip_prefix("deny_").unwrap_or(rule);
    rule.strip_prefix("warn_").unwrap_or(rule)
}

/// (product, policy, rule, severity, message) of a finding.
type ConftestRow = (String, String, String, String, String);

fn meshgate_rows(doc: &Value, key: &str) -> BTreeSet<ConftestRow> {
    doc[key]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["policy"].as_str().unwrap().starts_with("meshgate."))
        .map(|f| {
            (
                f["product"].as_str().unwrap().to_string(),
                f["policy"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The conftest-style fixture: Go OPA evaluates every prefixed rule and each package's
/// `exception`; conftest's semantics, applied here, split the members into failures and
/// warnings and excepted ones (an exception lists rule names, `""` being the bare rules,
/// and applies to the rules of its own package); meshgate must report exactly those.
#[test]
fn conftest_fixture_matches_go_opa_with_conftest_semantics() {
    let mesh = "fixtures/conftest";
    let bundle = meshgate(&["inspect", "--bundle", mesh]);
    assert_eq!(bundle.code, 0, "{}", bundle.stderr);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.json");
    std::fs::write(&file, &bundle.stdout).unwrap();
    let Some((_, out, _)) = opa_eval(&[file.to_str().unwrap()]) else {
        return;
    };
    let opa: Value = serde_json::from_str(&out).expect("harness JSON");
    assert_eq!(opa["errors"].as_array().map(Vec::len), Some(0), "{out}");
    let rows = opa["findings"].as_array().unwrap();
    // (product, package) -> the rule names its exceptions list.
    let mut exceptions: std::collections::BTreeMap<(&str, &str), BTreeSet<&str>> =
        std::collections::BTreeMap::new();
    for f in rows.iter().filter(|f| f["rule"] == "exception") {
        let names = f["value"]
            .as_array()
            .expect("an exception member is a list");
        exceptions
            .entry((
                f["product"].as_str().unwrap(),
                f["policy"].as_str().unwrap(),
            ))
            .or_default()
            .extend(names.iter().filter_map(Value::as_str));
    }
    let (mut failing, mut excepted) = (
        BTreeSet::<ConftestRow>::new(),
        BTreeSet::<ConftestRow>::new(),
    );
    for f in rows.iter().filter(|f| f["rule"] != "exception") {
        let (product, policy, rule) = (
            f["product"].as_str().unwrap(),
            f["policy"].as_str().unwrap(),
            f["rule"].as_str().unwrap(),
        );
        let message = match &f["value"] {
            Value::String(s) => s.clone(),
            other => other["msg"].as_str().expect("a msg").to_string(),
        };
        let severity = if rule.starts_with("warn") {
            "warning"
        } else {
            "error"
        };
        let row: ConftestRow = (
            product.into(),
            policy.into(),
            rule.into(),
            severity.into(),
            message,
        );
        let is_excepted = exceptions
            .get(&(product, policy))
            .is_some_and(|names| names.contains(conftest_exception_name(rule)));
        if is_excepted {
            excepted.insert(row);
        } else {
            failing.insert(row);
        }
    }
    assert!(!failing.is_empty() && !excepted.is_empty(), "{out}");
    // Each kind of exception occurs: by name, by the empty name, across deny_ and warn_.
    let rules: BTreeSet<&str> = excepted.iter().map(|r| r.2.as_str()).collect();
    assert!(
        ["deny", "warn", "deny_missing_owner", "warn_no_description"]
            .iter()
            .all(|r| rules.contains(r)),
        "{excepted:?}"
    );

    let run = meshgate(&["check", mesh, "--format", "json"]);
    let doc: Value = serde_json::from_str(&run.stdout).expect("meshgate JSON");
    assert_eq!(meshgate_rows(&doc, "findings"), failing, "findings differ");
    assert_eq!(meshgate_rows(&doc, "excepted"), excepted, "excepted differ");
    assert_eq!(doc["summary"]["excepted"], excepted.len());
    for p in doc["products"].as_array().unwrap() {
        let path = p["path"].as_str().unwrap();
        let n = excepted.iter().filter(|r| r.0 == path).count();
        assert_eq!(p["excepted"], n, "{path}");
    }
}

/// The README's reproduction recipe, as a user with only the binary would run it:
/// `meshgate inspect PRODUCT --write DIR`, then `opa eval -i DIR/input.json -d DIR/data.json
/// -d DIR/policies 'data.<pkg>'` for each policy it names. Go OPA must give exactly the
/// findings `meshgate check` reports on that product.
#[test]
fn inspect_write_reproduces_check_verdicts_in_go_opa() {
    for product in [
        "fixtures/mesh/domains/orders/products/order-returns/dataproduct.yml",
        "fixtures/mesh/domains/customers/products/customer-consent/dataproduct.json",
        "fixtures/standards/domains/payments/products/card-settlements/odps.yaml",
    ] {
        if !repo().join(product).is_file() {
            panic!("fixture {product} moved: update this test");
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("repro");
        let w = meshgate(&["inspect", product, "--write", out.to_str().unwrap()]);
        assert_eq!(w.code, 0, "{}", w.stderr);
        // The packages the printed commands name.
        let packages: Vec<&str> = w
            .stdout
            .lines()
            .filter_map(|l| l.trim().strip_prefix("opa eval "))
            .filter_map(|l| {
                l.rsplit_once(" 'data.")
                    .map(|(_, q)| q.trim_end_matches('\''))
            })
            .collect();
        assert!(!packages.is_empty(), "{}", w.stdout);
        let query = format!(
            "[{}]",
            packages
                .iter()
                .map(|p| format!("data.{p}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let Some((code, stdout, stderr)) = opa_eval(&["--eval", out.to_str().unwrap(), &query])
        else {
            return;
        };
        assert_eq!(code, 0, "{stderr}");
        let docs: Value = serde_json::from_str(&stdout).expect("harness JSON");
        let mut from_opa = BTreeSet::new();
        for (pkg, doc) in packages.iter().zip(docs.as_array().unwrap()) {
            for (rule, value) in doc.as_object().unwrap() {
                let family = rule.split('_').next().unwrap_or_default();
                if ["deny", "violation", "warn"].contains(&family) {
                    for (_, policy, rule, msg, _) in member_rows("", pkg, rule, value) {
                        from_opa.insert((policy, rule, msg));
                    }
                }
            }
        }
        let check = meshgate(&["check", product, "--format", "json", "--fail-on", "never"]);
        let doc: Value = serde_json::from_str(&check.stdout).unwrap();
        let from_meshgate: BTreeSet<(String, String, String)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !f["policy"].as_str().unwrap().starts_with("meshgate."))
            .map(|f| {
                (
                    f["policy"].as_str().unwrap().to_string(),
                    f["rule"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(from_opa, from_meshgate, "{product}");
    }
}
