//! NSG104 pe-subnet-nsg-not-applied.

use crate::common::*;
use serde_json::{Value, json};

fn tenant(policies: Option<&str>, rules: Vec<Value>) -> Value {
    let mut sn = json!({"networkSecurityGroup": {"id": net_id("networkSecurityGroups", "nsg-pe")}});
    if let Some(p) = policies {
        sn["privateEndpointNetworkPolicies"] = json!(p);
    }
    json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![subnet("vnet-app", "snet-pe", "10.1.2.0/24", sn)], json!({}))],
        "network_security_groups": [nsg("nsg-pe", rules)],
        "private_endpoints": [{"id": net_id("privateEndpoints", "pe-kv"), "name": "pe-kv",
            "properties": {"subnet": {"id": subnet_id("vnet-app", "snet-pe")}}}],
    })
}

fn rules() -> Vec<Value> {
    vec![
        rule(
            "Allow-HTTPS-From-App",
            100,
            "Inbound",
            "Allow",
            "Tcp",
            "10.1.1.0/24",
            "443",
        ),
        rule("Deny-All-Inbound", 4096, "Inbound", "Deny", "*", "*", "*"),
    ]
}

#[test]
fn disabled_policies_fire_with_evidence() {
    let r = scan(&snapshot(tenant(Some("Disabled"), rules())));
    let f = findings_of(&r, "NSG104");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].evidence["private_endpoint_network_policies"],
        "Disabled"
    );
    assert_eq!(f[0].evidence["policies_explicit"], true);
    assert_eq!(
        f[0].evidence["private_endpoints"],
        json!([net_id("privateEndpoints", "pe-kv")])
    );
    assert_eq!(f[0].evidence["user_rules"][1], "Deny-All-Inbound (4096)");
    assert!(
        f[0].remediation
            .contains("--private-endpoint-network-policies Enabled")
    );
}

#[test]
fn absent_policies_are_the_disabled_default_and_route_table_only_does_not_apply_nsgs() {
    let r = scan(&snapshot(tenant(None, rules())));
    let f = findings_of(&r, "NSG104");
    assert_eq!(f[0].evidence["policies_explicit"], false);
    let r = scan(&snapshot(tenant(Some("RouteTableEnabled"), rules())));
    assert_eq!(findings_of(&r, "NSG104").len(), 1);
}

#[test]
fn enabled_policies_are_the_negative_twin() {
    for p in ["Enabled", "NetworkSecurityGroupEnabled", "enabled"] {
        let r = scan(&snapshot(tenant(Some(p), rules())));
        assert_twin(&r, "NSG104");
    }
}

#[test]
fn an_nsg_without_user_rules_is_silent() {
    let r = scan(&snapshot(tenant(Some("Disabled"), vec![])));
    assert_twin(&r, "NSG104");
}
