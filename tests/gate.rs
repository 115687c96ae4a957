//! A gate that cannot pass by accident: runs that checked nothing do not exit 0.

mod common;

use common::{meshgate_in, write};

#[test]
fn a_mesh_without_products_is_exit_2_unless_allowed() {
    let t = tempfile::tempdir().unwrap();
    let r = meshgate_in(t.path(), &["check", "."]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("no data product descriptor found (looked for `**/dataproduct.yaml`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--allow-empty"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
    // A path that does not lead to the mesh (a typo in a CI job) is the same case.
    write(t.path(), "domains/orders/domain.yaml", "name: orders\n");
    let r = meshgate_in(t.path(), &["check", "domains/orders/products"]);
    assert_ne!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let r = meshgate_in(t.path(), &["check", ".", "--allow-empty"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Checked 0 products"), "{}", r.stdout);

    write(t.path(), "meshgate.toml", "allow-empty = true\n");
    let r = meshgate_in(t.path(), &["check", "."]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn globs_that_match_nothing_are_exit_2() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "domains/orders/products/daily/dataproduct.yaml",
        "apiVersion: v1.0.0\nkind: DataProduct\nid: a\n",
    );
    write(
        t.path(),
        "meshgate.toml",
        "products = [\"**/product.yaml\"]\n",
    );
    let r = meshgate_in(t.path(), &["check", "."]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("looked for `**/product.yaml`"),
        "{}",
        r.stderr
    );
    write(t.path(), "meshgate.toml", "products = []\n");
    let r = meshgate_in(t.path(), &["check", "."]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("`products` in meshgate.toml is empty"),
        "{}",
        r.stderr
    );
}

const PRODUCT: &str =
    "apiVersion: v1.0.0\nkind: DataProduct\nid: daily\nname: daily\nstatus: active\n";

#[test]
fn an_explicit_policy_folder_without_policies_is_exit_2_and_a_policy_file_is_accepted() {
    let t = common::mesh_with_product(PRODUCT);
    write(
        t.path(),
        "checks/only_test.rego",
        "package t\n\ntest_x if { true }\n",
    );
    let r = meshgate_in(t.path(), &["check", ".", "--policy", "checks"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("policy folder `checks` holds no policy"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("shipped policy library"), "{}", r.stdout);
    // The same folder named in meshgate.toml.
    write(t.path(), "meshgate.toml", "policies = [\"checks\"]\n");
    let r = meshgate_in(t.path(), &["check", "."]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    std::fs::remove_file(t.path().join("meshgate.toml")).unwrap();

    // One policy file given directly is evaluated, alone.
    write(
        t.path(),
        "checks/always.rego",
        "package checks.always\n\ndeny contains \"always\" if { true }\n",
    );
    let r = meshgate_in(
        t.path(),
        &[
            "check",
            ".",
            "--policy",
            "checks/always.rego",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["summary"]["policies"], 1);
    assert_eq!(doc["findings"][0]["message"], "always");
    let r = meshgate_in(t.path(), &["check", ".", "--policy", "checks/nope.rego"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
}

#[test]
fn a_policy_file_no_policy_folder_reaches_is_a_warning() {
    let t = common::mesh_with_product(PRODUCT);
    write(
        t.path(),
        "policies/ok.rego",
        "package ok\n\ndeny contains \"never\" if { false }\n",
    );
    // `policy/`, not `policies/`: never evaluated.
    write(
        t.path(),
        "domains/orders/policy/retention.rego",
        "package orders.retention\n\ndeny contains \"x\" if { true }\n",
    );
    write(
        t.path(),
        "domains/orders/policy/retention_test.rego",
        "package orders.retention_test\n\ntest_x if { true }\n",
    );
    let r = meshgate_in(t.path(), &["check", ".", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let stray: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "stray-policy")
        .collect();
    assert_eq!(stray.len(), 1, "{stray:#?}");
    assert_eq!(stray[0]["severity"], "warning");
    assert!(stray[0]["product"].is_null());
    assert_eq!(stray[0]["domain"], "orders");
    assert_eq!(
        stray[0]["location"]["file"],
        "domains/orders/policy/retention.rego"
    );
    // A warning: the gate fails on it only when asked to.
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = meshgate_in(t.path(), &["check", ".", "--fail-on", "warning"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
}

#[test]
fn a_placeholder_left_in_a_descriptor_is_an_error_not_a_skip() {
    let t = common::mesh_with_product(
        "apiVersion: v1.0.0\nkind: DataProduct\nid: daily\nname: {{ product_name }}\n",
    );
    let r = meshgate_in(t.path(), &["check", ".", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["products"][0]["status"], "error");
    let f = &doc["findings"][0];
    assert_eq!(f["policy"], "meshgate.template");
    assert_eq!(f["rule"], "unrendered");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["location"]["line"], 4);
    assert_eq!(f["location"]["column"], 7);
}

#[test]
fn a_mesh_of_templates_only_checked_nothing() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "domains/orders/products/skeleton/dataproduct.yaml",
        "apiVersion: v1.0.0\nkind: DataProduct\nid: {{ values.id }}\n",
    );
    let r = meshgate_in(t.path(), &["check", "."]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(
            "all 1 descriptors found are templates (skipped), so nothing would be checked"
        ),
        "{}",
        r.stderr
    );
    let r = meshgate_in(t.path(), &["check", ".", "--allow-empty"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("1 skipped (templates)"), "{}", r.stdout);
    // A real product next to it is checked, and the template is still skipped.
    write(
        t.path(),
        "domains/orders/products/daily/dataproduct.yaml",
        "apiVersion: v1.0.0\nkind: DataProduct\nid: daily\n",
    );
    let r = meshgate_in(t.path(), &["check", "."]);
    assert_ne!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Checked 2 products"), "{}", r.stdout);
    assert!(r.stdout.contains("1 skipped (templates)"), "{}", r.stdout);
}
