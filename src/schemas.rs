//! The JSON Schemas `azaudit schema` prints, each with an `$id` naming its document and version.
//!
//! The report's and the snapshot's are derived from the Rust types (with the `schema` feature,
//! which the tests turn on) and committed under `schemas/`; a test fails when the types and the
//! committed text part, so the binary can print the committed text without deriving anything.
//! The policy file's is built from the rule registry at run time.

/// The documents with a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Document {
    Report,
    Snapshot,
    /// The `--policy` file (TOML), for editors that check TOML against a JSON Schema.
    Policy,
}

/// Where the derived schemas are committed, relative to the crate root.
pub const REPORT_FILE: &str = "schemas/report.schema.json";
pub const SNAPSHOT_FILE: &str = "schemas/snapshot.schema.json";

const REPORT: &str = include_str!("../schemas/report.schema.json");
const SNAPSHOT: &str = include_str!("../schemas/snapshot.schema.json");

/// The schema of `of`, pretty-printed with a final newline.
pub fn text(of: Document) -> String {
    match of {
        Document::Report => REPORT.to_string(),
        Document::Snapshot => SNAPSHOT.to_string(),
        // Built from the rule registry, not derived: its `$id` is its own.
        Document::Policy => pretty(&crate::policy::schema::schema()),
    }
}

/// The report's or the snapshot's schema derived from the types: what [`text`] must print.
#[cfg(feature = "schema")]
pub fn derived(of: Document) -> Option<String> {
    // `$id` right after `$schema`, where a reader looks for it.
    let with_id = |schema: schemars::Schema, id: String| {
        // Serialised, not `to_value`, which loses the derived key order.
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&schema) else {
            unreachable!("a derived schema is an object")
        };
        let mut with_id = serde_json::Map::new();
        let mut rest = fields.into_iter().peekable();
        if let Some((k, v)) = rest.next_if(|(k, _)| k == "$schema") {
            with_id.insert(k, v);
        }
        with_id.insert("$id".into(), serde_json::Value::String(id));
        with_id.extend(rest);
        pretty(&serde_json::Value::Object(with_id))
    };
    match of {
        Document::Report => Some(with_id(
            schemars::schema_for!(crate::report::Report),
            format!(
                "urn:azaudit:schema:report:{}",
                crate::report::REPORT_SCHEMA_VERSION
            ),
        )),
        Document::Snapshot => Some(with_id(
            schemars::schema_for!(crate::collect::snapshot::Snapshot),
            format!(
                "urn:azaudit:schema:snapshot:{}",
                crate::collect::snapshot::SNAPSHOT_SCHEMA_VERSION
            ),
        )),
        Document::Policy => None,
    }
}

fn pretty(schema: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema serialises");
    text.push('\n');
    text
}
