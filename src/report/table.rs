//! The terminal rendering: findings grouped by severity, then what could not be evaluated, the
//! coverage gaps, and a one-line summary.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::{Report, Severity};

/// `text` in the severity's colour (ANSI SGR) when `colour`, else unchanged.
pub fn paint(text: &str, s: Severity, colour: bool) -> String {
    if !colour {
        return text.to_string();
    }
    let code = match s {
        Severity::Critical => "1;35",
        Severity::High => "1;31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn short_resource(id: &str) -> String {
    match crate::azure::ResourceId::parse(id) {
        Ok(r) => {
            let ty = r.resource_type();
            let short_type = ty.rsplit('/').next().unwrap_or(&ty);
            let rg = r.resource_group().unwrap_or("-");
            // Subnets read better as vnet/subnet.
            let name = match (r.name_at(0), r.name_at(1)) {
                (Some(parent), Some(child)) => format!("{parent}/{child}"),
                _ => r.name().to_string(),
            };
            format!("{name}\n{short_type} · {rg}")
        }
        Err(_) => id.to_string(),
    }
}

/// Wraps `text` into lines of at most `width` columns (words longer than that stand alone), each
/// line prefixed by `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    wrap_hanging(text, width, indent, indent)
}

/// [`wrap`] with a first line prefixed by `first` and the others by `rest` (`"  ✓ "`, `"    "`).
pub fn wrap_hanging(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    let mut indent = first;
    let room = |indent: &str| width.saturating_sub(indent.chars().count()).max(20);
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > room(indent) {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
            indent = rest;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Fits text to `width` columns: each longer line is wrapped under its own indentation (plus
/// two columns), except table rows and the lines `keep` says must stay whole (commands to copy).
pub fn fit_lines(text: &str, width: usize, keep: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let is_table = body.starts_with(['│', '┌', '└', '╞', '├', '┆']);
        if body.chars().count() <= width || is_table || keep(body) {
            out.push_str(line);
            continue;
        }
        let indent: String = body.chars().take_while(|c| *c == ' ').collect();
        let rest = format!("{indent}  ");
        out.push_str(&wrap_hanging(body.trim_start(), width, &indent, &rest));
    }
    out
}

/// Renders the report for a person at a terminal (or a log). `width` is the terminal width, if
/// known; `colour` paints the severity headings and the summary's counts.
pub fn render_table(report: &Report, width: Option<u16>, colour: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "azaudit {} — source: {}{}\n{}\n",
        report.tool.version,
        report.run.source,
        report
            .run
            .snapshot
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default(),
        report.scope.describe(),
    ));

    if report.findings.iter().all(|f| !f.is_active()) {
        out.push_str("\nNo findings.\n");
    }
    for sev in Severity::ALL_DESC {
        let group: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == sev && f.is_active())
            .collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n{}\n",
            paint(
                &format!("{} ({})", sev.as_str().to_uppercase(), group.len()),
                sev,
                colour
            )
        ));
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec!["Rule", "Resource", "Finding"]);
        // Off a terminal (logs, files) wrap at a readable width instead of one endless line.
        t.set_width(width.unwrap_or(120));
        for f in group {
            let mut resource = short_resource(&f.resource_id);
            // Several subscriptions: say which one holds the resource, by name.
            if report.scope.subscriptions.len() > 1
                && let Some(name) = crate::azure::id::subscription_of(&f.resource_id)
                    .and_then(|s| report.scope.subscription_name(&s))
            {
                resource.push_str(&format!(" · {name}"));
            }
            t.add_row(vec![f.rule.to_string(), resource, f.message.clone()]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }

    let (exempted, expired, unused) = report.exemption_lines();
    for (title, lines) in [
        ("Exempted by the policy", &exempted),
        ("Expired exemptions (they no longer suppress)", &expired),
        ("Unused exemptions (they matched no finding)", &unused),
    ] {
        if !lines.is_empty() {
            out.push_str(&format!("\n{title} ({})\n", lines.len()));
            for l in lines {
                out.push_str(&format!("  {l}\n"));
            }
        }
    }

    let not_evaluated: Vec<_> = report
        .rules
        .iter()
        .flat_map(|r| r.not_evaluated.iter().map(move |n| (r, n)))
        .collect();
    if !not_evaluated.is_empty() {
        out.push_str(&format!("\nNot evaluated ({})\n", not_evaluated.len()));
        for (r, n) in not_evaluated {
            out.push_str(&format!(
                "  {} {}: {}\n",
                r.code,
                crate::azure::id::last_name(&n.resource_id),
                n.reason
            ));
        }
    }
    if !report.coverage.gaps.is_empty() {
        out.push_str(&format!(
            "\nCoverage gaps ({}): these inputs were not collected, so findings that depend on them may be missing\n",
            report.coverage.gaps.len()
        ));
        for g in &report.coverage.gaps {
            out.push_str(&format!(
                "  {}{}{}: {}\n",
                g.kind.label(),
                g.subscription_id
                    .as_deref()
                    .map(|s| match report.scope.subscription_name(s) {
                        Some(name) => format!(" in {name} ({s})"),
                        None => format!(" in {s}"),
                    })
                    .unwrap_or_default(),
                g.http_status
                    .map(|s| format!(
                        " (HTTP {s}{})",
                        g.code
                            .as_deref()
                            .map(|c| format!(" {c}"))
                            .unwrap_or_default()
                    ))
                    .unwrap_or_default(),
                g.message
            ));
        }
        let partial: Vec<&str> = report
            .rules
            .iter()
            .filter(|r| r.status == crate::rules::RuleStatus::Partial)
            .map(|r| r.code.as_str())
            .collect();
        if !partial.is_empty() {
            out.push_str(&format!(
                "  Rules with incomplete inputs: {}\n",
                partial.join(", ")
            ));
        }
    }

    let s = &report.summary;
    let counts: Vec<String> = Severity::ALL_DESC
        .iter()
        .map(|sev| {
            let n = s.active_by_severity.get(sev).copied().unwrap_or(0);
            let text = format!("{n} {sev}");
            if n > 0 {
                paint(&text, *sev, colour)
            } else {
                text
            }
        })
        .collect();
    out.push_str(&format!(
        "\n{} finding(s){}: {} · {} rules run · coverage {} · {} ms\n",
        s.findings - s.suppressed,
        if s.suppressed > 0 {
            format!(" ({} exempted)", s.suppressed)
        } else {
            String::new()
        },
        counts.join(", "),
        s.rules_evaluated,
        if s.coverage_complete {
            "complete"
        } else {
            "INCOMPLETE"
        },
        report.run.duration_ms
    ));
    if !report.findings.is_empty() {
        out.push_str("Run `azaudit explain <RULE>` for why a rule matters and how to fix it; `--format json` for evidence.\n");
    }
    match width {
        Some(w) => fit_lines(&out, w.into(), |_| false),
        None => out,
    }
}
