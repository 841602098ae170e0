//! RTE101 — a private endpoint's /32 route defeats a UDR that sends traffic to a firewall.

use serde_json::json;

use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::{id_key, last_name};
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::NextHopType;
use crate::model::routes::{RouteState, route_table_of};

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
VirtualAppliance (a firewall or NVA) that covers the endpoint's address, but the endpoint's /32 system route \
stays active, so traffic to the endpoint goes straight to it instead of through the appliance.",
    why: "Every private endpoint adds a /32 InterfaceEndpoint route to every subnet of its VNet and of directly \
peered VNets. By longest-prefix match the /32 beats any wider UDR. A UDR invalidates it only when the subnet \
that holds the endpoint has privateEndpointNetworkPolicies Enabled or RouteTableEnabled and the UDR's prefix \
length is at least the VNet address-space prefix length; a 0.0.0.0/0 default route never does. With the API \
default (Disabled), the firewall the route table was meant to force never sees the traffic, and its logs and \
rules do not apply.",
    fix: "Enable route-table network policies on the endpoint's subnet and route the endpoint range (a prefix at \
least as long as the VNet address space, e.g. the endpoint subnet's prefix) to the appliance; or add a /32 UDR \
per endpoint.\n\
Portal: Virtual network → Subnets → <endpoint subnet> → Network policy for private endpoints → Route tables.\n\
az network vnet subnet update --resource-group <rg> --vnet-name <vnet> --name <pe-subnet> \
--private-endpoint-network-policies RouteTableEnabled\n\
az network route-table route create --resource-group <rg> --route-table-name <rt> --name to-pe-subnet \
--address-prefix <pe-subnet-prefix> --next-hop-type VirtualAppliance --next-hop-ip-address <firewall-ip>",
    example: r#"{"private_endpoint": ".../privateEndpoints/pe-kv-app", "address": "10.1.2.4", "endpoint_subnet_policies": "Disabled", "bypassed_routes": [{"subnet": ".../subnets/snet-app", "route_table": ".../routeTables/rt-app", "route": "default-to-firewall", "address_prefix": "0.0.0.0/0", "next_hop_ip_address": "10.0.1.4", "why_not_invalidated": "network policies are Disabled on the endpoint's subnet; a 0.0.0.0/0 route never invalidates endpoint routes"}]}"#,
    references: &[
        "https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy",
        "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview",
        "https://learn.microsoft.com/azure/private-link/inspect-traffic-with-azure-firewall",
    ],
};

impl Rule for PeRouteBypassesFirewall {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        // endpoint id → bypassed routes
        let mut bypasses: std::collections::BTreeMap<String, Vec<serde_json::Value>> =
            Default::default();
        for (subnet, vnet) in cx.idx.all_subnets() {
            let Some(rt) = route_table_of(cx.idx, subnet) else {
                continue;
            };
            let appliance_udrs: Vec<_> = rt
                .properties
                .routes
                .iter()
                .filter(|r| r.properties.next_hop_type == NextHopType::VirtualAppliance)
                .filter_map(|r| {
                    r.properties
                        .address_prefix
                        .parse::<ipnet::IpNet>()
                        .ok()
                        .map(|n| (r, n.trunc()))
                })
                .collect();
            if appliance_udrs.is_empty() {
                continue;
            }
            for route in cx.facts.effective_routes(subnet, vnet).iter() {
                if route.next_hop_type != NextHopType::InterfaceEndpoint
                    || route.state != RouteState::Active
                {
                    continue;
                }
                let (Some(net), Some(pe_id)) = (route.net(), route.origin.clone()) else {
                    continue;
                };
                let addr = net.addr();
                let Some((udr, udr_net)) = appliance_udrs
                    .iter()
                    .filter(|(_, n)| n.contains(&addr) && n.prefix_len() < net.prefix_len())
                    .max_by_key(|(_, n)| n.prefix_len())
                else {
                    continue;
                };
                let pe = cx.idx.private_endpoint(&pe_id);
                let pe_subnet = pe
                    .and_then(|p| p.subnet_id())
                    .and_then(|s| cx.idx.subnet(s));
                let policies = pe_subnet.map(|(s, _)| s.pe_network_policies());
                let space_len = pe_subnet.and_then(|(_, v)| {
                    v.properties
                        .address_space
                        .address_prefixes
                        .iter()
                        .filter_map(|p| p.parse::<ipnet::IpNet>().ok())
                        .filter(|n| n.contains(&addr))
                        .map(|n| n.prefix_len())
                        .min()
                });
                let mut why = Vec::new();
                if let Some(p) = policies.as_ref().filter(|p| !p.route_tables_apply()) {
                    why.push(format!("network policies are {p} on the endpoint's subnet"));
                }
                if let Some(l) = space_len.filter(|l| udr_net.prefix_len() < *l) {
                    why.push(format!(
                            "the route's prefix /{} is shorter than the VNet address space /{l} (a 0.0.0.0/0 route never invalidates endpoint routes)",
                            udr_net.prefix_len()
                        ));
                }
                bypasses.entry(id_key(&pe_id)).or_default().push(json!({
                    "subnet": subnet.id,
                    "route_table": rt.id,
                    "route": udr.name,
                    "address_prefix": udr.properties.address_prefix,
                    "next_hop_ip_address": udr.properties.next_hop_ip_address,
                    "address": addr.to_string(),
                    "endpoint_subnet_policies": policies.as_ref().map(|p| p.to_string()),
                    "why_not_invalidated": why.join("; "),
                }));
            }
        }
        for pe in &cx.inv.private_endpoints {
            let Some(routes) = bypasses.get(&id_key(&pe.id)) else {
                continue;
            };
            if !pe.connections().any(|c| c.is_approved()) {
                continue; // an endpoint that carries no traffic bypasses nothing
            }
            let subnets: Vec<String> = routes
                .iter()
                .filter_map(|r| r["subnet"].as_str())
                .map(|s| last_name(s).to_string())
                .collect();
            let first = &routes[0];
            let message = format!(
                "Traffic from {} to private endpoint {} ({}) takes its /32 route instead of UDR {} {} → {}: {}.",
                subnets.join(", "),
                pe.display_name(),
                first["address"].as_str().unwrap_or_default(),
                first["route"].as_str().unwrap_or_default(),
                first["address_prefix"].as_str().unwrap_or_default(),
                first["next_hop_ip_address"]
                    .as_str()
                    .unwrap_or("the appliance"),
                first["why_not_invalidated"].as_str().unwrap_or_default(),
            );
            let pe_subnet = pe.subnet_id().and_then(|s| cx.idx.subnet(s));
            let remediation = match pe_subnet {
                Some((s, v)) => format!(
                    "Enable route-table policies on {} and route its range ({}) to the appliance: az network vnet subnet update -g {} --vnet-name {} -n {} --private-endpoint-network-policies RouteTableEnabled",
                    s.display_name(),
                    s.prefixes().join(", "),
                    crate::azure::ResourceId::parse(&v.id).ok().and_then(|r| r.resource_group().map(str::to_string)).unwrap_or_else(|| "<rg>".into()),
                    v.display_name(),
                    s.display_name()
                ),
                None => "Enable route-table network policies on the endpoint's subnet and route its range to the appliance.".into(),
            };
            out.finding(
                &pe.id,
                "",
                message,
                json!({"private_endpoint": pe.id, "bypassed_routes": routes}),
                remediation,
            );
        }
    }
}
