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
fn an_unlinked_peered_vnet_is_dns104s_finding_not_repeated_here() {
    let report = scan(&snapshot(tenant(&["app"], Some("10.1.2.4"), json!([]))));
    assert_twin(&report, "DNS107");
    let f = findings_of(&report, "DNS104");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].resource_id, net_id("virtualNetworks", "hub"));
}

#[test]
fn an_unlinked_endpoint_vnet_is_dns101s_finding_not_repeated_here() {
    let report = scan(&snapshot(tenant(&["hub"], Some("10.1.2.4"), json!([]))));
    assert_twin(&report, "DNS107");
    let f = findings_of(&report, "DNS101");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].resource_id, net_id("virtualNetworks", "app"));
}

#[test]
fn a_stale_or_missing_record_in_the_endpoint_zone_is_dns105s() {
    for record in [Some("10.1.2.99"), None] {
        let report = scan(&snapshot(tenant(&["app", "hub"], record, json!([]))));
        assert_twin(&report, "DNS107");
        let f = findings_of(&report, "DNS105");
        assert_eq!(f.len(), 1, "{:#?}", report.findings);
        assert_eq!(
            f[0].evidence["problem"],
            if record.is_some() { "stale" } else { "missing" }
        );
    }
}

/// The hub resolves the zone name through a second zone of its own (split zones), which holds
/// `hub_record` for kv1 (or nothing); a second vault kv2 has an endpoint in app too.
fn split_zones(hub_record: Option<&str>) -> Value {
    let mut t = tenant(&["app"], Some("10.1.2.4"), json!([]));
    let hub_zone = format!(
        "{}/providers/Microsoft.Network/privateDnsZones/{ZONE}",
        rg_id("rg-hub-dns")
    );
    t["private_dns_zones"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": hub_zone, "name": ZONE, "location": "global", "properties": {}}));
    t["virtual_network_links"]
        .as_array_mut()
        .unwrap()
        .push(json!({
        "id": format!("{hub_zone}/virtualNetworkLinks/hub"), "name": "hub",
        "properties": {"virtualNetwork": {"id": net_id("virtualNetworks", "hub")},
                       "virtualNetworkLinkState": "Completed", "provisioningState": "Succeeded"}}));
    let records = t["record_sets"].as_array_mut().unwrap();
    records.push(json!({"id": format!("{}/A/kv2", zone_id()), "name": "kv2",
        "type": "Microsoft.Network/privateDnsZones/A", "properties": {"ttl": 10, "aRecords": [{"ipv4Address": "10.1.2.5"}]}}));
    if let Some(ip) = hub_record {
        for (name, ip) in [("kv1", ip), ("kv2", "10.1.2.5")] {
            records.push(json!({"id": format!("{hub_zone}/A/{name}"), "name": name,
                "type": "Microsoft.Network/privateDnsZones/A", "properties": {"ttl": 10, "aRecords": [{"ipv4Address": ip}]}}));
        }
    }
    let mut pe2 = t["private_endpoints"][0].clone();
    pe2["id"] = json!(net_id("privateEndpoints", "pe-kv2"));
    pe2["name"] = json!("pe-kv2");
    pe2["properties"]["privateLinkServiceConnections"][0]["properties"]["privateLinkServiceId"] = json!(
        format!("{}/providers/Microsoft.KeyVault/vaults/kv2", rg_id("rg"))
    );
    pe2["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] = json!("10.1.2.5");
    t["private_endpoints"].as_array_mut().unwrap().push(pe2);
    t
}

#[test]
fn a_peer_resolving_through_its_own_zone_without_the_records_is_one_finding_on_the_peer() {
    let report = scan(&snapshot(split_zones(None)));
    let f = findings_of(&report, "DNS107");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let f = f[0];
    assert_eq!(f.resource_id, net_id("virtualNetworks", "hub"));
    let ev = &f.evidence;
    assert_eq!(ev["zone_name"], ZONE);
    assert!(
        ev["answering_zone"]
            .as_str()
            .unwrap()
            .contains("rg-hub-dns")
    );
    assert_eq!(
        ev["private_endpoints"],
        json!([
            net_id("privateEndpoints", "pe-kv1"),
            net_id("privateEndpoints", "pe-kv2")
        ])
    );
    let names: Vec<&str> = ev["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["fqdn"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kv1.vault.azure.net", "kv2.vault.azure.net"]);
    assert_eq!(ev["names"][0]["resolution"]["answer"], "nx_domain");
    assert!(
        f.message.starts_with(
            "From VNet hub, kv1.vault.azure.net, kv2.vault.azure.net do(es) not resolve"
        ),
        "{}",
        f.message
    );
    assert!(
        f.remediation.contains("--resource-group rg-hub-dns"),
        "{}",
        f.remediation
    );
    // The hub is linked to a zone of the name: not DNS104's; the endpoint zone is right: not DNS105's.
    assert_twin(&report, "DNS104");
    assert_twin(&report, "DNS105");
    // A stale copy in the hub's zone is the same finding.
    let report = scan(&snapshot(split_zones(Some("10.1.2.99"))));
    let f = findings_of(&report, "DNS107");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert!(
        f[0].evidence["names"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("10.1.2.99 which is not the endpoint's address (10.1.2.4)")
    );
}

#[test]
fn a_peer_zone_holding_the_right_records_is_the_negative_twin() {
    let report = scan(&snapshot(split_zones(Some("10.1.2.4"))));
    assert_twin(&report, "DNS107");
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
