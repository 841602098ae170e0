//! FLW101 — the Traffic Analytics workspace's subscription lacks a registered Microsoft.Network.

use serde_json::json;

use super::support::{ProviderState, name_of, provider_severity, provider_state};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct TaWorkspaceProviderUnregistered;
pub static RULE: TaWorkspaceProviderUnregistered = TaWorkspaceProviderUnregistered;

static META: RuleMeta = RuleMeta {
    code: "FLW101",
    name: "traffic-analytics-workspace-provider-unregistered",
    title: "Traffic Analytics workspace is in a subscription where Microsoft.Network is not registered",
    severity: Severity::Medium,
    inputs: &[ResourceKind::FlowLog, ResourceKind::ResourceProvider],
    shown_inputs: &[],
    what: "An enabled flow log (a disabled one sends nothing and is skipped) with Traffic Analytics enabled whose Log Analytics workspace \
(flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration.workspaceResourceId) lives in a \
subscription where the Microsoft.Network resource provider is not Registered (Registering gives a low-severity \
finding). The workspace's subscription is followed even when it is outside the scan scope; when its provider \
registrations were not read the flow log is reported as not evaluated.",
    why: "Traffic Analytics is configured by Network Watcher on behalf of the workspace: enabling or updating it \
fails with an opaque \"Failed to update flow logs settings … An error occurred\" unless Microsoft.Network is \
registered in the subscription that holds the workspace. Central workspaces usually sit in a management \
subscription without network resources, where the provider was never registered automatically, so the flow log \
looks configured while no analytics arrive and every later change to it fails.",
    fix: "Register Microsoft.Network in the workspace's subscription, then re-save the flow log's Traffic Analytics \
settings.\nPortal: Subscriptions → <workspace subscription> → Resource providers → Microsoft.Network → Register.\n\
az provider register --namespace Microsoft.Network --subscription <workspace-subscription-id>",
    example: r#"{"flow_log": ".../networkWatchers/NetworkWatcher_westeurope/flowLogs/fl-vnet-spoke-app", "workspace": "/subscriptions/3333…/resourceGroups/rg-monitor/providers/Microsoft.OperationalInsights/workspaces/law-central", "workspace_subscription": "3333…", "provider": "Microsoft.Network", "registration_state": "NotRegistered"}"#,
    references: &[
        "https://learn.microsoft.com/azure/network-watcher/traffic-analytics",
        "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-providers-and-types",
    ],
};

impl Rule for TaWorkspaceProviderUnregistered {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for fl in &cx.inv.flow_logs {
            if fl.properties.enabled == Some(false) {
                continue; // a disabled flow log sends nothing: nothing fails until it is enabled
            }
            let Some(ta) = fl.traffic_analytics() else {
                continue;
            };
            if ta.enabled != Some(true) {
                continue;
            }
            let Some(ws) = ta
                .workspace_resource_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            else {
                continue; // FLW105 reports a Traffic Analytics configuration without a workspace
            };
            let Some(sub) = crate::azure::id::subscription_of(ws) else {
                out.not_evaluated(
                    &fl.id,
                    format!("its workspace id {ws} names no subscription"),
                );
                continue;
            };
            let state = match provider_state(cx, &sub, "Microsoft.Network") {
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
                "Flow log {fl_name} sends Traffic Analytics to workspace {} in subscription {sub}, where Microsoft.Network is {state}, so Traffic Analytics cannot be configured for it.",
                name_of(ws),
            );
            let evidence = json!({
                "flow_log": fl.id,
                "target": fl.properties.target_resource_id,
                "workspace": ws,
                "workspace_subscription": sub,
                "provider": "Microsoft.Network",
                "registration_state": state.to_string(),
            });
            let remediation = format!(
                "Register Microsoft.Network in the workspace's subscription, then re-save the flow log: az provider register --namespace Microsoft.Network --subscription {sub}"
            );
            out.finding_with_severity(
                severity,
                &fl.id,
                &ws.to_ascii_lowercase(),
                message,
                evidence,
                remediation,
            );
        }
    }
}
