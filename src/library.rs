//! The shipped global policy library (`policies/` of this project), embedded at build time.

include!(concat!(env!("OUT_DIR"), "/library.rs"));

/// Path prefix under which embedded policies are shown.
pub const BUILTIN_PREFIX: &str = "<builtin>/policies/";

/// The shipped library as global policy sources.
pub fn sources() -> Vec<crate::policy::PolicySource> {
    LIBRARY
        .iter()
        .map(|(name, text)| crate::policy::PolicySource {
            path: format!("{BUILTIN_PREFIX}{name}"),
            text: std::sync::Arc::from(*text),
            origin: crate::policy::Origin::Global,
        })
        .collect()
}
