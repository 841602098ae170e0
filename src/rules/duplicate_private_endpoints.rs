//! PEP102 — two or more private endpoints to the same target and group id in the same VNet.

use std::collections::BTreeMap;

use serde_json::json;

use super::support_pe::endpoint_vnet;
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::{id_key, last_name};
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::ConnectionStatus;

pub struct DuplicatePrivateEndpoints;
pub static RULE: DuplicatePrivateEndpoints = DuplicatePrivateEndpoints;

static META: RuleMeta = RuleMeta {
    code: "PEP102",
    name: "duplicate-private-endpoints",
    title: "Several private endpoints to the same resource and group in one VNet",
    severity: Severity::Medium,
    inputs: &[ResourceKind::PrivateEndpoint, ResourceKind::VirtualNetwork],
    // The endpoint addresses in the evidence may come from its NICs.
    shown_inputs: &[ResourceKind::NetworkInterface],
    what: "Two or more private endpoints in the same virtual network whose (Approved or Pending) \
connections point at the same target resource and group id (for example two endpoints to one Key Vault, \
group `vault`, in vnet-spoke-app). Rejected or Disconnected connections are left to PEP101.",
    why: "One private endpoint per target and group is enough for a whole VNet (and its peers). The \
private DNS zone holds one A record per name, so only one of the endpoint IPs is ever resolved; the other \
endpoint is unused, yet it is approved on the target, appears in its connection list, and is what someone \
debugs when the records and IPs disagree. Microsoft's Key Vault private-link guide: \"do not create multiple \
Private Endpoints for the same Key Vault in the same Virtual Network. This is not needed and is a source of \
confusion.\"",
    fix: "Keep the endpoint whose IP the private DNS A record holds, delete the others.\n\
Portal: Private endpoints → select the duplicate → Delete.\n\
az network private-endpoint delete --ids <duplicate-private-endpoint-id>",
    example: r#"{"target": ".../vaults/kv-app-contoso", "group_id": "vault", "virtual_network": ".../virtualNetworks/vnet-spoke-app", "endpoints": [{"private_endpoint": ".../privateEndpoints/pe-kv-app", "private_ip_addresses": ["10.1.2.4"], "status": "Approved"}, {"private_endpoint": ".../privateEndpoints/pe-kv-app-dup", "private_ip_addresses": ["10.1.2.7"], "status": "Approved"}]}"#,
    references: &[
        "https://learn.microsoft.com/azure/key-vault/general/private-link-diagnostics",
        "https://learn.microsoft.com/azure/private-link/private-endpoint-dns",
    ],
};

impl Rule for DuplicatePrivateEndpoints {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        // (vnet, target, group) → endpoints
        type Key = (String, String, String);
        let mut groups: BTreeMap<Key, Vec<serde_json::Value>> = BTreeMap::new();
        let mut names: BTreeMap<Key, (String, String, String)> = BTreeMap::new();
        for pe in &cx.inv.private_endpoints {
            let Ok(vnet) = endpoint_vnet(cx, pe) else {
                continue; // DNS101 and friends report endpoints whose subnet is unknown
            };
            for conn in pe.connections() {
                let live = matches!(
                    conn.status(),
                    Some(ConnectionStatus::Approved) | Some(ConnectionStatus::Pending)
                );
                if !live || conn.target().is_empty() {
                    continue;
                }
                for group in &conn.connection.properties.group_ids {
                    let key = (
                        id_key(&vnet.id),
                        id_key(conn.target()),
                        group.to_ascii_lowercase(),
                    );
                    names.entry(key.clone()).or_insert_with(|| {
                        (vnet.id.clone(), conn.target().to_string(), group.clone())
                    });
                    let list = groups.entry(key).or_default();
                    if !list
                        .iter()
                        .any(|e| e["private_endpoint"].as_str() == Some(pe.id.as_str()))
                    {
                        list.push(json!({
                            "private_endpoint": pe.id,
                            "private_ip_addresses": cx.idx.endpoint_ips(pe),
                            "status": conn.status().map(|s| s.to_string()),
                            "approval": if conn.manual { "manual" } else { "automatic" },
                        }));
                    }
                }
            }
        }
        for (key, mut endpoints) in groups {
            if endpoints.len() < 2 {
                continue;
            }
            endpoints.sort_by_key(|e| {
                e["private_endpoint"]
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase()
            });
            let (vnet_id, target, group) = &names[&key];
            let ep_names: Vec<&str> = endpoints
                .iter()
                .map(|e| last_name(e["private_endpoint"].as_str().unwrap_or_default()))
                .collect();
            let message = format!(
                "{} private endpoints ({}) connect {} (group {group}) from the same VNet {}; only one is needed and the private DNS record can point at only one of them.",
                endpoints.len(),
                ep_names.join(", "),
                last_name(target),
                last_name(vnet_id),
            );
            let deletes: Vec<String> = endpoints[1..]
                .iter()
                .map(|e| {
                    format!(
                        "az network private-endpoint delete --ids {}",
                        e["private_endpoint"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            let remediation = format!(
                "Keep the endpoint whose IP the private DNS A record for {} holds and delete the others, e.g.: {}",
                last_name(target),
                deletes.join(" ; ")
            );
            let endpoint_ids: Vec<String> = endpoints
                .iter()
                .filter_map(|e| e["private_endpoint"].as_str().map(str::to_string))
                .collect();
            let mut proof = out
                .finding(
                    target,
                    &format!("{}|{}", key.0, key.2),
                    message,
                    json!({
                        "target": target,
                        "group_id": group,
                        "virtual_network": vnet_id,
                        "endpoints": endpoints,
                    }),
                    remediation,
                )
                .related(vnet_id, "VNet holding the duplicates");
            for id in &endpoint_ids {
                proof = proof.related(id, "duplicate private endpoint");
            }
        }
    }
}
