//! AGW102 appgw-v2-default-route-to-appliance.

use crate::common::*;
use serde_json::{Value, json};

fn tenant(sku: &str, hop: &str) -> Value {
    let sn = json!({"routeTable": {"id": net_id("routeTables", "rt-appgw")}});
    let ip = (hop == "VirtualAppliance").then_some("10.0.1.4");
    json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![subnet("vnet-app", "snet-appgw", "10.1.3.0/24", sn)], json!({}))],
        "route_tables": [route_table("rt-appgw", &[("default", "0.0.0.0/0", hop, ip)])],
        "application_gateways": [app_gateway("agw", sku, &subnet_id("vnet-app", "snet-appgw"), "10.1.3.10", &[])],
    })
}

#[test]
fn v2_with_default_route_to_appliance_fires() {
    let r = scan(&snapshot(tenant("Standard_v2", "VirtualAppliance")));
    let f = findings_of(&r, "AGW102");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].resource_id, net_id("applicationGateways", "agw"));
    assert_eq!(f[0].evidence["route"]["next_hop_ip_address"], "10.0.1.4");
    assert_eq!(
        f[0].evidence["route_table"],
        net_id("routeTables", "rt-appgw")
    );
    let r = scan(&snapshot(tenant("WAF_v2", "VirtualNetworkGateway")));
    assert_eq!(findings_of(&r, "AGW102").len(), 1);
}

#[test]
fn default_route_to_internet_or_a_v1_gateway_is_silent() {
    assert_twin(
        &scan(&snapshot(tenant("Standard_v2", "Internet"))),
        "AGW102",
    );
    assert_twin(
        &scan(&snapshot(tenant("Standard", "VirtualAppliance"))),
        "AGW102",
    );
}

#[test]
fn a_missing_route_table_is_not_evaluated() {
    let mut t = tenant("Standard_v2", "VirtualAppliance");
    t["route_tables"] = json!([]);
    let r = scan(&snapshot(t));
    assert_not_judged(&r, "AGW102", false);
    assert!(
        outcome(&r, "AGW102").not_evaluated[0]
            .reason
            .contains("rt-appgw")
    );
}

#[test]
fn forced_tunnelling_through_split_routes_fires() {
    let mut t = tenant("Standard_v2", "Internet");
    t["route_tables"] = json!([route_table(
        "rt-appgw",
        &[
            (
                "low-half",
                "0.0.0.0/1",
                "VirtualAppliance",
                Some("10.0.1.4")
            ),
            (
                "high-half",
                "128.0.0.0/1",
                "VirtualAppliance",
                Some("10.0.1.4")
            ),
        ]
    )]);
    let r = scan(&snapshot(t.clone()));
    let f = findings_of(&r, "AGW102");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    let names: Vec<&str> = f[0].evidence["split_routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["low-half", "high-half"]);
    // Half of the space forced is not forced tunnelling.
    t["route_tables"][0]["properties"]["routes"]
        .as_array_mut()
        .unwrap()
        .pop();
    assert_twin(&scan(&snapshot(t)), "AGW102");
}

#[test]
fn a_network_isolated_gateway_supports_a_default_route_to_an_appliance() {
    let mut t = tenant("Standard_v2", "VirtualAppliance");
    t["virtual_networks"][0]["properties"]["subnets"][0]["properties"]["delegations"] = json!([
        {"name": "appgw", "properties": {"serviceName": "Microsoft.Network/applicationGateways"}}
    ]);
    assert_twin(&scan(&snapshot(t)), "AGW102");
}
