//! Runs rules over an inventory and collects their findings and outcomes.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Rule, RuleMeta};
use crate::azure::Cloud;
use crate::findings::{Confidence, Evidence, Finding, Related, Severity, fingerprint};
use crate::inventory::{Coverage, CoverageGap, Index, Inventory, ResourceKind};
use crate::model::privatelink::ZoneTable;

/// What a rule can see.
pub struct Context<'a> {
    pub inv: &'a Inventory,
    pub idx: &'a Index<'a>,
    /// Subnet-level model answers (tags, routes), computed once and shared by the rules.
    pub facts: &'a crate::model::facts::Facts<'a>,
    pub coverage: &'a Coverage,
    pub cloud: Cloud,
    pub zones: &'a ZoneTable,
    /// The scan's time, for dated findings.
    pub now: DateTime<Utc>,
    /// Where rule parameters come from: the user's policy over the shipped defaults.
    pub params: &'a dyn Params,
    /// The subscriptions the scan read (the snapshot's scope).
    pub scope: &'a [String],
}

/// A source of rule parameters (`[rules.CODE.params]`), so that rules need not know the policy
/// file that supplies them.
pub trait Params: Sync {
    fn param(&self, code: &str, name: &str) -> Option<&toml::Value>;
}

impl Context<'_> {
    /// Why resources in subscriptions outside the scan may exist, or `None` when every subscription
    /// of the tenant was scanned: the inventory's subscription list is known, and it (less disabled
    /// and deleted subscriptions) and the subscriptions of peered VNets (a hub in a connectivity
    /// subscription, where central private DNS zones live) are in scope. Private-link targets do
    /// not count: a target in another subscription or tenant holds no zone of ours.
    pub fn outside_scope(&self) -> Option<String> {
        if self.inv.subscriptions.is_empty() {
            return Some(
                "the tenant's subscription list is not in the inventory, so subscriptions outside the scan may exist"
                    .into(),
            );
        }
        let scanned = |sub: &str| self.scope.iter().any(|s| s.eq_ignore_ascii_case(sub));
        let mut outside: Vec<String> = Vec::new();
        let mut note = |sub: Option<String>| {
            if let Some(sub) = sub.map(|s| s.to_ascii_lowercase())
                && !scanned(&sub)
                && !outside.contains(&sub)
            {
                outside.push(sub);
            }
        };
        // Deleted and disabled subscriptions serve nothing; the rest of the tenant's list counts.
        for s in self.inv.subscriptions.iter().filter(|s| {
            !s.state.as_deref().is_some_and(|st| {
                st.eq_ignore_ascii_case("Disabled") || st.eq_ignore_ascii_case("Deleted")
            })
        }) {
            note(Some(s.subscription_id.clone()));
        }
        for v in &self.inv.virtual_networks {
            for p in &v.properties.virtual_network_peerings {
                if let Some(r) = &p.properties.remote_virtual_network {
                    note(crate::azure::id::subscription_of(&r.id));
                }
            }
        }
        if outside.is_empty() {
            return None;
        }
        outside.sort();
        Some(format!(
            "subscription(s) {} belong to the tenant or hold VNets peered with scanned ones, but were not scanned",
            outside.join(", ")
        ))
    }
    /// A rule parameter as the policy gives it.
    pub fn param(&self, code: &str, name: &str) -> Option<toml::Value> {
        self.params.param(code, name).cloned()
    }
    /// An integer parameter, or `default` when it is not set.
    pub fn param_u64(&self, code: &str, name: &str, default: u64) -> u64 {
        self.param(code, name)
            .and_then(|v| v.as_integer())
            .and_then(|i| u64::try_from(i).ok())
            .unwrap_or(default)
    }
    /// A list-of-integers parameter, or `default` when it is not set.
    pub fn param_u64_list(&self, code: &str, name: &str, default: &[u64]) -> Vec<u64> {
        self.param(code, name)
            .and_then(|v| {
                v.as_array().map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_integer())
                        .filter_map(|i| u64::try_from(i).ok())
                        .collect()
                })
            })
            .unwrap_or_else(|| default.to_vec())
    }
}

/// A finding as a rule states it, before the engine adds identity and metadata.
struct Draft {
    resource_id: String,
    evidence_key: String,
    message: String,
    /// Kept as text from the moment the rule reports it: a rule may report thousands of findings,
    /// and their JSON trees would all be alive until the rule returns.
    evidence: Evidence,
    /// The resources the evidence cites, each with the field it appears under as its role.
    cited: Vec<Related>,
    remediation: String,
    severity: Option<Severity>,
    /// Resources the proof reads beyond the finding's resource and those its evidence cites.
    rests_on: Vec<String>,
    /// Kinds whose absence anywhere in the tenant the proof relies on ("no zone of that name").
    rests_on_all: Vec<ResourceKind>,
    /// Roles the rule names for resources of the chain (others get one from their evidence field).
    related: Vec<Related>,
    confidence: Confidence,
    confidence_reasons: Vec<String>,
}

/// What a finding's proof rests on, for a rule to add what its evidence does not cite.
pub struct Proof<'s>(&'s mut Draft);

impl Proof<'_> {
    /// The proof also reads data about resource `id` (and its children): a coverage gap that may
    /// hide such data makes the finding "not evaluated".
    pub fn rests_on(self, id: &str) -> Self {
        self.0.rests_on.push(id.to_string());
        self
    }
    /// The proof relies on there being no resource of `kinds` (of some shape) anywhere: a gap of
    /// those kinds in any subscription makes the finding "not evaluated".
    pub fn rests_on_all(self, kinds: &[ResourceKind]) -> Self {
        self.0.rests_on_all.extend_from_slice(kinds);
        self
    }
    /// Names the role resource `id` plays in the finding (`route that loses`); listed first in
    /// `related`, before the resources the evidence cites.
    pub fn related(self, id: &str, role: &str) -> Self {
        self.0.related.push(Related {
            resource_id: id.to_string(),
            role: role.to_string(),
        });
        self
    }
    /// Lowers the finding's confidence (never raises it), saying why.
    pub fn confidence(self, level: Confidence, reason: &str) -> Self {
        self.0.confidence = self.0.confidence.min(level);
        self.0.confidence_reasons.push(reason.to_string());
        self
    }
}

/// The resources the evidence cites, each with the evidence field it appears under as its role
/// (`network_security_group` → "network security group"), in the order the evidence gives them.
fn cited_in(evidence: &Value) -> Vec<Related> {
    fn walk(v: &Value, field: Option<&str>, out: &mut Vec<Related>) {
        match v {
            // `get`: evidence holds tenant names, and byte 15 need not be a character boundary.
            Value::String(s)
                if s.get(..15)
                    .is_some_and(|p| p.eq_ignore_ascii_case("/subscriptions/")) =>
            {
                out.push(Related {
                    resource_id: s.clone(),
                    role: field.unwrap_or("evidence").replace('_', " "),
                });
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, field, out)),
            Value::Object(o) => o.iter().for_each(|(k, x)| walk(x, Some(k), out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(evidence, None, &mut out);
    out
}

/// The resources of the chain: those the rule named, then those the evidence cites; the
/// finding's own resource is left out and each resource appears once.
fn related_of(d: &Draft) -> Vec<Related> {
    let mut all = d.related.clone();
    all.extend(d.cited.iter().cloned());
    let mut seen = HashSet::new();
    seen.insert(crate::azure::id::id_key(&d.resource_id));
    all.retain(|r| seen.insert(crate::azure::id::id_key(&r.resource_id)));
    all.shrink_to_fit();
    all
}

/// The coverage gaps (among `gaps`, those of the rule's inputs) that may hide data the finding's
/// proof reads: data about its resource or any resource its evidence cites (so a gap in the
/// subscription of a cited zone counts even when the finding is on an endpoint elsewhere), and
/// any gap of a kind whose absence it relies on tenant-wide.
fn blocking<'g>(d: &Draft, gaps: &[&'g CoverageGap]) -> Vec<&'g CoverageGap> {
    let mut ids = vec![d.resource_id.as_str()];
    ids.extend(d.rests_on.iter().map(String::as_str));
    ids.extend(d.cited.iter().map(|r| r.resource_id.as_str()));
    gaps.iter()
        .copied()
        .filter(|g| {
            ids.iter().any(|id| g.touches_resource(id))
                || d.rests_on_all.iter().any(|k| g.touches_kind(*k))
        })
        .collect()
}

/// Where a rule puts what it found.
#[derive(Default)]
pub struct Sink {
    drafts: Vec<Draft>,
    not_evaluated: Vec<NotEvaluated>,
}

impl Sink {
    /// Reports a finding on `resource_id`. `evidence_key` distinguishes several findings of one rule
    /// on one resource (e.g. the zone name) and is part of the finding's fingerprint; it must not
    /// contain anything that changes between runs of an unchanged tenant.
    pub fn finding(
        &mut self,
        resource_id: &str,
        evidence_key: &str,
        message: String,
        evidence: Value,
        remediation: String,
    ) -> Proof<'_> {
        // A rule may report tens of thousands of findings: each is kept at its exact size (text
        // built with `format!` has up to twice the room it needs), and of the ids its evidence
        // cites only what `related_of` will keep, each once and not the finding's own.
        let (mut message, mut remediation) = (message, remediation);
        message.shrink_to_fit();
        remediation.shrink_to_fit();
        let mut cited = cited_in(&evidence);
        let mut seen = HashSet::new();
        seen.insert(crate::azure::id::id_key(resource_id));
        cited.retain(|r| seen.insert(crate::azure::id::id_key(&r.resource_id)));
        cited.shrink_to_fit();
        self.drafts.push(Draft {
            resource_id: resource_id.to_string(),
            evidence_key: evidence_key.to_string(),
            message,
            cited,
            evidence: evidence.into(),
            remediation,
            severity: None,
            rests_on: Vec::new(),
            rests_on_all: Vec::new(),
            related: Vec::new(),
            confidence: Confidence::High,
            confidence_reasons: Vec::new(),
        });
        Proof(self.drafts.last_mut().expect("just pushed"))
    }
    /// Like [`Sink::finding`] with a severity other than the rule's default.
    pub fn finding_with_severity(
        &mut self,
        severity: Severity,
        resource_id: &str,
        evidence_key: &str,
        message: String,
        evidence: Value,
        remediation: String,
    ) -> Proof<'_> {
        let proof = self.finding(resource_id, evidence_key, message, evidence, remediation);
        proof.0.severity = Some(severity);
        proof
    }
    /// Records that the rule could not decide for `resource_id`, and why.
    pub fn not_evaluated(&mut self, resource_id: &str, reason: String) {
        self.not_evaluated.push(NotEvaluated {
            resource_id: resource_id.to_string(),
            reason,
        });
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NotEvaluated {
    pub resource_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    /// Every input was collected.
    Evaluated,
    /// Some inputs were not collected: findings may be missing or need confirming.
    Partial,
}

/// What happened to one rule in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RuleOutcome {
    pub code: String,
    pub name: String,
    pub status: RuleStatus,
    pub findings: usize,
    /// Messages of the coverage gaps that touch this rule's inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_inputs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_evaluated: Vec<NotEvaluated>,
    /// Time the rule took, in milliseconds (microsecond resolution), so that a slow scan shows
    /// where it spends its time.
    #[serde(default)]
    pub duration_ms: f64,
}

/// Runs `rules` over the context, returning findings (deduplicated by fingerprint, ordered by
/// severity, rule and resource) and one outcome per rule.
pub fn run(cx: &Context<'_>, rules: &[&dyn Rule]) -> (Vec<Finding>, Vec<RuleOutcome>) {
    let mut findings = Vec::new();
    let mut outcomes = Vec::new();
    let mut seen = HashSet::new();
    for rule in rules {
        let meta: &RuleMeta = rule.meta();
        let started = std::time::Instant::now();
        let mut sink = Sink::default();
        rule.check(cx, &mut sink);
        // Gaps in what decides a finding can hold it back; gaps in what only describes it cannot.
        let gaps: Vec<&CoverageGap> = cx.coverage.gaps_for(meta.inputs).collect();
        let mut not_evaluated = sink.not_evaluated;
        let mut count = 0;
        // Exactly the room the findings need: a list grown by doubling has up to twice that, and a
        // large tenant's findings are tens of megabytes.
        findings.reserve_exact(sink.drafts.len());
        for d in sink.drafts {
            let id = fingerprint(meta.code, &d.resource_id, &d.evidence_key);
            if !seen.insert(id.clone()) {
                continue;
            }
            // Missing data is never a finding: one whose proof could rest on unread data is only
            // "not evaluated", naming what could not be read.
            let blocked = blocking(&d, &gaps);
            if !blocked.is_empty() {
                let what: Vec<String> = blocked.iter().map(|g| g.summary()).collect();
                not_evaluated.push(NotEvaluated {
                    resource_id: d.resource_id,
                    reason: format!(
                        "{}could not be decided: it rests on data that was not collected ({})",
                        if d.evidence_key.is_empty() {
                            String::new()
                        } else {
                            format!("{}: ", d.evidence_key)
                        },
                        what.join("; ")
                    ),
                });
                continue;
            }
            count += 1;
            let related = related_of(&d);
            findings.push(Finding {
                id,
                rule: meta.code.into(),
                rule_name: meta.name.into(),
                title: meta.title.into(),
                severity: d.severity.unwrap_or(meta.severity),
                subscription_id: crate::azure::id::subscription_of(&d.resource_id),
                resource_type: crate::azure::ResourceId::parse(&d.resource_id)
                    .map(|r| r.resource_type())
                    .unwrap_or_default(),
                resource_id: d.resource_id,
                message: d.message,
                evidence: d.evidence,
                remediation: d.remediation,
                references: meta.references.iter().map(|r| (*r).into()).collect(),
                baseline: None,
                suppression: None,
                related,
                confidence: d.confidence,
                confidence_reasons: d.confidence_reasons,
            });
        }
        let missing: Vec<String> = cx
            .coverage
            .gaps
            .iter()
            .filter(|g| {
                meta.inputs
                    .iter()
                    .chain(meta.shown_inputs)
                    .any(|k| g.touches_kind(*k))
            })
            .map(|g| g.summary())
            .collect();
        outcomes.push(RuleOutcome {
            code: meta.code.to_string(),
            name: meta.name.to_string(),
            status: if missing.is_empty() {
                RuleStatus::Evaluated
            } else {
                RuleStatus::Partial
            },
            findings: count,
            missing_inputs: missing,
            not_evaluated,
            duration_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
        });
    }
    // In place: the order is total (ids are unique), so an unstable sort gives the one order
    // without a stable sort's buffer of the whole list.
    findings.sort_unstable_by(|a, b| {
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
    (findings, outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const VNET: &str =
        "/subscriptions/spoke/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v";
    const ZONE: &str =
        "/subscriptions/hub/resourceGroups/dns/providers/Microsoft.Network/privateDnsZones/z";

    fn draft(evidence: Value) -> Draft {
        Draft {
            resource_id: VNET.into(),
            evidence_key: String::new(),
            message: String::new(),
            cited: cited_in(&evidence),
            evidence: evidence.into(),
            remediation: String::new(),
            severity: None,
            rests_on: vec![],
            rests_on_all: vec![],
            related: vec![],
            confidence: Confidence::High,
            confidence_reasons: vec![],
        }
    }

    #[test]
    fn related_resources_come_from_the_rule_then_the_evidence_once_each() {
        let mut d = draft(json!({
            "virtual_network": VNET,
            "zone": ZONE,
            "links": [{"zone": ZONE.to_ascii_uppercase()}, {"route_table": format!("{VNET}/x/rt")}],
            "note": "not an id"
        }));
        Proof(&mut d).related(&format!("{VNET}/x/rt"), "route that loses");
        let r = related_of(&d);
        let pairs: Vec<(&str, &str)> = r
            .iter()
            .map(|x| (x.resource_id.as_str(), x.role.as_str()))
            .collect();
        let rt = format!("{VNET}/x/rt");
        assert_eq!(pairs, [(rt.as_str(), "route that loses"), (ZONE, "zone")]);
    }

    #[test]
    fn confidence_only_goes_down_and_keeps_every_reason() {
        let mut d = draft(json!({}));
        Proof(&mut d)
            .confidence(Confidence::Low, "service tag ranges not known offline")
            .confidence(Confidence::Medium, "BGP routes not collected");
        assert_eq!(d.confidence, Confidence::Low);
        assert_eq!(
            d.confidence_reasons,
            [
                "service tag ranges not known offline",
                "BGP routes not collected"
            ]
        );
    }

    fn gap(sub: &str, kind: ResourceKind, scope: Option<&str>) -> CoverageGap {
        CoverageGap {
            subscription_id: Some(sub.into()),
            kind,
            scope: scope.map(str::to_string),
            http_status: None,
            code: None,
            message: "m".into(),
        }
    }

    #[test]
    fn a_gap_blocks_a_finding_through_any_resource_its_evidence_cites() {
        let links = gap(
            "hub",
            ResourceKind::VirtualNetworkLink,
            Some(&format!("{ZONE}/virtualNetworkLinks")),
        );
        let other = gap(
            "hub",
            ResourceKind::VirtualNetworkLink,
            Some(&format!("{ZONE}2/virtualNetworkLinks")),
        );
        let d = draft(json!({"zones": [{"zone_id": ZONE}], "note": "é/subscriptions/ not an id"}));
        assert_eq!(blocking(&d, &[&links, &other]), vec![&links]);
        // Cited nowhere: a gap in the zone's subscription does not touch a finding in the spoke.
        let d = draft(json!({"note": "/subscriptionsé: byte 15 inside a character"}));
        assert!(blocking(&d, &[&links]).is_empty());
        // Unless the proof says it rests on that zone, or on zones existing nowhere else.
        let mut d = draft(json!({}));
        d.rests_on.push(ZONE.into());
        assert_eq!(blocking(&d, &[&links]), vec![&links]);
        let zones = gap("elsewhere", ResourceKind::PrivateDnsZone, None);
        let mut d = draft(json!({}));
        assert!(blocking(&d, &[&zones]).is_empty());
        d.rests_on_all.push(ResourceKind::PrivateDnsZone);
        assert_eq!(blocking(&d, &[&zones]), vec![&zones]);
    }
}
