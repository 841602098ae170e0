//! Live collection of a generated tenant served by a mock ARM with 30 ms latency per request:
//! ARM lists and GETs, Resource Graph (skip-token paging; its documented per-user quota of 15
//! queries in every 5-second window, with its headers, and 429 past it) and `/batch`. Compares
//! `--source graph` (Resource Graph + batch) with `--source arm` (ARM lists and direct GETs):
//! HTTP requests, inner batch requests, wall time and peak RSS (run with
//! `cargo bench --bench collect`; `-- 150` sets the spokes, three to a subscription, each with
//! four Key Vaults).
//!
//! The mock runs in its own process and answers over a Unix socket, so the peak RSS of the
//! measuring process is azaudit's own (plus a log of the requests, for the replay below); the
//! mock's peak is shown apart. Each source gets a fresh mock and a fresh measuring process.
//!
//! After each run a trivial client sends the mock the same requests again through the same
//! socket, keeping only the dependency levels the data imposes (subscription list; then queries,
//! subscription-wide lists and registrations; then reads of ids found in those answers), every
//! request of a level at once, the pages of one Resource Graph query one after another, nothing
//! parsed, the quota not enforced: its time is the mock's own. Prints a table (`quota ms` is the
//! time azaudit waited for the quota window); no assertions.
//!
//! `COLLECT_TIMELINE=FILE` writes, per source, every request with its send and answer times,
//! the collection's phases, its CPU time and the requests in flight per 10 ms to `FILE.graph`
//! and `FILE.arm`; `COLLECT_SOURCES=graph` measures one source.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use azaudit::arm::credential::StaticToken;
use azaudit::arm::{ArmClient, ArmTarget, ClientSettings};
use azaudit::azure::Cloud;
use azaudit::collect::live::{LiveScope, Source, collect};
use azure_core::http::{AsyncRawResponse, HttpClient, Method, Request, StatusCode};
use serde_json::Value;

const LATENCY: Duration = Duration::from_millis(30);
const DEFAULT_SPOKES: usize = 150;
/// Key Vaults in each spoke besides the one behind its private endpoint.
const EXTRA_VAULTS: usize = 3;

/// The tenant, indexed the way ARM and Resource Graph answer, each item kept as its JSON text
/// (shared between the indexes) so that the mock's own memory stays small next to azaudit's.
struct MockArm {
    /// Items by lower-case id (single GETs).
    by_id: HashMap<String, Arc<str>>,
    /// Items by the lower-case path of the list that returns them.
    lists: HashMap<String, Vec<Arc<str>>>,
    /// Resource Graph rows (lower-case id, subscription, JSON) by lower-case type, ordered by id.
    by_type: HashMap<String, Vec<(String, String, String)>>,
    requests: AtomicU64,
    inner: AtomicU64,
    /// Resource Graph's per-user quota: when the current window began and the queries it took.
    quota: std::sync::Mutex<(Option<Instant>, u32)>,
    /// Whether the quota is enforced (not for the trivial client, which stands for the mock's
    /// own time to answer).
    enforce_quota: std::sync::atomic::AtomicBool,
}

/// Resource Graph's documented example quota: 15 queries in every 5-second window.
const QUOTA: u32 = 15;
const QUOTA_WINDOW: Duration = Duration::from_secs(5);

/// The quota headers of one answer: queries left in the window and the time until it resets.
type Quota = Option<(u32, Duration)>;

impl std::fmt::Debug for MockArm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MockArm")
    }
}

fn json_array<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from("[");
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    out
}

/// `/subscriptions/s/resourceGroups/g/providers/NS/T/n` is listed at `/subscriptions/s/providers/NS/T`;
/// anything deeper (children, extension resources, registrations) under its id minus the name.
fn list_path(id: &str) -> String {
    let segs: Vec<&str> = id.trim_matches('/').split('/').collect();
    let providers: Vec<usize> = segs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.eq_ignore_ascii_case("providers"))
        .map(|(i, _)| i)
        .collect();
    if providers.len() == 1 && segs.len() == providers[0] + 4 && segs.len() > 2 {
        let p = providers[0];
        return format!(
            "/subscriptions/{}/providers/{}/{}",
            segs[1],
            segs[p + 1],
            segs[p + 2]
        )
        .to_ascii_lowercase();
    }
    let cut = id.rfind('/').unwrap_or(0);
    id[..cut].to_ascii_lowercase()
}

/// `NS/T1/T2…` from the segments after the last `providers`.
fn type_of(id: &str) -> String {
    let lower = id.to_ascii_lowercase();
    let rest = lower.rsplit("/providers/").next().unwrap_or_default();
    let segs: Vec<&str> = rest.split('/').collect();
    let mut t = segs[0].to_string();
    for s in segs.iter().skip(1).step_by(2) {
        t.push('/');
        t.push_str(s);
    }
    t
}

impl MockArm {
    /// Writes the tenant as the mock's index: one line per item with its id, the list that
    /// returns it, its Resource Graph type and subscription, its ARM text and its Resource Graph
    /// row. Done in the parent, so the measured child never holds the tenant as a JSON tree.
    fn write_index(doc: &Value, file: &std::path::Path) {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(file).unwrap());
        for (_, items) in doc["inventory"].as_object().unwrap() {
            for item in items.as_array().into_iter().flatten() {
                let Some(id) = item["id"].as_str() else {
                    continue;
                };
                let sub = id
                    .split('/')
                    .nth(2)
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let mut row = item.clone();
                row["type"] = Value::from(type_of(id));
                row["subscriptionId"] = Value::from(sub.as_str());
                row["resourceGroup"] = Value::from(id.split('/').nth(4).unwrap_or_default());
                let in_graph = id.contains("/resourceGroups/");
                writeln!(
                    out,
                    "{}\t{}\t{}\t{sub}\t{}\t{}",
                    id.to_ascii_lowercase(),
                    list_path(id),
                    if in_graph { type_of(id) } else { String::new() },
                    serde_json::to_string(item).unwrap(),
                    serde_json::to_string(&row).unwrap()
                )
                .unwrap();
            }
        }
    }

    fn load(file: &std::path::Path) -> Self {
        use std::io::BufRead;
        let mut by_id = HashMap::new();
        let mut lists: HashMap<String, Vec<Arc<str>>> = HashMap::new();
        let mut by_type: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
        let reader = std::io::BufReader::new(std::fs::File::open(file).unwrap());
        for line in reader.lines() {
            let line = line.unwrap();
            let f: Vec<&str> = line.splitn(6, '\t').collect();
            let [id, list, t, sub, text, row] = f[..] else {
                continue;
            };
            let text: Arc<str> = text.into();
            by_id.insert(id.to_string(), text.clone());
            lists.entry(list.to_string()).or_default().push(text);
            if !t.is_empty() {
                by_type.entry(t.to_string()).or_default().push((
                    id.to_string(),
                    sub.to_string(),
                    row.to_string(),
                ));
            }
        }
        let by_type = by_type
            .into_iter()
            .map(|(t, mut rows)| {
                rows.sort();
                (t, rows)
            })
            .collect();
        MockArm {
            by_id,
            lists,
            by_type,
            requests: AtomicU64::new(0),
            inner: AtomicU64::new(0),
            quota: std::sync::Mutex::new((None, 0)),
            enforce_quota: std::sync::atomic::AtomicBool::new(true),
        }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let p = path.to_ascii_lowercase();
        if let Some(items) = self.lists.get(&p) {
            return (
                200,
                format!("{{\"value\":{}}}", json_array(items.iter().map(|i| &**i))),
            );
        }
        if let Some(item) = self.by_id.get(&p) {
            return (200, item.to_string());
        }
        // Lists of nothing (a watcher without flow logs, a vault without settings) are empty.
        if p.ends_with("/flowlogs")
            || p.ends_with("/virtualnetworklinks")
            || p.ends_with("/a")
            || p.ends_with("/diagnosticsettings")
            || p.ends_with("/backupresourceguardproxies")
            || p.starts_with("/subscriptions/") && p.contains("/providers/")
        {
            return (200, r#"{"value":[]}"#.to_string());
        }
        (
            404,
            r#"{"error":{"code":"NotFound","message":"not found"}}"#.to_string(),
        )
    }

    fn graph(&self, body: &Value) -> String {
        let query = body["query"].as_str().unwrap_or_default();
        // `type =~ 'x'`, or `type in~ ('x', 'y')`.
        let types: Vec<&str> = match query.split_once("type =~ '") {
            Some((_, r)) => r.split('\'').next().into_iter().collect(),
            None => query
                .split_once("type in~ (")
                .and_then(|(_, r)| r.split(')').next())
                .unwrap_or_default()
                .split(',')
                .map(|t| t.trim().trim_matches('\''))
                .collect(),
        };
        let subs: Vec<String> = body["subscriptions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect();
        let mut rows: Vec<(&str, &str)> = types
            .iter()
            .filter_map(|t| self.by_type.get(*t))
            .flatten()
            .filter(|(_, s, _)| subs.contains(s))
            .map(|(id, _, r)| (id.as_str(), r.as_str()))
            .collect();
        // `order by id asc`; each type's rows are in id order already.
        if types.len() > 1 {
            rows.sort_by_key(|(id, _)| *id);
        }
        let rows: Vec<&str> = rows.into_iter().map(|(_, r)| r).collect();
        let top = body["options"]["$top"].as_u64().unwrap_or(100).min(1000) as usize;
        let offset: usize = body["options"]["$skipToken"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let page: Vec<&str> = rows.iter().skip(offset).take(top).copied().collect();
        let token = if offset + top < rows.len() {
            format!(",\"$skipToken\":\"{}\"", offset + top)
        } else {
            String::new()
        };
        format!(
            "{{\"totalRecords\":{},\"count\":{},\"resultTruncated\":\"false\"{token},\"data\":{}}}",
            rows.len(),
            page.len(),
            json_array(page.into_iter())
        )
    }

    fn batch(&self, body: &Value) -> String {
        let responses: Vec<String> = body["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                self.inner.fetch_add(1, Ordering::Relaxed);
                let rel = r["relativeUrl"].as_str().unwrap_or_default();
                let path = rel.split('?').next().unwrap_or_default();
                let (status, content) = self.get(path);
                format!(
                    "{{\"name\":{},\"httpStatusCode\":{status},\"headers\":{{}},\"content\":{content}}}",
                    r["name"]
                )
            })
            .collect();
        format!(
            "{{\"responses\":{}}}",
            json_array(responses.iter().map(String::as_str))
        )
    }
}

impl MockArm {
    /// Takes one query from the quota window (a new window when the last one has passed):
    /// what is left and when the window resets, or `Err` with the wait when none is left.
    fn take_quota(&self) -> Result<(u32, Duration), Duration> {
        let now = Instant::now();
        let mut q = self.quota.lock().unwrap();
        if q.0.is_none_or(|start| now >= start + QUOTA_WINDOW) {
            *q = (Some(now), 0);
        }
        let resets = q.0.unwrap() + QUOTA_WINDOW - now;
        if !self.enforce_quota.load(Ordering::Relaxed) {
            return Ok((QUOTA, resets));
        }
        if q.1 >= QUOTA {
            return Err(resets);
        }
        q.1 += 1;
        Ok((QUOTA - q.1, resets))
    }

    /// Answers one request as ARM would: status, Resource Graph's quota headers if they go with
    /// it, and the body.
    fn answer(
        &self,
        method: &str,
        url: &azure_core::http::Url,
        body: &[u8],
    ) -> (u16, Quota, String) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let path = url.path();
        let parsed = || -> Value { serde_json::from_slice(body).unwrap_or(Value::Null) };
        match method {
            "GET" => {
                let (s, v) = self.get(path);
                (s, None, v)
            }
            "POST" if path.eq_ignore_ascii_case("/providers/Microsoft.ResourceGraph/resources") => {
                match self.take_quota() {
                    Ok(left) => (200, Some(left), self.graph(&parsed())),
                    Err(resets) => (
                        429,
                        Some((0, resets)),
                        r#"{"error":{"code":"RateLimiting","message":"Please provide below info when asking for support"}}"#
                            .to_string(),
                    ),
                }
            }
            "POST" if path == "/batch" => (200, None, self.batch(&parsed())),
            _ => (
                405,
                None,
                r#"{"error":{"code":"MethodNotAllowed","message":"no"}}"#.to_string(),
            ),
        }
    }

    /// Serves the mock on a Unix socket, one request a connection: a header line
    /// `METHOD URL BODY-LENGTH` and the body; the answer is a line `STATUS QUOTA LENGTH` and the
    /// body. `STATS` answers the request counters. Each answer waits `LATENCY` first.
    async fn serve(self: Arc<Self>, listener: tokio::net::UnixListener) {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let mock = self.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
                let mut stream = BufReader::new(stream);
                let mut line = String::new();
                if stream.read_line(&mut line).await.is_err() {
                    return;
                }
                let f: Vec<&str> = line.trim_end().splitn(3, ' ').collect();
                let (status, quota, text) = if f[0] == "STATS" {
                    let text = format!(
                        "{} {}",
                        mock.requests.load(Ordering::Relaxed),
                        mock.inner.load(Ordering::Relaxed)
                    );
                    (200, None, text)
                } else if f[0] == "NOQUOTA" {
                    mock.enforce_quota.store(false, Ordering::Relaxed);
                    (200, None, String::new())
                } else {
                    let len: usize = f.get(2).and_then(|l| l.parse().ok()).unwrap_or(0);
                    let mut body = vec![0; len];
                    if stream.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let url =
                        azure_core::http::Url::parse(f.get(1).copied().unwrap_or("")).unwrap();
                    tokio::time::sleep(LATENCY).await;
                    mock.answer(f[0], &url, &body)
                };
                let quota = match quota {
                    Some((left, resets)) => format!("{left}/{}", resets.as_millis()),
                    None => "-".to_string(),
                };
                let head = format!("{status} {quota} {}\n", text.len());
                let stream = stream.get_mut();
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(text.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    }
}

/// The measured process's transport: each request goes to the mock in its own process over the
/// Unix socket, so that the measured resident set holds azaudit and its transport only. Every
/// request is logged (method, URL, body) for the trivial client to send again.
#[derive(Debug)]
struct SocketArm {
    socket: std::path::PathBuf,
    log: std::sync::Mutex<Vec<Logged>>,
    /// When each request was sent and answered, for `COLLECT_TIMELINE` (see [`write_timeline`]).
    timeline: std::sync::Mutex<Vec<(Duration, Duration, String)>>,
    epoch: Instant,
}

/// A request as sent: method, URL and body.
type Logged = (Method, azure_core::http::Url, Vec<u8>);

impl SocketArm {
    async fn exchange(&self, head: &str, body: &[u8]) -> std::io::Result<(u16, Quota, Vec<u8>)> {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
        let mut stream = tokio::net::UnixStream::connect(&self.socket).await?;
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut stream = BufReader::new(stream);
        let mut line = String::new();
        stream.read_line(&mut line).await?;
        let f: Vec<&str> = line.trim_end().split(' ').collect();
        let bad = || std::io::Error::other("bad mock answer");
        let status: u16 = f.first().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let quota = f
            .get(1)
            .and_then(|q| q.split_once('/'))
            .and_then(|(left, ms)| {
                Some((left.parse().ok()?, Duration::from_millis(ms.parse().ok()?)))
            });
        let len: usize = f.get(2).and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let mut out = vec![0; len];
        stream.read_exact(&mut out).await?;
        Ok((status, quota, out))
    }

    async fn send(
        &self,
        method: Method,
        url: &azure_core::http::Url,
        body: &[u8],
    ) -> std::io::Result<(u16, Quota, Vec<u8>)> {
        let verb = if method == Method::Get { "GET" } else { "POST" };
        self.exchange(&format!("{verb} {url} {}\n", body.len()), body)
            .await
    }

    /// Turns the mock's quota off, for the trivial client.
    async fn without_quota(&self) {
        self.exchange("NOQUOTA\n", &[]).await.unwrap();
    }

    async fn stats(&self) -> (u64, u64) {
        let (_, _, text) = self.exchange("STATS\n", &[]).await.unwrap();
        let text = String::from_utf8(text).unwrap();
        let (a, b) = text.split_once(' ').unwrap();
        (a.parse().unwrap(), b.parse().unwrap())
    }
}

#[async_trait::async_trait]
impl HttpClient for SocketArm {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let sent: azure_core::Bytes = request.body().into();
        self.log
            .lock()
            .unwrap()
            .push((request.method(), request.url().clone(), sent.to_vec()));
        let start = self.epoch.elapsed();
        let (status, quota, body) = self
            .send(request.method(), request.url(), &sent)
            .await
            .map_err(|e| azure_core::Error::new(azure_core::error::ErrorKind::Io, e))?;
        let label = format!(
            "{} ({} kB)",
            describe(request.url(), &sent),
            body.len() / 1024
        );
        self.timeline
            .lock()
            .unwrap()
            .push((start, self.epoch.elapsed(), label));
        let mut headers = azure_core::http::headers::Headers::new();
        headers.insert("content-type", "application/json");
        if let Some((left, resets)) = quota {
            headers.insert("x-ms-user-quota-remaining", left.to_string());
            let ms = resets.as_millis();
            headers.insert(
                "x-ms-user-quota-resets-after",
                format!("00:00:{:02}.{:03}", ms / 1000, ms % 1000),
            );
        }
        Ok(AsyncRawResponse::from_bytes(
            StatusCode::from(status),
            headers,
            body,
        ))
    }
}

/// What a request reads, in a few words: the path of a GET, the type (and page) of a Resource
/// Graph query, the inner count and first path of a batch.
fn describe(url: &azure_core::http::Url, body: &[u8]) -> String {
    let short = |p: &str| {
        let lower = p.to_ascii_lowercase();
        let tail: Vec<&str> = lower.rsplit("/providers/").take(2).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join(" ")
    };
    let b: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    match url.path() {
        "/providers/Microsoft.ResourceGraph/resources" => {
            let q = b["query"].as_str().unwrap_or_default();
            let t = q.split('\'').nth(1).unwrap_or("?");
            let page = if b["options"]["$skipToken"].is_string() {
                " (next page)"
            } else {
                ""
            };
            format!("graph {t}{page}")
        }
        "/batch" => {
            let r = b["requests"].as_array().cloned().unwrap_or_default();
            let first = r
                .first()
                .and_then(|r| r["relativeUrl"].as_str())
                .unwrap_or_default();
            format!(
                "batch {} × {}",
                r.len(),
                short(first.split('?').next().unwrap_or_default())
            )
        }
        p => format!("GET {}", short(p)),
    }
}

/// Writes when each request was sent and answered (ms since the collection started) and what
/// it read, then how many were in flight in each 10 ms, to `file`.
fn write_timeline(
    file: &str,
    mut timeline: Vec<(Duration, Duration, String)>,
    wall: Duration,
    cpu: Duration,
) {
    use std::fmt::Write;
    timeline.sort_by_key(|t| t.0);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut out = format!("CPU time of the collection: {:.1} ms\n", ms(cpu));
    for (start, end, label) in &timeline {
        let _ = writeln!(
            out,
            "{:>7.1} {:>7.1} {:>6.1}  {label}",
            ms(*start),
            ms(*end),
            ms(*end - *start)
        );
    }
    let _ = writeln!(out, "\nin flight per 10 ms (wall {:.1} ms):", ms(wall));
    let slots = (ms(wall) / 10.0).ceil() as usize;
    for slot in 0..slots {
        let at = Duration::from_millis(slot as u64 * 10 + 5);
        let n = timeline
            .iter()
            .filter(|(s, e, _)| *s <= at && at < *e)
            .count();
        let _ = writeln!(out, "{:>5} {n:>3} {}", slot * 10, "#".repeat(n));
    }
    std::fs::write(file, out).unwrap();
}

/// How far down the data's own dependency chain a request is: 0 for the subscription list;
/// 1 for what needs only subscription ids (Resource Graph queries, subscription-wide lists,
/// provider registrations); 2 for what needs ids found in those answers (any read below a
/// resource group: child lists, per-vault settings, batches of them).
fn level(method: &Method, url: &azure_core::http::Url, body: &[u8]) -> usize {
    let below_a_resource = |path: &str| path.to_ascii_lowercase().contains("/resourcegroups/");
    if *method == Method::Get {
        return match url.path() {
            "/subscriptions" => 0,
            p if below_a_resource(p) => 2,
            _ => 1,
        };
    }
    let inner_below = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|b| b["requests"].as_array().cloned())
        .is_some_and(|r| {
            r.iter()
                .any(|r| below_a_resource(r["relativeUrl"].as_str().unwrap_or_default()))
        });
    if inner_below { 2 } else { 1 }
}

/// Sends the logged requests to the mock again as a trivial client that knows every request in
/// advance would, keeping only the dependency levels the data imposes (see [`level`]): each
/// level waits for the one before, and within a level every request is sent at once, except
/// that the pages of one Resource Graph query (same query and subscriptions) follow each other.
/// Answers are read and dropped, nothing is parsed. Returns the wall time.
async fn replay(mock: &SocketArm, log: Vec<Logged>) -> Duration {
    let mut levels: [Vec<Vec<Logged>>; 3] = Default::default();
    let mut graph_chain: HashMap<String, (usize, usize)> = HashMap::new();
    for (method, url, body) in log {
        let l = level(&method, &url, &body);
        let query = (url.path() == "/providers/Microsoft.ResourceGraph/resources")
            .then(|| serde_json::from_slice::<Value>(&body).ok())
            .flatten()
            .map(|b| format!("{}|{}", b["query"], b["subscriptions"]));
        match query.map(|q| graph_chain.get(&q).copied().ok_or(q)) {
            Some(Ok((l, chain))) => levels[l][chain].push((method, url, body)),
            Some(Err(q)) => {
                graph_chain.insert(q, (l, levels[l].len()));
                levels[l].push(vec![(method, url, body)]);
            }
            None => levels[l].push(vec![(method, url, body)]),
        }
    }
    let t = Instant::now();
    for chains in levels {
        futures::future::join_all(chains.into_iter().map(|chain| async move {
            for (method, url, body) in chain {
                mock.send(method, &url, &body).await.unwrap();
            }
        }))
        .await;
    }
    t.elapsed()
}

/// User and system CPU time this process has used so far (all threads).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<u64> = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    // Clock ticks of 10 ms (USER_HZ is 100 on Linux).
    Duration::from_millis(fields.iter().sum::<u64>() * 10)
}

/// Peak resident set of a process, in MB.
fn peak_rss_mb(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The mock's process: loads the index, serves it on `socket`, and says "ready" on stdout.
fn serve(index: &std::path::Path, socket: &std::path::Path) {
    let mock = Arc::new(MockArm::load(index));
    runtime().block_on(async {
        let listener = tokio::net::UnixListener::bind(socket).unwrap();
        println!("ready {}", mock.by_id.len());
        use std::io::Write;
        std::io::stdout().flush().unwrap();
        mock.serve(listener).await;
    });
}

fn measure(source: &str, socket: &std::path::Path, subscriptions: &str, resources: &str) {
    let subscriptions: Vec<String> = subscriptions.split(',').map(str::to_string).collect();
    let transport = Arc::new(SocketArm {
        socket: socket.to_path_buf(),
        log: Default::default(),
        timeline: Default::default(),
        epoch: Instant::now(),
    });
    let rt = runtime();
    let (snap, wall, stats, cpu) = rt.block_on(async {
        let client = ArmClient::new(
            ArmTarget::for_cloud(Cloud::Public),
            StaticToken::new("bench-token".into()),
            ClientSettings {
                transport: Some(transport.clone()),
                use_batch: source != "arm",
                ..ClientSettings::default()
            },
        );
        let scope = LiveScope {
            subscriptions,
            source: if source == "arm" {
                Source::Arm
            } else {
                Source::Graph
            },
            ..LiveScope::default()
        };
        let phases = transport.clone();
        client.set_phase_hook(Arc::new(move |what, _| {
            let at = phases.epoch.elapsed();
            let what = what.split(':').next().unwrap_or_default();
            phases
                .timeline
                .lock()
                .unwrap()
                .push((at, at, format!("phase ends: {what}")));
        }));
        let t = Instant::now();
        let cpu = cpu_time();
        let snap = collect(&client, &scope).await;
        (snap, t.elapsed(), client.stats(), cpu_time() - cpu)
    });
    let peak = peak_rss_mb("self");
    let (requests, inner) = rt.block_on(transport.stats());
    if let Ok(file) = std::env::var("COLLECT_TIMELINE") {
        let timeline = std::mem::take(&mut *transport.timeline.lock().unwrap());
        write_timeline(&format!("{file}.{source}"), timeline, wall, cpu);
    }
    let log = std::mem::take(&mut *transport.log.lock().unwrap());
    rt.block_on(transport.without_quota());
    let trivial = rt.block_on(replay(&transport, log));
    print!(
        "{source:>6} {:>5} {resources:>9} {:>5} {requests:>9} {inner:>8} {:>7} {:>8} {:>8} {:>8.2} {:>8.2} {:>6.2} {peak:>9.1}",
        snap.scope.subscriptions.len(),
        snap.inventory.key_vaults.len(),
        stats.graph_queries,
        stats.batch_calls,
        stats.graph_quota_wait_ms,
        wall.as_secs_f64(),
        trivial.as_secs_f64(),
        wall.as_secs_f64() / trivial.as_secs_f64(),
    );
    println!(" {{mock}} {:>5}", snap.coverage.gaps.len());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--measure") => {
            measure(&args[1], std::path::Path::new(&args[2]), &args[3], &args[4]);
            return;
        }
        Some("--serve") => {
            serve(
                std::path::Path::new(&args[1]),
                std::path::Path::new(&args[2]),
            );
            return;
        }
        _ => {}
    }
    let spokes = args
        .iter()
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(DEFAULT_SPOKES);
    let dir = tempfile::tempdir().expect("temporary directory");
    let index = dir.path().join("tenant.tsv");
    let doc = synthetic::tenant_with_vaults(spokes, EXTRA_VAULTS);
    MockArm::write_index(&doc, &index);
    let subscriptions: Vec<&str> = doc["scope"]["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let subscriptions = subscriptions.join(",");
    drop(doc);
    println!(
        "{:>6} {:>5} {:>9} {:>5} {:>9} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>6} {:>9} {:>8} {:>5}",
        "source",
        "subs",
        "resources",
        "vaults",
        "requests",
        "inner",
        "graph",
        "batches",
        "quota ms",
        "wall s",
        "trivial",
        "ratio",
        "peak MB",
        "mock MB",
        "gaps"
    );
    let exe = std::env::current_exe().unwrap();
    // `COLLECT_SOURCES=graph` measures one source only.
    let sources = std::env::var("COLLECT_SOURCES").unwrap_or_else(|_| "graph,arm".into());
    for source in sources.split(',') {
        // A fresh mock per source, in its own process: its memory and its counters are its own.
        let socket = dir.path().join(format!("{source}.sock"));
        let mut server = std::process::Command::new(&exe)
            .args(["--serve", index.to_str().unwrap(), socket.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the mock runs");
        let mut ready = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(server.stdout.take().unwrap()),
            &mut ready,
        )
        .unwrap();
        let resources = ready.trim().trim_start_matches("ready ").to_string();
        let out = std::process::Command::new(&exe)
            .args([
                "--measure",
                source,
                socket.to_str().unwrap(),
                subscriptions.as_str(),
                resources.as_str(),
            ])
            .output()
            .expect("the measuring child runs");
        let mock_mb = peak_rss_mb(&server.id().to_string());
        let _ = server.kill();
        let _ = server.wait();
        print!(
            "{}",
            String::from_utf8_lossy(&out.stdout).replace("{mock}", &format!("{mock_mb:>8.1}"))
        );
        if !out.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
