//! What rules produce and reports consume: a finding on one resource, its severity, and the
//! fingerprint that keeps its id stable across runs.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    pub const ALL_DESC: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One misconfiguration on one resource, with the chain of evidence that proves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// Stable fingerprint: the same finding on an unchanged tenant has the same id in every run.
    pub id: String,
    /// Rule code, e.g. `NSG101`.
    pub rule: String,
    pub rule_name: String,
    pub title: String,
    pub severity: Severity,
    pub resource_id: String,
    pub resource_type: String,
    pub subscription_id: Option<String>,
    /// One sentence for a person.
    pub message: String,
    /// Structured proof, rule-specific.
    pub evidence: Value,
    pub remediation: String,
    /// Documentation of the rule (Microsoft Learn).
    #[serde(default)]
    pub references: Vec<String>,
    /// `new` or `unchanged` relative to `--baseline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineStatus>,
    /// Set when a policy exemption covers the finding; suppressed findings do not count for the
    /// exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    /// The other resources of the evidence chain, each with the part it plays.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// How sure the verdict is: `high` when every input it rests on was read and is exact.
    #[serde(default)]
    pub confidence: Confidence,
    /// Why the confidence is lower than high (a service tag whose ranges are not known offline,
    /// routes learned over BGP, a subscription outside the scan).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confidence_reasons: Vec<String>,
}

/// A resource of a finding's evidence chain and its role in it (`route that loses`,
/// `zone not linked`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Related {
    pub resource_id: String,
    pub role: String,
}

/// How sure a finding is.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    #[default]
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl Finding {
    /// Whether the finding counts: not suppressed.
    pub fn is_active(&self) -> bool {
        self.suppression.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BaselineStatus {
    New,
    Unchanged,
}

/// Why a finding is suppressed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Suppression {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<chrono::NaiveDate>,
    /// The policy file and exemption that suppressed it.
    pub source: String,
}

/// The fingerprint of a finding: rule code, normalised resource id and the rule's evidence key.
pub fn fingerprint(rule: &str, resource_id: &str, evidence_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule.to_ascii_uppercase().as_bytes());
    h.update([0]);
    h.update(crate::azure::id::id_key(resource_id).as_bytes());
    h.update([0]);
    h.update(evidence_key.to_ascii_lowercase().as_bytes());
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}
