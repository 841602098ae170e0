//! KVT106 kv-service-endpoint-restricts-nothing.

use crate::common::kv::*;
use crate::common::*;
use serde_json::{Value, json};

fn tenant(vaults: Vec<Value>) -> Value {
    json!({
        "virtual_networks": [vnet("vnet-data", "10.2.0.0/16", vec![
            subnet("vnet-data", "snet-data", "10.2.1.0/24", json!({"serviceEndpoints": [{"service": "Microsoft.KeyVault", "locations": ["westeurope"], "provisioningState": "Succeeded"}]})),
            subnet("vnet-data", "snet-other", "10.2.3.0/24", json!({})),
        ], json!({}))],
        "key_vaults": vaults,
    })
}

#[test]
fn an_endpoint_no_firewall_uses_fires_on_the_subnet() {
    let report = scan(&snapshot(tenant(vec![
        vault(
            "kv-open",
            json!({"networkAcls": acls("Allow", "AzureServices", &[], &[])}),
        ),
        vault(
            "kv-other",
            json!({"networkAcls": acls("Deny", "None", &[], &[&subnet_id("vnet-data", "snet-other")])}),
        ),
    ])));
    let f = findings_of(&report, "KVT106");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let ev = &f[0].evidence;
    assert_eq!(f[0].resource_id, subnet_id("vnet-data", "snet-data"));
    assert_eq!(ev["vaults_allow_all"], json!([kv_id("kv-open")]));
    assert_eq!(
        ev["vaults_restricting_other_subnets"],
        json!([kv_id("kv-other")])
    );
    assert!(
        f[0].remediation
            .contains("az keyvault network-rule add --name kv-open")
    );
}

#[test]
fn a_vault_firewall_using_the_subnet_is_the_negative_twin() {
    let s = subnet_id("vnet-data", "snet-data").to_uppercase();
    let report = scan(&snapshot(tenant(vec![vault(
        "kv1",
        json!({"networkAcls": acls("Deny", "None", &[], &[&s])}),
    )])));
    assert_twin(&report, "KVT106");
}

#[test]
fn a_key_vault_collection_gap_makes_it_not_evaluated() {
    let report = scan(&snapshot_with_gaps(
        tenant(vec![]),
        json!([gap("key_vault")]),
    ));
    assert_not_judged(&report, "KVT106", true);
    let ne = not_evaluated_of(&report, "KVT106");
    assert_eq!(ne.len(), 1);
    assert_eq!(ne[0].0, subnet_id("vnet-data", "snet-data"));
}

#[test]
fn a_vnet_rule_on_a_vault_that_still_allows_all_restricts_nothing() {
    let s = subnet_id("vnet-data", "snet-data");
    let report = scan(&snapshot(tenant(vec![vault(
        "kv1",
        json!({"networkAcls": acls("Allow", "AzureServices", &[], &[&s])}),
    )])));
    let f = findings_of(&report, "KVT106");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].evidence["vaults_allow_all"], json!([kv_id("kv1")]));
}

#[test]
fn vaults_outside_the_scan_lower_the_verdict_and_say_so() {
    let vaults = || {
        vec![vault(
            "kv-open",
            json!({"networkAcls": acls("Allow", "AzureServices", &[], &[])}),
        )]
    };
    // Every subscription of the tenant scanned: low, nothing left unseen.
    let mut t = tenant(vaults());
    t["subscriptions"] = json!([subscription(SUB)]);
    let report = scan(&snapshot(t));
    let f = findings_of(&report, "KVT106");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].severity, azaudit::findings::Severity::Low);
    assert!(
        f[0].evidence["vaults_outside_scan"]
            .as_str()
            .unwrap()
            .starts_with("none")
    );
    // A second subscription of the tenant was not scanned: a vault there may use the endpoint.
    let other = "00000000-0000-4000-8000-0000000000cc";
    let mut t = tenant(vaults());
    t["subscriptions"] = json!([subscription(SUB), subscription(other)]);
    let report = scan(&snapshot(t));
    let f = findings_of(&report, "KVT106");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, azaudit::findings::Severity::Info);
    assert!(
        f[0].message.contains("a vault outside the scan may use it"),
        "{}",
        f[0].message
    );
    let ev = f[0].evidence["vaults_outside_scan"].as_str().unwrap();
    assert!(ev.starts_with("possible") && ev.contains(other), "{ev}");
}
