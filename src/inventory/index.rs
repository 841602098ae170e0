//! Lookups over an inventory by normalised resource id, built once per scan.

use std::collections::HashMap;

use super::Inventory;
use super::monitor::DiagnosticSetting;
use super::network::{
    LocalNetworkGateway, NetworkSecurityGroup, PrivateEndpoint, RouteTable, Subnet, VirtualNetwork,
    VirtualNetworkGateway, VirtualNetworkGatewayConnection,
};
use super::privatedns::{PrivateDnsZone, RecordSet, VirtualNetworkLink};
use super::resources::ResourceProvider;
use crate::azure::id::{IdKey, IdRef};

/// The VNet id of a subnet id (`…/virtualNetworks/v/subnets/s` → `…/virtualNetworks/v`).
pub fn vnet_of_subnet_id(id: &str) -> &str {
    match id.to_ascii_lowercase().rfind("/subnets/") {
        Some(i) => &id[..i],
        None => id,
    }
}

/// Read-only indexes over an [`Inventory`].
pub struct Index<'a> {
    pub inv: &'a Inventory,
    nsgs: HashMap<IdKey<'a>, &'a NetworkSecurityGroup>,
    route_tables: HashMap<IdKey<'a>, &'a RouteTable>,
    vnets: HashMap<IdKey<'a>, &'a VirtualNetwork>,
    /// subnet id → (subnet, its VNet)
    subnets: HashMap<IdKey<'a>, (&'a Subnet, &'a VirtualNetwork)>,
    endpoints: HashMap<IdKey<'a>, &'a PrivateEndpoint>,
    /// VNet id → the private endpoints in its subnets
    endpoints_by_vnet: HashMap<IdKey<'a>, Vec<&'a PrivateEndpoint>>,
    /// subnet id → the private endpoints in it
    endpoints_by_subnet: HashMap<IdKey<'a>, Vec<&'a PrivateEndpoint>>,
    /// target resource id → the private endpoints with a connection (of any state) to it
    endpoints_by_target: HashMap<IdKey<'a>, Vec<&'a PrivateEndpoint>>,
    /// target resource name (lower-case, last id segment) → the private endpoints with a
    /// connection to a target of that name, for resolving a public name back to its endpoints
    endpoints_by_target_name: HashMap<String, Vec<&'a PrivateEndpoint>>,
    /// subscription id (lower-case) → its resource provider registrations
    providers_by_subscription: HashMap<String, Vec<&'a ResourceProvider>>,
    /// route table id → the subnets that name it, in inventory order
    subnets_by_route_table: HashMap<IdKey<'a>, Vec<(&'a Subnet, &'a VirtualNetwork)>>,
    /// zone name (lower-case) → zones with that name (several may exist in different scopes)
    zones_by_name: HashMap<String, Vec<&'a PrivateDnsZone>>,
    links_by_zone: HashMap<IdKey<'a>, Vec<&'a VirtualNetworkLink>>,
    /// zone id → VNet id → the zone's links to that VNet
    links_by_zone_vnet: HashMap<IdKey<'a>, HashMap<IdKey<'a>, Vec<&'a VirtualNetworkLink>>>,
    records_by_zone: HashMap<IdKey<'a>, Vec<&'a RecordSet>>,
    /// zone id → relative record name (normalised) → the zone's record sets of that name
    records_by_zone_name: HashMap<IdKey<'a>, HashMap<String, Vec<&'a RecordSet>>>,
    /// resource id → the diagnostic settings on it
    diagnostic_settings_by_resource: HashMap<IdKey<'a>, Vec<&'a DiagnosticSetting>>,
    nic_ips: HashMap<IdKey<'a>, Vec<String>>,
    /// application security group id (normalised) → private IPs of the NIC ip configurations in it
    asg_ips: HashMap<String, Vec<String>>,
    /// VNet id → the virtual network gateways in its GatewaySubnet
    gateways_by_vnet: HashMap<IdKey<'a>, Vec<&'a VirtualNetworkGateway>>,
    local_gateways: HashMap<IdKey<'a>, &'a LocalNetworkGateway>,
    /// virtual network gateway id → the connections that name it (as gateway 1 or 2)
    connections_by_gateway: HashMap<IdKey<'a>, Vec<&'a VirtualNetworkGatewayConnection>>,
    /// service tag name (lower-case) → its prefixes, from the inventory's service tag lists
    service_tags: std::sync::Arc<HashMap<String, Vec<ipnet::IpNet>>>,
    /// service tag name (lower-case) → its region (lower-case, empty for global tags)
    service_tag_regions: HashMap<String, String>,
}

impl<'a> Index<'a> {
    pub fn new(inv: &'a Inventory) -> Self {
        let mut subnets = HashMap::new();
        let mut subnets_by_route_table: HashMap<IdKey<'a>, Vec<_>> = HashMap::new();
        for vnet in &inv.virtual_networks {
            for s in &vnet.properties.subnets {
                subnets.insert(IdKey::new(&s.id), (s, vnet));
                if let Some(rt) = &s.properties.route_table {
                    subnets_by_route_table
                        .entry(IdKey::new(&rt.id))
                        .or_default()
                        .push((s, vnet));
                }
            }
        }
        let mut endpoints_by_vnet: HashMap<IdKey<'a>, Vec<&PrivateEndpoint>> = HashMap::new();
        let mut endpoints_by_subnet: HashMap<IdKey<'a>, Vec<&PrivateEndpoint>> = HashMap::new();
        let mut endpoints_by_target: HashMap<IdKey<'a>, Vec<&PrivateEndpoint>> = HashMap::new();
        let mut endpoints_by_target_name: HashMap<String, Vec<&PrivateEndpoint>> = HashMap::new();
        for pe in &inv.private_endpoints {
            if let Some(s) = pe.subnet_id() {
                endpoints_by_subnet
                    .entry(IdKey::new(s))
                    .or_default()
                    .push(pe);
            }
            let mut targets: Vec<&str> = pe
                .connections()
                .filter_map(|c| c.connection.properties.private_link_service_id.as_deref())
                .collect();
            targets.sort_unstable_by_key(|t| t.to_ascii_lowercase());
            targets.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
            let mut names: Vec<String> = Vec::new();
            for t in targets.into_iter().filter(|t| !t.is_empty()) {
                endpoints_by_target
                    .entry(IdKey::new(t))
                    .or_default()
                    .push(pe);
                let name = crate::azure::id::last_name(t).to_ascii_lowercase();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            for name in names {
                endpoints_by_target_name.entry(name).or_default().push(pe);
            }
            let vnet = pe
                .subnet_id()
                .and_then(|s| subnets.get(IdRef::new(s)))
                .map(|(_, v): &(&Subnet, &VirtualNetwork)| IdKey::new(&v.id));
            if let Some(v) = vnet {
                endpoints_by_vnet.entry(v).or_default().push(pe);
            }
        }
        let mut gateways_by_vnet: HashMap<IdKey<'a>, Vec<&VirtualNetworkGateway>> = HashMap::new();
        for gw in &inv.virtual_network_gateways {
            let mut vnets: Vec<String> = gw
                .properties
                .ip_configurations
                .iter()
                .filter_map(|c| c.properties.subnet.as_ref())
                .map(|s| match subnets.get(IdRef::new(&s.id)) {
                    Some((_, v)) => v.id.to_ascii_lowercase(),
                    None => vnet_of_subnet_id(&s.id).to_ascii_lowercase(),
                })
                .collect();
            vnets.sort();
            vnets.dedup();
            for v in vnets {
                gateways_by_vnet
                    .entry(IdKey::owned(&v))
                    .or_default()
                    .push(gw);
            }
        }
        let local_gateways = inv
            .local_network_gateways
            .iter()
            .map(|l| (IdKey::new(&l.id), l))
            .collect();
        let mut connections_by_gateway: HashMap<IdKey<'a>, Vec<&VirtualNetworkGatewayConnection>> =
            HashMap::new();
        for c in &inv.virtual_network_gateway_connections {
            let p = &c.properties;
            let mut ends: Vec<String> = [&p.virtual_network_gateway1, &p.virtual_network_gateway2]
                .into_iter()
                .flatten()
                .filter(|r| !r.id.is_empty())
                .map(|r| r.id.to_ascii_lowercase())
                .collect();
            ends.dedup();
            for e in ends {
                connections_by_gateway
                    .entry(IdKey::owned(&e))
                    .or_default()
                    .push(c);
            }
        }
        let mut service_tags: HashMap<String, Vec<ipnet::IpNet>> = HashMap::new();
        let mut service_tag_regions: HashMap<String, String> = HashMap::new();
        for list in &inv.service_tags {
            for t in &list.values {
                let key = t.name.to_ascii_lowercase();
                let nets = service_tags.entry(key.clone()).or_default();
                nets.extend(
                    t.properties
                        .address_prefixes
                        .iter()
                        .filter_map(|p| p.trim().parse::<ipnet::IpNet>().ok())
                        .map(|n| n.trunc()),
                );
                service_tag_regions.insert(
                    key,
                    t.properties
                        .region
                        .clone()
                        .unwrap_or_default()
                        .to_ascii_lowercase(),
                );
            }
        }
        let mut providers_by_subscription: HashMap<String, Vec<&ResourceProvider>> = HashMap::new();
        for p in &inv.resource_providers {
            if let Some(s) = p.subscription_id() {
                providers_by_subscription
                    .entry(s.to_ascii_lowercase())
                    .or_default()
                    .push(p);
            }
        }
        let mut zones_by_name: HashMap<String, Vec<&PrivateDnsZone>> = HashMap::new();
        for z in &inv.private_dns_zones {
            zones_by_name.entry(z.zone_name()).or_default().push(z);
        }
        let mut links_by_zone: HashMap<IdKey<'a>, Vec<&VirtualNetworkLink>> = HashMap::new();
        let mut links_by_zone_vnet: HashMap<
            IdKey<'a>,
            HashMap<IdKey<'a>, Vec<&VirtualNetworkLink>>,
        > = HashMap::new();
        for l in &inv.virtual_network_links {
            if let Some(z) = l.zone_id() {
                if let Some(v) = l.vnet_id() {
                    links_by_zone_vnet
                        .entry(IdKey::owned(&z))
                        .or_default()
                        .entry(IdKey::new(v))
                        .or_default()
                        .push(l);
                }
                links_by_zone.entry(IdKey::owned(&z)).or_default().push(l);
            }
        }
        let mut diagnostic_settings_by_resource: HashMap<IdKey<'a>, Vec<&DiagnosticSetting>> =
            HashMap::new();
        for d in &inv.diagnostic_settings {
            if let Some(r) = d.resource_id() {
                diagnostic_settings_by_resource
                    .entry(IdKey::new(r))
                    .or_default()
                    .push(d);
            }
        }
        let mut records_by_zone: HashMap<IdKey<'a>, Vec<&RecordSet>> = HashMap::new();
        let mut records_by_zone_name: HashMap<IdKey<'a>, HashMap<String, Vec<&RecordSet>>> =
            HashMap::new();
        for r in &inv.record_sets {
            if let Some(z) = r.zone_id() {
                records_by_zone_name
                    .entry(IdKey::owned(&z))
                    .or_default()
                    .entry(r.record_name())
                    .or_default()
                    .push(r);
                records_by_zone.entry(IdKey::owned(&z)).or_default().push(r);
            }
        }
        let mut nic_ips: HashMap<IdKey<'a>, Vec<String>> = HashMap::new();
        let mut asg_ips: HashMap<String, Vec<String>> = HashMap::new();
        for c in inv
            .network_interfaces
            .iter()
            .flat_map(|n| &n.properties.ip_configurations)
        {
            if let Some(ip) = c.properties.private_ip_address.as_deref() {
                for asg in &c.properties.application_security_groups {
                    asg_ips
                        .entry(crate::azure::id::id_key(&asg.id))
                        .or_default()
                        .push(ip.to_string());
                }
            }
        }
        for nic in &inv.network_interfaces {
            let ips = nic
                .properties
                .ip_configurations
                .iter()
                .filter_map(|c| c.properties.private_ip_address.clone())
                .collect();
            nic_ips.insert(IdKey::new(&nic.id), ips);
        }
        Index {
            inv,
            nsgs: inv
                .network_security_groups
                .iter()
                .map(|n| (IdKey::new(&n.id), n))
                .collect(),
            route_tables: inv
                .route_tables
                .iter()
                .map(|r| (IdKey::new(&r.id), r))
                .collect(),
            vnets: inv
                .virtual_networks
                .iter()
                .map(|v| (IdKey::new(&v.id), v))
                .collect(),
            subnets,
            endpoints_by_vnet,
            endpoints_by_subnet,
            endpoints_by_target,
            endpoints_by_target_name,
            providers_by_subscription,
            subnets_by_route_table,
            endpoints: inv
                .private_endpoints
                .iter()
                .map(|p| (IdKey::new(&p.id), p))
                .collect(),
            zones_by_name,
            links_by_zone,
            links_by_zone_vnet,
            records_by_zone,
            records_by_zone_name,
            diagnostic_settings_by_resource,
            nic_ips,
            asg_ips,
            gateways_by_vnet,
            local_gateways,
            connections_by_gateway,
            service_tags: std::sync::Arc::new(service_tags),
            service_tag_regions,
        }
    }

    /// Every service tag's prefixes by lower-case name; empty when the inventory holds none.
    pub fn service_tags(&self) -> std::sync::Arc<HashMap<String, Vec<ipnet::IpNet>>> {
        self.service_tags.clone()
    }
    /// Whether the inventory holds service tag ranges at all.
    pub fn has_service_tags(&self) -> bool {
        !self.service_tags.is_empty()
    }
    /// The region of a service tag (lower-case, empty for a global tag).
    pub fn service_tag_region(&self, name: &str) -> Option<&str> {
        self.service_tag_regions
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The virtual network gateways whose IP configurations sit in a subnet of `vnet_id`.
    pub fn gateways_in_vnet(&self, vnet_id: &str) -> &[&'a VirtualNetworkGateway] {
        self.gateways_by_vnet
            .get(IdRef::new(vnet_id))
            .map_or(&[], Vec::as_slice)
    }
    pub fn local_network_gateway(&self, id: &str) -> Option<&'a LocalNetworkGateway> {
        self.local_gateways.get(IdRef::new(id)).copied()
    }
    /// The connections of a virtual network gateway (naming it as gateway 1 or 2).
    pub fn connections_of_gateway(
        &self,
        gateway_id: &str,
    ) -> &[&'a VirtualNetworkGatewayConnection] {
        self.connections_by_gateway
            .get(IdRef::new(gateway_id))
            .map_or(&[], Vec::as_slice)
    }

    pub fn nsg(&self, id: &str) -> Option<&'a NetworkSecurityGroup> {
        self.nsgs.get(IdRef::new(id)).copied()
    }
    pub fn route_table(&self, id: &str) -> Option<&'a RouteTable> {
        self.route_tables.get(IdRef::new(id)).copied()
    }
    pub fn vnet(&self, id: &str) -> Option<&'a VirtualNetwork> {
        self.vnets.get(IdRef::new(id)).copied()
    }
    /// A subnet and the VNet that holds it.
    pub fn subnet(&self, id: &str) -> Option<(&'a Subnet, &'a VirtualNetwork)> {
        self.subnets.get(IdRef::new(id)).copied()
    }
    pub fn private_endpoint(&self, id: &str) -> Option<&'a PrivateEndpoint> {
        self.endpoints.get(IdRef::new(id)).copied()
    }
    /// The private endpoints in the subnets of a VNet, in inventory order.
    pub fn endpoints_in_vnet(&self, vnet_id: &str) -> &[&'a PrivateEndpoint] {
        self.endpoints_by_vnet
            .get(IdRef::new(vnet_id))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    /// The private endpoints in a subnet, in inventory order.
    pub fn endpoints_in_subnet(&self, subnet_id: &str) -> &[&'a PrivateEndpoint] {
        self.endpoints_by_subnet
            .get(IdRef::new(subnet_id))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    /// The private endpoints with a connection (in any state) to `target`, in inventory order.
    pub fn endpoints_targeting(&self, target: &str) -> &[&'a PrivateEndpoint] {
        self.endpoints_by_target
            .get(IdRef::new(target))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    /// Private endpoints with a connection (of any state) to a target named `name` (the last
    /// segment of its resource id, case-insensitive), whatever its type, group or subscription.
    pub fn endpoints_targeting_name(&self, name: &str) -> &[&'a PrivateEndpoint] {
        self.endpoints_by_target_name
            .get(&name.to_ascii_lowercase())
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    /// The resource provider registrations read for a subscription.
    pub fn providers_of(&self, subscription: &str) -> &[&'a ResourceProvider] {
        self.providers_by_subscription
            .get(&subscription.to_ascii_lowercase())
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    /// The subnets whose `routeTable` names this route table, in inventory order.
    pub fn subnets_using_route_table(
        &self,
        route_table_id: &str,
    ) -> &[(&'a Subnet, &'a VirtualNetwork)] {
        self.subnets_by_route_table
            .get(IdRef::new(route_table_id))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    /// Every zone with this DNS name, wherever it lives.
    pub fn zones_named(&self, name: &str) -> &[&'a PrivateDnsZone] {
        self.zones_by_name
            .get(&super::privatedns::normalise_dns_name(name))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    pub fn links_of_zone(&self, zone_id: &str) -> &[&'a VirtualNetworkLink] {
        self.links_by_zone
            .get(IdRef::new(zone_id))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    /// The links of a zone to one VNet (normally one).
    pub fn links_of_zone_to(&self, zone_id: &str, vnet_id: &str) -> &[&'a VirtualNetworkLink] {
        self.links_by_zone_vnet
            .get(IdRef::new(zone_id))
            .and_then(|m| m.get(IdRef::new(vnet_id)))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    /// The record sets of a zone with this relative name (any type), e.g. `kv1`.
    pub fn records_named(&self, zone_id: &str, name: &str) -> &[&'a RecordSet] {
        self.records_by_zone_name
            .get(IdRef::new(zone_id))
            .and_then(|m| m.get(&super::privatedns::normalise_dns_name(name)))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    /// The diagnostic settings on a resource.
    pub fn diagnostic_settings_of(&self, resource_id: &str) -> &[&'a DiagnosticSetting] {
        self.diagnostic_settings_by_resource
            .get(IdRef::new(resource_id))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    pub fn records_of_zone(&self, zone_id: &str) -> &[&'a RecordSet] {
        self.records_by_zone
            .get(IdRef::new(zone_id))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    /// Private IPs of the NIC ip configurations in each application security group (by normalised id).
    pub fn asg_ips(&self) -> &HashMap<String, Vec<String>> {
        &self.asg_ips
    }
    /// Private IPs of a NIC.
    pub fn nic_private_ips(&self, nic_id: &str) -> &[String] {
        self.nic_ips
            .get(IdRef::new(nic_id))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    /// The private IPs of a private endpoint: from its ipConfigurations, its custom DNS configs, and
    /// its NICs, de-duplicated in that order.
    pub fn endpoint_ips(&self, pe: &PrivateEndpoint) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut push = |ip: &str| {
            if !ip.is_empty() && !out.iter().any(|o| o == ip) {
                out.push(ip.to_string());
            }
        };
        for c in &pe.properties.ip_configurations {
            if let Some(ip) = c.properties.private_ip_address.as_deref() {
                push(ip);
            }
        }
        for nic in &pe.properties.network_interfaces {
            for ip in self.nic_private_ips(&nic.id) {
                push(ip);
            }
        }
        for c in &pe.properties.custom_dns_configs {
            for ip in &c.ip_addresses {
                push(ip);
            }
        }
        out
    }
    /// All subnets with their VNets, in inventory order.
    pub fn all_subnets(&self) -> impl Iterator<Item = (&'a Subnet, &'a VirtualNetwork)> + 'a {
        self.inv
            .virtual_networks
            .iter()
            .flat_map(|v| v.properties.subnets.iter().map(move |s| (s, v)))
    }
}
