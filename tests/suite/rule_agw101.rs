//! AGW101 appgw-subnet-nsg-blocks-infrastructure.

use crate::common::*;
use serde_json::{Value, json};

fn tenant(sku: &str, rules: Vec<Value>) -> Value {
    let sn = json!({"networkSecurityGroup": {"id": net_id("networkSecurityGroups", "nsg-appgw")}});
    json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![subnet("vnet-app", "snet-appgw", "10.1.3.0/24", sn)], json!({}))],
        "network_security_groups": [nsg("nsg-appgw", rules)],
        "application_gateways": [app_gateway("agw", sku, &subnet_id("vnet-app", "snet-appgw"), "10.1.3.10", &[])],
    })
}

fn allow_443() -> Value {
    rule(
        "Allow-HTTPS-From-Internet",
        100,
        "Inbound",
        "Allow",
        "Tcp",
        "Internet",
        "443",
    )
}
fn deny_all() -> Value {
    rule("Deny-All-Inbound", 4000, "Inbound", "Deny", "*", "*", "*")
}
fn allow_gm(ports: &str) -> Value {
    rule(
        "Allow-GatewayManager",
        110,
        "Inbound",
        "Allow",
        "Tcp",
        "GatewayManager",
        ports,
    )
}
fn allow_lb() -> Value {
    rule(
        "Allow-AzureLoadBalancer",
        120,
        "Inbound",
        "Allow",
        "*",
        "AzureLoadBalancer",
        "*",
    )
}

#[test]
fn deny_all_without_gateway_manager_or_load_balancer_allow_fires_twice() {
    let r = scan(&snapshot(tenant(
        "Standard_v2",
        vec![allow_443(), deny_all()],
    )));
    let f = findings_of(&r, "AGW101");
    assert_eq!(f.len(), 2, "{:#?}", r.findings);
    let gm = f
        .iter()
        .find(|f| f.evidence["required"]["source"] == "GatewayManager")
        .unwrap();
    assert_eq!(gm.resource_id, net_id("networkSecurityGroups", "nsg-appgw"));
    assert_eq!(gm.evidence["denied_ports"], "65200-65535");
    assert_eq!(gm.evidence["deciding_rules"][0]["rule"], "Deny-All-Inbound");
    assert_eq!(gm.evidence["v2"], true);
    let lb = f
        .iter()
        .find(|f| f.evidence["probe_source"] == "168.63.129.16")
        .unwrap();
    assert_eq!(lb.evidence["denied_by"]["rule"], "Deny-All-Inbound");
}

#[test]
fn explicit_gateway_manager_and_load_balancer_allows_are_the_negative_twin() {
    let r = scan(&snapshot(tenant(
        "Standard_v2",
        vec![allow_443(), allow_gm("65200-65535"), allow_lb(), deny_all()],
    )));
    assert_twin(&r, "AGW101");
}

#[test]
fn v1_needs_only_its_range_and_a_partial_v2_range_is_reported() {
    let rules = vec![allow_gm("65503-65534"), allow_lb(), deny_all()];
    let r = scan(&snapshot(tenant("Standard", rules.clone())));
    assert_twin(&r, "AGW101");
    let r = scan(&snapshot(tenant("WAF_v2", rules)));
    let f = findings_of(&r, "AGW101");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["denied_ports"], "65200-65502,65535");
}

#[test]
fn no_deny_at_all_uses_defaults_which_deny_internet_sourced_gateway_manager() {
    // DenyAllInBound (65500) decides GatewayManager; AllowAzureLoadBalancerInBound admits probes.
    let r = scan(&snapshot(tenant("Standard_v2", vec![allow_443()])));
    let f = findings_of(&r, "AGW101");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["deciding_rules"][0]["rule"], "DenyAllInBound");
}

#[test]
fn an_allow_from_internet_on_the_range_counts_as_admitting_gateway_manager() {
    let r = scan(&snapshot(tenant(
        "Standard_v2",
        vec![
            rule(
                "Allow-Infra",
                110,
                "Inbound",
                "Allow",
                "Tcp",
                "Internet",
                "65200-65535",
            ),
            allow_lb(),
            deny_all(),
        ],
    )));
    assert_twin(&r, "AGW101");
}

/// `tenant` with the gateway subnet delegated to Microsoft.Network/applicationGateways.
fn isolated(sku: &str, rules: Vec<Value>) -> Value {
    let mut t = tenant(sku, rules);
    t["virtual_networks"][0]["properties"]["subnets"][0]["properties"]["delegations"] = json!([
        {"name": "appgw", "properties": {"serviceName": "Microsoft.Network/applicationGateways"}}
    ]);
    t
}

fn deny_all_outbound() -> Value {
    rule("Deny-All-Outbound", 4000, "Outbound", "Deny", "*", "*", "*")
}

#[test]
fn a_network_isolated_gateway_needs_no_gateway_manager_rule_nor_outbound_internet() {
    let r = scan(&snapshot(isolated(
        "Standard_v2",
        vec![allow_443(), allow_lb(), deny_all(), deny_all_outbound()],
    )));
    assert_twin(&r, "AGW101");
}

#[test]
fn an_outbound_deny_all_on_a_v2_gateway_subnet_fires() {
    let rules = vec![
        allow_443(),
        allow_gm("65200-65535"),
        allow_lb(),
        deny_all(),
        deny_all_outbound(),
    ];
    let r = scan(&snapshot(tenant("Standard_v2", rules.clone())));
    let f = findings_of(&r, "AGW101");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert_eq!(f[0].evidence["denied_by"]["rule"], "Deny-All-Outbound");
    assert_eq!(f[0].evidence["required"]["direction"], "Outbound");
    assert!(
        f[0].message.contains("outbound Internet"),
        "{}",
        f[0].message
    );
    // The twin: the same NSG without the outbound deny.
    let mut without = rules;
    without.pop();
    assert_twin(&scan(&snapshot(tenant("Standard_v2", without))), "AGW101");
}

#[test]
fn a_gateway_manager_allow_whose_destination_is_not_any_does_not_count() {
    let narrow = rule_full(
        "Allow-GatewayManager",
        110,
        "Inbound",
        "Allow",
        "Tcp",
        json!("GatewayManager"),
        json!("10.1.3.0/24"),
        json!("65200-65535"),
    );
    let r = scan(&snapshot(tenant(
        "Standard_v2",
        vec![allow_443(), narrow, allow_lb(), deny_all()],
    )));
    let f = findings_of(&r, "AGW101");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert_eq!(
        f[0].evidence["deciding_rules"][0]["rule"],
        "Deny-All-Inbound"
    );
    assert_eq!(
        f[0].evidence["allows_with_destination_not_any"],
        json!([{"rule": "Allow-GatewayManager", "priority": 110, "destination": ["10.1.3.0/24"]}])
    );
    assert!(f[0].message.contains("destination Any"), "{}", f[0].message);
}
