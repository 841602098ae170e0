//! NSG102 vnet-tag-widened-outbound.

use crate::common::*;
use serde_json::{Value, json};

fn tenant(rules: Vec<Value>, with_rt: bool) -> Value {
    let mut sn =
        json!({"networkSecurityGroup": {"id": net_id("networkSecurityGroups", "nsg-app")}});
    if with_rt {
        sn["routeTable"] = json!({"id": net_id("routeTables", "rt-app")});
    }
    json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![subnet("vnet-app", "snet-app", "10.1.1.0/24", sn)], json!({}))],
        "network_security_groups": [nsg("nsg-app", rules)],
        "route_tables": [route_table("rt-app", &[("default-to-firewall", "0.0.0.0/0", "VirtualAppliance", Some("10.0.1.4"))])],
    })
}

fn allow_to_vnet() -> Value {
    rule_full(
        "Allow-To-VNet-Outbound",
        100,
        "Outbound",
        "Allow",
        "*",
        json!("*"),
        json!("VirtualNetwork"),
        json!("*"),
    )
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

#[test]
fn allow_to_widened_virtual_network_before_the_deny_fires() {
    let r = scan(&snapshot(tenant(
        vec![allow_to_vnet(), deny_internet()],
        true,
    )));
    let f = findings_of(&r, "NSG102");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    let f = f[0];
    assert_eq!(f.resource_id, subnet_id("vnet-app", "snet-app"));
    assert_eq!(f.severity, azaudit::report::Severity::High);
    assert_eq!(
        f.evidence["outbound_denies"][0]["rule"],
        "Deny-Internet-Outbound"
    );
    assert_eq!(
        f.evidence["admitting_rules"][0]["rule"],
        "Allow-To-VNet-Outbound"
    );
    assert_eq!(f.evidence["admitting_rules"][0]["priority"], 100);
    assert_eq!(f.evidence["routes"][0]["address_prefix"], "0.0.0.0/0");
    assert!(f.remediation.contains("--name Allow-To-VNet-Outbound"));
}

#[test]
fn without_a_route_table_the_tag_is_not_widened() {
    let r = scan(&snapshot(tenant(
        vec![allow_to_vnet(), deny_internet()],
        false,
    )));
    assert_twin(&r, "NSG102");
}

#[test]
fn without_an_outbound_deny_there_is_no_egress_intent_to_defeat() {
    let r = scan(&snapshot(tenant(vec![allow_to_vnet()], true)));
    assert_twin(&r, "NSG102");
}

#[test]
fn a_deny_everything_before_the_allow_is_the_negative_twin() {
    let mut deny_all = rule_full(
        "Deny-All-Outbound",
        90,
        "Outbound",
        "Deny",
        "*",
        json!("*"),
        json!("*"),
        json!("*"),
    );
    deny_all["properties"]["priority"] = json!(90);
    let r = scan(&snapshot(tenant(vec![deny_all, allow_to_vnet()], true)));
    assert_twin(&r, "NSG102");
}

#[test]
fn the_default_allow_vnet_outbound_admits_private_ranges_past_a_deny_internet() {
    let r = scan(&snapshot(tenant(vec![deny_internet()], true)));
    let f = findings_of(&r, "NSG102");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].evidence["admitting_rules"][0]["rule"],
        "AllowVnetOutBound"
    );
    assert_eq!(f[0].evidence["admitting_rules"][0]["default_rule"], true);
}

#[test]
fn the_outbound_widening_is_reported_as_east_west_exposure() {
    let r = scan(&snapshot(tenant(
        vec![allow_to_vnet(), deny_internet()],
        true,
    )));
    let f = findings_of(&r, "NSG102");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["exposure"]["kind"], "east-west");
    assert_eq!(
        f[0].evidence["exposure"]["through"],
        "VirtualAppliance 10.0.1.4"
    );
    assert!(f[0].message.contains("east-west"), "{}", f[0].message);
}

/// Whether a UDR with next hop Internet or None widens the tag is undocumented: the finding stays,
/// at medium confidence with the reason, and the rule's `why` names the open question; an
/// appliance next hop keeps high confidence.
#[test]
fn internet_or_none_next_hops_lower_the_confidence() {
    for hop in ["Internet", "None"] {
        let mut t = tenant(vec![allow_to_vnet(), deny_internet()], true);
        t["route_tables"] = json!([route_table(
            "rt-app",
            &[("to-somewhere", "0.0.0.0/0", hop, None)]
        )]);
        let r = scan(&snapshot(t));
        let f = findings_of(&r, "NSG102");
        assert_eq!(f.len(), 1, "{hop}: {:#?}", r.findings);
        assert_eq!(
            f[0].confidence,
            azaudit::findings::Confidence::Medium,
            "{hop}"
        );
        assert!(
            f[0].confidence_reasons
                .iter()
                .any(|r| r.contains("next hop Internet or None")),
            "{hop}: {:?}",
            f[0].confidence_reasons
        );
    }
    let r = scan(&snapshot(tenant(
        vec![allow_to_vnet(), deny_internet()],
        true,
    )));
    assert_eq!(
        findings_of(&r, "NSG102")[0].confidence,
        azaudit::findings::Confidence::High
    );
    let why = azaudit::rules::registry()
        .into_iter()
        .find(|r| r.meta().code == "NSG102")
        .map(|r| r.meta().why)
        .unwrap();
    assert!(why.contains("Open question"), "{why}");
}
