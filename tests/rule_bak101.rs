//! BAK101 rsv-without-resource-guard.

mod common;
use common::kv::*;
use common::*;
use serde_json::{Value, json};

fn tenant(vaults: Vec<Value>, proxies: Vec<Value>) -> Value {
    json!({"recovery_services_vaults": vaults, "resource_guard_proxies": proxies})
}

#[test]
fn a_vault_without_guard_fires_and_the_guarded_twin_does_not() {
    let report = scan(&snapshot(tenant(
        vec![rsv("rsv-a", "Enabled"), rsv("rsv-b", "AlwaysON")],
        vec![guard_proxy("rsv-b")],
    )));
    let f = findings_of(&report, "BAK101");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].resource_id, rsv_id("rsv-a"));
    assert_eq!(f[0].evidence["problem"], "no-resource-guard");
    assert_eq!(f[0].evidence["soft_delete_state"], "Enabled");
    assert!(f[0].remediation.contains(
        "az backup vault resource-guard-mapping update --resource-group rg-backup --name rsv-a"
    ));
}

#[test]
fn soft_delete_disabled_fires_even_with_a_guard() {
    let report = scan(&snapshot(tenant(
        vec![rsv("rsv-b", "Disabled")],
        vec![guard_proxy("rsv-b")],
    )));
    let f = findings_of(&report, "BAK101");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["problem"], "soft-delete-disabled");
    assert!(
        f[0].remediation
            .contains("--soft-delete-feature-state Enable")
    );
}

#[test]
fn no_proxies_and_a_proxy_gap_is_not_evaluated() {
    let report = scan(&snapshot_with_gaps(
        tenant(vec![rsv("rsv-a", "Enabled")], vec![]),
        json!([gap("resource_guard_proxy")]),
    ));
    assert!(
        findings_of(&report, "BAK101").is_empty(),
        "{:#?}",
        report.findings
    );
    let ne = not_evaluated_of(&report, "BAK101");
    assert_eq!(ne.len(), 1);
    assert_eq!(ne[0].0, rsv_id("rsv-a"));
    assert!(ne[0].1.contains("Resource Guard"));
}

#[test]
fn a_proxy_gap_elsewhere_blocks_only_when_no_proxy_was_collected_at_all() {
    let mut elsewhere = gap("resource_guard_proxy");
    elsewhere["subscription_id"] = json!("00000000-0000-4000-8000-000000000099");
    // No mapping collected anywhere: the collector probably cannot read them yet.
    let report = scan(&snapshot_with_gaps(
        tenant(vec![rsv("rsv-a", "Enabled")], vec![]),
        json!([elsewhere.clone()]),
    ));
    assert!(findings_of(&report, "BAK101").is_empty());
    assert_eq!(not_evaluated_of(&report, "BAK101").len(), 1);
    // Mappings were collected (for rsv-b): rsv-a's missing mapping is a finding.
    let report = scan(&snapshot_with_gaps(
        tenant(
            vec![rsv("rsv-a", "Enabled"), rsv("rsv-b", "Enabled")],
            vec![guard_proxy("rsv-b")],
        ),
        json!([elsewhere]),
    ));
    let f = findings_of(&report, "BAK101");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].resource_id, rsv_id("rsv-a"));
}
