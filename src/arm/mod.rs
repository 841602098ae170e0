//! The Azure Resource Manager client: credentials, clouds' endpoints, a read-only HTTP client with
//! paging, retries and throttling.

pub mod certificate;
pub mod client;
pub mod cloud;
pub mod credential;
pub mod tls;

pub use client::{
    ArmClient, ArmError, BATCH_API_VERSION, BATCH_PATH, ClientSettings, Decode, GRAPH_API_VERSION,
    GRAPH_PATH, RequestStats,
};
pub use cloud::ArmTarget;
