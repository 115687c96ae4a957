//! `meshgate.toml`: optional repository configuration, validated strictly (unknown keys are errors).

use std::path::Path;

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::descriptor::Pos;

/// Name of the configuration file at the repository root.
pub const FILE_NAME: &str = "meshgate.toml";

/// Default globs (relative to the repo root) that find product descriptors.
/// They cover the names the ecosystems use: Bitol and ODPI (`odps.yaml`, `*.odps.yaml`),
/// Open Data Mesh (`dpds.yaml`, `*.dpds.json`, `*.dpd.json`, `data-product-descriptor.json`),
/// Data Mesh Manager and Witboost (`dataproduct.yaml`).
pub const DEFAULT_PRODUCT_GLOBS: &[&str] = &[
    "**/dataproduct.yaml",
    "**/dataproduct.yml",
    "**/dataproduct.json",
    "**/odps.yaml",
    "**/odps.yml",
    "**/odps.json",
    "**/*.odps.yaml",
    "**/*.odps.yml",
    "**/*.odps.json",
    "**/dpds.yaml",
    "**/dpds.yml",
    "**/dpds.json",
    "**/*.dpds.json",
    "**/*.dpds.yaml",
    "**/*.dpds.yml",
    "**/*.dpd.json",
    "**/data-product-descriptor.json",
    "**/data-product-descriptor.yaml",
];

/// The repository configuration, with defaults applied.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Config {
    /// Globs of product descriptor files, relative to the repo root (replace the defaults).
    pub products: Vec<String>,
    /// Globs added to `products` (keep the defaults and find more).
    pub extra_products: Vec<String>,
    /// Globs of paths to leave out (matched against files and folders).
    pub exclude: Vec<String>,
    /// Folders (relative to the repo root) holding global policies.
    pub policies: Vec<String>,
    /// Largest descriptor accepted, in bytes.
    pub max_descriptor_bytes: u64,
    /// Time limit of one evaluation call, in milliseconds (see README, "The time limit").
    pub policy_timeout_ms: u64,
    /// Memory one product's evaluation may allocate, in MiB (see README, "The memory limit").
    pub policy_memory_mb: u64,
    /// Accept duplicate keys in descriptors (the last value wins) with a warning.
    pub lenient_keys: bool,
    /// Resolve `$ref`s in descriptors (local files and JSON pointers; never the network).
    pub resolve_refs: bool,
    /// Accept a repository without any product descriptor (otherwise `check` exits 2).
    pub allow_empty: bool,
    /// The board's waiver file, relative to the repo root (`waivers.yaml`).
    pub waivers: String,
    /// How far ahead a waiver may expire, in days (180).
    pub waiver_max_days: u32,
    /// Policy parameters: `[params."<policy id>"]` tables, given to policies as
    /// `data.meshgate.params["<policy id>"]`. The ids are checked against the loaded policies
    /// (see [`Config::unknown_params`]).
    pub params: BTreeMap<Spanned<String>, toml::Table>,
    /// The weights of the report's product score (`[score]`).
    pub score: ScoreWeights,
    /// Where each params id is written (set by [`Config::parse`]).
    #[serde(skip)]
    pub params_at: BTreeMap<String, Pos>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            products: DEFAULT_PRODUCT_GLOBS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            extra_products: Vec::new(),
            exclude: Vec::new(),
            policies: vec!["policies".to_string()],
            max_descriptor_bytes: 10 * 1024 * 1024,
            policy_timeout_ms: 5_000,
            policy_memory_mb: 1024,
            lenient_keys: false,
            resolve_refs: true,
            allow_empty: false,
            waivers: crate::waivers::DEFAULT_FILE.to_string(),
            waiver_max_days: crate::waivers::DEFAULT_MAX_DAYS,
            params: BTreeMap::new(),
            score: ScoreWeights::default(),
            params_at: BTreeMap::new(),
        }
    }
}

/// `[score]`: the weight of a policy in a product's score, by the policy's severity.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ScoreWeights {
    /// Weight of an error-level policy (default 10).
    pub error: u32,
    /// Weight of a warning-level policy (default 5).
    pub warning: u32,
    /// Weight of an info-level policy (default 1).
    pub info: u32,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        ScoreWeights {
            error: 10,
            warning: 5,
            info: 1,
        }
    }
}

impl ScoreWeights {
    /// The weight of a policy of severity `s`.
    pub fn of(&self, s: crate::findings::Severity) -> u32 {
        match s {
            crate::findings::Severity::Error => self.error,
            crate::findings::Severity::Warning => self.warning,
            crate::findings::Severity::Info => self.info,
        }
    }
}

/// A configuration file that could not be used, with the position of the problem.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{pos}: {message}")]
pub struct ConfigError {
    /// The configuration file.
    pub file: String,
    /// Where the problem is.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

fn pos_of_offset(text: &str, offset: usize) -> Pos {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos::new(line, before[line_start..].chars().count() + 1)
}

impl Config {
    /// Parses configuration text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError {
            file: file.to_string(),
            pos: e
                .span()
                .map_or(Pos::START, |s| pos_of_offset(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        for glob in config
            .products
            .iter()
            .chain(&config.extra_products)
            .chain(&config.exclude)
        {
            if let Err(e) = globset::Glob::new(glob) {
                let offset = text.find(glob.as_str()).unwrap_or(0);
                return Err(ConfigError {
                    file: file.to_string(),
                    pos: pos_of_offset(text, offset),
                    message: format!("invalid glob `{glob}`: {}", e.kind()),
                });
            }
        }
        config.params_at = config
            .params
            .keys()
            .map(|id| (id.get_ref().clone(), pos_of_offset(text, id.span().start)))
            .collect();
        if config.policy_timeout_ms == 0 {
            return Err(ConfigError {
                file: file.to_string(),
                pos: pos_of_offset(text, text.find("policy-timeout-ms").unwrap_or(0)),
                message: "policy-timeout-ms must be greater than 0".to_string(),
            });
        }
        if config.policy_memory_mb == 0 {
            return Err(ConfigError {
                file: file.to_string(),
                pos: pos_of_offset(text, text.find("policy-memory-mb").unwrap_or(0)),
                message: "policy-memory-mb must be greater than 0".to_string(),
            });
        }
        let w = config.score;
        if w.error == 0 && w.warning == 0 && w.info == 0 {
            return Err(ConfigError {
                file: file.to_string(),
                pos: pos_of_offset(text, text.find("[score]").unwrap_or(0)),
                message: "[score]: every weight is 0, so no product could have a score; give at least one severity a weight above 0".to_string(),
            });
        }
        Ok(config)
    }

    /// `data.meshgate.params`: every `[params."<policy id>"]` table as a JSON object.
    pub fn params_json(&self) -> serde_json::Value {
        fn json(v: &toml::Value) -> serde_json::Value {
            match v {
                toml::Value::String(s) => s.clone().into(),
                toml::Value::Integer(i) => (*i).into(),
                toml::Value::Float(f) => (*f).into(),
                toml::Value::Boolean(b) => (*b).into(),
                // As OPA reads a date in JSON or YAML data: the text.
                toml::Value::Datetime(d) => d.to_string().into(),
                toml::Value::Array(a) => a.iter().map(json).collect(),
                toml::Value::Table(t) => table(t),
            }
        }
        fn table(t: &toml::Table) -> serde_json::Value {
            t.iter()
                .map(|(k, v)| (k.clone(), json(v)))
                .collect::<serde_json::Map<_, _>>()
                .into()
        }
        self.params
            .iter()
            .map(|(id, t)| (id.get_ref().clone(), table(t)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// The `[params."<id>"]` tables whose id is not in `policies` (the ids of the policies
    /// loaded), as errors at the id.
    pub fn unknown_params<'a>(
        &self,
        file: &str,
        policies: impl Iterator<Item = &'a str> + Clone,
    ) -> Vec<ConfigError> {
        self.params
            .keys()
            .filter(|id| !policies.clone().any(|p| p == id.get_ref()))
            .map(|id| {
                let known: Vec<&str> = policies.clone().collect();
                let close = known
                    .iter()
                    .filter(|k| k.ends_with(&format!(".{}", id.get_ref())) || id.get_ref().ends_with(&format!(".{k}")))
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .next()
                    .unwrap_or_default();
                ConfigError {
                    file: file.to_string(),
                    pos: self.params_at.get(id.get_ref()).copied().unwrap_or(Pos::START),
                    message: format!(
                        "[params.\"{}\"]: no policy has this id{close}; a params table is named after the package of the policy that reads it (`meshgate policies` lists them)",
                        id.get_ref()
                    ),
                }
            })
            .collect()
    }

    /// Loads `meshgate.toml` from `root` if it exists, else the defaults.
    pub fn load(root: &Path) -> Result<Config, ConfigError> {
        let path = root.join(FILE_NAME);
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&text, FILE_NAME),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(ConfigError {
                file: FILE_NAME.to_string(),
                pos: Pos::START,
                message: format!("cannot read: {e}"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_empty() {
        assert_eq!(Config::parse("", "m.toml").unwrap(), Config::default());
    }

    #[test]
    fn unknown_key_has_its_line() {
        let e = Config::parse("policies = [\"p\"]\n\nproduct = []\n", "m.toml").unwrap_err();
        assert_eq!(e.pos.line, 3);
        assert!(
            e.message.contains("unknown field `product`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn bad_glob_and_type_are_errors() {
        let e = Config::parse("exclude = [\"a/[b\"]\n", "m.toml").unwrap_err();
        assert!(e.message.contains("invalid glob"), "{}", e.message);
        let e = Config::parse("\nmax-descriptor-bytes = \"big\"\n", "m.toml").unwrap_err();
        assert_eq!(e.pos.line, 2);
    }

    #[test]
    fn extra_products_add_to_the_defaults_and_switches_parse() {
        let c = Config::parse(
            "extra-products = [\"**/product.yaml\"]\nlenient-keys = true\nresolve-refs = false\n",
            "m.toml",
        )
        .unwrap();
        assert_eq!(c.products, Config::default().products);
        assert_eq!(c.extra_products, ["**/product.yaml"]);
        assert!(c.lenient_keys && !c.resolve_refs);
        let e = Config::parse("extra-products = [\"a/[b\"]\n", "m.toml").unwrap_err();
        assert!(e.message.contains("invalid glob"), "{}", e.message);
    }

    #[test]
    fn score_weights_parse_and_are_validated_at_their_line() {
        let c = Config::parse("[score]\nerror = 20\ninfo = 0\n", "m.toml").unwrap();
        assert_eq!(
            c.score,
            ScoreWeights {
                error: 20,
                warning: 5,
                info: 0
            }
        );
        let e = Config::parse("\n[score]\nerror = -1\n", "m.toml").unwrap_err();
        assert_eq!(e.pos.line, 3, "{e}");
        let e = Config::parse("[score]\nerrors = 3\n", "m.toml").unwrap_err();
        assert_eq!(e.pos.line, 2, "{e}");
        assert!(e.message.contains("unknown field `errors`"), "{e}");
        let e = Config::parse(
            "exclude = []\n[score]\nerror = 0\nwarning = 0\ninfo = 0\n",
            "m.toml",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("m.toml:2:1: [score]: every weight is 0"),
            "{e}"
        );
    }

    #[test]
    fn params_are_tables_by_policy_id_with_their_position() {
        let c = Config::parse(
            "[params.\"governance.lifecycle\"]\nallowed = [\"draft\", \"active\"]\nmin = 2\nwhen = 2026-01-31\n\n[params.x]\n",
            "m.toml",
        )
        .unwrap();
        assert_eq!(
            c.params_json(),
            serde_json::json!({
                "governance.lifecycle": {"allowed": ["draft", "active"], "min": 2, "when": "2026-01-31"},
                "x": {}
            })
        );
        let errors = c.unknown_params("m.toml", ["governance.lifecycle"].into_iter());
        let msgs: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].starts_with("m.toml:6:9: [params.\"x\"]: no policy has this id;"),
            "{msgs:?}"
        );
        let e = Config::parse("\nparams = 3\n", "m.toml").unwrap_err();
        assert_eq!(e.pos.line, 2, "{e}");
        let e = Config::parse("[params]\nx = 3\n", "m.toml").unwrap_err();
        assert_eq!(e.pos.line, 2, "{e}");
    }
}
