//! ARM batch (`POST /batch`): per-resource reads grouped 20 to a call, inner statuses becoming the
//! records a direct GET would give, inner 429s retried alone, and direct GETs when ARM has no batch.

use crate::common::arm::*;
use crate::live_collect::{CONNECTIVITY, WORKLOADS, finding_ids, fixture_server, fixtures, scope};
use crate::live_graph::{GraphTenant, graph_server};

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use azaudit::collect::live::{LiveScope, Source, collect};
use azaudit::inventory::ResourceKind;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// An inner answer: status, headers, content (as JSON text, so that it can be malformed).
#[derive(Clone)]
pub struct Inner {
    status: u16,
    headers: Value,
    content: String,
}

/// Answers batches from the fixture tenant's first pages, with scripted answers for some paths
/// (the n-th time a path is asked for gets the n-th answer; the last one repeats).
pub struct FixtureBatch {
    pages: HashMap<(String, String), String>,
    scripted: Vec<(String, Vec<Inner>)>,
    asked: Mutex<HashMap<String, usize>>,
    /// Every inner request seen: (method, relative URL).
    pub seen: std::sync::Arc<Mutex<Vec<(String, String)>>>,
}

impl FixtureBatch {
    pub fn new() -> Self {
        #[derive(serde::Deserialize)]
        struct Entry {
            path: String,
            api_version: String,
            pages: Vec<String>,
        }
        let manifest: Vec<Entry> = serde_json::from_str(
            &std::fs::read_to_string(fixtures().join("manifest.json")).unwrap(),
        )
        .unwrap();
        let pages = manifest
            .into_iter()
            .map(|e| {
                let body = std::fs::read_to_string(fixtures().join(&e.pages[0])).unwrap();
                ((e.path.to_ascii_lowercase(), e.api_version), body)
            })
            .collect();
        FixtureBatch {
            pages,
            scripted: Vec::new(),
            asked: Mutex::new(HashMap::new()),
            seen: Default::default(),
        }
    }
    fn script(mut self, path_suffix: &str, answers: Vec<Inner>) -> Self {
        self.scripted
            .push((path_suffix.to_ascii_lowercase(), answers));
        self
    }
}

fn inner(status: u16, content: &str) -> Inner {
    Inner {
        status,
        headers: json!({}),
        content: content.to_string(),
    }
}

impl Respond for FixtureBatch {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let requests = body["requests"].as_array().unwrap();
        assert!(requests.len() <= 20, "{} inner requests", requests.len());
        let mut responses = Vec::new();
        for r in requests {
            let m = r["httpMethod"].as_str().unwrap().to_string();
            let rel = r["relativeUrl"].as_str().unwrap().to_string();
            self.seen.lock().unwrap().push((m, rel.clone()));
            let url = azure_core::http::Url::parse(&format!("https://x{rel}")).unwrap();
            let p = url.path().to_ascii_lowercase();
            let api = url
                .query_pairs()
                .find(|(k, _)| k == "api-version")
                .map(|(_, v)| v.to_string())
                .unwrap_or_default();
            let answer = if let Some((key, answers)) =
                self.scripted.iter().find(|(s, _)| p.ends_with(s.as_str()))
            {
                let mut asked = self.asked.lock().unwrap();
                let n = asked.entry(key.clone()).or_default();
                let a = answers[(*n).min(answers.len() - 1)].clone();
                *n += 1;
                a
            } else {
                match self.pages.get(&(p, api)) {
                    Some(body) => inner(200, body),
                    None => inner(
                        404,
                        r#"{"error":{"code":"NotFound","message":"no such thing"}}"#,
                    ),
                }
            };
            let content: Value = serde_json::from_str(&answer.content)
                .unwrap_or_else(|_| Value::String(answer.content.clone()));
            responses.push(json!({
                "name": r["name"],
                "httpStatusCode": answer.status,
                "headers": answer.headers,
                "content": content,
            }));
        }
        ResponseTemplate::new(200).set_body_json(json!({ "responses": responses }))
    }
}

async fn mount_batch(server: &MockServer, batch: FixtureBatch) {
    Mock::given(method("POST"))
        .and(path("/batch"))
        .respond_with(batch)
        .with_priority(1)
        .mount(server)
        .await;
}

fn with_source(subs: &[&str], source: Source) -> LiveScope {
    LiveScope {
        source,
        ..scope(subs)
    }
}

#[tokio::test]
async fn graph_and_batch_read_the_fixture_tenant_with_the_findings_of_direct_reads() {
    let subs = [CONNECTIVITY, WORKLOADS];
    let arm_server = fixture_server().await;
    let arm_client = client_with(
        &arm_server,
        azaudit::arm::ClientSettings {
            use_batch: false,
            ..settings(&arm_server)
        },
    );
    let arm = collect(&arm_client, &with_source(&subs, Source::Arm)).await;
    assert!(arm.coverage.gaps.is_empty(), "{:#?}", arm.coverage.gaps);

    let server = graph_server(GraphTenant::from_fixtures()).await;
    let batch = FixtureBatch::new();
    let seen = batch.seen.clone();
    mount_batch(&server, batch).await;
    let c = client(&server);
    let snap = collect(&c, &with_source(&subs, Source::Auto)).await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_eq!(
        finding_ids(&crate::common::scan(&snap)),
        finding_ids(&crate::common::scan(&arm))
    );
    assert_eq!(snap.inventory, arm.inventory);
    let stats = snap.collection.clone().unwrap();
    assert_eq!(
        stats.sources[&ResourceKind::DiagnosticSetting].source,
        "batch"
    );
    assert_eq!(
        stats.sources[&ResourceKind::ResourceProvider].source,
        "batch"
    );
    assert!(stats.batch_calls >= 1);
    let inner = seen.lock().unwrap().clone();
    assert!(inner.iter().all(|(m, _)| m == "GET"), "{inner:?}");
    assert_eq!(stats.batch_inner_requests as usize, inner.len());
    // No direct GET of what went through the batch.
    let direct: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "GET")
        .map(|r| r.url.path().to_string())
        .collect();
    assert!(
        !direct.iter().any(|p| p.ends_with("/diagnosticSettings")
            || p.ends_with(&format!("{CONNECTIVITY}/providers"))
            || p.ends_with(&format!("{WORKLOADS}/providers"))),
        "{direct:?}"
    );
    eprintln!(
        "fixture tenant: --source arm without batch {} requests; --source auto with batch {} requests ({} Resource Graph queries, {} batch calls with {} inner requests)",
        arm_client.stats().requests,
        stats.requests,
        stats.graph_queries,
        stats.batch_calls,
        stats.batch_inner_requests
    );
    assert_polite(&server).await;
}

#[tokio::test]
async fn inner_statuses_become_what_direct_gets_would_give() {
    let server = graph_server(GraphTenant::from_fixtures()).await;
    let throttled = Inner {
        status: 429,
        headers: json!({"Retry-After": "1"}),
        content: r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#.into(),
    };
    let fixture_diag = std::fs::read_to_string(
        fixtures().join("2222/vaults/kv-app-contoso.diagnostic-settings.p1.json"),
    )
    .unwrap();
    let batch = FixtureBatch::new()
        // 403 and 404 on two vaults' diagnostic settings.
        .script(
            "/vaults/kv-data-contoso/providers/microsoft.insights/diagnosticsettings",
            vec![inner(
                403,
                r#"{"error":{"code":"AuthorizationFailed","message":"no diagnostic settings for you"}}"#,
            )],
        )
        .script(
            "/vaults/kv-ops-contoso/providers/microsoft.insights/diagnosticsettings",
            vec![inner(
                404,
                r#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
            )],
        )
        // Throttled once, then answered.
        .script(
            "/vaults/kv-app-contoso/providers/microsoft.insights/diagnosticsettings",
            vec![throttled, inner(200, &fixture_diag)],
        )
        // Content that is not JSON.
        .script(
            "/vaults/kv-legacy-contoso/providers/microsoft.insights/diagnosticsettings",
            vec![inner(200, "<html>oops")],
        );
    let seen = batch.seen.clone();
    mount_batch(&server, batch).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto),
    )
    .await;
    let mut gaps: Vec<_> = snap
        .coverage
        .gaps
        .iter()
        .map(|g| {
            (
                g.kind,
                g.scope
                    .as_deref()
                    .unwrap()
                    .split('/')
                    .nth(8)
                    .unwrap()
                    .to_string(),
                g.http_status,
                g.code.clone(),
            )
        })
        .collect();
    gaps.sort();
    assert_eq!(
        gaps,
        vec![
            (
                ResourceKind::DiagnosticSetting,
                "kv-data-contoso".into(),
                Some(403),
                Some("AuthorizationFailed".into())
            ),
            (
                ResourceKind::DiagnosticSetting,
                "kv-legacy-contoso".into(),
                None,
                Some("MalformedResponse".into())
            ),
            (
                ResourceKind::DiagnosticSetting,
                "kv-ops-contoso".into(),
                Some(404),
                Some("ResourceNotFound".into())
            ),
        ],
        "{:#?}",
        snap.coverage.gaps
    );
    // The throttled one was asked again, alone.
    let inner = seen.lock().unwrap().clone();
    let data: Vec<_> = inner
        .iter()
        .filter(|(_, u)| u.contains("kv-app-contoso/providers/Microsoft.Insights"))
        .collect();
    assert_eq!(data.len(), 2, "{inner:?}");
    assert!(
        snap.inventory
            .diagnostic_settings
            .iter()
            .any(|d| d.id.contains("kv-app-contoso"))
    );
    let stats = snap.collection.unwrap();
    assert!(stats.throttled >= 1);
    assert!(stats.batch_calls >= 2);
}

#[tokio::test]
async fn without_a_batch_endpoint_the_run_reads_with_direct_gets() {
    // The fixture server has no /batch: ARM answers 404.
    let server = graph_server(GraphTenant::from_fixtures()).await;
    let c = client(&server);
    let snap = collect(&c, &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto)).await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_eq!(snap.inventory.diagnostic_settings.len(), 3);
    let posts = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/batch")
        .count();
    // Only calls already in flight when the first 404 came back (registrations, diagnostic
    // settings, Resource Guard mappings, vault settings start together).
    assert!((1..=4).contains(&posts), "{posts} batch calls");
    // The refusal holds for the rest of the run: reading again sends no batch at all.
    let again = collect(&c, &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto)).await;
    assert!(again.coverage.gaps.is_empty(), "{:#?}", again.coverage.gaps);
    let posts_after = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/batch")
        .count();
    assert_eq!(posts_after, posts);
    let stats = again.collection.clone().unwrap();
    assert_eq!(
        stats.sources[&ResourceKind::DiagnosticSetting].source,
        "arm"
    );
    assert_eq!(again.inventory, snap.inventory);
}

#[tokio::test]
async fn a_405_batch_answer_also_means_direct_gets() {
    let server = graph_server(GraphTenant::from_fixtures()).await;
    Mock::given(method("POST"))
        .and(path("/batch"))
        .respond_with(ResponseTemplate::new(405))
        .with_priority(1)
        .mount(&server)
        .await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto),
    )
    .await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_eq!(snap.inventory.resource_providers.len(), 12);
    let _ = Duration::ZERO;
}

#[tokio::test]
async fn an_inner_409_is_the_record_a_direct_409_gives() {
    let unregistered = r#"{"error":{"code":"MissingSubscriptionRegistration","message":"The subscription is not registered to use namespace 'microsoft.insights'."}}"#;
    let vault = "/vaults/kv-data-contoso/providers/microsoft.insights/diagnosticsettings";
    let gaps_of = |snap: &azaudit::collect::Snapshot| -> Vec<Value> {
        snap.coverage
            .gaps
            .iter()
            .map(|g| serde_json::to_value(g).unwrap())
            .collect()
    };

    let server = graph_server(GraphTenant::from_fixtures()).await;
    let batch = FixtureBatch::new().script(vault, vec![inner(409, unregistered)]);
    let seen = batch.seen.clone();
    mount_batch(&server, batch).await;
    let batched = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto),
    )
    .await;
    assert!(
        seen.lock().unwrap().iter().any(|(_, u)| u
            .to_ascii_lowercase()
            .contains("kv-data-contoso/providers/microsoft.insights")),
        "the settings were read through the batch"
    );

    // The same answer to a direct GET, with no batch endpoint.
    let server = graph_server(GraphTenant::from_fixtures()).await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(format!("(?i){vault}$")))
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_raw(unregistered.as_bytes().to_vec(), "application/json"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let direct = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto),
    )
    .await;

    let gaps = gaps_of(&batched);
    assert_eq!(gaps, gaps_of(&direct));
    assert_eq!(gaps.len(), 1, "{gaps:#?}");
    assert_eq!(gaps[0]["kind"], "diagnostic_setting", "{gaps:#?}");
    assert_eq!(gaps[0]["http_status"], 409);
    assert_eq!(gaps[0]["code"], "MissingSubscriptionRegistration");
    assert!(
        gaps[0]["scope"]
            .as_str()
            .unwrap()
            .contains("kv-data-contoso")
    );
    let settings = |s: &azaudit::collect::Snapshot| -> Vec<String> {
        s.inventory
            .diagnostic_settings
            .iter()
            .map(|d| d.id.to_ascii_lowercase())
            .collect()
    };
    assert_eq!(settings(&batched), settings(&direct));
    assert!(
        !settings(&batched)
            .iter()
            .any(|d| d.contains("kv-data-contoso"))
    );
}
