//! Small helpers shared by the rules of this catalogue: names and resource groups from ids, coverage
//! gaps per subscription, provider registrations, and compact port lists for evidence.

use std::net::{IpAddr, Ipv4Addr};

use crate::azure::ResourceId;
use crate::azure::id::subscription_of;
use crate::inventory::network::{Access, Direction, NetworkSecurityGroup, SecurityRule};
use crate::inventory::resources::RegistrationState;
use crate::inventory::{CoverageGap, ResourceKind};
use crate::model::addr::PrefixSet;

use super::Context;

/// The resource group named by an id, or `<rg>`.
pub fn rg_of(id: &str) -> String {
    ResourceId::parse(id)
        .ok()
        .and_then(|r| r.resource_group().map(str::to_string))
        .unwrap_or_else(|| "<rg>".into())
}

/// The last name of an id.
pub fn name_of(id: &str) -> &str {
    crate::azure::id::last_name(id)
}

/// The lower-case resource type of an id (`microsoft.network/networksecuritygroups`).
pub fn type_of(id: &str) -> String {
    ResourceId::parse(id)
        .map(|r| r.resource_type().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Coverage gaps of `kinds` that touch subscription `sub` (gaps without a subscription touch all).
pub fn gaps_in<'a>(
    cx: &'a Context<'_>,
    kinds: &'a [ResourceKind],
    sub: &str,
) -> Vec<&'a CoverageGap> {
    cx.coverage
        .gaps_for(kinds)
        .filter(|g| {
            g.subscription_id
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case(sub))
        })
        .collect()
}

/// What the inventory says about one provider's registration in one subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderState {
    Known(RegistrationState),
    /// The registration could not be read; the reason says why.
    Unknown(String),
}

/// The registration state of provider namespace `ns` in subscription `sub`, or why it is unknown.
pub fn provider_state(cx: &Context<'_>, sub: &str, ns: &str) -> ProviderState {
    let gaps = gaps_in(cx, &[ResourceKind::ResourceProvider], sub);
    if let Some(g) = gaps.first() {
        return ProviderState::Unknown(format!(
            "the resource providers of subscription {sub} could not be read: {}",
            g.message
        ));
    }
    let of_sub = cx.idx.providers_of(sub);
    if of_sub.is_empty() {
        return ProviderState::Unknown(format!(
            "the inventory holds no resource provider registrations of subscription {sub}"
        ));
    }
    match of_sub.iter().find(|p| p.namespace.eq_ignore_ascii_case(ns)) {
        Some(p) => match &p.registration_state {
            Some(s) => ProviderState::Known(s.clone()),
            None => ProviderState::Unknown(format!(
                "{ns} in subscription {sub} has no registrationState"
            )),
        },
        None => ProviderState::Unknown(format!(
            "{ns} is not among the {} provider registrations read for subscription {sub}",
            of_sub.len()
        )),
    }
}

/// The severity for a provider registration that is not `Registered` (`Registering` is low), or
/// `None` when it is registered.
pub fn provider_severity(
    state: &RegistrationState,
    default: crate::findings::Severity,
) -> Option<crate::findings::Severity> {
    match state {
        RegistrationState::Registered => None,
        RegistrationState::Registering => Some(crate::findings::Severity::Low),
        _ => Some(default),
    }
}

/// A representative host address of a prefix set: the fifth address of its first IPv4 range (Azure
/// reserves the first four of a subnet), or the first address when the range is smaller.
pub fn host_in(set: &PrefixSet) -> Option<IpAddr> {
    host_in_skipping(set, &[])
}

/// Like [`host_in`], avoiding the given addresses.
pub fn host_in_skipping(set: &PrefixSet, avoid: &[IpAddr]) -> Option<IpAddr> {
    let first = set.to_cidrs().into_iter().find(|n| n.addr().is_ipv4())?;
    let base = match first.network() {
        IpAddr::V4(a) => u32::from(a),
        IpAddr::V6(_) => return None,
    };
    let last = match first.broadcast() {
        IpAddr::V4(a) => u32::from(a),
        IpAddr::V6(_) => return None,
    };
    let start = if last - base >= 8 { base + 4 } else { base };
    (start..=last)
        .map(|a| IpAddr::V4(Ipv4Addr::from(a)))
        .find(|a| !avoid.contains(a))
}

/// Port numbers as compact ranges: `[22, 3389]` → `"22,3389"`, `65200..=65535` → `"65200-65535"`.
pub fn port_ranges(ports: &[u16]) -> String {
    let mut sorted = ports.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(",")
}

/// Whether an address token means "every address" (`*`, `Any`, `0.0.0.0/0`, `Internet`).
pub fn is_everything_or_internet(token: &str) -> bool {
    let t = token.trim();
    t == "*"
        || t.eq_ignore_ascii_case("Any")
        || t == "0.0.0.0/0"
        || t.eq_ignore_ascii_case("Internet")
}

/// Whether an address token means every address (`*`, `Any`, `0.0.0.0/0`).
pub fn is_everything(token: &str) -> bool {
    let t = token.trim();
    t == "*" || t.eq_ignore_ascii_case("Any") || t == "0.0.0.0/0"
}

/// User rules (not defaults) of one direction and access, in priority order.
pub fn user_rules<'a>(
    nsg: &'a NetworkSecurityGroup,
    direction: &Direction,
    access: &Access,
) -> Vec<&'a SecurityRule> {
    let mut v: Vec<&SecurityRule> = nsg
        .properties
        .security_rules
        .iter()
        .filter(|r| &r.properties.direction == direction && &r.properties.access == access)
        .collect();
    v.sort_by_key(|r| r.properties.priority);
    v
}

/// `az network nsg rule create` for one rule, for remediation text.
pub fn nsg_rule_cmd(nsg_id: &str, name: &str, rest: &str) -> String {
    format!(
        "az network nsg rule create --resource-group {} --nsg-name {} --name {name} {rest}",
        rg_of(nsg_id),
        name_of(nsg_id)
    )
}

/// A subnet with an NSG and a route table, both in the inventory, and its address prefixes.
pub struct RoutedSubnet<'a> {
    pub subnet: &'a crate::inventory::network::Subnet,
    pub vnet: &'a crate::inventory::network::VirtualNetwork,
    pub nsg: &'a NetworkSecurityGroup,
    pub route_table_id: &'a str,
    pub local: PrefixSet,
}

/// Every subnet that has both an NSG and a route table. Those whose NSG or route table is missing
/// from the inventory, or whose prefixes do not parse, are reported as not evaluated.
pub fn routed_subnets<'a>(cx: &Context<'a>, out: &mut super::Sink) -> Vec<RoutedSubnet<'a>> {
    let mut found = Vec::new();
    for (subnet, vnet) in cx.idx.all_subnets() {
        let (Some(nsg_ref), Some(rt_ref)) = (
            subnet.properties.network_security_group.as_ref(),
            subnet.properties.route_table.as_ref(),
        ) else {
            continue;
        };
        let Some(nsg) = cx.idx.nsg(&nsg_ref.id) else {
            out.not_evaluated(
                &subnet.id,
                format!("its NSG {} is not in the inventory", nsg_ref.id),
            );
            continue;
        };
        if cx.idx.route_table(&rt_ref.id).is_none() {
            out.not_evaluated(
                &subnet.id,
                format!("its route table {} is not in the inventory", rt_ref.id),
            );
            continue;
        }
        let local = crate::model::tags::subnet_prefixes(subnet);
        if local.is_empty() {
            out.not_evaluated(&subnet.id, "it has no parsable address prefix".into());
            continue;
        }
        found.push(RoutedSubnet {
            subnet,
            vnet,
            nsg,
            route_table_id: &rt_ref.id,
            local,
        });
    }
    found
}

/// A peered VNet the inventory does not hold because its subscription was not scanned.
struct UnreadPeer {
    vnet_id: String,
    subscription: String,
    space: PrefixSet,
}

/// The address spaces of peered VNets in subscriptions outside the scan, as the peerings of
/// scanned VNets describe them: an appliance addressed there (a hub firewall in a connectivity
/// subscription) may well exist, and nothing about it was read.
pub struct UnreadPeers(Vec<UnreadPeer>);

impl UnreadPeers {
    pub fn new(cx: &Context<'_>) -> Self {
        let scanned = |sub: &str| cx.scope.iter().any(|s| s.eq_ignore_ascii_case(sub));
        let mut out: Vec<UnreadPeer> = Vec::new();
        for v in &cx.inv.virtual_networks {
            for p in &v.properties.virtual_network_peerings {
                let Some(remote) = p.properties.remote_virtual_network.as_ref() else {
                    continue;
                };
                let Some(sub) = subscription_of(&remote.id) else {
                    continue;
                };
                if scanned(&sub)
                    || cx.idx.vnet(&remote.id).is_some()
                    || out
                        .iter()
                        .any(|u| u.vnet_id.eq_ignore_ascii_case(&remote.id))
                {
                    continue;
                }
                let space = PrefixSet::union_all(
                    p.remote_prefixes().into_iter().filter_map(PrefixSet::parse),
                );
                out.push(UnreadPeer {
                    vnet_id: remote.id.clone(),
                    subscription: sub,
                    space,
                });
            }
        }
        Self(out)
    }

    /// Why nothing can be said of `ip` when it lies in an unread peer's space.
    pub fn holding(&self, ip: &str) -> Option<String> {
        let addr: IpAddr = ip.trim().parse().ok()?;
        self.0.iter().find(|p| p.space.contains_addr(addr)).map(|p| {
            format!(
                "{} is inside peered VNet {} of subscription {}, which is outside the scan: its NICs and firewalls were not read",
                ip.trim(),
                crate::azure::id::last_name(&p.vnet_id),
                p.subscription
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges_compress() {
        assert_eq!(port_ranges(&[3389, 22]), "22,3389");
        let r: Vec<u16> = (65200..=65535).collect();
        assert_eq!(port_ranges(&r), "65200-65535");
    }

    #[test]
    fn host_skips_reserved_and_avoided_addresses() {
        let s = PrefixSet::parse("10.1.3.0/24").unwrap();
        assert_eq!(host_in(&s).unwrap().to_string(), "10.1.3.4");
        let avoid = ["10.1.3.4".parse().unwrap()];
        assert_eq!(
            host_in_skipping(&s, &avoid).unwrap().to_string(),
            "10.1.3.5"
        );
    }
}
