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
        .collect();
    let (mut findings, outcomes) = rules::run(&cx, &enabled);
    let policy_outcome = policy.map(|p| p.apply(&mut findings, started_at.date_naive()));
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
        },
        coverage: snapshot.coverage.clone(),
        summary,
        rules: outcomes,
        findings,
        resolved: Vec::new(),
        policy: policy_outcome,
    }
}
