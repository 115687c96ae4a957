//! End-to-end tests on `fixtures/standards`: a mesh mixing all five descriptor standards,
//! `$ref` trees, templates, CRLF files, duplicate keys and duplicate products.

mod common;

use common::repo;
use serde_json::Value;

/// Runs meshgate in the repo root; returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let r = common::meshgate(args);
    (r.code, r.stdout, r.stderr)
}

fn check_json(extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "fixtures/standards", "--format", "json"];
    args.extend(extra);
    let (code, out, err) = run(&args);
    let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
    (code, doc)
}

/// The view-based test policy only (no shipped library).
fn with_view_policy() -> (i32, Value) {
    check_json(&["--policy", &view_policy()])
}

/// Absolute path of the test policy folder (`--policy` is relative to the mesh root).
fn view_policy() -> String {
    repo().join("tests/policies/view").display().to_string()
}

/// (product folder, policy, rule or id, file name, line, column) of every finding.
fn rows(doc: &Value) -> Vec<(String, String, String, String, u64, u64)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let product = f["product"].as_str().unwrap();
            let folder = product.split('/').nth(3).unwrap_or(product).to_string();
            let loc = &f["location"];
            (
                folder,
                f["policy"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                loc["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                loc["line"].as_u64().unwrap(),
                loc["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn row(
    folder: &str,
    policy: &str,
    rule: &str,
    file: &str,
    line: u64,
    col: u64,
) -> (String, String, String, String, u64, u64) {
    (
        folder.into(),
        policy.into(),
        rule.into(),
        file.into(),
        line,
        col,
    )
}

#[test]
fn one_view_policy_fires_and_is_located_on_all_five_standards() {
    let (_, doc) = with_view_policy();
    let owners: Vec<_> = rows(&doc)
        .into_iter()
        .filter(|r| r.1 == "test.owner" && r.2 == "deny")
        .collect();
    // Each product without an owner, one per standard, located in its own file where the
    // owner belongs (the parent that should hold it when the field is absent).
    let expected_owner = [
        row(
            "customer-segments",
            "test.owner",
            "deny",
            "customer-segments.dpds.yaml",
            2,
            1,
        ), // dpds: info
        row(
            "ledger-entries",
            "test.owner",
            "deny",
            "dataproduct.yaml",
            2,
            1,
        ), // witboost: root
        row("newsletter-signups", "test.owner", "deny", "odps.yml", 5, 1), // odpi v3: product
        row(
            "chargebacks",
            "test.owner",
            "deny",
            "chargebacks.odps.yaml",
            55,
            1,
        ), // bitol v0.9: team
        row(
            "search-clicks",
            "test.owner",
            "deny",
            "dataproduct.json",
            4,
            3,
        ), // dps: info
    ];
    for e in &expected_owner {
        assert!(owners.contains(e), "missing {e:?} in {owners:#?}");
    }
    // The PII rule reads view.output_ports: a finding inside a `$ref`'d fragment points into it.
    assert!(
        owners.contains(&row(
            "customer-360",
            "test.owner",
            "deny",
            "customer-profile.json",
            1,
            1
        )),
        "{owners:#?}"
    );
    let messages: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"] == "test.owner" && f["message"] == "no owner")
        .map(|f| f["product"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages.len(),
        5,
        "compliant products must not fire: {messages:#?}"
    );
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["product"].as_str().unwrap().contains("customer-360/") && f["policy"] == "test.owner"
        })
        .unwrap();
    assert_eq!(
        f["location"]["file"],
        "domains/customers/products/customer-360/ports/customer-profile.json"
    );
    assert_eq!(f["path"], "view.output_ports[0].classification");
}

#[test]
fn unresolvable_refs_are_reported_at_their_node() {
    let (code, doc) = with_view_policy();
    assert_eq!(code, 1);
    let refs: Vec<_> = rows(&doc)
        .into_iter()
        .filter(|r| r.1 == "meshgate.ref")
        .collect();
    assert_eq!(
        refs,
        vec![
            row(
                "customer-segments",
                "meshgate.ref",
                "ref-absolute",
                "customer-segments.dpds.yaml",
                30,
                13
            ),
            row(
                "customer-segments",
                "meshgate.ref",
                "ref-cycle",
                "b.yaml",
                8,
                11
            ),
            row(
                "customer-segments",
                "meshgate.ref",
                "ref-missing",
                "customer-segments.dpds.yaml",
                47,
                13
            ),
            row(
                "customer-segments",
                "meshgate.ref",
                "ref-outside",
                "customer-segments.dpds.yaml",
                28,
                13
            ),
            row(
                "customer-segments",
                "meshgate.ref",
                "ref-url",
                "customer-segments.dpds.yaml",
                49,
                13
            ),
        ]
    );
    let severities: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"] == "meshgate.ref")
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["error", "error", "error", "error", "warning"]);
}

#[test]
fn resolved_refs_are_what_policies_see() {
    let (code, out, err) = run(&[
        "inspect",
        "fixtures/standards/domains/customers/products/customer-360/data-product-descriptor.json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let ports = &doc["input"]["interfaceComponents"];
    // A file reference, a reference inside it, and an internal JSON pointer, all resolved.
    assert_eq!(ports["outputPorts"][0]["name"], "customer-profile");
    assert!(ports["outputPorts"][0]["promises"]["api"]["definition"]
        .get("$ref")
        .is_none());
    assert!(ports["inputPorts"][0].get("$ref").is_none());
    assert_eq!(ports["inputPorts"][0]["name"], "crm-contacts");
    let view = &doc["data"]["meshgate"]["product"]["view"];
    assert_eq!(view["standard"], "dpds");
    assert_eq!(view["output_ports"][0]["pii"], true);
}

#[test]
fn odpi_odps_pointers_are_relative_to_product() {
    // partner-audiences reuses `product.SLA`, `product.dataQuality`, `product.dataAccess` and
    // `product.paymentGateways` in its pricing plans through `#/SLA/default` and the like.
    let (_, doc) = with_view_policy();
    let refs: Vec<_> = rows(&doc)
        .into_iter()
        .filter(|r| r.0 == "partner-audiences")
        .collect();
    assert_eq!(refs, vec![], "every `$ref` resolves");
    let (code, out, err) = run(&[
        "inspect",
        "fixtures/standards/domains/marketing/products/partner-audiences/odps.yaml",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let plans = &doc["input"]["product"]["pricingPlans"]["declarative"]["en"];
    assert_eq!(plans[0]["SLA"]["name"]["en"], "Standard SLA");
    assert_eq!(plans[1]["SLA"]["dimensions"][0]["objective"], 99.9);
    assert_eq!(plans[1]["access"]["type"], "API");
    assert_eq!(plans[0]["paymentGateway"]["type"], "invoice");
    assert!(plans[1]["dataQuality"].get("$ref").is_none());
}

#[test]
fn a_broken_ref_in_a_fragment_reached_twice_is_reported_once() {
    let t = common::mesh_with_product(
        "dataProductDescriptor: 1.0.0\ninfo:\n  name: daily\n  owner: {id: team@acme.example}\ninterfaceComponents:\n  outputPorts:\n    - $ref: ports/shared.yaml\n    - $ref: ports/shared.yaml\n",
    );
    common::write(
        t.path(),
        "domains/orders/products/daily/ports/shared.yaml",
        "name: shared\npromises:\n  $ref: promises.yaml\n",
    );
    let r = common::meshgate_in(t.path(), &["check", ".", "--format", "json"]);
    let doc: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    let refs: Vec<_> = rows(&doc)
        .into_iter()
        .filter(|r| r.1 == "meshgate.ref")
        .collect();
    assert_eq!(
        refs,
        vec![row(
            "daily",
            "meshgate.ref",
            "ref-missing",
            "shared.yaml",
            3,
            9
        )]
    );
}

#[test]
fn missing_view_fields_are_located_where_they_belong() {
    let (_, doc) = check_json(&[
        "--policy",
        &repo().join("tests/policies/fields").display().to_string(),
    ]);
    let got: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"] == "test.fields")
        .map(|f| {
            let loc = &f["location"];
            (
                f["product"].as_str().unwrap().split('/').nth(3).unwrap(),
                f["message"].as_str().unwrap(),
                loc["file"].as_str().unwrap().rsplit('/').next().unwrap(),
                loc["line"].as_u64().unwrap(),
                loc["column"].as_u64().unwrap(),
            )
        })
        .collect();
    for want in [
        // ODPI ODPS 3.1: details at `product.en`.
        ("newsletter-signups", "no version", "odps.yml", 6, 3),
        // DPS: in `info`, in YAML and in JSON.
        ("search-queries", "no version", "dataproduct.yaml", 4, 1),
        ("search-clicks", "no version", "dataproduct.json", 4, 3),
        // DPS has no SLA field: the port itself.
        (
            "search-clicks",
            "output port 0 has no sla",
            "dataproduct.json",
            34,
            5,
        ),
        // DPS has no support field either: the root.
        ("search-clicks", "no support", "dataproduct.json", 1, 1),
        // ODPI ODPS 4.0: support belongs in `product`.
        ("campaign-reach", "no support", "odps.yaml", 8, 1),
        // A port tagged PII: the tag is in the view.
        (
            "search-clicks",
            "output port 0 is tagged pii",
            "dataproduct.json",
            48,
            29,
        ),
    ] {
        assert!(got.contains(&want), "missing {want:?} in {got:#?}");
    }
}

#[test]
fn templates_are_skipped_with_a_note() {
    let (_, doc) = with_view_policy();
    let notes: Vec<_> = rows(&doc)
        .into_iter()
        .filter(|r| r.1 == "meshgate.template")
        .collect();
    assert_eq!(
        notes,
        vec![
            row(
                "skeleton",
                "meshgate.template",
                "template",
                "dataproduct.yaml",
                1,
                1
            ),
            row(
                "_template",
                "meshgate.template",
                "template",
                "dataproduct.yaml",
                6,
                5
            ),
        ]
    );
    for f in doc["findings"].as_array().unwrap() {
        if f["policy"] == "meshgate.template" {
            assert_eq!(f["severity"], "info");
        }
    }
    let skipped: Vec<&str> = doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "skipped")
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 2);
    assert_eq!(doc["summary"]["products_skipped"], 2);
}

#[test]
fn config_excludes_templates_and_adds_globs() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let copy = |rel: &str| {
        let dst = root.join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(repo().join("fixtures/standards").join(rel), dst).unwrap();
    };
    copy("domains/search/products/_template/dataproduct.yaml");
    copy("domains/search/products/search-queries/dataproduct.yaml");
    std::fs::create_dir_all(root.join("domains/search/products/extra")).unwrap();
    std::fs::write(
        root.join("domains/search/products/extra/product.yaml"),
        "dataProductSpecification: 0.0.1\nid: extra\ninfo: {title: Extra, owner: search-team}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("meshgate.toml"),
        "exclude = [\"**/_template\"]\nextra-products = [\"**/product.yaml\"]\n",
    )
    .unwrap();
    let out = common::meshgate_in(root, &["check", ".", "--list-products", "--format", "json"]);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["version"], 1, "the listing's schema is versioned");
    let paths: Vec<&str> = doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "domains/search/products/extra/product.yaml",
            "domains/search/products/search-queries/dataproduct.yaml"
        ]
    );
}

#[test]
fn duplicate_keys_are_errors_unless_lenient() {
    let (_, strict) = with_view_policy();
    let dup: Vec<_> = rows(&strict)
        .into_iter()
        .filter(|r| r.0 == "loyalty-points")
        .collect();
    assert_eq!(
        dup,
        vec![row(
            "loyalty-points",
            "meshgate.parse",
            "duplicate-key",
            "odps.yaml",
            21,
            7
        )]
    );
    assert_eq!(
        strict["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["path"].as_str().unwrap().contains("loyalty-points"))
            .unwrap()["status"],
        "error"
    );
    let (_, lenient) = check_json(&["--policy", &view_policy(), "--lenient-keys"]);
    let f: Vec<&Value> = lenient["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["product"].as_str().unwrap().contains("loyalty-points"))
        .collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(
        (f[0]["rule"].as_str(), f[0]["severity"].as_str()),
        (Some("duplicate-key"), Some("warning"))
    );
    assert_eq!(f[0]["location"]["line"], 21);
    let (_, out, _) = run(&[
        "inspect",
        "--lenient-keys",
        "fixtures/standards/domains/marketing/products/loyalty-points/odps.yaml",
    ]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    // The last value wins.
    let text = std::fs::read_to_string(
        repo().join("fixtures/standards/domains/marketing/products/loyalty-points/odps.yaml"),
    )
    .unwrap();
    let last = text
        .lines()
        .nth(20)
        .unwrap()
        .split(':')
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(
        doc["data"]["meshgate"]["product"]["view"]["status"],
        last.as_str()
    );
}

#[test]
fn the_same_product_twice_is_a_finding() {
    let (_, doc) = with_view_policy();
    let dups: Vec<_> = rows(&doc)
        .into_iter()
        .filter(|r| r.2 == "duplicate-product")
        .collect();
    assert_eq!(
        dups,
        vec![
            // Same DPDS fullyQualifiedName in two folders (the later path gets the finding).
            row(
                "customer-360",
                "meshgate.layout",
                "duplicate-product",
                "data-product-descriptor.json",
                4,
                27
            ),
            // The same Bitol product as JSON and YAML side by side.
            row(
                "refunds",
                "meshgate.layout",
                "duplicate-product",
                "dataproduct.yaml",
                7,
                5
            ),
        ]
    );
}

#[test]
fn list_products_shows_standard_and_version() {
    let (code, out, err) = run(&[
        "check",
        "fixtures/standards",
        "--list-products",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let got: Vec<(String, String, String, String)> = doc["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or("-").to_string();
            (
                s("path").split('/').nth(3).unwrap().to_string(),
                s("standard"),
                s("standard_version"),
                s("status"),
            )
        })
        .collect();
    let want = [
        ("customer-360-copy", "dpds", "1.0.0", "ok"),
        ("customer-360", "dpds", "1.0.0", "ok"),
        ("customer-segments", "dpds", "1.0.0", "ok"),
        ("cash-flow", "witboost", "-", "ok"),
        ("ledger-entries", "witboost", "-", "ok"),
        ("skeleton", "-", "-", "skipped"),
        ("campaign-reach", "odpi-odps", "4.0", "ok"),
        ("loyalty-points", "-", "-", "error"),
        ("newsletter-signups", "odpi-odps", "3.1", "ok"),
        ("partner-audiences", "odpi-odps", "4.0", "ok"),
        ("card-settlements", "bitol-odps", "v1.0.0", "ok"),
        ("chargebacks", "bitol-odps", "v0.9.0", "ok"),
        ("refunds", "bitol-odps", "v1.0.0", "ok"),
        ("refunds", "bitol-odps", "v1.0.0", "ok"),
        ("_template", "-", "-", "skipped"),
        ("search-clicks", "dps", "0.0.1", "ok"),
        ("search-queries", "dps", "0.0.1", "ok"),
    ];
    let want: Vec<(String, String, String, String)> = want
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(got, want);
    // The human table names the same.
    let (_, table, _) = run(&["check", "fixtures/standards", "--list-products"]);
    assert!(table.contains("odpi-odps   4.0"), "{table}");
    assert!(
        table
            .lines()
            .last()
            .unwrap()
            .contains("17 descriptors found"),
        "{table}"
    );
}

#[test]
fn crlf_and_non_ascii_files_keep_exact_positions() {
    // card-settlements has CRLF line endings and no final newline; chargebacks has non-ASCII
    // text before its team. Locate a field in each and compare with the text itself.
    let (_, out, _) = run(&[
        "check",
        "fixtures/standards",
        "--policy",
        &view_policy(),
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let text = std::fs::read(
        repo().join("fixtures/standards/domains/payments/products/card-settlements/odps.yaml"),
    )
    .unwrap();
    assert!(text.windows(2).any(|w| w == b"\r\n") && !text.ends_with(b"\n"));
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["product"].as_str().unwrap().contains("chargebacks"))
        .unwrap();
    let line = f["location"]["line"].as_u64().unwrap() as usize;
    let src = std::fs::read_to_string(
        repo()
            .join("fixtures/standards/domains/payments/products/chargebacks/chargebacks.odps.yaml"),
    )
    .unwrap();
    assert!(src.lines().nth(line - 1).unwrap().starts_with("team:"));
    assert!(!src.is_ascii());
}

#[test]
fn mixed_standard_mesh_with_the_shipped_library() {
    let (code, out, err) = run(&["check", "fixtures/standards", "--color", "never"]);
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!("standards_human", out);
}

#[test]
fn crlf_snippets_are_shown_without_carriage_returns() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("domains/d/products/p");
    std::fs::create_dir_all(&dir).unwrap();
    // No owner, CRLF line endings, no final newline.
    std::fs::write(
        dir.join("dataproduct.yaml"),
        "apiVersion: v1.0.0\r\nkind: DataProduct\r\nid: p\r\nname: p\r\nteam:\r\n  name: t\r\n  members: []",
    )
    .unwrap();
    let out = common::meshgate_in(
        t.path(),
        &["check", ".", "--policy", &view_policy(), "--color", "never"],
    );
    let text = out.stdout;
    assert!(text.contains("dataproduct.yaml:7:3"), "{text}");
    assert!(text.contains("7 |   members: []\n"), "{text}");
    assert!(!text.contains('\r'), "{text:?}");
}
