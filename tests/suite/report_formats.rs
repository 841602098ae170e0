//! The machine formats: the JSON Schema of the native report (generated from the Rust types and
//! committed), NDJSON, SARIF for GitHub code scanning, OCSF 1.8.0, markdown; baselines and policies.

use std::path::Path;

use azaudit::report::Report;
use serde_json::Value;

use azaudit::schemas::{self, Document};

fn generated_schema() -> String {
    schemas::derived(Document::Report).unwrap()
}

/// Fails when the report or snapshot types change without `schemas/` being regenerated
/// (regenerate with `AZAUDIT_UPDATE_SCHEMA=1 cargo test --test suite -- committed_schema`); the
/// binary prints the committed text, so this is also what `azaudit schema` prints.
#[test]
fn committed_schema_matches_the_rust_types() {
    let documents = [
        (Document::Report, schemas::REPORT_FILE),
        (Document::Snapshot, schemas::SNAPSHOT_FILE),
    ];
    let path = |file: &str| Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    if std::env::var_os("AZAUDIT_UPDATE_SCHEMA").is_some() {
        for (of, file) in documents {
            std::fs::write(path(file), schemas::derived(of).unwrap()).unwrap();
        }
    }
    for (of, file) in documents {
        let generated = schemas::derived(of).unwrap();
        let committed = std::fs::read_to_string(path(file)).unwrap_or_default();
        assert!(
            committed == generated,
            "{file} is out of date with the types; regenerate it with AZAUDIT_UPDATE_SCHEMA=1 cargo test --test suite -- committed_schema"
        );
        // The binary holds the text it was built with: after a regeneration, the next run checks.
        if std::env::var_os("AZAUDIT_UPDATE_SCHEMA").is_none() {
            assert_eq!(
                schemas::text(of),
                committed,
                "the binary prints the committed schema"
            );
        }
    }
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
    assert_eq!(lines.len(), 1 + report.findings.len());
    for line in &lines {
        assert_eq!(
            line["schema_version"],
            azaudit::report::REPORT_SCHEMA_VERSION
        );
        assert_eq!(line["run_id"], report.run.run_id.as_str());
        assert_eq!(line["tool_version"], report.tool.version.as_str());
    }
    // The run record first: a clean run still writes a line.
    let run = &lines[0];
    assert_eq!(run["record_type"], "run");
    assert_eq!(run["findings"], 49);
    assert_eq!(run["coverage_complete"], true);
    assert_eq!(run["subscriptions"].as_array().unwrap().len(), 3);
    for (line, f) in lines[1..].iter().zip(&report.findings) {
        assert_eq!(line["record_type"], "finding");
        assert_eq!(line["id"], f.id.as_str());
        assert_eq!(line["rule"], &*f.rule);
        assert_eq!(
            line["resource_name"],
            f.resource_id.rsplit('/').next().unwrap()
        );
    }
    let nsg101 = lines.iter().find(|l| l["rule"] == "NSG101").unwrap();
    assert_eq!(nsg101["resource_group"], "rg-app");
    assert_eq!(nsg101["subscription_name"], "contoso-workloads");

    // An empty tenant gives exactly the run record.
    let empty = crate::common::scan(&crate::common::snapshot(serde_json::json!({})));
    let text = azaudit::report::ndjson::render(&empty);
    assert_eq!(text.lines().count(), 1);
    let run: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        (run["record_type"].as_str(), run["findings"].as_u64()),
        (Some("run"), Some(0))
    );

    // With a baseline, findings gone since are `resolved` records after the findings.
    let mut with_baseline = demo_report();
    let mut previous = demo_report();
    let mut gone = previous.findings[0].clone();
    gone.id = "f".repeat(32);
    previous.findings.push(gone);
    with_baseline.apply_baseline(&previous);
    let text = azaudit::report::ndjson::render(&with_baseline);
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["record_type"], "resolved");
    assert_eq!(last["id"], "f".repeat(32));
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
    assert_eq!(want.len(), 49);
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
    assert_eq!(json["schema_version"], "1.2.0");
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
        .skip(1) // the run record
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
    assert_eq!(findings.len(), 49, "suppressed findings stay in the report");
    let in_workloads = |f: &&Value| {
        f["resource_id"]
            .as_str()
            .unwrap()
            .contains("22222222-2222-4222-8222-222222222222")
    };
    let (suppressed, active): (Vec<&Value>, Vec<&Value>) =
        findings.iter().partition(|f| in_workloads(f));
    assert_eq!((suppressed.len(), active.len()), (40, 9));
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
    assert_eq!(suppressed, 40);

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
    assert_eq!(lines[0], "## azaudit: 49 finding(s)");
    assert_eq!(
        lines[2],
        "3 subscription(s): contoso-connectivity (11111111-1111-4111-8111-111111111111), \
         contoso-workloads (22222222-2222-4222-8222-222222222222), \
         contoso-management (33333333-3333-4333-8333-333333333333) · source: test · coverage complete"
    );
    for row in [
        "| critical | 0 |",
        "| high | 14 |",
        "| medium | 25 |",
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
    assert_eq!(rows.len(), 49);
    assert!(
        rows[0].starts_with(
            "| high | `AGW101` appgw-subnet-nsg-blocks-infrastructure | `nsg-appgw` |"
        ),
        "{}",
        rows[0]
    );
    assert!(rows[48].starts_with("| info |"), "{}", rows[48]);
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
    // The shipped ports (22, 3389) find the legacy NIC's NSG (nsg-app admits them only through
    // the UDR-widened VirtualNetwork tag, which is not the Internet); port 443 finds the gateway
    // subnet's allow from Internet, behind a 0.0.0.0/0 route.
    assert_eq!(
        on(&run(&[])),
        [(
            "nsg-vm-legacy-01".to_string(),
            serde_json::json!([3389]),
            serde_json::json!([22, 3389])
        )]
    );
    let custom = run(&["--policy", path.to_str().unwrap()]);
    assert_eq!(
        on(&custom),
        [(
            "nsg-appgw".to_string(),
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

#[test]
fn a_policy_changes_only_what_it_names() {
    // An exemption-only policy leaves every graded severity as the rules gave it.
    let demo = azaudit::collect::demo::snapshot();
    let plain = crate::common::scan(&demo);
    let exempt = crate::common::scan_with_policy(
        &demo,
        "[[exemptions]]\nrule = \"NSG101\"\nresource = \"/subscriptions/*/resourceGroups/rg-none/*\"\nreason = \"nothing\"\n",
    );
    let sev = |r: &Report| -> Vec<(String, String)> {
        r.findings
            .iter()
            .map(|f| (f.id.clone(), f.severity.to_string()))
            .collect()
    };
    assert_eq!(sev(&exempt), sev(&plain));
    // The demo grades some findings below their rule's default (NSG105's UDR-only admission is
    // medium, DNS105's TTL case low); an empty policy keeps them.
    let graded: Vec<&azaudit::report::Finding> = plain
        .findings
        .iter()
        .filter(|f| {
            let meta = azaudit::rules::find(&f.rule).unwrap().meta();
            f.severity != meta.severity
        })
        .collect();
    assert!(!graded.is_empty(), "the demo has graded findings");
    assert_eq!(
        sev(&crate::common::scan_with_policy(&demo, "")),
        sev(&plain)
    );
    // A severity the user names applies to every finding of that rule.
    let named = crate::common::scan_with_policy(&demo, "[rules.NSG105]\nseverity = \"low\"\n");
    let nsg105: Vec<_> = named
        .findings
        .iter()
        .filter(|f| f.rule == "NSG105")
        .collect();
    assert_eq!(nsg105.len(), 1);
    assert!(
        nsg105
            .iter()
            .all(|f| f.severity == azaudit::report::Severity::Low)
    );
    let others = |r: &Report| -> Vec<(String, String)> {
        sev(r)
            .into_iter()
            .filter(|(id, _)| !nsg105.iter().any(|f| &f.id == id))
            .collect()
    };
    assert_eq!(others(&named), others(&plain));
}

#[test]
fn exempted_findings_are_shown_apart_in_the_human_formats() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    std::fs::write(
        &path,
        "[[exemptions]]\nrule = \"*\"\nresource = \"*\"\nreason = \"lab tenant\"\n\n\
         [[exemptions]]\nrule = \"DNS101\"\nresource = \"*\"\nreason = \"old\"\nexpires = 2020-01-01\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let table = azaudit(&["scan", "--demo", "--policy", p]);
    assert_eq!(table.status.code(), Some(0), "everything is exempted");
    let out = String::from_utf8_lossy(&table.stdout);
    assert!(out.contains("\nNo findings.\n"), "{out}");
    assert!(!out.contains("\nHIGH ("), "{out}");
    assert!(out.contains("\nExempted by the policy (49)\n"), "{out}");
    assert!(
        out.contains("lab tenant (") && out.contains("policy.toml:1)"),
        "{out}"
    );
    assert!(
        out.contains("\nExpired exemptions (they no longer suppress) (1)\n  DNS101 * ("),
        "{out}"
    );
    assert!(
        out.contains("\n0 finding(s) (49 exempted): 0 critical, 0 high, 0 medium, 0 low, 0 info"),
        "{out}"
    );

    let md = azaudit(&["scan", "--demo", "--policy", p, "--format", "markdown"]);
    let out = String::from_utf8_lossy(&md.stdout);
    assert!(
        out.starts_with("## azaudit: 0 finding(s), 49 exempted\n"),
        "{out}"
    );
    assert!(out.contains("| high | 0 |"), "{out}");
    assert!(
        !out.contains("| Severity | Rule | Resource | Finding |"),
        "{out}"
    );
    assert!(
        out.contains("<details><summary>Exempted by the policy (49)</summary>"),
        "{out}"
    );
    assert!(
        out.contains("### Expired exemptions (they no longer suppress) (1)"),
        "{out}"
    );

    // The JSON summary keeps the totals and adds what is active.
    let json = azaudit(&["scan", "--demo", "--policy", p, "--format", "json"]);
    let r: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(r["summary"]["findings"], 49);
    assert_eq!(r["summary"]["suppressed"], 49);
    assert_eq!(r["summary"]["by_severity"]["high"], 14);
    assert_eq!(r["summary"]["active_by_severity"]["high"], 0);
}

#[test]
fn markdown_is_truncated_with_a_count_to_fit_githubs_limits() {
    let report = demo_report();
    let rows = |md: &str| {
        md.lines()
            .filter(|l| l.starts_with("| ") && l.contains(" | `"))
            .count()
    };
    let five = azaudit::report::markdown::render_limited(&report, Some(5), usize::MAX);
    assert_eq!(rows(&five), 5);
    assert!(
        five.contains("\n44 more finding(s) not shown here"),
        "{five}"
    );
    // A byte budget (GitHub: 1 MiB for a step summary, 64 KiB for a comment) is always kept.
    let small = azaudit::report::markdown::render_limited(&report, None, 6_000);
    assert!(small.len() <= 6_000, "{}", small.len());
    let shown = rows(&small);
    assert!(shown > 0 && shown < 49, "{shown}");
    assert!(small.contains(&format!("\n{} more finding(s) not shown here", 49 - shown)));
    // Nothing is cut when it fits.
    let all = azaudit::report::markdown::render(&report);
    assert_eq!(rows(&all), 49);
    assert!(!all.contains("not shown here"));
    let o = azaudit(&[
        "scan",
        "--demo",
        "--format",
        "markdown",
        "--max-rows",
        "3",
        "--fail-on",
        "never",
    ]);
    let md = String::from_utf8_lossy(&o.stdout);
    assert_eq!(rows(&md), 3);
    assert!(md.contains("\n46 more finding(s) not shown here"), "{md}");
}

#[test]
fn shard_reports_merge_into_one() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    let shard = |name: &str, subs: &[&str]| -> Value {
        let mut args = vec![
            "scan",
            "--demo",
            "--format",
            "json",
            "--fail-on",
            "never",
            "-o",
        ];
        let out = p(name);
        args.push(&out);
        for s in subs {
            args.extend(["--subscription", s]);
        }
        assert_eq!(azaudit(&args).status.code(), Some(0));
        serde_json::from_str(&std::fs::read_to_string(p(name)).unwrap()).unwrap()
    };
    let a = shard(
        "a.json",
        &[
            "11111111-1111-4111-8111-111111111111",
            "33333333-3333-4333-8333-333333333333",
        ],
    );
    let b = shard("b.json", &["22222222-2222-4222-8222-222222222222"]);
    let ids = |r: &Value| -> std::collections::BTreeSet<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let o = azaudit(&[
        "merge",
        &p("a.json"),
        &p("b.json"),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let m: Value = serde_json::from_slice(&o.stdout).unwrap();
    let union: std::collections::BTreeSet<String> = ids(&a).union(&ids(&b)).cloned().collect();
    assert_eq!(ids(&m), union);
    assert_eq!(
        m["findings"].as_array().unwrap().len(),
        union.len(),
        "each finding once"
    );
    assert_eq!(m["summary"]["findings"], union.len());
    assert_eq!(m["scope"]["subscriptions"].as_array().unwrap().len(), 3);
    assert_eq!(m["run"]["source"], "merged");
    let rule_total: u64 = m["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["findings"].as_u64().unwrap())
        .sum();
    assert_eq!(rule_total as usize, union.len());
    let schema: Value = serde_json::from_str(&generated_schema()).unwrap();
    validate(&schema, &m).unwrap();
    // Merging a report with itself changes nothing but the run.
    let o = azaudit(&[
        "merge",
        &p("b.json"),
        &p("b.json"),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let same: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ids(&same), ids(&b));
    // The exit code follows --fail-on as scan's does.
    let o = azaudit(&["merge", &p("a.json"), &p("b.json")]);
    assert_eq!(
        o.status.code(),
        Some(
            if m["summary"]["active_by_severity"]["high"].as_u64().unwrap() > 0 {
                1
            } else {
                0
            }
        )
    );
    let o = azaudit(&["merge", &p("missing.json")]);
    assert_eq!(o.status.code(), Some(2));
}
