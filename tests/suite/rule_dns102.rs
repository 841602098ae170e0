//! DNS102 pe-zone-missing.

use crate::common::kv::*;
use crate::common::*;
use serde_json::{Value, json};

fn tenant(zones: Vec<Value>, dns: &[&str]) -> Value {
    json!({
        "virtual_networks": [pe_vnet("vnet-app", "10.1.0.0/16", dns, vec![])],
        "private_endpoints": [pe("pe-kv1", "vnet-app", &kv_id("kv1"), "vault", "Approved", "10.1.2.4")],
        "private_dns_zones": zones,
    })
}

#[test]
fn no_zone_anywhere_fires_and_lists_similar_names() {
    let report = scan(&snapshot(tenant(
        vec![zone("privatelink.vault.azure.net")],
        &[],
    )));
    let f = findings_of(&report, "DNS102");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let ev = &f[0].evidence;
    assert_eq!(f[0].resource_id, pe_id("pe-kv1"));
    assert_eq!(ev["expected_zone"], KV_ZONE);
    assert_eq!(ev["zones_found"], json!([]));
    assert_eq!(ev["similar_zones"], json!(["privatelink.vault.azure.net"]));
    assert_eq!(ev["virtual_network"], net_id("virtualNetworks", "vnet-app"));
    assert_eq!(ev["private_ip_addresses"], json!(["10.1.2.4"]));
    assert!(
        f[0].remediation
            .contains("az network private-dns zone create")
    );
}

#[test]
fn an_existing_zone_is_the_negative_twin() {
    let report = scan(&snapshot(tenant(vec![zone(KV_ZONE)], &[])));
    assert_twin(&report, "DNS102");
}

#[test]
fn custom_dns_is_left_to_dns106() {
    let report = scan(&snapshot(tenant(vec![], &["10.0.3.4"])));
    assert_twin(&report, "DNS102");
}

#[test]
fn a_zone_collection_gap_makes_it_not_evaluated() {
    let report = scan(&snapshot_with_gaps(
        tenant(vec![], &[]),
        json!([gap("private_dns_zone")]),
    ));
    assert_not_judged(&report, "DNS102", true);
    let ne = not_evaluated_of(&report, "DNS102");
    assert_eq!(ne.len(), 1);
    assert_eq!(ne[0].0, pe_id("pe-kv1"));
    assert!(ne[0].1.contains("no read access"), "{}", ne[0].1);
}

#[test]
fn sovereign_clouds_use_their_own_zone_names() {
    // In US Gov the vault zone is privatelink.vaultcore.usgovcloudapi.net: the public name does not count.
    let mut doc: Value =
        serde_json::from_str(&snapshot(tenant(vec![zone(KV_ZONE)], &[])).to_json()).unwrap();
    doc["cloud"] = json!("usgov");
    let s = azaudit::collect::Snapshot::from_json(&doc.to_string(), std::path::Path::new("t.json"))
        .unwrap();
    let report = scan(&s);
    let f = findings_of(&report, "DNS102");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(
        f[0].evidence["expected_zone"],
        "privatelink.vaultcore.usgovcloudapi.net"
    );
}
