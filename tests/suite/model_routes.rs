//! Effective routes per subnet against Microsoft's documented behaviour and example shapes.

use crate::common::*;

use azaudit::inventory::Index;
use azaudit::inventory::network::NextHopType;
use azaudit::model::routes::{RouteSource, RouteState, effective_routes, lookup};
use serde_json::{Value, json};

fn routes_of(
    inventory: Value,
    vnet_name: &str,
    subnet_name: &str,
) -> Vec<azaudit::model::routes::EffectiveRoute> {
    let snap = snapshot(inventory);
    let idx = Index::new(&snap.inventory);
    let (s, v) = idx
        .subnet(&subnet_id(vnet_name, subnet_name))
        .expect("subnet");
    effective_routes(&idx, s, v)
}

fn summary(
    routes: &[azaudit::model::routes::EffectiveRoute],
) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = routes
        .iter()
        .map(|r| {
            (
                format!("{:?}", r.source),
                format!("{:?}", r.state),
                r.address_prefix.clone(),
                r.next_hop_type.to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Microsoft's NetworkInterfaceEffectiveRouteTableList example: a VNet of 172.20.2.0/24 gets its
/// VnetLocal route, the Internet default, and None routes for the four reserved ranges (172.16/12
/// stays because the VNet is inside it).
#[test]
fn reproduces_microsofts_effective_route_example() {
    let inv = json!({"virtual_networks": [vnet("vnet1", "172.20.2.0/24", vec![subnet("vnet1", "s", "172.20.2.0/24", json!({}))], json!({}))]});
    let got = summary(&routes_of(inv, "vnet1", "s"));
    let Some(dir) =
        crate::common::examples::examples_dir("reproduces_microsofts_effective_route_example")
    else {
        return;
    };
    let example = crate::common::examples::read_example(
        &dir,
        "network/NetworkInterfaceEffectiveRouteTableList.json",
    );
    let mut want: Vec<_> = example["responses"]["200"]["body"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let hop =
                azaudit::inventory::network::NextHopType::parse(r["nextHopType"].as_str().unwrap());
            (
                r["source"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
                r["addressPrefix"][0].as_str().unwrap().to_string(),
                hop.to_string(),
            )
        })
        .collect();
    assert_eq!(want.len(), 6, "the example lists six default routes");
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn a_vnet_that_uses_a_reserved_range_exactly_has_no_none_route_for_it() {
    let inv = json!({"virtual_networks": [vnet("v", "10.0.0.0/8", vec![subnet("v", "s", "10.1.0.0/24", json!({}))], json!({}))]});
    let routes = routes_of(inv, "v", "s");
    assert!(
        !routes
            .iter()
            .any(|r| r.address_prefix == "10.0.0.0/8" && r.next_hop_type == NextHopType::None)
    );
    let c = lookup(&routes, "10.9.9.9".parse().unwrap()).unwrap();
    assert_eq!(c.route.next_hop_type, NextHopType::VnetLocal);
}

/// spoke 10.1.0.0/16 with snet-app (UDR table) and snet-pe (holding a private endpoint at 10.1.2.4).
fn pe_tenant(policies: &str, udr_prefix: &str) -> Value {
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
        "route_tables": [route_table("rt", &[("to-fw", udr_prefix, "VirtualAppliance", Some("10.0.1.4"))])],
        "private_endpoints": [{
            "id": net_id("privateEndpoints", "pe1"), "name": "pe1",
            "properties": {"subnet": {"id": subnet_id("spoke", "snet-pe")},
                           "ipConfigurations": [{"name": "c", "properties": {"privateIPAddress": "10.1.2.4"}}]}
        }]
    })
}

fn pe_route(
    routes: &[azaudit::model::routes::EffectiveRoute],
) -> &azaudit::model::routes::EffectiveRoute {
    routes
        .iter()
        .find(|r| r.address_prefix == "10.1.2.4/32")
        .expect("PE /32 route")
}

#[test]
fn pe_route_kept_with_policies_disabled() {
    let routes = routes_of(pe_tenant("Disabled", "10.1.0.0/16"), "spoke", "snet-app");
    let r = pe_route(&routes);
    assert_eq!(
        (r.state, &r.next_hop_type),
        (RouteState::Active, &NextHopType::InterfaceEndpoint)
    );
    let c = lookup(&routes, "10.1.2.4".parse().unwrap()).unwrap();
    assert_eq!(
        c.route.next_hop_type,
        NextHopType::InterfaceEndpoint,
        "traffic bypasses the firewall"
    );
}

#[test]
fn pe_route_kept_with_a_default_route_udr_even_with_policies_enabled() {
    let routes = routes_of(pe_tenant("Enabled", "0.0.0.0/0"), "spoke", "snet-app");
    assert_eq!(pe_route(&routes).state, RouteState::Active);
}

#[test]
fn pe_route_invalidated_by_a_vnet_range_udr_with_policies_enabled() {
    for policies in ["Enabled", "RouteTableEnabled"] {
        let routes = routes_of(pe_tenant(policies, "10.1.0.0/16"), "spoke", "snet-app");
        let r = pe_route(&routes);
        assert_eq!(r.state, RouteState::Invalid, "{policies}");
        assert!(r.invalid_reason.as_deref().unwrap().contains("to-fw"));
        let c = lookup(&routes, "10.1.2.4".parse().unwrap()).unwrap();
        assert_eq!(c.route.next_hop_type, NextHopType::VirtualAppliance);
        assert_eq!(c.route.source, RouteSource::User);
    }
    // NetworkSecurityGroupEnabled does not enable route tables for endpoints.
    let routes = routes_of(
        pe_tenant("NetworkSecurityGroupEnabled", "10.1.0.0/16"),
        "spoke",
        "snet-app",
    );
    assert_eq!(pe_route(&routes).state, RouteState::Active);
}

#[test]
fn a_user_route_with_the_vnet_prefix_overrides_the_system_route() {
    let routes = routes_of(pe_tenant("Disabled", "10.1.0.0/16"), "spoke", "snet-app");
    let system = routes
        .iter()
        .find(|r| r.address_prefix == "10.1.0.0/16" && r.source == RouteSource::Default)
        .unwrap();
    assert_eq!(system.state, RouteState::Invalid);
    let c = lookup(&routes, "10.1.7.7".parse().unwrap()).unwrap();
    assert_eq!(c.route.source, RouteSource::User);
    assert!(c.reason.contains("10.1.0.0/16"));
}

#[test]
fn peered_vnets_bring_their_prefixes_and_private_endpoint_routes() {
    let hub = vnet(
        "hub",
        "10.0.0.0/16",
        vec![subnet("hub", "s", "10.0.1.0/24", json!({}))],
        json!({
            "virtualNetworkPeerings": [{"name": "hub-to-spoke", "properties": {
                "peeringState": "Connected", "remoteVirtualNetwork": {"id": net_id("virtualNetworks", "spoke")},
                "remoteAddressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}}]
        }),
    );
    let mut inv = pe_tenant("Disabled", "0.0.0.0/0");
    inv["virtual_networks"].as_array_mut().unwrap().push(hub);
    let routes = routes_of(inv, "hub", "s");
    assert!(
        routes
            .iter()
            .any(|r| r.address_prefix == "10.1.0.0/16"
                && r.next_hop_type == NextHopType::VnetPeering)
    );
    assert_eq!(pe_route(&routes).state, RouteState::Active);
    // A disconnected peering brings nothing.
    let hub = vnet(
        "hub",
        "10.0.0.0/16",
        vec![subnet("hub", "s", "10.0.1.0/24", json!({}))],
        json!({
            "virtualNetworkPeerings": [{"name": "p", "properties": {"peeringState": "Disconnected",
                "remoteVirtualNetwork": {"id": net_id("virtualNetworks", "spoke")}, "remoteAddressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}}]
        }),
    );
    let mut inv = pe_tenant("Disabled", "0.0.0.0/0");
    inv["virtual_networks"].as_array_mut().unwrap().push(hub);
    let routes = routes_of(inv, "hub", "s");
    assert!(
        !routes
            .iter()
            .any(|r| r.next_hop_type == NextHopType::VnetPeering)
    );
    assert!(!routes.iter().any(|r| r.address_prefix == "10.1.2.4/32"));
}

/// The "Routing example" of Microsoft Learn's "Virtual network traffic routing": Subnet1's route
/// table (IDs 1–7 and 9–12; ID8, the gateway's BGP route, needs on-premises prefixes the inventory
/// does not hold) and Subnet2's, with their Active/Invalid states.
#[test]
fn reproduces_the_virtual_network_traffic_routing_example() {
    let nva = Some("10.0.100.4");
    let rt = route_table(
        "rt-subnet1",
        &[
            ("Within-VNet1", "10.0.0.0/16", "VirtualAppliance", nva),
            ("Within-Subnet1", "10.0.0.0/24", "VnetLocal", None),
            ("ToVNet2-1-Drop", "10.1.0.0/16", "None", None),
            ("ToVNet2-2-Drop", "10.2.0.0/16", "None", None),
            ("To-On-Prem", "10.10.0.0/16", "VirtualAppliance", nva),
            ("Default-NVA", "0.0.0.0/0", "VirtualAppliance", nva),
        ],
    );
    let subnet1 = subnet(
        "vnet1",
        "Subnet1",
        "10.0.0.0/24",
        json!({
            "routeTable": {"id": net_id("routeTables", "rt-subnet1")},
            "serviceEndpoints": [{"service": "Microsoft.Storage", "locations": ["westeurope"]}]
        }),
    );
    let subnet2 = subnet("vnet1", "Subnet2", "10.0.1.0/24", json!({}));
    let vnet1 = vnet(
        "vnet1",
        "10.0.0.0/16",
        vec![subnet1, subnet2],
        json!({
            "virtualNetworkPeerings": [{"name": "to-vnet2", "properties": {"peeringState": "Connected",
                "remoteVirtualNetwork": {"id": net_id("virtualNetworks", "vnet2")},
                "remoteAddressSpace": {"addressPrefixes": ["10.1.0.0/16", "10.2.0.0/16"]}}}]
        }),
    );
    let inv = json!({"virtual_networks": [vnet1], "route_tables": [rt]});

    let row = |src: &str, state: &str, prefix: &str, hop: &str| {
        (
            src.to_string(),
            state.to_string(),
            prefix.to_string(),
            hop.to_string(),
        )
    };
    let mut want = vec![
        row("Default", "Invalid", "10.0.0.0/16", "VnetLocal"),
        row("User", "Active", "10.0.0.0/16", "VirtualAppliance"),
        row("User", "Active", "10.0.0.0/24", "VnetLocal"),
        row("Default", "Invalid", "10.1.0.0/16", "VNetPeering"),
        row("Default", "Invalid", "10.2.0.0/16", "VNetPeering"),
        row("User", "Active", "10.1.0.0/16", "None"),
        row("User", "Active", "10.2.0.0/16", "None"),
        row("User", "Active", "10.10.0.0/16", "VirtualAppliance"),
        row(
            "Default",
            "Active",
            "Microsoft.Storage",
            "VirtualNetworkServiceEndpoint",
        ),
        row("Default", "Invalid", "0.0.0.0/0", "Internet"),
        row("User", "Active", "0.0.0.0/0", "VirtualAppliance"),
    ];
    want.sort();
    assert_eq!(summary(&routes_of(inv.clone(), "vnet1", "Subnet1")), want);

    let subnet2 = summary(&routes_of(inv, "vnet1", "Subnet2"));
    for expected in [
        row("Default", "Active", "10.0.0.0/16", "VnetLocal"),
        row("Default", "Active", "10.1.0.0/16", "VNetPeering"),
        row("Default", "Active", "10.2.0.0/16", "VNetPeering"),
        row("Default", "Active", "0.0.0.0/0", "Internet"),
        row("Default", "Active", "10.0.0.0/8", "None"),
        row("Default", "Active", "100.64.0.0/10", "None"),
        row("Default", "Active", "192.168.0.0/16", "None"),
    ] {
        assert!(
            subnet2.contains(&expected),
            "Subnet2 lacks {expected:?}: {subnet2:#?}"
        );
    }
    assert!(!subnet2.iter().any(|r| r.0 == "User"));
}
