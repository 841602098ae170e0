//! KVT101 — a Key Vault with an approved private endpoint that still answers the Internet.

use serde_json::json;

use super::support_pe::{VaultNetwork, approved_vault_endpoints, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct KvPrivateEndpointButPublic;
pub static RULE: KvPrivateEndpointButPublic = KvPrivateEndpointButPublic;

static META: RuleMeta = RuleMeta {
    code: "KVT101",
    name: "kv-private-endpoint-but-public",
    title: "Key Vault has a private endpoint but still accepts traffic from the Internet",
    severity: Severity::High,
    inputs: &[ResourceKind::KeyVault, ResourceKind::PrivateEndpoint],
    shown_inputs: &[],
    what: "A Key Vault with at least one approved private endpoint (from the vault's \
privateEndpointConnections or an endpoint in the inventory) whose publicNetworkAccess is Enabled (absent \
means enabled) and whose firewall is off: networkAcls.defaultAction Allow, or no networkAcls at all. publicNetworkAccess \
SecuredByPerimeter is not public: only a Network Security Perimeter's access rules admit public traffic (a \
vault in no perimeter is locked down), so such a vault is not reported.",
    why: "A private endpoint adds a private path; it removes no public access. Unless publicNetworkAccess \
is Disabled or the firewall's default action is Deny, the vault keeps answering requests from any Internet \
address — the move to private link gave a false sense of isolation. Microsoft's Key Vault private-link \
troubleshooting: \"the private links feature only gives access to your key vault in a Virtual Network … It \
does not remove any existing access.\"",
    fix: "Once every client uses the private endpoint, switch public access off.\n\
Portal: Key vault → Networking → Firewalls and virtual networks → Disable public access → Apply.\n\
az keyvault update --name <vault> --resource-group <rg> --public-network-access Disabled",
    example: r#"{"vault": ".../vaults/kv-data-contoso", "approved_private_endpoints": [{"id": ".../privateEndpoints/pe-kv-data", "seen_from": "vault"}], "network": {"public_network_access": "Enabled", "network_acls_present": false, "default_action": null, "default_action_effective": "Allow"}}"#,
    references: &[
        "https://learn.microsoft.com/azure/key-vault/general/private-link-diagnostics",
        "https://learn.microsoft.com/azure/key-vault/general/network-security",
        "https://learn.microsoft.com/azure/private-link/network-security-perimeter-transition",
    ],
};

impl Rule for KvPrivateEndpointButPublic {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for kv in &cx.inv.key_vaults {
            let net = VaultNetwork::of(kv);
            if !net.open_to_internet() {
                continue;
            }
            let endpoints = approved_vault_endpoints(cx, kv);
            if endpoints.is_empty() {
                continue; // KVT102
            }
            let names: Vec<&str> = endpoints
                .iter()
                .map(|e| crate::azure::id::last_name(&e.id))
                .collect();
            let message = format!(
                "Key Vault {} has approved private endpoint(s) {} but public network access is enabled with the firewall {}, so it still answers requests from the Internet.",
                kv.display_name(),
                names.join(", "),
                if net.has_network_acls {
                    "default action Allow"
                } else {
                    "unset (no networkAcls)"
                },
            );
            out.finding(
                &kv.id,
                "public-with-private-endpoint",
                message,
                json!({
                    "vault": kv.id,
                    "approved_private_endpoints": endpoints.iter().map(|e| json!({"id": e.id, "seen_from": e.seen_from})).collect::<Vec<_>>(),
                    "network": net.evidence(),
                }),
                format!(
                    "After checking that all clients use the private endpoint: az keyvault update --name {} --resource-group {} --public-network-access Disabled",
                    kv.display_name(),
                    rg_of(&kv.id)
                ),
            );
        }
    }
}
