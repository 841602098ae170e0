//! BAK101 rsv-without-resource-guard.

use crate::common::*;
use serde_json::{Value, json};

fn vault_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.RecoveryServices/vaults/{name}",
        rg_id("rg-backup")
    )
}

fn tenant(soft_delete: &str, mapped: bool) -> Value {
    let proxies: Vec<Value> = if mapped {
        vec![
            json!({"id": format!("{}/backupResourceGuardProxies/VaultProxy", vault_id("rsv1")), "name": "VaultProxy",
            "properties": {"resourceGuardResourceId": "/subscriptions/g/resourceGroups/sec/providers/Microsoft.DataProtection/resourceGuards/guard"}}),
        ]
    } else {
        vec![]
    };
    json!({
        "recovery_services_vaults": [{"id": vault_id("rsv1"), "name": "rsv1", "properties": {
            "securitySettings": {"softDeleteSettings": {"softDeleteState": soft_delete}, "multiUserAuthorization": if mapped { "Enabled" } else { "Disabled" }}}}],
        "resource_guard_proxies": proxies,
    })
}

#[test]
fn an_unguarded_vault_fires_with_its_settings() {
    let report = scan(&snapshot(tenant("Enabled", false)));
    let f = findings_of(&report, "BAK101");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, azaudit::report::Severity::Medium);
    assert_eq!(f[0].evidence["soft_delete_state"], "Enabled");
    assert_eq!(f[0].evidence["resource_guard_proxies"], json!([]));
    assert!(f[0].message.contains("no Resource Guard mapping"));
}

#[test]
fn a_guarded_vault_with_soft_delete_is_the_negative_twin() {
    for state in ["Enabled", "AlwaysON"] {
        let report = scan(&snapshot(tenant(state, true)));
        assert_twin(&report, "BAK101");
    }
}

#[test]
fn soft_delete_disabled_fires_even_with_a_guard_and_both_problems_are_high() {
    let report = scan(&snapshot(tenant("Disabled", true)));
    let f = findings_of(&report, "BAK101");
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("soft delete is disabled"));
    let report = scan(&snapshot(tenant("Disabled", false)));
    assert_eq!(
        findings_of(&report, "BAK101")[0].severity,
        azaudit::report::Severity::High
    );
}

#[test]
fn unreadable_mappings_are_not_evaluated() {
    let gaps = json!([{"subscription_id": SUB, "kind": "resource_guard_proxy", "scope": format!("{}/backupResourceGuardProxies", vault_id("rsv1")), "http_status": 403, "message": "denied"}]);
    let report = scan(&snapshot_with_gaps(tenant("Enabled", false), gaps));
    assert_not_judged(&report, "BAK101", true);
    assert_eq!(
        report
            .rules
            .iter()
            .find(|r| r.code == "BAK101")
            .unwrap()
            .not_evaluated
            .len(),
        1
    );
}
