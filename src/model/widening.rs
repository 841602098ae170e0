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
        asgs: facts.asg_members(),
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
