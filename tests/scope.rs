//! `check PATH`: the mesh root is found above PATH, and only the products under PATH are
//! checked, with the whole mesh loaded for cross-product rules.

mod common;

use std::path::Path;

use common::{json_in, meshgate_in, statuses, write};
use serde_json::Value;

const PRODUCT: &str = "apiVersion: v1.0.0\nkind: DataProduct\n";

/// Three products in two domains, a global policy that counts the mesh's products (a
/// cross-product rule: it fires when it does not see all three) and flags `bad: true`, and a
/// local policy of `orders`.
fn mesh() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    write(root, "domains/orders/domain.yaml", "name: orders\n");
    write(root, "domains/customers/domain.yaml", "name: customers\n");
    write(
        root,
        "domains/orders/products/a/dataproduct.yaml",
        format!("{PRODUCT}id: a\n"),
    );
    write(
        root,
        "domains/orders/products/b/dataproduct.yaml",
        format!("{PRODUCT}id: b\nbad: true\n"),
    );
    write(
        root,
        "domains/customers/products/c/dataproduct.yaml",
        format!("{PRODUCT}id: c\nbad: true\n"),
    );
    write(
        root,
        "policies/global.rego",
        "package global.mesh\n\ndeny contains msg if {\n\tn := count(data.meshgate.mesh.products)\n\tn != 3\n\tmsg := sprintf(\"the policy sees %d products\", [n])\n}\n\ndeny contains \"bad\" if input.bad\n",
    );
    write(
        root,
        "domains/orders/policies/local.rego",
        "package orders.local\n\ndeny contains \"orders says no\" if input.id == \"a\"\n",
    );
    t
}

fn json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    json_in(dir, &all)
}

fn messages(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["product"], f["message"].as_str().unwrap()))
        .collect()
}

#[test]
fn a_domain_folder_is_checked_with_the_whole_mesh_loaded() {
    let t = mesh();
    let (code, doc) = json(t.path(), &["domains/orders"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["scope"], serde_json::json!(["domains/orders"]));
    let expected = [
        (
            "domains/customers/products/c/dataproduct.yaml",
            "not-selected",
        ),
        ("domains/orders/products/a/dataproduct.yaml", "fail"),
        ("domains/orders/products/b/dataproduct.yaml", "fail"),
    ];
    let got = statuses(&doc);
    let got: Vec<(&str, &str)> = got.iter().map(|(p, s)| (p.as_str(), s.as_str())).collect();
    assert_eq!(got, expected);
    // The global policy saw all three products (no "sees 2 products"), the local policy is
    // the domain's (not a global one), and nothing of `customers` is reported.
    assert_eq!(
        messages(&doc),
        [
            "\"domains/orders/products/a/dataproduct.yaml\" orders says no",
            "\"domains/orders/products/b/dataproduct.yaml\" bad",
        ]
    );
    assert_eq!(doc["summary"]["products"], 2);
    assert_eq!(doc["summary"]["products_not_selected"], 1);
    assert_eq!(doc["summary"]["domains"], 1);
    assert_eq!(doc["domains"].as_array().unwrap().len(), 1);
    let orders_policy = doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "orders.local")
        .unwrap();
    assert_eq!(orders_policy["domain"], "orders");
}

#[test]
fn check_inside_a_domain_finds_the_root_and_says_so() {
    let t = mesh();
    let inside = t.path().join("domains/orders");
    let r = meshgate_in(&inside, &["check", "--color", "never"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "Mesh root: ../.. (found by its domains/ folder); checked only domains/orders/"
        ),
        "{}",
        r.stdout
    );
    // Paths are printed relative to where meshgate runs, so they can be opened from there.
    assert!(
        r.stdout
            .contains("../../domains/orders/products/a/dataproduct.yaml:1:1"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Checked 2 products in 1 domain"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("(no domain)"), "{}", r.stdout);

    // The same run from the root, and the same JSON bytes from either place.
    let (_, from_root) = json(t.path(), &["domains/orders"]);
    let (_, from_inside) = json(&inside, &[]);
    assert_eq!(from_root, from_inside);
}

#[test]
fn one_descriptor_is_one_product() {
    let t = mesh();
    let (code, doc) = json(t.path(), &["domains/orders/products/b/dataproduct.yaml"]);
    assert_eq!(code, 1, "{doc}");
    let checked: Vec<_> = statuses(&doc)
        .into_iter()
        .filter(|(_, s)| s != "not-selected")
        .collect();
    assert_eq!(
        checked,
        [(
            "domains/orders/products/b/dataproduct.yaml".to_string(),
            "fail".to_string()
        )]
    );
    assert_eq!(
        messages(&doc),
        ["\"domains/orders/products/b/dataproduct.yaml\" bad"]
    );
}

#[test]
fn several_paths_are_one_scope_and_the_root_is_everything() {
    let t = mesh();
    let (_, doc) = json(
        t.path(),
        &[
            "domains/customers",
            "domains/orders/products/a/dataproduct.yaml",
        ],
    );
    assert_eq!(
        doc["scope"],
        serde_json::json!([
            "domains/customers",
            "domains/orders/products/a/dataproduct.yaml"
        ])
    );
    assert_eq!(doc["summary"]["products"], 2);
    // A path that is the root makes the whole mesh the scope.
    let (_, doc) = json(t.path(), &["domains/customers", "."]);
    assert_eq!(doc["scope"], serde_json::json!([]));
    assert_eq!(doc["summary"]["products"], 3);
    assert_eq!(doc["summary"]["products_not_selected"], 0);
}

#[test]
fn meshgate_toml_marks_the_root_before_a_domains_folder() {
    let t = mesh();
    write(t.path(), "meshgate.toml", "");
    // A nested folder with a `domains/` of its own does not become the root.
    write(
        t.path(),
        "domains/orders/products/a/domains/x.txt",
        "not a domain",
    );
    let r = meshgate_in(
        &t.path().join("domains/orders/products/a"),
        &["check", "--color", "never"],
    );
    assert!(
        r.stdout
            .contains("Mesh root: ../../../.. (found by its meshgate.toml)"),
        "{}{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn without_markers_the_git_top_level_is_the_root() {
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("repo");
    write(
        &repo,
        "mesh/orders/dataproduct.yaml",
        format!("{PRODUCT}id: a\n"),
    );
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    let r = meshgate_in(&repo.join("mesh/orders"), &["check", "--color", "never"]);
    assert!(
        r.stdout
            .contains("Mesh root: ../.. (found by the git top level); checked only mesh/orders/"),
        "{}{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn paths_that_select_nothing_are_exit_2() {
    let t = mesh();
    let r = meshgate_in(t.path(), &["check", "domains/orders/nope.yaml"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "meshgate: error: domains/orders/nope.yaml: no such file or folder\n"
    );
    let r = meshgate_in(&t.path().join("domains/orders"), &["check", "domain.yaml"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("domain.yaml: not a data product descriptor of the mesh at ../.."),
        "{}",
        r.stderr
    );
    let r = meshgate_in(t.path(), &["check", "domains/orders/policies"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            "domains/orders/policies: no data product descriptor under this path (the mesh root is .)"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
    let r = meshgate_in(
        t.path(),
        &["check", "domains/orders/policies", "--allow-empty"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Checked 0 products"), "{}", r.stdout);

    // Two meshes in one run.
    let other = mesh();
    let r = meshgate_in(t.path(), &["check", ".", other.path().to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("are in different meshes"), "{}", r.stderr);
}

#[test]
fn list_products_lists_the_scope() {
    let t = mesh();
    let r = meshgate_in(t.path(), &["check", "--list-products", "domains/customers"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r
        .stdout
        .contains("domains/customers/products/c/dataproduct.yaml"));
    assert!(!r.stdout.contains("domains/orders"), "{}", r.stdout);
}

#[test]
fn inspect_of_a_missing_file_says_so() {
    let t = mesh();
    let r = meshgate_in(t.path(), &["inspect", "domains/orders/products/zz.yaml"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "meshgate: error: domains/orders/products/zz.yaml: no such file or folder\n"
    );
    // Found from inside the domain, with the whole mesh in `data`.
    let r = meshgate_in(
        &t.path().join("domains/orders/products/a"),
        &["inspect", "dataproduct.yaml"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc["data"]["meshgate"]["mesh"]["products"]
            .as_object()
            .unwrap()
            .len(),
        3
    );
}
