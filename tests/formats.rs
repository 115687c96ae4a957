//! The CI formats (`check --format sarif|junit|github|gitlab|markdown`): a snapshot of each on
//! the example mesh, and a test for each constraint the consuming CI system imposes.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{meshgate, write, Run};
use serde_json::Value;

const FORMATS: [&str; 5] = ["sarif", "junit", "github", "gitlab", "markdown"];
const DESCRIPTOR: &str = "apiVersion: v1.0.0\nkind: DataProduct\nid: daily-orders\nname: daily\nstatus: active\ndomain: orders\n";

/// Runs `check <root> --format <format>` with no GitHub variables set.
fn check(root: &Path, format: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "check".to_string(),
        root.display().to_string(),
        "--format".to_string(),
        format.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_env(Path::new(env!("CARGO_MANIFEST_DIR")), &args, &[])
}

/// Runs meshgate in `dir` with `env` set and the GitHub variables cleared.
fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_meshgate"));
    cmd.args(args).current_dir(dir);
    for k in [
        "GITHUB_STEP_SUMMARY",
        "GITHUB_SERVER_URL",
        "GITHUB_REPOSITORY",
        "GITHUB_RUN_ID",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run meshgate");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn fixture_mesh() -> PathBuf {
    common::repo().join("fixtures/mesh")
}

/// A mesh whose one policy reports `errors` error, `warnings` warning and `infos` info
/// findings on its one product, each message carrying `%`, `:`, `,` and a newline.
fn noisy_mesh(errors: usize, warnings: usize, infos: usize) -> tempfile::TempDir {
    let t = common::mesh_with_product(DESCRIPTOR);
    write(
        t.path(),
        "policies/noisy.rego",
        format!(
            r#"# METADATA
# title: Noisy
# description: Reports many findings.
# custom:
#   severity: error
#   remediation: Quieten it.
package test.noisy

deny contains {{"msg": sprintf("error %d: 100%% sure,\nreally", [i]), "id": sprintf("e%d", [i]), "path": "status"}} if {{
  {errors} > 0
  some i in numbers.range(1, {errors})
}}

warn contains {{"msg": sprintf("warning %d", [i]), "id": sprintf("w%d", [i])}} if {{
  {warnings} > 0
  some i in numbers.range(1, {warnings})
}}

deny contains {{"msg": sprintf("note %d", [i]), "id": sprintf("n%d", [i]), "severity": "info"}} if {{
  {infos} > 0
  some i in numbers.range(1, {infos})
}}
"#
        ),
    );
    t
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", run.stdout))
}

fn snapshot_text(format: &str) -> String {
    let r = check(&fixture_mesh(), format, &[]);
    assert_eq!(r.code, 1, "{format}: {}", r.stderr);
    assert_eq!(r.stderr, "", "{format}");
    r.stdout.replace(env!("CARGO_PKG_VERSION"), "[version]")
}

#[test]
fn example_mesh_sarif() {
    insta::assert_snapshot!("example_mesh_sarif", snapshot_text("sarif"));
}

#[test]
fn example_mesh_junit() {
    insta::assert_snapshot!("example_mesh_junit", snapshot_text("junit"));
}

#[test]
fn example_mesh_github() {
    insta::assert_snapshot!("example_mesh_github", snapshot_text("github"));
}

#[test]
fn example_mesh_gitlab() {
    insta::assert_snapshot!("example_mesh_gitlab", snapshot_text("gitlab"));
}

#[test]
fn example_mesh_markdown() {
    insta::assert_snapshot!("example_mesh_markdown", snapshot_text("markdown"));
}

#[test]
fn every_format_is_the_same_bytes_whatever_the_thread_count() {
    for format in FORMATS {
        let one = check(&fixture_mesh(), format, &["--threads", "1"]);
        let four = check(&fixture_mesh(), format, &["--threads", "4"]);
        assert_eq!(one.stdout, four.stdout, "{format}");
        assert!(!one.stdout.is_empty(), "{format}");
    }
}

#[test]
fn paths_are_repo_relative_without_dot_slash() {
    // Given as `./fixtures/mesh`, and run from inside the mesh as `.`: the same paths.
    let given = check(Path::new("./fixtures/mesh"), "gitlab", &[]);
    let inside = run_env(&fixture_mesh(), &["check", ".", "--format", "gitlab"], &[]);
    assert_eq!(given.stdout, inside.stdout);
    for issue in json(&given).as_array().unwrap() {
        let path = issue["location"]["path"].as_str().unwrap();
        assert!(path.starts_with("domains/"), "{path}");
    }
    let sarif = json(&check(Path::new("./fixtures/mesh"), "sarif", &[]));
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.starts_with("domains/"), "{uri}");
    }
    let github = check(Path::new("./fixtures/mesh"), "github", &[]);
    for line in github.stdout.lines().filter(|l| l.contains("file=")) {
        assert!(line.contains(" file=domains/"), "{line}");
    }
}

// ---------------------------------------------------------------------------------- SARIF

fn results(doc: &Value) -> &Vec<Value> {
    doc["runs"][0]["results"].as_array().expect("results")
}

#[test]
fn sarif_locations_are_never_empty_and_one_based() {
    // Findings located by the policy, and findings without a path (the message is about the
    // whole product): every result has a location, lines and columns at least 1.
    let t = noisy_mesh(2, 2, 2);
    let r = check(t.path(), "sarif", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = json(&r);
    let rs = results(&doc);
    assert_eq!(rs.len(), 6);
    for res in rs
        .iter()
        .chain(results(&json(&check(&fixture_mesh(), "sarif", &[]))))
    {
        let locs = res["locations"].as_array().unwrap();
        assert!(!locs.is_empty(), "{res}");
        let loc = &locs[0]["physicalLocation"];
        assert!(!loc["artifactLocation"]["uri"].as_str().unwrap().is_empty());
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &loc["region"];
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[key].as_u64().unwrap() >= 1, "{key} in {res}");
        }
    }
    // The warnings carry no path: they point at the product file, line 1.
    let warning = rs.iter().find(|r| r["level"] == "warning").unwrap();
    let loc = &warning["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "domains/orders/products/daily/dataproduct.yaml"
    );
    assert_eq!(loc["region"]["startLine"], 1);
    assert_eq!(loc["region"]["startColumn"], 1);
    // The errors point at `status` (line 5).
    let error = rs.iter().find(|r| r["level"] == "error").unwrap();
    assert_eq!(
        error["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    assert_eq!(error["ruleId"], "test.noisy");
    assert_eq!(error["properties"]["code"], "test.noisy/e1");
    let note = rs.iter().find(|r| r["level"] == "note").unwrap();
    assert_eq!(note["ruleId"], "test.noisy");
}

#[test]
fn sarif_rules_come_from_metadata_and_the_registry() {
    let doc = json(&check(&fixture_mesh(), "sarif", &[]));
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "meshgate");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    // Every shipped policy, and the built-in rules that occur (only those).
    assert!(ids.contains(&"governance.ownership"), "{ids:?}");
    assert!(
        ids.contains(&"meshgate.layout/duplicate-product"),
        "{ids:?}"
    );
    assert!(!ids.contains(&"meshgate.parse/syntax"), "{ids:?}");
    let ownership = rules
        .iter()
        .find(|r| r["id"] == "governance.ownership")
        .unwrap();
    assert!(!ownership["shortDescription"]["text"]
        .as_str()
        .unwrap()
        .is_empty());
    assert!(!ownership["fullDescription"]["text"]
        .as_str()
        .unwrap()
        .is_empty());
    assert!(!ownership["help"]["text"].as_str().unwrap().is_empty());
    assert_eq!(ownership["defaultConfiguration"]["level"], "error");
    for res in results(&doc) {
        let id = res["ruleId"].as_str().unwrap();
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], id, "{res}");
    }
    let inv = &run["invocations"][0];
    assert_eq!(inv["exitCode"], 1);
    assert_eq!(inv["executionSuccessful"], true);
}

#[test]
fn sarif_rule_descriptions_are_cut_at_1024_characters() {
    let t = common::mesh_with_product(DESCRIPTOR);
    let long = "é".repeat(3000);
    write(
        t.path(),
        "policies/long.rego",
        format!(
            "# METADATA\n# title: {long}\n# description: {long}\npackage test.long\n\ndeny contains \"x\" if {{ true }}\n"
        ),
    );
    let doc = json(&check(t.path(), "sarif", &[]));
    let rule = &doc["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["id"], "test.long");
    for key in ["shortDescription", "fullDescription"] {
        let text = rule[key]["text"].as_str().unwrap();
        assert_eq!(text.chars().count(), 1024, "{key}");
        assert!(text.ends_with('…'));
    }
}

#[test]
fn sarif_fingerprints_survive_line_shifts() {
    let t = noisy_mesh(1, 0, 0);
    let before = json(&check(t.path(), "sarif", &[]));
    write(
        t.path(),
        "domains/orders/products/daily/dataproduct.yaml",
        format!("# a comment\n\n{DESCRIPTOR}"),
    );
    let after = json(&check(t.path(), "sarif", &[]));
    let fp = |d: &Value| results(d)[0]["partialFingerprints"]["primaryLocationLineHash"].clone();
    let line = |d: &Value| {
        results(d)[0]["locations"][0]["physicalLocation"]["region"]["startLine"].clone()
    };
    assert_eq!(line(&before), 5);
    assert_eq!(line(&after), 7);
    assert_eq!(fp(&before), fp(&after));
    assert_eq!(fp(&before).as_str().unwrap().len(), 16);
}

#[test]
fn sarif_run_errors_are_notifications_and_stdout_holds_only_the_log() {
    let r = check(
        &common::repo().join("fixtures/bad/policy-syntax"),
        "sarif",
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    // The error goes to stderr; stdout parses as one SARIF document.
    assert!(r.stderr.contains("meshgate: error:"), "{}", r.stderr);
    let doc = json(&r);
    assert_eq!(doc["version"], "2.1.0");
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["exitCode"], 2);
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert!(!notes.is_empty());
    for n in notes {
        assert_eq!(n["level"], "error");
        assert!(!n["message"]["text"].as_str().unwrap().is_empty());
        let uri = n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.ends_with(".rego"), "{uri}");
    }
}

/// The SARIF Multitool: `$MESHGATE_SARIF_MULTITOOL`, else where `.ci/run` installs it, else
/// `sarif-multitool` on the PATH.
fn multitool() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MESHGATE_SARIF_MULTITOOL") {
        return Some(PathBuf::from(p));
    }
    let ci = common::repo().join(".ci/cache/sarif-multitool/node_modules/.bin/sarif-multitool");
    if ci.exists() {
        return Some(ci);
    }
    Command::new("sarif-multitool")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("sarif-multitool"))
}

/// The error-level results of validating `sarif` (the validator's own SARIF log): a result
/// whose level is `error`, or that has no level and whose rule defaults to `error`.
fn validation_errors(tool: &Path, sarif: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("meshgate.sarif");
    let output = dir.path().join("validation.sarif");
    std::fs::write(&input, sarif).unwrap();
    let out = Command::new(tool)
        .arg("validate")
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .args(["--log", "ForceOverwrite"])
        .output()
        .expect("run the SARIF Multitool");
    let log = std::fs::read_to_string(&output).unwrap_or_else(|e| {
        panic!(
            "the SARIF Multitool wrote no log ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let log: Value = serde_json::from_str(&log).unwrap();
    let run = &log["runs"][0];
    let defaults: BTreeMap<&str, &str> = run["tool"]["driver"]["rules"]
        .as_array()
        .map(|rules| {
            rules
                .iter()
                .filter_map(|r| {
                    Some((
                        r["id"].as_str()?,
                        r["defaultConfiguration"]["level"].as_str()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    run["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            let level = r["level"].as_str().or_else(|| {
                r["ruleId"]
                    .as_str()
                    .and_then(|id| defaults.get(id).copied())
            });
            level == Some("error")
        })
        .map(|r| r.to_string())
        .collect()
}

#[test]
fn sarif_passes_the_sarif_multitool_validator() {
    let Some(tool) = multitool() else {
        eprintln!(
            "SKIPPED: the SARIF Multitool is not installed (.ci/run installs it; or set MESHGATE_SARIF_MULTITOOL)"
        );
        return;
    };
    let noisy = noisy_mesh(3, 2, 2);
    for root in [
        fixture_mesh(),
        common::repo().join("fixtures/bad/policy-syntax"),
        common::repo().join("fixtures/bad/policy-runtime"),
        noisy.path().to_path_buf(),
    ] {
        let r = check(&root, "sarif", &[]);
        let errors = validation_errors(&tool, &r.stdout);
        assert!(errors.is_empty(), "{}: {errors:#?}", root.display());
    }
    // Waived results (suppressions) and a baseline (baselineState) validate too.
    write(
        noisy.path(),
        "waivers.yaml",
        "waivers:\n  - product: domains/**\n    policy: test.noisy\n    rule: e1\n    reason: r\n    approved_by: b\n    expires: 2026-02-01\n",
    );
    let baseline = noisy.path().join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    let now = ["--now", "2026-01-15T00:00:00Z"];
    let written = check(
        noisy.path(),
        "json",
        &[&now[..], &["--write-baseline", baseline]].concat(),
    );
    assert_eq!(written.code, 0, "{}", written.stderr);
    let r = check(
        noisy.path(),
        "sarif",
        &[&now[..], &["--baseline", baseline]].concat(),
    );
    assert!(r.stdout.contains("\"suppressions\"") && r.stdout.contains("\"baselineState\""));
    let errors = validation_errors(&tool, &r.stdout);
    assert!(errors.is_empty(), "waivers and baseline: {errors:#?}");
    // The validator does catch a broken log (so an empty list above means something).
    let broken = check(&fixture_mesh(), "sarif", &[]).stdout.replacen(
        "\"startLine\": 5,",
        "\"startLine\": 0,",
        1,
    );
    assert!(!validation_errors(&tool, &broken).is_empty());
}

// --------------------------------------------------------------------------------- GitHub

#[test]
fn github_keeps_within_the_annotation_limits_most_severe_first() {
    let t = noisy_mesh(25, 12, 15);
    let r = check(t.path(), "github", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let level = |l: &str| l[2..].split([' ', ':']).next().unwrap().to_string();
    let levels: Vec<String> = lines.iter().map(|l| level(l)).collect();
    let count = |name: &str| levels.iter().filter(|l| *l == name).count();
    assert_eq!(count("error"), 10);
    assert_eq!(count("warning"), 10);
    assert_eq!(count("notice"), 10, "9 findings and the closing notice");
    // Errors, then warnings, then notices.
    let rank = |l: &str| match l {
        "error" => 0,
        "warning" => 1,
        _ => 2,
    };
    assert!(
        levels.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "{levels:?}"
    );
    let last = lines.last().unwrap();
    assert!(
        last.starts_with("::notice title=meshgate%3A more findings::"),
        "{last}"
    );
    assert!(
        last.contains("23 more findings are not shown as annotations (52 in all"),
        "{last}"
    );
    assert!(last.contains("job summary"), "{last}");
    // On GitHub Actions, the notice links the run's page.
    let r = run_env(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "check",
            &t.path().display().to_string(),
            "--format",
            "github",
        ],
        &[
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "acme/mesh"),
            ("GITHUB_RUN_ID", "42"),
        ],
    );
    let last = r.stdout.lines().last().unwrap();
    assert!(
        last.ends_with(
            "The full report is in the job summary: https%3A//github.com/acme/mesh/actions/runs/42"
        ) || last.ends_with(
            "The full report is in the job summary: https://github.com/acme/mesh/actions/runs/42"
        ),
        "{last}"
    );
    // Within the limits, no closing notice.
    let r = check(noisy_mesh(10, 10, 10).path(), "github", &[]);
    assert_eq!(r.stdout.lines().count(), 30);
    assert!(!r.stdout.contains("more findings"));
}

#[test]
fn github_escapes_messages_and_properties() {
    let t = noisy_mesh(1, 0, 0);
    let r = check(t.path(), "github", &[]);
    let line = r.stdout.lines().next().unwrap();
    // Message: `%` first, then CR/LF; `:` and `,` stay.
    assert!(
        line.ends_with("::error 1: 100%25 sure,%0Areally%0Ahelp: Quieten it."),
        "{line}"
    );
    // Properties: also `:` and `,` (the title holds the code `test.noisy/e1`).
    assert!(
        line.starts_with("::error file=domains/orders/products/daily/dataproduct.yaml,line=5,col=9,endLine=5,endColumn=15,title=meshgate test.noisy/e1::"),
        "{line}"
    );
    // One command per line: the newline in the message did not break it.
    assert_eq!(r.stdout.lines().count(), 1);
}

#[test]
fn github_appends_the_job_summary_when_asked() {
    let t = noisy_mesh(2, 1, 0);
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let s = summary.display().to_string();
    let args = [
        "check",
        &t.path().display().to_string(),
        "--format",
        "github",
    ];
    let r = run_env(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &args,
        &[("GITHUB_STEP_SUMMARY", &s)],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("earlier step\n### meshgate: failed"),
        "{text}"
    );
    assert!(text.contains("<details>"), "{text}");
    // The summary is not on stdout, which holds only workflow commands.
    assert!(
        r.stdout.lines().all(|l| l.starts_with("::")),
        "{}",
        r.stdout
    );
    // Without the variable, no file is written anywhere.
    let before = std::fs::read_to_string(&summary).unwrap();
    check(t.path(), "github", &[]);
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), before);
}

// --------------------------------------------------------------------------------- GitLab

#[test]
fn gitlab_fingerprints_are_unique_and_line_free() {
    // The same message twice in one file, without a path: told apart, not merged.
    let t = common::mesh_with_product(DESCRIPTOR);
    write(
        t.path(),
        "policies/twice.rego",
        "package test.twice\n\ndeny contains {\"msg\": \"same\", \"path\": p} if { some p in [\"status\", \"name\"] }\n\ndeny contains \"plain\" if { true }\n",
    );
    let doc = json(&check(t.path(), "gitlab", &[]));
    let issues = doc.as_array().unwrap();
    assert_eq!(issues.len(), 3, "{doc:#}");
    let fps: HashSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fps.len(), 3);
    for i in issues {
        assert!(i["description"]
            .as_str()
            .unwrap()
            .starts_with("test.twice/"));
        assert_eq!(i["check_name"], "test.twice/deny");
        assert_eq!(i["severity"], "critical");
        assert_eq!(
            i["location"]["path"],
            "domains/orders/products/daily/dataproduct.yaml"
        );
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
    // Shifting every line leaves every fingerprint as it was.
    write(
        t.path(),
        "domains/orders/products/daily/dataproduct.yaml",
        format!("# moved\n\n\n{DESCRIPTOR}"),
    );
    let shifted = json(&check(t.path(), "gitlab", &[]));
    let fps2: HashSet<&str> = shifted
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fps, fps2);
    // Whole-mesh fixtures: unique too, severities on GitLab's scale.
    for root in [
        fixture_mesh(),
        common::repo().join("fixtures/bad/policy-runtime"),
    ] {
        let doc = json(&check(&root, "gitlab", &[]));
        let issues = doc.as_array().unwrap();
        let fps: HashSet<&str> = issues
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        assert_eq!(fps.len(), issues.len(), "{}", root.display());
        for i in issues {
            let s = i["severity"].as_str().unwrap();
            assert!(
                ["info", "minor", "major", "critical", "blocker"].contains(&s),
                "{s}"
            );
        }
        if root.ends_with("policy-runtime") {
            assert!(issues.iter().any(|i| i["severity"] == "blocker"));
        }
    }
}

// ---------------------------------------------------------------------------------- JUnit

#[test]
fn junit_cases_have_classnames_times_and_unique_names() {
    for root in [
        fixture_mesh(),
        common::repo().join("fixtures/bad/policy-runtime"),
        common::repo().join("fixtures/bad/policy-syntax"),
    ] {
        let r = check(&root, "junit", &[]);
        let report = quick_junit::Report::deserialize_from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", root.display(), r.stdout));
        assert!(!report.test_suites.is_empty());
        for suite in &report.test_suites {
            let mut names = HashSet::new();
            assert!(!suite.test_cases.is_empty(), "{:?}", suite.name);
            for case in &suite.test_cases {
                assert!(
                    case.classname.as_ref().is_some_and(|c| !c.is_empty()),
                    "{:?}",
                    case.name
                );
                assert!(case.time.is_some(), "{:?}", case.name);
                assert!(
                    names.insert(case.name.as_str()),
                    "duplicate {:?}",
                    case.name
                );
            }
        }
    }
    // `time` in plain decimal notation on every testcase (no exponent, no unit).
    let xml = check(&fixture_mesh(), "junit", &[]).stdout;
    let cases: Vec<&str> = xml
        .match_indices("<testcase ")
        .map(|(i, _)| &xml[i..])
        .collect();
    assert!(cases.len() > 50);
    for c in cases {
        let tag = &c[..c.find('>').unwrap()];
        let t = tag.split("time=\"").nth(1).expect(tag);
        let t = &t[..t.find('"').unwrap()];
        assert!(
            !t.is_empty() && t.chars().all(|ch| ch.is_ascii_digit() || ch == '.'),
            "{tag}"
        );
    }
}

#[test]
fn junit_maps_outcomes_per_product_and_policy() {
    let xml = check(&fixture_mesh(), "junit", &[]).stdout;
    let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let names: Vec<&str> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["customers", "inventory", "logistics", "orders"]);
    let json_doc = json(&check(&fixture_mesh(), "json", &[]));
    // One testcase per product × policy of its set, plus the built-in checks that found
    // something on it.
    let customers = &report.test_suites[0];
    let outcomes: usize = json_doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["domain"] == "customers")
        .map(|p| p["outcomes"].as_str().unwrap().len())
        .sum();
    assert!(outcomes >= 4 * 7, "{outcomes}");
    let per_policy = customers
        .test_cases
        .iter()
        .filter(|c| !c.name.as_str().starts_with("meshgate."))
        .count();
    assert_eq!(per_policy, outcomes);
    let failures: usize = report.test_suites.iter().map(|s| s.failures).sum();
    assert!(failures > 0);
    let naming = customers
        .test_cases
        .iter()
        .find(|c| {
            c.name.as_str().starts_with(
                "governance.naming :: domains/customers/products/customer-churn-scores/",
            )
        })
        .unwrap();
    match &naming.status {
        quick_junit::TestCaseStatus::NonSuccess {
            message,
            description,
            ..
        } => {
            let m = message.as_ref().unwrap().as_str();
            assert!(
                m.starts_with("domains/customers/products/customer-churn-scores/customer-churn-scores.dpds.yaml:5:23: "),
                "{m}"
            );
            assert!(description.as_ref().unwrap().as_str().lines().count() >= 2);
        }
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------------------------- Markdown

#[test]
fn markdown_fits_a_pull_request_comment() {
    let t = common::mesh_with_product(DESCRIPTOR);
    write(
        t.path(),
        "policies/flood.rego",
        format!(
            "package test.flood\n\ndeny contains sprintf(\"finding %d: {}\", [i]) if {{ some i in numbers.range(1, 3000) }}\n",
            "x".repeat(80)
        ),
    );
    let r = check(t.path(), "markdown", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.len() <= 65_536, "{} bytes", r.stdout.len());
    assert!(r.stdout.len() > 60_000, "{} bytes", r.stdout.len());
    assert!(r
        .stdout
        .contains("findings are left out to keep this comment within GitHub's size limit"));
    assert_eq!(
        r.stdout.matches("<details>").count(),
        r.stdout.matches("</details>").count()
    );
    // The example mesh fits whole: one <details> per domain with findings.
    let md = check(&fixture_mesh(), "markdown", &[]).stdout;
    assert_eq!(md.matches("<details>").count(), 4);
    assert!(!md.contains("left out"));
}

#[test]
fn markdown_never_says_passed_when_it_did_not_gate() {
    let verdict = |extra: &[&str]| {
        let md = check(&fixture_mesh(), "markdown", extra).stdout;
        md.lines().next().unwrap_or_default().to_string()
    };
    assert_eq!(verdict(&[]), "### meshgate: failed");
    // `--fail-on never` exits 0 with error findings: the comment must not read "passed".
    assert_eq!(
        verdict(&["--fail-on", "never"]),
        "### meshgate: not gating (`--fail-on never`)"
    );
    let clean = common::mesh_with_product(DESCRIPTOR);
    write(
        clean.path(),
        "policies/none.rego",
        "package test.none

deny contains \"x\" if false
",
    );
    let md = check(clean.path(), "markdown", &["--fail-on", "never"]).stdout;
    assert!(md.starts_with("### meshgate: passed"), "{md}");
}

#[test]
fn list_products_refuses_the_ci_formats() {
    let r = meshgate(&[
        "check",
        "fixtures/mesh",
        "--list-products",
        "--format",
        "sarif",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("--list-products prints `human` or `json`, not `sarif`"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
}
