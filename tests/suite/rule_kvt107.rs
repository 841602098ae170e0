//! KVT107 kv-private-endpoint-no-audit-log.

use crate::common::*;
use serde_json::{Value, json};

fn vault_id() -> String {
    format!(
        "{}/providers/Microsoft.KeyVault/vaults/kv1",
        rg_id("rg-app")
    )
}

fn tenant(logs: Option<Value>, workspace: &str, pe_status: &str) -> Value {
    let settings: Vec<Value> = logs
        .into_iter()
        .map(|logs| {
            json!({
                "id": format!("{}/providers/microsoft.insights/diagnosticSettings/d1", vault_id()),
                "name": "d1",
                "properties": {"workspaceId": workspace, "logs": logs}
            })
        })
        .collect();
    json!({
        "key_vaults": [{"id": vault_id(), "name": "kv1", "properties": {
            "privateEndpointConnections": [{"properties": {
                "privateEndpoint": {"id": net_id("privateEndpoints", "pe1")},
                "privateLinkServiceConnectionState": {"status": pe_status}}}]
        }}],
        "diagnostic_settings": settings,
    })
}

const LAW: &str =
    "/subscriptions/x/resourceGroups/m/providers/Microsoft.OperationalInsights/workspaces/law";

#[test]
fn no_diagnostic_setting_fires_with_the_kql() {
    let report = scan(&snapshot(tenant(None, LAW, "Approved")));
    let f = findings_of(&report, "KVT107");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].evidence["private_endpoints"],
        json!([net_id("privateEndpoints", "pe1")])
    );
    let kql = f[0].evidence["kql"].as_str().unwrap();
    assert!(
        kql.contains("ResourceId contains \"KV1\"") && kql.contains("CallerIPAddress"),
        "{kql}"
    );
    assert!(
        f[0].remediation
            .contains("az monitor diagnostic-settings create")
    );
}

#[test]
fn category_or_group_to_a_workspace_is_the_negative_twin() {
    for logs in [
        json!([{"category": "AuditEvent", "enabled": true}]),
        json!([{"categoryGroup": "audit", "enabled": true}]),
        json!([{"categoryGroup": "allLogs", "enabled": true}]),
    ] {
        let report = scan(&snapshot(tenant(Some(logs.clone()), LAW, "Approved")));
        assert_twin(&report, "KVT107");
    }
}

#[test]
fn disabled_logs_other_categories_or_no_workspace_do_not_count() {
    for (logs, ws) in [
        (json!([{"category": "AuditEvent", "enabled": false}]), LAW),
        (
            json!([{"category": "AzurePolicyEvaluationDetails", "enabled": true}]),
            LAW,
        ),
        (json!([{"categoryGroup": "audit", "enabled": true}]), ""),
    ] {
        let report = scan(&snapshot(tenant(Some(logs.clone()), ws, "Approved")));
        let f = findings_of(&report, "KVT107");
        assert_eq!(f.len(), 1, "{logs} {ws:?}");
        assert_eq!(
            f[0].evidence["diagnostic_settings"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
}

#[test]
fn a_vault_without_an_approved_endpoint_is_not_this_rule() {
    let report = scan(&snapshot(tenant(None, LAW, "Pending")));
    assert_twin(&report, "KVT107");
}

#[test]
fn unreadable_diagnostic_settings_are_not_evaluated() {
    let gaps = json!([{"subscription_id": SUB, "kind": "diagnostic_setting", "http_status": 403, "message": "denied"}]);
    let report = scan(&snapshot_with_gaps(tenant(None, LAW, "Approved"), gaps));
    assert_not_judged(&report, "KVT107", true);
    let outcome = report.rules.iter().find(|r| r.code == "KVT107").unwrap();
    assert_eq!(outcome.not_evaluated.len(), 1);
}

#[test]
fn audit_exported_to_event_hub_or_storage_is_low_and_names_the_destination() {
    let eh = "/subscriptions/x/resourceGroups/m/providers/Microsoft.EventHub/namespaces/ehns-siem/authorizationRules/RootManageSharedAccessKey";
    let st = "/subscriptions/x/resourceGroups/m/providers/Microsoft.Storage/storageAccounts/stauditarchive";
    for (field, dest, kind) in [
        ("eventHubAuthorizationRuleId", eh, "Event Hub"),
        ("storageAccountId", st, "storage account"),
    ] {
        let mut t = tenant(
            Some(json!([{"categoryGroup": "audit", "enabled": true}])),
            "",
            "Approved",
        );
        t["diagnostic_settings"][0]["properties"][field] = json!(dest);
        let report = scan(&snapshot(t));
        let f = findings_of(&report, "KVT107");
        assert_eq!(f.len(), 1, "{:#?}", report.findings);
        assert_eq!(f[0].severity, azaudit::findings::Severity::Low);
        assert_eq!(
            f[0].evidence["audit_exported_to"],
            json!([{"destination": dest, "kind": kind}])
        );
        assert!(
            f[0].message.contains(&format!("exported to {kind}")),
            "{}",
            f[0].message
        );
        assert!(
            !f[0].message.contains("nobody can tell"),
            "{}",
            f[0].message
        );
    }
    // The same setting with only metrics or AuditEvent disabled exports nothing: still medium.
    let mut t = tenant(
        Some(json!([{"categoryGroup": "audit", "enabled": false}])),
        "",
        "Approved",
    );
    t["diagnostic_settings"][0]["properties"]["eventHubAuthorizationRuleId"] = json!(eh);
    let report = scan(&snapshot(t));
    let f = findings_of(&report, "KVT107");
    assert_eq!(f[0].severity, azaudit::findings::Severity::Medium);
    assert_eq!(f[0].evidence["audit_exported_to"], json!([]));
}
