//! Scan time and memory against generated hub-and-spoke tenants of about 1k, 5k and 50k resources
//! (run with `cargo bench --bench scale`; `-- 1k 5k` picks sizes). Each size is measured in a fresh
//! child process, so its peak RSS is its own: snapshot load time and RSS, the rules' total time,
//! the three slowest rules, the JSON report (streamed to a file, as `scan` does), and the findings.
//! Prints a table; no assertions. `--measure FILE` measures one snapshot, `--generate N FILE`
//! writes one of about N resources, and `--profile FILE` shows where one scan's heap goes (stage
//! by stage, from a counting allocator).

#[path = "support/synthetic.rs"]
mod synthetic;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use azaudit::collect::Snapshot;

const SIZES: &[(&str, usize)] = &[("1k", 1_000), ("5k", 5_000), ("50k", 50_000)];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--profile") {
        profile(Path::new(&args[1]));
        return;
    }
    if args.first().map(String::as_str) == Some("--measure") {
        measure(Path::new(&args[1]));
        return;
    }
    // `--generate RESOURCES FILE` writes a tenant for inspection or profiling.
    if args.first().map(String::as_str) == Some("--generate") {
        let resources: usize = args[1].parse().expect("a resource count");
        let doc = synthetic::tenant(resources.div_ceil(synthetic::resources_per_spoke()));
        std::fs::write(&args[2], serde_json::to_string(&doc).unwrap()).expect("write the snapshot");
        return;
    }
    let wanted: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let dir = tempfile::tempdir().expect("temporary directory");
    println!(
        "{:>5} {:>9} {:>8} {:>9} {:>9} {:>10} {:>9} {:>9} {:>9} {:>8}  slowest rules",
        "size",
        "resources",
        "file MB",
        "load s",
        "load RSS",
        "rules s",
        "report s",
        "total s",
        "peak RSS",
        "findings"
    );
    for (label, resources) in SIZES {
        if !wanted.is_empty() && !wanted.contains(label) {
            continue;
        }
        let spokes = resources.div_ceil(synthetic::resources_per_spoke());
        let path = dir.path().join(format!("tenant-{label}.json"));
        let doc = synthetic::tenant(spokes);
        let count: usize = doc["inventory"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_array().map_or(0, Vec::len))
            .sum();
        std::fs::write(&path, serde_json::to_string(&doc).unwrap()).expect("write the snapshot");
        drop(doc);
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--measure", path.to_str().unwrap()])
            .output()
            .expect("the measuring child runs");
        let line = String::from_utf8_lossy(&out.stdout);
        let mb = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
        println!("{label:>5} {count:>9} {mb:>8.1} {}", line.trim_end());
        if !out.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

/// Peak and current resident set of this process, in MB.
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// One `scan --snapshot` as the command line runs it: load, one rules pass inside the report,
/// the JSON report streamed to a file. Per-rule times come from the report's own `duration_ms`.
fn measure(path: &Path) {
    let start = Instant::now();
    let snapshot = Snapshot::load(path).expect("the generated snapshot loads");
    let load = start.elapsed();
    let (load_peak, inventory_rss) = rss();

    let report_start = Instant::now();
    let report = azaudit::scan::build_report(
        &snapshot,
        "bench",
        None,
        "2026-11-24T09:00:00Z".parse().unwrap(),
        Instant::now(),
    );
    let rules_done = report_start.elapsed();
    let out = path.with_extension("report.json");
    azaudit::report::write_output_with(Some(&out), &mut |w| report.write_json(w))
        .expect("the report is written");
    let report_time = report_start.elapsed();
    let (peak, _) = rss();
    let json_len = std::fs::metadata(&out).map_or(0, |m| m.len());
    let _ = std::fs::remove_file(&out);

    let rules: f64 = report.rules.iter().map(|r| r.duration_ms).sum::<f64>() / 1e3;
    let mut per_rule: Vec<(&str, f64)> = report
        .rules
        .iter()
        .map(|r| (r.code.as_str(), r.duration_ms / 1e3))
        .collect();
    per_rule.sort_by(|a, b| b.1.total_cmp(&a.1));
    if std::env::var_os("AZAUDIT_BENCH_EVERY_RULE").is_some() {
        for (code, d) in &per_rule {
            eprintln!("{code} {d:.4}");
        }
    }
    let mut by_rule: std::collections::BTreeMap<&str, usize> = Default::default();
    for f in &report.findings {
        *by_rule.entry(&*f.rule).or_default() += 1;
    }
    let mut by_rule: Vec<(&str, usize)> = by_rule.into_iter().collect();
    by_rule.sort_by_key(|r| std::cmp::Reverse(r.1));
    let most: Vec<String> = by_rule
        .iter()
        .take(4)
        .map(|(c, n)| format!("{c}×{n}"))
        .collect();
    let slowest: Vec<String> = per_rule
        .iter()
        .take(3)
        .map(|(c, d)| format!("{c} {d:.3}s"))
        .collect();
    let total = load + report_time;
    println!(
        "{:>9.3} {:>7.0}MB {:>10.3} {:>9.3} {:>9.3} {:>7.0}MB {:>8}  {} (most: {}; index+rules {:.3} s; {} bytes of JSON; {:.0} MB resident after loading)",
        load.as_secs_f64(),
        load_peak,
        rules,
        report_time.as_secs_f64(),
        total.as_secs_f64(),
        peak,
        report.findings.len(),
        slowest.join(", "),
        most.join(" "),
        rules_done.as_secs_f64(),
        json_len,
        inventory_rss
    );
}

/// Counts the heap's live and peak bytes, so that `--profile FILE` can say which stage of a scan
/// holds how much. Relaxed atomics: the count costs nothing measurable, and RSS is read from the
/// kernel as before.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static BLOCKS: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is passed straight to the system allocator; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        BLOCKS.fetch_add(1, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        BLOCKS.fetch_sub(1, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size);
        LIVE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Prints the heap (live, and peak since the previous stage) and the resident set after `stage`:
/// anonymous memory (the heap, stacks) and file pages (the program's code).
fn stage(stage: &str) {
    let (peak_rss, rss_now) = rss();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    eprintln!(
        "{stage:<26} heap {:>7.1} MB (peak {:>7.1} MB, {:>8} blocks)  RSS {:>5.0} MB (peak {:>5.0} MB; anonymous {:>5.0} MB, file {:>3.0} MB)",
        LIVE.load(Relaxed) as f64 / 1e6,
        PEAK.load(Relaxed) as f64 / 1e6,
        BLOCKS.load(Relaxed),
        rss_now,
        peak_rss,
        kb("RssAnon:"),
        kb("RssFile:")
    );
    PEAK.store(LIVE.load(Relaxed), Relaxed);
}

/// Where one scan's memory goes: the sizes of the most numerous inventory types, then the heap
/// after loading, indexing, each rule that finds something (its findings kept, as a report keeps
/// them) and the report.
fn profile(path: &Path) {
    use azaudit::inventory::{network, privatedns};
    macro_rules! sizes {
        ($($t:ty),*) => { $( eprintln!("size_of {:<36} {:>4} bytes", stringify!($t), std::mem::size_of::<$t>()); )* }
    }
    sizes!(
        network::SecurityRule,
        network::Route,
        network::Subnet,
        network::NetworkInterface,
        network::PrivateEndpoint,
        privatedns::RecordSet,
        privatedns::VirtualNetworkLink,
        azaudit::findings::Finding
    );
    stage("start");
    let snapshot = Snapshot::load(path).expect("the snapshot loads");
    stage("loaded");
    let idx = azaudit::inventory::Index::new(&snapshot.inventory);
    stage("indexed");
    let facts = azaudit::model::facts::Facts::new(&idx);
    let cx = azaudit::rules::Context {
        inv: &snapshot.inventory,
        idx: &idx,
        facts: &facts,
        coverage: &snapshot.coverage,
        cloud: snapshot.cloud,
        zones: azaudit::model::privatelink::ZoneTable::shipped(),
        now: "2026-11-24T09:00:00Z".parse().unwrap(),
        params: azaudit::policy::file::Policy::shipped(),
        scope: &snapshot.scope.subscriptions,
    };
    // Rules that find nothing and leave less than a megabyte behind (in the shared caches) are
    // not printed; the next stage's peak covers them.
    let mut kept = Vec::new();
    let mut shown = LIVE.load(Relaxed);
    for rule in azaudit::rules::registry() {
        let (findings, _) = azaudit::rules::run(&cx, &[rule]);
        if findings.is_empty() && LIVE.load(Relaxed) < shown + 1_000_000 {
            continue;
        }
        let n = findings.len();
        kept.extend(findings);
        stage(&format!("{} ({n} findings)", rule.meta().code));
        shown = LIVE.load(Relaxed);
    }
    drop(kept);
    drop(facts);
    drop(idx);
    stage("rules done, all dropped");
    let report = azaudit::scan::build_report(
        &snapshot,
        "bench",
        None,
        "2026-11-24T09:00:00Z".parse().unwrap(),
        Instant::now(),
    );
    stage("report built");
    let out = path.with_extension("report.json");
    azaudit::report::write_output_with(Some(&out), &mut |w| report.write_json(w))
        .expect("the report is written");
    stage("report written");
    let _ = std::fs::remove_file(&out);
}
