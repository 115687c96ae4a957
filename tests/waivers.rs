//! Waivers (`waivers.yaml`, domain waiver files) and the baseline (`--write-baseline`,
//! `--baseline`, `--prune-baseline`), end to end through the binary on temporary meshes.

mod common;

use std::path::Path;

use common::{json_in, meshgate_in, write};
use serde_json::Value;

const NOW: &str = "2026-01-15T00:00:00Z";

/// A policy with two findings on a product without owner and description.
const OWNER: &str = "package gov.owner\n\ndeny contains {\"msg\": \"no owner\", \"id\": \"owner-missing\", \"path\": \"owner\"} if not input.owner\n\ndeny contains {\"msg\": \"no description\", \"id\": \"description-missing\", \"path\": \"description\"} if not input.description\n";

const DAILY: &str = "domains/orders/products/daily/dataproduct.yaml";
const WEEKLY: &str = "domains/orders/products/weekly/dataproduct.yaml";

/// A mesh with two products in `orders` (daily lacks owner and description, weekly has both)
/// and the `gov.owner` policy.
fn mesh() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("temp dir");
    write(t.path(), DAILY, "name: daily\nkind: x\n");
    write(t.path(), WEEKLY, "name: weekly\nowner: o\ndescription: d\n");
    write(t.path(), "policies/owner.rego", OWNER);
    t
}

fn check(dir: &Path, extra: &[&str]) -> (i32, Value) {
    check_at(dir, NOW, extra)
}

fn check_at(dir: &Path, now: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", ".", "--format", "json", "--now", now];
    args.extend_from_slice(extra);
    json_in(dir, &args)
}

fn findings<'a>(doc: &'a Value, code: &str) -> Vec<&'a Value> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            format!(
                "{}/{}",
                f["policy"].as_str().unwrap(),
                f["id"].as_str().unwrap_or("")
            ) == code
        })
        .collect()
}

fn one<'a>(doc: &'a Value, code: &str) -> &'a Value {
    let fs = findings(doc, code);
    assert_eq!(fs.len(), 1, "{code}: {:#}", doc["findings"]);
    fs[0]
}

fn at(f: &Value) -> String {
    let l = &f["location"];
    format!(
        "{}:{}:{}",
        l["file"].as_str().unwrap(),
        l["line"],
        l["column"]
    )
}

fn waiver(product: &str, policy: &str, extra: &str, expires: &str) -> String {
    format!(
        "  - product: {product}\n    policy: {policy}\n{extra}    reason: legacy product, migrating\n    approved_by: governance-board\n    expires: {expires}\n"
    )
}

#[test]
fn a_waived_finding_is_shown_counted_apart_and_fails_nothing_but_is_never_a_pass() {
    let t = mesh();
    let (code, _) = check(t.path(), &[]);
    assert_eq!(code, 1);
    write(
        t.path(),
        "waivers.yaml",
        format!(
            "# the board's exceptions\nwaivers:\n{}",
            waiver(
                "domains/orders/products/*/dataproduct.yaml",
                "gov.owner",
                "",
                "2026-03-01"
            )
        ),
    );
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 0, "{doc:#}");
    let s = &doc["summary"];
    assert_eq!(s["waived"], 2);
    assert_eq!(s["findings"]["error"], 0);
    assert_eq!(s["baselined"], 0);
    for f in doc["findings"].as_array().unwrap() {
        assert_eq!(f["disposition"], "waived", "{f:#}");
        assert_eq!(f["waiver"]["reason"], "legacy product, migrating");
        assert_eq!(f["waiver"]["approved_by"], "governance-board");
        assert_eq!(f["waiver"]["expires"], "2026-03-01");
        assert_eq!(f["waiver"]["location"]["file"], "waivers.yaml");
        assert_eq!(f["waiver"]["location"]["line"], 3);
    }
    // Never a pass: the outcome stays `f`, the product stays failing.
    let daily = &doc["products"][0];
    assert_eq!(daily["path"], DAILY);
    assert_eq!(daily["outcomes"], "f");
    assert_eq!(daily["status"], "fail");
    assert_eq!(daily["waived"], 2);
    assert_eq!(s["outcomes"]["fail"], 1);
    assert_eq!(doc["domains"][0]["waived"], 2);
    assert_eq!(doc["domains"][0]["findings"]["error"], 0);
    // Human: marked, with the waiver, and a note.
    let r = meshgate_in(t.path(), &["check", ".", "--now", NOW, "--color", "never"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("waived error[gov.owner/owner-missing]: no owner"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("= waived: legacy product, migrating (approved by governance-board, until 2026-03-01; waivers.yaml:3:5)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("note: 2 findings waived"), "{}", r.stdout);
}

#[test]
fn a_waiver_can_be_limited_to_a_rule_or_a_fingerprint() {
    let t = mesh();
    write(
        t.path(),
        "waivers.yaml",
        format!(
            "waivers:\n{}",
            waiver(
                DAILY,
                "gov.owner",
                "    rule: owner-missing\n",
                "2026-03-01"
            )
        ),
    );
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        one(&doc, "gov.owner/owner-missing")["disposition"],
        "waived"
    );
    assert!(one(&doc, "gov.owner/description-missing")["disposition"].is_null());
    assert_eq!(doc["summary"]["waived"], 1);
    assert_eq!(doc["summary"]["findings"]["error"], 1);

    let fp = one(&doc, "gov.owner/description-missing")["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    write(
        t.path(),
        "waivers.yaml",
        format!(
            "waivers:\n{}",
            waiver(
                DAILY,
                "gov.owner",
                &format!("    fingerprint: \"{fp}\"\n"),
                "2026-03-01"
            )
        ),
    );
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        one(&doc, "gov.owner/description-missing")["disposition"],
        "waived"
    );
    assert!(one(&doc, "gov.owner/owner-missing")["disposition"].is_null());
}

#[test]
fn an_expired_waiver_stops_waiving_and_is_an_error_at_its_line() {
    let t = mesh();
    write(
        t.path(),
        "waivers.yaml",
        format!("waivers:\n{}", waiver(DAILY, "gov.owner", "", "2026-01-14")),
    );
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(doc["summary"]["waived"], 0);
    let e = one(&doc, "meshgate.waiver/expired");
    assert_eq!(e["severity"], "error");
    assert_eq!(at(e), "waivers.yaml:6:14");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("expired on 2026-01-14"),
        "{e}"
    );
    // The last day still waives (the run's clock decides).
    let (code, _) = check_at(t.path(), "2026-01-14T23:59:59Z", &[]);
    assert_eq!(code, 0);
}

#[test]
fn an_unused_waiver_is_a_warning_but_not_in_a_partial_run() {
    let t = mesh();
    write(
        t.path(),
        "waivers.yaml",
        format!(
            "waivers:\n{}{}",
            waiver(DAILY, "gov.owner", "", "2026-03-01"),
            waiver(WEEKLY, "gov.owner", "", "2026-03-01")
        ),
    );
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 0, "a warning does not fail by default");
    let w = one(&doc, "meshgate.waiver/unused");
    assert_eq!(w["severity"], "warning");
    assert_eq!(at(w), "waivers.yaml:7:5");
    // Checking one product: the other waiver may match outside, so it is not reported.
    let (_, doc) = json_in(
        t.path(),
        &["check", DAILY, "--format", "json", "--now", NOW],
    );
    assert!(
        findings(&doc, "meshgate.waiver/unused").is_empty(),
        "{doc:#}"
    );
    assert_eq!(doc["summary"]["waived"], 2);
}

#[test]
fn a_waiver_without_reason_approver_or_expiry_is_an_error_at_its_line_and_waives_nothing() {
    let t = mesh();
    write(
        t.path(),
        "waivers.yaml",
        format!(
            "waivers:\n  - product: {DAILY}\n    policy: gov.owner\n    approved_by: x\n    expires: 2026-02-01\n  - product: {DAILY}\n    policy: gov.owner\n    reason: r\n    expires: 2026-02-01\n  - product: {DAILY}\n    policy: gov.owner\n    reason: r\n    approved_by: \"\"\n"
        ),
    );
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(doc["summary"]["waived"], 0);
    let mut got: Vec<(String, String)> = findings(&doc, "meshgate.waiver/missing-field")
        .into_iter()
        .map(|f| (at(f), f["message"].as_str().unwrap().to_string()))
        .collect();
    got.sort();
    assert_eq!(got.len(), 4, "{got:#?}");
    assert_eq!(got[0].0, "waivers.yaml:10:5");
    assert!(got[0].1.contains("without `expires`"), "{got:?}");
    assert_eq!(got[1].0, "waivers.yaml:13:18");
    assert!(got[1].1.contains("`approved_by` is empty"), "{got:?}");
    assert_eq!(got[2].0, "waivers.yaml:2:5");
    assert!(got[2].1.contains("without `reason`"), "{got:?}");
    assert_eq!(got[3].0, "waivers.yaml:6:5");
    assert!(got[3].1.contains("without `approved_by`"), "{got:?}");
    // The human output names file:line:col.
    let r = meshgate_in(t.path(), &["check", ".", "--now", NOW, "--color", "never"]);
    assert!(r.stdout.contains("--> waivers.yaml:2:5"), "{}", r.stdout);
}

#[test]
fn a_waiver_expiring_past_the_maximum_is_an_error_and_the_maximum_is_configurable() {
    let t = mesh();
    write(
        t.path(),
        "waivers.yaml",
        format!("waivers:\n{}", waiver(DAILY, "gov.owner", "", "2026-07-15")),
    );
    // 2026-01-15 + 180 days = 2026-07-14.
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 1);
    let e = one(&doc, "meshgate.waiver/too-long");
    assert_eq!(at(e), "waivers.yaml:6:14");
    assert!(e["message"].as_str().unwrap().contains("181 days"), "{e}");
    assert_eq!(doc["summary"]["waived"], 0);
    let (code, _) = check_at(t.path(), "2026-01-16T00:00:00Z", &[]);
    assert_eq!(code, 0, "180 days ahead is allowed");
    write(t.path(), "meshgate.toml", "waiver-max-days = 365\n");
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"]["waived"], 2);
}

#[test]
fn the_waiver_file_path_is_configurable() {
    let t = mesh();
    write(
        t.path(),
        "meshgate.toml",
        "waivers = \"governance/exceptions.yaml\"\n",
    );
    write(
        t.path(),
        "governance/exceptions.yaml",
        format!("waivers:\n{}", waiver(DAILY, "gov.owner", "", "2026-02-01")),
    );
    // The default file is not read any more.
    write(t.path(), "waivers.yaml", "waivers: [oops\n");
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        doc["findings"][0]["waiver"]["location"]["file"],
        "governance/exceptions.yaml"
    );
}

#[test]
fn a_broken_waiver_file_is_an_error_with_its_position() {
    let t = mesh();
    write(t.path(), "waivers.yaml", "waivers:\n  - product: [x\n");
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 1);
    let e = one(&doc, "meshgate.waiver/invalid");
    assert_eq!(e["location"]["file"], "waivers.yaml");
    assert!(
        e["message"].as_str().unwrap().contains("does not parse"),
        "{e}"
    );

    write(
        t.path(),
        "waivers.yaml",
        format!(
            "waivers:\n  - product: {DAILY}\n    policy: gov.owner\n    reason: r\n    aproved_by: b\n    approved_by: b\n    expires: 31.01.2026\n"
        ),
    );
    let (_, doc) = check(t.path(), &[]);
    let mut got: Vec<String> = findings(&doc, "meshgate.waiver/invalid")
        .into_iter()
        .map(|f| format!("{} {}", at(f), f["message"].as_str().unwrap()))
        .collect();
    got.sort();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(
        got[0].starts_with("waivers.yaml:5:5 unknown waiver field `aproved_by`"),
        "{got:?}"
    );
    assert!(
        got[1].starts_with("waivers.yaml:7:14 `expires: 31.01.2026` is not a date"),
        "{got:?}"
    );

    write(t.path(), "waivers.yaml", "- product: x\n");
    let (_, doc) = check(t.path(), &[]);
    assert_eq!(at(one(&doc, "meshgate.waiver/invalid")), "waivers.yaml:1:1");
}

#[test]
fn a_policy_that_is_not_waivable_cannot_be_waived() {
    let t = mesh();
    write(
        t.path(),
        "policies/owner.rego",
        format!("# METADATA\n# title: Ownership\n# custom:\n#   waivable: false\n{OWNER}"),
    );
    write(
        t.path(),
        "waivers.yaml",
        format!("waivers:\n{}", waiver(DAILY, "gov.owner", "", "2026-02-01")),
    );
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(doc["summary"]["waived"], 0);
    assert_eq!(doc["summary"]["findings"]["error"], 3);
    let e = one(&doc, "meshgate.waiver/not-waivable");
    assert_eq!(at(e), "waivers.yaml:3:13");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("`custom.waivable: false`"),
        "{e}"
    );
    // No unused warning on top.
    assert!(findings(&doc, "meshgate.waiver/unused").is_empty());
}

#[test]
fn a_domain_waiver_file_waives_only_its_own_products_and_policies() {
    let t = mesh();
    write(
        t.path(),
        "domains/orders/policies/local.rego",
        "package orders.local\n\ndeny contains \"not weekly\" if input.name != \"weekly\"\n",
    );
    write(
        t.path(),
        "domains/billing/products/inv/dataproduct.yaml",
        "name: inv\nowner: o\ndescription: d\n",
    );
    write(
        t.path(),
        "domains/orders/waivers.yaml",
        format!(
            "waivers:\n{}{}{}",
            waiver("domains/orders/**", "orders.local", "", "2026-02-01"),
            waiver("domains/orders/**", "gov.owner", "", "2026-02-01"),
            waiver("domains/billing/**", "orders.local", "", "2026-02-01"),
        ),
    );
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(one(&doc, "orders.local/")["disposition"], "waived");
    assert!(one(&doc, "gov.owner/owner-missing")["disposition"].is_null());
    let mut got: Vec<(String, String)> = findings(&doc, "meshgate.waiver/out-of-domain")
        .into_iter()
        .map(|f| (at(f), f["message"].as_str().unwrap().to_string()))
        .collect();
    got.sort();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0].0, "domains/orders/waivers.yaml:12:14");
    assert!(
        got[0]
            .1
            .contains("can only waive findings on domain `orders`'s products"),
        "{got:?}"
    );
    assert_eq!(got[1].0, "domains/orders/waivers.yaml:8:13");
    assert!(
        got[1]
            .1
            .contains("waiving a global policy needs the root waiver file"),
        "{got:?}"
    );
    // The finding on the domain file belongs to the domain.
    let e = findings(&doc, "meshgate.waiver/out-of-domain")[0];
    assert_eq!(e["domain"], "orders");
    // The root file may waive the global policy.
    write(
        t.path(),
        "waivers.yaml",
        format!(
            "waivers:\n{}",
            waiver("domains/orders/**", "gov.owner", "", "2026-02-01")
        ),
    );
    let (_, doc) = check(t.path(), &[]);
    assert_eq!(
        one(&doc, "gov.owner/owner-missing")["disposition"],
        "waived"
    );
}

#[test]
fn ci_formats_do_not_render_waived_findings_as_failures() {
    let t = mesh();
    write(
        t.path(),
        "waivers.yaml",
        format!(
            "waivers:\n{}",
            waiver(
                DAILY,
                "gov.owner",
                "    rule: owner-missing\n",
                "2026-03-01"
            )
        ),
    );
    let run =
        |format: &str| meshgate_in(t.path(), &["check", ".", "--now", NOW, "--format", format]);
    let sarif: Value = serde_json::from_str(&run("sarif").stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let waived = results
        .iter()
        .find(|r| r["properties"]["code"] == "gov.owner/owner-missing")
        .unwrap();
    assert_eq!(waived["suppressions"][0]["kind"], "external");
    assert_eq!(waived["suppressions"][0]["status"], "accepted");
    assert!(waived["suppressions"][0]["justification"]
        .as_str()
        .unwrap()
        .contains("legacy product, migrating (approved by governance-board, until 2026-03-01"));
    let open = results
        .iter()
        .find(|r| r["properties"]["code"] == "gov.owner/description-missing")
        .unwrap();
    assert!(open.get("suppressions").is_none());
    assert!(open.get("baselineState").is_none(), "no baseline given");

    let gitlab: Value = serde_json::from_str(&run("gitlab").stdout).unwrap();
    let names: Vec<&str> = gitlab
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["check_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gov.owner/description-missing"]);

    let github = run("github").stdout;
    assert!(!github.contains("no owner"), "{github}");
    assert!(github.contains("no description"), "{github}");

    let markdown = run("markdown").stdout;
    assert!(markdown.contains("Not failing: 1 waived"), "{markdown}");
    assert!(!markdown.contains("no owner"), "{markdown}");

    // JUnit: all of the product × policy's findings waived → skipped, not failed.
    write(
        t.path(),
        "waivers.yaml",
        format!("waivers:\n{}", waiver(DAILY, "gov.owner", "", "2026-03-01")),
    );
    let junit = run("junit").stdout;
    assert!(!junit.contains("<failure"), "{junit}");
    assert!(
        junit.contains("failed, waived: legacy product, migrating"),
        "{junit}"
    );
}

// ---------------------------------------------------------------------------------------
// Baseline

fn read(dir: &Path, rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(rel)).unwrap()).unwrap()
}

#[test]
fn a_baseline_records_todays_findings_and_fails_only_on_new_ones() {
    let t = mesh();
    let r = meshgate_in(
        t.path(),
        &[
            "check",
            ".",
            "--now",
            NOW,
            "--write-baseline",
            "meshgate-baseline.json",
        ],
    );
    assert_eq!(r.code, 0, "recording is not gating: {}", r.stderr);
    assert!(
        r.stderr
            .contains("wrote the baseline meshgate-baseline.json"),
        "{}",
        r.stderr
    );
    let b = read(t.path(), "meshgate-baseline.json");
    assert_eq!(b["version"], 1);
    let entries = b["findings"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["product"], DAILY);
    assert_eq!(entries[1]["policy"], "gov.owner");
    assert_eq!(entries[1]["rule"], "deny");
    assert_eq!(entries[1]["message"], "no owner");
    assert_eq!(entries[1]["severity"], "error");
    assert_eq!(entries[1]["fingerprint"].as_str().unwrap().len(), 16);

    let (code, doc) = check(t.path(), &["--baseline", "meshgate-baseline.json"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"]["baselined"], 2);
    assert_eq!(doc["summary"]["findings"]["error"], 0);
    assert_eq!(doc["findings"][0]["disposition"], "baselined");
    assert_eq!(
        doc["products"][0]["outcomes"], "f",
        "baselined is not a pass"
    );
    assert_eq!(doc["products"][0]["baselined"], 2);

    // A new finding fails; only it is open.
    write(t.path(), WEEKLY, "name: weekly\ndescription: d\n");
    let (code, doc) = check(t.path(), &["--baseline", "meshgate-baseline.json"]);
    assert_eq!(code, 1);
    assert_eq!(doc["summary"]["findings"]["error"], 1);
    let open: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["disposition"].is_null())
        .collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["product"], WEEKLY);
    // SARIF tells new from unchanged.
    let r = meshgate_in(
        t.path(),
        &[
            "check",
            ".",
            "--now",
            NOW,
            "--format",
            "sarif",
            "--baseline",
            "meshgate-baseline.json",
        ],
    );
    let sarif: Value = serde_json::from_str(&r.stdout).unwrap();
    let states: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["unchanged", "unchanged", "new"]);
    let junit = meshgate_in(
        t.path(),
        &[
            "check",
            ".",
            "--now",
            NOW,
            "--format",
            "junit",
            "--baseline",
            "meshgate-baseline.json",
        ],
    )
    .stdout;
    assert_eq!(junit.matches("<failure").count(), 1, "{junit}");
    assert!(junit.contains("failed, in the baseline"), "{junit}");
}

#[test]
fn baselined_findings_survive_line_shifts_and_key_reordering() {
    let t = mesh();
    let r = meshgate_in(t.path(), &["check", ".", "--write-baseline", "b.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Lines shift, keys reorder, comments appear.
    write(
        t.path(),
        DAILY,
        "# a comment\n\n\nkind: x\n# another\nname: daily\n",
    );
    let (code, doc) = check(t.path(), &["--baseline", "b.json"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"]["baselined"], 2);
    assert_eq!(doc["summary"]["baseline_fixed"], 0);
}

#[test]
fn fixed_baseline_entries_are_counted_and_pruned() {
    let t = mesh();
    meshgate_in(t.path(), &["check", ".", "--write-baseline", "b.json"]);
    write(t.path(), DAILY, "name: daily\nkind: x\nowner: o\n");
    let (code, doc) = check(t.path(), &["--baseline", "b.json"]);
    assert_eq!(code, 0);
    assert_eq!(doc["summary"]["baselined"], 1);
    assert_eq!(doc["summary"]["baseline_fixed"], 1);
    let r = meshgate_in(
        t.path(),
        &["check", ".", "--color", "never", "--baseline", "b.json"],
    );
    assert!(
        r.stdout.starts_with(&format!(
            "baselined error[gov.owner/description-missing]: no description --> {DAILY}:1:1\n"
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("note: 1 finding in the baseline b.json (not counted above, failing nothing); 1 baselined finding is fixed: remove them with --prune-baseline."),
        "{}",
        r.stdout
    );
    // Writing a baseline from a partial run warns.
    let r = meshgate_in(
        t.path(),
        &[
            "check",
            "domains/orders/products/weekly",
            "--write-baseline",
            "part.json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "warning: the baseline holds only the findings of domains/orders/products/weekly"
        ),
        "{}",
        r.stderr
    );
    // A partial run does not call the other products' entries fixed.
    let (_, doc) = json_in(
        t.path(),
        &["check", WEEKLY, "--format", "json", "--baseline", "b.json"],
    );
    assert_eq!(doc["summary"]["baseline_fixed"], 0);

    let r = meshgate_in(
        t.path(),
        &["check", ".", "--baseline", "b.json", "--prune-baseline"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("removed 1 fixed finding(s) from the baseline b.json"),
        "{}",
        r.stderr
    );
    let b = read(t.path(), "b.json");
    let entries = b["findings"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["message"], "no description");
    let (_, doc) = check(t.path(), &["--baseline", "b.json"]);
    assert_eq!(doc["summary"]["baseline_fixed"], 0);
    // --prune-baseline needs --baseline.
    let r = meshgate_in(t.path(), &["check", ".", "--prune-baseline"]);
    assert_eq!(r.code, 2);
}

#[test]
fn a_waived_finding_is_not_recorded_in_a_baseline() {
    let t = mesh();
    write(
        t.path(),
        "waivers.yaml",
        format!(
            "waivers:\n{}",
            waiver(
                DAILY,
                "gov.owner",
                "    rule: owner-missing\n",
                "2026-03-01"
            )
        ),
    );
    meshgate_in(
        t.path(),
        &["check", ".", "--now", NOW, "--write-baseline", "b.json"],
    );
    let b = read(t.path(), "b.json");
    let messages: Vec<&str> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, ["no description"]);
}

#[test]
fn a_baseline_that_does_not_parse_or_has_an_unknown_version_is_exit_2_with_its_line() {
    let t = mesh();
    write(
        t.path(),
        "b.json",
        "{\n  \"version\": 1,\n  \"findings\": [\n    {\"product\": 3}\n  ]\n}\n",
    );
    let r = meshgate_in(t.path(), &["check", ".", "--baseline", "b.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("meshgate: error: b.json:4:"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);

    write(
        t.path(),
        "b.json",
        "{\n  \"findings\": [],\n  \"version\": 7\n}\n",
    );
    let r = meshgate_in(t.path(), &["check", ".", "--baseline", "b.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("b.json:3:3: baseline file has version 7; this meshgate reads version 1"),
        "{}",
        r.stderr
    );

    write(t.path(), "b.json", "not json");
    let r = meshgate_in(t.path(), &["check", ".", "--baseline", "b.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("b.json:1:2: not a meshgate baseline"),
        "{}",
        r.stderr
    );

    let r = meshgate_in(t.path(), &["check", ".", "--baseline", "missing.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("missing.json:1:1: cannot read the baseline"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_empty_waiver_file_is_no_waiver_and_parse_only_reports_no_unused_policy_waiver() {
    let t = mesh();
    write(t.path(), "waivers.yaml", "# no exceptions yet\n");
    let (code, doc) = check(t.path(), &[]);
    assert_eq!(code, 1);
    assert!(
        findings(&doc, "meshgate.waiver/invalid").is_empty(),
        "{doc:#}"
    );
    write(
        t.path(),
        "waivers.yaml",
        format!("waivers:\n{}", waiver(DAILY, "gov.owner", "", "2026-03-01")),
    );
    // No policy is evaluated: the waiver cannot be told unused.
    let (code, doc) = check(t.path(), &["--parse-only"]);
    assert_eq!(code, 0);
    assert!(doc["findings"].as_array().unwrap().is_empty(), "{doc:#}");
}

#[test]
fn a_domain_waiver_file_is_checked_only_when_its_domain_is() {
    let t = mesh();
    write(
        t.path(),
        "domains/billing/products/inv/dataproduct.yaml",
        "name: inv\nowner: o\ndescription: d\n",
    );
    write(
        t.path(),
        "domains/orders/waivers.yaml",
        format!("waivers:\n{}", waiver(DAILY, "gov.owner", "", "2025-01-01")),
    );
    let (_, doc) = json_in(
        t.path(),
        &["check", "domains/billing", "--format", "json", "--now", NOW],
    );
    assert!(
        findings(&doc, "meshgate.waiver/expired").is_empty(),
        "{doc:#}"
    );
    let names: Vec<&str> = doc["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(names, ["billing"]);
    let (_, doc) = json_in(
        t.path(),
        &["check", "domains/orders", "--format", "json", "--now", NOW],
    );
    assert_eq!(
        at(one(&doc, "meshgate.waiver/expired")),
        "domains/orders/waivers.yaml:6:14"
    );
}

#[test]
fn waived_and_baselined_output_is_the_same_for_any_thread_count() {
    let t = mesh();
    for i in 0..6 {
        write(
            t.path(),
            &format!("domains/orders/products/p{i}/dataproduct.yaml"),
            format!("name: p{i}\n"),
        );
    }
    write(
        t.path(),
        "waivers.yaml",
        format!(
            "waivers:\n{}",
            waiver(
                "domains/orders/products/p[0-2]/*",
                "gov.owner",
                "",
                "2026-03-01"
            )
        ),
    );
    let r = meshgate_in(
        t.path(),
        &["check", ".", "--now", NOW, "--write-baseline", "b.json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    write(
        t.path(),
        "domains/orders/products/p5/dataproduct.yaml",
        "name: p5\nowner: o\n",
    );
    let run = |threads: &str| {
        meshgate_in(
            t.path(),
            &[
                "check",
                ".",
                "--format",
                "json",
                "--now",
                NOW,
                "--baseline",
                "b.json",
                "-j",
                threads,
            ],
        )
        .stdout
    };
    let one = run("1");
    assert!(
        one.contains("\"waived\"") && one.contains("\"baselined\""),
        "{one}"
    );
    assert_eq!(one, run("4"));
}
