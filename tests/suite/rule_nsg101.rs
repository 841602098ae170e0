//! NSG101 vnet-tag-widened-by-udr: positive cases, negative twins, evidence.

use crate::common::*;
use serde_json::{Value, json};

fn tenant(nsg_rules: Vec<Value>, routes: &[(&str, &str, &str, Option<&str>)]) -> Value {
    let with_rt = !routes.is_empty();
    let mut sn =
        json!({"networkSecurityGroup": {"id": net_id("networkSecurityGroups", "nsg-app")}});
    if with_rt {
        sn["routeTable"] = json!({"id": net_id("routeTables", "rt-app")});
    }
    json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![subnet("vnet-app", "snet-app", "10.1.1.0/24", sn)], json!({}))],
        "network_security_groups": [nsg("nsg-app", nsg_rules)],
        "route_tables": if with_rt { vec![route_table("rt-app", routes)] } else { vec![] },
    })
}

const DEFAULT_ROUTE: &[(&str, &str, &str, Option<&str>)] = &[(
    "default-to-firewall",
    "0.0.0.0/0",
    "VirtualAppliance",
    Some("10.0.1.4"),
)];

#[test]
fn default_route_makes_allow_vnet_inbound_admit_everything() {
    let report = scan(&snapshot(tenant(vec![], DEFAULT_ROUTE)));
    let f = findings_of(&report, "NSG101");
    assert_eq!(f.len(), 1);
    let f = f[0];
    assert_eq!(f.resource_id, subnet_id("vnet-app", "snet-app"));
    assert_eq!(f.severity, azaudit::report::Severity::High);
    let ev = &f.evidence;
    assert_eq!(ev["routes"][0]["route_name"], "default-to-firewall");
    assert_eq!(ev["routes"][0]["address_prefix"], "0.0.0.0/0");
    assert_eq!(ev["routes"][0]["next_hop_ip_address"], "10.0.1.4");
    assert_eq!(ev["admitting_rules"][0]["rule"], "AllowVnetInBound");
    assert_eq!(ev["admitting_rules"][0]["priority"], 65000);
    assert_eq!(ev["admitting_rules"][0]["default_rule"], true);
    assert_eq!(
        ev["virtual_network_tag"]["expected"],
        json!(["10.1.0.0/16", "168.63.129.16/32"])
    );
    // Everything except the VNet and the host VIP is the widening.
    let widened: Vec<String> =
        serde_json::from_value(ev["virtual_network_tag"]["widened_by_udrs"].clone()).unwrap();
    assert!(widened.contains(&"0.0.0.0/5".to_string()), "{widened:?}");
    assert!(!widened.iter().any(|p| p == "10.1.0.0/16"));
    assert!(ev["missing"].as_str().unwrap().contains("65000"));
    assert!(f.message.contains("every IPv4 address"), "{}", f.message);
}

#[test]
fn a_user_deny_all_below_the_allows_is_the_negative_twin() {
    let deny = rule("DenyAllInbound", 4096, "Inbound", "Deny", "*", "*", "*");
    let report = scan(&snapshot(tenant(vec![deny], DEFAULT_ROUTE)));
    assert_twin(&report, "NSG101");
}

#[test]
fn no_route_table_means_no_widening() {
    let report = scan(&snapshot(tenant(vec![], &[])));
    assert_twin(&report, "NSG101");
}

#[test]
fn a_user_allow_from_virtual_network_before_the_deny_still_admits_any_source() {
    let rules = vec![
        rule(
            "Allow-HTTPS-From-VNet",
            200,
            "Inbound",
            "Allow",
            "Tcp",
            "VirtualNetwork",
            "443",
        ),
        rule("DenyAllInbound", 4096, "Inbound", "Deny", "*", "*", "*"),
    ];
    let report = scan(&snapshot(tenant(rules, DEFAULT_ROUTE)));
    let f = findings_of(&report, "NSG101");
    assert_eq!(f.len(), 1);
    let admitting = f[0].evidence["admitting_rules"].as_array().unwrap();
    assert_eq!(
        admitting.len(),
        1,
        "AllowVnetInBound is shadowed by the deny: {admitting:?}"
    );
    assert_eq!(admitting[0]["rule"], "Allow-HTTPS-From-VNet");
    assert_eq!(admitting[0]["priority"], 200);
}

#[test]
fn an_allow_by_explicit_prefix_with_a_deny_all_does_not_fire() {
    let rules = vec![
        rule(
            "Allow-HTTPS-From-Hub",
            200,
            "Inbound",
            "Allow",
            "Tcp",
            "10.0.0.0/16",
            "443",
        ),
        rule("DenyAllInbound", 4096, "Inbound", "Deny", "*", "*", "*"),
    ];
    let report = scan(&snapshot(tenant(rules, DEFAULT_ROUTE)));
    assert_twin(&report, "NSG101");
}

#[test]
fn a_deny_on_one_port_does_not_mitigate() {
    let rules = vec![rule("Deny-SSH", 100, "Inbound", "Deny", "Tcp", "*", "22")];
    let report = scan(&snapshot(tenant(rules, DEFAULT_ROUTE)));
    assert_eq!(findings_of(&report, "NSG101").len(), 1);
}

#[test]
fn a_deny_with_plural_ports_covering_everything_mitigates() {
    let mut deny = rule("DenyAll", 4000, "Inbound", "Deny", "*", "*", "*");
    deny["properties"]
        .as_object_mut()
        .unwrap()
        .remove("destinationPortRange");
    deny["properties"]["destinationPortRanges"] = json!(["0-1023", "1024-65535"]);
    let report = scan(&snapshot(tenant(vec![deny], DEFAULT_ROUTE)));
    assert_twin(&report, "NSG101");
}

#[test]
fn a_private_udr_prefix_widens_to_medium_severity() {
    let routes = &[("onprem", "192.168.0.0/16", "VirtualNetworkGateway", None)];
    let report = scan(&snapshot(tenant(vec![], routes)));
    let f = findings_of(&report, "NSG101");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, azaudit::report::Severity::Medium);
    assert_eq!(
        f[0].evidence["virtual_network_tag"]["widened_by_udrs"],
        json!(["192.168.0.0/16"])
    );
}

#[test]
fn a_udr_inside_the_vnet_space_does_not_widen() {
    let routes = &[("to-fw", "10.1.2.0/24", "VirtualAppliance", Some("10.0.1.4"))];
    let report = scan(&snapshot(tenant(vec![], routes)));
    assert_twin(&report, "NSG101");
}

#[test]
fn a_missing_route_table_is_reported_as_not_evaluated() {
    let mut t = tenant(vec![], DEFAULT_ROUTE);
    t["route_tables"] = json!([]);
    let report = scan(&snapshot(t));
    assert_not_judged(&report, "NSG101", false);
    let outcome = report.rules.iter().find(|r| r.code == "NSG101").unwrap();
    assert_eq!(outcome.not_evaluated.len(), 1);
    assert!(outcome.not_evaluated[0].reason.contains("route table"));
}

#[test]
fn a_coverage_gap_on_route_tables_marks_the_rule_partial() {
    let gaps = json!([{"subscription_id": SUB, "kind": "route_table", "http_status": 403,
                        "code": "AuthorizationFailed", "message": "no read access"}]);
    let report = scan(&snapshot_with_gaps(tenant(vec![], &[]), gaps));
    let outcome = report.rules.iter().find(|r| r.code == "NSG101").unwrap();
    assert_eq!(outcome.status, azaudit::rules::RuleStatus::Partial);
    assert!(outcome.missing_inputs[0].contains("no read access"));
    assert!(!report.summary.coverage_complete);
}

#[test]
fn finding_ids_are_stable_across_runs() {
    let s = snapshot(tenant(vec![], DEFAULT_ROUTE));
    let a = scan(&s);
    let b = scan(&s);
    assert_eq!(a.findings[0].id, b.findings[0].id);
    assert_ne!(a.run.run_id, b.run.run_id);
}

#[test]
fn built_in_defaults_stand_in_when_the_payload_lacks_them() {
    let mut t = tenant(vec![], DEFAULT_ROUTE);
    t["network_security_groups"] = json!([nsg_without_defaults("nsg-app", vec![])]);
    let report = scan(&snapshot(t));
    let f = findings_of(&report, "NSG101");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].evidence["admitting_rules"][0]["rule"],
        "AllowVnetInBound"
    );
    assert_eq!(f[0].evidence["admitting_rules"][0]["default_rule"], true);
}

#[test]
fn the_payload_defaults_are_the_ones_evaluated() {
    // Defaults that differ from the documented six: without AllowVnetInBound nothing admits the
    // widened tag, and the rule must follow the payload, not its built-in copy.
    let mut t = tenant(vec![], DEFAULT_ROUTE);
    t["network_security_groups"][0]["properties"]["defaultSecurityRules"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["name"] != "AllowVnetInBound");
    assert_twin(&scan(&snapshot(t.clone())), "NSG101");
    // The same payload with AllowVnetInBound at another priority names that priority.
    let mut moved = tenant(vec![], DEFAULT_ROUTE);
    for r in moved["network_security_groups"][0]["properties"]["defaultSecurityRules"]
        .as_array_mut()
        .unwrap()
    {
        if r["name"] == "AllowVnetInBound" {
            r["properties"]["priority"] = json!(65010);
        }
    }
    let report = scan(&snapshot(moved));
    let f = findings_of(&report, "NSG101");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["admitting_rules"][0]["priority"], 65010);
}

#[test]
fn the_widening_is_reported_as_east_west_exposure_through_the_next_hop() {
    let report = scan(&snapshot(tenant(vec![], DEFAULT_ROUTE)));
    let f = findings_of(&report, "NSG101");
    assert_eq!(f.len(), 1);
    let x = &f[0].evidence["exposure"];
    assert_eq!(x["kind"], "east-west");
    assert_eq!(x["through"], "VirtualAppliance 10.0.1.4");
    assert!(
        x["note"]
            .as_str()
            .unwrap()
            .contains("not exposure to the Internet"),
        "{x}"
    );
    assert!(
        f[0].message.contains("east-west") && f[0].message.contains("VirtualAppliance 10.0.1.4"),
        "{}",
        f[0].message
    );
}

#[test]
fn a_peering_without_virtual_network_access_is_not_in_the_tag() {
    // No UDR: the tag is the VNet, the host VIP and the peers that allow virtual network access.
    let mut t = tenant(
        vec![],
        &[("to-onprem", "192.168.0.0/16", "VirtualNetworkGateway", None)],
    );
    t["virtual_networks"][0]["properties"]["virtualNetworkPeerings"] = json!([
        {"name": "to-hub", "properties": {"peeringState": "Connected", "allowVirtualNetworkAccess": true,
            "remoteVirtualNetwork": {"id": net_id("virtualNetworks", "vnet-hub")},
            "remoteAddressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}},
        {"name": "to-isolated", "properties": {"peeringState": "Connected", "allowVirtualNetworkAccess": false,
            "remoteVirtualNetwork": {"id": net_id("virtualNetworks", "vnet-isolated")},
            "remoteAddressSpace": {"addressPrefixes": ["10.9.0.0/16"]}}}
    ]);
    let report = scan(&snapshot(t));
    let f = findings_of(&report, "NSG101");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].evidence["virtual_network_tag"]["expected"],
        json!(["10.0.0.0/15", "168.63.129.16/32"]),
        "10.9.0.0/16 (access not allowed) is not in the tag"
    );
}

/// Whether a UDR with next hop Internet or None widens the tag is undocumented: the finding stays,
/// at medium confidence with the reason; an appliance next hop keeps high confidence.
#[test]
fn internet_or_none_next_hops_lower_the_confidence() {
    for hop in ["Internet", "None"] {
        let report = scan(&snapshot(tenant(
            vec![],
            &[("to-somewhere", "0.0.0.0/0", hop, None)],
        )));
        let f = findings_of(&report, "NSG101");
        assert_eq!(f.len(), 1, "{hop}");
        assert_eq!(
            f[0].confidence,
            azaudit::findings::Confidence::Medium,
            "{hop}"
        );
        assert!(
            f[0].confidence_reasons
                .iter()
                .any(|r| r.contains("next hop Internet or None")),
            "{hop}"
        );
    }
    let report = scan(&snapshot(tenant(vec![], DEFAULT_ROUTE)));
    assert_eq!(
        findings_of(&report, "NSG101")[0].confidence,
        azaudit::findings::Confidence::High
    );
}
