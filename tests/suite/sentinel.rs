//! Sentinel push through the Logs Ingestion API, against wiremock.

use crate::common::arm::{RecordingCredential, Reply, RewriteToMock, Scripted, TOKEN};

use std::sync::Arc;
use std::time::Duration;

use azaudit::arm::credential::StaticToken;
use azaudit::azure::Cloud;
use azaudit::report::sentinel::{SentinelClient, SentinelTarget};
use serde_json::Value;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HOST: &str = "dce-contoso.westeurope-1.ingest.monitor.azure.com";
const PATH: &str =
    "/dataCollectionRules/dcr-00000000000000000000000000000000/streams/Custom-Azaudit_CL";

fn client(server: &MockServer) -> SentinelClient {
    client_for(
        Cloud::Public,
        StaticToken::new(TOKEN.into()),
        Arc::new(RewriteToMock::new(server, HOST)),
    )
}

fn client_for(
    cloud: Cloud,
    credential: Arc<dyn azure_core::credentials::TokenCredential>,
    transport: Arc<dyn azure_core::http::HttpClient>,
) -> SentinelClient {
    let target = SentinelTarget::new(
        &format!("https://{HOST}"),
        "dcr-00000000000000000000000000000000",
        "Custom-Azaudit_CL",
    )
    .unwrap();
    SentinelClient::new(
        target,
        cloud,
        credential,
        Some(transport),
        Duration::from_secs(5),
    )
    .with_backoff(Duration::from_millis(10))
}

fn report_with(n: usize) -> azaudit::report::Report {
    let mut r = crate::common::scan(&azaudit::collect::demo::snapshot());
    let template = r.findings[0].clone();
    r.findings = (0..n)
        .map(|i| {
            let mut f = template.clone();
            f.id = format!("{i:032}");
            f.message = format!("{} {}", f.message, "x".repeat(2000));
            f
        })
        .collect();
    r
}

#[tokio::test]
async fn findings_arrive_in_batches_under_one_megabyte_with_a_monitor_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .and(query_param("api-version", "2023-01-01"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let report = report_with(1200);
    let credential = Arc::new(RecordingCredential::default());
    let stats = client_for(
        Cloud::Public,
        credential.clone(),
        Arc::new(RewriteToMock::new(&server, HOST)),
    )
    .push(&report)
    .await
    .unwrap();
    // The token is asked for the monitor audience, never ARM's (the bearer policy caches it).
    assert_eq!(
        *credential.scopes.lock().unwrap(),
        ["https://monitor.azure.com/.default"]
    );
    assert_eq!(stats.records, 1200);
    assert!(stats.batches >= 3, "{stats:?}");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), stats.batches);
    let mut seen = 0;
    for r in &requests {
        assert!(r.body.len() <= 1_000_000, "{} bytes", r.body.len());
        let records: Vec<Value> = serde_json::from_slice(&r.body).unwrap();
        for rec in &records {
            assert!(
                rec["TimeGenerated"].is_string()
                    && rec["Fingerprint"].is_string()
                    && rec["RuleCode"].is_string()
            );
        }
        seen += records.len();
    }
    assert_eq!(seen, 1200);
}

#[tokio::test(start_paused = true)]
async fn throttling_and_server_errors_are_retried() {
    let arm = Scripted::new(|_, i| match i {
        0 => Reply::throttled("retry-after", "3"),
        1 => Reply::new(503, ""),
        _ => Reply::new(204, ""),
    });
    let stats = client_for(Cloud::Public, StaticToken::new(TOKEN.into()), arm.clone())
        .push(&report_with(3))
        .await
        .unwrap();
    assert_eq!(stats.requests, 3);
    let sent = arm.sent();
    let gaps: Vec<Duration> = sent.windows(2).map(|w| w[1].at - w[0].at).collect();
    // Retry-After's 3 s, then the second back-off step from 10 ms.
    assert_eq!(gaps, [Duration::from_secs(3), Duration::from_millis(20)]);
    assert!(sent.iter().all(|s| s.url.host_str() == Some(HOST)));
}

#[tokio::test(start_paused = true)]
async fn sovereign_clouds_get_their_monitor_audience() {
    for (cloud, scope) in [
        (Cloud::Usgov, "https://monitor.azure.us/.default"),
        (Cloud::China, "https://monitor.azure.cn/.default"),
    ] {
        let arm = Scripted::new(|_, _| Reply::new(204, ""));
        let credential = Arc::new(RecordingCredential::default());
        client_for(cloud, credential.clone(), arm)
            .push(&report_with(1))
            .await
            .unwrap();
        assert_eq!(*credential.scopes.lock().unwrap(), [scope]);
    }
}

#[tokio::test]
async fn a_rejected_batch_is_an_error_with_the_service_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path(PATH))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({"error": {"code": "OperationFailed", "message": "The authentication token provided does not have access to ingest data for the data collection rule"}})))
        .expect(1).mount(&server).await;
    let err = client(&server)
        .push(&report_with(2))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP 403 OperationFailed"), "{err}");
    assert!(!err.contains(TOKEN));
}
