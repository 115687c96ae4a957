//! Plumbing shared by the end-to-end tests: run the real `meshgate` binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (fixtures live under it).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs meshgate in the repository root.
pub fn meshgate(args: &[&str]) -> Run {
    meshgate_in(&repo(), args)
}

/// Runs meshgate in `dir`.
pub fn meshgate_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_meshgate"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("run meshgate");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Writes `body` to `root/rel`, creating the folders on the way.
pub fn write(root: &Path, rel: &str, body: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("a file path")).expect("create folders");
    std::fs::write(p, body).expect("write file");
}

/// A temporary mesh with one product, `descriptor`, in domain `orders`.
pub fn mesh_with_product(descriptor: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("temp dir");
    write(
        t.path(),
        "domains/orders/products/daily/dataproduct.yaml",
        descriptor,
    );
    t
}

/// Runs meshgate in `dir` and parses its standard output as JSON: `(exit code, document)`.
pub fn json_in(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let r = meshgate_in(dir, args);
    let doc = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, doc)
}

/// `path -> status` of every product of a JSON report.
pub fn statuses(doc: &serde_json::Value) -> BTreeMap<String, String> {
    doc["products"]
        .as_array()
        .expect("products")
        .iter()
        .map(|p| {
            (
                p["path"].as_str().expect("path").to_string(),
                p["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}
