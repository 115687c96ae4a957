//! `meshgate inspect`: prints exactly what a policy sees, so any verdict can be reproduced with `opa eval`.

use std::path::Path;

use regorus::Value;
use serde_json::json;

use crate::discover::rel_path;
use crate::mesh::{self, Fatal, LoadSettings, Mesh};
use crate::policy::Origin;

fn to_json(v: &Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Why `inspect` could not print.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The check pipeline failed before parsing.
    #[error(transparent)]
    Fatal(#[from] Fatal),
    /// The product is not one meshgate found.
    #[error(
        "{0}: not a product descriptor of the mesh at {1} (see the product globs in meshgate.toml)"
    )]
    NotAProduct(String, String),
    /// The product does not parse.
    #[error("{0}: the descriptor does not parse; run `meshgate check` to see where")]
    Unparsed(String),
    /// The product path does not exist or cannot be read.
    #[error(transparent)]
    Target(#[from] crate::scope::TargetError),
    /// A policy file or a folder could not be read: the bundle would be incomplete.
    #[error("{0}")]
    Policy(String),
}

/// `{"input": …, "data": …}` for one product, exactly as evaluated.
pub fn product_document(
    product: &Path,
    repo: Option<&Path>,
    settings: &LoadSettings,
) -> Result<serde_json::Value, InspectError> {
    let found = crate::scope::resolve(product)?;
    let root = match repo {
        Some(r) => r.to_path_buf(),
        None => found.root,
    };
    let abs_root = std::fs::canonicalize(&root).unwrap_or(root.clone());
    let abs_product = std::fs::canonicalize(product).unwrap_or(product.to_path_buf());
    let rel = rel_path(&abs_root, &abs_product);
    let settings = LoadSettings {
        root: abs_root,
        ..settings.clone()
    };
    let mesh = mesh::load(&settings)?;
    let p = mesh
        .products
        .iter()
        .find(|p| p.path == rel)
        .ok_or_else(|| InspectError::NotAProduct(rel.clone(), root.display().to_string()))?;
    let input = p
        .input
        .as_ref()
        .ok_or_else(|| InspectError::Unparsed(rel.clone()))?;
    let data = crate::data::with_product(&mesh.data(), &p.facts);
    Ok(json!({"input": to_json(input), "data": to_json(&data)}))
}

/// The whole mesh as one document, for running the same policies in another engine:
/// `{"version", "policies": [...], "data", "products": [{"path", "domain", "facts", "input"}]}`.
pub fn bundle(mesh: &Mesh) -> Result<serde_json::Value, InspectError> {
    // An incomplete bundle would pass elsewhere what meshgate cannot check here.
    if let Some((_, e)) = mesh.walk_errors.first() {
        return Err(InspectError::Policy(e.to_string()));
    }
    let files = mesh.policy_files();
    if let Some((_, e)) = files.unreadable.first() {
        return Err(InspectError::Policy(e.to_string()));
    }
    let policies: Vec<serde_json::Value> = files
        .sources
        .iter()
        .map(|s| {
            json!({
                "file": s.path,
                "domain": match &s.origin { Origin::Global => None, Origin::Domain(d) => Some(d.clone()) },
                "source": s.text.as_ref(),
            })
        })
        .collect();
    let products: Vec<serde_json::Value> = mesh
        .products
        .iter()
        .filter_map(|p| {
            Some(json!({
                "path": p.path,
                "domain": p.domain,
                "facts": to_json(&p.facts),
                "input": to_json(p.input.as_ref()?),
            }))
        })
        .collect();
    Ok(json!({
        "version": 1,
        "policies": policies,
        "data": to_json(&mesh.data()),
        "products": products,
    }))
}
