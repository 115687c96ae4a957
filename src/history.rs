//! `meshgate report --history N`: the mesh's scores at up to N evenly spaced commits of its git
//! repository's first-parent history, each read with `git archive` into a temporary folder
//! (the working tree and the index are never touched) and evaluated as `check` would.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::check::{self, CheckOptions};
use crate::config::ScoreWeights;
use crate::score::{self, Input};

/// The scores at one commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// The commit (full hash).
    pub commit: String,
    /// Its committer date (ISO 8601).
    pub date: String,
    /// The mesh's mean score then (`null`: none scored, or the mesh could not be evaluated).
    pub mean: Option<f64>,
    /// Each domain's mean score then, by name (`null` name: products outside any domain).
    pub domains: Vec<(Option<String>, Option<f64>)>,
    /// Why the mesh could not be evaluated at this commit, if it could not.
    pub error: Option<String>,
}

/// Runs git in `dir`; its standard output, or an error naming the command.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("--history needs git, which could not be run: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// Checks a `--history-since` value: a date `YYYY-MM-DD` (git reads it as that day's start),
/// never one of the free forms git also takes (`yesterday`), so a typo is an error, not a walk
/// from somewhere else.
pub fn parse_since(text: &str) -> Result<String, String> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10);
    let month: u32 = text.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(0);
    let day: u32 = text.get(8..10).and_then(|d| d.parse().ok()).unwrap_or(0);
    if ok && (1..=12).contains(&month) && (1..=31).contains(&day) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "`{text}` is not a date YYYY-MM-DD (e.g. 2026-06-01)"
        ))
    }
}

/// Up to `n` commits of the first-parent history of HEAD (those from `since` on, when given),
/// evenly spaced, oldest first, the oldest and HEAD included: `(hash, date)`.
pub fn commits(
    root: &Path,
    n: usize,
    since: Option<&str>,
) -> Result<Vec<(String, String)>, String> {
    git(root, &["rev-parse", "--show-toplevel"]).map_err(|_| {
        format!(
            "--history reads the mesh's past commits with git, but {} is not in a git repository",
            root.display()
        )
    })?;
    let since_arg = since.map(|d| format!("--since={d}T00:00:00"));
    let mut args = vec!["log", "--first-parent", "--format=%H %cI"];
    args.extend(since_arg.as_deref());
    args.push("HEAD");
    let log =
        git(root, &args).map_err(|e| format!("--history: cannot read the history of HEAD: {e}"))?;
    let mut all: Vec<(String, String)> = log
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(h, d)| (h.to_string(), d.to_string()))
        .collect();
    all.reverse();
    if let (Some(d), true) = (since, all.is_empty()) {
        return Err(format!(
            "--history-since {d}: HEAD's first-parent history has no commit on or after that day"
        ));
    }
    if git(root, &["rev-parse", "--is-shallow-repository"]).as_deref() == Ok("true")
        && all.len() < n
    {
        return Err(format!(
            "--history {n}: this is a shallow clone with only {} commit{} of history; fetch the whole history first (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)",
            all.len(),
            if all.len() == 1 { "" } else { "s" }
        ));
    }
    if all.len() <= n {
        return Ok(all);
    }
    let n = n.max(1);
    if n == 1 {
        return Ok(all.split_off(all.len() - 1));
    }
    let last = all.len() - 1;
    let mut picked: Vec<usize> = (0..n).map(|i| i * last / (n - 1)).collect();
    picked.dedup();
    Ok(picked.into_iter().map(|i| all[i].clone()).collect())
}

/// Extracts the mesh at `commit` into `into` and returns the mesh root there.
fn checkout(root: &Path, commit: &str, into: &Path) -> Result<PathBuf, String> {
    let prefix = git(root, &["rev-parse", "--show-prefix"])?;
    let top = PathBuf::from(git(root, &["rev-parse", "--show-toplevel"])?);
    let mut archive = Command::new("git")
        .arg("-C")
        .arg(&top)
        .args(["archive", "--format=tar", commit])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git archive: {e}"))?;
    let stdout = archive
        .stdout
        .take()
        .ok_or_else(|| "git archive: no output".to_string())?;
    let tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(into)
        .stdin(stdout)
        .output()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    let status = archive
        .wait()
        .map_err(|e| format!("git archive {commit}: {e}"))?;
    if !status.success() || !tar.status.success() {
        return Err(format!(
            "cannot extract commit {commit}: {}",
            String::from_utf8_lossy(&tar.stderr).trim()
        ));
    }
    Ok(into.join(prefix))
}

/// The policy folders of a mesh tree: its global ones (meshgate.toml `policies`, default
/// `policies/`) and every `domains/<d>/policies/`, repo-relative.
fn policy_folders(tree: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = crate::config::Config::load(tree)
        .map(|c| c.policies)
        .unwrap_or_else(|_| vec!["policies".to_string()])
        .into_iter()
        .map(PathBuf::from)
        .collect();
    if let Ok(domains) = std::fs::read_dir(tree.join("domains")) {
        let mut names: Vec<PathBuf> = domains
            .flatten()
            .map(|d| Path::new("domains").join(d.file_name()).join("policies"))
            .collect();
        names.sort();
        out.extend(names);
    }
    out
}

/// Copies the folder `from` to `to` (files and folders; links are not followed).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Replaces the policies of the mesh tree `tree` (global and every domain's) with those of
/// the tree `policies`, so that a past commit is judged by another commit's policies.
fn swap_policies(tree: &Path, policies: &Path) -> Result<(), String> {
    let mut folders = policy_folders(tree);
    folders.extend(policy_folders(policies));
    folders.sort();
    folders.dedup();
    for rel in folders {
        let (old, new) = (tree.join(&rel), policies.join(&rel));
        if old.exists() {
            std::fs::remove_dir_all(&old)
                .map_err(|e| format!("cannot replace {}: {e}", old.display()))?;
        }
        if new.is_dir() {
            copy_tree(&new, &old).map_err(|e| format!("cannot copy {}: {e}", new.display()))?;
        }
    }
    Ok(())
}

/// A progress line on standard error, only when it is a terminal (never in CI logs or piped
/// output); cleared when done.
struct Progress {
    on: bool,
}

impl Progress {
    fn new() -> Progress {
        use std::io::IsTerminal;
        Progress {
            on: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
        }
    }

    fn step(&self, i: usize, n: usize, what: &str) {
        if self.on {
            eprint!("\r\x1b[2Khistory: {i}/{n} {what}");
        }
    }

    fn done(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

/// The scores of the mesh at each of `commits`, evaluated with `opts` (its root replaced by the
/// commit's tree: meshgate.toml and the policies are those of the commit, or, with
/// `policies_at`, the policies of that commit: "had today's rules applied then").
pub fn scores(
    opts: &CheckOptions,
    commits: &[(String, String)],
    weights: &ScoreWeights,
    policies_at: Option<&str>,
) -> Result<Vec<HistoryPoint>, String> {
    let root = opts.load.root.clone();
    let judge = match policies_at {
        Some(reference) => {
            let commit = git(
                &root,
                &[
                    "rev-parse",
                    "--verify",
                    "--end-of-options",
                    &format!("{reference}^{{commit}}"),
                ],
            )
            .map_err(|_| format!("--policies-at {reference}: not a commit of this repository"))?;
            let dir =
                tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder: {e}"))?;
            let tree = checkout(&root, &commit, dir.path())?;
            Some((dir, tree))
        }
        None => None,
    };
    let progress = Progress::new();
    let mut points = Vec::with_capacity(commits.len());
    for (i, (hash, date)) in commits.iter().enumerate() {
        progress.step(i + 1, commits.len(), hash.get(..12).unwrap_or(hash));
        let dir =
            tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder: {e}"))?;
        let tree = checkout(&root, hash, dir.path())?;
        if let Some((_, policies)) = &judge {
            swap_policies(&tree, policies)?;
        }
        let mut at = opts.clone();
        at.load.root = tree;
        let mut point = HistoryPoint {
            commit: hash.clone(),
            date: date.clone(),
            mean: None,
            domains: Vec::new(),
            error: None,
        };
        match check::check(&at) {
            Ok(report) => {
                let board = score::board(&Input::from_report(&report), weights);
                point.mean = board.mesh.stats.mean;
                point.domains = board
                    .domains
                    .iter()
                    .map(|d| (d.name.clone(), d.stats.mean))
                    .collect();
            }
            Err(e) => point.error = Some(e.to_string()),
        }
        points.push(point);
    }
    progress.done();
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_a_date_only() {
        assert_eq!(parse_since("2026-06-01"), Ok("2026-06-01".to_string()));
        for bad in [
            "2026-13-01",
            "2026-06-32",
            "2026-6-1",
            "yesterday",
            "",
            "2026-06-01T00:00",
        ] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }
}
