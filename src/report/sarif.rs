//! SARIF 2.1.0 as GitHub code scanning accepts it: rules with descriptions and help,
//! `security-severity`, a logical location (the resource id) plus a synthetic physical location
//! (code scanning requires one), fingerprints, and suppressed findings as `suppressions`.

use serde_json::{Value, json};

use super::{Report, Severity};
use crate::rules::{RuleMeta, registry};

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's scale: over 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.0",
        Severity::Low => "3.0",
        Severity::Info => "0.1",
    }
}

fn rule_descriptor(m: &RuleMeta) -> Value {
    json!({
        "id": m.code,
        "name": m.name,
        "shortDescription": {"text": m.title},
        "fullDescription": {"text": m.what},
        "help": {
            "text": format!("{}\n\nWhy: {}\n\nFix: {}", m.what, m.why, m.fix),
            "markdown": format!("**{}**\n\n{}\n\n**Why it matters.** {}\n\n**How to fix.**\n\n```\n{}\n```\n\n{}", m.title, m.what, m.why, m.fix,
                m.references.iter().map(|r| format!("- {r}")).collect::<Vec<_>>().join("\n")),
        },
        "helpUri": m.references.first().copied().unwrap_or_default(),
        "defaultConfiguration": {"level": level(m.severity)},
        "properties": {
            "tags": ["security", "azure"],
            "security-severity": security_severity(m.severity),
            "precision": "high",
        },
    })
}

/// The synthetic file path of a resource for code scanning.
pub fn artifact_uri(resource_id: &str) -> String {
    format!("azure{}", crate::azure::id::id_key(resource_id))
}

pub fn render(report: &Report) -> String {
    let rules: Vec<&'static RuleMeta> = registry().iter().map(|r| r.meta()).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = rules.iter().position(|m| m.code == f.rule);
            let mut r = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "kind": "fail",
                "message": {"text": f.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(&f.resource_id)},
                        "region": {"startLine": 1}
                    },
                    "logicalLocations": [{
                        "name": crate::azure::id::last_name(&f.resource_id),
                        "fullyQualifiedName": f.resource_id,
                        "kind": "resource"
                    }]
                }],
                "partialFingerprints": {"azaudit/v1": f.id, "primaryLocationLineHash": f.id},
                "properties": {
                    "security-severity": security_severity(f.severity),
                    "azaudit/severity": f.severity,
                    "azaudit/confidence": f.confidence,
                    "azaudit/evidence": f.evidence,
                    "azaudit/remediation": f.remediation,
                }
            });
            if let Some(i) = index {
                r["ruleIndex"] = json!(i);
            }
            if !f.related.is_empty() {
                r["relatedLocations"] = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, rel)| {
                        json!({
                            "id": i + 1,
                            "message": {"text": rel.role},
                            "physicalLocation": {
                                "artifactLocation": {"uri": artifact_uri(&rel.resource_id)},
                                "region": {"startLine": 1}
                            },
                            "logicalLocations": [{
                                "name": crate::azure::id::last_name(&rel.resource_id),
                                "fullyQualifiedName": rel.resource_id,
                                "kind": "resource"
                            }]
                        })
                    })
                    .collect();
            }
            if !f.confidence_reasons.is_empty() {
                r["properties"]["azaudit/confidence_reasons"] = json!(f.confidence_reasons);
            }
            if let Some(b) = f.baseline {
                r["baselineState"] = json!(match b {
                    super::BaselineStatus::New => "new",
                    super::BaselineStatus::Unchanged => "unchanged",
                });
            }
            if let Some(s) = &f.suppression {
                r["suppressions"] = json!([{"kind": "external", "status": "accepted", "justification": s.reason,
                    "properties": {"expires": s.expires, "source": s.source}}]);
            }
            r
        })
        .collect();
    let sarif = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "azaudit",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": "https://learn.microsoft.com/azure/virtual-network/",
                "rules": rules.iter().map(|m| rule_descriptor(m)).collect::<Vec<_>>(),
            }},
            "automationDetails": {"id": format!("azaudit/{}/", report.scope.cloud.azure_name())},
            "invocations": [{"executionSuccessful": true, "endTimeUtc": report.run.finished_at}],
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&sarif).expect("serialises");
    s.push('\n');
    s
}
