//! DNS106 pe-vnet-custom-dns.

use crate::common::kv::*;
use crate::common::*;
use serde_json::{Value, json};

fn tenant(dns: &[&str]) -> Value {
    json!({
        "virtual_networks": [
            pe_vnet("vnet-app", "10.1.0.0/16", dns, vec![]),
            pe_vnet("vnet-hub", "10.0.0.0/16", &[], vec![]),
        ],
        "private_endpoints": [pe("pe-kv1", "vnet-app", &kv_id("kv1"), "vault", "Approved", "10.1.2.4")],
        "private_dns_zones": [zone(KV_ZONE)],
        "virtual_network_links": [link(KV_ZONE, "vnet-hub")],
    })
}

#[test]
fn custom_dns_outside_any_linked_vnet_fires_low_with_the_requirement() {
    let report = scan(&snapshot(tenant(&["192.168.10.4"])));
    let f = findings_of(&report, "DNS106");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let ev = &f[0].evidence;
    assert_eq!(f[0].resource_id, pe_id("pe-kv1"));
    assert_eq!(f[0].severity, azaudit::report::Severity::Low);
    assert_eq!(ev["dns_servers"], json!(["192.168.10.4"]));
    assert_eq!(ev["zones"][0]["expected_zone"], KV_ZONE);
    assert_eq!(
        ev["zones"][0]["linked_virtual_networks"],
        json!([net_id("virtualNetworks", "vnet-hub")])
    );
    assert_eq!(ev["dns_servers_in_linked_vnets"], json!([]));
    assert!(
        ev["requirement"]
            .as_str()
            .unwrap()
            .contains("168.63.129.16")
    );
    assert!(
        f[0].remediation
            .contains("az network private-dns link vnet create")
    );
}

#[test]
fn dns_servers_in_a_linked_vnet_lower_it_to_info() {
    let report = scan(&snapshot(tenant(&["10.0.3.4"])));
    let f = findings_of(&report, "DNS106");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, azaudit::report::Severity::Info);
    assert_eq!(
        f[0].evidence["dns_servers_in_linked_vnets"][0]["virtual_network"],
        net_id("virtualNetworks", "vnet-hub")
    );
}

#[test]
fn azure_dns_or_only_the_platform_resolver_is_the_negative_twin() {
    assert_twin(&scan(&snapshot(tenant(&[]))), "DNS106");
    assert_twin(&scan(&snapshot(tenant(&["168.63.129.16"]))), "DNS106");
}
