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
