//! Live collection through Azure Resource Graph: the fixture tenant served as Resource Graph rows
//! (lower-case types, `resourceGroup`/`subscriptionId` columns, skip-token paging), the fallback to
//! ARM lists per kind, subscriptions proven readable, and quota pacing.

use crate::common::arm::*;
use crate::live_collect::{
    CONNECTIVITY, MANAGEMENT, WORKLOADS, finding_ids, fixture_server, fixtures, scope,
};

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use azaudit::collect::Snapshot;
use azaudit::collect::live::{LiveScope, Source, collect};
use azaudit::inventory::ResourceKind;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The fixture tenant as Resource Graph sees it: every item of every ARM list, by lower-case type.
pub struct GraphTenant {
    pub rows: BTreeMap<String, Vec<Value>>,
    /// Rows per page (Resource Graph's is 1,000; smaller forces skip-token paging).
    pub page: usize,
    /// Lower-case types answered with this status instead of rows.
    pub fail: Vec<(String, u16)>,
    /// Every query's status instead of rows.
    pub fail_all: Option<u16>,
    /// Answer `resultTruncated: "true"` without a skip token for these types.
    pub truncate: Vec<String>,
    /// Answer these types with `x-ms-tenant-subscription-limit-hit: true` (the principal sees more
    /// than 10,000 subscriptions and the answer covers only the first 10,000).
    pub limit_hit: Vec<String>,
    /// One type answered in pages of this size, every page after the first after this delay.
    pub slow: Option<(String, usize, std::time::Duration)>,
    /// Skip tokens received, in order.
    pub tokens: Mutex<Vec<String>>,
}

fn subscription_of(id: &str) -> String {
    id.split('/')
        .nth(2)
        .unwrap_or_default()
        .to_ascii_lowercase()
}

impl GraphTenant {
    pub fn from_fixtures() -> Self {
        #[derive(serde::Deserialize)]
        struct Entry {
            pages: Vec<String>,
        }
        let manifest: Vec<Entry> = serde_json::from_str(
            &std::fs::read_to_string(fixtures().join("manifest.json")).unwrap(),
        )
        .unwrap();
        let mut rows: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut seen = HashSet::new();
        for e in manifest {
            for file in e.pages {
                let body: Value =
                    serde_json::from_str(&std::fs::read_to_string(fixtures().join(file)).unwrap())
                        .unwrap();
                // List pages, and the single GETs of kinds ARM lists per resource group only
                // (gateways); the service-tags list is not a resource Resource Graph indexes.
                let items = match body.get("value").and_then(Value::as_array) {
                    Some(items) => items.clone(),
                    None if body.get("id").is_some() && body.get("values").is_none() => {
                        vec![body.clone()]
                    }
                    None => continue,
                };
                for item in &items {
                    let (Some(id), Some(t)) = (
                        item.get("id").and_then(Value::as_str),
                        item.get("type").and_then(Value::as_str),
                    ) else {
                        continue;
                    };
                    if !seen.insert(id.to_ascii_lowercase()) {
                        continue;
                    }
                    let mut row = item.clone();
                    let t = t.to_ascii_lowercase();
                    row["type"] = Value::from(t.as_str());
                    row["subscriptionId"] = Value::from(subscription_of(id));
                    row["resourceGroup"] = Value::from(
                        id.split('/')
                            .nth(4)
                            .unwrap_or_default()
                            .to_ascii_lowercase(),
                    );
                    row["tenantId"] = Value::from("00000000-0000-4000-8000-000000000000");
                    row["kind"] = Value::from("");
                    if row.get("sku").is_none() {
                        row["sku"] = Value::Null;
                    }
                    rows.entry(t).or_default().push(row);
                }
            }
        }
        for v in rows.values_mut() {
            v.sort_by_key(|r| r["id"].as_str().unwrap().to_ascii_lowercase());
        }
        GraphTenant {
            rows,
            page: 1000,
            fail: Vec::new(),
            fail_all: None,
            truncate: Vec::new(),
            limit_hit: Vec::new(),
            slow: None,
            tokens: Mutex::new(Vec::new()),
        }
    }
}

/// The type a query of one kind asks for (`… | where type =~ 'x' | …`).
pub fn queried_type(query: &str) -> Option<String> {
    let (_, rest) = query.split_once("type =~ '")?;
    Some(rest.split('\'').next()?.to_string())
}

/// The types a query asks for: its one type, or those of `… | where type in~ ('x', 'y') | …`.
pub fn queried_types(query: &str) -> Vec<String> {
    if let Some(t) = queried_type(query) {
        return vec![t];
    }
    let Some((_, rest)) = query.split_once("type in~ (") else {
        return Vec::new();
    };
    let list = rest.split(')').next().unwrap_or_default();
    list.split(',')
        .map(|t| t.trim().trim_matches('\'').to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

impl Respond for GraphTenant {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(b) => b,
            Err(_) => return ResponseTemplate::new(400),
        };
        let types = queried_types(body["query"].as_str().unwrap_or_default());
        if types.is_empty() {
            return ResponseTemplate::new(400);
        }
        if let Some(status) = self.fail_all {
            return ResponseTemplate::new(status).set_body_json(
                json!({"error": {"code": "Denied", "message": "Resource Graph says no"}}),
            );
        }
        // A query fails whole when one of its tables is unwell.
        if let Some((_, status)) = self.fail.iter().find(|(f, _)| types.contains(f)) {
            return ResponseTemplate::new(*status).set_body_json(
                json!({"error": {"code": "Failed", "message": "this table is unwell"}}),
            );
        }
        let subs: HashSet<String> = body["subscriptions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        let mut all: Vec<&Value> = types
            .iter()
            .filter_map(|t| self.rows.get(t))
            .flatten()
            .filter(|r| subs.contains(r["subscriptionId"].as_str().unwrap()))
            .collect();
        // `order by id asc`
        all.sort_by_key(|r| r["id"].as_str().unwrap().to_ascii_lowercase());
        let top = body["options"]["$top"].as_u64().unwrap_or(100) as usize;
        let slow = self
            .slow
            .as_ref()
            .filter(|(slow, _, _)| types.contains(slow));
        let page = slow.map_or(self.page, |(_, page, _)| *page);
        let size = top.min(page).max(1);
        let offset = match body["options"]["$skipToken"].as_str() {
            Some(tok) => {
                self.tokens.lock().unwrap().push(tok.to_string());
                tok.strip_prefix("offset-").unwrap().parse().unwrap()
            }
            None => 0,
        };
        let data: Vec<&Value> = all.iter().skip(offset).take(size).copied().collect();
        let mut answer = json!({
            "totalRecords": all.len(),
            "count": data.len(),
            "resultTruncated": "false",
            "facets": [],
            "data": data,
        });
        if types.iter().any(|t| self.truncate.contains(t)) {
            answer["resultTruncated"] = Value::from("true");
        } else if offset + size < all.len() {
            answer["$skipToken"] = Value::from(format!("offset-{}", offset + size));
        }
        let mut response = ResponseTemplate::new(200)
            .insert_header("x-ms-user-quota-remaining", "14")
            .insert_header("x-ms-user-quota-resets-after", "00:00:05");
        if let Some((_, _, delay)) = slow.filter(|_| offset > 0) {
            response = response.set_delay(*delay);
        }
        if types.iter().any(|t| self.limit_hit.contains(t)) {
            response = response.insert_header("x-ms-tenant-subscription-limit-hit", "true");
        }
        response.set_body_json(answer)
    }
}

/// The fixture tenant behind ARM lists and Resource Graph.
pub async fn graph_server(graph: GraphTenant) -> MockServer {
    let server = fixture_server().await;
    Mock::given(method("POST"))
        .and(path("/providers/Microsoft.ResourceGraph/resources"))
        .respond_with(graph)
        .with_priority(1)
        .mount(&server)
        .await;
    server
}

pub fn with_source(subs: &[&str], source: Source) -> LiveScope {
    LiveScope {
        source,
        ..scope(subs)
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

/// ARM list GETs (paths under a subscription, not a single resource) the server received.
async fn arm_list_paths(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "GET")
        .map(|r| r.url.path().to_string())
        .collect()
}

/// Every request is a GET or a POST to Resource Graph or /batch, with the bearer token.
async fn assert_read_only(server: &MockServer) {
    for r in server.received_requests().await.unwrap() {
        let p = r.url.path();
        match r.method.as_str() {
            "GET" => {}
            "POST" => assert!(
                p == "/providers/Microsoft.ResourceGraph/resources" || p == "/batch",
                "POST {p}"
            ),
            m => panic!("{m} {p}"),
        }
        assert_eq!(
            r.headers.get("authorization").unwrap().to_str().unwrap(),
            format!("Bearer {TOKEN}")
        );
    }
}

async fn scan_ids(snap: &Snapshot) -> Vec<String> {
    finding_ids(&crate::common::scan(snap))
}

#[tokio::test]
async fn graph_reads_the_fixture_tenant_with_the_findings_of_arm_lists() {
    let subs = [CONNECTIVITY, WORKLOADS];
    let arm_server = fixture_server().await;
    let arm_client = client(&arm_server);
    let arm = collect(&arm_client, &with_source(&subs, Source::Arm)).await;
    assert!(arm.coverage.gaps.is_empty(), "{:#?}", arm.coverage.gaps);

    let server = graph_server(GraphTenant::from_fixtures()).await;
    let c = client(&server);
    let graph = collect(&c, &with_source(&subs, Source::Graph)).await;
    assert!(graph.coverage.gaps.is_empty(), "{:#?}", graph.coverage.gaps);
    assert_eq!(counts(&graph), counts(&arm));
    assert_eq!(scan_ids(&graph).await, scan_ids(&arm).await);
    // Same ids and ARM's spelling of each type: the rules cannot tell the sources apart.
    assert_eq!(
        graph
            .inventory
            .network_security_groups
            .iter()
            .map(|n| (n.id.clone(), n.kind.clone()))
            .collect::<Vec<_>>(),
        arm.inventory
            .network_security_groups
            .iter()
            .map(|n| (n.id.clone(), n.kind.clone()))
            .collect::<Vec<_>>()
    );
    let stats = graph.collection.as_ref().unwrap();
    let sources = &stats.sources;
    assert_eq!(sources[&ResourceKind::NetworkSecurityGroup].source, "graph");
    assert_eq!(sources[&ResourceKind::RecordSet].source, "graph");
    assert_eq!(sources[&ResourceKind::FlowLog].source, "graph");
    assert_eq!(sources[&ResourceKind::DiagnosticSetting].source, "arm");
    assert_eq!(sources[&ResourceKind::NetworkSecurityGroup].items, 9);
    // The report carries the same sources in run.requests.
    let report = crate::common::scan(&graph);
    assert_eq!(report.run.requests.as_ref().unwrap().sources, *sources);
    // No subscription-scope list of a kind Resource Graph answered.
    let gets = arm_list_paths(&server).await;
    assert!(
        !gets
            .iter()
            .any(|p| p.ends_with("/networkSecurityGroups") || p.ends_with("/flowLogs")),
        "{gets:?}"
    );
    eprintln!(
        "fixture tenant: --source arm {} requests; --source graph {} requests ({} Resource Graph queries)",
        arm_client.stats().requests,
        stats.requests,
        stats.graph_queries
    );
    assert!(stats.requests < arm_client.stats().requests);
    assert_read_only(&server).await;
}

#[tokio::test]
async fn skip_tokens_are_followed_page_by_page() {
    let mut tenant = GraphTenant::from_fixtures();
    tenant.page = 2;
    let server = graph_server(tenant).await;
    let c = client(&server);
    let snap = collect(&c, &with_source(&[CONNECTIVITY, WORKLOADS], Source::Graph)).await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_eq!(snap.inventory.network_security_groups.len(), 9);
    assert_eq!(snap.inventory.network_interfaces.len(), 9);
    let posts: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/providers/Microsoft.ResourceGraph/resources")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    let nsg: Vec<&Value> = posts
        .iter()
        .filter(|b| {
            queried_type(b["query"].as_str().unwrap()).as_deref()
                == Some("microsoft.network/networksecuritygroups")
        })
        .collect();
    // 9 NSGs, 2 per page: 5 queries, the later ones with the token of the one before.
    assert_eq!(nsg.len(), 5, "{nsg:#?}");
    assert!(nsg[0]["options"].get("$skipToken").is_none());
    assert_eq!(nsg[1]["options"]["$skipToken"], "offset-2");
    assert_eq!(nsg[4]["options"]["$skipToken"], "offset-8");
    for b in &posts {
        assert_eq!(b["options"]["$top"], 1000);
        assert!(b["query"].as_str().unwrap().contains("project id"));
        assert!(b["subscriptions"].as_array().unwrap().len() < 300);
    }
}

#[tokio::test]
async fn resource_graph_forbidden_falls_back_to_arm_for_every_kind_with_the_same_findings() {
    let subs = [CONNECTIVITY, WORKLOADS];
    let arm = collect(
        &client(&fixture_server().await),
        &with_source(&subs, Source::Arm),
    )
    .await;
    let mut tenant = GraphTenant::from_fixtures();
    tenant.fail_all = Some(403);
    let server = graph_server(tenant).await;
    let snap = collect(&client(&server), &with_source(&subs, Source::Auto)).await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_eq!(counts(&snap), counts(&arm));
    assert_eq!(scan_ids(&snap).await, scan_ids(&arm).await);
    let sources = &snap.collection.as_ref().unwrap().sources;
    for k in [
        ResourceKind::NetworkSecurityGroup,
        ResourceKind::KeyVault,
        ResourceKind::FlowLog,
        ResourceKind::VirtualNetworkLink,
        ResourceKind::RecordSet,
    ] {
        assert_eq!(sources[&k].source, "arm", "{k:?}");
        assert!(
            sources[&k]
                .fallback_from_graph
                .as_deref()
                .is_some_and(|e| e.contains("403")),
            "{k:?}: {:?}",
            sources[&k]
        );
    }
    assert_read_only(&server).await;
}

#[tokio::test]
async fn one_kind_failing_in_resource_graph_falls_back_alone() {
    let mut tenant = GraphTenant::from_fixtures();
    tenant.fail = vec![("microsoft.network/networksecuritygroups".into(), 500)];
    tenant.truncate = vec!["microsoft.network/privatednszones/virtualnetworklinks".into()];
    let server = graph_server(tenant).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto),
    )
    .await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_eq!(snap.inventory.network_security_groups.len(), 9);
    assert_eq!(snap.inventory.virtual_network_links.len(), 6);
    let sources = &snap.collection.as_ref().unwrap().sources;
    assert_eq!(sources[&ResourceKind::NetworkSecurityGroup].source, "arm");
    assert_eq!(sources[&ResourceKind::VirtualNetworkLink].source, "arm");
    assert_eq!(sources[&ResourceKind::RouteTable].source, "graph");
    assert_eq!(sources[&ResourceKind::RecordSet].source, "graph");
    let gets = arm_list_paths(&server).await;
    let nsg_lists: HashSet<&String> = gets
        .iter()
        .filter(|p| p.ends_with("/networkSecurityGroups"))
        .collect();
    assert_eq!(nsg_lists.len(), 2, "one list per subscription: {gets:?}");
    assert!(gets.iter().any(|p| p.ends_with("/virtualNetworkLinks")));
    assert!(
        !gets
            .iter()
            .any(|p| p.ends_with("/routeTables") || p.ends_with("/A")),
        "{gets:?}"
    );
}

/// The Resource Graph queries a server received, by the types each asked for.
async fn graph_queries(server: &MockServer) -> Vec<Vec<String>> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/providers/Microsoft.ResourceGraph/resources")
        .map(|r| {
            let b: Value = serde_json::from_slice(&r.body).unwrap();
            queried_types(b["query"].as_str().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn kinds_a_tenant_has_few_of_share_a_query_within_the_quota() {
    let server = graph_server(GraphTenant::from_fixtures()).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto),
    )
    .await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    let queries = graph_queries(&server).await;
    // Documented example quota: 15 queries in 5 seconds.
    assert!(queries.len() <= 10, "{queries:#?}");
    let shared = queries
        .iter()
        .find(|q| q.iter().any(|t| t == "microsoft.network/azurefirewalls"))
        .unwrap();
    assert!(
        shared.contains(&"microsoft.network/virtualnetworkgateways".to_string()),
        "{shared:?}"
    );
    let sources = &snap.collection.as_ref().unwrap().sources;
    for k in [
        ResourceKind::AzureFirewall,
        ResourceKind::VirtualNetworkGateway,
        ResourceKind::NetworkWatcher,
    ] {
        assert_eq!(sources[&k].source, "graph", "{k:?}");
    }
    // The rows of a shared query land in their own kinds, as the ARM lists give them.
    let arm = collect(
        &client(&fixture_server().await),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Arm),
    )
    .await;
    assert_eq!(
        snap.inventory.azure_firewalls.len(),
        arm.inventory.azure_firewalls.len()
    );
    assert_eq!(
        snap.inventory.network_watchers.len(),
        arm.inventory.network_watchers.len()
    );
    assert_eq!(scan_ids(&snap).await, scan_ids(&arm).await);
}

#[tokio::test]
async fn a_kind_failing_in_a_shared_query_is_asked_for_alone_and_falls_back_alone() {
    let mut tenant = GraphTenant::from_fixtures();
    tenant.fail = vec![("microsoft.network/azurefirewalls".into(), 500)];
    let server = graph_server(tenant).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto),
    )
    .await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    let sources = &snap.collection.as_ref().unwrap().sources;
    assert_eq!(sources[&ResourceKind::AzureFirewall].source, "arm");
    assert_eq!(sources[&ResourceKind::NetworkWatcher].source, "graph");
    assert_eq!(
        sources[&ResourceKind::VirtualNetworkGateway].source,
        "graph"
    );
    let queries = graph_queries(&server).await;
    // The shared query, then each of its kinds alone.
    assert!(
        queries
            .iter()
            .any(|q| q == &["microsoft.network/networkwatchers".to_string()]),
        "{queries:#?}"
    );
    assert!(!snap.inventory.azure_firewalls.is_empty());
    let gets = arm_list_paths(&server).await;
    assert!(
        gets.iter().any(|p| p.ends_with("/azureFirewalls")),
        "{gets:?}"
    );
    assert!(
        !gets.iter().any(|p| p.ends_with("/networkWatchers")),
        "{gets:?}"
    );
}

#[tokio::test]
async fn with_source_graph_a_kind_failing_in_a_shared_query_is_the_only_gap() {
    let mut tenant = GraphTenant::from_fixtures();
    tenant.fail = vec![("microsoft.network/azurefirewalls".into(), 500)];
    let server = graph_server(tenant).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Graph),
    )
    .await;
    let kinds: HashSet<ResourceKind> = snap.coverage.gaps.iter().map(|g| g.kind).collect();
    assert_eq!(
        kinds,
        HashSet::from([ResourceKind::AzureFirewall]),
        "{:#?}",
        snap.coverage.gaps
    );
    assert!(snap.inventory.azure_firewalls.is_empty());
    assert!(!snap.inventory.network_watchers.is_empty());
    assert!(!snap.inventory.virtual_network_gateways.is_empty());
    // Nothing is read from ARM lists with `--source graph`.
    let gets = arm_list_paths(&server).await;
    assert!(
        !gets.iter().any(|p| p.ends_with("/azureFirewalls")),
        "{gets:?}"
    );
}

#[tokio::test]
async fn an_answer_limited_to_the_first_10000_subscriptions_is_read_from_arm_lists_instead() {
    let mut tenant = GraphTenant::from_fixtures();
    tenant.limit_hit = vec!["microsoft.network/routetables".into()];
    let server = graph_server(tenant).await;
    let scope = with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto);
    let snap = collect(&client(&server), &scope).await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    let sources = &snap.collection.as_ref().unwrap().sources;
    let rt = &sources[&ResourceKind::RouteTable];
    assert_eq!(rt.source, "arm");
    assert!(
        rt.fallback_from_graph
            .as_deref()
            .is_some_and(|e| e.contains("x-ms-tenant-subscription-limit-hit")),
        "{rt:?}"
    );
    assert_eq!(sources[&ResourceKind::NetworkSecurityGroup].source, "graph");
    let arm = collect(
        &client(&fixture_server().await),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Arm),
    )
    .await;
    assert_eq!(
        snap.inventory.route_tables.len(),
        arm.inventory.route_tables.len()
    );
    assert!(!snap.inventory.route_tables.is_empty());

    // Forced to Resource Graph, the limited answer is not taken as the whole kind.
    let mut tenant = GraphTenant::from_fixtures();
    tenant.limit_hit = vec!["microsoft.network/routetables".into()];
    let server = graph_server(tenant).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Graph),
    )
    .await;
    assert!(snap.inventory.route_tables.is_empty());
    let gaps: Vec<_> = snap.coverage.gaps.iter().map(|g| g.kind).collect();
    assert_eq!(
        gaps,
        [ResourceKind::RouteTable, ResourceKind::RouteTable],
        "{:#?}",
        snap.coverage.gaps
    );
}

#[tokio::test]
async fn vault_diagnostic_settings_are_read_while_later_pages_of_vaults_are_still_coming() {
    const VAULTS: &str = "microsoft.keyvault/vaults";
    let mut tenant = GraphTenant::from_fixtures();
    let vaults = tenant.rows[VAULTS].len();
    assert!(vaults >= 3, "{vaults} vaults");
    tenant.slow = Some((VAULTS.into(), 1, std::time::Duration::from_millis(300)));
    let server = graph_server(tenant).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto),
    )
    .await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_eq!(snap.inventory.key_vaults.len(), vaults);
    assert_eq!(snap.inventory.diagnostic_settings.len(), 3);
    let sources = &snap.collection.as_ref().unwrap().sources;
    assert_eq!(sources[&ResourceKind::KeyVault].source, "graph");

    // Requests in the order they arrived: the first read of a vault's settings (a batch or a
    // direct GET) left before the last page of vaults was even asked for.
    let requests = server.received_requests().await.unwrap();
    let body = |r: &wiremock::Request| String::from_utf8_lossy(&r.body).to_ascii_lowercase();
    let vault_pages: Vec<usize> = requests
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.url.path() == "/providers/Microsoft.ResourceGraph/resources"
                && body(r).contains(VAULTS)
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(vault_pages.len(), vaults, "one vault a page");
    let first_settings = requests
        .iter()
        .position(|r| {
            let p = r.url.path().to_ascii_lowercase();
            p.ends_with("/providers/microsoft.insights/diagnosticsettings")
                || p == "/batch" && body(r).contains("diagnosticsettings")
        })
        .expect("the vaults' settings were read");
    assert!(
        vault_pages[0] < first_settings && first_settings < *vault_pages.last().unwrap(),
        "settings first read at request {first_settings}, vault pages at {vault_pages:?}"
    );
}

#[tokio::test]
async fn service_tags_are_read_while_a_slow_kind_is_still_coming() {
    const NSGS: &str = "microsoft.network/networksecuritygroups";
    let mut tenant = GraphTenant::from_fixtures();
    let nsgs = tenant.rows[NSGS].len();
    assert!(nsgs >= 2, "{nsgs} NSGs");
    tenant.slow = Some((NSGS.into(), 1, std::time::Duration::from_millis(300)));
    let server = graph_server(tenant).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto),
    )
    .await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_eq!(snap.inventory.network_security_groups.len(), nsgs);
    assert_eq!(snap.inventory.service_tags.len(), 1);

    // The VNets of the first subscription name the location, so the tags need not wait for the
    // NSGs: their list was asked for before the last page of NSGs.
    let requests = server.received_requests().await.unwrap();
    let body = |r: &wiremock::Request| String::from_utf8_lossy(&r.body).to_ascii_lowercase();
    let nsg_pages: Vec<usize> = requests
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.url.path() == "/providers/Microsoft.ResourceGraph/resources" && body(r).contains(NSGS)
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(nsg_pages.len(), nsgs, "one NSG a page");
    let tags = requests
        .iter()
        .position(|r| r.url.path().ends_with("/serviceTags"))
        .expect("the service tags were read");
    assert!(
        tags < *nsg_pages.last().unwrap(),
        "tags read at request {tags}, NSG pages at {nsg_pages:?}"
    );
}

#[tokio::test]
async fn forced_graph_turns_a_failing_kind_into_gaps() {
    let mut tenant = GraphTenant::from_fixtures();
    tenant.fail = vec![("microsoft.network/routetables".into(), 403)];
    let server = graph_server(tenant).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Graph),
    )
    .await;
    let gaps: Vec<_> = snap
        .coverage
        .gaps
        .iter()
        .map(|g| (g.kind, g.subscription_id.clone(), g.http_status))
        .collect();
    assert_eq!(
        gaps,
        vec![
            (
                ResourceKind::RouteTable,
                Some(CONNECTIVITY.into()),
                Some(403)
            ),
            (ResourceKind::RouteTable, Some(WORKLOADS.into()), Some(403)),
        ]
    );
    assert!(
        !arm_list_paths(&server)
            .await
            .iter()
            .any(|p| p.ends_with("/routeTables"))
    );
}

#[tokio::test]
async fn a_subscription_resource_graph_is_silent_about_must_prove_itself_readable() {
    let server = graph_server(GraphTenant::from_fixtures()).await;
    // MANAGEMENT's provider registrations are forbidden: Resource Graph returns nothing for it,
    // which must not read as an empty subscription.
    Mock::given(method("GET"))
        .and(path(format!("/subscriptions/{MANAGEMENT}/providers")))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"error": {"code": "AuthorizationFailed", "message": "no access"}}),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, MANAGEMENT], Source::Auto),
    )
    .await;
    let sub_gap = snap
        .coverage
        .gaps
        .iter()
        .find(|g| g.kind == ResourceKind::Subscription && g.http_status.is_some())
        .unwrap_or_else(|| panic!("a subscription gap: {:#?}", snap.coverage.gaps));
    assert_eq!(sub_gap.subscription_id.as_deref(), Some(MANAGEMENT));
    assert_eq!(sub_gap.http_status, Some(403), "{:#?}", snap.coverage.gaps);
    assert_eq!(sub_gap.code.as_deref(), Some("AuthorizationFailed"));
    for kind in [ResourceKind::KeyVault, ResourceKind::FlowLog] {
        assert!(sub_gap.touches_kind(kind));
    }
    assert!(
        !snap
            .coverage
            .gaps
            .iter()
            .any(|g| g.subscription_id.as_deref() == Some(CONNECTIVITY))
    );
}

/// Resource Graph answering with a remaining quota of 1: the next query waits for the reset.
#[tokio::test(start_paused = true)]
async fn a_nearly_spent_quota_delays_the_next_query_until_it_resets() {
    let arm = Scripted::new(|_, i| {
        let remaining = if i == 0 { "1" } else { "10" };
        Reply::ok(json!({"totalRecords": 0, "count": 0, "resultTruncated": "false", "data": []}))
            .header("x-ms-user-quota-remaining", remaining)
            .header("x-ms-user-quota-resets-after", "00:00:07")
    });
    let c = arm.client(scripted_settings());
    let body = json!({"subscriptions": [CONNECTIVITY], "query": "resources | project id"});
    c.query_graph(&body).await.unwrap();
    c.query_graph(&body).await.unwrap();
    c.query_graph(&body).await.unwrap();
    let sent = arm.sent();
    assert_eq!(sent.len(), 3);
    let gap = sent[1].at - sent[0].at;
    assert!(
        gap >= Duration::from_secs(7) && gap < Duration::from_secs(8),
        "{gap:?}"
    );
    // With quota to spare the next one goes at once.
    assert!(sent[2].at - sent[1].at < Duration::from_millis(100));
    assert!(c.stats().graph_quota_wait_ms >= 7000);
    assert_eq!(c.stats().graph_queries, 3);
}

#[tokio::test]
async fn the_default_source_is_resource_graph_with_fallback() {
    assert_eq!(LiveScope::default().source, Source::Auto);
}

#[tokio::test]
async fn a_management_group_scans_its_subscriptions_at_any_depth() {
    let server = graph_server(GraphTenant::from_fixtures()).await;
    Mock::given(method("GET"))
        .and(path(
            "/providers/Microsoft.Management/managementGroups/mg-contoso/descendants",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": "/providers/Microsoft.Management/managementGroups/mg-platform", "type": "Microsoft.Management/managementGroups", "name": "mg-platform"},
            {"id": format!("/subscriptions/{CONNECTIVITY}"), "type": "Microsoft.Management/managementGroups/subscriptions", "name": CONNECTIVITY},
            {"id": format!("/subscriptions/{WORKLOADS}"), "type": "/subscriptions", "name": WORKLOADS.to_uppercase()},
            {"type": "Microsoft.Management/managementGroups/subscriptions", "name": "not-a-guid"}
        ]})))
        .mount(&server)
        .await;
    let snap = collect(
        &client(&server),
        &LiveScope {
            management_group: Some("mg-contoso".into()),
            ..LiveScope::default()
        },
    )
    .await;
    assert_eq!(snap.scope.subscriptions, vec![CONNECTIVITY, WORKLOADS]);
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_eq!(snap.inventory.network_security_groups.len(), 9);

    // An unreadable group: no subscription to scan, and the gap says why.
    let snap = collect(
        &client(&server),
        &LiveScope {
            management_group: Some("mg-missing".into()),
            ..LiveScope::default()
        },
    )
    .await;
    assert!(snap.scope.subscriptions.is_empty());
    assert_eq!(snap.coverage.gaps[0].http_status, Some(404));
}

#[derive(Clone, Default)]
pub struct Captured(pub std::sync::Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `-v`: one line per kind with its source, items and time; never the token.
#[test]
fn verbose_logs_say_where_each_kind_came_from() {
    // See live_client: a second dispatcher keeps callsites first hit on other threads enabled.
    let _second = tracing::Dispatch::new(tracing_subscriber::registry());
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut tenant = GraphTenant::from_fixtures();
            tenant.fail = vec![("microsoft.keyvault/vaults".into(), 403)];
            let server = graph_server(tenant).await;
            collect(
                &client(&server),
                &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto),
            )
            .await;
        })
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = |kind: &str| {
        logs.lines()
            .find(|l| l.contains("collected") && l.contains(&format!("kind=\"{kind}\"")))
            .unwrap_or_else(|| panic!("no line for {kind}: {logs}"))
            .to_string()
    };
    let nsg = line("network security groups");
    assert!(
        nsg.contains("source=\"graph\"") && nsg.contains("items=9") && nsg.contains("ms="),
        "{nsg}"
    );
    let kv = line("key vaults");
    assert!(
        kv.contains("source=\"arm\"") && kv.contains("items=5"),
        "{kv}"
    );
    assert!(!logs.contains(TOKEN));
}

#[tokio::test]
async fn a_row_that_does_not_parse_is_a_gap_of_its_own_subscription() {
    let mut tenant = GraphTenant::from_fixtures();
    let nsgs = tenant
        .rows
        .get_mut("microsoft.network/networksecuritygroups")
        .unwrap();
    let bad = nsgs
        .iter_mut()
        .find(|r| r["subscriptionId"] == WORKLOADS)
        .unwrap();
    bad["properties"] = json!("not an object");
    let bad_id = bad["id"].as_str().unwrap().to_string();
    let server = graph_server(tenant).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Graph),
    )
    .await;
    assert_eq!(snap.coverage.gaps.len(), 1, "{:#?}", snap.coverage.gaps);
    let g = &snap.coverage.gaps[0];
    assert_eq!(g.subscription_id.as_deref(), Some(WORKLOADS));
    assert_eq!(g.scope.as_deref(), Some(bad_id.as_str()));
    assert_eq!(snap.inventory.network_security_groups.len(), 8);
}
