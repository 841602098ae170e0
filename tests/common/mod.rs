//! Small tenants for rule tests, written in ARM's own shapes.
#![allow(dead_code)]

pub mod arm;
pub mod kv;

use azaudit::collect::Snapshot;
use azaudit::report::{Finding, Report};
use serde_json::{Value, json};

pub const SUB: &str = "00000000-0000-4000-8000-000000000001";

pub fn rg_id(rg: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}")
}
pub fn net_id(kind: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/{kind}/{name}",
        rg_id("rg-net")
    )
}
pub fn subnet_id(vnet: &str, subnet: &str) -> String {
    format!("{}/subnets/{subnet}", net_id("virtualNetworks", vnet))
}

/// A subnet object; `extra` is merged into its properties.
pub fn subnet(vnet: &str, name: &str, prefix: &str, extra: Value) -> Value {
    let mut props = json!({"addressPrefix": prefix});
    merge(&mut props, extra);
    json!({"id": subnet_id(vnet, name), "name": name, "properties": props})
}

pub fn vnet(name: &str, space: &str, subnets: Vec<Value>, extra: Value) -> Value {
    let mut props = json!({
        "addressSpace": {"addressPrefixes": [space]},
        "dhcpOptions": {"dnsServers": []},
        "subnets": subnets,
        "virtualNetworkPeerings": []
    });
    merge(&mut props, extra);
    json!({"id": net_id("virtualNetworks", name), "name": name, "type": "Microsoft.Network/virtualNetworks",
           "location": "westeurope", "properties": props})
}

pub fn nsg(name: &str, rules: Vec<Value>) -> Value {
    json!({"id": net_id("networkSecurityGroups", name), "name": name,
           "type": "Microsoft.Network/networkSecurityGroups", "location": "westeurope",
           "properties": {"securityRules": rules}})
}

/// An NSG rule: `dir` Inbound/Outbound, `access` Allow/Deny.
pub fn rule(
    name: &str,
    priority: u32,
    dir: &str,
    access: &str,
    proto: &str,
    src: &str,
    port: &str,
) -> Value {
    json!({"name": name, "properties": {
        "protocol": proto, "sourcePortRange": "*", "destinationPortRange": port,
        "sourceAddressPrefix": src, "destinationAddressPrefix": "*",
        "access": access, "priority": priority, "direction": dir}})
}

pub fn route_table(name: &str, routes: &[(&str, &str, &str, Option<&str>)]) -> Value {
    let routes: Vec<Value> = routes
        .iter()
        .map(|(rname, prefix, hop, ip)| {
            let mut p = json!({"addressPrefix": prefix, "nextHopType": hop});
            if let Some(ip) = ip {
                p["nextHopIpAddress"] = json!(ip);
            }
            json!({"name": rname, "id": format!("{}/routes/{rname}", net_id("routeTables", name)), "properties": p})
        })
        .collect();
    json!({"id": net_id("routeTables", name), "name": name, "type": "Microsoft.Network/routeTables",
           "location": "westeurope", "properties": {"routes": routes, "disableBgpRoutePropagation": true}})
}

pub fn merge(target: &mut Value, extra: Value) {
    if let (Some(t), Value::Object(e)) = (target.as_object_mut(), extra) {
        for (k, v) in e {
            t.insert(k, v);
        }
    }
}

/// A snapshot around an inventory object (keys as in the snapshot's `inventory`).
pub fn snapshot(inventory: Value) -> Snapshot {
    snapshot_with_gaps(inventory, json!([]))
}

pub fn snapshot_with_gaps(inventory: Value, gaps: Value) -> Snapshot {
    let doc = json!({
        "kind": "azaudit-snapshot", "schema_version": 1, "collected_at": "2026-11-24T08:00:00Z",
        "source": "test", "cloud": "public", "scope": {"subscriptions": [SUB]},
        "coverage": {"gaps": gaps}, "inventory": inventory
    });
    Snapshot::from_json(&doc.to_string(), std::path::Path::new("test.json"))
        .expect("test snapshot parses")
}

pub fn scan(s: &Snapshot) -> Report {
    azaudit::cli::build_report(
        s,
        "test",
        None,
        chrono::Utc::now(),
        std::time::Instant::now(),
    )
}

pub fn findings_of<'a>(r: &'a Report, code: &str) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| f.rule == code).collect()
}

/// The not-evaluated notes of one rule, as (resource id, reason).
pub fn not_evaluated_of(r: &Report, code: &str) -> Vec<(String, String)> {
    r.rules
        .iter()
        .filter(|o| o.code == code)
        .flat_map(|o| o.not_evaluated.iter())
        .map(|n| (n.resource_id.clone(), n.reason.clone()))
        .collect()
}

/// A coverage gap of `kind` (snake_case) in the test subscription.
pub fn gap(kind: &str) -> Value {
    json!({"subscription_id": SUB, "kind": kind, "http_status": 403,
           "code": "AuthorizationFailed", "message": "no read access"})
}
