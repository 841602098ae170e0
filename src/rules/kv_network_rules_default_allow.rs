//! KVT108 — a Key Vault whose firewall lists networks but lets every network in.

use serde_json::json;

use super::support_pe::{VaultNetwork, approved_vault_endpoints, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct KvNetworkRulesDefaultAllow;
pub static RULE: KvNetworkRulesDefaultAllow = KvNetworkRulesDefaultAllow;

static META: RuleMeta = RuleMeta {
    code: "KVT108",
    name: "kv-network-rules-default-allow",
    title: "Key Vault lists virtual network or IP rules but its firewall allows all networks",
    severity: Severity::Medium,
    inputs: &[ResourceKind::KeyVault, ResourceKind::PrivateEndpoint],
    shown_inputs: &[],
    what: "A Key Vault with virtualNetworkRules (subnets it trusts through their Microsoft.KeyVault \
service endpoint) or ipRules, whose networkAcls.defaultAction is Allow (or absent) while \
publicNetworkAccess is Enabled (absent means enabled; Disabled and SecuredByPerimeter are not public). \
Precedence: this rule takes such a vault instead of KVT102 (open to all networks), because the fix differs \
— the rules are already there and only the default action is wrong. A vault that also has an approved \
private endpoint stays KVT101's (public access should then be disabled altogether), so no vault is reported \
twice for being open.",
    why: "The firewall's default action applies when no rule matches; with Allow every request that no \
rule matches is let in, so the VNet and IP rules restrict nothing and the vault answers every network. This \
is the service-endpoint trap: the subnet has Microsoft.KeyVault, the vault lists the subnet, and the team \
believes the vault is reachable only from it, while the portal shows \"Allow public access from all \
networks\".",
    fix: "Keep the rules and switch the default action to Deny (check first that every client's subnet or \
address is listed).\n\
Portal: Key vault → Networking → Firewalls and virtual networks → Allow public access from specific virtual \
networks and IP addresses → Apply.\n\
az keyvault update --name <vault> --resource-group <rg> --default-action Deny",
    example: r#"{"vault": ".../vaults/kv-apps-contoso", "virtual_network_rules": [".../virtualNetworks/vnet-spoke-app/subnets/snet-app"], "ip_rules": [], "network": {"public_network_access": "Enabled", "default_action": "Allow", "default_action_effective": "Allow"}}"#,
    references: &[
        "https://learn.microsoft.com/azure/key-vault/general/network-security",
        "https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints",
        "https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults",
    ],
};

impl Rule for KvNetworkRulesDefaultAllow {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for kv in &cx.inv.key_vaults {
            let net = VaultNetwork::of(kv);
            if !net.open_to_internet() {
                continue;
            }
            let Some(acls) = kv.properties.network_acls.as_ref() else {
                continue; // no rules at all: KVT102
            };
            let subnets: Vec<&str> = acls
                .virtual_network_rules
                .iter()
                .map(|r| r.id.as_str())
                .filter(|id| !id.is_empty())
                .collect();
            let ips: Vec<&str> = acls
                .ip_rules
                .iter()
                .map(|r| r.value.as_str())
                .filter(|v| !v.is_empty())
                .collect();
            if subnets.is_empty() && ips.is_empty() {
                continue; // KVT102
            }
            if !approved_vault_endpoints(cx, kv).is_empty() {
                continue; // KVT101
            }
            let mut listed = Vec::new();
            if !subnets.is_empty() {
                listed.push(format!("{} virtual network rule(s)", subnets.len()));
            }
            if !ips.is_empty() {
                listed.push(format!("{} IP rule(s)", ips.len()));
            }
            let message = format!(
                "Key Vault {} lists {} but its firewall's default action is {}, so the rules restrict nothing and the vault accepts requests from all networks.",
                kv.display_name(),
                listed.join(" and "),
                if acls.default_action.is_some() {
                    "Allow"
                } else {
                    "unset (Allow)"
                },
            );
            out.finding(
                &kv.id,
                "rules-with-default-allow",
                message,
                json!({
                    "vault": kv.id,
                    "virtual_network_rules": subnets,
                    "ip_rules": ips,
                    "network": net.evidence(),
                }),
                format!(
                    "After checking that every client's subnet or address is listed: az keyvault update --name {} --resource-group {} --default-action Deny",
                    kv.display_name(),
                    rg_of(&kv.id)
                ),
            );
        }
    }
}
