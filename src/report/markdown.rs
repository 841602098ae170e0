//! Markdown for job summaries and pull-request comments.

use super::{BaselineStatus, Report, Severity};

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut out = format!(
        "## azaudit: {} finding(s){}\n\n{} subscription(s) · source: {} · coverage {}\n\n| Severity | Findings |\n|---|---|\n",
        s.findings - s.suppressed,
        if s.suppressed > 0 {
            format!(", {} exempted", s.suppressed)
        } else {
            String::new()
        },
        report.scope.subscriptions.len(),
        report.run.source,
        if s.coverage_complete {
            "complete"
        } else {
            "**incomplete**"
        }
    );
    for sev in Severity::ALL_DESC {
        out.push_str(&format!(
            "| {sev} | {} |\n",
            s.active_by_severity.get(&sev).copied().unwrap_or(0)
        ));
    }
    if report.findings.iter().any(|f| f.is_active()) {
        out.push_str("\n| Severity | Rule | Resource | Finding |\n|---|---|---|---|\n");
        for f in report.findings.iter().filter(|f| f.is_active()) {
            let mut flags = String::new();
            if f.baseline == Some(BaselineStatus::New) {
                flags.push_str(" 🆕");
            }
            out.push_str(&format!(
                "| {}{flags} | `{}` {} | `{}` | {} |\n",
                f.severity,
                f.rule,
                cell(&f.rule_name),
                cell(crate::azure::id::last_name(&f.resource_id)),
                cell(&f.message)
            ));
        }
    }
    let (exempted, expired, unused) = report.exemption_lines();
    if !exempted.is_empty() {
        out.push_str(&format!(
            "\n<details><summary>Exempted by the policy ({})</summary>\n\n",
            exempted.len()
        ));
        for l in &exempted {
            out.push_str(&format!("- {}\n", cell(l)));
        }
        out.push_str("\n</details>\n");
    }
    for (title, lines) in [
        ("Expired exemptions (they no longer suppress)", &expired),
        ("Unused exemptions (they matched no finding)", &unused),
    ] {
        if !lines.is_empty() {
            out.push_str(&format!("\n### {title} ({})\n\n", lines.len()));
            for l in lines {
                out.push_str(&format!("- {}\n", cell(l)));
            }
        }
    }
    if !report.resolved.is_empty() {
        out.push_str(&format!(
            "\n### Resolved since the baseline ({})\n\n",
            report.resolved.len()
        ));
        for r in &report.resolved {
            out.push_str(&format!(
                "- `{}` {} on `{}`\n",
                r.rule,
                cell(&r.title),
                cell(&r.resource_id)
            ));
        }
    }
    if !report.coverage.gaps.is_empty() {
        out.push_str(&format!(
            "\n### Coverage gaps ({})\n\n",
            report.coverage.gaps.len()
        ));
        for g in &report.coverage.gaps {
            out.push_str(&format!("- {}\n", cell(&g.summary())));
        }
    }
    out
}
