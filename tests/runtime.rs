//! Runtime robustness end to end: closed pipes, thread counts, policy output that breaks the
//! contract, runtime errors in `errors[]`, memory limits, tab-indented policies.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::{meshgate_in, write};

/// A mesh of `n` products that each fail several shipped policies: a report of megabytes.
fn big_failing_mesh(n: usize) -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("temp dir");
    for i in 0..n {
        write(
            t.path(),
            &format!("domains/orders/products/p{i:04}/dataproduct.yaml"),
            format!("apiVersion: v1.0.0\nkind: DataProduct\nid: p{i}\nname: p{i}\n"),
        );
    }
    t
}

#[test]
fn a_closed_pipe_is_a_quiet_exit_in_every_format() {
    let mesh = big_failing_mesh(400);
    let runs: [&[&str]; 4] = [
        &["check", ".", "--format", "human", "--color", "always"],
        &["check", ".", "--format", "json"],
        &["check", ".", "--list-products", "--format", "json"],
        &["check", ".", "--list-products"],
    ];
    for args in runs {
        // The whole output, to make sure it is larger than a pipe's buffer.
        let full = meshgate_in(mesh.path(), args);
        assert!(full.stdout.len() > 200_000 || args.contains(&"--list-products"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_meshgate"))
            .args(args)
            .current_dir(mesh.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run meshgate");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut first = [0u8; 64];
        stdout.read_exact(&mut first).expect("some output");
        drop(stdout);
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

/// A mesh with one product in domain `orders` and the global policy files given.
fn mesh_with_policies(policies: &[(&str, &str)]) -> tempfile::TempDir {
    let t = common::mesh_with_product("apiVersion: v1.0.0\nkind: DataProduct\nid: daily\n");
    for (name, text) in policies {
        write(t.path(), &format!("policies/{name}"), text);
    }
    t
}

fn json_in(dir: &std::path::Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let r = meshgate_in(dir, args);
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, v, r.stderr)
}

#[test]
fn columns_in_tab_indented_policies_count_characters_end_to_end() {
    // `opa fmt` indents with tabs; regorus counts a tab as 4 columns and puts the `7` of
    // `lower(7)` at column 28; it is character 19 (tabs mid-line too).
    let mesh = mesh_with_policies(&[(
        "tabs.rego",
        "package tabs\n\ndeny contains msg if {\n\t\tx := [1,\t\tlower(7)]\n\tmsg := sprintf(\"%v\", [x])\n}\n",
    )]);
    let (code, doc, _) = json_in(mesh.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2);
    let loc = &doc["findings"][0]["location"];
    assert_eq!(loc["file"], "policies/tabs.rego");
    assert_eq!(
        (loc["line"].as_u64(), loc["column"].as_u64()),
        (Some(4), Some(19))
    );
    let human = meshgate_in(mesh.path(), &["check", ".", "--color", "never"]);
    assert!(
        human.stdout.contains("--> policies/tabs.rego:4:19\n"),
        "{}",
        human.stdout
    );
    // The caret line copies the tabs of the source line, so the caret sits under the `7`.
    let source_line = "4 | \t\tx := [1,\t\tlower(7)]\n";
    let caret_line = "  | \t\t        \t\t      ^\n";
    assert!(
        human.stdout.contains(&format!("{source_line}{caret_line}")),
        "{}",
        human.stdout
    );
    // A rejected (recursive) rule whose head is indented: the same conversion.
    let mesh = mesh_with_policies(&[(
        "rec.rego",
        "package rec\n\ndeny contains \"x\" if f(1)\n\n\t\tf(x) := y if {\n\t\ty := f(x)\n}\n",
    )]);
    let (code, doc, _) = json_in(mesh.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2);
    assert_eq!(doc["errors"][0]["kind"], "policy-rejected");
    assert_eq!(
        line_col(&doc["errors"][0]["location"]),
        ("policies/rec.rego".to_string(), 5, 3)
    );
}

/// Runs meshgate in `dir`, killing it if it takes longer than `secs` seconds (then `None`).
fn run_with_deadline(dir: &std::path::Path, args: &[&str], secs: u64) -> Option<common::Run> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshgate"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run meshgate");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("wait");
    Some(common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

#[test]
fn absurd_thread_counts_are_capped_with_one_note_and_zero_means_all_cores() {
    let mesh = big_failing_mesh(3);
    let reference = meshgate_in(mesh.path(), &["check", ".", "--format", "json"]);
    assert_eq!(reference.code, 1, "{}", reference.stderr);
    for n in ["100000", "5000"] {
        let r = run_with_deadline(
            mesh.path(),
            &["check", ".", "--format", "json", "-j", n],
            20,
        )
        .unwrap_or_else(|| panic!("--threads {n} did not finish in 20 s"));
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_eq!(r.stdout, reference.stdout);
        assert_eq!(
            r.stderr.matches("meshgate: note: ").count(),
            1,
            "{}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&format!(
                "--threads {n} is more than this machine can use: using "
            )),
            "{}",
            r.stderr
        );
    }
    let zero = meshgate_in(
        mesh.path(),
        &["check", ".", "--format", "json", "--threads", "0"],
    );
    assert_eq!((zero.code, zero.stderr.as_str()), (1, ""));
    assert_eq!(zero.stdout, reference.stdout);
    // A reasonable count says nothing.
    let two = meshgate_in(
        mesh.path(),
        &["check", ".", "--format", "json", "--threads", "2"],
    );
    assert_eq!((two.code, two.stderr.as_str()), (1, ""));
}

fn findings_with_code<'a>(
    doc: &'a serde_json::Value,
    policy: &str,
    id: &str,
) -> Vec<&'a serde_json::Value> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["policy"] == policy && f["id"] == id)
        .collect()
}

fn line_col(v: &serde_json::Value) -> (String, u64, u64) {
    (
        v["file"].as_str().unwrap_or("").to_string(),
        v["line"].as_u64().unwrap_or(0),
        v["column"].as_u64().unwrap_or(0),
    )
}

#[test]
fn members_that_break_the_contract_are_located_at_their_rule() {
    let mesh = mesh_with_policies(&[(
        "contract.rego",
        "package contract\n\
         \n\
         deny contains \"a plain message\" if true\n\
         \n\
         deny contains {\"message\": \"no msg\", \"path\": \"id\"} if true\n\
         \n\
         warn contains {\"msg\": \"loud\", \"severity\": \"critical\"} if true\n",
    )]);
    let (code, doc, _) = json_in(mesh.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2);
    let errors = findings_with_code(&doc, "contract", "policy-error");
    assert_eq!(errors.len(), 2, "{errors:#?}");
    let no_msg = errors
        .iter()
        .find(|f| f["rule"] == "deny")
        .expect("the deny error");
    assert_eq!(
        no_msg["message"],
        "policy failed to evaluate: `deny` returned an object member without `msg`: object members need `msg` (a string); found keys: message, path"
    );
    // The second definition of `deny`, the one that returns `message`.
    assert_eq!(
        line_col(&no_msg["location"]),
        ("policies/contract.rego".to_string(), 5, 1)
    );
    let severity = errors
        .iter()
        .find(|f| f["rule"] == "warn")
        .expect("the warn error");
    assert!(
        severity["message"]
            .as_str()
            .unwrap_or("")
            .ends_with("`warn` returned a member with `severity` \"critical\": expected error, warning or info"),
        "{severity}"
    );
    assert_eq!(
        line_col(&severity["location"]),
        ("policies/contract.rego".to_string(), 7, 1)
    );
    // The product is in error; the good member is still reported.
    assert_eq!(doc["products"][0]["status"], "error");
    assert_eq!(findings_with_code(&doc, "contract", "").len(), 0);
    assert!(doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["message"] == "a plain message"));
}

#[test]
fn unusable_paths_warn_once_at_the_rule_and_the_finding_stays_on_the_product() {
    let t = tempfile::tempdir().expect("temp dir");
    for p in ["a", "b"] {
        write(
            t.path(),
            &format!("domains/orders/products/{p}/dataproduct.yaml"),
            format!("apiVersion: v1.0.0\nkind: DataProduct\nid: {p}\nteam:\n  name: t\n"),
        );
    }
    write(
        t.path(),
        "policies/paths.rego",
        "package paths\n\
         \n\
         deny contains {\"msg\": \"number\", \"path\": 42} if true\n\
         \n\
         deny contains {\"msg\": \"junk\", \"path\": [\"team\", {\"k\": 1}, -1]} if true\n\
         \n\
         deny contains {\"msg\": \"no such view field\", \"path\": \"view.output_port\"} if true\n\
         \n\
         deny contains {\"msg\": \"missing field\", \"path\": \"team.nope\"} if true\n\
         \n\
         deny contains {\"msg\": \"bad string\", \"path\": \"team.members[0\"} if true\n",
    );
    let (code, doc, stderr) = json_in(t.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let warnings = findings_with_code(&doc, "meshgate.policy", "bad-path");
    let at: Vec<(u64, &str)> = warnings
        .iter()
        .map(|w| {
            (
                w["location"]["line"].as_u64().unwrap_or(0),
                w["message"].as_str().unwrap_or(""),
            )
        })
        .collect();
    // One per rule, not one per product; the well-formed path to a missing field is fine.
    assert_eq!(warnings.len(), 4, "{at:#?}");
    let mut lines: Vec<u64> = at.iter().map(|(l, _)| *l).collect();
    lines.sort();
    assert_eq!(lines, [3, 5, 7, 11]);
    for w in &warnings {
        assert_eq!(w["severity"], "warning");
        assert_eq!(w["product"], serde_json::Value::Null);
        assert_eq!(w["location"]["file"], "policies/paths.rego");
    }
    let message_at = |line: u64| {
        at.iter()
            .find(|(l, _)| *l == line)
            .map(|(_, m)| *m)
            .unwrap_or("")
    };
    assert!(
        message_at(3).contains("`path` 42 is neither a string"),
        "{}",
        message_at(3)
    );
    assert!(
        message_at(5).contains("item 1 is {\"k\":1}"),
        "{}",
        message_at(5)
    );
    assert!(
        message_at(7).contains(
            "names no field of the view: the view is an object without a field `output_port`"
        ),
        "{}",
        message_at(7)
    );
    // Every member is still a finding on each product; the missing field points at its parent.
    for product in ["a", "b"] {
        let on: Vec<&serde_json::Value> = doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| {
                f["policy"] == "paths"
                    && f["product"]
                        .as_str()
                        .unwrap_or("")
                        .contains(&format!("/{product}/"))
            })
            .collect();
        assert_eq!(on.len(), 5, "{on:#?}");
        let missing = on
            .iter()
            .find(|f| f["message"] == "missing field")
            .expect("missing field");
        // `team:` is on line 4.
        assert_eq!(missing["location"]["line"], 4, "{missing}");
    }
    assert_eq!(doc["errors"], serde_json::json!([]));
}

#[test]
fn runtime_errors_are_listed_once_in_errors_and_the_human_output_says_why_exit_2() {
    let t = tempfile::tempdir().expect("temp dir");
    for p in ["a", "b", "c"] {
        write(
            t.path(),
            &format!("domains/orders/products/{p}/dataproduct.yaml"),
            format!("apiVersion: v1.0.0\nkind: DataProduct\nid: {p}\n"),
        );
    }
    write(
        t.path(),
        "policies/boom.rego",
        "package boom\n\ndeny contains msg if {\n\tmsg := lower(7)\n}\n",
    );
    let (code, doc, stderr) = json_in(t.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, 2);
    assert_eq!(
        doc["errors"],
        serde_json::json!([{
            "kind": "policy-runtime",
            "message": "policy `boom` failed to evaluate on 3 products (the first: domains/orders/products/a/dataproduct.yaml): `lower` expects string argument. Got `7` instead",
            "location": {"file": "policies/boom.rego", "line": 4, "column": 15, "end_line": 4, "end_column": 16}
        }])
    );
    assert_eq!(stderr.matches("meshgate: error: ").count(), 1, "{stderr}");
    // The findings per product stay.
    assert_eq!(findings_with_code(&doc, "boom", "policy-error").len(), 3);
    let (_, one, _) = json_in(t.path(), &["check", ".", "--format", "json", "-j", "1"]);
    assert_eq!(one, doc);
    let human = meshgate_in(t.path(), &["check", ".", "--color", "never"]);
    assert_eq!(human.code, 2);
    assert!(
        human
            .stdout
            .starts_with("error[policy-runtime]: policy `boom` failed to evaluate on 3 products"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.ends_with("error: policies failed to evaluate on 3 products (1 distinct error listed at the top); they are in error, not passed (exit code 2).\n"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_rule_past_the_memory_limit_puts_its_product_in_error_and_the_run_goes_on() {
    let t = tempfile::tempdir().expect("temp dir");
    for p in ["a", "b", "c", "d"] {
        write(
            t.path(),
            &format!("domains/orders/products/{p}/dataproduct.yaml"),
            format!("apiVersion: v1.0.0\nkind: DataProduct\nid: {p}\n"),
        );
    }
    // `b` builds a list of lists step by step (the interpreter's own checks stop it), `d` asks
    // for one huge range at once (the builtin's check stops it); `c` is fine.
    write(
        t.path(),
        "policies/hog.rego",
        "package hog\n\
         \n\
         deny contains msg if {\n\
         \tinput.id == \"b\"\n\
         \txs := [[y | some y in numbers.range(1, 1000)] | some x in numbers.range(1, 1000000)]\n\
         \tmsg := sprintf(\"%d\", [count(xs)])\n\
         }\n\
         \n\
         deny contains \"fine\" if input.id == \"c\"\n\
         \n\
         warn contains msg if {\n\
         \tinput.id == \"d\"\n\
         \tmsg := sprintf(\"%d\", [count(numbers.range(1, 50000000))])\n\
         }\n",
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["check", ".", "--format", "json"];
        args.extend(extra);
        json_in(t.path(), &args)
    };
    let (code, doc, stderr) = run(&["--policy-memory-mb", "20", "-j", "2"]);
    assert_eq!(code, 2, "{stderr}");
    let status: Vec<&str> = doc["products"]
        .as_array()
        .expect("products")
        .iter()
        .map(|p| p["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(status, ["pass", "error", "fail", "error"]);
    let errors = findings_with_code(&doc, "hog", "policy-error");
    let placed: Vec<(String, &str, (String, u64, u64))> = errors
        .iter()
        .map(|f| {
            (
                f["product"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or(""),
                line_col(&f["location"]),
            )
        })
        .collect();
    let msg = "policy failed to evaluate: execution exceeded the memory limit of 20 MiB";
    let hog = "policies/hog.rego".to_string();
    assert_eq!(
        placed,
        [
            (
                "domains/orders/products/b/dataproduct.yaml".to_string(),
                msg,
                (hog.clone(), 3, 1)
            ),
            (
                "domains/orders/products/d/dataproduct.yaml".to_string(),
                msg,
                (hog.clone(), 11, 1)
            ),
        ]
    );
    assert!(
        errors[0]["help"]
            .as_str()
            .unwrap_or("")
            .contains("policy-memory-mb"),
        "{}",
        errors[0]
    );
    let kinds: Vec<&str> = doc["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["policy-runtime", "policy-runtime"]);
    // The same verdicts with one thread, and with the limit from meshgate.toml.
    let (_, one, _) = run(&["--policy-memory-mb", "20", "-j", "1"]);
    assert_eq!(one, doc);
    write(t.path(), "meshgate.toml", "policy-memory-mb = 20\n");
    let (_, configured, _) = run(&[]);
    assert_eq!(configured, doc);
    // The flag wins over the file.
    write(t.path(), "meshgate.toml", "policy-memory-mb = 4096\n");
    let (_, flagged, _) = run(&["--policy-memory-mb", "20"]);
    assert_eq!(flagged, doc);
    write(t.path(), "meshgate.toml", "policy-memory-mb = 0\n");
    let zero = meshgate_in(t.path(), &["check", "."]);
    assert_eq!(zero.code, 2);
    assert!(
        zero.stderr
            .contains("meshgate.toml:1:1: policy-memory-mb must be greater than 0"),
        "{}",
        zero.stderr
    );
}
