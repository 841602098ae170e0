//! KVT103 kv-leftover-network-rules.

use crate::common::kv::*;
use crate::common::*;
use serde_json::{Value, json};

fn with_pe(props: Value) -> Value {
    let mut p = json!({"privateEndpointConnections": [vault_conn("kv1", "pe-kv1", "Approved", "Succeeded")]});
    merge(&mut p, props);
    json!({"key_vaults": [vault("kv1", p)]})
}

#[test]
fn leftover_ip_and_vnet_rules_fire() {
    let s = subnet_id("vnet-app", "snet-app").to_lowercase();
    let report = scan(&snapshot(with_pe(json!({
        "publicNetworkAccess": "Enabled",
        "networkAcls": acls("Deny", "None", &["203.0.113.0/24"], &[&s])
    }))));
    let f = findings_of(&report, "KVT103");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let ev = &f[0].evidence;
    assert_eq!(ev["ip_rules"], json!(["203.0.113.0/24"]));
    assert_eq!(ev["virtual_network_rules"], json!([s]));
    assert_eq!(ev["approved_private_endpoints"], json!([pe_id("pe-kv1")]));
    assert!(f[0].remediation.contains("az keyvault network-rule remove --name kv1 --resource-group rg-app --ip-address 203.0.113.0/24"));
    assert!(f[0].remediation.contains("--subnet"));
}

#[test]
fn no_rules_no_endpoint_or_public_disabled_are_negative_twins() {
    let clean = scan(&snapshot(with_pe(
        json!({"networkAcls": acls("Deny", "None", &[], &[])}),
    )));
    assert_twin(&clean, "KVT103");
    let no_pe = scan(&snapshot(
        json!({"key_vaults": [vault("kv1", json!({"networkAcls": acls("Deny", "None", &["203.0.113.0/24"], &[])}))]}),
    ));
    assert_twin(&no_pe, "KVT103");
    let off = scan(&snapshot(with_pe(
        json!({"publicNetworkAccess": "Disabled", "networkAcls": acls("Deny", "None", &["203.0.113.0/24"], &[])}),
    )));
    assert_twin(&off, "KVT103");
}

#[test]
fn a_vault_secured_by_a_perimeter_is_the_negative_twin() {
    // Under SecuredByPerimeter only the perimeter's rules admit public traffic: the vault's own IP
    // and VNet rules are inert, so nothing stays open through them.
    let rules = acls("Deny", "None", &["203.0.113.0/24"], &[]);
    let nsp = scan(&snapshot(with_pe(
        json!({"publicNetworkAccess": "SecuredByPerimeter", "networkAcls": rules.clone()}),
    )));
    assert_twin(&nsp, "KVT103");
    let enabled = scan(&snapshot(with_pe(
        json!({"publicNetworkAccess": "Enabled", "networkAcls": rules}),
    )));
    assert_eq!(findings_of(&enabled, "KVT103").len(), 1);
}
