//! FLW105 flow-log-without-traffic-analytics.

use crate::common::*;
use serde_json::json;

#[test]
fn enabled_flow_log_without_traffic_analytics_fires_and_configured_twin_does_not() {
    let ws = workspace_id(SUB, "law");
    let mut no_ws = flow_log(
        "fl-no-ws",
        &net_id("virtualNetworks", "vnet-c"),
        true,
        Some(&ws),
    );
    no_ws["properties"]["flowAnalyticsConfiguration"]["networkWatcherFlowAnalyticsConfiguration"]
        .as_object_mut()
        .unwrap()
        .remove("workspaceResourceId");
    let t = json!({"flow_logs": [
        flow_log("fl-off", &net_id("virtualNetworks", "vnet-a"), true, None),
        flow_log("fl-on", &net_id("virtualNetworks", "vnet-b"), true, Some(&ws)),
        flow_log("fl-disabled", &net_id("virtualNetworks", "vnet-d"), false, None),
        no_ws,
    ]});
    let r = scan(&snapshot(t));
    let mut fired: Vec<_> = findings_of(&r, "FLW105")
        .iter()
        .map(|f| azaudit::azure::id::last_name(&f.resource_id).to_string())
        .collect();
    fired.sort();
    assert_eq!(fired, vec!["fl-no-ws", "fl-off"]);
    assert_twin_on(&r, "FLW105", "/flowLogs/fl-on");
    assert_twin_on(&r, "FLW105", "/flowLogs/fl-disabled");
    let off = findings_of(&r, "FLW105")
        .into_iter()
        .find(|f| f.resource_id.ends_with("fl-off"))
        .unwrap();
    assert_eq!(off.evidence["traffic_analytics_enabled"], false);
    assert_eq!(off.severity, azaudit::report::Severity::Low);
    let nows = findings_of(&r, "FLW105")
        .into_iter()
        .find(|f| f.resource_id.ends_with("fl-no-ws"))
        .unwrap();
    assert_eq!(nows.evidence["traffic_analytics_enabled"], true);
    assert!(nows.evidence["workspace"].is_null());
}
