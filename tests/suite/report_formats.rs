//! The machine formats: the JSON Schema of the native report (generated from the Rust types and
//! committed), NDJSON, SARIF for GitHub code scanning, OCSF 1.8.0, markdown; baselines and policies.

use std::path::Path;

use azaudit::report::Report;
use serde_json::Value;

const SCHEMA_FILE: &str = "schemas/report.schema.json";

fn generated_schema() -> String {
    let mut s = serde_json::to_string_pretty(&schemars::schema_for!(Report)).unwrap();
    s.push('\n');
    s
}

/// Fails when the report types change without `schemas/report.schema.json` being regenerated
/// (regenerate with `AZAUDIT_UPDATE_SCHEMA=1 cargo test --test report_formats`).
#[test]
fn committed_schema_matches_the_rust_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_FILE);
    let generated = generated_schema();
    if std::env::var_os("AZAUDIT_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{SCHEMA_FILE} is out of date with the report types; regenerate it with AZAUDIT_UPDATE_SCHEMA=1 cargo test --test report_formats"
    );
}

fn demo_report() -> Report {
    crate::common::scan(&azaudit::collect::demo::snapshot())
}

fn validate(schema: &Value, instance: &Value) -> Result<(), String> {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("urn:azaudit:report", schema.clone())
        .unwrap();
    let idx = compiler
        .compile("urn:azaudit:report", &mut schemas)
        .map_err(|e| e.to_string())?;
    schemas
        .validate(instance, idx)
        .map_err(|e| format!("{e:#}"))
}

#[test]
fn a_real_report_validates_against_the_schema_and_a_broken_one_does_not() {
    let schema: Value = serde_json::from_str(&generated_schema()).unwrap();
    let report = serde_json::to_value(demo_report()).unwrap();
    validate(&schema, &report).unwrap();
    let mut broken = report.clone();
    broken["findings"][0]["severity"] = Value::from("severe");
    assert!(
        validate(&schema, &broken).is_err(),
        "the schema must reject an unknown severity"
    );
    let mut broken = report;
    broken["findings"][0]
        .as_object_mut()
        .unwrap()
        .remove("rule");
    assert!(
        validate(&schema, &broken).is_err(),
        "the schema must require the rule code"
    );
}

#[test]
fn ndjson_lines_are_self_describing_findings() {
    let report = demo_report();
    let text = azaudit::report::ndjson::render(&report);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), report.findings.len());
    for (line, f) in lines.iter().zip(&report.findings) {
        assert_eq!(
            line["schema_version"],
            azaudit::report::REPORT_SCHEMA_VERSION
        );
        assert_eq!(line["run_id"], report.run.run_id.as_str());
        assert_eq!(line["tool_version"], report.tool.version.as_str());
        assert_eq!(line["id"], f.id.as_str());
        assert_eq!(line["rule"], f.rule.as_str());
    }
}

#[test]
fn sarif_has_what_github_code_scanning_requires() {
    let report = demo_report();
    let sarif: Value = serde_json::from_str(&azaudit::report::sarif::render(&report)).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif"));
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in rules {
        for key in ["id", "name"] {
            assert!(r[key].is_string(), "rule lacks {key}: {r}");
        }
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(
                !r[key]["text"].as_str().unwrap().is_empty(),
                "rule lacks {key}.text: {r}"
            );
        }
        let sev: f64 = r["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&sev));
        assert!(
            r["properties"]["tags"]
                .as_array()
                .unwrap()
                .contains(&Value::from("security"))
        );
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len());
    for res in results {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
        assert!(!res["message"]["text"].as_str().unwrap().is_empty());
        let loc = &res["locations"][0];
        assert!(
            loc["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("azure/subscriptions/")
        );
        assert_eq!(loc["physicalLocation"]["region"]["startLine"], 1);
        assert_eq!(loc["logicalLocations"][0]["kind"], "resource");
        assert!(
            loc["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap()
                .starts_with("/subscriptions/")
        );
        assert_eq!(
            res["partialFingerprints"]["azaudit/v1"]
                .as_str()
                .unwrap()
                .len(),
            32
        );
        assert!(["error", "warning", "note"].contains(&res["level"].as_str().unwrap()));
    }
}

#[test]
fn ocsf_events_carry_every_required_attribute() {
    use azaudit::report::ocsf::{OcsfClass, events, required_attributes};
    let report = demo_report();
    for (class, uid) in [(OcsfClass::Compliance, 2003), (OcsfClass::Detection, 2004)] {
        let evs = events(&report, class);
        assert_eq!(evs.len(), report.findings.len());
        for e in &evs {
            for attr in required_attributes(class) {
                assert!(!e[*attr].is_null(), "{uid} event lacks {attr}");
            }
            assert_eq!(e["class_uid"], uid);
            assert_eq!(e["type_uid"], uid * 100 + 1);
            assert_eq!(e["category_uid"], 2);
            assert_eq!(e["metadata"]["version"], "1.8.0");
            assert!(
                e["metadata"]["profiles"]
                    .as_array()
                    .unwrap()
                    .contains(&Value::from("cloud"))
            );
            assert!(
                e["metadata"]["product"]["name"].is_string()
                    && e["metadata"]["product"]["version"].is_string()
            );
            assert_eq!(e["cloud"]["provider"], "Azure");
            assert_eq!(e["cloud"]["account"]["type_id"], 13);
            assert_eq!(e["cloud"]["account"]["type"], "Azure Subscription");
            assert!(e["finding_info"]["uid"].is_string() && e["finding_info"]["title"].is_string());
            assert_eq!(e["finding_info"]["analytic"]["type_id"], 1);
            assert!(e["remediation"]["desc"].is_string());
            assert!((1..=5).contains(&e["severity_id"].as_u64().unwrap()));
            assert!(e["time"].as_i64().unwrap() > 1_700_000_000_000);
        }
        if class == OcsfClass::Compliance {
            assert_eq!(evs[0]["compliance"]["status_id"], 3);
        } else {
            assert!(evs[0]["compliance"].is_null());
        }
    }
}

use crate::common::azaudit;

#[test]
fn several_formats_at_once_each_to_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    let o = azaudit(&[
        "scan",
        "--demo",
        "--format",
        "json",
        "--format",
        "sarif",
        "--format",
        "markdown",
        "--format",
        "ocsf",
        "--format",
        "ndjson",
        "--output",
        &format!("json={}", p("r.json")),
        "--output",
        &format!("sarif={}", p("r.sarif")),
        "--output",
        &format!("ocsf={}", p("r.ocsf.json")),
        "--output",
        &format!("ndjson={}", p("r.ndjson")),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("## azaudit:"),
        "markdown goes to stdout"
    );
    // Each file holds its own format with every demo finding under the same id.
    let want: Vec<String> = demo_report()
        .findings
        .iter()
        .map(|f| f.id.clone())
        .collect();
    assert_eq!(want.len(), 54);
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p(f)).unwrap()).unwrap()
    };
    let ids = |v: &serde_json::Value, ptr: &str| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.pointer(ptr).unwrap().as_str().unwrap().to_string())
            .collect()
    };
    let json = read("r.json");
    assert_eq!(json["schema_version"], "1.1.0");
    assert_eq!(ids(&json["findings"], "/id"), want);
    let sarif = read("r.sarif");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        ids(
            &sarif["runs"][0]["results"],
            "/partialFingerprints/azaudit~1v1"
        ),
        want
    );
    let ocsf = read("r.ocsf.json");
    assert_eq!(ids(&ocsf, "/finding_info/uid"), want);
    assert!(
        ocsf.as_array()
            .unwrap()
            .iter()
            .all(|r| r["class_uid"] == 2003)
    );
    let ndjson: Vec<serde_json::Value> = std::fs::read_to_string(p("r.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ids(&serde_json::Value::Array(ndjson.clone()), "/id"), want);
    assert!(ndjson.iter().all(|r| r["record_type"] == "finding"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        4,
        "four files, no temporary left"
    );
    // Two formats without destinations is a usage error.
    let o = azaudit(&["scan", "--demo", "--format", "json", "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn baseline_marks_new_and_resolved_and_only_new_drives_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    // A baseline holding every demo finding but one, plus a finding that no longer exists.
    let mut base = demo_report();
    let dropped = base.findings.remove(0);
    let mut gone = base.findings[0].clone();
    gone.id = "0".repeat(32);
    gone.resource_id = "/subscriptions/x/resourceGroups/old/providers/Microsoft.Network/networkSecurityGroups/gone".into();
    base.findings.push(gone);
    let path = dir.path().join("previous.json");
    std::fs::write(&path, base.to_json()).unwrap();

    let o = azaudit(&[
        "scan",
        "--demo",
        "--format",
        "json",
        "--baseline",
        path.to_str().unwrap(),
    ]);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let new: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline"] == "new")
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["id"], dropped.id.as_str());
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["baseline"] == "new" || f["baseline"] == "unchanged")
    );
    assert_eq!(r["resolved"].as_array().unwrap().len(), 1);
    assert_eq!(r["resolved"][0]["id"], "0".repeat(32));

    let o = azaudit(&[
        "scan",
        "--demo",
        "--format",
        "json",
        "--baseline",
        path.to_str().unwrap(),
        "--only-new",
        "--fail-on",
        "critical",
    ]);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["findings"].as_array().unwrap().len(), 1);
    assert_eq!(r["summary"]["findings"], 1);
    assert_eq!(o.status.code(), Some(0));

    // With the full demo as baseline, nothing is new and --only-new exits 0.
    std::fs::write(&path, demo_report().to_json()).unwrap();
    let o = azaudit(&[
        "scan",
        "--demo",
        "--baseline",
        path.to_str().unwrap(),
        "--only-new",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    // A baseline that is not a report is an input error.
    std::fs::write(&path, "{\"value\": []}").unwrap();
    assert_eq!(
        azaudit(&["scan", "--demo", "--baseline", path.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn policy_exemptions_suppress_and_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    std::fs::write(
        &path,
        r#"
[[exemptions]]
rule = "*"
resource = "/subscriptions/22222222-2222-4222-8222-222222222222/*"
reason = "workloads subscription is audited separately"

[[exemptions]]
rule = "NSG101"
resource = "/subscriptions/*/resourceGroups/rg-none/*"
reason = "never matches"

[[exemptions]]
rule = "DNS101"
resource = "*"
reason = "expired long ago"
expires = 2020-01-01
"#,
    )
    .unwrap();
    let o = azaudit(&[
        "scan",
        "--demo",
        "--format",
        "json",
        "--policy",
        path.to_str().unwrap(),
    ]);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 54, "suppressed findings stay in the report");
    let in_workloads = |f: &&Value| {
        f["resource_id"]
            .as_str()
            .unwrap()
            .contains("22222222-2222-4222-8222-222222222222")
    };
    let (suppressed, active): (Vec<&Value>, Vec<&Value>) =
        findings.iter().partition(|f| in_workloads(f));
    assert_eq!((suppressed.len(), active.len()), (46, 8));
    for f in &suppressed {
        assert_eq!(
            f["suppression"]["reason"], "workloads subscription is audited separately",
            "{f}"
        );
        assert!(
            f["suppression"]["source"]
                .as_str()
                .unwrap()
                .ends_with("policy.toml:2"),
            "{f}"
        );
    }
    for f in &active {
        assert!(f["suppression"].is_null(), "{f}");
        assert_ne!(f["severity"], "high", "{f}");
    }
    let listed = |key: &str| -> Vec<String> {
        r["policy"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                e.as_str()
                    .unwrap()
                    .replace(path.to_str().unwrap(), "policy.toml")
            })
            .collect()
    };
    assert_eq!(
        listed("unused_exemptions"),
        ["NSG101 /subscriptions/*/resourceGroups/rg-none/* (policy.toml:7): never matches"]
    );
    assert_eq!(
        listed("expired_exemptions"),
        ["DNS101 * (policy.toml:12): expired long ago"]
    );
    // Every high finding is suppressed and the others are below --fail-on high, so the exit code
    // is 0, where the same scan without the policy gives 1.
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        azaudit(&["scan", "--demo", "--format", "json"])
            .status
            .code(),
        Some(1)
    );
    // SARIF keeps suppressed findings as suppressions.
    let o = azaudit(&[
        "scan",
        "--demo",
        "--format",
        "sarif",
        "--policy",
        path.to_str().unwrap(),
    ]);
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    let suppressed = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["suppressions"][0]["justification"] == "workloads subscription is audited separately"
        })
        .count();
    assert_eq!(suppressed, 46);

    std::fs::write(&path, "[rules.NSG999]\nseverity = \"low\"\n").unwrap();
    let o = azaudit(&["scan", "--demo", "--policy", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("policy.toml:1:8: unknown rule \"NSG999\""),
        "{err}"
    );
}

#[test]
fn require_complete_exits_3_on_coverage_gaps() {
    let mut snap = azaudit::collect::demo::snapshot();
    snap.coverage.gaps.push(azaudit::inventory::CoverageGap {
        subscription_id: Some("33333333-3333-4333-8333-333333333333".into()),
        kind: azaudit::inventory::ResourceKind::NetworkSecurityGroup,
        scope: None,
        http_status: Some(403),
        code: Some("AuthorizationFailed".into()),
        message: "no access".into(),
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    std::fs::write(&path, snap.to_json()).unwrap();
    let p = path.to_str().unwrap();
    assert_eq!(
        azaudit(&[
            "scan",
            "--snapshot",
            p,
            "--fail-on",
            "never",
            "--require-complete"
        ])
        .status
        .code(),
        Some(3)
    );
    assert_eq!(
        azaudit(&["scan", "--snapshot", p, "--fail-on", "never"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        azaudit(&["scan", "--snapshot", p, "--require-complete"])
            .status
            .code(),
        Some(1),
        "findings take precedence"
    );
    assert_eq!(
        azaudit(&["scan", "--demo", "--fail-on", "never", "--require-complete"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn markdown_summarises_for_job_summaries() {
    let md = azaudit::report::markdown::render(&demo_report());
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "## azaudit: 54 finding(s)");
    assert_eq!(
        lines[2],
        "3 subscription(s) · source: test · coverage complete"
    );
    for row in [
        "| critical | 0 |",
        "| high | 18 |",
        "| medium | 26 |",
        "| low | 5 |",
        "| info | 5 |",
    ] {
        assert!(lines.contains(&row), "missing {row:?}:\n{md}");
    }
    // One table row per finding, highest severity first.
    let rows: Vec<&&str> = lines
        .iter()
        .filter(|l| {
            l.starts_with("| high |")
                || l.starts_with("| medium |")
                || l.starts_with("| low |")
                || l.starts_with("| info |")
        })
        .filter(|l| l.contains('`'))
        .collect();
    assert_eq!(rows.len(), 54);
    assert!(
        rows[0].starts_with(
            "| high | `AGW101` appgw-subnet-nsg-blocks-infrastructure | `nsg-appgw` |"
        ),
        "{}",
        rows[0]
    );
    assert!(rows[53].starts_with("| info |"), "{}", rows[53]);
}

#[test]
fn policy_parameters_reach_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ports.toml");
    std::fs::write(&path, "[rules.NSG105.params]\nports = [443]\n").unwrap();
    let run = |extra: &[&str]| -> Vec<Value> {
        let mut args = vec!["scan", "--demo", "--format", "json", "--fail-on", "never"];
        args.extend_from_slice(extra);
        let r: Value = serde_json::from_slice(&azaudit(&args).stdout).unwrap();
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "NSG105")
            .cloned()
            .collect()
    };
    let on = |fs: &[Value]| -> Vec<(String, Value, Value)> {
        fs.iter()
            .map(|f| {
                (
                    f["resource_id"]
                        .as_str()
                        .unwrap()
                        .rsplit('/')
                        .next()
                        .unwrap()
                        .to_string(),
                    f["evidence"]["ports"].clone(),
                    f["evidence"]["ports_checked"].clone(),
                )
            })
            .collect()
    };
    // The shipped ports (22, 3389) find both demo NSGs; port 443 only the one that admits it.
    assert_eq!(
        on(&run(&[])),
        [
            (
                "nsg-vm-legacy-01".to_string(),
                serde_json::json!([3389]),
                serde_json::json!([22, 3389])
            ),
            (
                "nsg-app".to_string(),
                serde_json::json!([22, 3389]),
                serde_json::json!([22, 3389])
            ),
        ]
    );
    let custom = run(&["--policy", path.to_str().unwrap()]);
    assert_eq!(
        on(&custom),
        [(
            "nsg-app".to_string(),
            serde_json::json!([443]),
            serde_json::json!([443])
        )]
    );
    assert!(custom[0]["message"].as_str().unwrap().contains("TCP 443"));
    // A parameter of the wrong type is refused with its position.
    std::fs::write(&path, "[rules.NSG105.params]\nports = \"22\"\n").unwrap();
    let o = azaudit(&["scan", "--demo", "--policy", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("ports.toml:2:1: parameter ports must be array, not string"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
