//! meshgate: policy-as-code governance for data meshes.
//!
//! Data flows one way: [`discover`] walks the repository, [`descriptor`] parses product
//! descriptors with positions, [`product`] loads one product (templates, `$ref`s, standard,
//! [`view`]) and [`mesh`] the whole repository with the built-in [`checks`] and the Rego
//! [`data`]; [`policy`] loads and compiles Rego, [`engine`] evaluates in parallel, [`model`]
//! (with [`findings`] and the [`rules`] registry) is the one model of a result, where
//! [`waivers`] and the [`baseline`] set findings aside, [`score`] draws the governance board's
//! scores and scorecards from it, and [`report`] renders both. [`check`] runs that pipeline; [`testing`] runs the policies' Rego unit tests the
//! same way (`meshgate test`); [`cli`] is the command line on top.
pub mod baseline;
pub mod calls;
pub mod catalog;
pub mod check;
pub mod checks;
pub mod cli;
pub mod config;
pub mod data;
pub mod descriptor;
pub mod discover;
pub mod engine;
pub mod explain;
pub mod findings;
pub mod git;
pub mod history;
pub mod impact;
pub mod inspect;
pub mod library;
pub mod merge;
pub mod mesh;
pub mod model;
pub mod policy;
pub mod product;
pub mod recursion;
pub mod rego;
pub mod report;
pub mod rules;
pub mod scope;
pub mod score;
pub mod testing;
pub mod view;
pub mod waivers;
