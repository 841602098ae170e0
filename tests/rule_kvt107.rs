//! KVT107 kv-private-endpoint-no-audit-log.

mod common;
use common::kv::*;
use common::*;
use serde_json::{Value, json};

fn tenant(diags: Vec<Value>) -> Value {
    json!({
        "key_vaults": [vault("kv-data", json!({"privateEndpointConnections": [vault_conn("kv-data", "pe-kv", "Approved", "Succeeded")]}))],
        "diagnostic_settings": diags,
    })
}

#[test]
fn no_audit_setting_fires_with_the_kql() {
    // A setting that only archives to storage, and one with audit disabled, do not count.
    let report = scan(&snapshot(tenant(vec![
        diag(
            "kv-data",
            "to-storage",
            "",
            json!([{"category": "AuditEvent", "enabled": true}]),
        ),
        diag(
            "kv-data",
            "disabled",
            LAW,
            json!([{"categoryGroup": "audit", "enabled": false}]),
        ),
    ])));
    let f = findings_of(&report, "KVT107");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let ev = &f[0].evidence;
    assert_eq!(f[0].resource_id, kv_id("kv-data"));
    assert_eq!(ev["approved_private_endpoints"], json!([pe_id("pe-kv")]));
    assert_eq!(ev["diagnostic_settings"].as_array().unwrap().len(), 2);
    let kql = ev["kql"].as_str().unwrap();
    assert!(kql.contains("ResourceId contains \"KV-DATA\""), "{kql}");
    assert!(kql.contains("identity_claim_xms_mirid_s"));
    assert!(
        f[0].remediation
            .contains("az monitor diagnostic-settings create")
    );
    assert!(f[0].remediation.contains(kql));
}

#[test]
fn audit_event_all_logs_or_audit_group_to_a_workspace_are_negative_twins() {
    for logs in [
        json!([{"category": "AuditEvent", "enabled": true}]),
        json!([{"categoryGroup": "allLogs", "enabled": true}]),
        json!([{"category": null, "categoryGroup": "audit", "enabled": true}]),
    ] {
        let report = scan(&snapshot(tenant(vec![diag("kv-data", "law", LAW, logs)])));
        assert!(
            findings_of(&report, "KVT107").is_empty(),
            "{:#?}",
            report.findings
        );
    }
}

#[test]
fn a_vault_without_private_endpoint_is_not_this_rule() {
    let report = scan(&snapshot(json!({"key_vaults": [vault("kv1", json!({}))]})));
    assert!(findings_of(&report, "KVT107").is_empty());
}

#[test]
fn a_diagnostic_settings_gap_in_the_vault_subscription_makes_it_not_evaluated() {
    let report = scan(&snapshot_with_gaps(
        tenant(vec![]),
        json!([gap("diagnostic_setting")]),
    ));
    assert!(findings_of(&report, "KVT107").is_empty());
    let ne = not_evaluated_of(&report, "KVT107");
    assert_eq!(ne.len(), 1);
    assert_eq!(ne[0].0, kv_id("kv-data"));
    // A gap confined to another subscription does not block the decision.
    let mut other = gap("diagnostic_setting");
    other["subscription_id"] = json!("00000000-0000-4000-8000-000000000099");
    let report = scan(&snapshot_with_gaps(tenant(vec![]), json!([other])));
    assert_eq!(findings_of(&report, "KVT107").len(), 1);
}
