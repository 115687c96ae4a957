//! conftest compatibility, end to end through the binary: prefixed rules (`deny_*`,
//! `violation_*`, `warn_*`) and `exception` rules, on `fixtures/conftest` and on small
//! temporary meshes. (tests/opa_differential.rs checks the same fixture against Go OPA.)

mod common;

use std::collections::BTreeSet;

use common::{mesh_with_product, meshgate, meshgate_in, write};
use serde_json::Value;

fn json(dir: Option<&std::path::Path>, args: &[&str]) -> (i32, Value, String) {
    let r = match dir {
        Some(d) => meshgate_in(d, args),
        None => meshgate(args),
    };
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, v, r.stderr)
}

/// (product folder, policy, rule, severity, message) of every entry of `doc[key]`.
fn rows(doc: &Value, key: &str) -> BTreeSet<(String, String, String, String, String)> {
    doc[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let product = f["product"].as_str().unwrap();
            let folder = product.split('/').nth(3).unwrap_or(product);
            (
                folder.to_string(),
                f["policy"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn row(
    p: &str,
    pol: &str,
    rule: &str,
    sev: &str,
    msg: &str,
) -> (String, String, String, String, String) {
    (p.into(), pol.into(), rule.into(), sev.into(), msg.into())
}

fn product<'a>(doc: &'a Value, folder: &str) -> &'a Value {
    doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"].as_str().unwrap().contains(&format!("/{folder}/")))
        .unwrap_or_else(|| panic!("no product {folder}"))
}

#[test]
fn prefixed_rules_and_exceptions_on_the_conftest_fixture() {
    let (code, doc, stderr) = json(None, &["check", "fixtures/conftest", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        rows(&doc, "findings"),
        BTreeSet::from([
            row(
                "legacy-billing",
                "lifecycle",
                "deny_retired",
                "error",
                "legacy-billing is retired and must be removed"
            ),
            row(
                "legacy-billing",
                "main",
                "deny_missing_version",
                "error",
                "legacy-billing: no version"
            ),
            row(
                "sandbox",
                "main",
                "violation_pii_unclassified",
                "error",
                "port trials carries PII but has no classification"
            ),
            row(
                "old-archive",
                "main",
                "warn_no_description",
                "warning",
                "old-archive: no description"
            ),
            row(
                "tracking",
                "lifecycle",
                "warn_deprecated",
                "warning",
                "tracking is deprecated"
            ),
            row(
                "tracking",
                "main",
                "deny_port_without_type",
                "error",
                "port scans has no type"
            ),
        ])
    );
    // Excepted: by name (`missing_owner`, `no_description`: deny_ and warn_ alike), by the
    // empty name (the bare `deny` and `warn`), and only within the exception's package
    // (main's exception for legacy products does not touch lifecycle.deny_retired).
    assert_eq!(
        rows(&doc, "excepted"),
        BTreeSet::from([
            row(
                "legacy-billing",
                "main",
                "deny_missing_owner",
                "error",
                "legacy-billing: no owning team"
            ),
            row(
                "legacy-billing",
                "main",
                "warn_no_description",
                "warning",
                "legacy-billing: no description"
            ),
            row(
                "sandbox",
                "main",
                "deny",
                "error",
                "sandbox: apiVersion v0.9.0 is not v1.0.0"
            ),
            row(
                "sandbox",
                "main",
                "warn",
                "warning",
                "sandbox is still a draft"
            ),
            row(
                "old-archive",
                "lifecycle",
                "deny_retired",
                "error",
                "old-archive is retired and must be removed"
            ),
        ])
    );
    let s = &doc["summary"];
    assert_eq!(s["excepted"], 5);
    assert_eq!(s["findings"]["error"], 4);
    assert_eq!(s["findings"]["warning"], 2);
    let excepted: Vec<(String, u64)> = doc["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_string(),
                d["excepted"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        excepted,
        vec![("payments".into(), 4), ("shipping".into(), 1)]
    );

    // Policies list their rules by family then name, and say whether they have exceptions.
    let policies: Vec<(&str, Vec<&str>, bool)> = doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap(),
                p["rules"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap())
                    .collect(),
                p["exceptions"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        policies,
        vec![
            ("lifecycle", vec!["deny_retired", "warn_deprecated"], true),
            (
                "main",
                vec![
                    "deny",
                    "deny_missing_owner",
                    "deny_missing_version",
                    "deny_port_without_type",
                    "violation_pii_unclassified",
                    "warn",
                    "warn_no_description"
                ],
                true
            ),
        ]
    );

    // Excepted findings change neither the status nor the outcome letters (lifecycle, main).
    let expect = [
        ("ledger", "pass", "pp", 0),
        ("legacy-billing", "fail", "ff", 2),
        ("sandbox", "fail", "pf", 2),
        ("old-archive", "warn", "pf", 1),
        ("tracking", "fail", "ff", 0),
    ];
    for (folder, status, outcomes, n) in expect {
        let p = product(&doc, folder);
        assert_eq!(p["status"], status, "{folder}");
        assert_eq!(p["outcomes"], outcomes, "{folder}");
        assert_eq!(p["excepted"], n, "{folder}");
    }
    // Excepted findings are located and fingerprinted like the others.
    for f in doc["excepted"].as_array().unwrap() {
        assert_eq!(f["fingerprint"].as_str().unwrap().len(), 16, "{f}");
        assert!(f["location"].is_object(), "{f}");
    }
}

#[test]
fn human_output_mentions_the_excepted_findings() {
    let r = meshgate(&["check", "fixtures/conftest", "--color", "never"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("error[main/deny_missing_version]: legacy-billing: no version"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("no owning team"),
        "an excepted finding is not listed:\n{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("note: 5 findings on 3 products excepted by a policy's `exception` rule"),
        "{}",
        r.stdout
    );
    // Without exceptions, no note.
    let r = meshgate(&["check", "fixtures/mesh", "--color", "never"]);
    assert!(!r.stdout.contains("excepted"), "{}", r.stdout);
}

#[test]
fn an_excepted_product_passes_and_the_run_exits_0() {
    let t = mesh_with_product("name: daily\nkind: x\n");
    write(
        t.path(),
        "policies/main.rego",
        "package main\n\ndeny_no_owner contains msg if {\n\tnot input.owner\n\tmsg := \"no owner\"\n}\n\nexception contains rules if {\n\tinput.kind == \"x\"\n\trules := [\"no_owner\"]\n}\n",
    );
    let (code, doc, stderr) = json(Some(t.path()), &["check", ".", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    assert_eq!(doc["summary"]["excepted"], 1);
    assert_eq!(doc["summary"]["products_passing"], 1);
    assert_eq!(doc["products"][0]["outcomes"], "p");
    assert_eq!(doc["excepted"][0]["rule"], "deny_no_owner");
    assert_eq!(doc["excepted"][0]["message"], "no owner");
    // `--fail-on warning` or `info` does not make it fail either.
    let r = meshgate_in(t.path(), &["check", ".", "--fail-on", "info"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn a_malformed_exception_is_a_policy_error_not_silence() {
    // conftest ignores `exception contains "no_owner"` silently (a string is not a list).
    let t = mesh_with_product("name: daily\n");
    write(
        t.path(),
        "policies/main.rego",
        "package main\n\ndeny_no_owner contains \"no owner\" if not input.owner\n\nexception contains \"no_owner\" if true\n",
    );
    let (code, doc, stderr) = json(Some(t.path()), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2, "{stderr}");
    let findings = doc["findings"].as_array().unwrap();
    let error = findings
        .iter()
        .find(|f| f["id"] == "policy-error")
        .unwrap_or_else(|| panic!("{findings:?}"));
    assert_eq!(error["rule"], "exception");
    let msg = error["message"].as_str().unwrap();
    assert!(
        msg.contains("`exception` must be a set of rule-name lists")
            && msg.contains("[\"no_owner\"]"),
        "{msg}"
    );
    // The rule itself is still reported (fail closed), and the product is in error.
    assert!(findings
        .iter()
        .any(|f| f["rule"] == "deny_no_owner" && f["message"] == "no owner"));
    assert_eq!(doc["products"][0]["status"], "error");
    assert_eq!(doc["products"][0]["outcomes"], "e");
}

#[test]
fn an_exception_never_hides_a_policy_error() {
    // Two owners: the complete rule `primary` conflicts, which is an error at run time.
    let t = mesh_with_product("name: daily\nowners: [a, b]\n");
    write(
        t.path(),
        "policies/main.rego",
        "package main\n\nprimary := o if {\n\tsome o in input.owners\n}\n\ndeny_x contains msg if {\n\tmsg := primary\n}\n\nexception contains [\"x\"] if true\n",
    );
    let (code, doc, stderr) = json(Some(t.path()), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2, "{stderr}\n{doc}");
    assert_eq!(doc["findings"][0]["id"], "policy-error", "{doc}");
    assert_eq!(doc["findings"][0]["rule"], "deny_x");
    assert_eq!(doc["summary"]["excepted"], 0);
}

#[test]
fn single_value_rules_are_reported_not_passed() {
    // conftest counts a rule whose value is not a collection as passed; meshgate says so.
    let t = mesh_with_product("name: daily\n");
    write(
        t.path(),
        "policies/main.rego",
        "package main\n\ndeny_name := \"bad name\" if input.name == \"daily\"\n\nwarn_list := [\"listed\"] if input.name\n",
    );
    let (code, doc, stderr) = json(Some(t.path()), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2, "{stderr}");
    let findings = doc["findings"].as_array().unwrap();
    let error = findings.iter().find(|f| f["rule"] == "deny_name").unwrap();
    let msg = error["message"].as_str().unwrap();
    assert!(
        msg.contains("`deny_name` must be a set of messages (`deny_name contains msg if …`), got \"bad name\""),
        "{msg}"
    );
    // An array is a collection of messages, as in conftest.
    let listed = findings.iter().find(|f| f["rule"] == "warn_list").unwrap();
    assert_eq!(listed["message"], "listed");
    assert_eq!(listed["severity"], "warning");
}

#[test]
fn a_rule_without_contains_is_rejected_with_its_location() {
    let t = mesh_with_product("name: daily\n");
    write(
        t.path(),
        "policies/main.rego",
        "package main\n\ndeny_name if input.name\n",
    );
    let r = meshgate_in(t.path(), &["check", ".", "--color", "never"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("[policy-rejected]: `deny_name` is declared without `contains` or a value")
            && r.stdout.contains("--> policies/main.rego:3:1"),
        "{}",
        r.stdout
    );
}

#[test]
fn explain_and_domain_local_prefixed_rules() {
    let t = mesh_with_product("name: daily\n");
    write(t.path(), "domains/orders/domain.yaml", "name: orders\n");
    write(
        t.path(),
        "domains/orders/policies/naming.rego",
        "# METADATA\n# title: Naming\n# custom:\n#   severity: warning\npackage orders.naming\n\ndeny_short_name contains {\"msg\": \"short\", \"id\": \"short-name\"} if count(input.name) < 6\n",
    );
    write(
        t.path(),
        "policies/main.rego",
        "package main\n\nwarn_x contains \"x\" if false\n",
    );
    let (code, doc, stderr) = json(
        Some(t.path()),
        &["check", ".", "--format", "json", "--fail-on", "never"],
    );
    assert_eq!(code, 0, "{stderr}");
    let f = &doc["findings"][0];
    assert_eq!(
        (
            f["policy"].as_str(),
            f["rule"].as_str(),
            f["severity"].as_str()
        ),
        (
            Some("orders.naming"),
            Some("deny_short_name"),
            Some("warning")
        )
    );
    let r = meshgate_in(
        t.path(),
        &["explain", "orders.naming/short-name", "--repo", "."],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("orders.naming\n  Naming\n  severity: warning"),
        "{}",
        r.stdout
    );
    let r = meshgate_in(t.path(), &["explain", "main/warn_x", "--repo", "."]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("main\n"), "{}", r.stdout);
}

#[test]
fn excepted_findings_are_deterministic_across_threads() {
    let one = meshgate(&[
        "check",
        "fixtures/conftest",
        "--format",
        "json",
        "--threads",
        "1",
    ]);
    let two = meshgate(&[
        "check",
        "fixtures/conftest",
        "--format",
        "json",
        "--threads",
        "2",
    ]);
    assert_eq!(one.code, 1, "{}", one.stderr);
    assert_eq!(one.stdout, two.stdout);
}
