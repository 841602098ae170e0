//! The binary as a user runs it: exit codes, formats, errors.

use std::path::Path;
use std::process::{Command, Output};

fn azaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_azaudit"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("runs")
}

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
    assert_eq!(r["schema_version"], "1.0.0");
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
    assert_eq!(r["schema_version"], "1.0.0");
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
    // The demo tenant is itself a snapshot: scanning its file gives the same finding ids.
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
    assert_eq!(ids(&from_file), ids(&from_demo));
    assert_eq!(from_file.status.code(), from_demo.status.code());
}

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

#[test]
fn help_documents_exit_codes() {
    let o = azaudit(&["scan", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.contains("Exit codes") && out.contains("--fail-on"),
        "{out}"
    );
}

#[test]
fn rules_and_explain() {
    let o = azaudit(&["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.contains("NSG101") && out.contains("vnet-tag-widened-by-udr") && out.contains("DNS101")
    );

    let o = azaudit(&["rules", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(list.as_array().unwrap().len() >= 2);

    let o = azaudit(&["explain", "nsg101"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
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

#[test]
fn readme_commands_exist() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("cargo run --release -- scan --demo"));
    assert!(readme.contains("cargo test"));
}

#[test]
fn live_arguments_are_checked_before_any_call() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["scan", "--subscription", "not-a-guid"],
            "is not a subscription id",
        ),
        (
            &["collect", "--subscription", "1234"],
            "is not a subscription id",
        ),
        (&["collect"], "--subscription ID"),
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
    let o = Command::new(env!("CARGO_BIN_EXE_azaudit"))
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
    let o = Command::new(env!("CARGO_BIN_EXE_azaudit"))
        .args(["collect", "--all-subscriptions", "--auth", "sp"])
        .env_remove("AZURE_CLIENT_SECRET")
        .env_remove("AZURE_CLIENT_ID")
        .env_remove("AZURE_TENANT_ID")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("AZURE_TENANT_ID"), "{}", stderr(&o));
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
    for command in ["collect", "scan"] {
        let mut args = vec![command];
        args.extend(live);
        args.extend(["-o", out.to_str().unwrap()]);
        let o = Command::new(env!("CARGO_BIN_EXE_azaudit"))
            .args(&args)
            .env("AZAUDIT_ACCESS_TOKEN", "not-a-real-token")
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{command}: {err}");
        assert_eq!(err.lines().count(), 1, "{command}: {err}");
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
