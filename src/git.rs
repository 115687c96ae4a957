//! What changed in a mesh repository since a git ref, for `check --changed-since REF`: the files
//! that differ between the merge base of REF and HEAD and the files on disk, read with the `git`
//! command-line tool.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The files a change touches, relative to the mesh root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// The ref given (`origin/main`).
    pub reference: String,
    /// The merge base of the ref and HEAD (full commit id).
    pub base: String,
    /// Files added, modified or renamed (under their new path), sorted, `/`-separated: relative
    /// to the mesh root when under it, else absolute.
    pub changed: Vec<String>,
    /// Files deleted since the merge base, sorted, same form.
    pub deleted: Vec<String>,
}

impl ChangeSet {
    /// Whether `path` (as [`ChangeSet::changed`] writes it) was added, modified or deleted.
    pub fn touches(&self, path: &str) -> bool {
        self.changed
            .binary_search_by(|p| p.as_str().cmp(path))
            .is_ok()
            || self
                .deleted
                .binary_search_by(|p| p.as_str().cmp(path))
                .is_ok()
    }

    /// Every changed or deleted path.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.changed.iter().chain(&self.deleted).map(String::as_str)
    }
}

/// Why the change could not be worked out (exit code 2: a changed-only check never silently
/// falls back to a full or an empty run).
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// `git` could not be run.
    #[error("--changed-since needs the `git` command, which could not be run: {0}; install git, or check the whole mesh without --changed-since")]
    NoGit(String),
    /// The mesh root is not in a git repository.
    #[error("--changed-since: {0} is not in a git repository, so there is no change to compare; run it in a clone of the mesh repository, or check the whole mesh without --changed-since")]
    NotARepo(String),
    /// The ref does not name a commit.
    #[error("--changed-since: `{0}` is not a commit this clone knows; check its spelling, or fetch it first (`git fetch origin {0}`; in GitHub Actions, `fetch-depth: 0` in actions/checkout)")]
    UnknownRef(String),
    /// The clone is shallow and the merge base is not in it.
    #[error("--changed-since: the merge base of `{0}` and HEAD is missing because this clone is shallow; fetch the history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)")]
    Shallow(String),
    /// The ref and HEAD share no history.
    #[error("--changed-since: `{0}` and HEAD have no common ancestor, so there is no merge base to compare with; give a ref on the same history as HEAD")]
    NoMergeBase(String),
    /// Another git failure.
    #[error("--changed-since: `git {0}` failed: {1}")]
    Failed(String, String),
}

/// Runs `git -C dir args…`; `Ok(Err(stderr))` when git ran and failed.
fn git(dir: &Path, args: &[&str]) -> Result<Result<String, String>, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| GitError::NoGit(e.to_string()))?;
    if out.status.success() {
        Ok(Ok(String::from_utf8_lossy(&out.stdout).into_owned()))
    } else {
        Ok(Err(String::from_utf8_lossy(&out.stderr).trim().to_string()))
    }
}

fn git_ok(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    git(dir, args)?.map_err(|e| GitError::Failed(args.join(" "), e))
}

/// The files that changed in the repository holding `root` since the merge base of `reference`
/// and HEAD: committed changes, staged and unstaged edits, and untracked files that are not
/// ignored (what is on disk is what meshgate checks; in CI that is HEAD). Renames count under
/// their new path.
pub fn changed_since(root: &Path, reference: &str) -> Result<ChangeSet, GitError> {
    let shown = root.display().to_string();
    let top = match git(root, &["rev-parse", "--show-toplevel"])? {
        Ok(t) => PathBuf::from(t.trim_end_matches(['\n', '\r'])),
        Err(_) => return Err(GitError::NotARepo(shown)),
    };
    // A ref is never an option of git's.
    if reference.is_empty() || reference.starts_with('-') {
        return Err(GitError::UnknownRef(reference.to_string()));
    }
    let spec = format!("{reference}^{{commit}}");
    if git(root, &["rev-parse", "--verify", "--quiet", &spec])?.is_err() {
        return Err(GitError::UnknownRef(reference.to_string()));
    }
    let base = match git(root, &["merge-base", reference, "HEAD"])? {
        Ok(b) => b.trim().to_string(),
        Err(_) => {
            let shallow = git_ok(root, &["rev-parse", "--is-shallow-repository"])?;
            return Err(if shallow.trim() == "true" {
                GitError::Shallow(reference.to_string())
            } else {
                GitError::NoMergeBase(reference.to_string())
            });
        }
    };
    // Paths in the output are relative to the top level.
    let diff = git_ok(
        root,
        &[
            "-c",
            "core.quotepath=off",
            "diff",
            "--name-status",
            "-M",
            "-z",
            "--no-ext-diff",
            &base,
            "--",
        ],
    )?;
    let untracked = git_ok(
        root,
        &[
            "-c",
            "core.quotepath=off",
            "ls-files",
            "--others",
            "--exclude-standard",
            "-z",
            "--full-name",
        ],
    )?;
    let abs_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let abs_top = std::fs::canonicalize(&top).unwrap_or(top);
    let rel = |p: &str| -> String {
        let abs = abs_top.join(p);
        match abs.strip_prefix(&abs_root) {
            Ok(r) => r
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => abs.to_string_lossy().replace('\\', "/"),
        }
    };
    let mut set = ChangeSet {
        reference: reference.to_string(),
        base,
        ..ChangeSet::default()
    };
    let mut fields = diff.split('\0').filter(|f| !f.is_empty());
    while let Some(status) = fields.next() {
        let kind = status.chars().next().unwrap_or('M');
        // Renames and copies name the old path, then the new one.
        if matches!(kind, 'R' | 'C') {
            let (Some(_old), Some(new)) = (fields.next(), fields.next()) else {
                break;
            };
            set.changed.push(rel(new));
        } else if let Some(path) = fields.next() {
            if kind == 'D' {
                set.deleted.push(rel(path));
            } else {
                set.changed.push(rel(path));
            }
        }
    }
    set.changed
        .extend(untracked.split('\0').filter(|f| !f.is_empty()).map(rel));
    set.changed.sort();
    set.changed.dedup();
    set.deleted.sort();
    set.deleted.dedup();
    Ok(set)
}

/// The text of `path` (as [`ChangeSet`] writes it, relative to `root`) at commit `base`, when it
/// existed there and is text.
pub fn show(root: &Path, base: &str, path: &str) -> Option<String> {
    // `./` makes the path relative to `root`, not to the top level.
    let spec = format!("{base}:./{path}");
    match git(root, &["show", &spec]) {
        Ok(Ok(text)) => Some(text),
        _ => None,
    }
}

/// The files under `path` (relative to `root`) at commit `base`, relative to `root`, sorted.
pub fn list_files(root: &Path, base: &str, path: &str) -> Result<Vec<String>, GitError> {
    let out = git_ok(
        root,
        &[
            "-c",
            "core.quotepath=off",
            "ls-tree",
            "-r",
            "-z",
            "--name-only",
            base,
            "--",
            path,
        ],
    )?;
    let mut files: Vec<String> = out
        .split('\0')
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect();
    files.sort();
    Ok(files)
}
