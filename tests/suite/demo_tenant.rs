//! The demo tenant: every shipped rule fires on its planted misconfiguration and stays silent on the
//! correct twin next to it.

use crate::common::{assert_twin_on, findings_of};

const W: &str = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups";

fn demo_report() -> azaudit::report::Report {
    crate::common::scan(&azaudit::collect::demo::snapshot())
}

fn fired_on(report: &azaudit::report::Report, code: &str) -> Vec<String> {
    findings_of(report, code)
        .iter()
        .map(|f| f.resource_id.to_ascii_lowercase())
        .collect()
}

#[test]
fn demo_is_a_complete_three_subscription_tenant() {
    let s = azaudit::collect::demo::snapshot();
    assert_eq!(
        s.scope.subscriptions,
        [
            "11111111-1111-4111-8111-111111111111",
            "22222222-2222-4222-8222-222222222222",
            "33333333-3333-4333-8333-333333333333"
        ]
    );
    assert!(s.coverage.is_complete());
    let inv = &s.inventory;
    fn names(mut v: Vec<&str>) -> Vec<&str> {
        v.sort_unstable();
        v
    }
    assert_eq!(
        names(
            inv.virtual_networks
                .iter()
                .map(|v| v.display_name())
                .collect()
        ),
        [
            "vnet-hub",
            "vnet-spoke-app",
            "vnet-spoke-data",
            "vnet-spoke-legacy",
            "vnet-spoke-ops"
        ]
    );
    assert_eq!(inv.azure_firewalls.len(), 2);
    assert_eq!(inv.application_gateways.len(), 2);
    assert_eq!(inv.flow_logs.len(), 4);
    assert_eq!(inv.key_vaults.len(), 5);
    assert_eq!(inv.private_endpoints.len(), 8);
    assert_eq!(
        names(
            inv.private_dns_zones
                .iter()
                .map(|z| z.display_name())
                .collect()
        ),
        [
            "privatelink.blob.core.windows.net",
            "privatelink.vault.azure.net",
            "privatelink.vaultcore.azure.net",
            "privatelink.vaultcore.azure.net"
        ]
    );
    assert_eq!(inv.network_security_groups.len(), 9);
    assert_eq!(inv.route_tables.len(), 5);
    assert_eq!(inv.network_interfaces.len(), 9);
    assert_eq!(inv.recovery_services_vaults.len(), 2);
    // Every rule runs on it with every input present.
    let r = demo_report();
    assert_eq!(r.rules.len(), 39);
    for o in &r.rules {
        assert_eq!(
            o.status,
            azaudit::rules::RuleStatus::Evaluated,
            "{}",
            o.code
        );
        assert!(
            o.not_evaluated.is_empty(),
            "{}: {:?}",
            o.code,
            o.not_evaluated
        );
    }
}

#[test]
fn nsg101_fires_on_snet_app_and_not_on_its_twin_snet_data() {
    let r = demo_report();
    let fired = fired_on(&r, "NSG101");
    let app = format!(
        "{W}/rg-app/providers/Microsoft.Network/virtualNetworks/vnet-spoke-app/subnets/snet-app"
    )
    .to_ascii_lowercase();
    let data = format!(
        "{W}/rg-data/providers/Microsoft.Network/virtualNetworks/vnet-spoke-data/subnets/snet-data"
    )
    .to_ascii_lowercase();
    assert!(fired.contains(&app), "{fired:?}");
    assert!(
        !fired.contains(&data),
        "snet-data has a deny-all and explicit allows: {fired:?}"
    );
    let f = findings_of(&r, "NSG101")
        .into_iter()
        .find(|f| f.resource_id.eq_ignore_ascii_case(&app))
        .unwrap();
    assert_eq!(f.evidence["routes"][0]["next_hop_ip_address"], "10.0.1.4");
}

#[test]
fn dns101_fires_on_the_spoke_data_vnet_only() {
    let r = demo_report();
    let vnet = |rg: &str, name: &str| {
        format!("{W}/{rg}/providers/Microsoft.Network/virtualNetworks/{name}").to_ascii_lowercase()
    };
    let fired = fired_on(&r, "DNS101");
    // One finding per VNet lacking the link, on the VNet: spoke-data's pe-kv-data.
    assert_eq!(fired, [vnet("rg-data", "vnet-spoke-data")], "{fired:?}");
    // spoke-app (pe-kv-app, pe-kv-ops, pe-st-data) is linked: its twin.
    let f = findings_of(&r, "DNS101")[0];
    assert_eq!(
        f.evidence["expected_zone"],
        "privatelink.vaultcore.azure.net"
    );
    // The misnamed zone linked to spoke-data does not make resolution private.
    assert!(
        f.evidence["endpoints"][0]["private_endpoint"]
            .as_str()
            .unwrap()
            .ends_with("/privateEndpoints/pe-kv-data")
    );
}

#[test]
fn rte101_fires_where_the_endpoint_subnet_route_is_defeated_not_for_the_default_route() {
    let r = demo_report();
    let f = findings_of(&r, "RTE101");
    let app_pe = id(
        W,
        "rg-app",
        "virtualNetworks/vnet-spoke-app/subnets/snet-pe",
    );
    // rt-app routes 10.1.2.0/24 to the firewall, but snet-pe's policies are Disabled: its /32s win.
    // rt-data does the same for spoke-data's snet-pe, whose policies are Enabled: the twin.
    assert!(!f.is_empty());
    for f in &f {
        assert_eq!(f.resource_id.to_ascii_lowercase(), app_pe, "{f:#?}");
        assert_eq!(f.evidence["defeated_routes"][0]["route"], "to-pe-subnet");
        let eps: Vec<&str> = f.evidence["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["private_endpoint"].as_str().unwrap())
            .collect();
        assert!(eps.iter().any(|e| e.ends_with("/pe-kv-app")), "{eps:?}");
        assert!(
            !eps.iter().any(|e| e.ends_with("/pe-kv-legacy-pending")),
            "a pending endpoint carries no traffic"
        );
    }
    let sources: Vec<String> = f
        .iter()
        .map(|f| f.evidence["subnet"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    assert_eq!(
        sources,
        [
            id(
                W,
                "rg-app",
                "virtualNetworks/vnet-spoke-app/subnets/snet-app"
            ),
            id(
                W,
                "rg-app",
                "virtualNetworks/vnet-spoke-app/subnets/snet-appgw"
            ),
        ]
    );
    assert_twin_on(&r, "RTE101", "/vnet-spoke-data/subnets/snet-pe");
}

#[test]
fn dns107_reports_the_split_zone_of_spoke_ops_only() {
    // vnet-spoke-ops is linked to its own, empty privatelink.vaultcore.azure.net (rg-ops): kv-app
    // and kv-ops, whose endpoints sit in spoke-app, do not resolve there. The unlinked spoke-data
    // (DNS101), the stale kv-ops record (DNS105) and the missing file zone (DNS102) are not
    // repeated; spoke-app and the hub resolve through the endpoints' zone (twins).
    let r = demo_report();
    let fired = fired_on(&r, "DNS107");
    let ops = format!("{W}/rg-ops/providers/Microsoft.Network/virtualNetworks/vnet-spoke-ops")
        .to_ascii_lowercase();
    assert_eq!(fired, [ops], "{fired:?}");
    let f = findings_of(&r, "DNS107")[0];
    let names: Vec<&str> = f.evidence["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["fqdn"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"kv-app-contoso.vault.azure.net"),
        "{names:?}"
    );
    assert!(
        names.contains(&"kv-ops-contoso.vault.azure.net"),
        "{names:?}"
    );
    assert!(
        f.evidence["answering_zone"]
            .as_str()
            .unwrap()
            .contains("/resourceGroups/rg-ops/")
    );
}

#[test]
fn kvt107_fires_on_the_vault_without_audit_logs_only() {
    let r = demo_report();
    let fired = fired_on(&r, "KVT107");
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(fired[0].ends_with("/vaults/kv-data-contoso"));
}

#[test]
fn bak101_fires_on_the_unguarded_vault_only() {
    let r = demo_report();
    let fired = fired_on(&r, "BAK101");
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(fired[0].ends_with("/vaults/rsv-workloads"));
}

// ---------------------------------------------------------------- flow logs, NSGs, App Gateway, routes

const HUB: &str = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups";

fn id(base: &str, rg: &str, path: &str) -> String {
    format!("{base}/{rg}/providers/Microsoft.Network/{path}").to_ascii_lowercase()
}
fn flow_log_id(base: &str, name: &str) -> String {
    id(
        base,
        "NetworkWatcherRG",
        &format!("networkWatchers/NetworkWatcher_westeurope/flowLogs/{name}"),
    )
}

#[test]
fn flw101_fires_on_flow_logs_to_law_central() {
    let fired = fired_on(&demo_report(), "FLW101");
    assert!(
        fired.contains(&flow_log_id(W, "fl-vnet-spoke-app")),
        "{fired:?}"
    );
    assert!(
        !fired.contains(&flow_log_id(W, "fl-vnet-spoke-data")),
        "a disabled flow log sends nothing to law-central: {fired:?}"
    );
    assert!(
        !fired.contains(&flow_log_id(W, "fl-nsg-data")),
        "no Traffic Analytics there: {fired:?}"
    );
}

#[test]
fn flw102_fires_on_the_hub_flow_log_only() {
    let fired = fired_on(&demo_report(), "FLW102");
    assert_eq!(fired, vec![flow_log_id(HUB, "fl-vnet-hub")]);
}

#[test]
fn flw103_fires_on_the_nsg_flow_log_only() {
    let fired = fired_on(&demo_report(), "FLW103");
    assert_eq!(fired, vec![flow_log_id(W, "fl-nsg-data")]);
}

#[test]
fn flw104_fires_on_spoke_data_not_on_the_vnets_with_vnet_flow_logs() {
    let fired = fired_on(&demo_report(), "FLW104");
    assert!(
        fired.contains(&id(W, "rg-data", "virtualNetworks/vnet-spoke-data")),
        "{fired:?}"
    );
    assert!(!fired.contains(&id(W, "rg-app", "virtualNetworks/vnet-spoke-app")));
    assert!(!fired.contains(&id(HUB, "rg-hub-network", "virtualNetworks/vnet-hub")));
}

#[test]
fn flw105_fires_on_the_flow_log_without_traffic_analytics() {
    let fired = fired_on(&demo_report(), "FLW105");
    assert!(fired.contains(&flow_log_id(W, "fl-nsg-data")));
    assert!(!fired.contains(&flow_log_id(W, "fl-vnet-spoke-app")));
}

#[test]
fn nsg102_fires_on_snet_app_not_on_snet_data() {
    let fired = fired_on(&demo_report(), "NSG102");
    assert_eq!(
        fired,
        vec![id(
            W,
            "rg-app",
            "virtualNetworks/vnet-spoke-app/subnets/snet-app"
        )]
    );
}

#[test]
fn nsg103_fires_on_snet_app_not_on_snet_data() {
    let fired = fired_on(&demo_report(), "NSG103");
    assert!(fired.contains(&id(
        W,
        "rg-app",
        "virtualNetworks/vnet-spoke-app/subnets/snet-app"
    )));
    assert!(!fired.contains(&id(
        W,
        "rg-data",
        "virtualNetworks/vnet-spoke-data/subnets/snet-data"
    )));
}

#[test]
fn nsg104_fires_on_the_spoke_app_pe_subnet_not_the_spoke_data_one() {
    let fired = fired_on(&demo_report(), "NSG104");
    assert_eq!(
        fired,
        vec![id(
            W,
            "rg-app",
            "virtualNetworks/vnet-spoke-app/subnets/snet-pe"
        )]
    );
}

#[test]
fn nsg105_fires_on_the_legacy_nic_nsg_for_rdp_only_and_not_on_nsg_shared() {
    let r = demo_report();
    let fired = fired_on(&r, "NSG105");
    let legacy = id(W, "rg-app", "networkSecurityGroups/nsg-vm-legacy-01");
    assert!(fired.contains(&legacy), "{fired:?}");
    assert!(!fired.contains(&id(
        HUB,
        "rg-hub-network",
        "networkSecurityGroups/nsg-shared"
    )));
    let f = findings_of(&r, "NSG105")
        .into_iter()
        .find(|f| f.resource_id.eq_ignore_ascii_case(&legacy))
        .unwrap();
    assert_eq!(
        f.evidence["ports"],
        serde_json::json!([3389]),
        "22 is denied first"
    );
    assert_eq!(f.severity, azaudit::report::Severity::High);
    // nsg-app admits 22/3389 only through snet-app's UDR-widened VirtualNetwork tag: east-west
    // exposure (NSG101), not the Internet.
    assert!(!fired.contains(&id(W, "rg-app", "networkSecurityGroups/nsg-app")));
}

#[test]
fn nsg106_fires_on_snet_vm_legacy_not_on_platform_subnets() {
    let fired = fired_on(&demo_report(), "NSG106");
    assert!(
        fired.contains(&id(
            W,
            "rg-app",
            "virtualNetworks/vnet-spoke-app/subnets/snet-vm-legacy"
        )),
        "{fired:?}"
    );
    for platform in ["AzureFirewallSubnet", "GatewaySubnet", "AzureBastionSubnet"] {
        assert!(
            !fired
                .iter()
                .any(|f| f.ends_with(&format!("/subnets/{}", platform.to_ascii_lowercase()))),
            "{platform} is exempt: {fired:?}"
        );
    }
}

#[test]
fn nsg107_fires_on_the_hub_gateway_subnet() {
    let fired = fired_on(&demo_report(), "NSG107");
    assert_eq!(
        fired,
        vec![id(
            HUB,
            "rg-hub-network",
            "virtualNetworks/vnet-hub/subnets/GatewaySubnet"
        )]
    );
}

#[test]
fn nsg108_fires_where_kms_passes_or_breaks_and_never_both_on_one_subnet() {
    let fired = fired_on(&demo_report(), "NSG108");
    // snet-vm-legacy has no default route: the platform exception lets KMS past its NIC's deny.
    // rt-shared-onprem tunnels 0.0.0.0/0 to the VPN gateway without KMS routes: activation breaks.
    assert_eq!(
        fired,
        vec![
            id(HUB, "rg-hub-network", "routeTables/rt-shared-onprem"),
            id(W, "rg-app", "networkSecurityGroups/nsg-vm-legacy-01"),
        ]
    );
    // nsg-app's deny applies (snet-app's 0.0.0.0/0 disables the exception); rt-app sends it to
    // afw-hub, an Azure Firewall with a public IP; rt-data has KMS routes.
}

#[test]
fn agw101_fires_on_nsg_appgw_for_gateway_manager_and_load_balancer() {
    let r = demo_report();
    let fired = fired_on(&r, "AGW101");
    let nsg = id(W, "rg-app", "networkSecurityGroups/nsg-appgw");
    assert_eq!(fired, vec![nsg.clone(), nsg]);
}

#[test]
fn agw102_fires_on_agw_app() {
    let fired = fired_on(&demo_report(), "AGW102");
    assert_eq!(fired, vec![id(W, "rg-app", "applicationGateways/agw-app")]);
}

#[test]
fn agw103_fires_for_the_legacy_backend_not_for_pool_app() {
    let r = demo_report();
    let f = findings_of(&r, "AGW103");
    assert_eq!(
        f.len(),
        1,
        "pool-app's 10.1.1.4 is admitted from the gateway subnet"
    );
    assert_eq!(f[0].evidence["backend_address"], "10.1.4.4");
    assert!(f[0].resource_id.eq_ignore_ascii_case(&id(
        W,
        "rg-app",
        "networkSecurityGroups/nsg-vm-legacy-01"
    )));
}

#[test]
fn rte102_to_rte104_fire_on_rt_shared_pe_routes_and_not_on_rt_app() {
    let r = demo_report();
    let big = id(HUB, "rg-hub-network", "routeTables/rt-shared-pe-routes");
    for code in ["RTE102", "RTE103", "RTE104"] {
        let fired = fired_on(&r, code);
        assert_eq!(fired, vec![big.clone()], "{code}");
    }
    let f = findings_of(&r, "RTE103");
    assert_eq!(f[0].evidence["route"], "to-old-nva");
    // to-vwan-hub-firewall points at afw-vwan-hub's hubIPAddresses.privateIPAddress: no black hole.
    assert_eq!(f.len(), 1, "{f:#?}");
}

#[test]
fn rte105_fires_on_rt_app_not_on_rt_data() {
    let fired = fired_on(&demo_report(), "RTE105");
    assert_eq!(fired, vec![id(W, "rg-app", "routeTables/rt-app")]);
}

#[test]
fn the_flagship_twins_hold() {
    let r = demo_report();
    assert_eq!(
        fired_on(&r, "NSG101"),
        vec![id(
            W,
            "rg-app",
            "virtualNetworks/vnet-spoke-app/subnets/snet-app"
        )],
        "NSG101 fires on snet-app only"
    );
    assert_eq!(
        fired_on(&r, "DNS101"),
        vec![
            format!("{W}/rg-data/providers/Microsoft.Network/virtualNetworks/vnet-spoke-data")
                .to_ascii_lowercase()
        ],
    );
}

// ---------------------------------------------------------------- private endpoints, private DNS, Key Vault

const V: &str = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups";

fn res(root: &str, rg: &str, path: &str) -> String {
    format!("{root}/{rg}/providers/{path}").to_ascii_lowercase()
}
fn pe(rg: &str, name: &str) -> String {
    res(W, rg, &format!("Microsoft.Network/privateEndpoints/{name}"))
}
fn kv(root: &str, rg: &str, name: &str) -> String {
    res(root, rg, &format!("Microsoft.KeyVault/vaults/{name}"))
}

/// Asserts `code` fired on `planted` and not on `twin`, and returns the planted finding.
fn fires_on_not_on(
    r: &azaudit::report::Report,
    code: &str,
    planted: &str,
    twin: &str,
) -> azaudit::report::Finding {
    let fired = fired_on(r, code);
    assert!(
        fired.contains(&planted.to_string()),
        "{code} should fire on {planted}: {fired:?}"
    );
    assert!(
        !fired.contains(&twin.to_string()),
        "{code} should not fire on {twin}: {fired:?}"
    );
    findings_of(r, code)
        .into_iter()
        .find(|f| f.resource_id.eq_ignore_ascii_case(planted))
        .unwrap()
        .clone()
}

#[test]
fn pep101_fires_on_the_pending_legacy_endpoint_only() {
    let r = demo_report();
    let f = fires_on_not_on(
        &r,
        "PEP101",
        &pe("rg-app", "pe-kv-legacy-pending"),
        &pe("rg-app", "pe-kv-app"),
    );
    assert_eq!(f.evidence["status"], "Pending");
    assert_eq!(
        findings_of(&r, "PEP101").len(),
        1,
        "the vault side must not repeat it"
    );
}

#[test]
fn pep102_fires_on_kv_app_with_its_duplicate_endpoint() {
    let r = demo_report();
    let f = fires_on_not_on(
        &r,
        "PEP102",
        &kv(W, "rg-app", "kv-app-contoso"),
        &kv(W, "rg-app", "kv-ops-contoso"),
    );
    assert_eq!(f.evidence["endpoints"].as_array().unwrap().len(), 2);
}

#[test]
fn dns102_fires_on_the_file_endpoint_not_on_the_blob_twin() {
    let r = demo_report();
    let f = fires_on_not_on(
        &r,
        "DNS102",
        &pe("rg-ops", "pe-st-file-ops"),
        &pe("rg-app", "pe-st-data"),
    );
    assert_eq!(
        f.evidence["expected_zone"],
        "privatelink.file.core.windows.net"
    );
}

#[test]
fn dns103_fires_on_the_misnamed_vault_zone_only() {
    let r = demo_report();
    let zone = |n: &str| {
        res(
            V,
            "rg-dns",
            &format!("Microsoft.Network/privateDnsZones/{n}"),
        )
    };
    let f = fires_on_not_on(
        &r,
        "DNS103",
        &zone("privatelink.vault.azure.net"),
        &zone("privatelink.vaultcore.azure.net"),
    );
    assert_eq!(
        f.evidence["suggested_zone"],
        "privatelink.vaultcore.azure.net"
    );
}

#[test]
fn dns104_fires_on_the_unlinked_peer_vnet_spoke_ops_not_on_the_hub() {
    let r = demo_report();
    let ops = res(
        W,
        "rg-ops",
        "Microsoft.Network/virtualNetworks/vnet-spoke-ops",
    );
    let hub = res(
        V,
        "rg-hub-network",
        "Microsoft.Network/virtualNetworks/vnet-hub",
    );
    fires_on_not_on(&r, "DNS104", &ops, &hub);
    let zones: Vec<_> = findings_of(&r, "DNS104")
        .iter()
        .map(|f| f.evidence["zone_name"].clone())
        .collect();
    assert!(
        zones.contains(&serde_json::json!("privatelink.blob.core.windows.net")),
        "{zones:?}"
    );
}

#[test]
fn dns105_fires_on_the_stale_kv_ops_record_not_on_kv_app() {
    let r = demo_report();
    fires_on_not_on(
        &r,
        "DNS105",
        &pe("rg-app", "pe-kv-ops"),
        &pe("rg-app", "pe-kv-app"),
    );
    let problems: Vec<_> = findings_of(&r, "DNS105")
        .into_iter()
        .filter(|f| {
            f.resource_id
                .eq_ignore_ascii_case(&pe("rg-app", "pe-kv-ops"))
        })
        .map(|f| {
            (
                f.evidence["problem"].clone(),
                f.evidence["record_addresses"].clone(),
            )
        })
        .collect();
    assert!(
        problems.contains(&(serde_json::json!("stale"), serde_json::json!(["10.1.2.9"]))),
        "{problems:?}"
    );
    assert!(problems.iter().any(|(p, _)| p == "ttl"), "{problems:?}");
    // pe-kv-app-dup's record points at pe-kv-app, a sibling endpoint of the same vault in the same
    // VNet: not stale (the duplicate is PEP102's).
    assert!(!fired_on(&r, "DNS105").contains(&pe("rg-app", "pe-kv-app-dup").to_ascii_lowercase()));
}

#[test]
fn dns106_fires_on_the_custom_dns_spoke_endpoint_only() {
    let r = demo_report();
    let f = fires_on_not_on(
        &r,
        "DNS106",
        &pe("rg-legacy", "pe-st-legacy"),
        &pe("rg-app", "pe-st-data"),
    );
    assert_eq!(
        f.evidence["dns_servers"],
        serde_json::json!(["192.168.10.4", "192.168.10.5"])
    );
}

#[test]
fn kvt101_fires_on_kv_data_not_on_kv_app() {
    let r = demo_report();
    fires_on_not_on(
        &r,
        "KVT101",
        &kv(W, "rg-data", "kv-data-contoso"),
        &kv(W, "rg-app", "kv-app-contoso"),
    );
}

#[test]
fn kvt102_fires_on_kv_legacy_not_on_kv_data() {
    let r = demo_report();
    fires_on_not_on(
        &r,
        "KVT102",
        &kv(V, "rg-security", "kv-legacy-contoso"),
        &kv(W, "rg-data", "kv-data-contoso"),
    );
}

#[test]
fn kvt108_fires_on_kv_svc_rules_under_allow_not_on_kv_ops_deny() {
    // kv-svc-contoso trusts snet-data's service endpoint but keeps default Allow; kv-ops-contoso
    // has rules under Deny. KVT102 leaves kv-svc to KVT108.
    let r = demo_report();
    let f = fires_on_not_on(
        &r,
        "KVT108",
        &kv(W, "rg-data", "kv-svc-contoso"),
        &kv(W, "rg-app", "kv-ops-contoso"),
    );
    assert!(
        f.evidence["virtual_network_rules"][0]
            .as_str()
            .unwrap()
            .ends_with("vnet-spoke-data/subnets/snet-data")
    );
    assert!(
        !fired_on(&r, "KVT102")
            .iter()
            .any(|id| id.eq_ignore_ascii_case(&kv(W, "rg-data", "kv-svc-contoso")))
    );
}

#[test]
fn kvt103_fires_on_kv_ops_leftovers_not_on_kv_app() {
    let r = demo_report();
    let f = fires_on_not_on(
        &r,
        "KVT103",
        &kv(W, "rg-app", "kv-ops-contoso"),
        &kv(W, "rg-app", "kv-app-contoso"),
    );
    assert_eq!(
        f.evidence["ip_rules"],
        serde_json::json!(["203.0.113.0/24"])
    );
}

#[test]
fn kvt104_fires_on_kv_ops_bypass_not_on_kv_app() {
    let r = demo_report();
    fires_on_not_on(
        &r,
        "KVT104",
        &kv(W, "rg-app", "kv-ops-contoso"),
        &kv(W, "rg-app", "kv-app-contoso"),
    );
}

#[test]
fn kvt105_fires_on_kv_ops_rule_for_snet_app() {
    let r = demo_report();
    let f = fires_on_not_on(
        &r,
        "KVT105",
        &kv(W, "rg-app", "kv-ops-contoso"),
        &kv(W, "rg-app", "kv-app-contoso"),
    );
    assert!(
        f.evidence["subnet"]
            .as_str()
            .unwrap()
            .ends_with("vnet-spoke-app/subnets/snet-app")
    );
}

#[test]
fn kvt106_fires_on_snet_data_not_on_snet_app() {
    let r = demo_report();
    let sn = |rg: &str, v: &str, s: &str| {
        res(
            W,
            rg,
            &format!("Microsoft.Network/virtualNetworks/{v}/subnets/{s}"),
        )
    };
    fires_on_not_on(
        &r,
        "KVT106",
        &sn("rg-data", "vnet-spoke-data", "snet-data"),
        &sn("rg-app", "vnet-spoke-app", "snet-app"),
    );
}

/// The demo tenant as JSON, changed by `edit`, then scanned: proves a twin is silent because of
/// the one property that makes it correct.
fn demo_edited(edit: impl FnOnce(&mut serde_json::Value)) -> azaudit::report::Report {
    let mut t: serde_json::Value =
        serde_json::from_str(include_str!("../../src/demo/tenant.json")).unwrap();
    edit(&mut t["inventory"]);
    let s = azaudit::collect::snapshot::Snapshot::from_json(
        &t.to_string(),
        std::path::Path::new("<edited demo>"),
    )
    .unwrap();
    crate::common::scan(&s)
}

fn named<'a>(list: &'a mut serde_json::Value, name: &str) -> &'a mut serde_json::Value {
    list.as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("{name} is in the demo"))
}

#[test]
fn the_network_isolated_gateway_agw_private_is_a_twin_for_agw101_and_agw102() {
    let r = demo_report();
    assert_twin_on(&r, "AGW101", "networkSecurityGroups/nsg-appgw-private");
    assert_twin_on(&r, "AGW102", "applicationGateways/agw-private");

    // Without its delegation, the same subnet is an ordinary v2 gateway subnet: its NSG blocks
    // GatewayManager and all outbound traffic, and its 0.0.0.0/0 goes to the firewall.
    let r = demo_edited(|inv| {
        let vnet = named(&mut inv["virtual_networks"], "vnet-spoke-app");
        let subnet = named(&mut vnet["properties"]["subnets"], "snet-appgw-private");
        subnet["properties"]["delegations"] = serde_json::json!([]);
    });
    let nsg = id(W, "rg-app", "networkSecurityGroups/nsg-appgw-private");
    let agw101: Vec<_> = findings_of(&r, "AGW101")
        .into_iter()
        .filter(|f| f.resource_id.eq_ignore_ascii_case(&nsg))
        .collect();
    assert_eq!(agw101.len(), 2, "{agw101:#?}");
    assert!(agw101.iter().any(|f| f.message.contains("GatewayManager")));
    assert!(agw101.iter().any(|f| f.message.contains("outbound")));
    assert!(fired_on(&r, "AGW102").contains(&id(W, "rg-app", "applicationGateways/agw-private")));
}

#[test]
fn nsg103_takes_a_deny_all_to_virtual_network_or_to_the_subnet_prefix_as_deny_all() {
    let r = demo_report();
    assert_twin_on(&r, "NSG103", "vnet-spoke-data/subnets/snet-data");
    assert_twin_on(&r, "NSG103", "vnet-hub/subnets/snet-shared");

    // Narrow either deny to one address and the subnet has no deny-all any more.
    let r = demo_edited(|inv| {
        for (nsg, prefix) in [("nsg-data", "10.2.1.4"), ("nsg-shared", "10.0.4.4")] {
            let nsg = named(&mut inv["network_security_groups"], nsg);
            let deny = named(&mut nsg["properties"]["securityRules"], "Deny-All-Inbound");
            deny["properties"]["destinationAddressPrefix"] = prefix.into();
        }
    });
    let fired = fired_on(&r, "NSG103");
    for subnet in [
        id(
            W,
            "rg-data",
            "virtualNetworks/vnet-spoke-data/subnets/snet-data",
        ),
        id(
            HUB,
            "rg-hub-network",
            "virtualNetworks/vnet-hub/subnets/snet-shared",
        ),
    ] {
        assert!(fired.contains(&subnet), "{subnet} not in {fired:#?}");
    }
}
