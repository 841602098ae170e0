//! RTE104 — a UDR with next hop None (traffic to the prefix is dropped).

use serde_json::json;

use super::support::{name_of, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::NextHopType;

pub struct RouteNextHopNone;
pub static RULE: RouteNextHopNone = RouteNextHopNone;

static META: RuleMeta = RuleMeta {
    code: "RTE104",
    name: "route-next-hop-none",
    title: "User-defined route with next hop None drops traffic",
    severity: Severity::Info,
    inputs: &[ResourceKind::RouteTable],
    shown_inputs: &[],
    what: "A user-defined route whose next hop type is None. Informational: it is sometimes deliberate (blocking \
a range), but it is also what a half-finished migration leaves behind.",
    why: "Azure drops traffic matching a route with next hop None. Unlike an NSG deny it leaves no trace in flow \
logs as a denied flow and is invisible to whoever debugs the NSGs, so a forgotten blackhole route looks like an \
outage of whatever lives in the prefix.",
    fix: "Confirm the route is intended; otherwise delete it or point it at the right next hop.\n\
Portal: Route tables → <table> → Routes → <route> → Delete.\n\
az network route-table route delete --resource-group <rg> --route-table-name <rt> --name <route>",
    example: r#"{"route_table": ".../routeTables/rt-shared-pe-routes", "route": "blackhole-legacy", "address_prefix": "10.8.0.0/16", "next_hop_type": "None"}"#,
    references: &[
        "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview",
    ],
};

impl Rule for RouteNextHopNone {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for rt in &cx.inv.route_tables {
            let rt_name = name_of(&rt.id);
            for route in rt
                .properties
                .routes
                .iter()
                .filter(|r| r.properties.next_hop_type == NextHopType::None)
            {
                let p = &route.properties;
                let message = format!(
                    "Route {} in {rt_name} drops all traffic to {} (next hop None).",
                    route.name, p.address_prefix
                );
                let evidence = json!({
                    "route_table": rt.id,
                    "route": route.name,
                    "address_prefix": p.address_prefix,
                    "next_hop_type": "None",
                    "subnets": rt.properties.subnets.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
                });
                let remediation = format!(
                    "If the blackhole is not intended, delete it: az network route-table route delete --resource-group {} --route-table-name {rt_name} --name {}",
                    rg_of(&rt.id),
                    route.name
                );
                out.finding(
                    &rt.id,
                    &route.name.to_ascii_lowercase(),
                    message,
                    evidence,
                    remediation,
                );
            }
        }
    }
}
