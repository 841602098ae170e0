//! AGW103 backend-nsg-admits-only-frontend-ip.

use crate::common::*;
use serde_json::{Value, json};

fn tenant(backend_rules: Vec<Value>) -> Value {
    json!({
        "virtual_networks": [vnet("vnet-app", "10.1.0.0/16", vec![
            subnet("vnet-app", "snet-appgw", "10.1.3.0/24", json!({})),
            subnet("vnet-app", "snet-vm", "10.1.4.0/24", json!({})),
        ], json!({}))],
        "network_security_groups": [nsg("nsg-vm", backend_rules)],
        "network_interfaces": [nic("vm-nic", &subnet_id("vnet-app", "snet-vm"), "10.1.4.4", Some("nsg-vm"))],
        "application_gateways": [app_gateway("agw", "Standard_v2", &subnet_id("vnet-app", "snet-appgw"), "10.1.3.10", &["10.1.4.4"])],
    })
}

fn deny_all() -> Value {
    rule("Deny-All-Inbound", 4096, "Inbound", "Deny", "*", "*", "*")
}

#[test]
fn allow_only_from_the_frontend_ip_fires() {
    let r = scan(&snapshot(tenant(vec![
        rule(
            "Allow-From-AppGw-Frontend",
            150,
            "Inbound",
            "Allow",
            "Tcp",
            "10.1.3.10",
            "443",
        ),
        deny_all(),
    ])));
    let f = findings_of(&r, "AGW103");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    let f = f[0];
    assert_eq!(f.resource_id, net_id("networkSecurityGroups", "nsg-vm"));
    assert_eq!(f.evidence["backend_address"], "10.1.4.4");
    assert_eq!(f.evidence["frontend_private_ips"], json!(["10.1.3.10"]));
    assert_eq!(f.evidence["instance_probe_source"], "10.1.3.4");
    assert_eq!(f.evidence["ports"], json!([443]));
    assert_eq!(
        f.evidence["frontend_admitted_by"]["rule"],
        "Allow-From-AppGw-Frontend"
    );
    assert_eq!(f.evidence["instance_denied_by"]["rule"], "Deny-All-Inbound");
    assert!(
        f.remediation
            .contains("--source-address-prefixes 10.1.3.0/24")
    );
}

#[test]
fn allowing_the_gateway_subnet_is_the_negative_twin() {
    let r = scan(&snapshot(tenant(vec![
        rule(
            "Allow-From-AppGw-Subnet",
            150,
            "Inbound",
            "Allow",
            "Tcp",
            "10.1.3.0/24",
            "443",
        ),
        deny_all(),
    ])));
    assert_twin(&r, "AGW103");
}

#[test]
fn a_backend_that_denies_both_is_not_this_finding() {
    let r = scan(&snapshot(tenant(vec![deny_all()])));
    assert_twin(&r, "AGW103");
}

#[test]
fn a_missing_backend_nsg_is_not_evaluated() {
    let mut t = tenant(vec![]);
    t["network_security_groups"] = json!([]);
    let r = scan(&snapshot(t));
    assert_not_judged(&r, "AGW103", false);
    assert!(
        outcome(&r, "AGW103").not_evaluated[0]
            .reason
            .contains("nsg-vm")
    );
}
