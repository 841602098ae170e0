//! `--format html`: the demo report's page names every finding and the JSON report's totals, and a
//! real browser (headless Chromium, when installed) renders it without console errors and applies
//! the filters of the URL fragment.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::azaudit;

fn demo_outputs(dir: &Path) -> (String, serde_json::Value) {
    let html = dir.join("demo.html");
    let json = dir.join("demo.json");
    let out = azaudit(&[
        "scan",
        "--demo",
        "--fail-on",
        "never",
        "--format",
        "html",
        "--format",
        "json",
        "-o",
        &format!("html={}", html.display()),
        "-o",
        &format!("json={}", json.display()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        std::fs::read_to_string(&html).unwrap(),
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap(),
    )
}

fn count_of(html: &str, id: &str) -> u64 {
    let marker = format!("id=\"{id}\">");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no #{id}")) + marker.len();
    html[at..].split('<').next().unwrap().parse().unwrap()
}

#[test]
fn demo_page_has_every_finding_anchor_and_the_json_totals() {
    let dir = tempfile::tempdir().unwrap();
    let (html, json) = demo_outputs(dir.path());
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: nothing is fetched when the page is opened.
    for external in ["<link", "src=\"http", "src='http", "@import", "url(http"] {
        assert!(!html.contains(external), "{external} in the page");
    }
    let findings = json["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        let id = f["id"].as_str().unwrap();
        assert_eq!(
            html.matches(&format!("id=\"finding-{id}\"")).count(),
            1,
            "anchor of {id}"
        );
    }
    assert_eq!(html.matches("<tr class=\"frow").count(), findings.len());
    let summary = &json["summary"];
    for (sev, n) in summary["active_by_severity"].as_object().unwrap() {
        assert_eq!(
            count_of(&html, &format!("count-{sev}")),
            n.as_u64().unwrap(),
            "{sev}"
        );
    }
    assert_eq!(
        count_of(&html, "count-suppressed"),
        summary["suppressed"].as_u64().unwrap()
    );
    assert!(html.contains(&format!("data-total=\"{}\"", summary["findings"])));
    // The hub, its spokes, the firewall and the zones are in the picture.
    for name in [
        "vnet-hub",
        "vnet-spoke-app",
        "FW ",
        "privatelink.vaultcore.azure.net",
    ] {
        assert!(html.contains(name), "{name} missing from the page");
    }
    // Subscription names appear in the scope.
    for (_, name) in json["scope"]["subscription_names"].as_object().unwrap() {
        assert!(html.contains(name.as_str().unwrap()));
    }
}

fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("AZAUDIT_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
    .find(|p| p.is_file())
}

/// Runs headless Chromium on `url`, returning the DOM after scripts ran and the browser's log.
fn dump_dom(
    browser: &Path,
    url: &str,
    profile: &Path,
    screenshot: Option<&Path>,
) -> (String, String) {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    match screenshot {
        Some(p) => {
            cmd.arg(format!("--screenshot={}", p.display()))
                .arg("--window-size=1400,2000");
        }
        None => {
            cmd.arg("--dump-dom");
        }
    }
    let out = cmd.arg(url).output().expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The finding rows of a dumped DOM: (rule, resource keys, visible).
fn rows(dom: &str) -> Vec<(String, String, bool)> {
    dom.split("<tr class=\"frow")
        .skip(1)
        .map(|rest| {
            let tag = &rest[..rest.find('>').unwrap()];
            let attr = |name: &str| {
                let m = format!("{name}=\"");
                let at = tag.find(&m).unwrap() + m.len();
                tag[at..at + tag[at..].find('"').unwrap()].to_string()
            };
            (
                attr("data-rule"),
                attr("data-res"),
                !tag.contains(" hidden"),
            )
        })
        .collect()
}

fn console_lines(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

#[test]
fn headless_chromium_renders_the_page_and_applies_fragment_filters() {
    let Some(browser) = chromium() else {
        println!(
            "SKIPPED: no chromium binary on PATH (install Debian's `chromium` or set AZAUDIT_CHROMIUM)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, json) = demo_outputs(dir.path());
    let page = dir.path().join("demo.html").canonicalize().unwrap();
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");

    // A rule filter from the fragment: only that rule's rows stay visible.
    let (dom, log) = dump_dom(
        &browser,
        &format!("{url}#filter-rule=NSG101"),
        &profile,
        None,
    );
    assert!(
        console_lines(&log).is_empty(),
        "console output: {:?}",
        console_lines(&log)
    );
    let all = rows(&dom);
    let active = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("suppression").is_none())
        .collect::<Vec<_>>();
    assert_eq!(all.len(), json["findings"].as_array().unwrap().len());
    let expected = active.iter().filter(|f| f["rule"] == "NSG101").count();
    assert!(expected > 0);
    let visible: Vec<_> = all.iter().filter(|r| r.2).collect();
    assert_eq!(visible.len(), expected, "visible rows: {visible:?}");
    assert!(visible.iter().all(|r| r.0 == "NSG101"));
    assert!(dom.contains(&format!("data-shown=\"{expected}\"")));

    // Clicking a subnet in the picture filters to the findings that concern it.
    let (dom, log) = dump_dom(
        &browser,
        &format!("{url}#filter-resource=snet-app"),
        &profile,
        None,
    );
    assert!(
        console_lines(&log).is_empty(),
        "console output: {:?}",
        console_lines(&log)
    );
    let at = dom
        .find("data-name=\"snet-app\"")
        .expect("snet-app is drawn");
    let open = dom[..at].rfind("<g ").unwrap();
    let tag = &dom[open..open + dom[open..].find('>').unwrap()];
    assert!(tag.contains("subnet"), "{tag}");
    let keys_at = tag.find("data-keys=\"").unwrap() + 11;
    let keys: Vec<&str> = tag[keys_at..keys_at + tag[keys_at..].find('"').unwrap()]
        .split(' ')
        .collect();
    let all = rows(&dom);
    let visible: Vec<_> = all.iter().filter(|r| r.2).collect();
    assert!(
        !visible.is_empty() && visible.len() < all.len(),
        "{} of {}",
        visible.len(),
        all.len()
    );
    for r in &all {
        let concerns = keys.iter().any(|k| r.1.contains(&format!(" {k} ")));
        assert_eq!(r.2, concerns, "row {r:?} against {keys:?}");
    }

    // The subnet's effective routes open with it.
    assert!(
        dom.contains(&format!(
            "<details class=\"subnet-detail\" id=\"subnet-{}\" open",
            keys[0]
        )),
        "effective routes of snet-app not opened"
    );

    // A screenshot for review, beside the build's other outputs.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let shot = target.join("html-report.png");
    let _ = std::fs::remove_file(&shot);
    dump_dom(
        &browser,
        &format!("{url}#filter-rule=NSG101"),
        &profile,
        Some(&shot),
    );
    assert!(
        std::fs::metadata(&shot)
            .map(|m| m.len() > 10_000)
            .unwrap_or(false)
    );
}

#[test]
fn report_draws_a_snapshot_again_without_a_live_read() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("tenant.json");
    std::fs::write(&snap, azaudit::collect::demo::snapshot().to_json()).unwrap();
    let html = dir.path().join("out.html");
    let out = azaudit(&[
        "report",
        "--snapshot",
        snap.to_str().unwrap(),
        "--as-of",
        crate::common::SCAN_AT,
        "-o",
        html.to_str().unwrap(),
    ]);
    // High findings do not change the exit code of `report`.
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg id=\"topo\""));
    let scanned = crate::common::scan(&azaudit::collect::demo::snapshot());
    for f in &scanned.findings {
        assert!(page.contains(&format!("id=\"finding-{}\"", f.id)));
    }
    let missing = azaudit(&["report", "--format", "html"]);
    assert_eq!(missing.status.code(), Some(2));
}

/// `report --report REPORT.json`: the saved findings, suppressions and baseline delta are drawn
/// as saved (the rules do not run again), over the snapshot the report came from.
#[test]
fn report_draws_a_saved_json_report_over_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let snap = path("tenant.json");
    std::fs::write(&snap, azaudit::collect::demo::snapshot().to_json()).unwrap();
    // A baseline missing one finding (so one is new) and a policy exempting NSG101.
    let first = azaudit(&[
        "scan",
        "--snapshot",
        &snap,
        "--fail-on",
        "never",
        "--format",
        "json",
        "-o",
        &path("base.json"),
    ]);
    assert!(first.status.success());
    let mut base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path("base.json")).unwrap()).unwrap();
    base["findings"].as_array_mut().unwrap().remove(0);
    std::fs::write(path("base.json"), base.to_string()).unwrap();
    std::fs::write(
        path("policy.toml"),
        "[[exemptions]]\nrule = \"NSG101\"\nresource = \"*\"\nreason = \"accepted for the lab\"\n",
    )
    .unwrap();
    let saved = azaudit(&[
        "scan",
        "--snapshot",
        &snap,
        "--fail-on",
        "never",
        "--policy",
        &path("policy.toml"),
        "--baseline",
        &path("base.json"),
        "--format",
        "json",
        "-o",
        &path("saved.json"),
    ]);
    assert!(
        saved.status.success(),
        "{}",
        String::from_utf8_lossy(&saved.stderr)
    );
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path("saved.json")).unwrap()).unwrap();
    // A title only the saved report has: the page shows it, so the rules did not run again.
    json["findings"][0]["title"] = "title kept from the saved report".into();
    std::fs::write(path("saved.json"), json.to_string()).unwrap();

    let out = azaudit(&[
        "report",
        "--report",
        &path("saved.json"),
        "--snapshot",
        &snap,
        "-o",
        &path("out.html"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(path("out.html")).unwrap();
    assert!(page.contains("title kept from the saved report"));
    let findings = json["findings"].as_array().unwrap();
    for f in findings {
        let id = f["id"].as_str().unwrap();
        assert_eq!(page.matches(&format!("id=\"finding-{id}\"")).count(), 1);
    }
    let suppressed = json["summary"]["suppressed"].as_u64().unwrap();
    assert!(suppressed > 0, "the policy suppressed NSG101");
    assert_eq!(count_of(&page, "count-suppressed"), suppressed);
    assert!(page.contains(&format!("Suppressed findings ({suppressed})")));
    let new = findings.iter().filter(|f| f["baseline"] == "new").count() as u64;
    assert_eq!(new, 1);
    assert_eq!(count_of(&page, "count-new"), new);
    assert_eq!(
        count_of(&page, "count-resolved"),
        json["resolved"].as_array().map_or(0, |r| r.len()) as u64
    );
    assert!(page.contains("<svg"));

    // A snapshot the report was not built from is refused.
    let mut other = azaudit::collect::demo::snapshot();
    other.collected_at += chrono::Duration::hours(1);
    std::fs::write(path("other.json"), other.to_json()).unwrap();
    let refused = azaudit(&[
        "report",
        "--report",
        &path("saved.json"),
        "--snapshot",
        &path("other.json"),
        "-o",
        &path("x.html"),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not this one"));
    assert!(!dir.path().join("x.html").exists());
    // The saved report already carries its policy and baseline.
    let both = azaudit(&[
        "report",
        "--report",
        &path("saved.json"),
        "--snapshot",
        &snap,
        "--policy",
        &path("policy.toml"),
    ]);
    assert_eq!(both.status.code(), Some(2));
}
