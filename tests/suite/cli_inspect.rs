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

fn routes_json(subnet: &str, dest: &str) -> serde_json::Value {
    json(&azaudit(&[
        "routes", "--demo", "--subnet", subnet, "--dest", dest, "--format", "json",
    ]))
}

fn routes_table(subnet: &str, dest: &str) -> String {
    let o = azaudit(&["routes", "--demo", "--subnet", subnet, "--dest", dest]);
    assert_eq!(o.status.code(), Some(0));
    String::from_utf8(o.stdout).unwrap()
}

fn gateway_rows(v: &serde_json::Value) -> Vec<&serde_json::Value> {
    v["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["next_hop_type"] == "VirtualNetworkGateway" && r["source"] == "VirtualNetworkGateway"
        })
        .collect()
}

/// The demo hub's site-to-site connection: its on-premises prefixes in the hub, in the data spoke
/// through gateway transit, Invalid where the route table disables propagation, absent elsewhere.
#[test]
fn routes_show_the_demo_gateway_routes_transit_and_propagation() {
    // The transit spoke's endpoint subnet (no route table): the packet goes to the hub's gateway.
    let v = routes_json("vnet-spoke-data/snet-pe", "172.16.4.5");
    let rows = gateway_rows(&v);
    let prefixes: Vec<&str> = rows
        .iter()
        .map(|r| r["address_prefix"].as_str().unwrap())
        .collect();
    assert_eq!(prefixes, ["172.16.0.0/16", "172.18.0.0/16"]);
    assert!(rows.iter().all(|r| r["state"] == "Active"));
    let choice = &v["lookup"]["choice"];
    assert_eq!(choice["route"]["next_hop_type"], "VirtualNetworkGateway");
    assert_eq!(choice["route"]["address_prefix"], "172.16.0.0/16");
    assert!(choice.get("caveat").is_none(), "{choice}");
    let t = routes_table("vnet-spoke-data/snet-pe", "172.16.4.5");
    assert!(
        t.contains("on-premises prefix via vpngw-hub (gateway"),
        "{t}"
    );
    assert!(
        t.contains("172.16.4.5 → VirtualNetworkGateway  via 172.16.0.0/16"),
        "{t}"
    );

    // The subnet whose route table disables gateway route propagation: Invalid, with the reason,
    // and the packet follows the default route to the hub firewall.
    let v = routes_json("vnet-spoke-data/snet-data", "172.16.4.5");
    let rows = gateway_rows(&v);
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert_eq!(r["state"], "Invalid");
        assert!(
            r["invalid_reason"]
                .as_str()
                .unwrap()
                .contains("rt-data disables gateway route propagation"),
            "{r}"
        );
    }
    assert_eq!(
        v["lookup"]["choice"]["route"]["next_hop_type"],
        "VirtualAppliance"
    );
    let t = routes_table("vnet-spoke-data/snet-data", "172.16.4.5");
    assert!(t.contains("Invalid"), "{t}");
    assert!(t.contains("(disableBgpRoutePropagation)"), "{t}");

    // The hub itself, and a spoke that does not use the hub's gateway.
    let v = routes_json("vnet-hub/snet-shared", "172.18.0.9");
    assert_eq!(gateway_rows(&v).len(), 2);
    assert_eq!(
        v["lookup"]["choice"]["route"]["address_prefix"],
        "172.18.0.0/16"
    );
    let v = routes_json("vnet-spoke-ops/snet-ops", "172.16.4.5");
    assert!(gateway_rows(&v).is_empty());
    assert_eq!(v["lookup"]["choice"]["route"]["next_hop_type"], "None");
}

/// A lookup through the hub firewall names the peering its forwarded traffic comes back over.
#[test]
fn routes_show_whether_the_appliances_peering_allows_forwarded_traffic() {
    let v = routes_json("vnet-spoke-data/snet-data", "8.8.8.8");
    let f = &v["lookup"]["choice"]["forwarded_traffic"];
    assert_eq!(f["peering"], "peer-spoke-data-to-hub");
    assert_eq!(f["allow_forwarded_traffic"], true);
    assert!(
        f["remote_virtual_network"]
            .as_str()
            .unwrap()
            .ends_with("/vnet-hub")
    );
    let t = routes_table("vnet-spoke-data/snet-data", "8.8.8.8");
    assert!(
        t.contains("forwarded traffic: the appliance 10.0.1.4 is in peered VNet vnet-hub"),
        "{t}"
    );
    // A packet that does not go through an appliance carries no such note.
    let v = routes_json("vnet-spoke-data/snet-pe", "8.8.8.8");
    assert!(v["lookup"]["choice"].get("forwarded_traffic").is_none());
}

/// The demo holds the cloud's service tags: a Key Vault address from the subnet with the
/// Microsoft.KeyVault endpoint goes to the endpoint, not to the firewall's default route.
#[test]
fn routes_send_a_service_address_to_its_service_endpoint() {
    let v = routes_json("vnet-spoke-data/snet-data", "20.61.103.225");
    let route = &v["lookup"]["choice"]["route"];
    assert_eq!(route["next_hop_type"], "VirtualNetworkServiceEndpoint");
    assert_eq!(route["address_prefix"], "20.61.103.224/29");
    // An address outside the service's tag takes the default route to the firewall.
    let v = routes_json("vnet-spoke-data/snet-data", "20.61.104.1");
    assert_eq!(
        v["lookup"]["choice"]["route"]["next_hop_type"],
        "VirtualAppliance"
    );
    // A subnet of the same VNet without the endpoint sends the service's address to the Internet.
    let v = routes_json("vnet-spoke-data/snet-pe", "20.61.103.225");
    assert_eq!(v["lookup"]["choice"]["route"]["next_hop_type"], "Internet");
    assert!(
        !v["routes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["next_hop_type"] == "VirtualNetworkServiceEndpoint")
    );
}

/// The connected on-premises prefixes are in the VirtualNetwork tag of the transit spoke, not in
/// that of a spoke peered with the same hub that does not use its gateway.
#[test]
fn effective_rules_put_on_premises_prefixes_in_the_transit_spokes_tag() {
    let tag_of = |subnet: &str| -> Vec<String> {
        let v = json(&azaudit(&[
            "effective-rules",
            "--demo",
            "--subnet",
            subnet,
            "--direction",
            "in",
            "--format",
            "json",
        ]));
        let rule = v["sections"][0]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "AllowVnetInBound")
            .unwrap()
            .clone();
        rule["source"][0]["prefixes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect()
    };
    let transit = tag_of("vnet-spoke-data/snet-pe");
    assert!(
        transit.contains(&"172.16.0.0/16".to_string()),
        "{transit:?}"
    );
    assert!(
        transit.contains(&"172.18.0.0/16".to_string()),
        "{transit:?}"
    );
    let other = tag_of("vnet-spoke-app/snet-pe");
    assert!(!other.iter().any(|p| p.starts_with("172.1")), "{other:?}");
    let o = azaudit(&[
        "effective-rules",
        "--demo",
        "--subnet",
        "vnet-spoke-data/snet-pe",
        "--direction",
        "in",
    ]);
    let t = String::from_utf8(o.stdout).unwrap();
    assert!(t.contains("172.16.0.0/16, 172.18.0.0/16"), "{t}");
}
