//! Walks a mesh repository: finds domains, product descriptors and policy files.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::Config;

/// A domain folder `domains/<name>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainDir {
    /// The domain's name (its folder name).
    pub name: String,
    /// Repo-relative path of its `domain.yaml` (or `.yml`/`.json`), if present.
    pub descriptor: Option<String>,
    /// Repo-relative paths of its local policies (`domains/<name>/policies/**/*.rego`).
    pub policies: Vec<String>,
}

/// A product descriptor file found by the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFile {
    /// Repo-relative path with `/` separators.
    pub path: String,
    /// The domain whose folder holds the file, if any.
    pub domain: Option<String>,
    /// Whether the file is a symbolic link (loading checks where it leads).
    pub linked: bool,
}

/// Everything the walk found, sorted by path.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Domain folders.
    pub domains: Vec<DomainDir>,
    /// Product descriptors.
    pub products: Vec<ProductFile>,
    /// Global policy files (repo-relative), from the configured policy folders.
    pub global_policies: Vec<String>,
    /// Configured policy folders that do not exist (repo-relative).
    pub missing_policy_dirs: Vec<String>,
    /// Configured policy folders that exist but hold no policy file.
    pub empty_policy_dirs: Vec<String>,
    /// `.rego` files (not tests) that no policy folder reaches (`domains/orders/policy/x.rego`),
    /// sorted: never evaluated, so worth a warning.
    pub stray_policies: Vec<String>,
    /// Files that match the product globs but were left out by `exclude` (not the contents of
    /// excluded folders, which are not walked).
    pub excluded_products: Vec<String>,
    /// Folders and files the walk could not read, sorted by path: what they hold is unknown,
    /// so the check cannot be complete.
    pub unreadable: Vec<Unreadable>,
}

/// A folder or file the walk could not read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unreadable {
    /// Repo-relative path.
    pub path: String,
    /// The I/O error.
    pub message: String,
    /// Whether it lies in a global policy folder (global policies may be missing).
    pub in_policy_dir: bool,
    /// What to do about it.
    pub hint: &'static str,
}

impl Unreadable {
    /// The domain whose products or local policies may be missing (`None`: it could be any:
    /// a global policy folder, or a folder outside `domains/<d>/`).
    pub fn scope(&self) -> Option<&str> {
        if self.in_policy_dir {
            return None;
        }
        let mut parts = self.path.split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("domains"), Some(d), Some(_)) => Some(d),
            _ => None,
        }
    }

    fn of(root: &Path, fallback: &Path, e: &walkdir::Error) -> Unreadable {
        let path = e.path().unwrap_or(fallback);
        let message = match e.io_error() {
            Some(io) => io.to_string(),
            None => e.to_string(),
        };
        Unreadable {
            path: rel_path(root, path),
            message,
            in_policy_dir: false,
            hint: "fix its permissions, or move it out of the repository",
        }
    }
}

/// Why the walk could not be done.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// The repository root is not a readable folder.
    #[error("{path}: not a readable directory: {source}")]
    Root {
        /// The root given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A glob could not be compiled.
    #[error("invalid glob `{0}`")]
    Glob(String),
}

fn build_set(globs: &[String]) -> Result<GlobSet, DiscoverError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|_| DiscoverError::Glob(g.clone()))?);
    }
    b.build().map_err(|_| DiscoverError::Glob(globs.join(", ")))
}

/// Repo-relative path with `/` separators.
/// A path outside the repository keeps its absolute form.
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let joined = rel
        .components()
        .filter(|c| !matches!(c, std::path::Component::RootDir))
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if rel.has_root() {
        format!("/{joined}")
    } else {
        joined
    }
}

pub(crate) fn is_policy_file(name: &str) -> bool {
    name.ends_with(".rego") && !name.ends_with("_test.rego")
}

/// `domains/<d>/domain.yaml` (or `.yml`, `.json`), split at `/`.
pub(crate) fn is_domain_descriptor(parts: &[&str]) -> bool {
    parts.len() == 3
        && parts[0] == "domains"
        && matches!(parts[2], "domain.yaml" | "domain.yml" | "domain.json")
}

/// Under `domains/<d>/policies/`, split at `/`.
pub(crate) fn is_in_domain_policies(parts: &[&str]) -> bool {
    parts.len() >= 4 && parts[0] == "domains" && parts[2] == "policies"
}

/// What the walk keeps and skips.
struct Filters<'a> {
    root: &'a Path,
    products: &'a GlobSet,
    exclude: &'a GlobSet,
}

/// The result of walking one folder.
#[derive(Default)]
struct Walked {
    /// Files (repo-relative paths).
    files: Vec<String>,
    /// Domain folders (`domains/<d>`) left to a walk of their own (only when asked).
    subtrees: Vec<String>,
    /// Product files skipped by an `exclude` glob.
    excluded: Vec<String>,
    /// What could not be read.
    unreadable: Vec<Unreadable>,
    /// Files in `files` that are symbolic links.
    linked: Vec<String>,
}

impl Filters<'_> {
    /// Walks `dir` depth-first in file-name order, skipping hidden folders, `target`,
    /// `node_modules` and excluded paths. With `split`, each `domains/<d>` folder is not
    /// entered but listed in `subtrees` for a walk of its own.
    fn walk(&self, dir: &Path, split: bool) -> Walked {
        let mut out = Walked::default();
        let mut it = WalkDir::new(dir)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = it.next() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    out.unreadable.push(Unreadable::of(self.root, dir, &e));
                    continue;
                }
            };
            if entry.depth() == 0 {
                continue;
            }
            let is_dir = entry.file_type().is_dir();
            if is_dir {
                let name = entry.file_name().to_string_lossy();
                if name.starts_with('.') || name == "target" || name == "node_modules" {
                    it.skip_current_dir();
                    continue;
                }
            }
            let rel = rel_path(self.root, entry.path());
            if self.exclude.is_match(&rel) {
                if is_dir {
                    it.skip_current_dir();
                } else if entry.file_type().is_file() && self.products.is_match(&rel) {
                    out.excluded.push(rel);
                }
                continue;
            }
            if is_dir {
                if split && entry.depth() == 2 && rel.starts_with("domains/") {
                    out.subtrees.push(rel);
                    it.skip_current_dir();
                }
                continue;
            }
            let linked_file = entry.path_is_symlink() && entry.path().is_file();
            if entry.file_type().is_file() || (linked_file && self.products.is_match(&rel)) {
                // A linked descriptor is a product like any other: loading it refuses a link
                // that leads out of the repository.
                if linked_file {
                    out.linked.push(rel.clone());
                }
                out.files.push(rel);
            } else if entry.path_is_symlink() && self.matters(&rel, entry.path().is_dir()) {
                out.unreadable.push(symlink(rel));
            }
        }
        out
    }

    /// Whether a linked path could hold something meshgate checks: a domain file, a local
    /// policy, or a folder under `domains/` (which may hold any of them); a product descriptor
    /// whose link is dangling.
    /// A linked `$ref` fragment is not among them: `$ref` resolution reads it, and refuses it
    /// when it leads out of the repository.
    fn matters(&self, rel: &str, is_dir: bool) -> bool {
        let parts: Vec<&str> = rel.split('/').collect();
        self.products.is_match(rel)
            || (parts[0] == "domains" && is_dir)
            || is_domain_descriptor(&parts)
            || (is_in_domain_policies(&parts) && parts.last().is_some_and(|n| is_policy_file(n)))
    }
}

/// A symbolic link meshgate met where it looks for products or policies. Links are not
/// followed (a link may lead out of the repository), and skipping one silently could hide
/// products or policies: it is reported.
fn symlink(rel: String) -> Unreadable {
    Unreadable {
        path: rel,
        message: "a symbolic link, which meshgate does not follow".to_string(),
        in_policy_dir: false,
        hint:
            "put the file or folder itself in its place (a link could lead out of the repository)",
    }
}

/// Walks `root` following `config`. `policy_dirs` overrides `config.policies` when not empty.
pub fn discover(
    root: &Path,
    config: &Config,
    policy_dirs: &[String],
) -> Result<Inventory, DiscoverError> {
    std::fs::read_dir(root).map_err(|source| DiscoverError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    let globs: Vec<String> = config
        .products
        .iter()
        .chain(&config.extra_products)
        .cloned()
        .collect();
    let products_set = build_set(&globs)?;
    let exclude_set = build_set(&config.exclude)?;

    let mut inv = Inventory::default();
    // `.rego` files outside `domains/<d>/policies/`: global policies, or strays.
    let mut rego_elsewhere = Vec::new();
    let filters = Filters {
        root,
        products: &products_set,
        exclude: &exclude_set,
    };
    // The repository outside `domains/<d>/`, then every domain folder in parallel (on large
    // meshes the walk is mostly directory reads, which scale with threads). Everything is
    // sorted at the end, so the order of the walks does not matter.
    let top = filters.walk(root, true);
    let subtrees: Vec<Walked> = top
        .subtrees
        .par_iter()
        .map(|dir| filters.walk(&root.join(dir), false))
        .collect();
    let mut excluded = top.excluded;
    let mut files = top.files;
    let mut unreadable = top.unreadable;
    let mut linked: std::collections::HashSet<String> = top.linked.into_iter().collect();
    for w in subtrees {
        linked.extend(w.linked);
        files.extend(w.files);
        excluded.extend(w.excluded);
        unreadable.extend(w.unreadable);
    }
    for rel in files {
        let parts: Vec<&str> = rel.split('/').collect();
        // domains/<d>/domain.yaml
        if is_domain_descriptor(&parts) {
            domain_entry(&mut inv.domains, parts[1])
                .descriptor
                .get_or_insert(rel.clone());
            continue;
        }
        // domains/<d>/policies/**/*.rego
        if is_in_domain_policies(&parts) {
            if is_policy_file(parts[parts.len() - 1]) {
                domain_entry(&mut inv.domains, parts[1])
                    .policies
                    .push(rel.clone());
            }
            continue;
        }
        if products_set.is_match(&rel) {
            let domain = (parts.len() >= 3 && parts[0] == "domains").then(|| parts[1].to_string());
            if let Some(d) = &domain {
                domain_entry(&mut inv.domains, d);
            }
            let linked = linked.contains(&rel);
            inv.products.push(ProductFile {
                path: rel,
                domain,
                linked,
            });
        } else if is_policy_file(parts[parts.len() - 1]) {
            rego_elsewhere.push(rel);
        }
    }
    excluded.sort();
    inv.excluded_products = excluded;

    let dirs: Vec<String> = if policy_dirs.is_empty() {
        config.policies.clone()
    } else {
        policy_dirs.to_vec()
    };
    for dir in dirs {
        let abs = root.join(&dir);
        let abs = if Path::new(&dir).is_absolute() {
            PathBuf::from(&dir)
        } else {
            abs
        };
        if abs.is_file() && dir.ends_with(".rego") {
            // A policy file given directly (`--policy checks/owner.rego`).
            inv.global_policies.push(rel_path(root, &abs));
            continue;
        }
        if !abs.is_dir() {
            inv.missing_policy_dirs.push(dir);
            continue;
        }
        let found_before = inv.global_policies.len();
        let unreadable_before = unreadable.len();
        for entry in WalkDir::new(&abs).sort_by_file_name() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    unreadable.push(Unreadable {
                        in_policy_dir: true,
                        ..Unreadable::of(root, &abs, &e)
                    });
                    continue;
                }
            };
            let name = entry.file_name().to_string_lossy();
            if entry.path_is_symlink() && (is_policy_file(&name) || entry.path().is_dir()) {
                unreadable.push(Unreadable {
                    in_policy_dir: true,
                    ..symlink(rel_path(root, entry.path()))
                });
                continue;
            }
            if entry.file_type().is_file() && is_policy_file(&name) {
                inv.global_policies.push(rel_path(root, entry.path()));
            }
        }
        if inv.global_policies.len() == found_before && unreadable.len() == unreadable_before {
            inv.empty_policy_dirs.push(dir);
        }
    }
    inv.global_policies.sort();
    inv.global_policies.dedup();
    inv.stray_policies = rego_elsewhere
        .into_iter()
        .filter(|r| inv.global_policies.binary_search(r).is_err())
        .collect();
    inv.stray_policies.sort();
    unreadable.sort();
    unreadable.dedup();
    inv.unreadable = unreadable;
    inv.domains.sort_by(|a, b| a.name.cmp(&b.name));
    inv.products.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(inv)
}

fn domain_entry<'a>(domains: &'a mut Vec<DomainDir>, name: &str) -> &'a mut DomainDir {
    if let Some(i) = domains.iter().position(|d| d.name == name) {
        return &mut domains[i];
    }
    domains.push(DomainDir {
        name: name.to_string(),
        descriptor: None,
        policies: Vec::new(),
    });
    let last = domains.len() - 1;
    &mut domains[last]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x: 1\n").unwrap();
    }

    #[test]
    fn finds_domains_products_and_policies() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        for f in [
            "domains/orders/domain.yaml",
            "domains/orders/products/a/dataproduct.yaml",
            "domains/orders/products/b/b.dpds.json",
            "domains/orders/products/c/notes.yaml",
            "domains/orders/policies/local.rego",
            "domains/orders/policies/local_test.rego",
            "domains/sales/products/x/x.odps.yaml",
            "stray/dataproduct.json",
            "policies/own.rego",
            ".git/dataproduct.yaml",
        ] {
            touch(r, f);
        }
        let inv = discover(r, &Config::default(), &[]).unwrap();
        let paths: Vec<_> = inv
            .products
            .iter()
            .map(|p| (p.path.as_str(), p.domain.as_deref()))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("domains/orders/products/a/dataproduct.yaml", Some("orders")),
                ("domains/orders/products/b/b.dpds.json", Some("orders")),
                ("domains/sales/products/x/x.odps.yaml", Some("sales")),
                ("stray/dataproduct.json", None),
            ]
        );
        assert_eq!(inv.domains.len(), 2);
        assert_eq!(
            inv.domains[0].descriptor.as_deref(),
            Some("domains/orders/domain.yaml")
        );
        assert_eq!(
            inv.domains[0].policies,
            vec!["domains/orders/policies/local.rego"]
        );
        assert_eq!(inv.domains[1].descriptor, None);
        assert_eq!(inv.global_policies, vec!["policies/own.rego"]);
    }

    #[test]
    fn domains_walked_in_parallel_give_the_whole_sorted_inventory() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        for f in [
            "aa/dataproduct.yaml",
            "domains/a-b/products/p/dataproduct.yaml",
            "domains/a/products/q/dataproduct.yaml",
            "domains/a/products/q/sub/dataproduct.json",
            "domains/a/_template/dataproduct.yaml",
            "domains/b/.hidden/dataproduct.yaml",
            "domains/dataproduct.yaml",
            "zz/dataproduct.json",
        ] {
            touch(r, f);
        }
        let config = Config {
            exclude: vec!["**/_template/**".into()],
            ..Config::default()
        };
        let inv = discover(r, &config, &[]).unwrap();
        let paths: Vec<_> = inv.products.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "aa/dataproduct.yaml",
                "domains/a-b/products/p/dataproduct.yaml",
                "domains/a/products/q/dataproduct.yaml",
                "domains/a/products/q/sub/dataproduct.json",
                "domains/dataproduct.yaml",
                "zz/dataproduct.json",
            ]
        );
        let domains: Vec<_> = inv.domains.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(domains, vec!["a", "a-b"]);
        assert_eq!(
            inv.excluded_products,
            vec!["domains/a/_template/dataproduct.yaml"]
        );
    }

    #[test]
    fn unreadable_folders_are_reported_not_dropped() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        touch(r, "domains/a/products/p/dataproduct.yaml");
        touch(r, "domains/a/products/q/dataproduct.yaml");
        touch(r, "policies/x.rego");
        touch(r, "policies/locked/y.rego");
        let locked = [r.join("domains/a/products/q"), r.join("policies/locked")];
        for d in &locked {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o000)).unwrap();
        }
        let readable_anyway = std::fs::read_dir(&locked[0]).is_ok(); // running as root
        let inv = discover(r, &Config::default(), &[]);
        for d in &locked {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let inv = inv.unwrap();
        if readable_anyway {
            eprintln!("skipped: permissions are not enforced for this user (root); the error path is covered by walk_errors_name_the_path");
            return;
        }
        let paths: Vec<&str> = inv.unreadable.iter().map(|u| u.path.as_str()).collect();
        assert_eq!(paths, vec!["domains/a/products/q", "policies/locked"]);
    }

    #[test]
    fn walk_errors_name_the_path() {
        // A symlink loop is a walk error whatever the user's rights (walkdir reports it when
        // following links; meshgate does not follow them, so use a dangling root instead).
        let t = tempfile::tempdir().unwrap();
        let missing = t.path().join("gone");
        let e = WalkDir::new(&missing)
            .into_iter()
            .next()
            .unwrap()
            .unwrap_err();
        let u = Unreadable::of(t.path(), &missing, &e);
        assert_eq!(u.path, "gone");
        assert!(u.message.contains("No such file"), "{}", u.message);
    }

    #[test]
    fn config_globs_and_excludes() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        touch(r, "domains/a/products/p/product.yaml");
        touch(r, "domains/a/products/q/dataproduct.yaml");
        touch(r, "domains/a/templates/dataproduct.yaml");
        let config = Config {
            products: vec!["**/product.yaml".into(), "**/dataproduct.yaml".into()],
            exclude: vec!["**/templates".into()],
            policies: vec!["rules".into()],
            ..Config::default()
        };
        let inv = discover(r, &config, &[]).unwrap();
        let paths: Vec<_> = inv.products.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "domains/a/products/p/product.yaml",
                "domains/a/products/q/dataproduct.yaml"
            ]
        );
        assert_eq!(inv.missing_policy_dirs, vec!["rules"]);
    }
}
