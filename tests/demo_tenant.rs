//! The demo tenant: every shipped rule fires on its planted misconfiguration and stays silent on the
//! correct twin next to it.

mod common;
use common::findings_of;

const W: &str = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups";

fn demo_report() -> azaudit::report::Report {
    common::scan(&azaudit::collect::demo::snapshot())
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
    assert_eq!(s.scope.subscriptions.len(), 3);
    assert!(s.coverage.is_complete());
    let inv = &s.inventory;
    assert!(inv.virtual_networks.len() >= 3);
    assert!(!inv.azure_firewalls.is_empty());
    assert!(!inv.application_gateways.is_empty());
    assert!(!inv.flow_logs.is_empty());
    assert!(inv.key_vaults.len() >= 3);
    assert!(!inv.private_dns_zones.is_empty());
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
fn dns101_fires_on_the_spoke_data_endpoint_only() {
    let r = demo_report();
    let fired = fired_on(&r, "DNS101");
    let pe = |rg: &str, name: &str| {
        format!("{W}/{rg}/providers/Microsoft.Network/privateEndpoints/{name}").to_ascii_lowercase()
    };
    assert!(fired.contains(&pe("rg-data", "pe-kv-data")), "{fired:?}");
    for twin in [
        pe("rg-app", "pe-kv-app"),
        pe("rg-app", "pe-kv-ops"),
        pe("rg-app", "pe-st-data"),
    ] {
        assert!(
            !fired.contains(&twin),
            "{twin} is in a linked VNet: {fired:?}"
        );
    }
    // The misnamed zone linked to spoke-data does not make resolution private.
    let f = findings_of(&r, "DNS101")
        .into_iter()
        .find(|f| f.resource_id.to_ascii_lowercase() == pe("rg-data", "pe-kv-data"))
        .unwrap();
    assert_eq!(
        f.evidence["expected_zone"],
        "privatelink.vaultcore.azure.net"
    );
}

#[test]
fn rte101_fires_for_endpoints_behind_a_default_route() {
    let r = demo_report();
    let fired = fired_on(&r, "RTE101");
    let pe = |rg: &str, name: &str| {
        format!("{W}/{rg}/providers/Microsoft.Network/privateEndpoints/{name}").to_ascii_lowercase()
    };
    assert!(fired.contains(&pe("rg-app", "pe-kv-app")), "{fired:?}");
    assert!(
        !fired.contains(&pe("rg-app", "pe-kv-legacy-pending")),
        "a pending endpoint carries no traffic"
    );
}

#[test]
fn dns107_explains_the_unlinked_and_the_stale_names() {
    let r = demo_report();
    let messages: Vec<&str> = findings_of(&r, "DNS107")
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert!(messages.iter().any(|m| m.starts_with("From VNet vnet-spoke-data, kv-data-contoso.vault.azure.net resolves to the public address")), "{messages:#?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("kv-ops-contoso.vault.azure.net resolves to 10.1.2.9")),
        "{messages:#?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("kv-app-contoso")),
        "kv-app resolves correctly: {messages:#?}"
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
