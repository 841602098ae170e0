//! RTE101 pe-route-bypasses-firewall: positive cases, negative twins, evidence.

use crate::common::*;
use serde_json::{Value, json};

fn tenant(policies: &str, udr_prefix: &str, hop: &str, status: &str) -> Value {
    let pe_subnet = subnet(
        "spoke",
        "snet-pe",
        "10.1.2.0/24",
        json!({"privateEndpointNetworkPolicies": policies}),
    );
    let app = subnet(
        "spoke",
        "snet-app",
        "10.1.1.0/24",
        json!({"routeTable": {"id": net_id("routeTables", "rt")}}),
    );
    let ip = if hop == "VirtualAppliance" {
        Some("10.0.1.4")
    } else {
        None
    };
    json!({
        "virtual_networks": [vnet("spoke", "10.1.0.0/16", vec![app, pe_subnet], json!({}))],
        "route_tables": [route_table("rt", &[("to-fw", udr_prefix, hop, ip)])],
        "private_endpoints": [{
            "id": net_id("privateEndpoints", "pe1"), "name": "pe1",
            "properties": {
                "subnet": {"id": subnet_id("spoke", "snet-pe")},
                "privateLinkServiceConnections": [{"name": "c", "properties": {
                    "privateLinkServiceId": format!("{}/providers/Microsoft.KeyVault/vaults/kv1", rg_id("rg")),
                    "groupIds": ["vault"], "privateLinkServiceConnectionState": {"status": status}}}],
                "ipConfigurations": [{"name": "c", "properties": {"privateIPAddress": "10.1.2.4"}}]
            }
        }]
    })
}

#[test]
fn default_route_to_a_firewall_is_bypassed_with_policies_disabled() {
    let report = scan(&snapshot(tenant(
        "Disabled",
        "0.0.0.0/0",
        "VirtualAppliance",
        "Approved",
    )));
    let f = findings_of(&report, "RTE101");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].resource_id, net_id("privateEndpoints", "pe1"));
    let b = &f[0].evidence["bypassed_routes"][0];
    assert_eq!(b["subnet"], subnet_id("spoke", "snet-app"));
    assert_eq!(b["route"], "to-fw");
    assert_eq!(b["address"], "10.1.2.4");
    assert_eq!(b["next_hop_ip_address"], "10.0.1.4");
    let why = b["why_not_invalidated"].as_str().unwrap();
    assert!(
        why.contains("Disabled") && why.contains("shorter than the VNet address space"),
        "{why}"
    );
}

#[test]
fn policies_enabled_and_a_vnet_range_route_is_the_negative_twin() {
    let report = scan(&snapshot(tenant(
        "Enabled",
        "10.1.0.0/16",
        "VirtualAppliance",
        "Approved",
    )));
    assert_twin(&report, "RTE101");
}

#[test]
fn policies_enabled_do_not_help_a_default_route() {
    let report = scan(&snapshot(tenant(
        "RouteTableEnabled",
        "0.0.0.0/0",
        "VirtualAppliance",
        "Approved",
    )));
    let f = findings_of(&report, "RTE101");
    assert_eq!(f.len(), 1);
    let why = f[0].evidence["bypassed_routes"][0]["why_not_invalidated"]
        .as_str()
        .unwrap();
    assert!(!why.contains("RouteTableEnabled on"), "{why}");
    assert!(why.contains("/0"), "{why}");
}

#[test]
fn routes_that_do_not_go_to_an_appliance_are_not_bypassed() {
    let report = scan(&snapshot(tenant(
        "Disabled",
        "0.0.0.0/0",
        "Internet",
        "Approved",
    )));
    assert_twin(&report, "RTE101");
}

#[test]
fn an_endpoint_without_an_approved_connection_is_ignored() {
    let report = scan(&snapshot(tenant(
        "Disabled",
        "0.0.0.0/0",
        "VirtualAppliance",
        "Pending",
    )));
    assert_twin(&report, "RTE101");
}
