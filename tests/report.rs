//! `meshgate report`: the governance board's report on the fixture mesh, from an evaluation or
//! a saved check result, and its gate.

mod common;

use common::{meshgate, meshgate_in};

fn report(args: &[&str]) -> common::Run {
    let mut all = vec!["report", "fixtures/mesh"];
    all.extend_from_slice(args);
    meshgate(&all)
}

#[test]
fn example_mesh_report_json() {
    let r = report(&["--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(doc["report_version"], 1);
    insta::assert_snapshot!(
        "example_mesh_report_json",
        r.stdout.replace(env!("CARGO_PKG_VERSION"), "[version]")
    );
}

#[test]
fn example_mesh_report_markdown() {
    let r = report(&["--format", "markdown"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("example_mesh_report_markdown", r.stdout);
}

#[test]
fn a_saved_check_result_renders_the_same_report() {
    let t = tempfile::tempdir().unwrap();
    let saved = t.path().join("result.json");
    let check = meshgate(&[
        "check",
        "fixtures/mesh",
        "--format",
        "json",
        "--output",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    for format in ["json", "markdown"] {
        let direct = report(&["--format", format]);
        let from = report(&["--format", format, "--from", saved.to_str().unwrap()]);
        assert_eq!(from.code, 0, "{}", from.stderr);
        assert_eq!(direct.stdout, from.stdout, "{format}");
    }
}

#[test]
fn fail_under_gates_on_the_mesh_mean() {
    // The fixture mesh's mean score is 91.4 (see the snapshot).
    let r = report(&["--format", "json", "--fail-under", "95"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("mean score 91.4 is under --fail-under 95"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("\"report_version\""),
        "the report is still written"
    );
    assert_eq!(report(&["--fail-under", "90"]).code, 0);
    assert_eq!(report(&["--fail-under", "101"]).code, 2);
}

#[test]
fn a_bad_saved_result_is_exit_2_with_its_position() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("r.json"),
        "{\n  \"version\": 2,\n  \"domains\": 3\n}\n",
    )
    .unwrap();
    let r = meshgate_in(t.path(), &["report", "--from", "r.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("meshgate: error: r.json:3:"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
    let r = meshgate_in(t.path(), &["report", "--from", "missing.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot read missing.json"),
        "{}",
        r.stderr
    );
}

#[test]
fn score_weights_come_from_meshgate_toml() {
    let t = tempfile::tempdir().unwrap();
    let saved = t.path().join("result.json");
    let check = meshgate(&[
        "check",
        "fixtures/mesh",
        "--format",
        "json",
        "-o",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(check.code, 1);
    // Errors weigh nothing: a product failing only error-level policies scores 100.
    std::fs::write(
        t.path().join("meshgate.toml"),
        "[score]\nerror = 0\ninfo = 0\n",
    )
    .unwrap();
    let r = meshgate_in(
        t.path(),
        &["report", "--from", "result.json", "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc["weights"],
        serde_json::json!({"error": 0, "warning": 5, "info": 0})
    );
    let consent = doc["domains"][0]["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"].as_str().unwrap().contains("customer-consent"))
        .unwrap();
    // By default 85.7 (governance.ownership, error-level, fails); it stays at level none.
    assert_eq!(
        consent["blocking"],
        serde_json::json!(["governance.ownership"])
    );
    assert_eq!(consent["score"], 100.0);
    assert_eq!(consent["level"], "none");
    std::fs::write(t.path().join("meshgate.toml"), "[score]\nerorr = 1\n").unwrap();
    let r = meshgate_in(t.path(), &["report", "--from", "result.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("meshgate.toml:2:1: unknown field `erorr`"),
        "{}",
        r.stderr
    );
}
