//! RTE105 — one route table associated with several subnets.

use std::collections::BTreeMap;

use serde_json::json;

use super::support::name_of;
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::id_key;
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct RouteTableShared;
pub static RULE: RouteTableShared = RouteTableShared;

static META: RuleMeta = RuleMeta {
    code: "RTE105",
    name: "route-table-shared",
    title: "Route table shared by several subnets",
    severity: Severity::Info,
    inputs: &[ResourceKind::RouteTable, ResourceKind::VirtualNetwork],
    shown_inputs: &[],
    what: "A route table associated with more than one subnet. Informational.",
    why: "A route added for one subnet then changes the routing, and — through the VirtualNetwork service tag, \
which includes every UDR prefix — the NSG semantics of every other subnet using the table. Subnets with \
different requirements (an Application Gateway v2 subnet, a private-endpoint subnet, a workload subnet) end up \
with routes that are wrong for some of them. One route table per subnet, named after VNet and subnet, keeps \
each change local.",
    fix: "Create a route table per subnet with the routes that subnet needs and associate it.\n\
Portal: Route tables → Create; then Subnets → Associate.\n\
az network route-table create --resource-group <rg> --name rt-<vnet>-<subnet> && \
az network vnet subnet update --resource-group <rg> --vnet-name <vnet> --name <subnet> --route-table rt-<vnet>-<subnet>",
    example: r#"{"route_table": ".../routeTables/rt-app", "subnets": [".../vnet-spoke-app/subnets/snet-app", ".../vnet-spoke-app/subnets/snet-appgw"]}"#,
    references: &[
        "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview",
    ],
};

impl Rule for RouteTableShared {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for rt in &cx.inv.route_tables {
            let mut subnets: BTreeMap<String, String> = rt
                .properties
                .subnets
                .iter()
                .map(|s| (id_key(&s.id), s.id.clone()))
                .collect();
            for (s, _) in cx.idx.subnets_using_route_table(&rt.id) {
                subnets.insert(id_key(&s.id), s.id.clone());
            }
            if subnets.len() < 2 {
                continue;
            }
            let ids: Vec<String> = subnets.into_values().collect();
            let rt_name = name_of(&rt.id);
            let message = format!(
                "Route table {rt_name} is shared by {} subnets ({}), so a route added for one changes the others.",
                ids.len(),
                ids.iter()
                    .map(|i| name_of(i))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            let evidence =
                json!({"route_table": rt.id, "subnets": ids, "routes": rt.properties.routes.len()});
            let remediation = format!(
                "Give each subnet its own table, e.g. az network route-table create --resource-group {} --name rt-<vnet>-<subnet> then az network vnet subnet update --resource-group <rg> --vnet-name <vnet> --name <subnet> --route-table rt-<vnet>-<subnet>",
                super::support::rg_of(&rt.id),
            );
            let mut proof = out.finding(&rt.id, "shared", message, evidence, remediation);
            for s in &ids {
                proof = proof.related(s, "subnet sharing the table");
            }
        }
    }
}
