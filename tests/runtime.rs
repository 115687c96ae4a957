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
