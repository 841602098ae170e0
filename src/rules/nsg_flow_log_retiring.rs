//! FLW103 — NSG flow logs still in use: they are retired, and deleted, on 30 September 2027.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::json;

use super::support::{name_of, rg_of, type_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct NsgFlowLogRetiring;
pub static RULE: NsgFlowLogRetiring = NsgFlowLogRetiring;

/// The day NSG flow logs are retired and existing NSG flow log resources deleted.
pub const RETIREMENT: (i32, u32, u32) = (2027, 9, 30);
/// The day since which no new NSG flow logs can be created.
pub const NO_NEW_SINCE: &str = "2025-06-30";
/// Within this many days of the retirement the finding is high.
const URGENT_DAYS: i64 = 180;

static META: RuleMeta = RuleMeta {
    code: "FLW103",
    name: "nsg-flow-log-retiring",
    title: "NSG flow log is retiring: it will be deleted on 30 September 2027",
    severity: Severity::Medium,
    inputs: &[ResourceKind::FlowLog],
    shown_inputs: &[],
    what: "A flow log whose target is a network security group (an NSG flow log). The message counts the days \
left until the retirement from the scan date; the finding is high within 180 days of it or after it, and low \
for a disabled flow log.",
    why: "Microsoft retires NSG flow logs in favour of virtual network flow logs: no new NSG flow logs can be \
created since 30 June 2025, and on 30 September 2027 existing NSG flow log resources are deleted and Traffic \
Analytics on them is no longer supported (records already written stay in storage). A tenant that still relies on them loses its \
traffic records on that date unless it has moved to VNet flow logs. Microsoft recommends disabling the NSG flow \
logs when enabling VNet flow logs on the same workloads to avoid duplicate records.",
    fix: "Create a virtual network flow log on the VNet (or subnet) behind the NSG with the same storage \
account and Traffic Analytics workspace, check the records arrive, then delete the NSG flow log.\n\
Portal: Network Watcher → Flow logs → Create → Flow log type: Virtual network.\n\
az network watcher flow-log create --location <region> --resource-group <rg> --name <vnet>-flowlog \
--vnet <vnet-id> --storage-account <storage-id> --traffic-analytics true --workspace <workspace-id>",
    example: r#"{"flow_log": ".../flowLogs/fl-nsg-data", "network_security_group": ".../networkSecurityGroups/nsg-data", "enabled": true, "retirement_date": "2027-09-30", "days_left": 310, "no_new_nsg_flow_logs_since": "2025-06-30"}"#,
    references: &[
        "https://learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview",
        "https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview",
        "https://learn.microsoft.com/azure/network-watcher/nsg-flow-logs-migrate",
    ],
};

/// Whether an id names a network security group.
pub fn is_nsg(id: &str) -> bool {
    type_of(id) == "microsoft.network/networksecuritygroups"
}

impl Rule for NsgFlowLogRetiring {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let (y, m, d) = RETIREMENT;
        let retirement = Utc.from_utc_datetime(
            &NaiveDate::from_ymd_opt(y, m, d)
                .expect("valid date")
                .and_hms_opt(0, 0, 0)
                .expect("valid time"),
        );
        let days_left = (retirement - cx.now).num_days();
        for fl in &cx.inv.flow_logs {
            let Some(target) = fl.properties.target_resource_id.as_deref() else {
                continue;
            };
            if !is_nsg(target) {
                continue;
            }
            let enabled = fl.properties.enabled != Some(false);
            let severity = if !enabled {
                Severity::Low
            } else if days_left <= URGENT_DAYS {
                Severity::High
            } else {
                META.severity
            };
            let fl_name = fl.name.as_deref().unwrap_or_else(|| name_of(&fl.id));
            let when = if days_left > 0 {
                format!(
                    "{days_left} days left until NSG flow logs are retired and deleted on 2027-09-30"
                )
            } else {
                "NSG flow logs were retired on 2027-09-30 and their resources are deleted"
                    .to_string()
            };
            let message = format!(
                "Flow log {fl_name} is an NSG flow log on {}: {when}; move to a virtual network flow log.",
                name_of(target),
            );
            let evidence = json!({
                "flow_log": fl.id,
                "network_security_group": target,
                "enabled": enabled,
                "traffic_analytics": fl.traffic_analytics().and_then(|t| t.enabled).unwrap_or(false),
                "retirement_date": "2027-09-30",
                "days_left": days_left.max(0),
                "no_new_nsg_flow_logs_since": NO_NEW_SINCE,
            });
            let remediation = format!(
                "Create a VNet flow log for the VNet(s) of the subnets behind {} (az network watcher flow-log create --location {} --resource-group {} --name <vnet>-flowlog --vnet <vnet-id> --storage-account {}), then delete {fl_name}: az network watcher flow-log delete --location {} --name {fl_name}",
                name_of(target),
                fl.location.as_deref().unwrap_or("<region>"),
                rg_of(target),
                fl.properties
                    .storage_id
                    .as_deref()
                    .unwrap_or("<storage-id>"),
                fl.location.as_deref().unwrap_or("<region>"),
            );
            out.finding_with_severity(
                severity,
                &fl.id,
                "nsg-flow-log",
                message,
                evidence,
                remediation,
            );
        }
    }
}
