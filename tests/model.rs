//! The result model end to end: statuses independent of `--fail-on`, per-policy outcomes,
//! fingerprints, end positions, domain-level findings, and the defects fixed with the model.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{json_in, meshgate, meshgate_in, statuses, write};
use serde_json::Value;

#[test]
fn status_is_a_fact_about_the_product_not_the_threshold() {
    let repo = common::repo();
    let (code, default) = json_in(&repo, &["check", "fixtures/mesh", "--format", "json"]);
    assert_eq!(code, 1);
    for fail_on in ["never", "info", "warning"] {
        let (code, doc) = json_in(
            &repo,
            &[
                "check",
                "fixtures/mesh",
                "--format",
                "json",
                "--fail-on",
                fail_on,
            ],
        );
        assert_eq!(statuses(&doc), statuses(&default), "--fail-on {fail_on}");
        assert_eq!(
            doc["summary"]["products_failing"],
            default["summary"]["products_failing"]
        );
        assert_eq!(
            code,
            if fail_on == "never" { 0 } else { 1 },
            "--fail-on {fail_on}"
        );
    }
    // The status follows the worst finding of each product.
    let mut worst: BTreeMap<&str, &str> = BTreeMap::new();
    for f in default["findings"].as_array().unwrap() {
        let Some(p) = f["product"].as_str() else {
            continue;
        };
        let s = f["severity"].as_str().unwrap();
        let rank = |s: &str| ["info", "warning", "error"].iter().position(|x| *x == s);
        if worst.get(p).is_none_or(|w| rank(s) > rank(w)) {
            worst.insert(p, s);
        }
    }
    for (path, status) in statuses(&default) {
        let expected = match worst.get(path.as_str()) {
            Some(&"error") => "fail",
            Some(&"warning") => "warn",
            _ => "pass",
        };
        assert_eq!(status, expected, "{path}");
    }
    let human = meshgate(&["check", "fixtures/mesh", "--fail-on", "never"]);
    assert_eq!(human.code, 0);
    assert!(
        human
            .stdout
            .contains("1 passing, 1 with warnings, 15 failing, 0 in error."),
        "{}",
        human.stdout
    );
}

#[test]
fn every_product_has_an_outcome_for_every_policy_of_its_set() {
    let (_, doc) = json_in(
        &common::repo(),
        &["check", "fixtures/mesh", "--format", "json"],
    );
    let policies: Vec<(&str, Option<&str>)> = doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["domain"].as_str()))
        .collect();
    let mut failed: BTreeSet<(&str, &str)> = BTreeSet::new();
    for f in doc["findings"].as_array().unwrap() {
        if let Some(p) = f["product"].as_str() {
            failed.insert((p, f["policy"].as_str().unwrap()));
        }
    }
    let mut counts: BTreeMap<char, u64> = BTreeMap::new();
    for p in doc["products"].as_array().unwrap() {
        let path = p["path"].as_str().unwrap();
        // One letter per policy in the product's scope: the global ones and its domain's.
        let scope: Vec<&str> = policies
            .iter()
            .filter(|(_, d)| d.is_none() || *d == p["domain"].as_str())
            .map(|(id, _)| *id)
            .collect();
        let outcomes: Vec<char> = p["outcomes"].as_str().unwrap().chars().collect();
        assert_eq!(outcomes.len(), scope.len(), "{path}");
        assert!(scope.len() < policies.len() || p["domain"] == "orders");
        for (&id, &o) in scope.iter().zip(&outcomes) {
            *counts.entry(o).or_default() += 1;
            if o == 'p' || o == 'f' {
                assert_eq!(o == 'f', failed.contains(&(path, id)), "{path} {id}: {o}");
            }
        }
    }
    let s = &doc["summary"]["outcomes"];
    assert_eq!(s["pass"], counts.get(&'p').copied().unwrap_or(0));
    assert_eq!(s["fail"], counts.get(&'f').copied().unwrap_or(0));
    assert!(counts[&'f'] > 0 && counts[&'p'] > 0);
}

#[test]
fn unparsed_templates_and_errored_products_have_their_outcomes() {
    let (_, doc) = json_in(
        &common::repo(),
        &["check", "fixtures/standards", "--format", "json"],
    );
    let mut seen = BTreeSet::new();
    for p in doc["products"].as_array().unwrap() {
        let o = p["outcomes"].as_str().unwrap();
        match p["status"].as_str().unwrap() {
            "skipped" => assert!(o.chars().all(|c| c == 's'), "{p}"),
            "error" => assert!(o.contains('e'), "{p}"),
            _ => assert!(!o.contains('s') && !o.contains('e'), "{p}"),
        }
        seen.insert(p["status"].as_str().unwrap().to_string());
    }
    assert!(
        seen.contains("skipped") && seen.contains("error"),
        "{seen:?}"
    );
    // A policy that errors is `e` for that policy only.
    let (code, doc) = json_in(
        &common::repo(),
        &["check", "fixtures/bad/policy-runtime", "--format", "json"],
    );
    assert_eq!(code, 2);
    assert!(doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| { p["outcomes"].as_str().unwrap().contains('e') && p["status"] == "error" }));
}

const PRODUCT: &str = "apiVersion: v1.0.0
kind: DataProduct
id: orders-daily
name: orders-daily
status: active
domain: orders
description:
  purpose: Daily order totals for finance and the supply planners.
team:
  name: orders
  members:
    - username: ana
      role: owner
outputPorts:
  - name: daily
    version: 1.0.0
    contractId: c-1
  - name: weekly
    version: 1.0.0
    contractId: c-2
";

fn fingerprints(doc: &Value) -> BTreeMap<String, (String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                format!(
                    "{}|{}|{}",
                    f["policy"].as_str().unwrap(),
                    f["path"].as_str().unwrap_or(""),
                    f["message"].as_str().unwrap()
                ),
                (
                    f["fingerprint"].as_str().unwrap().to_string(),
                    f["location"]["line"].to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn fingerprints_survive_line_shifts_and_key_reordering_and_tell_paths_apart() {
    let t = tempfile::tempdir().unwrap();
    let rel = "domains/orders/products/daily/dataproduct.yaml";
    write(t.path(), rel, PRODUCT);
    let (_, before) = json_in(t.path(), &["check", ".", "--format", "json"]);
    let before_fp = fingerprints(&before);
    // Both ports lack an SLA: two findings that differ only in their path.
    let sla: Vec<&(String, String)> = before_fp
        .iter()
        .filter(|(k, _)| k.starts_with("governance.sla|view.output_ports["))
        .map(|(_, v)| v)
        .collect();
    assert!(sla.len() >= 2, "{before_fp:#?}");
    assert_ne!(sla[0].0, sla[1].0);
    let all: BTreeSet<&String> = before_fp.values().map(|(f, _)| f).collect();
    assert_eq!(all.len(), before_fp.len(), "fingerprints are unique");

    // Lines inserted above every field, and the top-level keys reordered.
    let mut lines: Vec<&str> = PRODUCT.lines().collect();
    let ports = lines.split_off(lines.iter().position(|l| *l == "outputPorts:").unwrap());
    let edited = format!(
        "# a comment\n\n# another\n{}\n{}\nextra: added later\n",
        ports.join("\n"),
        lines.join("\n")
    );
    write(t.path(), rel, &edited);
    let (_, after) = json_in(t.path(), &["check", ".", "--format", "json"]);
    let after_fp = fingerprints(&after);
    assert_eq!(
        before_fp.keys().collect::<Vec<_>>(),
        after_fp.keys().collect::<Vec<_>>()
    );
    let mut moved = 0;
    for (k, (fp, line)) in &before_fp {
        assert_eq!(&after_fp[k].0, fp, "{k}");
        moved += usize::from(&after_fp[k].1 != line);
    }
    assert!(
        moved > 0,
        "the edit moved no finding: the test proves nothing"
    );
}

#[test]
fn locations_have_end_positions() {
    let (_, doc) = json_in(
        &common::repo(),
        &["check", "fixtures/mesh", "--format", "json"],
    );
    for f in doc["findings"].as_array().unwrap() {
        let l = &f["location"];
        if l.is_null() {
            continue;
        }
        assert_eq!(l["end_line"], l["line"], "{f}");
        assert!(l["end_column"].as_u64() > l["column"].as_u64(), "{f}");
    }
    // `$ref: https://…` is underlined to the end of the URL.
    let url = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "ref-url")
        .expect("a ref-url finding");
    let width = url["location"]["end_column"].as_u64().unwrap()
        - url["location"]["column"].as_u64().unwrap();
    let target = url["message"].as_str().unwrap().split('`').nth(3).unwrap();
    assert!(target.starts_with("https://"), "{target}");
    // JSON strings are underlined with their quotes.
    assert!(
        [target.len(), target.len() + 2].contains(&(width as usize)),
        "{width} {url}"
    );
}

#[test]
fn findings_on_domain_files_belong_to_the_domain() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "domains/orders/domain.yaml",
        "name: orders\nowner: [unclosed\n",
    );
    write(
        t.path(),
        "domains/sales/domain.yaml",
        "name: sales\nowner: a\nowner: b\n",
    );
    write(
        t.path(),
        "domains/orders/products/daily/dataproduct.yaml",
        PRODUCT,
    );
    let (code, doc) = json_in(
        t.path(),
        &["check", ".", "--format", "json", "--lenient-keys"],
    );
    assert_eq!(code, 1);
    let domain_level: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["product"].is_null())
        .collect();
    assert_eq!(domain_level.len(), 2, "{domain_level:#?}");
    assert_eq!(domain_level[0]["domain"], "orders");
    assert_eq!(domain_level[0]["id"], "syntax");
    assert_eq!(
        domain_level[0]["location"]["file"],
        "domains/orders/domain.yaml"
    );
    // Lenient duplicate keys in domain.yaml are reported too (they were dropped).
    assert_eq!(domain_level[1]["domain"], "sales");
    assert_eq!(domain_level[1]["id"], "duplicate-key");
    assert_eq!(domain_level[1]["severity"], "warning");
    // They count in their domain's row, not in a product's status.
    let orders = doc["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "orders")
        .unwrap();
    assert!(orders["findings"]["error"].as_u64().unwrap() >= 1);
    let human = meshgate_in(t.path(), &["check", ".", "--lenient-keys"]);
    assert!(
        human
            .stdout
            .contains(" --> domains/orders/domain.yaml:3:1\n"),
        "{}",
        human.stdout
    );
}

#[test]
fn lenient_keys_in_ref_fragments_keep_the_last_value_and_warn() {
    let t = tempfile::tempdir().unwrap();
    let product = PRODUCT.replace(
        "team:\n  name: orders\n  members:\n    - username: ana\n      role: owner\n",
        "team:\n  $ref: team.yaml\n",
    );
    write(
        t.path(),
        "domains/orders/products/daily/dataproduct.yaml",
        product,
    );
    write(
        t.path(),
        "domains/orders/products/daily/team.yaml",
        "name: orders\nmembers:\n  - username: ana\n    role: owner\nmembers:\n  - username: bo\n    role: analyst\n",
    );
    let (code, doc) = json_in(
        t.path(),
        &["check", ".", "--format", "json", "--lenient-keys"],
    );
    assert_eq!(code, 1);
    let findings = doc["findings"].as_array().unwrap();
    let dup = findings
        .iter()
        .find(|f| f["id"] == "duplicate-key")
        .expect("the fragment's duplicate key is reported");
    assert_eq!(
        dup["location"]["file"],
        "domains/orders/products/daily/team.yaml"
    );
    assert_eq!(dup["location"]["line"], 5);
    // The last `members` (no owner) is what both `input` and the view hold: the ownership
    // policy fails, as it does in OPA on the printed input.
    assert!(
        findings
            .iter()
            .any(|f| f["policy"] == "governance.ownership"),
        "{findings:#?}"
    );
    let r = meshgate_in(
        t.path(),
        &[
            "inspect",
            "domains/orders/products/daily/dataproduct.yaml",
            "--lenient-keys",
        ],
    );
    let printed: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(printed["input"]["team"]["members"][0]["username"], "bo");
    assert_eq!(
        printed["data"]["meshgate"]["product"]["view"]["owners"],
        serde_json::json!([])
    );
}

#[test]
fn products_without_a_view_have_no_view_key() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "domains/orders/products/custom/dataproduct.yaml",
        "whatever: 1\n",
    );
    write(
        t.path(),
        "domains/orders/products/daily/dataproduct.yaml",
        PRODUCT,
    );
    let r = meshgate_in(
        t.path(),
        &["inspect", "domains/orders/products/custom/dataproduct.yaml"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("<undefined>"), "{}", r.stdout);
    let printed: Value = serde_json::from_str(&r.stdout).unwrap();
    let data = &printed["data"]["meshgate"];
    assert!(data["product"].get("view").is_none(), "{}", data["product"]);
    let entry = &data["mesh"]["products"]["domains/orders/products/custom/dataproduct.yaml"];
    assert!(entry.is_object() && entry.get("view").is_none(), "{entry}");
    assert!(
        data["mesh"]["products"]["domains/orders/products/daily/dataproduct.yaml"]["view"]
            .is_object()
    );
}

#[test]
fn an_unreadable_policy_file_is_named_and_the_rest_is_checked() {
    let t = common::mesh_with_product(PRODUCT);
    write(
        t.path(),
        "policies/good.rego",
        "package g\n\ndeny contains \"always\" if { true }\n",
    );
    write(
        t.path(),
        "policies/latin1.rego",
        b"package l\n# caf\xe9\n".as_slice(),
    );
    let (code, doc) = json_in(t.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2);
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["kind"], "io");
    assert_eq!(errors[0]["location"]["file"], "policies/latin1.rego");
    assert!(errors[0]["message"].as_str().unwrap().contains("not UTF-8"));
    // The good policy still ran; the product is in error because its set is incomplete.
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["message"] == "always"));
    assert_eq!(doc["products"][0]["status"], "error");
    // --parse-only reads no policy at all.
    let r = meshgate_in(t.path(), &["check", ".", "--parse-only"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Checked 1 product"), "{}", r.stdout);
}

#[test]
fn the_note_on_the_shipped_library_says_global() {
    let r = meshgate(&["check", "fixtures/mesh"]);
    assert!(r.stdout.contains(
        "note: the repository has no global policies; used meshgate's shipped policy library as the global policies"
    ));
    let t = common::mesh_with_product(PRODUCT);
    write(
        t.path(),
        "policies/own.rego",
        "package g\n\ndeny contains \"x\" if { false }\n",
    );
    let r = meshgate_in(t.path(), &["check", "."]);
    assert!(!r.stdout.contains("shipped policy library"), "{}", r.stdout);
}

#[test]
fn every_built_in_finding_has_a_registered_rule() {
    let mut codes = BTreeSet::new();
    for mesh in [
        "fixtures/mesh",
        "fixtures/standards",
        "fixtures/bad/descriptors",
        "fixtures/bad/policy-runtime",
    ] {
        let (_, doc) = json_in(&common::repo(), &["check", mesh, "--format", "json"]);
        for f in doc["findings"].as_array().unwrap() {
            let policy = f["policy"].as_str().unwrap();
            let id = f["id"].as_str().unwrap_or(f["rule"].as_str().unwrap());
            let code = format!("{policy}/{id}");
            if policy.starts_with("meshgate.") {
                let rule = meshgate::rules::find(&code)
                    .unwrap_or_else(|| panic!("{code} is not in the rule registry"));
                assert_eq!(
                    rule.severity.as_str(),
                    f["severity"].as_str().unwrap(),
                    "{code}"
                );
            } else if id == meshgate::rules::POLICY_ERROR_ID {
                assert_eq!(f["severity"], "error");
            }
            codes.insert(code);
        }
    }
    // The fixtures exercise the registry broadly, not one code.
    assert!(
        codes.iter().filter(|c| c.starts_with("meshgate.")).count() >= 10,
        "{codes:#?}"
    );
}

#[test]
fn explain_reads_the_registry_and_the_policies_metadata() {
    let r = meshgate(&["explain", "meshgate.parse/duplicate-key"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rule = meshgate::rules::find("meshgate.parse/duplicate-key").unwrap();
    assert!(r.stdout.contains(rule.description) && r.stdout.contains(rule.help));
    // A domain-local policy's finding code explains its policy, from its METADATA.
    let r = meshgate(&[
        "explain",
        "orders.retention/orders-retention-missing",
        "--repo",
        "fixtures/mesh",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r
        .stdout
        .contains("Orders data declares how long it is kept"));
    assert!(r
        .stdout
        .contains("domains/orders/policies/retention.rego (domain orders)"));
    // The list has every built-in rule and every policy of the mesh.
    let r = meshgate(&["explain", "--repo", "fixtures/mesh"]);
    for rule in meshgate::rules::BUILTIN {
        assert!(r.stdout.contains(&rule.code()), "{}", rule.code());
    }
    assert!(r.stdout.contains("governance.ownership") && r.stdout.contains("orders.tagging"));
    let r = meshgate(&["explain", "nope"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no rule or policy `nope`"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_folder_the_walk_cannot_read_is_a_run_error_not_a_silent_gap() {
    let t = common::mesh_with_product(PRODUCT);
    unreadable_folder(t.path(), "domains/orders/products");
    let (code, doc) = json_in(t.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2, "{doc:#}");
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["kind"], "io");
    let file = errors[0]["location"]["file"].as_str().unwrap();
    assert!(file.starts_with("domains/orders/products/ddd"), "{file}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("not checked"),
        "{}",
        errors[0]["message"]
    );
    // The readable product is still checked.
    assert_eq!(doc["summary"]["products"], 1);
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["policy"] == "governance.sla"));
}

/// Builds, below `rel`, a folder whose full path is longer than PATH_MAX: it cannot be opened
/// by its full name whoever runs the test (permission bits do not stop root, which CI runs
/// as). bash builds it with relative `mkdir`/`cd` steps.
fn unreadable_folder(root: &Path, rel: &str) {
    std::fs::create_dir_all(root.join(rel)).unwrap();
    let segment = "d".repeat(200);
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "cd {rel} && for i in $(seq 1 25); do mkdir {segment} && cd {segment} || exit 1; done"
        ))
        .current_dir(root)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn an_unreadable_policy_folder_puts_the_products_it_concerns_in_error() {
    // A domain's policy folder: that domain's products are in error, the others are not.
    let t = common::mesh_with_product(PRODUCT);
    write(
        t.path(),
        "domains/sales/products/daily/dataproduct.yaml",
        PRODUCT.replace("domain: orders", "domain: sales"),
    );
    unreadable_folder(t.path(), "domains/orders/policies");
    let (code, doc) = json_in(t.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2);
    let st = statuses(&doc);
    assert_eq!(
        st["domains/orders/products/daily/dataproduct.yaml"],
        "error"
    );
    assert_eq!(st["domains/sales/products/daily/dataproduct.yaml"], "fail");
    let human = meshgate_in(t.path(), &["check", "."]);
    assert!(human.stdout.contains("1 in error."), "{}", human.stdout);

    // A global policy folder: the shipped library does not stand in, every product is in error.
    let t = common::mesh_with_product(PRODUCT);
    unreadable_folder(t.path(), "policies");
    let (code, doc) = json_in(t.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2);
    assert_eq!(doc["builtin_library"], false);
    assert_eq!(doc["products"][0]["status"], "error");
    // The listing and the bundle refuse to look complete.
    let r = meshgate_in(t.path(), &["check", ".", "--list-products"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("cannot read this folder"), "{}", r.stderr);
    let r = meshgate_in(t.path(), &["inspect", "--bundle", "."]);
    assert_eq!(r.code, 2, "{}", r.stdout);
}

#[test]
fn a_policy_dropped_from_its_set_is_an_error_outcome_not_a_gap() {
    let t = common::mesh_with_product(PRODUCT);
    write(
        t.path(),
        "policies/ok.rego",
        "package ok\n\ndeny contains \"x\" if { true }\n",
    );
    write(
        t.path(),
        "policies/rec.rego",
        "package rec\n\nf(x) := g(x)\n\ng(x) := f(x)\n\ndeny contains \"y\" if { f(1) }\n",
    );
    let (code, doc) = json_in(t.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2);
    let ids: Vec<&str> = doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ok", "rec"]);
    assert_eq!(doc["products"][0]["outcomes"], "fe");
    assert_eq!(doc["products"][0]["status"], "error");
    assert_eq!(doc["summary"]["outcomes"]["error"], 1);
}

#[test]
fn symbolic_links_where_products_or_policies_live_are_reported_not_skipped() {
    let t = common::mesh_with_product(PRODUCT);
    write(
        t.path(),
        "elsewhere/deny.rego",
        "package d\n\ndeny contains \"x\" if { true }\n",
    );
    write(t.path(), "elsewhere/dataproduct.yaml", PRODUCT);
    std::fs::create_dir_all(t.path().join("domains/orders/policies")).unwrap();
    std::os::unix::fs::symlink(
        "../../../elsewhere/deny.rego",
        t.path().join("domains/orders/policies/deny.rego"),
    )
    .unwrap();
    std::fs::create_dir_all(t.path().join("domains/orders/products/linked")).unwrap();
    std::os::unix::fs::symlink(
        "../../../../elsewhere/dataproduct.yaml",
        t.path()
            .join("domains/orders/products/linked/dataproduct.yaml"),
    )
    .unwrap();
    // A linked descriptor is checked where the link leads inside the repository, and is a
    // finding where it leads out of it.
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "dataproduct.yaml", PRODUCT);
    std::fs::create_dir_all(t.path().join("domains/orders/products/out")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("dataproduct.yaml"),
        t.path()
            .join("domains/orders/products/out/dataproduct.yaml"),
    )
    .unwrap();
    std::fs::create_dir_all(t.path().join("policies")).unwrap();
    std::os::unix::fs::symlink("../elsewhere/deny.rego", t.path().join("policies/g.rego")).unwrap();
    // A linked file that is neither a descriptor nor a policy (a `$ref` fragment, say) is
    // left to `$ref` resolution.
    std::os::unix::fs::symlink(
        "../../../../elsewhere/deny.rego",
        t.path().join("domains/orders/products/daily/notes.txt"),
    )
    .unwrap();
    let (code, doc) = json_in(t.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2);
    let files: Vec<&str> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["location"]["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["domains/orders/policies/deny.rego", "policies/g.rego"]
    );
    let st = statuses(&doc);
    assert!(
        st.contains_key("domains/orders/products/linked/dataproduct.yaml"),
        "{st:?}"
    );
    let out = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["product"] == "domains/orders/products/out/dataproduct.yaml")
        .expect("a finding on the link that leads out");
    assert_eq!(out["id"], "io");
    assert!(out["message"]
        .as_str()
        .unwrap()
        .contains("leads out of the repository"));
    assert!(doc["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("symbolic link"));
    // The global policy folder held only a link: the shipped library does not stand in.
    assert_eq!(doc["builtin_library"], false);
    assert!(doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "error"));
}

#[test]
fn policy_errors_point_at_the_character_in_tab_indented_rego_outside_the_mesh() {
    let t = tempfile::tempdir().unwrap();
    let mesh = t.path().join("mesh");
    write(
        &mesh,
        "domains/orders/products/daily/dataproduct.yaml",
        PRODUCT,
    );
    write(
        t.path(),
        "pol/boom.rego",
        "package boom\n\ndeny contains x if {\n\tx := lower(5)\n}\n",
    );
    let pol = t.path().join("pol");
    let (code, doc) = json_in(
        t.path(),
        &[
            "check",
            "mesh",
            "--format",
            "json",
            "--policy",
            pol.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2);
    let err = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "policy-error")
        .expect("a policy error");
    // regorus says column 16 (a tab counts 4); the `5` is the 13th character.
    assert_eq!(err["location"]["line"], 4, "{err}");
    assert_eq!(err["location"]["column"], 13, "{err}");
    let human = meshgate_in(
        t.path(),
        &["check", "mesh", "--policy", pol.to_str().unwrap()],
    );
    let want = format!(" --> {}/boom.rego:4:13\n", pol.display());
    assert!(human.stdout.contains(&want), "{}", human.stdout);
}
