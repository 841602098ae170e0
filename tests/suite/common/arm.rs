//! Drives the production ARM client against wiremock: the pipeline, bearer policy and retry loop are
//! the real ones; only the transport is swapped for one that sends `https://management.azure.com`
//! requests to the mock server.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use azaudit::arm::credential::StaticToken;
use azaudit::arm::{ArmClient, ArmTarget, ClientSettings};
use azaudit::azure::Cloud;
use azure_core::http::{AsyncRawResponse, HttpClient, Request, Url};
use wiremock::MockServer;

pub const TOKEN: &str = "test-bearer-token";

#[derive(Debug)]
pub struct RewriteToMock {
    mock: Url,
    inner: reqwest::Client,
    host: String,
}

impl RewriteToMock {
    /// Sends requests for `host` (over https) to the mock server instead.
    pub fn new(server: &MockServer, host: &str) -> Self {
        RewriteToMock {
            mock: Url::parse(&server.uri()).unwrap(),
            inner: {
                azaudit::arm::tls::install();
                reqwest::Client::new()
            },
            host: host.to_string(),
        }
    }
}

#[async_trait::async_trait]
impl HttpClient for RewriteToMock {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let mut r = request.clone();
        let url = r.url_mut();
        if url.host_str() == Some(self.host.as_str()) {
            url.set_scheme(self.mock.scheme()).unwrap();
            url.set_host(self.mock.host_str()).unwrap();
            url.set_port(self.mock.port()).unwrap();
        }
        self.inner.execute_request(&r).await
    }
}

pub fn settings(server: &MockServer) -> ClientSettings {
    ClientSettings {
        transport: Some(Arc::new(RewriteToMock::new(server, "management.azure.com"))),
        base_backoff: Duration::from_millis(10),
        max_wait: Duration::from_secs(5),
        request_timeout: Duration::from_secs(30),
        ..ClientSettings::default()
    }
}

pub fn client_with(server: &MockServer, settings: ClientSettings) -> ArmClient {
    let _ = server;
    ArmClient::new(
        ArmTarget::for_cloud(Cloud::Public),
        StaticToken::new(TOKEN.into()),
        settings,
    )
}

pub fn client(server: &MockServer) -> ArmClient {
    client_with(server, settings(server))
}

/// Every request the mock received was a GET, or a POST to Resource Graph or `/batch`, carrying
/// the api-version and the bearer token.
pub async fn assert_polite(server: &MockServer) {
    let requests = server.received_requests().await.unwrap();
    assert!(!requests.is_empty());
    for r in requests {
        let read_only_post = r.method.as_str() == "POST"
            && matches!(
                r.url.path(),
                "/providers/Microsoft.ResourceGraph/resources" | "/batch"
            );
        assert!(
            r.method.as_str() == "GET" || read_only_post,
            "{} {}",
            r.method,
            r.url
        );
        assert!(
            r.url
                .query_pairs()
                .any(|(k, v)| k == "api-version" && !v.is_empty()),
            "no api-version: {}",
            r.url
        );
        let auth = r
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(auth.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    }
}

/// One request as the transport saw it.
#[derive(Debug, Clone)]
pub struct Sent {
    /// When it left (tokio time: virtual under `start_paused`).
    pub at: tokio::time::Instant,
    pub url: Url,
    pub status: u16,
}

type Script = dyn Fn(&Request, usize) -> Reply + Send + Sync;

/// What a scripted ARM answers: status, headers, body, and how long it takes.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub fn ok(body: serde_json::Value) -> Self {
        Reply::new(200, body.to_string())
    }
    pub fn throttled(retry_after_header: &'static str, value: &str) -> Self {
        Reply::new(
            429,
            r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#,
        )
        .header(retry_after_header, value)
    }
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// An in-process ARM: no socket, so the production client runs under paused tokio time and
/// waits can be asserted exactly. Counts requests in flight, per subscription and overall.
pub struct Scripted {
    script: Box<Script>,
    sent: std::sync::Mutex<Vec<Sent>>,
    in_flight: std::sync::Mutex<(usize, std::collections::HashMap<String, usize>)>,
    max_in_flight: std::sync::Mutex<(usize, std::collections::HashMap<String, usize>)>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripted")
    }
}

/// The subscription a request is for, from its path.
pub fn subscription_in(url: &Url) -> Option<String> {
    let mut parts = url.path().split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("subscriptions") {
            return parts.next().map(str::to_ascii_lowercase);
        }
    }
    None
}

impl Scripted {
    /// `script(request, index)` answers the `index`-th request (0-based).
    pub fn new(script: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Scripted {
            script: Box::new(script),
            sent: Default::default(),
            in_flight: Default::default(),
            max_in_flight: Default::default(),
        })
    }
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }
    /// The most requests that were in flight at once: overall, and for `subscription`.
    pub fn max_in_flight(&self, subscription: Option<&str>) -> usize {
        let m = self.max_in_flight.lock().unwrap();
        match subscription {
            None => m.0,
            Some(s) => m.1.get(s).copied().unwrap_or(0),
        }
    }
    pub fn client(self: &Arc<Self>, settings: ClientSettings) -> ArmClient {
        self.client_using(StaticToken::new(TOKEN.into()), settings)
    }
    pub fn client_using(
        self: &Arc<Self>,
        credential: Arc<dyn azure_core::credentials::TokenCredential>,
        settings: ClientSettings,
    ) -> ArmClient {
        ArmClient::new(
            ArmTarget::for_cloud(Cloud::Public),
            credential,
            ClientSettings {
                transport: Some(self.clone()),
                ..settings
            },
        )
    }
}

/// Client settings for scripted tests: fast back-off, a 60 s cap, a 300 s deadline.
pub fn scripted_settings() -> ClientSettings {
    ClientSettings {
        base_backoff: Duration::from_millis(10),
        max_wait: Duration::from_secs(60),
        request_timeout: Duration::from_secs(300),
        ..ClientSettings::default()
    }
}

#[async_trait::async_trait]
impl HttpClient for Scripted {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let at = tokio::time::Instant::now();
        let sub = subscription_in(request.url()).unwrap_or_default();
        let index = {
            let mut sent = self.sent.lock().unwrap();
            sent.push(Sent {
                at,
                url: request.url().clone(),
                status: 0,
            });
            sent.len() - 1
        };
        {
            let mut f = self.in_flight.lock().unwrap();
            f.0 += 1;
            *f.1.entry(sub.clone()).or_default() += 1;
            let mut m = self.max_in_flight.lock().unwrap();
            m.0 = m.0.max(f.0);
            let per = m.1.entry(sub.clone()).or_default();
            *per = (*per).max(f.1[&sub]);
        }
        let reply = (self.script)(request, index);
        tokio::time::sleep(reply.delay).await;
        {
            let mut f = self.in_flight.lock().unwrap();
            f.0 -= 1;
            *f.1.get_mut(&sub).unwrap() -= 1;
        }
        self.sent.lock().unwrap()[index].status = reply.status;
        let mut headers = azure_core::http::headers::Headers::new();
        headers.insert("content-type", "application/json");
        for (k, v) in reply.headers {
            headers.insert(k, v);
        }
        Ok(AsyncRawResponse::from_bytes(
            azure_core::http::StatusCode::from(reply.status),
            headers,
            reply.body.into_bytes(),
        ))
    }
}

/// A credential that hands out [`TOKEN`] and records the scopes it was asked for.
#[derive(Debug, Default)]
pub struct RecordingCredential {
    pub scopes: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl azure_core::credentials::TokenCredential for RecordingCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        self.scopes
            .lock()
            .unwrap()
            .extend(scopes.iter().map(|s| s.to_string()));
        Ok(azure_core::credentials::AccessToken::new(
            azure_core::credentials::Secret::new(TOKEN),
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}
