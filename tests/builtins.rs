//! The builtin families compiled into meshgate's regorus (see the features in `Cargo.toml`):
//! the kept ones evaluate, and calls to left-out ones (or to ones that reach outside the
//! repository) are rejected when the policy loads, with either evaluator.

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

/// A call to a builtin meshgate's regorus lacks, or to one that reaches outside the
/// repository, is rejected when the policy loads (as OPA rejects unknown functions at compile
/// time), with either evaluator, even though this product never reaches the call.
#[test]
fn left_out_and_outside_builtins_are_rejected_at_load() {
    for (call, says) in [
        (
            r#"http.send({"method": "GET", "url": "https://example.invalid"}).status_code != 200"#,
            "`http.send` is not allowed in a policy: it reaches the network",
        ),
        (
            "yaml.marshal(input) != \"\"",
            "unknown function `yaml.marshal`: a builtin left out of meshgate's build",
        ),
        (
            r#"json.match_schema(input, {"type": "object"})[0]"#,
            "unknown function `json.match_schema`: a builtin left out",
        ),
        (
            "urlquery.encode(input.name) != \"\"",
            "unknown function `urlquery.encode`: a builtin left out",
        ),
        (
            "crypto.sha256(input.name) != \"\"",
            "unknown function `crypto.sha256`: neither a builtin",
        ),
        (
            "uuid.rfc4122(input.name) != \"\"",
            "`uuid.rfc4122` is not allowed in a policy: it makes a new random UUID",
        ),
        (
            "rand.intn(input.name, 10) > 5",
            "`rand.intn` is not allowed in a policy: it is random",
        ),
        (
            "opa.runtime().version != \"\"",
            "`opa.runtime` is not allowed in a policy: it describes the environment",
        ),
        (
            "net.lookup_ip_addr(input.name)[_] != \"\"",
            "`net.lookup_ip_addr` is not allowed in a policy: it reaches the network",
        ),
    ] {
        let name = call.split('(').next().unwrap();
        let policy = format!(
            "package builtins\n\ndeny contains \"called\" if {{\n  input.never\n  {call}\n}}\n"
        );
        for evaluator in ["interpreter", "vm"] {
            let (code, doc) = check(&policy, evaluator);
            assert_eq!(code, 2, "{evaluator} {name}: {doc:#}");
            assert!(messages(&doc).is_empty(), "{evaluator} {name}: {doc:#}");
            let errors = doc["errors"].as_array().unwrap();
            assert_eq!(errors.len(), 1, "{evaluator} {name}: {doc:#}");
            assert_eq!(errors[0]["kind"], "policy-rejected");
            let message = errors[0]["message"].as_str().unwrap();
            assert!(message.starts_with(says), "{evaluator} {name}: {message}");
            assert_eq!(errors[0]["location"]["line"], 5, "{name}");
            assert_eq!(errors[0]["location"]["column"], 3, "{name}");
            assert_eq!(doc["products"][0]["status"], "error", "{evaluator} {name}");
        }
    }
}
