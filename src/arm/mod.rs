//! Azure Resource Manager facts shared by every stage: resource identifiers and the API versions
//! each resource kind is read with.

pub mod api;
pub mod client;
pub mod cloud;
pub mod credential;
pub mod id;

pub use client::{ArmClient, ArmError, ClientSettings, RequestStats};
pub use cloud::ArmTarget;
pub use id::ResourceId;
