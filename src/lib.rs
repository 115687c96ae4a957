//! meshgate: policy-as-code governance for data meshes.
//!
//! Data flows one way: [`discover`] walks the repository, [`descriptor`] parses product
//! descriptors with positions, [`product`] loads one product (templates, `$ref`s, standard,
//! [`view`]), [`policy`] loads and compiles Rego, [`engine`] evaluates in
//! parallel, [`findings`] is the one model of a result, [`score`] summarises and [`report`]
//! renders. [`check`] runs that pipeline; [`cli`] is the command line on top.
pub mod check;
pub mod cli;
pub mod config;
pub mod descriptor;
pub mod discover;
pub mod engine;
pub mod findings;
pub mod inspect;
pub mod library;
pub mod policy;
pub mod product;
pub mod report;
pub mod score;
pub mod view;
