//! Private DNS: which private zones a VNet resolves through. A private zone answers for a VNet only
//! when it is linked to that VNet and the link is effective; VNets with custom DNS servers resolve
//! through those servers, which azaudit cannot see into.

use serde::Serialize;

use crate::inventory::Index;
use crate::inventory::network::VirtualNetwork;
use crate::inventory::privatedns::PrivateDnsZone;

/// How one zone of a given name relates to a VNet.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneLink {
    pub zone_id: String,
    /// The link to the VNet, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<String>,
    pub effective: bool,
}

/// Every zone named `zone_name` and whether it is (effectively) linked to `vnet`.
pub fn zone_links(idx: &Index<'_>, zone_name: &str, vnet: &VirtualNetwork) -> Vec<ZoneLink> {
    idx.zones_named(zone_name)
        .iter()
        .map(|zone: &&PrivateDnsZone| {
            let link = idx
                .links_of_zone(&zone.id)
                .iter()
                .filter(|l| {
                    l.vnet_id()
                        .is_some_and(|v| crate::arm::id::same_id(v, &vnet.id))
                })
                .max_by_key(|l| l.is_effective());
            ZoneLink {
                zone_id: zone.id.clone(),
                link_id: link.map(|l| l.id.clone()),
                link_state: link.and_then(|l| {
                    l.properties
                        .virtual_network_link_state
                        .as_ref()
                        .map(|s| s.to_string())
                }),
                provisioning_state: link.and_then(|l| l.properties.provisioning_state.clone()),
                effective: link.is_some_and(|l| l.is_effective()),
            }
        })
        .collect()
}

/// Whether the VNet uses Azure-provided DNS (no custom DNS servers, or only 168.63.129.16).
pub fn uses_azure_dns(vnet: &VirtualNetwork) -> bool {
    vnet.dns_servers()
        .iter()
        .all(|s| s.trim() == super::tags::HOST_VIP)
}
