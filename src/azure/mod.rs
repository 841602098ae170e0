//! Azure vocabulary shared by every layer, below all of them: resource identifiers (ARM treats them
//! case-insensitively) and the clouds a tenant can live in.

pub mod cloud;
pub mod id;

pub use cloud::Cloud;
pub use id::ResourceId;
