//! The shipped policy library never fails to evaluate, whatever the types in a descriptor: a
//! malformed descriptor gets findings (or none), never a "policy failed to evaluate" error.
//!
//! Every product of the fixture meshes (as `meshgate inspect` shows it, `$ref`s resolved) is
//! mutated with a fixed-seed generator (values swapped for other JSON types) and the mutants
//! are checked with the shipped library.

mod common;

use common::{meshgate, meshgate_in, repo, write};
use serde_json::{json, Value};

/// xorshift64: deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn replacement(rng: &mut Rng) -> Value {
    let alternatives = [
        Value::Null,
        json!(0),
        json!(7.5),
        json!(true),
        json!(""),
        json!("x"),
        json!("99%"),
        json!([]),
        json!([1]),
        json!(["pii"]),
        json!({}),
        json!({"a": 1}),
    ];
    alternatives[(rng.next() % alternatives.len() as u64) as usize].clone()
}

fn mutate(v: &Value, rng: &mut Rng) -> Value {
    if rng.chance(15) {
        return replacement(rng);
    }
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), mutate(x, rng))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(|x| mutate(x, rng)).collect()),
        other => other.clone(),
    }
}

/// The policy input of every product of `mesh` that parses.
fn inputs(mesh: &str) -> Vec<Value> {
    let listing = meshgate(&["check", mesh, "--list-products", "--format", "json"]);
    let doc: Value = serde_json::from_str(&listing.stdout).expect("listing JSON");
    let mut out = Vec::new();
    for p in doc["products"].as_array().unwrap() {
        let path = repo().join(mesh).join(p["path"].as_str().unwrap());
        let run = meshgate(&[
            "inspect",
            path.to_str().unwrap(),
            "--repo",
            mesh,
            "--lenient-keys",
        ]);
        if run.code != 0 {
            continue; // does not parse: a built-in finding, no policy input
        }
        let doc: Value = serde_json::from_str(&run.stdout).expect("inspect JSON");
        if doc["input"].is_object() {
            out.push(doc["input"].clone());
        }
    }
    out
}

#[test]
fn the_shipped_library_never_errors_on_malformed_descriptors() {
    let mut originals = inputs("fixtures/standards");
    originals.extend(inputs("fixtures/mesh"));
    assert!(
        originals.len() >= 25,
        "{} fixture products",
        originals.len()
    );

    let t = tempfile::tempdir().unwrap();
    // Domain files of every shape the ownership policies read (`owner`, `teams`, `members`),
    // well-formed and not.
    let domains = [
        "name: d0\n",
        "name: d1\nowner: {team: t, email: a@b.example}\nteams: [t2, {id: t3}]\nmembers: [x@y.example, {email: z@y.example}]\n",
        "name: d2\nowner: [1]\nteams: {a: 1}\nmembers: 5\n",
        "- not\n- a map\n",
    ];
    for (i, body) in domains.iter().enumerate() {
        write(t.path(), &format!("domains/d{i}/domain.yaml"), body);
    }
    let mut n = 0;
    for seed in [1u64, 2, 3] {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed);
        for _ in 0..3 {
            for input in &originals {
                n += 1;
                let body = serde_json::to_string(&mutate(input, &mut rng)).unwrap();
                write(
                    t.path(),
                    &format!(
                        "domains/d{}/products/p{n:04}/dataproduct.json",
                        n % domains.len()
                    ),
                    &body,
                );
            }
        }
    }

    let run = meshgate_in(t.path(), &["check", ".", "--format", "json"]);
    let doc: Value = serde_json::from_str(&run.stdout).expect("check JSON");
    assert_eq!(doc["summary"]["products"], json!(n), "{}", run.stderr);
    // Every policy of the shipped library was evaluated (the helper package is not a policy).
    let shipped = std::fs::read_dir(repo().join("policies"))
        .unwrap()
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.ends_with(".rego") && !name.ends_with("_test.rego") && name != "lib.rego"
        })
        .count();
    assert!(shipped >= 20, "{shipped} shipped policies");
    assert_eq!(doc["summary"]["policies"], json!(shipped));
    let errors: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "policy-error")
        .map(|f| format!("{} {}: {}", f["product"], f["policy"], f["message"]))
        .collect();
    assert!(
        errors.is_empty(),
        "{} policy errors, e.g.:\n{}",
        errors.len(),
        errors[..errors.len().min(10)].join("\n")
    );
}
