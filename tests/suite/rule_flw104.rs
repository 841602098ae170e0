//! FLW104 vnet-without-flow-log.

use crate::common::*;
use serde_json::{Value, json};

fn tenant(flow_logs: Vec<Value>) -> Value {
    let with_nsg =
        |n: &str| json!({"networkSecurityGroup": {"id": net_id("networkSecurityGroups", n)}});
    json!({
        "network_security_groups": [nsg("nsg-a", vec![]), nsg("nsg-b", vec![])],
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![
            subnet("vnet-app", "snet-a", "10.1.1.0/24", with_nsg("nsg-a")),
            subnet("vnet-app", "snet-b", "10.1.2.0/24", with_nsg("nsg-b")),
        ], json!({}))],
        "flow_logs": flow_logs,
    })
}

fn vnet_fl() -> Value {
    flow_log(
        "fl-vnet",
        &net_id("virtualNetworks", "vnet-app"),
        true,
        None,
    )
}

#[test]
fn vnet_without_any_flow_log_fires() {
    let r = scan(&snapshot(tenant(vec![])));
    let f = findings_of(&r, "FLW104");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].resource_id, net_id("virtualNetworks", "vnet-app"));
    assert_eq!(f[0].severity, azaudit::report::Severity::Medium);
    assert_eq!(
        f[0].evidence["subnets_without_any_flow_log"],
        json!(["snet-a", "snet-b"])
    );
}

#[test]
fn an_enabled_vnet_flow_log_is_the_negative_twin() {
    let r = scan(&snapshot(tenant(vec![vnet_fl()])));
    assert_twin(&r, "FLW104");
}

#[test]
fn a_disabled_vnet_flow_log_does_not_count() {
    let mut fl = vnet_fl();
    fl["properties"]["enabled"] = json!(false);
    let r = scan(&snapshot(tenant(vec![fl])));
    assert_eq!(findings_of(&r, "FLW104").len(), 1);
}

#[test]
fn a_subnet_flow_log_is_partial_coverage() {
    let fl = flow_log("fl-snet-a", &subnet_id("vnet-app", "snet-a"), true, None);
    let r = scan(&snapshot(tenant(vec![fl])));
    let f = findings_of(&r, "FLW104");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].evidence["partial_flow_logs"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        f[0].evidence["subnets_without_any_flow_log"],
        json!(["snet-b"])
    );
}

#[test]
fn nsg_flow_logs_on_every_subnet_count_as_covered_but_mention_retirement() {
    let r = scan(&snapshot(tenant(vec![
        flow_log(
            "fl-nsg-a",
            &net_id("networkSecurityGroups", "nsg-a"),
            true,
            None,
        ),
        flow_log(
            "fl-nsg-b",
            &net_id("networkSecurityGroups", "nsg-b"),
            true,
            None,
        ),
    ])));
    let f = findings_of(&r, "FLW104");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, azaudit::report::Severity::Info);
    assert!(f[0].message.contains("2027-09-30"), "{}", f[0].message);
    // One NSG flow log only: not covered.
    let r = scan(&snapshot(tenant(vec![flow_log(
        "fl-nsg-a",
        &net_id("networkSecurityGroups", "nsg-a"),
        true,
        None,
    )])));
    let f = findings_of(&r, "FLW104");
    assert_eq!(f[0].severity, azaudit::report::Severity::Medium);
    assert_eq!(
        f[0].evidence["subnets_with_nsg_flow_logs"],
        json!(["snet-a"])
    );
}

#[test]
fn flow_log_coverage_gaps_make_the_vnet_not_evaluated() {
    let gaps = json!([{"subscription_id": SUB, "kind": "network_watcher", "http_status": 403,
                        "code": "AuthorizationFailed", "message": "watchers unreadable"}]);
    let r = scan(&snapshot_with_gaps(tenant(vec![]), gaps));
    assert_not_judged(&r, "FLW104", true);
    let o = outcome(&r, "FLW104");
    assert_eq!(o.not_evaluated.len(), 1);
    assert!(o.not_evaluated[0].reason.contains("watchers unreadable"));
}
