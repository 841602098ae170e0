//! The command line: `scan`, `rules`, `explain`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use chrono::Utc;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::collect::{Snapshot, demo};
use crate::error::{Error, ExitCode, Result};
use crate::inventory::Index;
use crate::policy::privatelink::ZoneTable;
use crate::report::{self, Report, Run, Scope, Severity, Tool};
use crate::rules::{self, Context};

const EXIT_CODES: &str = "\
Exit codes:
  0  no finding at or above --fail-on
  1  at least one finding at or above --fail-on
  2  usage, input or credential error (bad flag, unreadable or malformed snapshot, …)";

#[derive(Debug, Parser)]
#[command(
    name = "azaudit",
    version,
    about = "Audits Azure network and Key Vault configuration the way the Azure fabric evaluates it",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every rule over an inventory and report the findings.
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// List every rule.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Explain a rule: what it detects, why it matters, how to fix it.
    Explain {
        /// Rule code (NSG101) or name (vnet-tag-widened-by-udr).
        rule: String,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Scan the embedded demo tenant (no Azure account, no network).
    #[arg(
        long,
        conflicts_with = "snapshot",
        required_unless_present = "snapshot"
    )]
    pub demo: bool,
    /// Scan a snapshot file written by an earlier collection.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Output format: a table for people, or the versioned JSON report.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with code 1 when a finding has this severity or higher.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
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

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan(&args),
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

fn scan(args: &ScanArgs) -> Result<ExitCode> {
    let started_at = Utc::now();
    let clock = Instant::now();
    let (snapshot, source, origin) = match &args.snapshot {
        Some(path) => (
            Snapshot::load(path)?,
            "snapshot",
            Some(path.display().to_string()),
        ),
        None => (demo::snapshot(), "demo", None),
    };
    let report = build_report(&snapshot, source, origin, started_at, clock);

    let format = args.format.unwrap_or(Format::Table);
    let text = match format {
        Format::Json => report.to_json(),
        Format::Table => {
            let width = if args.output.is_none() && std::io::stdout().is_terminal() {
                terminal_width()
            } else {
                None
            };
            report::render_table(&report, width)
        }
    };
    report::write_output(args.output.as_deref(), &text)?;
    Ok(match args.fail_on.threshold() {
        Some(t) if report.has_findings_at_or_above(t) => ExitCode::Findings,
        _ => ExitCode::Clean,
    })
}

/// Runs every rule over a snapshot and assembles the report.
pub fn build_report(
    snapshot: &Snapshot,
    source: &str,
    origin: Option<String>,
    started_at: chrono::DateTime<Utc>,
    clock: Instant,
) -> Report {
    let idx = Index::new(&snapshot.inventory);
    let cx = Context {
        inv: &snapshot.inventory,
        idx: &idx,
        coverage: &snapshot.coverage,
        cloud: snapshot.cloud,
        zones: ZoneTable::shipped(),
        now: started_at,
    };
    let (findings, outcomes) = rules::run(&cx, &rules::registry());
    let summary = Report::summarise(
        &findings,
        &outcomes,
        &snapshot.coverage,
        snapshot.inventory.counts(),
    );
    Report {
        schema_version: report::REPORT_SCHEMA_VERSION.to_string(),
        tool: Tool {
            name: "azaudit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        run: Run {
            run_id: uuid::Uuid::new_v4().to_string(),
            started_at,
            finished_at: Utc::now(),
            duration_ms: clock.elapsed().as_millis() as u64,
            source: source.to_string(),
            snapshot: origin,
            collected_at: Some(snapshot.collected_at),
        },
        scope: Scope {
            cloud: snapshot.cloud,
            subscriptions: snapshot.scope.subscriptions.clone(),
        },
        coverage: snapshot.coverage.clone(),
        summary,
        rules: outcomes,
        findings,
    }
}

/// The terminal's width: `COLUMNS` when the shell exports it, else what the terminal reports.
fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| comfy_table::Table::new().width())
}

fn rules_table() -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(vec!["Code", "Name", "Severity", "Title"]);
    for r in rules::registry() {
        let m = r.meta();
        t.add_row(vec![m.code, m.name, m.severity.as_str(), m.title]);
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
                "inputs": m.inputs, "what": m.what, "why": m.why, "fix": m.fix,
                "references": m.references,
            })
        })
        .collect();
    format!(
        "{}\n",
        serde_json::to_string_pretty(&list).expect("serialises")
    )
}

fn explain(m: &rules::RuleMeta) -> String {
    let mut s = format!(
        "{} {} — {}\nDefault severity: {}\n\nWhat it detects\n  {}\n\nWhy it matters\n  {}\n\nHow to fix\n",
        m.code, m.name, m.title, m.severity, m.what, m.why
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
    s
}
