//! Combining the reports of shards of one tenant (`azaudit merge`): findings once each by
//! fingerprint, the union of scope and coverage, rule outcomes added up, the summary recomputed.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::{PolicyOutcome, REPORT_SCHEMA_VERSION, Report, ResolvedFinding, Run, Scope};
use crate::inventory::{RequestStats, ResourceKind};
use crate::rules::{RuleOutcome, RuleStatus};

/// Merges `reports` (at least one, same cloud) into one report with a new run id.
pub fn merge(reports: Vec<Report>) -> Result<Report, String> {
    let Some(first) = reports.first() else {
        return Err("no report to merge".into());
    };
    let cloud = first.scope.cloud;
    if let Some(r) = reports.iter().find(|r| r.scope.cloud != cloud) {
        return Err(format!(
            "reports of different clouds cannot be merged ({:?} and {:?})",
            cloud, r.scope.cloud
        ));
    }
    let started_at = reports.iter().map(|r| r.run.started_at).min().expect("one");
    let finished_at = reports
        .iter()
        .map(|r| r.run.finished_at)
        .max()
        .expect("one");
    let collected_at = reports.iter().filter_map(|r| r.run.collected_at).min();
    let requests = reports.iter().filter_map(|r| r.run.requests.as_ref()).fold(
        None,
        |acc: Option<RequestStats>, s| {
            let mut t = acc.unwrap_or_default();
            t.requests += s.requests;
            t.retries += s.retries;
            t.throttled += s.throttled;
            t.throttle_wait_ms += s.throttle_wait_ms;
            t.bytes += s.bytes;
            t.refused_next_links += s.refused_next_links;
            Some(t)
        },
    );

    let mut subscriptions = BTreeSet::new();
    let mut subscription_names = BTreeMap::new();
    let mut gaps = Vec::new();
    let mut findings = Vec::new();
    let mut seen = HashSet::new();
    let mut outcomes: BTreeMap<String, RuleOutcome> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut resources: BTreeMap<ResourceKind, usize> = BTreeMap::new();
    for r in &reports {
        subscriptions.extend(r.scope.subscriptions.iter().cloned());
        subscription_names.extend(r.scope.subscription_names.clone());
        for g in &r.coverage.gaps {
            if !gaps.contains(g) {
                gaps.push(g.clone());
            }
        }
        for f in &r.findings {
            if seen.insert(f.id.clone()) {
                findings.push(f.clone());
            }
        }
        for (k, n) in &r.summary.resources {
            *resources.entry(*k).or_default() += n;
        }
        for o in &r.rules {
            match outcomes.get_mut(&o.code) {
                None => {
                    order.push(o.code.clone());
                    outcomes.insert(o.code.clone(), o.clone());
                }
                Some(m) => {
                    if o.status == RuleStatus::Partial {
                        m.status = RuleStatus::Partial;
                    }
                    for x in &o.missing_inputs {
                        if !m.missing_inputs.contains(x) {
                            m.missing_inputs.push(x.clone());
                        }
                    }
                    for n in &o.not_evaluated {
                        if !m.not_evaluated.contains(n) {
                            m.not_evaluated.push(n.clone());
                        }
                    }
                    m.duration_ms += o.duration_ms;
                }
            }
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| {
                a.resource_id
                    .to_ascii_lowercase()
                    .cmp(&b.resource_id.to_ascii_lowercase())
            })
            .then_with(|| a.id.cmp(&b.id))
    });
    let rules: Vec<RuleOutcome> = order
        .into_iter()
        .map(|code| {
            let mut o = outcomes.remove(&code).expect("listed");
            o.findings = findings.iter().filter(|f| f.rule == o.code).count();
            o
        })
        .collect();
    let mut resolved: Vec<ResolvedFinding> = Vec::new();
    for r in &reports {
        for x in &r.resolved {
            if !seen.contains(&x.id) && !resolved.iter().any(|y| y.id == x.id) {
                resolved.push(x.clone());
            }
        }
    }
    // An exemption is unused only if no shard used it; expired ones are listed once.
    let policy = if reports.iter().all(|r| r.policy.is_some()) {
        let ps: Vec<&PolicyOutcome> = reports.iter().filter_map(|r| r.policy.as_ref()).collect();
        let mut expired: Vec<String> = Vec::new();
        for p in &ps {
            for e in &p.expired_exemptions {
                if !expired.contains(e) {
                    expired.push(e.clone());
                }
            }
        }
        let unused = ps[0]
            .unused_exemptions
            .iter()
            .filter(|e| ps.iter().all(|p| p.unused_exemptions.contains(e)))
            .cloned()
            .collect();
        Some(PolicyOutcome {
            file: ps[0].file.clone(),
            expired_exemptions: expired,
            unused_exemptions: unused,
        })
    } else {
        None
    };
    gaps.extend(missing_shards(&reports));
    let coverage = crate::inventory::Coverage { gaps };
    let summary = Report::summarise(
        &findings,
        &rules,
        &coverage,
        resources.into_iter().collect(),
    );
    Ok(Report {
        schema_version: REPORT_SCHEMA_VERSION.to_string(),
        tool: first.tool.clone(),
        run: Run {
            run_id: uuid::Uuid::new_v4().to_string(),
            started_at,
            finished_at,
            duration_ms: (finished_at - started_at).num_milliseconds().max(0) as u64,
            source: "merged".into(),
            snapshot: None,
            collected_at,
            requests,
        },
        scope: Scope {
            cloud,
            subscriptions: subscriptions.into_iter().collect(),
            subscription_names,
            shard: None,
        },
        coverage,
        summary,
        rules,
        findings,
        resolved,
        policy,
    })
}

/// Shards of a `--shard K/N` split that none of the reports is: their subscriptions were not
/// read, so the merged report would otherwise pass for the whole list. Each is a coverage gap.
fn missing_shards(reports: &[Report]) -> Vec<crate::inventory::CoverageGap> {
    let shards: Vec<crate::collect::snapshot::ShardScope> =
        reports.iter().filter_map(|r| r.scope.shard).collect();
    let counts: BTreeSet<u32> = shards.iter().map(|s| s.count).collect();
    let mut gaps = Vec::new();
    for count in counts {
        let present: BTreeSet<u32> = shards
            .iter()
            .filter(|s| s.count == count)
            .map(|s| s.index)
            .collect();
        for index in (1..=count).filter(|i| !present.contains(i)) {
            gaps.push(crate::inventory::CoverageGap {
                subscription_id: None,
                kind: ResourceKind::Subscription,
                scope: None,
                http_status: None,
                code: Some("ShardMissing".into()),
                message: format!(
                    "shard {index}/{count} is not among the merged reports: the subscriptions it reads are missing"
                ),
            });
        }
    }
    gaps
}
