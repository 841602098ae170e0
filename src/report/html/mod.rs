//! `--format html`: one self-contained page (inline CSS, JS and SVG, nothing fetched when opened)
//! with the overview, the topology drawn from the inventory, and the findings table. Everything
//! that comes from the tenant or the report goes through [`escape`].

mod drilldown;
mod overview;
mod topology;

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::collect::Snapshot;
use crate::findings::{BaselineStatus, Finding, Severity};
use crate::report::Report;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    escape_markup(text, true)
}

/// Escapes text for element content only (never an attribute value): quotes stay as they are,
/// which keeps pretty-printed JSON evidence short.
pub fn escape_text(text: &str) -> String {
    escape_markup(text, false)
}

fn escape_markup(text: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Numbers each resource id (by its normalised key) so that rows and picture elements can name
/// the resources they concern in short attributes.
#[derive(Default)]
pub(crate) struct Keys {
    map: BTreeMap<String, usize>,
}

impl Keys {
    pub(crate) fn of(&mut self, id: &str) -> usize {
        let k = crate::azure::id::id_key(id);
        let n = self.map.len();
        *self.map.entry(k).or_insert(n)
    }
}

/// The resource keys a finding concerns: its resource and every related one.
fn finding_keys(f: &Finding, keys: &mut Keys) -> Vec<usize> {
    let mut v: Vec<usize> = std::iter::once(f.resource_id.as_str())
        .chain(f.related.iter().map(|r| r.resource_id.as_str()))
        .map(|id| keys.of(id))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

const CSS: &str = include_str!("style.css");
const JS: &str = include_str!("script.js");

/// Renders the report, with the topology of the snapshot it was built from.
pub fn render(report: &Report, snapshot: &Snapshot) -> String {
    let mut keys = Keys::default();
    let finding_keys: Vec<Vec<usize>> = report
        .findings
        .iter()
        .map(|f| finding_keys(f, &mut keys))
        .collect();
    let layout = topology::layout(snapshot, report, &mut keys);
    let mut h = String::with_capacity(64 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n");
    let _ = writeln!(
        h,
        "<title>azaudit report — {}</title>",
        escape(&scope_title(report))
    );
    let _ = writeln!(h, "<style>{CSS}</style>\n</head>\n<body>");
    overview(&mut h, report);
    h.push_str("<section id=\"topology\"><h2>Topology</h2>\n");
    h.push_str("<p class=\"hint\">Badges show each resource's worst active finding; click a resource to filter the findings to it.</p>\n");
    h.push_str(&layout.svg);
    h.push_str("</section>\n");
    h.push_str("<section id=\"drilldown\"><h2>Subnet drill-down</h2><p class=\"hint\">Effective routes (as <code>azaudit routes</code>) and effective security rules of the subnet's NSG (as <code>azaudit effective-rules</code>), computed from the inventory: click a subnet in the picture, or pick one here.</p><label>subnet <select id=\"dd-pick\"><option value=\"\">—</option></select></label><div id=\"dd-body\"></div></section>\n");
    findings_section(&mut h, report, &finding_keys);
    // Data, not code: the page's script reads it (a JSON script element is never executed).
    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"subnet-data\">{}</script>",
        drilldown::data(snapshot, &mut keys)
    );
    let _ = writeln!(h, "<script>{JS}</script>\n</body>\n</html>");
    h
}

fn scope_title(report: &Report) -> String {
    let names: Vec<String> = report
        .scope
        .subscriptions
        .iter()
        .map(|s| sub_label(report, s))
        .collect();
    names.join(", ")
}

fn sub_label(report: &Report, id: &str) -> String {
    match report.scope.subscription_name(id) {
        Some(n) => format!("{n} ({id})"),
        None => id.to_string(),
    }
}

fn overview(h: &mut String, r: &Report) {
    h.push_str("<header><h1>azaudit report</h1>\n<dl class=\"meta\">\n");
    let _ = write!(h, "<dt>Scope</dt><dd>");
    // A long scope folds away so the coverage and counts stay on the first screen.
    let many = r.scope.subscriptions.len() > 6;
    if many {
        let _ = write!(
            h,
            "<details><summary>{} subscriptions</summary>",
            r.scope.subscriptions.len()
        );
    }
    h.push_str("<ul class=\"subs\">");
    for s in &r.scope.subscriptions {
        let _ = write!(h, "<li>{}</li>", escape(&sub_label(r, s)));
    }
    h.push_str("</ul>");
    if many {
        h.push_str("</details>");
    }
    let _ = writeln!(h, " cloud {}</dd>", escape(&format!("{:?}", r.scope.cloud)));
    let _ = writeln!(
        h,
        "<dt>Source</dt><dd>{}{}</dd>",
        escape(&r.run.source),
        r.run
            .snapshot
            .as_deref()
            .map(|s| format!(" — {}", escape(s)))
            .unwrap_or_default()
    );
    if let Some(c) = r.run.collected_at {
        let _ = writeln!(h, "<dt>Collected</dt><dd>{}</dd>", c.to_rfc3339());
    }
    let _ = writeln!(
        h,
        "<dt>Scanned</dt><dd>{} ({} ms), azaudit {}</dd>\n</dl></header>",
        r.run.started_at.to_rfc3339(),
        r.run.duration_ms,
        escape(&r.tool.version)
    );
    // Coverage gaps first: a report with holes must say so before anything else.
    if r.coverage.gaps.is_empty() {
        h.push_str("<section id=\"coverage\" class=\"ok\"><h2>Coverage</h2><p>Complete: every resource kind of every subscription in scope was read.</p></section>\n");
    } else {
        let _ = writeln!(
            h,
            "<section id=\"coverage\" class=\"gaps\"><h2>Coverage incomplete: {} gap(s)</h2><p>Rules that need what could not be read report <em>partial</em> or <em>not evaluated</em>; absent findings there are not a clean bill.</p><table><thead><tr><th>subscription</th><th>kind</th><th>scope</th><th>HTTP</th><th>code</th><th>message</th></tr></thead><tbody>",
            r.coverage.gaps.len()
        );
        for g in &r.coverage.gaps {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(
                    &g.subscription_id
                        .as_deref()
                        .map(|s| sub_label(r, s))
                        .unwrap_or_default()
                ),
                escape(&format!("{:?}", g.kind)),
                escape(g.scope.as_deref().unwrap_or_default()),
                g.http_status.map(|s| s.to_string()).unwrap_or_default(),
                escape(g.code.as_deref().unwrap_or_default()),
                escape(&g.message)
            );
        }
        h.push_str("</tbody></table></section>\n");
    }
    // Severity counts.
    let active: usize = r.summary.active_by_severity.values().sum();
    let _ = write!(
        h,
        "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\"><div class=\"card\"><b id=\"count-active\">{active}</b> active finding(s)</div>"
    );
    for s in Severity::ALL_DESC {
        let n = r.summary.active_by_severity.get(&s).copied().unwrap_or(0);
        let _ = write!(
            h,
            "<div class=\"card sev-{s}\"><b id=\"count-{s}\">{n}</b> {s}</div>"
        );
    }
    let _ = write!(
        h,
        "<div class=\"card\"><b id=\"count-suppressed\">{}</b> suppressed</div>",
        r.summary.suppressed
    );
    let has_baseline = r.findings.iter().any(|f| f.baseline.is_some()) || !r.resolved.is_empty();
    if has_baseline {
        let new = r
            .findings
            .iter()
            .filter(|f| f.baseline == Some(BaselineStatus::New))
            .count();
        let _ = write!(
            h,
            "<div class=\"card\"><b id=\"count-new\">{new}</b> new since baseline</div><div class=\"card\"><b id=\"count-resolved\">{}</b> resolved</div>",
            r.resolved.len()
        );
    }
    let _ = writeln!(
        h,
        "</div><p data-total=\"{}\">{} finding(s) in total; {} rule(s) run, {} partial.</p>",
        r.summary.findings, r.summary.findings, r.summary.rules_evaluated, r.summary.rules_partial
    );
    if !r.resolved.is_empty() {
        h.push_str("<details><summary>Resolved since the baseline</summary><ul>");
        for f in &r.resolved {
            let _ = write!(
                h,
                "<li><code>{}</code> {} on {}</li>",
                escape(&f.rule),
                escape(&f.title),
                escape(&f.resource_id)
            );
        }
        h.push_str("</ul></details>");
    }
    // Rule outcomes.
    h.push_str("<details id=\"rules\"><summary>Rule outcomes</summary><table><thead><tr><th>rule</th><th>name</th><th>outcome</th><th>findings</th><th>missing inputs / not evaluated</th></tr></thead><tbody>\n");
    for o in &r.rules {
        let outcome = if !o.not_evaluated.is_empty() {
            "not-evaluated"
        } else {
            match o.status {
                crate::rules::RuleStatus::Evaluated => "evaluated",
                crate::rules::RuleStatus::Partial => "partial",
            }
        };
        let mut notes: Vec<String> = o.missing_inputs.clone();
        notes.extend(o.not_evaluated.iter().map(|n| {
            format!(
                "{}: {}",
                crate::azure::id::last_name(&n.resource_id),
                n.reason
            )
        }));
        let _ = writeln!(
            h,
            "<tr class=\"{outcome}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&o.code),
            escape(&o.name),
            outcome.replace('-', " "),
            o.findings,
            escape(&notes.join("; "))
        );
    }
    h.push_str("</tbody></table></details></section>\n");
}

fn findings_section(h: &mut String, r: &Report, finding_keys: &[Vec<usize>]) {
    let mut rules: Vec<&str> = r.findings.iter().map(|f| &*f.rule).collect();
    rules.sort_unstable();
    rules.dedup();
    let mut subs: Vec<&str> = r
        .findings
        .iter()
        .filter_map(|f| f.subscription_id.as_deref())
        .collect();
    subs.sort_unstable();
    subs.dedup();
    h.push_str("<section id=\"findings\"><h2>Findings</h2>\n<form id=\"filters\" onsubmit=\"return false\">");
    h.push_str("<label>severity <select id=\"f-sev\"><option value=\"\">any</option>");
    for s in Severity::ALL_DESC {
        let _ = write!(h, "<option value=\"{s}\">{s}</option>");
    }
    h.push_str(
        "</select></label> <label>rule <select id=\"f-rule\"><option value=\"\">any</option>",
    );
    for rule in &rules {
        let _ = write!(h, "<option value=\"{0}\">{0}</option>", escape(rule));
    }
    h.push_str("</select></label> <label>subscription <select id=\"f-sub\"><option value=\"\">any</option>");
    for s in &subs {
        let _ = write!(
            h,
            "<option value=\"{}\">{}</option>",
            escape(&s.to_ascii_lowercase()),
            escape(&sub_label(r, s))
        );
    }
    h.push_str("</select></label> <label>text <input id=\"f-text\" type=\"search\" placeholder=\"name, message…\"></label> <span id=\"f-res\" hidden>resource: <b id=\"f-res-name\"></b> <button type=\"button\" id=\"f-res-clear\">clear</button> <a id=\"f-res-routes\" href=\"#drilldown\" hidden>routes and rules</a></span> <span id=\"shown\"></span></form>\n");
    let head = "<thead><tr><th data-sort=\"sev\">severity</th><th data-sort=\"rule\">rule</th><th data-sort=\"title\">finding</th><th data-sort=\"res\">resource</th><th data-sort=\"sub\">subscription</th><th data-sort=\"conf\">confidence</th></tr></thead>";
    let _ = writeln!(h, "<table id=\"ftable\" class=\"findings\">{head}<tbody>");
    for (f, k) in r
        .findings
        .iter()
        .zip(finding_keys)
        .filter(|(f, _)| f.is_active())
    {
        finding_row(h, r, f, k);
    }
    h.push_str("</tbody></table>\n</section>\n");
    let suppressed: Vec<_> = r
        .findings
        .iter()
        .zip(finding_keys)
        .filter(|(f, _)| !f.is_active())
        .collect();
    if !suppressed.is_empty() {
        let _ = writeln!(
            h,
            "<section id=\"suppressed\"><h2>Suppressed findings ({})</h2><p>Exempted by the policy; they do not count for the exit code.</p><table class=\"findings\">{head}<tbody>",
            suppressed.len()
        );
        for (f, k) in suppressed {
            finding_row(h, r, f, k);
        }
        h.push_str("</tbody></table></section>\n");
    }
}

fn finding_row(h: &mut String, r: &Report, f: &Finding, keys: &[usize]) {
    let sub = f.subscription_id.as_deref().unwrap_or_default();
    let name = crate::azure::id::last_name(&f.resource_id);
    let rank = Severity::ALL_DESC
        .iter()
        .position(|s| *s == f.severity)
        .unwrap_or(0);
    let key_attr: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let _ = write!(
        h,
        "<tr class=\"frow sev-{sev}\" id=\"finding-{id}\" data-sev=\"{sev}\" data-rank=\"{rank}\" data-rule=\"{rule}\" data-sub=\"{subl}\" data-res=\" {keys} \">",
        sev = f.severity,
        id = escape(&f.id),
        rule = escape(&f.rule),
        subl = escape(&sub.to_ascii_lowercase()),
        keys = key_attr.join(" "),
    );
    let baseline = match f.baseline {
        Some(BaselineStatus::New) => " <span class=\"tag new\">new</span>",
        _ => "",
    };
    let _ = write!(
        h,
        "<td><span class=\"sev sev-{sev}\">{sev}</span>{baseline}</td><td><code>{rule}</code></td><td><details><summary>{title}</summary><div class=\"detail\">",
        sev = f.severity,
        rule = escape(&f.rule),
        title = escape(&f.title)
    );
    let _ = write!(
        h,
        "<p>{}</p><p class=\"small\"><a href=\"#finding-{id}\">#finding-{id}</a> · {} · confidence {}</p>",
        escape(&f.message),
        escape(&f.rule_name),
        f.confidence.as_str(),
        id = escape(&f.id)
    );
    if !f.confidence_reasons.is_empty() {
        let _ = write!(
            h,
            "<p class=\"small\">Confidence: {}</p>",
            escape(&f.confidence_reasons.join("; "))
        );
    }
    if let Some(s) = &f.suppression {
        let _ = write!(
            h,
            "<p class=\"small\">Suppressed: {} ({}{})</p>",
            escape(&s.reason),
            escape(&s.source),
            s.expires
                .map(|d| format!(", until {d}"))
                .unwrap_or_default()
        );
    }
    h.push_str("<h4>Resources</h4><ul class=\"related\">");
    let _ = write!(
        h,
        "<li><b>to fix</b> <code>{}</code></li>",
        escape(&f.resource_id)
    );
    for rel in &f.related {
        let _ = write!(
            h,
            "<li><b>{}</b> <code>{}</code></li>",
            escape(&rel.role),
            escape(&rel.resource_id)
        );
    }
    h.push_str("</ul>");
    if !f.evidence.is_null() {
        let ev = serde_json::to_string_pretty(&f.evidence).unwrap_or_default();
        let _ = write!(
            h,
            "<h4>Evidence</h4><pre class=\"evidence\">{}</pre>",
            escape_text(&ev)
        );
    }
    let _ = write!(
        h,
        "<h4>Remediation <button type=\"button\" class=\"copy\">copy</button></h4><pre class=\"remediation\">{}</pre>",
        escape_text(&f.remediation)
    );
    if !f.references.is_empty() {
        h.push_str("<h4>References</h4><ul>");
        for u in &f.references {
            // Only web links become anchors; anything else is shown as text.
            if u.starts_with("https://") || u.starts_with("http://") {
                let _ = write!(
                    h,
                    "<li><a href=\"{0}\" rel=\"noreferrer\">{0}</a></li>",
                    escape(u)
                );
            } else {
                let _ = write!(h, "<li>{}</li>", escape(u));
            }
        }
        h.push_str("</ul>");
    }
    let _ = writeln!(
        h,
        "</div></details></td><td title=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
        escape(&f.resource_id),
        escape(name),
        escape(&if sub.is_empty() {
            String::new()
        } else {
            sub_label(r, sub)
        }),
        f.confidence.as_str()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_quotes_and_ampersands() {
        let hostile = "<script>alert('x')</script> \"q\" </svg> a&b";
        let e = escape(hostile);
        assert_eq!(
            e,
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;q&quot; &lt;/svg&gt; a&amp;b"
        );
        for bad in ["<", ">", "\"", "'"] {
            assert!(!e.contains(bad), "{bad} survived in {e}");
        }
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape("plain-name_01"), "plain-name_01");
        assert_eq!(
            escape_text(hostile),
            "&lt;script&gt;alert('x')&lt;/script&gt; \"q\" &lt;/svg&gt; a&amp;b"
        );
    }

    fn demo() -> (Snapshot, Report) {
        let s = crate::collect::demo::snapshot();
        let r = crate::scan::build_report(
            &s,
            "demo",
            None,
            "2026-11-24T08:00:00Z".parse().unwrap(),
            std::time::Instant::now(),
        );
        (s, r)
    }

    #[test]
    fn coverage_gaps_come_before_the_counts_and_baseline_delta_is_shown() {
        let (mut s, r) = demo();
        let page = render(&r, &s);
        assert!(page.contains("id=\"coverage\" class=\"ok\""));
        assert!(!page.contains("count-new"));
        s.coverage.gaps.push(crate::inventory::CoverageGap {
            subscription_id: Some(r.scope.subscriptions[0].clone()),
            kind: crate::inventory::ResourceKind::RouteTable,
            scope: None,
            http_status: Some(403),
            code: Some("AuthorizationFailed".into()),
            message: "no <read> access".into(),
        });
        let mut r = crate::scan::build_report(
            &s,
            "demo",
            None,
            "2026-11-24T08:00:00Z".parse().unwrap(),
            std::time::Instant::now(),
        );
        let mut previous = r.clone();
        previous.findings.remove(0);
        previous.findings[0].id = "gone".into();
        r.apply_baseline(&previous);
        let page = render(&r, &s);
        let gaps = page
            .find("Coverage incomplete: 1 gap(s)")
            .expect("gap headline");
        assert!(gaps < page.find("id=\"summary\"").unwrap());
        assert!(page.contains("no &lt;read&gt; access"));
        assert!(page.contains("id=\"count-new\">2<"));
        assert!(page.contains("id=\"count-resolved\">1<"));
        assert!(page.contains("class=\"tag new\""));
    }

    #[test]
    fn hostile_report_and_tenant_text_stays_text_in_the_page() {
        let mut s = crate::collect::demo::snapshot();
        let mut r = crate::scan::build_report(
            &s,
            "demo",
            None,
            "2026-11-24T08:00:00Z".parse().unwrap(),
            std::time::Instant::now(),
        );
        let bad = "<script>alert(1)</script>\"'</svg>&";
        let f = &mut r.findings[0];
        f.title = bad.into();
        f.message = bad.into();
        f.remediation = bad.into();
        f.evidence = serde_json::json!({ "name": bad }).into();
        f.references = vec![bad.into(), "javascript:alert(1)".into()];
        f.related.push(crate::findings::Related {
            resource_id: format!("/subscriptions/x/{bad}"),
            role: bad.into(),
        });
        r.scope
            .subscription_names
            .insert(r.scope.subscriptions[0].to_ascii_lowercase(), bad.into());
        s.inventory.private_dns_zones[0].name = Some(bad.into());
        s.inventory.virtual_networks[0].properties.subnets[0].name = Some(bad.into());
        let page = render(&r, &s);
        // The page's own script and its drill-down data are the only script elements, the data
        // holds no markup, and nothing closes the SVG early.
        assert_eq!(page.matches("<script").count(), 2);
        let data_at = page
            .find("<script type=\"application/json\" id=\"subnet-data\">")
            .unwrap();
        let data = &page[data_at..];
        let data = &data[data.find('>').unwrap() + 1..data.find("</script>").unwrap()];
        assert!(
            data.contains("\\u003cscript\\u003ealert(1)"),
            "the hostile subnet name is in the data"
        );
        assert!(!data.contains('<') && !data.contains('>'));
        assert_eq!(page.matches("</svg>").count(), 1);
        assert!(!page.contains("alert(1)</script>"));
        assert!(!page.contains("href=\"javascript:"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&lt;/svg&gt;&amp;"));
    }
}
