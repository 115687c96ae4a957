//! `meshgate inspect`: prints exactly what a policy sees, so any verdict can be reproduced with `opa eval`.

use std::path::Path;

use regorus::Value;
use serde_json::json;

use crate::discover::rel_path;
use crate::mesh::{self, Fatal, LoadSettings, Mesh};
use crate::policy::{Origin, PolicySource};

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

/// What `inspect PRODUCT` found: the document policies see, and the policies that apply.
pub struct ProductDocument {
    /// `{"input": …, "data": …}`, exactly as evaluated (see [`product_document`]).
    pub doc: serde_json::Value,
    /// The product's policy set: the global policies (the shipped library when it stands in)
    /// and its domain's.
    pub policies: Vec<PolicySource>,
}

/// `{"input": …, "data": …}` for one product, exactly as evaluated, with the policies that
/// apply to it. With `no_mesh`, `data.meshgate.mesh.products` keeps only this product (the
/// domains and the index stay): a fraction of the size on a large mesh, but a rule that reads
/// other products' descriptors no longer sees them.
pub fn product_document(
    product: &Path,
    repo: Option<&Path>,
    settings: &LoadSettings,
    no_mesh: bool,
) -> Result<ProductDocument, InspectError> {
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
    let mut data = to_json(&data);
    if no_mesh {
        if let Some(products) = data
            .pointer_mut("/meshgate/mesh/products")
            .and_then(serde_json::Value::as_object_mut)
        {
            products.retain(|path, _| *path == rel);
        }
    }
    let files = mesh.policy_files();
    if let Some((_, e)) = files.unreadable.first() {
        return Err(InspectError::Policy(e.to_string()));
    }
    let policies = files
        .sources
        .into_iter()
        .filter(|s| match &s.origin {
            Origin::Global => true,
            Origin::Domain(d) => p.domain.as_deref() == Some(d),
        })
        .collect();
    Ok(ProductDocument {
        doc: json!({"input": to_json(input), "data": data}),
        policies,
    })
}

/// The package a Rego file declares (its first `package` line), for printing commands.
pub fn package_of(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix("package "))
        .map(|p| p.trim().to_string())
}

/// Writes what it takes to reproduce a product's verdicts with plain `opa eval`, needing
/// neither `jq` nor meshgate's sources: `dir/input.json`, `dir/data.json` and the product's
/// policies under `dir/policies/` (repo paths kept; the shipped library under
/// `meshgate-library/`). Returns the files written, relative to `dir`.
pub fn write_reproduction(doc: &ProductDocument, dir: &Path) -> Result<Vec<String>, String> {
    let write = |rel: &str, bytes: &[u8]| -> Result<(), String> {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let json = |v: &serde_json::Value| -> Result<Vec<u8>, String> {
        let mut text = serde_json::to_vec_pretty(v).map_err(|e| e.to_string())?;
        text.push(b'\n');
        Ok(text)
    };
    let mut written = vec!["input.json".to_string(), "data.json".to_string()];
    write("input.json", &json(&doc.doc["input"])?)?;
    write("data.json", &json(&doc.doc["data"])?)?;
    for source in &doc.policies {
        let rel = match source.path.strip_prefix(crate::library::BUILTIN_PREFIX) {
            Some(name) => format!("policies/meshgate-library/{name}"),
            None => format!("policies/{}", source.path),
        };
        write(&rel, source.text.as_bytes())?;
        written.push(rel);
    }
    Ok(written)
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
