//! A parsed mesh repository: configuration, what the walk found, every product and domain
//! parsed, the built-in checks' findings, the policy files to load, and the Rego data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use regorus::Value;
use serde::Serialize;

use crate::checks;
use crate::config::{Config, ConfigError};
use crate::data::{self, DomainEntry, ProductEntry};
use crate::descriptor::{self, Format, Limits, Node, Standard};
use crate::discover::{self, DiscoverError, Inventory};
use crate::findings::{ErrorKind, Finding, Location, RunError, Severity, POLICY_PARSE};
use crate::git::ChangeSet;
use crate::library;
use crate::policy::{Origin, PolicySource};
use crate::product::{self, LoadOptions, LoadedProduct, Product};
use crate::scope::{Reason, ReasonKind, Scope, Selection};

/// What to load and how.
#[derive(Debug, Clone)]
pub struct LoadSettings {
    /// The mesh repository root.
    pub root: PathBuf,
    /// Global policy folders (override the config's `policies` when not empty).
    pub policy_dirs: Vec<String>,
    /// Accept duplicate keys with a warning (overrides `lenient-keys = false` in the config).
    pub lenient_keys: bool,
}

/// A problem that stops meshgate before it checks anything (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    /// `meshgate.toml` is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The repository could not be walked.
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    /// A requested policy folder does not exist.
    #[error(
        "policy folder `{0}` does not exist (give a folder of `.rego` files, or one `.rego` file)"
    )]
    MissingPolicyDir(String),
    /// A requested policy folder holds no policy.
    #[error("policy folder `{0}` holds no policy (no `.rego` file other than `*_test.rego`): nothing would be checked against it; give the folder that holds the policies")]
    EmptyPolicyDir(String),
    /// `--changed-since` could not work out the change.
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    /// The thread pool could not be created.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    /// No product descriptor was found: nothing checked is not a pass.
    #[error("{root}: no data product descriptor found (looked for {globs}); nothing was checked, which is not a pass: check the path, or pass --allow-empty (or set `allow-empty = true` in meshgate.toml) if the repository really has no products")]
    NothingToCheck {
        /// The repository root.
        root: String,
        /// What was looked for.
        globs: String,
    },
    /// Every product found is a template: nothing would be checked.
    #[error("{root}: all {templates} descriptors found are templates (skipped), so nothing would be checked, which is not a pass: render them, check a path with real descriptors, or pass --allow-empty")]
    OnlyTemplates {
        /// The repository root.
        root: String,
        /// How many.
        templates: usize,
    },
    /// The path to check holds no product descriptor.
    #[error("{scope}: no data product descriptor under this path (the mesh root is {root}); nothing was checked, which is not a pass: give a folder with products, or pass --allow-empty")]
    NothingInScope {
        /// The scope, repo-relative.
        scope: String,
        /// The repository root.
        root: String,
    },
    /// The file to check is not a product descriptor of the mesh.
    #[error("{file}: not a data product descriptor of the mesh at {root}{why}: check the path, or the `products`, `extra-products` and `exclude` patterns of meshgate.toml")]
    NotAProduct {
        /// The file, repo-relative.
        file: String,
        /// The repository root.
        root: String,
        /// Why, when known.
        why: String,
    },
}

/// A domain folder with its parsed `domain.yaml`.
#[derive(Debug, Clone)]
pub struct Domain {
    /// Folder name.
    pub name: String,
    /// Repo-relative path of its descriptor.
    pub path: Option<String>,
    /// The parsed descriptor.
    pub descriptor: Option<Node>,
}

/// A parsed mesh repository: everything that is known before policies run.
pub struct Mesh {
    /// The repository root.
    pub root: PathBuf,
    /// Its configuration.
    pub config: Config,
    /// What the walk found.
    pub inventory: Inventory,
    /// Every product, parsed or not, sorted by path.
    pub products: Vec<Product>,
    /// Every domain, sorted by name.
    pub domains: Vec<Domain>,
    /// Findings of the built-in checks (parse errors, layout).
    pub builtin_findings: Vec<Finding>,
    /// Folders and files the walk could not read, as run errors, with the domain whose
    /// products or policies they may hide (`None`: any).
    pub walk_errors: Vec<(Option<String>, RunError)>,
    /// Source text of every file read, by repo-relative path (for snippets).
    pub sources: BTreeMap<String, Arc<str>>,
}

/// The policy files of a mesh, read.
pub struct PolicyFiles {
    /// Every file that could be read.
    pub sources: Vec<PolicySource>,
    /// Files that could not be read (or are not UTF-8), with the origin whose set they leave
    /// incomplete.
    pub unreadable: Vec<(Origin, RunError)>,
    /// Whether the shipped library stands in for global policies the repository lacks.
    pub builtin_library: bool,
}

/// Walks and parses the repository (call inside a thread pool to parse in parallel).
pub fn load(settings: &LoadSettings) -> Result<Mesh, Fatal> {
    let root = &settings.root;
    let config = Config::load(root)?;
    let inventory = discover::discover(root, &config, &settings.policy_dirs)?;
    // A missing policy folder is an error unless it is the default `policies/` (then the
    // shipped library is used).
    let explicit =
        !settings.policy_dirs.is_empty() || config.policies != Config::default().policies;
    if let Some(missing) = inventory.missing_policy_dirs.first().filter(|_| explicit) {
        return Err(Fatal::MissingPolicyDir(missing.clone()));
    }
    // A policy folder asked for by name that holds no policy must not let the shipped library
    // (or nothing) stand in for it.
    if let Some(empty) = inventory.empty_policy_dirs.first().filter(|_| explicit) {
        return Err(Fatal::EmptyPolicyDir(empty.clone()));
    }
    let limits = Limits {
        max_bytes: config.max_descriptor_bytes,
        lenient_keys: config.lenient_keys || settings.lenient_keys,
        ..Limits::default()
    };
    let load_opts = LoadOptions {
        root,
        limits: &limits,
        resolve_refs: config.resolve_refs,
    };
    let loaded: Vec<LoadedProduct> = inventory
        .products
        .par_iter()
        .map(|pf| product::load(pf, &load_opts))
        .collect();

    let mut sources = BTreeMap::new();
    let mut builtin_findings = Vec::new();
    let mut products = Vec::with_capacity(loaded.len());
    for l in loaded {
        sources.extend(l.texts);
        builtin_findings.extend(l.findings);
        products.push(l.product);
    }

    let mut domains = Vec::new();
    for d in &inventory.domains {
        let mut descriptor = None;
        if let Some(path) = &d.descriptor {
            let result = product::read_limited(&root.join(path), &limits).and_then(|bytes| {
                sources.insert(path.clone(), String::from_utf8_lossy(&bytes).into());
                descriptor::parse_with_warnings(&bytes, Format::from_path(Path::new(path)), &limits)
            });
            // Findings on a domain file belong to the domain, not to a product.
            let mut domain_finding = |e: &descriptor::ParseError, severity| {
                let mut f = product::parse_finding(path, path, Some(&d.name), e, severity);
                f.product = None;
                builtin_findings.push(f);
            };
            match result {
                Ok((node, warnings)) => {
                    for w in &warnings {
                        domain_finding(w, Severity::Warning);
                    }
                    descriptor = Some(node);
                }
                Err(e) => domain_finding(&e, Severity::Error),
            }
        }
        domains.push(Domain {
            name: d.name.clone(),
            path: d.descriptor.clone(),
            descriptor,
        });
    }

    builtin_findings.extend(checks::stray_policies(&inventory.stray_policies));
    builtin_findings.extend(checks::layout(&products));
    builtin_findings.extend(checks::duplicates(&products));
    let walk_errors = inventory
        .unreadable
        .iter()
        .map(|u| {
            let error = RunError {
                kind: ErrorKind::Io,
                message: format!(
                    "cannot read this folder or file: {}; the products and policies in it are not checked, so the products it may concern are in error ({})",
                    u.message, u.hint
                ),
                location: Some(Location::new(&u.path, descriptor::Pos::START, 1)),
            };
            (u.scope().map(str::to_string), error)
        })
        .collect();

    Ok(Mesh {
        root: root.clone(),
        config,
        inventory,
        products,
        domains,
        builtin_findings,
        walk_errors,
        sources,
    })
}

impl Mesh {
    /// Fails when the mesh has no product at all (`allow-empty` accepts it): a mistyped path
    /// in a CI job must not pass for ever.
    pub fn require_products(&self, allow_empty: bool) -> Result<(), Fatal> {
        if !self.products.is_empty() || allow_empty || self.config.allow_empty {
            return Ok(());
        }
        let globs: Vec<&str> = self
            .config
            .products
            .iter()
            .chain(&self.config.extra_products)
            .map(String::as_str)
            .collect();
        let globs = match globs.as_slice() {
            [] => "nothing: `products` in meshgate.toml is empty".to_string(),
            [one] => format!("`{one}`"),
            [first, rest @ ..] => format!(
                "`{first}` and {} more file name patterns, see `products` in meshgate.toml",
                rest.len()
            ),
        };
        Err(Fatal::NothingToCheck {
            root: self.root.display().to_string(),
            globs,
        })
    }

    /// Which products `scope` selects (all without a scope), narrowed to those `change`
    /// touches when given (see [`Mesh::touched`]). A scope that selects nothing is an error
    /// unless `allow_empty`; a file that is not a product always is. A change that touches no
    /// product is not an error: the selection is empty, and says why.
    pub fn select(
        &self,
        scopes: &[Scope],
        change: Option<&ChangeSet>,
        allow_empty: bool,
    ) -> Result<Selection, Fatal> {
        let root = self.root.display().to_string();
        for scope in scopes {
            let hits = self.products.iter().any(|p| scope.contains(&p.path));
            if hits {
                continue;
            }
            if scope.file {
                let excluded = self.inventory.excluded_products.contains(&scope.path);
                return Err(Fatal::NotAProduct {
                    file: scope.given.clone(),
                    root,
                    why: if excluded {
                        " (an `exclude` pattern of meshgate.toml excludes it)".to_string()
                    } else {
                        String::new()
                    },
                });
            }
            if !(allow_empty || self.config.allow_empty) {
                return Err(Fatal::NothingInScope {
                    scope: scope.given.clone(),
                    root,
                });
            }
        }
        let mut selected: Vec<bool> = self
            .products
            .iter()
            .map(|p| crate::scope::in_scope(scopes, &p.path))
            .collect();
        let Some(change) = change else {
            let because = vec![Vec::new(); selected.len()];
            self.require_not_only_templates(&selected, allow_empty)?;
            return Ok(Selection {
                selected,
                because,
                change: None,
                other_shards: Vec::new(),
            });
        };
        let because = self.touched(change);
        for (s, why) in selected.iter_mut().zip(&because) {
            *s = *s && !why.is_empty();
        }
        let because = because
            .into_iter()
            .zip(&selected)
            .map(|(why, &s)| if s { why } else { Vec::new() })
            .collect();
        Ok(Selection {
            selected,
            because,
            change: Some(change.clone()),
            other_shards: Vec::new(),
        })
    }

    fn require_not_only_templates(
        &self,
        selected: &[bool],
        allow_empty: bool,
    ) -> Result<(), Fatal> {
        let root = self.root.display().to_string();
        // Templates are skipped: a run where every product is one checked nothing.
        let mut chosen = self.products.iter().zip(selected).filter(|(_, &s)| s);
        let templates = chosen.clone().count();
        if templates > 0
            && chosen.all(|(p, _)| p.skipped.is_some())
            && !(allow_empty || self.config.allow_empty)
        {
            return Err(Fatal::OnlyTemplates { root, templates });
        }
        Ok(())
    }

    /// Why `change` touches each product (`because[i]` for `products[i]`, empty: untouched): its
    /// descriptor or a `$ref` file it reads changed; its domain's `domain.yaml` or local
    /// policies changed; a global policy or `meshgate.toml` changed (every product); or it
    /// consumes, or is consumed by, a product whose descriptor or `$ref` files changed, by the
    /// mesh index (an input port's `ref` naming another product's output contract or id). A
    /// consumer of what a changed or deleted descriptor offered at the merge base (its old text
    /// names the consumer's `ref`) is touched too, so removing an output port re-checks those
    /// that read it.
    pub fn touched(&self, change: &ChangeSet) -> Vec<Vec<Reason>> {
        let reason = |reason, path: &str| Reason {
            reason,
            path: path.to_string(),
        };
        // Changes that touch every product, or every product of a domain.
        let mut everyone: Vec<Reason> = Vec::new();
        let mut by_domain: BTreeMap<&str, Vec<Reason>> = BTreeMap::new();
        for path in change.all() {
            let parts: Vec<&str> = path.split('/').collect();
            let name = parts.last().copied().unwrap_or_default();
            if path == crate::config::FILE_NAME {
                everyone.push(reason(ReasonKind::ConfigChanged, path));
            } else if discover::is_domain_descriptor(&parts) {
                by_domain
                    .entry(parts[1])
                    .or_default()
                    .push(reason(ReasonKind::DomainChanged, path));
            } else if discover::is_in_domain_policies(&parts) {
                if discover::is_policy_file(name) {
                    by_domain
                        .entry(parts[1])
                        .or_default()
                        .push(reason(ReasonKind::DomainPolicyChanged, path));
                }
            } else if discover::is_policy_file(name) {
                // A global policy now, or a deleted one (a deleted stray counts too: better one
                // full run too many than a policy change that checks nothing).
                let global = self
                    .inventory
                    .global_policies
                    .binary_search_by(|p| p.as_str().cmp(path))
                    .is_ok();
                let deleted = change
                    .deleted
                    .binary_search_by(|p| p.as_str().cmp(path))
                    .is_ok();
                if global || (deleted && !self.inventory.stray_policies.iter().any(|s| s == path)) {
                    everyone.push(reason(ReasonKind::GlobalPolicyChanged, path));
                }
            }
        }

        // What each product reads and offers, for the consumer links.
        let mut because: Vec<Vec<Reason>> = self
            .products
            .iter()
            .map(|p| {
                let mut why = everyone.clone();
                if let Some(d) = p.domain.as_deref().and_then(|d| by_domain.get(d)) {
                    why.extend(d.iter().cloned());
                }
                for (i, file) in p.files.iter().enumerate() {
                    if change.touches(file) {
                        let kind = if i == 0 {
                            ReasonKind::DescriptorChanged
                        } else {
                            ReasonKind::RefChanged
                        };
                        why.push(reason(kind, file));
                    }
                }
                if p.files.is_empty() && change.touches(&p.path) {
                    why.push(reason(ReasonKind::DescriptorChanged, &p.path));
                }
                // A `$ref` file that is missing or broken now (deleted, say).
                for file in p.ref_reads.iter().filter(|f| !p.files.contains(f)) {
                    if change.touches(file) {
                        why.push(reason(ReasonKind::RefChanged, file));
                    }
                }
                why
            })
            .collect();
        // Products whose own files changed: their links are followed.
        let direct: Vec<usize> = because
            .iter()
            .enumerate()
            .filter(|(_, why)| {
                why.iter().any(|r| {
                    matches!(
                        r.reason,
                        ReasonKind::DescriptorChanged | ReasonKind::RefChanged
                    )
                })
            })
            .map(|(i, _)| i)
            .collect();
        if direct.is_empty() && change.deleted.is_empty() {
            return finish(because);
        }
        let refs: Vec<Vec<&str>> = self.products.iter().map(|p| input_refs(&p.facts)).collect();
        let mut offered: std::collections::HashMap<&str, Vec<usize>> =
            std::collections::HashMap::new();
        for (i, p) in self.products.iter().enumerate() {
            for key in offers(&p.facts) {
                offered.entry(key).or_default().push(i);
            }
        }
        for &j in &direct {
            let changed = &self.products[j].path;
            // Those that consume j now.
            for (i, r) in refs.iter().enumerate() {
                if i != j
                    && r.iter()
                        .any(|k| offered.get(k).is_some_and(|o| o.contains(&j)))
                {
                    because[i].push(reason(ReasonKind::Consumes, changed));
                }
            }
            // Those j consumes now.
            let mut producers: Vec<usize> = refs[j]
                .iter()
                .filter_map(|k| offered.get(k))
                .flatten()
                .copied()
                .filter(|&i| i != j)
                .collect();
            producers.sort_unstable();
            producers.dedup();
            for i in producers {
                because[i].push(reason(ReasonKind::ConsumedBy, changed));
            }
        }
        // Those that consumed what a changed or deleted descriptor offered at the merge base.
        let old_descriptors = direct
            .iter()
            .map(|&j| self.products[j].path.as_str())
            .chain(
                change
                    .deleted
                    .iter()
                    .map(String::as_str)
                    .filter(|p| [".yaml", ".yml", ".json"].iter().any(|e| p.ends_with(e))),
            );
        for path in old_descriptors {
            let Some(old) = crate::git::show(&self.root, &change.base, path) else {
                continue;
            };
            for (i, r) in refs.iter().enumerate() {
                if self.products[i].path != path
                    && r.iter().any(|k| names(&old, k))
                    && !because[i]
                        .iter()
                        .any(|x| x.reason == ReasonKind::Consumes && x.path == path)
                {
                    because[i].push(reason(ReasonKind::Consumes, path));
                }
            }
        }
        finish(because)
    }

    /// `data` as every policy sees it (without the per-product part), see [`data::mesh_data`].
    pub fn data(&self) -> Value {
        let domains: Vec<DomainEntry<'_>> = self
            .domains
            .iter()
            .map(|d| DomainEntry {
                name: &d.name,
                path: d.path.as_deref(),
                descriptor: d.descriptor.as_ref(),
            })
            .collect();
        let products: Vec<ProductEntry<'_>> = self
            .products
            .iter()
            .map(|p| ProductEntry {
                facts: &p.facts,
                input: p.input.as_ref(),
            })
            .collect();
        let params = Value::from_json_str(&self.config.params_json().to_string())
            .unwrap_or_else(|_| Value::new_object());
        data::mesh_data(&domains, &products, params)
    }

    /// The mesh's domain names, sorted.
    pub fn domain_names(&self) -> Vec<String> {
        self.domains.iter().map(|d| d.name.clone()).collect()
    }

    /// Reads the policy files to load: the repository's global and domain-local ones, with the
    /// shipped library standing in when there are no global ones. A file that cannot be read
    /// is reported with its path, and the rest are still read.
    pub fn policy_files(&self) -> PolicyFiles {
        let mut sources = Vec::new();
        let mut unreadable = Vec::new();
        let mut read = |path: &str, abs: PathBuf, origin: Origin| match std::fs::read(&abs)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                String::from_utf8(b).map_err(|_| "the file is not UTF-8 text".to_string())
            }) {
            Ok(text) => sources.push(PolicySource {
                path: path.to_string(),
                text: text.into(),
                origin,
            }),
            Err(why) => unreadable.push((
                origin,
                RunError {
                    kind: ErrorKind::Io,
                    message: format!("cannot read policy file: {why}"),
                    location: Some(Location::new(path, descriptor::Pos::START, 1)),
                },
            )),
        };
        for path in &self.inventory.global_policies {
            let p = Path::new(path);
            let abs = if p.is_absolute() {
                p.to_path_buf()
            } else {
                self.root.join(p)
            };
            read(path, abs, Origin::Global);
        }
        // The shipped library stands in only where the repository has no global policy folder
        // content at all: not when a global policy folder could not be read.
        let builtin_library = self.inventory.global_policies.is_empty()
            && !self.inventory.unreadable.iter().any(|u| u.in_policy_dir);
        for d in &self.inventory.domains {
            for path in &d.policies {
                read(path, self.root.join(path), Origin::Domain(d.name.clone()));
            }
        }
        if builtin_library {
            let library = library::LIBRARY.iter().map(|(name, text)| PolicySource {
                path: format!("{}{name}", library::BUILTIN_PREFIX),
                text: Arc::from(*text),
                origin: Origin::Global,
            });
            sources.splice(0..0, library);
        }
        PolicyFiles {
            sources,
            unreadable,
            builtin_library,
        }
    }

    /// What discovery found, for `meshgate check --list-products` (the `selected` products).
    pub fn listing(&self, selected: &[bool]) -> Listing {
        let errors: BTreeMap<&str, &Finding> = self
            .builtin_findings
            .iter()
            .filter(|f| f.policy == POLICY_PARSE && f.severity == Severity::Error)
            .filter_map(|f| Some((f.product.as_deref()?, f)))
            .collect();
        let products = self
            .products
            .iter()
            .zip(selected)
            .filter(|(_, &s)| s)
            .map(|(p, _)| {
                let (status, note) = match (&p.skipped, errors.get(p.path.as_str())) {
                    (Some(why), _) => ("skipped", Some(why.clone())),
                    (None, Some(f)) => ("error", Some(f.message.clone())),
                    (None, None) => ("ok", None),
                };
                ListedProduct {
                    path: p.path.clone(),
                    domain: p.domain.clone(),
                    standard: p.standard,
                    standard_version: p.standard_version.clone(),
                    status,
                    note,
                    refs: p.files.iter().skip(1).cloned().collect(),
                }
            })
            .collect();
        Listing {
            products,
            excluded: self.inventory.excluded_products.clone(),
            errors: self.walk_errors.iter().map(|(_, e)| e.clone()).collect(),
        }
    }
}

/// Sorts and dedups each product's reasons.
fn finish(mut because: Vec<Vec<Reason>>) -> Vec<Vec<Reason>> {
    for why in &mut because {
        why.sort();
        why.dedup();
    }
    because
}

/// The `ref`s of a product's input ports (its normalized view's `input_ports[].ref`).
fn input_refs(facts: &Value) -> Vec<&str> {
    let mut refs = Vec::new();
    if let Value::Array(ports) = &facts["view"]["input_ports"] {
        for port in ports.iter() {
            if let Value::String(r) = &port["ref"] {
                refs.push(r.as_ref());
            }
        }
    }
    refs
}

/// What a product offers to consumers, as the mesh index keys it: its id
/// (`index.product_ids`) and its output ports' contracts (`index.output_contracts`).
fn offers(facts: &Value) -> Vec<&str> {
    let view = &facts["view"];
    let mut keys = Vec::new();
    if let Value::String(id) = &view["id"] {
        keys.push(id.as_ref());
    }
    if let Value::Array(ports) = &view["output_ports"] {
        for port in ports.iter() {
            if let Value::String(c) = &port["contract"] {
                keys.push(c.as_ref());
            }
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Whether `text` names `key` as a whole value (not as part of a longer name).
fn names(text: &str, key: &str) -> bool {
    if key.is_empty() {
        return false;
    }
    let word = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/');
    text.match_indices(key).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + key.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// One descriptor found by the walk, for `meshgate check --list-products`.
#[derive(Debug, Clone, Serialize)]
pub struct ListedProduct {
    /// Repo-relative path.
    pub path: String,
    /// Its domain (null when outside any domain folder).
    pub domain: Option<String>,
    /// Detected standard (null when it did not parse or was skipped).
    pub standard: Option<Standard>,
    /// Version of the standard the file declares, as written.
    pub standard_version: Option<String>,
    /// `ok`, `skipped` (a template), or `error` (does not parse).
    pub status: &'static str,
    /// Why it was skipped or does not parse.
    pub note: Option<String>,
    /// Files reached through `$ref`.
    pub refs: Vec<String>,
}

/// What discovery found: products (with standard and version) and excluded descriptor files.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    /// Every product descriptor found, sorted by path.
    pub products: Vec<ListedProduct>,
    /// Files matching the product globs that `exclude` left out, so users see why.
    pub excluded: Vec<String>,
    /// Folders the walk could not read: the listing is incomplete (exit code 2).
    #[serde(skip)]
    pub errors: Vec<RunError>,
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn names_matches_whole_values_only() {
        assert!(names("contractId: c-a\n", "c-a"));
        assert!(names("{\"contractId\": \"c-a\"}", "c-a"));
        assert!(!names("contractId: c-a-2\n", "c-a"));
        assert!(!names("contractId: xc-a\n", "c-a"));
        assert!(!names("anything", ""));
    }
}
