//! Which subscriptions a run reads, from the command line: display names as well as ids, the
//! default subscription when no scope flag is given, and `--shard K/N` with `merge`.

use std::process::Output;

use crate::common::{azaudit, azaudit_command};

const CONNECTIVITY: &str = "11111111-1111-4111-8111-111111111111";
const WORKLOADS: &str = "22222222-2222-4222-8222-222222222222";
const MANAGEMENT: &str = "33333333-3333-4333-8333-333333333333";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.code().is_some(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(o)))
}

fn scope(report: &serde_json::Value) -> Vec<String> {
    report["scope"]["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn finding_ids(report: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_subscription_is_named_by_its_id_or_its_display_name() {
    let by_name = azaudit(&[
        "scan",
        "--demo",
        "-s",
        "Contoso-Workloads",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(by_name.status.code(), Some(0), "{}", stderr(&by_name));
    let by_id = azaudit(&[
        "scan",
        "--demo",
        "-s",
        WORKLOADS,
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(scope(&json(&by_name)), [WORKLOADS]);
    assert_eq!(finding_ids(&json(&by_name)), finding_ids(&json(&by_id)));
    // Names and ids mix.
    let both = azaudit(&[
        "scan",
        "--demo",
        "-s",
        "contoso-management",
        "-s",
        CONNECTIVITY,
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let mut got = scope(&json(&both));
    got.sort();
    assert_eq!(got, [CONNECTIVITY, MANAGEMENT]);
}

#[test]
fn an_unknown_subscription_name_is_a_usage_error_listing_the_candidates() {
    let o = azaudit(&["scan", "--demo", "-s", "contoso"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert_eq!(
        stderr(&o).trim_end(),
        format!(
            "azaudit: error: no subscription named \"contoso\" among the 3 the snapshot holds: \
             contoso-connectivity ({CONNECTIVITY}), contoso-management ({MANAGEMENT}), \
             contoso-workloads ({WORKLOADS})"
        )
    );
}

#[test]
fn the_table_and_markdown_name_the_subscriptions() {
    let o = azaudit(&["scan", "--demo", "--fail-on", "never"]);
    let table = String::from_utf8(o.stdout).unwrap();
    let second = table.lines().nth(1).unwrap();
    assert!(
        second.starts_with(&format!(
            "3 subscription(s): contoso-connectivity ({CONNECTIVITY}), contoso-workloads ({WORKLOADS})"
        )),
        "{second}"
    );
    // Several subscriptions: each resource says which one holds it.
    assert!(table.contains("rg-app · contoso-workloads"), "{table}");
    let o = azaudit(&[
        "scan",
        "--demo",
        "-s",
        WORKLOADS,
        "--format",
        "markdown",
        "--fail-on",
        "never",
    ]);
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(
        md.contains(&format!(
            "\n1 subscription(s): contoso-workloads ({WORKLOADS}) · source: demo"
        )),
        "{md}"
    );
}

/// With no scope flag a live read takes AZURE_SUBSCRIPTION_ID, else the Azure CLI's current
/// subscription, and says so on stderr before anything else happens (here: a missing token).
#[test]
fn without_a_scope_flag_the_default_subscription_is_read_and_named() {
    let no_token = |cmd: &mut std::process::Command| -> Output {
        cmd.args(["scan", "--auth", "token", "--as-of", "2026-11-24T09:00:00Z"])
            .env_remove("AZAUDIT_ACCESS_TOKEN")
            .output()
            .unwrap()
    };
    let o = no_token(azaudit_command().env("AZURE_SUBSCRIPTION_ID", WORKLOADS.to_uppercase()));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "azaudit: no --subscription, --all-subscriptions or --management-group given: \
             reading subscription {WORKLOADS}, from AZURE_SUBSCRIPTION_ID"
        )
    );
    assert!(
        lines[1].contains("AZAUDIT_ACCESS_TOKEN is not set"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    // The Azure CLI writes its profile with a byte-order mark.
    let profile = format!(
        "\u{feff}{{\"subscriptions\": [\
         {{\"id\": \"{CONNECTIVITY}\", \"name\": \"Connectivity\", \"isDefault\": false}},\
         {{\"id\": \"{MANAGEMENT}\", \"name\": \"Management\", \"isDefault\": true}}]}}"
    );
    std::fs::write(dir.path().join("azureProfile.json"), profile).unwrap();
    let o = no_token(azaudit_command().env("AZURE_CONFIG_DIR", dir.path()));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).lines().next().unwrap(),
        format!(
            "azaudit: no --subscription, --all-subscriptions or --management-group given: \
             reading subscription Management ({MANAGEMENT}), from the Azure CLI's current \
             subscription in {}",
            dir.path().join("azureProfile.json").display()
        )
    );
    // A profile signed in to another cloud is not read with this cloud's ARM.
    let gov = dir.path().join("gov");
    std::fs::create_dir(&gov).unwrap();
    std::fs::write(
        gov.join("azureProfile.json"),
        format!(
            "{{\"subscriptions\": [{{\"id\": \"{MANAGEMENT}\", \"isDefault\": true, \
             \"environmentName\": \"AzureUSGovernment\"}}]}}"
        ),
    )
    .unwrap();
    let o = no_token(azaudit_command().env("AZURE_CONFIG_DIR", &gov));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim_end(),
        format!(
            "azaudit: error: the Azure CLI's current subscription {MANAGEMENT} is in \
             AzureUSGovernment, not AzureCloud: give --cloud AzureUSGovernment, or --subscription"
        )
    );
    let o = azaudit_command()
        .env("AZURE_CONFIG_DIR", &gov)
        .env_remove("AZAUDIT_ACCESS_TOKEN")
        .args(["collect", "--auth", "token", "--cloud", "AzureUSGovernment"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .lines()
            .next()
            .unwrap()
            .contains(&format!("reading subscription {MANAGEMENT}")),
        "{}",
        stderr(&o)
    );
    // The environment variable comes first.
    let o = no_token(
        azaudit_command()
            .env("AZURE_CONFIG_DIR", dir.path())
            .env("AZURE_SUBSCRIPTION_ID", WORKLOADS),
    );
    assert!(
        stderr(&o)
            .lines()
            .next()
            .unwrap()
            .ends_with("from AZURE_SUBSCRIPTION_ID"),
        "{}",
        stderr(&o)
    );
    // An explicit scope takes no default and says nothing about one.
    let o = azaudit_command()
        .env("AZURE_SUBSCRIPTION_ID", WORKLOADS)
        .args(["scan", "--demo", "--fail-on", "never"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn an_unusable_default_is_an_error_naming_where_it_came_from() {
    let o = azaudit_command()
        .env("AZURE_SUBSCRIPTION_ID", "production")
        .args(["collect"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim_end(),
        "azaudit: error: AZURE_SUBSCRIPTION_ID \"production\" is not a subscription id (a GUID)"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("azureProfile.json");
    std::fs::write(&path, "{ not json").unwrap();
    let o = azaudit_command()
        .env("AZURE_CONFIG_DIR", dir.path())
        .args(["collect"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with(&format!(
            "azaudit: error: {}: not an Azure CLI profile:",
            path.display()
        )),
        "{}",
        stderr(&o)
    );
    // A profile with no current subscription is no default.
    std::fs::write(&path, "{\"subscriptions\": []}").unwrap();
    let o = azaudit_command()
        .env("AZURE_CONFIG_DIR", dir.path())
        .args(["collect"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("collect needs --subscription ID|NAME"),
        "{}",
        stderr(&o)
    );
}

fn shard_report(dir: &std::path::Path, shard: &str) -> (std::path::PathBuf, Output) {
    let path = dir.join(format!("shard-{}.json", shard.replace('/', "-of-")));
    let o = azaudit(&[
        "scan",
        "--demo",
        "--shard",
        shard,
        "--format",
        "json",
        "-o",
        path.to_str().unwrap(),
        "--fail-on",
        "never",
    ]);
    (path, o)
}

fn read(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn shards_split_the_subscriptions_and_merge_back_into_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let shards: Vec<_> = ["1/2", "2/2"]
        .iter()
        .map(|s| shard_report(dir.path(), s))
        .collect();
    for (_, o) in &shards {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    }
    // Sorted by id, every second from the first: 1111… and 3333…, then 2222….
    let first = read(&shards[0].0);
    assert_eq!(scope(&first), [CONNECTIVITY, MANAGEMENT]);
    assert_eq!(
        first["scope"]["shard"],
        serde_json::json!({"index": 1, "count": 2, "subscriptions_in_all": 3})
    );
    assert_eq!(scope(&read(&shards[1].0)), [WORKLOADS]);

    // Each shard reads what `--subscription` with its subscriptions reads.
    let narrowed = |subs: &[&str]| {
        let mut args = vec!["scan", "--demo", "--format", "json", "--fail-on", "never"];
        for s in subs {
            args.extend(["-s", s]);
        }
        json(&azaudit(&args))
    };
    assert_eq!(
        finding_ids(&first),
        finding_ids(&narrowed(&[CONNECTIVITY, MANAGEMENT]))
    );
    assert_eq!(
        finding_ids(&read(&shards[1].0)),
        finding_ids(&narrowed(&[WORKLOADS]))
    );
    let whole = narrowed(&[]);
    let merged = azaudit(&[
        "merge",
        shards[0].0.to_str().unwrap(),
        shards[1].0.to_str().unwrap(),
        "--format",
        "json",
        "--require-complete",
        "--fail-on",
        "never",
    ]);
    assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    let merged = json(&merged);
    assert_eq!(merged["coverage"]["gaps"], serde_json::json!([]));
    assert!(merged["scope"].get("shard").is_none());
    let mut want = scope(&whole);
    want.sort();
    assert_eq!(scope(&merged), want);
    // Findings once each by fingerprint: the union of the shards'.
    let mut union: Vec<String> = finding_ids(&first)
        .into_iter()
        .chain(finding_ids(&read(&shards[1].0)))
        .collect();
    union.sort();
    union.dedup();
    assert_eq!(finding_ids(&merged), union);
}

/// `--subscription` on a snapshot keeps what a live read of that subscription would read: no
/// network watcher, flow log or provider registration of another subscription, and private DNS
/// of other subscriptions only while private endpoints in scope resolve through it.
#[test]
fn a_narrowed_snapshot_reports_only_what_a_live_read_of_it_would() {
    for sub in [CONNECTIVITY, WORKLOADS, MANAGEMENT] {
        let r = json(&azaudit(&[
            "scan",
            "--demo",
            "-s",
            sub,
            "--format",
            "json",
            "--fail-on",
            "never",
        ]));
        for f in r["findings"].as_array().unwrap() {
            let elsewhere = f["subscription_id"] != sub;
            assert!(
                !elsewhere || f["resource_type"] == "Microsoft.Network/privateDnsZones",
                "scanning {sub} reported {} on {}",
                f["rule"],
                f["resource_id"]
            );
        }
    }
    // The management subscription holds only a workspace: nothing of the others is judged.
    let r = json(&azaudit(&[
        "scan",
        "--demo",
        "-s",
        MANAGEMENT,
        "--format",
        "json",
        "--fail-on",
        "never",
    ]));
    assert_eq!(r["findings"], serde_json::json!([]));
}

#[test]
fn a_merge_missing_a_shard_records_the_gap() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = shard_report(dir.path(), "2/3");
    let o = azaudit(&[
        "merge",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
        "--require-complete",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let gaps = json(&o)["coverage"]["gaps"].clone();
    let messages: Vec<&str> = gaps
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "shard 1/3 is not among the merged reports: the subscriptions it reads are missing",
            "shard 3/3 is not among the merged reports: the subscriptions it reads are missing",
        ]
    );
    assert!(
        gaps.as_array()
            .unwrap()
            .iter()
            .all(|g| g["code"] == "ShardMissing")
    );
}

#[test]
fn an_empty_shard_succeeds_with_an_empty_report_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let (path, o) = shard_report(dir.path(), "4/4");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim_end(),
        "azaudit: shard 4/4 has no subscription: the list has 3, shared among 4 shards; nothing to read here"
    );
    let r = read(&path);
    assert!(scope(&r).is_empty());
    assert_eq!(r["findings"], serde_json::json!([]));
    // Its place in the merge is kept: with it, the merge of four shards is complete.
    let paths: Vec<_> = ["1/4", "2/4", "3/4"]
        .iter()
        .map(|s| shard_report(dir.path(), s).0)
        .chain([path])
        .collect();
    let mut args = vec!["merge", "--format", "json", "--require-complete"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--fail-on", "never"]);
    let o = azaudit(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A shard given the whole previous report as its baseline does not call the other shards'
/// findings resolved: it did not look at their subscriptions.
#[test]
fn a_baseline_resolves_only_findings_of_the_scanned_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.json");
    let o = azaudit(&[
        "scan",
        "--demo",
        "--format",
        "json",
        "-o",
        whole.to_str().unwrap(),
        "--fail-on",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let shard = json(&azaudit(&[
        "scan",
        "--demo",
        "--shard",
        "2/2",
        "--baseline",
        whole.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]));
    // (An empty list is left out of the report.)
    assert!(
        shard["resolved"].as_array().is_none_or(Vec::is_empty),
        "{}",
        shard["resolved"]
    );
    // Nor does a rule left out of the run resolve its findings.
    let skipped = json(&azaudit(&[
        "scan",
        "--demo",
        "--skip-rule",
        "NSG*",
        "--baseline",
        whole.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]));
    assert!(
        skipped["resolved"].as_array().is_none_or(Vec::is_empty),
        "{}",
        skipped["resolved"]
    );
    // A finding of a scanned subscription that is gone is still resolved.
    let mut previous: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&whole).unwrap()).unwrap();
    let mut gone = previous["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subscription_id"] == WORKLOADS)
        .unwrap()
        .clone();
    gone["id"] = serde_json::json!("0".repeat(32));
    previous["findings"].as_array_mut().unwrap().push(gone);
    std::fs::write(&whole, previous.to_string()).unwrap();
    let shard = json(&azaudit(&[
        "scan",
        "--demo",
        "--shard",
        "2/2",
        "--baseline",
        whole.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]));
    let resolved: Vec<&str> = shard["resolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(resolved, ["0".repeat(32)]);
}
