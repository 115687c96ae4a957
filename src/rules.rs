//! The rule registry of meshgate's built-in checks: one entry per code a built-in finding can
//! carry, with its title, default severity, help and description. Renderers (SARIF rules, the
//! human `help`), `meshgate explain` and the docs read it; Rego policies carry the same facts
//! in their METADATA ([`crate::model::PolicyReport`]).

use crate::findings::{
    Severity, POLICY_LAYOUT, POLICY_PARSE, POLICY_POLICY, POLICY_REF, POLICY_TEMPLATE,
    POLICY_WAIVER,
};

/// A built-in check's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The policy it belongs to (`meshgate.parse`).
    pub policy: &'static str,
    /// Its id within the policy (`syntax`); the finding's code is `policy/id`.
    pub id: &'static str,
    /// A short title.
    pub title: &'static str,
    /// The severity its findings have unless the check says otherwise.
    pub severity: Severity,
    /// What to do about it, in one sentence.
    pub help: &'static str,
    /// One paragraph on what the check finds and why it matters.
    pub description: &'static str,
}

impl Rule {
    /// `policy/id`, as [`crate::findings::Finding::code`] prints it.
    pub fn code(&self) -> String {
        format!("{}/{}", self.policy, self.id)
    }
}

/// The id of the finding a policy gets when it fails to evaluate on a product (its code is
/// `<policy>/policy-error`; see [`POLICY_ERROR`]).
pub const POLICY_ERROR_ID: &str = "policy-error";

/// The rule of a policy's evaluation errors; `policy` is a placeholder: the finding carries the
/// failing policy's id.
pub const POLICY_ERROR: Rule = Rule {
    policy: "<policy>",
    id: POLICY_ERROR_ID,
    title: "Policy failed to evaluate",
    severity: Severity::Error,
    help: "fix the policy (the message gives the Rego error and where it was raised), or raise `policy-timeout-ms` or `policy-memory-mb` if it ran past its time or memory limit",
    description: "A Rego policy raised an error on this product (a builtin called with the wrong type, conflicting values of a complete rule, a builtin regorus lacks, a time-out, more memory than `policy-memory-mb`) or returned something that is not a set of messages, or a member without a string `msg` or with an unknown `severity`. The product is not fully checked, so it is in error and the run exits 2: a policy that fails never passes a product.",
};

/// The id of the warning that a policy returned a member with an unusable `path`.
pub const BAD_PATH: &str = "bad-path";

/// A rule whose findings are errors.
const fn error(
    policy: &'static str,
    id: &'static str,
    title: &'static str,
    help: &'static str,
    description: &'static str,
) -> Rule {
    Rule {
        policy,
        id,
        title,
        severity: Severity::Error,
        help,
        description,
    }
}

/// Every built-in rule, by policy then id.
pub static BUILTIN: &[Rule] = &[
    Rule {
        policy: POLICY_LAYOUT,
        id: "domain-mismatch",
        title: "Descriptor names another domain than its folder",
        severity: Severity::Error,
        help: "set the descriptor's domain field to the folder's domain, or move the product to that domain's folder",
        description: "The domain a descriptor declares differs from the domain folder that holds it. Domain-local policies and per-domain scorecards follow the folder, so the two must agree.",
    },
    Rule {
        policy: POLICY_LAYOUT,
        id: "duplicate-product",
        title: "The same product declared twice",
        severity: Severity::Error,
        help: "keep one descriptor per product: delete or exclude the copy, or give it its own id",
        description: "Two descriptors declare the same product id, or the same descriptor exists as JSON and YAML side by side. Every copy after the first (in path order) gets the finding, naming the first, because the product would otherwise be counted twice.",
    },
    Rule {
        policy: POLICY_LAYOUT,
        id: "outside-domain",
        title: "Product outside any domain",
        severity: Severity::Error,
        help: "move it to domains/<domain>/products/<product>/, or exclude it in meshgate.toml",
        description: "A product descriptor was found outside `domains/<domain>/`. Every product belongs to a domain in a data mesh; one outside any domain gets no domain-local policy and no owner.",
    },
    Rule {
        policy: POLICY_LAYOUT,
        id: "stray-policy",
        title: "Policy file that no policy folder reaches",
        severity: Severity::Warning,
        help: "move it into `policies/` (global) or `domains/<domain>/policies/` (domain-local), add its folder to `policies` in meshgate.toml, or list it under `exclude`",
        description: "A `.rego` file (not a `*_test.rego`) lies where meshgate loads no policies from, such as a mistyped `domains/orders/policy/`. It is never evaluated; the warning keeps a misplaced policy from going unnoticed.",
    },
    error(
POLICY_PARSE,
"complex-key", "Complex YAML key", "use plain scalar keys", "A YAML mapping key that is itself a mapping or a sequence: descriptors are JSON-compatible and cannot hold such keys."),
    error(
POLICY_PARSE,
"duplicate-key", "Duplicate key", "remove one of the two keys (or run with `--lenient-keys` to keep the last value with a warning)", "A mapping defines the same key twice. Parsers disagree on which value wins, so policies could check a value other tools do not see; it is an error unless `lenient-keys` is on, where it is a warning and the last value wins."),
    error(
POLICY_PARSE,
"empty", "Empty descriptor", "write the descriptor, or delete or exclude the file", "The file holds no document (empty, or only comments)."),
    error(
POLICY_PARSE,
"invalid-utf8", "Not UTF-8", "save the file as UTF-8", "Descriptors must be UTF-8 text; the file holds bytes that are not."),
    error(
POLICY_PARSE,
"io", "Descriptor cannot be read", "fix the file's permissions, or exclude it in meshgate.toml", "The descriptor file exists but could not be read."),
    error(
POLICY_PARSE,
"multi-document", "Several YAML documents", "keep one document per descriptor file", "A descriptor file holds more than one YAML document (`---`); meshgate would not know which one describes the product."),
    error(
POLICY_PARSE,
"not-a-mapping", "Root is not a mapping", "make the descriptor's root a mapping of fields", "A descriptor's root must be a mapping (a JSON object); this one is a list or a scalar."),
    error(
POLICY_PARSE,
"syntax", "Syntax error", "fix the syntax at the position shown", "The descriptor is not valid YAML or JSON."),
    error(
POLICY_PARSE,
"too-deep", "Nested too deeply", "flatten the descriptor", "The descriptor nests deeper than meshgate's limit, which guards the parser and the policies against stack exhaustion."),
    error(
POLICY_PARSE,
"too-large", "Descriptor too large", "split the descriptor, or raise `max-descriptor-bytes` in meshgate.toml", "The file is larger than `max-descriptor-bytes`; it is refused before it is read."),
    error(
POLICY_PARSE,
"too-many-nodes", "Too many nodes", "reduce the descriptor (or its YAML aliases)", "The descriptor expands to more nodes than meshgate's limit, as a YAML alias bomb does."),
    Rule {
        policy: POLICY_POLICY,
        id: BAD_PATH,
        title: "Policy returned an unusable `path`",
        severity: Severity::Warning,
        help: "make `path` a field path: a string (`\"team.members[0].role\"`, `\"view.output_ports[0].sla\"`) or an array of keys and indexes (`[\"team\", \"members\", 0, \"role\"]`); a `view.` path must name a field of the normalized view",
        description: "A member of a policy's `deny`, `violation` or `warn` set has a `path` that is neither a string nor an array of keys and indexes, does not parse, or names a field the normalized view never has (`view.output_port`). The member is still reported on its product, at the nearest field that exists (else at the descriptor's start); the warning is on the rule, once per distinct problem.",
    },
    error(
POLICY_REF,
"ref-absolute", "`$ref` to an absolute path", "reference files by a path relative to the file that holds the `$ref`", "A `$ref` names an absolute path, which would make the descriptor depend on the machine it is checked on."),
    error(
POLICY_REF,
"ref-cycle", "Circular `$ref`", "break the cycle: one of the referenced documents must hold the value itself", "Following the `$ref` leads back to itself."),
    error(
POLICY_REF,
"ref-limit", "`$ref` expansion too large", "reference smaller fragments, or the final document directly", "The `$ref` chain is too deep, or the resolved descriptor grows past meshgate's node limit."),
    error(
POLICY_REF,
"ref-missing", "`$ref` to a missing file", "fix the path (it is relative to the file that holds the `$ref`) or add the file", "A `$ref` names a file that does not exist."),
    error(
POLICY_REF,
"ref-outside", "`$ref` leaves the repository", "keep referenced files inside the mesh repository", "A `$ref` leads out of the repository (by `..` or through a symlink); meshgate reads nothing outside it."),
    error(
POLICY_REF,
"ref-parse", "Referenced file cannot be used", "fix the referenced file", "The file a `$ref` names cannot be read or does not parse."),
    error(
POLICY_REF,
"ref-pointer", "`$ref` pointer matches nothing", "fix the JSON pointer (e.g. `#/components/inputPorts/name`) or the referenced file", "The JSON pointer of a `$ref` (`#/…`) does not match a node of the referenced document."),
    Rule {
        policy: POLICY_REF,
        id: "ref-url",
        title: "`$ref` to a URL",
        severity: Severity::Warning,
        help: "policies see the `$ref` object itself; to check the referenced document, copy it into the repository and reference it by relative path",
        description: "A `$ref` names a URL. meshgate never fetches from the network, so the reference is left as is and policies see the `$ref` object.",
    },
    Rule {
        policy: POLICY_TEMPLATE,
        id: "template",
        title: "Template, not a descriptor",
        severity: Severity::Info,
        help: "render the template before checking it, or list it under `exclude` in meshgate.toml",
        description: "The file holds template placeholders (`{{ … }}` or `${{ … }}` standing for a value, `{% … %}`) and sits in a template folder (`template(s)`, `_template(s)`, `skeleton(s)`, a name with `{{`), or starts with `%SKELETON`. It is skipped: its products get status `skipped` and no policy runs on it.",
    },
    Rule {
        policy: POLICY_TEMPLATE,
        id: "unrendered",
        title: "Template placeholder left in a descriptor",
        severity: Severity::Error,
        help: "replace the placeholder with its value; if the file is a template, keep it under a folder named `template(s)`, `_template(s)` or `skeleton`, or list it under `exclude` in meshgate.toml",
        description: "A descriptor outside any template folder holds a template placeholder (`{{ … }}` standing for a value, `${{ … }}`, `{% … %}`): a template that was not rendered, or one that is not where templates live. Skipping it would let an unchecked product pass, so it is not checked and its status is `error` (exit 1).",
    },
    Rule {
        policy: POLICY_WAIVER,
        id: "expired",
        title: "Expired waiver",
        severity: Severity::Error,
        help: "fix the findings it waived, or have the approver renew the waiver with a new `expires` date",
        description: "A waiver's `expires` date has passed: it waives nothing any more, so the findings it waived fail again, and the waiver itself is an error until it is removed or renewed. Expiry is compared with the run's clock (`--now`).",
    },
    Rule {
        policy: POLICY_WAIVER,
        id: "invalid",
        title: "Unusable waiver file or waiver",
        severity: Severity::Error,
        help: "fix the waiver at the position shown: a `waivers` list of mappings with product, policy, reason, approved_by and expires (YYYY-MM-DD), and optionally rule or fingerprint",
        description: "The waiver file does not parse, is not a mapping with a `waivers` list, or a waiver has an unknown field, a value that is not a string, a product that is not a path or glob, or an `expires` that is not a YYYY-MM-DD date. The waiver waives nothing.",
    },
    Rule {
        policy: POLICY_WAIVER,
        id: "missing-field",
        title: "Waiver without reason, approver or expiry",
        severity: Severity::Error,
        help: "add the missing field: every waiver names product, policy, reason, approved_by and expires",
        description: "Every waiver must say which product and policy it covers, why (`reason`), who approved it (`approved_by`) and until when (`expires`), so that exceptions stay accountable. A waiver that lacks one waives nothing.",
    },
    Rule {
        policy: POLICY_WAIVER,
        id: "not-waivable",
        title: "Waiver of a policy that cannot be waived",
        severity: Severity::Error,
        help: "fix the findings: the policy's METADATA says `custom.waivable: false`",
        description: "The waiver names a policy whose METADATA sets `custom.waivable: false` (a hard rule such as personal data protection). The waiver waives nothing.",
    },
    Rule {
        policy: POLICY_WAIVER,
        id: "out-of-domain",
        title: "Domain waiver beyond its domain",
        severity: Severity::Error,
        help: "waive only the domain's own products (`domains/<d>/…`) and its own policies in `domains/<d>/waivers.yaml`; waiving a global policy needs the root waiver file",
        description: "A domain's `waivers.yaml` may waive only findings on its own products, and only of its domain-local policies. Waiving a global policy needs the root waiver file, which the governance board owns. The waiver waives nothing.",
    },
    Rule {
        policy: POLICY_WAIVER,
        id: "too-long",
        title: "Waiver expires too far ahead",
        severity: Severity::Error,
        help: "set `expires` within `waiver-max-days` of today (180 by default), and renew it when it runs out",
        description: "A waiver's `expires` date lies further ahead than `waiver-max-days` in meshgate.toml allows (180 days by default): exceptions must be time-boxed and reviewed. The waiver waives nothing.",
    },
    Rule {
        policy: POLICY_WAIVER,
        id: "unused",
        title: "Waiver that matches nothing",
        severity: Severity::Warning,
        help: "remove the waiver (its findings are fixed) or correct its product, policy, rule or fingerprint",
        description: "A valid waiver matched no finding of the run. The findings it was granted for are fixed, or the waiver names them wrongly. Reported only when the whole mesh is checked.",
    },
];

/// The built-in rule with this code (`meshgate.parse/syntax`), or with this policy and id.
pub fn find(code: &str) -> Option<&'static Rule> {
    let (policy, id) = code.rsplit_once('/')?;
    BUILTIN.iter().find(|r| r.policy == policy && r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_documented() {
        let codes: Vec<String> = BUILTIN.iter().map(Rule::code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            codes, sorted,
            "BUILTIN must be sorted by code, without duplicates"
        );
        for r in BUILTIN {
            assert!(!r.title.is_empty() && !r.help.is_empty() && !r.description.is_empty());
            assert!(
                r.description.len() <= 1024,
                "{} description too long for SARIF",
                r.code()
            );
            assert_eq!(find(&r.code()), Some(r));
        }
        assert_eq!(find("meshgate.parse/nope"), None);
    }

    /// The quoted code after each `marker` in `text`.
    fn codes_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
        text.match_indices(marker)
            .filter_map(|(i, _)| {
                let rest = text[i + marker.len()..].trim_start();
                let rest = rest.strip_prefix('"')?;
                Some(&rest[..rest.find('"')?])
            })
            .collect()
    }

    #[test]
    fn every_code_the_source_can_report_is_registered() {
        // Scans the source for the codes built-in findings are made with, so that a new code
        // cannot ship without its rule, even where no fixture triggers it.
        let src = concat!(
            include_str!("descriptor/mod.rs"),
            include_str!("descriptor/json.rs"),
            include_str!("descriptor/yaml.rs"),
            include_str!("product.rs"),
        );
        let mut parse = codes_after(src, "ParseError::new(");
        parse.sort();
        parse.dedup();
        assert!(parse.len() >= 10, "{parse:?}");
        for code in parse {
            assert!(
                find(&format!("{POLICY_PARSE}/{code}")).is_some(),
                "parse code `{code}`"
            );
        }
        let refs_src = include_str!("descriptor/refs.rs");
        let refs = codes_after(refs_src, "err(");
        assert!(refs.len() >= 7, "{refs:?}");
        for code in refs {
            assert!(
                find(&format!("{POLICY_REF}/{code}")).is_some(),
                "ref code `{code}`"
            );
        }
        let checks = include_str!("checks.rs");
        let mut layout = codes_after(checks, "POLICY_LAYOUT,");
        layout.extend(codes_after(checks, "layout("));
        assert_eq!(layout.len(), 4, "{layout:?}");
        let waivers = include_str!("waivers.rs");
        let mut waiver_codes = codes_after(waivers, "&str =");
        waiver_codes.retain(|c| !c.ends_with(".yaml"));
        assert_eq!(waiver_codes.len(), 7, "{waiver_codes:?}");
        for code in waiver_codes {
            assert!(
                find(&format!("{POLICY_WAIVER}/{code}")).is_some(),
                "waiver code `{code}`"
            );
        }
        for code in layout {
            assert!(
                find(&format!("{POLICY_LAYOUT}/{code}")).is_some(),
                "layout code `{code}`"
            );
        }
    }

    #[test]
    fn the_readme_lists_every_rule() {
        let readme = include_str!("../README.md");
        for r in BUILTIN.iter().chain([&POLICY_ERROR]) {
            let row = format!("| `{}` | {} | {}", r.code(), r.severity, r.title);
            assert!(readme.contains(&row), "README.md lacks the row `{row}`");
        }
    }
}
