//! FLW102 — a flow log's own subscription lacks a registered Microsoft.Insights.

use serde_json::json;

use super::support::{ProviderState, name_of, provider_severity, provider_state, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct FlowLogInsightsUnregistered;
pub static RULE: FlowLogInsightsUnregistered = FlowLogInsightsUnregistered;

static META: RuleMeta = RuleMeta {
    code: "FLW102",
    name: "flow-log-insights-unregistered",
    title: "Flow log's subscription does not have Microsoft.Insights registered",
    severity: Severity::Medium,
    inputs: &[ResourceKind::FlowLog, ResourceKind::ResourceProvider],
    shown_inputs: &[],
    what: "An enabled flow log whose own subscription does not have the Microsoft.Insights resource provider \
Registered (Registering gives a low-severity finding). When that subscription's registrations were not read the \
flow log is reported as not evaluated.",
    why: "Network Watcher flow logging depends on Microsoft.Insights in the subscription of the flow log: without \
the registration, creating or updating the flow log fails and logging silently stops being configurable, which \
is found out only when the records are needed.",
    fix: "Register Microsoft.Insights in the flow log's subscription.\nPortal: Subscriptions → <subscription> → \
Resource providers → Microsoft.Insights → Register.\n\
az provider register --namespace Microsoft.Insights --subscription <subscription-id>",
    example: r#"{"flow_log": ".../networkWatchers/NetworkWatcher_westeurope/flowLogs/fl-vnet-hub", "subscription": "1111…", "provider": "Microsoft.Insights", "registration_state": "Registering"}"#,
    references: &[
        "https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview",
        "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-providers-and-types",
    ],
};

impl Rule for FlowLogInsightsUnregistered {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for fl in cx
            .inv
            .flow_logs
            .iter()
            .filter(|f| f.properties.enabled != Some(false))
        {
            let Some(sub) = crate::azure::id::subscription_of(&fl.id) else {
                out.not_evaluated(&fl.id, "its id names no subscription".into());
                continue;
            };
            let state = match provider_state(cx, &sub, "Microsoft.Insights") {
                ProviderState::Known(s) => s,
                ProviderState::Unknown(reason) => {
                    out.not_evaluated(&fl.id, reason);
                    continue;
                }
            };
            let Some(severity) = provider_severity(&state, META.severity) else {
                continue;
            };
            let fl_name = fl.name.as_deref().unwrap_or_else(|| name_of(&fl.id));
            let message = format!(
                "Flow log {fl_name} is in subscription {sub}, where Microsoft.Insights is {state}, so the flow log cannot be created or updated reliably."
            );
            let evidence = json!({
                "flow_log": fl.id,
                "target": fl.properties.target_resource_id,
                "subscription": sub,
                "resource_group": rg_of(&fl.id),
                "provider": "Microsoft.Insights",
                "registration_state": state.to_string(),
            });
            let remediation = format!(
                "Register Microsoft.Insights in the flow log's subscription: az provider register --namespace Microsoft.Insights --subscription {sub}"
            );
            out.finding_with_severity(
                severity,
                &fl.id,
                "Microsoft.Insights",
                message,
                evidence,
                remediation,
            );
        }
    }
}
