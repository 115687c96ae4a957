//! The shipped global policy library (`policies/` of this project), embedded at build time.

include!(concat!(env!("OUT_DIR"), "/library.rs"));

/// Path prefix under which embedded policies are shown.
pub const BUILTIN_PREFIX: &str = "<builtin>/policies/";
