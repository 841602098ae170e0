//! KVT107 — a Key Vault reached through a private endpoint that sends no audit log to a workspace.

use serde_json::json;

use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::same_id;
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::keyvault::KeyVault;
use crate::inventory::network::ConnectionStatus;

pub struct KvPrivateEndpointNoAuditLog;
pub static RULE: KvPrivateEndpointNoAuditLog = KvPrivateEndpointNoAuditLog;

static META: RuleMeta = RuleMeta {
    code: "KVT107",
    name: "kv-private-endpoint-no-audit-log",
    title: "Key Vault behind a private endpoint sends no AuditEvent log to a Log Analytics workspace",
    severity: Severity::Medium,
    inputs: &[
        ResourceKind::KeyVault,
        ResourceKind::DiagnosticSetting,
        ResourceKind::PrivateEndpoint,
    ],
    shown_inputs: &[],
    what: "A Key Vault with an approved private endpoint and no enabled diagnostic setting that sends the \
AuditEvent category (by name, or through the allLogs or audit category groups) to a Log Analytics workspace. \
When AuditEvent goes only to an Event Hub, a storage account or a partner solution, the log exists and is \
exported: the finding is low, names the destination (`audit_exported_to`), and only asks for a workspace \
where the KQL can run.",
    why: "NSG flow logs do not record traffic to private endpoints, so once clients reach a vault privately the \
only record of who connected, from which address, and what they did is the vault's own AuditEvent log. \
Without it in a workspace nobody can answer whether an application reaches the vault, nor investigate a \
secret read after the fact. A diagnostic setting may name the category or a group; both count.",
    fix: "Add a diagnostic setting that sends the audit category group (or AuditEvent) to a Log Analytics \
workspace.\n\
Portal: Key vault → Monitoring → Diagnostic settings → Add diagnostic setting → audit → Send to Log \
Analytics workspace.\n\
az monitor diagnostic-settings create --name audit-to-law --resource <vault-id> --workspace <workspace-id> \
--logs '[{\"categoryGroup\":\"audit\",\"enabled\":true}]'",
    example: r#"{"key_vault": ".../vaults/kv-data-contoso", "private_endpoints": [".../privateEndpoints/pe-kv-data"], "diagnostic_settings": [], "kql": "AzureDiagnostics | where ResourceProvider == \"MICROSOFT.KEYVAULT\" | where ResourceId contains \"KV-DATA-CONTOSO\" | project TimeGenerated, CallerIPAddress, OperationName, requestUri_s, ResultType, identity_claim_xms_mirid_s"}"#,
    references: &[
        "https://learn.microsoft.com/azure/key-vault/general/logging",
        "https://learn.microsoft.com/azure/key-vault/general/private-link-diagnostics",
        "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings",
    ],
};

/// The KQL that shows who connected to a vault (caller address, operation, result, caller identity).
pub fn audit_query(vault_name: &str) -> String {
    format!(
        "AzureDiagnostics | where ResourceProvider == \"MICROSOFT.KEYVAULT\" | where ResourceId contains \"{}\" | project TimeGenerated, CallerIPAddress, OperationName, requestUri_s, ResultType, identity_claim_xms_mirid_s",
        vault_name.to_ascii_uppercase()
    )
}

/// Approved private endpoints of a vault: from its own connection list and from endpoints targeting it.
fn approved_endpoints(cx: &Context<'_>, vault: &KeyVault) -> Vec<String> {
    let mut out: Vec<String> = vault
        .properties
        .private_endpoint_connections
        .iter()
        .filter(|c| {
            matches!(
                c.properties
                    .private_link_service_connection_state
                    .as_ref()
                    .and_then(|s| s.status.as_ref()),
                Some(ConnectionStatus::Approved)
            )
        })
        .filter_map(|c| c.properties.private_endpoint.as_ref().map(|p| p.id.clone()))
        .collect();
    for pe in cx.idx.endpoints_targeting(&vault.id) {
        if pe
            .connections()
            .any(|c| c.is_approved() && same_id(c.target(), &vault.id))
            && !out.iter().any(|o| same_id(o, &pe.id))
        {
            out.push(pe.id.clone());
        }
    }
    out
}

impl Rule for KvPrivateEndpointNoAuditLog {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for vault in &cx.inv.key_vaults {
            let endpoints = approved_endpoints(cx, vault);
            if endpoints.is_empty() {
                continue;
            }
            // Unread diagnostic settings (of this vault or its subscription) make the finding "not
            // evaluated" in the engine: its evidence cites the vault.
            let settings = cx.idx.diagnostic_settings_of(&vault.id);
            let sends_audit = |d: &crate::inventory::monitor::DiagnosticSetting| {
                d.properties.logs.iter().any(|l| {
                    l.enabled.unwrap_or(false)
                        && (l
                            .category
                            .as_deref()
                            .is_some_and(|c| c.eq_ignore_ascii_case("AuditEvent"))
                            || l.category_group.as_deref().is_some_and(|g| {
                                g.eq_ignore_ascii_case("allLogs") || g.eq_ignore_ascii_case("audit")
                            }))
                })
            };
            if settings
                .iter()
                .any(|d| sends_audit(d) && d.workspace().is_some())
            {
                continue;
            }
            // AuditEvent exported to an Event Hub or a storage account is kept, only not where the
            // KQL runs: a low finding naming the destination, not "nobody can tell".
            let exported: Vec<(String, &str)> = settings
                .iter()
                .filter(|d| sends_audit(d))
                .flat_map(|d| {
                    let p = &d.properties;
                    let mut to = Vec::new();
                    if let Some(e) = p.event_hub_authorization_rule_id.as_deref() {
                        to.push((e.to_string(), "Event Hub"));
                    }
                    if let Some(s) = p.storage_account_id.as_deref() {
                        to.push((s.to_string(), "storage account"));
                    }
                    if let Some(m) = p.marketplace_partner_id.as_deref() {
                        to.push((m.to_string(), "partner solution"));
                    }
                    to
                })
                .filter(|(id, _)| !id.is_empty())
                .collect();
            let name = vault.display_name();
            let kql = audit_query(name);
            let why = if settings.is_empty() {
                "it has no diagnostic setting".to_string()
            } else {
                format!(
                    "none of its {} diagnostic setting(s) sends AuditEvent (or the allLogs/audit groups) to a Log Analytics workspace",
                    settings.len()
                )
            };
            let message = if exported.is_empty() {
                format!(
                    "Key Vault {name} is reached through {} private endpoint(s) but {why}: NSG flow logs do not see private-endpoint traffic, so nobody can tell who connected.",
                    endpoints.len()
                )
            } else {
                format!(
                    "Key Vault {name} is reached through {} private endpoint(s); its AuditEvent log is exported to {}, but to no Log Analytics workspace, so who connected can be read there but not queried with KQL.",
                    endpoints.len(),
                    exported
                        .iter()
                        .map(|(id, kind)| format!("{kind} {}", crate::azure::id::last_name(id)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let evidence = json!({
                "key_vault": vault.id,
                "private_endpoints": endpoints,
                "diagnostic_settings": settings.iter().map(|d| json!({
                    "id": d.id,
                    "workspace": d.workspace(),
                    "event_hub_authorization_rule": d.properties.event_hub_authorization_rule_id,
                    "storage_account": d.properties.storage_account_id,
                    "logs": d.properties.logs.iter().map(|l| json!({"category": l.category, "category_group": l.category_group, "enabled": l.enabled})).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "kql": kql,
                "audit_exported_to": exported.iter().map(|(id, kind)| json!({"destination": id, "kind": kind})).collect::<Vec<_>>(),
            });
            let remediation = format!(
                "az monitor diagnostic-settings create --name audit-to-law --resource {} --workspace <workspace-id> --logs '[{{\"categoryGroup\":\"audit\",\"enabled\":true}}]'; then see who connects with: {kql}",
                vault.id
            );
            if exported.is_empty() {
                out.finding(&vault.id, "", message, evidence, remediation);
            } else {
                out.finding_with_severity(
                    Severity::Low,
                    &vault.id,
                    "",
                    message,
                    evidence,
                    remediation,
                );
            }
        }
    }
}
