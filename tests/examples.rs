//! The CI examples (`examples/github-workflow.yml`, `examples/gitlab-ci.yml`,
//! `.pre-commit-hooks.yaml`): every `meshgate …` command they run parses with the CLI's own
//! clap definition, and each file has the structure its CI system expects.
//!
//! The files are read with meshgate's own YAML parser (YAML 1.2, so GitHub's `on:` stays a
//! string key). No real workflow validator runs here: `actionlint` and GitLab's CI lint are not
//! available offline, so the structure checks are deliberately light.

use std::path::Path;

use clap::Parser;
use meshgate::cli::Cli;
use meshgate::descriptor::{parse_fragment, Format, Limits, Node, NodeValue};

const GITHUB: &str = "examples/github-workflow.yml";
const GITLAB: &str = "examples/gitlab-ci.yml";
const PRE_COMMIT: &str = ".pre-commit-hooks.yaml";

/// Keys whose values are shell commands: GitHub's `run`, GitLab's scripts, pre-commit's `entry`.
const COMMAND_KEYS: [&str; 5] = ["run", "script", "before_script", "after_script", "entry"];

fn load(rel: &str) -> Node {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    match parse_fragment(&bytes, Format::Yaml, &Limits::default()) {
        Ok((node, _)) => node,
        Err(e) => panic!("{rel}:{}:{}: {e}", e.pos.line, e.pos.column),
    }
}

fn get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.value {
        NodeValue::Object(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
        _ => None,
    }
}

fn entries(node: &Node) -> &[meshgate::descriptor::Entry] {
    match &node.value {
        NodeValue::Object(entries) => entries,
        _ => &[],
    }
}

fn string(node: &Node) -> Option<&str> {
    match &node.value {
        NodeValue::String(s) => Some(s),
        _ => None,
    }
}

/// Every shell script under a command key, with the line it starts on.
fn scripts(node: &Node, out: &mut Vec<(u32, String)>) {
    match &node.value {
        NodeValue::Object(entries) => {
            for e in entries {
                if COMMAND_KEYS.contains(&e.key.as_str()) {
                    match &e.value.value {
                        NodeValue::String(s) => out.push((e.value.span.start.line, s.clone())),
                        NodeValue::Array(items) => {
                            for item in items {
                                if let Some(s) = string(item) {
                                    out.push((item.span.start.line, s.to_string()));
                                }
                            }
                        }
                        _ => {}
                    }
                } else {
                    scripts(&e.value, out);
                }
            }
        }
        NodeValue::Array(items) => items.iter().for_each(|i| scripts(i, out)),
        _ => {}
    }
}

/// Replaces `${{ … }}` expressions and `$VAR`/`${VAR}` references by `PLACEHOLDER`.
fn substitute(script: &str) -> String {
    let mut out = String::new();
    let mut rest = script;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let skip = if let Some(expr) = after.strip_prefix("{{") {
            expr.find("}}").map(|j| 2 + j + 2)
        } else if let Some(var) = after.strip_prefix('{') {
            var.find('}').map(|j| 1 + j + 1)
        } else {
            let n = after
                .char_indices()
                .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
                .map_or(after.len(), |(j, _)| j);
            (n > 0).then_some(n)
        };
        match skip {
            Some(n) => {
                out.push_str("PLACEHOLDER");
                rest = &after[n..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Splits a shell script into simple commands, each a list of words: quotes removed,
/// backslash-newline joined, `#` comments, `&&`/`||`/`;`/`|`/newline separators and
/// redirections (`> file`, `2>&1`) handled. Enough for CI scripts, not a shell.
fn commands(script: &str) -> Vec<Vec<String>> {
    let script = substitute(&script.replace("\\\n", " "));
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = script.chars().peekable();
    let end_word = |word: &mut Option<String>, words: &mut Vec<String>| {
        if let Some(w) = word.take() {
            words.push(w);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    w.push(q);
                }
            }
            '#' if word.is_none() => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            ' ' | '\t' => end_word(&mut word, &mut words),
            // `2>&1`, `>&2`: part of a redirection, not a separator.
            '&' if word.as_deref().is_some_and(|w| w.ends_with('>')) => {
                word.get_or_insert_with(String::new).push(c)
            }
            '\n' | ';' | '&' | '|' => {
                end_word(&mut word, &mut words);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
            _ => word.get_or_insert_with(String::new).push(c),
        }
    }
    end_word(&mut word, &mut words);
    if !words.is_empty() {
        commands.push(words);
    }
    // Drop redirections and their targets.
    for command in &mut commands {
        let mut kept = Vec::new();
        let mut iter = std::mem::take(command).into_iter();
        while let Some(w) = iter.next() {
            let op = w.trim_start_matches(|c: char| c.is_ascii_digit());
            if op == ">" || op == ">>" || op == "<" {
                iter.next();
            } else if !(op.starts_with('>') || op.starts_with('<')) {
                kept.push(w);
            }
        }
        *command = kept;
    }
    commands
}

/// The `meshgate …` commands of a file, with the line of the script they are in.
fn meshgate_commands(rel: &str) -> Vec<(u32, Vec<String>)> {
    let mut found = Vec::new();
    let mut all = Vec::new();
    scripts(&load(rel), &mut all);
    for (line, script) in all {
        for mut words in commands(&script) {
            while words
                .first()
                .is_some_and(|w| w == "!" || w == "time" || w.contains('='))
            {
                words.remove(0);
            }
            if words
                .first()
                .is_some_and(|w| w == "meshgate" || w.ends_with("/meshgate"))
            {
                found.push((line, words));
            }
        }
    }
    found
}

/// Parses every `meshgate` command of `rel` with the CLI's definition; returns the commands.
fn assert_commands_parse(rel: &str) -> Vec<Vec<String>> {
    let commands = meshgate_commands(rel);
    let mut errors = Vec::new();
    for (line, words) in &commands {
        if let Err(e) = Cli::try_parse_from(words) {
            errors.push(format!("{rel}:{line}: `{}`:\n{e}", words.join(" ")));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    commands.into_iter().map(|(_, w)| w).collect()
}

fn has(commands: &[Vec<String>], words: &[&str]) -> bool {
    commands
        .iter()
        .any(|c| words.iter().all(|w| c.iter().any(|x| x == w)))
}

#[test]
fn the_extraction_handles_quotes_continuations_placeholders_and_redirections() {
    let script = "echo start && meshgate check --changed-since \"origin/${{ github.base_ref }}\" \\\n  --format sarif --output out.sarif 2>&1 | tee log # a comment\n! meshgate test policies > /dev/null\nFOO=1 meshgate report --from $RESULT";
    let got = commands(script);
    assert_eq!(
        got,
        vec![
            vec!["echo", "start"],
            vec![
                "meshgate",
                "check",
                "--changed-since",
                "origin/PLACEHOLDER",
                "--format",
                "sarif",
                "--output",
                "out.sarif"
            ],
            vec!["tee", "log"],
            vec!["!", "meshgate", "test", "policies"],
            vec!["FOO=1", "meshgate", "report", "--from", "PLACEHOLDER"],
        ]
    );
}

#[test]
fn a_flag_that_does_not_exist_is_caught() {
    // The same path the example files take: a made-up flag, subcommand or value fails to parse.
    for bad in [
        "meshgate check --no-such-flag",
        "meshgate chek .",
        "meshgate check --format sarif2",
        "meshgate test --impact",
    ] {
        let words = &commands(bad)[0];
        assert!(Cli::try_parse_from(words).is_err(), "{bad} parsed");
    }
    let good = &commands("meshgate check --changed-since origin/main --impact")[0];
    assert!(Cli::try_parse_from(good).is_ok());
}

#[test]
fn github_workflow_uses_only_flags_that_exist() {
    let commands = assert_commands_parse(GITHUB);
    assert!(
        commands.len() >= 5,
        "too few meshgate commands found: {commands:?}"
    );
    for words in [
        &["check", "--changed-since", "--format", "github"][..],
        &["check", "--changed-since", "sarif", "--output"],
        &[
            "check",
            "--changed-since",
            "--impact",
            "markdown",
            "--output",
        ],
        &["report", "--format", "html", "--output"],
        &["test", "policies", "--coverage", "--threshold", "90"],
    ] {
        assert!(
            has(&commands, words),
            "no `meshgate {}` in {GITHUB}",
            words.join(" ")
        );
    }
}

#[test]
fn gitlab_ci_uses_only_flags_that_exist() {
    let commands = assert_commands_parse(GITLAB);
    assert!(
        commands.len() >= 6,
        "too few meshgate commands found: {commands:?}"
    );
    for words in [
        &["check", "--changed-since", "gitlab", "--output"][..],
        &["check", "--changed-since", "junit", "--output"],
        &["test", "policies", "--coverage", "--threshold"],
    ] {
        assert!(
            has(&commands, words),
            "no `meshgate {}` in {GITLAB}",
            words.join(" ")
        );
    }
}

#[test]
fn pre_commit_hooks_use_only_flags_that_exist() {
    let commands = assert_commands_parse(PRE_COMMIT);
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(has(&commands, &["check", "--changed-since", "HEAD"]));
    assert!(has(&commands, &["test"]));
}

#[test]
fn github_workflow_has_the_shape_of_a_workflow() {
    let root = load(GITHUB);
    let on = get(&root, "on").expect("`on` at the top level");
    assert!(get(on, "pull_request").is_some() && get(on, "push").is_some());
    let jobs = get(&root, "jobs").expect("`jobs` at the top level");
    assert!(!entries(jobs).is_empty());
    let mut checkout_fetch_depth = false;
    for job in entries(jobs) {
        assert!(
            get(&job.value, "runs-on").is_some(),
            "job {} has no runs-on",
            job.key
        );
        let Some(NodeValue::Array(steps)) = get(&job.value, "steps").map(|s| &s.value) else {
            panic!("job {} has no steps list", job.key);
        };
        for step in steps {
            let uses = get(step, "uses").and_then(string);
            let run = get(step, "run").and_then(string);
            assert!(
                uses.is_some() != run.is_some(),
                "{GITHUB}:{}: a step has exactly one of `uses` and `run`",
                step.span.start.line
            );
            if let Some(u) = uses {
                assert!(
                    u.contains('@'),
                    "{GITHUB}:{}: pin {u} to a version",
                    step.span.start.line
                );
            }
            if uses == Some("actions/checkout@v4") && job.key == "gate" {
                let depth = get(step, "with").and_then(|w| get(w, "fetch-depth"));
                checkout_fetch_depth = depth.is_some_and(|d| {
                    d.value == NodeValue::Number(meshgate::descriptor::Number::Int(0))
                });
            }
            // The gate step (the first meshgate check) must fail the job: no continue-on-error.
            if run.is_some_and(|r| r.contains("--format github")) {
                assert!(
                    get(step, "continue-on-error").is_none(),
                    "the gate step must fail the job"
                );
            }
        }
    }
    assert!(
        checkout_fetch_depth,
        "the pull-request job checks out with fetch-depth: 0"
    );
}

#[test]
fn gitlab_ci_has_the_shape_of_a_pipeline() {
    let root = load(GITLAB);
    let Some(NodeValue::Array(stages)) = get(&root, "stages").map(|s| &s.value) else {
        panic!("`stages` list at the top level");
    };
    let stages: Vec<&str> = stages.iter().filter_map(string).collect();
    let depth = get(&root, "variables").and_then(|v| get(v, "GIT_DEPTH"));
    assert!(
        depth.is_some_and(|d| d.value == NodeValue::Number(meshgate::descriptor::Number::Int(0))),
        "GIT_DEPTH: 0"
    );
    let keywords = ["stages", "variables", "default", "include", "workflow"];
    let mut jobs = 0;
    for job in entries(&root) {
        if keywords.contains(&job.key.as_str()) || job.key.starts_with('.') {
            continue;
        }
        jobs += 1;
        let base = get(&job.value, "extends")
            .and_then(string)
            .and_then(|name| get(&root, name));
        let field = |key: &str| get(&job.value, key).or_else(|| base.and_then(|b| get(b, key)));
        assert!(field("script").is_some(), "job {} has no script", job.key);
        let stage = field("stage").and_then(string).expect("a stage");
        assert!(
            stages.contains(&stage),
            "job {}: stage {stage} is not in stages",
            job.key
        );
        let reports = field("artifacts")
            .and_then(|a| get(a, "reports"))
            .expect("artifacts: reports");
        assert!(get(reports, "codequality").is_some() && get(reports, "junit").is_some());
    }
    assert!(jobs >= 2);
}

#[test]
fn pre_commit_hooks_have_the_fields_pre_commit_needs() {
    let root = load(PRE_COMMIT);
    let NodeValue::Array(hooks) = &root.value else {
        panic!("{PRE_COMMIT} is a list of hooks");
    };
    let mut ids = Vec::new();
    for hook in hooks {
        for key in ["id", "name", "entry", "language", "files"] {
            assert!(
                get(hook, key).and_then(string).is_some(),
                "{PRE_COMMIT}:{}: no {key}",
                hook.span.start.line
            );
        }
        let id = get(hook, "id").and_then(string).unwrap_or_default();
        ids.push(id.to_string());
        let files = get(hook, "files").and_then(string).unwrap_or_default();
        let files = regex::Regex::new(files).unwrap_or_else(|e| panic!("{id}: files: {e}"));
        let matches = |p: &str| files.is_match(p);
        assert!(matches("domains/orders/policies/naming.rego"), "{id}");
        assert!(!matches("README.md") && !matches("src/main.rs"), "{id}");
        if id == "meshgate-check" {
            for p in [
                "domains/orders/products/daily/dataproduct.yaml",
                "domains/sales/products/x/x.odps.yml",
                "domains/sales/products/y/dpds.json",
                "domains/sales/products/z/z.dpd.json",
                "domains/sales/products/z/ports/out.yaml",
                "domains/orders/domain.yaml",
                "policies/naming.rego",
                "meshgate.toml",
            ] {
                assert!(matches(p), "meshgate-check does not run on {p}");
            }
        }
    }
    assert_eq!(ids, ["meshgate-check", "meshgate-test"]);
}
