//! RTE103 — a UDR whose virtual-appliance next hop is no known address (a black hole).

use std::collections::HashSet;

use serde_json::json;

use super::support::UnreadPeers;
use super::support::{name_of, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Confidence;
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::NextHopType;

pub struct ApplianceNextHopUnknown;
pub static RULE: ApplianceNextHopUnknown = ApplianceNextHopUnknown;

static META: RuleMeta = RuleMeta {
    code: "RTE103",
    name: "appliance-next-hop-unknown",
    title: "UDR next hop (virtual appliance) is not an address of any known NIC, firewall or gateway",
    severity: Severity::Medium,
    inputs: &[
        ResourceKind::RouteTable,
        ResourceKind::NetworkInterface,
        ResourceKind::AzureFirewall,
        ResourceKind::ApplicationGateway,
        ResourceKind::VirtualNetworkGateway,
    ],
    shown_inputs: &[],
    what: "A route with next hop VirtualAppliance whose nextHopIpAddress is not the private IP of any NIC ip \
configuration, Azure Firewall (including a Virtual WAN hub firewall, addressed by hubIPAddresses.privateIPAddress) \
or Application Gateway frontend in the inventory. Evaluated only when network \
interfaces, Azure Firewalls, Application Gateways and VNet gateways were collected completely in every subscription; otherwise the route tables are \
reported as not evaluated. (An appliance behind an internal load balancer is addressed by the load balancer's \
frontend IP, which azaudit does not collect yet: check such findings against your load balancers.) An address \
inside a peered VNet whose subscription is outside the scan (a hub in a connectivity subscription) is not \
judged: its NICs and firewalls were not read, so the route is reported as not evaluated with that reason.",
    why: "Azure forwards traffic matching the route to the next-hop address whether or not anything answers \
there. When the appliance was deleted, re-addressed or never existed, every packet for the prefix is silently \
dropped — a black hole that looks like a firewall outage or an application fault.",
    fix: "Point the route at the appliance's current private IP (or the internal load balancer in front of it), \
or delete the route.\nPortal: Route tables → <table> → Routes → <route> → Next hop address.\n\
az network route-table route update --resource-group <rg> --route-table-name <rt> --name <route> \
--next-hop-type VirtualAppliance --next-hop-ip-address <appliance-ip>",
    example: r#"{"route_table": ".../routeTables/rt-shared-pe-routes", "route": "to-old-nva", "address_prefix": "10.9.0.0/16", "next_hop_ip_address": "10.0.5.4", "known_next_hops_checked": ["network interfaces", "Azure firewalls", "application gateway frontends"]}"#,
    references: &[
        "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview",
        "https://learn.microsoft.com/azure/virtual-network/diagnose-network-routing-problem",
        "https://learn.microsoft.com/rest/api/firewall/azure-firewalls/get",
        "https://learn.microsoft.com/azure/firewall-manager/secured-virtual-hub",
    ],
};

impl Rule for ApplianceNextHopUnknown {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let gaps: Vec<_> = cx
            .coverage
            // Any address holder that could not be read may be the next hop: decided tenant-wide.
            .gaps_for(META.inputs)
            .filter(|g| g.kind != ResourceKind::RouteTable)
            .collect();
        let mut known: HashSet<String> = HashSet::new();
        for nic in &cx.inv.network_interfaces {
            for c in &nic.properties.ip_configurations {
                if let Some(ip) = &c.properties.private_ip_address {
                    known.insert(ip.trim().to_string());
                }
            }
        }
        for fw in &cx.inv.azure_firewalls {
            known.extend(fw.private_ips().into_iter().map(|s| s.trim().to_string()));
        }
        for agw in &cx.inv.application_gateways {
            for f in &agw.properties.frontend_ip_configurations {
                if let Some(ip) = &f.properties.private_ip_address {
                    known.insert(ip.trim().to_string());
                }
            }
        }
        for gw in &cx.inv.virtual_network_gateways {
            for c in &gw.properties.ip_configurations {
                if let Some(ip) = &c.properties.private_ip_address {
                    known.insert(ip.trim().to_string());
                }
            }
        }
        let unread_peers = UnreadPeers::new(cx);
        for rt in &cx.inv.route_tables {
            let appliance_routes: Vec<_> = rt
                .properties
                .routes
                .iter()
                .filter(|r| r.properties.next_hop_type == NextHopType::VirtualAppliance)
                .collect();
            if appliance_routes.is_empty() {
                continue;
            }
            if let Some(g) = gaps.first() {
                out.not_evaluated(&rt.id, format!("not collected completely: {}", g.summary()));
                continue;
            }
            let rt_name = name_of(&rt.id);
            for route in appliance_routes {
                let p = &route.properties;
                let ip = p
                    .next_hop_ip_address
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or_default();
                if !ip.is_empty() && known.contains(ip) {
                    continue;
                }
                if let Some(why) = unread_peers.holding(ip) {
                    out.not_evaluated(&rt.id, format!("route {}: {why}", route.name));
                    continue;
                }
                let message = if ip.is_empty() {
                    format!(
                        "Route {} ({}) in {rt_name} has next hop VirtualAppliance without an address, so its traffic is dropped.",
                        route.name, p.address_prefix
                    )
                } else {
                    format!(
                        "Route {} ({}) in {rt_name} sends traffic to {ip}, which is no NIC, Azure Firewall or Application Gateway address in the inventory: a likely black hole.",
                        route.name, p.address_prefix
                    )
                };
                let evidence = json!({
                    "route_table": rt.id,
                    "route": route.name,
                    "address_prefix": p.address_prefix,
                    "next_hop_type": p.next_hop_type.to_string(),
                    "next_hop_ip_address": p.next_hop_ip_address,
                    "known_next_hops_checked": ["network interfaces", "Azure firewalls", "application gateway frontends", "virtual network gateways"],
                    "subnets": rt.properties.subnets.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
                });
                let remediation = format!(
                    "Point the route at the appliance's current IP or delete it: az network route-table route update --resource-group {} --route-table-name {rt_name} --name {} --next-hop-type VirtualAppliance --next-hop-ip-address <appliance-ip>",
                    rg_of(&rt.id),
                    route.name,
                );
                out.finding(
                    &rt.id,
                    &route.name.to_ascii_lowercase(),
                    message,
                    evidence,
                    remediation,
                )
                .confidence(
                    Confidence::Medium,
                    "internal load balancer frontends are not collected, nor NICs of subscriptions outside the scan: the address may belong to one of them",
                );
            }
        }
    }
}
