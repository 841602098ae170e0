//! azaudit: an auditor for Azure network and Key Vault configuration.
//!
//! The crate is laid out as the pipeline it runs:
//! `arm` (Azure Resource Manager identifiers and API facts) → `collect` (sources of an inventory:
//! snapshot files, the embedded demo tenant) → `inventory` (typed, lenient ARM payloads) → `model`
//! (Azure semantics: address sets, service tags, NSG evaluation, private DNS) → `rules` (one file per
//! rule, a registry) → `policy` (shipped data and defaults) → `report` (findings and renderers), driven
//! by `cli`.

pub mod arm;
pub mod cli;
pub mod collect;
pub mod error;
pub mod inventory;
pub mod model;
pub mod policy;
pub mod report;
pub mod rules;

pub use error::{Error, ExitCode};
