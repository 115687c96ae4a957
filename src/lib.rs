//! meshgate: policy-as-code governance for data meshes.
pub mod config;
pub mod descriptor;
pub mod discover;
pub mod findings;
pub mod policy;
