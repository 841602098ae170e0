//! RTE103 appliance-next-hop-unknown.

use crate::common::*;
use serde_json::{Value, json};

fn tenant() -> Value {
    json!({
        "virtual_networks": [vnet("vnet-hub", "10.0.0.0/16", vec![subnet("vnet-hub", "snet-nva", "10.0.5.0/24", json!({}))], json!({}))],
        "network_interfaces": [nic("nva-nic", &subnet_id("vnet-hub", "snet-nva"), "10.0.5.4", None)],
        "azure_firewalls": [{"id": net_id("azureFirewalls", "afw"), "name": "afw", "properties": {"ipConfigurations": [
            {"name": "c", "properties": {"privateIPAddress": "10.0.1.4", "subnet": {"id": subnet_id("vnet-hub", "AzureFirewallSubnet")}}}]}}],
        "route_tables": [route_table("rt", &[
            ("to-fw", "0.0.0.0/0", "VirtualAppliance", Some("10.0.1.4")),
            ("to-nva", "10.8.0.0/16", "VirtualAppliance", Some("10.0.5.4")),
            ("to-gone", "10.9.0.0/16", "VirtualAppliance", Some("10.0.5.99")),
        ])],
    })
}

#[test]
fn an_unknown_appliance_address_fires_and_known_ones_do_not() {
    let r = scan(&snapshot(tenant()));
    let f = findings_of(&r, "RTE103");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert_eq!(f[0].evidence["route"], "to-gone");
    assert_eq!(f[0].evidence["next_hop_ip_address"], "10.0.5.99");
    assert_eq!(f[0].evidence["address_prefix"], "10.9.0.0/16");
    // The address may belong to something azaudit does not read: the verdict says so.
    assert_eq!(f[0].confidence, azaudit::findings::Confidence::Medium);
    assert!(f[0].confidence_reasons[0].contains("internal load balancer"));
}

#[test]
fn incomplete_nic_collection_is_not_evaluated() {
    let gaps = json!([{"subscription_id": SUB, "kind": "network_interface", "http_status": 429,
                        "code": "TooManyRequests", "message": "retries exhausted"}]);
    let r = scan(&snapshot_with_gaps(tenant(), gaps));
    assert_not_judged(&r, "RTE103", true);
    let o = outcome(&r, "RTE103");
    assert_eq!(o.not_evaluated.len(), 1);
    assert!(o.not_evaluated[0].reason.contains("retries exhausted"));
}

/// A Virtual WAN hub firewall in the shape of Microsoft's AzureFirewallPutInHub example (200 body):
/// no ipConfigurations, the private address under hubIPAddresses.
fn hub_firewall(private_ip: Value) -> Value {
    json!({
        "name": "azurefirewall",
        "id": format!("/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Network/azureFirewalls/azurefirewall"),
        "type": "Microsoft.Network/azureFirewalls", "etag": "w/\\00000000-0000-0000-0000-000000000000\\",
        "location": "West US", "zones": [], "tags": {"key1": "value1"},
        "properties": {
            "provisioningState": "Succeeded",
            "sku": {"name": "AZFW_Hub", "tier": "Standard"},
            "threatIntelMode": "Alert",
            "virtualHub": {"id": format!("/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Network/virtualHubs/hub1")},
            "firewallPolicy": {"id": format!("/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Network/firewallPolicies/policy1")},
            "hubIPAddresses": {"publicIPs": {"addresses": [{"address": "13.73.240.12"}], "count": 1},
                               "privateIPAddress": private_ip},
            "additionalProperties": {}
        }
    })
}

#[test]
fn a_virtual_wan_hub_firewall_next_hop_is_no_black_hole() {
    for private_ip in [json!("10.100.0.132"), json!({"ip": "10.100.0.132"})] {
        let t = json!({
            "azure_firewalls": [hub_firewall(private_ip)],
            "route_tables": [route_table("rt", &[
                ("to-hub-fw", "0.0.0.0/0", "VirtualAppliance", Some("10.100.0.132")),
            ])],
        });
        assert_twin(&scan(&snapshot(t)), "RTE103");
    }
    // Another address is still unknown.
    let t = json!({
        "azure_firewalls": [hub_firewall(json!("10.100.0.132"))],
        "route_tables": [route_table("rt", &[
            ("to-elsewhere", "0.0.0.0/0", "VirtualAppliance", Some("10.100.0.140")),
        ])],
    });
    let r = scan(&snapshot(t));
    assert_eq!(findings_of(&r, "RTE103").len(), 1);
}

/// A spoke whose default route points at a hub firewall in a subscription outside the scan: the
/// peering names the hub's space, nothing in it was read.
fn spoke_with_unscanned_hub(peer_sub: &str) -> Value {
    let hub = format!(
        "/subscriptions/{peer_sub}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub"
    );
    json!({
        "virtual_networks": [vnet("vnet-spoke", "10.1.0.0/16",
            vec![subnet("vnet-spoke", "snet-app", "10.1.1.0/24", json!({}))],
            json!({"virtualNetworkPeerings": [{
                "name": "spoke-to-hub",
                "properties": {"peeringState": "Connected", "allowVirtualNetworkAccess": true,
                    "remoteVirtualNetwork": {"id": hub},
                    "remoteAddressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}]}))],
        "network_interfaces": [],
        "azure_firewalls": [],
        "route_tables": [route_table("rt", &[
            ("to-hub-fw", "0.0.0.0/0", "VirtualAppliance", Some("10.0.1.4")),
            ("to-nowhere", "10.9.0.0/16", "VirtualAppliance", Some("10.7.0.4")),
        ])],
    })
}

#[test]
fn an_address_in_a_peered_vnet_outside_the_scan_is_not_judged() {
    let r = scan(&snapshot(spoke_with_unscanned_hub(MGMT_SUB)));
    let f = findings_of(&r, "RTE103");
    // 10.7.0.4 lies in no VNet azaudit knows of: still a likely black hole.
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].evidence["route"], "to-nowhere");
    let o = outcome(&r, "RTE103");
    assert_eq!(o.not_evaluated.len(), 1, "{:#?}", o.not_evaluated);
    let why = &o.not_evaluated[0].reason;
    assert!(why.contains("to-hub-fw"), "{why}");
    assert!(why.contains("vnet-hub"), "{why}");
    assert!(why.contains(MGMT_SUB), "{why}");
    assert!(why.contains("outside the scan"), "{why}");

    // Twin: the same peer inside the scanned subscription, with nothing at 10.0.1.4, is judged.
    let r = scan(&snapshot(spoke_with_unscanned_hub(SUB)));
    let f = findings_of(&r, "RTE103");
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(outcome(&r, "RTE103").not_evaluated.is_empty());
}
