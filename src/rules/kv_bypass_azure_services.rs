//! KVT104 — a Key Vault firewall that lets trusted Azure services bypass it.

use serde_json::json;

use super::support_pe::{VaultNetwork, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct KvBypassAzureServices;
pub static RULE: KvBypassAzureServices = KvBypassAzureServices;

static META: RuleMeta = RuleMeta {
    code: "KVT104",
    name: "kv-bypass-azure-services",
    title: "Key Vault firewall lets trusted Azure services bypass it",
    severity: Severity::Info,
    inputs: &[ResourceKind::KeyVault],
    shown_inputs: &[],
    what: "A Key Vault whose network is restricted (networkAcls.defaultAction Deny, or publicNetworkAccess \
Disabled) while networkAcls.bypass is AzureServices — which is also the value when bypass or networkAcls is \
absent. Informational: often intended, but it should be a decision.",
    why: "With bypass AzureServices, Microsoft's trusted services (for example Azure Backup, Disk \
Encryption, App Service, Azure Resource Manager template deployment) reach the vault regardless of the \
firewall, even with public network access disabled: resources of those services registered in your \
subscription, resources by managed identity, and across tenants through a federated identity credential. \
Authorization still applies, but the network boundary no longer does. (With publicNetworkAccess \
SecuredByPerimeter trusted access is disabled: only the perimeter's rules admit traffic, so such a vault is \
not reported.)",
    fix: "If no trusted service needs the vault, turn the bypass off.\n\
Portal: Key vault → Networking → Firewalls and virtual networks → untick \"Allow trusted Microsoft services to \
bypass this firewall\" → Apply.\n\
az keyvault update --name <vault> --resource-group <rg> --bypass None",
    example: r#"{"vault": ".../vaults/kv-ops-contoso", "network": {"default_action": "Deny", "bypass": "AzureServices", "bypass_effective": "AzureServices"}}"#,
    references: &[
        "https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints",
        "https://learn.microsoft.com/azure/key-vault/general/network-security",
        "https://learn.microsoft.com/azure/private-link/network-security-perimeter-transition",
    ],
};

impl Rule for KvBypassAzureServices {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for kv in &cx.inv.key_vaults {
            let net = VaultNetwork::of(kv);
            // Under a Network Security Perimeter (SecuredByPerimeter) trusted access is disabled: the
            // bypass is inert (Microsoft: network-security-perimeter-transition).
            if !(net.firewall_on || net.public_disabled)
                || !net.bypass_azure_services
                || net.secured_by_perimeter
            {
                continue;
            }
            let message = format!(
                "Key Vault {} restricts network access but lets trusted Azure services bypass the firewall (bypass {}).",
                kv.display_name(),
                if net.bypass.is_null() {
                    "absent, i.e. AzureServices"
                } else {
                    "AzureServices"
                },
            );
            out.finding(
                &kv.id,
                "bypass-azure-services",
                message,
                json!({"vault": kv.id, "network": net.evidence()}),
                format!(
                    "If no trusted Microsoft service needs this vault: az keyvault update --name {} --resource-group {} --bypass None",
                    kv.display_name(),
                    rg_of(&kv.id)
                ),
            );
        }
    }
}
