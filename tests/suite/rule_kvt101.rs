//! KVT101 kv-private-endpoint-but-public.

use crate::common::kv::*;
use crate::common::*;
use serde_json::{Value, json};

fn tenant(v: Value) -> Value {
    json!({
        "virtual_networks": [pe_vnet("vnet-app", "10.1.0.0/16", &[], vec![])],
        "private_endpoints": [pe("pe-kv1", "vnet-app", &kv_id("kv1"), "vault", "Approved", "10.1.2.4")],
        "key_vaults": [v],
    })
}

#[test]
fn private_endpoint_with_public_access_and_no_acls_fires() {
    let report = scan(&snapshot(tenant(vault(
        "kv1",
        json!({"publicNetworkAccess": "Enabled"}),
    ))));
    let f = findings_of(&report, "KVT101");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let ev = &f[0].evidence;
    assert_eq!(f[0].resource_id, kv_id("kv1"));
    assert_eq!(ev["approved_private_endpoints"][0]["id"], pe_id("pe-kv1"));
    assert_eq!(
        ev["approved_private_endpoints"][0]["seen_from"],
        "private_endpoint"
    );
    assert_eq!(ev["network"]["network_acls_present"], false);
    assert_eq!(ev["network"]["default_action_effective"], "Allow");
    assert!(f[0].remediation.contains(
        "az keyvault update --name kv1 --resource-group rg-app --public-network-access Disabled"
    ));
}

#[test]
fn absent_public_access_counts_as_enabled_and_allow_fires() {
    let report = scan(&snapshot(tenant(vault(
        "kv1",
        json!({"networkAcls": acls("Allow", "AzureServices", &[], &[])}),
    ))));
    assert_eq!(findings_of(&report, "KVT101").len(), 1);
}

#[test]
fn disabled_public_access_or_a_deny_firewall_is_the_negative_twin() {
    let off = scan(&snapshot(tenant(vault(
        "kv1",
        json!({"publicNetworkAccess": "disabled"}),
    ))));
    assert_twin(&off, "KVT101");
    let deny = scan(&snapshot(tenant(vault(
        "kv1",
        json!({"publicNetworkAccess": "Enabled", "networkAcls": acls("Deny", "None", &[], &[])}),
    ))));
    assert_twin(&deny, "KVT101");
}

#[test]
fn a_pending_endpoint_is_not_private_access() {
    let mut t = tenant(vault("kv1", json!({"publicNetworkAccess": "Enabled"})));
    t["private_endpoints"] = json!([pe(
        "pe-kv1",
        "vnet-app",
        &kv_id("kv1"),
        "vault",
        "Pending",
        "10.1.2.4"
    )]);
    let report = scan(&snapshot(t));
    assert_twin(&report, "KVT101");
    assert_eq!(findings_of(&report, "KVT102").len(), 1);
}

#[test]
fn secured_by_perimeter_is_not_public_access() {
    // The same vault with public access Enabled is the positive case above.
    let nsp = scan(&snapshot(tenant(vault(
        "kv1",
        json!({"publicNetworkAccess": "SecuredByPerimeter", "networkAcls": acls("Allow", "AzureServices", &[], &[])}),
    ))));
    assert_twin(&nsp, "KVT101");
    let open = scan(&snapshot(tenant(vault(
        "kv1",
        json!({"publicNetworkAccess": "Enabled", "networkAcls": acls("Allow", "AzureServices", &[], &[])}),
    ))));
    let f = findings_of(&open, "KVT101");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].evidence["network"]["public_network_access_effective"],
        "Enabled"
    );
}
