//! Policies: loading Rego files, reading `# METADATA`, enforcing package rules
//! (reserved names, domain isolation, no recursion) and compiling each policy set once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use regorus::Engine;

use serde::Serialize;

use crate::descriptor::{self, Limits, NodeValue, Pos, Standard};
use crate::findings::{ErrorKind, Location, RunError, Severity};
use crate::rego::{
    char_column, execution_timer, new_engine, rule_definitions, split_regorus_error, RuleDefinition,
};

/// The rule families that make a package a policy, in evaluation order. As in conftest, a
/// rule belongs to a family when its name is the family's or the family's followed by
/// `_`-separated groups of ASCII letters and digits (`deny_missing_owner`): see [`rule_family`].
pub const POLICY_RULES: &[&str] = &["deny", "violation", "warn"];

/// The rule that lists, per product, which rules of its package do not apply (conftest's
/// `exception contains rules if { …; rules := ["missing_owner"] }`).
pub const EXCEPTION_RULE: &str = "exception";

/// The optional rule that says whether a policy applies to a product: anything but `true`
/// (undefined, false) makes the policy not applicable, so it is not evaluated on that product.
/// It is not a policy rule: a package that defines only `applicable` is no policy.
pub const APPLICABLE_RULE: &str = "applicable";

/// The family (`deny`, `violation` or `warn`) of a policy rule, or `None` when `name` is not
/// a policy rule. Matches conftest's `^(deny|violation)(_[a-zA-Z0-9]+)*$` and
/// `^warn(_[a-zA-Z0-9]+)*$`.
pub fn rule_family(name: &str) -> Option<&'static str> {
    POLICY_RULES.iter().copied().find(|family| {
        name.strip_prefix(family).is_some_and(|rest| {
            rest.is_empty()
                || rest.strip_prefix('_').is_some_and(|groups| {
                    groups
                        .split('_')
                        .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_alphanumeric()))
                })
        })
    })
}

/// The name an `exception` gives a rule (conftest's `removeRulePrefix`): `""` for `deny`,
/// `violation` and `warn`; otherwise the name without a leading `violation_`, then without a
/// leading `deny_`, then without a leading `warn_` (so `deny_missing_owner` and
/// `warn_missing_owner` are both `missing_owner`, and, as in conftest, `deny_warn_x` is `x`).
pub fn exception_name(rule: &str) -> &str {
    if POLICY_RULES.contains(&rule) {
        return "";
    }
    let rule = rule.strip_prefix("violation_").unwrap_or(rule);
    let rule = rule.strip_prefix("deny_").unwrap_or(rule);
    rule.strip_prefix("warn_").unwrap_or(rule)
}

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

/// How demanding a policy is (`custom.level`): bronze is what every product must meet, silver
/// and gold rank the products that go further.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// What any product must have (the default).
    #[default]
    Bronze,
    /// Better than the minimum.
    Silver,
    /// Exemplary.
    Gold,
}

impl Level {
    /// The name written in METADATA and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Bronze => "bronze",
            Level::Silver => "silver",
            Level::Gold => "gold",
        }
    }

    fn parse(s: &str) -> Option<Level> {
        [Level::Bronze, Level::Silver, Level::Gold]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

/// Every standard, by its name in METADATA and output.
pub const STANDARDS: &[Standard] = &[
    Standard::BitolOdps,
    Standard::Dpds,
    Standard::OdpiOdps,
    Standard::Dps,
    Standard::Witboost,
    Standard::Custom,
];

fn parse_standard(s: &str) -> Option<Standard> {
    STANDARDS.iter().copied().find(|st| st.as_str() == s)
}

/// The key of a per-standard remediation map that applies to the standards it does not list.
pub const DEFAULT_REMEDIATION: &str = "default";

/// `custom.remediation`: one text for every product, or a text per standard name (plus
/// [`DEFAULT_REMEDIATION`] for the standards not listed). Serialized as written: a string or a map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Remediation {
    /// The same advice for every standard.
    Text(String),
    /// Advice per standard name (`bitol-odps`, `dpds`, …, `default`).
    ByStandard(BTreeMap<String, String>),
}

impl Remediation {
    /// The advice for a product of `standard`: the text, or the standard's entry, else `default`.
    pub fn for_standard(&self, standard: Option<Standard>) -> Option<&str> {
        match self {
            Remediation::Text(t) => Some(t),
            Remediation::ByStandard(map) => standard
                .and_then(|s| map.get(s.as_str()))
                .or_else(|| map.get(DEFAULT_REMEDIATION))
                .map(String::as_str),
        }
    }

    /// All the advice as one text, for a place that shows it once for every standard (a SARIF
    /// rule's help): the text, or one `standard: advice` line per standard.
    pub fn all_standards(&self) -> String {
        match self {
            Remediation::Text(t) => t.clone(),
            Remediation::ByStandard(map) => map
                .iter()
                .map(|(standard, advice)| format!("{standard}: {advice}"))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// What a package's `# METADATA` block says (OPA annotation format, package scope). Fields are
/// `None` when the block does not set them (see the accessors for the defaults).
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
    pub remediation: Option<Remediation>,
    /// `custom.level` (default bronze).
    pub level: Option<Level>,
    /// `custom.waivable` (default true).
    pub waivable: Option<bool>,
    /// `custom.standards`: the standards the policy applies to (default: all).
    pub standards: Option<Vec<Standard>>,
}

/// A policy: one Rego package that defines rules of the `deny`, `violation` and/or `warn`
/// families (see [`rule_family`]), and maybe an [`EXCEPTION_RULE`].
#[derive(Debug, Clone)]
pub struct Policy {
    /// Package name without `data.` (the policy id), e.g. `governance.ownership`.
    pub package: String,
    /// Global or domain-local.
    pub origin: Origin,
    /// The files that declare the package.
    pub files: Vec<String>,
    /// The policy rules it defines, by family (in [`POLICY_RULES`] order) then name.
    pub rules: Vec<String>,
    /// Whether it defines [`EXCEPTION_RULE`].
    pub exceptions: bool,
    /// Whether it defines [`APPLICABLE_RULE`].
    pub applicable: bool,
    /// Its annotations.
    pub metadata: Metadata,
    /// Where each of its rules is defined, in file then source order.
    pub definitions: Vec<RuleDefinition>,
}

impl Metadata {
    /// The fields that `self` and `other` both set, to different values.
    fn disagreements(&self, other: &Metadata) -> Vec<&'static str> {
        fn differ<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
            matches!((a, b), (Some(x), Some(y)) if x != y)
        }
        [
            ("title", differ(&self.title, &other.title)),
            ("description", differ(&self.description, &other.description)),
            ("custom.severity", differ(&self.severity, &other.severity)),
            ("custom.category", differ(&self.category, &other.category)),
            (
                "custom.remediation",
                differ(&self.remediation, &other.remediation),
            ),
            ("custom.level", differ(&self.level, &other.level)),
            ("custom.waivable", differ(&self.waivable, &other.waivable)),
            (
                "custom.standards",
                differ(&self.standards, &other.standards),
            ),
        ]
        .into_iter()
        .filter_map(|(field, d)| d.then_some(field))
        .collect()
    }

    /// Takes the fields `self` does not set from `other`.
    fn merge(&mut self, other: &Metadata) {
        fn fill<T: Clone>(a: &mut Option<T>, b: &Option<T>) {
            if a.is_none() {
                a.clone_from(b);
            }
        }
        fill(&mut self.title, &other.title);
        fill(&mut self.description, &other.description);
        fill(&mut self.severity, &other.severity);
        fill(&mut self.category, &other.category);
        fill(&mut self.remediation, &other.remediation);
        fill(&mut self.level, &other.level);
        fill(&mut self.waivable, &other.waivable);
        fill(&mut self.standards, &other.standards);
    }

    /// `custom.level`, bronze when absent.
    pub fn level(&self) -> Level {
        self.level.unwrap_or_default()
    }

    /// `custom.waivable`, true when absent.
    pub fn waivable(&self) -> bool {
        self.waivable.unwrap_or(true)
    }

    /// Whether `custom.standards` admits a product of `standard` (absent: every standard; a
    /// product without a standard only then).
    pub fn covers(&self, standard: Option<Standard>) -> bool {
        match &self.standards {
            None => true,
            Some(list) => standard.is_some_and(|s| list.contains(&s)),
        }
    }

    /// The remediation for a product of `standard`.
    pub fn remediation_for(&self, standard: Option<Standard>) -> Option<&str> {
        self.remediation.as_ref()?.for_standard(standard)
    }
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
        match rule_family(rule) {
            Some("warn") => Severity::Warning,
            _ => self.metadata.severity.unwrap_or(Severity::Error),
        }
    }
}

/// A parsed, accepted policy file.
#[derive(Debug, Clone)]
struct LoadedFile {
    source: PolicySource,
    package: String,
    rules: Vec<String>,
    exceptions: bool,
    applicable: bool,
    /// Its METADATA block and the line of `# METADATA`.
    metadata: Option<(Metadata, usize)>,
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

/// Where the package-scope `# METADATA` block is: the 0-based indexes of its `# METADATA`
/// line and of the `package` line it ends at.
fn metadata_block(lines: &[&str]) -> Option<(usize, usize)> {
    let pkg_line = lines
        .iter()
        .position(|l| l.trim_start().starts_with("package "))?;
    // Walk up from `package` over the comment block.
    let mut start = pkg_line;
    while start > 0 && lines[start - 1].trim_start().starts_with('#') {
        start -= 1;
    }
    let meta_at = (start..pkg_line).find(|&i| lines[i].trim() == "# METADATA")?;
    Some((meta_at, pkg_line))
}

/// The 1-based line of the package-scope `# METADATA` of a Rego file, if it has one.
fn metadata_line(text: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    metadata_block(&lines).map(|(at, _)| at + 1)
}

/// Reads the package-scope `# METADATA` block of a Rego file (the one right above `package`).
///
/// A block meshgate cannot read is an error at the offending key or value, never ignored: YAML
/// that does not parse, a value of the wrong type (`title` not a string, `custom.waivable` not a
/// boolean, `custom.standards` not a list…), an unknown severity, level or standard name.
pub fn parse_metadata(path: &str, text: &str) -> Result<Option<Metadata>, RunError> {
    let lines: Vec<&str> = text.lines().collect();
    let Some((meta_at, pkg_line)) = metadata_block(&lines) else {
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
        kind: ErrorKind::PolicyRejected,
        message,
        location: Some(Location::new(
            path,
            Pos::new(meta_at + 1 + pos.line as usize, pos.column as usize + 2),
            1,
        )),
    };
    let root = descriptor::parse_yaml(&body, &Limits::default(), &mut Vec::new())
        .map_err(|e| err(e.pos, format!("invalid METADATA block: {}", e.message)))?;
    if !matches!(root.value, NodeValue::Object(_)) {
        return Err(err(
            Pos::START,
            "METADATA block must be a YAML mapping".to_string(),
        ));
    }
    let invalid = |n: &descriptor::Node, key: &str, why: String| {
        err(n.span.start, format!("invalid METADATA `{key}`: {why}"))
    };
    let text_of = |n: Option<&descriptor::Node>, key: &str| -> Result<Option<String>, RunError> {
        match n {
            None => Ok(None),
            Some(n) => match &n.value {
                NodeValue::String(s) => Ok(Some(s.clone())),
                NodeValue::Null => Ok(None),
                _ => Err(invalid(n, key, "must be a string".to_string())),
            },
        }
    };
    let mut meta = Metadata {
        title: text_of(root.get("title"), "title")?,
        description: text_of(root.get("description"), "description")?,
        ..Metadata::default()
    };
    let Some(custom) = root.get("custom") else {
        return Ok(Some(meta));
    };
    if !custom.is_object() {
        return Err(invalid(custom, "custom", "must be a mapping".to_string()));
    }
    let standard_names = || {
        STANDARDS
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(sev) = custom.get("severity") {
        let parsed = sev
            .as_str()
            .ok_or_else(|| "must be a string".to_string())
            .and_then(|s| s.parse::<Severity>());
        meta.severity = Some(parsed.map_err(|m| invalid(sev, "custom.severity", m))?);
    }
    meta.category = text_of(custom.get("category"), "custom.category")?;
    if let Some(r) = custom.get("remediation") {
        meta.remediation = match &r.value {
            NodeValue::String(t) => Some(Remediation::Text(t.clone())),
            NodeValue::Object(entries) => {
                let mut map = BTreeMap::new();
                for e in entries {
                    if e.key != DEFAULT_REMEDIATION && parse_standard(&e.key).is_none() {
                        return Err(err(
                            e.key_span.start,
                            format!(
                                "invalid METADATA `custom.remediation`: unknown standard `{}` (expected one of {}, or `{DEFAULT_REMEDIATION}`)",
                                e.key,
                                standard_names()
                            ),
                        ));
                    }
                    let Some(t) = e.value.as_str() else {
                        return Err(invalid(
                            &e.value,
                            "custom.remediation",
                            format!("the advice for `{}` must be a string", e.key),
                        ));
                    };
                    map.insert(e.key.clone(), t.to_string());
                }
                Some(Remediation::ByStandard(map))
            }
            NodeValue::Null => None,
            _ => {
                return Err(invalid(
                    r,
                    "custom.remediation",
                    "must be a string, or a map from standard name to a string".to_string(),
                ))
            }
        };
    }
    if let Some(l) = custom.get("level") {
        let level = l.as_str().and_then(Level::parse).ok_or_else(|| {
            invalid(
                l,
                "custom.level",
                format!(
                    "`{}` is not a level (expected bronze, silver or gold)",
                    l.scalar_text().unwrap_or_default()
                ),
            )
        })?;
        meta.level = Some(level);
    }
    if let Some(w) = custom.get("waivable") {
        match w.value {
            NodeValue::Bool(b) => meta.waivable = Some(b),
            _ => {
                return Err(invalid(
                    w,
                    "custom.waivable",
                    "must be true or false".to_string(),
                ))
            }
        }
    }
    if let Some(list) = custom.get("standards") {
        let NodeValue::Array(items) = &list.value else {
            return Err(invalid(
                list,
                "custom.standards",
                format!("must be a list of standard names ({})", standard_names()),
            ));
        };
        let mut standards = Vec::new();
        for item in items {
            let s = item.as_str().and_then(parse_standard).ok_or_else(|| {
                invalid(
                    item,
                    "custom.standards",
                    format!(
                        "unknown standard `{}` (expected one of {})",
                        item.scalar_text().unwrap_or_default(),
                        standard_names()
                    ),
                )
            })?;
            if !standards.contains(&s) {
                standards.push(s);
            }
        }
        standards.sort();
        meta.standards = Some(standards);
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
    let metadata =
        parse_metadata(&path, &source.text)?.map(|m| (m, metadata_line(&source.text).unwrap_or(1)));
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
    let mut exceptions = false;
    let mut applicable = false;
    for r in crate::recursion::declared_rules(&engine) {
        applicable |= r.name == APPLICABLE_RULE;
        let family = rule_family(&r.name);
        if family.is_none() && r.name != EXCEPTION_RULE {
            continue;
        }
        if r.valueless {
            let pos = char_column(Some(&source.text), r.pos);
            let fix = if family.is_some() {
                format!("write `{0} contains msg if {{ …; msg := \"…\" }}`", r.name)
            } else {
                "write `exception contains rules if { …; rules := [\"rule_name\"] }`".to_string()
            };
            return Err(RunError {
                kind: ErrorKind::PolicyRejected,
                message: format!(
                    "`{}` is declared without `contains` or a value, so it is `true` (or a map of `true`s), not a set of messages; {fix}",
                    r.name
                ),
                location: Some(Location::new(&path, pos, r.name.chars().count() as u32)),
            });
        }
        if family.is_none() {
            exceptions = true;
        } else if !rules.contains(&r.name) {
            rules.push(r.name);
        }
    }
    sort_rules(&mut rules);
    let definitions = rule_definitions(&engine, &path, &source.text, &rules);
    Ok(LoadedFile {
        source,
        package,
        rules,
        exceptions,
        applicable,
        metadata,
        definitions,
    })
}

/// Sorts rule names by family (in [`POLICY_RULES`] order), then by name.
fn sort_rules(rules: &mut [String]) {
    rules.sort_by_cached_key(|r| {
        let family = rule_family(r).and_then(|f| POLICY_RULES.iter().position(|x| *x == f));
        (family, r.clone())
    });
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

    // Two files of one package may both carry METADATA only if they agree: a later file
    // (in load order) that contradicts an earlier one is rejected, naming both blocks.
    // Per policy: (file, line of `# METADATA`, block) of every accepted block.
    type Blocks = Vec<(String, usize, Metadata)>;
    let mut blocks: BTreeMap<(String, Origin), Blocks> = BTreeMap::new();
    let mut agreed = Vec::with_capacity(keep.len());
    for f in keep {
        let Some((meta, line)) = &f.metadata else {
            agreed.push(f);
            continue;
        };
        let seen = blocks
            .entry((f.package.clone(), f.source.origin.clone()))
            .or_default();
        let conflict = seen.iter().find_map(|(file, l, m)| {
            let fields = m.disagreements(meta);
            (!fields.is_empty())
                .then(|| format!("{file}:{l}"))
                .map(|at| (at, fields))
        });
        match conflict {
            Some((at, fields)) => {
                degraded.insert(domain_key(&f.source.origin));
                errors.push(RunError {
                    kind: ErrorKind::PolicyRejected,
                    message: format!(
                        "the METADATA of package `{}` here disagrees with the METADATA in {at} on {}: a package's files share one set of annotations; keep the METADATA block in one file, or make them agree",
                        f.package,
                        fields.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(", ")
                    ),
                    location: Some(Location::new(&f.source.path, Pos::new(*line, 1), 10)),
                });
            }
            None => {
                seen.push((f.source.path.clone(), *line, meta.clone()));
                agreed.push(f);
            }
        }
    }
    let keep = agreed;

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
                exceptions: false,
                applicable: false,
                metadata: Metadata::default(),
                definitions: Vec::new(),
            });
        p.files.push(f.source.path.clone());
        p.definitions.extend(f.definitions.iter().cloned());
        for r in &f.rules {
            if !p.rules.contains(r) {
                p.rules.push(r.clone());
            }
        }
        sort_rules(&mut p.rules);
        p.exceptions |= f.exceptions;
        p.applicable |= f.applicable;
        if let Some((m, _)) = &f.metadata {
            p.metadata.merge(m);
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
    let mut calls_checked = false;
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
            let analysis = crate::recursion::analyze(&engine);
            let mut rejected: Vec<(String, RunError)> = analysis
                .cycles
                .iter()
                .map(|c| {
                    (c.file.clone(), RunError {
                        kind: ErrorKind::PolicyRejected,
                        message: format!(
                            "recursion is not allowed in Rego (`{}`): a rule or function that refers to itself can run forever; rewrite it without recursion (e.g. with `walk` or `graph.reachable`)",
                            c.chain.join(" -> ")
                        ),
                        // regorus counts a tab as 4 columns; meshgate counts characters.
                        location: Some(Location::new(
                            &c.file,
                            char_column(
                                active
                                    .iter()
                                    .find(|f| f.source.path == c.file)
                                    .map(|f| &*f.source.text),
                                c.pos,
                            ),
                            1,
                        )),
                    })
                })
                .collect();
            // Calls are checked once, against every file of the set that compiles: a file
            // dropped later (recursion) does not make its callers' calls unknown.
            if !calls_checked {
                calls_checked = true;
                for call in &analysis.calls {
                    let Some(message) = crate::calls::problem(&call.function) else {
                        continue;
                    };
                    let source = active
                        .iter()
                        .find(|f| f.source.path == call.file)
                        .map(|f| &*f.source.text);
                    let pos = char_column(source, call.pos);
                    let width = u32::try_from(call.function.chars().count()).unwrap_or(u32::MAX);
                    rejected.push((
                        call.file.clone(),
                        RunError {
                            kind: ErrorKind::PolicyRejected,
                            message,
                            location: Some(Location::new(&call.file, pos, width)),
                        },
                    ));
                }
            }
            if !rejected.is_empty() {
                for (file, error) in rejected {
                    let origin = active
                        .iter()
                        .find(|f| f.source.path == file)
                        .map(|f| f.source.origin.clone());
                    errors.push(error);
                    if let Some(o) = origin {
                        degraded.insert(domain_key(&o));
                    }
                    active.retain(|f| f.source.path != file);
                }
                if active.len() >= before {
                    active.clear();
                }
                continue;
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
        assert_eq!(m.remediation_for(None), Some("Add one."));
        assert_eq!(m.remediation_for(Some(Standard::Dpds)), Some("Add one."));
        // Absent keys take their defaults.
        assert_eq!(
            (m.level(), m.waivable(), &m.standards),
            (Level::Bronze, true, &None)
        );
        let bad = "# METADATA\n# title: x\n# custom:\n#   severity: fatal\npackage a\n";
        let e = parse_metadata("p.rego", bad).unwrap_err();
        assert_eq!(e.location.as_ref().map(|l| l.line), Some(4));
        assert!(e.message.contains("fatal"));
        assert_eq!(parse_metadata("p.rego", "package a\n").unwrap(), None);
    }

    #[test]
    fn level_waivable_standards_and_remediation_per_standard_are_read() {
        let text = "# METADATA\n# title: SLA\n# custom:\n#   level: gold\n#   waivable: false\n#   standards: [dpds, bitol-odps]\n#   remediation:\n#     dpds: Set the DPDS SLA.\n#     default: Declare an SLA.\npackage a.b\n";
        let m = parse_metadata("p.rego", text).unwrap().unwrap();
        assert_eq!(m.level(), Level::Gold);
        assert!(!m.waivable());
        assert_eq!(m.standards, Some(vec![Standard::BitolOdps, Standard::Dpds]));
        assert!(m.covers(Some(Standard::Dpds)) && !m.covers(Some(Standard::Witboost)));
        assert!(!m.covers(None));
        assert_eq!(
            m.remediation_for(Some(Standard::Dpds)),
            Some("Set the DPDS SLA.")
        );
        assert_eq!(
            m.remediation_for(Some(Standard::Witboost)),
            Some("Declare an SLA.")
        );
        let no_default = "# METADATA\n# custom:\n#   remediation:\n#     dpds: D\npackage a.b\n";
        let m = parse_metadata("p.rego", no_default).unwrap().unwrap();
        assert_eq!(m.remediation_for(Some(Standard::Dps)), None);
        assert!(Metadata::default().covers(None));
    }

    /// Every malformed METADATA value is an error at its line and column, never ignored.
    #[test]
    fn malformed_metadata_is_an_error_where_it_is() {
        let cases = [
            ("#   level: platinum\n", 4, 12, "`platinum` is not a level"),
            ("#   severity: fatal\n", 4, 15, "fatal"),
            ("#   waivable: \"no\"\n", 4, 15, "must be true or false"),
            ("#   standards: dpds\n", 4, 16, "must be a list"),
            (
                "#   standards: [dpds, odps]\n",
                4,
                23,
                "unknown standard `odps`",
            ),
            (
                "#   remediation:\n#     dpdss: x\n",
                5,
                7,
                "unknown standard `dpdss`",
            ),
            (
                "#   remediation:\n#     dpds: [a]\n",
                5,
                13,
                "must be a string",
            ),
            ("#   remediation: [a]\n", 4, 18, "must be a string"),
            ("#   category: [a]\n", 4, 15, "must be a string"),
            ("#   level: gold: x\n", 4, 1, "invalid METADATA block"),
        ];
        for (custom, line, col, what) in cases {
            let text = format!("# METADATA\n# title: T\n# custom:\n{custom}package a\n");
            let e = parse_metadata("p.rego", &text).unwrap_err();
            assert_eq!(e.kind, ErrorKind::PolicyRejected, "{custom}");
            let loc = e.location.as_ref().unwrap();
            assert!(e.message.contains(what), "{custom}: {}", e.message);
            assert_eq!(loc.line, line, "{custom}: {e}");
            if what != "invalid METADATA block" {
                assert_eq!(loc.column, col, "{custom}: {e}");
            }
        }
        let e = parse_metadata("p.rego", "# METADATA\n# title: [x]\npackage a\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("p.rego:2:10: invalid METADATA `title`"),
            "{e}"
        );
        // And a library that has such a file does not load it (exit 2), as any rejected file.
        let l = lib(vec![src(
            "p.rego",
            "# METADATA\n# custom:\n#   level: platinum\npackage a\n\ndeny contains \"x\" if input.x\n",
            Origin::Global,
        )]);
        assert_eq!(l.errors.len(), 1, "{:?}", l.errors);
        assert!(l.policies.is_empty() && l.is_degraded(None));
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
    fn rule_names_follow_conftest() {
        for (name, family) in [
            ("deny", Some("deny")),
            ("deny_missing_owner", Some("deny")),
            ("violation_x1", Some("violation")),
            ("warn_no_description", Some("warn")),
            ("deny_", None),
            ("deny__x", None),
            ("deny_x_", None),
            ("denyx", None),
            ("warning", None),
            ("exception", None),
            ("allow", None),
        ] {
            assert_eq!(rule_family(name), family, "{name}");
        }
        assert_eq!(exception_name("deny"), "");
        assert_eq!(exception_name("warn"), "");
        assert_eq!(exception_name("deny_missing_owner"), "missing_owner");
        assert_eq!(exception_name("violation_pii"), "pii");
        assert_eq!(exception_name("warn_no_description"), "no_description");
        // conftest strips the prefixes one after the other.
        assert_eq!(exception_name("deny_warn_x"), "x");
    }

    #[test]
    fn prefixed_rules_and_exceptions_are_found() {
        let l = lib(vec![
            src("a.rego", "package main\n\nwarn_b contains \"b\" if { input.y }\ndeny_a contains \"a\" if { input.x }\nexception contains [\"a\"] if { input.z }\nhelper := 1\n", Origin::Global),
            src("b.rego", "package main\n\nviolation contains \"v\" if { input.v }\ndeny contains \"d\" if { input.d }\ndenyx := 2\n", Origin::Global),
            src("c.rego", "package only.exceptions\n\nexception contains [\"a\"] if { true }\n", Origin::Global),
        ]);
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(
            l.policies.len(),
            1,
            "a package with only exceptions is no policy"
        );
        let p = &l.policies[0];
        assert_eq!(p.rules, vec!["deny", "deny_a", "violation", "warn_b"]);
        assert!(p.exceptions);
        assert_eq!(p.default_severity("warn_b"), Severity::Warning);
        assert_eq!(p.default_severity("deny_a"), Severity::Error);
    }

    #[test]
    fn rules_without_a_value_are_rejected() {
        for (text, col) in [
            ("package main\n\ndeny_x if { input.x }\n", 1),
            ("package main\n\n\tdeny[msg] if { msg := input.x }\n", 2),
            ("package main\n\nexception if { input.x }\n", 1),
        ] {
            let l = lib(vec![src("p.rego", text, Origin::Global)]);
            assert_eq!(l.errors.len(), 1, "{text}: {:?}", l.errors);
            let e = &l.errors[0];
            assert_eq!(e.kind, ErrorKind::PolicyRejected);
            assert!(e.message.contains("without `contains`"), "{}", e.message);
            let loc = e.location.as_ref().unwrap();
            assert_eq!((loc.line, loc.column), (3, col), "{text}");
            assert!(l.policies.is_empty());
        }
        // A complete rule with a value is loaded (and checked at run time).
        let l = lib(vec![src(
            "p.rego",
            "package main\n\ndeny_x := [\"m\"] if { input.x }\n",
            Origin::Global,
        )]);
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(l.policies[0].rules, vec!["deny_x"]);
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

    /// The errors of `files` (all global), as `file:line:col message`.
    fn load_errors(files: &[(&str, &str)]) -> Vec<String> {
        let l = lib(files
            .iter()
            .map(|(p, t)| src(p, t, Origin::Global))
            .collect());
        l.errors.iter().map(|e| e.to_string()).collect()
    }

    /// Calls that OPA and regorus resolve to a function of the policies, or to a builtin:
    /// none of them may be rejected.
    #[test]
    fn calls_to_defined_functions_and_builtins_are_accepted() {
        let lib_rego = ("lib.rego", "package lib\n\nf(x) := x\n\ng.h(x) := x\n");
        let cases = [
            ("local function", "package p\n\nf(x) := upper(x)\n\ndeny contains m if { m := f(\"a\") }\n"),
            ("data ref", "package p\n\ndeny contains m if { m := data.lib.f(\"a\") }\n"),
            ("import", "package p\n\nimport data.lib\n\ndeny contains m if { m := lib.f(\"a\") }\n"),
            ("import of the function", "package p\n\nimport data.lib.f\n\ndeny contains m if { m := f(\"a\") }\n"),
            ("import alias", "package p\n\nimport data.lib as l\n\ndeny contains m if { m := l.g.h(\"a\") }\n"),
            ("keyword imports", "package p\n\nimport rego.v1\n\ndeny contains m if { some m in [lower(\"A\")] }\n"),
            ("future.keywords import", "package p\n\nimport future.keywords.in\n\ndeny contains m if { some m in [lower(\"A\")] }\n"),
            ("ref-head function", "package p\n\nutil.norm(x) := lower(x)\n\ndeny contains m if { m := util.norm(\"A\") }\n"),
            ("default function", "package p\n\ndefault f(_) := false\n\nf(x) := true if x\n\ndeny contains \"m\" if f(true)\n"),
            ("a rule called like a function", "package p\n\nr := {\"a\": 1}\n\ndeny contains \"m\" if r(\"a\")\n"),
            ("print and trace", "package p\n\ndeny contains \"m\" if { print(\"x\"); trace(\"y\"); false }\n"),
            ("operators and output arguments", "package p\n\ndeny contains m if { x := 1 + 2 * 3; x > 1; x != 2; split(\"a.b\", \".\", m) }\n"),
            ("a sub-package relative to the package", "package lib.sub\n\nk(x) := x\n"),
            ("with replacing a function", "package p\n\nmock(_) := \"h\"\n\ndeny contains m if { m := crypto.sha256(\"a\") with crypto.sha256 as mock }\n"),
            ("time.now_ns", "package p\n\ndeny contains \"old\" if time.now_ns() > 0\n"),
        ];
        for (name, text) in cases {
            let errors = load_errors(&[lib_rego, ("p.rego", text)]);
            assert!(errors.is_empty(), "{name}: {errors:#?}\n{text}");
        }
        let errors = load_errors(&[
            ("lib.rego", "package lib\n\nsub_f := 1\n"),
            ("sub.rego", "package lib.sub\n\nk(x) := x\n"),
            (
                "p.rego",
                "package lib\n\ndeny contains m if { m := sub.k(1) }\n",
            ),
        ]);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn unknown_and_forbidden_calls_are_rejected_at_load() {
        let errors = load_errors(&[
            ("a.rego", "package a\n\ndeny contains m if {\n  input.never_there\n  m := no.such.builtin(1)\n}\n"),
            ("b.rego", "package b\n\ndeny contains m if {\n\tm := [x | some x in input.xs; crypto.sha256(x) == \"\"]\n}\n"),
            ("c.rego", "package c\n\ndeny contains m if {\n\t\tm := lowr(input.name)\n}\n"),
            ("d.rego", "package d\n\ndeny contains m if {\n  r := http.send({\"method\": \"GET\", \"url\": \"https://x.invalid\"})\n  m := r.body\n}\n"),
            ("e.rego", "package e\n\nf(x) := 1 if { x } else := opa.runtime()\n\ndeny contains \"e\" if f(false)\n"),
            ("ok.rego", "package ok\n\ndeny contains \"ok\" if { input.x }\n"),
        ]);
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(
            errors[0].starts_with("a.rego:5:8: unknown function `no.such.builtin`"),
            "{errors:#?}"
        );
        // Tab-indented: columns count characters (regorus's would be 35 and 11).
        assert!(
            errors[1].starts_with("b.rego:4:32: unknown function `crypto.sha256`"),
            "{errors:#?}"
        );
        assert!(
            errors[2].starts_with("c.rego:4:8: unknown function `lowr`")
                && errors[2].ends_with("did you mean `lower`?"),
            "{errors:#?}"
        );
        assert!(
            errors[3].starts_with(
                "d.rego:4:8: `http.send` is not allowed in a policy: it reaches the network"
            ),
            "{errors:#?}"
        );
        assert!(
            errors[4].starts_with("e.rego:3:28: `opa.runtime` is not allowed"),
            "{errors:#?}"
        );
    }

    #[test]
    fn a_global_policy_may_not_call_a_domain_function() {
        let l = lib(vec![
            src(
                "policies/g.rego",
                "package g\n\ndeny contains m if { m := data.orders.util.f(1) }\n",
                Origin::Global,
            ),
            src(
                "domains/orders/policies/u.rego",
                "package orders.util\n\nf(x) := x\n\ndeny contains m if { m := f(2) }\n",
                Origin::Domain("orders".into()),
            ),
        ]);
        let msgs: Vec<String> = l.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 1, "{msgs:#?}");
        assert!(
            msgs[0].starts_with("policies/g.rego:3:27: unknown function `data.orders.util.f`"),
            "{msgs:#?}"
        );
    }

    #[test]
    fn two_files_of_a_package_must_not_disagree_on_metadata() {
        let a = "# METADATA\n# title: Owners\n# custom:\n#   severity: error\npackage g.own\n\ndeny contains \"a\" if input.a\n";
        let same = "# METADATA\n# title: Owners\n# custom:\n#   severity: error\npackage g.own\n\ndeny contains \"b\" if input.b\n";
        let none = "package g.own\n\nwarn contains \"c\" if input.c\n";
        let more = "# An extra file.\n\n# METADATA\n# custom:\n#   remediation: Name an owner.\npackage g.own\n\nwarn contains \"d\" if input.d\n";
        // Agreeing, absent, or complementary blocks: one policy with every field.
        let l = lib(vec![
            src("p/a.rego", a, Origin::Global),
            src("p/b.rego", same, Origin::Global),
            src("p/c.rego", none, Origin::Global),
            src("p/d.rego", more, Origin::Global),
        ]);
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(l.policies.len(), 1);
        assert_eq!(l.policies[0].metadata.title.as_deref(), Some("Owners"));
        assert_eq!(l.policies[0].metadata.severity, Some(Severity::Error));
        assert_eq!(
            l.policies[0].metadata.remediation_for(None),
            Some("Name an owner.")
        );
        // Disagreeing: the later file is rejected at its METADATA line, naming the first.
        let conflicting = "# METADATA\n# title: Owner\n# custom:\n#   severity: warning\npackage g.own\n\nwarn contains \"e\" if input.e\n";
        let l = lib(vec![
            src("p/a.rego", a, Origin::Global),
            src("p/c.rego", none, Origin::Global),
            src(
                "p/e.rego",
                &format!("# Severity is lower here.\n{conflicting}"),
                Origin::Global,
            ),
        ]);
        let msgs: Vec<String> = l.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            msgs,
            ["p/e.rego:2:1: the METADATA of package `g.own` here disagrees with the METADATA in p/a.rego:1 on `title`, `custom.severity`: a package's files share one set of annotations; keep the METADATA block in one file, or make them agree"]
        );
        assert_eq!(l.errors[0].kind, ErrorKind::PolicyRejected);
        assert!(l.is_degraded(None));
        assert_eq!(l.policies[0].metadata.severity, Some(Severity::Error));
        assert_eq!(l.policies[0].files, ["p/a.rego", "p/c.rego"]);
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
