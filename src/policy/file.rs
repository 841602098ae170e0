//! Policy files (`--policy FILE`, TOML): per-rule `enabled`, `severity` and `params`, and
//! exemptions (rule or `*`, a case-insensitive resource id glob, a required reason, an optional
//! expiry date). `policies/default.toml` ships every rule's defaults; a user policy overrides them.
//! Every problem is reported as `file:line:column: what is wrong`.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
use crate::findings::{Finding, Severity, Suppression};
use crate::report::PolicyOutcome;

/// The defaults shipped with azaudit.
pub const SHIPPED_DEFAULTS: &str = include_str!("../../policies/default.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    schema_version: Option<Spanned<i64>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, RawRule>,
    #[serde(default)]
    exemptions: Vec<Spanned<RawExemption>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    enabled: Option<bool>,
    severity: Option<Spanned<String>>,
    #[serde(default)]
    params: BTreeMap<String, Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExemption {
    rule: Option<Spanned<String>>,
    resource: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
    expires: Option<Spanned<toml::value::Datetime>>,
}

/// A rule's settings after merging the shipped defaults and the user's file.
#[derive(Debug, Clone, Default)]
pub struct RuleSettings {
    pub enabled: bool,
    pub severity: Option<Severity>,
    /// Whether the user's file set the severity: only then does it replace the severity each
    /// finding was graded with (the shipped value is the rule's default, not an override).
    pub severity_overridden: bool,
    pub params: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Clone)]
pub struct Exemption {
    pub rule: String,
    pub resource: String,
    pub reason: String,
    pub expires: Option<NaiveDate>,
    /// `file:line` of the exemption, for reports.
    pub source: String,
}

impl Exemption {
    fn label(&self) -> String {
        format!(
            "{} {} ({}): {}",
            self.rule, self.resource, self.source, self.reason
        )
    }
    fn matches(&self, f: &Finding) -> bool {
        (self.rule == "*" || self.rule.eq_ignore_ascii_case(&f.rule))
            && wildmatch::WildMatch::new(&self.resource.to_ascii_lowercase())
                .matches(&f.resource_id.to_ascii_lowercase())
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub file: Option<String>,
    pub rules: BTreeMap<String, RuleSettings>,
    pub exemptions: Vec<Exemption>,
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The start of the line holding `offset` (a parameter's key, for a value's span).
fn key_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

struct Ctx<'a> {
    name: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, offset: usize, what: impl std::fmt::Display) -> Error {
        let (l, c) = line_col(self.text, offset);
        Error::Usage(format!("{}:{l}:{c}: {what}", self.name))
    }
}

fn parse_severity(s: &str) -> Option<Severity> {
    match s.to_ascii_lowercase().as_str() {
        "info" => Some(Severity::Info),
        "low" => Some(Severity::Low),
        "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        "critical" => Some(Severity::Critical),
        _ => None,
    }
}

/// The largest TTL DNS allows (RFC 2181, section 8).
const MAX_DNS_TTL: i64 = 2_147_483_647;
/// A generous bound on routes per table, far above any limit Azure documents.
const MAX_ROUTES_PER_TABLE: i64 = 10_000;

/// Integer bounds of the parameters that have them: rule, parameter, lowest, highest, and whether
/// the parameter is a non-empty array of such integers. [`check_param`] enforces them; the policy
/// schema publishes them.
pub const PARAM_BOUNDS: &[(&str, &str, i64, i64, bool)] = &[
    ("NSG105", "ports", 1, 65535, true),
    ("RTE102", "threshold", 1, MAX_ROUTES_PER_TABLE, false),
    ("RTE102", "limit", 1, MAX_ROUTES_PER_TABLE, false),
    ("DNS105", "min_ttl", 0, MAX_DNS_TTL, false),
    ("DNS105", "max_ttl", 0, MAX_DNS_TTL, false),
];

/// Bounds of one parameter value: a value outside them would silently disable or distort the rule
/// (a port that cannot exist, a threshold a route table can never reach), so it is refused.
fn check_param(code: &str, param: &str, value: &toml::Value) -> Result<(), String> {
    let int_in = |v: &toml::Value, what: &str, lo: i64, hi: i64| match v.as_integer() {
        Some(i) if (lo..=hi).contains(&i) => Ok(()),
        Some(i) => Err(format!("{what} {i} is outside {lo}–{hi}")),
        None => Err(format!("{what} must be an integer, not {}", v.type_str())),
    };
    match (code, param) {
        ("NSG105", "ports") => {
            let ports = value
                .as_array()
                .ok_or_else(|| format!("ports must be an array, not {}", value.type_str()))?;
            if ports.is_empty() {
                return Err(
                    "ports is empty, so NSG105 would check nothing (set enabled = false to turn it off)"
                        .into(),
                );
            }
            ports.iter().try_for_each(|p| int_in(p, "port", 1, 65535))
        }
        _ => match PARAM_BOUNDS
            .iter()
            .find(|(c, p, ..)| *c == code && *p == param)
        {
            Some((.., lo, hi, false)) => int_in(value, param, *lo, *hi),
            _ => Ok(()),
        },
    }
}

/// Constraints between a rule's parameters after merging; the error names the parameter to blame.
fn check_rule_params(
    code: &str,
    params: &BTreeMap<String, toml::Value>,
) -> Result<(), (&'static [&'static str], String)> {
    if code == "RTE102" {
        let get = |k: &str| params.get(k).and_then(toml::Value::as_integer);
        let limit =
            get("limit").unwrap_or(crate::rules::route_table_near_limit::ROUTE_LIMIT as i64);
        if let Some(threshold) = get("threshold")
            && threshold > limit
        {
            return Err((
                &["threshold", "limit"],
                format!(
                    "threshold {threshold} is greater than limit {limit}, so RTE102 could never warn before the limit"
                ),
            ));
        }
    }
    if code == "DNS105" {
        let get = |k: &str| params.get(k).and_then(toml::Value::as_integer);
        if let (Some(min), Some(max)) = (get("min_ttl"), get("max_ttl"))
            && min > max
        {
            return Err((
                &["min_ttl", "max_ttl"],
                format!("min_ttl {min} is greater than max_ttl {max}"),
            ));
        }
    }
    Ok(())
}

/// An exemption's resource glob. Only `*` and `?` are wildcards; anything else matches literally,
/// so a glob that could never match a resource id would silently exempt nothing.
fn check_glob(glob: &str) -> Result<(), String> {
    if glob.trim().is_empty() {
        return Err("exemption `resource` is an empty glob (use \"*\" for every resource)".into());
    }
    if let Some(c) = glob.chars().find(|c| matches!(c, '[' | ']' | '{' | '}')) {
        return Err(format!(
            "exemption `resource` {glob:?}: {c:?} is not glob syntax here (only * and ? are wildcards)"
        ));
    }
    if !glob.starts_with(['/', '*', '?']) {
        return Err(format!(
            "exemption `resource` {glob:?} can never match: resource ids start with /subscriptions/"
        ));
    }
    Ok(())
}

impl Policy {
    /// The shipped defaults, parsed once.
    pub fn shipped() -> &'static Policy {
        static SHIPPED: std::sync::LazyLock<Policy> = std::sync::LazyLock::new(Policy::defaults);
        &SHIPPED
    }

    /// The shipped defaults alone.
    pub fn defaults() -> Policy {
        Policy::parse_layer(None, "policies/default.toml", SHIPPED_DEFAULTS, true)
            .expect("shipped defaults are valid (tested)")
    }

    /// Reads a user policy and merges it over the shipped defaults.
    pub fn load(path: &Path) -> Result<Policy> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Policy::from_user_text(&path.display().to_string(), &text)
    }

    pub fn from_user_text(name: &str, text: &str) -> Result<Policy> {
        // Editors on Windows save UTF-8 with a byte-order mark, which TOML does not allow.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let defaults = Policy::defaults();
        Policy::parse_layer(Some(&defaults), name, text, false)
    }

    fn parse_layer(base: Option<&Policy>, name: &str, text: &str, shipped: bool) -> Result<Policy> {
        let cx = Ctx { name, text };
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            cx.err(offset, e.message().trim())
        })?;
        if let Some(v) = raw.schema_version.as_ref().filter(|v| *v.get_ref() != 1) {
            return Err(cx.err(
                v.span().start,
                format!(
                    "unsupported schema_version {} (this azaudit reads 1)",
                    v.get_ref()
                ),
            ));
        }
        let known: Vec<&'static str> = crate::rules::registry()
            .iter()
            .map(|r| r.meta().code)
            .collect();
        let mut rules: BTreeMap<String, RuleSettings> = match base {
            Some(b) => b.rules.clone(),
            None => known
                .iter()
                .map(|c| {
                    (
                        c.to_string(),
                        RuleSettings {
                            enabled: true,
                            ..Default::default()
                        },
                    )
                })
                .collect(),
        };
        for (code, rule) in &raw.rules {
            let canonical = known
                .iter()
                .find(|k| k.eq_ignore_ascii_case(code.get_ref()))
                .ok_or_else(|| {
                    cx.err(
                        code.span().start,
                        format!(
                            "unknown rule {:?}; `azaudit rules` lists them",
                            code.get_ref()
                        ),
                    )
                })?;
            let entry = rules
                .entry(canonical.to_string())
                .or_insert_with(|| RuleSettings {
                    enabled: true,
                    ..Default::default()
                });
            let r = rule;
            if let Some(e) = r.enabled {
                entry.enabled = e;
            }
            if let Some(s) = &r.severity {
                entry.severity_overridden = !shipped;
                entry.severity = Some(parse_severity(s.get_ref()).ok_or_else(|| {
                    cx.err(
                        s.span().start,
                        format!(
                            "severity {:?} is not one of info, low, medium, high, critical",
                            s.get_ref()
                        ),
                    )
                })?);
            }
            for (param, spanned) in &r.params {
                let value = spanned.get_ref();
                if !shipped && !entry.params.contains_key(param) {
                    let allowed: Vec<&str> = entry.params.keys().map(String::as_str).collect();
                    return Err(cx.err(
                        key_offset(text, spanned.span().start),
                        format!(
                            "rule {canonical} has no parameter {:?}{}",
                            param,
                            if allowed.is_empty() {
                                " (it takes none)".to_string()
                            } else {
                                format!(" (it takes: {})", allowed.join(", "))
                            }
                        ),
                    ));
                }
                if let Some(old) = entry
                    .params
                    .get(param)
                    .filter(|old| old.type_str() != value.type_str())
                {
                    return Err(cx.err(
                        key_offset(text, spanned.span().start),
                        format!(
                            "parameter {param} must be {}, not {}",
                            old.type_str(),
                            value.type_str()
                        ),
                    ));
                }
                check_param(canonical, param, value)
                    .map_err(|what| cx.err(spanned.span().start, what))?;
                entry.params.insert(param.clone(), value.clone());
            }
            check_rule_params(canonical, &entry.params).map_err(|(blame, what)| {
                // Point at a value the user set, else at the rule's table.
                let offset = blame
                    .iter()
                    .find_map(|p| r.params.get(*p))
                    .map_or(code.span().start, |v| v.span().start);
                cx.err(offset, what)
            })?;
        }
        let mut exemptions = base.map(|b| b.exemptions.clone()).unwrap_or_default();
        for ex in &raw.exemptions {
            let start = ex.span().start;
            let e = ex.get_ref();
            let rule = e
                .rule
                .as_ref()
                .ok_or_else(|| cx.err(start, "exemption needs `rule` (a rule code or \"*\")"))?;
            if rule.get_ref() != "*"
                && !known.iter().any(|k| k.eq_ignore_ascii_case(rule.get_ref()))
            {
                return Err(cx.err(
                    rule.span().start,
                    format!("unknown rule {:?} in exemption", rule.get_ref()),
                ));
            }
            let resource = e
                .resource
                .as_ref()
                .ok_or_else(|| cx.err(start, "exemption needs `resource` (a resource id glob)"))?;
            check_glob(resource.get_ref()).map_err(|what| cx.err(resource.span().start, what))?;
            let reason = e
                .reason
                .as_ref()
                .filter(|r| !r.get_ref().trim().is_empty())
                .ok_or_else(|| cx.err(start, "exemption needs a non-empty `reason`"))?;
            let expires = match &e.expires {
                None => None,
                Some(d) => {
                    let dt = d.get_ref();
                    match (dt.date, dt.time) {
                        (Some(date), None) => Some(
                            NaiveDate::from_ymd_opt(
                                date.year.into(),
                                date.month.into(),
                                date.day.into(),
                            )
                            .ok_or_else(|| {
                                cx.err(d.span().start, format!("expires {dt} is not a valid date"))
                            })?,
                        ),
                        _ => {
                            return Err(cx.err(
                                d.span().start,
                                format!("expires must be a date such as 2027-01-31, not {dt}"),
                            ));
                        }
                    }
                }
            };
            let (line, _) = line_col(text, start);
            exemptions.push(Exemption {
                rule: rule.get_ref().clone(),
                resource: resource.get_ref().clone(),
                reason: reason.get_ref().trim().to_string(),
                expires,
                source: format!("{name}:{line}"),
            });
        }
        Ok(Policy {
            file: (!shipped).then(|| name.to_string()),
            rules,
            exemptions,
        })
    }

    pub fn enabled(&self, code: &str) -> bool {
        self.rules.get(code).is_none_or(|r| r.enabled)
    }

    pub fn param(&self, code: &str, name: &str) -> Option<&toml::Value> {
        self.rules.get(code).and_then(|r| r.params.get(name))
    }

    /// A parameter from this policy, else from the shipped defaults.
    pub fn param_or_default(&self, code: &str, name: &str) -> Option<&toml::Value> {
        self.param(code, name)
            .or_else(|| Policy::shipped().param(code, name))
    }

    /// Applies severities and exemptions to findings as of `today`.
    pub fn apply(&self, findings: &mut [Finding], today: NaiveDate) -> PolicyOutcome {
        let mut used = vec![false; self.exemptions.len()];
        for f in findings.iter_mut() {
            if let Some(sev) = self
                .rules
                .get(&*f.rule)
                .filter(|r| r.severity_overridden)
                .and_then(|r| r.severity)
            {
                f.severity = sev;
            }
            for (i, ex) in self.exemptions.iter().enumerate() {
                if !ex.matches(f) {
                    continue;
                }
                used[i] = true;
                if ex.expires.is_some_and(|d| d < today) {
                    continue; // expired: stops suppressing
                }
                if f.suppression.is_none() {
                    f.suppression = Some(Box::new(Suppression {
                        reason: ex.reason.clone(),
                        expires: ex.expires,
                        source: ex.source.clone(),
                    }));
                }
            }
        }
        PolicyOutcome {
            file: self.file.clone(),
            expired_exemptions: self
                .exemptions
                .iter()
                .filter(|e| e.expires.is_some_and(|d| d < today))
                .map(Exemption::label)
                .collect(),
            unused_exemptions: self
                .exemptions
                .iter()
                .zip(&used)
                .filter(|(e, used)| !**used && e.expires.is_none_or(|d| d >= today))
                .map(|(e, _)| e.label())
                .collect(),
        }
    }
}

impl crate::rules::Params for Policy {
    fn param(&self, code: &str, name: &str) -> Option<&toml::Value> {
        self.param_or_default(code, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Policy::from_user_text("p.toml", text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn shipped_defaults_cover_every_rule_with_its_default_severity() {
        let d = Policy::defaults();
        for r in crate::rules::registry() {
            let m = r.meta();
            let s = d
                .rules
                .get(m.code)
                .unwrap_or_else(|| panic!("{} missing from policies/default.toml", m.code));
            assert_eq!(
                s.severity,
                Some(m.severity),
                "{}: default.toml severity differs from the rule's",
                m.code
            );
            assert!(s.enabled, "{} disabled by default", m.code);
        }
        assert_eq!(
            d.rules.len(),
            crate::rules::registry().len(),
            "default.toml lists rules that do not exist"
        );
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let cases = [
            (
                "[rules.NSG999]\nseverity = \"high\"\n",
                "p.toml:1:8: unknown rule \"NSG999\"",
            ),
            (
                "[rules.NSG101]\nseverity = \"severe\"\n",
                "p.toml:2:12: severity \"severe\" is not one of",
            ),
            (
                "[rules.NSG101.params]\nbogus = 1\n",
                "p.toml:2:1: rule NSG101 has no parameter \"bogus\"",
            ),
            (
                "[[exemptions]]\nrule = \"NSG101\"\nresource = \"*\"\n",
                "p.toml:1:1: exemption needs a non-empty `reason`",
            ),
            (
                "[[exemptions]]\nrule = \"*\"\nresource = \"*\"\nreason = \"x\"\nexpires = 2027-02-30\n",
                "p.toml:5:",
            ),
            (
                "[[exemptions]]\nrule = \"*\"\nresource = \"*\"\nreason = \"x\"\nexpires = \"soon\"\n",
                "p.toml:5:",
            ),
            ("[rules.NSG101\n", "p.toml:1:"),
            ("colour = \"blue\"\n", "p.toml:1:1: unknown field `colour`"),
        ];
        for (text, want) in cases {
            let e = err(text);
            assert!(e.starts_with(want) || e.contains(want), "{text:?}: {e}");
        }
    }

    fn finding(rule: &str, id: &str) -> Finding {
        Finding {
            id: crate::findings::fingerprint(rule, id, ""),
            rule: rule.to_string().into(),
            rule_name: "".into(),
            title: "".into(),
            severity: Severity::High,
            resource_id: id.into(),
            resource_type: String::new(),
            subscription_id: None,
            message: String::new(),
            evidence: serde_json::Value::Null.into(),
            remediation: String::new(),
            references: vec![],
            baseline: None,
            suppression: None,
            related: vec![],
            confidence: Default::default(),
            confidence_reasons: vec![],
        }
    }

    #[test]
    fn exemptions_suppress_until_they_expire_and_unused_ones_are_reported() {
        let p = Policy::from_user_text(
            "p.toml",
            r#"
[rules.NSG101]
severity = "medium"

[[exemptions]]
rule = "NSG101"
resource = "/subscriptions/*/resourcegroups/RG-LAB/*"
reason = "isolated lab"
expires = 2027-01-31

[[exemptions]]
rule = "*"
resource = "*/vaults/kv-old"
reason = "being decommissioned"
expires = 2026-01-01

[[exemptions]]
rule = "DNS101"
resource = "*/nothing-matches-this"
reason = "stale"
"#,
        )
        .unwrap();
        let lab = "/subscriptions/s/resourceGroups/rg-lab/providers/Microsoft.Network/virtualNetworks/v/subnets/a";
        let mut fs = vec![
            finding("NSG101", lab),
            finding(
                "NSG101",
                "/subscriptions/s/resourceGroups/prod/providers/x/y",
            ),
            finding(
                "KVT101",
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-old",
            ),
        ];
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let out = p.apply(&mut fs, today);
        assert_eq!(fs[0].severity, Severity::Medium);
        let s = fs[0].suppression.as_ref().expect("suppressed");
        assert_eq!(s.reason, "isolated lab");
        assert!(s.source.starts_with("p.toml:5"), "{}", s.source);
        assert!(fs[1].suppression.is_none());
        assert!(
            fs[2].suppression.is_none(),
            "expired exemptions stop suppressing"
        );
        assert_eq!(out.expired_exemptions.len(), 1);
        assert!(out.expired_exemptions[0].contains("kv-old"));
        assert_eq!(out.unused_exemptions.len(), 1);
        assert!(out.unused_exemptions[0].contains("nothing-matches-this"));
        // After its expiry date the lab exemption stops too.
        let mut fs = vec![finding("NSG101", lab)];
        p.apply(&mut fs, NaiveDate::from_ymd_opt(2027, 2, 1).unwrap());
        assert!(fs[0].suppression.is_none());
    }

    #[test]
    fn disabled_rules_are_not_run() {
        let p = Policy::from_user_text("p.toml", "[rules.DNS101]\nenabled = false\n").unwrap();
        assert!(!p.enabled("DNS101"));
        assert!(p.enabled("NSG101"));
        let demo = crate::collect::demo::snapshot();
        let scan = |policy: Option<&Policy>| {
            crate::scan::build_report_with(
                &demo,
                "demo",
                None,
                "2026-11-24T09:00:00Z".parse().unwrap(),
                std::time::Instant::now(),
                policy,
            )
        };
        let fired =
            |r: &crate::report::Report| r.findings.iter().filter(|f| f.rule == "DNS101").count();
        let without = scan(None);
        assert_eq!(fired(&without), 1, "the demo has one DNS101 finding");
        let with = scan(Some(&p));
        assert_eq!(fired(&with), 0);
        assert!(
            with.rules.iter().all(|o| o.code != "DNS101"),
            "a disabled rule has no outcome"
        );
        assert_eq!(with.rules.len(), without.rules.len() - 1);
        assert_eq!(with.findings.len(), without.findings.len() - 1);
    }
}
