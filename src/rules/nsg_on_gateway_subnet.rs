//! NSG107 — an NSG associated with GatewaySubnet (unsupported).

use serde_json::json;

use super::support::{name_of, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct NsgOnGatewaySubnet;
pub static RULE: NsgOnGatewaySubnet = NsgOnGatewaySubnet;

static META: RuleMeta = RuleMeta {
    code: "NSG107",
    name: "nsg-on-gateway-subnet",
    title: "Network security group associated with GatewaySubnet",
    severity: Severity::Medium,
    inputs: &[ResourceKind::VirtualNetwork],
    shown_inputs: &[],
    what: "A subnet named GatewaySubnet (the subnet of VPN and ExpressRoute gateways) with an NSG associated. \
(Kept apart from NSG106 so that \"no NSG\" and \"an NSG where none is supported\" can be suppressed separately.)",
    why: "Microsoft does not support network security groups on the gateway subnet: an NSG there can stop the \
gateway's control and tunnel traffic, and VPN or ExpressRoute connectivity fails or degrades in ways that are \
hard to trace back to the NSG. Filter traffic on the workload subnets instead.",
    fix: "Dissociate the NSG from GatewaySubnet.\nPortal: Virtual network → Subnets → GatewaySubnet → Network \
security group: None → Save.\n\
az network vnet subnet update --resource-group <rg> --vnet-name <vnet> --name GatewaySubnet \
--network-security-group \"\"",
    example: r#"{"subnet": ".../vnet-hub/subnets/GatewaySubnet", "network_security_group": ".../networkSecurityGroups/nsg-gateway"}"#,
    references: &[
        "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings",
        "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview",
    ],
};

impl Rule for NsgOnGatewaySubnet {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for (subnet, vnet) in cx.idx.all_subnets() {
            if !subnet.display_name().eq_ignore_ascii_case("GatewaySubnet") {
                continue;
            }
            let Some(nsg) = subnet.properties.network_security_group.as_ref() else {
                continue;
            };
            let message = format!(
                "GatewaySubnet of VNet {} has NSG {} associated, which Microsoft does not support for VPN and ExpressRoute gateways.",
                vnet.display_name(),
                name_of(&nsg.id)
            );
            let evidence = json!({
                "subnet": subnet.id,
                "virtual_network": vnet.id,
                "network_security_group": nsg.id,
            });
            let remediation = format!(
                "Dissociate the NSG: az network vnet subnet update --resource-group {} --vnet-name {} --name GatewaySubnet --network-security-group \"\"",
                rg_of(&subnet.id),
                vnet.display_name(),
            );
            out.finding(&subnet.id, &nsg.id, message, evidence, remediation);
        }
    }
}
