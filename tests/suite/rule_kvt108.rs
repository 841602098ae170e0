//! KVT108 kv-network-rules-default-allow.

use crate::common::kv::*;
use crate::common::*;
use serde_json::json;

fn snet() -> String {
    subnet_id("vnet-app", "snet-app")
}

#[test]
fn vnet_rules_under_default_allow_fire_once_on_the_vault_not_as_kvt102() {
    let report = scan(&snapshot(json!({"key_vaults": [
        vault("kv1", json!({"publicNetworkAccess": "Enabled",
            "networkAcls": acls("Allow", "AzureServices", &[], &[&snet()])}))
    ]})));
    let f = findings_of(&report, "KVT108");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].resource_id, kv_id("kv1"));
    assert_eq!(f[0].evidence["virtual_network_rules"], json!([snet()]));
    assert_eq!(f[0].evidence["ip_rules"], json!([]));
    assert_eq!(
        f[0].evidence["network"]["default_action_effective"],
        "Allow"
    );
    assert!(
        f[0].message.contains("restrict nothing"),
        "{}",
        f[0].message
    );
    assert!(
        f[0].remediation.contains(
            "az keyvault update --name kv1 --resource-group rg-app --default-action Deny"
        )
    );
    // Not reported twice: KVT102 leaves the vault to this rule.
    assert_twin(&report, "KVT102");
}

#[test]
fn ip_rules_under_default_allow_fire_too() {
    let report = scan(&snapshot(json!({"key_vaults": [
        vault("kv1", json!({"networkAcls": acls("Allow", "AzureServices", &["203.0.113.0/24"], &[])}))
    ]})));
    let f = findings_of(&report, "KVT108");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].evidence["ip_rules"], json!(["203.0.113.0/24"]));
}

#[test]
fn deny_disabled_perimeter_or_no_rules_are_negative_twins() {
    let report = scan(&snapshot(json!({"key_vaults": [
        vault("kv-deny", json!({"networkAcls": acls("Deny", "AzureServices", &[], &[&snet()])})),
        vault("kv-off", json!({"publicNetworkAccess": "Disabled",
            "networkAcls": acls("Allow", "AzureServices", &[], &[&snet()])})),
        vault("kv-nsp", json!({"publicNetworkAccess": "SecuredByPerimeter",
            "networkAcls": acls("Allow", "AzureServices", &[], &[&snet()])})),
        vault("kv-open", json!({"networkAcls": acls("Allow", "AzureServices", &[], &[])})),
    ]})));
    assert_twin(&report, "KVT108");
    // The vault with no rules at all is KVT102's.
    let f = findings_of(&report, "KVT102");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].resource_id, kv_id("kv-open"));
}

#[test]
fn a_vault_with_an_approved_endpoint_stays_kvt101s() {
    let report = scan(&snapshot(json!({"key_vaults": [
        vault("kv1", json!({
            "networkAcls": acls("Allow", "AzureServices", &[], &[&snet()]),
            "privateEndpointConnections": [vault_conn("kv1", "pe-x", "Approved", "Succeeded")]}))
    ]})));
    assert_twin(&report, "KVT108");
    assert_eq!(findings_of(&report, "KVT101").len(), 1);
}
