//! DNS101 pe-zone-not-linked: positive cases, negative twins, evidence.

use crate::common::*;
use serde_json::{Value, json};

const ZONE: &str = "privatelink.vaultcore.azure.net";

fn vault_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.KeyVault/vaults/{name}",
        rg_id("rg-app")
    )
}
fn zone_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/privateDnsZones/{name}",
        rg_id("rg-dns")
    )
}

fn endpoint(name: &str, vnet: &str, status: &str) -> Value {
    json!({
        "id": net_id("privateEndpoints", name), "name": name, "type": "Microsoft.Network/privateEndpoints",
        "location": "westeurope",
        "properties": {
            "subnet": {"id": subnet_id(vnet, "snet-pe")},
            "privateLinkServiceConnections": [{
                "name": name,
                "properties": {"privateLinkServiceId": vault_id("kv1"), "groupIds": ["vault"],
                               "privateLinkServiceConnectionState": {"status": status, "description": "", "actionsRequired": "None"}}
            }],
            "manualPrivateLinkServiceConnections": [],
            "ipConfigurations": [{"name": "ip", "properties": {"groupId": "vault", "memberName": "default", "privateIPAddress": "10.1.2.4"}}]
        }
    })
}

fn link(zone: &str, name: &str, vnet: &str, state: &str) -> Value {
    json!({
        "id": format!("{}/virtualNetworkLinks/{name}", zone_id(zone)), "name": name,
        "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks", "location": "global",
        "properties": {"virtualNetwork": {"id": net_id("virtualNetworks", vnet)}, "registrationEnabled": false,
                       "virtualNetworkLinkState": state, "provisioningState": "Succeeded"}
    })
}

fn tenant(links: Vec<Value>, pe_status: &str, dns_servers: Value) -> Value {
    json!({
        "virtual_networks": [
            vnet("vnet-app", "10.1.0.0/16", vec![subnet("vnet-app", "snet-pe", "10.1.2.0/24", json!({}))],
                 json!({"dhcpOptions": {"dnsServers": dns_servers}})),
            vnet("vnet-hub", "10.0.0.0/16", vec![], json!({}))
        ],
        "private_endpoints": [endpoint("pe-kv1", "vnet-app", pe_status)],
        "private_dns_zones": [{"id": zone_id(ZONE), "name": ZONE, "type": "Microsoft.Network/privateDnsZones", "location": "global", "properties": {}}],
        "virtual_network_links": links,
    })
}

#[test]
fn zone_linked_only_elsewhere_fires_with_the_chain() {
    let report = scan(&snapshot(tenant(
        vec![link(ZONE, "hub", "vnet-hub", "Completed")],
        "Approved",
        json!([]),
    )));
    let f = findings_of(&report, "DNS101");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let f = f[0];
    // On the VNet that lacks the link, one per zone name, listing its endpoints.
    assert_eq!(f.resource_id, net_id("virtualNetworks", "vnet-app"));
    let ev = &f.evidence;
    assert_eq!(ev["expected_zone"], ZONE);
    assert_eq!(ev["virtual_network"], net_id("virtualNetworks", "vnet-app"));
    let ep = &ev["endpoints"][0];
    assert_eq!(ep["private_endpoint"], net_id("privateEndpoints", "pe-kv1"));
    assert_eq!(ep["group_id"], "vault");
    assert_eq!(ep["target"], vault_id("kv1"));
    assert_eq!(ep["private_ip_addresses"], json!(["10.1.2.4"]));
    assert_eq!(ev["zones"][0]["zone_id"], zone_id(ZONE));
    assert_eq!(ev["zones"][0]["effective"], false);
    assert!(
        f.message.contains("kv1") && f.message.contains("vnet-app"),
        "{}",
        f.message
    );
    assert!(
        f.remediation
            .contains("az network private-dns link vnet create")
    );
}

#[test]
fn a_completed_link_to_the_endpoint_vnet_is_the_negative_twin() {
    let report = scan(&snapshot(tenant(
        vec![link(ZONE, "app", "vnet-app", "Completed")],
        "Approved",
        json!([]),
    )));
    assert_twin(&report, "DNS101");
}

#[test]
fn link_ids_match_case_insensitively() {
    let mut l = link(ZONE, "app", "vnet-app", "Completed");
    let upper = l["properties"]["virtualNetwork"]["id"]
        .as_str()
        .unwrap()
        .to_uppercase();
    l["properties"]["virtualNetwork"]["id"] = json!(upper);
    let report = scan(&snapshot(tenant(vec![l], "Approved", json!([]))));
    assert_twin(&report, "DNS101");
}

#[test]
fn a_link_still_in_progress_fires_and_says_so() {
    let report = scan(&snapshot(tenant(
        vec![link(ZONE, "app", "vnet-app", "InProgress")],
        "Approved",
        json!([]),
    )));
    let f = findings_of(&report, "DNS101");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["zones"][0]["link_state"], "InProgress");
    assert!(f[0].message.contains("not effective"), "{}", f[0].message);
}

#[test]
fn custom_dns_servers_are_left_to_their_own_rule() {
    let report = scan(&snapshot(tenant(vec![], "Approved", json!(["10.0.4.4"]))));
    assert_twin(&report, "DNS101");
}

#[test]
fn a_pending_connection_is_not_a_dns_problem_yet() {
    let report = scan(&snapshot(tenant(vec![], "Pending", json!([]))));
    assert_twin(&report, "DNS101");
}

#[test]
fn no_zone_at_all_is_not_this_rule() {
    let mut t = tenant(vec![], "Approved", json!([]));
    t["private_dns_zones"] = json!([]);
    let report = scan(&snapshot(t));
    assert_twin(&report, "DNS101");
}

#[test]
fn a_misnamed_zone_linked_to_the_vnet_does_not_count() {
    let wrong = "privatelink.vault.azure.net";
    let mut t = tenant(
        vec![link(wrong, "app", "vnet-app", "Completed")],
        "Approved",
        json!([]),
    );
    t["private_dns_zones"].as_array_mut().unwrap().push(
        json!({"id": zone_id(wrong), "name": wrong, "type": "Microsoft.Network/privateDnsZones", "location": "global", "properties": {}}),
    );
    let report = scan(&snapshot(t));
    assert_eq!(findings_of(&report, "DNS101").len(), 1);
}

#[test]
fn several_endpoints_missing_one_link_are_one_finding_on_the_vnet() {
    let mut t = tenant(
        vec![link(ZONE, "hub", "vnet-hub", "Completed")],
        "Approved",
        json!([]),
    );
    let mut second = endpoint("pe-kv2", "vnet-app", "Approved");
    second["properties"]["privateLinkServiceConnections"][0]["properties"]["privateLinkServiceId"] =
        json!(vault_id("kv2"));
    t["private_endpoints"].as_array_mut().unwrap().push(second);
    let report = scan(&snapshot(t));
    let f = findings_of(&report, "DNS101");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let eps: Vec<&str> = f[0].evidence["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["private_endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(
        eps,
        [
            net_id("privateEndpoints", "pe-kv1"),
            net_id("privateEndpoints", "pe-kv2")
        ]
    );
    assert!(
        f[0].message.contains("pe-kv1, pe-kv2") && f[0].message.contains("kv1, kv2"),
        "{}",
        f[0].message
    );
}
