//! KVT107 — a Key Vault reached through a private endpoint with no audit log in a workspace.

use serde_json::json;

use super::support::{approved_vault_endpoints, describe_gap, gap_for, sub_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::arm::id::same_id;
use crate::inventory::ResourceKind;
use crate::inventory::monitor::DiagnosticSetting;
use crate::report::Severity;

pub struct KvPrivateEndpointNoAuditLog;
pub static RULE: KvPrivateEndpointNoAuditLog = KvPrivateEndpointNoAuditLog;

static META: RuleMeta = RuleMeta {
    code: "KVT107",
    name: "kv-private-endpoint-no-audit-log",
    title: "Key Vault with a private endpoint sends no audit log to Log Analytics",
    severity: Severity::Medium,
    inputs: &[
        ResourceKind::KeyVault,
        ResourceKind::PrivateEndpoint,
        ResourceKind::DiagnosticSetting,
    ],
    what: "A Key Vault with an approved private endpoint and no diagnostic setting that sends audit logs \
(category AuditEvent, or category group allLogs or audit, enabled) to a Log Analytics workspace (workspaceId \
non-empty). Not evaluated when diagnostic settings could not be collected for the vault's subscription.",
    why: "NSG flow logs do not record traffic to private endpoints, so once clients use the private \
endpoint the only record of who connected, from which address and with which identity is the vault's own \
audit log. Without it in a workspace nobody can answer \"who read this secret\" or confirm that the private \
path is used (CallerIPAddress shows the private client addresses).",
    fix: "Add a diagnostic setting sending the audit category group to the central workspace.\n\
Portal: Key vault → Monitoring → Diagnostic settings → Add diagnostic setting → tick audit (or AuditEvent) → \
Send to Log Analytics workspace → Save.\n\
az monitor diagnostic-settings create --name kv-audit --resource <vault-id> --workspace <workspace-id> --logs '[{\"categoryGroup\":\"audit\",\"enabled\":true}]'",
    example: r#"{"vault": ".../vaults/kv-data-contoso", "approved_private_endpoints": [".../privateEndpoints/pe-kv-data"], "diagnostic_settings": [], "kql": "AzureDiagnostics | where ResourceProvider == \"MICROSOFT.KEYVAULT\" | where ResourceId contains \"KV-DATA-CONTOSO\" | project TimeGenerated, CallerIPAddress, OperationName, requestUri_s, ResultType, identity_claim_xms_mirid_s"}"#,
    references: &[
        "https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-keyvault-vaults-logs",
        "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings",
        "https://learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview",
    ],
};

/// Whether a diagnostic setting sends the vault's audit events to a Log Analytics workspace.
pub fn sends_audit_to_workspace(ds: &DiagnosticSetting) -> bool {
    ds.workspace().is_some()
        && ds.properties.logs.iter().any(|l| {
            l.enabled == Some(true)
                && (l
                    .category
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case("AuditEvent"))
                    || l.category_group.as_deref().is_some_and(|g| {
                        g.eq_ignore_ascii_case("allLogs") || g.eq_ignore_ascii_case("audit")
                    }))
        })
}

/// The KQL that shows who connected to a vault.
pub fn audit_kql(vault_name: &str) -> String {
    format!(
        "AzureDiagnostics | where ResourceProvider == \"MICROSOFT.KEYVAULT\" | where ResourceId contains \"{}\" | project TimeGenerated, CallerIPAddress, OperationName, requestUri_s, ResultType, identity_claim_xms_mirid_s",
        vault_name.to_ascii_uppercase()
    )
}

impl Rule for KvPrivateEndpointNoAuditLog {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for kv in &cx.inv.key_vaults {
            let endpoints = approved_vault_endpoints(cx, kv);
            if endpoints.is_empty() {
                continue;
            }
            let settings: Vec<&DiagnosticSetting> = cx
                .inv
                .diagnostic_settings
                .iter()
                .filter(|d| d.resource_id().is_some_and(|r| same_id(r, &kv.id)))
                .collect();
            if settings.iter().any(|d| sends_audit_to_workspace(d)) {
                continue;
            }
            if let Some(g) = gap_for(
                cx,
                ResourceKind::DiagnosticSetting,
                sub_of(&kv.id).as_deref(),
            ) {
                out.not_evaluated(
                    &kv.id,
                    format!(
                        "no audit diagnostic setting was found, but {}",
                        describe_gap(g)
                    ),
                );
                continue;
            }
            let kql = audit_kql(kv.display_name());
            let existing: Vec<_> = settings
                .iter()
                .map(|d| {
                    json!({
                        "id": d.id,
                        "workspace_id": d.workspace(),
                        "logs": d.properties.logs.iter().map(|l| json!({
                            "category": l.category, "category_group": l.category_group, "enabled": l.enabled
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let message = format!(
                "Key Vault {} is reached through private endpoint(s) but sends no audit log (AuditEvent) to a Log Analytics workspace, and NSG flow logs do not see private-endpoint traffic, so nobody can tell who connected.",
                kv.display_name()
            );
            let remediation = format!(
                "az monitor diagnostic-settings create --name kv-audit --resource {} --workspace <log-analytics-workspace-id> --logs '[{{\"categoryGroup\":\"audit\",\"enabled\":true}}]' — then query who connected: {kql}",
                kv.id
            );
            out.finding(
                &kv.id,
                "no-audit-log",
                message,
                json!({
                    "vault": kv.id,
                    "approved_private_endpoints": endpoints.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
                    "diagnostic_settings": existing,
                    "kql": kql,
                }),
                remediation,
            );
        }
    }
}
