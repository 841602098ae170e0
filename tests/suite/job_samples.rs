//! The shipped job recipes are well-formed YAML and every azaudit command line in them is accepted
//! by the CLI parser.

use std::path::Path;

use clap::Parser;
use serde_yaml_ng::Value;

fn read(rel: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"))
}

fn accepts(argv: &[String]) {
    if let Err(e) = azaudit::cli::Cli::try_parse_from(argv) {
        panic!("{argv:?} is rejected by the CLI: {e}");
    }
}

/// The azaudit invocations in a shell script (redirections and pipes stripped).
fn invocations(script: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in script.lines() {
        let line = line.trim();
        let Some(start) = line
            .find("azaudit scan")
            .or_else(|| line.find("azaudit collect"))
        else {
            continue;
        };
        let cmd = &line[start..];
        let cmd = cmd.split(['>', '|']).next().unwrap().trim();
        out.push(shlex::split(cmd).expect("shell words"));
    }
    out
}

#[test]
fn scheduled_audit_workflow_is_valid_and_its_commands_parse() {
    let wf = read(".github/workflows/scheduled-audit.yml");
    assert!(
        wf["on"]["schedule"][0]["cron"].is_string(),
        "it runs on a schedule"
    );
    assert_eq!(
        wf["permissions"]["id-token"],
        Value::from("write"),
        "GitHub OIDC, no stored secret"
    );
    let steps = wf["jobs"]["audit"]["steps"].as_sequence().unwrap();
    let mut found = 0;
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            for argv in invocations(run) {
                accepts(&argv);
                assert!(argv.iter().any(|a| a == "sarif"), "{argv:?}");
                assert!(
                    argv.iter().any(|a| a == "--require-complete"),
                    "a subscription that cannot be read must not pass: {argv:?}"
                );
                found += 1;
            }
        }
    }
    assert_eq!(found, 2, "with and without a baseline");
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif"))
    );
    assert!(
        uses.iter()
            .any(|u| u.starts_with("actions/upload-artifact"))
    );
    assert!(uses.iter().any(|u| u.starts_with("azure/login")));
    assert!(
        uses.iter().any(|u| u.starts_with("actions/cache")),
        "the build is cached"
    );
    // The audit keeps its exit code instead of failing before the reports are kept; a last step
    // gates on it, and the baseline comes from any completed run (a failing one included).
    let named = |name: &str| {
        steps
            .iter()
            .find(|s| s["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no step {name:?}"))
    };
    let audit = named("Audit")["run"].as_str().unwrap();
    assert_eq!(audit.matches("|| code=$?").count(), 2, "{audit}");
    assert!(
        audit.contains("echo \"code=$code\" >> \"$GITHUB_OUTPUT\""),
        "{audit}"
    );
    for upload in [
        "Upload SARIF to code scanning",
        "Keep the JSON report (next run's baseline)",
    ] {
        assert!(
            named(upload)["if"]
                .as_str()
                .unwrap()
                .starts_with("always()"),
            "{upload}"
        );
    }
    let last = steps.last().unwrap();
    assert_eq!(
        last["run"].as_str(),
        Some("exit ${{ steps.audit.outputs.code }}")
    );
    let fetch = named("Fetch the previous report as baseline")["run"]
        .as_str()
        .unwrap();
    assert!(!fetch.contains("--status success"), "{fetch}");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows/scheduled-audit.yml"),
    )
    .unwrap();
    assert!(!text.contains("client-secret") && !text.contains("AZURE_CLIENT_SECRET"));
}

#[test]
fn ci_workflow_runs_the_ci_script() {
    let wf = read(".github/workflows/ci.yml");
    let steps = wf["jobs"]["test"]["steps"].as_sequence().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s["run"].as_str() == Some("bash .ci/run"))
    );
}

#[test]
fn kubernetes_cronjob_is_valid_and_its_command_parses() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kubernetes/cronjob.yaml"),
    )
    .unwrap();
    let docs: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).expect("valid YAML document"))
        .collect();
    let cron = docs
        .iter()
        .find(|d| d["kind"].as_str() == Some("CronJob"))
        .expect("a CronJob");
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"];
    assert_eq!(
        pod["metadata"]["labels"]["azure.workload.identity/use"],
        Value::from("true")
    );
    let sa = docs
        .iter()
        .find(|d| d["kind"].as_str() == Some("ServiceAccount"))
        .expect("a ServiceAccount");
    assert!(sa["metadata"]["annotations"]["azure.workload.identity/client-id"].is_string());
    let c = &pod["spec"]["containers"][0];
    let mut argv: Vec<String> = c["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    argv.extend(
        c["args"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string()),
    );
    accepts(&argv);
    assert!(
        argv.windows(2)
            .any(|w| w[0] == "--auth" && w[1] == "workload")
    );
}

/// The image recipe builds the binary in one stage and runs it as the CronJob's unprivileged user
/// in a slim second stage with the OS trust store.
#[test]
fn the_dockerfile_is_multi_stage_and_runs_as_the_cronjobs_user() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docker = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let froms: Vec<&str> = docker.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "{froms:?}");
    assert!(froms[0].ends_with(" AS build"));
    assert!(docker.contains("cargo build --release --locked"));
    assert!(docker.contains("ca-certificates"));
    assert!(
        docker.contains("COPY --from=build /src/target/release/azaudit /usr/local/bin/azaudit")
    );
    let user = docker
        .lines()
        .find(|l| l.starts_with("USER "))
        .expect("a USER line");
    assert_eq!(user, "USER 65532:65532");
    let cron = std::fs::read_to_string(root.join("examples/kubernetes/cronjob.yaml")).unwrap();
    assert!(
        cron.contains("runAsUser: 65532"),
        "the CronJob runs as the image's user"
    );
    assert!(docker.lines().any(|l| l == "ENTRYPOINT [\"azaudit\"]"));
}

/// The Indexed Job gives each of its pods one shard: the command line of every index parses, the
/// shards are 1..N for N completions, and each pod writes its own report.
#[test]
fn kubernetes_indexed_job_gives_each_pod_its_own_shard() {
    let job = read("examples/kubernetes/indexed-job.yaml");
    assert_eq!(job["kind"], Value::from("Job"));
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], Value::from("Indexed"));
    let n = spec["completions"].as_u64().unwrap();
    assert_eq!(spec["parallelism"].as_u64(), Some(n));
    let pod = &spec["template"];
    assert_eq!(
        pod["metadata"]["labels"]["azure.workload.identity/use"],
        Value::from("true")
    );
    assert_eq!(
        pod["spec"]["securityContext"]["runAsUser"].as_u64(),
        Some(65532)
    );
    let c = &pod["spec"]["containers"][0];
    assert_eq!(c["command"][0], Value::from("/bin/sh"));
    let script = c["args"][0].as_str().unwrap();
    let mut outputs = Vec::new();
    for index in 0..n {
        // What the shell makes of the line in pod `index`.
        let line = script.replace("$((JOB_COMPLETION_INDEX + 1))", &(index + 1).to_string());
        assert!(!line.contains('$'), "unexpanded: {line}");
        let mut argv = shlex::split(line.strip_prefix("exec ").unwrap()).unwrap();
        accepts(&argv);
        let shard = argv
            .windows(2)
            .find(|w| w[0] == "--shard")
            .map(|w| w[1].clone())
            .expect("a --shard");
        assert_eq!(shard, format!("{}/{n}", index + 1));
        let at = argv.iter().position(|a| a == "--output").unwrap();
        outputs.push(argv.remove(at + 1));
    }
    outputs.sort();
    outputs.dedup();
    assert_eq!(outputs.len() as u64, n, "each pod writes its own report");
}

/// The build needs no CMake or NASM: the one TLS crypto provider is ring (the image's build stage
/// installs nothing beyond the rust image), and aws-lc, which the HTTP stack would pull in by
/// default, is not in the lock file.
#[test]
fn the_tls_crypto_is_ring_alone() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    let packages: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|n| n.trim_end_matches('"'))
        .collect();
    assert!(packages.contains(&"ring"), "ring is the provider");
    assert!(
        !packages.iter().any(|p| p.starts_with("aws-lc")),
        "{:?}",
        packages
            .iter()
            .filter(|p| p.starts_with("aws-lc"))
            .collect::<Vec<_>>()
    );
    let docker = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    assert!(!docker.contains("cmake"), "no CMake in the build stage");
}
