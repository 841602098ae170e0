//! DNS104 peered-vnet-zone-not-linked.

use crate::common::kv::*;
use crate::common::*;
use serde_json::{Value, json};

fn tenant(links: Vec<Value>, ops_state: &str, ops_dns: &[&str]) -> Value {
    json!({
        "virtual_networks": [
            pe_vnet("vnet-app", "10.1.0.0/16", &[], vec![peering("vnet-app", "vnet-hub", "Connected"), peering("vnet-app", "vnet-ops", ops_state)]),
            pe_vnet("vnet-hub", "10.0.0.0/16", &[], vec![peering("vnet-hub", "vnet-app", "Connected")]),
            pe_vnet("vnet-ops", "10.3.0.0/16", ops_dns, vec![peering("vnet-ops", "vnet-app", ops_state)]),
        ],
        "private_endpoints": [
            pe("pe-kv1", "vnet-app", &kv_id("kv1"), "vault", "Approved", "10.1.2.4"),
            pe("pe-kv2", "vnet-app", &kv_id("kv2"), "vault", "Approved", "10.1.2.5"),
        ],
        "private_dns_zones": [zone(KV_ZONE)],
        "virtual_network_links": links,
    })
}

#[test]
fn an_unlinked_peered_vnet_fires_once_per_zone_listing_the_endpoints() {
    let report = scan(&snapshot(tenant(
        vec![link(KV_ZONE, "vnet-app"), link(KV_ZONE, "vnet-hub")],
        "Connected",
        &[],
    )));
    let f = findings_of(&report, "DNS104");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let ev = &f[0].evidence;
    assert_eq!(f[0].resource_id, net_id("virtualNetworks", "vnet-ops"));
    assert_eq!(ev["zone_name"], KV_ZONE);
    assert_eq!(ev["zones"][0]["effective"], false);
    assert_eq!(
        ev["peered_with"][0]["virtual_network"],
        net_id("virtualNetworks", "vnet-app")
    );
    assert_eq!(ev["endpoints"].as_array().unwrap().len(), 2);
    assert_eq!(ev["endpoints"][0]["private_endpoint"], pe_id("pe-kv1"));
    assert_eq!(
        ev["endpoints"][0]["private_ip_addresses"],
        json!(["10.1.2.4"])
    );
    assert!(
        f[0].remediation
            .contains("az network private-dns link vnet create")
    );
    assert!(f[0].message.contains("vnet-ops") && f[0].message.contains("kv1"));
}

#[test]
fn a_linked_peer_a_disconnected_peering_or_custom_dns_are_negative_twins() {
    let all = vec![
        link(KV_ZONE, "vnet-app"),
        link(KV_ZONE, "vnet-hub"),
        link(KV_ZONE, "vnet-ops"),
    ];
    assert_twin(&scan(&snapshot(tenant(all, "Connected", &[]))), "DNS104");
    let some = || vec![link(KV_ZONE, "vnet-app"), link(KV_ZONE, "vnet-hub")];
    assert_twin(
        &scan(&snapshot(tenant(some(), "Disconnected", &[]))),
        "DNS104",
    );
    assert_twin(
        &scan(&snapshot(tenant(some(), "Connected", &["10.0.3.4"]))),
        "DNS104",
    );
}

#[test]
fn the_endpoint_own_vnet_is_left_to_dns101() {
    // vnet-app (the endpoint's VNet) is not linked: DNS101's finding, not DNS104's.
    let report = scan(&snapshot(tenant(
        vec![link(KV_ZONE, "vnet-hub"), link(KV_ZONE, "vnet-ops")],
        "Connected",
        &[],
    )));
    assert_twin(&report, "DNS104");
    // One finding on vnet-app for the zone, listing both of its endpoints.
    let f = findings_of(&report, "DNS101");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].resource_id, net_id("virtualNetworks", "vnet-app"));
    assert_eq!(f[0].evidence["endpoints"].as_array().unwrap().len(), 2);
}

#[test]
fn a_peer_holding_its_own_endpoint_for_the_zone_is_dns101s_not_a_second_report() {
    // vnet-ops holds pe-kv3 to another vault, needing the same zone, and is linked to nothing: its
    // missing link is one finding (DNS101 on vnet-ops), not also DNS104 for the peer's vaults.
    let mut t = tenant(
        vec![link(KV_ZONE, "vnet-app"), link(KV_ZONE, "vnet-hub")],
        "Connected",
        &[],
    );
    t["private_endpoints"].as_array_mut().unwrap().push(pe(
        "pe-kv3",
        "vnet-ops",
        &kv_id("kv3"),
        "vault",
        "Approved",
        "10.3.2.4",
    ));
    let report = scan(&snapshot(t));
    assert_twin(&report, "DNS104");
    let f = findings_of(&report, "DNS101");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].resource_id, net_id("virtualNetworks", "vnet-ops"));
    assert_eq!(
        f[0].evidence["endpoints"][0]["private_endpoint"],
        pe_id("pe-kv3")
    );
}

#[test]
fn a_peer_missing_from_the_inventory_is_not_evaluated() {
    let mut t = tenant(
        vec![link(KV_ZONE, "vnet-app"), link(KV_ZONE, "vnet-hub")],
        "Connected",
        &[],
    );
    t["virtual_networks"].as_array_mut().unwrap().remove(2);
    let report = scan(&snapshot(t));
    assert_not_judged(&report, "DNS104", false);
    let ne = not_evaluated_of(&report, "DNS104");
    assert_eq!(ne.len(), 1, "{ne:?}");
    assert!(ne[0].0.ends_with("vnet-ops"));
}
