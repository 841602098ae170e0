//! DNS105 pe-dns-record.

use crate::common::kv::*;
use crate::common::*;
use serde_json::{Value, json};

fn tenant(records: Vec<Value>, linked: bool) -> Value {
    json!({
        "virtual_networks": [pe_vnet("vnet-app", "10.1.0.0/16", &[], vec![])],
        "private_endpoints": [pe("pe-kv1", "vnet-app", &kv_id("kv1"), "vault", "Approved", "10.1.2.5")],
        "private_dns_zones": [zone(KV_ZONE)],
        "virtual_network_links": if linked { vec![link(KV_ZONE, "vnet-app")] } else { vec![] },
        "record_sets": records,
    })
}

fn problems(r: &azaudit::report::Report) -> Vec<String> {
    let mut p: Vec<String> = findings_of(r, "DNS105")
        .iter()
        .map(|f| f.evidence["problem"].as_str().unwrap().to_string())
        .collect();
    p.sort();
    p
}

#[test]
fn a_stale_record_with_a_long_ttl_gives_two_findings() {
    let report = scan(&snapshot(tenant(
        vec![a_record(KV_ZONE, "kv1", &["10.1.2.9"], 3600)],
        true,
    )));
    assert_eq!(
        problems(&report),
        vec!["stale", "ttl"],
        "{:#?}",
        report.findings
    );
    let stale = findings_of(&report, "DNS105")
        .into_iter()
        .find(|f| f.evidence["problem"] == "stale")
        .unwrap();
    let ev = &stale.evidence;
    assert_eq!(stale.resource_id, pe_id("pe-kv1"));
    assert_eq!(ev["record_name"], "kv1");
    assert_eq!(ev["record"], format!("{}/A/kv1", zone_id(KV_ZONE)));
    assert_eq!(ev["record_addresses"], json!(["10.1.2.9"]));
    assert_eq!(ev["endpoint_addresses"], json!(["10.1.2.5"]));
    assert_eq!(ev["zone"], zone_id(KV_ZONE));
    assert_eq!(ev["ttl"], 3600);
    assert_eq!(stale.severity, azaudit::report::Severity::High);
    assert!(stale.remediation.contains("--ipv4-address 10.1.2.5"));
    let ttl = findings_of(&report, "DNS105")
        .into_iter()
        .find(|f| f.evidence["problem"] == "ttl")
        .unwrap();
    assert_eq!(ttl.severity, azaudit::report::Severity::Low);
}

#[test]
fn a_missing_record_fires() {
    let report = scan(&snapshot(tenant(
        vec![a_record(KV_ZONE, "other", &["10.1.2.5"], 10)],
        true,
    )));
    assert_eq!(problems(&report), vec!["missing"]);
}

#[test]
fn a_correct_record_is_the_negative_twin() {
    let report = scan(&snapshot(tenant(
        vec![a_record(KV_ZONE, "kv1", &["10.1.2.5"], 10)],
        true,
    )));
    assert_twin(&report, "DNS105");
    let report = scan(&snapshot(tenant(
        vec![a_record(KV_ZONE, "kv1", &["10.1.2.5"], 600)],
        true,
    )));
    assert_twin(&report, "DNS105");
}

#[test]
fn zones_not_linked_to_the_endpoint_vnet_are_not_checked() {
    let report = scan(&snapshot(tenant(
        vec![a_record(KV_ZONE, "kv1", &["10.9.9.9"], 3600)],
        false,
    )));
    assert_twin(&report, "DNS105");
}

#[test]
fn custom_dns_config_fqdns_name_the_record() {
    let mut t = tenant(
        vec![a_record(BLOB_ZONE, "stdata", &["10.1.2.5"], 10)],
        false,
    );
    t["private_endpoints"] = json!([pe(
        "pe-st",
        "vnet-app",
        &st_id("storage-resource-name"),
        "blob",
        "Approved",
        "10.1.2.5"
    )]);
    t["private_endpoints"][0]["properties"]["customDnsConfigs"] =
        json!([{"fqdn": "stdata.blob.core.windows.net", "ipAddresses": ["10.1.2.5"]}]);
    t["private_dns_zones"] = json!([zone(BLOB_ZONE)]);
    t["virtual_network_links"] = json!([link(BLOB_ZONE, "vnet-app")]);
    let report = scan(&snapshot(t.clone()));
    assert_twin(&report, "DNS105");
    // Without the custom DNS config the target's name is used, and that record does not exist.
    t["private_endpoints"][0]["properties"]["customDnsConfigs"] = json!([]);
    let report = scan(&snapshot(t));
    let f = findings_of(&report, "DNS105");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence["record_name"], "storage-resource-name");
    assert_eq!(f[0].evidence["problem"], "missing");
}

#[test]
fn ttl_bounds_come_from_the_policy() {
    let policy = "[rules.DNS105.params]\nmin_ttl = 60\nmax_ttl = 7200\n";
    let with_ttl = |ttl| {
        snapshot(tenant(
            vec![a_record(KV_ZONE, "kv1", &["10.1.2.5"], ttl)],
            true,
        ))
    };
    // 3600 s is outside the shipped 10–600 s but inside the policy's 60–7200 s.
    assert_eq!(problems(&scan(&with_ttl(3600))), vec!["ttl"]);
    assert_twin(&scan_with_policy(&with_ttl(3600), policy), "DNS105");
    // 30 s is fine by default and too short for the policy.
    assert_twin(&scan(&with_ttl(30)), "DNS105");
    let short = scan_with_policy(&with_ttl(30), policy);
    assert_eq!(problems(&short), vec!["ttl"]);
    let f = findings_of(&short, "DNS105")[0];
    assert_eq!(f.evidence["ttl_bounds"], json!([60, 7200]));
    assert!(
        f.message.contains("outside the recommended 60–7200 s"),
        "{}",
        f.message
    );
    assert!(f.remediation.ends_with("--set ttl=60"), "{}", f.remediation);
}

const AMPLS_ZONES: [&str; 5] = [
    "privatelink.monitor.azure.com",
    "privatelink.oms.opinsights.azure.com",
    "privatelink.ods.opinsights.azure.com",
    "privatelink.agentsvc.azure-automation.net",
    "privatelink.blob.core.windows.net",
];
const WS: &str = "5f1c2a3b-0d4e-4f6a-8b7c-9d0e1f2a3b4c";

fn ampls_id() -> String {
    format!(
        "{}/providers/microsoft.insights/privateLinkScopes/ampls-hub",
        rg_id("rg-mon")
    )
}

/// An Azure Monitor Private Link Scope endpoint as ARM returns it: one customDnsConfig per name,
/// each name in the zone whose suffix it carries. `base` is the first octet triple.
fn ampls_pe(name: &str, vnet: &str, base: &str) -> (Value, Vec<(String, &'static str, String)>) {
    let names: Vec<(String, &'static str)> = vec![
        ("api".into(), AMPLS_ZONES[0]),
        ("global.in.ai".into(), AMPLS_ZONES[0]),
        ("profiler".into(), AMPLS_ZONES[0]),
        ("live".into(), AMPLS_ZONES[0]),
        ("snapshot".into(), AMPLS_ZONES[0]),
        (WS.into(), AMPLS_ZONES[1]),
        (WS.into(), AMPLS_ZONES[2]),
        (WS.into(), AMPLS_ZONES[3]),
        ("scadvisorcontentpl".into(), AMPLS_ZONES[4]),
    ];
    let mut out = Vec::new();
    let configs: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, (label, zone))| {
            let ip = format!("{base}.{}", 10 + i);
            let fqdn = format!("{label}.{}", zone.strip_prefix("privatelink.").unwrap());
            out.push((label.clone(), *zone, ip.clone()));
            json!({"fqdn": fqdn, "ipAddresses": [ip]})
        })
        .collect();
    let mut p = pe(
        name,
        vnet,
        &ampls_id(),
        "azuremonitor",
        "Approved",
        &format!("{base}.10"),
    );
    p["properties"]["customDnsConfigs"] = json!(configs);
    (p, out)
}

fn ampls_tenant(records: Vec<Value>) -> Value {
    let (p, _) = ampls_pe("pe-ampls", "vnet-hub", "10.0.2");
    json!({
        "virtual_networks": [pe_vnet("vnet-hub", "10.0.0.0/16", &[], vec![])],
        "private_endpoints": [p],
        "private_dns_zones": AMPLS_ZONES.iter().map(|z| zone(z)).collect::<Vec<_>>(),
        "virtual_network_links": AMPLS_ZONES.iter().map(|z| link(z, "vnet-hub")).collect::<Vec<_>>(),
        "record_sets": records,
    })
}

fn ampls_records(ips: &[(String, &'static str, String)]) -> Vec<Value> {
    ips.iter()
        .map(|(label, zone, ip)| a_record(zone, label, &[ip], 10))
        .collect()
}

#[test]
fn a_correct_multi_zone_private_link_scope_gives_no_finding() {
    let (_, names) = ampls_pe("pe-ampls", "vnet-hub", "10.0.2");
    let report = scan(&snapshot(ampls_tenant(ampls_records(&names))));
    assert_twin(&report, "DNS105");
    // One record stale in one zone: one finding, in that zone, for that name.
    let mut broken = names.clone();
    broken[5].2 = "10.0.2.99".into(); // {workspace} in the oms zone
    let report = scan(&snapshot(ampls_tenant(ampls_records(&broken))));
    let f = findings_of(&report, "DNS105");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].evidence["problem"], "stale");
    assert_eq!(f[0].evidence["zone"], zone_id(AMPLS_ZONES[1]));
    assert_eq!(f[0].evidence["record_name"], WS);
    assert_eq!(f[0].evidence["endpoint_addresses"], json!(["10.0.2.15"]));
}

#[test]
fn a_record_pointing_at_a_reachable_sibling_endpoint_is_not_stale() {
    // Two endpoints of the same scope in peered VNets share the global names: the zone holds the
    // hub endpoint's addresses, which the spoke reaches through the peering.
    let (hub_pe, hub_names) = ampls_pe("pe-ampls", "vnet-hub", "10.0.2");
    let (spoke_pe, _) = ampls_pe("pe-ampls-spoke", "vnet-spoke", "10.1.2");
    let t = |spoke_peering: &str| {
        let mut links: Vec<Value> = AMPLS_ZONES.iter().map(|z| link(z, "vnet-hub")).collect();
        links.extend(AMPLS_ZONES.iter().map(|z| link(z, "vnet-spoke")));
        json!({
            "virtual_networks": [
                pe_vnet("vnet-hub", "10.0.0.0/16", &[], vec![peering("vnet-hub", "vnet-spoke", "Connected")]),
                pe_vnet("vnet-spoke", "10.1.0.0/16", &[], vec![peering("vnet-spoke", "vnet-hub", spoke_peering)]),
            ],
            "private_endpoints": [hub_pe.clone(), spoke_pe.clone()],
            "private_dns_zones": AMPLS_ZONES.iter().map(|z| zone(z)).collect::<Vec<_>>(),
            "virtual_network_links": links,
            "record_sets": ampls_records(&hub_names),
        })
    };
    let report = scan(&snapshot(t("Connected")));
    assert_twin(&report, "DNS105");
    // Without a connected peering the hub endpoint is not reachable: the spoke's records are stale.
    let report = scan(&snapshot(t("Disconnected")));
    let f = findings_of(&report, "DNS105");
    assert!(!f.is_empty());
    assert!(
        f.iter()
            .all(|f| f.resource_id == pe_id("pe-ampls-spoke") && f.evidence["problem"] == "stale")
    );
    assert_eq!(f[0].evidence["reachable_sibling_endpoints"], json!([]));
}
