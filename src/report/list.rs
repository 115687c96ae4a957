//! `meshgate check --list-products`: what discovery found, as a table or JSON.

use std::io::{self, Write};

use crate::descriptor::Standard;
use crate::mesh::Listing;

/// Renders the listing: an aligned table (human; the CLI refuses the CI formats) or `{"version": 1, "products", "excluded"}` (json).
pub fn render(format: super::Format, listing: &Listing, out: &mut dyn Write) -> io::Result<()> {
    match format {
        super::Format::Json => {
            let doc = serde_json::json!({
                "version": 1,
                "products": listing.products,
                "excluded": listing.excluded,
            });
            serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::from)?;
            writeln!(out)
        }
        // The CI formats have nothing to say about a listing (the CLI refuses them): a table.
        _ => {
            let rows: Vec<[String; 5]> = listing
                .products
                .iter()
                .map(|p| {
                    let mut note = p.note.clone().unwrap_or_default();
                    if !p.refs.is_empty() {
                        if !note.is_empty() {
                            note.push_str("; ");
                        }
                        note.push_str(&format!("$ref: {}", p.refs.join(", ")));
                    }
                    [
                        p.path.clone(),
                        p.domain.clone().unwrap_or_else(|| "-".to_string()),
                        p.standard.map_or("-", Standard::as_str).to_string(),
                        p.standard_version
                            .clone()
                            .unwrap_or_else(|| "-".to_string()),
                        if note.is_empty() {
                            p.status.to_string()
                        } else {
                            format!("{} ({note})", p.status)
                        },
                    ]
                })
                .collect();
            let header = ["PATH", "DOMAIN", "STANDARD", "VERSION", "STATUS"];
            let mut widths = header.map(str::len);
            for r in &rows {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            let line = |cells: [&str; 5], out: &mut dyn Write| -> io::Result<()> {
                let mut s = String::new();
                for (i, c) in cells.iter().enumerate() {
                    if i + 1 == cells.len() {
                        s.push_str(c);
                    } else {
                        s.push_str(&format!("{c:<w$}  ", w = widths[i]));
                    }
                }
                writeln!(out, "{}", s.trim_end())
            };
            line(header, out)?;
            for r in &rows {
                line([&r[0], &r[1], &r[2], &r[3], &r[4]], out)?;
            }
            for e in &listing.excluded {
                writeln!(out, "{e}  (excluded by meshgate.toml)")?;
            }
            let n = listing.products.len();
            writeln!(
                out,
                "\n{n} descriptor{} found, {} excluded",
                if n == 1 { "" } else { "s" },
                listing.excluded.len()
            )
        }
    }
}
