//! NSG102 — the `VirtualNetwork` tag widened by a subnet's UDRs defeats an outbound deny posture.

use serde_json::json;

use super::support::{
    RoutedSubnet, is_everything_or_internet, name_of, rg_of, routed_subnets, user_rules,
};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::{Confidence, Severity};
use crate::inventory::ResourceKind;
use crate::inventory::network::{Access, Direction};
use crate::model::tags::has_public_addresses;

pub struct VnetTagWidenedOutbound;
pub static RULE: VnetTagWidenedOutbound = VnetTagWidenedOutbound;

const MAX_LISTED: usize = 16;

static META: RuleMeta = RuleMeta {
    code: "NSG102",
    name: "vnet-tag-widened-outbound",
    title: "VirtualNetwork tag widened by the subnet's UDRs lets egress past an outbound deny",
    severity: Severity::High,
    inputs: &[
        ResourceKind::VirtualNetwork,
        ResourceKind::RouteTable,
        ResourceKind::NetworkSecurityGroup,
    ],
    shown_inputs: &[],
    what: "A subnet whose NSG has a user-defined outbound Deny to Internet or to every destination (the operator \
meant to restrict egress), whose route table's UDR prefixes widen the VirtualNetwork service tag, and where a \
user allow to VirtualNetwork or the default AllowVnetOutBound (65000) admits destinations outside the network \
that the deny was meant to stop. The outbound side of NSG101.",
    why: "The VirtualNetwork tag includes every address prefix used in the subnet's user-defined routes. With the \
usual 0.0.0.0/0 route to a firewall, \"allow to VirtualNetwork\" means \"allow to anywhere\": a rule such as \
Allow-To-VNet at priority 100 lets traffic to any Internet address out before the Deny-Internet rule is reached, \
and AllowVnetOutBound admits private ranges (on-premises, other spokes) that DenyAllOutBound would otherwise \
stop. The NSG no longer enforces the egress policy it appears to; only the next hop does, if it filters. \
Open question: Microsoft does not say whether a UDR with next hop Internet or None puts its prefix in the tag; \
azaudit assumes it does, as for other next hops, and reports such findings at medium confidence.",
    fix: "Replace allow-to-VirtualNetwork outbound rules with explicit destination prefixes, and put the outbound \
deny at a priority that precedes them.\nPortal: Network security group → Outbound security rules → edit the rule's \
destination to the prefixes it should reach.\n\
az network nsg rule update --resource-group <rg> --nsg-name <nsg> --name <allow-rule> \
--destination-address-prefixes 10.1.0.0/16 10.0.0.0/16",
    example: r#"{"subnet": ".../subnets/snet-app", "routes": [{"route_name": "default-to-firewall", "address_prefix": "0.0.0.0/0"}], "outbound_denies": [{"rule": "Deny-Internet-Outbound", "priority": 4000, "destination": ["Internet"]}], "admitting_rules": [{"rule": "Allow-To-VNet-Outbound", "priority": 100, "destination": ["VirtualNetwork"], "admitted_outside_network": ["0.0.0.0/5", "…"]}]}"#,
    references: &[
        "https://learn.microsoft.com/azure/virtual-network/service-tags-overview",
        "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview",
        "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview",
    ],
};

fn truncate(mut items: Vec<String>) -> Vec<String> {
    if items.len() > MAX_LISTED {
        let more = items.len() - MAX_LISTED;
        items.truncate(MAX_LISTED);
        items.push(format!("… and {more} more"));
    }
    items
}

impl Rule for VnetTagWidenedOutbound {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for RoutedSubnet {
            subnet,
            vnet,
            nsg,
            route_table_id,
            local,
        } in routed_subnets(cx, out)
        {
            // The operator's intent: a user outbound deny to Internet or everything.
            let denies: Vec<_> = user_rules(nsg, &Direction::Outbound, &Access::Deny)
                .into_iter()
                .filter(|r| {
                    r.properties
                        .destinations()
                        .iter()
                        .any(|d| is_everything_or_internet(d))
                })
                .collect();
            if denies.is_empty() {
                continue;
            }
            let Some(w) = crate::model::widening::widened_admissions(
                cx.facts,
                nsg,
                &Direction::Outbound,
                subnet,
                vnet,
                local,
            ) else {
                continue;
            };
            let (tag, widened, admitting) = (&w.tag, &w.widened, &w.admitting);
            let public = admitting.iter().any(|(_, o)| has_public_addresses(o));
            let routes = w.routes();
            let nsg_name = name_of(&nsg.id);
            let rules_text = admitting
                .iter()
                .map(|(a, _)| format!("{} ({})", a.rule, a.priority))
                .collect::<Vec<_>>()
                .join(", ");
            let message = format!(
                "Subnet {}'s UDRs ({}) widen the VirtualNetwork tag, so {rules_text} in NSG {nsg_name} let traffic to {} destinations out despite {} ({}): east-west exposure, every spoke and peer behind {} is reachable and the appliance alone decides.",
                subnet.display_name(),
                routes
                    .iter()
                    .map(|u| u.address_prefix.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                if public {
                    "public"
                } else {
                    "off-network private"
                },
                denies[0].name,
                denies[0].properties.priority,
                w.through(),
            );
            let evidence = json!({
                "subnet": subnet.id,
                "network_security_group": nsg.id,
                "route_table": route_table_id,
                "routes": routes,
                "virtual_network_tag": {
                    "expected": tag.base.to_strings(),
                    "widened_by_udrs": truncate(widened.to_strings()),
                },
                "outbound_denies": denies.iter().map(|d| json!({
                    "rule": d.name,
                    "priority": d.properties.priority,
                    "destination": d.properties.destinations(),
                })).collect::<Vec<_>>(),
                "admitting_rules": admitting.iter().map(|(a, outside)| json!({
                    "rule": a.rule,
                    "priority": a.priority,
                    "default_rule": a.is_default,
                    "destination": a.remote,
                    "admitted_outside_network": truncate(outside.to_strings()),
                })).collect::<Vec<_>>(),
                "exposure": w.exposure(false),
            });
            let first_user = admitting.iter().find(|(a, _)| !a.is_default);
            let remediation = match first_user {
                Some((a, _)) => format!(
                    "Replace destination VirtualNetwork in {} with the prefixes it should reach: az network nsg rule update --resource-group {} --nsg-name {nsg_name} --name {} --destination-address-prefixes {}",
                    a.rule,
                    rg_of(&nsg.id),
                    a.rule,
                    tag.base.to_strings().join(" "),
                ),
                None => format!(
                    "Add an outbound Deny for every destination below your explicit allows so AllowVnetOutBound is never reached: az network nsg rule create --resource-group {} --nsg-name {nsg_name} --name DenyAllOutbound --priority 4096 --direction Outbound --access Deny --protocol '*' --source-address-prefixes '*' --destination-address-prefixes '*' --destination-port-ranges '*'",
                    rg_of(&nsg.id),
                ),
            };
            let uncertain = w.undocumented_next_hops();
            let proof = out.finding_with_severity(
                if public {
                    Severity::High
                } else {
                    Severity::Medium
                },
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
