//! KVT106 — a subnet with the Microsoft.KeyVault service endpoint that no vault firewall uses.

use serde_json::json;

use super::kv_vnet_rule_without_service_endpoint::has_kv_service_endpoint;
use super::support_pe::{VaultNetwork, describe_gap, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::{last_name, same_id};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct KvServiceEndpointRestrictsNothing;
pub static RULE: KvServiceEndpointRestrictsNothing = KvServiceEndpointRestrictsNothing;

static META: RuleMeta = RuleMeta {
    code: "KVT106",
    name: "kv-service-endpoint-restricts-nothing",
    title: "Microsoft.KeyVault service endpoint that no vault firewall uses",
    severity: Severity::Low,
    inputs: &[ResourceKind::VirtualNetwork, ResourceKind::KeyVault],
    shown_inputs: &[],
    what: "A subnet with the Microsoft.KeyVault service endpoint while no Key Vault in the inventory \
restricts access with it (no vault has defaultAction Deny and a virtualNetworkRules entry for this subnet); \
the vaults keep defaultAction Allow or list other subnets. Not evaluated when Key Vaults could not be fully \
collected (a vault we could not read may use it). A vault's VNet rule can name a subnet of another \
subscription: unless every subscription of the tenant was scanned, a vault outside the scan may use the \
endpoint, and the finding drops to info and says so in its message and evidence (`vaults_outside_scan`).",
    why: "Service endpoints change the source address clients in the subnet use towards Key Vault (their \
private address instead of a public one) but do not change DNS and restrict nothing by themselves. Unless a \
vault firewall has default action Deny and a VNet rule for the subnet, the endpoint gives a false impression \
of isolation, and it silently bypasses any IP rule that admitted the subnet's public address.",
    fix: "Either make a vault use it (firewall on, VNet rule for the subnet) or remove the service \
endpoint; prefer private endpoints for new designs.\n\
Portal: Key vault → Networking → Allow public access from specific virtual networks → Add existing virtual \
network → the subnet; or Virtual network → Subnets → <subnet> → Service endpoints → remove Microsoft.KeyVault.\n\
az keyvault network-rule add --name <vault> --resource-group <rg> --subnet <subnet-id>\n\
az keyvault update --name <vault> --resource-group <rg> --default-action Deny",
    example: r#"{"subnet": ".../virtualNetworks/vnet-spoke-data/subnets/snet-data", "service_endpoint": "Microsoft.KeyVault", "vaults_allow_all": [".../vaults/kv-data-contoso", ".../vaults/kv-legacy-contoso"], "vaults_restricting_other_subnets": [".../vaults/kv-ops-contoso"]}"#,
    references: &[
        "https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints",
        "https://learn.microsoft.com/azure/virtual-network/virtual-network-service-endpoints-overview",
    ],
};

impl Rule for KvServiceEndpointRestrictsNothing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let kv_gap = cx
            .coverage
            .gaps
            .iter()
            .find(|g| g.touches_kind(ResourceKind::KeyVault));
        // A vault's VNet rule may name a subnet of any subscription: vaults outside the scan may use
        // this service endpoint, which lowers the verdict to info and is said in message and evidence.
        let outside = cx.outside_scope();
        for (subnet, vnet) in cx.idx.all_subnets() {
            if !has_kv_service_endpoint(subnet) {
                continue;
            }
            let mut open = Vec::new();
            let mut others = Vec::new();
            let mut used_by = Vec::new();
            for kv in &cx.inv.key_vaults {
                let net = VaultNetwork::of(kv);
                let lists_subnet = kv.properties.network_acls.as_ref().is_some_and(|a| {
                    a.virtual_network_rules
                        .iter()
                        .any(|r| same_id(&r.id, &subnet.id))
                });
                if net.firewall_on && lists_subnet {
                    used_by.push(kv.id.clone());
                } else if net.firewall_on || net.public_disabled {
                    others.push(kv.id.clone());
                } else {
                    open.push(kv.id.clone());
                }
            }
            if !used_by.is_empty() {
                continue;
            }
            if let Some(g) = kv_gap {
                out.not_evaluated(
                    &subnet.id,
                    format!(
                        "no scanned vault uses its Microsoft.KeyVault service endpoint, but {}",
                        describe_gap(g)
                    ),
                );
                continue;
            }
            let message = match &outside {
                None => format!(
                    "Subnet {}/{} has the Microsoft.KeyVault service endpoint, but no Key Vault firewall uses it ({} vault(s) still allow all networks), so it restricts nothing.",
                    vnet.display_name(),
                    subnet.display_name(),
                    open.len(),
                ),
                Some(why) => format!(
                    "Subnet {}/{} has the Microsoft.KeyVault service endpoint, but no scanned Key Vault firewall uses it ({} scanned vault(s) still allow all networks); a vault outside the scan may use it ({why}), so confirm before removing it.",
                    vnet.display_name(),
                    subnet.display_name(),
                    open.len(),
                ),
            };
            let remediation = match open.first() {
                Some(v) => format!(
                    "Restrict the vault(s) this subnet uses to it, e.g.: az keyvault network-rule add --name {n} --resource-group {rg} --subnet {s} && az keyvault update --name {n} --resource-group {rg} --default-action Deny — or remove the service endpoint: az network vnet subnet update --ids {s} --service-endpoints \"\"",
                    n = last_name(v),
                    rg = rg_of(v),
                    s = subnet.id,
                ),
                None => format!(
                    "Remove the unused service endpoint: az network vnet subnet update --ids {} --service-endpoints \"\"",
                    subnet.id
                ),
            };
            let evidence = json!({
                "subnet": subnet.id,
                "virtual_network": vnet.id,
                "service_endpoint": "Microsoft.KeyVault",
                "vaults_allow_all": open,
                "vaults_restricting_other_subnets": others,
                "vaults_outside_scan": match &outside {
                    None => json!("none: every subscription of the tenant was scanned"),
                    Some(why) => json!(format!("possible, unverified: {why}")),
                },
            });
            let severity = if outside.is_some() {
                Severity::Info
            } else {
                META.severity
            };
            out.finding_with_severity(
                severity,
                &subnet.id,
                "Microsoft.KeyVault",
                message,
                evidence,
                remediation,
            );
        }
    }
}
