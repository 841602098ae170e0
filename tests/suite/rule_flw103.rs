//! FLW103 nsg-flow-log-retiring.

use crate::common::*;
use serde_json::{Value, json};

fn tenant() -> Value {
    json!({
        "network_security_groups": [nsg("nsg-data", vec![])],
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![subnet("vnet-app", "snet-app", "10.1.1.0/24", json!({}))], json!({}))],
        "flow_logs": [
            flow_log("fl-nsg-data", &net_id("networkSecurityGroups", "nsg-data"), true, None),
            flow_log("fl-vnet-app", &net_id("virtualNetworks", "vnet-app"), true, None),
        ],
    })
}

#[test]
fn nsg_flow_log_counts_days_left_from_the_scan_date() {
    let r = scan_at(&snapshot(tenant()), "2026-11-24T08:00:00Z");
    let f = findings_of(&r, "FLW103");
    assert_eq!(f.len(), 1, "only the NSG flow log: {:#?}", r.findings);
    let f = f[0];
    assert!(f.resource_id.ends_with("/flowLogs/fl-nsg-data"));
    assert_eq!(f.evidence["days_left"], 309);
    assert_eq!(f.evidence["retirement_date"], "2027-09-30");
    assert_eq!(
        f.evidence["network_security_group"],
        net_id("networkSecurityGroups", "nsg-data")
    );
    assert!(f.message.contains("309 days"), "{}", f.message);
    assert!(f.message.contains("virtual network flow log"));
    assert_eq!(f.severity, azaudit::report::Severity::Medium);
}

#[test]
fn close_to_and_after_the_retirement_is_high() {
    let r = scan_at(&snapshot(tenant()), "2027-06-01T00:00:00Z");
    assert_eq!(
        findings_of(&r, "FLW103")[0].severity,
        azaudit::report::Severity::High
    );
    let r = scan_at(&snapshot(tenant()), "2027-10-02T00:00:00Z");
    let f = findings_of(&r, "FLW103");
    assert_eq!(f[0].evidence["days_left"], 0);
    assert!(f[0].message.contains("were retired"));
}

#[test]
fn the_fingerprint_does_not_change_with_the_date() {
    let a = scan_at(&snapshot(tenant()), "2026-11-24T08:00:00Z");
    let b = scan_at(&snapshot(tenant()), "2026-12-24T08:00:00Z");
    assert_eq!(
        findings_of(&a, "FLW103")[0].id,
        findings_of(&b, "FLW103")[0].id
    );
}

#[test]
fn vnet_flow_logs_only_is_silent() {
    let mut t = tenant();
    t["flow_logs"].as_array_mut().unwrap().remove(0);
    let r = scan_at(&snapshot(t), "2026-11-24T08:00:00Z");
    assert_twin(&r, "FLW103");
}
