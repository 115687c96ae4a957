//! `meshgate report --badge-dir`: SVG badges in the shields.io "flat" style, one per domain
//! (its level and mean score) and one for the mesh, for READMEs.

use crate::score::{Board, DomainCard, Tier};

use super::scorecard::score_text;

/// The level every scored product of `products` reaches (the lowest of their levels), `None`
/// when none is scored.
pub fn common_level<'a>(levels: impl Iterator<Item = Option<Tier>> + 'a) -> Option<Tier> {
    levels.flatten().min()
}

/// Text width in pixels of `text` in 11px Verdana, as shields.io measures it (approximated per
/// character class; badges only need to look right, not match to the pixel).
fn text_width(text: &str) -> u32 {
    text.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '!' | '|' | '\'' => 4,
            'f' | 't' | 'r' | 'I' | ' ' | '(' | ')' | '-' | '/' => 5,
            'm' | 'w' | 'M' | 'W' => 10,
            c if c.is_ascii_uppercase() => 8,
            '0'..='9' => 7,
            _ => 7,
        })
        .sum()
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The colour of a score: green from 90, yellow from 70, red below, grey without a score.
fn colour(score: Option<f64>) -> &'static str {
    match score {
        Some(s) if s >= 90.0 => "#4c1",
        Some(s) if s >= 70.0 => "#dfb317",
        Some(_) => "#e05d44",
        None => "#9f9f9f",
    }
}

/// One flat badge: `label` on grey, `message` on `color`.
pub fn badge(label: &str, message: &str, color: &str) -> String {
    let (lw, mw) = (text_width(label) + 10, text_width(message) + 10);
    let w = lw + mw;
    let (label, message) = (xml(label), xml(message));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" aria-label="{label}: {message}"><title>{label}: {message}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{w}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{mw}" height="20" fill="{color}"/><rect width="{w}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="{lx}" y="15" fill="#010101" fill-opacity=".3">{label}</text><text x="{lx}" y="14">{label}</text><text x="{mx}" y="15" fill="#010101" fill-opacity=".3">{message}</text><text x="{mx}" y="14">{message}</text></g></svg>
"##,
        lx = lw / 2,
        mx = lw + mw / 2,
    )
}

fn message(level: Option<Tier>, score: Option<f64>) -> String {
    match score {
        Some(_) => format!(
            "{} {}",
            level.map_or("none", Tier::as_str),
            score_text(score)
        ),
        None => "no score".to_string(),
    }
}

/// The badge of one domain: `<domain> governance | <level> <mean score>`.
pub fn domain_badge(d: &DomainCard) -> String {
    let level = common_level(d.product_scores.iter().map(|p| p.level));
    let name = d.name.as_deref().unwrap_or("no domain");
    badge(
        &format!("{name} governance"),
        &message(level, d.stats.mean),
        colour(d.stats.mean),
    )
}

/// The badge of the whole mesh: `mesh governance | <level> <mean score>`.
pub fn mesh_badge(b: &Board) -> String {
    let level = common_level(
        b.domains
            .iter()
            .flat_map(|d| d.product_scores.iter().map(|p| p.level)),
    );
    badge(
        "mesh governance",
        &message(level, b.mesh.stats.mean),
        colour(b.mesh.stats.mean),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badges_escape_and_size_their_text() {
        let svg = badge("a<b>&\"'", "gold 100.0", "#4c1");
        assert!(
            svg.contains("<title>a&lt;b&gt;&amp;&quot;&apos;: gold 100.0</title>"),
            "{svg}"
        );
        assert!(!svg.contains("a<b"));
        assert!(text_width("mesh governance") > text_width("mesh"));
        assert_eq!(colour(Some(89.9)), "#dfb317");
        assert_eq!(colour(None), "#9f9f9f");
        assert_eq!(
            common_level([Some(Tier::Gold), None, Some(Tier::Bronze)].into_iter()),
            Some(Tier::Bronze)
        );
    }
}
