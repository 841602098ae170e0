//! FLW104 — a virtual network that no enabled VNet flow log covers.

use serde_json::json;

use super::nsg_flow_log_retiring::is_nsg;
use super::support::{gaps_in, name_of, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::id_key;
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct VnetWithoutFlowLog;
pub static RULE: VnetWithoutFlowLog = VnetWithoutFlowLog;

static META: RuleMeta = RuleMeta {
    code: "FLW104",
    name: "vnet-without-flow-log",
    title: "Virtual network without a VNet flow log",
    severity: Severity::Medium,
    inputs: &[
        ResourceKind::VirtualNetwork,
        ResourceKind::FlowLog,
        ResourceKind::NetworkWatcher,
    ],
    // NICs only place NIC flow logs in the VNet, listed as partial coverage.
    shown_inputs: &[ResourceKind::NetworkInterface],
    what: "A virtual network with subnets that no enabled virtual network flow log targets. Only a flow log on \
the VNet itself counts as full coverage; flow logs on some of its subnets or NICs are listed as partial coverage. \
A VNet whose every subnet has an NSG with an enabled NSG flow log counts as covered but gets an informational \
finding, because NSG flow logs are retired on 30 September 2027. Not evaluated when flow logs or network \
watchers of the VNet's subscription could not be read.",
    why: "Without flow logs there is no record of which flows reached or left the network: incident response, \
proof that a deny works, and Traffic Analytics all depend on them. NSG flow logs cannot be created any more \
(since 30 June 2025) and are deleted on 30 September 2027; VNet flow logs are their replacement, also record \
traffic that no NSG governs and the decisions of AVNM security admin rules.",
    fix: "Enable a VNet flow log on the virtual network, with Traffic Analytics.\n\
Portal: Network Watcher → Flow logs → Create → Flow log type: Virtual network → select the VNet.\n\
az network watcher flow-log create --location <region> --resource-group <rg> --name <vnet>-flowlog \
--vnet <vnet-id> --storage-account <storage-id> --traffic-analytics true --workspace <workspace-id>",
    example: r#"{"virtual_network": ".../virtualNetworks/vnet-hub", "subnets": 4, "vnet_flow_logs": [], "partial_flow_logs": [], "subnets_with_nsg_flow_logs": ["snet-shared"], "subnets_without_any_flow_log": ["AzureFirewallSubnet", "GatewaySubnet"]}"#,
    references: &[
        "https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview",
        "https://learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview",
    ],
};

impl Rule for VnetWithoutFlowLog {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let enabled: Vec<_> = cx
            .inv
            .flow_logs
            .iter()
            .filter(|f| f.properties.enabled == Some(true))
            .filter_map(|f| {
                f.properties
                    .target_resource_id
                    .as_deref()
                    .map(|t| (f, id_key(t)))
            })
            .collect();
        let logged: std::collections::HashSet<&str> =
            enabled.iter().map(|(_, t)| t.as_str()).collect();
        // Flow-logged NICs → the VNets of their ip configurations (a NIC flow log covers part of
        // its VNet).
        let nic_vnets: std::collections::HashMap<String, Vec<String>> = cx
            .inv
            .network_interfaces
            .iter()
            .map(|n| (id_key(&n.id), n))
            .filter(|(k, _)| logged.contains(k.as_str()))
            .map(|(k, n)| {
                let vnets = n
                    .properties
                    .ip_configurations
                    .iter()
                    .filter_map(|c| c.properties.subnet.as_ref())
                    .filter_map(|s| {
                        let s = id_key(&s.id);
                        s.find("/subnets/").map(|i| s[..i].to_string())
                    })
                    .collect();
                (k, vnets)
            })
            .collect();
        for vnet in &cx.inv.virtual_networks {
            if vnet.properties.subnets.is_empty() {
                continue;
            }
            let sub = crate::azure::id::subscription_of(&vnet.id).unwrap_or_default();
            let gaps = gaps_in(
                cx,
                &[ResourceKind::FlowLog, ResourceKind::NetworkWatcher],
                &sub,
            );
            if let Some(g) = gaps.first() {
                out.not_evaluated(
                    &vnet.id,
                    format!(
                        "the {} of subscription {sub} could not be read: {}",
                        g.kind.label(),
                        g.message
                    ),
                );
                continue;
            }
            let vkey = id_key(&vnet.id);
            if logged.contains(vkey.as_str()) {
                continue;
            }
            // Flow logs on subnets or NICs inside the VNet: partial coverage.
            let nic_in_vnet =
                |target: &str| nic_vnets.get(target).is_some_and(|vs| vs.contains(&vkey));
            let partial: Vec<&str> = enabled
                .iter()
                .filter(|(_, t)| t.starts_with(&format!("{vkey}/subnets/")) || nic_in_vnet(t))
                .map(|(f, _)| f.id.as_str())
                .collect();
            // NSG flow logs on the subnets' NSGs.
            let mut nsg_logged = Vec::new();
            let mut not_logged = Vec::new();
            let mut nsg_flow_logs = Vec::new();
            let mut subnet_logged = Vec::new();
            for s in &vnet.properties.subnets {
                if logged.contains(id_key(&s.id).as_str()) {
                    subnet_logged.push(s.display_name().to_string());
                }
                let fl = s.properties.network_security_group.as_ref().and_then(|n| {
                    let k = id_key(&n.id);
                    enabled.iter().find(|(f, t)| {
                        *t == k
                            && is_nsg(
                                f.properties
                                    .target_resource_id
                                    .as_deref()
                                    .unwrap_or_default(),
                            )
                    })
                });
                match fl {
                    Some((f, _)) => {
                        nsg_logged.push(s.display_name().to_string());
                        if !nsg_flow_logs.contains(&f.id.as_str()) {
                            nsg_flow_logs.push(f.id.as_str());
                        }
                    }
                    None if subnet_logged.iter().any(|n| n == s.display_name()) => {}
                    None => not_logged.push(s.display_name().to_string()),
                }
            }
            let all_nsg_logged = nsg_logged.len() == vnet.properties.subnets.len();
            let evidence = json!({
                "virtual_network": vnet.id,
                "subnets": vnet.properties.subnets.len(),
                "vnet_flow_logs": [],
                "partial_flow_logs": partial,
                "nsg_flow_logs": nsg_flow_logs,
                "subnets_with_nsg_flow_logs": nsg_logged,
                "subnets_with_subnet_flow_logs": subnet_logged,
                "subnets_without_any_flow_log": not_logged,
            });
            let remediation = format!(
                "Create a VNet flow log for {}: az network watcher flow-log create --location {} --resource-group {} --name {}-flowlog --vnet {} --storage-account <storage-id> --traffic-analytics true --workspace <workspace-id>",
                vnet.display_name(),
                vnet.location.as_deref().unwrap_or("<region>"),
                rg_of(&vnet.id),
                vnet.display_name(),
                vnet.id,
            );
            if all_nsg_logged {
                let message = format!(
                    "VNet {} is covered only by NSG flow logs ({}), which are retired and deleted on 2027-09-30; create a VNet flow log.",
                    vnet.display_name(),
                    nsg_flow_logs
                        .iter()
                        .map(|f| name_of(f))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                out.finding_with_severity(
                    Severity::Info,
                    &vnet.id,
                    "nsg-flow-logs-only",
                    message,
                    evidence,
                    remediation,
                );
            } else {
                let mut detail = Vec::new();
                if !partial.is_empty() {
                    detail.push(format!(
                        "{} flow log(s) cover only parts of it",
                        partial.len()
                    ));
                }
                if !nsg_logged.is_empty() {
                    detail.push(format!(
                        "retiring NSG flow logs cover {} of its {} subnets",
                        nsg_logged.len(),
                        vnet.properties.subnets.len()
                    ));
                }
                let message = format!(
                    "VNet {} has no enabled VNet flow log{}, so traffic in subnets {} is not recorded.",
                    vnet.display_name(),
                    if detail.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", detail.join("; "))
                    },
                    not_logged.join(", "),
                );
                out.finding(&vnet.id, "no-vnet-flow-log", message, evidence, remediation);
            }
        }
    }
}
