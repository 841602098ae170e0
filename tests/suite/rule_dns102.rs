//! DNS102 pe-zone-missing.

use crate::common::kv::*;
use crate::common::*;
use serde_json::{Value, json};

fn tenant(zones: Vec<Value>, dns: &[&str]) -> Value {
    json!({
        "virtual_networks": [pe_vnet("vnet-app", "10.1.0.0/16", dns, vec![])],
        "private_endpoints": [pe("pe-kv1", "vnet-app", &kv_id("kv1"), "vault", "Approved", "10.1.2.4")],
        "private_dns_zones": zones,
        // The tenant's one subscription, scanned: a zone found nowhere is missing.
        "subscriptions": [subscription(SUB)],
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

#[test]
fn zones_may_live_in_a_subscription_outside_the_scan() {
    // Central private DNS: the spoke peers with a hub in a connectivity subscription that was not
    // scanned, where the zone usually lives.
    let hub = "00000000-0000-4000-8000-0000000000cc";
    let mut t = tenant(vec![], &[]);
    t["virtual_networks"][0]["properties"]["virtualNetworkPeerings"] = json!([{
        "name": "to-hub",
        "properties": {"peeringState": "Connected",
            "remoteVirtualNetwork": {"id": format!("/subscriptions/{hub}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub")}}
    }]);
    let report = scan(&snapshot(t));
    assert_not_judged(&report, "DNS102", false);
    let ne = not_evaluated_of(&report, "DNS102");
    assert_eq!(ne.len(), 1);
    assert_eq!(ne[0].0, pe_id("pe-kv1"));
    assert!(ne[0].1.contains(hub), "{}", ne[0].1);
    assert!(ne[0].1.contains("central private DNS"), "{}", ne[0].1);
    // A tenant whose subscription list is unknown may hold subscriptions outside the scan.
    let mut t = tenant(vec![], &[]);
    t["subscriptions"] = json!([]);
    let report = scan(&snapshot(t));
    assert_not_judged(&report, "DNS102", false);
    // The tenant lists a second subscription that was not scanned.
    let mut t = tenant(vec![], &[]);
    t["subscriptions"] = json!([subscription(SUB), subscription(hub)]);
    let report = scan(&snapshot(t));
    assert_not_judged(&report, "DNS102", false);
    // Every subscription scanned (the tenant above): the finding stands, also when the endpoint's
    // target lives in a subscription outside (it holds no zone of ours) and a disabled
    // subscription of the tenant was left out.
    let mut t = tenant(vec![], &[]);
    t["private_endpoints"][0]["properties"]["privateLinkServiceConnections"][0]["properties"]["privateLinkServiceId"] = json!(
        format!("/subscriptions/{hub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1")
    );
    let mut disabled = subscription(hub);
    disabled["state"] = json!("Disabled");
    t["subscriptions"] = json!([subscription(SUB), disabled]);
    let report = scan(&snapshot(t));
    assert_eq!(
        findings_of(&report, "DNS102").len(),
        1,
        "{:#?}",
        report.rules
    );
}
