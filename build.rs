//! Embeds the shipped policy library (`policies/*.rego`) and, apart, its tests into the binary.
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read at run time, not `env!`: a build script compiled in another checkout (a copied
    // `target/`) must still embed this checkout's policies.
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&root).join("policies");
    println!("cargo:rerun-if-changed=policies");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.ends_with(".rego")
    });
    files.sort();
    let (tests, files): (Vec<_>, Vec<_>) = files.into_iter().partition(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with("_test.rego"))
    });
    let mut out = String::new();
    // The library's tests, for `meshgate explain` (examples), not loaded as policies.
    out.push_str("/// The shipped library's tests: (file name, Rego text).\npub static LIBRARY_TESTS: &[(&str, &str)] = &[\n");
    for f in &tests {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    out.push_str("];\n");
    out.push_str("/// The shipped policy library: (file name, Rego text).\npub static LIBRARY: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("library.rs");
    std::fs::write(dest, out).unwrap_or_else(|e| panic!("cannot write library.rs: {e}"));
}
