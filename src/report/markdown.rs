//! Markdown for job summaries and pull-request comments.

use super::{BaselineStatus, Report, Severity};

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// GitHub's limit for one step summary (1 MiB), less room for the notes that follow the table.
pub const STEP_SUMMARY_LIMIT: usize = 1_000_000;

/// The report as markdown within GitHub's step-summary limit (see [`render_limited`]).
pub fn render(report: &Report) -> String {
    render_limited(report, None, STEP_SUMMARY_LIMIT)
}

/// The report as markdown with at most `max_rows` findings in the table (all when `None`) and the
/// whole at most `max_bytes` long: rows that do not fit are counted, with a pointer to the full
/// report, instead of making GitHub reject the summary or the comment.
pub fn render_limited(report: &Report, max_rows: Option<usize>, max_bytes: usize) -> String {
    let full = render_rows(report, max_rows.unwrap_or(usize::MAX));
    if full.len() <= max_bytes {
        return full;
    }
    // Halve the rows until it fits; the note under the table counts the rest.
    let active = report.findings.iter().filter(|f| f.is_active()).count();
    let mut rows = max_rows.unwrap_or(active).min(active);
    loop {
        rows /= 2;
        let text = render_rows(report, rows);
        if text.len() <= max_bytes || rows == 0 {
            return text;
        }
    }
}

fn render_rows(report: &Report, max_rows: usize) -> String {
    let s = &report.summary;
    let mut out = format!(
        "## azaudit: {} finding(s){}\n\n{} · source: {} · coverage {}\n\n| Severity | Findings |\n|---|---|\n",
        s.findings - s.suppressed,
        if s.suppressed > 0 {
            format!(", {} exempted", s.suppressed)
        } else {
            String::new()
        },
        cell(&report.scope.describe()),
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
        let active: Vec<_> = report.findings.iter().filter(|f| f.is_active()).collect();
        for f in active.iter().take(max_rows) {
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
        if active.len() > max_rows {
            out.push_str(&format!(
                "\n{} more finding(s) not shown here: the full list is in the JSON or SARIF report (`--max-rows` sets how many rows this table holds).\n",
                active.len() - max_rows
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
