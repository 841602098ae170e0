//! The typed inventory of a tenant: ARM payloads as ARM returns them, parsed leniently (unknown
//! fields and enum values kept, casing normalised, ids compared case-insensitively), plus the
//! coverage of the collection that produced it.

pub mod backup;
pub mod common;
pub mod coverage;
pub mod effective;
pub mod keyvault;
pub mod kind;
pub mod monitor;
pub mod network;
pub mod privatedns;
pub mod resources;

mod index;

pub use common::{Extra, SubResource};
pub use coverage::{Coverage, CoverageGap, KindSource, RequestStats};
pub use index::Index;
pub use kind::{Page, ResourceKind};

use serde::{Deserialize, Serialize};

/// Everything azaudit knows about a tenant. Each list holds resources as ARM returns them; children
/// that ARM lists separately (flow logs, VNet links, record sets, diagnostic settings) are flat
/// lists whose ids name their parent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Inventory {
    pub subscriptions: Vec<resources::Subscription>,
    pub resource_providers: Vec<resources::ResourceProvider>,
    pub network_security_groups: Vec<network::NetworkSecurityGroup>,
    pub route_tables: Vec<network::RouteTable>,
    pub virtual_networks: Vec<network::VirtualNetwork>,
    pub private_endpoints: Vec<network::PrivateEndpoint>,
    pub private_dns_zones: Vec<privatedns::PrivateDnsZone>,
    pub virtual_network_links: Vec<privatedns::VirtualNetworkLink>,
    pub record_sets: Vec<privatedns::RecordSet>,
    pub key_vaults: Vec<keyvault::KeyVault>,
    pub diagnostic_settings: Vec<monitor::DiagnosticSetting>,
    pub network_watchers: Vec<network::NetworkWatcher>,
    pub flow_logs: Vec<network::FlowLog>,
    pub application_gateways: Vec<network::ApplicationGateway>,
    pub network_interfaces: Vec<network::NetworkInterface>,
    pub azure_firewalls: Vec<network::AzureFirewall>,
    pub virtual_network_gateways: Vec<network::VirtualNetworkGateway>,
    pub local_network_gateways: Vec<network::LocalNetworkGateway>,
    pub virtual_network_gateway_connections: Vec<network::VirtualNetworkGatewayConnection>,
    /// The cloud's service tags with their prefixes (one list per cloud); empty when not read, and
    /// then tags other than VirtualNetwork, AzureLoadBalancer and Internet stay opaque.
    pub service_tags: Vec<network::ServiceTagsList>,
    pub recovery_services_vaults: Vec<backup::RecoveryServicesVault>,
    pub resource_guard_proxies: Vec<backup::ResourceGuardProxy>,
}

impl Inventory {
    /// Resource counts per kind, for run metadata and the report summary.
    pub fn counts(&self) -> Vec<(ResourceKind, usize)> {
        use ResourceKind::*;
        vec![
            (Subscription, self.subscriptions.len()),
            (ResourceProvider, self.resource_providers.len()),
            (NetworkSecurityGroup, self.network_security_groups.len()),
            (RouteTable, self.route_tables.len()),
            (VirtualNetwork, self.virtual_networks.len()),
            (PrivateEndpoint, self.private_endpoints.len()),
            (PrivateDnsZone, self.private_dns_zones.len()),
            (VirtualNetworkLink, self.virtual_network_links.len()),
            (RecordSet, self.record_sets.len()),
            (KeyVault, self.key_vaults.len()),
            (DiagnosticSetting, self.diagnostic_settings.len()),
            (NetworkWatcher, self.network_watchers.len()),
            (FlowLog, self.flow_logs.len()),
            (ApplicationGateway, self.application_gateways.len()),
            (NetworkInterface, self.network_interfaces.len()),
            (AzureFirewall, self.azure_firewalls.len()),
            (VirtualNetworkGateway, self.virtual_network_gateways.len()),
            (LocalNetworkGateway, self.local_network_gateways.len()),
            (
                VirtualNetworkGatewayConnection,
                self.virtual_network_gateway_connections.len(),
            ),
            (RecoveryServicesVault, self.recovery_services_vaults.len()),
            (ResourceGuardProxy, self.resource_guard_proxies.len()),
            (ServiceTags, self.service_tags.len()),
        ]
    }
}
