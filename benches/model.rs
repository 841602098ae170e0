//! Benchmarks of the semantics model on a synthetic tenant (run with `cargo bench --bench model`):
//! effective routes for 10,000 subnets whose route tables hold 400 routes, and NSG evaluation over
//! 1,000,000 rules (1,000 NSGs of 1,000 rules). Prints wall times; no assertions.

use std::time::Instant;

use azaudit::inventory::network::{Direction, Protocol};
use azaudit::inventory::{Index, Inventory};
use azaudit::model::nsg::{TrafficClass, admissions, evaluate};
use azaudit::model::routes::{effective_routes, lookup};
use azaudit::model::tags::TagResolver;
use serde_json::{Value, json};

const SUB: &str = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Network";

fn route_tables(n: usize, routes: usize) -> Vec<Value> {
    (0..n)
        .map(|t| {
            let rs: Vec<Value> = (0..routes)
                .map(|r| {
                    json!({"name": format!("r{r}"), "properties": {
                        "addressPrefix": format!("172.{}.{}.0/24", 16 + (r / 256) % 16, r % 256),
                        "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.1.4"}})
                })
                .chain(std::iter::once(json!({"name": "default", "properties": {
                    "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.1.4"}})))
                .take(routes)
                .collect();
            json!({"id": format!("{SUB}/routeTables/rt{t}"), "name": format!("rt{t}"), "properties": {"routes": rs}})
        })
        .collect()
}

fn vnets(vnets: usize, subnets_per: usize, tables: usize) -> Vec<Value> {
    (0..vnets)
        .map(|v| {
            let subnets: Vec<Value> = (0..subnets_per)
                .map(|s| {
                    json!({"id": format!("{SUB}/virtualNetworks/v{v}/subnets/s{s}"), "name": format!("s{s}"),
                           "properties": {"addressPrefix": format!("10.{}.{}.0/24", v % 256, s % 256),
                                          "routeTable": {"id": format!("{SUB}/routeTables/rt{}", (v * subnets_per + s) % tables)}}})
                })
                .collect();
            json!({"id": format!("{SUB}/virtualNetworks/v{v}"), "name": format!("v{v}"),
                   "properties": {"addressSpace": {"addressPrefixes": [format!("10.{}.0.0/16", v % 256)]}, "subnets": subnets}})
        })
        .collect()
}

fn nsgs(n: usize, rules: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let rs: Vec<Value> = (0..rules)
                .map(|r| {
                    json!({"name": format!("r{r}"), "properties": {
                        "protocol": if r % 3 == 0 { "*" } else { "Tcp" }, "sourcePortRange": "*",
                        "destinationPortRanges": [format!("{}", 1000 + r), format!("{}-{}", 20000 + r, 20010 + r)],
                        "sourceAddressPrefixes": [format!("198.{}.{}.0/24", r % 256, i % 256)],
                        "destinationAddressPrefix": "VirtualNetwork",
                        "access": if r % 2 == 0 { "Allow" } else { "Deny" }, "priority": 100 + r as u32,
                        "direction": "Inbound"}})
                })
                .collect();
            json!({"id": format!("{SUB}/networkSecurityGroups/n{i}"), "properties": {"securityRules": rs}})
        })
        .collect()
}

fn main() {
    let t = Instant::now();
    let inv: Inventory = serde_json::from_value(json!({
        "virtual_networks": vnets(100, 100, 100),
        "route_tables": route_tables(100, 400),
        "network_security_groups": nsgs(1000, 1000),
    }))
    .unwrap();
    println!(
        "built and parsed the synthetic inventory in {:?}",
        t.elapsed()
    );
    let idx = Index::new(&inv);

    let t = Instant::now();
    let mut total_routes = 0usize;
    let mut via_fw = 0usize;
    for (subnet, vnet) in idx.all_subnets() {
        let routes = effective_routes(&idx, subnet, vnet);
        total_routes += routes.len();
        if let Some(c) = lookup(&routes, "172.17.5.9".parse().unwrap()) {
            via_fw += usize::from(c.route.next_hop_ip_address.is_some());
        }
    }
    let e = t.elapsed();
    println!(
        "effective routes: 10,000 subnets × 400-route tables → {total_routes} routes, {via_fw} lookups via the appliance, in {e:?} ({:.1} µs/subnet)",
        e.as_micros() as f64 / 10_000.0
    );

    let tags = TagResolver::with_virtual_network(
        azaudit::model::addr::PrefixSet::parse("10.0.0.0/8").unwrap(),
    );
    let t = Instant::now();
    let mut allowed = 0usize;
    for nsg in &inv.network_security_groups {
        if let Some(v) = evaluate(
            nsg,
            &Direction::Inbound,
            "203.0.113.9".parse().unwrap(),
            "10.1.1.4".parse().unwrap(),
            &Protocol::Tcp,
            443,
            &tags,
        ) {
            allowed += usize::from(v.allowed);
        }
    }
    let e = t.elapsed();
    println!(
        "NSG flow evaluation: 1,000 NSGs × 1,000 rules (1,000,000 rules) in {e:?}; {allowed} allowed"
    );

    let t = Instant::now();
    let class =
        TrafficClass::any_to(azaudit::model::addr::PrefixSet::parse("10.1.1.0/24").unwrap());
    let mut admitted = 0usize;
    for nsg in &inv.network_security_groups {
        admitted += admissions(nsg, &Direction::Inbound, &class, &tags).len();
    }
    println!(
        "NSG admitted-source sets: 1,000,000 rules in {:?}; {admitted} admitting rules",
        t.elapsed()
    );
}
