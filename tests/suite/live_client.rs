//! The ARM client against wiremock: paging, throttling, retries, faults, host pinning.

use crate::common::arm::*;

use std::time::{Duration, Instant};

use azaudit::arm::ArmError;
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NSGS: &str = "/subscriptions/00000000-0000-4000-8000-000000000001/providers/Microsoft.Network/networkSecurityGroups";

fn page(items: serde_json::Value, next: Option<&str>) -> ResponseTemplate {
    let mut body = json!({ "value": items });
    if let Some(n) = next {
        body["nextLink"] = json!(format!(
            "https://management.azure.com{NSGS}?api-version=2024-05-01&$skiptoken={n}"
        ));
    }
    ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::test]
async fn follows_next_links_through_an_empty_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(NSGS))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(page(json!([{"id": "a"}]), Some("p2")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(NSGS))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(page(json!([]), Some("p3")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(NSGS))
        .and(query_param("$skiptoken", "p3"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": [{"id": "b"}, {"id": "c"}], "nextLink": null})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let (items, err) = c.list(NSGS, "2024-05-01", None).await;
    assert!(err.is_none(), "{err:?}");
    let ids: Vec<_> = items.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(c.stats().requests, 3);
    assert_polite(&server).await;
}

/// Over real HTTP (the exact waits are asserted under paused time in `client_timing`).
#[tokio::test]
async fn a_429_waits_out_retry_after_before_retrying() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(NSGS))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-ms-retry-after-ms", "150")
                .set_body_json(
                    json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
                ),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(NSGS))
        .respond_with(page(json!([{"id": "a"}]), None))
        .mount(&server)
        .await;
    let c = client(&server);
    let t = Instant::now();
    let (items, err) = c.list(NSGS, "2024-05-01", None).await;
    let elapsed = t.elapsed();
    assert!(err.is_none(), "{err:?}");
    assert_eq!(items.len(), 1);
    assert!(
        elapsed >= Duration::from_millis(150),
        "retried early, after {elapsed:?}"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let s = c.stats();
    assert_eq!((s.requests, s.retries, s.throttled), (2, 1, 1));
    assert!(s.throttle_wait_ms >= 150, "{s:?}");
}

#[tokio::test]
async fn server_errors_are_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(NSGS))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(NSGS))
        .respond_with(page(json!([{"id": "a"}]), None))
        .mount(&server)
        .await;
    let c = client(&server);
    let (items, err) = c.list(NSGS, "2024-05-01", None).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(items.len(), 1);
    assert_eq!(c.stats().retries, 2);
}

#[tokio::test]
async fn retries_end_with_the_last_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(NSGS))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(
                json!({"error": {"code": "InternalServerError", "message": "boom"}}),
            ),
        )
        .mount(&server)
        .await;
    let mut s = settings(&server);
    s.max_retries = 2;
    let (_, err) = client_with(&server, s).list(NSGS, "2024-05-01", None).await;
    match err {
        Some(ArmError::Http {
            status: 500,
            code,
            attempts: 3,
            ..
        }) => assert_eq!(code.as_deref(), Some("InternalServerError")),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn forbidden_is_not_retried_and_keeps_arm_error_code() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path(NSGS))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {"code": "AuthorizationFailed", "message": "The client does not have authorization"}})))
        .expect(1).mount(&server).await;
    let (_, err) = client(&server).list(NSGS, "2024-05-01", None).await;
    let e = err.unwrap();
    assert_eq!(e.status(), Some(403));
    assert_eq!(e.code(), Some("AuthorizationFailed"));
    assert!(!e.to_string().contains(TOKEN));
}

#[tokio::test]
async fn malformed_and_truncated_json_are_errors_not_panics() {
    for (body, want) in [
        (r#"{"value": [{"id": "a"},"#, "truncated JSON"),
        ("<html>gateway</html>", "invalid JSON"),
        (r#"{"items": []}"#, "no \"value\" array"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(NSGS))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        let mut s = settings(&server);
        s.max_retries = 1;
        let (items, err) = client_with(&server, s).list(NSGS, "2024-05-01", None).await;
        assert!(items.is_empty());
        let e = err.expect("an error");
        assert!(matches!(e, ArmError::Malformed(_)), "{e:?}");
        assert!(e.to_string().contains(want), "{e}");
    }
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_and_that_host_gets_nothing() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(NSGS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"id": "a"}],
            "nextLink": format!("{}{NSGS}?api-version=2024-05-01&$skiptoken=steal", elsewhere.uri())
        })))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let c = client(&server);
    let (items, err) = c.list(NSGS, "2024-05-01", None).await;
    assert_eq!(items.len(), 1, "items read before the refusal are kept");
    assert!(matches!(err, Some(ArmError::ForeignLink(_))), "{err:?}");
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    assert_eq!(c.stats().refused_next_links, 1);
    // Also refused: the same host over http, and a look-alike host.
    for link in [
        "http://management.azure.com/x?api-version=1",
        "https://management.azure.com.evil.example/x?api-version=1",
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(NSGS))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"value": [], "nextLink": link})),
            )
            .mount(&server)
            .await;
        let (_, err) = client(&server).list(NSGS, "2024-05-01", None).await;
        assert!(
            matches!(err, Some(ArmError::ForeignLink(_))),
            "{link}: {err:?}"
        );
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_next_link_without_api_version_gets_it_added() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(NSGS))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"id": "a"}],
            "nextLink": format!("https://management.azure.com{NSGS}?$skiptoken=2")
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(NSGS))
        .and(query_param("$skiptoken", "2"))
        .and(query_param("api-version", "2024-05-01"))
        .respond_with(page(json!([{"id": "b"}]), None))
        .expect(1)
        .mount(&server)
        .await;
    let (items, err) = client(&server).list(NSGS, "2024-05-01", None).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(items.len(), 2);
    assert_polite(&server).await;
}

/// Captures everything the client logs, at every level.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_token_never_reaches_the_logs_or_errors() {
    // tracing caches each callsite's interest globally, and while a single dispatcher is
    // registered it asks the registering thread's default: a callsite first reached by a test
    // running on another thread would stay disabled here. A second live dispatcher makes every
    // registration consult all of them.
    let _second = tracing::Dispatch::new(tracing_subscriber::registry());
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let errors = tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path(NSGS))
                .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
                .up_to_n_times(1)
                .with_priority(1)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path(NSGS))
                .respond_with(ResponseTemplate::new(403).set_body_json(
                    json!({"error": {"code": "AuthorizationFailed", "message": "no"}}),
                ))
                .mount(&server)
                .await;
            let c = client(&server);
            let (_, err) = c.list(NSGS, "2024-05-01", None).await;
            vec![
                format!("{err:?}"),
                err.map(|e| e.to_string()).unwrap_or_default(),
            ]
        })
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("retrying ARM request"),
        "the client logged nothing at trace level: {logs}"
    );
    assert!(
        !logs.contains(TOKEN),
        "the bearer token appears in the logs"
    );
    // The SDK logs request headers at trace level; the Authorization header must be there, redacted.
    assert!(
        logs.to_ascii_lowercase().contains("authorization"),
        "{logs}"
    );
    for e in errors {
        assert!(
            !e.contains(TOKEN),
            "the bearer token appears in an error: {e}"
        );
    }
}
