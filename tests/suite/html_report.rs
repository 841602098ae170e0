//! `--format html`: the demo report's page names every finding and the JSON report's totals, and a
//! real browser (headless Chromium, when installed) renders it without console errors and applies
//! the filters of the URL fragment.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::azaudit;

fn demo_outputs(dir: &Path) -> (String, serde_json::Value) {
    let (_, html, json) = outputs(dir, &["--demo"]);
    (html, json)
}

/// Scans `source` (`--demo`, or `--snapshot FILE`) into an HTML page and a JSON report in `dir`:
/// the page's path, its text and the report.
fn outputs(dir: &Path, source: &[&str]) -> (std::path::PathBuf, String, serde_json::Value) {
    let html = dir.join("page.html");
    let json = dir.join("page.json");
    let (html_to, json_to) = (
        format!("html={}", html.display()),
        format!("json={}", json.display()),
    );
    let mut args = vec!["scan"];
    args.extend_from_slice(source);
    args.extend_from_slice(&[
        "--fail-on",
        "never",
        "--format",
        "html",
        "--format",
        "json",
        "-o",
        &html_to,
        "-o",
        &json_to,
    ]);
    let out = azaudit(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        html.clone(),
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
        // The Virtual WAN hub with its firewall.
        "class=\"res hub\" data-keys=",
        "FW afw-vwan-hub 10.100.0.132",
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

/// The text of column `col` of every body row of the table `id` in a dumped DOM.
fn table_column(dom: &str, id: &str, col: usize) -> Vec<String> {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let table = &dom[at..at + dom[at..].find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            let cell = row.split("<td>").nth(col + 1).unwrap_or_default();
            cell[..cell.find("</td>").unwrap_or(cell.len())]
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
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
    let (page, _, json) = outputs(dir.path(), &["--demo"]);
    let page = page.canonicalize().unwrap();
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

    // The text filter searches what a row shows: a finding's id (in its anchor link) finds it alone.
    let one = active[active.len() / 2]["id"].as_str().unwrap();
    let (dom, log) = dump_dom(
        &browser,
        &format!("{url}#filter-text={one}"),
        &profile,
        None,
    );
    assert!(
        console_lines(&log).is_empty(),
        "console output: {:?}",
        console_lines(&log)
    );
    assert!(dom.contains("data-shown=\"1\""), "one row for {one}");
    let shown: Vec<_> = dom
        .split("<tr class=\"frow")
        .skip(1)
        .filter(|r| !r[..r.find('>').unwrap()].contains(" hidden"))
        .collect();
    assert_eq!(shown.len(), 1);
    assert!(shown[0].contains(&format!("id=\"finding-{one}\"")));

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

    // The subnet's drill-down is drawn: its effective routes and both directions' rules, in the
    // order `azaudit routes` and `azaudit effective-rules` give them.
    let body = &dom[dom.find("id=\"dd-body\"").expect("drill-down")..];
    assert!(
        body.contains("<h3>vnet-spoke-app / snet-app</h3>"),
        "{}",
        &body[..body.len().min(400)]
    );
    let routes: serde_json::Value = serde_json::from_slice(
        &azaudit(&[
            "routes",
            "--demo",
            "--subnet",
            "vnet-spoke-app/snet-app",
            "--format",
            "json",
        ])
        .stdout,
    )
    .unwrap();
    let prefixes: Vec<String> = routes["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address_prefix"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(table_column(body, "dd-routes", 2), prefixes);
    let rules: serde_json::Value = serde_json::from_slice(
        &azaudit(&[
            "effective-rules",
            "--demo",
            "--subnet",
            "vnet-spoke-app/snet-app",
            "--format",
            "json",
        ])
        .stdout,
    )
    .unwrap();
    for (table, section) in ["dd-rules-in", "dd-rules-out"]
        .iter()
        .zip(rules["sections"].as_array().unwrap())
    {
        let names: Vec<String> = section["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect();
        assert!(!names.is_empty());
        assert_eq!(table_column(body, table, 1), names, "{table}");
    }
    assert!(
        dom.contains("id=\"f-res-routes\" href=\"#drilldown\">"),
        "the link to the drill-down shows"
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

/// The drill-down data embedded in a page, decoded.
fn subnet_data(html: &str) -> serde_json::Value {
    let open = "<script type=\"application/json\" id=\"subnet-data\">";
    let at = html.find(open).expect("drill-down data") + open.len();
    serde_json::from_str(&html[at..at + html[at..].find("</script>").unwrap()]).unwrap()
}

/// Every demo subnet's drill-down holds what `azaudit routes` and `azaudit effective-rules`
/// print for it: the same routes in the same order, the same rules with the same expansions.
#[test]
fn drill_down_data_equals_routes_and_effective_rules_for_every_subnet() {
    let dir = tempfile::tempdir().unwrap();
    let (html, _) = demo_outputs(dir.path());
    let d = subnet_data(&html);
    let s = |v: &serde_json::Value| {
        d["s"][v.as_u64().unwrap() as usize]
            .as_str()
            .unwrap()
            .to_string()
    };
    let subnets = d["subnet"].as_object().unwrap();
    let demo = azaudit::collect::demo::snapshot();
    let expected: usize = demo
        .inventory
        .virtual_networks
        .iter()
        .map(|v| v.properties.subnets.len())
        .sum();
    assert_eq!(subnets.len(), expected);
    let mut with_rules = 0;
    for sub in subnets.values() {
        let name = format!("{}/{}", s(&sub[0]), s(&sub[1]));
        let run = |cmd: &str| -> serde_json::Value {
            let out = azaudit(&[cmd, "--demo", "--subnet", &name, "--format", "json"]);
            assert!(
                out.status.success(),
                "{cmd} {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).unwrap()
        };
        let routes = run("routes");
        let want: Vec<(String, String, String)> = routes["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["state"].as_str().unwrap().to_string(),
                    r["address_prefix"].as_str().unwrap().to_string(),
                    r["next_hop_type"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let got: Vec<(String, String, String)> = sub[4]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let r = &d["routes"][i.as_u64().unwrap() as usize];
                (s(&r[1]), s(&r[2]), s(&r[3]))
            })
            .collect();
        assert_eq!(got, want, "routes of {name}");

        let rules = run("effective-rules");
        let sections = rules["sections"].as_array().unwrap();
        if sub[2].is_null() {
            assert!(
                sections
                    .iter()
                    .all(|x| x["network_security_group"].is_null()),
                "{name}"
            );
            continue;
        }
        with_rules += 1;
        let nsg = &d["nsg"][sub[2].as_str().unwrap()];
        for (n, section) in sections.iter().enumerate() {
            let listed: Vec<(u64, String, String)> = nsg[n + 1]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    let r = &d["rules"][i.as_u64().unwrap() as usize];
                    let side: Vec<String> = r[4]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| {
                            let key = t.to_string();
                            s(sub[3].get(&key).unwrap_or_else(|| &d["fixed"][&key]))
                        })
                        .collect();
                    (r[0].as_u64().unwrap(), s(&r[1]), side.join("\n"))
                })
                .collect();
            let want: Vec<(u64, String, String)> = section["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let side: Vec<azaudit::model::rule_sides::Side> =
                        serde_json::from_value(r["source"].clone()).unwrap();
                    // The JSON lists every prefix; the page shows what the table shows.
                    let side: Vec<_> = side
                        .into_iter()
                        .map(|mut x| {
                            let n = x.prefixes.len();
                            if n > azaudit::model::rule_sides::SHOWN_PREFIXES {
                                x.prefixes
                                    .truncate(azaudit::model::rule_sides::SHOWN_PREFIXES);
                                x.prefixes.push(format!(
                                    "… {} more",
                                    n - azaudit::model::rule_sides::SHOWN_PREFIXES
                                ));
                            }
                            x
                        })
                        .collect();
                    (
                        r["priority"].as_u64().unwrap(),
                        r["name"].as_str().unwrap().to_string(),
                        azaudit::model::rule_sides::text(&side),
                    )
                })
                .collect();
            assert_eq!(listed, want, "{} rules of {name}", section["direction"]);
        }
    }
    assert!(with_rules >= 4, "subnets with an NSG: {with_rules}");
}

/// Markup in a subnet's name stays text when the page's script draws the drill-down: the name is
/// shown escaped, and nothing it holds runs (an `onerror` handler would log to the console).
#[test]
fn headless_chromium_draws_a_hostile_subnet_name_as_text() {
    let Some(browser) = chromium() else {
        println!("SKIPPED: no chromium binary on PATH");
        return;
    };
    let hostile = "<img src=x onerror=console.error('xss')>\"'</svg></script>";
    let mut snap = azaudit::collect::demo::snapshot();
    let subnet = snap
        .inventory
        .virtual_networks
        .iter_mut()
        .flat_map(|v| v.properties.subnets.iter_mut())
        .find(|s| s.name.as_deref() == Some("snet-app"))
        .unwrap();
    subnet.name = Some(hostile.into());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.json");
    std::fs::write(&file, snap.to_json()).unwrap();
    let page = dir.path().join("page.html");
    let out = azaudit(&[
        "report",
        "--snapshot",
        file.to_str().unwrap(),
        "-o",
        page.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let encoded: String = hostile
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let url = format!(
        "file://{}#filter-resource={encoded}",
        page.canonicalize().unwrap().display()
    );
    let (dom, log) = dump_dom(&browser, &url, &dir.path().join("profile"), None);
    assert!(
        console_lines(&log).is_empty(),
        "console output: {:?}",
        console_lines(&log)
    );
    let body = &dom[dom.find("id=\"dd-body\"").unwrap()..];
    assert!(
        body.contains("<h3>vnet-spoke-app / &lt;img src=x onerror=console.error('xss')&gt;\"'&lt;/svg&gt;&lt;/script&gt;</h3>"),
        "{}",
        &body[..body.len().min(300)]
    );
    assert!(
        !dom.contains("<img"),
        "markup from the name became an element"
    );
}

/// A tenant too large for one picture: subscriptions are boxes, each with its picture folded;
/// filtering to a subscription unfolds its picture, and a subnet inside a folded picture still
/// filters the findings and draws its drill-down.
#[test]
fn headless_chromium_unfolds_a_subscription_of_a_large_tenant() {
    let Some(browser) = chromium() else {
        println!("SKIPPED: no chromium binary on PATH");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("tenant.json");
    // 42 spokes, three to a subscription, and the hub: 43 VNets in 15 subscriptions.
    std::fs::write(&snap, crate::synthetic::tenant(42).to_string()).unwrap();
    let (page, html, report) = outputs(dir.path(), &["--snapshot", snap.to_str().unwrap()]);
    assert_eq!(html.matches("<details class=\"sub-detail\"").count(), 15);
    assert_eq!(html.matches("<g class=\"group\"").count(), 15);

    let wanted = crate::synthetic::spoke_subscription(7);
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let profile = dir.path().join("profile");
    let (dom, log) = dump_dom(
        &browser,
        &format!("{url}#filter-sub={wanted}"),
        &profile,
        None,
    );
    assert!(
        console_lines(&log).is_empty(),
        "console output: {:?}",
        console_lines(&log)
    );
    let group = dom
        .find(&format!("data-sub=\"{wanted}\" data-detail=\""))
        .expect("its box");
    let detail = &dom[group + format!("data-sub=\"{wanted}\" data-detail=\"").len()..];
    let detail = &detail[..detail.find('"').unwrap()];
    assert_eq!(
        dom.matches("<details class=\"sub-detail\" id=\"sub-")
            .count(),
        15
    );
    assert_eq!(
        dom.matches(" open=\"\"><summary>").count() + dom.matches("\" open><summary>").count(),
        1,
        "only one picture unfolded"
    );
    assert!(
        dom.contains(&format!(
            "<details class=\"sub-detail\" id=\"{detail}\" open"
        )),
        "the picture of {wanted} ({detail}) is not unfolded"
    );
    let expected = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["subscription_id"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(&wanted))
        })
        .count();
    assert!(expected > 0);
    let visible: Vec<_> = rows(&dom).into_iter().filter(|r| r.2).collect();
    assert_eq!(visible.len(), expected);

    // A subnet inside a folded picture: its picture unfolds, its findings and drill-down show.
    let (dom, log) = dump_dom(
        &browser,
        &format!("{url}#filter-resource=snet-0"),
        &profile,
        None,
    );
    assert!(
        console_lines(&log).is_empty(),
        "console output: {:?}",
        console_lines(&log)
    );
    let at = dom.find("data-name=\"snet-0\"").expect("snet-0 is drawn");
    let open = dom[..at].rfind("<details class=\"sub-detail\"").unwrap();
    let tag = &dom[open..open + dom[open..].find('>').unwrap()];
    assert!(
        tag.ends_with(" open=\"\"") || tag.ends_with(" open"),
        "{tag}"
    );
    let visible: Vec<_> = rows(&dom).into_iter().filter(|r| r.2).collect();
    assert!(!visible.is_empty() && visible.len() < rows(&dom).len());
    let body = &dom[dom.find("id=\"dd-body\"").unwrap()..];
    assert!(
        body.contains(" / snet-0</h3>"),
        "{}",
        &body[..body.len().min(300)]
    );
    assert!(body.contains("id=\"dd-rules-in\""));
}
