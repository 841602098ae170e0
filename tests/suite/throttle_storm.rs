//! A throttle storm: every subscription (and the tenant scope) behind a token bucket of 5 refilled
//! at 2 per second, answering 429 with `Retry-After` when empty. The fixture tenant must come out
//! exactly as it does unthrottled, without one request sent into a window ARM asked to be left
//! alone in.

use crate::common::arm::*;
use crate::live_collect::{CONNECTIVITY, WORKLOADS, finding_ids, fixtures, scope};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use azaudit::arm::ClientSettings;
use azaudit::collect::live::collect;
use azure_core::http::headers::HeaderName;
use azure_core::http::{AsyncRawResponse, HttpClient, Request};
use serde::Deserialize;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

const BURST: f64 = 5.0;
const REFILL_PER_SEC: f64 = 2.0;
/// A request that passed its window check an instant before another's 429 was handled may still
/// leave just after it: that is a race, not a request sent knowingly into a window. On a loaded
/// machine that race lasts tens of milliseconds; the windows are whole seconds.
const GRACE: Duration = Duration::from_millis(100);

#[derive(Deserialize)]
struct Entry {
    path: String,
    api_version: String,
    pages: Vec<String>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The fixture tenant, served page by page, optionally behind one token bucket per scope.
struct FixtureArm {
    /// (path, api-version, $skiptoken) → body.
    pages: HashMap<(String, String, Option<String>), String>,
    buckets: Option<Mutex<HashMap<String, Bucket>>>,
    /// Per scope: until when the last 429 asked the client to wait (server clock).
    windows: Mutex<HashMap<String, Instant>>,
    /// Requests that arrived inside a window the server had announced.
    arrived_in_window: Mutex<Vec<Duration>>,
}

impl FixtureArm {
    fn new(throttled: bool) -> Self {
        let manifest: Vec<Entry> = serde_json::from_str(
            &std::fs::read_to_string(fixtures().join("manifest.json")).unwrap(),
        )
        .unwrap();
        let mut pages = HashMap::new();
        for e in manifest {
            for (i, file) in e.pages.iter().enumerate() {
                let token = (i > 0).then(|| format!("page{}", i + 1));
                let body = std::fs::read_to_string(fixtures().join(file)).unwrap();
                pages.insert((e.path.clone(), e.api_version.clone(), token), body);
            }
        }
        FixtureArm {
            pages,
            buckets: throttled.then(Default::default),
            windows: Default::default(),
            arrived_in_window: Default::default(),
        }
    }

    /// A token from the scope's bucket, or how long until there is one.
    fn take(&self, scope: &str) -> Result<(), Duration> {
        let Some(buckets) = &self.buckets else {
            return Ok(());
        };
        let mut buckets = buckets.lock().unwrap();
        let now = Instant::now();
        let b = buckets.entry(scope.to_string()).or_insert(Bucket {
            tokens: BURST,
            at: now,
        });
        b.tokens = (b.tokens + (now - b.at).as_secs_f64() * REFILL_PER_SEC).min(BURST);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / REFILL_PER_SEC))
        }
    }
}

/// Lets the test read the responder's tally after mounting it.
struct Shared(Arc<FixtureArm>);

impl wiremock::Respond for Shared {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        self.0.answer(request)
    }
}

impl FixtureArm {
    fn answer(&self, request: &wiremock::Request) -> ResponseTemplate {
        let url = azure_core::http::Url::parse(request.url.as_str()).unwrap();
        let scope = subscription_in(&url).unwrap_or_else(|| "tenant".into());
        let now = Instant::now();
        if let Some(until) = self.windows.lock().unwrap().get(&scope)
            && *until > now
        {
            self.arrived_in_window.lock().unwrap().push(*until - now);
        }
        if let Err(wait) = self.take(&scope) {
            // ARM gives whole seconds.
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            self.windows
                .lock()
                .unwrap()
                .insert(scope, now + Duration::from_secs(secs));
            return ResponseTemplate::new(429)
                .insert_header("Retry-After", secs.to_string().as_str())
                .set_body_json(serde_json::json!({"error": {
                    "code": "SubscriptionRequestsThrottled",
                    "message": "Number of 'read' requests for subscription exceeded the limit."
                }}));
        }
        let query = |k: &str| {
            request
                .url
                .query_pairs()
                .find(|(q, _)| q == k)
                .map(|(_, v)| v.into_owned())
        };
        let key = (
            request.url.path().to_string(),
            query("api-version").unwrap_or_default(),
            query("$skiptoken"),
        );
        match self.pages.get(&key) {
            Some(body) => ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
            None => ResponseTemplate::new(404).set_body_json(serde_json::json!({"error": {
                "code": "NotFound", "message": "not in the fixture tenant"
            }})),
        }
    }
}

/// One exchange as the client's transport saw it.
#[derive(Debug, Clone)]
struct Exchange {
    scope: String,
    sent: Instant,
    received: Instant,
    retry_after: Option<Duration>,
}

/// Wraps the transport and records when each request left and each answer came back.
#[derive(Debug)]
struct Recorder {
    inner: RewriteToMock,
    log: Mutex<Vec<Exchange>>,
}

#[async_trait::async_trait]
impl HttpClient for Recorder {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let scope = subscription_in(request.url()).unwrap_or_else(|| "tenant".into());
        let sent = Instant::now();
        let response = self.inner.execute_request(request).await?;
        let retry_after = (u16::from(response.status()) == 429)
            .then(|| {
                response
                    .headers()
                    .get_optional_str(&HeaderName::from_static("retry-after"))
                    .and_then(|v| v.parse().ok())
                    .map(Duration::from_secs)
            })
            .flatten();
        self.log.lock().unwrap().push(Exchange {
            scope,
            sent,
            received: Instant::now(),
            retry_after,
        });
        Ok(response)
    }
}

/// Requests that left inside a window a 429 of their scope had announced at least `grace`
/// before: the client knew and sent anyway. (Within `grace` a request may have been on its way
/// already when the 429 arrived.)
fn sent_into_windows(log: &[Exchange], grace: Duration) -> usize {
    log.iter()
        .filter(|r| {
            log.iter().any(|t| {
                t.scope == r.scope
                    && t.retry_after
                        .is_some_and(|w| r.sent > t.received + grace && r.sent < t.received + w)
            })
        })
        .count()
}

struct Run {
    snapshot: azaudit::collect::Snapshot,
    stats: azaudit::inventory::RequestStats,
    wall: Duration,
    log: Vec<Exchange>,
    arrived_in_window: usize,
}

async fn run(throttled: bool) -> Run {
    let server = MockServer::start().await;
    let arm = Arc::new(FixtureArm::new(throttled));
    Mock::given(any())
        .respond_with(Shared(arm.clone()))
        .mount(&server)
        .await;
    let recorder = Arc::new(Recorder {
        inner: RewriteToMock::new(&server, "management.azure.com"),
        log: Mutex::new(Vec::new()),
    });
    let settings = ClientSettings {
        transport: Some(recorder.clone()),
        ..ClientSettings::default()
    };
    let client = client_with(&server, settings);
    let t = Instant::now();
    let snapshot = collect(&client, &scope(&[CONNECTIVITY, WORKLOADS])).await;
    let wall = t.elapsed();
    let log = recorder.log.lock().unwrap().clone();
    let arrived_in_window = arm.arrived_in_window.lock().unwrap().len();
    Run {
        snapshot,
        stats: client.stats(),
        wall,
        log,
        arrived_in_window,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttle_storm_gives_the_unthrottled_tenant_without_sending_into_a_window() {
    let calm = run(false).await;
    let storm = run(true).await;
    eprintln!(
        "unthrottled: {} requests, {} throttled, {:?}; storm (bucket {BURST} at {REFILL_PER_SEC}/s per scope): \
         {} requests, {} answered 429, {} retries, {} ms waiting on throttling, {:?} wall; \
         {} arrived at the server inside a window it had announced (already on their way when the 429 \
         left), {} sent after the client had the 429 and before its Retry-After passed ({} more than {GRACE:?} after)",
        calm.stats.requests,
        calm.stats.throttled,
        calm.wall,
        storm.stats.requests,
        storm.stats.throttled,
        storm.stats.retries,
        storm.stats.throttle_wait_ms,
        storm.wall,
        storm.arrived_in_window,
        sent_into_windows(&storm.log, Duration::ZERO),
        sent_into_windows(&storm.log, GRACE),
    );
    assert_eq!(calm.stats.throttled, 0);
    assert!(
        storm.stats.throttled > 10,
        "the storm throttled only {} requests",
        storm.stats.throttled
    );
    // Same tenant, same findings.
    assert!(
        storm.snapshot.coverage.gaps.is_empty(),
        "{:#?}",
        storm.snapshot.coverage.gaps
    );
    assert_eq!(storm.snapshot.inventory, calm.snapshot.inventory);
    let calm_ids = finding_ids(&crate::common::scan(&calm.snapshot));
    assert!(!calm_ids.is_empty());
    assert_eq!(finding_ids(&crate::common::scan(&storm.snapshot)), calm_ids);
    // Every successful read cost exactly one request more than its 429s.
    assert_eq!(
        storm.stats.requests - storm.stats.throttled,
        calm.stats.requests
    );
    // No request left while its scope's window was known to be open.
    assert_eq!(sent_into_windows(&storm.log, GRACE), 0);
}
