//! RTE102 — a route table close to its route limit (400 by default).

use serde_json::json;

use super::support::{name_of, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::model::tags::prefix_len;

pub struct RouteTableNearLimit;
pub static RULE: RouteTableNearLimit = RouteTableNearLimit;

/// Azure's documented limit of user-defined routes per route table (Microsoft's subscription
/// limits page); a tenant whose tables hold more (Azure Virtual Network Manager's allow 1,000)
/// sets the `limit` parameter.
pub const ROUTE_LIMIT: usize = 400;

/// The shipped threshold: 90 % of the documented limit.
pub const DEFAULT_THRESHOLD: usize = 360;

static META: RuleMeta = RuleMeta {
    code: "RTE102",
    name: "route-table-near-limit",
    title: "Route table is close to its route limit",
    severity: Severity::Medium,
    inputs: &[ResourceKind::RouteTable],
    shown_inputs: &[],
    what: "A route table with at least `threshold` routes (360 by default, 90 % of `limit`, the user-defined \
routes a table can hold: 400 unless the policy says otherwise), with the number of /32 host routes among them; \
high once it holds `limit` routes. Endpoint network policies are advised only when the table holds /32 \
routes; otherwise the advice is to summarise prefixes or split the table.",
    why: "Microsoft's subscription limits give 400 user-defined routes per route table (tables managed by \
Azure Virtual Network Manager hold up to 1,000; where a subscription's limit differs, set `limit` in the \
policy). Tables grow towards the limit when a /32 route is added per \
private endpoint to force endpoint traffic through a firewall — the workaround from before private endpoint \
network policies existed. At the limit the next deployment that needs a route fails, usually during an \
incident or a migration. Enabling network policies on the private-endpoint subnets lets one UDR for the VNet or \
subnet range (prefix at least as long as the VNet's) replace all the /32s.",
    fix: "Enable privateEndpointNetworkPolicies (RouteTableEnabled or Enabled) on the private-endpoint subnets, \
replace the /32 routes by one route per VNet or subnet range, and delete them.\n\
Portal: Virtual network → Subnets → <pe subnet> → Private endpoint network policy: Route tables.\n\
az network vnet subnet update --resource-group <rg> --vnet-name <vnet> --name <pe-subnet> \
--private-endpoint-network-policies Enabled",
    example: r#"{"route_table": ".../routeTables/rt-shared-pe-routes", "route_count": 364, "limit": 400, "threshold": 360, "host_routes_32": 362}"#,
    references: &[
        "https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits",
        "https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy",
        "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview",
    ],
};

impl Rule for RouteTableNearLimit {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let limit = cx.param_u64(META.code, "limit", ROUTE_LIMIT as u64) as usize;
        let threshold = cx.param_u64(META.code, "threshold", DEFAULT_THRESHOLD as u64) as usize;
        for rt in &cx.inv.route_tables {
            let count = rt.properties.routes.len();
            if count < threshold {
                continue;
            }
            let host = rt
                .properties
                .routes
                .iter()
                .filter(|r| prefix_len(&r.properties.address_prefix) == Some(32))
                .count();
            let rt_name = name_of(&rt.id);
            // Endpoint network policies only help a table that holds per-endpoint /32 routes.
            let message = if host > 0 {
                format!(
                    "Route table {rt_name} has {count} of {limit} routes ({host} of them /32 host routes); enable network policies on private-endpoint subnets so one prefix route can replace per-endpoint /32s."
                )
            } else {
                format!(
                    "Route table {rt_name} has {count} of {limit} routes, none of them /32 host routes; summarise adjacent prefixes or split the table before it reaches the limit."
                )
            };
            let evidence = json!({
                "route_table": rt.id,
                "route_count": count,
                "limit": limit,
                "threshold": threshold,
                "host_routes_32": host,
                "subnets": rt.properties.subnets.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
            });
            let remediation = if host > 0 {
                format!(
                    "Enable network policies on the private-endpoint subnets (az network vnet subnet update --resource-group <rg> --vnet-name <vnet> --name <pe-subnet> --private-endpoint-network-policies Enabled), then remove the /32 routes, e.g. az network route-table route delete --resource-group {} --route-table-name {rt_name} --name <route>",
                    rg_of(&rt.id),
                )
            } else {
                format!(
                    "Replace adjacent prefixes with one summary route, or move the subnets that need different routes to a table of their own; delete routes with az network route-table route delete --resource-group {} --route-table-name {rt_name} --name <route>",
                    rg_of(&rt.id),
                )
            };
            let severity = if count >= limit {
                Severity::High
            } else {
                META.severity
            };
            out.finding_with_severity(
                severity,
                &rt.id,
                "route-count",
                message,
                evidence,
                remediation,
            );
        }
    }
}
