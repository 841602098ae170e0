//! Every rule over the demo tenant with each kind of input missing: a coverage gap never becomes a
//! finding, a rule with a gap in one of its declared inputs is partial, and a rule's declared inputs
//! name every kind it reads.
//!
//! "Missing" is simulated the way a failed collection leaves it: the resources of a kind (in one
//! subscription, or everywhere) are absent from the inventory and a coverage gap says so.

use std::collections::{BTreeMap, BTreeSet};

use azaudit::collect::Snapshot;
use azaudit::inventory::ResourceKind;
use azaudit::report::Report;
use azaudit::rules::RuleStatus;
use serde_json::{Value, json};

/// The inventory list of each kind the collection reads as a list of its own.
const KINDS: &[(ResourceKind, &str)] = &[
    (ResourceKind::Subscription, "subscriptions"),
    (ResourceKind::ResourceProvider, "resource_providers"),
    (
        ResourceKind::NetworkSecurityGroup,
        "network_security_groups",
    ),
    (ResourceKind::RouteTable, "route_tables"),
    (ResourceKind::VirtualNetwork, "virtual_networks"),
    (ResourceKind::PrivateEndpoint, "private_endpoints"),
    (ResourceKind::PrivateDnsZone, "private_dns_zones"),
    (ResourceKind::VirtualNetworkLink, "virtual_network_links"),
    (ResourceKind::RecordSet, "record_sets"),
    (ResourceKind::KeyVault, "key_vaults"),
    (ResourceKind::DiagnosticSetting, "diagnostic_settings"),
    (ResourceKind::NetworkWatcher, "network_watchers"),
    (ResourceKind::FlowLog, "flow_logs"),
    (ResourceKind::ApplicationGateway, "application_gateways"),
    (ResourceKind::NetworkInterface, "network_interfaces"),
    (ResourceKind::AzureFirewall, "azure_firewalls"),
    (
        ResourceKind::VirtualNetworkGateway,
        "virtual_network_gateways",
    ),
    (ResourceKind::LocalNetworkGateway, "local_network_gateways"),
    (
        ResourceKind::VirtualNetworkGatewayConnection,
        "virtual_network_gateway_connections",
    ),
    (
        ResourceKind::RecoveryServicesVault,
        "recovery_services_vaults",
    ),
    (ResourceKind::ResourceGuardProxy, "resource_guard_proxies"),
];

const NOW: &str = "2026-11-24T08:00:00Z";

fn kind_name(k: ResourceKind) -> String {
    serde_json::to_value(k)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

fn sub_of(id: &str) -> Option<String> {
    azaudit::azure::id::subscription_of(id)
}

/// Every subscription the demo inventory names.
fn demo_subscriptions(doc: &Value) -> BTreeSet<String> {
    let mut subs = BTreeSet::new();
    for (_, field) in KINDS {
        for item in doc["inventory"][field].as_array().into_iter().flatten() {
            if let Some(s) = item["id"].as_str().and_then(sub_of) {
                subs.insert(s);
            }
        }
    }
    subs
}

fn demo_doc() -> Value {
    serde_json::from_str(&azaudit::collect::demo::snapshot().to_json()).unwrap()
}

/// The demo with the resources of `kind` in `sub` (everywhere when `None`) removed, and, when
/// `record_gap`, a gap saying so (`scope` narrows it to one resource's children).
fn without(
    doc: &Value,
    kind: ResourceKind,
    field: &str,
    sub: Option<&str>,
    scope: Option<&str>,
    remove: bool,
) -> Snapshot {
    let mut doc = doc.clone();
    if remove {
        let mut removed = Vec::new();
        if let Some(items) = doc["inventory"][field].as_array_mut() {
            items.retain(|item| {
                let id = item["id"].as_str().unwrap_or_default().to_ascii_lowercase();
                let in_sub = sub.is_none_or(|s| sub_of(&id).as_deref() == Some(s));
                let in_scope =
                    scope.is_none_or(|p| id.starts_with(&format!("{}/", p.to_ascii_lowercase())));
                let gone = in_sub && in_scope;
                if gone {
                    removed.push(format!("{id}/"));
                }
                !gone
            });
        }
        // Children listed under a resource that could not be read (flow logs under a watcher, links
        // and records under a zone, diagnostic settings under a vault) are not read either.
        for (_, other) in KINDS {
            if let Some(items) = doc["inventory"][other].as_array_mut() {
                items.retain(|item| {
                    let id = item["id"].as_str().unwrap_or_default().to_ascii_lowercase();
                    !removed.iter().any(|p| id.starts_with(p))
                });
            }
        }
    }
    doc["coverage"]["gaps"] = json!([{
        "subscription_id": sub, "kind": kind_name(kind), "scope": scope,
        "http_status": 403, "code": "AuthorizationFailed", "message": "test: not read"
    }]);
    Snapshot::from_json(&doc.to_string(), std::path::Path::new("variant.json")).unwrap()
}

fn scan(s: &Snapshot) -> Report {
    azaudit::scan::build_report(
        s,
        "test",
        None,
        NOW.parse().unwrap(),
        std::time::Instant::now(),
    )
}

/// A finding as everything an operator sees of it, by fingerprint.
fn findings_by_rule(r: &Report) -> BTreeMap<String, BTreeMap<String, Value>> {
    let mut out: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for f in &r.findings {
        out.entry(f.rule.to_string()).or_default().insert(
            f.id.clone(),
            json!({"resource": f.resource_id, "severity": f.severity, "message": f.message,
                   "evidence": f.evidence}),
        );
    }
    out
}

fn inputs_of(code: &str) -> &'static [ResourceKind] {
    azaudit::rules::find(code).unwrap().meta().inputs
}

fn touches(kinds: &[ResourceKind], kind: ResourceKind) -> bool {
    kinds
        .iter()
        .any(|k| *k == kind || k.read_through().contains(&kind))
}

/// Whether a gap of `kind` leaves one of the inputs that decide the rule's findings unread.
fn reads(code: &str, kind: ResourceKind) -> bool {
    touches(inputs_of(code), kind)
}

/// Whether a gap of `kind` leaves unread only what describes the rule's findings.
fn shows(code: &str, kind: ResourceKind) -> bool {
    !reads(code, kind)
        && touches(
            azaudit::rules::find(code).unwrap().meta().shown_inputs,
            kind,
        )
}

/// The gaps to try: each kind everywhere and in each subscription, and the children of each
/// resource read one by one (a zone's A records and links, a watcher's flow logs, a vault's
/// diagnostic settings, a Recovery Services vault's Resource Guard mappings) with the scope the
/// collector records.
fn variants(doc: &Value) -> Vec<(ResourceKind, &'static str, Option<String>, Option<String>)> {
    let subs = demo_subscriptions(doc);
    let mut out = Vec::new();
    for (kind, field) in KINDS {
        out.push((*kind, *field, None, None));
        for s in &subs {
            out.push((*kind, *field, Some(s.clone()), None));
        }
    }
    let children: &[(&str, ResourceKind, &str, &str)] = &[
        (
            "private_dns_zones",
            ResourceKind::RecordSet,
            "record_sets",
            "/A",
        ),
        (
            "private_dns_zones",
            ResourceKind::VirtualNetworkLink,
            "virtual_network_links",
            "/virtualNetworkLinks",
        ),
        (
            "network_watchers",
            ResourceKind::FlowLog,
            "flow_logs",
            "/flowLogs",
        ),
        (
            "key_vaults",
            ResourceKind::DiagnosticSetting,
            "diagnostic_settings",
            "/providers/Microsoft.Insights/diagnosticSettings",
        ),
        (
            "recovery_services_vaults",
            ResourceKind::ResourceGuardProxy,
            "resource_guard_proxies",
            "/backupResourceGuardProxies",
        ),
    ];
    for (parents, kind, field, suffix) in children {
        for p in doc["inventory"][parents].as_array().into_iter().flatten() {
            let id = p["id"].as_str().unwrap();
            out.push((*kind, *field, sub_of(id), Some(format!("{id}{suffix}"))));
        }
    }
    out
}

#[test]
fn missing_data_never_becomes_a_finding_and_makes_the_rule_partial() {
    // Every declared input is among the kinds removed below.
    for rule in azaudit::rules::registry() {
        let m = rule.meta();
        for k in m.inputs.iter().chain(m.shown_inputs) {
            assert!(
                KINDS.iter().any(|(x, _)| x == k),
                "{}: {k:?} is never removed",
                m.code
            );
        }
    }
    let doc = demo_doc();
    let base = scan(&azaudit::collect::demo::snapshot());
    let base_findings = findings_by_rule(&base);
    let empty = BTreeMap::new();
    let mut problems = Vec::new();
    let mut suppressed = 0;
    let mut tried = 0;
    for (kind, field, sub, scope) in variants(&doc) {
        let label = format!(
            "{kind:?} gap in {} {}",
            sub.as_deref().unwrap_or("every subscription"),
            scope.as_deref().unwrap_or("")
        );
        let removed = scan(&without(
            &doc,
            kind,
            field,
            sub.as_deref(),
            scope.as_deref(),
            true,
        ));
        let kept = scan(&without(
            &doc,
            kind,
            field,
            sub.as_deref(),
            scope.as_deref(),
            false,
        ));
        let (removed_f, kept_f) = (findings_by_rule(&removed), findings_by_rule(&kept));
        for rule in azaudit::rules::registry() {
            let code = rule.meta().code;
            let all = base_findings.get(code).unwrap_or(&empty);
            let without_data = removed_f.get(code).unwrap_or(&empty);
            let with_data = kept_f.get(code).unwrap_or(&empty);
            let outcome = |r: &Report| r.rules.iter().find(|o| o.code == code).unwrap().clone();
            let (o_removed, o_kept) = (outcome(&removed), outcome(&kept));
            if shows(code, kind) {
                // Read only for the evidence: partial, no finding appears or is held back.
                if o_removed.status != RuleStatus::Partial || o_kept.status != RuleStatus::Partial {
                    problems.push(format!("{code}: not partial with a {label}"));
                }
                if without_data.keys().any(|id| !all.contains_key(id)) || with_data != all {
                    problems.push(format!(
                        "{code}: a {label} it only shows changed its findings"
                    ));
                }
                continue;
            }
            if !reads(code, kind) {
                // Its declared inputs name every kind it reads: without this one nothing changes.
                let o_base = outcome(&base);
                if without_data != all
                    || o_removed.not_evaluated != o_base.not_evaluated
                    || o_removed.status != RuleStatus::Evaluated
                {
                    problems.push(format!(
                        "{code}: reads {kind:?} without declaring it ({label})"
                    ));
                }
                continue;
            }
            tried += 1;
            for o in [&o_removed, &o_kept] {
                if o.status != RuleStatus::Partial
                    || !o
                        .missing_inputs
                        .iter()
                        .any(|m| m.contains("test: not read"))
                {
                    problems.push(format!("{code}: not partial with a {label}"));
                }
            }
            // With the data gone, nothing is reported that the complete tenant does not show.
            for (id, f) in without_data {
                if all.get(id) != Some(f) {
                    problems.push(format!("{code}: {label} produced: {}", f["message"]));
                }
            }
            // What survives a gap does not depend on the missing data: the same with or without it.
            if without_data != with_data {
                problems.push(format!(
                    "{code}: with a {label} the findings depend on the unread data: {:?} vs {:?}",
                    without_data.keys().collect::<Vec<_>>(),
                    with_data.keys().collect::<Vec<_>>()
                ));
            }
            // A finding set aside is listed as not evaluated, naming the gap.
            for (id, f) in all {
                if with_data.contains_key(id) {
                    continue;
                }
                suppressed += 1;
                let resource = f["resource"].as_str().unwrap();
                if !o_kept
                    .not_evaluated
                    .iter()
                    .any(|n| n.resource_id == resource && n.reason.contains("test: not read"))
                {
                    problems.push(format!(
                        "{code}: {resource} dropped without a not-evaluated note ({label})"
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    // The walk exercised something: gaps in inputs that hold findings set them aside.
    assert!(tried > 300, "{tried}");
    assert!(suppressed > 100, "{suppressed}");
}

#[test]
fn a_gap_in_each_declared_input_makes_every_rule_partial() {
    let doc = demo_doc();
    for rule in azaudit::rules::registry() {
        let m = rule.meta();
        for kind in m.inputs.iter().chain(m.shown_inputs) {
            for sub in [None, Some("22222222-2222-4222-8222-222222222222")] {
                let mut d = doc.clone();
                d["coverage"]["gaps"] = json!([{"subscription_id": sub, "kind": kind_name(*kind),
                    "http_status": 500, "message": "test: unread input"}]);
                let r = scan(
                    &Snapshot::from_json(&d.to_string(), std::path::Path::new("g.json")).unwrap(),
                );
                let o = r.rules.iter().find(|o| o.code == m.code).unwrap();
                assert_eq!(
                    o.status,
                    RuleStatus::Partial,
                    "{} with a {kind:?} gap in {sub:?}",
                    m.code
                );
                assert_eq!(o.missing_inputs.len(), 1, "{}", m.code);
                assert!(o.missing_inputs[0].contains("test: unread input"));
            }
        }
    }
}
