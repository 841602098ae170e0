//! BAK101 — a Recovery Services vault without multi-user authorisation (no Resource Guard mapping) or
//! with soft delete disabled.

use serde_json::json;

use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::id_key;
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct RsvWithoutResourceGuard;
pub static RULE: RsvWithoutResourceGuard = RsvWithoutResourceGuard;

static META: RuleMeta = RuleMeta {
    code: "BAK101",
    name: "rsv-without-resource-guard",
    title: "Recovery Services vault without a Resource Guard, or with soft delete disabled",
    severity: Severity::Medium,
    inputs: &[
        ResourceKind::RecoveryServicesVault,
        ResourceKind::ResourceGuardProxy,
    ],
    shown_inputs: &[],
    what: "A Recovery Services vault with no Resource Guard mapping (backupResourceGuardProxies), so no \
multi-user authorisation protects its critical operations, or whose soft delete state is Disabled.",
    why: "A Recovery Services vault must live in the subscription of the VMs it protects, so the backups share \
one authorisation boundary with the workloads: an attacker with Owner on that subscription can disable soft \
delete and delete the backups before encrypting the data. A Resource Guard, owned by another team and \
possibly in another subscription or tenant, adds multi-user authorisation to critical operations such as \
disabling soft delete, reducing retention or stopping protection with data deletion. Soft delete keeps \
deleted backup data recoverable for 14 days or more.",
    fix: "Create a Resource Guard in a subscription the vault admins do not control and map the vault to it; \
enable soft delete (preferably always-on).\n\
Portal: Recovery Services vault → Properties → Multi-User Authorization → Update → select the Resource Guard; \
Properties → Security settings → Soft delete.\n\
az backup vault resource-guard-mapping update --resource-group <rg> --name <vault> --resource-guard-id <guard-id>\n\
az backup vault backup-properties set --resource-group <rg> --name <vault> --soft-delete-feature-state AlwaysON",
    example: r#"{"vault": ".../vaults/rsv-workloads", "soft_delete_state": "Enabled", "multi_user_authorization": "Disabled", "resource_guard_proxies": [], "problems": ["no Resource Guard mapping: critical operations need no second approver"]}"#,
    references: &[
        "https://learn.microsoft.com/azure/backup/multi-user-authorization-concept",
        "https://learn.microsoft.com/azure/backup/multi-user-authorization",
        "https://learn.microsoft.com/azure/backup/backup-azure-security-feature-cloud",
    ],
};

impl Rule for RsvWithoutResourceGuard {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for vault in &cx.inv.recovery_services_vaults {
            // Unread Resource Guard mappings (of this vault or its subscription) make the finding
            // "not evaluated" in the engine: it is on the vault.
            let vault_key = id_key(&vault.id);
            let proxies: Vec<_> = cx
                .inv
                .resource_guard_proxies
                .iter()
                .filter(|p| id_key(&p.id).starts_with(&format!("{vault_key}/")))
                .collect();
            let security = vault.properties.security_settings.as_ref();
            let soft_delete = security
                .and_then(|s| s.soft_delete_settings.as_ref())
                .and_then(|s| s.soft_delete_state.clone());
            let mua = security.and_then(|s| s.multi_user_authorization.clone());
            let mut problems = Vec::new();
            if proxies.is_empty() {
                problems.push(
                    "no Resource Guard mapping: critical operations need no second approver"
                        .to_string(),
                );
            }
            if soft_delete
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("Disabled"))
            {
                problems.push(
                    "soft delete is disabled: deleted backup data is gone at once".to_string(),
                );
            }
            if problems.is_empty() {
                continue;
            }
            let name = vault
                .name
                .as_deref()
                .unwrap_or_else(|| crate::azure::id::last_name(&vault.id));
            let severity = if problems.len() == 2 {
                Severity::High
            } else {
                Severity::Medium
            };
            let message = format!("Recovery Services vault {name}: {}.", problems.join("; "));
            let evidence = json!({
                "vault": vault.id,
                "soft_delete_state": soft_delete,
                "multi_user_authorization": mua,
                "resource_guard_proxies": proxies.iter().map(|p| json!({"id": p.id, "resource_guard": p.properties.resource_guard_resource_id})).collect::<Vec<_>>(),
                "problems": problems,
            });
            let rg = crate::azure::ResourceId::parse(&vault.id)
                .ok()
                .and_then(|r| r.resource_group().map(str::to_string))
                .unwrap_or_else(|| "<rg>".into());
            let remediation = format!(
                "az backup vault resource-guard-mapping update -g {rg} -n {name} --resource-guard-id <guard-id in another subscription>; az backup vault backup-properties set -g {rg} -n {name} --soft-delete-feature-state AlwaysON"
            );
            out.finding_with_severity(severity, &vault.id, "", message, evidence, remediation);
        }
    }
}
