//! `routes`, `effective-rules` and `resolve` on the demo tenant.

use std::process::Output;

use crate::common::azaudit;

fn json(o: &Output) -> serde_json::Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn routes_show_the_endpoint_bypassing_the_firewall() {
    let v = json(&azaudit(&[
        "routes",
        "--demo",
        "--subnet",
        "vnet-spoke-app/snet-app",
        "--dest",
        "10.1.2.4",
        "--format",
        "json",
    ]));
    let choice = &v["lookup"]["choice"]["route"];
    assert_eq!(choice["next_hop_type"], "InterfaceEndpoint");
    assert_eq!(choice["address_prefix"], "10.1.2.4/32");
    let default = v["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address_prefix"] == "0.0.0.0/0" && r["source"] == "Default")
        .unwrap();
    assert_eq!(default["state"], "Invalid");
    // Elsewhere the firewall route is taken.
    let v = json(&azaudit(&[
        "routes",
        "--demo",
        "--subnet",
        "vnet-spoke-app/snet-app",
        "--dest",
        "8.8.8.8",
        "--format",
        "json",
    ]));
    assert_eq!(
        v["lookup"]["choice"]["route"]["next_hop_ip_address"],
        "10.0.1.4"
    );
}

#[test]
fn effective_rules_expand_the_widened_tag() {
    let v = json(&azaudit(&[
        "effective-rules",
        "--demo",
        "--subnet",
        "vnet-spoke-app/snet-app",
        "--direction",
        "in",
        "--format",
        "json",
    ]));
    let rules = v["sections"][0]["rules"].as_array().unwrap();
    let allow_vnet = rules
        .iter()
        .find(|r| r["name"] == "AllowVnetInBound")
        .unwrap();
    assert_eq!(
        allow_vnet["source"][0]["prefixes"],
        serde_json::json!(["0.0.0.0/0"])
    );
    assert_eq!(rules.last().unwrap()["name"], "DenyAllInBound");
}

#[test]
fn effective_rules_say_when_a_private_endpoint_ignores_the_nsg() {
    let s = azaudit::collect::demo::snapshot();
    let nic = s
        .inventory
        .network_interfaces
        .iter()
        .find(|n| {
            n.properties
                .private_endpoint
                .as_ref()
                .is_some_and(|p| p.id.ends_with("/pe-kv-app"))
        })
        .expect("the endpoint's NIC");
    let v = json(&azaudit(&[
        "effective-rules",
        "--demo",
        "--subnet",
        "vnet-spoke-app/snet-pe",
        "--nic",
        &nic.id,
        "--format",
        "json",
    ]));
    assert!(v["notes"].to_string().contains("NOT applied"), "{v}");
    // In spoke-data the subnet enables network policies: no such note.
    let nic = s
        .inventory
        .network_interfaces
        .iter()
        .find(|n| {
            n.properties
                .private_endpoint
                .as_ref()
                .is_some_and(|p| p.id.ends_with("/pe-kv-data"))
        })
        .expect("the endpoint's NIC");
    let v = json(&azaudit(&[
        "effective-rules",
        "--demo",
        "--subnet",
        "vnet-spoke-data/snet-pe",
        "--nic",
        &nic.id,
        "--format",
        "json",
    ]));
    assert!(!v["notes"].to_string().contains("NOT applied"), "{v}");
}

#[test]
fn resolve_explains_the_public_answer() {
    let v = json(&azaudit(&[
        "resolve",
        "--demo",
        "--vnet",
        "vnet-spoke-data",
        "kv-data-contoso.vault.azure.net",
        "--format",
        "json",
    ]));
    assert_eq!(v["answer"], "public");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("not (effectively) linked")
    );
    let v = json(&azaudit(&[
        "resolve",
        "--demo",
        "--vnet",
        "vnet-spoke-app",
        "kv-app-contoso.vault.azure.net",
        "--format",
        "json",
    ]));
    assert_eq!(v["answer"], "private");
    assert_eq!(v["addresses"], serde_json::json!(["10.1.2.4"]));
}

#[test]
fn unknown_subnets_and_vnets_are_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["routes", "--demo", "--subnet", "nope/nope"],
            "azaudit: error: no subnet nope/nope in the inventory",
        ),
        (
            &["routes", "--demo", "--subnet", "just-a-name"],
            "azaudit: error: --subnet \"just-a-name\": give a resource id or vnet/subnet",
        ),
        (
            &["resolve", "--demo", "--vnet", "nope", "x.vault.azure.net"],
            "azaudit: error: no VNet nope in the inventory",
        ),
        (
            &["routes", "--subnet", "a/b"],
            "azaudit: error: nothing to read: give --demo, --snapshot FILE, --subscription ID|NAME, --all-subscriptions or --management-group ID (or set AZURE_SUBSCRIPTION_ID, or choose one with `az account set`)",
        ),
    ];
    for (args, want) in cases {
        let o = azaudit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?} printed a result");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).trim_end(),
            *want,
            "{args:?}"
        );
    }
}

#[test]
fn a_flow_check_names_the_deciding_rule_of_each_layer() {
    // Like Network Watcher's IP flow verify: a random public source is admitted by AllowVnetInBound
    // once a 0.0.0.0/0 UDR widens the VirtualNetwork tag.
    let v = json(&azaudit(&[
        "effective-rules",
        "--demo",
        "--subnet",
        "vnet-spoke-app/snet-app",
        "--direction",
        "in",
        "--remote",
        "203.0.113.50",
        "--port",
        "3389",
        "--format",
        "json",
    ]));
    assert_eq!(v["allowed"], true);
    assert_eq!(v["layers"][0]["verdict"]["rule"], "AllowVnetInBound");
    // The twin subnet's deny-all stops it.
    let v = json(&azaudit(&[
        "effective-rules",
        "--demo",
        "--subnet",
        "vnet-spoke-data/snet-data",
        "--direction",
        "in",
        "--remote",
        "203.0.113.50",
        "--port",
        "3389",
        "--format",
        "json",
    ]));
    assert_eq!(v["allowed"], false);
    assert_eq!(v["layers"][0]["verdict"]["rule"], "Deny-All-Inbound");
    // The NIC layer decides when the subnet has no NSG.
    let v = json(&azaudit(&[
        "effective-rules",
        "--demo",
        "--subnet",
        "vnet-spoke-app/snet-vm-legacy",
        "--nic",
        "vm-legacy-01-nic",
        "--direction",
        "in",
        "--remote",
        "203.0.113.50",
        "--port",
        "22",
        "--format",
        "json",
    ]));
    assert_eq!(v["allowed"], false);
    assert_eq!(v["layers"][1]["layer"], "nic");
    // A flow check needs a port and a direction.
    assert_eq!(
        azaudit(&[
            "effective-rules",
            "--demo",
            "--subnet",
            "vnet-spoke-app/snet-app",
            "--remote",
            "1.2.3.4"
        ])
        .status
        .code(),
        Some(2)
    );
}
