//! A live read that read nothing is an error (exit 2), never an empty, clean report: a token ARM
//! rejects, no subscription to scan, or not one requested subscription readable.

use crate::common::arm::*;
use crate::live_collect::{CONNECTIVITY, WORKLOADS, fixture_server, scope};

use std::sync::Arc;
use std::time::Duration;

use azaudit::arm::credential::{Credential, StaticToken};
use azaudit::cli::read_live;
use azaudit::collect::live::LiveScope;
use azaudit::{Error, ExitCode};
use serde_json::json;
use wiremock::matchers::{any, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn token_credential() -> Credential {
    Credential::named(
        StaticToken::new(TOKEN.into()),
        "--auth token (AZAUDIT_ACCESS_TOKEN)",
    )
}

async fn read(
    server: &MockServer,
    settings: azaudit::arm::ClientSettings,
    scope: &LiveScope,
) -> azaudit::error::Result<azaudit::collect::Snapshot> {
    let client = client_with(server, settings);
    read_live(&client, &token_credential(), scope, Duration::from_secs(30)).await
}

fn all_subscriptions() -> LiveScope {
    LiveScope {
        all_subscriptions: true,
        ..LiveScope::default()
    }
}

#[tokio::test]
async fn a_rejected_token_is_one_credential_error_and_nothing_more_is_sent() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "code": "InvalidAuthenticationToken",
            "message": "The access token is invalid."
        }})))
        .mount(&server)
        .await;
    let err = read(
        &server,
        settings(&server),
        &scope(&[CONNECTIVITY, WORKLOADS]),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Credential(_)), "{err:?}");
    assert_eq!(err.exit_code(), ExitCode::Usage);
    assert_eq!(
        err.to_string(),
        "authentication: --auth token (AZAUDIT_ACCESS_TOKEN): ARM rejected the token: \
         HTTP 401 InvalidAuthenticationToken: The access token is invalid."
    );
    // The subscription list is read first; after its 401 nothing else is sent.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn no_readable_requested_subscription_is_an_error_naming_why() {
    let server = fixture_server().await;
    Mock::given(method("GET"))
        .and(path_regex(format!("^/subscriptions/{CONNECTIVITY}/.*")))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": "AuthorizationFailed",
            "message": "The client does not have authorization to perform action over scope"
        }})))
        .with_priority(1)
        .mount(&server)
        .await;
    let err = read(&server, settings(&server), &scope(&[CONNECTIVITY]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NothingRead(_)), "{err:?}");
    assert_eq!(err.exit_code(), ExitCode::Usage);
    assert_eq!(
        err.to_string(),
        format!(
            "nothing was read, so there is nothing to report: no requested subscription could be \
             read ({CONNECTIVITY}: HTTP 403 AuthorizationFailed: The client does not have \
             authorization to perform action over scope)"
        )
    );
    // With one readable subscription beside it, the read is a partial result, not an error.
    let snap = read(
        &server,
        settings(&server),
        &scope(&[CONNECTIVITY, WORKLOADS]),
    )
    .await
    .unwrap();
    assert!(
        snap.coverage
            .gaps
            .iter()
            .all(|g| g.subscription_id.as_deref() == Some(CONNECTIVITY)),
        "{:#?}",
        snap.coverage.gaps
    );
    assert!(!snap.inventory.virtual_networks.is_empty());
}

#[tokio::test]
async fn every_request_timing_out_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": []}))
                .set_delay(Duration::from_secs(2)),
        )
        .mount(&server)
        .await;
    let mut s = settings(&server);
    s.request_timeout = Duration::from_millis(400);
    let err = read(&server, s, &scope(&[CONNECTIVITY])).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "nothing was read, so there is nothing to report: no requested subscription could be \
             read ({CONNECTIVITY}: Timeout: no complete answer within 400 ms)"
        )
    );
}

#[tokio::test]
async fn a_truncated_subscription_list_is_an_error_for_all_subscriptions() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/subscriptions"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"value": [{"subscriptionId": "#, "application/json"),
        )
        .mount(&server)
        .await;
    let mut s = settings(&server);
    s.max_retries = 2;
    let err = read(&server, s, &all_subscriptions()).await.unwrap_err();
    assert!(matches!(err, Error::NothingRead(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "nothing was read, so there is nothing to report: the subscription list could not be \
             read: MalformedResponse: malformed response: truncated JSON"
        ),
        "{msg}"
    );
    assert!(msg.ends_with("(after 3 attempts)"), "{msg}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_identity_that_lists_no_subscription_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/subscriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .mount(&server)
        .await;
    let err = read(&server, settings(&server), &all_subscriptions())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "nothing was read, so there is nothing to report: the identity can list no enabled \
         subscription"
    );
}

#[tokio::test]
async fn an_empty_subscription_that_answered_is_a_clean_read() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/subscriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{
            "id": format!("/subscriptions/{CONNECTIVITY}"),
            "subscriptionId": CONNECTIVITY,
            "state": "Enabled"
        }]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(format!(
            "^/subscriptions/{CONNECTIVITY}/providers.*"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .mount(&server)
        .await;
    let snap = read(&server, settings(&server), &scope(&[CONNECTIVITY]))
        .await
        .unwrap();
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_eq!(snap.scope.subscriptions, vec![CONNECTIVITY.to_string()]);
    assert_eq!(snap.inventory.subscriptions.len(), 1);
    assert_eq!(
        snap.inventory
            .counts()
            .iter()
            .map(|(_, n)| n)
            .sum::<usize>(),
        1,
        "only the subscription itself"
    );
}

#[derive(Debug)]
struct Hangs;

#[async_trait::async_trait]
impl azure_core::credentials::TokenCredential for Hangs {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_hung_first_token_request_ends_at_the_request_timeout() {
    let arm = Scripted::new(|_, _| Reply::ok(json!({"value": []})));
    let credential = Credential::named(Arc::new(Hangs), "--auth cli (Azure CLI)");
    let client = arm.client_using(credential.token.clone(), scripted_settings());
    let t = tokio::time::Instant::now();
    let err = read_live(
        &client,
        &credential,
        &scope(&[CONNECTIVITY]),
        Duration::from_secs(120),
    )
    .await
    .unwrap_err();
    assert_eq!(t.elapsed(), Duration::from_secs(120));
    assert_eq!(
        err.to_string(),
        "authentication: --auth cli (Azure CLI): no token within 120 s (--request-timeout)"
    );
    assert!(arm.sent().is_empty(), "no ARM request without a token");
}

/// Gives one token (the up-front check), then fails like an expired sign-in.
#[derive(Debug, Default)]
struct ExpiresAfterFirst(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl azure_core::credentials::TokenCredential for ExpiresAfterFirst {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        if self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            return StaticToken::new(TOKEN.into())
                .get_token(scopes, options)
                .await;
        }
        Err(azure_core::Error::with_message(
            azure_core::error::ErrorKind::Credential,
            "AADSTS700082: The refresh token has expired",
        ))
    }
}

#[tokio::test]
async fn a_credential_that_stops_giving_tokens_ends_the_read_with_its_reason() {
    let arm = Scripted::new(|_, _| Reply::ok(json!({"value": []})));
    let credential = Credential::named(
        Arc::new(ExpiresAfterFirst::default()),
        "--auth cli (Azure CLI)",
    );
    let client = arm.client_using(credential.token.clone(), scripted_settings());
    let err = read_live(
        &client,
        &credential,
        &scope(&[CONNECTIVITY]),
        Duration::from_secs(30),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Credential(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("authentication: --auth cli (Azure CLI): authentication failed: "),
        "{msg}"
    );
    assert!(msg.contains("AADSTS700082"), "{msg}");
    assert!(arm.sent().is_empty(), "no request went out without a token");
}
