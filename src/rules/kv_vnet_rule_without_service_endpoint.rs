//! KVT105 — a Key Vault VNet rule for a subnet that lacks the Microsoft.KeyVault service endpoint.

use serde_json::json;

use super::support_pe::rg_of;
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::id_key;
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::Subnet;

pub struct KvVnetRuleWithoutServiceEndpoint;
pub static RULE: KvVnetRuleWithoutServiceEndpoint = KvVnetRuleWithoutServiceEndpoint;

static META: RuleMeta = RuleMeta {
    code: "KVT105",
    name: "kv-vnet-rule-without-service-endpoint",
    title: "Key Vault VNet rule names a subnet without the Microsoft.KeyVault service endpoint",
    severity: Severity::Medium,
    inputs: &[ResourceKind::KeyVault, ResourceKind::VirtualNetwork],
    shown_inputs: &[],
    what: "A networkAcls.virtualNetworkRules entry whose subnet (matched case-insensitively: Key Vault \
returns lower-cased ids) has no Microsoft.KeyVault service endpoint (or only a failed one). Medium; low when \
the rule was saved deliberately with ignoreMissingVnetServiceEndpoint, which lets the rule exist but does not \
make it match anything. Not evaluated when the subnet is not in the inventory.",
    why: "A VNet rule matches only traffic that arrives over the subnet's Microsoft.KeyVault service \
endpoint, i.e. with the subnet's private source address. Without the service endpoint, clients in the subnet \
reach the vault from their public (SNAT) address, the rule never matches, and with default action Deny they \
are refused (403 ForbiddenByFirewall) — or, if something else admits them, the rule is dead configuration that \
suggests an access path that does not exist.",
    fix: "Enable the service endpoint on the subnet (keeping its other service endpoints), or remove the \
rule if the subnet no longer needs the vault.\n\
Portal: Virtual network → Subnets → <subnet> → Service endpoints → add Microsoft.KeyVault → Save.\n\
az network vnet subnet update --ids <subnet-id> --service-endpoints Microsoft.KeyVault\n\
az keyvault network-rule remove --name <vault> --resource-group <rg> --subnet <subnet-id>",
    example: r#"{"vault": ".../vaults/kv-ops-contoso", "rule_subnet_id": "/subscriptions/…/resourcegroups/rg-app/providers/microsoft.network/virtualnetworks/vnet-spoke-app/subnets/snet-app", "subnet": ".../virtualNetworks/vnet-spoke-app/subnets/snet-app", "service_endpoints": [], "ignore_missing_vnet_service_endpoint": false, "default_action": "Deny"}"#,
    references: &[
        "https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints",
        "https://learn.microsoft.com/azure/virtual-network/virtual-network-service-endpoints-overview",
    ],
};

/// Whether a subnet has a working Microsoft.KeyVault service endpoint.
pub fn has_kv_service_endpoint(subnet: &Subnet) -> bool {
    subnet.properties.service_endpoints.iter().any(|se| {
        se.service.eq_ignore_ascii_case("Microsoft.KeyVault")
            && !se
                .provisioning_state
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("Failed"))
    })
}

impl Rule for KvVnetRuleWithoutServiceEndpoint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for kv in &cx.inv.key_vaults {
            let Some(acls) = kv.properties.network_acls.as_ref() else {
                continue;
            };
            for rule in &acls.virtual_network_rules {
                if rule.id.trim().is_empty() {
                    continue;
                }
                let Some((subnet, vnet)) = cx.idx.subnet(&rule.id) else {
                    out.not_evaluated(
                        &kv.id,
                        format!(
                            "its VNet rule names subnet {}, which is not in the inventory",
                            rule.id
                        ),
                    );
                    continue;
                };
                if has_kv_service_endpoint(subnet) {
                    continue;
                }
                let ignore = rule.ignore_missing_vnet_service_endpoint == Some(true);
                let services: Vec<&str> = subnet
                    .properties
                    .service_endpoints
                    .iter()
                    .map(|s| s.service.as_str())
                    .collect();
                let mut wanted: Vec<&str> = services.clone();
                wanted.push("Microsoft.KeyVault");
                let message = format!(
                    "Key Vault {} admits subnet {}/{} by VNet rule, but the subnet has no Microsoft.KeyVault service endpoint{}, so the rule matches no traffic.",
                    kv.display_name(),
                    vnet.display_name(),
                    subnet.display_name(),
                    if ignore {
                        " (rule saved with ignoreMissingVnetServiceEndpoint)"
                    } else {
                        ""
                    },
                );
                let remediation = format!(
                    "Enable the service endpoint (keeping the existing ones): az network vnet subnet update --ids {} --service-endpoints {} — or drop the rule: az keyvault network-rule remove --name {} --resource-group {} --subnet {}",
                    subnet.id,
                    wanted.join(" "),
                    kv.display_name(),
                    rg_of(&kv.id),
                    rule.id,
                );
                let evidence = json!({
                    "vault": kv.id,
                    "rule_subnet_id": rule.id,
                    "subnet": subnet.id,
                    "virtual_network": vnet.id,
                    "service_endpoints": services,
                    "ignore_missing_vnet_service_endpoint": rule.ignore_missing_vnet_service_endpoint,
                    "default_action": acls.default_action.as_ref().map(|d| d.to_string()),
                });
                let key = id_key(&rule.id);
                if ignore {
                    out.finding_with_severity(
                        Severity::Low,
                        &kv.id,
                        &key,
                        message,
                        evidence,
                        remediation,
                    );
                } else {
                    out.finding(&kv.id, &key, message, evidence, remediation);
                }
            }
        }
    }
}
