//! Live collection of a generated tenant served by an in-process mock ARM with 30 ms latency per
//! request: ARM lists and GETs, Resource Graph (skip-token paging, quota headers) and `/batch`.
//! Compares `--source graph` (Resource Graph + batch) with `--source arm` (ARM lists and direct
//! GETs): HTTP requests, inner batch requests, wall time and peak RSS, each source measured in a
//! fresh child process (run with `cargo bench --bench collect`; `-- 150` sets the spokes, three to
//! a subscription, each with four Key Vaults). After each run a trivial client sends the mock the
//! same requests again (16 at a time, the pages of one Resource Graph query one after another,
//! nothing parsed), so that the table also shows how long the mock itself needs to answer them.
//! Prints a table; no assertions.

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
/// Requests the trivial client keeps in flight (azaudit's default overall limit).
const REPLAY_CONCURRENCY: usize = 16;

/// The tenant, indexed the way ARM and Resource Graph answer, each item kept as its JSON text
/// (shared between the indexes) so that the mock's own memory stays small next to azaudit's.
struct MockArm {
    /// Items by lower-case id (single GETs).
    by_id: HashMap<String, Arc<str>>,
    /// Items by the lower-case path of the list that returns them.
    lists: HashMap<String, Vec<Arc<str>>>,
    /// Resource Graph rows (subscription, JSON) by lower-case type, ordered by id.
    by_type: HashMap<String, Vec<(String, String)>>,
    requests: AtomicU64,
    inner: AtomicU64,
    /// Every request received (method, URL, body), for the trivial client to send again.
    log: std::sync::Mutex<Vec<(Method, azure_core::http::Url, Vec<u8>)>>,
}

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
                (t, rows.into_iter().map(|(_, s, r)| (s, r)).collect())
            })
            .collect();
        MockArm {
            by_id,
            lists,
            by_type,
            requests: AtomicU64::new(0),
            inner: AtomicU64::new(0),
            log: Default::default(),
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
        let t = query
            .split_once("type =~ '")
            .and_then(|(_, r)| r.split('\'').next())
            .unwrap_or_default();
        let subs: Vec<String> = body["subscriptions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect();
        let rows: Vec<&str> = self
            .by_type
            .get(t)
            .into_iter()
            .flatten()
            .filter(|(s, _)| subs.contains(s))
            .map(|(_, r)| r.as_str())
            .collect();
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

#[async_trait::async_trait]
impl HttpClient for MockArm {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let sent: azure_core::Bytes = request.body().into();
        self.log
            .lock()
            .unwrap()
            .push((request.method(), request.url().clone(), sent.to_vec()));
        tokio::time::sleep(LATENCY).await;
        let path = request.url().path().to_string();
        let body = || -> Value {
            let bytes: azure_core::Bytes = request.body().into();
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        let (status, value, quota) = match request.method() {
            Method::Get => {
                let (s, v) = self.get(&path);
                (s, v, false)
            }
            Method::Post
                if path.eq_ignore_ascii_case("/providers/Microsoft.ResourceGraph/resources") =>
            {
                (200, self.graph(&body()), true)
            }
            Method::Post if path == "/batch" => (200, self.batch(&body()), false),
            _ => (
                405,
                r#"{"error":{"code":"MethodNotAllowed","message":"no"}}"#.to_string(),
                false,
            ),
        };
        let mut headers = azure_core::http::headers::Headers::new();
        headers.insert("content-type", "application/json");
        if quota {
            headers.insert("x-ms-user-quota-remaining", "14");
            headers.insert("x-ms-user-quota-resets-after", "00:00:05");
        }
        Ok(AsyncRawResponse::from_bytes(
            StatusCode::from(status),
            headers,
            value.into_bytes(),
        ))
    }
}

/// Sends the logged requests to the mock again as a trivial client would: `REPLAY_CONCURRENCY`
/// at a time, the pages of one Resource Graph query (same query and subscriptions) in order, the
/// answers read and dropped. Returns the wall time.
async fn replay(mock: &MockArm, log: Vec<(Method, azure_core::http::Url, Vec<u8>)>) -> Duration {
    use futures::StreamExt;
    let mut chains: Vec<Vec<(Method, azure_core::http::Url, Vec<u8>)>> = Vec::new();
    let mut graph_chain: HashMap<String, usize> = HashMap::new();
    for (method, url, body) in log {
        let query = (url.path() == "/providers/Microsoft.ResourceGraph/resources")
            .then(|| serde_json::from_slice::<Value>(&body).ok())
            .flatten()
            .map(|b| format!("{}|{}", b["query"], b["subscriptions"]));
        match query.map(|q| graph_chain.get(&q).copied().ok_or(q)) {
            Some(Ok(chain)) => chains[chain].push((method, url, body)),
            Some(Err(q)) => {
                graph_chain.insert(q, chains.len());
                chains.push(vec![(method, url, body)]);
            }
            None => chains.push(vec![(method, url, body)]),
        }
    }
    let t = Instant::now();
    futures::stream::iter(chains)
        .for_each_concurrent(REPLAY_CONCURRENCY, |chain| async move {
            for (method, url, body) in chain {
                let mut request = Request::new(url, method);
                request.set_body(body);
                let response = mock.execute_request(&request).await.unwrap();
                let _ = response.into_body().collect().await;
            }
        })
        .await;
    t.elapsed()
}

/// Peak resident set of this process, in MB.
fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn measure(source: &str, index: &std::path::Path, subscriptions: &str) {
    let subscriptions: Vec<String> = subscriptions.split(',').map(str::to_string).collect();
    let mock = Arc::new(MockArm::load(index));
    let resources = mock.by_id.len();
    let mock_mb = status_mb("VmRSS:");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (snap, wall, stats) = rt.block_on(async {
        let client = ArmClient::new(
            ArmTarget::for_cloud(Cloud::Public),
            StaticToken::new("bench-token".into()),
            ClientSettings {
                transport: Some(mock.clone()),
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
        let t = Instant::now();
        let snap = collect(&client, &scope).await;
        (snap, t.elapsed(), client.stats())
    });
    let peak = peak_rss_mb();
    let requests = mock.requests.load(Ordering::Relaxed);
    let inner = mock.inner.load(Ordering::Relaxed);
    let log = std::mem::take(&mut *mock.log.lock().unwrap());
    let mock_time = rt.block_on(replay(&mock, log));
    println!(
        "{source:>6} {:>5} {resources:>9} {:>5} {requests:>9} {inner:>8} {:>7} {:>8} {:>8.2} {:>8.2} {:>6.2} {peak:>9.1} {mock_mb:>8.1} {:>5}",
        snap.scope.subscriptions.len(),
        snap.inventory.key_vaults.len(),
        stats.graph_queries,
        stats.batch_calls,
        wall.as_secs_f64(),
        mock_time.as_secs_f64(),
        wall.as_secs_f64() / mock_time.as_secs_f64(),
        snap.coverage.gaps.len(),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--measure") {
        measure(&args[1], std::path::Path::new(&args[2]), &args[3]);
        return;
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
    println!(
        "{:>6} {:>5} {:>9} {:>5} {:>9} {:>8} {:>7} {:>8} {:>8} {:>8} {:>6} {:>9} {:>8} {:>5}",
        "source",
        "subs",
        "resources",
        "vaults",
        "requests",
        "inner",
        "graph",
        "batches",
        "wall s",
        "mock s",
        "ratio",
        "peak MB",
        "mock MB",
        "gaps"
    );
    for source in ["graph", "arm"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--measure",
                source,
                index.to_str().unwrap(),
                subscriptions.as_str(),
            ])
            .output()
            .expect("the measuring child runs");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
