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
