//! PEP101 pe-connection-not-effective.

use crate::common::kv::*;
use crate::common::*;
use serde_json::{Value, json};

fn tenant(pes: Vec<Value>, vaults: Vec<Value>) -> Value {
    json!({
        "virtual_networks": [pe_vnet("vnet-app", "10.1.0.0/16", &[], vec![])],
        "private_endpoints": pes,
        "key_vaults": vaults,
    })
}

#[test]
fn a_pending_manual_connection_fires_once_with_the_connection_chain() {
    let e = manual(pe(
        "pe-kv1",
        "vnet-app",
        &kv_id("kv1"),
        "vault",
        "Pending",
        "10.1.2.4",
    ));
    // The vault lists the same connection: it must not be reported a second time.
    let v = vault(
        "kv1",
        json!({"privateEndpointConnections": [vault_conn("kv1", "pe-kv1", "Pending", "Succeeded")]}),
    );
    let report = scan(&snapshot(tenant(vec![e], vec![v])));
    let f = findings_of(&report, "PEP101");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let ev = &f[0].evidence;
    assert_eq!(f[0].resource_id, pe_id("pe-kv1"));
    assert_eq!(ev["status"], "Pending");
    assert_eq!(ev["approval"], "manual");
    assert_eq!(ev["seen_from"], "private_endpoint");
    assert_eq!(ev["target"], kv_id("kv1"));
    assert_eq!(ev["private_ip_addresses"], json!(["10.1.2.4"]));
    assert!(
        ev["target_connection_id"]
            .as_str()
            .unwrap()
            .contains("privateEndpointConnections")
    );
    assert!(
        f[0].remediation
            .contains("az network private-endpoint-connection approve")
    );
    assert!(f[0].message.contains("pe-kv1") && f[0].message.contains("kv1"));
}

#[test]
fn rejected_disconnected_and_failed_connections_fire() {
    let mut failed = pe(
        "pe-c",
        "vnet-app",
        &kv_id("kv3"),
        "vault",
        "Approved",
        "10.1.2.6",
    );
    failed["properties"]["privateLinkServiceConnections"][0]["properties"]["provisioningState"] =
        json!("Failed");
    let report = scan(&snapshot(tenant(
        vec![
            pe(
                "pe-a",
                "vnet-app",
                &kv_id("kv1"),
                "vault",
                "Rejected",
                "10.1.2.4",
            ),
            pe(
                "pe-b",
                "vnet-app",
                &kv_id("kv2"),
                "vault",
                "disconnected",
                "10.1.2.5",
            ),
            failed,
        ],
        vec![],
    )));
    let f = findings_of(&report, "PEP101");
    assert_eq!(f.len(), 3, "{:#?}", report.findings);
    assert!(
        f.iter()
            .all(|f| f.remediation.contains("az network private-endpoint delete"))
    );
}

#[test]
fn an_approved_succeeded_connection_is_the_negative_twin() {
    let v = vault(
        "kv1",
        json!({"privateEndpointConnections": [vault_conn("kv1", "pe-kv1", "Approved", "Succeeded")]}),
    );
    let report = scan(&snapshot(tenant(
        vec![pe(
            "pe-kv1",
            "vnet-app",
            &kv_id("kv1"),
            "vault",
            "Approved",
            "10.1.2.4",
        )],
        vec![v],
    )));
    assert_twin(&report, "PEP101");
}

#[test]
fn the_vault_side_reports_connections_from_endpoints_outside_the_inventory() {
    let v = vault(
        "kv1",
        json!({"privateEndpointConnections": [
            vault_conn("kv1", "pe-elsewhere", "Pending", "Succeeded"),
            vault_conn("kv1", "pe-fine", "Approved", "Succeeded"),
        ]}),
    );
    let report = scan(&snapshot(tenant(vec![], vec![v])));
    let f = findings_of(&report, "PEP101");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].resource_id, kv_id("kv1"));
    assert_eq!(f[0].evidence["seen_from"], "vault");
    assert_eq!(f[0].evidence["private_endpoint"], pe_id("pe-elsewhere"));
    assert_eq!(f[0].evidence["private_endpoint_in_inventory"], false);
}
