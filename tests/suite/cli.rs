//! The binary as a user runs it: exit codes, formats, errors.

use std::path::Path;
use std::process::Output;

use crate::common::azaudit;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn demo_scan_prints_a_table_and_fails_on_high_findings() {
    let o = azaudit(&["scan", "--demo"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("HIGH"), "{out}");
    assert!(out.contains("NSG101") && out.contains("DNS101"), "{out}");
    assert!(out.contains("finding(s)"), "{out}");
}

#[test]
fn fail_on_never_exits_zero() {
    let o = azaudit(&["scan", "--demo", "--fail-on", "never"]);
    assert_eq!(o.status.code(), Some(0));
    let o = azaudit(&["scan", "--demo", "--fail-on", "critical"]);
    assert_eq!(o.status.code(), Some(0), "the demo has no critical finding");
}

#[test]
fn json_report_is_versioned_and_carries_evidence() {
    let o = azaudit(&["scan", "--demo", "--format", "json", "--fail-on", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["schema_version"], "1.2.0");
    assert_eq!(r["tool"]["name"], "azaudit");
    assert_eq!(r["run"]["source"], "demo");
    assert_eq!(r["scope"]["subscriptions"].as_array().unwrap().len(), 3);
    let findings = r["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        for key in [
            "id",
            "rule",
            "severity",
            "resource_id",
            "message",
            "evidence",
            "remediation",
        ] {
            assert!(!f[key].is_null(), "finding lacks {key}: {f}");
        }
        assert_eq!(f["id"].as_str().unwrap().len(), 32);
    }
    assert_eq!(
        r["summary"]["findings"].as_u64().unwrap() as usize,
        findings.len()
    );
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let o = azaudit(&[
        "scan",
        "--demo",
        "--format",
        "json",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        o.stdout.is_empty(),
        "nothing on stdout when --output is given"
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(r["schema_version"], "1.2.0");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

#[test]
fn unwritable_output_is_an_input_error() {
    let o = azaudit(&["scan", "--demo", "--output", "/nonexistent-dir/r.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent-dir/r.json"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_snapshots_exit_2_with_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "truncated.json",
            "{\"kind\": \"azaudit-snapshot\", \"schema_version\": 1, \"inv",
            "truncated",
        ),
        ("garbage.json", "this is not json", "not valid JSON"),
        ("arm.json", "{\"value\": []}", "not an azaudit snapshot"),
        (
            "future.json",
            "{\"kind\": \"azaudit-snapshot\", \"schema_version\": 7}",
            "unsupported snapshot schema_version 7",
        ),
        ("empty.json", "", "empty"),
    ];
    for (name, text, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let o = azaudit(&["scan", "--snapshot", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(name) && err.contains(want), "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let o = azaudit(&["scan", "--snapshot", "/no/such/snapshot.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/no/such/snapshot.json"));
}

#[test]
fn a_snapshot_scan_gives_the_demo_findings() {
    // The demo tenant is itself a snapshot: scanning its file gives the same finding ids as the
    // demo and as the library's own scan of it.
    let demo = azaudit::collect::demo::snapshot();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo-snapshot.json");
    std::fs::write(&path, demo.to_json()).unwrap();
    let from_file = azaudit(&[
        "scan",
        "--snapshot",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let from_demo = azaudit(&["scan", "--demo", "--format", "json"]);
    let ids = |o: &Output| -> Vec<String> {
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let library: Vec<String> = crate::common::scan(&demo)
        .findings
        .iter()
        .map(|f| f.id.clone())
        .collect();
    assert_eq!(library.len(), DEMO_FINDINGS);
    assert_eq!(ids(&from_file), library);
    assert_eq!(ids(&from_demo), library);
    assert_eq!(
        from_file.status.code(),
        Some(1),
        "the demo has high findings"
    );
    assert_eq!(from_demo.status.code(), Some(1));
}

/// Findings the demo tenant gives at the tests' scan time.
const DEMO_FINDINGS: usize = 49;

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["scan"][..],
        &["scan", "--demo", "--format", "xml"],
        &["scan", "--bogus"],
        &["frobnicate"],
    ] {
        let o = azaudit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    let o = azaudit(&["explain", "NOPE999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("azaudit rules"));
}

/// The codes a `--help` text lists under "Exit codes:".
fn exit_codes_listed(help: &str) -> Vec<&str> {
    help.lines()
        .skip_while(|l| *l != "Exit codes:")
        .skip(1)
        .filter_map(|l| l.trim_start().split_once("  "))
        .filter(|(code, _)| code.len() == 1)
        .map(|(code, _)| code)
        .collect()
}

#[test]
fn help_documents_exit_codes() {
    let o = azaudit(&["scan", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let codes = exit_codes_listed(&out);
    assert_eq!(codes, ["0", "1", "2", "3"], "{out}");
    for meaning in [
        "0  no finding at or above --fail-on",
        "1  at least one unsuppressed finding at or above --fail-on",
        "2  usage, input or credential error",
        "3  the scan completed but coverage is incomplete and --require-complete was given",
    ] {
        assert!(out.contains(meaning), "missing {meaning:?}: {out}");
    }
}

#[test]
fn rules_and_explain() {
    let registry = azaudit::rules::registry();
    assert_eq!(registry.len(), 39);
    let o = azaudit(&["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for rule in &registry {
        let m = rule.meta();
        assert!(
            out.lines()
                .any(|l| l.contains(m.code) && l.contains(m.name)),
            "`azaudit rules` does not list {} {}",
            m.code,
            m.name
        );
    }

    let o = azaudit(&["rules", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = registry.iter().map(|r| r.meta().code).collect();
    assert_eq!(codes, want);

    let o = azaudit(&["explain", "nsg101"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("NSG101 vnet-tag-widened-by-udr"), "{out}");
    for section in [
        "What it detects",
        "Why it matters",
        "How to fix",
        "az network nsg rule create",
        "https://learn.microsoft.com/",
    ] {
        assert!(out.contains(section), "missing {section}: {out}");
    }
}

/// README's quick start is two commands, and they do what it says: the demo scan exits 1 (high
/// findings) and `--fail-on never` exits 0; CI runs the same test command.
#[test]
fn readme_commands_work() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let quick = readme
        .split("## Quick start")
        .nth(1)
        .and_then(|s| s.split("```sh\n").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("README has a quick-start code block");
    let commands: Vec<&str> = quick
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        commands,
        ["cargo run --release -- scan --demo", "cargo test"]
    );
    let args: Vec<&str> = commands[0]
        .split_once(" -- ")
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    assert_eq!(azaudit(&args).status.code(), Some(1));
    assert!(readme.contains("exits with code 1"));
    let mut never = args.clone();
    never.extend(["--fail-on", "never"]);
    assert_eq!(azaudit(&never).status.code(), Some(0));
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim().starts_with("cargo test")),
        ".ci/run does not run the README's test command"
    );
}

#[test]
fn live_arguments_are_checked_before_any_call() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["scan", "--subscription", " "],
            "give a subscription id or display name",
        ),
        (&["collect"], "collect needs --subscription ID|NAME"),
        (&["scan", "--demo", "--shard", "3/2"], "is not a shard"),
        (
            &["collect", "--all-subscriptions", "--shard", "0/4"],
            "is not a shard",
        ),
        (
            &[
                "scan",
                "--subscription",
                "00000000-0000-4000-8000-000000000001",
                "--arm-endpoint",
                "http://management.azure.com",
            ],
            "must use https",
        ),
    ];
    for (args, want) in cases {
        let o = azaudit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn a_missing_token_is_a_credential_error() {
    let o = crate::common::azaudit_command()
        .args([
            "scan",
            "--subscription",
            "00000000-0000-4000-8000-000000000001",
            "--auth",
            "token",
        ])
        .env_remove("AZAUDIT_ACCESS_TOKEN")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("AZAUDIT_ACCESS_TOKEN is not set"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn explicit_service_principal_mode_names_the_missing_variables() {
    let o = crate::common::azaudit_command()
        .args(["collect", "--all-subscriptions", "--auth", "sp"])
        .env_remove("AZURE_CLIENT_SECRET")
        .env_remove("AZURE_CLIENT_ID")
        .env_remove("AZURE_TENANT_ID")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("AZURE_TENANT_ID"), "{}", stderr(&o));
}

#[test]
fn as_of_dates_the_report_and_the_dated_rules() {
    let flw103 = |as_of: &str| -> (String, String) {
        let o = azaudit(&[
            "scan",
            "--demo",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--as-of",
            as_of,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let f = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "FLW103")
            .expect("the demo's NSG flow log is reported")
            .clone();
        (
            r["run"]["started_at"].as_str().unwrap().to_string(),
            f["severity"].as_str().unwrap().to_string(),
        )
    };
    // The demo's NSG flow log turns high 180 days before the 2027-09-30 retirement.
    assert_eq!(
        flw103("2026-11-24T09:00:00Z"),
        ("2026-11-24T09:00:00Z".to_string(), "medium".to_string())
    );
    assert_eq!(
        flw103("2027-05-01T00:00:00+02:00"),
        ("2027-04-30T22:00:00Z".to_string(), "high".to_string())
    );
    let o = azaudit(&["scan", "--demo", "--as-of", "yesterday"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("RFC 3339"), "{}", stderr(&o));
}

/// `collect` and `scan` against an ARM endpoint that answers nothing: exit 2 with one line, no
/// snapshot written, never a clean report.
#[test]
fn a_live_read_that_read_nothing_exits_2_and_writes_nothing() {
    // A port that was just free: connections to it are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("https://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tenant.json");
    let live = [
        "--subscription",
        "00000000-0000-4000-8000-000000000001",
        "--auth",
        "token",
        "--arm-endpoint",
        endpoint.as_str(),
        "--request-timeout",
        "1",
    ];
    for (command, quiet) in [("collect", true), ("scan", true), ("scan", false)] {
        let mut args = vec![command];
        args.extend(live);
        args.extend(["-o", out.to_str().unwrap()]);
        if quiet {
            args.push("--quiet");
        }
        let o = crate::common::azaudit_command()
            .args(&args)
            .env("AZAUDIT_ACCESS_TOKEN", "not-a-real-token")
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        let all = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{command}: {all}");
        // Off a terminal, one progress line per phase precedes the error, unless --quiet.
        let (progress, rest): (Vec<&str>, Vec<&str>) =
            all.lines().partition(|l| l.starts_with("azaudit: ["));
        if quiet {
            assert!(progress.is_empty(), "{command}: {all}");
        } else {
            assert_eq!(
                progress
                    .first()
                    .and_then(|l| l.split_once("] "))
                    .map(|(_, l)| l),
                Some(
                    "subscriptions: 1 to read (the subscription list could not be read) · 1 request(s)"
                ),
                "{all}"
            );
            assert!(
                progress
                    .last()
                    .unwrap()
                    .contains("] collected: 0 resources, "),
                "{all}"
            );
        }
        let err = rest.join("\n");
        assert_eq!(rest.len(), 1, "{command}: {all}");
        assert!(
            err.starts_with(
                "azaudit: error: nothing was read, so there is nothing to report: no requested \
                 subscription could be read (00000000-0000-4000-8000-000000000001: TransportError"
            ),
            "{command}: {err}"
        );
        assert!(!err.contains("not-a-real-token"));
        assert!(!out.exists(), "{command} wrote {}", out.display());
    }
}

#[test]
fn timings_name_every_rule_slowest_first() {
    let o = azaudit(&[
        "scan",
        "--demo",
        "--fail-on",
        "never",
        "--format",
        "json",
        "--timings",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let mut lines = err.lines();
    let head = lines.next().unwrap();
    assert!(head.starts_with("timings: read "), "{err}");
    assert!(head.contains("(39 rules), total "), "{err}");
    let rows: Vec<(String, f64)> = lines
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols[0].to_string(), cols[2].parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 39, "{err}");
    assert!(
        rows.windows(2).all(|w| w[0].1 >= w[1].1),
        "not slowest first: {err}"
    );
    // The JSON report carries the same per-rule times.
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for o in r["rules"].as_array().unwrap() {
        let code = o["code"].as_str().unwrap();
        let ms = o["duration_ms"].as_f64().unwrap();
        assert!(
            rows.iter().any(|(c, t)| c == code && *t == ms),
            "{code} {ms}: {err}"
        );
    }
    // Without the flag, stderr stays quiet.
    let o = azaudit(&["scan", "--demo", "--fail-on", "never"]);
    assert_eq!(stderr(&o), "");
}

#[test]
fn values_are_case_insensitive_and_clouds_take_the_azure_cli_names() {
    let o = azaudit(&["scan", "--demo", "--fail-on", "HIGH", "--format", "JSON"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["schema_version"], "1.2.0");
    for cloud in [
        "AzureCloud",
        "AzureUSGovernment",
        "azurechinacloud",
        "USGOV",
    ] {
        let o = crate::common::azaudit_command()
            .args([
                "collect",
                "--subscription",
                "00000000-0000-4000-8000-000000000001",
                "--auth",
                "token",
                "--cloud",
                cloud,
            ])
            .env_remove("AZAUDIT_ACCESS_TOKEN")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{cloud}");
        // Parsing passed: the error is the missing token, not the cloud name.
        assert!(
            stderr(&o).contains("AZAUDIT_ACCESS_TOKEN is not set"),
            "{cloud}: {}",
            stderr(&o)
        );
    }
    let o = azaudit(&["scan", "--demo", "--cloud", "mars"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid value 'mars'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn rules_can_be_selected_and_findings_filtered_by_severity() {
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["scan", "--demo", "--format", "json", "--fail-on", "never"];
        args.extend_from_slice(extra);
        let o = azaudit(&args);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let codes = |r: &serde_json::Value| -> Vec<String> {
        r["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["code"].as_str().unwrap().to_string())
            .collect()
    };
    let r = json(&["--rule", "NSG10?", "--rule", "vnet-tag-*"]);
    let got = codes(&r);
    assert_eq!(got.iter().filter(|c| c.starts_with("NSG")).count(), 8);
    assert!(
        got.iter().all(|c| c.starts_with("NSG")),
        "names match by glob too: {got:?}"
    );
    let r = json(&["--rule", "pe-zone-not-linked,KVT101"]);
    assert_eq!(codes(&r), ["DNS101", "KVT101"]);
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] == "DNS101" || f["rule"] == "KVT101")
    );
    let r = json(&["--skip-rule", "NSG*", "--skip-rule", "rte*"]);
    // `NSG*` also matches FLW103 by its name, nsg-flow-log-retiring.
    assert_eq!(codes(&r).len(), 39 - 8 - 5 - 1);
    assert!(!codes(&r).contains(&"FLW103".to_string()));
    let r = json(&["--min-severity", "HIGH"]);
    let f = r["findings"].as_array().unwrap();
    assert_eq!(f.len(), 14);
    assert!(f.iter().all(|f| f["severity"] == "high"));
    // A pattern that names no rule is a usage error, before anything is read.
    let o = azaudit(&["scan", "--demo", "--rule", "NSG999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no rule matches \"NSG999\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn subscription_and_resource_group_narrow_a_snapshot_or_the_demo() {
    const WORKLOADS: &str = "22222222-2222-4222-8222-222222222222";
    let scan = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["scan", "--demo", "--format", "json", "--fail-on", "never"];
        args.extend_from_slice(extra);
        let o = azaudit(&args);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let shared = |id: &str| {
        let id = id.to_ascii_lowercase();
        id.contains("/privatednszones/") || id.contains("/networkwatchers/")
    };
    let r = scan(&["--subscription", WORKLOADS]);
    assert_eq!(r["scope"]["subscriptions"], serde_json::json!([WORKLOADS]));
    let findings = r["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        let id = f["resource_id"].as_str().unwrap();
        assert!(id.contains(WORKLOADS) || shared(id), "{id}");
    }
    assert!(findings.len() < 49);
    let r = scan(&["-g", "rg-app"]);
    for f in r["findings"].as_array().unwrap() {
        let id = f["resource_id"].as_str().unwrap().to_ascii_lowercase();
        assert!(
            id.contains("/resourcegroups/rg-app/") || shared(&id),
            "{id}"
        );
    }
    // A subscription the snapshot does not hold is an error, not an empty scan.
    let o = azaudit(&[
        "scan",
        "--demo",
        "--subscription",
        "00000000-0000-4000-8000-000000000099",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not in the snapshot"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn collect_documents_only_the_exit_codes_it_returns() {
    let o = azaudit(&["collect", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let codes = exit_codes_listed(&out);
    assert_eq!(codes, ["0", "2"], "{out}");
}

#[test]
fn schemas_completions_and_the_manual_page_are_printed() {
    let o = azaudit(&["schema", "report"]);
    assert_eq!(o.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(schema["$id"], "urn:azaudit:schema:report:1.2.0");
    // The printed report schema is the committed one.
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(schema, committed);
    let o = azaudit(&["schema", "SNAPSHOT"]);
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(schema["$id"], "urn:azaudit:schema:snapshot:1");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in [
        "kind",
        "schema_version",
        "collected_at",
        "scope",
        "inventory",
    ] {
        assert!(required.contains(&field), "{field}: {required:?}");
    }
    // The demo tenant validates against the snapshot schema.
    let demo: serde_json::Value =
        serde_json::from_str(&azaudit::collect::demo::snapshot().to_json()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("snapshot.json", schema).unwrap();
    let idx = compiler.compile("snapshot.json", &mut schemas).unwrap();
    assert!(schemas.validate(&demo, idx).is_ok());

    let o = azaudit(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    let bash = stdout(&o);
    assert!(
        bash.contains("_azaudit()") && bash.contains("--fail-on"),
        "{bash}"
    );
    let o = azaudit(&["completions", "zsh"]);
    assert!(stdout(&o).starts_with("#compdef azaudit"));
    let o = azaudit(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    let man = stdout(&o);
    assert!(
        man.contains(".TH azaudit") && man.contains("Exit codes"),
        "{man}"
    );
}

#[test]
fn an_azure_pipelines_service_connection_is_a_credential() {
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = crate::common::azaudit_command();
        cmd.args([
            "collect",
            "--subscription",
            "00000000-0000-4000-8000-000000000001",
            "--auth",
            "pipelines",
        ]);
        for v in [
            "AZURESUBSCRIPTION_TENANT_ID",
            "AZURESUBSCRIPTION_CLIENT_ID",
            "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
            "SYSTEM_ACCESSTOKEN",
            "SYSTEM_OIDCREQUESTURI",
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
        ] {
            cmd.env_remove(v);
        }
        cmd.envs(vars.iter().copied());
        cmd.output().unwrap()
    };
    let o = run(&[(
        "AZURESUBSCRIPTION_TENANT_ID",
        "8a1b2c3d-0000-4000-8000-000000000001",
    )]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim_end(),
        "azaudit: error: authentication: --auth pipelines: AZURESUBSCRIPTION_CLIENT_ID, AZURESUBSCRIPTION_SERVICE_CONNECTION_ID, SYSTEM_ACCESSTOKEN not set"
    );
    // Everything the service connection needs, outside a pipeline (no OIDC request URI): the
    // credential's own reason, and never the access token.
    let o = run(&[
        (
            "AZURESUBSCRIPTION_TENANT_ID",
            "8a1b2c3d-0000-4000-8000-000000000001",
        ),
        (
            "AZURESUBSCRIPTION_CLIENT_ID",
            "00000000-0000-4000-8000-0000000000c1",
        ),
        ("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", "sc-1"),
        ("SYSTEM_ACCESSTOKEN", "pipeline-secret-token"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("--auth pipelines: ") && err.contains("SYSTEM_OIDCREQUESTURI"),
        "{err}"
    );
    assert!(!err.contains("pipeline-secret-token"), "{err}");
}

/// `azaudit schema policy` describes what the policy parser accepts: the shipped defaults and the
/// README's example validate; every file the parser refuses for a reason a schema can express is
/// refused by the schema too.
#[test]
fn the_policy_schema_agrees_with_the_policy_parser() {
    let o = azaudit(&["schema", "policy"]);
    assert_eq!(o.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(schema["$id"], "urn:azaudit:schema:policy:1");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("policy.json", schema).unwrap();
    let idx = compiler.compile("policy.json", &mut schemas).unwrap();
    let valid = |toml: &str| {
        let v = azaudit::policy::schema::policy_as_json(toml).unwrap();
        schemas.validate(&v, idx).is_ok()
    };
    assert!(valid(azaudit::policy::file::SHIPPED_DEFAULTS));
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let example = readme
        .split("## Policies")
        .nth(1)
        .and_then(|s| s.split("```toml\n").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("the README's policy example");
    assert!(valid(example), "{example}");
    azaudit::policy::file::Policy::from_user_text("README.md", example).unwrap();
    let refused = [
        "[rules.NSG999]\nenabled = false\n",
        "[rules.NSG101]\nseverity = \"severe\"\n",
        "[rules.NSG101]\nbogus = 1\n",
        "[rules.NSG101.params]\nbogus = 1\n",
        "[rules.RTE102.params]\nthreshold = 10001\nlimit = 10001\n",
        "[rules.RTE102.params]\nthreshold = 0\n",
        "[rules.NSG105.params]\nports = []\n",
        "[rules.NSG105.params]\nports = [22, 70000]\n",
        "[rules.DNS105.params]\nmin_ttl = -1\n",
        "[[exemptions]]\nrule = \"NSG101\"\nresource = \"/subscriptions/*\"\n",
        "[[exemptions]]\nrule = \"NSG101\"\nresource = \"/subscriptions/*\"\nreason = \" \"\n",
        "[[exemptions]]\nrule = \"NSG101\"\nresource = \"rg-lab/*\"\nreason = \"lab\"\n",
        "[[exemptions]]\nrule = \"NSG101\"\nresource = \"/subscriptions/[ab]*\"\nreason = \"lab\"\n",
        "[[exemptions]]\nrule = \"XYZ\"\nresource = \"*\"\nreason = \"lab\"\n",
        "[[exemptions]]\nresource = \"*\"\nreason = \"lab\"\n",
        "schema_version = 2\n",
        "colour = \"blue\"\n",
    ];
    for text in refused {
        assert!(!valid(text), "the schema accepts {text:?}");
        assert!(
            azaudit::policy::file::Policy::from_user_text("p.toml", text).is_err(),
            "the parser accepts {text:?}"
        );
    }
    for text in [
        "[rules.RTE102.params]\nthreshold = 400\n",
        "[rules.RTE102.params]\nthreshold = 1000\nlimit = 1000\n",
        "[rules.NSG105.params]\nports = [1, 65535]\n",
        "[rules.DNS105.params]\nmin_ttl = 0\nmax_ttl = 2147483647\n",
        "[[exemptions]]\nrule = \"*\"\nresource = \"*\"\nreason = \"all\"\nexpires = 2027-01-31\n",
    ] {
        assert!(valid(text), "the schema refuses {text:?}");
        azaudit::policy::file::Policy::from_user_text("p.toml", text).unwrap();
    }
}

/// `--auth sp` takes a certificate when no secret is set; a file it cannot use is a credential
/// error naming the variable, the file and the problem, before any request.
#[test]
fn a_service_principal_certificate_that_cannot_be_used_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let pfx = dir.path().join("sp.pfx");
    std::fs::write(&pfx, [0x30, 0x82, 0x0a, 0x01, 0x02, 0x01, 0x03]).unwrap();
    let missing = dir.path().join("missing.pem");
    for (path, want) in [
        (&pfx, "not a PEM file (a PKCS#12 .pfx is not read;"),
        (&missing, "No such file"),
    ] {
        let o = crate::common::azaudit_command()
            .args(["collect", "--all-subscriptions", "--auth", "sp"])
            .env("AZURE_TENANT_ID", "00000000-0000-4000-8000-000000000001")
            .env("AZURE_CLIENT_ID", "00000000-0000-4000-8000-0000000000c1")
            .env_remove("AZURE_CLIENT_SECRET")
            .env("AZURE_CLIENT_CERTIFICATE_PATH", path)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        assert!(
            err.starts_with(&format!(
                "azaudit: error: authentication: --auth sp: AZURE_CLIENT_CERTIFICATE_PATH {}: ",
                path.display()
            )),
            "{err}"
        );
        assert!(err.contains(want), "{err}");
    }
}
