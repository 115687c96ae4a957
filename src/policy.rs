//! Policies: loading Rego files, reading `# METADATA`, enforcing package rules
//! (reserved names, domain isolation, no recursion) and compiling each policy set once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use regorus::Engine;

use crate::descriptor::{self, Limits, NodeValue, Pos};
use crate::findings::{ErrorKind, Location, RunError, Severity};
use crate::rego::{
    char_column, execution_timer, new_engine, rule_definitions, split_regorus_error, RuleDefinition,
};

/// The rule names that make a package a policy, in evaluation order.
pub const POLICY_RULES: &[&str] = &["deny", "violation", "warn"];

/// Where a policy file comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// A global policy: applies to every product.
    Global,
    /// A domain-local policy: applies to that domain's products only.
    Domain(String),
}

/// One Rego file to load.
#[derive(Debug, Clone)]
pub struct PolicySource {
    /// Display path (repo-relative, or `<builtin>/…` for the embedded library).
    pub path: String,
    /// The Rego text.
    pub text: Arc<str>,
    /// Global or domain-local.
    pub origin: Origin,
}

/// What a package's `# METADATA` block says (OPA annotation format, package scope).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `custom.severity`.
    pub severity: Option<Severity>,
    /// `custom.category`.
    pub category: Option<String>,
    /// `custom.remediation`.
    pub remediation: Option<String>,
}

/// A policy: one Rego package that defines `deny`, `violation` and/or `warn`.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Package name without `data.` (the policy id), e.g. `governance.ownership`.
    pub package: String,
    /// Global or domain-local.
    pub origin: Origin,
    /// The files that declare the package.
    pub files: Vec<String>,
    /// Which of [`POLICY_RULES`] it defines, in that order.
    pub rules: Vec<&'static str>,
    /// Its annotations.
    pub metadata: Metadata,
    /// Where each of its rules is defined, in file then source order.
    pub definitions: Vec<RuleDefinition>,
}

impl Policy {
    /// Where `rule` is defined. An incremental rule has several definitions; `clues` pick out
    /// the one that produced a member: each clue is a set of JSON snippets of the member (its
    /// keys, a value, as written in Rego literals), and the first clue whose snippets all occur
    /// in a definition (whitespace aside) picks it. Without a match: the first definition.
    pub fn rule_location(&self, rule: &str, clues: &[Vec<String>]) -> Option<&Location> {
        let squeeze = |s: &str| s.split_whitespace().collect::<String>();
        let defs = self.definitions.iter().filter(|d| d.rule == rule);
        let first = defs.clone().next();
        clues
            .iter()
            .filter(|clue| !clue.is_empty())
            .find_map(|clue| {
                let words: Vec<String> = clue.iter().map(|w| squeeze(w)).collect();
                defs.clone()
                    .find(|d| words.iter().all(|w| d.text.contains(w.as_str())))
            })
            .or(first)
            .map(|d| &d.location)
    }

    /// The severity of a member of `rule` that does not set its own.
    pub fn default_severity(&self, rule: &str) -> Severity {
        match rule {
            "warn" => Severity::Warning,
            _ => self.metadata.severity.unwrap_or(Severity::Error),
        }
    }
}

/// A parsed, accepted policy file.
#[derive(Debug, Clone)]
struct LoadedFile {
    source: PolicySource,
    package: String,
    rules: Vec<&'static str>,
    metadata: Option<Metadata>,
    definitions: Vec<RuleDefinition>,
}

/// A compiled set of policies sharing one engine (the global set, or global + one domain's).
#[derive(Clone)]
pub struct PolicySet {
    /// The engine with the policies (and, once [`PolicySet::add_data`] ran, the mesh data) loaded.
    pub engine: Engine,
    /// Indexes into [`Library::policies`] of the policies in this set.
    pub policies: Vec<usize>,
}

/// Every policy that was loaded, the compiled sets, and what went wrong.
pub struct Library {
    /// All accepted policies, sorted by package then origin.
    pub policies: Vec<Policy>,
    /// The global set (applies to every product).
    pub global: PolicySet,
    /// Per-domain sets, for domains with local policies.
    pub domains: BTreeMap<String, PolicySet>,
    /// Files that were rejected, and why.
    pub errors: Vec<RunError>,
    /// Domains whose set lost a file to an error (their products cannot fully pass).
    pub degraded: BTreeSet<Option<String>>,
    /// All policy sources by path (for rendering snippets).
    pub sources: BTreeMap<String, Arc<str>>,
}

impl Library {
    /// A library without policies (`--parse-only`).
    pub fn empty() -> Library {
        Library {
            policies: Vec::new(),
            global: PolicySet {
                engine: new_engine(),
                policies: Vec::new(),
            },
            domains: BTreeMap::new(),
            errors: Vec::new(),
            degraded: BTreeSet::new(),
            sources: BTreeMap::new(),
        }
    }

    /// Records a policy file that could not be read: an error, and the products of its origin's
    /// set are not fully checked.
    pub fn add_unreadable(&mut self, origin: &Origin, error: RunError) {
        self.degraded.insert(domain_key(origin));
        self.errors.push(error);
        self.errors
            .sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
    }

    /// Marks the products of `scope` (a domain, or `None` for all) as not fully checked.
    pub fn degrade(&mut self, scope: Option<String>) {
        self.degraded.insert(scope);
    }

    /// The set that applies to products of `domain`.
    pub fn set_for(&self, domain: Option<&str>) -> &PolicySet {
        domain
            .and_then(|d| self.domains.get(d))
            .unwrap_or(&self.global)
    }

    /// Whether an error in loading policies affects products of `domain`.
    pub fn is_degraded(&self, domain: Option<&str>) -> bool {
        self.degraded.contains(&None)
            || domain.is_some_and(|d| self.degraded.contains(&Some(d.to_string())))
    }
}

/// Reads the package-scope `# METADATA` block of a Rego file (the one right above `package`).
pub fn parse_metadata(path: &str, text: &str) -> Result<Option<Metadata>, RunError> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(pkg_line) = lines
        .iter()
        .position(|l| l.trim_start().starts_with("package "))
    else {
        return Ok(None);
    };
    // Walk up from `package` over the comment block.
    let mut start = pkg_line;
    while start > 0 && lines[start - 1].trim_start().starts_with('#') {
        start -= 1;
    }
    let Some(meta_at) = (start..pkg_line).find(|&i| lines[i].trim() == "# METADATA") else {
        return Ok(None);
    };
    let body: String = lines[meta_at + 1..pkg_line]
        .iter()
        .map(|l| {
            let t = l.trim_start().trim_start_matches('#');
            let t = t.strip_prefix(' ').unwrap_or(t);
            format!("{t}\n")
        })
        .collect();
    let err = |pos: Pos, message: String| RunError {
        kind: ErrorKind::PolicyCompile,
        message,
        location: Some(Location::new(
            path,
            Pos::new(meta_at + 1 + pos.line as usize, pos.column as usize + 2),
            1,
        )),
    };
    let root = descriptor::parse_yaml(&body, &Limits::default(), &mut Vec::new())
        .map_err(|e| err(e.pos, format!("invalid METADATA block: {}", e.message)))?;
    let text_of = |n: Option<&descriptor::Node>| n.and_then(|n| n.as_str()).map(str::to_string);
    let mut meta = Metadata {
        title: text_of(root.get("title")),
        description: text_of(root.get("description")),
        ..Metadata::default()
    };
    if let Some(custom) = root.get("custom") {
        if let Some(sev) = custom.get("severity") {
            let parsed = sev
                .as_str()
                .ok_or_else(|| "severity must be a string".to_string())
                .and_then(|s| s.parse::<Severity>());
            match parsed {
                Ok(s) => meta.severity = Some(s),
                Err(m) => {
                    return Err(err(
                        sev.span.start,
                        format!("invalid METADATA custom.severity: {m}"),
                    ))
                }
            }
        }
        meta.category = text_of(custom.get("category"));
        meta.remediation = text_of(custom.get("remediation"));
    }
    if !matches!(root.value, NodeValue::Object(_)) {
        return Err(err(
            Pos::START,
            "METADATA block must be a YAML mapping".to_string(),
        ));
    }
    Ok(Some(meta))
}

/// Where the `package` keyword of a Rego file is (line 1 if there is none).
fn package_location(path: &str, text: &str) -> Location {
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("package "))
        .unwrap_or(0);
    Location::new(path, Pos::new(line + 1, 1), 7)
}

fn is_plain_package(pkg: &str) -> bool {
    !pkg.is_empty()
        && pkg.split('.').all(|c| {
            !c.is_empty()
                && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                && !c.starts_with(|ch: char| ch.is_ascii_digit())
        })
}

fn compile_error(path: &str, source: &str, text: &str) -> RunError {
    let (loc, message) = split_regorus_error(text);
    RunError {
        kind: ErrorKind::PolicyCompile,
        message: format!("policy does not compile: {message}"),
        location: Some(match loc {
            Some((_, pos)) => Location::new(path, char_column(Some(source), pos), 1),
            None => Location::new(path, Pos::START, 1),
        }),
    }
}

/// Parses one file on its own: package, rules, metadata.
fn load_file(source: PolicySource) -> Result<LoadedFile, RunError> {
    let path = source.path.clone();
    let metadata = parse_metadata(&path, &source.text)?;
    let mut engine = new_engine();
    let pkg = engine
        .add_policy(path.clone(), source.text.to_string())
        .map_err(|e| compile_error(&path, &source.text, &e.to_string()))?;
    let package = pkg.strip_prefix("data.").unwrap_or(&pkg).to_string();
    let at_package = || Some(package_location(&path, &source.text));
    if !is_plain_package(&package) {
        return Err(RunError {
            kind: ErrorKind::PolicyRejected,
            message: format!("package `{package}` must be dot-separated identifiers"),
            location: at_package(),
        });
    }
    if package == "meshgate" || package.starts_with("meshgate.") {
        return Err(RunError {
            kind: ErrorKind::PolicyRejected,
            message: format!("package `{package}` is reserved: names under `meshgate.` belong to meshgate itself; rename the package"),
            location: at_package(),
        });
    }
    let mut rules = Vec::new();
    for rule in POLICY_RULES {
        if engine
            .has_declared_rule_rooted_at(&path, rule)
            .unwrap_or(false)
        {
            rules.push(*rule);
        }
    }
    let definitions = rule_definitions(&engine, &path, &source.text, &rules);
    Ok(LoadedFile {
        source,
        package,
        rules,
        metadata,
        definitions,
    })
}

/// Loads, checks and compiles all policy files, then adds `data` to every set.
///
/// `domains` are the mesh's domain names: a local package whose first segment names a
/// domain belongs to that domain, and no other domain may declare it.
pub fn build(
    sources: Vec<PolicySource>,
    domains: &[String],
    data: &regorus::Value,
    timeout: std::time::Duration,
) -> Library {
    let mut errors = Vec::new();
    let mut degraded = BTreeSet::new();
    let mut all_sources = BTreeMap::new();
    let mut loaded: Vec<LoadedFile> = Vec::new();
    for s in sources {
        all_sources.insert(s.path.clone(), s.text.clone());
        let origin = s.origin.clone();
        match load_file(s) {
            Ok(f) => loaded.push(f),
            Err(e) => {
                degraded.insert(domain_key(&origin));
                errors.push(e);
            }
        }
    }

    // Domain isolation: a local package may not be (or contain) a global package, nor another domain's.
    let global_pkgs: BTreeMap<String, String> = loaded
        .iter()
        .filter(|f| f.source.origin == Origin::Global)
        .map(|f| (f.package.clone(), f.source.path.clone()))
        .collect();
    let local_files: Vec<(String, String, String)> = loaded
        .iter()
        .filter_map(|f| match &f.source.origin {
            Origin::Domain(d) => Some((d.clone(), f.package.clone(), f.source.path.clone())),
            Origin::Global => None,
        })
        .collect();
    let mut owner_of_local: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut keep = Vec::new();
    for f in loaded {
        let Origin::Domain(domain) = &f.source.origin else {
            keep.push(f);
            continue;
        };
        let clash_global = global_pkgs.iter().find(|(g, _)| {
            *g == &f.package
                || g.starts_with(&format!("{}.", f.package))
                || f.package.starts_with(&format!("{g}."))
        });
        let first = f.package.split('.').next().unwrap_or("");
        let named_owner =
            (first != domain.as_str() && domains.iter().any(|d| d == first)).then(|| {
                let files: Vec<&str> = local_files
                    .iter()
                    .filter(|(d, pkg, _)| d == first && *pkg == f.package)
                    .map(|(_, _, file)| file.as_str())
                    .collect();
                (first, files)
            });
        let reason = if let Some((g, gfile)) = clash_global {
            Some(format!(
                "domain-local package `{}` collides with global package `{g}` declared in {gfile}: domains may add policies but not change global ones; rename the package (e.g. `{domain}.…`)",
                f.package
            ))
        } else if let Some((owner, files)) = named_owner {
            let declared = if files.is_empty() {
                String::new()
            } else {
                format!(" (declared in {})", files.join(", "))
            };
            Some(format!(
                "package `{}` belongs to domain `{owner}`{declared}: a domain may not add rules to another domain's policies; use a package under `{domain}.`",
                f.package
            ))
        } else if let Some((other_domain, other_file)) =
            owner_of_local.get(&f.package).filter(|(d, _)| d != domain)
        {
            Some(format!(
                "package `{}` is already declared by domain `{other_domain}` in {other_file}: a domain may not add rules to another domain's policies; rename the package",
                f.package
            ))
        } else {
            None
        };
        match reason {
            Some(message) => {
                degraded.insert(Some(domain.clone()));
                errors.push(RunError {
                    kind: ErrorKind::PolicyRejected,
                    message,
                    location: Some(package_location(&f.source.path, &f.source.text)),
                });
            }
            None => {
                owner_of_local
                    .entry(f.package.clone())
                    .or_insert_with(|| (domain.clone(), f.source.path.clone()));
                keep.push(f);
            }
        }
    }

    // Group into policies (package × origin).
    let mut by_key: BTreeMap<(String, Origin), Policy> = BTreeMap::new();
    for f in &keep {
        let p = by_key
            .entry((f.package.clone(), f.source.origin.clone()))
            .or_insert_with(|| Policy {
                package: f.package.clone(),
                origin: f.source.origin.clone(),
                files: Vec::new(),
                rules: Vec::new(),
                metadata: Metadata::default(),
                definitions: Vec::new(),
            });
        p.files.push(f.source.path.clone());
        p.definitions.extend(f.definitions.iter().cloned());
        for r in &f.rules {
            if !p.rules.contains(r) {
                p.rules.push(r);
            }
        }
        p.rules
            .sort_by_key(|r| POLICY_RULES.iter().position(|x| x == r));
        if let Some(m) = &f.metadata {
            if p.metadata == Metadata::default() {
                p.metadata = m.clone();
            }
        }
    }
    let policies: Vec<Policy> = by_key
        .into_values()
        .filter(|p| !p.rules.is_empty())
        .collect();

    let globals: Vec<&LoadedFile> = keep
        .iter()
        .filter(|f| f.source.origin == Origin::Global)
        .collect();
    let (global, global_files) = compile_set(
        &globals,
        &policies,
        None,
        data,
        timeout,
        &mut errors,
        &mut degraded,
    );
    let mut domains = BTreeMap::new();
    let local_domains: BTreeSet<String> = keep
        .iter()
        .filter_map(|f| match &f.source.origin {
            Origin::Domain(d) => Some(d.clone()),
            Origin::Global => None,
        })
        .collect();
    for d in local_domains {
        let mut files: Vec<&LoadedFile> = keep
            .iter()
            .filter(|f| global_files.contains(&f.source.path))
            .collect();
        files.extend(
            keep.iter()
                .filter(|f| f.source.origin == Origin::Domain(d.clone())),
        );
        let (set, _) = compile_set(
            &files,
            &policies,
            Some(&d),
            data,
            timeout,
            &mut errors,
            &mut degraded,
        );
        domains.insert(d, set);
    }
    errors.sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
    errors.dedup();
    Library {
        policies,
        global,
        domains,
        errors,
        degraded,
        sources: all_sources,
    }
}

fn domain_key(origin: &Origin) -> Option<String> {
    match origin {
        Origin::Global => None,
        Origin::Domain(d) => Some(d.clone()),
    }
}

/// Compiles `files` into one engine, dropping files that take part in recursion or fail together.
fn compile_set(
    files: &[&LoadedFile],
    policies: &[Policy],
    domain: Option<&str>,
    data: &regorus::Value,
    timeout: std::time::Duration,
    errors: &mut Vec<RunError>,
    degraded: &mut BTreeSet<Option<String>>,
) -> (PolicySet, BTreeSet<String>) {
    let mut active: Vec<&LoadedFile> = files.to_vec();
    // Every pass that does not return drops at least one file (or all of them), so there are
    // at most `files.len() + 1` passes; the bound is structural, not a property of the errors.
    for _ in 0..=files.len() + 1 {
        let before = active.len();
        let mut engine = new_engine();
        let mut failed = None;
        for f in &active {
            if let Err(e) = engine.add_policy(f.source.path.clone(), f.source.text.to_string()) {
                failed = Some((
                    f.source.path.clone(),
                    compile_error(&f.source.path, &f.source.text, &e.to_string()),
                ));
                break;
            }
        }
        if failed.is_none() {
            match crate::recursion::find_cycles(&engine) {
                Ok(cycles) if !cycles.is_empty() => {
                    for c in cycles {
                        let origin = active
                            .iter()
                            .find(|f| f.source.path == c.file)
                            .map(|f| f.source.origin.clone());
                        errors.push(RunError {
                            kind: ErrorKind::PolicyRejected,
                            message: format!(
                                "recursion is not allowed in Rego (`{}`): a rule or function that refers to itself can run forever; rewrite it without recursion (e.g. with `walk` or `graph.reachable`)",
                                c.chain.join(" -> ")
                            ),
                            location: Some(Location::new(
                                &c.file,
                                // regorus counts a tab as 4 columns; meshgate counts characters.
                                char_column(
                                    active
                                        .iter()
                                        .find(|f| f.source.path == c.file)
                                        .map(|f| &*f.source.text),
                                    c.pos,
                                ),
                                1,
                            )),
                        });
                        if let Some(o) = origin {
                            degraded.insert(domain_key(&o));
                        }
                        active.retain(|f| f.source.path != c.file);
                    }
                    if active.len() >= before {
                        active.clear();
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => failed = Some((String::new(), compile_error("<policies>", "", &e))),
            }
        }
        if failed.is_none() {
            if let Err(e) = engine.add_data(data.clone()) {
                errors.push(RunError {
                    kind: ErrorKind::PolicyCompile,
                    message: format!("mesh data conflicts with a policy: {e}"),
                    location: None,
                });
                degraded.insert(domain.map(str::to_string));
            }
            engine.set_execution_timer_config(execution_timer(timeout));
            let paths: BTreeSet<String> = active.iter().map(|f| f.source.path.clone()).collect();
            let in_set: Vec<usize> = policies
                .iter()
                .enumerate()
                .filter(|(_, p)| p.files.iter().any(|f| paths.contains(f)))
                .map(|(i, _)| i)
                .collect();
            return (
                PolicySet {
                    engine,
                    policies: in_set,
                },
                paths,
            );
        }
        if let Some((path, err)) = failed {
            // A file that compiled alone but not with the others (e.g. conflicting rules across files).
            let origin = active
                .iter()
                .find(|f| f.source.path == path)
                .map(|f| f.source.origin.clone());
            degraded.insert(
                origin
                    .as_ref()
                    .map_or(domain.map(str::to_string), domain_key),
            );
            errors.push(err);
            active.retain(|f| f.source.path != path);
        }
        if active.len() >= before {
            // Nothing could be attributed to one file: give up on the whole set.
            active.clear();
        }
    }
    degraded.insert(domain.map(str::to_string));
    (
        PolicySet {
            engine: new_engine(),
            policies: Vec::new(),
        },
        BTreeSet::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(path: &str, text: &str, origin: Origin) -> PolicySource {
        PolicySource {
            path: path.into(),
            text: text.into(),
            origin,
        }
    }

    fn lib(sources: Vec<PolicySource>) -> Library {
        let domains = vec!["orders".to_string(), "c".to_string()];
        build(
            sources,
            &domains,
            &regorus::Value::new_object(),
            std::time::Duration::from_secs(5),
        )
    }

    #[test]
    fn metadata_is_read_and_validated() {
        let text = "# METADATA\n# title: Owner\n# description: >-\n#   Long text\n# custom:\n#   severity: warning\n#   category: ownership\n#   remediation: Add one.\npackage a.b\n\ndeny contains \"x\" if { true }\n";
        let m = parse_metadata("p.rego", text).unwrap().unwrap();
        assert_eq!(m.title.as_deref(), Some("Owner"));
        assert_eq!(m.description.as_deref(), Some("Long text"));
        assert_eq!(m.severity, Some(Severity::Warning));
        assert_eq!(m.category.as_deref(), Some("ownership"));
        assert_eq!(m.remediation.as_deref(), Some("Add one."));
        let bad = "# METADATA\n# title: x\n# custom:\n#   severity: fatal\npackage a\n";
        let e = parse_metadata("p.rego", bad).unwrap_err();
        assert_eq!(e.location.as_ref().map(|l| l.line), Some(4));
        assert!(e.message.contains("fatal"));
        assert_eq!(parse_metadata("p.rego", "package a\n").unwrap(), None);
    }

    #[test]
    fn splits_regorus_errors() {
        let (loc, msg) = split_regorus_error(
            "\n--> b.rego:4:38\n  |\n4 | x\n  | ^\nerror: could not find function crypto.x",
        );
        assert_eq!(loc, Some(("b.rego".to_string(), Pos::new(4, 38))));
        assert_eq!(msg, "could not find function crypto.x");
    }

    #[test]
    fn rules_and_severity_defaults() {
        let l = lib(vec![src("p.rego", "package g.p\n\ndeny contains \"a\" if { input.x }\nwarn contains \"b\" if { input.y }\n", Origin::Global)]);
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(l.policies.len(), 1);
        assert_eq!(l.policies[0].rules, vec!["deny", "warn"]);
        assert_eq!(l.policies[0].default_severity("deny"), Severity::Error);
        assert_eq!(l.policies[0].default_severity("warn"), Severity::Warning);
    }

    #[test]
    fn reserved_and_colliding_packages_are_rejected() {
        let l = lib(vec![
            src(
                "policies/own.rego",
                "package governance.ownership\n\ndeny contains \"g\" if { true }\n",
                Origin::Global,
            ),
            src(
                "domains/orders/policies/hijack.rego",
                "package governance.ownership\n\ndeny contains \"h\" if { false }\n",
                Origin::Domain("orders".into()),
            ),
            src(
                "domains/orders/policies/ret.rego",
                "package orders.retention\n\ndeny contains \"r\" if { true }\n",
                Origin::Domain("orders".into()),
            ),
            src(
                "domains/c/policies/x.rego",
                "package orders.retention\n\ndeny contains \"x\" if { true }\n",
                Origin::Domain("c".into()),
            ),
            src(
                "domains/orders/policies/res.rego",
                "package meshgate.evil\n\ndeny contains \"e\" if { true }\n",
                Origin::Domain("orders".into()),
            ),
        ]);
        let msgs: Vec<String> = l.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:#?}");
        assert!(msgs
            .iter()
            .any(|m| m.starts_with("domains/orders/policies/hijack.rego:1:1")
                && m.contains("policies/own.rego")));
        assert!(msgs
            .iter()
            .any(|m| m.starts_with("domains/c/policies/x.rego:1:1")
                && m.contains("domains/orders/policies/ret.rego")));
        assert!(msgs
            .iter()
            .any(|m| m.starts_with("domains/orders/policies/res.rego") && m.contains("reserved")));
        // Domain o keeps its own package; global untouched.
        let o = l.set_for(Some("orders"));
        let names: Vec<&str> = o
            .policies
            .iter()
            .map(|&i| l.policies[i].package.as_str())
            .collect();
        assert_eq!(names, vec!["governance.ownership", "orders.retention"]);
        assert_eq!(l.set_for(Some("c")).policies.len(), 1);
        assert!(
            l.is_degraded(Some("orders")) && l.is_degraded(Some("c")) && !l.is_degraded(Some("z"))
        );
    }

    #[test]
    fn recursion_is_rejected_like_opa() {
        let l = lib(vec![
            src("r.rego", "package r\n\nf(x) := y if {\n  y := g(x)\n}\n\ng(x) := y if {\n  y := f(x)\n}\n\ndeny contains m if {\n  f(1)\n  m := \"x\"\n}\n", Origin::Global),
            src("s.rego", "package s\n\na contains x if { some x in data.s.a }\n\ndeny contains \"s\" if { a[_] }\n", Origin::Global),
            src("ok.rego", "package ok\n\nname := \"n\"\n\nhelper(x) := name if { x }\n\ndeny contains m if {\n  name := helper(true)\n  m := name\n}\n", Origin::Global),
        ]);
        let msgs: Vec<String> = l.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 2, "{msgs:#?}");
        assert!(
            msgs[0].starts_with("r.rego:") && msgs[0].contains("recursion"),
            "{msgs:#?}"
        );
        assert!(
            msgs[1].starts_with("s.rego:3:") && msgs[1].contains("s.a -> s.a"),
            "{msgs:#?}"
        );
        let names: Vec<&str> = l
            .global
            .policies
            .iter()
            .map(|&i| l.policies[i].package.as_str())
            .collect();
        assert_eq!(names, vec!["ok"]);
    }

    #[test]
    fn syntax_errors_are_located() {
        let l = lib(vec![src(
            "bad.rego",
            "package b\n\ndeny contains m if {\n  m := 1 +\n",
            Origin::Global,
        )]);
        assert_eq!(l.errors.len(), 1);
        let loc = l.errors[0].location.as_ref().unwrap();
        assert_eq!(loc.file, "bad.rego");
        assert!(loc.line >= 4, "{:?}", l.errors[0]);
        assert!(l.is_degraded(None));
    }
}
