//! RTE105 route-table-shared.

use crate::common::*;
use serde_json::json;

#[test]
fn a_table_on_two_subnets_is_reported_and_a_table_on_one_is_not() {
    let rt = |n: &str| json!({"routeTable": {"id": net_id("routeTables", n)}});
    let t = json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![
            subnet("vnet-app", "snet-a", "10.1.1.0/24", rt("rt-shared")),
            subnet("vnet-app", "snet-b", "10.1.2.0/24", rt("rt-shared")),
            subnet("vnet-app", "snet-c", "10.1.3.0/24", rt("rt-own")),
        ], json!({}))],
        "route_tables": [route_table("rt-shared", &[]), route_table("rt-own", &[])],
    });
    let r = scan(&snapshot(t));
    let f = findings_of(&r, "RTE105");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].resource_id, net_id("routeTables", "rt-shared"));
    assert_twin_on(&r, "RTE105", "/routeTables/rt-own");
    assert_eq!(
        f[0].evidence["subnets"],
        json!([
            subnet_id("vnet-app", "snet-a"),
            subnet_id("vnet-app", "snet-b")
        ])
    );
}
