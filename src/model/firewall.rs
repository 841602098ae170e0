//! Azure Firewall classic rules for one flow. Network rule collections are processed first, in
//! priority order, and the first rule that matches allows or denies; application (FQDN) rules
//! come next; traffic no rule matches is denied (Microsoft Learn: "Azure Firewall rule processing
//! logic"). A firewall whose rules live in a firewall policy is not evaluated (policies are not
//! read), nor are application rules, IP groups, FQDNs in network rules (they need the firewall's
//! DNS proxy) or threat intelligence.

use std::net::IpAddr;

use serde::Serialize;

use super::addr::PrefixSet;
use super::nsg::PortSet;
use super::service_flow::ServiceAddress;
use super::tags::is_non_internet;
use crate::azure::id::last_name;
use crate::inventory::network::{AzureFirewall, FirewallNetworkRule, Protocol};

/// The destination of the flow as far as it is known.
#[derive(Debug, Clone, Copy)]
pub enum FlowEnd<'s> {
    Addr(IpAddr),
    /// A service's public address, known only by its service tags.
    Service(&'s ServiceAddress),
}

/// What the firewall's rules do with a flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FirewallVerdict {
    /// A network rule decides.
    Rule {
        allowed: bool,
        collection: String,
        rule: String,
        priority: u32,
    },
    /// No network rule matches and there are no application rules: denied by default.
    DefaultDeny,
    /// Not decidable offline.
    Open { why: String },
}

#[derive(PartialEq)]
enum Match {
    Yes,
    No,
    Maybe,
}

fn address_entry(entry: &str) -> Option<PrefixSet> {
    let e = entry.trim();
    if e == "*" {
        return Some(PrefixSet::all());
    }
    if let Some(set) = PrefixSet::parse(e) {
        return Some(set);
    }
    let (a, b) = e.split_once('-')?;
    PrefixSet::from_range(a.trim().parse().ok()?, b.trim().parse().ok()?)
}

fn source_match(rule: &FirewallNetworkRule, src: IpAddr) -> Match {
    let mut maybe = !rule.source_ip_groups.is_empty();
    for e in &rule.source_addresses {
        match address_entry(e) {
            Some(set) if set.contains_addr(src) => return Match::Yes,
            Some(_) => {}
            None => maybe = true,
        }
    }
    if maybe { Match::Maybe } else { Match::No }
}

fn destination_match(rule: &FirewallNetworkRule, dst: FlowEnd<'_>) -> Match {
    let mut maybe = !rule.destination_ip_groups.is_empty() || !rule.destination_fqdns.is_empty();
    for e in &rule.destination_addresses {
        match (address_entry(e), dst) {
            (Some(set), FlowEnd::Addr(ip)) if set.contains_addr(ip) => return Match::Yes,
            (Some(set), FlowEnd::Service(_)) if set.contains_set(&PrefixSet::all_v4()) => {
                return Match::Yes;
            }
            // Some public prefixes: the service's address may be among them.
            (Some(set), FlowEnd::Service(_)) if super::tags::has_public_addresses(&set) => {
                maybe = true
            }
            (Some(_), _) => {}
            // A service tag: it holds public addresses of Azure services.
            (None, FlowEnd::Service(s)) if s.names_tag(e) => return Match::Yes,
            (None, FlowEnd::Service(_)) => maybe = true,
            (None, FlowEnd::Addr(ip)) if !is_non_internet(ip) => maybe = true,
            (None, FlowEnd::Addr(_)) => {}
        }
    }
    if maybe { Match::Maybe } else { Match::No }
}

fn protocol_match(rule: &FirewallNetworkRule, protocol: &Protocol) -> bool {
    rule.protocols.iter().any(|p| {
        let p = p.trim();
        p.eq_ignore_ascii_case("Any") || p.eq_ignore_ascii_case(&protocol.to_string())
    })
}

/// Evaluates the classic network rules of `fw` for a flow from `src` to `dst` on `protocol`/`port`.
pub fn evaluate_firewall(
    fw: &AzureFirewall,
    src: IpAddr,
    dst: FlowEnd<'_>,
    protocol: &Protocol,
    port: u16,
) -> FirewallVerdict {
    if let Some(policy) = &fw.properties.firewall_policy {
        return FirewallVerdict::Open {
            why: format!(
                "its rules live in firewall policy {}, which azaudit does not read",
                last_name(&policy.id)
            ),
        };
    }
    let mut collections: Vec<_> = fw.properties.network_rule_collections.iter().collect();
    collections.sort_by_key(|c| c.properties.priority.unwrap_or(u32::MAX));
    for c in collections {
        let collection = c.name.clone().unwrap_or_default();
        let priority = c.properties.priority.unwrap_or(u32::MAX);
        let action = c.properties.action.as_ref().and_then(|a| a.kind.as_deref());
        for r in &c.properties.rules {
            if !protocol_match(r, protocol)
                || !PortSet::parse(r.destination_ports.iter().map(String::as_str)).contains(port)
            {
                continue;
            }
            let (s, d) = (source_match(r, src), destination_match(r, dst));
            let rule = r.name.clone().unwrap_or_default();
            if s == Match::No || d == Match::No {
                continue;
            }
            if s == Match::Yes && d == Match::Yes {
                return FirewallVerdict::Rule {
                    allowed: action.is_some_and(|a| a.eq_ignore_ascii_case("Allow")),
                    collection,
                    rule,
                    priority,
                };
            }
            return FirewallVerdict::Open {
                why: format!(
                    "network rule {rule} of collection {collection} ({priority}) matches only if its IP groups, FQDNs or service tags hold the addresses, which is not known offline"
                ),
            };
        }
    }
    if !fw.properties.application_rule_collections.is_empty() && matches!(protocol, Protocol::Tcp) {
        return FirewallVerdict::Open {
            why: "no network rule matches; its application (FQDN) rules, evaluated next, are not evaluated offline".into(),
        };
    }
    FirewallVerdict::DefaultDeny
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fw(collections: serde_json::Value, app: serde_json::Value) -> AzureFirewall {
        serde_json::from_value(json!({"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/azureFirewalls/fw",
            "properties": {"networkRuleCollections": collections, "applicationRuleCollections": app}}))
        .unwrap()
    }
    fn coll(
        name: &str,
        priority: u32,
        action: &str,
        rules: serde_json::Value,
    ) -> serde_json::Value {
        json!({"name": name, "properties": {"priority": priority, "action": {"type": action}, "rules": rules}})
    }
    fn eval(f: &AzureFirewall, dst: &str, port: u16) -> FirewallVerdict {
        evaluate_firewall(
            f,
            "10.1.1.4".parse().unwrap(),
            FlowEnd::Addr(dst.parse().unwrap()),
            &Protocol::Tcp,
            port,
        )
    }

    #[test]
    fn collections_are_processed_by_priority_and_the_first_match_decides() {
        let f = fw(
            json!([
                coll(
                    "allow-https",
                    200,
                    "Allow",
                    json!([{"name": "spokes", "protocols": ["TCP"], "sourceAddresses": ["10.1.0.0/16"], "destinationAddresses": ["10.2.0.0/16"], "destinationPorts": ["443"]}])
                ),
                coll(
                    "deny-range",
                    100,
                    "Deny",
                    json!([{"name": "legacy", "protocols": ["Any"], "sourceAddresses": ["10.1.1.0-10.1.1.10"], "destinationAddresses": ["10.2.9.0/24"], "destinationPorts": ["*"]}])
                ),
            ]),
            json!([]),
        );
        assert_eq!(
            eval(&f, "10.2.1.4", 443),
            FirewallVerdict::Rule {
                allowed: true,
                collection: "allow-https".into(),
                rule: "spokes".into(),
                priority: 200
            }
        );
        assert!(matches!(
            eval(&f, "10.2.9.4", 443),
            FirewallVerdict::Rule {
                allowed: false,
                priority: 100,
                ..
            }
        ));
        // No rule matches and there are no application rules: denied by default.
        assert_eq!(eval(&f, "10.2.1.4", 22), FirewallVerdict::DefaultDeny);
    }

    #[test]
    fn policies_ip_groups_and_application_rules_leave_it_open() {
        let f = fw(
            json!([coll(
                "c",
                100,
                "Allow",
                json!([{"name": "groups", "protocols": ["TCP"], "sourceIpGroups": ["/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/ipGroups/g"], "destinationAddresses": ["*"], "destinationPorts": ["443"]}])
            )]),
            json!([]),
        );
        assert!(matches!(
            eval(&f, "10.2.1.4", 443),
            FirewallVerdict::Open { .. }
        ));
        let f = fw(json!([]), json!([{"name": "apps"}]));
        assert!(
            matches!(eval(&f, "10.2.1.4", 443), FirewallVerdict::Open { why } if why.contains("application"))
        );
        let mut f = fw(json!([]), json!([]));
        f.properties.firewall_policy =
            Some(serde_json::from_value(json!({"id": "/x/firewallPolicies/afwp"})).unwrap());
        assert!(
            matches!(eval(&f, "10.2.1.4", 443), FirewallVerdict::Open { why } if why.contains("afwp"))
        );
    }

    #[test]
    fn a_service_tag_destination_matches_the_services_public_address() {
        let f = fw(
            json!([coll(
                "kv",
                100,
                "Allow",
                json!([{"name": "vaults", "protocols": ["TCP"], "sourceAddresses": ["*"], "destinationAddresses": ["AzureKeyVault"], "destinationPorts": ["443"]}])
            )]),
            json!([]),
        );
        let kv = ServiceAddress::key_vault(Some("westeurope"));
        let v = evaluate_firewall(
            &f,
            "10.1.1.4".parse().unwrap(),
            FlowEnd::Service(&kv),
            &Protocol::Tcp,
            443,
        );
        assert!(matches!(v, FirewallVerdict::Rule { allowed: true, .. }));
        // The tag holds no private address.
        assert_eq!(eval(&f, "10.2.1.4", 443), FirewallVerdict::DefaultDeny);
    }
}
