//! The report: findings with evidence, per-rule outcomes, coverage gaps and run metadata, rendered as
//! a terminal table or versioned JSON, and written atomically.

pub mod html;
pub mod markdown;
pub mod merge;
pub mod ndjson;
pub mod ocsf;
pub mod sarif;
pub mod sentinel;
mod table;
mod write;

pub use table::{fit_lines, paint, render_table, wrap, wrap_hanging};
pub use write::{
    Body, atomic_write, check_destination, destination_key, write_output, write_output_with,
};
// Findings are the rules' output; the report carries and renders them.
pub use crate::findings::{BaselineStatus, Evidence, Finding, Severity, Suppression, fingerprint};

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::inventory::{Coverage, ResourceKind};
use crate::rules::RuleOutcome;

/// Version of the JSON report's schema (semver): bumped in major for breaking changes.
pub const REPORT_SCHEMA_VERSION: &str = "1.2.0";

/// A finding of the baseline report that no longer occurs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ResolvedFinding {
    pub id: String,
    pub rule: String,
    pub resource_id: String,
    pub title: String,
}

/// What the policy file did in this run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PolicyOutcome {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Exemptions whose expiry date has passed: they no longer suppress anything.
    #[serde(default)]
    pub expired_exemptions: Vec<String>,
    /// Exemptions that matched no finding.
    #[serde(default)]
    pub unused_exemptions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Run {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: u64,
    /// `demo`, `snapshot` or `live`.
    pub source: String,
    /// The snapshot file, for snapshot scans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// When the inventory was collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<DateTime<Utc>>,
    /// ARM request counters of the collection (live scans and snapshots written by `collect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<crate::inventory::RequestStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Scope {
    pub cloud: crate::azure::Cloud,
    pub subscriptions: Vec<String>,
    /// Subscription id (lower-case) → display name, where the inventory holds it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subscription_names: BTreeMap<String, String>,
    /// Set when the run read one share of the subscription list (`--shard K/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::collect::snapshot::ShardScope>,
}

impl Scope {
    /// `3 subscription(s): conn (1111…), …` with display names where known, the first few only.
    pub fn describe(&self) -> String {
        const SHOWN: usize = 5;
        let mut text = format!("{} subscription(s)", self.subscriptions.len());
        if self.subscriptions.is_empty() {
            return text;
        }
        let shown: Vec<String> = self
            .subscriptions
            .iter()
            .take(SHOWN)
            .map(|id| match self.subscription_name(id) {
                Some(name) => format!("{name} ({id})"),
                None => id.clone(),
            })
            .collect();
        text.push_str(": ");
        text.push_str(&shown.join(", "));
        if self.subscriptions.len() > SHOWN {
            text.push_str(&format!(" and {} more", self.subscriptions.len() - SHOWN));
        }
        if let Some(s) = &self.shard {
            text.push_str(&format!(
                " (shard {}/{} of {})",
                s.index, s.count, s.subscriptions_in_all
            ));
        }
        text
    }

    /// The display name of a subscription, when known.
    pub fn subscription_name(&self, id: &str) -> Option<&str> {
        self.subscription_names
            .get(&id.to_ascii_lowercase())
            .map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Summary {
    /// Every finding in the report, exempted ones included.
    pub findings: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    /// Findings a policy exemption suppresses (they do not count for the exit code).
    #[serde(default)]
    pub suppressed: usize,
    /// The unsuppressed findings by severity: what `--fail-on` gates on.
    #[serde(default)]
    pub active_by_severity: BTreeMap<Severity, usize>,
    pub rules_evaluated: usize,
    pub rules_partial: usize,
    pub coverage_complete: bool,
    pub resources: BTreeMap<ResourceKind, usize>,
}

/// The native report (`--format json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Report {
    pub schema_version: String,
    pub tool: Tool,
    pub run: Run,
    pub scope: Scope,
    pub coverage: Coverage,
    pub summary: Summary,
    pub rules: Vec<RuleOutcome>,
    pub findings: Vec<Finding>,
    /// With `--baseline`: findings of the previous report that are gone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved: Vec<ResolvedFinding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyOutcome>,
}

impl Report {
    /// Whether any unsuppressed finding is at or above `threshold`.
    pub fn has_findings_at_or_above(&self, threshold: Severity) -> bool {
        self.findings
            .iter()
            .any(|f| f.is_active() && f.severity >= threshold)
    }

    /// Marks findings `new`/`unchanged` against a previous report and lists the resolved ones.
    pub fn apply_baseline(&mut self, previous: &Report) {
        let before: std::collections::HashSet<&str> =
            previous.findings.iter().map(|f| f.id.as_str()).collect();
        let now: std::collections::HashSet<String> =
            self.findings.iter().map(|f| f.id.clone()).collect();
        for f in &mut self.findings {
            f.baseline = Some(if before.contains(f.id.as_str()) {
                BaselineStatus::Unchanged
            } else {
                BaselineStatus::New
            });
        }
        // A baseline finding missing now is resolved only if this run looked at it: not one of a
        // subscription this run did not scan (another shard's, or outside a narrower scope).
        let scanned = |f: &crate::findings::Finding| {
            f.subscription_id
                .clone()
                .or_else(|| crate::azure::id::subscription_of(&f.resource_id))
                .is_none_or(|s| {
                    self.scope
                        .subscriptions
                        .iter()
                        .any(|x| x.eq_ignore_ascii_case(&s))
                })
        };
        // Nor is one whose rule did not run this time, or could not judge its resource.
        let judged = |f: &crate::findings::Finding| {
            self.rules.iter().any(|o| {
                o.code.eq_ignore_ascii_case(&f.rule)
                    && !o
                        .not_evaluated
                        .iter()
                        .any(|n| n.resource_id.eq_ignore_ascii_case(&f.resource_id))
            })
        };
        self.resolved = previous
            .findings
            .iter()
            .filter(|f| !now.contains(&f.id) && scanned(f) && judged(f))
            .map(|f| ResolvedFinding {
                id: f.id.clone(),
                rule: f.rule.to_string(),
                resource_id: f.resource_id.clone(),
                title: f.title.to_string(),
            })
            .collect();
    }

    /// Keeps only findings that are new relative to the baseline (`--only-new`).
    pub fn retain_new(&mut self) {
        self.findings
            .retain(|f| f.baseline != Some(BaselineStatus::Unchanged));
        self.summary.findings = self.findings.len();
        self.summary.by_severity = Severity::ALL_DESC.iter().map(|s| (*s, 0)).collect();
        for f in &self.findings {
            *self.summary.by_severity.entry(f.severity).or_default() += 1;
        }
    }

    pub fn summarise(
        findings: &[Finding],
        rules: &[RuleOutcome],
        coverage: &Coverage,
        counts: Vec<(ResourceKind, usize)>,
    ) -> Summary {
        let mut by_severity: BTreeMap<Severity, usize> =
            Severity::ALL_DESC.iter().map(|s| (*s, 0)).collect();
        let mut active_by_severity = by_severity.clone();
        for f in findings {
            *by_severity.entry(f.severity).or_default() += 1;
            if f.is_active() {
                *active_by_severity.entry(f.severity).or_default() += 1;
            }
        }
        Summary {
            findings: findings.len(),
            by_severity,
            suppressed: findings.iter().filter(|f| !f.is_active()).count(),
            active_by_severity,
            rules_evaluated: rules.len(),
            rules_partial: rules
                .iter()
                .filter(|r| r.status == crate::rules::RuleStatus::Partial)
                .count(),
            coverage_complete: coverage.is_complete(),
            resources: counts.into_iter().collect(),
        }
    }

    /// Lines naming the exempted findings and the expired and unused exemptions, for the human
    /// formats (each line without a trailing newline).
    pub fn exemption_lines(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        let exempted = self
            .findings
            .iter()
            .filter_map(|f| {
                f.suppression.as_ref().map(|s| {
                    format!(
                        "{} {} on {}: {} ({}{})",
                        f.severity,
                        f.rule,
                        crate::azure::id::last_name(&f.resource_id),
                        s.reason,
                        s.source,
                        s.expires
                            .map(|d| format!(", until {d}"))
                            .unwrap_or_default()
                    )
                })
            })
            .collect();
        let (expired, unused) = match &self.policy {
            Some(p) => (p.expired_exemptions.clone(), p.unused_exemptions.clone()),
            None => (Vec::new(), Vec::new()),
        };
        (exempted, expired, unused)
    }

    /// The JSON report written straight into `w` (no string of the whole report in memory).
    pub fn write_json(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, self)?;
        w.write_all(b"\n")
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serialises");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_id_casing_and_depends_on_every_part() {
        let a = fingerprint("NSG101", "/subscriptions/A/resourceGroups/RG/x", "k");
        assert_eq!(
            a,
            fingerprint("nsg101", "/SUBSCRIPTIONS/a/resourcegroups/rg/x/", "K")
        );
        assert_ne!(
            a,
            fingerprint("NSG102", "/subscriptions/A/resourceGroups/RG/x", "k")
        );
        assert_ne!(
            a,
            fingerprint("NSG101", "/subscriptions/A/resourceGroups/RG/y", "k")
        );
        assert_ne!(
            a,
            fingerprint("NSG101", "/subscriptions/A/resourceGroups/RG/x", "j")
        );
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn severities_order_from_info_to_critical() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
    }
}
