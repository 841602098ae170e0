//! Drives the production ARM client against wiremock: the pipeline, bearer policy and retry loop are
//! the real ones; only the transport is swapped for one that sends `https://management.azure.com`
//! requests to the mock server.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use azaudit::arm::credential::StaticToken;
use azaudit::arm::{ArmClient, ArmTarget, ClientSettings};
use azaudit::policy::Cloud;
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
            inner: reqwest::Client::new(),
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

/// Every request the mock received was a GET carrying the api-version and the bearer token.
pub async fn assert_polite(server: &MockServer) {
    let requests = server.received_requests().await.unwrap();
    assert!(!requests.is_empty());
    for r in requests {
        assert_eq!(r.method.as_str(), "GET", "{} {}", r.method, r.url);
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
