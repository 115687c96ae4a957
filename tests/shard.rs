//! `check --shard K/N`, `merge` and `check --from`: the shards of a run, merged, are the run.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{meshgate, repo, statuses, write, Run};

const NOW: &str = "2026-01-01T00:00:00Z";

/// Runs `check MESH --format json` with `extra` flags and returns the output (asserting exit 0
/// or 1, a completed check).
fn check_json(mesh: &str, extra: &[&str]) -> Run {
    let mut args = vec!["check", mesh, "--format", "json", "--now", NOW];
    args.extend_from_slice(extra);
    let r = meshgate(&args);
    assert!(r.code == 0 || r.code == 1, "{mesh} {extra:?}: {}", r.stderr);
    r
}

/// Saves each shard's JSON result of `check MESH --shard K/N` in `dir`; returns the files.
fn shards(mesh: &str, n: u32, dir: &Path, extra: &[&str]) -> Vec<PathBuf> {
    (1..=n)
        .map(|k| {
            let shard = format!("{k}/{n}");
            let mut flags = vec!["--shard", shard.as_str()];
            flags.extend_from_slice(extra);
            let r = check_json(mesh, &flags);
            let file = dir.join(format!("shard-{k}-of-{n}.json"));
            std::fs::write(&file, r.stdout).unwrap();
            file
        })
        .collect()
}

fn merge(files: &[PathBuf]) -> Run {
    let mut args = vec!["merge".to_string()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    meshgate(&args)
}

#[test]
fn merged_shards_equal_the_whole_run_byte_for_byte() {
    for mesh in ["fixtures/mesh", "fixtures/standards"] {
        let full = check_json(mesh, &[]);
        for n in [1, 3] {
            let dir = tempfile::tempdir().unwrap();
            let files = shards(mesh, n, dir.path(), &[]);
            let merged = merge(&files);
            assert_eq!(merged.code, 0, "{mesh}: {}", merged.stderr);
            assert_eq!(merged.stdout, full.stdout, "{mesh}, {n} shards");
        }
    }
}

#[test]
fn merged_shards_of_a_scoped_run_equal_the_scoped_run() {
    let mesh = "fixtures/mesh/domains/orders";
    let full = check_json(mesh, &[]);
    let dir = tempfile::tempdir().unwrap();
    let files = shards(mesh, 2, dir.path(), &[]);
    for f in &files {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        for (path, status) in statuses(&doc) {
            if status != "not-selected" {
                assert!(
                    path.starts_with("domains/orders/"),
                    "{path} outside the scope"
                );
            }
        }
    }
    let merged = merge(&files);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert_eq!(merged.stdout, full.stdout);
}

/// The products each shard checks, with their descriptor sizes.
fn checked_by_shard(mesh: &str, n: u32) -> Vec<BTreeMap<String, u64>> {
    let dir = tempfile::tempdir().unwrap();
    shards(mesh, n, dir.path(), &[])
        .iter()
        .map(|f| {
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            assert_eq!(doc["shard"], format!("{}/{n}", shard_index(f)));
            statuses(&doc)
                .into_iter()
                .filter(|(_, s)| s != "not-selected")
                .map(|(p, _)| {
                    let size = std::fs::metadata(repo().join(mesh).join(&p)).unwrap().len();
                    (p, size)
                })
                .collect()
        })
        .collect()
}

fn shard_index(file: &Path) -> String {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    name.trim_start_matches("shard-")
        .split('-')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn every_product_is_in_exactly_one_shard_and_shards_are_balanced_by_size() {
    for mesh in ["fixtures/mesh", "fixtures/standards"] {
        let full = check_json(mesh, &[]);
        let doc: serde_json::Value = serde_json::from_str(&full.stdout).unwrap();
        let all: Vec<String> = statuses(&doc).into_keys().collect();
        for n in [2, 3, 4] {
            let by_shard = checked_by_shard(mesh, n);
            let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
            for shard in &by_shard {
                for p in shard.keys() {
                    *seen.entry(p).or_default() += 1;
                }
            }
            for p in &all {
                assert_eq!(seen.get(p.as_str()), Some(&1), "{mesh}, {n} shards: {p}");
            }
            // Greedy largest-first: no shard exceeds another by more than the largest
            // descriptor, and none is empty while there are at least N products.
            let loads: Vec<u64> = by_shard.iter().map(|s| s.values().sum()).collect();
            let largest = by_shard
                .iter()
                .flat_map(|s| s.values())
                .max()
                .copied()
                .unwrap();
            let (lo, hi) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
            assert!(hi - lo <= largest, "{mesh}, {n} shards: loads {loads:?}");
            assert!(by_shard.iter().all(|s| !s.is_empty()), "{mesh}: {loads:?}");
        }
    }
}

#[test]
fn a_shard_says_so_in_the_human_summary_and_in_the_listing() {
    let r = meshgate(&[
        "check",
        "fixtures/mesh",
        "--shard",
        "2/3",
        "--color",
        "never",
    ]);
    assert!(
        r.stdout
            .contains("Shard 2/3: checked 6 products, the other 2 shards check the rest"),
        "{}",
        r.stdout
    );
    // --list-products lists the shard's products only.
    let listed = |shard: &str| -> Vec<String> {
        let r = meshgate(&[
            "check",
            "fixtures/mesh",
            "--list-products",
            "--format",
            "json",
            "--shard",
            shard,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        doc["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["path"].as_str().unwrap().to_string())
            .collect()
    };
    let whole = listed("1/1");
    let parts: Vec<Vec<String>> = ["1/2", "2/2"].iter().map(|s| listed(s)).collect();
    assert!(!parts[0].is_empty() && !parts[1].is_empty());
    let mut joined: Vec<String> = parts.concat();
    joined.sort();
    assert_eq!(joined, whole);
}

#[test]
fn a_shard_does_not_depend_on_the_thread_count() {
    let one = check_json("fixtures/mesh", &["--shard", "2/3", "--threads", "1"]);
    let four = check_json("fixtures/mesh", &["--shard", "2/3", "--threads", "4"]);
    assert_eq!(one.stdout, four.stdout);
}

#[test]
fn bad_shards_are_usage_errors() {
    for bad in [
        "0/2", "3/2", "1/0", "0/0", "x", "1/x", "2", "1/2/3", "-1/2", "",
    ] {
        let flag = format!("--shard={bad}");
        let r = meshgate(&["check", "fixtures/mesh", &flag]);
        assert_eq!(r.code, 2, "--shard {bad:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("--shard <K/N>") && r.stderr.contains("1 <= K <= N"),
            "--shard {bad:?}: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn merge_rejects_an_incomplete_or_repeated_set_of_shards() {
    let dir = tempfile::tempdir().unwrap();
    let files = shards("fixtures/mesh", 3, dir.path(), &[]);
    let r = merge(&files[..2]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("shard is 3/3 missing"), "{}", r.stderr);
    assert!(r.stdout.is_empty());

    let r = merge(&[files[0].clone(), files[1].clone(), files[1].clone()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("are both shard 2/3"), "{}", r.stderr);

    let halves = shards("fixtures/mesh", 2, dir.path(), &[]);
    let r = merge(&[files[0].clone(), halves[1].clone()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("the same N"), "{}", r.stderr);
}

#[test]
fn merge_rejects_results_of_different_runs() {
    let dir = tempfile::tempdir().unwrap();
    let save = |name: &str, text: &str| {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        f
    };
    let mesh = save("mesh.json", &check_json("fixtures/mesh", &[]).stdout);
    let standards = save(
        "standards.json",
        &check_json("fixtures/standards", &[]).stdout,
    );
    let r = merge(&[mesh.clone(), standards.clone()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("mesh.json and") && r.stderr.contains("standards.json"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("their meshes"), "{}", r.stderr);

    let never = save(
        "never.json",
        &check_json("fixtures/mesh", &["--fail-on", "never"]).stdout,
    );
    let r = merge(&[mesh.clone(), never]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--fail-on"), "{}", r.stderr);

    // The same product checked in two inputs with different results.
    let text = std::fs::read_to_string(&mesh).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let product = doc["products"][0]["path"].as_str().unwrap().to_string();
    let status = doc["products"][0]["status"].as_str().unwrap().to_string();
    doc["products"][0]["status"] = if status == "pass" { "fail" } else { "pass" }.into();
    let edited = save("edited.json", &serde_json::to_string(&doc).unwrap());
    let r = merge(&[mesh.clone(), edited]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains(&format!("both checked {product} with different results")),
        "{}",
        r.stderr
    );

    // The same product checked twice alike is one result.
    let r = merge(&[mesh.clone(), mesh.clone()]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let future = save(
        "future.json",
        &text.replacen("\"version\": 2", "\"version\": 99", 1),
    );
    let r = merge(&[mesh.clone(), future]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("future.json: JSON schema version 99"),
        "{}",
        r.stderr
    );

    let broken = save(
        "broken.json",
        "{\n  \"version\": 2,\n  \"products\": [,]\n}\n",
    );
    let r = merge(&[broken]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("broken.json:3:"), "{}", r.stderr);

    let r = meshgate(&["merge"]);
    assert_eq!(r.code, 2, "no inputs: {}", r.stderr);
}

#[test]
fn from_renders_a_saved_or_merged_result_as_the_check_does() {
    let dir = tempfile::tempdir().unwrap();
    let files = shards("fixtures/mesh", 3, dir.path(), &[]);
    let merged = merge(&files);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    let saved = dir.path().join("all.json");
    std::fs::write(&saved, &merged.stdout).unwrap();
    let saved = saved.display().to_string();
    for format in [
        "human", "sarif", "junit", "github", "gitlab", "markdown", "json",
    ] {
        let direct = meshgate(&[
            "check",
            "fixtures/mesh",
            "--format",
            format,
            "--now",
            NOW,
            "--color",
            "never",
        ]);
        let from = meshgate(&[
            "check",
            "fixtures/mesh",
            "--from",
            &saved,
            "--format",
            format,
            "--color",
            "never",
        ]);
        assert_eq!(from.code, direct.code, "{format}: {}", from.stderr);
        assert_eq!(from.stdout, direct.stdout, "{format}");
    }
    // The human format's snippets come from the mesh at PATH.
    let human = meshgate(&[
        "check",
        "fixtures/mesh",
        "--from",
        &saved,
        "--color",
        "never",
    ]);
    assert!(human.stdout.contains(" | "), "{}", human.stdout);
}

#[test]
fn from_does_not_take_evaluation_flags() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.json");
    write(
        dir.path(),
        "r.json",
        check_json("fixtures/mesh", &[]).stdout,
    );
    let f = f.display().to_string();
    for flags in [
        vec!["--shard", "1/2"],
        vec!["--fail-on", "never"],
        vec!["--baseline", "b.json"],
    ] {
        let mut args = vec!["check", "fixtures/mesh", "--from", &f];
        args.extend(flags.iter().copied());
        let r = meshgate(&args);
        assert_eq!(r.code, 2, "{flags:?}");
        assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
    }
}

#[test]
fn report_from_a_merged_result_equals_report_from_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let files = shards("fixtures/mesh", 2, dir.path(), &[]);
    let merged = dir.path().join("all.json");
    std::fs::write(&merged, merge(&files).stdout).unwrap();
    let whole = dir.path().join("whole.json");
    std::fs::write(&whole, check_json("fixtures/mesh", &[]).stdout).unwrap();
    let report = |f: &Path| {
        let r = meshgate(&[
            "report",
            "fixtures/mesh",
            "--from",
            &f.display().to_string(),
            "--format",
            "json",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    assert_eq!(report(&merged), report(&whole));
}

/// A mesh of three products with a policy, a used waiver and an expired one.
fn waived_mesh(extra_waiver: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    for (name, body) in [
        ("daily", "name: daily\nkind: x\n"),
        ("weekly", "name: weekly\nowner: o\n"),
        (
            "monthly",
            "name: monthly\nowner: o\nextra: padding padding padding\n",
        ),
    ] {
        write(
            root,
            &format!("domains/orders/products/{name}/dataproduct.yaml"),
            body,
        );
    }
    write(
        root,
        "policies/owner.rego",
        "package gov.owner\n\ndeny contains {\"msg\": \"no owner\", \"id\": \"owner-missing\"} if not input.owner\n\nwarn contains \"no kind\" if not input.kind\n",
    );
    let waiver = |product: &str, expires: &str| {
        format!("  - product: domains/orders/products/{product}/dataproduct.yaml\n    policy: gov.owner\n    reason: migrating\n    approved_by: board\n    expires: {expires}\n")
    };
    write(
        root,
        "waivers.yaml",
        format!(
            "waivers:\n{}{}{extra_waiver}",
            waiver("daily", "2026-03-01"),
            waiver("weekly", "2025-12-01")
        ),
    );
    t
}

fn json_here(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["check", ".", "--format", "json", "--now", NOW];
    args.extend_from_slice(extra);
    let r = common::meshgate_in(dir, &args);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    r.stdout
}

fn merged_here(dir: &Path, n: u32) -> String {
    let files: Vec<String> = (1..=n)
        .map(|k| {
            let f = dir.join(format!("s{k}.json"));
            std::fs::write(&f, json_here(dir, &["--shard", &format!("{k}/{n}")])).unwrap();
            f.display().to_string()
        })
        .collect();
    let mut args = vec!["merge"];
    args.extend(files.iter().map(String::as_str));
    let r = common::meshgate_in(dir, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

#[test]
fn merged_shards_keep_waived_findings_and_waiver_problems() {
    let t = waived_mesh("");
    let full = json_here(t.path(), &[]);
    let doc: serde_json::Value = serde_json::from_str(&full).unwrap();
    assert_eq!(doc["summary"]["waived"], 1, "{doc:#}");
    assert!(
        full.contains("meshgate.waiver"),
        "an expired waiver: {full}"
    );
    assert_eq!(merged_here(t.path(), 2), full);
    assert_eq!(merged_here(t.path(), 3), full);
}

#[test]
fn a_waiver_no_shard_uses_is_not_reported_unused_after_merge() {
    // Documented: a shard cannot know whether another shard uses a waiver, as a PATH-scoped
    // run cannot; the unsharded run reports it.
    let unused = "  - product: domains/orders/products/gone/dataproduct.yaml\n    policy: gov.owner\n    reason: migrating\n    approved_by: board\n    expires: 2026-03-01\n";
    let t = waived_mesh(unused);
    let full = json_here(t.path(), &[]);
    assert!(full.contains("\"unused\""), "{full}");
    let merged = merge_doc(&merged_here(t.path(), 2));
    let full = merge_doc(&full);
    assert_eq!(merged["products"], full["products"]);
    assert_eq!(
        merged["summary"]["findings"]["warning"].as_u64().unwrap() + 1,
        full["summary"]["findings"]["warning"].as_u64().unwrap()
    );
}

fn merge_doc(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn exit_codes_survive_merge_and_from() {
    // A descriptor that does not parse (exit 1), then also a policy that errors (exit 2).
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    write(
        root,
        "domains/o/products/a/dataproduct.yaml",
        "name: a\nkey: [unclosed\n",
    );
    write(
        root,
        "domains/o/products/b/dataproduct.yaml",
        "name: b\nn: 0\n",
    );
    write(
        root,
        "policies/x.rego",
        "package gov.x\n\ndeny contains \"no owner\" if not input.owner\n",
    );
    for (expected, policy) in [
        (1, None),
        (
            2,
            Some("package gov.div\n\ndeny contains msg if {\n\tx := 1 / input.n\n\tmsg := sprintf(\"%v\", [x])\n}\n"),
        ),
    ] {
        if let Some(text) = policy {
            write(root, "policies/div.rego", text);
        }
        let full = common::meshgate_in(root, &["check", ".", "--format", "json"]);
        assert_eq!(full.code, expected, "{}", full.stderr);
        std::fs::write(root.join("full.json"), &full.stdout).unwrap();
        let from = common::meshgate_in(root, &["check", ".", "--from", "full.json", "--format", "json"]);
        assert_eq!(from.code, expected, "{}", from.stderr);
        assert_eq!(from.stdout, full.stdout);
        for k in 1..=2 {
            let s = common::meshgate_in(
                root,
                &["check", ".", "--format", "json", "--shard", &format!("{k}/2")],
            );
            std::fs::write(root.join(format!("s{k}.json")), s.stdout).unwrap();
        }
        let merged = common::meshgate_in(root, &["merge", "s1.json", "s2.json", "-o", "all.json"]);
        assert_eq!(merged.code, 0, "{}", merged.stderr);
        assert_eq!(
            std::fs::read_to_string(root.join("all.json")).unwrap(),
            full.stdout
        );
        let gate = common::meshgate_in(root, &["check", ".", "--from", "all.json"]);
        assert_eq!(gate.code, expected, "{}", gate.stderr);
    }
}
