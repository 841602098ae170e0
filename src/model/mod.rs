//! Azure semantics computed from the inventory alone: address sets, service-tag expansion, NSG
//! evaluation and private DNS lookups. Rules ask these questions instead of re-implementing them.

pub mod addr;
pub mod dns;
pub mod facts;
pub mod firewall;
pub mod gateways;
pub mod nsg;
pub mod privatelink;
pub mod routes;
pub mod rule_sides;
pub mod service_flow;
pub mod tags;
pub mod widening;
