//! One scan as a library call: index the snapshot's inventory, resolve the shared model answers,
//! run the enabled rules, apply the policy, and assemble the report. The command line adds only
//! argument parsing, output and exit codes.

use std::time::Instant;

use chrono::Utc;

use crate::collect::Snapshot;
use crate::inventory::Index;
use crate::model::facts::Facts;
use crate::model::privatelink::ZoneTable;
use crate::report::{self, Report, Run, Scope, Tool};
use crate::rules::{self, Context};

/// Runs every rule over a snapshot and assembles the report.
pub fn build_report(
    snapshot: &Snapshot,
    source: &str,
    origin: Option<String>,
    started_at: chrono::DateTime<Utc>,
    clock: Instant,
) -> Report {
    build_report_with(snapshot, source, origin, started_at, clock, None)
}

/// [`build_report`] under a policy file: severities, disabled rules, exemptions.
pub fn build_report_with(
    snapshot: &Snapshot,
    source: &str,
    origin: Option<String>,
    started_at: chrono::DateTime<Utc>,
    clock: Instant,
    policy: Option<&crate::policy::file::Policy>,
) -> Report {
    build_report_selected(
        snapshot,
        source,
        origin,
        started_at,
        clock,
        policy,
        &Selection::default(),
    )
}

/// Which rules run and which findings a report keeps (`--rule`, `--skip-rule`, `--min-severity`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Rule codes, names or globs (`NSG*`, `dns10?`); empty = every rule.
    pub rules: Vec<String>,
    pub skip_rules: Vec<String>,
    /// Findings below this severity are left out of the report.
    pub min_severity: Option<crate::findings::Severity>,
}

impl Selection {
    /// Checks that every pattern names at least one rule, so a typo is an error, not a silently
    /// smaller scan.
    pub fn validate(&self) -> crate::error::Result<()> {
        for p in self.rules.iter().chain(&self.skip_rules) {
            if !rules::registry().iter().any(|r| matches(p, r.meta())) {
                return Err(crate::error::Error::Usage(format!(
                    "no rule matches {p:?}; `azaudit rules` lists them"
                )));
            }
        }
        Ok(())
    }

    fn runs(&self, meta: &rules::RuleMeta) -> bool {
        (self.rules.is_empty() || self.rules.iter().any(|p| matches(p, meta)))
            && !self.skip_rules.iter().any(|p| matches(p, meta))
    }
}

/// A rule pattern against a rule's code and name, case-insensitively, with `*` and `?`.
fn matches(pattern: &str, meta: &rules::RuleMeta) -> bool {
    let p = wildmatch::WildMatch::new(&pattern.trim().to_ascii_lowercase());
    p.matches(&meta.code.to_ascii_lowercase()) || p.matches(&meta.name.to_ascii_lowercase())
}

/// [`build_report_with`] running only the selected rules and keeping findings at or above the
/// selection's minimum severity.
pub fn build_report_selected(
    snapshot: &Snapshot,
    source: &str,
    origin: Option<String>,
    started_at: chrono::DateTime<Utc>,
    clock: Instant,
    policy: Option<&crate::policy::file::Policy>,
    selection: &Selection,
) -> Report {
    let idx = Index::new(&snapshot.inventory);
    let facts = Facts::new(&idx);
    let cx = Context {
        inv: &snapshot.inventory,
        idx: &idx,
        facts: &facts,
        coverage: &snapshot.coverage,
        cloud: snapshot.cloud,
        zones: ZoneTable::shipped(),
        now: started_at,
        params: policy.unwrap_or(crate::policy::file::Policy::shipped()),
        scope: &snapshot.scope.subscriptions,
    };
    let enabled: Vec<&dyn rules::Rule> = rules::registry()
        .into_iter()
        .filter(|r| policy.is_none_or(|p| p.enabled(r.meta().code)))
        .filter(|r| selection.runs(r.meta()))
        .collect();
    let (mut findings, outcomes) = rules::run(&cx, &enabled);
    let policy_outcome = policy.map(|p| p.apply(&mut findings, started_at.date_naive()));
    if let Some(min) = selection.min_severity {
        findings.retain(|f| f.severity >= min);
    }
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
            // Measured from the start rather than read from the wall clock, so a report dated
            // with --as-of stays consistent.
            finished_at: started_at + clock.elapsed(),
            duration_ms: clock.elapsed().as_millis() as u64,
            source: source.to_string(),
            snapshot: origin,
            collected_at: Some(snapshot.collected_at),
            requests: snapshot.collection.clone(),
        },
        scope: Scope {
            cloud: snapshot.cloud,
            subscriptions: snapshot.scope.subscriptions.clone(),
            subscription_names: snapshot
                .scanned_subscriptions()
                .filter_map(|s| {
                    let name = s.display_name.as_deref()?.trim();
                    (!name.is_empty())
                        .then(|| (s.subscription_id.to_ascii_lowercase(), name.to_string()))
                })
                .collect(),
            shard: snapshot.scope.shard,
        },
        coverage: snapshot.coverage.clone(),
        summary,
        rules: outcomes,
        findings,
        resolved: Vec::new(),
        policy: policy_outcome,
    }
}
