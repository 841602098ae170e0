//! NSG101 — the `VirtualNetwork` service tag widened by a subnet's UDR prefixes.

use serde_json::json;

use super::support::{RoutedSubnet, routed_subnets};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::{Confidence, Severity};
use crate::inventory::ResourceKind;
use crate::inventory::network::Direction;
use crate::model::tags::has_public_addresses;

pub struct VnetTagWidenedByUdr;
pub static RULE: VnetTagWidenedByUdr = VnetTagWidenedByUdr;

static META: RuleMeta = RuleMeta {
    code: "NSG101",
    name: "vnet-tag-widened-by-udr",
    title: "VirtualNetwork tag widened by the subnet's UDRs admits sources outside the network",
    severity: Severity::High,
    inputs: &[
        ResourceKind::VirtualNetwork,
        ResourceKind::RouteTable,
        ResourceKind::NetworkSecurityGroup,
    ],
    shown_inputs: &[],
    what: "A subnet whose route table has user-defined routes (typically 0.0.0.0/0 to a firewall) and whose NSG \
admits traffic from the VirtualNetwork service tag (the default AllowVnetInBound rule, or a user rule with \
source VirtualNetwork) without a higher-priority deny that covers the widened addresses.",
    why: "Azure's VirtualNetwork tag is not \"my VNet\": it contains the VNet's address space, peered VNets, \
connected on-premises ranges, 168.63.129.16 and every address prefix used in the subnet's user-defined routes. \
A 0.0.0.0/0 UDR, the usual hub-and-spoke default route, turns the tag into every address, so AllowVnetInBound \
(priority 65000) and every allow-from-VirtualNetwork rule admit any source that can route in: other spokes \
through the hub and on-premises networks. This is east-west exposure: the platform keeps Internet-sourced \
traffic out of the widened tag, although Network Watcher's IP flow verify reports random public addresses as \
allowed by AllowVnetInBound (NSG105 reports real Internet admission). Whoever edits a route table changes what \
the NSG allows. Open question: Microsoft does not say whether a UDR with next hop Internet or None puts its \
prefix in the tag; azaudit assumes it does, as for other next hops, and reports such findings at medium \
confidence.",
    fix: "Add a user-defined inbound deny that covers every source at a priority below your allow rules (for \
example DenyAllInbound at 4096) and replace allow-from-VirtualNetwork rules with explicit prefixes of the \
networks that should connect.\n\
Portal: Network security group → Inbound security rules → Add: Source Any, Destination Any, Service Any, \
Action Deny, Priority 4096.\n\
az network nsg rule create --resource-group <rg> --nsg-name <nsg> --name DenyAllInbound --priority 4096 \
--direction Inbound --access Deny --protocol '*' --source-address-prefixes '*' --destination-address-prefixes '*' \
--destination-port-ranges '*'",
    example: r#"{"subnet": ".../virtualNetworks/vnet-spoke-app/subnets/snet-app", "routes": [{"route_name": "default-to-firewall", "address_prefix": "0.0.0.0/0", "next_hop_type": "VirtualAppliance", "next_hop_ip_address": "10.0.1.4"}], "virtual_network_tag": {"expected": ["10.0.0.0/16", "10.1.0.0/16", "168.63.129.16/32"], "widened_by_udrs": ["0.0.0.0/5", "…"]}, "admitting_rules": [{"rule": "AllowVnetInBound", "priority": 65000, "admitted_outside_network": ["0.0.0.0/5", "…"]}], "missing": "a Deny rule for all sources with priority below 65000"}"#,
    references: &[
        "https://learn.microsoft.com/azure/virtual-network/service-tags-overview",
        "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview",
        "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview",
    ],
};

/// How many prefixes an evidence list shows before it is cut (the count is always given).
const MAX_LISTED: usize = 16;

impl Rule for VnetTagWidenedByUdr {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for RoutedSubnet {
            subnet,
            vnet,
            nsg,
            route_table_id: rt_id,
            local,
        } in routed_subnets(cx, out)
        {
            let Some(w) = crate::model::widening::widened_admissions(
                cx.facts,
                nsg,
                &Direction::Inbound,
                subnet,
                vnet,
                local,
            ) else {
                continue;
            };
            let (tag, widened, admitting) = (&w.tag, &w.widened, &w.admitting);
            let routes = w.routes();
            let first = &admitting[0].0;
            let lowest_allow = admitting
                .iter()
                .map(|(a, _)| a.priority)
                .max()
                .unwrap_or(first.priority);
            let public = admitting.iter().any(|(_, o)| has_public_addresses(o));
            let route_text = routes
                .iter()
                .map(|u| {
                    format!(
                        "{} {} → {}{}",
                        u.route_name,
                        u.address_prefix,
                        u.next_hop_type,
                        u.next_hop_ip_address
                            .as_deref()
                            .map(|ip| format!(" {ip}"))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let rules_text = admitting
                .iter()
                .map(|(a, _)| format!("{} ({})", a.rule, a.priority))
                .collect::<Vec<_>>()
                .join(", ");
            let message = format!(
                "Route {route_text} widens the VirtualNetwork tag of subnet {} to {}, so {rules_text} in NSG {} admit{} sources outside the network and no higher-priority deny covers them: east-west exposure, every spoke and peer reaching the subnet through {} gets in (Internet-sourced traffic is kept out of the tag by the platform).",
                subnet.display_name(),
                if widened
                    .union(&tag.base)
                    .contains_set(&crate::model::addr::PrefixSet::all_v4())
                {
                    "every IPv4 address".to_string()
                } else {
                    format!("{} more address(es)", widened.v4_len())
                },
                crate::azure::id::last_name(&nsg.id),
                if admitting.len() == 1 { "s" } else { "" },
                w.through(),
            );
            let evidence = json!({
                "subnet": subnet.id,
                "subnet_prefixes": subnet.prefixes(),
                "network_security_group": nsg.id,
                "route_table": rt_id,
                "routes": routes,
                "virtual_network_tag": {
                    "expected": tag.base.to_strings(),
                    "widened_by_udrs": truncate(widened.to_strings()),
                    "widened_prefix_count": widened.to_cidrs().len(),
                    "opaque_route_prefixes": tag.opaque_udr_prefixes,
                },
                "admitting_rules": admitting.iter().map(|(a, outside)| json!({
                    "rule": a.rule,
                    "priority": a.priority,
                    "default_rule": a.is_default,
                    "source": a.remote,
                    "admitted_outside_network": truncate(outside.to_strings()),
                })).collect::<Vec<_>>(),
                "missing": format!("a Deny rule for all sources, protocols and ports with priority below {lowest_allow}"),
                "exposure": w.exposure(true),
            });
            let remediation = format!(
                "Add an inbound Deny for source '*' at a priority below {lowest_allow} to NSG {} and allow the networks that must connect by explicit prefix: az network nsg rule create -g {} --nsg-name {} -n DenyAllInbound --priority 4096 --direction Inbound --access Deny --protocol '*' --source-address-prefixes '*' --destination-address-prefixes '*' --destination-port-ranges '*'",
                crate::azure::id::last_name(&nsg.id),
                crate::azure::ResourceId::parse(&nsg.id)
                    .ok()
                    .and_then(|r| r.resource_group().map(str::to_string))
                    .unwrap_or_else(|| "<rg>".into()),
                crate::azure::id::last_name(&nsg.id),
            );
            let severity = if public {
                Severity::High
            } else {
                Severity::Medium
            };
            let uncertain = w.undocumented_next_hops();
            let proof = out.finding_with_severity(
                severity,
                &subnet.id,
                &nsg.id,
                message,
                evidence,
                remediation,
            );
            if let Some(why) = uncertain {
                proof.confidence(Confidence::Medium, &why);
            }
        }
    }
}

fn truncate(mut items: Vec<String>) -> Vec<String> {
    if items.len() > MAX_LISTED {
        let more = items.len() - MAX_LISTED;
        items.truncate(MAX_LISTED);
        items.push(format!("… and {more} more"));
    }
    items
}
