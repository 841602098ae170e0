//! AGW102 — a v2 Application Gateway subnet whose UDR sends 0.0.0.0/0 to an appliance or gateway.

use serde_json::json;

use super::support::{name_of, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::NextHopType;
use crate::model::addr::PrefixSet;

pub struct AppgwV2DefaultRouteToAppliance;
pub static RULE: AppgwV2DefaultRouteToAppliance = AppgwV2DefaultRouteToAppliance;

static META: RuleMeta = RuleMeta {
    code: "AGW102",
    name: "appgw-v2-default-route-to-appliance",
    title: "Application Gateway v2 subnet routes 0.0.0.0/0 to a virtual appliance or gateway",
    severity: Severity::High,
    inputs: &[
        ResourceKind::ApplicationGateway,
        ResourceKind::VirtualNetwork,
        ResourceKind::RouteTable,
    ],
    shown_inputs: &[],
    what: "A v2 (Standard_v2, WAF_v2, Basic) Application Gateway whose subnet's route table has a 0.0.0.0/0 \
route with next hop VirtualAppliance or VirtualNetworkGateway, or split routes to them (0.0.0.0/1 and \
128.0.0.0/1, or any set) that together cover every IPv4 address. A subnet delegated to \
Microsoft.Network/applicationGateways (a network-isolated, private gateway) supports a default route to an \
appliance and is not reported.",
    why: "Application Gateway v2 needs direct Internet connectivity for its management traffic: Microsoft lists \
a default route to a virtual appliance, hub firewall or on-premises (forced tunnelling) as an unsupported \
configuration of the v2 subnet. The gateway's control traffic returns asymmetrically through the appliance, \
health and configuration updates fail, and the gateway can end up in a failed state.",
    fix: "Remove the 0.0.0.0/0 route from the gateway subnet's route table (or give the subnet its own table \
with 0.0.0.0/0 → Internet), and send only backend prefixes through the firewall.\n\
Portal: Route tables → <table> → Routes → delete the 0.0.0.0/0 route (or Subnets → dissociate the gateway subnet).\n\
az network route-table route delete --resource-group <rg> --route-table-name <rt> --name <route>",
    example: r#"{"application_gateway": ".../applicationGateways/agw-app", "sku": "Standard_v2", "subnet": ".../subnets/snet-appgw", "route_table": ".../routeTables/rt-app", "route": {"name": "default-to-firewall", "address_prefix": "0.0.0.0/0", "next_hop_type": "VirtualAppliance", "next_hop_ip_address": "10.0.1.4"}}"#,
    references: &[
        "https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure",
        "https://learn.microsoft.com/azure/application-gateway/application-gateway-private-deployment",
        "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview",
    ],
};

impl Rule for AppgwV2DefaultRouteToAppliance {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for agw in cx.inv.application_gateways.iter().filter(|a| a.is_v2()) {
            let agw_name = agw.name.as_deref().unwrap_or_else(|| name_of(&agw.id));
            let sku = agw
                .properties
                .sku
                .as_ref()
                .and_then(|s| s.name.clone().or(s.tier.clone()))
                .unwrap_or_default();
            for subnet_id in agw.subnet_ids() {
                let Some((subnet, _)) = cx.idx.subnet(subnet_id) else {
                    out.not_evaluated(
                        &agw.id,
                        format!("its subnet {subnet_id} is not in the inventory"),
                    );
                    continue;
                };
                if subnet.is_delegated_to(
                    super::appgw_subnet_nsg_blocks_infrastructure::APPGW_DELEGATION,
                ) {
                    continue; // a network-isolated (private) gateway supports 0.0.0.0/0 to an appliance
                }
                let Some(rt_ref) = subnet.properties.route_table.as_ref() else {
                    continue;
                };
                let Some(rt) = cx.idx.route_table(&rt_ref.id) else {
                    out.not_evaluated(
                        &agw.id,
                        format!(
                            "its subnet's route table {} is not in the inventory",
                            rt_ref.id
                        ),
                    );
                    continue;
                };
                let forcing = |r: &&crate::inventory::network::Route| {
                    matches!(
                        r.properties.next_hop_type,
                        NextHopType::VirtualAppliance | NextHopType::VirtualNetworkGateway
                    )
                };
                // Forced tunnelling through split routes (0.0.0.0/1 + 128.0.0.0/1, …): the routes
                // to appliances and gateways cover every IPv4 address without a 0.0.0.0/0 of their own.
                let has_default = rt
                    .properties
                    .routes
                    .iter()
                    .filter(forcing)
                    .any(|r| r.properties.address_prefix.trim() == "0.0.0.0/0");
                let split: Vec<&crate::inventory::network::Route> = rt
                    .properties
                    .routes
                    .iter()
                    .filter(forcing)
                    .filter(|r| PrefixSet::parse(&r.properties.address_prefix).is_some())
                    .collect();
                let covered = PrefixSet::union_all(
                    split
                        .iter()
                        .filter_map(|r| PrefixSet::parse(&r.properties.address_prefix)),
                );
                if !has_default && covered.contains_set(&PrefixSet::all_v4()) {
                    let listed: Vec<String> = split
                        .iter()
                        .map(|r| format!("{} {}", r.name, r.properties.address_prefix))
                        .collect();
                    let message = format!(
                        "Application Gateway {agw_name} ({sku}) is in subnet {}, whose route table {} sends every IPv4 address to an appliance or gateway through split routes ({}): forced tunnelling, unsupported for v2 gateways.",
                        subnet.display_name(),
                        name_of(&rt.id),
                        listed.join(", "),
                    );
                    let evidence = json!({
                        "application_gateway": agw.id,
                        "sku": sku,
                        "subnet": subnet.id,
                        "route_table": rt.id,
                        "split_routes": split.iter().map(|r| json!({
                            "name": r.name,
                            "address_prefix": r.properties.address_prefix,
                            "next_hop_type": r.properties.next_hop_type.to_string(),
                            "next_hop_ip_address": r.properties.next_hop_ip_address,
                        })).collect::<Vec<_>>(),
                    });
                    let remediation = format!(
                        "Give {} its own route table that sends only backend prefixes to the appliance (0.0.0.0/0 stays Internet), or deploy the gateway with network isolation; e.g. az network route-table route delete --resource-group {} --route-table-name {} --name {}",
                        subnet.display_name(),
                        rg_of(&rt.id),
                        name_of(&rt.id),
                        split[0].name,
                    );
                    out.finding(
                        &agw.id,
                        &format!("{}|split-default", crate::azure::id::id_key(&rt.id)),
                        message,
                        evidence,
                        remediation,
                    );
                }
                for route in rt.properties.routes.iter().filter(|r| {
                    r.properties.address_prefix.trim() == "0.0.0.0/0"
                        && matches!(
                            r.properties.next_hop_type,
                            NextHopType::VirtualAppliance | NextHopType::VirtualNetworkGateway
                        )
                }) {
                    let p = &route.properties;
                    let message = format!(
                        "Application Gateway {agw_name} ({sku}) is in subnet {}, whose route table {} sends 0.0.0.0/0 to {}{}: unsupported for v2 gateways.",
                        subnet.display_name(),
                        name_of(&rt.id),
                        p.next_hop_type,
                        p.next_hop_ip_address
                            .as_deref()
                            .map(|i| format!(" {i}"))
                            .unwrap_or_default(),
                    );
                    let evidence = json!({
                        "application_gateway": agw.id,
                        "sku": sku,
                        "subnet": subnet.id,
                        "route_table": rt.id,
                        "route": {
                            "name": route.name,
                            "address_prefix": p.address_prefix,
                            "next_hop_type": p.next_hop_type.to_string(),
                            "next_hop_ip_address": p.next_hop_ip_address,
                        },
                    });
                    let remediation = format!(
                        "Give {} its own route table without the default route, or delete it: az network route-table route delete --resource-group {} --route-table-name {} --name {}",
                        subnet.display_name(),
                        rg_of(&rt.id),
                        name_of(&rt.id),
                        route.name,
                    );
                    out.finding(
                        &agw.id,
                        &format!(
                            "{}|{}",
                            crate::azure::id::id_key(&rt.id),
                            route.name.to_ascii_lowercase()
                        ),
                        message,
                        evidence,
                        remediation,
                    );
                }
            }
        }
    }
}
