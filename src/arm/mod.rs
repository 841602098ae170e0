//! Azure Resource Manager facts shared by every stage: resource identifiers and the API versions
//! each resource kind is read with.

pub mod api;
pub mod id;

pub use id::ResourceId;
