//! Coverage gaps on the demo tenant: a finding whose proof rests on unread data becomes "not
//! evaluated" naming the gap, wherever the data lives (a zone in the hub subscription for an
//! endpoint in a spoke), while findings that rest on nothing unread stay.

use std::collections::BTreeSet;

use azaudit::collect::Snapshot;
use azaudit::report::Report;
use azaudit::rules::RuleStatus;
use serde_json::{Value, json};

const HUB: &str = "11111111-1111-4111-8111-111111111111";
const SPOKE: &str = "22222222-2222-4222-8222-222222222222";
const MGMT: &str = "33333333-3333-4333-8333-333333333333";
const VAULT_ZONE: &str = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net";

fn demo() -> Value {
    serde_json::from_str(&azaudit::collect::demo::snapshot().to_json()).unwrap()
}

fn with(mut doc: Value, gaps: Value, drop: impl Fn(&str, &str) -> bool) -> Snapshot {
    for (field, items) in doc["inventory"].as_object_mut().unwrap() {
        if let Some(items) = items.as_array_mut() {
            items.retain(|i| !drop(field, i["id"].as_str().unwrap_or_default()));
        }
    }
    doc["coverage"]["gaps"] = gaps;
    Snapshot::from_json(&doc.to_string(), std::path::Path::new("t.json")).unwrap()
}

fn scan(s: &Snapshot) -> Report {
    azaudit::scan::build_report(
        s,
        "test",
        None,
        "2026-11-24T08:00:00Z".parse().unwrap(),
        std::time::Instant::now(),
    )
}

fn ids(r: &Report, code: &str) -> BTreeSet<String> {
    r.findings
        .iter()
        .filter(|f| f.rule == code)
        .map(|f| f.id.clone())
        .collect()
}

fn messages(r: &Report, code: &str) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.rule == code)
        .map(|f| f.message.clone())
        .collect()
}

fn outcome<'a>(r: &'a Report, code: &str) -> &'a azaudit::rules::RuleOutcome {
    r.rules.iter().find(|o| o.code == code).unwrap()
}

fn name(id: &str) -> &str {
    id.rsplit('/').next().unwrap()
}

#[test]
fn a_truncated_record_page_in_the_zone_subscription_gives_no_record_findings() {
    let base = scan(&azaudit::collect::demo::snapshot());
    // The A records of the vault zone were cut off by a truncated page; the collector records the
    // gap against the zone's record list, in the hub subscription.
    let gaps = json!([{"subscription_id": HUB, "kind": "record_set", "scope": format!("{VAULT_ZONE}/A"),
        "http_status": 200, "code": "MalformedResponse", "message": "truncated body: EOF while parsing"}]);
    let r = scan(&with(demo(), gaps, |field, id| {
        field == "record_sets" && id.starts_with(&format!("{VAULT_ZONE}/"))
    }));
    // No "no A record" (DNS105) nor NXDOMAIN (DNS107) for records that exist but were not read.
    assert!(ids(&r, "DNS105").is_empty(), "{:?}", messages(&r, "DNS105"));
    assert!(
        messages(&r, "DNS107")
            .iter()
            .all(|m| !m.contains("NXDOMAIN") && !m.contains("vault.azure.net")),
        "{:?}",
        messages(&r, "DNS107")
    );
    // DNS105 judges pe-kv-ops's record; DNS107 the split zone of vnet-spoke-ops, whose verdict
    // rests on every zone of the name (the hub's included).
    for (code, resource) in [("DNS105", "pe-kv-ops"), ("DNS107", "vnet-spoke-ops")] {
        let o = outcome(&r, code);
        assert_eq!(o.status, RuleStatus::Partial, "{code}");
        assert!(
            o.not_evaluated
                .iter()
                .any(|n| name(&n.resource_id) == resource && n.reason.contains("truncated body")),
            "{code}: {:?}",
            o.not_evaluated
        );
    }
    // DNS101 and DNS104 read no records: unchanged.
    assert_eq!(ids(&r, "DNS101"), ids(&base, "DNS101"));
    assert_eq!(ids(&r, "DNS104"), ids(&base, "DNS104"));
    assert_eq!(outcome(&r, "DNS101").status, RuleStatus::Evaluated);
}

#[test]
fn unread_links_in_the_zone_subscription_make_spoke_findings_not_evaluated() {
    let base = scan(&azaudit::collect::demo::snapshot());
    assert!(!ids(&base, "DNS101").is_empty() && !ids(&base, "DNS104").is_empty());
    let gaps = json!([{"subscription_id": HUB, "kind": "virtual_network_link", "http_status": 429,
        "code": "TooManyRequests", "message": "throttled past the retry budget"}]);
    let r = scan(&with(demo(), gaps, |field, _| {
        field == "virtual_network_links"
    }));
    for (code, resource) in [("DNS101", "vnet-spoke-data"), ("DNS104", "vnet-spoke-ops")] {
        assert!(ids(&r, code).is_empty(), "{code}: {:?}", messages(&r, code));
        let o = outcome(&r, code);
        assert_eq!(o.status, RuleStatus::Partial);
        let note = o
            .not_evaluated
            .iter()
            .find(|n| name(&n.resource_id) == resource)
            .unwrap_or_else(|| panic!("{code}: {:?}", o.not_evaluated));
        assert!(
            note.reason.contains("throttled past the retry budget") && note.reason.contains(HUB),
            "{}",
            note.reason
        );
        // The endpoint or VNet is in the spoke subscription; the gap is in the hub's.
        assert!(note.resource_id.contains(SPOKE));
    }
}

#[test]
fn a_zone_list_gap_anywhere_holds_back_verdicts_that_no_zone_answers() {
    // The file zone exists nowhere; a zone list that could not be read may hold it.
    let base = scan(&azaudit::collect::demo::snapshot());
    let file = |r: &Report| {
        r.findings
            .iter()
            .filter(|f| f.message.contains("file.core.windows.net"))
            .count()
    };
    assert!(file(&base) >= 1);
    let gaps = json!([{"subscription_id": MGMT, "kind": "private_dns_zone", "http_status": 403,
        "code": "AuthorizationFailed", "message": "no read access to zones"}]);
    let r = scan(&with(demo(), gaps, |_, _| false));
    assert_eq!(file(&r), 0);
    assert!(
        outcome(&r, "DNS102")
            .not_evaluated
            .iter()
            .any(|n| name(&n.resource_id) == "pe-st-file-ops"
                && n.reason.contains("no read access to zones"))
    );
    // DNS107's split-zone verdict rests on every zone of its name existing where it was read.
    assert!(ids(&r, "DNS107").is_empty());
    assert!(
        outcome(&r, "DNS107")
            .not_evaluated
            .iter()
            .any(|n| name(&n.resource_id) == "vnet-spoke-ops"
                && n.reason.contains("no read access to zones"))
    );
}

#[test]
fn gaps_elsewhere_or_scoped_to_another_resource_suppress_nothing_else() {
    let base = scan(&azaudit::collect::demo::snapshot());
    let kv_app = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/kv-app-contoso";
    let blob_zone = VAULT_ZONE.replace(
        "privatelink.vaultcore.azure.net",
        "privatelink.blob.core.windows.net",
    );
    let gaps = json!([
        // Record sets of a subscription no finding cites.
        {"subscription_id": MGMT, "kind": "record_set", "message": "denied"},
        // The links of the blob zone only.
        {"subscription_id": HUB, "kind": "virtual_network_link",
         "scope": format!("{blob_zone}/virtualNetworkLinks"), "message": "links denied"},
        // Another vault's diagnostic settings.
        {"subscription_id": SPOKE, "kind": "diagnostic_setting",
         "scope": format!("{kv_app}/providers/Microsoft.Insights/diagnosticSettings"), "message": "denied"},
        // Flow logs of the hub's watcher.
        {"subscription_id": HUB, "kind": "flow_log",
         "scope": "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope/flowLogs",
         "message": "denied"},
    ]);
    let r = scan(&with(demo(), gaps, |_, _| false));
    for code in ["DNS101", "DNS105", "KVT107", "FLW103", "FLW105"] {
        assert!(!ids(&base, code).is_empty(), "{code}");
        assert_eq!(ids(&r, code), ids(&base, code), "{code}");
    }
    // DNS107's vault-zone finding stands; DNS104's blob-zone finding is held back.
    assert!(!ids(&base, "DNS107").is_empty());
    assert_eq!(ids(&r, "DNS107"), ids(&base, "DNS107"));
    assert!(
        messages(&base, "DNS104")
            .iter()
            .any(|m| m.contains("blob.core.windows.net"))
    );
    assert!(
        messages(&r, "DNS104")
            .iter()
            .all(|m| !m.contains("blob.core.windows.net")),
        "{:?}",
        messages(&r, "DNS104")
    );
    assert!(
        outcome(&r, "DNS104")
            .not_evaluated
            .iter()
            .any(|n| n.reason.contains("links denied"))
    );
    // The hub's flow log is set aside, the spoke's stands.
    let flw101: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.rule == "FLW101")
        .map(|f| name(&f.resource_id).to_string())
        .collect();
    assert_eq!(flw101, vec!["fl-vnet-spoke-app"]);
    assert!(
        outcome(&r, "FLW101")
            .not_evaluated
            .iter()
            .any(|n| name(&n.resource_id) == "fl-vnet-hub")
    );
}

#[test]
fn unread_watchers_and_route_tables_make_flow_log_rules_and_nsg105_partial() {
    let gaps = json!([{"subscription_id": SPOKE, "kind": "network_watcher", "http_status": 403, "message": "watchers denied"}]);
    let r = scan(&with(demo(), gaps, |_, _| false));
    for code in ["FLW101", "FLW102", "FLW103", "FLW104", "FLW105"] {
        let o = outcome(&r, code);
        assert_eq!(o.status, RuleStatus::Partial, "{code}");
        assert!(
            o.missing_inputs
                .iter()
                .any(|m| m.contains("watchers denied")),
            "{code}"
        );
    }
    // The spoke's flow logs hang off its watchers: their findings are not evaluated.
    assert!(ids(&r, "FLW103").is_empty() && ids(&r, "FLW105").is_empty());
    assert_eq!(outcome(&r, "NSG105").status, RuleStatus::Evaluated);

    let gaps = json!([{"subscription_id": SPOKE, "kind": "route_table", "http_status": 403, "message": "route tables denied"}]);
    let r = scan(&with(demo(), gaps, |_, _| false));
    let o = outcome(&r, "NSG105");
    assert_eq!(o.status, RuleStatus::Partial);
    assert!(
        o.missing_inputs
            .iter()
            .any(|m| m.contains("route tables denied"))
    );
    assert!(
        ids(&r, "NSG105").is_empty(),
        "both NSG105 findings are in the spoke"
    );
}

#[test]
fn unread_vnet_gateways_hold_back_unknown_next_hops() {
    use crate::common::{SUB, route_table, snapshot_with_gaps};
    // The next hop is a VNet gateway's address; the gateways could not be listed.
    let inv = json!({"route_tables": [route_table("rt", &[("to-gw", "10.9.0.0/16", "VirtualAppliance", Some("10.0.6.4"))])]});
    let gaps = json!([{"subscription_id": SUB, "kind": "virtual_network_gateway", "http_status": 403, "message": "gateways denied"}]);
    let r = scan(&snapshot_with_gaps(inv, gaps));
    assert!(ids(&r, "RTE103").is_empty(), "{:?}", messages(&r, "RTE103"));
    let o = outcome(&r, "RTE103");
    assert_eq!(o.status, RuleStatus::Partial);
    assert_eq!(o.not_evaluated.len(), 1);
    assert!(o.not_evaluated[0].reason.contains("gateways denied"));
}

#[test]
fn unread_nics_make_dns101_partial_without_holding_its_finding_back() {
    // DNS101 reads NICs only for the endpoint addresses its evidence shows.
    let base = scan(&azaudit::collect::demo::snapshot());
    let gaps = json!([{"subscription_id": SPOKE, "kind": "network_interface", "http_status": 429, "message": "nics throttled"}]);
    let r = scan(&with(demo(), gaps, |_, _| false));
    let o = outcome(&r, "DNS101");
    assert_eq!(o.status, RuleStatus::Partial);
    assert!(
        o.missing_inputs
            .iter()
            .any(|m| m.contains("nics throttled"))
    );
    assert!(!ids(&base, "DNS101").is_empty());
    assert_eq!(ids(&r, "DNS101"), ids(&base, "DNS101"));
    // DNS105 compares records with those addresses: held back.
    assert!(ids(&r, "DNS105").is_empty());
    assert!(!outcome(&r, "DNS105").not_evaluated.is_empty());
}
