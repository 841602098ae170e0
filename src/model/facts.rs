//! Answers that many rules need about the same subnet — its `VirtualNetwork` tag, its effective
//! routes, the members of each application security group — computed once per scan on first use
//! and shared, instead of each rule (and each NIC, port and probe within a rule) computing them again.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::addr::PrefixSet;
use super::routes::{EffectiveRoute, effective_routes};
use super::tags::{TagResolver, VirtualNetworkTag, asg_members, virtual_network_tag};
use crate::azure::id::{IdKey, IdRef};
use crate::inventory::Index;
use crate::inventory::network::{Subnet, VirtualNetwork};

/// Per-scan memo of subnet-level model answers over one [`Index`].
pub struct Facts<'a> {
    pub idx: &'a Index<'a>,
    /// subnet id → slot in the vectors below
    slots: HashMap<IdKey<'a>, usize>,
    tags: Vec<OnceLock<VirtualNetworkTag>>,
    routes: Vec<OnceLock<Vec<EffectiveRoute>>>,
    asgs: OnceLock<Arc<HashMap<String, PrefixSet>>>,
}

impl<'a> Facts<'a> {
    pub fn new(idx: &'a Index<'a>) -> Self {
        let slots: HashMap<IdKey<'a>, usize> = idx
            .all_subnets()
            .enumerate()
            .map(|(i, (s, _))| (IdKey::new(&s.id), i))
            .collect();
        let n = slots.len().max(idx.all_subnets().count());
        Facts {
            idx,
            slots,
            tags: (0..n).map(|_| OnceLock::new()).collect(),
            routes: (0..n).map(|_| OnceLock::new()).collect(),
            asgs: OnceLock::new(),
        }
    }

    fn slot(&self, subnet: &Subnet) -> Option<usize> {
        self.slots.get(IdRef::new(&subnet.id)).copied()
    }

    /// The `VirtualNetwork` tag of `subnet` in `vnet` (see [`virtual_network_tag`]).
    pub fn virtual_network_tag(
        &self,
        subnet: &Subnet,
        vnet: &VirtualNetwork,
    ) -> std::borrow::Cow<'_, VirtualNetworkTag> {
        match self.slot(subnet) {
            Some(i) => std::borrow::Cow::Borrowed(
                self.tags[i].get_or_init(|| virtual_network_tag(self.idx, subnet, vnet)),
            ),
            // A subnet that is not in the inventory (built by a caller): computed each time.
            None => std::borrow::Cow::Owned(virtual_network_tag(self.idx, subnet, vnet)),
        }
    }

    /// The effective routes of `subnet` in `vnet` (see [`effective_routes`]).
    pub fn effective_routes(
        &self,
        subnet: &Subnet,
        vnet: &VirtualNetwork,
    ) -> std::borrow::Cow<'_, [EffectiveRoute]> {
        match self.slot(subnet) {
            Some(i) => std::borrow::Cow::Borrowed(
                self.routes[i].get_or_init(|| effective_routes(self.idx, subnet, vnet)),
            ),
            None => std::borrow::Cow::Owned(effective_routes(self.idx, subnet, vnet)),
        }
    }

    /// Application security group (normalised id) → the addresses of its members.
    pub fn asg_members(&self) -> Arc<HashMap<String, PrefixSet>> {
        self.asgs
            .get_or_init(|| Arc::new(asg_members(self.idx)))
            .clone()
    }

    /// Tag expansion for rules evaluated on `subnet`.
    pub fn tag_resolver(&self, subnet: &Subnet, vnet: &VirtualNetwork) -> TagResolver {
        let tag = self.virtual_network_tag(subnet, vnet);
        TagResolver {
            virtual_network: tag.total.clone(),
            virtual_network_base: Some(tag.base.clone()),
            asgs: self.asg_members(),
            service_tags: self.idx.service_tags(),
        }
    }
}
