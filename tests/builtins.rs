//! The builtin families compiled into meshgate's regorus (see the features in `Cargo.toml`):
//! the kept ones evaluate, and the left-out ones fail closed with either evaluator.

mod common;

use common::{meshgate_in, write};

use serde_json::Value;

/// Checks a one-product mesh against one policy file; returns the exit code and the JSON report.
fn check(policy: &str, evaluator: &str) -> (i32, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "domains/d/products/p/dataproduct.yaml",
        "name: p\nversion: 1.2.3\n",
    );
    write(dir.path(), "pol/builtins.rego", policy);
    let r = meshgate_in(
        dir.path(),
        &[
            "check",
            ".",
            "--policy",
            "pol",
            "--evaluator",
            evaluator,
            "--format",
            "json",
        ],
    );
    let doc = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, doc)
}

fn messages(doc: &Value) -> Vec<String> {
    let mut out: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn kept_builtin_families_evaluate() {
    let policy = r#"package builtins

deny contains "regex" if regex.match(`^[a-z]+$`, input.name)
deny contains "glob" if glob.match("p*", [], input.name)
deny contains "semver" if semver.compare(input.version, "1.0.0") == 1
deny contains "time" if time.parse_rfc3339_ns("2030-01-01T00:00:00Z") > time.now_ns()
deny contains "net" if net.cidr_contains("10.0.0.0/8", "10.1.2.3")
deny contains "uuid" if uuid.parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8").version == 1
deny contains "base64" if base64.decode(base64url.encode("p")) == "p"
deny contains "hex" if hex.encode("p") == "70"
deny contains "graph" if "c" in graph.reachable({"a": ["b"], "b": ["c"], "c": []}, ["a"])
deny contains "jsonpatch" if json.patch({}, [{"op": "add", "path": "/a", "value": 1}]) == {"a": 1}
deny contains "units" if units.parse_bytes("1KiB") == 1024
"#;
    let all = [
        "base64",
        "glob",
        "graph",
        "hex",
        "jsonpatch",
        "net",
        "regex",
        "semver",
        "time",
        "units",
        "uuid",
    ];
    for evaluator in ["interpreter", "vm"] {
        let (code, doc) = check(policy, evaluator);
        assert_eq!(code, 1, "{evaluator}: {doc:#}");
        assert_eq!(messages(&doc), all, "{evaluator}");
    }
}

#[test]
fn left_out_builtins_fail_closed() {
    // http.send is regorus's stub that returns undefined: it must not make the rule quietly
    // not match (the product would pass).
    for call in [
        r#"http.send({"method": "GET", "url": "https://example.invalid"}).status_code != 200"#,
        "yaml.marshal(input) != \"\"",
        r#"json.match_schema(input, {"type": "object"})[0]"#,
        "urlquery.encode(input.name) != \"\"",
        "crypto.sha256(input.name) != \"\"",
    ] {
        let name = call.split('(').next().unwrap();
        let policy = format!("package builtins\n\ndeny contains \"called\" if {call}\n");
        for evaluator in ["interpreter", "vm"] {
            let (code, doc) = check(&policy, evaluator);
            assert_eq!(code, 2, "{evaluator} {name}: {doc:#}");
            assert_eq!(
                messages(&doc),
                [format!(
                    "policy failed to evaluate: could not find function {name}"
                )],
                "{evaluator}"
            );
            assert_eq!(doc["products"][0]["status"], "error", "{evaluator} {name}");
        }
    }
}
