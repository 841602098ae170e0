//! PEP101 — a private endpoint connection that is not Approved/Succeeded, so it carries no traffic.

use serde_json::json;

use super::support_pe::{provisioning_failed, rg_of, status_is_dead, target_type};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::{id_key, last_name, same_id};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct PeConnectionNotEffective;
pub static RULE: PeConnectionNotEffective = PeConnectionNotEffective;

static META: RuleMeta = RuleMeta {
    code: "PEP101",
    name: "pe-connection-not-effective",
    title: "Private endpoint connection is not approved or failed to provision",
    severity: Severity::Medium,
    inputs: &[ResourceKind::PrivateEndpoint, ResourceKind::KeyVault],
    // The endpoint addresses in the evidence may come from its NICs.
    shown_inputs: &[ResourceKind::NetworkInterface],
    what: "A private endpoint connection whose state is Pending, Rejected or Disconnected (or another \
non-Approved value), or whose provisioning state is Failed. Connections are read from the endpoint \
(automatic and manual connections) and, for endpoints that are not in the inventory (another tenant or an \
unscanned subscription), from the Key Vault's privateEndpointConnections. An endpoint in the inventory is \
reported once, from its own side, so the same connection is never reported twice.",
    why: "A private endpoint only carries traffic once its connection is Approved and provisioned \
(Succeeded). Pending connections wait for the target's owner to approve them (manual approval path); \
Rejected, Disconnected or Failed connections do nothing at all and must be recreated. Meanwhile the NIC and \
its IP exist and look healthy, DNS records may point at them, and clients fail or fall back to the public \
endpoint. Microsoft's Key Vault private-link troubleshooting starts with exactly this check and recommends \
deleting ineffective connections.",
    fix: "Pending: the target's owner approves the connection. Portal: the target resource → Networking → \
Private endpoint connections → select → Approve.\n\
az network private-endpoint-connection approve --id <connection-id> --description \"approved\"\n\
Rejected / Disconnected / Failed: delete the endpoint and create it again.\n\
az network private-endpoint delete --ids <private-endpoint-id>",
    example: r#"{"private_endpoint": ".../privateEndpoints/pe-kv-legacy-pending", "seen_from": "private_endpoint", "connection": "pe-kv-legacy-pending", "approval": "manual", "target": ".../vaults/kv-legacy-contoso", "group_ids": ["vault"], "status": "Pending", "description": "Awaiting approval", "provisioning_state": "Succeeded", "private_ip_addresses": ["10.1.2.8"], "target_connection_id": ".../vaults/kv-legacy-contoso/privateEndpointConnections/pe-kv-legacy-pending.0792…"}"#,
    references: &["https://learn.microsoft.com/azure/key-vault/general/private-link-diagnostics"],
};

impl Rule for PeConnectionNotEffective {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        // From the endpoint: every connection, automatic and manual.
        for pe in &cx.inv.private_endpoints {
            for conn in pe.connections() {
                let p = &conn.connection.properties;
                let status = conn.status();
                let failed = provisioning_failed(p.provisioning_state.as_deref());
                if !status_is_dead(status) && !failed {
                    continue;
                }
                let target = conn.target();
                let target_name = last_name(target);
                let conn_name = conn
                    .connection
                    .name
                    .clone()
                    .unwrap_or_else(|| pe.display_name().to_string());
                // The matching connection on the target, when the target is a vault we read.
                let target_conn = cx
                    .inv
                    .key_vaults
                    .iter()
                    .filter(|kv| same_id(&kv.id, target))
                    .flat_map(|kv| kv.properties.private_endpoint_connections.iter())
                    .find(|c| {
                        c.properties
                            .private_endpoint
                            .as_ref()
                            .is_some_and(|e| same_id(&e.id, &pe.id))
                    });
                let status_text = status.map(|s| s.to_string()).unwrap_or("unknown".into());
                let state = if failed {
                    format!("provisioning Failed (status {status_text})")
                } else {
                    format!("status {status_text}")
                };
                let message = format!(
                    "Private endpoint {} → {target_name} ({} connection {conn_name}) is {state}, so it carries no traffic to {target_name}.",
                    pe.display_name(),
                    if conn.manual { "manual" } else { "automatic" },
                );
                let pending_only = !failed && matches!(status, Some(s) if s.as_str() == "Pending");
                let remediation = if pending_only {
                    match target_conn.and_then(|c| c.id.as_deref()) {
                        Some(id) => format!(
                            "Approve it if the request is expected (otherwise delete the endpoint): az network private-endpoint-connection approve --id {id} --description \"approved\""
                        ),
                        None => format!(
                            "Approve it if the request is expected (otherwise delete the endpoint): az network private-endpoint-connection approve --resource-group {} --resource-name {target_name} --type {} --name <connection-name> --description \"approved\"",
                            rg_of(target),
                            target_type(target),
                        ),
                    }
                } else {
                    format!(
                        "Delete the ineffective endpoint and create a new one if private access is still needed: az network private-endpoint delete --ids {}",
                        pe.id
                    )
                };
                let evidence = json!({
                    "private_endpoint": pe.id,
                    "seen_from": "private_endpoint",
                    "connection": conn_name,
                    "approval": if conn.manual { "manual" } else { "automatic" },
                    "target": target,
                    "group_ids": p.group_ids,
                    "status": status.map(|s| s.to_string()),
                    "description": p.private_link_service_connection_state.as_ref().and_then(|s| s.description.clone()),
                    "provisioning_state": p.provisioning_state,
                    "request_message": p.request_message,
                    "private_ip_addresses": cx.idx.endpoint_ips(pe),
                    "target_connection_id": target_conn.and_then(|c| c.id.clone()),
                });
                out.finding(
                    &pe.id,
                    &format!("{}|{}", conn_name.to_ascii_lowercase(), id_key(target)),
                    message,
                    evidence,
                    remediation,
                );
            }
        }
        // From the vault: only connections whose endpoint is not in the inventory (otherwise the
        // endpoint side above already reported it, or found it effective).
        for kv in &cx.inv.key_vaults {
            for c in &kv.properties.private_endpoint_connections {
                let Some(pe_id) = c
                    .properties
                    .private_endpoint
                    .as_ref()
                    .map(|e| e.id.as_str())
                    .filter(|s| !s.is_empty())
                else {
                    continue;
                };
                if cx.idx.private_endpoint(pe_id).is_some() {
                    continue;
                }
                let state = c.properties.private_link_service_connection_state.as_ref();
                let status = state.and_then(|s| s.status.as_ref());
                let failed = provisioning_failed(c.properties.provisioning_state.as_deref());
                if !status_is_dead(status) && !failed {
                    continue;
                }
                let status_text = status.map(|s| s.to_string()).unwrap_or("unknown".into());
                let conn_id = c.id.clone().unwrap_or_default();
                let message = format!(
                    "Key Vault {} lists a private endpoint connection from {} (not in the scanned inventory) that is {}, so it carries no traffic.",
                    kv.display_name(),
                    last_name(pe_id),
                    if failed {
                        format!("provisioning Failed (status {status_text})")
                    } else {
                        format!("status {status_text}")
                    }
                );
                let remediation = if !failed && status_text == "Pending" {
                    format!(
                        "Approve it if expected, otherwise reject it: az network private-endpoint-connection approve --id {conn_id} --description \"approved\""
                    )
                } else {
                    format!(
                        "Remove the dead connection from the vault: az network private-endpoint-connection delete --id {conn_id}"
                    )
                };
                out.finding(
                    &kv.id,
                    &id_key(pe_id),
                    message,
                    json!({
                        "vault": kv.id,
                        "seen_from": "vault",
                        "private_endpoint": pe_id,
                        "private_endpoint_in_inventory": false,
                        "connection_id": c.id,
                        "status": status.map(|s| s.to_string()),
                        "description": state.and_then(|s| s.description.clone()),
                        "provisioning_state": c.properties.provisioning_state,
                    }),
                    remediation,
                );
            }
        }
    }
}
