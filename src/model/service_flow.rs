//! NSG evaluation of a flow whose remote address is not known offline: the public endpoint of an
//! Azure service (a Key Vault's public address), of which azaudit knows only that it is a public
//! address in the service's tags (`AzureKeyVault`, `AzureKeyVault.<region>`, `AzureCloud`,
//! `Internet`). A rule matches surely when it names `*` or one of those tags, or covers every public
//! address; it surely does not when it names no public address at all; otherwise it may match,
//! and the first rule that may match before a sure one leaves the verdict open.

use serde::Serialize;

use super::addr::PrefixSet;
use super::nsg::{PortSet, Verdict, protocol_covers, rule_sides, rules_in_order};
use super::tags::{TagResolver, public_v4};
use crate::inventory::network::{Access, Direction, NetworkSecurityGroup, Protocol};

/// The public address of a service, as far as it is known offline.
#[derive(Debug, Clone)]
pub struct ServiceAddress {
    /// Service tags the address belongs to, e.g. `AzureKeyVault`, `AzureKeyVault.westeurope`.
    pub tags: Vec<String>,
}

impl ServiceAddress {
    /// A Key Vault's public address in `region` (ARM location, e.g. `westeurope`).
    pub fn key_vault(region: Option<&str>) -> Self {
        let mut tags = vec!["AzureKeyVault".to_string(), "AzureCloud".to_string()];
        if let Some(r) = region.map(|r| r.replace(' ', "")).filter(|r| !r.is_empty()) {
            tags.push(format!("AzureKeyVault.{r}"));
            tags.push(format!("AzureCloud.{r}"));
        }
        ServiceAddress { tags }
    }

    /// The public address of an Azure service azaudit does not know more about: only
    /// `AzureCloud` (every Azure public address), `*` and `Internet` surely hold it.
    pub fn azure_service() -> Self {
        ServiceAddress {
            tags: vec!["AzureCloud".to_string()],
        }
    }

    /// Whether `token` (`*`, `Internet` or a service tag) surely holds the address.
    pub fn names_tag(&self, token: &str) -> bool {
        let t = token.trim();
        t == "*"
            || t.eq_ignore_ascii_case("Any")
            || t.eq_ignore_ascii_case("Internet")
            || self.tags.iter().any(|s| s.eq_ignore_ascii_case(t))
    }
}

/// The outcome of one NSG for such a flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ServiceVerdict {
    /// A rule decides for every address the service may have.
    Decided(Verdict),
    /// This rule decides only if the service's address is among the prefixes it names.
    Open {
        rule: String,
        priority: u32,
        remote: Vec<String>,
    },
}

enum Match {
    Yes,
    No,
    Maybe,
}

fn remote_match(
    tokens: &[&str],
    remote_set: Option<&PrefixSet>,
    service: &ServiceAddress,
    public: &PrefixSet,
) -> Match {
    if tokens.iter().any(|t| service.names_tag(t)) {
        return Match::Yes;
    }
    let Some(set) = remote_set else {
        return Match::Maybe; // an application security group whose members are unknown
    };
    if set.contains_set(public) {
        return Match::Yes;
    }
    // Tokens that are neither prefixes nor tags with known ranges may hold the address.
    let opaque = tokens.iter().any(|t| {
        PrefixSet::parse(t).is_none()
            && !t.eq_ignore_ascii_case("VirtualNetwork")
            && !t.eq_ignore_ascii_case("AzureLoadBalancer")
    });
    if set.intersects(public) || opaque {
        Match::Maybe
    } else {
        Match::No
    }
}

/// Evaluates one NSG for a flow between `local` and the public address of `service`.
pub fn evaluate_service_flow(
    nsg: &NetworkSecurityGroup,
    direction: &Direction,
    local: std::net::IpAddr,
    protocol: &Protocol,
    port: u16,
    service: &ServiceAddress,
    tags: &TagResolver,
) -> Option<ServiceVerdict> {
    let inbound = matches!(direction, Direction::Inbound);
    let public = public_v4();
    for r in rules_in_order(nsg, direction) {
        let p = &r.rule.properties;
        if !protocol_covers(&p.protocol, protocol)
            || !PortSet::parse(p.destination_ports()).contains(port)
        {
            continue;
        }
        let sides = rule_sides(r.rule, inbound, tags);
        let (local_set, remote_set) = match &sides {
            Some((l, rm)) => (Some(l), Some(rm)),
            None => (None, None),
        };
        // The local side is known exactly unless an application security group is unknown.
        if local_set.is_some_and(|l| !l.contains_addr(local)) {
            continue;
        }
        let tokens = if inbound {
            p.sources()
        } else {
            p.destinations()
        };
        let m = if local_set.is_none() {
            Match::Maybe
        } else {
            remote_match(&tokens, remote_set, service, &public)
        };
        match m {
            Match::No => continue,
            Match::Yes => {
                return Some(ServiceVerdict::Decided(Verdict {
                    allowed: matches!(p.access, Access::Allow),
                    rule: r.rule.name.to_string(),
                    priority: p.priority,
                }));
            }
            Match::Maybe => {
                return Some(ServiceVerdict::Open {
                    rule: r.rule.name.to_string(),
                    priority: p.priority,
                    remote: tokens.iter().map(|s| s.to_string()).collect(),
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nsg(rules: serde_json::Value) -> NetworkSecurityGroup {
        serde_json::from_value(json!({"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkSecurityGroups/n",
            "properties": {"securityRules": rules}}))
        .unwrap()
    }
    fn out_rule(name: &str, prio: u32, access: &str, dst: &str, port: &str) -> serde_json::Value {
        json!({"name": name, "properties": {"protocol": "Tcp", "sourcePortRange": "*", "sourceAddressPrefix": "*",
            "destinationAddressPrefix": dst, "destinationPortRange": port,
            "access": access, "priority": prio, "direction": "Outbound"}})
    }
    fn eval(n: &NetworkSecurityGroup) -> Option<ServiceVerdict> {
        let tags = TagResolver::with_virtual_network(PrefixSet::parse("10.1.0.0/16").unwrap());
        evaluate_service_flow(
            n,
            &Direction::Outbound,
            "10.1.1.4".parse().unwrap(),
            &Protocol::Tcp,
            443,
            &ServiceAddress::key_vault(Some("westeurope")),
            &tags,
        )
    }

    #[test]
    fn the_service_tag_and_internet_decide_surely() {
        let n = nsg(json!([out_rule(
            "deny-kv",
            100,
            "Deny",
            "AzureKeyVault.WestEurope",
            "443"
        )]));
        assert!(
            matches!(eval(&n), Some(ServiceVerdict::Decided(v)) if !v.allowed && v.rule == "deny-kv")
        );
        let n = nsg(json!([out_rule(
            "deny-internet",
            100,
            "Deny",
            "Internet",
            "*"
        )]));
        assert!(matches!(eval(&n), Some(ServiceVerdict::Decided(v)) if !v.allowed));
        // No user rule: AllowInternetOutBound (65001) admits it; AllowVnetOutBound does not match.
        let n = nsg(json!([]));
        assert!(
            matches!(eval(&n), Some(ServiceVerdict::Decided(v)) if v.allowed && v.rule == "AllowInternetOutBound")
        );
    }

    #[test]
    fn another_services_address_is_not_in_the_key_vault_tag() {
        let n = nsg(json!([
            out_rule("deny-kv", 100, "Deny", "AzureKeyVault", "443"),
            out_rule("allow-azure", 200, "Allow", "AzureCloud", "443"),
        ]));
        let tags = TagResolver::with_virtual_network(PrefixSet::parse("10.1.0.0/16").unwrap());
        let v = evaluate_service_flow(
            &n,
            &Direction::Outbound,
            "10.1.1.4".parse().unwrap(),
            &Protocol::Tcp,
            443,
            &ServiceAddress::azure_service(),
            &tags,
        );
        // The Key Vault tag may or may not hold another service's address: not decided by it.
        assert!(
            matches!(&v, Some(ServiceVerdict::Open { rule, .. }) if rule == "deny-kv"),
            "{v:?}"
        );
    }

    #[test]
    fn private_prefixes_and_other_ports_are_skipped_public_prefixes_leave_it_open() {
        let n = nsg(json!([
            out_rule("deny-private", 100, "Deny", "10.0.0.0/8", "443"),
            out_rule("deny-ssh", 110, "Deny", "*", "22"),
            out_rule("deny-some-public", 120, "Deny", "52.0.0.0/8", "443"),
        ]));
        match eval(&n) {
            Some(ServiceVerdict::Open { rule, priority, .. }) => {
                assert_eq!((rule.as_str(), priority), ("deny-some-public", 120))
            }
            other => panic!("{other:?}"),
        }
        // Another region's Key Vault tag may not hold this vault's address either way.
        let n = nsg(json!([out_rule(
            "deny-other",
            100,
            "Deny",
            "Storage",
            "443"
        )]));
        assert!(matches!(eval(&n), Some(ServiceVerdict::Open { .. })));
    }
}
