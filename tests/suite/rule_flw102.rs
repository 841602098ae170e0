//! FLW102 flow-log-insights-unregistered.

use crate::common::*;
use serde_json::{Value, json};

fn tenant(insights: Option<&str>) -> Value {
    let mut providers = vec![provider(SUB, "Microsoft.Network", "Registered")];
    if let Some(state) = insights {
        providers.push(provider(SUB, "Microsoft.Insights", state));
    }
    json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![subnet("vnet-app", "snet-app", "10.1.1.0/24", json!({}))], json!({}))],
        "resource_providers": providers,
        "flow_logs": [flow_log("fl-vnet-app", &net_id("virtualNetworks", "vnet-app"), true, None)],
    })
}

#[test]
fn flow_log_subscription_without_insights_fires() {
    let r = scan(&snapshot(tenant(Some("NotRegistered"))));
    let f = findings_of(&r, "FLW102");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["subscription"], SUB);
    assert_eq!(f[0].evidence["provider"], "Microsoft.Insights");
    assert_eq!(f[0].evidence["registration_state"], "NotRegistered");
    assert_eq!(f[0].severity, azaudit::report::Severity::Medium);
}

#[test]
fn registered_insights_is_silent() {
    let r = scan(&snapshot(tenant(Some("Registered"))));
    assert_twin(&r, "FLW102");
}

#[test]
fn registering_is_low() {
    let r = scan(&snapshot(tenant(Some("Registering"))));
    assert_eq!(
        findings_of(&r, "FLW102")[0].severity,
        azaudit::report::Severity::Low
    );
}

#[test]
fn missing_registration_is_not_evaluated() {
    let r = scan(&snapshot(tenant(None)));
    assert_not_judged(&r, "FLW102", false);
    let o = outcome(&r, "FLW102");
    assert_eq!(o.not_evaluated.len(), 1);
    assert!(o.not_evaluated[0].reason.contains("Microsoft.Insights"));
}
