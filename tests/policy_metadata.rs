//! End-to-end tests of what a policy's METADATA and its `applicable` rule change: the advice
//! for the product's standard, the metadata in the JSON report, and policies that do not apply
//! to a product (outcome `n`, never a pass).

mod common;

use common::{meshgate_in, write};

use serde_json::Value;

const DPDS: &str = "dataProductDescriptor: 1.0.0\ninfo:\n  fullyQualifiedName: urn:dpds:acme:dataproducts:daily:1\n  name: daily\n  domain: orders\n  version: 1.0.0\n  owner:\n    id: jane@acme.example\napplies: true\n";
const WITBOOST: &str =
    "id: urn:dmb:dp:orders:weekly:0\nname: weekly\ndomain: orders\nversion: 0.1.0\napplies: false\n";

/// A mesh with a DPDS product (`daily`, `applies: true`) and a Witboost one (`weekly`,
/// `applies: false`), and `policies` (file name, text) as its global policies.
fn mesh(policies: &[(&str, &str)]) -> tempfile::TempDir {
    let t = common::mesh_with_product(DPDS);
    write(
        t.path(),
        "domains/orders/products/weekly/dataproduct.yaml",
        WITBOOST,
    );
    for (name, text) in policies {
        write(t.path(), &format!("policies/{name}"), text);
    }
    t
}

fn check_json(dir: &std::path::Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["check", ".", "--format", "json"];
    args.extend_from_slice(extra);
    let r = meshgate_in(dir, &args);
    let doc = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, doc, r.stderr)
}

fn product<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"].as_str().unwrap().contains(name))
        .unwrap_or_else(|| panic!("no product {name}: {doc}"))
}

/// The (product, policy, help) of every finding of policies under `g.`.
fn policy_findings(doc: &Value) -> Vec<(String, String, Value)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"].as_str().unwrap().starts_with("g."))
        .map(|f| {
            let product = f["product"].as_str().unwrap();
            let name = if product.contains("daily") {
                "daily"
            } else {
                "weekly"
            };
            (
                name.to_string(),
                f["policy"].as_str().unwrap().to_string(),
                f["help"].clone(),
            )
        })
        .collect()
}

const ADVICE: &str = "# METADATA\n# title: Advice\n# custom:\n#   severity: warning\n#   level: silver\n#   waivable: false\n#   remediation:\n#     dpds: Fix it the DPDS way.\n#     default: Fix it.\npackage g.advice\n\ndeny contains \"always\" if true\n";

/// A finding's help is the advice for its product's standard, in human and JSON output; the
/// JSON `policies[]` keeps the whole map and carries level, waivable and standards.
#[test]
fn remediation_is_the_advice_for_the_products_standard() {
    let t = mesh(&[("advice.rego", ADVICE)]);
    let (code, doc, stderr) = check_json(t.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let mut found = policy_findings(&doc);
    found.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        found,
        [
            (
                "daily".into(),
                "g.advice".into(),
                "Fix it the DPDS way.".into()
            ),
            ("weekly".into(), "g.advice".into(), "Fix it.".into()),
        ]
    );
    let policy = &doc["policies"][0];
    assert_eq!(policy["id"], "g.advice");
    assert_eq!(
        policy["remediation"],
        serde_json::json!({"dpds": "Fix it the DPDS way.", "default": "Fix it."})
    );
    assert_eq!(policy["level"], "silver");
    assert_eq!(policy["waivable"], false);
    assert_eq!(policy["standards"], Value::Null);

    let r = meshgate_in(t.path(), &["check", ".", "--color", "never"]);
    let helps: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("help: Fix it"))
        .collect();
    assert_eq!(helps.len(), 2, "{}", r.stdout);
    assert!(helps
        .iter()
        .any(|l| l.ends_with("help: Fix it the DPDS way.")));
    assert!(helps.iter().any(|l| l.ends_with("help: Fix it.")));
}

/// Malformed METADATA stops the run (exit 2) at its file:line:col.
#[test]
fn malformed_metadata_is_exit_2_at_its_line() {
    let t = mesh(&[(
        "bad.rego",
        "# METADATA\n# title: Bad\n# custom:\n#   standards: [dpds, odps]\npackage g.bad\n\ndeny contains \"x\" if true\n",
    )]);
    let (code, doc, _) = check_json(t.path(), &[]);
    assert_eq!(code, 2, "{doc}");
    let e = &doc["errors"][0];
    assert_eq!(e["kind"], "policy-rejected");
    assert_eq!(
        (
            &e["location"]["file"],
            &e["location"]["line"],
            &e["location"]["column"]
        ),
        (&"policies/bad.rego".into(), &4.into(), &23.into())
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid METADATA `custom.standards`: unknown standard `odps`"),
        "{e}"
    );
}

const ONLY_DPDS: &str = "# METADATA\n# title: DPDS only\n# custom:\n#   standards: [dpds]\npackage g.dpds_only\n\ndeny contains \"dpds\" if true\n";
const APPLICABLE: &str =
    "package g.when\n\napplicable if input.applies\n\ndeny contains \"when\" if true\n";
const APPLICABLE_OFF: &str =
    "package g.never\n\napplicable := false\n\ndeny contains \"never\" if true\n";
const PLAIN: &str = "package g.plain\n\nwarn contains \"plain\" if input.applies == false\n";
/// Only `applicable`: not a policy.
const HELPER: &str = "package g.helper\n\napplicable if true\n";
/// `applicable` errs (a builtin error: `to_number` of a path): the policy errors on every product.
const APPLICABLE_ERRS: &str =
    "package g.errs\n\napplicable if to_number(data.meshgate.product.path) > 0\n\ndeny contains \"errs\" if true\n";

fn outcomes_and_findings(
    policies: &[(&str, &str)],
    evaluator: &str,
) -> (i32, Value, Vec<(String, String, Value)>) {
    let t = mesh(policies);
    let (code, doc, _) = check_json(t.path(), &["--evaluator", evaluator]);
    let mut found = policy_findings(&doc);
    found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    (code, doc, found)
}

/// A policy outside a product's standards, or whose `applicable` is not true, is `n` for that
/// product, reports nothing there, and is counted as not applicable, with both evaluators.
#[test]
fn policies_that_do_not_apply_are_not_applicable_not_passing() {
    for evaluator in ["interpreter", "vm"] {
        let (code, doc, found) = outcomes_and_findings(
            &[
                ("a.rego", ONLY_DPDS),
                ("b.rego", APPLICABLE),
                ("c.rego", APPLICABLE_OFF),
                ("d.rego", PLAIN),
                ("e.rego", HELPER),
            ],
            evaluator,
        );
        assert_eq!(code, 1, "{evaluator}: {doc}");
        let ids: Vec<&str> = doc["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["g.dpds_only", "g.never", "g.plain", "g.when"]);
        assert_eq!(doc["policies"][0]["standards"], serde_json::json!(["dpds"]));
        let daily = product(&doc, "daily");
        let weekly = product(&doc, "weekly");
        assert_eq!(daily["outcomes"], "fnpf", "{evaluator}");
        assert_eq!(daily["not_applicable"], serde_json::json!(["g.never"]));
        assert_eq!(weekly["outcomes"], "nnfn", "{evaluator}");
        assert_eq!(
            weekly["not_applicable"],
            serde_json::json!(["g.dpds_only", "g.never", "g.when"])
        );
        let o = &doc["summary"]["outcomes"];
        assert_eq!(
            (&o["pass"], &o["fail"], &o["not_applicable"]),
            (&1.into(), &3.into(), &4.into()),
            "{evaluator}: {o}"
        );
        // 4 of the 8 (product, policy) pairs were evaluated.
        assert_eq!(doc["summary"]["evaluations"], 4, "{evaluator}");
        let expected: Vec<(String, String, Value)> = vec![
            ("daily".into(), "g.dpds_only".into(), Value::Null),
            ("daily".into(), "g.when".into(), Value::Null),
            ("weekly".into(), "g.plain".into(), Value::Null),
        ];
        assert_eq!(found, expected, "{evaluator}");
    }
}

/// An `applicable` rule that errs is an error outcome (fail closed, exit 2) and its policy's
/// rules are not reported; the other policies are still evaluated (here by the rule-by-rule
/// fallback, which the error forces).
#[test]
fn an_applicable_rule_that_errs_fails_closed() {
    let (code, doc, found) = outcomes_and_findings(
        &[
            ("a.rego", ONLY_DPDS),
            ("b.rego", APPLICABLE),
            ("f.rego", APPLICABLE_ERRS),
        ],
        "interpreter",
    );
    assert_eq!(code, 2, "{doc}");
    assert_eq!(product(&doc, "daily")["outcomes"], "fef");
    assert_eq!(product(&doc, "weekly")["outcomes"], "nen");
    assert_eq!(
        product(&doc, "weekly")["not_applicable"],
        serde_json::json!(["g.dpds_only", "g.when"])
    );
    assert_eq!(product(&doc, "weekly")["status"], "error");
    let errors: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"] == "g.errs")
        .collect();
    assert_eq!(errors.len(), 2, "{doc}");
    assert!(errors
        .iter()
        .all(|f| f["rule"] == "applicable" && f["id"] == "policy-error"));
    assert_eq!(
        found
            .iter()
            .filter(|(_, p, _)| p != "g.errs")
            .map(|(n, p, _)| format!("{n} {p}"))
            .collect::<Vec<_>>(),
        ["daily g.dpds_only", "daily g.when"]
    );
}

const LIMIT: &str = "package g.limit\n\ndefaults := {\"max\": 10, \"unit\": \"days\"}\n\nparams := object.union(defaults, object.get(data.meshgate, [\"params\", \"g.limit\"], {}))\n\ndeny contains sprintf(\"max %v %v\", [params.max, params.unit]) if true\n";

/// `[params."<policy id>"]` in meshgate.toml reaches the policy as
/// `data.meshgate.params["<policy id>"]`, over its defaults; `inspect` shows it in `data`.
#[test]
fn params_reach_the_policy_and_inspect() {
    let t = mesh(&[("limit.rego", LIMIT)]);
    let messages = |dir: &std::path::Path| -> Vec<String> {
        let (code, doc, stderr) = check_json(dir, &[]);
        assert_eq!(code, 1, "{stderr}");
        let mut m: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["policy"] == "g.limit")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect();
        m.dedup();
        m
    };
    assert_eq!(messages(t.path()), ["max 10 days"]);
    write(t.path(), "meshgate.toml", "[params.\"g.limit\"]\nmax = 3\n");
    assert_eq!(messages(t.path()), ["max 3 days"]);
    let r = meshgate_in(
        t.path(),
        &["inspect", "domains/orders/products/daily/dataproduct.yaml"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc["data"]["meshgate"]["params"],
        serde_json::json!({"g.limit": {"max": 3}})
    );
}

/// Parameters of a policy id that no policy has are an error at their line (exit 2).
#[test]
fn params_of_an_unknown_policy_are_exit_2_at_their_line() {
    let t = mesh(&[("limit.rego", LIMIT)]);
    write(
        t.path(),
        "meshgate.toml",
        "policy-timeout-ms = 5000\n\n[params.\"g.limit\"]\nmax = 3\n\n[params.\"limit\"]\nmax = 4\n",
    );
    let (code, doc, _) = check_json(t.path(), &[]);
    assert_eq!(code, 2, "{doc}");
    let e = &doc["errors"][0];
    assert_eq!(e["kind"], "config");
    assert_eq!(
        (
            &e["location"]["file"],
            &e["location"]["line"],
            &e["location"]["column"]
        ),
        (&"meshgate.toml".into(), &6.into(), &9.into())
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("[params.\"limit\"]: no policy has this id (did you mean `g.limit`?)"),
        "{e}"
    );
    assert_eq!(product(&doc, "daily")["status"], "error");
}

/// `policies/README.md` is the catalog of the shipped library, as `meshgate policies` prints it.
#[test]
fn the_committed_policy_catalog_is_current() {
    let r = common::meshgate(&["policies", "--builtin", "--format", "markdown"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let committed =
        std::fs::read_to_string(common::repo().join("policies/README.md")).unwrap_or_default();
    assert!(
        r.stdout == committed,
        "policies/README.md is stale; regenerate it with\n  cargo run -q -- policies --builtin --format markdown > policies/README.md"
    );
}

/// The catalog lists the global policies, then each domain's local ones, with their METADATA;
/// a policy file that does not load is reported and exits 2.
#[test]
fn the_catalog_lists_global_then_domain_policies() {
    let t = mesh(&[
        ("advice.rego", ADVICE),
        ("a.rego", ONLY_DPDS),
        ("b.rego", APPLICABLE),
    ]);
    write(
        t.path(),
        "domains/orders/policies/local.rego",
        "# METADATA\n# title: Local\npackage orders.local\n\nwarn contains \"l\" if true\n",
    );
    let r = meshgate_in(t.path(), &["policies", ".", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let rows: Vec<String> = doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {} {} {} {}",
                p["id"].as_str().unwrap(),
                p["domain"],
                p["severity"].as_str().unwrap(),
                p["level"].as_str().unwrap(),
                p["standards"],
                p["waivable"],
                p["files"][0].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "g.advice null warning silver null false policies/advice.rego",
            "g.dpds_only null error bronze [\"dpds\"] true policies/a.rego",
            "g.when null error bronze null true policies/b.rego",
            "orders.local \"orders\" error bronze null true domains/orders/policies/local.rego",
        ]
    );
    assert_eq!(doc["policies"][2]["applicable"], true);
    let r = meshgate_in(t.path(), &["policies", ".", "--format", "markdown"]);
    assert!(
        r.stdout.contains("## Domain `orders`: local policies"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("  - dpds: Fix it the DPDS way."),
        "{}",
        r.stdout
    );
    write(
        t.path(),
        "policies/broken.rego",
        "package g.broken\n\ndeny contains x if {\n",
    );
    let r = meshgate_in(t.path(), &["policies", "."]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("policies/broken.rego:"), "{}", r.stderr);
    assert!(r.stdout.contains("g.advice"), "{}", r.stdout);
}

/// `explain` shows the METADATA merged over a package's files (not only the first file's),
/// the level, the advice per standard, and a passing and a failing example from the tests
/// next to the policy (`test_*_passes` / `test_*_fails`).
#[test]
fn explain_shows_merged_metadata_and_examples_from_tests() {
    let t = mesh(&[
        ("own_a.rego", "package g.own\n\ndeny contains \"a\" if not input.owner\n"),
        (
            "own_b.rego",
            "# METADATA\n# title: Owners\n# description: Products name an owner.\n# custom:\n#   level: gold\n#   remediation:\n#     dpds: Set info.owner.\n#     default: Name an owner.\npackage g.own\n\nwarn contains \"b\" if false\n",
        ),
        (
            "own_test.rego",
            "package g.own_test\n\ntest_helper if true\n\ntest_owner_passes if {\n\tcount(data.g.own.deny) == 0 with input as {\"owner\": \"x\"}\n}\n\ntest_no_owner_fails if {\n\tdata.g.own.deny == {\"a\"} with input as {}\n}\n",
        ),
    ]);
    let r = meshgate_in(t.path(), &["explain", "g.own"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected = "g.own
  Owners
  severity: error
  level: gold
  defined: policies/own_a.rego, policies/own_b.rego

Products name an owner.

How to fix:
  default: Name an owner.
  dpds: Set info.owner.

Passing example (policies/own_test.rego:5):

    test_owner_passes if {
    \tcount(data.g.own.deny) == 0 with input as {\"owner\": \"x\"}
    }

Failing example (policies/own_test.rego:9):

    test_no_owner_fails if {
    \tdata.g.own.deny == {\"a\"} with input as {}
    }
";
    assert_eq!(r.stdout, expected);
}
