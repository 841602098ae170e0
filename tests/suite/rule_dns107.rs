//! DNS107 pe-name-resolves-publicly: the end-to-end resolution chain.

use crate::common::*;
use serde_json::{Value, json};

const ZONE: &str = "privatelink.vaultcore.azure.net";

fn zone_id() -> String {
    format!(
        "{}/providers/Microsoft.Network/privateDnsZones/{ZONE}",
        rg_id("rg-dns")
    )
}

fn tenant(linked: &[&str], record_ip: Option<&str>, app_dns: Value) -> Value {
    let links: Vec<Value> = linked
        .iter()
        .map(|v| json!({"id": format!("{}/virtualNetworkLinks/{v}", zone_id()), "name": v,
            "properties": {"virtualNetwork": {"id": net_id("virtualNetworks", v)}, "virtualNetworkLinkState": "Completed", "provisioningState": "Succeeded"}}))
        .collect();
    let records: Vec<Value> = record_ip
        .iter()
        .map(|ip| json!({"id": format!("{}/A/kv1", zone_id()), "name": "kv1", "type": "Microsoft.Network/privateDnsZones/A",
            "properties": {"ttl": 10, "aRecords": [{"ipv4Address": ip}]}}))
        .collect();
    let peering = |to: &str, space: &str| {
        json!({"name": format!("to-{to}"), "properties": {"peeringState": "Connected",
        "remoteVirtualNetwork": {"id": net_id("virtualNetworks", to)}, "remoteAddressSpace": {"addressPrefixes": [space]}}})
    };
    json!({
        "virtual_networks": [
            vnet("app", "10.1.0.0/16", vec![subnet("app", "snet-pe", "10.1.2.0/24", json!({}))],
                 json!({"dhcpOptions": {"dnsServers": app_dns}, "virtualNetworkPeerings": [peering("hub", "10.0.0.0/16")]})),
            vnet("hub", "10.0.0.0/16", vec![], json!({"virtualNetworkPeerings": [peering("app", "10.1.0.0/16")]})),
        ],
        "private_endpoints": [{
            "id": net_id("privateEndpoints", "pe-kv1"), "name": "pe-kv1",
            "properties": {
                "subnet": {"id": subnet_id("app", "snet-pe")},
                "privateLinkServiceConnections": [{"name": "c", "properties": {
                    "privateLinkServiceId": format!("{}/providers/Microsoft.KeyVault/vaults/kv1", rg_id("rg")),
                    "groupIds": ["vault"], "privateLinkServiceConnectionState": {"status": "Approved"}}}],
                "ipConfigurations": [{"name": "c", "properties": {"privateIPAddress": "10.1.2.4"}}]
            }
        }],
        "private_dns_zones": [{"id": zone_id(), "name": ZONE, "location": "global", "properties": {}}],
        "virtual_network_links": links,
        "record_sets": records,
    })
}

#[test]
fn a_correct_chain_is_the_negative_twin() {
    let report = scan(&snapshot(tenant(
        &["app", "hub"],
        Some("10.1.2.4"),
        json!([]),
    )));
    assert_twin(&report, "DNS107");
}

#[test]
fn an_unlinked_peered_vnet_resolves_publicly() {
    let report = scan(&snapshot(tenant(&["app"], Some("10.1.2.4"), json!([]))));
    let f = findings_of(&report, "DNS107");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert!(
        f[0].message
            .starts_with("From VNet hub, kv1.vault.azure.net resolves to the public address"),
        "{}",
        f[0].message
    );
    let r = &f[0].evidence["resolution"];
    assert_eq!(r["answer"], "public");
    assert_eq!(r["vnet"], net_id("virtualNetworks", "hub"));
    assert_eq!(
        r["private_link_name"],
        "kv1.privatelink.vaultcore.azure.net"
    );
    let chain = r["chain"].as_array().unwrap();
    assert_eq!(chain.last().unwrap()["ok"], false);
}

#[test]
fn a_stale_record_points_elsewhere() {
    let report = scan(&snapshot(tenant(
        &["app", "hub"],
        Some("10.1.2.99"),
        json!([]),
    )));
    let f = findings_of(&report, "DNS107");
    assert_eq!(f.len(), 2, "both VNets get the stale answer");
    assert!(
        f[0].message
            .contains("10.1.2.99 which is not the endpoint's address (10.1.2.4)"),
        "{}",
        f[0].message
    );
    assert!(f[0].remediation.contains("add-record"));
}

#[test]
fn a_missing_record_is_nxdomain() {
    let report = scan(&snapshot(tenant(&["app", "hub"], None, json!([]))));
    let f = findings_of(&report, "DNS107");
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].evidence["resolution"]["answer"], "nx_domain");
}

#[test]
fn custom_dns_is_not_claimed_either_way() {
    let report = scan(&snapshot(tenant(
        &["hub"],
        Some("10.1.2.4"),
        json!(["10.0.4.4"]),
    )));
    // app uses custom DNS (unknown answer), hub is linked with the right record: nothing to claim.
    assert_twin(&report, "DNS107");
}
