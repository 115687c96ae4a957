//! `check --changed-since REF`: only the products the change since the merge base touches are
//! checked (and say why), on temporary git repositories.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{json_in, meshgate_in, statuses, write};
use serde_json::Value;

/// Runs git in `dir` with a fixed identity and date; panics when it fails.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
}

fn bitol(id: &str, extra: &str) -> String {
    format!("apiVersion: v1.0.0\nkind: DataProduct\nid: {id}\n{extra}")
}

const A: &str = "domains/orders/products/a/dataproduct.yaml";
const B: &str = "domains/orders/products/b/dataproduct.yaml";
const C: &str = "domains/sales/products/c/dataproduct.yaml";
const D: &str = "domains/sales/products/d/dataproduct.yaml";

/// A mesh in a git repository: `a` (whose team is a `$ref` file, offering contract `c-a`) and
/// `b` (consuming `c-a`) in `orders`; `c` and `d` in `sales`, which has a local policy. Committed
/// on `main`, then a branch `pr` is checked out.
fn repo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    write(root, "domains/orders/domain.yaml", "name: orders\n");
    write(root, "domains/sales/domain.yaml", "name: sales\n");
    write(
        root,
        A,
        bitol(
            "a",
            "team:\n  $ref: team.yaml\noutputPorts:\n  - name: out\n    contractId: c-a\n",
        ),
    );
    write(
        root,
        "domains/orders/products/a/team.yaml",
        "name: orders\n",
    );
    write(
        root,
        B,
        bitol("b", "inputPorts:\n  - name: in\n    contractId: c-a\n"),
    );
    write(root, C, bitol("c", ""));
    write(root, D, bitol("d", ""));
    write(
        root,
        "policies/global.rego",
        "package global.bad\n\ndeny contains \"bad\" if input.bad\n",
    );
    write(
        root,
        "domains/sales/policies/local.rego",
        "package sales.local\n\ndeny contains \"sales says no\" if input.no\n",
    );
    git(root, &["init", "-q", "-b", "main"]);
    commit(root, "base");
    git(root, &["checkout", "-q", "-b", "pr"]);
    t
}

/// `path -> reasons ("kind path")` of the selected products; every other product must be
/// `not-selected`.
fn selected(doc: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for p in doc["products"].as_array().unwrap() {
        let path = p["path"].as_str().unwrap().to_string();
        match p.get("selected_because") {
            Some(why) => {
                assert_ne!(p["status"], "not-selected", "{path}");
                let why = why
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {}",
                            r["reason"].as_str().unwrap(),
                            r["path"].as_str().unwrap()
                        )
                    })
                    .collect();
                out.insert(path, why);
            }
            None => assert_eq!(p["status"], "not-selected", "{path}"),
        }
    }
    out
}

fn changed(dir: &Path) -> (i32, Value) {
    json_in(
        dir,
        &["check", "--format", "json", "--changed-since", "main"],
    )
}

fn reasons(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(p, why)| (p.to_string(), why.iter().map(|w| w.to_string()).collect()))
        .collect()
}

#[test]
fn no_change_checks_no_product_and_says_so() {
    let t = repo();
    let (code, doc) = changed(t.path());
    assert_eq!(code, 0);
    assert!(selected(&doc).is_empty());
    assert_eq!(doc["summary"]["products_not_selected"], 4);
    assert_eq!(doc["changed_since"]["reference"], "main");
    let human = meshgate_in(t.path(), &["check", "--changed-since", "main"]);
    assert_eq!(human.code, 0);
    assert!(
        human
            .stderr
            .contains("touch no data product, so no product was checked"),
        "{}",
        human.stderr
    );
    assert!(
        human.stdout.contains(
            "Changed-only: checked the 0 products that the changes since the merge base of main touch"
        ),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("; 4 not selected."),
        "{}",
        human.stdout
    );
}

#[test]
fn a_changed_descriptor_is_selected_committed_or_not() {
    let t = repo();
    write(t.path(), C, bitol("c", "bad: true\n"));
    // Uncommitted: what is on disk is what is checked.
    let (code, doc) = changed(t.path());
    assert_eq!(code, 1);
    assert_eq!(
        selected(&doc),
        reasons(&[(C, &[&format!("descriptor-changed {C}")])])
    );
    assert_eq!(statuses(&doc)[C], "fail");
    commit(t.path(), "c is bad");
    let (_, doc2) = changed(t.path());
    assert_eq!(selected(&doc2), selected(&doc));
    // Untracked new product.
    let e = "domains/sales/products/e/dataproduct.yaml";
    write(t.path(), e, bitol("e", ""));
    let (_, doc) = changed(t.path());
    assert!(selected(&doc).contains_key(e));
    // Every selected product and why, on standard error.
    let human = meshgate_in(t.path(), &["check", "--changed-since", "main"]);
    assert!(
        human
            .stderr
            .contains(&format!("{C} (descriptor changed {C})")),
        "{}",
        human.stderr
    );
}

#[test]
fn a_changed_ref_file_selects_its_product_and_its_consumers() {
    let t = repo();
    write(
        t.path(),
        "domains/orders/products/a/team.yaml",
        "name: o2\n",
    );
    commit(t.path(), "team");
    let (code, doc) = changed(t.path());
    assert_eq!(code, 0);
    let team = "domains/orders/products/a/team.yaml";
    assert_eq!(
        selected(&doc),
        reasons(&[
            (A, &[&format!("ref-changed {team}")]),
            (B, &[&format!("consumes {A}")]),
        ])
    );
}

#[test]
fn a_deleted_ref_file_selects_its_product() {
    let t = repo();
    let team = "domains/orders/products/a/team.yaml";
    git(t.path(), &["rm", "-q", team]);
    commit(t.path(), "no team");
    let (code, doc) = changed(t.path());
    // The `$ref` is broken now: a finding on a, which is checked.
    assert_eq!(code, 1);
    assert_eq!(
        selected(&doc),
        reasons(&[
            (A, &[&format!("ref-changed {team}")]),
            (B, &[&format!("consumes {A}")]),
        ])
    );
    assert_eq!(statuses(&doc)[A], "fail");
}

#[test]
fn a_changed_consumer_selects_what_it_consumes() {
    let t = repo();
    write(
        t.path(),
        B,
        bitol(
            "b",
            "inputPorts:\n  - name: in\n    contractId: c-a\ndescription: {purpose: x}\n",
        ),
    );
    let (_, doc) = changed(t.path());
    assert_eq!(
        selected(&doc),
        reasons(&[
            (A, &[&format!("consumed-by {B}")]),
            (B, &[&format!("descriptor-changed {B}")]),
        ])
    );
}

#[test]
fn removing_an_output_port_selects_its_former_consumers() {
    let t = repo();
    write(t.path(), A, bitol("a", "team:\n  $ref: team.yaml\n"));
    let (_, doc) = changed(t.path());
    assert_eq!(
        selected(&doc),
        reasons(&[
            (A, &[&format!("descriptor-changed {A}")]),
            (B, &[&format!("consumes {A}")]),
        ])
    );
    // So does deleting the product.
    git(
        t.path(),
        &["rm", "-q", "-r", "-f", "domains/orders/products/a"],
    );
    let (_, doc) = changed(t.path());
    assert_eq!(selected(&doc), reasons(&[(B, &[&format!("consumes {A}")])]));
}

#[test]
fn domain_descriptor_and_local_policies_select_the_domain() {
    let t = repo();
    write(t.path(), "domains/sales/domain.yaml", "name: sales\nx: 1\n");
    let (_, doc) = changed(t.path());
    let d = "domain-changed domains/sales/domain.yaml";
    assert_eq!(selected(&doc), reasons(&[(C, &[d]), (D, &[d])]));
    git(t.path(), &["checkout", "-q", "--", "."]);
    write(
        t.path(),
        "domains/sales/policies/local.rego",
        "package sales.local\n\ndeny contains \"sales says no\" if input.id == \"c\"\n",
    );
    commit(t.path(), "tighten sales");
    let (code, doc) = changed(t.path());
    assert_eq!(code, 1);
    let p = "domain-policy-changed domains/sales/policies/local.rego";
    assert_eq!(selected(&doc), reasons(&[(C, &[p]), (D, &[p])]));
    assert_eq!(statuses(&doc)[C], "fail");
    // A policy test is not a policy: it touches nothing.
    git(t.path(), &["reset", "-q", "--hard", "main"]);
    write(
        t.path(),
        "domains/sales/policies/local_test.rego",
        "package sales.local_test\n\ntest_x if true\n",
    );
    let (_, doc) = changed(t.path());
    assert!(selected(&doc).is_empty());
}

#[test]
fn a_global_policy_or_the_config_selects_every_product() {
    let t = repo();
    write(
        t.path(),
        "policies/global.rego",
        "package global.bad\n\ndeny contains \"bad\" if input.worse\n",
    );
    let (_, doc) = changed(t.path());
    let g = "global-policy-changed policies/global.rego";
    assert_eq!(
        selected(&doc),
        reasons(&[(A, &[g]), (B, &[g]), (C, &[g]), (D, &[g])])
    );
    git(t.path(), &["checkout", "-q", "--", "."]);
    write(t.path(), "meshgate.toml", "allow-empty = false\n");
    let (_, doc) = changed(t.path());
    let c = "config-changed meshgate.toml";
    assert_eq!(
        selected(&doc),
        reasons(&[(A, &[c]), (B, &[c]), (C, &[c]), (D, &[c])])
    );
}

#[test]
fn renamed_count_under_their_new_path_and_deleted_drop_out() {
    let t = repo();
    let c2 = "domains/sales/products/c2/dataproduct.yaml";
    std::fs::create_dir_all(t.path().join("domains/sales/products/c2")).unwrap();
    git(t.path(), &["mv", C, c2]);
    git(t.path(), &["rm", "-q", D]);
    commit(t.path(), "move c, delete d");
    let (code, doc) = changed(t.path());
    assert_eq!(code, 0);
    assert_eq!(
        selected(&doc),
        reasons(&[(c2, &[&format!("descriptor-changed {c2}")])])
    );
    assert_eq!(doc["changed_since"]["changed"], serde_json::json!([c2]));
    assert_eq!(doc["changed_since"]["deleted"], serde_json::json!([D]));
}

#[test]
fn compares_with_the_merge_base_not_the_ref() {
    let t = repo();
    write(t.path(), C, bitol("c", "description: {purpose: pr}\n"));
    commit(t.path(), "pr changes c");
    // main moves on after the branch: its change to d is not the pull request's.
    git(t.path(), &["checkout", "-q", "main"]);
    write(t.path(), D, bitol("d", "description: {purpose: main}\n"));
    commit(t.path(), "main changes d");
    git(t.path(), &["checkout", "-q", "pr"]);
    let (_, doc) = changed(t.path());
    assert_eq!(
        selected(&doc),
        reasons(&[(C, &[&format!("descriptor-changed {C}")])])
    );
    let base = git(t.path(), &["merge-base", "main", "pr"]);
    assert_eq!(doc["changed_since"]["merge_base"], base.trim());
}

#[test]
fn a_path_and_a_change_check_what_is_in_both() {
    let t = repo();
    write(
        t.path(),
        "policies/global.rego",
        "package global.bad\n\ndeny contains \"bad\" if input.worse\n",
    );
    let (_, doc) = json_in(
        t.path(),
        &[
            "check",
            "domains/sales",
            "--format",
            "json",
            "--changed-since",
            "main",
        ],
    );
    let keys: Vec<String> = selected(&doc).into_keys().collect();
    assert_eq!(keys, [C, D]);
}

fn error(dir: &Path, reference: &str) -> String {
    let r = meshgate_in(dir, &["check", "--changed-since", reference]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    r.stderr
}

#[test]
fn outside_a_git_repository_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), C, bitol("c", ""));
    let e = error(t.path(), "main");
    assert!(e.contains("is not in a git repository"), "{e}");
}

#[test]
fn an_unknown_ref_is_an_error_that_says_how_to_fetch_it() {
    let t = repo();
    let e = error(t.path(), "origin/nope");
    assert!(
        e.contains("`origin/nope` is not a commit this clone knows"),
        "{e}"
    );
    assert!(e.contains("fetch-depth: 0"), "{e}");
    // Not an option of git's either.
    let r = meshgate_in(t.path(), &["check", "--changed-since=--output=x"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("`--output=x` is not a commit"),
        "{}",
        r.stderr
    );
    assert!(!t.path().join("x").exists());
}

#[test]
fn a_shallow_clone_without_the_merge_base_is_an_error() {
    let t = repo();
    write(t.path(), C, bitol("c", "description: {purpose: pr}\n"));
    commit(t.path(), "pr");
    git(t.path(), &["checkout", "-q", "main"]);
    write(t.path(), D, bitol("d", "description: {purpose: main}\n"));
    commit(t.path(), "main");
    git(t.path(), &["checkout", "-q", "pr"]);
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", t.path().display());
    git(
        clone.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            &url,
            "c",
        ],
    );
    let e = error(&clone.path().join("c"), "origin/main");
    assert!(e.contains("this clone is shallow"), "{e}");
    assert!(e.contains("fetch-depth: 0"), "{e}");
}

#[test]
fn unrelated_histories_are_an_error() {
    let t = repo();
    git(t.path(), &["checkout", "-q", "--orphan", "other"]);
    commit(t.path(), "unrelated");
    let e = error(t.path(), "main");
    assert!(e.contains("no common ancestor"), "{e}");
}

/// The policy at the merge base flags `d` (`bad: true`) and warns on `a`; the pull request
/// loosens the first rule (d newly passes), raises the warning on `a` to an error, and adds a
/// rule against `c` (both newly fail).
fn policy_change() -> tempfile::TempDir {
    let t = repo();
    let root = t.path();
    git(root, &["checkout", "-q", "main"]);
    write(root, D, bitol("d", "bad: true\n"));
    write(
        root,
        "policies/global.rego",
        "package global.bad\n\ndeny contains \"bad\" if input.bad\n\ndeny contains {\"msg\": \"a is odd\", \"severity\": \"warning\"} if input.id == \"a\"\n",
    );
    commit(root, "d is bad, a is odd");
    git(root, &["checkout", "-q", "-B", "pr"]);
    write(
        root,
        "policies/global.rego",
        "package global.bad\n\ndeny contains \"bad\" if input.worse\n\ndeny contains {\"msg\": \"a is odd\", \"severity\": \"error\"} if input.id == \"a\"\n\ndeny contains \"c needs an owner\" if input.id == \"c\"\n",
    );
    commit(root, "change the policy");
    t
}

#[test]
fn impact_reports_what_a_policy_change_does_per_domain() {
    let t = policy_change();
    let (code, doc) = json_in(
        t.path(),
        &[
            "check",
            "--format",
            "json",
            "--changed-since",
            "main",
            "--impact",
        ],
    );
    // Informational: the products selected only because a policy changed are left to the
    // preview, so the gate does not fail on them.
    assert_eq!(code, 0, "{doc:#}");
    assert!(selected(&doc).is_empty());
    let i = &doc["impact"];
    assert_eq!(i["newly_failing"], 2);
    assert_eq!(i["newly_passing"], 1);
    assert_eq!(i["severity_changed"], 1);
    assert_eq!(
        i["domains"],
        serde_json::json!([
            {"name": "orders",
             "newly_failing": [{"path": A, "new_findings": [
                 {"code": "global.bad/deny", "severity": "error", "message": "a is odd"}]}],
             "newly_passing": [],
             "severity_changed": [{"product": A, "code": "global.bad/deny", "message": "a is odd",
                                   "before": "warning", "after": "error"}]},
            {"name": "sales",
             "newly_failing": [{"path": C, "new_findings": [
                 {"code": "global.bad/deny", "severity": "error", "message": "c needs an owner"}]}],
             "newly_passing": [D],
             "severity_changed": []}
        ])
    );
    // --fail-on-impact makes a newly failing product fail the run.
    let r = meshgate_in(
        t.path(),
        &[
            "check",
            "--changed-since",
            "main",
            "--impact",
            "--fail-on-impact",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the policy change makes 2 products newly fail"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("2 newly failing, 1 newly passing, 1 severity change"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("newly passing: {D}")),
        "{}",
        r.stdout
    );
    let md = meshgate_in(
        t.path(),
        &[
            "check",
            "--format",
            "markdown",
            "--changed-since",
            "main",
            "--impact",
        ],
    );
    assert_eq!(md.code, 0);
    assert!(md.stdout.contains("### Policy impact"), "{}", md.stdout);
    assert!(
        md.stdout.contains(&format!(
            "| `{A}` | warning → error | `global.bad/deny` | a is odd |"
        )),
        "{}",
        md.stdout
    );
}

#[test]
fn impact_still_fails_on_what_the_descriptors_broke() {
    let t = policy_change();
    write(
        t.path(),
        B,
        bitol(
            "b",
            "inputPorts:\n  - name: in\n    contractId: c-a\nworse: true\n",
        ),
    );
    let (code, doc) = json_in(
        t.path(),
        &[
            "check",
            "--format",
            "json",
            "--changed-since",
            "main",
            "--impact",
        ],
    );
    assert_eq!(code, 1);
    let keys: Vec<String> = selected(&doc).into_keys().collect();
    // b's descriptor changed; a is what it consumed (the link is followed).
    assert_eq!(keys, [A, B]);
    assert_eq!(statuses(&doc)[B], "fail");
    // Without the flag, a policy change selects every product.
    let (_, doc) = changed(t.path());
    assert_eq!(selected(&doc).len(), 4);
}

#[test]
fn impact_without_a_policy_change_is_empty() {
    let t = repo();
    write(t.path(), C, bitol("c", "bad: true\n"));
    let (code, doc) = json_in(
        t.path(),
        &[
            "check",
            "--format",
            "json",
            "--changed-since",
            "main",
            "--impact",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(doc["impact"]["newly_failing"], 0);
    assert_eq!(doc["impact"]["domains"], serde_json::json!([]));
}

#[test]
fn impact_needs_changed_since() {
    let t = repo();
    let r = meshgate_in(t.path(), &["check", "--impact"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--changed-since"), "{}", r.stderr);
}

#[test]
fn a_mesh_in_a_subfolder_of_the_repository_sees_paths_from_its_root() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    write(root, "mesh/meshgate.toml", "");
    write(root, &format!("mesh/{C}"), bitol("c", ""));
    write(root, &format!("mesh/{D}"), bitol("d", ""));
    write(root, "README.md", "the mesh\n");
    git(root, &["init", "-q", "-b", "main"]);
    commit(root, "base");
    write(root, "README.md", "the mesh, changed\n");
    write(
        root,
        &format!("mesh/{D}"),
        bitol("d", "description: {purpose: x}\n"),
    );
    let (code, doc) = json_in(
        root,
        &[
            "check",
            "mesh",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--changed-since",
            "main",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(
        selected(&doc),
        reasons(&[(D, &[&format!("descriptor-changed {D}")])])
    );
    // README.md is outside the mesh root: absolute, and touching nothing.
    let changed: Vec<String> = doc["changed_since"]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert!(changed.contains(&D.to_string()), "{changed:?}");
    assert!(
        changed
            .iter()
            .any(|p| p.ends_with("/README.md") && p.starts_with('/')),
        "{changed:?}"
    );
}
