//! RTE101 pe-route-bypasses-firewall: positive cases, negative twins, evidence.

use crate::common::*;
use serde_json::{Value, json};

type R<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);

const FW: Option<&str> = Some("10.0.1.4");

fn endpoint(name: &str, vnet: &str, ip: &str, status: &str) -> Value {
    json!({
        "id": net_id("privateEndpoints", name), "name": name,
        "properties": {
            "subnet": {"id": subnet_id(vnet, "snet-pe")},
            "privateLinkServiceConnections": [{"name": "c", "properties": {
                "privateLinkServiceId": format!("{}/providers/Microsoft.KeyVault/vaults/{name}-kv", rg_id("rg")),
                "groupIds": ["vault"], "privateLinkServiceConnectionState": {"status": status}}}],
            "ipConfigurations": [{"name": "c", "properties": {"privateIPAddress": ip}}]
        }
    })
}

/// A spoke 10.1.0.0/16 with snet-app (route table `rt`) and snet-pe holding pe1 (10.1.2.4).
fn tenant_with(policies: &str, routes: &[R<'_>], endpoints: Vec<Value>) -> Value {
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
    json!({
        "virtual_networks": [vnet("spoke", "10.1.0.0/16", vec![app, pe_subnet], json!({}))],
        "route_tables": [route_table("rt", routes)],
        "private_endpoints": endpoints,
    })
}

fn tenant(policies: &str, routes: &[R<'_>], status: &str) -> Value {
    tenant_with(
        policies,
        routes,
        vec![endpoint("pe1", "spoke", "10.1.2.4", status)],
    )
}

#[test]
fn a_default_route_in_the_endpoints_vnet_is_not_bypassed() {
    // 10.1.0.0/16 VnetLocal wins over 0.0.0.0/0 for 10.1.2.4 with or without the /32.
    let report = scan(&snapshot(tenant(
        "Disabled",
        &[("default", "0.0.0.0/0", "VirtualAppliance", FW)],
        "Approved",
    )));
    assert_twin(&report, "RTE101");
}

#[test]
fn a_route_of_the_endpoint_range_is_bypassed_with_policies_disabled() {
    let report = scan(&snapshot(tenant(
        "Disabled",
        &[
            ("default", "0.0.0.0/0", "VirtualAppliance", FW),
            ("to-pe", "10.1.2.0/24", "VirtualAppliance", FW),
        ],
        "Approved",
    )));
    let f = findings_of(&report, "RTE101");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].resource_id, subnet_id("spoke", "snet-pe"));
    let e = &f[0].evidence;
    assert_eq!(e["subnet"], subnet_id("spoke", "snet-app"));
    assert_eq!(e["route_table"], net_id("routeTables", "rt"));
    assert_eq!(
        e["defeated_routes"],
        json!([{"route": "to-pe", "address_prefix": "10.1.2.0/24", "next_hop_type": "VirtualAppliance", "next_hop_ip_address": "10.0.1.4"}])
    );
    assert_eq!(
        e["endpoints"],
        json!([{"private_endpoint": net_id("privateEndpoints", "pe1"), "address": "10.1.2.4"}])
    );
    assert_eq!(e["endpoint_subnet_policies"], "Disabled");
    let why = e["why_not_invalidated"].as_str().unwrap();
    assert!(why.contains("Disabled"), "{why}");
    assert!(!why.contains("shorter"), "{why}");
    assert!(
        f[0].message.contains("to-pe 10.1.2.0/24"),
        "{}",
        f[0].message
    );
    assert!(
        f[0].remediation.contains("RouteTableEnabled"),
        "{}",
        f[0].remediation
    );
}

#[test]
fn route_table_policies_and_a_route_as_long_as_the_vnet_space_are_the_negative_twin() {
    for prefix in ["10.1.2.0/24", "10.1.0.0/16"] {
        let report = scan(&snapshot(tenant(
            "RouteTableEnabled",
            &[("to-pe", prefix, "VirtualAppliance", FW)],
            "Approved",
        )));
        assert_twin(&report, "RTE101");
    }
}

#[test]
fn endpoints_of_one_subnet_make_one_finding() {
    let report = scan(&snapshot(tenant_with(
        "Disabled",
        &[("to-spoke", "10.1.0.0/16", "VirtualAppliance", FW)],
        vec![
            endpoint("pe1", "spoke", "10.1.2.4", "Approved"),
            endpoint("pe2", "spoke", "10.1.2.5", "Approved"),
            endpoint("pe3", "spoke", "10.1.2.6", "Pending"),
        ],
    )));
    let f = findings_of(&report, "RTE101");
    assert_eq!(f.len(), 1, "{f:#?}");
    let addrs: Vec<&str> = f[0].evidence["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        addrs,
        ["10.1.2.4", "10.1.2.5"],
        "a pending endpoint carries no traffic"
    );
    assert_eq!(f[0].evidence["defeated_routes"][0]["route"], "to-spoke");
}

#[test]
fn the_finding_names_the_route_that_would_win_not_another_appliance_route() {
    // Without the /32, 10.1.2.0/24 → Internet wins: no appliance route is bypassed.
    let report = scan(&snapshot(tenant(
        "Disabled",
        &[
            ("to-spoke", "10.1.0.0/16", "VirtualAppliance", FW),
            ("pe-direct", "10.1.2.0/24", "Internet", None),
        ],
        "Approved",
    )));
    assert_twin(&report, "RTE101");
}

/// A hub 10.0.0.0/16 peered with the spoke; its snet-hub has route table `rt-hub`.
fn peered(hub_routes: &[R<'_>]) -> Value {
    let peering = |name: &str, remote: &str, space: &str| {
        json!({"name": name, "properties": {"peeringState": "Connected", "allowVirtualNetworkAccess": true,
            "remoteVirtualNetwork": {"id": net_id("virtualNetworks", remote)},
            "remoteAddressSpace": {"addressPrefixes": [space]}}})
    };
    let hub_subnet = subnet(
        "hub",
        "snet-hub",
        "10.0.4.0/24",
        json!({"routeTable": {"id": net_id("routeTables", "rt-hub")}}),
    );
    let pe_subnet = subnet(
        "spoke",
        "snet-pe",
        "10.1.2.0/24",
        json!({"privateEndpointNetworkPolicies": "Disabled"}),
    );
    json!({
        "virtual_networks": [
            vnet("hub", "10.0.0.0/16", vec![hub_subnet], json!({"virtualNetworkPeerings": [peering("hub-to-spoke", "spoke", "10.1.0.0/16")]})),
            vnet("spoke", "10.1.0.0/16", vec![pe_subnet], json!({"virtualNetworkPeerings": [peering("spoke-to-hub", "hub", "10.0.0.0/16")]})),
        ],
        "route_tables": [route_table("rt-hub", hub_routes)],
        "private_endpoints": [endpoint("pe1", "spoke", "10.1.2.4", "Approved")],
    })
}

#[test]
fn a_peered_vnet_route_of_the_spoke_space_is_bypassed() {
    let report = scan(&snapshot(peered(&[(
        "to-spoke",
        "10.1.0.0/16",
        "VirtualAppliance",
        FW,
    )])));
    let f = findings_of(&report, "RTE101");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].resource_id, subnet_id("spoke", "snet-pe"));
    assert_eq!(f[0].evidence["subnet"], subnet_id("hub", "snet-hub"));
    assert_eq!(f[0].evidence["defeated_routes"][0]["route"], "to-spoke");
}

#[test]
fn a_peered_vnet_route_wider_than_the_peering_never_carried_the_traffic() {
    let report = scan(&snapshot(peered(&[(
        "to-private",
        "10.0.0.0/8",
        "VirtualAppliance",
        FW,
    )])));
    assert_twin(&report, "RTE101");
}

#[test]
fn routes_that_do_not_go_to_an_appliance_are_not_bypassed() {
    let report = scan(&snapshot(tenant(
        "Disabled",
        &[("to-pe", "10.1.2.0/24", "VirtualNetworkGateway", None)],
        "Approved",
    )));
    assert_twin(&report, "RTE101");
}

#[test]
fn an_endpoint_without_an_approved_connection_is_ignored() {
    let report = scan(&snapshot(tenant(
        "Disabled",
        &[("to-pe", "10.1.2.0/24", "VirtualAppliance", FW)],
        "Pending",
    )));
    assert_twin(&report, "RTE101");
}
