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

fn firewall(public_ip: bool) -> Value {
    let mut cfg = json!({"privateIPAddress": "10.0.1.4",
        "subnet": {"id": subnet_id("vnet-hub", "AzureFirewallSubnet")}});
    if public_ip {
        cfg["publicIPAddress"] = json!({"id": net_id("publicIPAddresses", "pip-afw")});
    }
    json!({"id": net_id("azureFirewalls", "afw"), "name": "afw", "type": "Microsoft.Network/azureFirewalls",
           "location": "westeurope", "properties": {"sku": {"name": "AZFW_VNet", "tier": "Standard"},
           "ipConfigurations": [{"name": "c", "properties": cfg}]}})
}

#[test]
fn the_two_parts_never_meet_on_one_subnet() {
    // With 0.0.0.0/0 the platform exception is disabled: the deny applies, and only "activation
    // breaks" holds (the appliance at 10.0.1.4 is no Azure Firewall of the inventory).
    let r = scan(&snapshot(tenant(vec![deny_internet()], &[FORCED])));
    let f = findings_of(&r, "NSG108");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert!(f[0].resource_id.ends_with("rt-app"));
    assert_eq!(
        f[0].evidence["missing_internet_routes"],
        json!(["20.118.99.224", "40.83.235.53", "23.102.135.246"])
    );
    assert_eq!(
        f[0].evidence["default_route"]["next_hop_ip_address"],
        "10.0.1.4"
    );
    assert!(
        f[0].evidence["next_hop"]
            .as_str()
            .unwrap()
            .contains("not an Azure Firewall with a public IP")
    );
}

#[test]
fn an_outbound_deny_without_a_default_route_lets_kms_pass() {
    let r = scan(&snapshot(tenant(vec![deny_internet()], &[])));
    let f = findings_of(&r, "NSG108");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert!(f[0].resource_id.ends_with("nsg-app"));
    assert_eq!(f[0].severity, azaudit::report::Severity::Info);
    assert_eq!(
        f[0].evidence["outbound_denies"][0]["rule"],
        "Deny-Internet-Outbound"
    );
    assert_eq!(
        f[0].evidence["subnets"],
        json!([subnet_id("vnet-app", "snet-app")])
    );
}

#[test]
fn only_the_subnets_without_a_default_route_keep_the_exception() {
    let mut t = tenant(vec![deny_internet()], &[FORCED]);
    let open = subnet(
        "vnet-app",
        "snet-open",
        "10.1.9.0/24",
        json!({"networkSecurityGroup": {"id": net_id("networkSecurityGroups", "nsg-app")}}),
    );
    t["virtual_networks"][0]["properties"]["subnets"]
        .as_array_mut()
        .unwrap()
        .push(open);
    t["azure_firewalls"] = json!([firewall(true)]);
    let r = scan(&snapshot(t));
    let f = findings_of(&r, "NSG108");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert!(f[0].resource_id.ends_with("nsg-app"));
    assert_eq!(
        f[0].evidence["subnets"],
        json!([subnet_id("vnet-app", "snet-open")])
    );
    assert_eq!(
        f[0].evidence["subnets_with_default_route"],
        json!([subnet_id("vnet-app", "snet-app")])
    );
}

#[test]
fn forced_tunnelling_to_an_azure_firewall_with_a_public_ip_is_the_negative_twin() {
    let mut t = tenant(vec![], &[FORCED]);
    t["azure_firewalls"] = json!([firewall(true)]);
    assert_twin(&scan(&snapshot(t)), "NSG108");
}

#[test]
fn an_azure_firewall_without_a_public_ip_or_a_gateway_next_hop_still_breaks_activation() {
    let mut t = tenant(vec![], &[FORCED]);
    t["azure_firewalls"] = json!([firewall(false)]);
    let r = scan(&snapshot(t));
    let f = findings_of(&r, "NSG108");
    assert_eq!(f.len(), 1);
    assert!(
        f[0].evidence["next_hop"]
            .as_str()
            .unwrap()
            .contains("without a public IP")
    );
    let r = scan(&snapshot(tenant(
        vec![],
        &[("to-onprem", "0.0.0.0/0", "VirtualNetworkGateway", None)],
    )));
    let f = findings_of(&r, "NSG108");
    assert_eq!(f.len(), 1);
    assert!(
        f[0].evidence["next_hop"]
            .as_str()
            .unwrap()
            .contains("on-premises")
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

#[test]
fn forced_tunnelling_to_an_appliance_in_an_unscanned_peer_is_not_judged() {
    // The hub holding 10.0.1.4 is peered from a subscription outside the scan: it may well be an
    // Azure Firewall with a public IP, so "activation breaks" cannot be said.
    let peered = |peer_sub: &str| {
        let mut t = tenant(vec![deny_internet()], &[FORCED]);
        t["virtual_networks"][0]["properties"]["virtualNetworkPeerings"] = json!([{
            "name": "app-to-hub",
            "properties": {"peeringState": "Connected",
                "remoteVirtualNetwork": {"id": format!(
                    "/subscriptions/{peer_sub}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub")},
                "remoteAddressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}]);
        scan(&snapshot(t))
    };
    let r = peered(MGMT_SUB);
    assert!(findings_of(&r, "NSG108").is_empty(), "{:#?}", r.findings);
    let o = outcome(&r, "NSG108");
    assert_eq!(o.not_evaluated.len(), 1, "{:#?}", o.not_evaluated);
    assert!(o.not_evaluated[0].reason.contains(MGMT_SUB));
    assert!(o.not_evaluated[0].reason.contains("default-to-firewall"));
    // Twin: the same hub inside the scan, read and holding no firewall there, is judged.
    let r = peered(SUB);
    assert_eq!(findings_of(&r, "NSG108").len(), 1);
    assert!(outcome(&r, "NSG108").not_evaluated.is_empty());
}
