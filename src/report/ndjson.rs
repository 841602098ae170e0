//! NDJSON: one self-describing finding per line, for streaming ingestion.

use serde_json::{Value, json};

use super::{REPORT_SCHEMA_VERSION, Report};

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let mut line = json!({
            "record_type": "finding",
            "schema_version": REPORT_SCHEMA_VERSION,
            "tool": report.tool.name,
            "tool_version": report.tool.version,
            "run_id": report.run.run_id,
            "scanned_at": report.run.finished_at,
        });
        if let (Value::Object(l), Value::Object(fields)) = (
            &mut line,
            serde_json::to_value(f).expect("finding serialises"),
        ) {
            l.extend(fields);
        }
        out.push_str(&serde_json::to_string(&line).expect("serialises"));
        out.push('\n');
    }
    out
}
