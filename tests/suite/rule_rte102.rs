//! RTE102 route-table-near-limit.

use crate::common::*;
use serde_json::json;

fn table(n: usize) -> serde_json::Value {
    let names: Vec<String> = (0..n).map(|i| format!("pe-{i}")).collect();
    let prefixes: Vec<String> = (0..n)
        .map(|i| format!("10.1.{}.{}/32", i / 250, i % 250 + 4))
        .collect();
    let routes: Vec<(&str, &str, &str, Option<&str>)> = names
        .iter()
        .zip(&prefixes)
        .map(|(n, p)| (n.as_str(), p.as_str(), "VirtualAppliance", Some("10.0.1.4")))
        .collect();
    route_table("rt-big", &routes)
}

#[test]
fn at_the_threshold_fires_and_counts_host_routes() {
    let r = scan(&snapshot(json!({"route_tables": [table(360)]})));
    let f = findings_of(&r, "RTE102");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["route_count"], 360);
    assert_eq!(f[0].evidence["host_routes_32"], 360);
    assert_eq!(f[0].evidence["limit"], 400);
    assert!(f[0].message.contains("network policies"));
    assert_eq!(f[0].severity, azaudit::report::Severity::Medium);
}

#[test]
fn below_the_threshold_is_silent() {
    let r = scan(&snapshot(json!({"route_tables": [table(359)]})));
    assert_twin(&r, "RTE102");
}

#[test]
fn at_the_limit_is_high() {
    let r = scan(&snapshot(json!({"route_tables": [table(400)]})));
    assert_eq!(
        findings_of(&r, "RTE102")[0].severity,
        azaudit::report::Severity::High
    );
}

#[test]
fn the_threshold_comes_from_the_policy() {
    let policy = "[rules.RTE102.params]\nthreshold = 300\n";
    let at = scan_with_policy(&snapshot(json!({"route_tables": [table(300)]})), policy);
    let f = findings_of(&at, "RTE102");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["threshold"], 300);
    assert_eq!(f[0].evidence["route_count"], 300);
    let below = scan_with_policy(&snapshot(json!({"route_tables": [table(299)]})), policy);
    assert_twin(&below, "RTE102");
    // Without the policy the shipped threshold (360) leaves 300 routes alone.
    assert_twin(
        &scan(&snapshot(json!({"route_tables": [table(300)]}))),
        "RTE102",
    );
}

#[test]
fn a_table_without_host_routes_is_not_told_to_enable_endpoint_policies() {
    let names: Vec<String> = (0..360).map(|i| format!("r-{i}")).collect();
    let prefixes: Vec<String> = (0..360)
        .map(|i| format!("10.{}.{}.0/24", 100 + i / 250, i % 250))
        .collect();
    let routes: Vec<(&str, &str, &str, Option<&str>)> = names
        .iter()
        .zip(&prefixes)
        .map(|(n, p)| (n.as_str(), p.as_str(), "VirtualAppliance", Some("10.0.1.4")))
        .collect();
    let r = scan(&snapshot(
        json!({"route_tables": [route_table("rt-big", &routes)]}),
    ));
    let f = findings_of(&r, "RTE102");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["host_routes_32"], 0);
    assert!(
        !f[0].message.contains("network policies"),
        "{}",
        f[0].message
    );
    assert!(
        !f[0]
            .remediation
            .contains("private-endpoint-network-policies"),
        "{}",
        f[0].remediation
    );
    assert!(f[0].message.contains("summarise"), "{}", f[0].message);
}

#[test]
fn a_raised_limit_comes_from_the_policy() {
    // Tables that hold 1,000 routes (Azure Virtual Network Manager's): 400 routes is no warning,
    // 900 is, and 1,000 is high.
    let policy = "[rules.RTE102.params]\nlimit = 1000\nthreshold = 900\n";
    assert_twin(
        &scan_with_policy(&snapshot(json!({"route_tables": [table(400)]})), policy),
        "RTE102",
    );
    let r = scan_with_policy(&snapshot(json!({"route_tables": [table(900)]})), policy);
    let f = findings_of(&r, "RTE102");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["limit"], 1000);
    assert_eq!(f[0].severity, azaudit::report::Severity::Medium);
    assert!(
        f[0].message.contains("900 of 1000 routes"),
        "{}",
        f[0].message
    );
    let r = scan_with_policy(&snapshot(json!({"route_tables": [table(1000)]})), policy);
    assert_eq!(
        findings_of(&r, "RTE102")[0].severity,
        azaudit::report::Severity::High
    );
}
