//! The command line: `scan`, `rules`, `explain`.

mod defaults;
mod inspect;
mod probe;
mod reach;
mod term;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::Utc;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::arm::credential::AuthMode;
use crate::arm::{ArmClient, ArmTarget, ClientSettings};
use crate::azure::Cloud;
use crate::collect::live::{LiveScope, is_subscription_id};
use crate::collect::scope::Shard;
use crate::collect::{Snapshot, demo};
use crate::error::{Error, ExitCode, Result};
use crate::report::ocsf::OcsfClass;
use crate::report::{self, Report, Severity};
use crate::rules;
use term::ColorChoice;

const EXIT_CODES: &str = "\
Exit codes:
  0  no finding at or above --fail-on
  1  at least one unsuppressed finding at or above --fail-on
  2  usage, input or credential error (bad flag, unknown or ambiguous subscription name,
     unreadable or malformed snapshot or policy, no working credential, a token ARM rejects,
     …), and a live read that read nothing (no subscription to scan, or not one requested subscription readable)
  3  the scan completed but coverage is incomplete and --require-complete was given
     (findings that give 1 take precedence)";

/// `collect` runs no rule: it either writes a snapshot (coverage gaps recorded in it) or fails.
const COLLECT_EXIT_CODES: &str = "\
Exit codes:
  0  the snapshot was written (coverage gaps, if any, are recorded in it)
  2  usage, credential or output error, or a read that read nothing (no subscription to
     scan, or not one requested subscription readable): no snapshot is written";

#[derive(Debug, Parser)]
#[command(
    name = "azaudit",
    version,
    about = "Audits Azure network and Key Vault configuration the way the Azure fabric evaluates it",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// No progress on stderr (neither the terminal's progress line nor the log's phase lines).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour severities: on a terminal unless NO_COLOR is set (auto), always, or never.
    #[arg(long, value_enum, ignore_case = true, global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every rule over an inventory and report the findings.
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// Render a report from a snapshot without reading a live tenant (default format `html`):
    /// the rules run offline over the snapshot; the exit code is 0 whatever the findings.
    Report(ReportArgs),
    /// Read a tenant from Azure Resource Manager and write its snapshot (for `scan --snapshot`).
    #[command(after_help = COLLECT_EXIT_CODES)]
    Collect {
        #[command(flatten)]
        live: LiveArgs,
        /// Write the snapshot to FILE (atomically); `-` or absent: standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Effective routes of a subnet, computed offline (no VM needed), and the route to a destination.
    Routes(inspect::RoutesArgs),
    /// Effective security rules of a subnet (and a NIC), with service tags expanded to prefixes.
    EffectiveRules(inspect::EffectiveRulesArgs),
    /// How a name resolves from inside a VNet, through its linked private DNS zones.
    Resolve(inspect::ResolveArgs),
    /// Can a source reach a destination? Walks name resolution, routes, NSGs, peerings,
    /// appliances and the Key Vault firewall hop by hop, naming what decides each hop.
    #[command(after_help = reach::REACH_HELP)]
    Reach(reach::ReachArgs),
    /// From a host inside the network: resolve a Key Vault's name and ask the vault (one
    /// unauthenticated GET to /healthstatus) which client address it sees.
    #[command(after_help = probe::PROBE_HELP)]
    Probe(probe::ProbeArgs),
    /// Combine the JSON reports of several shards of one tenant into one report (findings once
    /// each by fingerprint, scope and coverage united), with scan's formats and exit codes.
    #[command(after_help = EXIT_CODES)]
    Merge(MergeArgs),
    /// Print the JSON Schema of the report, a snapshot or a policy file (each with an `$id`).
    Schema {
        #[arg(value_enum, ignore_case = true)]
        of: crate::schemas::Document,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum, ignore_case = true)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `azaudit man > azaudit.1`.
    Man,
    /// List every rule.
    Rules {
        /// Output format.
        #[arg(long, value_enum, ignore_case = true, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Explain a rule: what it detects, why it matters, how to fix it.
    Explain {
        /// Rule code (NSG101) or name (vnet-tag-widened-by-udr).
        rule: String,
    },
}

/// `azaudit report`: a snapshot (or the demo tenant) drawn again, no live read.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A snapshot file written by `azaudit collect`.
    #[arg(long, value_name = "FILE", required_unless_present = "demo")]
    pub snapshot: Option<PathBuf>,
    /// The embedded demo tenant instead of a snapshot.
    #[arg(long, conflicts_with = "snapshot")]
    pub demo: bool,
    /// Output format, repeatable (default `html`).
    #[arg(long, value_enum, ignore_case = true)]
    pub format: Vec<Format>,
    /// Where to write: FILE (one format) or FORMAT=FILE (repeatable); written atomically.
    #[arg(long, short, value_name = "[FORMAT=]FILE")]
    pub output: Vec<String>,
    /// A TOML policy: severities, disabled rules, exemptions.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// A previous JSON report: mark findings new or unchanged and list those resolved since.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,
    /// Judge dated rules and date the report as of this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Draw this saved `--format json` report (its findings, suppressions and baseline delta as
    /// they were) over the snapshot it was built from, without running the rules again.
    #[arg(long, value_name = "REPORT.json", conflicts_with_all = ["policy", "baseline", "as_of"])]
    pub report: Option<PathBuf>,
}

impl ReportArgs {
    /// The equivalent `scan` (offline source, `--fail-on never`), so both share every output rule.
    fn as_scan(&self) -> Result<ScanArgs> {
        let mut argv: Vec<std::ffi::OsString> = vec!["azaudit".into(), "scan".into()];
        match &self.snapshot {
            Some(p) => {
                argv.push("--snapshot".into());
                argv.push(p.into());
            }
            None => argv.push("--demo".into()),
        }
        let formats = if self.format.is_empty() {
            vec![Format::Html]
        } else {
            self.format.clone()
        };
        for f in formats {
            argv.push("--format".into());
            argv.push(f.name().into());
        }
        for o in &self.output {
            argv.push("--output".into());
            argv.push(o.into());
        }
        for (flag, value) in [("--policy", &self.policy), ("--baseline", &self.baseline)] {
            if let Some(v) = value {
                argv.push(flag.into());
                argv.push(v.into());
            }
        }
        if let Some(t) = &self.as_of {
            argv.push("--as-of".into());
            argv.push(t.into());
        }
        argv.push("--fail-on".into());
        argv.push("never".into());
        match Cli::try_parse_from(argv) {
            Ok(Cli {
                command: Command::Scan(args),
                ..
            }) => Ok(args),
            Ok(_) => unreachable!("the argument list names `scan`"),
            Err(e) => Err(Error::Usage(e.to_string().trim().to_string())),
        }
    }
}

/// Where the inventory comes from: the demo tenant, a snapshot file, or a live tenant.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Use the embedded demo tenant (no Azure account, no network).
    /// With `--subscription` / `--resource-group`, only those parts of it are scanned.
    #[arg(long, conflicts_with_all = ["snapshot", "all_subscriptions", "management_group"])]
    pub demo: bool,
    /// Use a snapshot file written by `azaudit collect` (narrowed by `--subscription` and
    /// `--resource-group` when given).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["all_subscriptions", "management_group"])]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
}

impl SourceArgs {
    /// Loads the inventory: (snapshot, source name, snapshot path).
    pub fn load(&self) -> Result<(Snapshot, &'static str, Option<String>)> {
        let (snapshot, source, origin) = if let Some(path) = &self.snapshot {
            let mut s = Snapshot::load(path)?;
            self.live.narrow(&mut s)?;
            (s, "snapshot", Some(path.display().to_string()))
        } else if self.demo {
            let mut s = demo::snapshot();
            self.live.narrow(&mut s)?;
            (s, "demo", None)
        } else {
            let live = self.live.or_default(
                "nothing to read: give --demo, --snapshot FILE, --subscription ID|NAME, --all-subscriptions or --management-group ID",
            )?;
            (collect_live(&live)?, "live", None)
        };
        empty_shard_notice(&snapshot);
        Ok((snapshot, source, origin))
    }
}

/// Says on stderr that this job's share of the subscriptions is empty: the run succeeds with
/// an empty report, the other shards read the subscriptions.
fn empty_shard_notice(snapshot: &Snapshot) {
    if let Some(shard) = &snapshot.scope.shard
        && snapshot.scope.subscriptions.is_empty()
    {
        eprintln!(
            "azaudit: shard {}/{} has no subscription: the list has {}, shared among {} shards; nothing to read here",
            shard.index, shard.count, shard.subscriptions_in_all, shard.count
        );
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format; repeat for several (each then needs `--output FORMAT=FILE`, one may go to stdout).
    #[arg(long, value_enum, ignore_case = true)]
    pub format: Vec<Format>,
    /// Where to write: FILE (one format) or FORMAT=FILE (repeatable); written atomically.
    #[arg(long, short, value_name = "[FORMAT=]FILE")]
    pub output: Vec<String>,
    /// Class of the `ocsf` format.
    #[arg(long, value_enum, ignore_case = true, default_value_t = OcsfClass::Compliance)]
    pub ocsf_class: OcsfClass,
    /// Exit with code 1 when an unsuppressed finding has this severity or higher.
    #[arg(long, value_enum, ignore_case = true, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// A previous JSON report: mark findings new or unchanged and list those resolved since.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,
    /// Only new findings (relative to --baseline) in the output and the exit code.
    #[arg(long, requires = "baseline")]
    pub only_new: bool,
    /// Exit with code 3 when coverage is incomplete (and no finding already gives exit code 1).
    #[arg(long)]
    pub require_complete: bool,
    /// Run only these rules: codes, names or globs (`NSG*`), repeatable or comma-separated.
    #[arg(long = "rule", value_name = "RULE", value_delimiter = ',')]
    pub rules: Vec<String>,
    /// Do not run these rules (codes, names or globs), repeatable or comma-separated.
    #[arg(long = "skip-rule", value_name = "RULE", value_delimiter = ',')]
    pub skip_rules: Vec<String>,
    /// Leave findings below this severity out of the report (after the policy's severities).
    #[arg(long, value_enum, ignore_case = true)]
    pub min_severity: Option<Severity>,
    /// At most this many findings in the markdown table (the rest are counted); markdown is kept
    /// under GitHub's 1 MiB step-summary limit in any case.
    #[arg(long, value_name = "N")]
    pub max_rows: Option<usize>,
    /// Print on stderr how long reading, each rule and writing took, slowest rules first.
    #[arg(long)]
    pub timings: bool,
    /// A policy file (TOML): rule severities, parameters, exemptions.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Judge dated rules (retirement deadlines, exemption expiry) as of this RFC 3339 time instead
    /// of now, and date the report then: the same snapshot then gives the same report.
    #[arg(long, value_name = "TIME", value_parser = parse_as_of)]
    pub as_of: Option<chrono::DateTime<Utc>>,
    /// Push findings to Microsoft Sentinel: the data collection endpoint's logs ingestion URL.
    #[arg(long, value_name = "URL", requires_all = ["sentinel_dcr", "sentinel_stream"])]
    pub sentinel_endpoint: Option<String>,
    /// The data collection rule's immutable id (dcr-…).
    #[arg(long, value_name = "ID", requires = "sentinel_endpoint")]
    pub sentinel_dcr: Option<String>,
    /// The rule's stream (Custom-…).
    #[arg(long, value_name = "STREAM", requires = "sentinel_endpoint")]
    pub sentinel_stream: Option<String>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The `--format json` reports to combine.
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    /// Output format; repeat for several (each then needs `--output FORMAT=FILE`).
    #[arg(long, value_enum, ignore_case = true)]
    pub format: Vec<Format>,
    /// Where to write: FILE (one format) or FORMAT=FILE (repeatable); written atomically.
    #[arg(long, short, value_name = "[FORMAT=]FILE")]
    pub output: Vec<String>,
    /// Class of the `ocsf` format.
    #[arg(long, value_enum, ignore_case = true, default_value_t = OcsfClass::Compliance)]
    pub ocsf_class: OcsfClass,
    /// Exit with code 1 when an unsuppressed finding has this severity or higher.
    #[arg(long, value_enum, ignore_case = true, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// Exit with code 3 when the merged coverage is incomplete.
    #[arg(long)]
    pub require_complete: bool,
    /// At most this many findings in the markdown table.
    #[arg(long, value_name = "N")]
    pub max_rows: Option<usize>,
}

/// Where and how to read a live tenant.
#[derive(Debug, Clone, Args)]
pub struct LiveArgs {
    /// Subscription to read: its id or its display name (as `az` takes it); repeat for several.
    /// With no scope flag, AZURE_SUBSCRIPTION_ID or the Azure CLI's current subscription.
    #[arg(long = "subscription", short = 's', value_name = "ID|NAME")]
    pub subscription: Vec<String>,
    /// Read only share K of N of the subscriptions (sorted by id, every N-th from the K-th), for
    /// N parallel jobs whose reports `azaudit merge` combines.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Read every subscription the identity can list.
    #[arg(long, conflicts_with = "subscription")]
    pub all_subscriptions: bool,
    /// Read the subscriptions under this management group (at any depth).
    #[arg(long, value_name = "ID", conflicts_with_all = ["subscription", "all_subscriptions"])]
    pub management_group: Option<String>,
    /// Only resources in this resource group.
    #[arg(long, short = 'g', value_name = "NAME")]
    pub resource_group: Option<String>,
    /// How to authenticate.
    #[arg(long, value_enum, ignore_case = true, default_value_t = AuthMode::Auto)]
    pub auth: AuthMode,
    /// The Azure cloud.
    #[arg(long, value_enum, ignore_case = true, default_value_t = Cloud::Public)]
    pub cloud: Cloud,
    /// A custom ARM endpoint (https origin, e.g. Azure Stack Hub); tokens are requested for it.
    #[arg(long, value_name = "URL")]
    pub arm_endpoint: Option<String>,
    /// Where to read the kinds Azure Resource Graph indexes: Resource Graph with ARM lists as the
    /// fallback per kind (auto), Resource Graph only (graph), or ARM lists only (arm).
    #[arg(long, value_enum, default_value_t = SourceMode::Auto)]
    pub source: SourceMode,
    /// Direct ARM requests in flight at once (at most 8 per subscription); Resource Graph queries
    /// and ARM batch calls have pools of N and 2N of their own.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub max_concurrency: u16,
    /// Longest single wait on a throttled or failing request, in seconds, whatever Retry-After says.
    #[arg(long, default_value_t = 60, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub max_retry_wait: u64,
    /// Deadline for one request from its first attempt, including retries and throttling waits, in
    /// seconds; also bounds the first token request.
    #[arg(long, default_value_t = 300, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub request_timeout: u64,
}

impl LiveArgs {
    fn requested(&self) -> bool {
        !self.subscription.is_empty() || self.all_subscriptions || self.management_group.is_some()
    }

    /// These arguments, or, when they name no scope, the default subscription (said on
    /// stderr); with no default either, the usage error `nothing`.
    fn or_default(&self, nothing: &str) -> Result<LiveArgs> {
        if self.requested() {
            return Ok(self.clone());
        }
        match defaults::default_subscription()? {
            // Reading the Azure CLI's subscription from another cloud's ARM would fail on every
            // request with nothing to say why.
            Some(defaults::DefaultSubscription {
                id,
                cloud: Some(cloud),
                ..
            }) if cloud != self.cloud => Err(Error::Usage(format!(
                "the Azure CLI's current subscription {id} is in {}, not {}: give --cloud {}, or --subscription",
                cloud.azure_name(),
                self.cloud.azure_name(),
                cloud.azure_name()
            ))),
            Some(d) => {
                eprintln!("{}", d.notice());
                let mut live = self.clone();
                live.subscription = vec![d.id];
                Ok(live)
            }
            None => Err(Error::Usage(format!(
                "{nothing} (or set AZURE_SUBSCRIPTION_ID, or choose one with `az account set`)"
            ))),
        }
    }

    /// Narrows a snapshot (or the demo) the way these arguments narrow a live read: ids and
    /// display names of its subscriptions, a resource group, a shard.
    fn narrow(&self, snapshot: &mut Snapshot) -> Result<()> {
        let mut wanted: Vec<String> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for s in &self.subscription {
            if is_subscription_id(s) {
                wanted.push(s.to_ascii_lowercase());
            } else {
                names.push(s.trim().to_string());
            }
        }
        if !names.is_empty() {
            // The snapshot lists the tenant's other subscriptions too; a name picks among those
            // it read.
            let held: Vec<_> = snapshot.scanned_subscriptions().cloned().collect();
            let ids = crate::collect::scope::resolve_names(&names, &held, "the snapshot holds")
                .map_err(Error::Usage)?;
            wanted.extend(ids);
        }
        snapshot.restrict(&wanted, self.resource_group.as_deref())?;
        if let Some(shard) = self.shard {
            let subscriptions_in_all = snapshot.scope.subscriptions.len();
            let share = shard.select(&snapshot.scope.subscriptions);
            snapshot.keep_subscriptions(&share);
            snapshot.scope.shard = Some(crate::collect::snapshot::ShardScope {
                index: shard.index,
                count: shard.count,
                subscriptions_in_all,
            });
        }
        Ok(())
    }

    /// Checks the arguments before any call is made.
    fn validate(&self) -> Result<(ArmTarget, LiveScope)> {
        if let Some(s) = self.subscription.iter().find(|s| s.trim().is_empty()) {
            return Err(Error::Usage(format!(
                "--subscription {s:?}: give a subscription id or display name"
            )));
        }
        if let Some(mg) = &self.management_group
            && !is_management_group_id(mg)
        {
            return Err(Error::Usage(format!(
                "--management-group {mg:?} is not a management group id (1 to 90 letters, digits, '-', '_', '(', ')' or '.', not ending with '.')"
            )));
        }
        let target = match &self.arm_endpoint {
            Some(url) => ArmTarget::custom(self.cloud, url)?,
            None => ArmTarget::for_cloud(self.cloud),
        };
        let mut subscriptions: Vec<String> = Vec::new();
        let mut subscription_names: Vec<String> = Vec::new();
        for s in &self.subscription {
            if !is_subscription_id(s) {
                subscription_names.push(s.trim().to_string());
            } else if !subscriptions.iter().any(|x| x.eq_ignore_ascii_case(s)) {
                subscriptions.push(s.to_ascii_lowercase());
            }
        }
        Ok((
            target,
            LiveScope {
                subscriptions,
                subscription_names,
                shard: self.shard,
                all_subscriptions: self.all_subscriptions,
                management_group: self.management_group.clone(),
                resource_group: self.resource_group.clone(),
                source: match self.source {
                    SourceMode::Auto => crate::collect::live::Source::Auto,
                    SourceMode::Graph => crate::collect::live::Source::Graph,
                    SourceMode::Arm => crate::collect::live::Source::Arm,
                },
            },
        ))
    }

    fn settings(&self) -> ClientSettings {
        ClientSettings {
            max_concurrency: self.max_concurrency as usize,
            max_graph_queries: self.max_concurrency as usize,
            max_batch_calls: 2 * self.max_concurrency as usize,
            per_subscription: (self.max_concurrency as usize).clamp(1, 8),
            max_wait: std::time::Duration::from_secs(self.max_retry_wait),
            request_timeout: std::time::Duration::from_secs(self.request_timeout),
            ..ClientSettings::default()
        }
    }
}

/// A management group id as Azure accepts it.
fn is_management_group_id(s: &str) -> bool {
    (1..=90).contains(&s.len())
        && !s.ends_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_().".contains(c))
}

/// `--source`: where live collection reads the kinds Resource Graph indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceMode {
    Auto,
    Graph,
    Arm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Grouped by severity, for people at a terminal.
    Table,
    /// For job summaries and pull-request comments.
    Markdown,
    /// The native report, versioned, with a JSON Schema (schemas/report.schema.json).
    Json,
    /// One self-describing finding per line.
    Ndjson,
    /// OCSF 1.8.0 findings (see --ocsf-class).
    Ocsf,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// One self-contained page: overview, topology picture and filterable findings.
    Html,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Markdown => "markdown",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Ocsf => "ocsf",
            Format::Sarif => "sarif",
            Format::Html => "html",
        }
    }
}

/// Pairs formats with destinations: `FILE` for a single format, `FORMAT=FILE` otherwise; a format
/// without a destination goes to stdout (at most one may).
fn destinations(formats: &[Format], outputs: &[String]) -> Result<Vec<(Format, Option<PathBuf>)>> {
    let explicit = !formats.is_empty();
    let mut out: Vec<(Format, Option<PathBuf>)> = Vec::new();
    for f in formats {
        if !out.iter().any(|(x, _)| x == f) {
            out.push((*f, None));
        }
    }
    for o in outputs {
        let named = o.split_once('=').and_then(|(f, path)| {
            Format::from_str(f, true)
                .ok()
                .map(|f| (f, PathBuf::from(path)))
        });
        match named {
            Some((f, path)) => {
                if let Some(slot) = out.iter_mut().find(|(x, _)| *x == f) {
                    slot.1 = Some(path);
                } else if !explicit {
                    out.push((f, Some(path)));
                } else {
                    return Err(Error::Usage(format!(
                        "--output {o}: {} is not among the --format values",
                        f.name()
                    )));
                }
            }
            None if out.len() <= 1 && outputs.len() == 1 => {
                if out.is_empty() {
                    out.push((Format::Table, None));
                }
                out[0].1 = Some(PathBuf::from(o));
            }
            None => {
                return Err(Error::Usage(format!(
                    "--output {o}: with several formats, write FORMAT=FILE (e.g. sarif=report.sarif)"
                )));
            }
        }
    }
    if out.is_empty() {
        out.push((Format::Table, None));
    }
    let keys: Vec<_> = out
        .iter()
        .map(|(_, p)| report::destination_key(p.as_deref()))
        .collect();
    if keys.iter().filter(|k| k.is_none()).count() > 1 {
        return Err(Error::Usage(
            "several formats would go to standard output; give --output FORMAT=FILE for all but one".into(),
        ));
    }
    // Two formats renamed over one file would leave only the last: refuse rather than lose one.
    for (i, key) in keys.iter().enumerate() {
        if let Some(j) = key
            .as_ref()
            .and_then(|k| keys[..i].iter().position(|x| x.as_ref() == Some(k)))
        {
            return Err(Error::Usage(format!(
                "--output: {} and {} would both be written to {}",
                out[j].0.name(),
                out[i].0.name(),
                out[i].1.as_deref().unwrap_or(Path::new("-")).display()
            )));
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    /// Never fail on findings.
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Info => Some(Severity::Info),
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
            FailOn::Never => None,
        }
    }
}

/// Entry point of the binary.
pub fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Clean
            };
            let _ = e.print();
            return std::process::ExitCode::from(code as u8);
        }
    };
    match run(cli) {
        Ok(code) => std::process::ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("azaudit: error: {e}");
            std::process::ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// `--quiet`: no progress on stderr.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn run(cli: Cli) -> Result<ExitCode> {
    init_logging(cli.verbose);
    term::init(cli.color);
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    match cli.command {
        Command::Scan(args) => scan(&args),
        Command::Report(args) => match &args.report {
            Some(saved) => redraw(&args, saved),
            None => scan(&args.as_scan()?),
        },
        Command::Collect { live, output } => {
            let live = live.or_default(
                "collect needs --subscription ID|NAME (repeatable), --all-subscriptions or --management-group ID",
            )?;
            report::check_destination(output.as_deref())?;
            let snapshot = collect_live(&live)?;
            empty_shard_notice(&snapshot);
            report::write_output(output.as_deref(), &snapshot.to_json())?;
            eprintln!(
                "collected {} subscription(s), {} request(s), {} coverage gap(s)",
                snapshot.scope.subscriptions.len(),
                snapshot.collection.as_ref().map_or(0, |c| c.requests),
                snapshot.coverage.gaps.len()
            );
            Ok(ExitCode::Clean)
        }
        Command::Routes(a) => inspect::routes(&a),
        Command::EffectiveRules(a) => inspect::effective_rules(&a),
        Command::Resolve(a) => inspect::resolve(&a),
        Command::Reach(a) => reach::run(&a),
        Command::Probe(a) => probe::run(&a),
        Command::Merge(args) => merge(&args),
        Command::Schema { of } => {
            report::write_output(None, &crate::schemas::text(of))?;
            Ok(ExitCode::Clean)
        }
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "azaudit",
                &mut out,
            );
            report::write_output(None, &String::from_utf8_lossy(&out))?;
            Ok(ExitCode::Clean)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut out)
                .map_err(|e| Error::Internal(format!("manual page: {e}")))?;
            report::write_output(None, &String::from_utf8_lossy(&out))?;
            Ok(ExitCode::Clean)
        }
        Command::Rules { format } => {
            let text = match format {
                ListFormat::Table => rules_table(),
                ListFormat::Json => rules_json(),
            };
            report::write_output(None, &text)?;
            Ok(ExitCode::Clean)
        }
        Command::Explain { rule } => {
            let r = rules::find(&rule).ok_or_else(|| {
                Error::Usage(format!("no rule {rule:?}; `azaudit rules` lists them"))
            })?;
            report::write_output(None, &explain(r.meta()))?;
            Ok(ExitCode::Clean)
        }
    }
}

fn parse_shard(text: &str) -> std::result::Result<Shard, String> {
    Shard::parse(text)
}

fn parse_as_of(text: &str) -> std::result::Result<chrono::DateTime<Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{e} (expected an RFC 3339 time such as 2026-11-24T08:00:00Z)"))
}

fn scan(args: &ScanArgs) -> Result<ExitCode> {
    let started_at = args.as_of.unwrap_or_else(Utc::now);
    let clock = Instant::now();
    let selection = crate::scan::Selection {
        rules: args.rules.clone(),
        skip_rules: args.skip_rules.clone(),
        min_severity: args.min_severity,
    };
    selection.validate()?;
    let targets = destinations(&args.format, &args.output)?;
    for (_, path) in &targets {
        report::check_destination(path.as_deref())?;
    }
    let sentinel = match (
        &args.sentinel_endpoint,
        &args.sentinel_dcr,
        &args.sentinel_stream,
    ) {
        (Some(e), Some(d), Some(st)) => Some(report::sentinel::SentinelTarget::new(e, d, st)?),
        _ => None,
    };
    let policy = match &args.policy {
        Some(path) => Some(crate::policy::file::Policy::load(path)?),
        None => None,
    };
    let baseline = match &args.baseline {
        Some(path) => Some(load_baseline(path)?),
        None => None,
    };
    let (snapshot, source, origin) = args.source.load()?;
    let read_time = clock.elapsed();
    let mut report = crate::scan::build_report_selected(
        &snapshot,
        source,
        origin,
        started_at,
        clock,
        policy.as_ref(),
        &selection,
    );
    if let Some(previous) = &baseline {
        report.apply_baseline(previous);
        if args.only_new {
            report.retain_new();
        }
    }
    write_formats(
        &report,
        Some(&snapshot),
        &targets,
        args.ocsf_class,
        args.max_rows,
    )?;
    if let Some(target) = sentinel {
        push_to_sentinel(target, &args.source.live, &report)?;
    }
    if args.timings {
        eprint!("{}", timings_summary(&report, read_time, clock.elapsed()));
    }
    Ok(exit_code(&report, args.fail_on, args.require_complete))
}

/// Renders the report in each requested format and writes it to its destination.
fn write_formats(
    report: &Report,
    snapshot: Option<&Snapshot>,
    targets: &[(Format, Option<PathBuf>)],
    ocsf_class: OcsfClass,
    max_rows: Option<usize>,
) -> Result<()> {
    for (format, path) in targets {
        let text = match format {
            // Streamed: a large tenant's report is never one string in memory.
            Format::Json => {
                report::write_output_with(path.as_deref(), &mut |w| report.write_json(w))?;
                continue;
            }
            Format::Ndjson => report::ndjson::render(report),
            Format::Markdown => report::markdown::render_limited(
                report,
                max_rows,
                report::markdown::STEP_SUMMARY_LIMIT,
            ),
            Format::Sarif => report::sarif::render(report),
            Format::Ocsf => report::ocsf::render(report, ocsf_class),
            // The picture needs the inventory, which a report alone does not carry.
            Format::Html => match snapshot {
                Some(s) => report::html::render(report, s),
                None => {
                    return Err(Error::Usage(
                        "--format html needs the inventory: use `scan` or `report --snapshot`"
                            .into(),
                    ));
                }
            },
            Format::Table => {
                let t = term::current();
                // A file gets the width asked for, no terminal's; colour only when forced.
                let (width, colour) = match path {
                    None => (t.width, t.colour),
                    Some(_) => (t.columns, t.choice == ColorChoice::Always),
                };
                report::render_table(report, width, colour)
            }
        };
        report::write_output(path.as_deref(), &text)?;
    }
    Ok(())
}

/// `azaudit merge`: the shard reports as one, in the requested formats, with scan's exit codes.
fn merge(args: &MergeArgs) -> Result<ExitCode> {
    let targets = destinations(&args.format, &args.output)?;
    for (_, path) in &targets {
        report::check_destination(path.as_deref())?;
    }
    let reports = args
        .reports
        .iter()
        .map(|p| load_baseline(p))
        .collect::<Result<Vec<_>>>()?;
    let merged = report::merge::merge(reports).map_err(Error::Usage)?;
    write_formats(&merged, None, &targets, args.ocsf_class, args.max_rows)?;
    Ok(exit_code(&merged, args.fail_on, args.require_complete))
}

/// `report --report REPORT.json`: writes a saved report again in the requested formats, drawn
/// over its snapshot. The rules do not run again, so the findings, suppressions and baseline
/// delta are those saved; a snapshot the report was not built from is refused.
fn redraw(args: &ReportArgs, saved: &std::path::Path) -> Result<ExitCode> {
    let formats = if args.format.is_empty() {
        vec![Format::Html]
    } else {
        args.format.clone()
    };
    let targets = destinations(&formats, &args.output)?;
    for (_, path) in &targets {
        report::check_destination(path.as_deref())?;
    }
    let report = load_baseline(saved)?;
    let snapshot = match &args.snapshot {
        Some(path) => Snapshot::load(path)?,
        None => demo::snapshot(),
    };
    check_report_matches(&report, &snapshot)?;
    write_formats(
        &report,
        Some(&snapshot),
        &targets,
        OcsfClass::Compliance,
        None,
    )?;
    Ok(ExitCode::Clean)
}

/// The saved report must come from this snapshot: the same collection time, and its
/// subscriptions among the snapshot's (a scan may have narrowed the snapshot).
fn check_report_matches(report: &Report, snapshot: &Snapshot) -> Result<()> {
    if let Some(at) = report.run.collected_at
        && at != snapshot.collected_at
    {
        return Err(Error::Usage(format!(
            "the report was built from a snapshot collected at {}, not this one (collected at {})",
            at.to_rfc3339(),
            snapshot.collected_at.to_rfc3339()
        )));
    }
    let missing: Vec<&str> = report
        .scope
        .subscriptions
        .iter()
        .filter(|s| {
            !snapshot
                .scope
                .subscriptions
                .iter()
                .any(|t| t.eq_ignore_ascii_case(s))
        })
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "the report covers subscription(s) the snapshot does not hold: {}",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// `--timings`: the phases of the scan, then every rule, slowest first.
fn timings_summary(
    report: &Report,
    read: std::time::Duration,
    total: std::time::Duration,
) -> String {
    let rules_ms: f64 = report.rules.iter().map(|o| o.duration_ms).sum();
    let mut out = format!(
        "timings: read {:.3} s, rules {:.3} s ({} rules), total {:.3} s\n",
        read.as_secs_f64(),
        rules_ms / 1e3,
        report.rules.len(),
        total.as_secs_f64(),
    );
    let mut rules: Vec<&rules::RuleOutcome> = report.rules.iter().collect();
    rules.sort_by(|a, b| {
        b.duration_ms
            .total_cmp(&a.duration_ms)
            .then(a.code.cmp(&b.code))
    });
    for o in rules {
        out.push_str(&format!(
            "  {:<7} {:<42} {:>10.3} ms  {} finding(s)\n",
            o.code, o.name, o.duration_ms, o.findings
        ));
    }
    out
}

/// Sends the findings to Sentinel with a token for the monitor audience from the same credentials.
fn push_to_sentinel(
    target: report::sentinel::SentinelTarget,
    live: &LiveArgs,
    report: &Report,
) -> Result<()> {
    let arm = ArmTarget::for_cloud(live.cloud);
    let credential = crate::arm::credential::build(live.auth, &arm)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
    let client = report::sentinel::SentinelClient::new(
        target,
        live.cloud,
        credential,
        None,
        std::time::Duration::from_secs(live.max_retry_wait),
    );
    let stats = runtime.block_on(client.push(report))?;
    eprintln!(
        "sent {} finding(s) to Sentinel in {} batch(es)",
        stats.records, stats.batches
    );
    Ok(())
}

/// 1 for findings at or above the threshold, else 3 when coverage is incomplete and required, else 0.
pub fn exit_code(report: &Report, fail_on: FailOn, require_complete: bool) -> ExitCode {
    match fail_on.threshold() {
        Some(t) if report.has_findings_at_or_above(t) => ExitCode::Findings,
        _ if require_complete && !report.summary.coverage_complete => ExitCode::Incomplete,
        _ => ExitCode::Clean,
    }
}

/// Reads a previous native JSON report for `--baseline`.
fn load_baseline(path: &std::path::Path) -> Result<Report> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |problem: String| Error::Snapshot {
        path: path.to_path_buf(),
        problem,
    };
    let value: serde_json::Value =
        serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(&text))
            .map_err(|e| bad(format!("not a JSON report: {e}")))?;
    match value.get("schema_version").and_then(|v| v.as_str()) {
        Some(v) if v.split('.').next() == report::REPORT_SCHEMA_VERSION.split('.').next() => {}
        Some(v) => {
            return Err(bad(format!(
                "baseline report schema_version {v} is not compatible with {}",
                report::REPORT_SCHEMA_VERSION
            )));
        }
        None => {
            return Err(bad(
                "not an azaudit JSON report (no schema_version); write one with --format json"
                    .into(),
            ));
        }
    }
    serde_path_to_error::deserialize(value)
        .map_err(|e| bad(format!("invalid report at {}: {}", e.path(), e.inner())))
}

/// Reads a live tenant (see [`read_live`]).
fn collect_live(args: &LiveArgs) -> Result<Snapshot> {
    let (target, scope) = args.validate()?;
    let credential = crate::arm::credential::build_named(args.auth, &target)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let client = ArmClient::new(target, credential.token.clone(), args.settings());
        let progress = crate::collect::progress::Progress::start(
            &client,
            QUIET.load(std::sync::atomic::Ordering::Relaxed),
        );
        let result = read_live(
            &client,
            &credential,
            &scope,
            std::time::Duration::from_secs(args.request_timeout),
        )
        .await;
        progress.finish(&client.stats());
        result
    })
}

/// Reads a live tenant through `client`. The credential is checked with one token request first
/// (bounded by `token_timeout`), so a sign-in problem is one clear error (exit 2) rather than a
/// report full of gaps; a token ARM rejects, and a read in which not one requested subscription
/// could be read, are errors too: their snapshot would pass for an empty, clean tenant.
pub async fn read_live(
    client: &ArmClient,
    credential: &crate::arm::credential::Credential,
    scope: &LiveScope,
    token_timeout: std::time::Duration,
) -> Result<Snapshot> {
    use crate::collect::live::{Unreadable, collect_checked};
    // A credential that never answers (a hung `az`, an unreachable token endpoint) must not
    // hang an unattended job.
    let audience = client.target().scope.clone();
    match tokio::time::timeout(
        token_timeout,
        credential.token.get_token(&[audience.as_str()], None),
    )
    .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(Error::Credential(e.to_string())),
        Err(_) => {
            return Err(Error::Credential(format!(
                "{}: no token within {} s (--request-timeout)",
                credential.name(),
                token_timeout.as_secs()
            )));
        }
    }
    match collect_checked(client, scope).await {
        Ok(snapshot) => Ok(snapshot),
        Err(Unreadable::TokenRejected(e @ crate::arm::ArmError::Auth(_))) => {
            Err(Error::Credential(format!("{}: {e}", credential.name())))
        }
        Err(Unreadable::TokenRejected(e)) => Err(Error::Credential(format!(
            "{}: ARM rejected the token: {e}",
            credential.name()
        ))),
        Err(Unreadable::NothingRead(why)) => Err(Error::NothingRead(format!(
            "nothing was read, so there is nothing to report: {why}"
        ))),
        Err(Unreadable::Scope(why)) => Err(Error::Usage(why)),
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "error",
        1 => "azaudit=info",
        2 => "azaudit=debug",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn rules_table() -> String {
    let term = term::current();
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(vec!["Code", "Name", "Severity", "Title"]);
    if let Some(w) = term.width {
        t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
            .set_width(w);
    }
    term::style_table(&mut t, term.colour);
    for r in rules::registry() {
        let m = r.meta();
        t.add_row(vec![
            comfy_table::Cell::new(m.code),
            comfy_table::Cell::new(m.name),
            comfy_table::Cell::new(m.severity.as_str()).fg(term::severity_colour(m.severity)),
            comfy_table::Cell::new(m.title),
        ]);
    }
    format!("{t}\n")
}

fn rules_json() -> String {
    let list: Vec<_> = rules::registry()
        .iter()
        .map(|r| {
            let m = r.meta();
            serde_json::json!({
                "code": m.code, "name": m.name, "title": m.title, "severity": m.severity,
                "inputs": m.inputs, "shown_inputs": m.shown_inputs, "what": m.what, "why": m.why, "fix": m.fix,
                "references": m.references,
            })
        })
        .collect();
    format!(
        "{}\n",
        serde_json::to_string_pretty(&list).expect("serialises")
    )
}

/// Off a terminal, paragraphs wrap at this width.
const EXPLAIN_WIDTH: usize = 100;

fn explain(m: &rules::RuleMeta) -> String {
    let term = term::current();
    let mut s = format!(
        "{} {} — {}\nDefault severity: {}\n\nWhat it detects\n  {}\n\nWhy it matters\n  {}\n\nHow to fix\n",
        m.code,
        m.name,
        m.title,
        term::paint(m.severity.as_str(), m.severity, term.colour),
        m.what,
        m.why
    );
    for line in m.fix.lines() {
        s.push_str(&format!("  {line}\n"));
    }
    s.push_str(&format!(
        "\nExample evidence\n  {}\n\nReferences\n",
        m.example
    ));
    for r in m.references {
        s.push_str(&format!("  {r}\n"));
    }
    // Prose wraps at the width; commands and evidence stay whole, to be copied.
    let width = term.width.map_or(EXPLAIN_WIDTH, usize::from);
    term::fit_lines(&s, width, |line| {
        let t = line.trim_start();
        t.starts_with("az ") || t.starts_with('{')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(args: &[&str]) -> LiveArgs {
        let mut argv = vec!["azaudit", "collect"];
        argv.extend(args);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Collect { live, .. } => live,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn resource_group_and_limits_reach_the_collection() {
        let (_, scope) = live(&[
            "-s",
            "00000000-0000-4000-8000-00000000000A",
            "-g",
            "rg-data",
        ])
        .validate()
        .unwrap();
        assert_eq!(scope.resource_group.as_deref(), Some("rg-data"));
        assert_eq!(
            scope.subscriptions,
            ["00000000-0000-4000-8000-00000000000a"]
        );
        let s = live(&[
            "-s",
            "00000000-0000-4000-8000-00000000000a",
            "--max-concurrency",
            "32",
            "--max-retry-wait",
            "7",
            "--request-timeout",
            "90",
        ])
        .settings();
        assert_eq!((s.max_concurrency, s.per_subscription), (32, 8));
        assert_eq!((s.max_graph_queries, s.max_batch_calls), (32, 64));
        assert_eq!(s.max_wait, std::time::Duration::from_secs(7));
        assert_eq!(s.request_timeout, std::time::Duration::from_secs(90));
        let s = live(&[
            "-s",
            "00000000-0000-4000-8000-00000000000a",
            "--max-concurrency",
            "3",
        ])
        .settings();
        assert_eq!((s.max_concurrency, s.per_subscription), (3, 3));
        assert_eq!((s.max_graph_queries, s.max_batch_calls), (3, 6));
    }
}
