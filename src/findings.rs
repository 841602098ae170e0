//! What rules produce and reports consume: a finding on one resource, its severity, and the
//! fingerprint that keeps its id stable across runs.

use std::borrow::Cow;

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
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
// What belongs to the rule (code, name, title, references) is borrowed from the rule's static
// description, not copied into each of a large tenant's tens of thousands of findings; a report
// read back from a file owns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Finding {
    /// Stable fingerprint: the same finding on an unchanged tenant has the same id in every run.
    pub id: String,
    /// Rule code, e.g. `NSG101`.
    pub rule: Cow<'static, str>,
    pub rule_name: Cow<'static, str>,
    pub title: Cow<'static, str>,
    pub severity: Severity,
    pub resource_id: String,
    pub resource_type: String,
    pub subscription_id: Option<String>,
    /// One sentence for a person.
    pub message: String,
    /// Structured proof, rule-specific.
    pub evidence: Evidence,
    pub remediation: String,
    /// Documentation of the rule (Microsoft Learn).
    #[serde(default)]
    pub references: Vec<Cow<'static, str>>,
    /// `new` or `unchanged` relative to `--baseline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineStatus>,
    /// Set when a policy exemption covers the finding; suppressed findings do not count for the
    /// exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Box<Suppression>>,
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

/// A finding's structured proof, held as compact JSON text. A large tenant has tens of thousands
/// of findings, and a JSON tree of each one's evidence costs several times its text (a map entry,
/// a key and a boxed value per field); the text is parsed again only when something reads into
/// it, and then once. It serialises exactly as the tree it was made from.
#[derive(Clone, Default)]
pub struct Evidence {
    text: Box<str>,
    /// Boxed: a JSON tree is nine words and is rarely asked for, so the cache costs two.
    parsed: std::sync::OnceLock<Box<Value>>,
}

impl Evidence {
    pub fn is_null(&self) -> bool {
        self.text.is_empty() || &*self.text == "null"
    }
    /// The evidence as a JSON tree, parsed on first use.
    pub fn value(&self) -> &Value {
        self.parsed.get_or_init(|| {
            Box::new(if self.text.is_empty() {
                Value::Null
            } else {
                // The text was written from a `Value` by serde_json, so it parses back.
                serde_json::from_str(&self.text).unwrap_or(Value::Null)
            })
        })
    }
}

impl From<Value> for Evidence {
    fn from(v: Value) -> Self {
        Evidence {
            text: v.to_string().into_boxed_str(),
            parsed: std::sync::OnceLock::new(),
        }
    }
}

impl std::ops::Deref for Evidence {
    type Target = Value;
    fn deref(&self) -> &Value {
        self.value()
    }
}

impl PartialEq for Evidence {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl PartialEq<Value> for Evidence {
    fn eq(&self, other: &Value) -> bool {
        self.value() == other
    }
}

impl std::fmt::Debug for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.text.is_empty() {
            "null"
        } else {
            &self.text
        })
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.parsed.get() {
            Some(v) => v.serialize(s),
            // A tree of one finding at a time, dropped as soon as it is written.
            None => match self.text.is_empty() {
                true => Value::Null.serialize(s),
                false => serde_json::from_str::<Value>(&self.text)
                    .map_err(serde::ser::Error::custom)?
                    .serialize(s),
            },
        }
    }
}

impl<'de> Deserialize<'de> for Evidence {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(Evidence::from)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Evidence {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <Value as schemars::JsonSchema>::schema_name()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Value as schemars::JsonSchema>::json_schema(generator)
    }
}

/// A resource of a finding's evidence chain and its role in it (`route that loses`,
/// `zone not linked`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Related {
    pub resource_id: String,
    pub role: String,
}

/// How sure a finding is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum BaselineStatus {
    New,
    Unchanged,
}

/// Why a finding is suppressed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn evidence_kept_as_text_writes_exactly_the_tree_it_came_from() {
        // Key order (not alphabetical), nesting, integers, floats and non-ASCII survive.
        let tree = json!({"zone": "privatelink.vaultcore.azure.net", "a": [1, -2, 0.5, 1e300],
                          "nested": {"z": null, "b": true, "name": "Zürich …"}});
        let evidence = Evidence::from(tree.clone());
        assert_eq!(
            serde_json::to_string_pretty(&evidence).unwrap(),
            serde_json::to_string_pretty(&tree).unwrap()
        );
        assert_eq!(evidence["nested"]["name"], "Zürich …");
        assert_eq!(evidence, tree);
        let back: Evidence =
            serde_json::from_str(&serde_json::to_string(&evidence).unwrap()).unwrap();
        assert_eq!(back, evidence);
        assert!(!evidence.is_null());
        assert!(Evidence::from(Value::Null).is_null());
        assert!(Evidence::default().is_null());
        assert_eq!(serde_json::to_string(&Evidence::default()).unwrap(), "null");
    }
}
