//! Sources of an inventory: a snapshot file written by an earlier collection, or the embedded demo
//! tenant. (Live collection from Azure Resource Manager produces the same [`Snapshot`].)

mod absorb;
pub mod api;
pub mod demo;
pub mod graph;
mod graph_row;
pub mod live;
pub mod progress;
pub mod scope;
pub mod snapshot;

pub use snapshot::{SNAPSHOT_KIND, SNAPSHOT_SCHEMA_VERSION, Snapshot};
