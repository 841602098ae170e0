//! The versioned snapshot file: an inventory plus what its collection covered. `azaudit scan
//! --snapshot FILE` reads it; every problem with the file becomes one line naming the file.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::inventory::{Coverage, Inventory};
use crate::policy::Cloud;

/// The `kind` every snapshot declares.
pub const SNAPSHOT_KIND: &str = "azaudit-snapshot";
/// The snapshot schema this build reads and writes.
pub const SNAPSHOT_SCHEMA_VERSION: u64 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotScope {
    #[serde(default)]
    pub subscriptions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub kind: String,
    pub schema_version: u64,
    pub collected_at: DateTime<Utc>,
    /// `live`, `demo`, …: where the inventory came from.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub cloud: Cloud,
    pub scope: SnapshotScope,
    #[serde(default)]
    pub coverage: Coverage,
    /// Request counters of the live collection that wrote this snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<crate::arm::RequestStats>,
    pub inventory: Inventory,
}

impl Snapshot {
    /// Parses snapshot text; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &Path) -> Result<Snapshot> {
        let problem = |problem: String| Error::Snapshot {
            path: origin.to_path_buf(),
            problem,
        };
        // PowerShell's `Out-File` and Windows editors write UTF-8 with a byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(problem("the file is empty, not an azaudit snapshot".into()));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| {
            problem(if e.is_eof() {
                format!(
                    "truncated: the JSON ends early (line {}, column {})",
                    e.line(),
                    e.column()
                )
            } else {
                format!("not valid JSON: {e}")
            })
        })?;
        let Some(obj) = value.as_object() else {
            return Err(problem(format!(
                "not an azaudit snapshot: the top level is {}, not an object",
                json_type(&value)
            )));
        };
        match obj.get("kind").and_then(Value::as_str) {
            Some(SNAPSHOT_KIND) => {}
            Some(other) => {
                return Err(problem(format!(
                    "not an azaudit snapshot: \"kind\" is {other:?}, expected {SNAPSHOT_KIND:?}"
                )));
            }
            None => {
                return Err(problem(format!(
                    "not an azaudit snapshot: no \"kind\": {SNAPSHOT_KIND:?} field"
                )));
            }
        }
        match obj.get("schema_version") {
            Some(v) if v.as_u64() == Some(SNAPSHOT_SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(problem(format!(
                    "unsupported snapshot schema_version {v} (this azaudit reads version {SNAPSHOT_SCHEMA_VERSION})"
                )));
            }
            None => return Err(problem("the snapshot has no schema_version".into())),
        }
        serde_path_to_error::deserialize::<_, Snapshot>(value)
            .map_err(|e| problem(format!("invalid snapshot at {}: {}", e.path(), e.inner())))
    }

    /// Reads and parses a snapshot file.
    pub fn load(path: &Path) -> Result<Snapshot> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| Error::Snapshot {
            path: path.to_path_buf(),
            problem: format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        })?;
        Snapshot::from_json(&text, path)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("snapshot serialises");
        s.push('\n');
        s
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Snapshot::from_json(text, Path::new("snap.json"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_snapshots_get_one_line_errors_naming_the_file() {
        let cases = [
            ("", "empty"),
            (
                "{\"kind\": \"azaudit-snapshot\", \"schema_version\": 1, \"inventory\": {",
                "truncated",
            ),
            ("{not json}", "not valid JSON"),
            ("[1,2]", "top level is an array"),
            ("{\"value\": []}", "no \"kind\""),
            ("{\"kind\": \"other\"}", "\"kind\" is \"other\""),
            (
                "{\"kind\": \"azaudit-snapshot\", \"schema_version\": 99}",
                "unsupported snapshot schema_version 99",
            ),
            ("{\"kind\": \"azaudit-snapshot\"}", "no schema_version"),
            (
                r#"{"kind": "azaudit-snapshot", "schema_version": 1, "collected_at": "2026-01-01T00:00:00Z", "scope": {}, "inventory": {"network_security_groups": [{"properties": {"securityRules": [{"name": "r", "properties": {"protocol": "Tcp", "access": "Allow", "direction": "Inbound", "priority": "high"}}]}}]}}"#,
                "invalid snapshot at inventory.network_security_groups[0].properties.securityRules[0].properties.priority",
            ),
        ];
        for (text, want) in cases {
            let e = err(text);
            assert!(e.starts_with("snap.json: "), "{e}");
            assert!(e.contains(want), "{e:?} should contain {want:?}");
            assert!(!e.contains('\n'), "{e:?} is not one line");
        }
    }
}
