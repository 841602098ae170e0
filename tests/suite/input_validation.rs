//! Policy parameters and globs that would silently distort a rule are refused with their position,
//! and inputs saved with a UTF-8 byte-order mark are read.

use std::process::Output;

fn azaudit(args: &[&str]) -> Output {
    crate::common::azaudit_command()
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn out_of_range_parameters_and_bad_globs_are_positioned_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "[rules.NSG105.params]\nports = [22, 70000]\n",
            "p.toml:2:9: port 70000 is outside 1–65535",
        ),
        (
            "[rules.NSG105.params]\nports = [0]\n",
            "p.toml:2:9: port 0 is outside 1–65535",
        ),
        (
            "[rules.NSG105.params]\nports = [-22]\n",
            "p.toml:2:9: port -22 is outside 1–65535",
        ),
        (
            "[rules.NSG105.params]\nports = [\"ssh\"]\n",
            "p.toml:2:9: port must be an integer, not string",
        ),
        (
            "[rules.NSG105.params]\nports = []\n",
            "p.toml:2:9: ports is empty",
        ),
        (
            "[rules.RTE102.params]\nthreshold = -1\n",
            "p.toml:2:13: threshold -1 is outside 1–10000",
        ),
        (
            "[rules.RTE102.params]\nthreshold = 100000\n",
            "p.toml:2:13: threshold 100000 is outside 1–10000",
        ),
        (
            "[rules.RTE102.params]\nthreshold = 500\n",
            "p.toml:2:13: threshold 500 is greater than limit 400",
        ),
        // Only limit is set: it is the value to blame against the shipped threshold of 360.
        (
            "[rules.RTE102.params]\nlimit = 300\n",
            "p.toml:2:9: threshold 360 is greater than limit 300",
        ),
        (
            "[rules.DNS105.params]\nmin_ttl = -5\n",
            "p.toml:2:11: min_ttl -5 is outside 0–2147483647",
        ),
        (
            "[rules.DNS105.params]\nmax_ttl = 99999999999\n",
            "p.toml:2:11: max_ttl 99999999999 is outside 0–2147483647",
        ),
        (
            "[rules.DNS105.params]\nmin_ttl = 700\nmax_ttl = 300\n",
            "p.toml:2:11: min_ttl 700 is greater than max_ttl 300",
        ),
        // Only max_ttl is set: it is the value to blame against the shipped min_ttl of 10.
        (
            "[rules.DNS105.params]\nmax_ttl = 5\n",
            "p.toml:2:11: min_ttl 10 is greater than max_ttl 5",
        ),
        (
            "[[exemptions]]\nrule = \"*\"\nresource = \"\"\nreason = \"x\"\n",
            "p.toml:3:12: exemption `resource` is an empty glob",
        ),
        (
            "[[exemptions]]\nrule = \"*\"\nresource = \"   \"\nreason = \"x\"\n",
            "p.toml:3:12: exemption `resource` is an empty glob",
        ),
        (
            "[[exemptions]]\nrule = \"*\"\nresource = \"/subscriptions/[ab]*\"\nreason = \"x\"\n",
            "p.toml:3:12: exemption `resource` \"/subscriptions/[ab]*\": '[' is not glob syntax",
        ),
        (
            "[[exemptions]]\nrule = \"*\"\nresource = \"rg-lab\"\nreason = \"x\"\n",
            "p.toml:3:12: exemption `resource` \"rg-lab\" can never match",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    for (text, want) in cases {
        std::fs::write(&path, text).unwrap();
        let o = azaudit(&["scan", "--demo", "--policy", path.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{text:?}: {err}");
        let line = err.lines().next().unwrap_or_default();
        let line = line
            .strip_prefix("azaudit: error: ")
            .unwrap_or(line)
            .replace(&format!("{}/", dir.path().display()), "");
        assert!(line.starts_with(want), "{text:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn valid_bounds_and_globs_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(
        &path,
        "[rules.NSG105.params]\nports = [1, 65535]\n[rules.RTE102.params]\nthreshold = 400\n\
         [rules.DNS105.params]\nmin_ttl = 300\nmax_ttl = 300\n\
         [[exemptions]]\nrule = \"*\"\nresource = \"*/vaults/kv-?\"\nreason = \"x\"\n",
    )
    .unwrap();
    let o = azaudit(&[
        "scan",
        "--demo",
        "--fail-on",
        "never",
        "--policy",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_snapshot_policy_and_baseline_with_a_byte_order_mark_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("tenant.json");
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend_from_slice(azaudit::collect::demo::snapshot().to_json().as_bytes());
    std::fs::write(&snap, &bytes).unwrap();
    let policy = dir.path().join("p.toml");
    std::fs::write(&policy, "\u{feff}[rules.NSG101]\nenabled = false\n").unwrap();
    let o = azaudit(&[
        "scan",
        "--snapshot",
        snap.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut report = "\u{feff}".as_bytes().to_vec();
    report.extend_from_slice(&o.stdout);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = r["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(
        findings.iter().all(|f| f["rule"] != "NSG101"),
        "the policy applied"
    );
    let baseline = dir.path().join("previous.json");
    std::fs::write(&baseline, &report).unwrap();
    let o = azaudit(&[
        "scan",
        "--snapshot",
        snap.to_str().unwrap(),
        "--baseline",
        baseline.to_str().unwrap(),
        "--only-new",
        "--policy",
        policy.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        r["findings"].as_array().unwrap().len(),
        0,
        "every finding unchanged"
    );
}
