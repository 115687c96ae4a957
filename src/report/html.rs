//! The HTML report: one self-contained page (no network load: styles, script and charts are
//! inline) from the askama template `templates/report.html`, with the JSON report embedded.

use std::collections::BTreeMap;
use std::io::{self, Write};

use askama::Template;

use crate::findings::Finding;
use crate::score::{Board, DomainCard, ProductScore, Tier};

use super::scorecard::{delta_text, level_change_text, level_text, score_text};

/// A summary tile: a figure with a word, so it reads without colour.
struct Tile {
    label: &'static str,
    value: String,
    word: String,
    class: &'static str,
}

/// One bar of the scores chart.
struct Bar {
    name: String,
    y: u32,
    text_y: u32,
    width: u32,
    label: String,
    title: String,
    class: &'static str,
}

/// One line of the history chart.
struct Line {
    title: String,
    points: String,
    class: &'static str,
}

/// One row of the history table.
struct HistoryRow {
    commit: String,
    date: String,
    mean: String,
    domains: Vec<String>,
}

struct DomainRow {
    anchor: String,
    name: String,
    owner: String,
    products: usize,
    mean: String,
    mean_key: String,
    delta: String,
    median: String,
    min: String,
    gold: usize,
    silver: usize,
    bronze: usize,
    none: usize,
}

struct ProductRow {
    anchor: String,
    domain: String,
    path: String,
    status: String,
    score: String,
    score_key: String,
    level: String,
    level_key: u8,
    blocking: String,
}

struct FindingView {
    severity: &'static str,
    code: String,
    at: String,
    message: String,
    help: String,
}

struct ProductDetail {
    path: String,
    score: String,
    level: String,
    class: &'static str,
    blocking: String,
    not_applicable: String,
    findings: Vec<FindingView>,
}

struct PolicyRow {
    policy: String,
    level: &'static str,
    severity: &'static str,
    products: usize,
}

struct DomainSection {
    anchor: String,
    name: String,
    owner: String,
    summary: String,
    failing_policies: Vec<PolicyRow>,
    failing: Vec<ProductDetail>,
    passing: Vec<ProductDetail>,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    title: String,
    version: String,
    tiles: Vec<Tile>,
    chart_height: u32,
    bars: Vec<Bar>,
    domains: Vec<DomainRow>,
    products: Vec<ProductRow>,
    sections: Vec<DomainSection>,
    comparing: bool,
    history_names: Vec<String>,
    history_lines: Vec<Line>,
    history_rows: Vec<HistoryRow>,
    errors: Vec<String>,
    /// The JSON report, escaped for a `<script>` element ([`script_json`]).
    json: String,
}

/// `text` safe inside `<script type="application/json">`: every `<`, `>` and `&` (so no
/// `</script>` nor `<!--` can end or change the element) and U+2028/U+2029 (line breaks to a
/// JavaScript parser) as JSON `\u` escapes, which `JSON.parse` reads back to the same text.
/// Safe on serde_json output: these characters only occur inside its strings.
pub fn script_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The word for a score, so that a tile or bar reads without its colour.
fn grade(score: Option<f64>) -> (&'static str, &'static str) {
    match score {
        Some(s) if s >= 90.0 => ("good", "good"),
        Some(s) if s >= 70.0 => ("fair", "fair"),
        Some(_) => ("poor", "poor"),
        None => ("no score", "none"),
    }
}

fn domain_label(d: &DomainCard) -> String {
    d.name.clone().unwrap_or_else(|| "(no domain)".to_string())
}

fn level_key(t: Option<Tier>) -> u8 {
    t.map_or(0, |t| t as u8 + 1)
}

fn status_text(p: &ProductScore) -> String {
    serde_json::to_value(p.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn blocking_text(p: &ProductScore) -> String {
    if p.blocking.is_empty() {
        String::new()
    } else {
        format!("{}: {}", level_text(p.next_level), p.blocking.join(", "))
    }
}

fn finding_view(f: &Finding) -> FindingView {
    FindingView {
        severity: f.severity.as_str(),
        code: f.code(),
        at: f
            .location
            .as_ref()
            .map_or_else(String::new, |l| format!("{}:{}", l.file, l.line)),
        message: f.message.clone(),
        help: f.help.clone().unwrap_or_default(),
    }
}

/// Renders `board` as one HTML page into `out`.
pub fn render(board: &Board, out: &mut dyn Write) -> io::Result<()> {
    let json = serde_json::to_string(board).map_err(io::Error::from)?;
    let page = page(board, script_json(&json));
    let text = page.render().map_err(io::Error::other)?;
    out.write_all(text.as_bytes())
}

fn page(b: &Board, json: String) -> Page {
    let m = &b.mesh.stats;
    let (word, class) = grade(m.mean);
    let below_bronze = m.levels.none;
    let mut tiles = vec![
        Tile {
            label: "Mean score",
            value: score_text(m.mean),
            word: word.to_string(),
            class,
        },
        Tile {
            label: "Products",
            value: m.products.to_string(),
            word: format!("in {} domains", b.mesh.domains),
            class: "info",
        },
        Tile {
            label: "Below bronze",
            value: below_bronze.to_string(),
            word: if below_bronze == 0 {
                "none: good".to_string()
            } else {
                "to fix first".to_string()
            },
            class: if below_bronze == 0 { "good" } else { "poor" },
        },
        Tile {
            label: "Gold",
            value: m.levels.gold.to_string(),
            word: format!("silver {} · bronze {}", m.levels.silver, m.levels.bronze),
            class: "info",
        },
    ];
    if let Some(c) = &b.comparison {
        let class = match c.mesh.delta {
            Some(d) if d > 0.0 => "good",
            Some(d) if d < 0.0 => "poor",
            _ => "info",
        };
        let word = match c.mesh.delta {
            Some(d) if d > 0.0 => "improving",
            Some(d) if d < 0.0 => "slipping",
            Some(_) => "steady",
            None => "no earlier score",
        };
        tiles.push(Tile {
            label: "Since last report",
            value: delta_text(&c.mesh),
            word: format!(
                "{word}: {} new, {} fixed findings",
                c.new_findings.len(),
                c.fixed_findings.len()
            ),
            class,
        });
    }
    if !b.errors.is_empty() {
        tiles.push(Tile {
            label: "Run errors",
            value: b.errors.len().to_string(),
            word: "incomplete".to_string(),
            class: "poor",
        });
    }

    const ROW: u32 = 28;
    let bars = b
        .domains
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let y = 8 + ROW * i as u32;
            let (word, class) = grade(d.stats.mean);
            let name = domain_label(d);
            Bar {
                title: format!("{name}: mean score {} ({word})", score_text(d.stats.mean)),
                width: d.stats.mean.map_or(0, |s| (s * 4.0).round() as u32),
                label: format!("{} {word}", score_text(d.stats.mean)),
                name,
                y,
                text_y: y + 15,
                class,
            }
        })
        .collect::<Vec<_>>();
    let chart_height = 16 + ROW * bars.len() as u32;

    let anchor = |i: usize| format!("domain-{i}");
    let delta_of = |d: &DomainCard| {
        b.comparison.as_ref().map_or_else(String::new, |c| {
            c.domains
                .iter()
                .find(|x| x.name == d.name)
                .map_or_else(|| "—".to_string(), |x| delta_text(&x.mean))
        })
    };
    let domains = b
        .domains
        .iter()
        .enumerate()
        .map(|(i, d)| DomainRow {
            anchor: anchor(i),
            name: domain_label(d),
            owner: d.owner.clone().unwrap_or_else(|| "—".to_string()),
            products: d.stats.products,
            mean: score_text(d.stats.mean),
            mean_key: d.stats.mean.map_or("-1".to_string(), |s| s.to_string()),
            delta: delta_of(d),
            median: score_text(d.stats.median),
            min: score_text(d.stats.min),
            gold: d.stats.levels.gold,
            silver: d.stats.levels.silver,
            bronze: d.stats.levels.bronze,
            none: d.stats.levels.none,
        })
        .collect();
    let products = b
        .domains
        .iter()
        .enumerate()
        .flat_map(|(i, d)| {
            d.product_scores.iter().map(move |p| ProductRow {
                anchor: anchor(i),
                domain: domain_label(d),
                path: p.path.clone(),
                status: status_text(p),
                score: score_text(p.score),
                score_key: p.score.map_or("-1".to_string(), |s| s.to_string()),
                level: level_text(p.level).to_string(),
                level_key: level_key(p.level),
                blocking: blocking_text(p),
            })
        })
        .collect();

    let mut by_product: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &b.findings {
        if let Some(p) = &f.product {
            by_product.entry(p.as_str()).or_default().push(f);
        }
    }
    let sections = b
        .domains
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let detail = |p: &ProductScore| {
                let mut findings: Vec<FindingView> = by_product
                    .get(p.path.as_str())
                    .map(|fs| fs.iter().map(|f| finding_view(f)).collect())
                    .unwrap_or_default();
                // Most severe first (stable).
                findings.sort_by_key(|f| match f.severity {
                    "error" => 0,
                    "warning" => 1,
                    _ => 2,
                });
                ProductDetail {
                    path: p.path.clone(),
                    score: score_text(p.score),
                    level: level_text(p.level).to_string(),
                    class: grade(p.score).1,
                    blocking: blocking_text(p),
                    not_applicable: p.not_applicable.join(", "),
                    findings,
                }
            };
            // Failures first: products with a failing policy (or no score), lowest first.
            let mut mine: Vec<&ProductScore> = d.product_scores.iter().collect();
            mine.sort_by(|a, b| {
                a.score
                    .unwrap_or(-1.0)
                    .total_cmp(&b.score.unwrap_or(-1.0))
                    .then_with(|| a.path.cmp(&b.path))
            });
            let (failing, passing): (Vec<&ProductScore>, Vec<&ProductScore>) =
                mine.into_iter().partition(|p| {
                    p.failed > 0 || by_product.contains_key(p.path.as_str())
                });
            let changes = b.comparison.as_ref().map_or_else(Vec::new, |c| {
                let mut v: Vec<String> = c
                    .products
                    .iter()
                    .filter(|p| p.domain == d.name)
                    .map(|p| {
                        format!(
                            "{}: {} → {} ({}), {}{}",
                            p.path,
                            score_text(p.score.before),
                            score_text(p.score.after),
                            delta_text(&p.score),
                            level_change_text(p.level_before, p.level_after),
                            match p.change.as_str() {
                                "new" => " (new)",
                                "removed" => " (removed)",
                                _ => "",
                            }
                        )
                    })
                    .collect();
                v.extend(
                    c.new_findings
                        .iter()
                        .filter(|k| k.domain == d.name)
                        .map(|k| format!("new: {} {}/{}: {}", k.product.as_deref().unwrap_or("domain.yaml"), k.policy, k.rule, k.message)),
                );
                v.extend(
                    c.fixed_findings
                        .iter()
                        .filter(|k| k.domain == d.name)
                        .map(|k| format!("fixed: {} {}/{}: {}", k.product.as_deref().unwrap_or("domain.yaml"), k.policy, k.rule, k.message)),
                );
                v
            });
            DomainSection {
                anchor: anchor(i),
                name: domain_label(d),
                owner: d.owner.clone().unwrap_or_else(|| "—".to_string()),
                summary: format!(
                    "{} products · mean {} · median {} · lowest {} · gold {} · silver {} · bronze {} · none {}",
                    d.stats.products,
                    score_text(d.stats.mean),
                    score_text(d.stats.median),
                    score_text(d.stats.min),
                    d.stats.levels.gold,
                    d.stats.levels.silver,
                    d.stats.levels.bronze,
                    d.stats.levels.none
                ),
                failing_policies: d
                    .failing_policies
                    .iter()
                    .map(|h| PolicyRow {
                        policy: h.policy.clone(),
                        level: h.level.as_str(),
                        severity: h.severity.as_str(),
                        products: h.products,
                    })
                    .collect(),
                failing: failing.into_iter().map(detail).collect(),
                passing: passing.into_iter().map(detail).collect(),
                changes,
            }
        })
        .collect();
    let (history_names, history_lines, history_rows) = history(b);
    Page {
        history_names,
        history_lines,
        history_rows,
        title: "Data mesh governance report".to_string(),
        version: b.tool.version.clone(),
        tiles,
        chart_height,
        bars,
        domains,
        products,
        sections,
        comparing: b.comparison.is_some(),
        errors: b.errors.clone(),
        json,
    }
}

/// The history chart (x: the commits, evenly; y: 0-100, in a 600 × 160 box) and table.
fn history(b: &Board) -> (Vec<String>, Vec<Line>, Vec<HistoryRow>) {
    let Some(h) = b.history.as_ref().filter(|h| !h.is_empty()) else {
        return (Vec::new(), Vec::new(), Vec::new());
    };
    let names: Vec<Option<String>> = b.domains.iter().map(|d| d.name.clone()).collect();
    let x = |i: usize| {
        40 + if h.len() > 1 {
            i * 560 / (h.len() - 1)
        } else {
            280
        }
    };
    let y = |s: f64| 170.0 - s * 1.6;
    let line = |title: String, series: Vec<Option<f64>>, class| {
        let points = series
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|s| format!("{},{:.1}", x(i), y(s))))
            .collect::<Vec<_>>()
            .join(" ");
        Line {
            title,
            points,
            class,
        }
    };
    let mut lines = vec![line(
        format!(
            "mesh: {}",
            h.iter()
                .map(|p| score_text(p.mean))
                .collect::<Vec<_>>()
                .join(" → ")
        ),
        h.iter().map(|p| p.mean).collect(),
        "mesh",
    )];
    for n in &names {
        let series: Vec<Option<f64>> = h
            .iter()
            .map(|p| p.domains.iter().find(|(x, _)| x == n).and_then(|(_, m)| *m))
            .collect();
        lines.push(line(
            format!(
                "{}: {}",
                n.as_deref().unwrap_or("(no domain)"),
                series
                    .iter()
                    .map(|s| score_text(*s))
                    .collect::<Vec<_>>()
                    .join(" → ")
            ),
            series,
            "domain",
        ));
    }
    let rows = h
        .iter()
        .map(|p| HistoryRow {
            commit: p.commit.get(..12).unwrap_or(&p.commit).to_string(),
            date: p.date.get(..10).unwrap_or(&p.date).to_string(),
            mean: p
                .error
                .as_ref()
                .map_or_else(|| score_text(p.mean), |e| format!("error: {e}")),
            domains: names
                .iter()
                .map(|n| score_text(p.domains.iter().find(|(x, _)| x == n).and_then(|(_, m)| *m)))
                .collect(),
        })
        .collect();
    (
        names
            .iter()
            .map(|n| n.clone().unwrap_or_else(|| "(no domain)".to_string()))
            .collect(),
        lines,
        rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_end_the_element() {
        let text = serde_json::to_string("</script><!--<script>&\u{2028}\u{2029}").unwrap();
        let safe = script_json(&text);
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            assert!(!safe.contains(bad), "{safe}");
        }
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, "</script><!--<script>&\u{2028}\u{2029}");
    }
}
