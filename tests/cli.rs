//! End-to-end tests: the real `meshgate` binary on the fixture meshes.

mod common;

use common::{meshgate, meshgate_in, write};

use serde_json::Value;

fn json_of(args: &[&str]) -> (i32, Value) {
    let r = meshgate(args);
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, v)
}

fn findings_of<'a>(doc: &'a Value, product_part: &str) -> Vec<&'a Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["product"].as_str().unwrap().contains(product_part))
        .collect()
}

fn status_of(doc: &Value, product_part: &str) -> String {
    doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"].as_str().unwrap().contains(product_part))
        .unwrap_or_else(|| panic!("no product {product_part}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn example_mesh_human_output() {
    let r = meshgate(&["check", "fixtures/mesh", "--color", "never"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    insta::assert_snapshot!("example_mesh_human", r.stdout);
}

#[test]
fn example_mesh_json_output_matches_schema() {
    let (code, doc) = json_of(&["check", "fixtures/mesh", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(doc["version"], 2);
    let s = &doc["summary"];
    for key in [
        "products",
        "domains",
        "policies",
        "evaluations",
        "products_failing",
        "products_passing",
        "products_error",
    ] {
        assert!(s[key].is_u64(), "summary.{key} missing: {s}");
    }
    for key in ["error", "warning", "info"] {
        assert!(s["findings"][key].is_u64());
    }
    assert!(s["products"].as_u64().unwrap() >= 12);
    assert_eq!(s["domains"], 4);
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        for key in [
            "product", "domain", "policy", "rule", "severity", "message", "path", "location",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        assert!(!f["policy"].as_str().unwrap().starts_with("data."));
        assert!(
            ["deny", "violation", "warn"].contains(&f["rule"].as_str().unwrap())
                || f["policy"].as_str().unwrap().starts_with("meshgate.")
        );
        let loc = &f["location"];
        assert!(
            loc["line"].as_u64().unwrap() >= 1 && loc["column"].as_u64().unwrap() >= 1,
            "{f}"
        );
    }
    // Global and domain-local policies both fire.
    assert!(findings
        .iter()
        .any(|f| f["policy"].as_str().unwrap().starts_with("governance.")));
    assert!(findings
        .iter()
        .any(|f| f["policy"].as_str().unwrap().starts_with("orders.")));
    // Domain-local policies only apply to their domain.
    assert!(findings
        .iter()
        .filter(|f| f["policy"].as_str().unwrap().starts_with("orders."))
        .all(|f| f["domain"] == "orders"));
    // Every product has a status.
    for p in doc["products"].as_array().unwrap() {
        assert!(["pass", "warn", "fail", "error"].contains(&p["status"].as_str().unwrap()));
    }
    insta::assert_json_snapshot!("example_mesh_json", doc, { ".tool.version" => "[version]" });
}

#[test]
fn output_is_identical_for_any_thread_count() {
    for format in ["human", "json"] {
        let one = meshgate(&[
            "check",
            "fixtures/mesh",
            "--format",
            format,
            "--threads",
            "1",
        ]);
        let two = meshgate(&[
            "check",
            "fixtures/mesh",
            "--format",
            format,
            "--threads",
            "2",
        ]);
        let four = meshgate(&[
            "check",
            "fixtures/mesh",
            "--format",
            format,
            "--threads",
            "4",
        ]);
        assert_eq!(one.stdout, two.stdout, "{format}");
        assert_eq!(one.stdout, four.stdout, "{format}");
    }
}

#[test]
fn fail_on_threshold_sets_exit_code() {
    assert_eq!(
        meshgate(&["check", "fixtures/mesh", "--fail-on", "never", "-q"]).code,
        0
    );
    assert_eq!(
        meshgate(&["check", "fixtures/mesh", "--fail-on", "warning", "-q"]).code,
        1
    );
    assert_eq!(
        meshgate(&["check", "fixtures/mesh", "--fail-on", "bogus"]).code,
        2
    );
}

#[test]
fn output_file_and_quiet() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("report.json");
    let r = meshgate(&[
        "check",
        "fixtures/mesh",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["version"], 2);
    let q = meshgate(&["check", "fixtures/mesh", "-q", "--color", "never"]);
    assert!(!q.stdout.contains("Checked "));
    assert!(q.stdout.contains("-->"));
    // An output file that cannot be written: exit 2, and the message names it.
    let bad = t.path().join("no/such/dir/report.json");
    let r = meshgate(&["check", "fixtures/mesh", "--output", bad.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot write") && r.stderr.contains("report.json"),
        "{}",
        r.stderr
    );
}

#[test]
fn broken_descriptors_each_give_one_located_finding_and_the_rest_is_checked() {
    let (code, doc) = json_of(&["check", "fixtures/bad/descriptors", "--format", "json"]);
    assert_eq!(code, 1);
    let expect = [
        ("invalid-yaml/", "syntax"),
        ("invalid-json/", "syntax"),
        ("duplicate-keys-yaml/", "duplicate-key"),
        ("duplicate-keys-json/", "duplicate-key"),
        ("empty/", "empty"),
        ("multi-document/", "multi-document"),
        ("alias-bomb/", "too-many-nodes"),
        ("invalid-utf8/", "invalid-utf8"),
    ];
    for (product, code) in expect {
        let fs = findings_of(&doc, product);
        assert_eq!(fs.len(), 1, "{product}: {fs:#?}");
        let f = fs[0];
        assert_eq!(f["policy"], "meshgate.parse", "{f}");
        assert_eq!(f["rule"], code, "{f}");
        assert_eq!(f["severity"], "error");
        assert!(f["location"]["file"].as_str().unwrap().contains(product));
        assert_eq!(status_of(&doc, product), "error");
    }
    // Specific positions.
    let loc = |p: &str| {
        let f = findings_of(&doc, p)[0];
        (
            f["location"]["line"].as_u64().unwrap(),
            f["location"]["column"].as_u64().unwrap(),
        )
    };
    assert!(loc("invalid-yaml/").0 > 1);
    assert!(loc("invalid-json/").0 > 1);
    assert!(loc("duplicate-keys-yaml/").0 > 1);
    assert_eq!(loc("multi-document/").1, 1);
    assert!(loc("invalid-utf8/").0 >= 1);
    // The valid products are fully evaluated.
    for good in ["valid-source/", "valid-consumer/"] {
        assert_ne!(status_of(&doc, good), "error", "{good}");
        assert!(findings_of(&doc, good)
            .iter()
            .all(|f| f["policy"] != "meshgate.parse"));
    }
    assert!(doc["summary"]["evaluations"].as_u64().unwrap() > 0);
}

const GOOD: &str =
    "apiVersion: v1.0.0\nkind: DataProduct\nid: 0b1c\nname: good\nstatus: active\ndomain: d\n";
const POLICY: &str = "package t.p\n\ndeny contains {\"msg\": \"status must be active\", \"path\": \"status\"} if {\n  input.status != \"active\"\n}\n";

#[test]
fn huge_and_deeply_nested_descriptors_are_findings() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write(r, "policies/p.rego", POLICY.as_bytes());
    write(
        r,
        "domains/d/products/good/dataproduct.yaml",
        GOOD.as_bytes(),
    );
    write(
        r,
        "domains/d/products/bad/dataproduct.yaml",
        b"apiVersion: v1\nkind: DataProduct\nstatus: draft\ndomain: d\n",
    );
    let mut huge = String::from("description: |\n");
    while huge.len() <= 10 * 1024 * 1024 {
        huge.push_str("  lorem ipsum dolor sit amet, consectetur adipiscing elit\n");
    }
    write(
        r,
        "domains/d/products/huge/dataproduct.yaml",
        huge.as_bytes(),
    );
    let deep_json = format!("{{\"a\": {}{}}}", "[".repeat(20_000), "]".repeat(20_000));
    write(
        r,
        "domains/d/products/deep-json/dataproduct.json",
        deep_json.as_bytes(),
    );
    let deep_yaml = format!("a: {}{}\n", "{b: ".repeat(5_000), "}".repeat(5_000));
    write(
        r,
        "domains/d/products/deep-yaml/dataproduct.yaml",
        deep_yaml.as_bytes(),
    );
    let run = meshgate_in(r, &["check", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(findings_of(&doc, "huge/")[0]["rule"], "too-large");
    assert_eq!(findings_of(&doc, "deep-json/")[0]["rule"], "too-deep");
    assert_eq!(findings_of(&doc, "deep-yaml/")[0]["rule"], "too-deep");
    assert_eq!(status_of(&doc, "good/"), "pass");
    let bad = findings_of(&doc, "/bad/");
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["location"]["line"], 3);
    assert_eq!(bad[0]["location"]["column"], 9);

    // The limit is configurable.
    write(r, "meshgate.toml", b"max-descriptor-bytes = 20000000\n");
    let run = meshgate_in(r, &["check", ".", "--format", "json"]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(findings_of(&doc, "huge/")
        .iter()
        .all(|f| f["rule"] != "too-large"));
}

#[test]
fn policy_that_does_not_compile_exits_2_with_location_and_keeps_the_rest() {
    let r = meshgate(&["check", "fixtures/bad/policy-syntax", "--color", "never"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("[policy-compile]"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("fixtures/bad/policy-syntax/policies/broken.rego:"),
        "{}",
        r.stdout
    );
    let (code, doc) = json_of(&["check", "fixtures/bad/policy-syntax", "--format", "json"]);
    assert_eq!(code, 2);
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["kind"], "policy-compile");
    assert_eq!(errors[0]["location"]["file"], "policies/broken.rego");
    // The working policy still ran, and no product passes while a policy is missing.
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["policy"] == "checks.tagging"));
    assert!(doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "error"));
}

#[test]
fn runtime_errors_and_missing_builtins_fail_closed() {
    let (code, doc) = json_of(&["check", "fixtures/bad/policy-runtime", "--format", "json"]);
    assert_eq!(code, 2);
    let msgs: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("multiple outputs")),
        "{msgs:#?}"
    );
    // A builtin regorus lacks is rejected at load, where OPA rejects it, not when a product
    // reaches the call: untagged-product never does. The file is tab-indented: the column
    // counts characters (regorus would say 24).
    // The runtime error (multiple outputs) is also listed once among the run errors.
    let all = doc["errors"].as_array().unwrap();
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(
        all.iter().any(|e| e["kind"] == "policy-runtime"),
        "{all:#?}"
    );
    let errors: Vec<&Value> = all
        .iter()
        .filter(|e| e["kind"] == "policy-rejected")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("unknown function `io.jwt.decode`"),
        "{errors:#?}"
    );
    assert_eq!(
        errors[0]["location"],
        serde_json::json!({"file": "policies/missing_builtin.rego", "line": 15, "column": 21,
                           "end_line": 15, "end_column": 34})
    );
    assert!(
        !msgs.iter().any(|m| m.contains("io.jwt.decode")),
        "{msgs:#?}"
    );
    assert_eq!(
        status_of(
            &doc,
            "domains/sales/products/untagged-product/dataproduct.yaml"
        ),
        "error"
    );
    // Every product on which a policy errored is in error, never pass or fail.
    let errored: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "policy-error")
        .map(|f| f["product"].as_str().unwrap())
        .collect();
    assert!(!errored.is_empty());
    for p in errored {
        assert_eq!(status_of(&doc, p), "error", "{p}");
    }
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["policy"] == "checks.tagging"));
    // Each error is attributed to the policy that raised it, located in that policy's file.
    for f in doc["findings"].as_array().unwrap() {
        if f["id"] != "policy-error" {
            continue;
        }
        let file = match f["policy"].as_str().unwrap() {
            "checks.conflict" => "policies/conflict.rego",
            other => panic!("unexpected policy in error: {other}"),
        };
        assert_eq!(f["location"]["file"], file, "{f}");
    }
}

#[test]
fn recursion_is_rejected_not_a_crash() {
    let (code, doc) = json_of(&["check", "fixtures/bad/policy-recursion", "--format", "json"]);
    assert_eq!(code, 2);
    let e = &doc["errors"][0];
    assert_eq!(e["kind"], "policy-rejected");
    assert!(e["message"].as_str().unwrap().contains("recursion"));
    assert_eq!(e["location"]["file"], "policies/recursive.rego");
    assert!(doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "error"));
}

#[test]
fn runaway_policy_hits_the_time_limit() {
    let (code, doc) = json_of(&["check", "fixtures/bad/policy-slow", "--format", "json"]);
    assert_eq!(code, 2);
    let timeouts = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .contains("time limit of 300 ms")
        })
        .count();
    assert_eq!(timeouts, 2);
    assert!(doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "error"));
}

#[test]
fn domain_isolation_errors_name_both_files() {
    let (code, doc) = json_of(&["check", "fixtures/bad/local-isolation", "--format", "json"]);
    assert_eq!(code, 2);
    let msgs: Vec<String> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["location"]["file"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("domains/orders/policies/hijack.rego")
                && m.contains("policies/ownership.rego")),
        "{msgs:#?}"
    );
    assert!(msgs.iter().any(|m| m.contains("reserved")), "{msgs:#?}");
    assert!(
        msgs.iter()
            .any(|m| m.contains("domains/customers/policies/x.rego")
                && m.contains("domains/orders/policies/retention.rego")),
        "{msgs:#?}"
    );
    // The orders domain keeps its own package; the customers file that claimed it is dropped.
    let retention = findings_of(&doc, "orders-no-retention/");
    assert!(
        retention
            .iter()
            .any(|f| f["id"] == "orders-retention-missing"),
        "{retention:#?}"
    );
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| !f["message"].as_str().unwrap().contains("cross-domain")));
}

#[test]
fn config_errors_exit_2_with_their_line() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "meshgate.toml",
        b"# config\npolicies = [\"policies\"]\nproduct-globs = []\n",
    );
    let r = meshgate_in(t.path(), &["check", "."]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("meshgate.toml:3:1"), "{}", r.stderr);
    assert!(
        r.stderr.contains("unknown field `product-globs`"),
        "{}",
        r.stderr
    );
    let r = meshgate_in(t.path(), &["check", "does-not-exist"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("does-not-exist"));
    let r = meshgate(&["check", "fixtures/mesh", "--policy", "no/such/dir"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no/such/dir"), "{}", r.stderr);
}

#[test]
fn layout_checks_outside_domain_and_mismatch() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write(r, "policies/p.rego", POLICY.as_bytes());
    write(
        r,
        "domains/d/products/good/dataproduct.yaml",
        GOOD.as_bytes(),
    );
    write(
        r,
        "domains/e/products/moved/dataproduct.yaml",
        GOOD.as_bytes(),
    );
    write(r, "stray/dataproduct.yaml", GOOD.as_bytes());
    let run = meshgate_in(r, &["check", ".", "--format", "json"]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let moved = findings_of(&doc, "moved/");
    let rules: Vec<&str> = moved.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    // The same descriptor (same id) in three folders: copies after the first are duplicates.
    assert_eq!(rules, ["domain-mismatch", "duplicate-product"]);
    assert_eq!(moved[0]["location"]["line"], 6);
    assert_eq!(moved[0]["path"], "domain");
    assert!(moved[1]["message"]
        .as_str()
        .unwrap()
        .contains("domains/d/products/good/dataproduct.yaml"));
    let stray = findings_of(&doc, "stray/");
    assert!(
        stray.iter().any(|f| f["rule"] == "outside-domain"),
        "{stray:?}"
    );
    assert_eq!(status_of(&doc, "good/"), "pass");
}

#[test]
fn inspect_prints_exactly_what_policies_see() {
    let r = meshgate(&[
        "inspect",
        "fixtures/mesh/domains/orders/products/order-events/dataproduct.yaml",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc["data"]["meshgate"]["product"]["path"],
        "domains/orders/products/order-events/dataproduct.yaml"
    );
    assert_eq!(doc["data"]["meshgate"]["product"]["domain"], "orders");
    assert_eq!(doc["data"]["meshgate"]["product"]["standard"], "bitol-odps");
    assert_eq!(doc["data"]["meshgate"]["product"]["format"], "yaml");
    let mesh_products = doc["data"]["meshgate"]["mesh"]["products"]
        .as_object()
        .unwrap();
    assert!(mesh_products.len() >= 12);
    assert_eq!(
        mesh_products["domains/orders/products/order-events/dataproduct.yaml"]["descriptor"],
        doc["input"]
    );
    assert_eq!(doc["input"]["kind"], "DataProduct");
    let r = meshgate(&["inspect", "README.md"]);
    assert_eq!(r.code, 2);
}

#[test]
fn no_color_yields_to_an_explicit_color_always() {
    let run = |color: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_meshgate"))
            .args(["check", "fixtures/mesh", "--color", color])
            .current_dir(common::repo())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(run("always").contains("\u{1b}["), "--color always colours");
    // Not a terminal and NO_COLOR set: no colour with auto, nor with never.
    assert!(!run("auto").contains("\u{1b}["));
    assert!(!run("never").contains("\u{1b}["));
}

#[test]
fn inspect_writes_everything_opa_needs_and_can_leave_the_mesh_out() {
    let product = "fixtures/mesh/domains/orders/products/order-returns/dataproduct.yml";
    let full: Value = serde_json::from_str(&meshgate(&["inspect", product]).stdout).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("repro");
    let r = meshgate(&["inspect", product, "--write", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let read = |rel: &str| std::fs::read_to_string(out.join(rel)).unwrap();
    let json = |rel: &str| serde_json::from_str::<Value>(&read(rel)).unwrap();
    assert_eq!(json("input.json"), full["input"]);
    assert_eq!(json("data.json"), full["data"]);
    // The shipped library, byte for byte, so only the binary is needed; the domain's own
    // policies under their repo path; no unit tests and no other domain's policies.
    for entry in std::fs::read_dir(common::repo().join("policies")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let written = out.join("policies/meshgate-library").join(&name);
        if !name.ends_with(".rego") {
            // policies/README.md, the catalog.
            continue;
        }
        if name.ends_with("_test.rego") {
            assert!(!written.exists(), "{name} is a unit test");
        } else {
            assert_eq!(
                read(&format!("policies/meshgate-library/{name}")),
                std::fs::read_to_string(&path).unwrap()
            );
        }
    }
    assert!(out
        .join("policies/domains/orders/policies/retention.rego")
        .is_file());
    assert!(!out.join("policies/domains/customers").exists());
    assert!(
        r.stdout.contains(&format!(
            "opa eval --v1-compatible -i {0}/input.json -d {0}/data.json -d {0}/policies 'data.orders.retention'",
            out.display()
        )),
        "{}",
        r.stdout
    );

    let r = meshgate(&["inspect", product, "--no-mesh"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let small: Value = serde_json::from_str(&r.stdout).unwrap();
    let mesh = &small["data"]["meshgate"]["mesh"];
    let products: Vec<&String> = mesh["products"].as_object().unwrap().keys().collect();
    assert_eq!(
        products,
        ["domains/orders/products/order-returns/dataproduct.yml"]
    );
    assert_eq!(mesh["index"], full["data"]["meshgate"]["mesh"]["index"]);
    assert_eq!(mesh["domains"], full["data"]["meshgate"]["mesh"]["domains"]);
    assert_eq!(small["input"], full["input"]);
    assert!(r.stdout.len() * 3 < serde_json::to_string_pretty(&full).unwrap().len());
}

/// `time.now_ns()` is read once per run, the same for every product with either evaluator,
/// and `--now` sets it: a sunset rule is reproducible and testable.
#[test]
fn time_now_is_fixed_for_the_run_and_set_by_now() {
    let t = tempfile::tempdir().unwrap();
    for i in 0..24 {
        let year = if i % 2 == 0 { 2029 } else { 2031 };
        write(
            t.path(),
            &format!("domains/d/products/p{i:02}/dataproduct.yaml"),
            format!("name: p{i:02}\nsunset: \"{year}-06-30T00:00:00Z\"\n"),
        );
    }
    write(
        t.path(),
        "policies/dates.rego",
        "package dates\n\ndeny contains \"past its sunset\" if {\n\ttime.now_ns() > time.parse_rfc3339_ns(input.sunset)\n}\n\nwarn contains sprintf(\"now %d\", [time.now_ns()])\n",
    );
    let run = |extra: &[&str]| {
        let mut args = vec![
            "check",
            ".",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--threads",
            "2",
        ];
        args.extend(extra);
        let r = meshgate_in(t.path(), &args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let doc: Value = serde_json::from_str(&r.stdout).unwrap();
        (r.stdout, doc)
    };
    let nows = |doc: &Value| -> std::collections::BTreeSet<String> {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "warn")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect()
    };
    let deny_count = |doc: &Value| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "deny")
            .count()
    };
    for evaluator in ["interpreter", "vm"] {
        // Without --now: the clock, one value for all 24 products.
        let (_, doc) = run(&["--evaluator", evaluator]);
        assert_eq!(nows(&doc).len(), 1, "{evaluator}: {:?}", nows(&doc));
        assert_eq!(deny_count(&doc), 0, "{evaluator}");
        // With --now: that value, the same bytes at every run.
        let (first, doc) = run(&["--evaluator", evaluator, "--now", "2030-01-01T00:00:00Z"]);
        let (second, _) = run(&["--evaluator", evaluator, "--now", "2030-01-01T00:00:00Z"]);
        assert_eq!(first, second, "{evaluator}");
        assert_eq!(
            nows(&doc).into_iter().collect::<Vec<_>>(),
            ["now 1893456000000000000"],
            "{evaluator}"
        );
        assert_eq!(deny_count(&doc), 12, "{evaluator}");
        let (_, doc) = run(&[
            "--evaluator",
            evaluator,
            "--now",
            "2032-01-01T01:00:00+01:00",
        ]);
        assert_eq!(deny_count(&doc), 24, "{evaluator}");
    }
}

#[test]
fn a_bad_now_is_a_usage_error() {
    let r = meshgate(&["check", "fixtures/mesh", "--now", "2030-01-01"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--now")
            && r.stderr
                .contains("`2030-01-01` is not an RFC 3339 date-time"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
}

/// Two files of one package whose METADATA disagree are an error naming both (exit 2), not a
/// silent pick of one; the products are `error`.
#[test]
fn disagreeing_metadata_across_files_of_a_package_is_exit_2() {
    let t = common::mesh_with_product("name: daily\n");
    let block = |severity: &str| {
        format!("# METADATA\n# title: Owners\n# custom:\n#   severity: {severity}\npackage g.own\n")
    };
    write(
        t.path(),
        "policies/a.rego",
        format!("{}\ndeny contains \"a\" if input.a\n", block("error")),
    );
    write(
        t.path(),
        "policies/b.rego",
        format!("\n{}\ndeny contains \"b\" if input.b\n", block("info")),
    );
    let r = meshgate_in(t.path(), &["check", ".", "--format", "json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let e = &doc["errors"][0];
    assert_eq!(e["kind"], "policy-rejected");
    assert_eq!(e["location"]["file"], "policies/b.rego");
    assert_eq!(e["location"]["line"], 2);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("policies/a.rego:1 on `custom.severity`"),
        "{e}"
    );
    assert_eq!(doc["products"][0]["status"], "error");
    // Agreeing blocks are fine.
    write(
        t.path(),
        "policies/b.rego",
        format!("\n{}\ndeny contains \"b\" if input.b\n", block("error")),
    );
    let r = meshgate_in(t.path(), &["check", ".", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}
