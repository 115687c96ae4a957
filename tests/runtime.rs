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
