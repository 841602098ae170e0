//! NDJSON: one self-describing record per line, for streaming ingestion. The first line is always
//! a `run` record (so a clean run is not an empty file a forwarder cannot tell from "did not run"),
//! then one `finding` per finding, then one `resolved` per finding gone since the baseline.

use serde_json::{Value, json};

use super::{REPORT_SCHEMA_VERSION, Report};

fn envelope(report: &Report, record_type: &str) -> Value {
    json!({
        "record_type": record_type,
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": report.tool.name,
        "tool_version": report.tool.version,
        "run_id": report.run.run_id,
        "scanned_at": report.run.finished_at,
    })
}

fn line(out: &mut String, mut record: Value, fields: Value) {
    if let (Value::Object(l), Value::Object(fields)) = (&mut record, fields) {
        l.extend(fields);
    }
    out.push_str(&serde_json::to_string(&record).expect("serialises"));
    out.push('\n');
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let s = &report.summary;
    line(
        &mut out,
        envelope(report, "run"),
        json!({
            "started_at": report.run.started_at,
            "finished_at": report.run.finished_at,
            "duration_ms": report.run.duration_ms,
            "source": report.run.source,
            "cloud": report.scope.cloud,
            "subscriptions": report.scope.subscriptions,
            "coverage_complete": s.coverage_complete,
            "coverage_gaps": report.coverage.gaps.len(),
            "findings": s.findings,
            "suppressed": s.suppressed,
            "by_severity": s.by_severity,
            "active_by_severity": s.active_by_severity,
            "rules_evaluated": s.rules_evaluated,
            "rules_partial": s.rules_partial,
            "resolved": report.resolved.len(),
        }),
    );
    for f in &report.findings {
        let rid = crate::azure::ResourceId::parse(&f.resource_id).ok();
        let mut fields = serde_json::to_value(f).expect("finding serialises");
        fields["resource_name"] = json!(crate::azure::id::last_name(&f.resource_id));
        fields["resource_group"] = json!(rid.as_ref().and_then(|r| r.resource_group()));
        fields["subscription_name"] = json!(
            f.subscription_id
                .as_deref()
                .and_then(|s| report.scope.subscription_name(s))
        );
        line(&mut out, envelope(report, "finding"), fields);
    }
    for r in &report.resolved {
        line(
            &mut out,
            envelope(report, "resolved"),
            serde_json::to_value(r).expect("resolved finding serialises"),
        );
    }
    out
}
