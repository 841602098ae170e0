//! The ARM client: GET only, over azure_core's `Pipeline` (bearer token cache, request ids, user
//! agent), with azaudit's own retry loop so that every wait is capped and every request has a
//! deadline; bounded concurrency globally and per subscription; `nextLink` paging pinned to the
//! configured ARM origin; counters for the run metadata.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use azure_core::http::headers::HeaderName;
use azure_core::http::policies::Policy;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{
    ClientOptions, Context, HttpClient, Method, Pipeline, PipelineSendOptions, RawResponse,
    Request, RetryOptions, Transport, Url,
};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::cloud::ArmTarget;

/// Limits and timings of the client.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Direct GETs in flight across the whole scan.
    pub max_concurrency: usize,
    /// Resource Graph queries in flight, beside the direct GETs (its quota is per user and is
    /// paced by its own headers).
    pub max_graph_queries: usize,
    /// ARM batch calls in flight, beside the direct GETs; each carries up to 20 GETs.
    pub max_batch_calls: usize,
    /// Requests in flight per subscription (ARM throttles per subscription and principal).
    pub per_subscription: usize,
    /// Retries after the first attempt for 408, 5xx, connection errors and 200s whose body is not
    /// JSON. Throttled (429) requests are not counted against it: they are retried until the
    /// request's deadline, since ARM refills its buckets within seconds.
    pub max_retries: u32,
    /// Cap on any single wait, whatever `Retry-After` asks for.
    pub max_wait: Duration,
    /// Deadline for one request including its retries, counted from its first attempt.
    pub request_timeout: Duration,
    /// First back-off when the server gives no `Retry-After`; doubled per retry.
    pub base_backoff: Duration,
    /// Replaces the HTTP transport (tests point it at a local mock server).
    pub transport: Option<Arc<dyn HttpClient>>,
    /// Group per-resource GETs into ARM batch calls (`POST /batch`, at most 20 GETs each).
    pub use_batch: bool,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            max_concurrency: 16,
            max_graph_queries: 16,
            max_batch_calls: 32,
            per_subscription: 8,
            max_retries: 5,
            max_wait: Duration::from_secs(60),
            request_timeout: Duration::from_secs(300),
            base_backoff: Duration::from_secs(1),
            transport: None,
            use_batch: true,
        }
    }
}

/// Why an ARM read failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArmError {
    /// ARM answered with an error status.
    #[error("HTTP {status}{}: {message}{}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(), if *attempts > 1 { format!(" (after {attempts} attempts)") } else { String::new() })]
    Http {
        status: u16,
        code: Option<String>,
        message: String,
        attempts: u32,
    },
    /// The connection failed.
    #[error("request failed: {message}{}", if *attempts > 1 { format!(" (after {attempts} attempts)") } else { String::new() })]
    Transport { message: String, attempts: u32 },
    /// No token could be obtained.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The body was not the JSON ARM promises (malformed or truncated).
    #[error("malformed response: {0}")]
    Malformed(String),
    /// A `nextLink` named another host; it was not followed and received no request or token.
    #[error("refused nextLink to {0}: it is not the configured ARM endpoint")]
    ForeignLink(String),
    #[error("no complete answer within {}", seconds(.0))]
    Deadline(Duration),
}

impl ArmError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
    pub fn code(&self) -> Option<&str> {
        match self {
            ArmError::Http { code, .. } => code.as_deref(),
            ArmError::Malformed(_) => Some("MalformedResponse"),
            ArmError::ForeignLink(_) => Some("ForeignNextLink"),
            ArmError::Deadline(_) => Some("Timeout"),
            ArmError::Transport { .. } => Some("TransportError"),
            ArmError::Auth(_) => Some("AuthenticationFailed"),
        }
    }
    /// The message without status and code (those have their own fields in a coverage record).
    pub fn message(&self) -> String {
        match self {
            ArmError::Http {
                message, attempts, ..
            } if *attempts > 1 => {
                format!("{message} (after {attempts} attempts)")
            }
            ArmError::Http { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

pub use crate::inventory::RequestStats;

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    throttle_wait_ms: AtomicU64,
    bytes: AtomicU64,
    refused_next_links: AtomicU64,
    graph_queries: AtomicU64,
    graph_quota_wait_ms: AtomicU64,
    batch_calls: AtomicU64,
    batch_inner_requests: AtomicU64,
}

/// Called after each response with the running counters (progress display).
pub type ProgressHook = Arc<dyn Fn(&RequestStats) + Send + Sync>;
/// Called when a phase of a collection ends, with a line saying what it read.
pub type PhaseHook = Arc<dyn Fn(&str, &RequestStats) + Send + Sync>;

pub struct ArmClient {
    pipeline: Pipeline,
    target: ArmTarget,
    settings: ClientSettings,
    global: Semaphore,
    graph_slots: Semaphore,
    batch_slots: Semaphore,
    per_subscription: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Per throttling scope (a subscription, or the tenant for requests outside any): until when
    /// ARM asked to be left alone. ARM throttles the scope, not the request, so every request to
    /// it waits, not only the one that got the 429.
    throttled_until: Mutex<HashMap<String, Instant>>,
    /// Set by the first 401 (or failed token request): the credential is unusable, so nothing
    /// more is sent and the run can end with one credential error.
    rejected: Mutex<Option<ArmError>>,
    counters: Counters,
    progress: Mutex<Option<ProgressHook>>,
    phase: Mutex<Option<PhaseHook>>,
    /// Resource Graph's per-user quota as last reported: queries left and when the window resets.
    graph_quota: Mutex<Option<(i64, Instant)>>,
    /// Set when ARM answered a batch with 400/404/405: the run reads with direct GETs from then on.
    batch_unsupported: std::sync::atomic::AtomicBool,
}

/// The throttling scope of requests outside any subscription (ARM's tenant bucket).
const TENANT_SCOPE: &str = "tenant";
/// The throttling scope of Resource Graph queries (its quota is per user, not per subscription).
const GRAPH_SCOPE: &str = "resource-graph";

/// Resource Graph's query endpoint on the configured ARM origin.
pub const GRAPH_PATH: &str = "/providers/Microsoft.ResourceGraph/resources";
/// The Resource Graph api-version azaudit queries with.
pub const GRAPH_API_VERSION: &str = "2024-04-01";
/// ARM's batch endpoint on the configured ARM origin.
pub const BATCH_PATH: &str = "/batch";
/// The batch api-version.
pub const BATCH_API_VERSION: &str = "2020-06-01";

/// What the client can send. There is no way to build anything else: a GET of a URL on the
/// configured ARM origin, or a POST to one of the two read-only query endpoints (Resource Graph
/// and `/batch`, whose inner requests are GETs), whose URLs the client builds itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    PostGraph,
    PostBatch,
}

/// Turns an answer's body into what the caller wants. A JSON syntax error (a cut connection or a
/// proxy's page can arrive as a 200) is retried; a well-formed answer of the wrong shape is not.
pub type Decode<T> = Arc<dyn Fn(azure_core::Bytes) -> Result<T, serde_json::Error> + Send + Sync>;

/// Bodies at least this large are decoded on a blocking thread, so that parsing a page of a
/// thousand resources does not hold up the other requests' I/O on the collection's task.
const DECODE_OFF_TASK_BYTES: usize = 64 * 1024;

fn json_value() -> Decode<Value> {
    Arc::new(|body| serde_json::from_slice::<Value>(&body))
}

struct Outgoing<'a> {
    verb: Verb,
    url: &'a Url,
    body: Option<&'a [u8]>,
}

/// Whether a request may leave the client: only to the configured origin, only GETs there, and
/// POSTs only to the Resource Graph and batch paths.
pub(crate) fn is_allowed(target: &ArmTarget, method: &Method, url: &Url) -> bool {
    if !target.owns(url) {
        return false;
    }
    match method {
        Method::Get => true,
        Method::Post => {
            let p = url.path().trim_end_matches('/');
            p.eq_ignore_ascii_case(GRAPH_PATH) || p.eq_ignore_ascii_case(BATCH_PATH)
        }
        _ => false,
    }
}

const RETRY_AFTER_MS: HeaderName = HeaderName::from_static("x-ms-retry-after-ms");
const RETRY_AFTER_MS_PLAIN: HeaderName = HeaderName::from_static("retry-after-ms");
const RETRY_AFTER: HeaderName = HeaderName::from_static("retry-after");
const QUOTA_REMAINING: HeaderName = HeaderName::from_static("x-ms-user-quota-remaining");
const QUOTA_RESETS_AFTER: HeaderName = HeaderName::from_static("x-ms-user-quota-resets-after");
const SUBSCRIPTION_LIMIT_HIT: HeaderName =
    HeaderName::from_static("x-ms-tenant-subscription-limit-hit");

/// Resource Graph's `x-ms-user-quota-resets-after`: `hh:mm:ss` (fractions allowed), or seconds.
pub(crate) fn parse_resets_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    let parts: Vec<&str> = v.split(':').collect();
    let secs: f64 = match parts.as_slice() {
        [s] => s.parse().ok()?,
        [m, s] => m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?,
        [h, m, s] => {
            h.parse::<f64>().ok()? * 3600.0
                + m.parse::<f64>().ok()? * 60.0
                + s.parse::<f64>().ok()?
        }
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

impl ArmClient {
    pub fn new(
        target: ArmTarget,
        credential: Arc<dyn TokenCredential>,
        settings: ClientSettings,
    ) -> Self {
        super::tls::install();
        let auth: Arc<dyn Policy> = Arc::new(BearerTokenAuthorizationPolicy::new(
            credential,
            [target.scope.clone()],
        ));
        let options = ClientOptions {
            // Retries are ours: the SDK's would wait as long as any Retry-After says.
            retry: RetryOptions::none(),
            transport: settings.transport.clone().map(Transport::new),
            ..Default::default()
        };
        let pipeline = Pipeline::new(
            Some("azaudit"),
            Some(env!("CARGO_PKG_VERSION")),
            options,
            Vec::new(),
            vec![auth],
            None,
        );
        ArmClient {
            pipeline,
            global: Semaphore::new(settings.max_concurrency.max(1)),
            graph_slots: Semaphore::new(settings.max_graph_queries.max(1)),
            batch_slots: Semaphore::new(settings.max_batch_calls.max(1)),
            batch_unsupported: std::sync::atomic::AtomicBool::new(!settings.use_batch),
            per_subscription: Mutex::new(HashMap::new()),
            throttled_until: Mutex::new(HashMap::new()),
            rejected: Mutex::new(None),
            target,
            settings,
            counters: Counters::default(),
            progress: Mutex::new(None),
            phase: Mutex::new(None),
            graph_quota: Mutex::new(None),
        }
    }

    pub fn target(&self) -> &ArmTarget {
        &self.target
    }

    pub fn set_progress(&self, hook: ProgressHook) {
        *self.progress.lock().expect("lock") = Some(hook);
    }

    pub fn set_phase_hook(&self, hook: PhaseHook) {
        *self.phase.lock().expect("lock") = Some(hook);
    }

    /// Says that a phase of the collection ended (`what` it read), to the phase hook if any.
    pub fn phase(&self, what: &str) {
        let hook = self.phase.lock().expect("lock").clone();
        if let Some(hook) = hook {
            hook(what, &self.stats());
        }
    }

    pub fn stats(&self) -> RequestStats {
        let c = &self.counters;
        RequestStats {
            requests: c.requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            throttle_wait_ms: c.throttle_wait_ms.load(Ordering::Relaxed),
            bytes: c.bytes.load(Ordering::Relaxed),
            refused_next_links: c.refused_next_links.load(Ordering::Relaxed),
            graph_queries: c.graph_queries.load(Ordering::Relaxed),
            graph_quota_wait_ms: c.graph_quota_wait_ms.load(Ordering::Relaxed),
            batch_calls: c.batch_calls.load(Ordering::Relaxed),
            batch_inner_requests: c.batch_inner_requests.load(Ordering::Relaxed),
            ..RequestStats::default()
        }
    }

    /// The URL of `path` (`/subscriptions/…`) with its api-version on this ARM endpoint.
    pub fn url(&self, path: &str, api_version: &str) -> Url {
        let mut url = self.target.endpoint.clone();
        url.set_path(path);
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        url
    }

    fn semaphore_for(&self, subscription: Option<&str>) -> Option<Arc<Semaphore>> {
        let sub = subscription?.to_ascii_lowercase();
        let mut map = self.per_subscription.lock().expect("lock");
        Some(
            map.entry(sub)
                .or_insert_with(|| Arc::new(Semaphore::new(self.settings.per_subscription.max(1))))
                .clone(),
        )
    }

    /// Why ARM refused the credential, once it has (a 401, or no token could be obtained).
    pub fn rejection(&self) -> Option<ArmError> {
        self.rejected.lock().expect("lock").clone()
    }

    fn reject(&self, e: &ArmError) {
        let mut r = self.rejected.lock().expect("lock");
        if r.is_none() {
            *r = Some(e.clone());
        }
    }

    /// Until when requests to `scope` must wait, if that is still ahead.
    fn throttle_window(&self, scope: &str) -> Option<Instant> {
        let until = *self.throttled_until.lock().expect("lock").get(scope)?;
        (until > Instant::now()).then_some(until)
    }

    fn hold_scope(&self, scope: &str, until: Instant) {
        let mut map = self.throttled_until.lock().expect("lock");
        let slot = map.entry(scope.to_string()).or_insert(until);
        if *slot < until {
            *slot = until;
        }
    }

    /// GETs one ARM URL and parses its JSON body, retrying what is worth retrying.
    pub async fn get_json(&self, url: &Url, subscription: Option<&str>) -> Result<Value, ArmError> {
        if !self.target.owns(url) {
            // Defence in depth: nothing but the configured origin ever gets a request (or the token).
            self.counters
                .refused_next_links
                .fetch_add(1, Ordering::Relaxed);
            return Err(ArmError::ForeignLink(origin_of(url)));
        }
        if let Some(e) = self.rejection() {
            return Err(e);
        }
        let sub_sem = self.semaphore_for(subscription);
        let _sub_permit = match &sub_sem {
            Some(s) => Some(s.acquire().await.expect("semaphore open")),
            None => None,
        };
        let scope = subscription
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| TENANT_SCOPE.to_string());
        let out = Outgoing {
            verb: Verb::Get,
            url,
            body: None,
        };
        self.send_with_retries(&out, &scope, &json_value()).await
    }

    /// Runs one Resource Graph query (`POST /providers/Microsoft.ResourceGraph/resources`) with
    /// `body` (`{"subscriptions", "query", "options"}`) and returns the response page. Queries are
    /// paced by the quota headers Resource Graph sends: when one query is left in the window, the
    /// next waits until the window resets instead of running into a 429.
    pub async fn query_graph(&self, body: &Value) -> Result<Value, ArmError> {
        self.query_graph_with(body, &json_value()).await
    }

    /// [`Self::query_graph`], with the answer's body turned into `T` by `decode` (on a blocking
    /// thread when it is large): a page can be parsed straight into typed resources, without
    /// ever being held as one JSON tree.
    pub async fn query_graph_with<T: Send + 'static>(
        &self,
        body: &Value,
        decode: &Decode<T>,
    ) -> Result<T, ArmError> {
        if let Some(e) = self.rejection() {
            return Err(e);
        }
        let url = self.url(GRAPH_PATH, GRAPH_API_VERSION);
        let bytes = serde_json::to_vec(body).map_err(|e| ArmError::Malformed(e.to_string()))?;
        let out = Outgoing {
            verb: Verb::PostGraph,
            url: &url,
            body: Some(&bytes),
        };
        self.send_with_retries(&out, GRAPH_SCOPE, decode).await
    }

    /// Sends one ARM batch (`POST /batch`) of `requests` (each `{"httpMethod": "GET",
    /// "relativeUrl", "name"}`, built by [`crate::arm::batch`]) and returns the outer response.
    pub async fn post_batch(&self, body: &Value, inner: usize) -> Result<Value, ArmError> {
        if let Some(e) = self.rejection() {
            return Err(e);
        }
        let url = self.url(BATCH_PATH, BATCH_API_VERSION);
        let bytes = serde_json::to_vec(body).map_err(|e| ArmError::Malformed(e.to_string()))?;
        self.counters.batch_calls.fetch_add(1, Ordering::Relaxed);
        self.counters
            .batch_inner_requests
            .fetch_add(inner as u64, Ordering::Relaxed);
        let out = Outgoing {
            verb: Verb::PostBatch,
            url: &url,
            body: Some(&bytes),
        };
        self.send_with_retries(&out, TENANT_SCOPE, &json_value())
            .await
    }

    /// Waits, before a Resource Graph query, while the quota window has no query to spare.
    async fn pace_graph(&self) {
        loop {
            let wait_until = {
                let mut q = self.graph_quota.lock().expect("lock");
                match *q {
                    Some((_, reset)) if reset <= Instant::now() => {
                        *q = None;
                        None
                    }
                    Some((remaining, reset)) if remaining <= 1 => Some(reset),
                    Some((remaining, reset)) => {
                        // Counted down as queries leave, so that concurrent queries cannot
                        // overrun what the last answer allowed.
                        *q = Some((remaining - 1, reset));
                        None
                    }
                    None => None,
                }
            };
            match wait_until {
                None => return,
                Some(until) => {
                    let t = Instant::now();
                    tracing::debug!(
                        wait_ms = (until - t).as_millis() as u64,
                        "Resource Graph quota nearly spent: waiting for its window to reset"
                    );
                    tokio::time::sleep_until(until).await;
                    self.counters
                        .graph_quota_wait_ms
                        .fetch_add(t.elapsed().as_millis() as u64, Ordering::Relaxed);
                    let mut q = self.graph_quota.lock().expect("lock");
                    if q.is_some_and(|(_, r)| r <= Instant::now()) {
                        *q = None;
                    }
                }
            }
        }
    }

    fn note_graph_quota(&self, response: &RawResponse) {
        let h = response.headers();
        let remaining = h
            .get_optional_str(&QUOTA_REMAINING)
            .and_then(|v| v.trim().parse::<i64>().ok());
        let resets = h
            .get_optional_str(&QUOTA_RESETS_AFTER)
            .and_then(parse_resets_after);
        if let (Some(remaining), Some(resets)) = (remaining, resets) {
            *self.graph_quota.lock().expect("lock") = Some((
                remaining,
                Instant::now() + resets.min(self.settings.max_wait),
            ));
        }
    }

    async fn send_with_retries<T: Send + 'static>(
        &self,
        out: &Outgoing<'_>,
        scope: &str,
        decode: &Decode<T>,
    ) -> Result<T, ArmError> {
        let timeout = self.settings.request_timeout;
        // Set when the first attempt is sent: time queued behind the concurrency limits does not
        // count against the request.
        let mut deadline: Option<Instant> = None;
        let mut last: Option<ArmError> = None;
        let mut attempt: u32 = 0;
        let mut throttles: u32 = 0;
        let mut failures: u32 = 0;
        loop {
            // Wait out the scope's throttle window before taking a global slot, so that requests
            // to other scopes are not held up by this one.
            if let Some(until) = self.throttle_window(scope) {
                if let Some(d) = deadline
                    && until > d
                {
                    return Err(last.unwrap_or(ArmError::Deadline(timeout)));
                }
                let t = Instant::now();
                tokio::time::sleep_until(until).await;
                self.counters
                    .throttle_wait_ms
                    .fetch_add(t.elapsed().as_millis() as u64, Ordering::Relaxed);
                continue;
            }
            if out.verb == Verb::PostGraph {
                self.pace_graph().await;
            }
            // Resource Graph and batch calls have pools of their own, so that the queries and the
            // batches of a level go out together rather than behind each other and the direct GETs.
            let pool = match out.verb {
                Verb::Get => &self.global,
                Verb::PostGraph => &self.graph_slots,
                Verb::PostBatch => &self.batch_slots,
            };
            let permit = pool.acquire().await.expect("semaphore open");
            if self.throttle_window(scope).is_some() {
                // Another request of the scope was throttled while this one queued for a slot.
                drop(permit);
                continue;
            }
            if let Some(e) = self.rejection() {
                return Err(e);
            }
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + timeout);
            attempt += 1;
            if attempt > 1 {
                self.counters.retries.fetch_add(1, Ordering::Relaxed);
            }
            let outcome = match tokio::time::timeout_at(deadline, self.send(out, attempt)).await {
                Ok(o) => o,
                Err(_) => return Err(ArmError::Deadline(timeout)),
            };
            drop(permit);
            // Decoded once the slot is free: parsing is not a request in flight.
            let outcome = match outcome {
                Ok(body) => decode_body(decode, body, attempt).await,
                Err(x) => Err(x),
            };
            let (retryable, wait_hint, error) = match outcome {
                Ok(v) => return Ok(v),
                Err(x) => x,
            };
            if matches!(error, ArmError::Auth(_)) || error.status() == Some(401) {
                self.reject(&error);
                return Err(error);
            }
            if !retryable {
                return Err(error);
            }
            let throttled = error.status() == Some(429);
            let Some(wait) = self.backoff(throttled, wait_hint, &mut throttles, &mut failures)
            else {
                return Err(error);
            };
            let until = Instant::now() + wait;
            if until > deadline {
                // Waiting would pass the deadline: give up now with the real reason.
                return Err(error);
            }
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying ARM request");
            if throttled {
                // The window holds this request too: the loop's first step waits it out.
                self.hold_scope(scope, until);
            } else {
                tokio::time::sleep_until(until).await;
            }
            last = Some(error);
        }
    }

    /// One attempt: the body of a success, or (retryable, server wait hint, error).
    #[allow(clippy::type_complexity)]
    async fn send(
        &self,
        out: &Outgoing<'_>,
        attempt: u32,
    ) -> Result<azure_core::Bytes, (bool, Option<Duration>, ArmError)> {
        let method = match out.verb {
            Verb::Get => Method::Get,
            Verb::PostGraph | Verb::PostBatch => Method::Post,
        };
        if !is_allowed(&self.target, &method, out.url) {
            // Unreachable through the public API; kept so that no change elsewhere can send a
            // write or hand the token to another host.
            self.counters
                .refused_next_links
                .fetch_add(1, Ordering::Relaxed);
            return Err((false, None, ArmError::ForeignLink(origin_of(out.url))));
        }
        let mut request = Request::new(out.url.clone(), method);
        request.insert_header("accept", "application/json");
        if let Some(body) = out.body {
            request.insert_header("content-type", "application/json");
            request.set_body(body.to_vec());
        }
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        if out.verb == Verb::PostGraph {
            self.counters.graph_queries.fetch_add(1, Ordering::Relaxed);
        }
        let options = PipelineSendOptions {
            skip_checks: true,
            ..Default::default()
        };
        match self
            .pipeline
            .send(&Context::new(), &mut request, Some(options))
            .await
        {
            Ok(response) => {
                self.report_progress();
                if out.verb == Verb::PostGraph {
                    self.note_graph_quota(&response);
                    // Resource Graph answered for the first 10,000 subscriptions the principal
                    // sees, not necessarily those asked for: part of the kind taken as all of it
                    // would hide resources, so the kind is read another way.
                    if response
                        .headers()
                        .get_optional_str(&SUBSCRIPTION_LIMIT_HIT)
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
                    {
                        return Err((
                            false,
                            None,
                            ArmError::Malformed(
                                "Resource Graph limited its answer to the first 10,000 \
                                 subscriptions the identity can read \
                                 (x-ms-tenant-subscription-limit-hit)"
                                    .into(),
                            ),
                        ));
                    }
                }
                self.classify(response, attempt)
            }
            Err(e) => {
                use azure_core::error::ErrorKind;
                let message = one_line(&error_chain(&e));
                match e.kind() {
                    ErrorKind::Credential => {
                        Err((false, None, ArmError::Auth(one_line(&e.to_string()))))
                    }
                    ErrorKind::Io | ErrorKind::Connection => Err((
                        true,
                        None,
                        ArmError::Transport {
                            message,
                            attempts: attempt,
                        },
                    )),
                    _ => Err((
                        false,
                        None,
                        ArmError::Transport {
                            message,
                            attempts: attempt,
                        },
                    )),
                }
            }
        }
    }

    /// The body of a success, or (retryable, server wait hint, error).
    #[allow(clippy::type_complexity)]
    fn classify(
        &self,
        response: RawResponse,
        attempt: u32,
    ) -> Result<azure_core::Bytes, (bool, Option<Duration>, ArmError)> {
        let status = u16::from(response.status());
        let hint = retry_after(&response);
        let body = response.into_body();
        self.counters
            .bytes
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        if (200..300).contains(&status) {
            return Ok(body.into());
        }
        if status == 429 {
            self.counters.throttled.fetch_add(1, Ordering::Relaxed);
        }
        let (code, message) = arm_error(&body, status);
        let retryable = is_retryable_status(status);
        Err((
            retryable,
            hint,
            ArmError::Http {
                status,
                code,
                message,
                attempts: attempt,
            },
        ))
    }

    fn report_progress(&self) {
        let hook = self.progress.lock().expect("lock").clone();
        if let Some(hook) = hook {
            hook(&self.stats());
        }
    }

    /// Reads every page of an ARM list, following `nextLink` while it stays on the ARM origin.
    /// Returns the items read and, when the list could not be read to its end, why.
    pub async fn list(
        &self,
        path: &str,
        api_version: &str,
        subscription: Option<&str>,
    ) -> (Vec<Value>, Option<ArmError>) {
        let url = self.url(path, api_version);
        let first = self.get_json(&url, subscription).await;
        self.list_from(url, first, api_version, subscription).await
    }

    /// Reads the rest of a list whose first page (from `url`) is `first`: a page read directly or
    /// one that arrived inside a batch.
    pub async fn list_from(
        &self,
        url: Url,
        first: Result<Value, ArmError>,
        api_version: &str,
        subscription: Option<&str>,
    ) -> (Vec<Value>, Option<ArmError>) {
        let mut items = Vec::new();
        let mut seen = std::collections::HashSet::new();
        seen.insert(url.to_string());
        let mut result = first;
        loop {
            let page = match result {
                Ok(p) => p,
                Err(e) => return (items, Some(e)),
            };
            let Value::Object(mut page) = page else {
                return (
                    items,
                    Some(ArmError::Malformed(
                        "the list page is not a JSON object".into(),
                    )),
                );
            };
            let next = page.remove("nextLink");
            match page.remove("value") {
                Some(Value::Array(values)) => items.extend(values),
                Some(Value::Null) | None if next.is_some() => {}
                _ => {
                    return (
                        items,
                        Some(ArmError::Malformed(
                            "the list page has no \"value\" array".into(),
                        )),
                    );
                }
            }
            match self.next_page(next, api_version, &mut seen) {
                Ok(Some(next_url)) => result = self.get_json(&next_url, subscription).await,
                Ok(None) => return (items, None),
                Err(e) => return (items, Some(e)),
            }
        }
    }

    /// Reads every page of an answer that is not a `value` list (the service-tags list keeps its
    /// items in `values`): each page's whole body, following `nextLink` as [`Self::list`] does.
    pub async fn pages(
        &self,
        path: &str,
        api_version: &str,
        subscription: Option<&str>,
    ) -> (Vec<Value>, Option<ArmError>) {
        let url = self.url(path, api_version);
        let mut seen = std::collections::HashSet::new();
        seen.insert(url.to_string());
        let mut pages = Vec::new();
        let mut result = self.get_json(&url, subscription).await;
        loop {
            let page = match result {
                Ok(p) => p,
                Err(e) => return (pages, Some(e)),
            };
            if !page.is_object() {
                return (
                    pages,
                    Some(ArmError::Malformed("the page is not a JSON object".into())),
                );
            }
            let next = page.get("nextLink").cloned();
            pages.push(page);
            match self.next_page(next, api_version, &mut seen) {
                Ok(Some(next_url)) => result = self.get_json(&next_url, subscription).await,
                Ok(None) => return (pages, None),
                Err(e) => return (pages, Some(e)),
            }
        }
    }

    /// The URL a page's `nextLink` points to: `None` at the end; an error for a link that is not
    /// a URL, leaves the ARM origin, or loops back to a page already read.
    fn next_page(
        &self,
        next: Option<Value>,
        api_version: &str,
        seen: &mut std::collections::HashSet<String>,
    ) -> Result<Option<Url>, ArmError> {
        let next = match next {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            _ => return Ok(None),
        };
        let mut next_url = Url::parse(&next)
            .map_err(|e| ArmError::Malformed(format!("nextLink is not a URL: {e}")))?;
        if !self.target.owns(&next_url) {
            self.counters
                .refused_next_links
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(origin = %origin_of(&next_url), "refused a nextLink to another host");
            return Err(ArmError::ForeignLink(origin_of(&next_url)));
        }
        if !next_url
            .query_pairs()
            .any(|(k, _)| k.eq_ignore_ascii_case("api-version"))
        {
            next_url
                .query_pairs_mut()
                .append_pair("api-version", api_version);
        }
        if !seen.insert(next_url.to_string()) {
            return Err(ArmError::Malformed(format!(
                "nextLink loops back to {}",
                next_url.path()
            )));
        }
        Ok(Some(next_url))
    }
}

/// Inner requests per ARM batch call (ARM's limit).
pub const BATCH_SIZE: usize = 20;

impl ArmClient {
    /// Whether per-resource GETs still go through ARM batch in this run.
    pub fn batch_available(&self) -> bool {
        !self.batch_unsupported.load(Ordering::Relaxed)
    }

    /// GETs `urls` (each on the configured origin, with its api-version), grouped in ARM batch
    /// calls of at most 20, and returns each one's JSON body or error in order: an inner
    /// 403/404/409 is the error a direct GET would give, an inner body that does not parse is
    /// malformed, an inner 429 (or 408/5xx) is sent again alone, in a later batch, after its own
    /// `Retry-After`. When ARM does not accept batches (400/404/405 on the call, or an answer
    /// that is not a batch answer) the run switches to direct GETs, which is also what every
    /// request of a batch that failed as a whole gets.
    pub async fn get_many(&self, urls: &[(Url, Option<String>)]) -> Vec<Result<Value, ArmError>> {
        if urls.len() < 2 || !self.batch_available() {
            return self.get_each(urls).await;
        }
        let chunks =
            futures::future::join_all(urls.chunks(BATCH_SIZE).map(|chunk| self.batch_chunk(chunk)))
                .await;
        let mut out = Vec::with_capacity(urls.len());
        for (chunk, result) in urls.chunks(BATCH_SIZE).zip(chunks) {
            match result {
                Some(r) => out.extend(r),
                None => out.extend(self.get_each(chunk).await),
            }
        }
        out
    }

    async fn get_each(&self, urls: &[(Url, Option<String>)]) -> Vec<Result<Value, ArmError>> {
        futures::future::join_all(
            urls.iter()
                .map(|(url, sub)| self.get_json(url, sub.as_deref())),
        )
        .await
    }

    /// One chunk of at most 20 GETs through batch calls; `None` when the chunk must be read
    /// with direct GETs.
    async fn batch_chunk(
        &self,
        chunk: &[(Url, Option<String>)],
    ) -> Option<Vec<Result<Value, ArmError>>> {
        let mut results: Vec<Option<Result<Value, ArmError>>> = vec![None; chunk.len()];
        let mut pending: Vec<usize> = Vec::new();
        for (i, (url, _)) in chunk.iter().enumerate() {
            if self.target.owns(url) {
                pending.push(i);
            } else {
                self.counters
                    .refused_next_links
                    .fetch_add(1, Ordering::Relaxed);
                results[i] = Some(Err(ArmError::ForeignLink(origin_of(url))));
            }
        }
        let deadline = Instant::now() + self.settings.request_timeout;
        let (mut throttles, mut failures) = (0u32, 0u32);
        let mut attempt = 0u32;
        while !pending.is_empty() {
            if !self.batch_available() {
                return None;
            }
            attempt += 1;
            let requests: Vec<Value> = pending
                .iter()
                .map(|&i| {
                    let url = &chunk[i].0;
                    let relative = match url.query() {
                        Some(q) => format!("{}?{q}", url.path()),
                        None => url.path().to_string(),
                    };
                    // Inner requests are GETs: nothing else is ever put in a batch.
                    serde_json::json!({"httpMethod": "GET", "relativeUrl": relative, "name": i.to_string()})
                })
                .collect();
            if attempt > 1 {
                self.counters
                    .retries
                    .fetch_add(pending.len() as u64, Ordering::Relaxed);
            }
            let answer = match self
                .post_batch(&serde_json::json!({ "requests": requests }), pending.len())
                .await
            {
                Ok(v) => v,
                Err(e) => {
                    if matches!(e.status(), Some(400 | 404 | 405)) {
                        tracing::info!(error = %e, "ARM batch is not available: reading with direct GETs");
                        self.batch_unsupported.store(true, Ordering::Relaxed);
                    }
                    if matches!(e, ArmError::Auth(_)) || e.status() == Some(401) {
                        return Some(chunk.iter().map(|_| Err(e.clone())).collect());
                    }
                    return None;
                }
            };
            let Some(responses) = answer.get("responses").and_then(Value::as_array) else {
                tracing::info!(
                    "ARM batch answered without \"responses\": reading with direct GETs"
                );
                self.batch_unsupported.store(true, Ordering::Relaxed);
                return None;
            };
            let mut retry: Vec<usize> = Vec::new();
            let mut wait_hint: Option<Duration> = None;
            let mut any_throttled = false;
            for &i in &pending {
                let name = i.to_string();
                let Some(r) = responses
                    .iter()
                    .find(|r| r.get("name").and_then(Value::as_str) == Some(name.as_str()))
                else {
                    results[i] = Some(Err(ArmError::Malformed(
                        "the batch answer has no response for this request".into(),
                    )));
                    continue;
                };
                let status = r
                    .get("httpStatusCode")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok());
                let Some(status) = status else {
                    results[i] = Some(Err(ArmError::Malformed(
                        "a batch response has no httpStatusCode".into(),
                    )));
                    continue;
                };
                let content = r.get("content").cloned().unwrap_or(Value::Null);
                // Some answers carry the body as JSON text rather than as an object.
                let content = match content {
                    Value::String(text) => {
                        serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text))
                    }
                    other => other,
                };
                if (200..300).contains(&status) {
                    results[i] = Some(if content.is_object() {
                        Ok(content)
                    } else {
                        Err(ArmError::Malformed(
                            "the batch response's content is not a JSON object".into(),
                        ))
                    });
                    continue;
                }
                if is_retryable_status(status) {
                    if status == 429 {
                        any_throttled = true;
                        self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                    }
                    let hint = inner_retry_after(r.get("headers"));
                    wait_hint = match (wait_hint, hint) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                    retry.push(i);
                }
                let body = serde_json::to_vec(&content).unwrap_or_default();
                let (code, message) = arm_error(&body, status);
                results[i] = Some(Err(ArmError::Http {
                    status,
                    code,
                    message,
                    attempts: attempt,
                }));
            }
            if retry.is_empty() {
                break;
            }
            let Some(wait) = self.backoff(any_throttled, wait_hint, &mut throttles, &mut failures)
            else {
                break;
            };
            if Instant::now() + wait > deadline {
                break;
            }
            tracing::debug!(
                requests = retry.len(),
                wait_ms = wait.as_millis() as u64,
                "retrying throttled or failed requests of a batch"
            );
            let t = Instant::now();
            tokio::time::sleep(wait).await;
            if any_throttled {
                self.counters
                    .throttle_wait_ms
                    .fetch_add(t.elapsed().as_millis() as u64, Ordering::Relaxed);
            }
            pending = retry;
        }
        Some(
            results
                .into_iter()
                .map(|r| {
                    r.unwrap_or_else(|| Err(ArmError::Malformed("no answer in the batch".into())))
                })
                .collect(),
        )
    }
}

/// Decodes a success's body (on a blocking thread when it is large). A cut connection or a
/// proxy's error page can arrive as a 200: invalid JSON is worth another try, like a 5xx, before
/// the read becomes a coverage gap; well-formed JSON of the wrong shape is not.
#[allow(clippy::type_complexity)]
async fn decode_body<T: Send + 'static>(
    decode: &Decode<T>,
    body: azure_core::Bytes,
    attempt: u32,
) -> Result<T, (bool, Option<Duration>, ArmError)> {
    let decoded = if body.len() < DECODE_OFF_TASK_BYTES {
        decode(body)
    } else {
        let decode = decode.clone();
        match tokio::task::spawn_blocking(move || decode(body)).await {
            Ok(r) => r,
            Err(e) => {
                return Err((
                    false,
                    None,
                    ArmError::Malformed(format!("the answer could not be decoded: {e}")),
                ));
            }
        }
    };
    decoded.map_err(|e| {
        if e.is_data() {
            return (false, None, ArmError::Malformed(e.to_string()));
        }
        let what = if e.is_eof() {
            "truncated JSON"
        } else {
            "invalid JSON"
        };
        let after = if attempt > 1 {
            format!(" (after {attempt} attempts)")
        } else {
            String::new()
        };
        (
            true,
            None,
            ArmError::Malformed(format!("{what}: {e}{after}")),
        )
    })
}

/// The wait an inner batch response asks for, from its `headers` object (any key casing).
fn inner_retry_after(headers: Option<&Value>) -> Option<Duration> {
    let h = headers?.as_object()?;
    let get = |name: &str| {
        h.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| match v {
                Value::String(s) => s.trim().parse::<u64>().ok(),
                Value::Number(n) => n.as_u64(),
                _ => None,
            })
    };
    get("x-ms-retry-after-ms")
        .or_else(|| get("retry-after-ms"))
        .map(Duration::from_millis)
        .or_else(|| get("retry-after").map(Duration::from_secs))
}

/// `300 s`, or `500 ms` under a second.
fn seconds(d: &Duration) -> String {
    if d.as_secs() == 0 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs())
    }
}

fn origin_of(url: &Url) -> String {
    format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""))
        + &url.port().map(|p| format!(":{p}")).unwrap_or_default()
}

/// Statuses worth another attempt: timeouts, throttling and transient server errors.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// How long to wait before attempt `attempt + 1`: the server's hint, else exponential back-off from
/// `base`, never more than `cap`.
impl ArmClient {
    /// How long to wait before the next attempt, counting it as a throttle or a failure; `None`
    /// once failures exceed the retry budget (throttles are bounded by the deadline instead).
    fn backoff(
        &self,
        throttled: bool,
        wait_hint: Option<Duration>,
        throttles: &mut u32,
        failures: &mut u32,
    ) -> Option<Duration> {
        let base = self.settings.base_backoff;
        if throttled {
            *throttles += 1;
            // A zero Retry-After would turn a storm into a busy loop.
            let hint = wait_hint.map(|h| h.max(base));
            return Some(retry_wait(hint, base, *throttles, self.settings.max_wait));
        }
        *failures += 1;
        (*failures <= self.settings.max_retries)
            .then(|| retry_wait(wait_hint, base, *failures, self.settings.max_wait))
    }
}

pub(crate) fn retry_wait(
    hint: Option<Duration>,
    base: Duration,
    attempt: u32,
    cap: Duration,
) -> Duration {
    hint.unwrap_or(base * 2u32.saturating_pow(attempt.saturating_sub(1)))
        .min(cap)
}

/// The server's requested wait: `x-ms-retry-after-ms`, `retry-after-ms`, or `Retry-After` in
/// seconds or as an HTTP date.
pub(crate) fn retry_after(response: &RawResponse) -> Option<Duration> {
    let h = response.headers();
    for name in [&RETRY_AFTER_MS, &RETRY_AFTER_MS_PLAIN] {
        if let Some(ms) = h
            .get_optional_str(name)
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            return Some(Duration::from_millis(ms));
        }
    }
    let v = h.get_optional_str(&RETRY_AFTER)?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// ARM's `{"error": {"code", "message"}}`, or the status's meaning when the body is not that.
pub(crate) fn arm_error(body: &[u8], status: u16) -> (Option<String>, String) {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let err = parsed.as_ref().and_then(|v| v.get("error"));
    let code = err
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let message = err
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(one_line)
        .unwrap_or_else(|| {
            match status {
                401 => "unauthorized (the token was rejected)",
                403 => "forbidden",
                404 => "not found",
                429 => "too many requests",
                _ => "ARM returned an error",
            }
            .to_string()
        });
    (code, message)
}

pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn error_chain(e: &azure_core::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.dedup();
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::Cloud;

    #[test]
    fn only_gets_and_the_two_query_posts_to_the_configured_origin_may_leave() {
        let target = ArmTarget::for_cloud(Cloud::Public);
        let url = |s: &str| Url::parse(s).unwrap();
        let arm = "https://management.azure.com";
        let sub =
            format!("{arm}/subscriptions/s/providers/Microsoft.Network/networkSecurityGroups");
        assert!(is_allowed(&target, &Method::Get, &url(&sub)));
        for ok in [
            format!("{arm}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01"),
            format!("{arm}/batch?api-version=2020-06-01"),
        ] {
            assert!(is_allowed(&target, &Method::Post, &url(&ok)), "{ok}");
        }
        // Writes, and POSTs anywhere else (actions such as listKeys are POSTs), never leave.
        for m in [Method::Put, Method::Patch, Method::Delete, Method::Post] {
            assert!(!is_allowed(&target, &m, &url(&sub)), "{m:?}");
        }
        for bad in [
            format!(
                "{arm}/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/v/listKeys"
            ),
            format!("{arm}/providers/Microsoft.ResourceGraph/resourcesHistory"),
            format!("{arm}/batchx"),
        ] {
            assert!(!is_allowed(&target, &Method::Post, &url(&bad)), "{bad}");
        }
        // No other origin, whatever the method: the token only goes to the configured one.
        for other in [
            "https://evil.example/batch",
            "http://management.azure.com/batch",
            "https://management.azure.com:8443/batch",
            "https://management.usgovcloudapi.net/subscriptions",
        ] {
            assert!(!is_allowed(&target, &Method::Get, &url(other)), "{other}");
            assert!(!is_allowed(&target, &Method::Post, &url(other)), "{other}");
        }
    }

    #[test]
    fn quota_resets_after_reads_clock_times_and_seconds() {
        assert_eq!(parse_resets_after("00:00:05"), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_resets_after("00:01:02.5"),
            Some(Duration::from_millis(62_500))
        );
        assert_eq!(parse_resets_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_resets_after("soon"), None);
        assert_eq!(parse_resets_after("-1"), None);
        assert_eq!(parse_resets_after("1:2:3:4"), None);
    }
}
