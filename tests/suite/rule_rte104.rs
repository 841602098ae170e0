//! RTE104 route-next-hop-none.

use crate::common::*;
use serde_json::json;

#[test]
fn next_hop_none_is_reported_as_info_and_other_routes_are_not() {
    let t = json!({"route_tables": [route_table("rt", &[
        ("blackhole", "10.8.0.0/16", "None", None),
        ("to-internet", "20.0.0.0/8", "Internet", None),
    ])]});
    let r = scan(&snapshot(t));
    let f = findings_of(&r, "RTE104");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, azaudit::report::Severity::Info);
    assert_eq!(f[0].evidence["route"], "blackhole");
    assert_eq!(f[0].evidence["address_prefix"], "10.8.0.0/16");
}
