//! The rule engine: a [`Rule`] trait with declared metadata, a registry of every rule, and the run
//! that turns an inventory into findings and per-rule outcomes. One rule per file.

pub mod appgw_subnet_nsg_blocks_infrastructure;
pub mod appgw_v2_default_route_to_appliance;
pub mod appliance_next_hop_unknown;
pub mod backend_nsg_admits_only_frontend_ip;
pub mod duplicate_private_endpoints;
mod engine;
pub mod flow_log_insights_unregistered;
pub mod flow_log_without_traffic_analytics;
pub mod kms_platform_traffic;
pub mod kv_bypass_azure_services;
pub mod kv_leftover_network_rules;
pub mod kv_network_rules_default_allow;
pub mod kv_private_endpoint_but_public;
pub mod kv_private_endpoint_no_audit_log;
pub mod kv_public_all_networks;
pub mod kv_service_endpoint_restricts_nothing;
pub mod kv_vnet_rule_without_service_endpoint;
pub mod management_ports_from_internet;
pub mod misnamed_private_link_zone;
pub mod nsg_flow_log_retiring;
pub mod nsg_on_gateway_subnet;
pub mod pe_connection_not_effective;
pub mod pe_dns_record;
pub mod pe_resolves_publicly;
pub mod pe_route_bypasses_firewall;
pub mod pe_subnet_nsg_not_applied;
pub mod pe_vnet_custom_dns;
pub mod pe_zone_missing;
pub mod pe_zone_not_linked;
pub mod peered_vnet_zone_not_linked;
pub mod route_next_hop_none;
pub mod route_table_near_limit;
pub mod route_table_shared;
pub mod rsv_without_resource_guard;
pub mod subnet_nsg_no_deny_all_inbound;
pub mod subnet_without_nsg;
mod support;
mod support_pe;
pub mod ta_workspace_provider_unregistered;
pub mod vnet_tag_widened_by_udr;
pub mod vnet_tag_widened_outbound;
pub mod vnet_without_flow_log;

pub use engine::{Context, Params, Proof, RuleOutcome, RuleStatus, Sink, run};

use crate::findings::Severity;
use crate::inventory::ResourceKind;

/// A rule's declared metadata: stable identity, default severity, and its documentation.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, e.g. `NSG101`. Never reused for another behaviour.
    pub code: &'static str,
    /// Stable kebab-case name, e.g. `vnet-tag-widened-by-udr`.
    pub name: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// The inventory kinds the rule reads; a coverage gap on any of them makes its result partial.
    pub inputs: &'static [ResourceKind],
    /// Kinds read only to describe a finding (an endpoint's addresses through its NICs), not to
    /// decide it: a gap in one makes the result partial but holds no finding back.
    pub shown_inputs: &'static [ResourceKind],
    /// What it detects.
    pub what: &'static str,
    /// Why it matters: the Azure behaviour behind it.
    pub why: &'static str,
    /// How to fix it: portal steps and an `az` command.
    pub fix: &'static str,
    /// An example of the evidence a finding carries.
    pub example: &'static str,
    pub references: &'static [&'static str],
}

/// A check over the inventory.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    /// Emits findings (and "not evaluated" notes) for the inventory in `cx`.
    fn check(&self, cx: &Context<'_>, out: &mut Sink);
}

/// Every rule azaudit ships, in code order.
pub fn registry() -> Vec<&'static dyn Rule> {
    let mut rules: Vec<&'static dyn Rule> = vec![
        &vnet_tag_widened_by_udr::RULE,
        &pe_zone_not_linked::RULE,
        &pe_route_bypasses_firewall::RULE,
        &pe_resolves_publicly::RULE,
        &kv_private_endpoint_no_audit_log::RULE,
        &rsv_without_resource_guard::RULE,
        // Flow logs.
        &ta_workspace_provider_unregistered::RULE,
        &flow_log_insights_unregistered::RULE,
        &nsg_flow_log_retiring::RULE,
        &vnet_without_flow_log::RULE,
        &flow_log_without_traffic_analytics::RULE,
        // NSGs.
        &vnet_tag_widened_outbound::RULE,
        &subnet_nsg_no_deny_all_inbound::RULE,
        &pe_subnet_nsg_not_applied::RULE,
        &management_ports_from_internet::RULE,
        &subnet_without_nsg::RULE,
        &nsg_on_gateway_subnet::RULE,
        &kms_platform_traffic::RULE,
        // Application Gateway.
        &appgw_subnet_nsg_blocks_infrastructure::RULE,
        &appgw_v2_default_route_to_appliance::RULE,
        &backend_nsg_admits_only_frontend_ip::RULE,
        // Route tables.
        &route_table_near_limit::RULE,
        &appliance_next_hop_unknown::RULE,
        &route_next_hop_none::RULE,
        &route_table_shared::RULE,
        &duplicate_private_endpoints::RULE,
        &kv_bypass_azure_services::RULE,
        &kv_leftover_network_rules::RULE,
        &kv_network_rules_default_allow::RULE,
        &kv_private_endpoint_but_public::RULE,
        &kv_public_all_networks::RULE,
        &kv_service_endpoint_restricts_nothing::RULE,
        &kv_vnet_rule_without_service_endpoint::RULE,
        &misnamed_private_link_zone::RULE,
        &pe_connection_not_effective::RULE,
        &pe_dns_record::RULE,
        &pe_vnet_custom_dns::RULE,
        &pe_zone_missing::RULE,
        &peered_vnet_zone_not_linked::RULE,
    ];
    rules.sort_by_key(|r| r.meta().code);
    rules
}

/// Looks a rule up by code or name, case-insensitively.
pub fn find(code_or_name: &str) -> Option<&'static dyn Rule> {
    registry().into_iter().find(|r| {
        r.meta().code.eq_ignore_ascii_case(code_or_name)
            || r.meta().name.eq_ignore_ascii_case(code_or_name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_unique_identity_and_complete_docs() {
        let rules = registry();
        let mut codes = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for r in &rules {
            let m = r.meta();
            assert!(codes.insert(m.code), "duplicate code {}", m.code);
            assert!(names.insert(m.name), "duplicate name {}", m.name);
            assert!(
                m.code.len() == 6
                    && m.code[..3].chars().all(|c| c.is_ascii_uppercase())
                    && m.code[3..].chars().all(|c| c.is_ascii_digit()),
                "code {} is not AAA999",
                m.code
            );
            assert!(
                // Digits are allowed (appgw-v2-…) but a name starts with a letter.
                m.name.starts_with(|c: char| c.is_ascii_lowercase())
                    && m.name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "name {} is not kebab-case",
                m.name
            );
            for (field, text) in [
                ("title", m.title),
                ("what", m.what),
                ("why", m.why),
                ("fix", m.fix),
                ("example", m.example),
            ] {
                assert!(text.trim().len() > 10, "{}: {field} is missing", m.code);
            }
            assert!(
                m.fix.contains("az "),
                "{}: fix has no az CLI command",
                m.code
            );
            assert!(!m.references.is_empty(), "{}: no references", m.code);
            assert!(
                m.references
                    .iter()
                    .all(|u| u.starts_with("https://learn.microsoft.com/")),
                "{}: reference is not Microsoft Learn",
                m.code
            );
            assert!(!m.inputs.is_empty(), "{}: declares no inputs", m.code);
            assert!(
                m.shown_inputs.iter().all(|k| !m.inputs.contains(k)),
                "{}: a kind is both an input and only shown",
                m.code
            );
        }
    }

    #[test]
    fn rules_are_found_by_code_or_name() {
        assert_eq!(
            find("nsg101").unwrap().meta().name,
            "vnet-tag-widened-by-udr"
        );
        assert_eq!(find("pe-zone-not-linked").unwrap().meta().code, "DNS101");
        assert!(find("XYZ999").is_none());
    }
}
