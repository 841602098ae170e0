//! KVT104 kv-bypass-azure-services.

use crate::common::kv::*;
use crate::common::*;
use serde_json::json;

#[test]
fn bypass_on_a_firewalled_vault_fires_as_info() {
    let mut a = acls("Deny", "AzureServices", &[], &[]);
    let report = scan(&snapshot(
        json!({"key_vaults": [vault("kv1", json!({"networkAcls": a.clone()}))]}),
    ));
    let f = findings_of(&report, "KVT104");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].severity, azaudit::report::Severity::Info);
    assert_eq!(
        f[0].evidence["network"]["bypass_effective"],
        "AzureServices"
    );
    assert!(f[0].remediation.contains("--bypass None"));
    // Absent bypass means AzureServices.
    a.as_object_mut().unwrap().remove("bypass");
    let report = scan(&snapshot(
        json!({"key_vaults": [vault("kv1", json!({"networkAcls": a}))]}),
    ));
    let f = findings_of(&report, "KVT104");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["network"]["bypass"], json!(null));
}

#[test]
fn bypass_none_or_an_open_vault_is_the_negative_twin() {
    let report = scan(&snapshot(json!({"key_vaults": [
        vault("kv-none", json!({"networkAcls": acls("Deny", "None", &[], &[])})),
        vault("kv-open", json!({"networkAcls": acls("Allow", "AzureServices", &[], &[])})),
    ]})));
    assert_twin(&report, "KVT104");
}

#[test]
fn a_vault_secured_by_a_perimeter_is_the_negative_twin() {
    // Trusted access is disabled in secured-by-perimeter mode: the bypass admits nobody.
    let a = acls("Deny", "AzureServices", &[], &[]);
    let nsp = scan(&snapshot(json!({"key_vaults": [vault("kv1",
        json!({"publicNetworkAccess": "SecuredByPerimeter", "networkAcls": a.clone()}))]})));
    assert_twin(&nsp, "KVT104");
    let enabled = scan(&snapshot(json!({"key_vaults": [vault("kv1",
        json!({"publicNetworkAccess": "Enabled", "networkAcls": a}))]})));
    assert_eq!(findings_of(&enabled, "KVT104").len(), 1);
}
