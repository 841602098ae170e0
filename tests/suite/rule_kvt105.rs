//! KVT105 kv-vnet-rule-without-service-endpoint.

use crate::common::kv::*;
use crate::common::*;
use serde_json::{Value, json};

fn tenant(service_endpoints: Value, ignore: bool) -> Value {
    let rule_subnet = subnet_id("vnet-app", "snet-app").to_lowercase();
    let mut a = acls("Deny", "None", &[], &[&rule_subnet]);
    a["virtualNetworkRules"][0]["ignoreMissingVnetServiceEndpoint"] = json!(ignore);
    json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16",
            vec![subnet("vnet-app", "snet-app", "10.1.1.0/24", json!({"serviceEndpoints": service_endpoints}))], json!({}))],
        "key_vaults": [vault("kv1", json!({"networkAcls": a}))],
    })
}

#[test]
fn a_lower_cased_rule_for_a_subnet_without_the_endpoint_fires() {
    let report = scan(&snapshot(tenant(
        json!([{"service": "Microsoft.Storage", "locations": ["westeurope"]}]),
        false,
    )));
    let f = findings_of(&report, "KVT105");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let ev = &f[0].evidence;
    assert_eq!(f[0].resource_id, kv_id("kv1"));
    assert_eq!(ev["subnet"], subnet_id("vnet-app", "snet-app"));
    assert_eq!(
        ev["rule_subnet_id"],
        subnet_id("vnet-app", "snet-app").to_lowercase()
    );
    assert_eq!(ev["service_endpoints"], json!(["Microsoft.Storage"]));
    assert_eq!(f[0].severity, azaudit::report::Severity::Medium);
    assert!(
        f[0].remediation
            .contains("--service-endpoints Microsoft.Storage Microsoft.KeyVault")
    );
}

#[test]
fn ignore_missing_endpoint_lowers_the_severity() {
    let report = scan(&snapshot(tenant(json!([]), true)));
    let f = findings_of(&report, "KVT105");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, azaudit::report::Severity::Low);
}

#[test]
fn a_subnet_with_the_keyvault_endpoint_is_the_negative_twin() {
    let report = scan(&snapshot(tenant(
        json!([{"service": "microsoft.keyvault", "provisioningState": "Succeeded"}]),
        false,
    )));
    assert_twin(&report, "KVT105");
}

#[test]
fn an_unknown_subnet_is_not_evaluated() {
    let mut t = tenant(json!([]), false);
    t["virtual_networks"] = json!([]);
    let report = scan(&snapshot(t));
    assert_not_judged(&report, "KVT105", false);
    assert_eq!(not_evaluated_of(&report, "KVT105").len(), 1);
}
