//! `meshgate.toml`: optional repository configuration, validated strictly (unknown keys are errors).

use std::path::Path;

use serde::Deserialize;

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
        let config: Config = toml::from_str(text).map_err(|e| ConfigError {
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
        Ok(config)
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
}
