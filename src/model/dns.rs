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
                .links_of_zone_to(&zone.id, &vnet.id)
                .iter()
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

/// How a name resolves from inside a VNet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    /// The private zone answers with these addresses.
    Private { addresses: Vec<String> },
    /// Clients get the public answer (the resource's public IP), for `reason`.
    Public { reason: String },
    /// The private zone is linked but has no record; clients get NXDOMAIN.
    NxDomain { reason: String },
    /// azaudit cannot tell (custom DNS servers, unknown service).
    Unknown { reason: String },
}

/// One link of the resolution chain, for evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub what: String,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    pub fqdn: String,
    pub vnet: String,
    /// The private-link name the public name is a CNAME to, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_link_name: Option<String>,
    pub chain: Vec<Step>,
    #[serde(flatten)]
    pub answer: Answer,
}

/// Resolves `fqdn` as a client in `vnet` would, through Azure DNS and the VNet's linked private
/// zones. The public name of a private-link resource is a CNAME to `{name}.{privatelink zone}` once
/// the resource has an approved private endpoint; inside the VNet that name resolves privately only
/// if a zone of exactly that name is linked to the VNet and holds an A record for `{name}`.
pub fn resolve(
    idx: &Index<'_>,
    zones: &crate::model::privatelink::ZoneTable,
    cloud: crate::azure::Cloud,
    vnet: &VirtualNetwork,
    fqdn: &str,
) -> Resolution {
    let name = crate::inventory::privatedns::normalise_dns_name(fqdn);
    let mut chain = Vec::new();
    let done = |chain: Vec<Step>, private_link_name: Option<String>, answer: Answer| Resolution {
        fqdn: name.clone(),
        vnet: vnet.id.clone(),
        private_link_name,
        chain,
        answer,
    };
    // Which private-link zone the public name maps to.
    let Some((label, zone_name, resource_type)) = zones.private_link_name(cloud, &name) else {
        return done(
            chain,
            None,
            Answer::Unknown {
                reason: format!(
                    "{name} is not a private-link service name azaudit knows for {}",
                    cloud.azure_name()
                ),
            },
        );
    };
    let private_name = format!("{label}.{zone_name}");
    // Does the resource have an approved private endpoint (which adds the CNAME)?
    let approved: Vec<&crate::inventory::network::PrivateEndpoint> = idx
        .endpoints_targeting_name(&label)
        .iter()
        .copied()
        .filter(|pe| {
            pe.connections().any(|c| {
                c.is_approved()
                    && crate::azure::id::last_name(c.target()).eq_ignore_ascii_case(&label)
                    && crate::azure::ResourceId::parse(c.target())
                        .map(|r| r.resource_type().eq_ignore_ascii_case(&resource_type))
                        .unwrap_or(false)
            })
        })
        .collect();
    if approved.is_empty() {
        chain.push(Step {
            what: format!("{label} has no approved private endpoint in the inventory, so {name} has no privatelink CNAME"),
            ok: false,
        });
        return done(
            chain,
            None,
            Answer::Public {
                reason: format!("{label} has no approved private endpoint"),
            },
        );
    }
    chain.push(Step {
        what: format!(
            "{name} is a CNAME to {private_name} ({} approved private endpoint(s))",
            approved.len()
        ),
        ok: true,
    });
    if !uses_azure_dns(vnet) {
        chain.push(Step {
            what: format!(
                "VNet {} uses custom DNS servers {:?}",
                vnet.display_name(),
                vnet.dns_servers()
            ),
            ok: false,
        });
        return done(
            chain,
            Some(private_name),
            Answer::Unknown {
                reason: "the VNet uses custom DNS servers: the answer depends on whether they forward to 168.63.129.16 from a VNet linked to the zone".into(),
            },
        );
    }
    chain.push(Step {
        what: format!("VNet {} uses Azure-provided DNS", vnet.display_name()),
        ok: true,
    });
    let links = zone_links(idx, &zone_name, vnet);
    let Some(linked) = links.iter().find(|l| l.effective) else {
        let reason = if links.is_empty() {
            format!("no private DNS zone named {zone_name} exists in the inventory")
        } else {
            format!(
                "zone {zone_name} is not (effectively) linked to VNet {}",
                vnet.display_name()
            )
        };
        chain.push(Step {
            what: reason.clone(),
            ok: false,
        });
        return done(chain, Some(private_name), Answer::Public { reason });
    };
    chain.push(Step {
        what: format!("zone {zone_name} is linked to VNet {}", vnet.display_name()),
        ok: true,
    });
    let record = idx
        .records_named(&linked.zone_id, &label)
        .iter()
        .find(|r| r.record_type() == "A");
    match record {
        Some(r) => {
            let addresses: Vec<String> = r.ipv4_addresses().iter().map(|s| s.to_string()).collect();
            chain.push(Step {
                what: format!("A record {label} in {zone_name} → {}", addresses.join(", ")),
                ok: true,
            });
            done(chain, Some(private_name), Answer::Private { addresses })
        }
        None => {
            let redirect = idx
                .links_of_zone_to(&linked.zone_id, &vnet.id)
                .iter()
                .any(|l| {
                    matches!(
                        l.properties.resolution_policy,
                        Some(crate::inventory::privatedns::ResolutionPolicy::NxDomainRedirect)
                    )
                });
            let reason = format!("zone {zone_name} has no A record named {label}");
            chain.push(Step {
                what: reason.clone(),
                ok: false,
            });
            if redirect {
                done(
                    chain,
                    Some(private_name),
                    Answer::Public {
                        reason: format!(
                            "{reason}; the link's resolutionPolicy NxDomainRedirect falls back to the public answer"
                        ),
                    },
                )
            } else {
                done(chain, Some(private_name), Answer::NxDomain { reason })
            }
        }
    }
}
