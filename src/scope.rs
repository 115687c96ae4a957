//! What a run is about: the mesh root found from the PATH argument, and the part of the mesh
//! under PATH whose products are checked (the whole mesh is still loaded, for cross-product
//! rules).

use std::path::{Component, Path, PathBuf};

use crate::config;

/// How the mesh root was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootFound {
    /// The nearest folder at or above PATH with a `meshgate.toml`.
    Config,
    /// The nearest folder at or above PATH with a `domains/` folder.
    DomainsFolder,
    /// The top level of the git repository PATH is in.
    GitTopLevel,
    /// None of those: PATH itself.
    Path,
}

impl RootFound {
    /// How to say it in a sentence ("found by …").
    pub fn describe(self) -> &'static str {
        match self {
            RootFound::Config => "its meshgate.toml",
            RootFound::DomainsFolder => "its domains/ folder",
            RootFound::GitTopLevel => "the git top level",
            RootFound::Path => "the path given",
        }
    }
}

/// The mesh root and the scope under it, resolved from the PATH arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The mesh root, as the user will read it: relative to the working directory when PATH
    /// was relative (`.`, `../..`), absolute when PATH was.
    pub root: PathBuf,
    /// How the root was found.
    pub found: RootFound,
    /// The parts of the mesh to check (empty: the whole mesh).
    pub scopes: Vec<Scope>,
}

/// A repo-relative folder or file under the mesh root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Repo-relative path with `/` separators, never empty.
    pub path: String,
    /// Whether it names one file (a product descriptor) rather than a folder.
    pub file: bool,
    /// The path as the user gave it (for messages).
    pub given: String,
}

/// Whether `path` (repo-relative) is in one of `scopes`; everything is when there is none.
pub fn in_scope(scopes: &[Scope], path: &str) -> bool {
    scopes.is_empty() || scopes.iter().any(|s| s.contains(path))
}

impl Scope {
    /// Whether the repo-relative `path` is the scope or under it.
    pub fn contains(&self, path: &str) -> bool {
        if self.file {
            path == self.path
        } else {
            path == self.path
                || (path.starts_with(&self.path) && path[self.path.len()..].starts_with('/'))
        }
    }
}

/// Which products a run checks, and why: `selected[i]` for `Mesh::products[i]`, with the
/// reasons a changed-only run (`--changed-since`) selected it in `because[i]` (empty otherwise).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Whether each product is checked.
    pub selected: Vec<bool>,
    /// Why each selected product is, in a changed-only run.
    pub because: Vec<Vec<Reason>>,
    /// The change the run selected by, in a changed-only run.
    pub change: Option<crate::git::ChangeSet>,
    /// In a sharded run (`--shard K/N`), the products the other selections chose that
    /// another shard checks (`other_shards[i]` for `Mesh::products[i]`; empty otherwise).
    pub other_shards: Vec<bool>,
}

impl Selection {
    /// Whether product `i` is part of the run's scope: checked here, or by another shard.
    pub fn in_run(&self, i: usize) -> bool {
        self.selected.get(i).copied().unwrap_or(false)
            || self.other_shards.get(i).copied().unwrap_or(false)
    }

    /// Keeps selected only the products of `shard` among those selected (see
    /// [`Shard::assign`]); `sizes[i]` is the descriptor size of product `i`, `paths[i]` its path.
    pub fn shard(&mut self, shard: Shard, sizes: &[u64], paths: &[&str]) {
        let candidates: Vec<usize> = (0..self.selected.len())
            .filter(|&i| self.selected[i])
            .collect();
        let items: Vec<(u64, &str)> = candidates.iter().map(|&i| (sizes[i], paths[i])).collect();
        let owner = Shard::assign(&items, shard.count);
        self.other_shards = vec![false; self.selected.len()];
        for (&i, &o) in candidates.iter().zip(&owner) {
            if o + 1 != shard.index {
                self.selected[i] = false;
                self.other_shards[i] = true;
                if let Some(why) = self.because.get_mut(i) {
                    why.clear();
                }
            }
        }
    }
    /// Deselects the products selected only because a policy changed (for `--impact`, which
    /// reports what the policy change does to them instead of failing the gate on it).
    pub fn leave_policy_changes_to_impact(&mut self) {
        let policy = |r: &Reason| {
            matches!(
                r.reason,
                ReasonKind::GlobalPolicyChanged | ReasonKind::DomainPolicyChanged
            )
        };
        for (s, why) in self.selected.iter_mut().zip(&mut self.because) {
            if *s && !why.is_empty() && why.iter().all(policy) {
                *s = false;
                why.clear();
            }
        }
    }
}

/// One of `count` parts of the products (`--shard K/N`, 1-based `index`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Shard {
    /// Which part, from 1 to `count`.
    pub index: u32,
    /// How many parts.
    pub count: u32,
}

impl Shard {
    /// The shard (0-based) of each item `(size, path)`: items sorted by size, largest first
    /// (path ascending among equal sizes), each to the shard with the least total size so far
    /// (the lowest-numbered among equals). Deterministic: it depends on the items only, never
    /// on their order or on the thread count.
    pub fn assign(items: &[(u64, &str)], count: u32) -> Vec<u32> {
        let count = count.max(1) as usize;
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by(|&a, &b| items[b].0.cmp(&items[a].0).then(items[a].1.cmp(items[b].1)));
        let mut load = vec![0u64; count];
        let mut owner = vec![0u32; items.len()];
        for i in order {
            let least = (0..count).min_by_key(|&s| (load[s], s)).unwrap_or(0);
            load[least] = load[least].saturating_add(items[i].0);
            owner[i] = u32::try_from(least).unwrap_or(0);
        }
        owner
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!("`{text}` is not a shard: give K/N, the K-th of N shards, with 1 <= K <= N (e.g. 2/8)")
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k: u32 = k.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { index: k, count: n })
    }
}

impl From<Shard> for String {
    fn from(s: Shard) -> String {
        s.to_string()
    }
}

impl TryFrom<String> for Shard {
    type Error = String;

    fn try_from(s: String) -> Result<Shard, String> {
        s.parse()
    }
}

/// Why a changed-only run selected a product: what changed, and the file or product concerned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Reason {
    /// What kind of change.
    pub reason: ReasonKind,
    /// The changed file (or, for `consumes`/`consumed-by`, the changed product), relative to
    /// the mesh root.
    pub path: String,
}

/// The kinds of change that touch a product (JSON: kebab-case).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonKind {
    /// Its descriptor was added or changed.
    DescriptorChanged,
    /// A file it reads through `$ref` changed or was deleted.
    RefChanged,
    /// Its domain's `domain.yaml` changed.
    DomainChanged,
    /// A policy of its domain was added, changed or deleted.
    DomainPolicyChanged,
    /// A global policy was added, changed or deleted.
    GlobalPolicyChanged,
    /// `meshgate.toml` changed.
    ConfigChanged,
    /// It consumes a changed (or deleted) product.
    Consumes,
    /// A changed product consumes it.
    ConsumedBy,
}

impl ReasonKind {
    /// How to say it before the path ("descriptor changed: a.yaml").
    pub fn describe(self) -> &'static str {
        match self {
            ReasonKind::DescriptorChanged => "descriptor changed",
            ReasonKind::RefChanged => "$ref file changed",
            ReasonKind::DomainChanged => "domain descriptor changed",
            ReasonKind::DomainPolicyChanged => "domain policy changed",
            ReasonKind::GlobalPolicyChanged => "global policy changed",
            ReasonKind::ConfigChanged => "meshgate.toml changed",
            ReasonKind::Consumes => "consumes changed product",
            ReasonKind::ConsumedBy => "consumed by changed product",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.reason.describe(), self.path)
    }
}

/// Why PATH names no mesh.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// PATH does not exist.
    #[error("{0}: no such file or folder")]
    Missing(String),
    /// PATH could not be resolved.
    #[error("{0}: cannot read: {1}")]
    Unreadable(String, String),
    /// Two PATHs are in different meshes.
    #[error("{0} and {1} are in different meshes (roots {2} and {3}); check one mesh at a time")]
    TwoRoots(String, String, String, String),
}

/// Resolves every PATH (see [`resolve`]); they must share one mesh root. A PATH that is the
/// root makes the whole mesh the scope.
pub fn resolve_all(paths: &[PathBuf]) -> Result<Target, TargetError> {
    let mut target: Option<(Target, String)> = None;
    for path in paths {
        let t = resolve(path)?;
        let given = path.display().to_string();
        match &mut target {
            None => target = Some((t, given)),
            Some((first, first_given)) => {
                let same =
                    std::fs::canonicalize(&first.root).ok() == std::fs::canonicalize(&t.root).ok();
                if !same {
                    return Err(TargetError::TwoRoots(
                        first_given.clone(),
                        given,
                        first.root.display().to_string(),
                        t.root.display().to_string(),
                    ));
                }
                if first.scopes.is_empty() || t.scopes.is_empty() {
                    first.scopes.clear();
                } else {
                    first.scopes.extend(t.scopes);
                }
            }
        }
    }
    let (mut target, _) = target.ok_or_else(|| TargetError::Missing(String::new()))?;
    // Sorted, a folder comes before what it contains: keep only the outermost scopes.
    target.scopes.sort_by(|a, b| a.path.cmp(&b.path));
    let mut kept: Vec<Scope> = Vec::new();
    for s in target.scopes {
        if !kept.iter().any(|k| k.contains(&s.path)) {
            kept.push(s);
        }
    }
    target.scopes = kept;
    Ok(target)
}

/// Finds the mesh root for `path` (a folder or a file in the mesh): the nearest folder at or
/// above it with a `meshgate.toml`, else the nearest with a `domains/` folder, else the git
/// top level, else `path` itself (its folder, for a file). The part of the mesh under `path`
/// is the scope, unless `path` is the root.
pub fn resolve(path: &Path) -> Result<Target, TargetError> {
    let shown = path.display().to_string();
    let abs = match std::fs::canonicalize(path) {
        Ok(a) => a,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(TargetError::Missing(shown))
        }
        Err(e) => return Err(TargetError::Unreadable(shown, e.to_string())),
    };
    let is_file = !abs.is_dir();
    let start = if is_file {
        abs.parent().map(Path::to_path_buf).unwrap_or(abs.clone())
    } else {
        abs.clone()
    };
    let nearest =
        |test: &dyn Fn(&Path) -> bool| start.ancestors().find(|d| test(d)).map(Path::to_path_buf);
    let (abs_root, found) = if let Some(r) = nearest(&|d| d.join(config::FILE_NAME).is_file()) {
        (r, RootFound::Config)
    } else if let Some(r) = nearest(&|d| d.join("domains").is_dir()) {
        (r, RootFound::DomainsFolder)
    } else if let Some(r) = nearest(&|d| d.join(".git").exists()) {
        (r, RootFound::GitTopLevel)
    } else {
        (start.clone(), RootFound::Path)
    };
    let scopes = match abs.strip_prefix(&abs_root) {
        Ok(rel) if !rel.as_os_str().is_empty() => vec![Scope {
            path: rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            file: is_file,
            given: shown.clone(),
        }],
        // The root itself (the root is always an ancestor of the start folder).
        _ => Vec::new(),
    };
    let root = if path.is_absolute() {
        abs_root
    } else {
        let cwd = std::env::current_dir()
            .and_then(std::fs::canonicalize)
            .map_err(|e| TargetError::Unreadable(shown.clone(), e.to_string()))?;
        relative_to(&abs_root, &cwd)
    };
    Ok(Target {
        root,
        found,
        scopes,
    })
}

/// `path` relative to `base` (both absolute and canonical), with `..` where needed; `.` when
/// they are the same folder.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<Component<'_>> = path.components().collect();
    let b: Vec<Component<'_>> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_to(Path::new("/a/b"), Path::new("/a/b")),
            PathBuf::from(".")
        );
        assert_eq!(
            relative_to(Path::new("/a"), Path::new("/a/b/c")),
            PathBuf::from("../..")
        );
        assert_eq!(
            relative_to(Path::new("/a/b/c"), Path::new("/a")),
            PathBuf::from("b/c")
        );
        assert_eq!(
            relative_to(Path::new("/a/x"), Path::new("/a/b")),
            PathBuf::from("../x")
        );
    }

    #[test]
    fn shards_parse_from_k_over_n() {
        assert_eq!("2/8".parse(), Ok(Shard { index: 2, count: 8 }));
        assert_eq!("1/1".parse(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/2", "3/2", "1/0", "junk", "1/", "/1", "1/2/3", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_are_assigned_largest_first_whatever_the_order() {
        let items = [(10, "a"), (7, "b"), (6, "c"), (5, "d"), (5, "e"), (1, "f")];
        let owner = Shard::assign(&items, 2);
        // 10→0, 7→1, 6→1 (13), 5 d→0 (15), 5 e→1 (18), 1 f→0 (16).
        assert_eq!(owner, vec![0, 1, 1, 0, 1, 0]);
        let mut reversed = items;
        reversed.reverse();
        let mut back = Shard::assign(&reversed, 2);
        back.reverse();
        assert_eq!(back, owner);
        assert_eq!(Shard::assign(&items, 1), vec![0; 6]);
    }

    #[test]
    fn sharding_a_selection_keeps_the_other_selections() {
        let mut s = Selection {
            selected: vec![true, false, true, true],
            because: vec![Vec::new(); 4],
            change: None,
            other_shards: Vec::new(),
        };
        s.shard(
            Shard { index: 1, count: 2 },
            &[5, 100, 3, 4],
            &["a", "b", "c", "d"],
        );
        // Among a (5), c (3), d (4): a→1st, d→2nd, c→2nd; b was never selected.
        assert_eq!(s.selected, vec![true, false, false, false]);
        assert_eq!(s.other_shards, vec![false, false, true, true]);
        assert!(s.in_run(2) && !s.in_run(1));
    }

    #[test]
    fn scope_contains_only_what_is_under_it() {
        let dir = Scope {
            path: "domains/orders".into(),
            file: false,
            given: String::new(),
        };
        assert!(dir.contains("domains/orders/products/a.yaml"));
        assert!(!dir.contains("domains/orders-eu/products/a.yaml"));
        let file = Scope {
            path: "domains/orders/p.yaml".into(),
            file: true,
            given: String::new(),
        };
        assert!(file.contains("domains/orders/p.yaml"));
        assert!(!file.contains("domains/orders/p.yaml.bak"));
    }
}
