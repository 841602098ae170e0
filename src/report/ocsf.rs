//! OCSF 1.8.0 findings with the cloud profile: Compliance Finding (class 2003) by default, or
//! Detection Finding (2004) for pipelines that only ingest those. One JSON array of events.

use serde_json::{Value, json};

use super::{Report, Severity};

pub const OCSF_VERSION: &str = "1.8.0";

/// Which OCSF class to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OcsfClass {
    /// Compliance Finding (2003).
    #[default]
    Compliance,
    /// Detection Finding (2004).
    Detection,
}

/// The attributes OCSF 1.8.0 requires of an event of `class` with the cloud profile.
pub fn required_attributes(class: OcsfClass) -> &'static [&'static str] {
    match class {
        OcsfClass::Compliance => &[
            "activity_id",
            "category_uid",
            "class_uid",
            "cloud",
            "compliance",
            "finding_info",
            "metadata",
            "severity_id",
            "time",
            "type_uid",
        ],
        OcsfClass::Detection => &[
            "activity_id",
            "category_uid",
            "class_uid",
            "cloud",
            "finding_info",
            "metadata",
            "severity_id",
            "time",
            "type_uid",
        ],
    }
}

fn severity_id(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "Informational",
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    }
}

pub fn events(report: &Report, class: OcsfClass) -> Vec<Value> {
    let (class_uid, class_name) = match class {
        OcsfClass::Compliance => (2003u32, "Compliance Finding"),
        OcsfClass::Detection => (2004u32, "Detection Finding"),
    };
    let time = report.run.finished_at.timestamp_millis();
    report
        .findings
        .iter()
        .map(|f| {
            let rid = crate::azure::ResourceId::parse(&f.resource_id).ok();
            let (status_id, status) = if f.suppression.is_some() { (3, "Suppressed") } else { (1, "New") };
            let mut e = json!({
                "activity_id": 1,
                "activity_name": "Create",
                "category_uid": 2,
                "category_name": "Findings",
                "class_uid": class_uid,
                "class_name": class_name,
                "type_uid": class_uid * 100 + 1,
                "time": time,
                "severity_id": severity_id(f.severity),
                "severity": severity_name(f.severity),
                "status_id": status_id,
                "status": status,
                "message": f.message,
                "metadata": {
                    "version": OCSF_VERSION,
                    "product": {"name": "azaudit", "uid": "azaudit", "vendor_name": "azaudit", "version": report.tool.version},
                    "profiles": ["cloud"],
                    "event_code": f.rule,
                    "uid": f.id,
                    "correlation_uid": report.run.run_id,
                },
                "finding_info": {
                    "uid": f.id,
                    "title": f.title,
                    "desc": f.message,
                    "analytic": {"uid": f.rule, "name": f.rule_name, "type_id": 1, "type": "Rule"},
                },
                "cloud": {
                    "provider": "Azure",
                    "account": {"uid": f.subscription_id, "type_id": 13, "type": "Azure Subscription"},
                },
                "resources": std::iter::once(json!({
                    "uid": f.resource_id,
                    "name": crate::azure::id::last_name(&f.resource_id),
                    "type": f.resource_type,
                    "group": rid.as_ref().and_then(|r| r.resource_group()).map(|g| json!({"name": g})),
                    "labels": ["resource to fix"],
                    "data": f.evidence,
                }))
                .chain(f.related.iter().map(related_resource))
                .collect::<Vec<_>>(),
                "confidence_id": confidence_id(f.confidence),
                "confidence": confidence_caption(f.confidence),
                "remediation": {"desc": f.remediation, "references": f.references},
            });
            if class == OcsfClass::Compliance {
                e["compliance"] = json!({"control": f.rule, "standards": ["azaudit"], "status_id": 3, "status": "Fail"});
            }
            if let Some(s) = &f.suppression {
                e["unmapped"] = json!({"suppression": s});
            }
            e
        })
        .collect()
}

/// A resource of the evidence chain, its role as a label.
fn related_resource(r: &crate::findings::Related) -> Value {
    let rid = crate::azure::ResourceId::parse(&r.resource_id).ok();
    json!({
        "uid": r.resource_id,
        "name": crate::azure::id::last_name(&r.resource_id),
        "type": rid.as_ref().map(|x| x.resource_type()),
        "group": rid.as_ref().and_then(|x| x.resource_group()).map(|g| json!({"name": g})),
        "labels": [r.role],
    })
}

/// OCSF `confidence_id`: 1 Low, 2 Medium, 3 High.
fn confidence_id(c: crate::findings::Confidence) -> u8 {
    match c {
        crate::findings::Confidence::Low => 1,
        crate::findings::Confidence::Medium => 2,
        crate::findings::Confidence::High => 3,
    }
}

fn confidence_caption(c: crate::findings::Confidence) -> &'static str {
    match c {
        crate::findings::Confidence::Low => "Low",
        crate::findings::Confidence::Medium => "Medium",
        crate::findings::Confidence::High => "High",
    }
}

pub fn render(report: &Report, class: OcsfClass) -> String {
    let mut s = serde_json::to_string_pretty(&events(report, class)).expect("serialises");
    s.push('\n');
    s
}
