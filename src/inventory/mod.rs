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
mod rule_list;
mod security_rule;

mod index;

pub use common::{Extra, SubResource};
pub use coverage::{Coverage, CoverageGap, KindSource, RequestStats};
pub use index::{Index, vnet_of_subnet_id};
pub use kind::{Page, ResourceKind};

use serde::{Deserialize, Serialize};

/// Everything azaudit knows about a tenant. Each list holds resources as ARM returns them; children
/// that ARM lists separately (flow logs, VNet links, record sets, diagnostic settings) are flat
/// lists whose ids name their parent.
// Each list is read at its exact length (`common::exact`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Inventory {
    #[serde(deserialize_with = "common::exact")]
    pub subscriptions: Vec<resources::Subscription>,
    #[serde(deserialize_with = "common::exact")]
    pub resource_providers: Vec<resources::ResourceProvider>,
    #[serde(deserialize_with = "common::exact")]
    pub network_security_groups: Vec<network::NetworkSecurityGroup>,
    #[serde(deserialize_with = "common::exact")]
    pub route_tables: Vec<network::RouteTable>,
    #[serde(deserialize_with = "common::exact")]
    pub virtual_networks: Vec<network::VirtualNetwork>,
    #[serde(deserialize_with = "common::exact")]
    pub private_endpoints: Vec<network::PrivateEndpoint>,
    #[serde(deserialize_with = "common::exact")]
    pub private_dns_zones: Vec<privatedns::PrivateDnsZone>,
    #[serde(deserialize_with = "common::exact")]
    pub virtual_network_links: Vec<privatedns::VirtualNetworkLink>,
    #[serde(deserialize_with = "common::exact")]
    pub record_sets: Vec<privatedns::RecordSet>,
    #[serde(deserialize_with = "common::exact")]
    pub key_vaults: Vec<keyvault::KeyVault>,
    #[serde(deserialize_with = "common::exact")]
    pub diagnostic_settings: Vec<monitor::DiagnosticSetting>,
    #[serde(deserialize_with = "common::exact")]
    pub network_watchers: Vec<network::NetworkWatcher>,
    #[serde(deserialize_with = "common::exact")]
    pub flow_logs: Vec<network::FlowLog>,
    #[serde(deserialize_with = "common::exact")]
    pub application_gateways: Vec<network::ApplicationGateway>,
    #[serde(deserialize_with = "common::exact")]
    pub network_interfaces: Vec<network::NetworkInterface>,
    #[serde(deserialize_with = "common::exact")]
    pub azure_firewalls: Vec<network::AzureFirewall>,
    #[serde(deserialize_with = "common::exact")]
    pub virtual_network_gateways: Vec<network::VirtualNetworkGateway>,
    #[serde(deserialize_with = "common::exact")]
    pub local_network_gateways: Vec<network::LocalNetworkGateway>,
    #[serde(deserialize_with = "common::exact")]
    pub virtual_network_gateway_connections: Vec<network::VirtualNetworkGatewayConnection>,
    #[serde(deserialize_with = "common::exact")]
    pub express_route_circuits: Vec<network::ExpressRouteCircuit>,
    /// The cloud's service tags with their prefixes (one list per cloud); empty when not read, and
    /// then tags other than VirtualNetwork, AzureLoadBalancer and Internet stay opaque.
    #[serde(deserialize_with = "common::exact")]
    pub service_tags: Vec<network::ServiceTagsList>,
    #[serde(deserialize_with = "common::exact")]
    pub recovery_services_vaults: Vec<backup::RecoveryServicesVault>,
    #[serde(deserialize_with = "common::exact")]
    pub resource_guard_proxies: Vec<backup::ResourceGuardProxy>,
}

impl Inventory {
    /// Appends every list of `other`. The struct is taken apart field by field, so a kind added
    /// to the inventory cannot be left out here.
    pub fn append(&mut self, other: Inventory) {
        let Inventory {
            subscriptions,
            resource_providers,
            network_security_groups,
            route_tables,
            virtual_networks,
            private_endpoints,
            private_dns_zones,
            virtual_network_links,
            record_sets,
            key_vaults,
            diagnostic_settings,
            network_watchers,
            flow_logs,
            application_gateways,
            network_interfaces,
            azure_firewalls,
            virtual_network_gateways,
            local_network_gateways,
            virtual_network_gateway_connections,
            express_route_circuits,
            service_tags,
            recovery_services_vaults,
            resource_guard_proxies,
        } = other;
        self.subscriptions.extend(subscriptions);
        self.resource_providers.extend(resource_providers);
        self.network_security_groups.extend(network_security_groups);
        self.route_tables.extend(route_tables);
        self.virtual_networks.extend(virtual_networks);
        self.private_endpoints.extend(private_endpoints);
        self.private_dns_zones.extend(private_dns_zones);
        self.virtual_network_links.extend(virtual_network_links);
        self.record_sets.extend(record_sets);
        self.key_vaults.extend(key_vaults);
        self.diagnostic_settings.extend(diagnostic_settings);
        self.network_watchers.extend(network_watchers);
        self.flow_logs.extend(flow_logs);
        self.application_gateways.extend(application_gateways);
        self.network_interfaces.extend(network_interfaces);
        self.azure_firewalls.extend(azure_firewalls);
        self.virtual_network_gateways
            .extend(virtual_network_gateways);
        self.local_network_gateways.extend(local_network_gateways);
        self.virtual_network_gateway_connections
            .extend(virtual_network_gateway_connections);
        self.express_route_circuits.extend(express_route_circuits);
        self.service_tags.extend(service_tags);
        self.recovery_services_vaults
            .extend(recovery_services_vaults);
        self.resource_guard_proxies.extend(resource_guard_proxies);
    }

    /// Orders every list by normalised id, so that a snapshot does not depend on the order in
    /// which responses arrived (taken apart field by field, like [`Inventory::append`]).
    pub fn sort_by_id(&mut self) {
        use crate::azure::id::id_key;
        fn by_id<P>(v: &mut [common::Resource<P>]) {
            v.sort_by_key(|r| id_key(&r.id));
        }
        let Inventory {
            subscriptions,
            resource_providers,
            network_security_groups,
            route_tables,
            virtual_networks,
            private_endpoints,
            private_dns_zones,
            virtual_network_links,
            record_sets,
            key_vaults,
            diagnostic_settings,
            network_watchers,
            flow_logs,
            application_gateways,
            network_interfaces,
            azure_firewalls,
            virtual_network_gateways,
            local_network_gateways,
            virtual_network_gateway_connections,
            express_route_circuits,
            service_tags,
            recovery_services_vaults,
            resource_guard_proxies,
        } = self;
        subscriptions.sort_by_key(|s| id_key(&s.id));
        resource_providers.sort_by_key(|p| {
            (
                p.id.as_deref().map(id_key).unwrap_or_default(),
                p.namespace.to_ascii_lowercase(),
            )
        });
        by_id(network_security_groups);
        by_id(route_tables);
        by_id(virtual_networks);
        by_id(private_endpoints);
        by_id(private_dns_zones);
        by_id(virtual_network_links);
        by_id(record_sets);
        by_id(key_vaults);
        by_id(diagnostic_settings);
        by_id(network_watchers);
        by_id(flow_logs);
        by_id(application_gateways);
        by_id(network_interfaces);
        by_id(azure_firewalls);
        by_id(virtual_network_gateways);
        by_id(local_network_gateways);
        by_id(virtual_network_gateway_connections);
        by_id(express_route_circuits);
        service_tags.sort_by_key(|t| t.id.as_deref().map(id_key).unwrap_or_default());
        by_id(recovery_services_vaults);
        by_id(resource_guard_proxies);
    }

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
            (ExpressRouteCircuit, self.express_route_circuits.len()),
            (RecoveryServicesVault, self.recovery_services_vaults.len()),
            (ResourceGuardProxy, self.resource_guard_proxies.len()),
            (ServiceTags, self.service_tags.len()),
        ]
    }
}
