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
    // The fixture mesh's mean score is 86.8 (see the snapshot).
    let r = report(&["--format", "json", "--fail-under", "95"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("mean score 86.8 is under --fail-under 95"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("\"report_version\""),
        "the report is still written"
    );
    assert_eq!(report(&["--fail-under", "85"]).code, 0);
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
    let consent = doc["domains"][0]["product_scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"].as_str().unwrap().contains("customer-consent"))
        .unwrap();
    // It fails two error-level bronze policies, which block bronze whatever they weigh: it
    // stays at level none.
    assert_eq!(
        consent["blocking"],
        serde_json::json!(["governance.owner_contact", "governance.ownership"])
    );
    // Only its warning-level policies weigh now: 66.7, where the default weights give 75.7.
    assert_eq!(consent["score"], 66.7);
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

/// Copies `from` into `to`, recursively.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Replaces `old` by `new` in the mesh file `rel` (which must hold it).
fn edit(root: &std::path::Path, rel: &str, old: &str, new: &str) {
    let p = root.join(rel);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(old), "{rel} has no `{old}`");
    std::fs::write(&p, text.replacen(old, new, 1)).unwrap();
}

#[test]
fn compare_with_an_earlier_report() {
    let mesh = tempfile::tempdir().unwrap();
    copy_tree(&common::repo().join("fixtures/mesh"), mesh.path());
    let out = tempfile::tempdir().unwrap();
    let previous = out.path().join("previous.json");
    let r = meshgate_in(
        mesh.path(),
        &[
            "report",
            "--format",
            "json",
            "-o",
            previous.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The next month: supplier-catalog fixed, order-events broken, lines shifted above
    // replenishment-forecast's findings (they must not count as new and fixed), a product gone.
    edit(
        mesh.path(),
        "domains/inventory/products/supplier-catalog/supplier-catalog.odps.yaml",
        "status: in-review",
        "status: active",
    );
    edit(
        mesh.path(),
        "domains/orders/products/order-events/dataproduct.yaml",
        "status: active",
        "status: bogus",
    );
    let forecast =
        "domains/inventory/products/replenishment-forecast/replenishment-forecast.dpds.yaml";
    let text = std::fs::read_to_string(mesh.path().join(forecast)).unwrap();
    std::fs::write(mesh.path().join(forecast), format!("# a comment\n\n{text}")).unwrap();
    std::fs::remove_dir_all(mesh.path().join("domains/orders/products/order-returns")).unwrap();
    let args = ["report", "--compare", previous.to_str().unwrap()];
    let md = meshgate_in(
        mesh.path(),
        &[&args[..], &["--format", "markdown"]].concat(),
    );
    assert_eq!(md.code, 0, "{}", md.stderr);
    insta::assert_snapshot!("compare_markdown", md.stdout);
    let json = meshgate_in(mesh.path(), &[&args[..], &["--format", "json"]].concat());
    assert_eq!(json.code, 0, "{}", json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    insta::assert_json_snapshot!("compare_json", doc["comparison"]);
    let c = &doc["comparison"];
    let changed: Vec<(&str, &str)> = c["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["path"].as_str().unwrap(), p["change"].as_str().unwrap()))
        .collect();
    assert!(
        changed.iter().all(|(p, _)| !p.contains("replenishment")),
        "{changed:?}"
    );
    assert!(changed.contains(&(
        "domains/orders/products/order-returns/dataproduct.yml",
        "removed"
    )));
    // A JSON report with --compare can itself be the next comparison's input; a check result
    // cannot.
    let saved = out.path().join("now.json");
    std::fs::write(&saved, &json.stdout).unwrap();
    let again = meshgate_in(
        mesh.path(),
        &["report", "--compare", saved.to_str().unwrap()],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stdout
            .contains("0 new findings · 0 fixed · 0 products changed"),
        "{}",
        again.stdout
    );
    let check = out.path().join("check.json");
    meshgate_in(
        mesh.path(),
        &["check", "--format", "json", "-o", check.to_str().unwrap()],
    );
    let bad = meshgate_in(
        mesh.path(),
        &["report", "--compare", check.to_str().unwrap()],
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains(
            "no `report_version`: --compare takes an earlier `meshgate report --format json`"
        ),
        "{}",
        bad.stderr
    );
}

#[test]
fn split_domains_and_badges() {
    let t = tempfile::tempdir().unwrap();
    let (split, badges) = (t.path().join("split"), t.path().join("badges"));
    let r = report(&[
        "--format",
        "json",
        "--split-domains",
        split.to_str().unwrap(),
        "--badge-dir",
        badges.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The per-domain files replace standard output (unless --output asks for the whole report).
    assert_eq!(r.stdout, "");
    let whole: serde_json::Value =
        serde_json::from_str(&report(&["--format", "json"]).stdout).unwrap();
    for (i, d) in ["customers", "inventory", "logistics", "orders"]
        .iter()
        .enumerate()
    {
        let text = std::fs::read_to_string(split.join(format!("{d}.json"))).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        // The domain's scorecard, whole, as in the mesh report, and as its overview.
        assert_eq!(doc["domains"].as_array().unwrap().len(), 1);
        assert_eq!(doc["domains"][0], whole["domains"][i]);
        assert_eq!(doc["mesh"]["mean"], whole["domains"][i]["mean"]);
        assert!(doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["domain"] == *d));
        let svg = std::fs::read_to_string(badges.join(format!("{d}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        let mean = whole["domains"][i]["mean"].as_f64().unwrap();
        assert!(
            svg.contains(&format!("<title>{d} governance: none {mean:.1}</title>")),
            "{svg}"
        );
    }
    let mesh = std::fs::read_to_string(badges.join("_mesh.svg")).unwrap();
    assert!(
        mesh.contains("<title>mesh governance: none 86.8</title>"),
        "{mesh}"
    );
    assert!(mesh.contains("fill=\"#dfb317\""), "86.8 is yellow: {mesh}");
    let md = report(&["--split-domains", split.to_str().unwrap()]);
    assert_eq!(md.code, 0);
    let orders = std::fs::read_to_string(split.join("orders.md")).unwrap();
    assert!(
        orders.starts_with("# Data mesh governance report\n\n**Mesh:** 4 products in 1 domain ·"),
        "{orders}"
    );
    assert!(!orders.contains("## customers"));
}

fn git(dir: &std::path::Path, args: &[&str]) {
    git_with(dir, None, args);
}

/// Runs git in `dir` as a fixed user, with the author and committer date `date` when given.
fn git_with(dir: &std::path::Path, date: Option<&str>, args: &[&str]) {
    let mut cmd = std::process::Command::new("git");
    cmd.arg("-C").arg(dir).args([
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "-c",
        "commit.gpgsign=false",
    ]);
    if let Some(date) = date {
        cmd.env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date);
    }
    let out = cmd.args(args).output().expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A git repository holding the inventory domain of the fixture, in three commits that each
/// fix a product: the domain improves.
fn improving_repo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    copy_tree(&common::repo().join("fixtures/mesh"), root);
    for d in ["customers", "logistics", "orders"] {
        std::fs::remove_dir_all(root.join("domains").join(d)).unwrap();
    }
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "one"]);
    edit(
        root,
        "domains/inventory/products/supplier-catalog/supplier-catalog.odps.yaml",
        "status: in-review",
        "status: active",
    );
    git(root, &["commit", "-q", "-am", "two"]);
    edit(
        root,
        "domains/inventory/products/replenishment-forecast/replenishment-forecast.dpds.yaml",
        "description: TBD",
        "description: Daily replenishment orders proposed per store and supplier.",
    );
    edit(
        root,
        "domains/inventory/products/replenishment-forecast/replenishment-forecast.dpds.yaml",
        "      displayName: Suggested replenishment orders",
        "      displayName: Suggested replenishment orders\n      description: Orders the planner suggests per store and supplier, each day.",
    );
    git(root, &["commit", "-q", "-am", "three"]);
    t
}

#[test]
fn history_walks_the_first_parent_commits() {
    let repo = improving_repo();
    // An uncommitted change is not history: the working tree and index are left alone.
    std::fs::write(repo.path().join("untracked.txt"), "x").unwrap();
    let r = meshgate_in(
        repo.path(),
        &["report", "--history", "3", "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let h = doc["history"].as_array().unwrap();
    let means: Vec<f64> = h.iter().map(|p| p["mean"].as_f64().unwrap()).collect();
    assert_eq!(means.len(), 3);
    assert!(means[0] < means[1] && means[1] < means[2], "{means:?}");
    assert_eq!(h[2]["mean"], doc["mesh"]["mean"], "HEAD is the last point");
    assert_eq!(h[0]["domains"][0][0], "inventory");
    assert_eq!(h[0]["domains"][0][1], h[0]["mean"]);
    let status = std::process::Command::new("git")
        .args(["-C", repo.path().to_str().unwrap(), "status", "--porcelain"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&status.stdout),
        "?? untracked.txt\n"
    );
    // Two points: the oldest and HEAD.
    let r = meshgate_in(
        repo.path(),
        &["report", "--history", "2", "--format", "json"],
    );
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let two: Vec<f64> = doc["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["mean"].as_f64().unwrap())
        .collect();
    assert_eq!(two, [means[0], means[2]]);
    let md = meshgate_in(repo.path(), &["report", "--history", "3"]);
    assert!(
        md.stdout
            .contains("### History\n\n| Commit | Date | Mesh | inventory |"),
        "{}",
        md.stdout
    );
    let html = meshgate_in(
        repo.path(),
        &["report", "--history", "3", "--format", "html"],
    );
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(html.stdout.contains("<svg id=\"history\""));
    assert_eq!(
        html.stdout.matches("<polyline").count(),
        2,
        "the mesh and its one domain"
    );
    let title = format!(
        "<title>mesh: {:.1} → {:.1} → {:.1}</title>",
        means[0], means[1], means[2]
    );
    assert!(html.stdout.contains(&title), "{title}");
}

#[test]
fn history_outside_git_or_in_a_shallow_clone_is_exit_2() {
    let t = tempfile::tempdir().unwrap();
    copy_tree(&common::repo().join("fixtures/mesh"), t.path());
    let r = meshgate_in(t.path(), &["report", "--history", "3"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("is not in a git repository"),
        "{}",
        r.stderr
    );
    let repo = improving_repo();
    let shallow = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    let out = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url])
        .arg(shallow.path().join("c"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = meshgate_in(&shallow.path().join("c"), &["report", "--history", "3"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr.contains("shallow clone with only 1 commit"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("fetch-depth: 0"), "{}", r.stderr);
}

/// `git` with a fixed author and committer date.
fn git_at(dir: &std::path::Path, date: &str, args: &[&str]) {
    git_with(dir, Some(date), args);
}

#[test]
fn history_since_starts_the_walk_and_policies_at_rejudges_the_past() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    copy_tree(&common::repo().join("fixtures/mesh"), root);
    for d in ["customers", "logistics", "orders"] {
        std::fs::remove_dir_all(root.join("domains").join(d)).unwrap();
    }
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git_at(
        root,
        "2026-01-10T12:00:00Z",
        &["commit", "-q", "-m", "january"],
    );
    std::fs::write(root.join("notes.txt"), "x").unwrap();
    git(root, &["add", "-A"]);
    git_at(
        root,
        "2026-02-10T12:00:00Z",
        &["commit", "-q", "-m", "february"],
    );
    // March: the board adopts one global policy that no product passes (it replaces the
    // shipped library, which stood in before).
    std::fs::create_dir_all(root.join("policies")).unwrap();
    std::fs::write(
        root.join("policies/strict.rego"),
        "package board.strict\n\ndeny contains \"not yet\" if true\n",
    )
    .unwrap();
    git(root, &["add", "-A"]);
    git_at(
        root,
        "2026-03-10T12:00:00Z",
        &["commit", "-q", "-m", "march"],
    );

    let history = |args: &[&str]| -> Vec<(String, f64)> {
        let mut all = vec!["report", "--format", "json"];
        all.extend_from_slice(args);
        let r = meshgate_in(root, &all);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        doc["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["date"].as_str().unwrap()[..10].to_string(),
                    p["mean"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let all = history(&["--history", "10"]);
    let days: Vec<&str> = all.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(days, ["2026-01-10", "2026-02-10", "2026-03-10"]);
    // Each commit is judged by its own policies: the library in January and February (the
    // same mesh: the same mean), the strict policy, which every product fails, in March.
    assert_eq!(all[0].1, all[1].1);
    assert!(all[2].1 < all[0].1, "{all:?}");
    // --history-since: the walk starts on that day.
    let since = history(&["--history", "10", "--history-since", "2026-02-01"]);
    assert_eq!(since, all[1..].to_vec());
    // --policies-at HEAD: had March's rules applied in January (the mesh did not change, so
    // every point scores as March does).
    let rejudged = history(&["--history", "10", "--policies-at", "HEAD"]);
    assert!(
        rejudged.iter().all(|(_, mean)| *mean == all[2].1),
        "{rejudged:?}"
    );
    // ... and by January's policies (the library), March scores as January did.
    let first = history(&["--history", "10", "--policies-at", "HEAD~2"]);
    assert!(first.iter().all(|(_, mean)| *mean == all[0].1), "{first:?}");

    // Errors: a date that is not one, a day after HEAD, a ref that is no commit.
    for (args, says) in [
        (
            vec!["--history", "3", "--history-since", "last week"],
            "is not a date YYYY-MM-DD",
        ),
        (
            vec!["--history", "3", "--history-since", "2027-01-01"],
            "no commit on or after that day",
        ),
        (
            vec!["--history", "3", "--policies-at", "nope"],
            "--policies-at nope: not a commit",
        ),
        (vec!["--history-since", "2026-01-01"], "--history"),
    ] {
        let mut all = vec!["report"];
        all.extend(args.iter().copied());
        let r = meshgate_in(root, &all);
        assert_eq!(r.code, 2, "{all:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{all:?}: {}", r.stderr);
    }
}
