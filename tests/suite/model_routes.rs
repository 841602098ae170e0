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

/// Microsoft's routing example tenant: VNet1 (Subnet1 with its route table, Subnet2, GatewaySubnet
/// with a VPN gateway connected site-to-site to an on-premises 10.10.0.0/16) peered with VNet2
/// (10.1.0.0/16, 10.2.0.0/16), which uses VNet1's gateway through gateway transit.
fn routing_example(connection: Value, vnet2_table: Option<bool>) -> Value {
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
    let gateway_subnet = subnet("vnet1", "GatewaySubnet", "10.0.255.0/27", json!({}));
    let vnet1 = vnet(
        "vnet1",
        "10.0.0.0/16",
        vec![subnet1, subnet2, gateway_subnet],
        json!({
            "virtualNetworkPeerings": [{"name": "to-vnet2", "properties": {"peeringState": "Connected",
                "allowGatewayTransit": true,
                "remoteVirtualNetwork": {"id": net_id("virtualNetworks", "vnet2")},
                "remoteAddressSpace": {"addressPrefixes": ["10.1.0.0/16", "10.2.0.0/16"]}}}]
        }),
    );
    let vnet2_extra = match vnet2_table {
        Some(_) => json!({"routeTable": {"id": net_id("routeTables", "rt-vnet2")}}),
        None => json!({}),
    };
    let mut vnet2 = vnet(
        "vnet2",
        "10.1.0.0/16",
        vec![subnet("vnet2", "app", "10.1.0.0/24", vnet2_extra)],
        json!({
            "virtualNetworkPeerings": [{"name": "to-vnet1", "properties": {"peeringState": "Connected",
                "useRemoteGateways": true,
                "remoteVirtualNetwork": {"id": net_id("virtualNetworks", "vnet1")},
                "remoteAddressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}]
        }),
    );
    vnet2["properties"]["addressSpace"]["addressPrefixes"] = json!(["10.1.0.0/16", "10.2.0.0/16"]);
    let mut rt = rt;
    rt["properties"]["disableBgpRoutePropagation"] = json!(false);
    let mut rt2 = route_table("rt-vnet2", &[]);
    rt2["properties"]["disableBgpRoutePropagation"] = json!(vnet2_table.unwrap_or(false));
    json!({
        "virtual_networks": [vnet1, vnet2],
        "route_tables": [rt, rt2],
        "virtual_network_gateways": [{
            "id": net_id("virtualNetworkGateways", "vpngw"), "name": "vpngw",
            "properties": {"gatewayType": "Vpn", "vpnType": "RouteBased",
                "ipConfigurations": [{"name": "default", "properties": {
                    "privateIPAddress": "10.0.255.4",
                    "subnet": {"id": subnet_id("vnet1", "GatewaySubnet")}}}]}
        }],
        "local_network_gateways": [{
            "id": net_id("localNetworkGateways", "onprem"), "name": "onprem",
            "properties": {"localNetworkAddressSpace": {"addressPrefixes": ["10.10.0.0/16"]},
                           "gatewayIpAddress": "203.0.113.10"}
        }],
        "virtual_network_gateway_connections": [connection]
    })
}

fn s2s_connection(extra: Value) -> Value {
    let mut c = json!({
        "id": net_id("connections", "onprem-s2s"), "name": "onprem-s2s",
        "properties": {"connectionType": "IPsec", "connectionStatus": "Connected", "enableBgp": false,
            "virtualNetworkGateway1": {"id": net_id("virtualNetworkGateways", "vpngw")},
            "localNetworkGateway2": {"id": net_id("localNetworkGateways", "onprem")}}
    });
    merge(&mut c["properties"], extra);
    c
}

fn row(src: &str, state: &str, prefix: &str, hop: &str) -> (String, String, String, String) {
    (
        src.to_string(),
        state.to_string(),
        prefix.to_string(),
        hop.to_string(),
    )
}

/// The "Routing example" of Microsoft Learn's "Virtual network traffic routing", completely:
/// Subnet1's route table (IDs 1–12, the gateway's 10.10.0.0/16 route Invalid behind the user route
/// To-On-Prem) and Subnet2's (the gateway route Active), with their Active/Invalid states; the
/// peered VNet gets the gateway route through gateway transit.
#[test]
fn reproduces_the_virtual_network_traffic_routing_example() {
    let inv = routing_example(s2s_connection(json!({})), None);
    let mut want = vec![
        row("Default", "Invalid", "10.0.0.0/16", "VnetLocal"),
        row("User", "Active", "10.0.0.0/16", "VirtualAppliance"),
        row("User", "Active", "10.0.0.0/24", "VnetLocal"),
        row("Default", "Invalid", "10.1.0.0/16", "VNetPeering"),
        row("Default", "Invalid", "10.2.0.0/16", "VNetPeering"),
        row("User", "Active", "10.1.0.0/16", "None"),
        row("User", "Active", "10.2.0.0/16", "None"),
        row(
            "VirtualNetworkGateway",
            "Invalid",
            "10.10.0.0/16",
            "VirtualNetworkGateway",
        ),
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
    let subnet1 = routes_of(inv.clone(), "vnet1", "Subnet1");
    assert_eq!(summary(&subnet1), want);
    let gw = subnet1
        .iter()
        .find(|r| r.source == RouteSource::VirtualNetworkGateway)
        .unwrap();
    assert!(gw.invalid_reason.as_deref().unwrap().contains("To-On-Prem"));
    assert_eq!(gw.next_hop_ip_address.as_deref(), Some("10.0.255.4"));

    let routes2 = routes_of(inv.clone(), "vnet1", "Subnet2");
    let mut want2 = vec![
        row("Default", "Active", "10.0.0.0/16", "VnetLocal"),
        row("Default", "Active", "10.1.0.0/16", "VNetPeering"),
        row("Default", "Active", "10.2.0.0/16", "VNetPeering"),
        row(
            "VirtualNetworkGateway",
            "Active",
            "10.10.0.0/16",
            "VirtualNetworkGateway",
        ),
        row("Default", "Active", "0.0.0.0/0", "Internet"),
        row("Default", "Active", "10.0.0.0/8", "None"),
        row("Default", "Active", "100.64.0.0/10", "None"),
        row("Default", "Active", "172.16.0.0/12", "None"),
        row("Default", "Active", "192.168.0.0/16", "None"),
    ];
    want2.sort();
    assert_eq!(summary(&routes2), want2);
    let c = lookup(&routes2, "10.10.1.1".parse().unwrap()).unwrap();
    assert_eq!(c.route.next_hop_type, NextHopType::VirtualNetworkGateway);
    assert_eq!(c.route.address_prefix, "10.10.0.0/16");
    assert!(c.caveat.is_none(), "a static site-to-site prefix is exact");

    // VNet2 uses VNet1's gateway (useRemoteGateways + allowGatewayTransit).
    let spoke = routes_of(inv.clone(), "vnet2", "app");
    let g = spoke
        .iter()
        .find(|r| r.next_hop_type == NextHopType::VirtualNetworkGateway)
        .expect("gateway route through transit");
    assert_eq!(
        (g.state, g.address_prefix.as_str()),
        (RouteState::Active, "10.10.0.0/16")
    );
    assert!(
        g.caveat
            .as_deref()
            .unwrap()
            .contains("gateway transit from vnet1")
    );
    let c = lookup(&spoke, "10.10.1.1".parse().unwrap()).unwrap();
    assert_eq!(c.route.next_hop_type, NextHopType::VirtualNetworkGateway);

    // Without allowGatewayTransit on the hub's side the spoke gets nothing from the gateway.
    let mut no_transit = inv;
    no_transit["virtual_networks"][0]["properties"]["virtualNetworkPeerings"][0]["properties"]["allowGatewayTransit"] =
        json!(false);
    let spoke = routes_of(no_transit, "vnet2", "app");
    assert!(
        !spoke
            .iter()
            .any(|r| r.next_hop_type == NextHopType::VirtualNetworkGateway)
    );
    let c = lookup(&spoke, "10.10.1.1".parse().unwrap()).unwrap();
    assert_eq!(c.route.next_hop_type, NextHopType::None);
}

#[test]
fn disabled_gateway_route_propagation_drops_the_gateway_routes() {
    let routes = routes_of(
        routing_example(s2s_connection(json!({})), Some(true)),
        "vnet2",
        "app",
    );
    let g = routes
        .iter()
        .find(|r| r.next_hop_type == NextHopType::VirtualNetworkGateway)
        .expect("shown, Invalid");
    assert_eq!(g.state, RouteState::Invalid);
    assert!(
        g.invalid_reason
            .as_deref()
            .unwrap()
            .contains("disableBgpRoutePropagation")
    );
    let c = lookup(&routes, "10.10.1.1".parse().unwrap()).unwrap();
    assert_eq!(c.route.next_hop_type, NextHopType::None);
    // Propagation enabled on the same table: the route is back.
    let routes = routes_of(
        routing_example(s2s_connection(json!({})), Some(false)),
        "vnet2",
        "app",
    );
    let c = lookup(&routes, "10.10.1.1".parse().unwrap()).unwrap();
    assert_eq!(c.route.next_hop_type, NextHopType::VirtualNetworkGateway);
}

#[test]
fn a_bgp_connection_gives_a_caveat_instead_of_a_definitive_answer() {
    let inv = routing_example(s2s_connection(json!({"enableBgp": true})), None);
    let routes = routes_of(inv, "vnet1", "Subnet2");
    let placeholder = routes
        .iter()
        .find(|r| r.address_prefix == azaudit::model::routes::BGP_PLACEHOLDER)
        .expect("BGP placeholder route");
    assert!(
        placeholder
            .caveat
            .as_deref()
            .unwrap()
            .contains("BGP-learned routes via vpngw not known offline")
    );
    for dest in ["192.168.7.7", "8.8.8.8"] {
        let c = lookup(&routes, dest.parse().unwrap()).unwrap();
        assert!(
            c.caveat
                .as_deref()
                .is_some_and(|w| w.contains("BGP-learned routes via vpngw not known offline")),
            "{dest}: {c:?}"
        );
    }
    // The table answer says so too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bgp.json");
    let doc = json!({
        "kind": "azaudit-snapshot", "schema_version": 1, "collected_at": "2026-11-24T08:00:00Z",
        "source": "test", "cloud": "public", "scope": {"subscriptions": [SUB]},
        "coverage": {"gaps": []},
        "inventory": routing_example(s2s_connection(json!({"enableBgp": true})), None)
    });
    std::fs::write(&path, doc.to_string()).unwrap();
    let o = azaudit(&[
        "routes",
        "--snapshot",
        path.to_str().unwrap(),
        "--subnet",
        "vnet1/Subnet2",
        "--dest",
        "8.8.8.8",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("caveat: BGP-learned routes via vpngw not known offline"),
        "{text}"
    );
    let o = azaudit(&[
        "routes",
        "--snapshot",
        path.to_str().unwrap(),
        "--subnet",
        "vnet1/Subnet2",
        "--dest",
        "8.8.8.8",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["lookup"]["choice"]["caveat"]
            .as_str()
            .is_some_and(|w| w.contains("BGP-learned routes via vpngw not known offline")),
        "{v:#}"
    );
    assert!(
        v["routes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["address_prefix"] == "(BGP-learned)" && r["caveat"].is_string())
    );
    // The static prefixes still route exactly.
    let c = lookup(&routes, "10.10.1.1".parse().unwrap()).unwrap();
    assert_eq!(c.route.next_hop_type, NextHopType::VirtualNetworkGateway);
    // ExpressRoute: everything it brings is learned.
    let er = json!({"connectionType": "ExpressRoute", "localNetworkGateway2": null,
                    "peer": {"id": "/subscriptions/x/resourceGroups/r/providers/Microsoft.Network/expressRouteCircuits/c"}});
    let routes = routes_of(
        routing_example(s2s_connection(er), None),
        "vnet1",
        "Subnet2",
    );
    let c = lookup(&routes, "192.168.7.7".parse().unwrap()).unwrap();
    assert_eq!(c.route.next_hop_type, NextHopType::None);
    assert!(c.caveat.is_some());
    // A disconnected site brings nothing and no caveat.
    let down = json!({"connectionStatus": "NotConnected", "enableBgp": true});
    let routes = routes_of(
        routing_example(s2s_connection(down), None),
        "vnet1",
        "Subnet2",
    );
    assert!(
        lookup(&routes, "8.8.8.8".parse().unwrap())
            .unwrap()
            .caveat
            .is_none()
    );
    assert!(
        !routes
            .iter()
            .any(|r| r.next_hop_type == NextHopType::VirtualNetworkGateway)
    );
}

/// A site that lists a reserved range exactly (192.168.0.0/16) turns its None route Invalid.
#[test]
fn a_reserved_range_listed_by_the_site_is_routed_to_the_gateway() {
    let mut inv = routing_example(s2s_connection(json!({})), None);
    inv["local_network_gateways"][0]["properties"]["localNetworkAddressSpace"]["addressPrefixes"] =
        json!(["10.10.0.0/16", "192.168.0.0/16"]);
    let routes = routes_of(inv, "vnet1", "Subnet2");
    let none = routes
        .iter()
        .find(|r| r.address_prefix == "192.168.0.0/16" && r.next_hop_type == NextHopType::None)
        .unwrap();
    assert_eq!(none.state, RouteState::Invalid);
    assert!(none.invalid_reason.as_deref().unwrap().contains("gateway"));
    let c = lookup(&routes, "192.168.1.1".parse().unwrap()).unwrap();
    assert_eq!(c.route.next_hop_type, NextHopType::VirtualNetworkGateway);
}

/// `azaudit routes --dest 10.10.1.1` answers the gateway, in table and JSON.
#[test]
fn the_routes_command_answers_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let doc = json!({
        "kind": "azaudit-snapshot", "schema_version": 1, "collected_at": "2026-11-24T08:00:00Z",
        "source": "test", "cloud": "public", "scope": {"subscriptions": [SUB]},
        "coverage": {"gaps": []},
        "inventory": routing_example(s2s_connection(json!({})), None)
    });
    std::fs::write(&path, doc.to_string()).unwrap();
    let p = path.to_str().unwrap();
    let o = azaudit(&[
        "routes",
        "--snapshot",
        p,
        "--subnet",
        "vnet1/Subnet2",
        "--dest",
        "10.10.1.1",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("10.10.1.1 → VirtualNetworkGateway"), "{text}");
    let o = azaudit(&[
        "routes",
        "--snapshot",
        p,
        "--subnet",
        "vnet2/app",
        "--dest",
        "10.10.1.1",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["lookup"]["choice"]["route"]["next_hop_type"],
        "VirtualNetworkGateway"
    );
}

/// Connected on-premises prefixes are in the `VirtualNetwork` tag of the gateway's VNet and of the
/// transit spoke, so a UDR for them widens nothing; without transit the spoke's tag lacks them.
#[test]
fn on_premises_prefixes_join_the_virtual_network_tag() {
    use azaudit::model::tags::virtual_network_tag;
    let onprem: std::net::IpAddr = "10.10.1.1".parse().unwrap();
    let inv = routing_example(s2s_connection(json!({})), None);
    let snap = snapshot(inv.clone());
    let idx = Index::new(&snap.inventory);
    let (s1, v1) = idx.subnet(&subnet_id("vnet1", "Subnet1")).unwrap();
    let tag = virtual_network_tag(&idx, s1, v1);
    assert!(tag.base.contains_addr(onprem));
    assert!(
        !tag.widened().contains_addr(onprem),
        "the To-On-Prem UDR adds nothing the tag lacked"
    );
    let (s2, v2) = idx.subnet(&subnet_id("vnet2", "app")).unwrap();
    assert!(virtual_network_tag(&idx, s2, v2).base.contains_addr(onprem));

    let mut no_transit = inv;
    no_transit["virtual_networks"][1]["properties"]["virtualNetworkPeerings"][0]["properties"]["useRemoteGateways"] =
        json!(false);
    let snap = snapshot(no_transit);
    let idx = Index::new(&snap.inventory);
    let (s2, v2) = idx.subnet(&subnet_id("vnet2", "app")).unwrap();
    assert!(!virtual_network_tag(&idx, s2, v2).base.contains_addr(onprem));
}

/// Without the services' ranges, a public destination from a subnet with a service endpoint is
/// answered with its route and the caveat that it may be the service's (then the service endpoint
/// route takes it, not the 0.0.0.0/0 appliance route); private destinations and subnets without
/// endpoints get a plain answer.
#[test]
fn service_endpoint_routes_caveat_public_lookups() {
    let inv = routing_example(s2s_connection(json!({})), None);
    let subnet1 = routes_of(inv.clone(), "vnet1", "Subnet1");
    let c = lookup(&subnet1, "20.60.1.1".parse().unwrap()).unwrap();
    assert_eq!(c.route.next_hop_type, NextHopType::VirtualAppliance);
    let w = c.caveat.expect("caveat");
    assert!(
        w.contains("Microsoft.Storage") && w.contains("VirtualNetworkServiceEndpoint"),
        "{w}"
    );
    let c = lookup(&subnet1, "10.1.5.5".parse().unwrap()).unwrap();
    assert!(
        c.caveat.is_none(),
        "a private destination is no service address"
    );
    let subnet2 = routes_of(inv, "vnet1", "Subnet2");
    let c = lookup(&subnet2, "20.60.1.1".parse().unwrap()).unwrap();
    assert_eq!(c.route.next_hop_type, NextHopType::Internet);
    assert!(c.caveat.is_none());
}

/// Service tag ranges in the snapshot (Microsoft's ServiceTags_List example, plus a Storage tag):
/// service-endpoint routes carry the service's regional prefixes, so a lookup of a service address
/// answers VirtualNetworkServiceEndpoint, not the 0.0.0.0/0 appliance route, without a caveat; NSG
/// tokens expand to the tag's prefixes.
#[test]
fn service_tag_ranges_expand_service_endpoint_routes_and_rule_tags() {
    use azaudit::model::tags::TagResolver;
    let mut tags = match crate::common::examples::examples_location()
        .parent()
        .map(|d| d.join("arm-examples-next/network/ServiceTagsList.json"))
        .and_then(|p| std::fs::read_to_string(p).ok())
    {
        Some(text) => {
            serde_json::from_str::<Value>(&text).unwrap()["responses"]["200"]["body"].clone()
        }
        None => json!({"changeNumber": "63", "cloud": "Public", "values": [
            {"name": "ServiceBus.EastUS2", "id": "ServiceBus.EastUS2", "properties": {
                "region": "eastus2", "addressPrefixes": ["13.68.110.36/32", "40.70.146.64/29"]}}]}),
    };
    tags["values"].as_array_mut().unwrap().push(json!({
        "name": "Storage.WestEurope", "id": "Storage.WestEurope",
        "properties": {"region": "westeurope", "systemService": "AzureStorage",
                       "addressPrefixes": ["20.60.0.0/16", "20.150.8.0/23"]}
    }));
    let mut inv = routing_example(s2s_connection(json!({})), None);
    inv["service_tags"] = json!([tags]);
    inv["virtual_networks"][0]["properties"]["subnets"][0]["properties"]["serviceEndpoints"] = json!([
        {"service": "Microsoft.Storage", "locations": ["westeurope"]},
        {"service": "Microsoft.ServiceBus", "locations": ["eastus2"]}
    ]);
    let snap = snapshot(inv);
    let idx = Index::new(&snap.inventory);
    let (s1, v1) = idx.subnet(&subnet_id("vnet1", "Subnet1")).unwrap();
    let routes = effective_routes(&idx, s1, v1);
    assert!(
        routes.iter().any(|r| r.address_prefix == "20.60.0.0/16"
            && r.next_hop_type == NextHopType::ServiceEndpoint)
    );
    assert!(
        !routes
            .iter()
            .any(|r| r.address_prefix == "Microsoft.Storage")
    );
    for (dest, hop) in [
        ("20.60.1.1", NextHopType::ServiceEndpoint),
        ("13.68.110.36", NextHopType::ServiceEndpoint),
        ("8.8.8.8", NextHopType::VirtualAppliance),
    ] {
        let c = lookup(&routes, dest.parse().unwrap()).unwrap();
        assert_eq!(c.route.next_hop_type, hop, "{dest}");
        assert!(c.caveat.is_none(), "{dest}: the ranges are known");
    }
    let r = TagResolver::for_subnet(&idx, s1, v1);
    let storage = r.resolve("Storage.WestEurope");
    assert!(storage.exact);
    assert!(storage.set.contains_addr("20.60.1.1".parse().unwrap()));
    assert!(!storage.set.contains_addr("20.61.1.1".parse().unwrap()));
    let sb = r.resolve("servicebus.eastus2");
    assert!(sb.set.contains_addr("13.68.110.36".parse().unwrap()));
    // A tag the list lacks stays opaque.
    assert!(!r.resolve("GatewayManager").exact);
}

/// An outbound NSG rule on `Storage.WestEurope` evaluated with the snapshot's service tags: an
/// address inside the tag is allowed by it, one outside falls to the Internet deny.
#[test]
fn an_nsg_rule_on_a_regional_storage_tag_is_evaluated_by_its_prefixes() {
    let mut inv = routing_example(s2s_connection(json!({})), None);
    inv["service_tags"] = json!([{"changeNumber": "63", "cloud": "Public", "values": [{
        "name": "Storage.WestEurope", "id": "Storage.WestEurope",
        "properties": {"region": "westeurope", "addressPrefixes": ["20.60.0.0/16"]}}]}]);
    inv["virtual_networks"][0]["properties"]["subnets"][1]["properties"]["networkSecurityGroup"] =
        json!({"id": net_id("networkSecurityGroups", "nsg-s2")});
    let out_rule = |name: &str, prio: u32, access: &str, dest: &str, port: &str| {
        let mut r = rule(name, prio, "Outbound", access, "*", "*", port);
        r["properties"]["destinationAddressPrefix"] = json!(dest);
        r
    };
    inv["network_security_groups"] = json!([nsg(
        "nsg-s2",
        vec![
            out_rule("Allow-Storage", 100, "Allow", "Storage.WestEurope", "443"),
            out_rule("Deny-Internet", 200, "Deny", "Internet", "*"),
        ]
    )]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tags.json");
    let doc = json!({
        "kind": "azaudit-snapshot", "schema_version": 1, "collected_at": "2026-11-24T08:00:00Z",
        "source": "test", "cloud": "public", "scope": {"subscriptions": [SUB]},
        "coverage": {"gaps": []}, "inventory": inv
    });
    std::fs::write(&path, doc.to_string()).unwrap();
    for (remote, allowed, by) in [
        ("20.60.1.1", true, "Allow-Storage"),
        ("20.61.1.1", false, "Deny-Internet"),
    ] {
        let o = azaudit(&[
            "effective-rules",
            "--snapshot",
            path.to_str().unwrap(),
            "--subnet",
            "vnet1/Subnet2",
            "--direction",
            "out",
            "--remote",
            remote,
            "--port",
            "443",
            "--format",
            "json",
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["allowed"], allowed, "{remote}: {v:#}");
        assert_eq!(v["layers"][1]["layer"], "subnet");
        assert_eq!(v["layers"][1]["verdict"]["rule"], by, "{remote}: {v:#}");
    }
}

/// A spoke whose default route points at an appliance in the peered hub: the lookup names the
/// spoke's peering and whether it admits what the appliance forwards back.
#[test]
fn an_appliance_in_a_peered_vnet_names_the_forwarded_traffic_setting() {
    let choice = |forwarded: Option<bool>, appliance: &str| {
        let mut peering = json!({"peeringState": "Connected",
            "remoteVirtualNetwork": {"id": net_id("virtualNetworks", "hub")},
            "remoteAddressSpace": {"addressPrefixes": ["10.0.0.0/16"]}});
        if let Some(f) = forwarded {
            peering["allowForwardedTraffic"] = json!(f);
        }
        let spoke = vnet(
            "spoke",
            "10.1.0.0/16",
            vec![subnet(
                "spoke",
                "s",
                "10.1.1.0/24",
                json!({"routeTable": {"id": net_id("routeTables", "rt")}}),
            )],
            json!({"virtualNetworkPeerings": [{"name": "spoke-to-hub", "properties": peering}]}),
        );
        let inv = json!({
            "virtual_networks": [spoke],
            "route_tables": [route_table("rt", &[("default", "0.0.0.0/0", "VirtualAppliance", Some(appliance))])],
        });
        let snap = snapshot(inv);
        let idx = Index::new(&snap.inventory);
        let (s, v) = idx.subnet(&subnet_id("spoke", "s")).expect("subnet");
        let routes = effective_routes(&idx, s, v);
        azaudit::model::routes::lookup_from(v, &routes, "8.8.8.8".parse().unwrap()).unwrap()
    };
    let allowed = choice(Some(true), "10.0.1.4");
    assert_eq!(allowed.route.next_hop_type, NextHopType::VirtualAppliance);
    let f = allowed
        .forwarded_traffic
        .expect("the appliance is behind a peering");
    assert_eq!(f.peering, "spoke-to-hub");
    assert!(f.allow_forwarded_traffic);
    assert!(f.note.contains("allows forwarded traffic"), "{}", f.note);
    // ARM's default (absent) is false, as is an explicit false: what the appliance forwards is dropped.
    for forwarded in [Some(false), None] {
        let f = choice(forwarded, "10.0.1.4").forwarded_traffic.unwrap();
        assert!(!f.allow_forwarded_traffic);
        assert!(
            f.note.contains("Azure drops what the appliance forwards"),
            "{}",
            f.note
        );
    }
    // An appliance in the spoke itself crosses no peering.
    assert!(choice(Some(false), "10.1.1.10").forwarded_traffic.is_none());
}

/// An ExpressRoute circuit as ARM shows it (the shape of Microsoft's ExpressRouteCircuitGet, with a
/// peering): the caveat of its connection names it, its provider and the provider's state; its
/// service key and the keys of its peerings and authorizations are never kept.
pub fn express_route_circuit() -> Value {
    json!({
        "name": "er-ams", "id": net_id("expressRouteCircuits", "er-ams"),
        "type": "Microsoft.Network/expressRouteCircuits", "location": "westeurope",
        "sku": {"name": "Standard_MeteredData", "tier": "Standard", "family": "MeteredData"},
        "properties": {
            "provisioningState": "Succeeded",
            "circuitProvisioningState": "Enabled",
            "serviceProviderProvisioningState": "Provisioned",
            "serviceKey": "b6c3e2a1-circuit-service-key",
            "serviceProviderProperties": {"serviceProviderName": "Equinix", "peeringLocation": "Amsterdam", "bandwidthInMbps": 200},
            "authorizations": [{"name": "auth1", "properties": {"authorizationKey": "er-authorization-key-9d2", "authorizationUseStatus": "Available"}}],
            "peerings": [{"name": "AzurePrivatePeering", "properties": {
                "peeringType": "AzurePrivatePeering", "state": "Enabled", "peerASN": 65010, "vlanId": 200,
                "primaryPeerAddressPrefix": "192.168.16.252/30", "secondaryPeerAddressPrefix": "192.168.18.252/30",
                "sharedKey": "er-bgp-md5-key-71a"}}],
            "globalReachEnabled": false
        }
    })
}

#[test]
fn an_express_route_caveat_names_the_circuit_and_its_secrets_are_dropped() {
    let er = json!({"connectionType": "ExpressRoute", "localNetworkGateway2": null,
                    "peer": {"id": net_id("expressRouteCircuits", "er-ams")}});
    let mut inv = routing_example(s2s_connection(er), None);
    inv["express_route_circuits"] = json!([express_route_circuit()]);
    let snap = snapshot(inv.clone());
    let written = snap.to_json();
    for secret in [
        "b6c3e2a1-circuit-service-key",
        "er-authorization-key-9d2",
        "er-bgp-md5-key-71a",
    ] {
        assert!(!written.contains(secret), "{secret} reached the snapshot");
    }
    let c = &snap.inventory.express_route_circuits[0];
    assert_eq!(
        c.properties.service_provider_provisioning_state.as_deref(),
        Some("Provisioned")
    );
    // The peering is kept, without its key.
    assert!(written.contains("192.168.16.252/30"));
    let routes = routes_of(inv, "vnet1", "Subnet2");
    let choice = lookup(&routes, "192.168.7.7".parse().unwrap()).unwrap();
    let caveat = choice.caveat.unwrap();
    assert!(
        caveat.contains(
            "ExpressRoute connection onprem-s2s; circuit er-ams: Equinix at Amsterdam, provider state Provisioned"
        ),
        "{caveat}"
    );
    // Without the circuit in the inventory the caveat stays, without its details.
    let er = json!({"connectionType": "ExpressRoute", "localNetworkGateway2": null,
                    "peer": {"id": net_id("expressRouteCircuits", "er-ams")}});
    let routes = routes_of(
        routing_example(s2s_connection(er), None),
        "vnet1",
        "Subnet2",
    );
    let caveat = lookup(&routes, "192.168.7.7".parse().unwrap())
        .unwrap()
        .caveat
        .unwrap();
    assert!(
        caveat.contains("ExpressRoute connection onprem-s2s)"),
        "{caveat}"
    );
}

/// The Internet tag is the public space outside the VirtualNetwork tag's own ranges: UDR widening
/// (the demo app subnet's 0.0.0.0/0 to the firewall) never narrows it.
#[test]
fn the_internet_tag_is_not_narrowed_by_udr_widening() {
    use azaudit::model::tags::TagResolver;
    let snap = azaudit::collect::demo::snapshot();
    let idx = Index::new(&snap.inventory);
    let id = snap.inventory.virtual_networks[1].properties.subnets[0]
        .id
        .clone();
    let (s, v) = idx.subnet(&id).unwrap();
    assert_eq!(s.display_name(), "snet-app");
    let r = TagResolver::for_subnet(&idx, s, v);
    let public: std::net::IpAddr = "8.8.8.8".parse().unwrap();
    assert!(
        r.resolve("VirtualNetwork").set.contains_addr(public),
        "widened"
    );
    let internet = r.resolve("Internet");
    assert!(internet.set.contains_addr(public));
    assert!(!internet.exact, "Microsoft publishes no list for it");
    // The VNet's own space and its peers stay out of it.
    assert!(!internet.set.contains_addr("10.1.1.4".parse().unwrap()));
    assert!(!internet.set.contains_addr("10.0.1.4".parse().unwrap()));
}
