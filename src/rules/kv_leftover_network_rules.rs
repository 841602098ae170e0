//! KVT103 — firewall rules left over on a Key Vault that has moved to private endpoints.

use serde_json::json;

use super::support_pe::{VaultNetwork, approved_vault_endpoints, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct KvLeftoverNetworkRules;
pub static RULE: KvLeftoverNetworkRules = KvLeftoverNetworkRules;

static META: RuleMeta = RuleMeta {
    code: "KVT103",
    name: "kv-leftover-network-rules",
    title: "Key Vault keeps IP or VNet firewall rules next to its private endpoint",
    severity: Severity::Medium,
    inputs: &[ResourceKind::KeyVault, ResourceKind::PrivateEndpoint],
    shown_inputs: &[],
    what: "A Key Vault with the firewall on (networkAcls.defaultAction Deny), public network access not \
disabled, at least one approved private endpoint, and ipRules or virtualNetworkRules still present. (With \
publicNetworkAccess Disabled the rules are overridden and inert, and with SecuredByPerimeter only the Network \
Security Perimeter's rules admit public traffic, so neither case is reported.)",
    why: "Private endpoint traffic needs no IP or VNet rule. Rules kept from before the move keep the \
old public and service-endpoint paths open: the listed IP ranges and subnets still reach the vault without \
the private endpoint. Microsoft: once all clients use private links, remove virtual networks and IP \
addresses from the key vault firewall.",
    fix: "Remove the leftover rules once every client uses the private endpoint, then consider disabling \
public access.\n\
Portal: Key vault → Networking → Firewalls and virtual networks → delete the IP ranges and virtual networks → \
Apply.\n\
az keyvault network-rule remove --name <vault> --resource-group <rg> --ip-address <cidr>\n\
az keyvault network-rule remove --name <vault> --resource-group <rg> --subnet <subnet-id>",
    example: r#"{"vault": ".../vaults/kv-ops-contoso", "approved_private_endpoints": [".../privateEndpoints/pe-kv-ops"], "ip_rules": ["203.0.113.0/24"], "virtual_network_rules": [".../subnets/snet-app"], "network": {"default_action": "Deny", "public_network_access": "Enabled"}}"#,
    references: &[
        "https://learn.microsoft.com/azure/key-vault/general/private-link-diagnostics",
        "https://learn.microsoft.com/azure/key-vault/general/network-security",
        "https://learn.microsoft.com/azure/private-link/network-security-perimeter-transition",
    ],
};

impl Rule for KvLeftoverNetworkRules {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for kv in &cx.inv.key_vaults {
            let net = VaultNetwork::of(kv);
            let Some(acls) = kv.properties.network_acls.as_ref() else {
                continue;
            };
            if !net.firewall_on || net.public_disabled || net.secured_by_perimeter {
                continue;
            }
            if acls.ip_rules.is_empty() && acls.virtual_network_rules.is_empty() {
                continue;
            }
            let endpoints = approved_vault_endpoints(cx, kv);
            if endpoints.is_empty() {
                continue;
            }
            let ips: Vec<&str> = acls.ip_rules.iter().map(|r| r.value.as_str()).collect();
            let subnets: Vec<&str> = acls
                .virtual_network_rules
                .iter()
                .map(|r| r.id.as_str())
                .collect();
            let (n, rg) = (kv.display_name(), rg_of(&kv.id));
            let mut cmds: Vec<String> = ips
                .iter()
                .map(|ip| format!("az keyvault network-rule remove --name {n} --resource-group {rg} --ip-address {ip}"))
                .collect();
            cmds.extend(subnets.iter().map(|s| {
                format!(
                    "az keyvault network-rule remove --name {n} --resource-group {rg} --subnet {s}"
                )
            }));
            let message = format!(
                "Key Vault {n} uses private endpoint(s) but its firewall still admits {} IP range(s) and {} subnet(s) from before ({}), keeping those public paths open.",
                ips.len(),
                subnets.len(),
                ips.iter()
                    .copied()
                    .chain(subnets.iter().map(|s| crate::azure::id::last_name(s)))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            out.finding(
                &kv.id,
                "leftover-network-rules",
                message,
                json!({
                    "vault": kv.id,
                    "approved_private_endpoints": endpoints.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
                    "ip_rules": ips,
                    "virtual_network_rules": subnets,
                    "network": net.evidence(),
                }),
                format!(
                    "Once all clients use the private endpoint, remove the rules: {}",
                    cmds.join(" && ")
                ),
            );
        }
    }
}
