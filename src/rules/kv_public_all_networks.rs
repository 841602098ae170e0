//! KVT102 — a Key Vault without a private endpoint that accepts traffic from all networks.

use serde_json::json;

use super::support_pe::{VaultNetwork, approved_vault_endpoints, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct KvPublicAllNetworks;
pub static RULE: KvPublicAllNetworks = KvPublicAllNetworks;

static META: RuleMeta = RuleMeta {
    code: "KVT102",
    name: "kv-public-all-networks",
    title: "Key Vault is reachable from all networks",
    severity: Severity::Medium,
    inputs: &[ResourceKind::KeyVault, ResourceKind::PrivateEndpoint],
    shown_inputs: &[],
    what: "A Key Vault with no approved private endpoint, publicNetworkAccess Enabled (absent means \
enabled) and no firewall (networkAcls.defaultAction Allow, or no networkAcls): \"Allow public access from all \
networks\". Microsoft's built-in policy \"Azure Key Vault should have firewall enabled or public network \
access disabled\" and Defender for Cloud's recommendation flag the same condition, which azaudit splits across \
KVT101 (vaults with a private endpoint), KVT102 and KVT108 (rules listed under default Allow). publicNetworkAccess \
SecuredByPerimeter is not public: the vault's Network Security Perimeter access rules decide public access. \
A vault that lists virtualNetworkRules or ipRules under default Allow is reported by KVT108 instead.",
    why: "Such a vault accepts data-plane requests from any Internet address; only authentication \
protects its secrets, keys and certificates. A leaked token or over-broad access policy is then exploitable \
from anywhere. Restricting the network (private endpoint, or firewall with selected networks) limits where \
requests can come from.",
    fix: "Give the vault a private endpoint and disable public access, or at least turn the firewall on \
with the networks that need access.\n\
Portal: Key vault → Networking → Firewalls and virtual networks → Allow public access from specific virtual \
networks and IP addresses (or Disable public access) → Apply.\n\
az keyvault update --name <vault> --resource-group <rg> --default-action Deny\n\
az keyvault network-rule add --name <vault> --resource-group <rg> --ip-address <office-cidr>",
    example: r#"{"vault": ".../vaults/kv-legacy-contoso", "approved_private_endpoints": [], "network": {"public_network_access": "Enabled", "default_action": "Allow", "bypass": "AzureServices"}}"#,
    references: &[
        "https://learn.microsoft.com/azure/key-vault/general/network-security",
        "https://learn.microsoft.com/azure/key-vault/general/private-link-service",
        "https://learn.microsoft.com/azure/private-link/network-security-perimeter-transition",
    ],
};

impl Rule for KvPublicAllNetworks {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for kv in &cx.inv.key_vaults {
            let net = VaultNetwork::of(kv);
            if !net.open_to_internet() || !approved_vault_endpoints(cx, kv).is_empty() {
                continue;
            }
            // A vault that lists VNet or IP rules under default Allow is KVT108's: the fix there is
            // the default action, not adding rules.
            if kv.properties.network_acls.as_ref().is_some_and(|a| {
                a.virtual_network_rules.iter().any(|r| !r.id.is_empty())
                    || a.ip_rules.iter().any(|r| !r.value.is_empty())
            }) {
                continue;
            }
            let message = format!(
                "Key Vault {} has no private endpoint and accepts requests from all networks (public access enabled, firewall {}).",
                kv.display_name(),
                if net.has_network_acls {
                    "default action Allow"
                } else {
                    "unset"
                },
            );
            out.finding(
                &kv.id,
                "public-all-networks",
                message,
                json!({
                    "vault": kv.id,
                    "approved_private_endpoints": [],
                    "network": net.evidence(),
                }),
                format!(
                    "Restrict the vault to the networks that need it, e.g.: az keyvault update --name {n} --resource-group {rg} --default-action Deny (then az keyvault network-rule add --name {n} --resource-group {rg} --ip-address <cidr> for each client range), or add a private endpoint and use --public-network-access Disabled",
                    n = kv.display_name(),
                    rg = rg_of(&kv.id)
                ),
            );
        }
    }
}
