//! PEP102 duplicate-private-endpoints.

use crate::common::kv::*;
use crate::common::*;
use serde_json::{Value, json};

fn tenant(pes: Vec<Value>) -> Value {
    json!({
        "virtual_networks": [pe_vnet("vnet-app", "10.1.0.0/16", &[], vec![]), pe_vnet("vnet-data", "10.2.0.0/16", &[], vec![])],
        "private_endpoints": pes,
    })
}

#[test]
fn two_endpoints_to_one_vault_in_one_vnet_fire_on_the_vault() {
    let report = scan(&snapshot(tenant(vec![
        pe(
            "pe-kv1",
            "vnet-app",
            &kv_id("kv1"),
            "vault",
            "Approved",
            "10.1.2.4",
        ),
        pe(
            "pe-kv1-dup",
            "vnet-app",
            &kv_id("kv1"),
            "vault",
            "Approved",
            "10.1.2.7",
        ),
    ])));
    let f = findings_of(&report, "PEP102");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].resource_id, kv_id("kv1"));
    let ev = &f[0].evidence;
    assert_eq!(ev["group_id"], "vault");
    assert_eq!(ev["virtual_network"], net_id("virtualNetworks", "vnet-app"));
    assert_eq!(ev["endpoints"][0]["private_endpoint"], pe_id("pe-kv1"));
    assert_eq!(ev["endpoints"][1]["private_endpoint"], pe_id("pe-kv1-dup"));
    assert_eq!(
        ev["endpoints"][1]["private_ip_addresses"],
        json!(["10.1.2.7"])
    );
    assert!(f[0].remediation.contains(&format!(
        "az network private-endpoint delete --ids {}",
        pe_id("pe-kv1-dup")
    )));
}

#[test]
fn one_endpoint_per_vnet_is_the_negative_twin() {
    let report = scan(&snapshot(tenant(vec![
        pe(
            "pe-kv1",
            "vnet-app",
            &kv_id("kv1"),
            "vault",
            "Approved",
            "10.1.2.4",
        ),
        pe(
            "pe-kv1-data",
            "vnet-data",
            &kv_id("kv1"),
            "vault",
            "Approved",
            "10.2.2.4",
        ),
    ])));
    assert_twin(&report, "PEP102");
}

#[test]
fn different_groups_or_a_rejected_leftover_are_not_duplicates() {
    let report = scan(&snapshot(tenant(vec![
        pe(
            "pe-blob",
            "vnet-app",
            &st_id("st1"),
            "blob",
            "Approved",
            "10.1.2.4",
        ),
        pe(
            "pe-file",
            "vnet-app",
            &st_id("st1"),
            "file",
            "Approved",
            "10.1.2.5",
        ),
        pe(
            "pe-kv1",
            "vnet-app",
            &kv_id("kv1"),
            "vault",
            "Approved",
            "10.1.2.6",
        ),
        pe(
            "pe-kv1-old",
            "vnet-app",
            &kv_id("kv1"),
            "vault",
            "Rejected",
            "10.1.2.7",
        ),
    ])));
    assert_twin(&report, "PEP102");
}
