//! KVT102 kv-public-all-networks.

use crate::common::kv::*;
use crate::common::*;
use serde_json::json;

#[test]
fn a_vault_open_to_all_networks_without_endpoint_fires() {
    let report = scan(&snapshot(json!({"key_vaults": [
        vault("kv1", json!({"publicNetworkAccess": "Enabled", "networkAcls": acls("Allow", "AzureServices", &[], &[])}))
    ]})));
    let f = findings_of(&report, "KVT102");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].resource_id, kv_id("kv1"));
    assert_eq!(f[0].evidence["network"]["default_action"], "Allow");
    assert_eq!(f[0].evidence["approved_private_endpoints"], json!([]));
    assert!(f[0].remediation.contains("az keyvault update --name kv1"));
}

#[test]
fn restricted_vaults_and_vaults_with_an_approved_endpoint_are_negative_twins() {
    let report = scan(&snapshot(json!({"key_vaults": [
        vault("kv-deny", json!({"networkAcls": acls("Deny", "None", &["203.0.113.0/24"], &[])})),
        vault("kv-off", json!({"publicNetworkAccess": "Disabled"})),
        vault("kv-pe", json!({"privateEndpointConnections": [vault_conn("kv-pe", "pe-x", "Approved", "Succeeded")]})),
    ]})));
    assert_twin(&report, "KVT102");
    // kv-pe is KVT101's.
    assert_eq!(findings_of(&report, "KVT101").len(), 1);
}

#[test]
fn a_vault_secured_by_a_network_security_perimeter_is_not_open() {
    let report = scan(&snapshot(json!({"key_vaults": [
        vault("kv-nsp", json!({"publicNetworkAccess": "SecuredByPerimeter", "networkAcls": acls("Allow", "AzureServices", &[], &[])})),
        vault("kv-nsp-no-acls", json!({"publicNetworkAccess": "securedByPerimeter"})),
    ]})));
    assert_twin(&report, "KVT102");
}
