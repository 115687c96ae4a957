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

/// Up to `n` commits of the first-parent history of HEAD, evenly spaced, oldest first, the
/// oldest and HEAD included: `(hash, date)`.
pub fn commits(root: &Path, n: usize) -> Result<Vec<(String, String)>, String> {
    git(root, &["rev-parse", "--show-toplevel"]).map_err(|_| {
        format!(
            "--history reads the mesh's past commits with git, but {} is not in a git repository",
            root.display()
        )
    })?;
    let log = git(root, &["log", "--first-parent", "--format=%H %cI", "HEAD"])
        .map_err(|e| format!("--history: cannot read the history of HEAD: {e}"))?;
    let mut all: Vec<(String, String)> = log
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(h, d)| (h.to_string(), d.to_string()))
        .collect();
    all.reverse();
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

/// The scores of the mesh at each of `commits`, evaluated with `opts` (its root replaced by the
/// commit's tree: the policies and meshgate.toml are those of the commit).
pub fn scores(
    opts: &CheckOptions,
    commits: &[(String, String)],
    weights: &ScoreWeights,
) -> Result<Vec<HistoryPoint>, String> {
    let root = opts.load.root.clone();
    let mut points = Vec::with_capacity(commits.len());
    for (hash, date) in commits {
        let dir =
            tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder: {e}"))?;
        let tree = checkout(&root, hash, dir.path())?;
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
    Ok(points)
}
