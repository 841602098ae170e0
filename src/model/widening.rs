//! What the `VirtualNetwork` tag, widened by a subnet's UDR prefixes, lets through an NSG: the
//! question behind NSG101 (inbound) and NSG102 (outbound), asked once.

use super::addr::PrefixSet;
use super::facts::Facts;
use super::nsg::{Admission, TrafficClass, admissions};
use super::tags::{TagResolver, UdrContribution, VirtualNetworkTag};
use crate::inventory::network::{Direction, NetworkSecurityGroup, Subnet, VirtualNetwork};

/// Rules that allow the `VirtualNetwork` tag and so admit addresses that are in it only because of
/// the subnet's UDRs.
pub struct Widening {
    pub tag: VirtualNetworkTag,
    /// The addresses in the tag only because of UDRs.
    pub widened: PrefixSet,
    /// Each admitting rule with the widened addresses it admits.
    pub admitting: Vec<(Admission, PrefixSet)>,
}

impl Widening {
    /// The UDRs whose prefixes actually widen the tag (the evidence).
    pub fn routes(&self) -> Vec<&UdrContribution> {
        self.tag
            .udrs
            .iter()
            .filter(|u| {
                PrefixSet::parse(&u.address_prefix).is_some_and(|p| p.intersects(&self.widened))
            })
            .collect()
    }

    /// Why the widening is uncertain, when every widening route has next hop `Internet` or `None`:
    /// Microsoft documents that the tag includes "address prefixes used on user-defined routes"
    /// without saying whether routes that leave the network (`Internet`) or drop traffic (`None`)
    /// count, so the verdict keeps the documented reading at lower confidence.
    pub fn undocumented_next_hops(&self) -> Option<String> {
        let routes = self.routes();
        let all = !routes.is_empty()
            && routes.iter().all(|u| {
                u.next_hop_type.eq_ignore_ascii_case("Internet")
                    || u.next_hop_type.eq_ignore_ascii_case("None")
            });
        all.then(|| {
            "the widening routes have next hop Internet or None: Microsoft does not document whether such routes put their prefixes in the VirtualNetwork tag".to_string()
        })
    }

    /// The next hops of the widening routes, as text (`VirtualAppliance 10.0.1.4`).
    pub fn through(&self) -> String {
        let mut hops: Vec<String> = self
            .routes()
            .iter()
            .map(|u| match &u.next_hop_ip_address {
                Some(ip) => format!("{} {ip}", u.next_hop_type),
                None => u.next_hop_type.clone(),
            })
            .collect();
        hops.sort();
        hops.dedup();
        hops.join(", ")
    }

    /// What the widening exposes: east-west traffic through the routes' next hop, not the Internet.
    /// The platform keeps Internet-sourced traffic out of the widened tag (IP flow verify still
    /// reports a public source as allowed), so what the tag admits beyond the network is every
    /// spoke, peer and on-premises network that reaches the subnet through the next hop.
    pub fn exposure(&self, inbound: bool) -> serde_json::Value {
        serde_json::json!({
            "kind": "east-west",
            "through": self.through(),
            "note": if inbound {
                "every spoke, peer and on-premises network that can route to the subnet through the next hop is admitted; Internet-sourced traffic is filtered out of the widened tag by the platform, so this is not exposure to the Internet (IP flow verify nevertheless reports public sources as allowed)"
            } else {
                "traffic to every network the next hop routes to (other spokes, peers, on-premises) leaves the subnet without the NSG's deny; the appliance alone decides"
            },
        })
    }
}

/// For traffic to (inbound) or from (outbound) `local` in `subnet`, the allow-from/to-VirtualNetwork
/// rules of `nsg` that admit widened addresses; `None` when the tag is not widened or no such rule
/// admits any.
pub fn widened_admissions(
    facts: &Facts<'_>,
    nsg: &NetworkSecurityGroup,
    direction: &Direction,
    subnet: &Subnet,
    vnet: &VirtualNetwork,
    local: PrefixSet,
) -> Option<Widening> {
    let tag = facts.virtual_network_tag(subnet, vnet);
    let widened = tag.widened();
    if widened.is_empty() {
        return None;
    }
    let tag = tag.into_owned();
    let resolver = TagResolver {
        virtual_network: tag.total.clone(),
        virtual_network_base: Some(tag.base.clone()),
        asgs: facts.asg_members(),
        service_tags: facts.idx.service_tags(),
    };
    let admitting: Vec<(Admission, PrefixSet)> =
        admissions(nsg, direction, &TrafficClass::any_to(local), &resolver)
            .into_iter()
            .filter(|a| {
                a.remote
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case("VirtualNetwork"))
            })
            .filter_map(|a| {
                let outside = a.admitted.intersection(&widened);
                (!outside.is_empty()).then_some((a, outside))
            })
            .collect();
    (!admitting.is_empty()).then_some(Widening {
        tag,
        widened,
        admitting,
    })
}
