//! NSG105 management-ports-from-internet: plural fields, a higher-priority deny, subnet and NIC NSGs
//! together.

use crate::common::*;
use serde_json::{Value, json};

/// One VM NIC (10.1.1.4) in snet-app; `subnet_rules` / `nic_rules` `None` means no NSG at that level.
fn tenant(subnet_rules: Option<Vec<Value>>, nic_rules: Option<Vec<Value>>) -> Value {
    let mut sn = json!({});
    let mut nsgs = vec![];
    if let Some(r) = subnet_rules {
        sn["networkSecurityGroup"] = json!({"id": net_id("networkSecurityGroups", "nsg-subnet")});
        nsgs.push(nsg("nsg-subnet", r));
    }
    let nic_nsg = nic_rules.map(|r| {
        nsgs.push(nsg("nsg-nic", r));
        "nsg-nic"
    });
    json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![subnet("vnet-app", "snet-app", "10.1.1.0/24", sn)], json!({}))],
        "network_security_groups": nsgs,
        "network_interfaces": [nic("vm-01-nic", &subnet_id("vnet-app", "snet-app"), "10.1.1.4", nic_nsg)],
    })
}

fn allow_mgmt_plural(src: &str) -> Value {
    rule_full(
        "Allow-Mgmt",
        200,
        "Inbound",
        "Allow",
        "Tcp",
        json!([src]),
        json!("*"),
        json!(["22", "3389"]),
    )
}

#[test]
fn plural_ports_from_any_source_fire_on_the_admitting_nsg() {
    let r = scan(&snapshot(tenant(Some(vec![allow_mgmt_plural("*")]), None)));
    let f = findings_of(&r, "NSG105");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    let f = f[0];
    assert_eq!(f.resource_id, net_id("networkSecurityGroups", "nsg-subnet"));
    assert_eq!(f.evidence["ports"], json!([22, 3389]));
    assert_eq!(f.evidence["admitting_rules"][0]["rule"], "Allow-Mgmt");
    assert_eq!(f.evidence["targets"][0]["address"], "10.1.1.4");
    assert_eq!(
        f.evidence["targets"][0]["network_interface"],
        net_id("networkInterfaces", "vm-01-nic")
    );
    assert!(f.message.contains("22,3389"), "{}", f.message);
}

#[test]
fn a_higher_priority_deny_removes_a_port() {
    let deny = rule("Deny-SSH", 100, "Inbound", "Deny", "Tcp", "Internet", "22");
    let r = scan(&snapshot(tenant(
        Some(vec![deny, allow_mgmt_plural("Internet")]),
        None,
    )));
    let f = findings_of(&r, "NSG105");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["ports"], json!([3389]));
}

#[test]
fn a_nic_nsg_that_denies_blocks_what_the_subnet_nsg_allows() {
    let r = scan(&snapshot(tenant(
        Some(vec![allow_mgmt_plural("*")]),
        Some(vec![]),
    )));
    // The NIC NSG's DenyAllInBound stops the flow: no finding on either NSG.
    assert_twin(&r, "NSG105");
}

#[test]
fn a_nic_nsg_alone_is_evaluated_and_blamed() {
    let r = scan(&snapshot(tenant(
        None,
        Some(vec![allow_mgmt_plural("0.0.0.0/0")]),
    )));
    let f = findings_of(&r, "NSG105");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].resource_id, net_id("networkSecurityGroups", "nsg-nic"));
}

#[test]
fn both_nsgs_allowing_report_both() {
    let r = scan(&snapshot(tenant(
        Some(vec![allow_mgmt_plural("*")]),
        Some(vec![allow_mgmt_plural("Internet")]),
    )));
    assert_eq!(findings_of(&r, "NSG105").len(), 2);
}

#[test]
fn a_private_source_only_is_the_negative_twin() {
    let r = scan(&snapshot(tenant(
        Some(vec![allow_mgmt_plural("10.0.3.0/26")]),
        None,
    )));
    assert_twin(&r, "NSG105");
}

#[test]
fn a_missing_nic_nsg_is_not_evaluated() {
    let mut t = tenant(Some(vec![allow_mgmt_plural("*")]), Some(vec![]));
    t["network_security_groups"].as_array_mut().unwrap().pop();
    let r = scan(&snapshot(t));
    assert_not_judged(&r, "NSG105", false);
    assert!(
        outcome(&r, "NSG105").not_evaluated[0]
            .reason
            .contains("nsg-nic")
    );
}

/// `tenant` with snet-app routed 0.0.0.0/0 to a firewall (the hub-and-spoke default route).
fn forced(subnet_rules: Vec<Value>) -> Value {
    let mut t = tenant(Some(subnet_rules), None);
    t["virtual_networks"][0]["properties"]["subnets"][0]["properties"]["routeTable"] =
        json!({"id": net_id("routeTables", "rt")});
    t["route_tables"] = json!([route_table(
        "rt",
        &[("default", "0.0.0.0/0", "VirtualAppliance", Some("10.0.1.4"))]
    )]);
    t
}

#[test]
fn rdp_from_internet_behind_a_default_route_is_still_from_the_internet() {
    let allow = rule(
        "Allow-RDP-Internet",
        200,
        "Inbound",
        "Allow",
        "Tcp",
        "Internet",
        "3389",
    );
    let r = scan(&snapshot(forced(vec![allow])));
    let f = findings_of(&r, "NSG105");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert_eq!(f[0].severity, azaudit::report::Severity::High);
    assert_eq!(f[0].evidence["ports"], json!([3389]));
    assert_eq!(
        f[0].evidence["admitting_rules"][0]["rule"],
        "Allow-RDP-Internet"
    );
    // The Internet tag's range is approximated, and the evidence says so.
    assert_eq!(f[0].evidence["internet_tag"]["exact"], false);
    assert!(
        f[0].evidence["internet_tag"]["note"]
            .as_str()
            .unwrap()
            .contains("not known offline")
    );
}

#[test]
fn admission_only_through_a_udr_widened_virtual_network_tag_is_not_from_the_internet() {
    // AllowVnetInBound admits every address in IP flow verify, but the platform keeps
    // Internet-sourced traffic out of the widened tag: east-west exposure, NSG101's finding.
    let via_tag = rule(
        "Allow-RDP-VNet",
        200,
        "Inbound",
        "Allow",
        "Tcp",
        "VirtualNetwork",
        "3389",
    );
    let r = scan(&snapshot(forced(vec![via_tag])));
    assert_twin(&r, "NSG105");
    assert_eq!(findings_of(&r, "NSG101").len(), 1);
}

#[test]
fn an_explicit_any_source_needs_no_internet_tag_note() {
    let r = scan(&snapshot(forced(vec![allow_mgmt_plural("*")])));
    let f = findings_of(&r, "NSG105");
    assert_eq!(f.len(), 1);
    assert!(f[0].evidence.get("internet_tag").is_none());
}
