//! FLW101 traffic-analytics-workspace-provider-unregistered.

use crate::common::*;
use serde_json::{Value, json};

fn tenant(mgmt_network_state: Option<&str>) -> Value {
    let ws = workspace_id(MGMT_SUB, "law-central");
    let mut providers = vec![
        provider(SUB, "Microsoft.Network", "Registered"),
        provider(SUB, "Microsoft.Insights", "Registered"),
    ];
    if let Some(state) = mgmt_network_state {
        providers.push(provider(MGMT_SUB, "Microsoft.Network", state));
        providers.push(provider(MGMT_SUB, "Microsoft.Insights", "Registered"));
    }
    json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![subnet("vnet-app", "snet-app", "10.1.1.0/24", json!({}))], json!({}))],
        "resource_providers": providers,
        "flow_logs": [flow_log("fl-vnet-app", &net_id("virtualNetworks", "vnet-app"), true, Some(&ws))],
    })
}

#[test]
fn workspace_subscription_without_microsoft_network_fires() {
    let r = scan(&snapshot(tenant(Some("NotRegistered"))));
    let f = findings_of(&r, "FLW101");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    let f = f[0];
    assert!(f.resource_id.ends_with("/flowLogs/fl-vnet-app"));
    assert_eq!(f.severity, azaudit::report::Severity::Medium);
    assert_eq!(
        f.evidence["workspace"],
        workspace_id(MGMT_SUB, "law-central")
    );
    assert_eq!(f.evidence["workspace_subscription"], MGMT_SUB);
    assert_eq!(f.evidence["provider"], "Microsoft.Network");
    assert_eq!(f.evidence["registration_state"], "NotRegistered");
    assert!(
        f.remediation
            .contains(&format!("--subscription {MGMT_SUB}"))
    );
}

#[test]
fn registering_is_low() {
    let r = scan(&snapshot(tenant(Some("Registering"))));
    let f = findings_of(&r, "FLW101");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, azaudit::report::Severity::Low);
}

#[test]
fn registered_is_the_negative_twin() {
    let r = scan(&snapshot(tenant(Some("Registered"))));
    assert_twin(&r, "FLW101");
}

#[test]
fn unread_workspace_subscription_is_not_evaluated() {
    let r = scan(&snapshot(tenant(None)));
    assert_not_judged(&r, "FLW101", false);
    let o = outcome(&r, "FLW101");
    assert_eq!(o.not_evaluated.len(), 1);
    assert!(
        o.not_evaluated[0].reason.contains(MGMT_SUB),
        "{:?}",
        o.not_evaluated
    );
}

#[test]
fn a_provider_coverage_gap_is_not_evaluated_even_with_stale_data() {
    let gaps = json!([{"subscription_id": MGMT_SUB, "kind": "resource_provider", "http_status": 403,
                        "code": "AuthorizationFailed", "message": "no read access to providers"}]);
    let r = scan(&snapshot_with_gaps(tenant(Some("NotRegistered")), gaps));
    assert_not_judged(&r, "FLW101", true);
    let o = outcome(&r, "FLW101");
    assert!(
        o.not_evaluated[0]
            .reason
            .contains("no read access to providers")
    );
}

#[test]
fn a_disabled_flow_log_is_the_negative_twin() {
    let mut t = tenant(Some("NotRegistered"));
    t["flow_logs"][0]["properties"]["enabled"] = json!(false);
    assert_twin(&scan(&snapshot(t)), "FLW101");
}
