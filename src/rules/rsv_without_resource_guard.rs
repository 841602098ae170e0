//! BAK101 — a Recovery Services vault without a Resource Guard mapping, or with soft delete off.

use serde_json::json;

use super::support::{describe_gap, rg_of, sub_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::arm::id::{id_key, same_id};
use crate::inventory::ResourceKind;
use crate::report::Severity;

pub struct RsvWithoutResourceGuard;
pub static RULE: RsvWithoutResourceGuard = RsvWithoutResourceGuard;

static META: RuleMeta = RuleMeta {
    code: "BAK101",
    name: "rsv-without-resource-guard",
    title: "Recovery Services vault without Resource Guard, or with soft delete disabled",
    severity: Severity::Medium,
    inputs: &[
        ResourceKind::RecoveryServicesVault,
        ResourceKind::ResourceGuardProxy,
    ],
    what: "A Recovery Services vault with no Resource Guard mapping (no backupResourceGuardProxies entry \
whose id lies under the vault), or whose securitySettings.softDeleteSettings.softDeleteState is Disabled. \
The mapping check is not evaluated when Resource Guard mappings cannot be trusted: no mappings at all in the \
inventory while vaults exist and the collection reported a resource_guard_proxy gap, or a gap for the \
vault's own subscription.",
    why: "Without multi-user authorization (Resource Guard), whoever administers the vault can disable \
soft delete, reduce retention or stop protection and delete backup data alone — the same authorization \
boundary as the workloads it protects, which is what ransomware operators exploit. Resource Guard, ideally \
owned by another team in another subscription or tenant, makes those critical operations need a second \
approval. Soft delete keeps deleted backup data recoverable (14 days by default); disabling it removes that \
safety net.",
    fix: "Create a Resource Guard owned by a separate security team and associate the vault with it; \
keep soft delete enabled (ideally always-on).\n\
Portal: Recovery Services vault → Properties → Multi-User Authorization → Update → select the Resource Guard; \
Properties → Security settings → enable soft delete.\n\
az dataprotection resource-guard create --resource-group <guard-rg> --resource-guard-name <guard>\n\
az backup vault resource-guard-mapping update --resource-group <rg> --name <vault> --resource-guard-id <guard-id>\n\
az backup vault backup-properties set --resource-group <rg> --name <vault> --soft-delete-feature-state Enable",
    example: r#"{"vault": ".../Microsoft.RecoveryServices/vaults/rsv-app-contoso", "problem": "no-resource-guard", "resource_guard_proxies": [], "soft_delete_state": "Enabled", "multi_user_authorization": "Disabled"}"#,
    references: &[
        "https://learn.microsoft.com/azure/backup/multi-user-authorization-concept",
        "https://learn.microsoft.com/azure/backup/backup-azure-security-feature-cloud",
    ],
};

impl Rule for RsvWithoutResourceGuard {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let proxy_gaps: Vec<_> = cx
            .coverage
            .gaps
            .iter()
            .filter(|g| g.kind == ResourceKind::ResourceGuardProxy)
            .collect();
        let none_collected = cx.inv.resource_guard_proxies.is_empty();
        for vault in &cx.inv.recovery_services_vaults {
            let name = vault
                .name
                .clone()
                .unwrap_or_else(|| crate::arm::id::last_name(&vault.id).to_string());
            let rg = rg_of(&vault.id);
            let soft = vault
                .properties
                .security_settings
                .as_ref()
                .and_then(|s| s.soft_delete_settings.as_ref());
            let soft_state = soft.and_then(|s| s.soft_delete_state.clone());
            let mua = vault
                .properties
                .security_settings
                .as_ref()
                .and_then(|s| s.multi_user_authorization.clone());
            // Resource Guard mapping
            let prefix = format!("{}/", id_key(&vault.id));
            let proxies: Vec<_> = cx
                .inv
                .resource_guard_proxies
                .iter()
                .filter(|p| id_key(&p.id).starts_with(&prefix))
                .collect();
            if proxies.is_empty() {
                let vault_sub = sub_of(&vault.id);
                let blocking = proxy_gaps.iter().find(|g| {
                    none_collected
                        || match (&g.subscription_id, &vault_sub) {
                            (Some(gs), Some(vs)) => gs.eq_ignore_ascii_case(vs),
                            _ => g.scope.as_deref().is_some_and(|s| same_id(s, &vault.id)),
                        }
                });
                if let Some(g) = blocking {
                    out.not_evaluated(
                        &vault.id,
                        format!("its Resource Guard mapping is unknown: {}", describe_gap(g)),
                    );
                } else {
                    out.finding(
                        &vault.id,
                        "no-resource-guard",
                        format!(
                            "Recovery Services vault {name} has no Resource Guard mapping, so its own administrators can disable soft delete or delete backup data without a second approval."
                        ),
                        json!({
                            "vault": vault.id,
                            "problem": "no-resource-guard",
                            "resource_guard_proxies": [],
                            "soft_delete_state": soft_state,
                            "multi_user_authorization": mua,
                        }),
                        format!(
                            "Associate a Resource Guard owned by a separate team: az backup vault resource-guard-mapping update --resource-group {rg} --name {name} --resource-guard-id <resource-guard-id>"
                        ),
                    );
                }
            }
            if soft_state
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("Disabled"))
            {
                out.finding(
                    &vault.id,
                    "soft-delete-disabled",
                    format!(
                        "Recovery Services vault {name} has soft delete disabled, so deleted backup data is gone immediately."
                    ),
                    json!({
                        "vault": vault.id,
                        "problem": "soft-delete-disabled",
                        "soft_delete_state": soft_state,
                        "soft_delete_retention_days": soft.and_then(|s| s.soft_delete_retention_period_in_days),
                        "resource_guard_proxies": proxies.iter().map(|p| json!({"id": p.id, "resource_guard": p.properties.resource_guard_resource_id})).collect::<Vec<_>>(),
                    }),
                    format!(
                        "az backup vault backup-properties set --resource-group {rg} --name {name} --soft-delete-feature-state Enable"
                    ),
                );
            }
        }
    }
}
