//! NSG103 — a subnet NSG without a user-defined inbound deny for every source.

use serde_json::json;

use super::support::{is_everything, name_of, nsg_rule_cmd};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::{
    Access, Direction, NetworkSecurityGroup, Protocol, SecurityRule, Subnet,
};
use crate::model::addr::PrefixSet;
use crate::model::nsg::PortSet;
use crate::model::tags::subnet_prefixes;

pub struct SubnetNsgNoDenyAllInbound;
pub static RULE: SubnetNsgNoDenyAllInbound = SubnetNsgNoDenyAllInbound;

static META: RuleMeta = RuleMeta {
    code: "NSG103",
    name: "subnet-nsg-no-deny-all-inbound",
    title: "Subnet NSG has no user-defined inbound deny for all sources",
    severity: Severity::Medium,
    inputs: &[
        ResourceKind::VirtualNetwork,
        ResourceKind::NetworkSecurityGroup,
    ],
    shown_inputs: &[],
    what: "A subnet whose NSG has no user-defined inbound Deny covering every source, protocol and port (for \
example DenyAllInbound at 4096), so the default AllowVnetInBound (65000) decides east-west traffic. A deny whose \
destination is *, VirtualNetwork or the subnet's own prefix covers all inbound traffic to the subnet and counts. \
Medium when the VNet has connected peerings that allow virtual network access (their address spaces are in the \
VirtualNetwork tag and admitted), low otherwise: a peering with allowVirtualNetworkAccess false keeps the peer \
out of the tag. GatewaySubnet is left to NSG107.",
    why: "AllowVnetInBound admits everything in the VirtualNetwork tag: the VNet, every connected peered VNet, \
on-premises ranges learned through gateways, and every UDR prefix. Without an explicit deny every workload in \
every peered spoke can reach every port of the subnet; segmentation then depends on peering topology and route \
tables rather than on the NSG that appears to protect it.",
    fix: "Add a low-priority inbound deny for all sources and allow the flows you need by explicit prefix.\n\
Portal: Network security group → Inbound security rules → Add: Source Any, Destination Any, Service Any, \
Action Deny, Priority 4096.\n\
az network nsg rule create --resource-group <rg> --nsg-name <nsg> --name DenyAllInbound --priority 4096 \
--direction Inbound --access Deny --protocol '*' --source-address-prefixes '*' --destination-address-prefixes '*' \
--destination-port-ranges '*'",
    example: r#"{"subnet": ".../subnets/snet-app", "network_security_group": ".../networkSecurityGroups/nsg-app", "peered_networks": [{"peering": "peer-spoke-app-to-hub", "remote_virtual_network": ".../vnet-hub", "address_prefixes": ["10.0.0.0/16"]}], "decided_by": "AllowVnetInBound (65000)"}"#,
    references: &[
        "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview",
        "https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview",
        "https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering",
        "https://learn.microsoft.com/azure/virtual-network/service-tags-overview",
    ],
};

/// The NSG's first user inbound Deny for every source, protocol and port whose destination covers
/// all of `subnet`: `*`, `VirtualNetwork` (which holds the subnet), or prefixes that together cover
/// the subnet's own.
pub fn user_deny_all_inbound<'n>(
    nsg: &'n NetworkSecurityGroup,
    subnet: &Subnet,
) -> Option<&'n SecurityRule> {
    let own = subnet_prefixes(subnet);
    nsg.properties.security_rules.iter().find(|r| {
        let p = &r.properties;
        p.direction == Direction::Inbound
            && p.access == Access::Deny
            && matches!(p.protocol, Protocol::Any)
            && p.source_application_security_groups().is_empty()
            && p.destination_application_security_groups().is_empty()
            && p.sources().iter().any(|s| is_everything(s))
            && covers_subnet(&p.destinations(), &own)
            && PortSet::parse(p.destination_ports()).is_all()
    })
}

fn covers_subnet(destinations: &[&str], own: &PrefixSet) -> bool {
    if destinations
        .iter()
        .any(|d| is_everything(d) || d.trim().eq_ignore_ascii_case("VirtualNetwork"))
    {
        return true;
    }
    let listed = PrefixSet::union_all(destinations.iter().filter_map(|d| PrefixSet::parse(d)));
    !own.is_empty() && listed.contains_set(own)
}

impl Rule for SubnetNsgNoDenyAllInbound {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for (subnet, vnet) in cx.idx.all_subnets() {
            let Some(nsg_ref) = subnet.properties.network_security_group.as_ref() else {
                continue;
            };
            if subnet.display_name().eq_ignore_ascii_case("GatewaySubnet") {
                continue; // NSG107: an NSG there is unsupported altogether
            }
            let Some(nsg) = cx.idx.nsg(&nsg_ref.id) else {
                out.not_evaluated(
                    &subnet.id,
                    format!("its NSG {} is not in the inventory", nsg_ref.id),
                );
                continue;
            };
            if user_deny_all_inbound(nsg, subnet).is_some() {
                continue;
            }
            let peers: Vec<_> = vnet
                .properties
                .virtual_network_peerings
                .iter()
                .filter(|p| p.in_virtual_network_tag())
                .map(|p| {
                    json!({
                        "peering": p.name,
                        "remote_virtual_network": p.properties.remote_virtual_network.as_ref().map(|r| r.id.clone()),
                        "address_prefixes": p.remote_prefixes(),
                    })
                })
                .collect();
            let severity = if peers.is_empty() {
                Severity::Low
            } else {
                Severity::Medium
            };
            let nsg_name = name_of(&nsg.id);
            let message = if peers.is_empty() {
                format!(
                    "NSG {nsg_name} on subnet {} has no inbound deny for all sources, so AllowVnetInBound admits every address of VNet {} on every port.",
                    subnet.display_name(),
                    vnet.display_name()
                )
            } else {
                format!(
                    "NSG {nsg_name} on subnet {} has no inbound deny for all sources, so AllowVnetInBound admits every port from {} connected peered VNet(s) of {}.",
                    subnet.display_name(),
                    peers.len(),
                    vnet.display_name()
                )
            };
            let evidence = json!({
                "subnet": subnet.id,
                "subnet_prefixes": subnet.prefixes(),
                "network_security_group": nsg.id,
                "virtual_network": vnet.id,
                "virtual_network_prefixes": vnet.properties.address_space.address_prefixes,
                "peered_networks": peers,
                "decided_by": "AllowVnetInBound (65000)",
                "missing": "a user-defined inbound Deny for source '*', all protocols and ports",
            });
            let remediation = format!(
                "Add an inbound deny-all below the explicit allows of {nsg_name}: {}",
                nsg_rule_cmd(
                    &nsg.id,
                    "DenyAllInbound",
                    "--priority 4096 --direction Inbound --access Deny --protocol '*' --source-address-prefixes '*' --destination-address-prefixes '*' --destination-port-ranges '*'"
                )
            );
            out.finding_with_severity(
                severity,
                &subnet.id,
                &nsg.id,
                message,
                evidence,
                remediation,
            );
        }
    }
}
