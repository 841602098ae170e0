//! NSG106 — a subnet without a network security group.

use serde_json::json;

use super::support::rg_of;
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct SubnetWithoutNsg;
pub static RULE: SubnetWithoutNsg = SubnetWithoutNsg;

/// Platform subnets where Microsoft does not support (or does not want) a customer NSG, or where the
/// service manages its own filtering: not reported.
pub const EXEMPT_SUBNETS: &[&str] = &[
    "GatewaySubnet",
    "AzureFirewallSubnet",
    "AzureFirewallManagementSubnet",
    "AzureBastionSubnet",
    "RouteServerSubnet",
];

/// Delegations whose service documents NSGs as unsupported in some configurations: reported as low
/// with the caveat instead of being skipped (Azure NetApp Files supports NSGs on its delegated subnet
/// only with Standard network features, which the subnet does not show).
const CONDITIONAL_DELEGATIONS: &[&str] = &["Microsoft.Netapp/volumes"];

static META: RuleMeta = RuleMeta {
    code: "NSG106",
    name: "subnet-without-nsg",
    title: "Subnet without a network security group",
    severity: Severity::Medium,
    inputs: &[ResourceKind::VirtualNetwork],
    shown_inputs: &[],
    what: "A subnet with no NSG associated. Platform subnets are exempt: GatewaySubnet, AzureFirewallSubnet, \
AzureFirewallManagementSubnet, AzureBastionSubnet and RouteServerSubnet. A subnet delegated to Azure NetApp Files \
is reported as low, since NSGs there are supported only with Standard network features.",
    why: "Without an NSG on the subnet (and none on the NIC) Azure filters nothing: every source that can route to \
the subnet — the VNet, peered spokes and on-premises — reaches every port, and so does the Internet for a VM \
with a Basic public IP (retired, but still operating where it was never upgraded; a Standard public IP is closed \
to inbound traffic unless an NSG allows it). Subnet-level NSGs are the baseline that also covers resources created later without a NIC NSG.",
    fix: "Create an NSG with the rules the subnet needs (ending in an explicit deny) and associate it.\n\
Portal: Virtual network → Subnets → <subnet> → Network security group → select → Save.\n\
az network vnet subnet update --resource-group <rg> --vnet-name <vnet> --name <subnet> \
--network-security-group <nsg>",
    example: r#"{"subnet": ".../vnet-spoke-app/subnets/snet-vm-legacy", "address_prefixes": ["10.1.4.0/24"], "delegations": [], "connected_ip_configurations": 1}"#,
    references: &[
        "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview",
        "https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works",
        "https://learn.microsoft.com/azure/azure-netapp-files/azure-netapp-files-network-topologies",
        "https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses",
    ],
};

impl Rule for SubnetWithoutNsg {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for (subnet, vnet) in cx.idx.all_subnets() {
            if subnet.properties.network_security_group.is_some() {
                continue;
            }
            let name = subnet.display_name();
            if EXEMPT_SUBNETS.iter().any(|e| e.eq_ignore_ascii_case(name)) {
                continue;
            }
            let delegations: Vec<&str> = subnet
                .properties
                .delegations
                .iter()
                .map(|d| d.properties.service_name.as_str())
                .collect();
            let conditional = delegations.iter().any(|d| {
                CONDITIONAL_DELEGATIONS
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(d))
            });
            let message = if conditional {
                format!(
                    "Subnet {name} of VNet {} (delegated to {}) has no NSG; NSGs are supported there with Standard network features.",
                    vnet.display_name(),
                    delegations.join(", ")
                )
            } else {
                format!(
                    "Subnet {name} of VNet {} has no network security group, so nothing filters traffic to its {} IP configuration(s).",
                    vnet.display_name(),
                    subnet.properties.ip_configurations.len()
                )
            };
            let evidence = json!({
                "subnet": subnet.id,
                "virtual_network": vnet.id,
                "address_prefixes": subnet.prefixes(),
                "delegations": delegations,
                "connected_ip_configurations": subnet.properties.ip_configurations.len(),
                "route_table": subnet.properties.route_table.as_ref().map(|r| r.id.clone()),
            });
            let remediation = format!(
                "Associate an NSG with {name}: az network vnet subnet update --resource-group {} --vnet-name {} --name {name} --network-security-group <nsg-name-or-id>",
                rg_of(&subnet.id),
                vnet.display_name(),
            );
            if conditional {
                out.finding_with_severity(
                    Severity::Low,
                    &subnet.id,
                    "no-nsg",
                    message,
                    evidence,
                    remediation,
                );
            } else {
                out.finding(&subnet.id, "no-nsg", message, evidence, remediation);
            }
        }
    }
}
