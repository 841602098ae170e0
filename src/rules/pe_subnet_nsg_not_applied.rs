//! NSG104 — a private-endpoint subnet whose NSG rules do not apply to the endpoints.

use serde_json::json;

use super::support::{name_of, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct PeSubnetNsgNotApplied;
pub static RULE: PeSubnetNsgNotApplied = PeSubnetNsgNotApplied;

static META: RuleMeta = RuleMeta {
    code: "NSG104",
    name: "pe-subnet-nsg-not-applied",
    title: "Private-endpoint subnet's NSG rules do not apply to its private endpoints",
    severity: Severity::Medium,
    inputs: &[
        ResourceKind::VirtualNetwork,
        ResourceKind::PrivateEndpoint,
        ResourceKind::NetworkSecurityGroup,
    ],
    shown_inputs: &[],
    what: "A subnet that holds private endpoints and has an NSG with user-defined rules, while its \
privateEndpointNetworkPolicies is Disabled (also when absent: the API default) or RouteTableEnabled, so the NSG \
is not enforced for the endpoints.",
    why: "Network policies are disabled for private endpoints by default: NSG rules on the subnet apply to other \
NICs there but not to private endpoints until privateEndpointNetworkPolicies is Enabled or \
NetworkSecurityGroupEnabled. An NSG that restricts who may reach a Key Vault or storage endpoint looks like a \
control but admits every source that can route to the endpoint.",
    fix: "Enable NSG network policies on the subnet.\nPortal: Virtual network → Subnets → <subnet> → Private \
endpoint network policy: Network security groups (or All).\n\
az network vnet subnet update --resource-group <rg> --vnet-name <vnet> --name <subnet> \
--private-endpoint-network-policies Enabled",
    example: r#"{"subnet": ".../vnet-spoke-app/subnets/snet-pe", "private_endpoint_network_policies": "Disabled", "policies_explicit": true, "network_security_group": ".../networkSecurityGroups/nsg-pe-app", "user_rules": ["Allow-HTTPS-From-snet-app (100)", "Deny-All-Inbound (4096)"], "private_endpoints": [".../privateEndpoints/pe-kv-app"]}"#,
    references: &[
        "https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy",
        "https://learn.microsoft.com/azure/private-link/private-endpoint-overview",
    ],
};

impl Rule for PeSubnetNsgNotApplied {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for (subnet, vnet) in cx.idx.all_subnets() {
            let pes: Vec<&str> = cx
                .idx
                .endpoints_in_subnet(&subnet.id)
                .iter()
                .map(|p| p.id.as_str())
                .collect();
            if pes.is_empty() {
                continue;
            }
            let Some(nsg_ref) = subnet.properties.network_security_group.as_ref() else {
                continue;
            };
            let Some(nsg) = cx.idx.nsg(&nsg_ref.id) else {
                out.not_evaluated(
                    &subnet.id,
                    format!("its NSG {} is not in the inventory", nsg_ref.id),
                );
                continue;
            };
            if nsg.properties.security_rules.is_empty() {
                continue;
            }
            let policies = subnet.pe_network_policies();
            if policies.nsg_applies() {
                continue;
            }
            let explicit = subnet
                .properties
                .private_endpoint_network_policies
                .is_some();
            let nsg_name = name_of(&nsg.id);
            let message = format!(
                "Subnet {} holds {} private endpoint(s) but its privateEndpointNetworkPolicies is {}{}, so the {} user rule(s) of NSG {nsg_name} do not apply to them.",
                subnet.display_name(),
                pes.len(),
                policies,
                if explicit { "" } else { " (the API default)" },
                nsg.properties.security_rules.len(),
            );
            let evidence = json!({
                "subnet": subnet.id,
                "private_endpoint_network_policies": policies.to_string(),
                "policies_explicit": explicit,
                "network_security_group": nsg.id,
                "user_rules": nsg.properties.security_rules.iter()
                    .map(|r| format!("{} ({})", r.name, r.properties.priority)).collect::<Vec<_>>(),
                "private_endpoints": pes,
            });
            let remediation = format!(
                "Enable network policies for private endpoints on {}: az network vnet subnet update --resource-group {} --vnet-name {} --name {} --private-endpoint-network-policies Enabled",
                subnet.display_name(),
                rg_of(&subnet.id),
                vnet.display_name(),
                subnet.display_name(),
            );
            out.finding(&subnet.id, &nsg.id, message, evidence, remediation);
        }
    }
}
