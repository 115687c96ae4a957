//! Which functions a policy may call: the builtins of meshgate's regorus, minus those that
//! reach outside the repository or are not deterministic, plus the functions the policies
//! define (decided by [`crate::recursion::analyze`]). OPA rejects a call to an unknown
//! function when it compiles a policy; regorus only when evaluation reaches the call, so a
//! product that never reaches it would pass. meshgate checks every call at load instead.

use regorus::unstable::BUILTINS;

/// Builtins a policy may not call, and why: a policy is a pure function of the repository,
/// so nothing may depend on the network, the machine, the build or chance. `time.now_ns` is
/// not here: it is fixed for the whole run (`--now`).
pub const OUTSIDE: &[(&str, &str)] = &[
    (
        "http.send",
        "it reaches the network (and meshgate's regorus is built without HTTP: it would return nothing, so a rule relying on it could never fire)",
    ),
    (
        "net.lookup_ip_addr",
        "it reaches the network (a DNS lookup)",
    ),
    (
        "opa.runtime",
        "it describes the environment meshgate runs in (OPA returns environment variables and configuration; regorus its own build), not the repository",
    ),
    (
        "rand.intn",
        "it is random: two runs on the same repository could disagree",
    ),
    (
        "uuid.rfc4122",
        "it makes a new random UUID at every run: two runs on the same repository could disagree",
    ),
];

/// Builtins regorus has but meshgate's build leaves out (features off in `Cargo.toml`).
pub const LEFT_OUT: &[&str] = &[
    "json.match_schema",
    "json.verify_schema",
    "urlquery.decode",
    "urlquery.decode_object",
    "urlquery.encode",
    "urlquery.encode_object",
    "yaml.is_valid",
    "yaml.marshal",
    "yaml.unmarshal",
];

/// What a call to a function that no policy defines is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A builtin a policy may call.
    Builtin,
    /// A function a policy may not call, with the reason.
    Outside(&'static str),
    /// Not a builtin of meshgate's regorus.
    Unknown {
        /// Whether regorus has it but meshgate's build leaves it out.
        left_out: bool,
        /// A builtin with a close name, if there is one.
        suggestion: Option<&'static str>,
    },
}

/// Classifies a call to `function` (its name as written) that no loaded policy defines.
pub fn classify(function: &str) -> Verdict {
    if let Some((_, why)) = OUTSIDE.iter().find(|(name, _)| *name == function) {
        return Verdict::Outside(why);
    }
    if function == "print" || BUILTINS.contains_key(function) {
        return Verdict::Builtin;
    }
    Verdict::Unknown {
        left_out: LEFT_OUT.contains(&function),
        suggestion: closest_builtin(function),
    }
}

/// The message of a call that is not allowed (`None` for a builtin a policy may call).
pub fn problem(function: &str) -> Option<String> {
    match classify(function) {
        Verdict::Builtin => None,
        Verdict::Outside(why) => Some(format!(
            "`{function}` is not allowed in a policy: {why}; a policy may read only the repository (`input`, `data`)"
        )),
        Verdict::Unknown {
            left_out,
            suggestion,
        } => {
            let what = if left_out {
                "a builtin left out of meshgate's build of regorus"
            } else {
                "neither a builtin of meshgate (regorus 0.14.1) nor a function defined in the loaded policies"
            };
            let hint = match suggestion {
                Some(s) => format!(": did you mean `{s}`?"),
                None if left_out => ": rewrite the rule without it".to_string(),
                None => ": define it, or import the package that does".to_string(),
            };
            Some(format!("unknown function `{function}`: {what}{hint}"))
        }
    }
}

/// The builtin a policy may call whose name is closest to `name`, if it is close enough to
/// be a typo: at most 1 edit for names up to 4 characters, 2 up to 8, 3 beyond. Ties go to
/// the first in alphabetical order.
fn closest_builtin(name: &str) -> Option<&'static str> {
    let limit = match name.chars().count() {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let mut candidates: Vec<&'static str> = BUILTINS
        .keys()
        .copied()
        .chain(["print"])
        .filter(|b| !b.starts_with("__") && !OUTSIDE.iter().any(|(o, _)| o == b))
        .collect();
    candidates.sort_unstable();
    candidates
        .into_iter()
        .map(|b| (edit_distance(name, b), b))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, b)| b)
}

/// Levenshtein distance, over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let replace = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let delete = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let insert = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(replace.min(delete).min(insert));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_classified() {
        assert_eq!(classify("lower"), Verdict::Builtin);
        assert_eq!(classify("print"), Verdict::Builtin);
        assert_eq!(classify("time.now_ns"), Verdict::Builtin);
        assert_eq!(classify("regex.match"), Verdict::Builtin);
        assert!(matches!(classify("http.send"), Verdict::Outside(_)));
        assert!(matches!(classify("opa.runtime"), Verdict::Outside(_)));
        assert!(matches!(classify("uuid.rfc4122"), Verdict::Outside(_)));
        assert_eq!(
            classify("lowr"),
            Verdict::Unknown {
                left_out: false,
                suggestion: Some("lower")
            }
        );
        assert_eq!(
            classify("crypto.sha256"),
            Verdict::Unknown {
                left_out: false,
                suggestion: None
            }
        );
        assert_eq!(
            classify("no.such.builtin"),
            Verdict::Unknown {
                left_out: false,
                suggestion: None
            }
        );
        assert_eq!(
            classify("yaml.marshal"),
            Verdict::Unknown {
                left_out: true,
                suggestion: None
            }
        );
        assert_eq!(
            classify("strings.replace"),
            Verdict::Unknown {
                left_out: false,
                suggestion: Some("strings.replace_n")
            }
        );
    }

    /// The tables follow the build: every left-out builtin really is absent, and the
    /// forbidden ones that regorus compiles in are real builtin names.
    #[test]
    fn tables_match_the_build() {
        for name in LEFT_OUT {
            assert!(!BUILTINS.contains_key(name), "{name} is compiled in");
        }
        for name in ["opa.runtime", "uuid.rfc4122", "rand.intn"] {
            assert!(BUILTINS.contains_key(name), "{name} is not compiled in");
        }
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("lowr", "lower"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("é", "e"), 1);
    }
}
