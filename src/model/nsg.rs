//! NSG evaluation: rules in priority order (user rules 100–4096, then the defaults), singular and
//! plural prefix/port fields, port ranges, `*` and service tags. "Once traffic matches a rule,
//! processing stops" (Microsoft: network-security-groups-overview).

use serde::Serialize;

use super::addr::PrefixSet;
use super::tags::TagResolver;
use crate::inventory::network::{Access, Direction, NetworkSecurityGroup, Protocol, SecurityRule};

/// A set of ports as merged inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSet(Vec<(u16, u16)>);

impl PortSet {
    pub fn all() -> Self {
        PortSet(vec![(0, u16::MAX)])
    }
    /// Parses `*`, `443` or `8000-8100` tokens; unparsable tokens are ignored.
    pub fn parse<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Self {
        let mut ranges = Vec::new();
        for t in tokens {
            let t = t.trim();
            if t == "*" {
                return PortSet::all();
            }
            let range = match t.split_once('-') {
                Some((a, b)) => a.trim().parse().ok().zip(b.trim().parse().ok()),
                None => t.parse().ok().map(|p| (p, p)),
            };
            if let Some((a, b)) = range.filter(|(a, b)| a <= b) {
                ranges.push((a, b));
            }
        }
        ranges.sort();
        let mut merged: Vec<(u16, u16)> = Vec::new();
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        PortSet(merged)
    }
    pub fn is_all(&self) -> bool {
        self.0 == [(0, u16::MAX)]
    }
    pub fn contains(&self, port: u16) -> bool {
        self.0.iter().any(|&(a, b)| a <= port && port <= b)
    }
    /// Whether every port of `other` is in `self`.
    pub fn covers(&self, other: &PortSet) -> bool {
        other
            .0
            .iter()
            .all(|&(a, b)| self.0.iter().any(|&(x, y)| x <= a && b <= y))
    }
    pub fn intersects(&self, other: &PortSet) -> bool {
        self.0
            .iter()
            .any(|&(a, b)| other.0.iter().any(|&(x, y)| a <= y && x <= b))
    }
}

/// Whether protocol `a` covers every packet of protocol `b`.
pub fn protocol_covers(a: &Protocol, b: &Protocol) -> bool {
    matches!(a, Protocol::Any) || a == b
}

/// A rule of an NSG with whether it is one of the six defaults.
#[derive(Debug, Clone, Copy)]
pub struct OrderedRule<'a> {
    pub rule: &'a SecurityRule,
    pub is_default: bool,
}

/// The rules of one direction, user and default, in evaluation order. When ARM's payload lacks the
/// default rules (some list responses), the documented defaults are used.
pub fn rules_in_order<'a>(
    nsg: &'a NetworkSecurityGroup,
    direction: &Direction,
) -> Vec<OrderedRule<'a>> {
    let user = nsg.properties.security_rules.iter().map(|r| OrderedRule {
        rule: r,
        is_default: false,
    });
    let defaults: Vec<OrderedRule<'a>> = if nsg.properties.default_security_rules.is_empty() {
        DEFAULT_RULES
            .iter()
            .map(|r| OrderedRule {
                rule: r,
                is_default: true,
            })
            .collect()
    } else {
        nsg.properties
            .default_security_rules
            .iter()
            .map(|r| OrderedRule {
                rule: r,
                is_default: true,
            })
            .collect()
    };
    let mut rules: Vec<OrderedRule<'a>> = user
        .chain(defaults)
        .filter(|r| &r.rule.properties.direction == direction)
        .collect();
    rules.sort_by_key(|r| (r.rule.properties.priority, r.is_default));
    rules
}

/// The six default rules as Azure documents and returns them.
pub static DEFAULT_RULES: std::sync::LazyLock<Vec<SecurityRule>> = std::sync::LazyLock::new(|| {
    let rule = |name: &str, dir: &str, prio: u32, src: &str, dst: &str, access: &str| {
        serde_json::from_value::<SecurityRule>(serde_json::json!({
            "name": name,
            "properties": {
                "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
                "sourceAddressPrefix": src, "destinationAddressPrefix": dst,
                "access": access, "priority": prio, "direction": dir
            }
        }))
        .expect("static default rule")
    };
    vec![
        rule(
            "AllowVnetInBound",
            "Inbound",
            65000,
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
        ),
        rule(
            "AllowAzureLoadBalancerInBound",
            "Inbound",
            65001,
            "AzureLoadBalancer",
            "*",
            "Allow",
        ),
        rule("DenyAllInBound", "Inbound", 65500, "*", "*", "Deny"),
        rule(
            "AllowVnetOutBound",
            "Outbound",
            65000,
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
        ),
        rule(
            "AllowInternetOutBound",
            "Outbound",
            65001,
            "*",
            "Internet",
            "Allow",
        ),
        rule("DenyAllOutBound", "Outbound", 65500, "*", "*", "Deny"),
    ]
});

/// The addresses a list of rule tokens covers, and whether that is exact.
pub fn token_set(tokens: &[&str], tags: &TagResolver) -> (PrefixSet, bool) {
    let mut set = PrefixSet::empty();
    let mut exact = true;
    for t in tokens {
        let r = tags.resolve(t);
        set = set.union(&r.set);
        exact &= r.exact;
    }
    (set, exact)
}

/// The (local, remote) address sets of a rule for a direction, with application security groups
/// expanded through NIC membership. `None` when a group's members are unknown.
pub fn rule_sides(
    rule: &SecurityRule,
    inbound: bool,
    tags: &TagResolver,
) -> Option<(PrefixSet, PrefixSet)> {
    let p = &rule.properties;
    let side = |tokens: Vec<&str>, asgs: &[crate::inventory::SubResource]| -> Option<PrefixSet> {
        if asgs.is_empty() {
            Some(token_set(&tokens, tags).0)
        } else {
            let (set, known) = tags.resolve_asgs(asgs);
            known.then_some(set)
        }
    };
    let src = side(p.sources(), p.source_application_security_groups())?;
    let dst = side(
        p.destinations(),
        p.destination_application_security_groups(),
    )?;
    Some(if inbound { (dst, src) } else { (src, dst) })
}

/// The traffic a question is about, on the side that is not varied.
#[derive(Debug, Clone)]
pub struct TrafficClass {
    pub protocol: Protocol,
    pub ports: PortSet,
    /// Addresses of the protected side (the destination for inbound, the source for outbound).
    pub local: PrefixSet,
}

impl TrafficClass {
    /// All protocols and ports to (inbound) or from (outbound) `local`.
    pub fn any_to(local: PrefixSet) -> Self {
        TrafficClass {
            protocol: Protocol::Any,
            ports: PortSet::all(),
            local,
        }
    }
}

/// An allow rule and the remote addresses it admits that no earlier rule decided.
#[derive(Debug, Clone, Serialize)]
pub struct Admission {
    pub rule: String,
    pub priority: u32,
    pub is_default: bool,
    /// The rule's remote-side tokens as written (`VirtualNetwork`, `10.0.0.0/8`, …).
    pub remote: Vec<String>,
    #[serde(serialize_with = "ser_set")]
    pub admitted: PrefixSet,
}

fn ser_set<S: serde::Serializer>(set: &PrefixSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.to_strings())
}

/// Which remote addresses an NSG admits for some traffic within `class`, rule by rule.
///
/// An allow rule that overlaps the class admits the still-undecided remote addresses it names. A
/// deny rule removes remote addresses only when it covers the whole class (every protocol and port
/// of it, and all of the local side): a deny on port 22 does not stop traffic on port 443, so the
/// answer is "admitted for some traffic in the class". Opaque service tags in a deny remove nothing.
pub fn admissions(
    nsg: &NetworkSecurityGroup,
    direction: &Direction,
    class: &TrafficClass,
    tags: &TagResolver,
) -> Vec<Admission> {
    let inbound = matches!(direction, Direction::Inbound);
    let mut undecided = PrefixSet::all();
    let mut out = Vec::new();
    for r in rules_in_order(nsg, direction) {
        let p = &r.rule.properties;
        let remote_tokens = if inbound {
            p.sources()
        } else {
            p.destinations()
        };
        let Some((local, remote)) = rule_sides(r.rule, inbound, tags) else {
            // An application security group whose members are unknown: nothing provable.
            continue;
        };
        let ports = PortSet::parse(p.destination_ports());
        let overlaps = (matches!(p.protocol, Protocol::Any)
            || matches!(class.protocol, Protocol::Any)
            || p.protocol == class.protocol)
            && ports.intersects(&class.ports)
            && local.intersects(&class.local);
        if !overlaps {
            continue;
        }
        match p.access {
            Access::Allow => {
                let admitted = remote.intersection(&undecided);
                if !admitted.is_empty() {
                    out.push(Admission {
                        rule: r.rule.name.to_string(),
                        priority: p.priority,
                        is_default: r.is_default,
                        remote: remote_tokens.iter().map(|s| s.to_string()).collect(),
                        admitted,
                    });
                }
                // An allow that covers the whole class decides these addresses.
                if protocol_covers(&p.protocol, &class.protocol)
                    && ports.covers(&class.ports)
                    && local.contains_set(&class.local)
                {
                    undecided = undecided.difference(&remote);
                }
            }
            Access::Deny
                if protocol_covers(&p.protocol, &class.protocol)
                    && ports.covers(&class.ports)
                    && local.contains_set(&class.local) =>
            {
                undecided = undecided.difference(&remote);
            }
            _ => {}
        }
    }
    out
}

/// The verdict for one concrete flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub allowed: bool,
    pub rule: String,
    pub priority: u32,
}

/// Evaluates one flow against one NSG: the first matching rule decides.
pub fn evaluate(
    nsg: &NetworkSecurityGroup,
    direction: &Direction,
    remote: std::net::IpAddr,
    local: std::net::IpAddr,
    protocol: &Protocol,
    port: u16,
    tags: &TagResolver,
) -> Option<Verdict> {
    let inbound = matches!(direction, Direction::Inbound);
    if is_platform_service(direction, remote) && !mentions_platform_tag(nsg) {
        // DHCP, DNS and IMDS through the host addresses are not subject to NSG rules unless a rule
        // targets an AzurePlatform* tag. Load balancer health probes (inbound from 168.63.129.16)
        // are: a deny before AllowAzureLoadBalancerInBound breaks them.
        return Some(Verdict {
            allowed: true,
            rule: "platform traffic (not subject to NSG rules)".into(),
            priority: 0,
        });
    }
    for r in rules_in_order(nsg, direction) {
        let p = &r.rule.properties;
        let Some((local_set, remote_set)) = rule_sides(r.rule, inbound, tags) else {
            continue;
        };
        if protocol_covers(&p.protocol, protocol)
            && PortSet::parse(p.destination_ports()).contains(port)
            && remote_set.contains_addr(remote)
            && local_set.contains_addr(local)
        {
            return Some(Verdict {
                allowed: matches!(p.access, Access::Allow),
                rule: r.rule.name.to_string(),
                priority: p.priority,
            });
        }
    }
    None
}

/// The verdict of one NSG layer (subnet or NIC) for a flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerVerdict {
    /// `subnet` or `nic`.
    pub layer: &'static str,
    pub network_security_group: Option<String>,
    /// `None` when the layer has no NSG (or the NSG does not apply): it lets everything through.
    pub verdict: Option<Verdict>,
}

/// A flow through both NSG layers: inbound the subnet's NSG then the NIC's, outbound the reverse.
/// Traffic passes only if every layer that applies allows it. `nsg_applies_to_nic` is false for a
/// private endpoint whose subnet does not enable network policies for NSGs.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_layers(
    subnet_nsg: Option<&NetworkSecurityGroup>,
    nic_nsg: Option<&NetworkSecurityGroup>,
    nsgs_apply: bool,
    direction: &Direction,
    remote: std::net::IpAddr,
    local: std::net::IpAddr,
    protocol: &Protocol,
    port: u16,
    tags: &TagResolver,
) -> (bool, Vec<LayerVerdict>) {
    let mut layers = vec![("subnet", subnet_nsg), ("nic", nic_nsg)];
    if matches!(direction, Direction::Outbound) {
        layers.reverse();
    }
    let mut out = Vec::new();
    let mut allowed = true;
    for (layer, nsg) in layers {
        let verdict = match nsg.filter(|_| nsgs_apply) {
            Some(n) => evaluate(n, direction, remote, local, protocol, port, tags),
            None => None,
        };
        if let Some(v) = &verdict {
            allowed &= v.allowed;
        }
        out.push(LayerVerdict {
            layer,
            network_security_group: nsg.map(|n| n.id.clone()),
            verdict,
        });
        if !allowed {
            break; // the first layer that denies ends evaluation
        }
    }
    (allowed, out)
}

/// Traffic to the host's platform services that NSG rules do not govern: anything to IMDS
/// (169.254.169.254) and outbound traffic to the host's virtual IP 168.63.129.16 (DNS, DHCP,
/// WireServer). Inbound traffic from 168.63.129.16 is load balancer probing and follows the rules.
pub fn is_platform_service(direction: &Direction, remote: std::net::IpAddr) -> bool {
    remote == std::net::IpAddr::from([169, 254, 169, 254])
        || (matches!(direction, Direction::Outbound)
            && remote == std::net::IpAddr::from([168, 63, 129, 16]))
}

fn mentions_platform_tag(nsg: &NetworkSecurityGroup) -> bool {
    nsg.properties.security_rules.iter().any(|r| {
        r.properties
            .sources()
            .into_iter()
            .chain(r.properties.destinations())
            .any(|t| t.to_ascii_lowercase().starts_with("azureplatform"))
    })
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
    fn rule(
        name: &str,
        prio: u32,
        access: &str,
        src: serde_json::Value,
        port: serde_json::Value,
    ) -> serde_json::Value {
        let mut props = json!({"protocol": "Tcp", "sourcePortRange": "*", "destinationAddressPrefix": "*",
            "access": access, "priority": prio, "direction": "Inbound"});
        match src {
            serde_json::Value::Array(_) => props["sourceAddressPrefixes"] = src,
            _ => props["sourceAddressPrefix"] = src,
        }
        match port {
            serde_json::Value::Array(_) => props["destinationPortRanges"] = port,
            _ => props["destinationPortRange"] = port,
        }
        json!({"name": name, "properties": props})
    }
    fn tags(vnet: &str) -> TagResolver {
        // As Azure expands it: the VNet space plus the host's virtual IP.
        TagResolver::with_virtual_network(
            PrefixSet::parse(vnet)
                .unwrap()
                .union(&PrefixSet::parse(crate::model::tags::HOST_VIP).unwrap()),
        )
    }

    #[test]
    fn port_sets_parse_ranges_and_stars() {
        let p = PortSet::parse(["80", "443", "8000-8100"]);
        assert!(p.contains(8050) && p.contains(443) && !p.contains(22));
        assert!(PortSet::parse(["*"]).is_all());
        assert!(PortSet::parse(["0-65535"]).is_all());
        assert!(PortSet::all().covers(&p));
        assert!(!p.covers(&PortSet::parse(["22"])));
    }

    #[test]
    fn higher_priority_deny_hides_a_later_allow() {
        let n = nsg(json!([
            rule("deny-ssh", 100, "Deny", json!("*"), json!("22")),
            rule("allow-ssh", 200, "Allow", json!("Internet"), json!("22")),
        ]));
        let v = evaluate(
            &n,
            &Direction::Inbound,
            "8.8.8.8".parse().unwrap(),
            "10.0.0.4".parse().unwrap(),
            &Protocol::Tcp,
            22,
            &tags("10.0.0.0/16"),
        )
        .unwrap();
        assert_eq!((v.allowed, v.rule.as_str()), (false, "deny-ssh"));
    }

    #[test]
    fn plural_fields_are_read() {
        let n = nsg(json!([rule(
            "allow-mgmt",
            100,
            "Allow",
            json!(["203.0.113.0/24", "198.51.100.7"]),
            json!(["22", "3389"])
        )]));
        let v = evaluate(
            &n,
            &Direction::Inbound,
            "198.51.100.7".parse().unwrap(),
            "10.0.0.4".parse().unwrap(),
            &Protocol::Tcp,
            3389,
            &tags("10.0.0.0/16"),
        )
        .unwrap();
        assert_eq!((v.allowed, v.rule.as_str()), (true, "allow-mgmt"));
    }

    #[test]
    fn defaults_apply_when_no_user_rule_matches() {
        let n = nsg(json!([]));
        let t = tags("10.0.0.0/16");
        let eval = |src: &str| {
            evaluate(
                &n,
                &Direction::Inbound,
                src.parse().unwrap(),
                "10.0.0.4".parse().unwrap(),
                &Protocol::Tcp,
                443,
                &t,
            )
            .unwrap()
        };
        assert_eq!(eval("10.0.9.9").rule, "AllowVnetInBound");
        // Inbound from the host VIP is load balancer probing: the rules apply (it is in VirtualNetwork).
        assert_eq!(eval("168.63.129.16").rule, "AllowVnetInBound");
        let out = |dst: &str| {
            evaluate(
                &n,
                &Direction::Outbound,
                dst.parse().unwrap(),
                "10.0.0.4".parse().unwrap(),
                &Protocol::Udp,
                53,
                &t,
            )
            .unwrap()
        };
        assert_eq!(
            out("168.63.129.16").rule,
            "platform traffic (not subject to NSG rules)"
        );
        assert_eq!(
            out("169.254.169.254").rule,
            "platform traffic (not subject to NSG rules)"
        );
        assert_eq!(eval("8.8.8.8").rule, "DenyAllInBound");
    }

    #[test]
    fn both_layers_must_allow_and_the_first_deny_ends_evaluation() {
        let t = tags("10.0.0.0/16");
        let allow = nsg(json!([rule(
            "allow-https",
            100,
            "Allow",
            json!("Internet"),
            json!("443")
        )]));
        let deny = nsg(json!([rule(
            "deny-https",
            100,
            "Deny",
            json!("*"),
            json!("443")
        )]));
        let src = "203.0.113.5".parse().unwrap();
        let dst = "10.0.0.4".parse().unwrap();
        let (ok, layers) = evaluate_layers(
            Some(&allow),
            Some(&allow),
            true,
            &Direction::Inbound,
            src,
            dst,
            &Protocol::Tcp,
            443,
            &t,
        );
        assert!(ok);
        assert_eq!(layers.len(), 2);
        let (ok, layers) = evaluate_layers(
            Some(&allow),
            Some(&deny),
            true,
            &Direction::Inbound,
            src,
            dst,
            &Protocol::Tcp,
            443,
            &t,
        );
        assert!(!ok);
        assert_eq!(layers[1].verdict.as_ref().unwrap().rule, "deny-https");
        // Outbound starts at the NIC: a NIC deny stops the flow before the subnet NSG is consulted.
        let mut out_deny = deny.clone();
        let mut rules = deny.properties.security_rules.to_vec();
        rules[0].properties.direction = Direction::Outbound;
        out_deny.properties.security_rules = crate::inventory::network::SecurityRules::user(rules);
        let (ok, layers) = evaluate_layers(
            Some(&allow),
            Some(&out_deny),
            true,
            &Direction::Outbound,
            src,
            dst,
            &Protocol::Tcp,
            443,
            &t,
        );
        assert!(!ok);
        assert_eq!((layers.len(), layers[0].layer), (1, "nic"));
        // A private endpoint whose subnet does not enable NSG policies ignores both NSGs.
        let (ok, _) = evaluate_layers(
            Some(&deny),
            Some(&deny),
            false,
            &Direction::Inbound,
            src,
            dst,
            &Protocol::Tcp,
            443,
            &t,
        );
        assert!(ok);
    }

    #[test]
    fn application_security_groups_resolve_through_nic_membership() {
        let asg = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/applicationSecurityGroups/web";
        let mut r = rule("allow-web", 100, "Allow", json!("*"), json!("443"));
        r["properties"]["destinationApplicationSecurityGroups"] = json!([{"id": asg}]);
        let n = nsg(json!([r]));
        let mut t = tags("10.0.0.0/16");
        let eval = |t: &TagResolver, dst: &str| {
            evaluate(
                &n,
                &Direction::Inbound,
                "203.0.113.5".parse().unwrap(),
                dst.parse().unwrap(),
                &Protocol::Tcp,
                443,
                t,
            )
            .unwrap()
        };
        // Unknown membership: the rule cannot be proven to match; the defaults decide.
        assert_eq!(eval(&t, "10.0.0.4").rule, "DenyAllInBound");
        std::sync::Arc::make_mut(&mut t.asgs).insert(
            crate::azure::id::id_key(asg),
            PrefixSet::parse("10.0.0.4").unwrap(),
        );
        assert_eq!(eval(&t, "10.0.0.4").rule, "allow-web");
        assert_eq!(eval(&t, "10.0.0.5").rule, "DenyAllInBound");
    }

    #[test]
    fn admissions_respect_full_denies_but_not_partial_ones() {
        let t = TagResolver::with_virtual_network(PrefixSet::parse("0.0.0.0/0").unwrap()); // widened by a 0.0.0.0/0 UDR
        let class = TrafficClass::any_to(PrefixSet::parse("10.1.1.0/24").unwrap());
        let partial = nsg(json!([rule(
            "deny-ssh",
            100,
            "Deny",
            json!("*"),
            json!("22")
        )]));
        let a = admissions(&partial, &Direction::Inbound, &class, &t);
        assert_eq!(a[0].rule, "AllowVnetInBound");
        assert_eq!(a[0].admitted.to_strings(), vec!["0.0.0.0/0"]);

        let mut full = rule("deny-all", 4096, "Deny", json!("*"), json!("*"));
        full["properties"]["protocol"] = json!("*");
        let denied = nsg(json!([full]));
        assert!(admissions(&denied, &Direction::Inbound, &class, &t).is_empty());
    }
}
