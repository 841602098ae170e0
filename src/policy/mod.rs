//! The user's policy file over the shipped defaults under `policies/`: rule severities,
//! parameters and exemptions.

pub mod file;
pub mod schema;
