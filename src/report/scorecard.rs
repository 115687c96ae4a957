//! `meshgate report`: the governance board's report (scores, levels, domain scorecards, the
//! mesh overview) as versioned JSON or markdown, drawn from a [`Board`].

use std::io::{self, Write};

use crate::score::{Board, DomainCard, FindingKey, LevelCounts, ScoreDelta, Tier};

use super::markdown::cell;

/// The output formats of `meshgate report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The versioned JSON document described in the README (the input of `--compare`).
    Json,
    /// Markdown for a wiki page or a pull-request comment: the mesh table, then each domain.
    Markdown,
    /// One self-contained HTML page (nothing loaded from the network), the JSON embedded.
    Html,
}

/// Renders `board` as `format` into `out`.
pub fn render(format: ReportFormat, board: &Board, out: &mut dyn Write) -> io::Result<()> {
    match format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, board).map_err(io::Error::from)?;
            writeln!(out)
        }
        ReportFormat::Markdown => markdown(board, out),
        ReportFormat::Html => super::html::render(board, out),
    }
}

/// A score as shown: one decimal, or `—` for none.
pub fn score_text(s: Option<f64>) -> String {
    s.map_or_else(|| "—".to_string(), |s| format!("{s:.1}"))
}

/// A level as shown: its name, or `—` for none (not scored).
pub fn level_text(t: Option<Tier>) -> &'static str {
    t.map_or("—", Tier::as_str)
}

fn levels_text(l: &LevelCounts) -> String {
    [Tier::Gold, Tier::Silver, Tier::Bronze, Tier::None]
        .iter()
        .map(|&t| format!("{} {}", t.as_str(), l.get(t)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A score change as shown: `+3.4`, `-2.0`, `0.0`, or `—` when either side has no score.
pub fn delta_text(d: &ScoreDelta) -> String {
    match d.delta {
        Some(x) if x > 0.0 => format!("+{x:.1}"),
        Some(x) => format!("{x:.1}"),
        None => "—".to_string(),
    }
}

/// A level change as shown: `silver → bronze`, or the level when it did not change.
pub fn level_change_text(before: Option<Tier>, after: Option<Tier>) -> String {
    if before == after {
        level_text(after).to_string()
    } else {
        format!("{} → {}", level_text(before), level_text(after))
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn finding_item(k: &FindingKey) -> String {
    format!(
        "- `{}` {} `{}/{}`: {}",
        cell(k.product.as_deref().unwrap_or("domain.yaml")),
        k.severity,
        cell(&k.policy),
        cell(&k.rule),
        cell(&k.message)
    )
}

fn domain_name(d: &DomainCard) -> String {
    d.name
        .as_deref()
        .map_or_else(|| "(no domain)".to_string(), cell)
}

/// A `### title` table of failing policies ranked by the products they hit (nothing when none).
fn failing_table(
    out: &mut dyn Write,
    title: &str,
    hits: &[crate::score::PolicyHits],
) -> io::Result<()> {
    if hits.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n### {title}\n")?;
    writeln!(
        out,
        "| Policy | Level | Severity | Products |\n|---|---|---|--:|"
    )?;
    for h in hits {
        writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            cell(&h.policy),
            h.level.as_str(),
            h.severity,
            h.products
        )?;
    }
    Ok(())
}

fn markdown(b: &Board, out: &mut dyn Write) -> io::Result<()> {
    let m = &b.mesh;
    writeln!(out, "# Data mesh governance report\n")?;
    writeln!(
        out,
        "**Mesh:** {} in {} · mean score {} · median {} · lowest {} · levels: {}\n",
        plural(m.stats.products, "product", "products"),
        plural(m.domains, "domain", "domains"),
        score_text(m.stats.mean),
        score_text(m.stats.median),
        score_text(m.stats.min),
        levels_text(&m.stats.levels)
    )?;
    if let Some(c) = &b.comparison {
        writeln!(
            out,
            "**Since the previous report:** mean {} → {} ({}) · {} · {} fixed · {} changed\n",
            score_text(c.mesh.before),
            score_text(c.mesh.after),
            delta_text(&c.mesh),
            plural(c.new_findings.len(), "new finding", "new findings"),
            c.fixed_findings.len(),
            plural(c.products.len(), "product", "products")
        )?;
    }
    if !b.errors.is_empty() {
        writeln!(
            out,
            "> **Incomplete:** {} run error(s); the scores of the products concerned count those policies as failed.\n",
            b.errors.len()
        )?;
    }
    let cmp = b.comparison.as_ref();
    let (delta_head, delta_rule) = if cmp.is_some() {
        (" Δ mean |", "--:|")
    } else {
        ("", "")
    };
    writeln!(
        out,
        "| Domain | Owner | Products | Mean |{delta_head} Median | Min | Gold | Silver | Bronze | None |"
    )?;
    writeln!(out, "|---|---|--:|--:|{delta_rule}--:|--:|--:|--:|--:|--:|")?;
    for d in &b.domains {
        let l = &d.stats.levels;
        let delta = cmp.map_or_else(String::new, |c| {
            let d = c.domains.iter().find(|x| x.name == d.name);
            format!(
                " {} |",
                d.map_or_else(|| "—".to_string(), |d| delta_text(&d.mean))
            )
        });
        writeln!(
            out,
            "| {} | {} | {} | {} |{delta} {} | {} | {} | {} | {} | {} |",
            domain_name(d),
            d.owner.as_deref().map_or_else(|| "—".to_string(), cell),
            d.stats.products,
            score_text(d.stats.mean),
            score_text(d.stats.median),
            score_text(d.stats.min),
            l.gold,
            l.silver,
            l.bronze,
            l.none
        )?;
    }
    writeln!(out, "\n### Score distribution\n")?;
    writeln!(out, "| Score | Products |\n|---|--:|")?;
    for bucket in &m.distribution {
        writeln!(out, "| {} | {} |", bucket.range, bucket.products)?;
    }
    if let Some(h) = b.history.as_ref().filter(|h| !h.is_empty()) {
        writeln!(out, "\n### History\n")?;
        let names: Vec<Option<String>> = b.domains.iter().map(|d| d.name.clone()).collect();
        write!(out, "| Commit | Date | Mesh |")?;
        for d in &b.domains {
            write!(out, " {} |", domain_name(d))?;
        }
        writeln!(out, "\n|---|---|--:|{}", "--:|".repeat(names.len()))?;
        for p in h {
            write!(
                out,
                "| `{}` | {} | {} |",
                p.commit.get(..12).unwrap_or(&p.commit),
                cell(p.date.get(..10).unwrap_or(&p.date)),
                match &p.error {
                    Some(e) => format!("error: {}", cell(e)),
                    None => score_text(p.mean),
                }
            )?;
            for n in &names {
                let m = p.domains.iter().find(|(x, _)| x == n).and_then(|(_, m)| *m);
                write!(out, " {} |", score_text(m))?;
            }
            writeln!(out)?;
        }
    }
    failing_table(out, "Policies failing most", &m.failing_policies)?;
    if let Some(c) = cmp.filter(|c| !c.products.is_empty()) {
        writeln!(out, "\n### Products that changed\n")?;
        writeln!(
            out,
            "| Product | Before | Now | Δ | Level |\n|---|--:|--:|--:|---|"
        )?;
        for p in &c.products {
            let what = match p.change.as_str() {
                "new" => " (new)",
                "removed" => " (removed)",
                _ => "",
            };
            writeln!(
                out,
                "| `{}`{what} | {} | {} | {} | {} |",
                cell(&p.path),
                score_text(p.score.before),
                score_text(p.score.after),
                delta_text(&p.score),
                level_change_text(p.level_before, p.level_after)
            )?;
        }
    }
    for d in &b.domains {
        writeln!(out, "\n## {}\n", domain_name(d))?;
        writeln!(
            out,
            "Owner: {} · {} products · mean {} · median {} · lowest {} · levels: {}",
            d.owner.as_deref().map_or_else(|| "—".to_string(), cell),
            d.stats.products,
            score_text(d.stats.mean),
            score_text(d.stats.median),
            score_text(d.stats.min),
            levels_text(&d.stats.levels)
        )?;
        if let Some(c) = cmp {
            let new: Vec<&FindingKey> = c
                .new_findings
                .iter()
                .filter(|k| k.domain == d.name)
                .collect();
            let fixed: Vec<&FindingKey> = c
                .fixed_findings
                .iter()
                .filter(|k| k.domain == d.name)
                .collect();
            if !new.is_empty() || !fixed.is_empty() {
                writeln!(out, "\n### Since the previous report")?;
                for (title, list) in [("New findings", new), ("Fixed findings", fixed)] {
                    if !list.is_empty() {
                        writeln!(out, "\n{title}:\n")?;
                        for k in list {
                            writeln!(out, "{}", finding_item(k))?;
                        }
                    }
                }
            }
        }
        if d.product_scores.is_empty() {
            writeln!(out, "\nNo products.")?;
            continue;
        }
        failing_table(out, "What to fix first", &d.failing_policies)?;
        if !d.worst.is_empty() {
            writeln!(out, "\n### Lowest scores\n")?;
            for (i, w) in d.worst.iter().enumerate() {
                writeln!(
                    out,
                    "{}. `{}`: {} ({})",
                    i + 1,
                    cell(&w.path),
                    score_text(Some(w.score)),
                    level_text(w.level)
                )?;
            }
        }
        writeln!(out, "\n### Products\n")?;
        writeln!(
            out,
            "| Product | Status | Score | Level | Blocking the next level |\n|---|---|--:|---|---|"
        )?;
        for p in &d.product_scores {
            let blocking = if p.blocking.is_empty() {
                "—".to_string()
            } else {
                format!(
                    "{}: {}",
                    level_text(p.next_level),
                    p.blocking
                        .iter()
                        .map(|id| format!("`{}`", cell(id)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                cell(&p.path),
                serde_json::to_value(p.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                score_text(p.score),
                level_text(p.level),
                blocking
            )?;
        }
    }
    Ok(())
}
