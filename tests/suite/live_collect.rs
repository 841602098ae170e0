//! Live collection of the fixture tenant (`wiremock-fixtures/contoso`) through the production
//! client: completeness, faults becoming coverage gaps, references followed out of scope, and
//! `collect` + `scan --snapshot` giving the live scan's findings.

use crate::common::arm::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use azaudit::collect::Snapshot;
use azaudit::collect::live::{LiveScope, collect};
use azaudit::inventory::ResourceKind;
use serde::Deserialize;
use wiremock::matchers::{method, path, path_regex, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const CONNECTIVITY: &str = "11111111-1111-4111-8111-111111111111";
pub const WORKLOADS: &str = "22222222-2222-4222-8222-222222222222";
pub const MANAGEMENT: &str = "33333333-3333-4333-8333-333333333333";

#[derive(Deserialize)]
struct Entry {
    path: String,
    api_version: String,
    pages: Vec<String>,
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("wiremock-fixtures/contoso")
}

/// A mock ARM serving every list of the fixture tenant, page by page.
pub async fn fixture_server() -> MockServer {
    let server = MockServer::start().await;
    let manifest: Vec<Entry> =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("manifest.json")).unwrap())
            .unwrap();
    for e in manifest {
        for (i, file) in e.pages.iter().enumerate() {
            let body = std::fs::read_to_string(fixtures().join(file)).unwrap();
            let m = Mock::given(method("GET"))
                .and(path(e.path.as_str()))
                .and(query_param("api-version", e.api_version.as_str()));
            let m = if i == 0 {
                m.and(query_param_is_missing("$skiptoken"))
            } else {
                m.and(query_param("$skiptoken", format!("page{}", i + 1).as_str()))
            };
            m.respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
                .with_priority(5)
                .mount(&server)
                .await;
        }
    }
    server
}

pub fn scope(subs: &[&str]) -> LiveScope {
    LiveScope {
        subscriptions: subs.iter().map(|s| s.to_string()).collect(),
        ..LiveScope::default()
    }
}

fn counts(s: &Snapshot) -> BTreeMap<String, usize> {
    let v = serde_json::to_value(&s.inventory).unwrap();
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_array().map_or(0, Vec::len)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

pub fn finding_ids(r: &azaudit::report::Report) -> Vec<String> {
    let mut ids: Vec<String> = r.findings.iter().map(|f| f.id.clone()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn collects_the_fixture_tenant_completely_and_politely() {
    let server = fixture_server().await;
    let c = client(&server);
    let t = Instant::now();
    let snap = collect(&c, &scope(&[CONNECTIVITY, WORKLOADS])).await;
    let elapsed = t.elapsed();
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    let expected: BTreeMap<String, usize> = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("expected-counts.json")).unwrap(),
    )
    .unwrap();
    let got = counts(&snap);
    for (kind, n) in &expected {
        assert_eq!(got.get(kind).copied().unwrap_or(0), *n, "{kind}: {got:?}");
    }
    let stats = c.stats();
    eprintln!(
        "fixture tenant: {} requests, {} KiB, {:?}",
        stats.requests,
        stats.bytes / 1024,
        elapsed
    );
    assert_eq!(snap.collection.as_ref().unwrap().requests, stats.requests);
    assert_polite(&server).await;
}

#[tokio::test]
async fn live_scan_equals_the_demo_and_survives_collect_then_scan() {
    let server = fixture_server().await;
    let snap = collect(&client(&server), &scope(&[CONNECTIVITY, WORKLOADS])).await;
    let live = crate::common::scan(&snap);
    // collect writes the snapshot; scan --snapshot reads it back.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.json");
    azaudit::report::atomic_write(&file, snap.to_json().as_bytes()).unwrap();
    let reloaded = Snapshot::load(&file).unwrap();
    assert_eq!(reloaded, snap);
    let from_file = crate::common::scan(&reloaded);
    assert_eq!(finding_ids(&from_file), finding_ids(&live));
    assert!(!live.findings.is_empty());
    // The fixtures serve the demo tenant, so the findings are the demo's.
    let demo = crate::common::scan(&azaudit::collect::demo::snapshot());
    assert_eq!(finding_ids(&live), finding_ids(&demo));
}

#[tokio::test]
async fn a_forbidden_subscription_is_a_gap_and_the_other_is_complete() {
    let server = fixture_server().await;
    Mock::given(method("GET"))
        .and(path_regex(format!("^/subscriptions/{WORKLOADS}/providers/Microsoft\\.(Network|KeyVault)/.*")))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "error": {"code": "AuthorizationFailed", "message": "The client does not have authorization to perform action over scope"}
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    let snap = collect(&client(&server), &scope(&[CONNECTIVITY, WORKLOADS])).await;
    assert!(!snap.coverage.gaps.is_empty());
    for g in &snap.coverage.gaps {
        assert_eq!(g.subscription_id.as_deref(), Some(WORKLOADS), "{g:?}");
        assert_eq!(g.http_status, Some(403));
        assert_eq!(g.code.as_deref(), Some("AuthorizationFailed"));
    }
    assert!(
        snap.coverage
            .gaps
            .iter()
            .any(|g| g.kind == ResourceKind::NetworkSecurityGroup)
    );
    // The connectivity subscription is complete.
    let hub = snap
        .inventory
        .virtual_networks
        .iter()
        .filter(|v| v.id.contains(CONNECTIVITY))
        .count();
    assert_eq!(hub, 1);
    assert!(
        snap.inventory
            .virtual_networks
            .iter()
            .all(|v| v.id.contains(CONNECTIVITY))
    );
    assert!(!snap.inventory.azure_firewalls.is_empty());
    let report = crate::common::scan(&snap);
    assert!(!report.summary.coverage_complete);
    assert!(
        report
            .rules
            .iter()
            .any(|r| r.status == azaudit::rules::RuleStatus::Partial)
    );
}

#[tokio::test]
async fn a_malformed_page_is_a_gap_with_a_clear_message() {
    let server = fixture_server().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/subscriptions/{CONNECTIVITY}/providers/Microsoft.Network/virtualNetworks"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"value": [{"id": "/subscriptions/x", "#,
            "application/json",
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    let snap = collect(&client(&server), &scope(&[CONNECTIVITY, WORKLOADS])).await;
    assert_eq!(snap.coverage.gaps.len(), 1, "{:#?}", snap.coverage.gaps);
    let g = &snap.coverage.gaps[0];
    assert_eq!(g.kind, ResourceKind::VirtualNetwork);
    assert_eq!(g.code.as_deref(), Some("MalformedResponse"));
    assert!(g.message.contains("truncated JSON"), "{}", g.message);
    // Retried like a 5xx (the first attempt and five retries) before it became a gap.
    assert!(g.message.ends_with("(after 6 attempts)"), "{}", g.message);
    // The other subscription's VNets are all there.
    assert!(
        snap.inventory
            .virtual_networks
            .iter()
            .all(|v| v.id.contains(WORKLOADS))
    );
    let demo = azaudit::collect::demo::snapshot();
    let workloads = demo
        .inventory
        .virtual_networks
        .iter()
        .filter(|v| v.id.contains(WORKLOADS))
        .count();
    assert_eq!(snap.inventory.virtual_networks.len(), workloads);
}

#[tokio::test]
async fn a_page_truncated_once_is_read_again_not_dropped() {
    let server = fixture_server().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/subscriptions/{CONNECTIVITY}/providers/Microsoft.Network/virtualNetworks"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"value": [{"id": "/subscriptions/x", "#,
            "application/json",
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let snap = collect(&client(&server), &scope(&[CONNECTIVITY, WORKLOADS])).await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    let demo = azaudit::collect::demo::snapshot();
    assert_eq!(
        snap.inventory.virtual_networks.len(),
        demo.inventory.virtual_networks.len()
    );
    assert_eq!(snap.collection.as_ref().unwrap().retries, 1);
}

#[tokio::test]
async fn references_out_of_scope_are_followed() {
    let server = fixture_server().await;
    let snap = collect(&client(&server), &scope(&[WORKLOADS])).await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    // The Traffic Analytics workspace lives in the management subscription: its providers are read.
    let mgmt_network = snap
        .inventory
        .resource_providers
        .iter()
        .find(|p| {
            p.subscription_id().as_deref() == Some(MANAGEMENT)
                && p.namespace.eq_ignore_ascii_case("Microsoft.Network")
        })
        .expect("management subscription providers read");
    assert_eq!(
        mgmt_network.registration_state,
        Some(azaudit::inventory::resources::RegistrationState::NotRegistered)
    );
    // Private DNS zones live in the connectivity subscription, outside the scan, and are found.
    assert!(
        snap.inventory
            .private_dns_zones
            .iter()
            .any(|z| z.id.contains(CONNECTIVITY))
    );
    assert!(!snap.inventory.virtual_network_links.is_empty());
    assert!(!snap.inventory.record_sets.is_empty());
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .any(|r| r.url.path() == format!("/subscriptions/{MANAGEMENT}/providers"))
    );
    // Nothing else of the unscanned subscriptions is read.
    assert!(!requests.iter().any(|r| r.url.path().starts_with(&format!(
        "/subscriptions/{CONNECTIVITY}/providers/Microsoft.Network/virtualNetworks"
    ))));
    assert_eq!(snap.scope.subscriptions, vec![WORKLOADS.to_string()]);
}

#[tokio::test]
async fn one_subscription_scanned_still_knows_the_tenant_has_others() {
    let server = fixture_server().await;
    let snap = collect(&client(&server), &scope(&[WORKLOADS])).await;
    // The tenant's subscription list is kept whole, so rules know what lies outside the scan.
    let mut listed: Vec<String> = snap
        .inventory
        .subscriptions
        .iter()
        .map(|s| s.subscription_id.clone())
        .collect();
    listed.sort();
    assert!(listed.contains(&CONNECTIVITY.to_string()), "{listed:?}");
    assert!(listed.contains(&WORKLOADS.to_string()), "{listed:?}");
    let r = crate::common::scan(&snap);
    assert_eq!(r.scope.subscriptions, vec![WORKLOADS.to_string()]);
    assert_eq!(
        r.scope.subscription_names.keys().collect::<Vec<_>>(),
        vec![WORKLOADS],
        "names are given for the scanned subscriptions only"
    );
    // The spokes' default route points at the hub firewall, in the unscanned connectivity
    // subscription: no black hole is claimed, the route is not evaluated with that reason.
    let o = crate::common::outcome(&r, "RTE103");
    assert!(
        o.not_evaluated
            .iter()
            .any(|n| n.resource_id.ends_with("/routeTables/rt-app")
                && n.reason.contains(CONNECTIVITY)),
        "{:#?}",
        o.not_evaluated
    );
    assert!(
        !r.findings
            .iter()
            .any(|f| f.rule == "RTE103" && f.resource_id.ends_with("/routeTables/rt-app")),
    );
}

#[tokio::test]
async fn all_subscriptions_scans_what_the_identity_can_list() {
    let server = fixture_server().await;
    let snap = collect(
        &client(&server),
        &LiveScope {
            all_subscriptions: true,
            ..LiveScope::default()
        },
    )
    .await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    let mut subs = snap.scope.subscriptions.clone();
    subs.sort();
    assert_eq!(subs, vec![CONNECTIVITY.to_string(), WORKLOADS.to_string()]);
}

/// Answers Connectivity's Key Vault list with ARM's 409 for an unregistered namespace.
async fn key_vaults_answer_409(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("/subscriptions/{CONNECTIVITY}/providers/Microsoft.KeyVault/vaults")))
        .respond_with(ResponseTemplate::new(409).set_body_json(serde_json::json!({
            "error": {"code": "MissingSubscriptionRegistration", "message": "The subscription is not registered to use namespace 'Microsoft.KeyVault'."}
        })))
        .with_priority(1)
        .mount(server)
        .await;
}

fn vault_names(s: &Snapshot) -> Vec<&str> {
    s.inventory
        .key_vaults
        .iter()
        .map(|v| v.id.rsplit('/').next().unwrap())
        .collect()
}

/// Workloads' vaults, by id order.
const WORKLOAD_VAULTS: [&str; 4] = [
    "kv-app-contoso",
    "kv-ops-contoso",
    "kv-data-contoso",
    "kv-svc-contoso",
];

#[tokio::test]
async fn a_409_for_a_namespace_registered_is_a_gap_with_arms_code() {
    // The fixture's registrations say Microsoft.KeyVault is Registered in Connectivity: a 409
    // then contradicts them, and what it hides is unknown.
    let server = fixture_server().await;
    key_vaults_answer_409(&server).await;
    let snap = collect(&client(&server), &scope(&[CONNECTIVITY, WORKLOADS])).await;
    assert_eq!(snap.coverage.gaps.len(), 1, "{:#?}", snap.coverage.gaps);
    let g = &snap.coverage.gaps[0];
    assert_eq!(
        (
            g.kind,
            g.subscription_id.as_deref(),
            g.http_status,
            g.code.as_deref()
        ),
        (
            ResourceKind::KeyVault,
            Some(CONNECTIVITY),
            Some(409),
            Some("MissingSubscriptionRegistration")
        )
    );
    assert!(g.message.contains("not registered"));
    // Connectivity's kv-legacy-contoso is missing; Workloads' four vaults are all there.
    assert_eq!(vault_names(&snap), WORKLOAD_VAULTS);
}

/// Connectivity's provider registrations with Microsoft.KeyVault NotRegistered.
fn registrations_without_key_vault() -> serde_json::Value {
    let mut providers: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("1111/providers.p1.json")).unwrap(),
    )
    .unwrap();
    let kv = providers["value"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p["namespace"] == "Microsoft.KeyVault")
        .unwrap();
    kv["registrationState"] = "NotRegistered".into();
    providers
}

#[tokio::test]
async fn a_409_for_a_namespace_not_registered_is_an_empty_list() {
    let server = fixture_server().await;
    key_vaults_answer_409(&server).await;
    Mock::given(method("GET"))
        .and(path(format!("/subscriptions/{CONNECTIVITY}/providers")))
        .respond_with(ResponseTemplate::new(200).set_body_json(registrations_without_key_vault()))
        .with_priority(1)
        .mount(&server)
        .await;
    let snap = collect(&client(&server), &scope(&[CONNECTIVITY, WORKLOADS])).await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_eq!(vault_names(&snap), WORKLOAD_VAULTS);
    // Nothing is missing, so --require-complete has nothing to complain about.
    let report = crate::common::scan(&snap);
    assert!(report.summary.coverage_complete);
    assert_eq!(
        azaudit::cli::exit_code(&report, azaudit::cli::FailOn::Never, true),
        azaudit::ExitCode::Clean
    );
}

#[tokio::test]
async fn a_409_with_registrations_unread_stays_a_gap() {
    let server = fixture_server().await;
    key_vaults_answer_409(&server).await;
    Mock::given(method("GET"))
        .and(path(format!("/subscriptions/{CONNECTIVITY}/providers")))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "error": {"code": "AuthorizationFailed", "message": "no"}
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    let snap = collect(&client(&server), &scope(&[CONNECTIVITY, WORKLOADS])).await;
    let mut gaps: Vec<_> = snap
        .coverage
        .gaps
        .iter()
        .map(|g| (g.kind, g.subscription_id.as_deref(), g.http_status))
        .collect();
    gaps.sort_by_key(|g| format!("{g:?}"));
    assert_eq!(
        gaps,
        [
            (ResourceKind::KeyVault, Some(CONNECTIVITY), Some(409)),
            (
                ResourceKind::ResourceProvider,
                Some(CONNECTIVITY),
                Some(403)
            ),
        ]
    );
    assert_eq!(vault_names(&snap), WORKLOAD_VAULTS);
}

#[tokio::test]
async fn a_resource_group_keeps_its_resources_and_the_shared_dns_and_watchers() {
    let server = fixture_server().await;
    let snap = collect(
        &client(&server),
        &LiveScope {
            resource_group: Some("RG-DATA".into()),
            ..scope(&[CONNECTIVITY, WORKLOADS])
        },
    )
    .await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    let names = |ids: Vec<&str>| -> Vec<String> {
        ids.iter()
            .map(|id| id.rsplit('/').next().unwrap().to_string())
            .collect()
    };
    let inv = &snap.inventory;
    macro_rules! names_of {
        ($field:ident) => {
            names(inv.$field.iter().map(|r| r.id.as_str()).collect())
        };
    }
    assert_eq!(names_of!(key_vaults), ["kv-data-contoso", "kv-svc-contoso"]);
    assert_eq!(
        names_of!(network_security_groups),
        ["nsg-data", "nsg-pe-data"]
    );
    assert_eq!(names_of!(route_tables), ["rt-data"]);
    assert_eq!(names_of!(virtual_networks), ["vnet-spoke-data"]);
    assert_eq!(names_of!(private_endpoints), ["pe-kv-data"]);
    assert_eq!(
        names_of!(network_interfaces),
        [
            "pe-kv-data.nic.796eba1d-6c82-5077-9d80-52bce5377746",
            "vm-data-01-nic"
        ]
    );
    assert!(inv.application_gateways.is_empty());
    assert!(inv.azure_firewalls.is_empty());
    // rg-backup's vaults (and their Resource Guard mappings) are not in the group.
    assert!(inv.recovery_services_vaults.is_empty());
    assert!(inv.resource_guard_proxies.is_empty());
    // kv-data-contoso has no diagnostic setting; the other vaults' settings went with them.
    assert!(inv.diagnostic_settings.is_empty());
    // Private DNS zones (rg-dns, rg-ops) and network watchers (NetworkWatcherRG) serve every group.
    assert_eq!(inv.private_dns_zones.len(), 4);
    assert_eq!(inv.network_watchers.len(), 2);
    let full = collect(&client(&server), &scope(&[CONNECTIVITY, WORKLOADS])).await;
    assert_eq!(inv.flow_logs, full.inventory.flow_logs);
    assert_eq!(
        inv.virtual_network_links,
        full.inventory.virtual_network_links
    );
    assert_eq!(inv.record_sets, full.inventory.record_sets);
    assert!(!full.inventory.diagnostic_settings.is_empty());
    assert!(!full.inventory.flow_logs.is_empty());
    assert!(!full.inventory.virtual_network_links.is_empty());
    assert!(!full.inventory.record_sets.is_empty());
}

#[tokio::test]
async fn a_subscription_the_identity_cannot_see_is_reported() {
    let server = fixture_server().await;
    let unknown = "44444444-4444-4444-8444-444444444444";
    let snap = collect(&client(&server), &scope(&[unknown])).await;
    assert!(
        snap.coverage
            .gaps
            .iter()
            .any(|g| g.subscription_id.as_deref() == Some(unknown)
                && g.kind == ResourceKind::Subscription
                && g.code.as_deref() == Some("SubscriptionNotVisible"))
    );
    // Its lists were tried and answered 404 by the mock: each is a gap, none is silently empty.
    assert!(
        snap.coverage
            .gaps
            .iter()
            .any(|g| g.kind == ResourceKind::NetworkSecurityGroup && g.http_status == Some(404))
    );
}
