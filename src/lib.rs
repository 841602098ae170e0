//! azaudit: an auditor for Azure network and Key Vault configuration.
//!
//! The crate is laid out as the pipeline it runs, each layer importing only those below it:
//! `cli` → `scan` (one scan as a library call: index, rules, policy, report) and `probe` (the
//! data-plane check) → `collect` (live ARM through `arm`, snapshot files, the embedded demo
//! tenant) and `report` (renderers) → `policy` (the user's policy file) → `rules` (one file per
//! rule, a registry, producing `findings`) → `reach` (one flow walked hop by hop over the model,
//! for `azaudit reach` and rules that cite the chain) → `model` (Azure semantics: address sets,
//! service tags, routes, NSG evaluation, private DNS) → `inventory`
//! (typed, lenient ARM payloads, coverage) → `azure` (resource ids, clouds).

pub mod arm;
pub mod azure;
pub mod cli;
pub mod collect;
pub mod error;
pub mod findings;
pub mod inventory;
pub mod model;
pub mod policy;
pub mod probe;
pub mod reach;
pub mod report;
pub mod rules;
pub mod scan;
pub mod schemas;

pub use error::{Error, ExitCode};
