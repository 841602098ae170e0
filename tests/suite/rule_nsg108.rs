//! NSG108 kms-platform-traffic.

use crate::common::*;
use serde_json::{Value, json};

fn tenant(rules: Vec<Value>, routes: &[(&str, &str, &str, Option<&str>)]) -> Value {
    let sn = json!({"networkSecurityGroup": {"id": net_id("networkSecurityGroups", "nsg-app")},
                    "routeTable": {"id": net_id("routeTables", "rt-app")}});
    json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![subnet("vnet-app", "snet-app", "10.1.1.0/24", sn)], json!({}))],
        "network_security_groups": [nsg("nsg-app", rules)],
        "route_tables": [route_table("rt-app", routes)],
    })
}

fn deny_internet() -> Value {
    rule_full(
        "Deny-Internet-Outbound",
        4000,
        "Outbound",
        "Deny",
        "*",
        json!("*"),
        json!("Internet"),
        json!("*"),
    )
}
const FORCED: (&str, &str, &str, Option<&str>) = (
    "default-to-firewall",
    "0.0.0.0/0",
    "VirtualAppliance",
    Some("10.0.1.4"),
);

#[test]
fn deny_internet_without_lkm_deny_and_forced_tunnel_without_kms_routes_fire() {
    let r = scan(&snapshot(tenant(vec![deny_internet()], &[FORCED])));
    let f = findings_of(&r, "NSG108");
    assert_eq!(f.len(), 2, "{:#?}", r.findings);
    let nsg_f = f
        .iter()
        .find(|f| f.resource_id.ends_with("nsg-app"))
        .unwrap();
    assert_eq!(nsg_f.severity, azaudit::report::Severity::Info);
    assert_eq!(
        nsg_f.evidence["outbound_denies"][0]["rule"],
        "Deny-Internet-Outbound"
    );
    let rt_f = f
        .iter()
        .find(|f| f.resource_id.ends_with("rt-app"))
        .unwrap();
    assert_eq!(
        rt_f.evidence["missing_internet_routes"],
        json!(["20.118.99.224", "40.83.235.53", "23.102.135.246"])
    );
    assert_eq!(
        rt_f.evidence["default_route"]["next_hop_ip_address"],
        "10.0.1.4"
    );
}

#[test]
fn an_lkm_deny_and_kms_routes_are_the_negative_twin() {
    let lkm = rule_full(
        "Deny-LKM",
        3000,
        "Outbound",
        "Deny",
        "Tcp",
        json!("*"),
        json!("AzurePlatformLKM"),
        json!("1688"),
    );
    let routes = [
        FORCED,
        ("kms-1", "20.118.99.224/32", "Internet", None),
        ("kms-2", "40.83.235.53/32", "Internet", None),
        ("kms-3", "23.102.135.246/32", "Internet", None),
    ];
    let r = scan(&snapshot(tenant(vec![deny_internet(), lkm], &routes)));
    assert_twin(&r, "NSG108");
}

#[test]
fn kms_addresses_follow_the_cloud() {
    let mut s = snapshot(tenant(
        vec![],
        &[FORCED, ("kms-1", "20.118.99.224/32", "Internet", None)],
    ));
    s.cloud = azaudit::azure::Cloud::China;
    let r = scan(&s);
    let f = findings_of(&r, "NSG108");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].evidence["missing_internet_routes"],
        json!(["159.27.28.100", "163.228.64.161", "42.159.7.249"])
    );
}

#[test]
fn a_deny_on_other_ports_does_not_claim_kms() {
    let d = rule_full(
        "Deny-Internet-443",
        4000,
        "Outbound",
        "Deny",
        "Tcp",
        json!("*"),
        json!("Internet"),
        json!("443"),
    );
    let r = scan(&snapshot(tenant(vec![d], &[])));
    assert_twin(&r, "NSG108");
}
