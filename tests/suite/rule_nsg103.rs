//! NSG103 subnet-nsg-no-deny-all-inbound.

use crate::common::*;
use serde_json::{Value, json};

fn tenant(rules: Vec<Value>, peered: bool) -> Value {
    let sn = json!({"networkSecurityGroup": {"id": net_id("networkSecurityGroups", "nsg-app")}});
    let peerings = if peered {
        json!({"virtualNetworkPeerings": [{"name": "to-hub", "properties": {"peeringState": "Connected",
            "remoteVirtualNetwork": {"id": net_id("virtualNetworks", "vnet-hub")},
            "remoteAddressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}]})
    } else {
        json!({})
    };
    json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![subnet("vnet-app", "snet-app", "10.1.1.0/24", sn)], peerings)],
        "network_security_groups": [nsg("nsg-app", rules)],
    })
}

#[test]
fn no_deny_all_with_peerings_is_medium_and_lists_peers() {
    let r = scan(&snapshot(tenant(
        vec![rule(
            "Allow-HTTPS",
            200,
            "Inbound",
            "Allow",
            "Tcp",
            "VirtualNetwork",
            "443",
        )],
        true,
    )));
    let f = findings_of(&r, "NSG103");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, azaudit::report::Severity::Medium);
    assert_eq!(
        f[0].evidence["network_security_group"],
        net_id("networkSecurityGroups", "nsg-app")
    );
    assert_eq!(
        f[0].evidence["peered_networks"][0]["address_prefixes"],
        json!(["10.0.0.0/16"])
    );
    assert_eq!(
        f[0].evidence["peered_networks"][0]["remote_virtual_network"],
        net_id("virtualNetworks", "vnet-hub")
    );
}

#[test]
fn no_peerings_is_low() {
    let r = scan(&snapshot(tenant(vec![], false)));
    assert_eq!(
        findings_of(&r, "NSG103")[0].severity,
        azaudit::report::Severity::Low
    );
}

#[test]
fn a_deny_all_inbound_is_the_negative_twin() {
    let r = scan(&snapshot(tenant(
        vec![rule(
            "DenyAllInbound",
            4096,
            "Inbound",
            "Deny",
            "*",
            "*",
            "*",
        )],
        true,
    )));
    assert_twin(&r, "NSG103");
}

#[test]
fn a_deny_on_tcp_only_or_some_ports_does_not_count() {
    let r = scan(&snapshot(tenant(
        vec![rule("DenyTcp", 4096, "Inbound", "Deny", "Tcp", "*", "*")],
        true,
    )));
    assert_eq!(findings_of(&r, "NSG103").len(), 1);
    let r = scan(&snapshot(tenant(
        vec![rule("Deny22", 4096, "Inbound", "Deny", "*", "*", "22")],
        true,
    )));
    assert_eq!(findings_of(&r, "NSG103").len(), 1);
}

#[test]
fn a_deny_all_with_plural_full_port_ranges_counts() {
    let d = rule_full(
        "DenyAll",
        4096,
        "Inbound",
        "Deny",
        "*",
        json!(["0.0.0.0/0"]),
        json!("*"),
        json!(["0-65535"]),
    );
    let r = scan(&snapshot(tenant(vec![d], true)));
    assert_twin(&r, "NSG103");
}

fn deny_all_to(dst: Value) -> Value {
    rule_full(
        "DenyAllInbound",
        4096,
        "Inbound",
        "Deny",
        "*",
        json!("*"),
        dst,
        json!("*"),
    )
}

#[test]
fn a_deny_all_to_the_subnet_prefix_or_virtual_network_counts() {
    for dst in [
        json!("10.1.1.0/24"),
        json!("VirtualNetwork"),
        json!(["10.1.1.0/25", "10.1.1.128/25"]),
    ] {
        let r = scan(&snapshot(tenant(vec![deny_all_to(dst.clone())], true)));
        assert_twin(&r, "NSG103");
    }
}

#[test]
fn a_deny_all_to_part_of_the_subnet_does_not_count() {
    let r = scan(&snapshot(tenant(
        vec![deny_all_to(json!("10.1.1.0/25"))],
        true,
    )));
    let f = findings_of(&r, "NSG103");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, azaudit::report::Severity::Medium);
}

#[test]
fn a_peering_without_virtual_network_access_does_not_count() {
    let mut t = tenant(vec![], true);
    t["virtual_networks"][0]["properties"]["virtualNetworkPeerings"][0]["properties"]["allowVirtualNetworkAccess"] =
        json!(false);
    let r = scan(&snapshot(t));
    let f = findings_of(&r, "NSG103");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, azaudit::report::Severity::Low);
    assert_eq!(f[0].evidence["peered_networks"], json!([]));
    // With access allowed (the default when absent) the peer counts.
    let mut t = tenant(vec![], true);
    t["virtual_networks"][0]["properties"]["virtualNetworkPeerings"][0]["properties"]["allowVirtualNetworkAccess"] =
        json!(true);
    let f = scan(&snapshot(t));
    assert_eq!(
        findings_of(&f, "NSG103")[0].severity,
        azaudit::report::Severity::Medium
    );
}
