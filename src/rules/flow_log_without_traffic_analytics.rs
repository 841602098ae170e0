//! FLW105 — an enabled flow log without Traffic Analytics (or without a workspace for it).

use serde_json::json;

use super::support::name_of;
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct FlowLogWithoutTrafficAnalytics;
pub static RULE: FlowLogWithoutTrafficAnalytics = FlowLogWithoutTrafficAnalytics;

static META: RuleMeta = RuleMeta {
    code: "FLW105",
    name: "flow-log-without-traffic-analytics",
    title: "Enabled flow log without Traffic Analytics",
    severity: Severity::Low,
    inputs: &[ResourceKind::FlowLog],
    shown_inputs: &[],
    what: "An enabled flow log whose Traffic Analytics configuration is absent or disabled, or enabled without a \
Log Analytics workspace (workspaceResourceId).",
    why: "Flow log records land as JSON blobs in a storage account; without Traffic Analytics nobody can query \
them in Log Analytics, so flows, denied connections and unexpected public traffic are recorded but effectively \
invisible until someone writes a parser. Traffic Analytics processes the records into a workspace every 10 or 60 \
minutes.",
    fix: "Enable Traffic Analytics on the flow log with a Log Analytics workspace.\n\
Portal: Network Watcher → Flow logs → <flow log> → Traffic analytics: Enable, choose the workspace and interval.\n\
az network watcher flow-log update --location <region> --name <flow-log> --traffic-analytics true \
--workspace <workspace-resource-id> --interval 10",
    example: r#"{"flow_log": ".../flowLogs/fl-nsg-data", "target": ".../networkSecurityGroups/nsg-data", "traffic_analytics_enabled": false, "workspace": null}"#,
    references: &[
        "https://learn.microsoft.com/azure/network-watcher/traffic-analytics",
        "https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview",
    ],
};

impl Rule for FlowLogWithoutTrafficAnalytics {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for fl in &cx.inv.flow_logs {
            if fl.properties.enabled != Some(true) {
                continue;
            }
            let ta = fl.traffic_analytics();
            let ta_enabled = ta.and_then(|t| t.enabled) == Some(true);
            let workspace = ta
                .and_then(|t| t.workspace_resource_id.as_deref())
                .map(str::trim)
                .filter(|s| !s.is_empty());
            let problem = match (ta_enabled, workspace) {
                (true, Some(_)) => continue,
                (true, None) => "has Traffic Analytics enabled without a Log Analytics workspace",
                (false, _) => "has Traffic Analytics disabled",
            };
            let fl_name = fl.name.as_deref().unwrap_or_else(|| name_of(&fl.id));
            let message = format!(
                "Flow log {fl_name} on {} {problem}, so its records are only raw blobs in storage.",
                fl.properties
                    .target_resource_id
                    .as_deref()
                    .map(name_of)
                    .unwrap_or("an unknown target"),
            );
            let evidence = json!({
                "flow_log": fl.id,
                "target": fl.properties.target_resource_id,
                "storage_account": fl.properties.storage_id,
                "traffic_analytics_configured": ta.is_some(),
                "traffic_analytics_enabled": ta_enabled,
                "workspace": workspace,
            });
            let remediation = format!(
                "Enable Traffic Analytics on {fl_name}: az network watcher flow-log update --location {} --name {fl_name} --traffic-analytics true --workspace <workspace-resource-id> --interval 10",
                fl.location.as_deref().unwrap_or("<region>"),
            );
            out.finding(&fl.id, "traffic-analytics", message, evidence, remediation);
        }
    }
}
