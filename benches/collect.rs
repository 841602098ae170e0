//! Live collection of a generated tenant served by an in-process mock ARM with 30 ms latency per
//! request: ARM lists and GETs, Resource Graph (skip-token paging, quota headers) and `/batch`.
//! Compares `--source graph` (Resource Graph + batch) with `--source arm` (ARM lists and direct
//! GETs): HTTP requests, inner batch requests, wall time and peak RSS, each source measured in a
//! fresh child process (run with `cargo bench --bench collect`; `-- 150` sets the spokes, three to
//! a subscription). Prints a table; no assertions.

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
use serde_json::{Value, json};

const LATENCY: Duration = Duration::from_millis(30);
const DEFAULT_SPOKES: usize = 150;

/// The tenant, indexed the way ARM and Resource Graph answer.
struct MockArm {
    /// Items by lower-case id (single GETs).
    by_id: HashMap<String, Value>,
    /// Items by the lower-case path of the list that returns them.
    lists: HashMap<String, Vec<Value>>,
    /// Resource Graph rows by lower-case type.
    by_type: HashMap<String, Vec<Value>>,
    requests: AtomicU64,
    inner: AtomicU64,
}

impl std::fmt::Debug for MockArm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MockArm")
    }
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
    fn new(doc: &Value) -> Self {
        let mut by_id = HashMap::new();
        let mut lists: HashMap<String, Vec<Value>> = HashMap::new();
        let mut by_type: HashMap<String, Vec<Value>> = HashMap::new();
        for (_, items) in doc["inventory"].as_object().unwrap() {
            for item in items.as_array().into_iter().flatten() {
                let Some(id) = item["id"].as_str() else {
                    continue;
                };
                by_id.insert(id.to_ascii_lowercase(), item.clone());
                lists.entry(list_path(id)).or_default().push(item.clone());
                if id.contains("/resourceGroups/") {
                    let mut row = item.clone();
                    row["type"] = Value::from(type_of(id));
                    row["subscriptionId"] = Value::from(id.split('/').nth(2).unwrap_or_default());
                    row["resourceGroup"] = Value::from(id.split('/').nth(4).unwrap_or_default());
                    by_type.entry(type_of(id)).or_default().push(row);
                }
            }
        }
        for rows in by_type.values_mut() {
            rows.sort_by_key(|r| r["id"].as_str().unwrap_or_default().to_ascii_lowercase());
        }
        MockArm {
            by_id,
            lists,
            by_type,
            requests: AtomicU64::new(0),
            inner: AtomicU64::new(0),
        }
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let p = path.to_ascii_lowercase();
        if let Some(items) = self.lists.get(&p) {
            return (200, json!({ "value": items }));
        }
        if let Some(item) = self.by_id.get(&p) {
            return (200, item.clone());
        }
        // Lists of nothing (a watcher without flow logs, a vault without settings) are empty.
        if p.ends_with("/flowlogs")
            || p.ends_with("/virtualnetworklinks")
            || p.ends_with("/a")
            || p.ends_with("/diagnosticsettings")
            || p.ends_with("/backupresourceguardproxies")
            || p.starts_with("/subscriptions/") && p.contains("/providers/")
        {
            return (200, json!({"value": []}));
        }
        (
            404,
            json!({"error": {"code": "NotFound", "message": "not found"}}),
        )
    }

    fn graph(&self, body: &Value) -> Value {
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
        let rows: Vec<&Value> = self
            .by_type
            .get(t)
            .into_iter()
            .flatten()
            .filter(|r| {
                subs.iter()
                    .any(|s| r["subscriptionId"].as_str().unwrap_or_default() == s)
            })
            .collect();
        let top = body["options"]["$top"].as_u64().unwrap_or(100).min(1000) as usize;
        let offset: usize = body["options"]["$skipToken"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let page: Vec<&Value> = rows.iter().skip(offset).take(top).copied().collect();
        let mut answer = json!({"totalRecords": rows.len(), "count": page.len(),
            "resultTruncated": "false", "data": page});
        if offset + top < rows.len() {
            answer["$skipToken"] = Value::from((offset + top).to_string());
        }
        answer
    }

    fn batch(&self, body: &Value) -> Value {
        let responses: Vec<Value> = body["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                self.inner.fetch_add(1, Ordering::Relaxed);
                let rel = r["relativeUrl"].as_str().unwrap_or_default();
                let path = rel.split('?').next().unwrap_or_default();
                let (status, content) = self.get(path);
                json!({"name": r["name"], "httpStatusCode": status, "headers": {}, "content": content})
            })
            .collect();
        json!({ "responses": responses })
    }
}

#[async_trait::async_trait]
impl HttpClient for MockArm {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        self.requests.fetch_add(1, Ordering::Relaxed);
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
                json!({"error": {"code": "MethodNotAllowed", "message": "no"}}),
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
            serde_json::to_vec(&value).unwrap(),
        ))
    }
}

/// Peak resident set of this process, in MB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn measure(source: &str, spokes: usize) {
    let doc = synthetic::tenant(spokes);
    let subscriptions: Vec<String> = doc["scope"]["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    let resources: usize = doc["inventory"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_array().map_or(0, Vec::len))
        .sum();
    let mock = Arc::new(MockArm::new(&doc));
    drop(doc);
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
    println!(
        "{source:>6} {:>5} {resources:>9} {:>9} {:>8} {:>7} {:>8} {:>8.2} {:>9.1} {:>5}",
        snap.scope.subscriptions.len(),
        mock.requests.load(Ordering::Relaxed),
        mock.inner.load(Ordering::Relaxed),
        stats.graph_queries,
        stats.batch_calls,
        wall.as_secs_f64(),
        peak_rss_mb(),
        snap.coverage.gaps.len(),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--measure") {
        measure(&args[1], args[2].parse().expect("spokes"));
        return;
    }
    let spokes = args
        .iter()
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(DEFAULT_SPOKES);
    println!(
        "{:>6} {:>5} {:>9} {:>9} {:>8} {:>7} {:>8} {:>8} {:>9} {:>5}",
        "source",
        "subs",
        "resources",
        "requests",
        "inner",
        "graph",
        "batches",
        "wall s",
        "peak MB",
        "gaps"
    );
    for source in ["graph", "arm"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--measure", source, &spokes.to_string()])
            .output()
            .expect("the measuring child runs");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
