//! meshgate: policy-as-code governance for data meshes.
pub mod descriptor;
