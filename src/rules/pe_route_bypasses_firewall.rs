//! RTE101 — a private endpoint's /32 route defeats a UDR that sends traffic to a firewall.

use serde_json::json;

use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::{id_key, last_name};
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::{NextHopType, Subnet, VirtualNetwork};
use crate::model::routes::{LpmTable, RouteSource, RouteState, effective_routes, route_table_of};

pub struct PeRouteBypassesFirewall;
pub static RULE: PeRouteBypassesFirewall = PeRouteBypassesFirewall;

static META: RuleMeta = RuleMeta {
    code: "RTE101",
    name: "pe-route-bypasses-firewall",
    title: "Private endpoint /32 route bypasses the firewall a UDR sends traffic to",
    severity: Severity::High,
    inputs: &[
        ResourceKind::VirtualNetwork,
        ResourceKind::RouteTable,
        ResourceKind::PrivateEndpoint,
        ResourceKind::NetworkInterface,
    ],
    shown_inputs: &[],
    what: "A subnet in a private endpoint's VNet, or in a directly peered VNet, has a user-defined route to a \
VirtualAppliance (a firewall or NVA) that would win the longest-prefix match for the endpoint's address if the \
endpoint's /32 did not exist, and the /32 stays active and takes that traffic away, so it goes straight to the \
endpoint instead of through the appliance. A route shorter than the VNet's space (such as 0.0.0.0/0 in a spoke) \
is not bypassed: the VnetLocal or VNetPeering route already wins for addresses of the VNet and its peers. One \
finding per (subnet whose route loses, endpoint subnet), on the endpoint subnet, naming the defeated route and \
listing the endpoints.",
    why: "Every private endpoint adds a /32 InterfaceEndpoint route to every subnet of its VNet and of directly \
peered VNets. By longest-prefix match the /32 beats any wider UDR, for example a route of the endpoint subnet's \
range to the firewall. A UDR invalidates it only when the subnet that holds the endpoint has \
privateEndpointNetworkPolicies Enabled or RouteTableEnabled and the UDR's prefix length is at least the VNet \
address-space prefix length. With the API default (Disabled), the firewall the route table was meant to force \
never sees the traffic, and its logs and rules do not apply.",
    fix: "Enable route-table network policies on the endpoint's subnet and route the endpoint range (a prefix at \
least as long as the VNet address space, e.g. the endpoint subnet's prefix) to the appliance; or add a /32 UDR \
per endpoint.\n\
Portal: Virtual network → Subnets → <endpoint subnet> → Network policy for private endpoints → Route tables.\n\
az network vnet subnet update --resource-group <rg> --vnet-name <vnet> --name <pe-subnet> \
--private-endpoint-network-policies RouteTableEnabled\n\
az network route-table route create --resource-group <rg> --route-table-name <rt> --name to-pe-subnet \
--address-prefix <pe-subnet-prefix> --next-hop-type VirtualAppliance --next-hop-ip-address <firewall-ip>",
    example: r#"{"subnet": ".../subnets/snet-app", "route_table": ".../routeTables/rt-app", "defeated_routes": [{"route": "to-pe-subnet", "address_prefix": "10.1.2.0/24", "next_hop_type": "VirtualAppliance", "next_hop_ip_address": "10.0.1.4"}], "endpoint_subnet": ".../subnets/snet-pe", "endpoint_subnet_policies": "Disabled", "endpoints": [{"private_endpoint": ".../privateEndpoints/pe-kv-app", "address": "10.1.2.4"}], "why_not_invalidated": "network policies are Disabled on endpoint subnet snet-pe, so no user route invalidates its endpoints' /32 routes"}"#,
    references: &[
        "https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy",
        "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview",
        "https://learn.microsoft.com/azure/private-link/inspect-traffic-with-azure-firewall",
        "https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview",
    ],
};

impl Rule for PeRouteBypassesFirewall {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        // (subnet whose route loses, endpoint subnet) → what the finding cites, in inventory order.
        let mut groups: Vec<Group<'_>> = Vec::new();
        let mut slot: std::collections::HashMap<(String, String), usize> = Default::default();
        for (subnet, vnet) in cx.idx.all_subnets() {
            let Some(rt) = route_table_of(cx.idx, subnet) else {
                continue;
            };
            if !rt
                .properties
                .routes
                .iter()
                .any(|r| r.properties.next_hop_type == NextHopType::VirtualAppliance)
            {
                continue;
            }
            // Each subnet is visited once and no other rule reads its routes, so they are computed
            // here and dropped, not kept in the scan's shared facts (a large tenant's routes of
            // every subnet would stay in memory until the report is written).
            let routes = effective_routes(cx.idx, subnet, vnet);
            // The lookup as it would be if no endpoint /32 existed.
            let without_endpoints = LpmTable::new(&routes, |r| {
                r.next_hop_type != NextHopType::InterfaceEndpoint
            });
            for route in routes.iter() {
                if route.next_hop_type != NextHopType::InterfaceEndpoint
                    || route.state != RouteState::Active
                {
                    continue;
                }
                let (Some(net), Some(pe_id)) = (route.net(), route.origin.as_deref()) else {
                    continue;
                };
                let addr = net.addr();
                // The route the endpoint's /32 takes the traffic from: only a user route to an
                // appliance that would carry it. A wider route loses to VnetLocal/VNetPeering anyway.
                let Some(defeated) = without_endpoints.lookup(addr).filter(|w| {
                    w.source == RouteSource::User
                        && w.next_hop_type == NextHopType::VirtualAppliance
                }) else {
                    continue;
                };
                let Some(pe) = cx.idx.private_endpoint(pe_id) else {
                    continue;
                };
                if !pe.connections().any(|c| c.is_approved()) {
                    continue; // an endpoint that carries no traffic bypasses nothing
                }
                let Some((pe_subnet, pe_vnet)) = pe.subnet_id().and_then(|s| cx.idx.subnet(s))
                else {
                    continue;
                };
                let key = (id_key(&subnet.id), id_key(&pe_subnet.id));
                let i = *slot.entry(key).or_insert_with(|| {
                    groups.push(Group {
                        subnet,
                        route_table: &rt.id,
                        endpoint_subnet: pe_subnet,
                        endpoint_vnet: pe_vnet,
                        defeated: Vec::new(),
                        endpoints: Vec::new(),
                    });
                    groups.len() - 1
                });
                let g = &mut groups[i];
                let udr_len = defeated.net().map_or(0, |n| n.prefix_len());
                let space_len = pe_vnet
                    .properties
                    .address_space
                    .address_prefixes
                    .iter()
                    .filter_map(|p| p.parse::<ipnet::IpNet>().ok())
                    .filter(|n| n.contains(&addr))
                    .map(|n| n.prefix_len())
                    .min();
                let name = defeated.origin.clone().unwrap_or_default();
                if !g.defeated.iter().any(|d| d.name == name) {
                    g.defeated.push(Defeated {
                        name,
                        address_prefix: defeated.address_prefix.clone(),
                        next_hop_ip_address: defeated.next_hop_ip_address.clone(),
                        prefix_len: udr_len,
                        space_len,
                    });
                }
                if !g
                    .endpoints
                    .iter()
                    .any(|(id, _)| id_key(id) == id_key(&pe.id))
                {
                    g.endpoints.push((pe.id.clone(), addr.to_string()));
                }
            }
        }
        for g in groups {
            let policies = g.endpoint_subnet.pe_network_policies();
            let mut why = Vec::new();
            if !policies.route_tables_apply() {
                why.push(format!(
                    "network policies are {policies} on endpoint subnet {}, so no user route invalidates its endpoints' /32 routes",
                    g.endpoint_subnet.display_name()
                ));
            }
            for d in &g.defeated {
                if let Some(l) = d.space_len.filter(|l| d.prefix_len < *l) {
                    why.push(format!(
                        "route {} /{} is shorter than the endpoint VNet's address space /{l}, so it never invalidates endpoint routes",
                        d.name, d.prefix_len
                    ));
                }
            }
            let first = &g.defeated[0];
            let addresses: Vec<&str> = g.endpoints.iter().map(|(_, a)| a.as_str()).collect();
            let message = format!(
                "Traffic from subnet {} to {} private endpoint(s) in subnet {} ({}) takes their /32 routes instead of UDR {} {} → {}, which would carry it otherwise: {}.",
                g.subnet.display_name(),
                g.endpoints.len(),
                g.endpoint_subnet.display_name(),
                addresses.join(", "),
                first.name,
                first.address_prefix,
                first
                    .next_hop_ip_address
                    .as_deref()
                    .unwrap_or("the appliance"),
                why.join("; "),
            );
            let rg = crate::azure::ResourceId::parse(&g.endpoint_vnet.id)
                .ok()
                .and_then(|r| r.resource_group().map(str::to_string))
                .unwrap_or_else(|| "<rg>".into());
            let remediation = if policies.route_tables_apply() {
                format!(
                    "Route the endpoint range with a prefix at least as long as the VNet address space (e.g. {}) to the appliance in {}: az network route-table route create -g {} --route-table-name {} -n to-{} --address-prefix {} --next-hop-type VirtualAppliance --next-hop-ip-address {}",
                    g.endpoint_subnet.prefixes().join(", "),
                    last_name(g.route_table),
                    crate::azure::ResourceId::parse(g.route_table)
                        .ok()
                        .and_then(|r| r.resource_group().map(str::to_string))
                        .unwrap_or_else(|| "<rg>".into()),
                    last_name(g.route_table),
                    g.endpoint_subnet.display_name(),
                    g.endpoint_subnet
                        .prefixes()
                        .first()
                        .copied()
                        .unwrap_or("<pe-subnet-prefix>"),
                    first
                        .next_hop_ip_address
                        .as_deref()
                        .unwrap_or("<firewall-ip>"),
                )
            } else {
                format!(
                    "Enable route-table policies on {} so that {} invalidates the endpoints' /32 routes: az network vnet subnet update -g {rg} --vnet-name {} -n {} --private-endpoint-network-policies RouteTableEnabled",
                    g.endpoint_subnet.display_name(),
                    first.name,
                    g.endpoint_vnet.display_name(),
                    g.endpoint_subnet.display_name()
                )
            };
            let evidence = json!({
                "subnet": g.subnet.id,
                "route_table": g.route_table,
                "defeated_routes": g.defeated.iter().map(|d| json!({
                    "route": d.name,
                    "address_prefix": d.address_prefix,
                    "next_hop_type": "VirtualAppliance",
                    "next_hop_ip_address": d.next_hop_ip_address,
                })).collect::<Vec<_>>(),
                "endpoint_subnet": g.endpoint_subnet.id,
                "endpoint_subnet_policies": policies.to_string(),
                "endpoint_vnet_address_space": g.endpoint_vnet.properties.address_space.address_prefixes,
                "endpoints": g.endpoints.iter().map(|(id, a)| json!({"private_endpoint": id, "address": a})).collect::<Vec<_>>(),
                "why_not_invalidated": why.join("; "),
            });
            out.finding(
                &g.endpoint_subnet.id,
                &id_key(&g.subnet.id),
                message,
                evidence,
                remediation,
            );
        }
    }
}

struct Defeated {
    name: String,
    address_prefix: String,
    next_hop_ip_address: Option<String>,
    prefix_len: u8,
    space_len: Option<u8>,
}

struct Group<'a> {
    subnet: &'a Subnet,
    route_table: &'a str,
    endpoint_subnet: &'a Subnet,
    endpoint_vnet: &'a VirtualNetwork,
    defeated: Vec<Defeated>,
    /// (endpoint id, address)
    endpoints: Vec<(String, String)>,
}
