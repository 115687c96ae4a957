//! `meshgate report --format html`: the page's structure and escaping (always), and the page
//! in a real headless Chromium (when one is installed; `.ci/run` installs Debian's).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{meshgate, meshgate_in};

/// The embedded JSON report of a page, read back.
fn embedded_json(html: &str) -> serde_json::Value {
    let open = "<script type=\"application/json\" id=\"meshgate-report\">";
    let start = html.find(open).expect("an embedded report") + open.len();
    let end = start + html[start..].find("</script>").expect("its end");
    serde_json::from_str(&html[start..end]).expect("the embedded report is JSON")
}

fn html_of(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["report", "--format", "html"];
    all.extend_from_slice(args);
    let r = meshgate_in(dir, &all);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

#[test]
fn the_page_is_self_contained_and_holds_the_json_report() {
    let html = html_of(&common::repo(), &["fixtures/mesh"]);
    // Nothing to load: no src or href to anything but an anchor of the page, no link/import.
    for bad in ["src=", "href=\"http", "href='", "<link", "@import", "url("] {
        assert!(!html.contains(bad), "the page has `{bad}`");
    }
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    // Two scripts: the data, then the page's own code.
    assert_eq!(html.matches("<script").count(), 2);
    let json = meshgate(&["report", "fixtures/mesh", "--format", "json"]);
    let expected: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(embedded_json(&html), expected);
    // Every domain has its row and its section; every chart has a title per bar.
    for d in ["customers", "inventory", "logistics", "orders"] {
        assert!(html.contains(&format!("<h2>Domain: {d}</h2>")), "{d}");
        assert!(html.contains(&format!("<title>{d}: mean score ")), "{d}");
    }
    assert!(html.contains("<title id=\"chart-title\">"));
    // Findings with file:line and the policy's remediation; passes collapsed, failures open.
    assert!(html.contains("domains/orders/products/order-returns/dataproduct.yml:43"));
    assert!(html.contains("<p class=\"help\">"));
    assert!(html.contains("<details open class=\"product failing\">"));
    assert!(html.contains("<details class=\"passing\">"));
    assert!(html.contains("@media print"));
}

/// A mesh whose domain folder and product name are hostile: markup, quotes, RTL override,
/// line separators and 10,000 characters.
fn hostile_mesh() -> (tempfile::TempDir, String, String) {
    let t = tempfile::tempdir().unwrap();
    let domain = "d\"'<img src=x onerror=window.__pwned=1>\u{202e}lmth.exe".to_string();
    let name = format!(
        "</script><script>window.__pwned=2</script><!--<img src=x onerror=window.__pwned=3>\u{2028}\u{2029}\"'{}",
        "x".repeat(10_000)
    );
    let text = std::fs::read_to_string(
        common::repo().join("fixtures/mesh/domains/orders/products/order-events/dataproduct.yaml"),
    )
    .unwrap()
    .replacen(
        "name: order-events",
        &format!("name: '{}'", name.replace('\'', "''")),
        1,
    )
    .replacen(
        "domain: orders",
        &format!("domain: '{}'", domain.replace('\'', "''")),
        1,
    );
    common::write(
        t.path(),
        &format!("domains/{domain}/products/p/dataproduct.yaml"),
        text,
    );
    (t, domain, name)
}

#[test]
fn hostile_names_cannot_break_the_page() {
    let (t, domain, name) = hostile_mesh();
    let html = html_of(t.path(), &[]);
    for raw in [
        "<img",
        "</script><script>",
        "<!--<",
        "onerror=window.__pwned=1>",
    ] {
        assert!(!html.contains(raw), "`{raw}` is in the page unescaped");
    }
    // Inside the script element, not even a `<` nor a JavaScript line break (U+2028/2029 are
    // plain characters in HTML text, where they may stay).
    let open = "<script type=\"application/json\" id=\"meshgate-report\">";
    let start = html.find(open).unwrap() + open.len();
    let script = &html[start..start + html[start..].find("</script>").unwrap()];
    for raw in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
        assert!(!script.contains(raw), "`{raw}` in the embedded JSON");
    }
    assert_eq!(html.matches("<script").count(), 2);
    assert_eq!(html.matches("</script>").count(), 2);
    // The names are all there, escaped, and read back exactly from the embedded JSON.
    let doc = embedded_json(&html);
    assert_eq!(doc["domains"][0]["name"], domain.as_str());
    let messages: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains(&name)),
        "no finding quotes the name"
    );
    assert!(
        html.contains("d&#34;&#39;&#60;img src=x onerror=window.__pwned=1&#62;\u{202e}lmth.exe")
    );
    if let Some(result) = in_browser(&html) {
        assert_eq!(result.json["pwned"], false, "{}", result.json);
        assert_eq!(result.json["errors"], serde_json::json!([]));
        assert_eq!(result.json["domains"], serde_json::json!([domain]));
        assert_eq!(result.console, Vec::<String>::new());
    }
}

/// The Chromium to test with: `$MESHGATE_CHROMIUM`, else `chromium` on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MESHGATE_CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// What the page's test mode (`#selftest`) found, and the console messages of the page.
struct BrowserResult {
    json: serde_json::Value,
    console: Vec<String>,
}

/// Loads `html` in headless Chromium in test mode; `None` (with a note saying so) when no
/// Chromium is installed.
fn in_browser(html: &str) -> Option<BrowserResult> {
    let Some(chromium) = chromium() else {
        eprintln!(
            "SKIPPED the browser part: no Chromium (install Debian's `chromium`, or set MESHGATE_CHROMIUM); the text checks above still ran"
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, html).unwrap();
    let out = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg("--dump-dom")
        .arg(format!("file://{}#selftest", page.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let open = "<pre id=\"meshgate-selftest\">";
    let start = dom
        .find(open)
        .unwrap_or_else(|| panic!("the page's test mode did not run:\n{stderr}"))
        + open.len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let text = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    // Chromium logs the page's console messages (errors, CSP refusals) as `CONSOLE` lines.
    let console = stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .map(str::to_string)
        .collect();
    Some(BrowserResult {
        json: serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
        console,
    })
}

#[test]
fn the_page_works_in_a_real_browser() {
    let html = html_of(&common::repo(), &["fixtures/mesh"]);
    let Some(result) = in_browser(&html) else {
        return;
    };
    let r = &result.json;
    assert_eq!(result.console, Vec::<String>::new());
    assert_eq!(r["errors"], serde_json::json!([]));
    // Every domain of the fixture is shown, and the embedded JSON parses in the page.
    let domains = serde_json::json!(["customers", "inventory", "logistics", "orders"]);
    assert_eq!(r["domains"], domains);
    assert_eq!(r["report_domains"], domains);
    // Sorting by score: the lowest first, then the highest (as the JSON report has them).
    let json = common::meshgate(&["report", "fixtures/mesh", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let scores: Vec<f64> = doc["domains"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["product_scores"].as_array().unwrap())
        .filter_map(|p| p["score"].as_f64())
        .collect();
    let lowest = scores.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(lowest < highest, "{scores:?}");
    assert_eq!(r["sorted_ascending_first"].as_f64(), Some(lowest));
    assert_eq!(r["sorted_descending_first"].as_f64(), Some(highest));
    // Filtering on a domain leaves its four products and no other.
    assert_eq!(r["filter"], "customers");
    assert_eq!(r["visible_products"], 4);
    assert_eq!(r["visible_products_of_other_domains"], 0);
    // No network request (the page loads no resource at all).
    assert_eq!(r["resources"], 0);
    assert_eq!(r["pwned"], false);
}
