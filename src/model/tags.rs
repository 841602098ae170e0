//! Service tags as Azure expands them for one subnet. `VirtualNetwork` is not "my VNet": it is the
//! VNet's address space, connected peered VNets (those whose peering allows virtual network access),
//! connected on-premises address spaces (the local network gateways of the site-to-site connections
//! of the VNet's gateway, or of a hub's gateway used through gateway transit; BGP-learned prefixes
//! are not known offline), the host's virtual IP (168.63.129.16) **and every
//! address prefix of the UDRs in the subnet's route table** (Microsoft: service-tags-overview).
//! Tags whose ranges azaudit does not hold (GatewayManager, Storage, …) stay opaque and are reported
//! as such.

use ipnet::IpNet;
use serde::Serialize;

use super::addr::PrefixSet;
use crate::inventory::Index;
use crate::inventory::network::{Subnet, VirtualNetwork};

/// The Azure host's virtual IP: DHCP, DNS, health probes, WireServer.
pub const HOST_VIP: &str = "168.63.129.16";

/// Ranges that are not on the public Internet (RFC 1918, RFC 6598, loopback, link-local, "this
/// network", multicast and reserved). Used to approximate the `Internet` tag.
const NON_INTERNET_V4: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/3",
];

/// The public IPv4 space: every address outside [`NON_INTERNET_V4`].
pub fn public_v4() -> PrefixSet {
    PrefixSet::all_v4().difference(&parse_all(NON_INTERNET_V4.iter().copied()))
}

/// Whether `addr` lies outside the public Internet (private, shared, loopback, link-local,
/// multicast or reserved IPv4 ranges; IPv6 addresses are taken as public).
pub fn is_non_internet(addr: std::net::IpAddr) -> bool {
    NON_INTERNET_V4
        .iter()
        .filter_map(|p| p.parse::<IpNet>().ok())
        .any(|n| n.contains(&addr))
}

/// A UDR that puts its prefix into the `VirtualNetwork` tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UdrContribution {
    pub route_table_id: String,
    pub route_name: String,
    pub address_prefix: String,
    pub next_hop_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_hop_ip_address: Option<String>,
}

/// The `VirtualNetwork` tag as seen from one subnet, with where each part comes from.
#[derive(Debug, Clone)]
pub struct VirtualNetworkTag {
    /// VNet space ∪ connected peers ∪ connected on-premises prefixes ∪ host VIP: what operators
    /// think the tag means.
    pub base: PrefixSet,
    /// Prefixes added by the subnet's UDRs.
    pub udrs: Vec<UdrContribution>,
    /// Route prefixes that are service tags, not CIDRs (their ranges are not known offline).
    pub opaque_udr_prefixes: Vec<String>,
    /// `base` ∪ UDR prefixes: the tag Azure actually applies.
    pub total: PrefixSet,
}

impl VirtualNetworkTag {
    /// Addresses in the tag only because of UDRs.
    pub fn widened(&self) -> PrefixSet {
        self.total.difference(&self.base)
    }
}

/// The `VirtualNetwork` tag for `subnet` of `vnet`.
pub fn virtual_network_tag(
    idx: &Index<'_>,
    subnet: &Subnet,
    vnet: &VirtualNetwork,
) -> VirtualNetworkTag {
    let own = vnet
        .properties
        .address_space
        .address_prefixes
        .iter()
        .map(String::as_str);
    let peers = vnet
        .properties
        .virtual_network_peerings
        .iter()
        .filter(|p| p.in_virtual_network_tag())
        .flat_map(|p| p.remote_prefixes());
    // Connected on-premises address spaces: the prefixes of the site-to-site local network
    // gateways behind the VNet's own gateway, or a hub's gateway it uses through gateway transit.
    let reaches = super::gateways::gateways_for(idx, vnet);
    let on_premises = reaches
        .iter()
        .flat_map(|r| r.static_prefixes.iter().map(|(p, _)| p.as_str()));
    let base = parse_all(
        own.chain(peers)
            .chain(on_premises)
            .chain(std::iter::once(HOST_VIP)),
    );

    let mut udrs = Vec::new();
    let mut opaque = Vec::new();
    let mut total = base.clone();
    if let Some(rt) = subnet
        .properties
        .route_table
        .as_ref()
        .and_then(|r| idx.route_table(&r.id))
    {
        for route in &rt.properties.routes {
            let p = &route.properties;
            match PrefixSet::parse(&p.address_prefix) {
                Some(set) => {
                    total = total.union(&set);
                    udrs.push(UdrContribution {
                        route_table_id: rt.id.clone(),
                        route_name: route.name.clone(),
                        address_prefix: p.address_prefix.clone(),
                        next_hop_type: p.next_hop_type.to_string(),
                        next_hop_ip_address: p.next_hop_ip_address.clone(),
                    });
                }
                None if !p.address_prefix.is_empty() => opaque.push(p.address_prefix.clone()),
                None => {}
            }
        }
    }
    VirtualNetworkTag {
        base,
        udrs,
        opaque_udr_prefixes: opaque,
        total,
    }
}

/// What an address token in a rule (prefix, `*`, or service tag) stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub set: PrefixSet,
    /// False when the set is an approximation or unknown (opaque service tags).
    pub exact: bool,
    /// The service tag name, when the token was one.
    pub tag: Option<String>,
}

/// Expands address tokens for rules that apply to one subnet.
#[derive(Debug, Clone, Default)]
pub struct TagResolver {
    pub virtual_network: PrefixSet,
    /// The `VirtualNetwork` tag without the UDR prefixes, when known. The `Internet` tag is public
    /// space outside *this* set: widening `VirtualNetwork` with a 0.0.0.0/0 UDR does not shrink
    /// `Internet` (a rule "allow RDP from Internet" still admits the Internet).
    pub virtual_network_base: Option<PrefixSet>,
    /// Application security group id (normalised) → private IPs of the NIC ip configurations in it.
    pub asgs: std::sync::Arc<std::collections::HashMap<String, PrefixSet>>,
    /// Service tag name (lower-case) → its prefixes, when the snapshot holds the cloud's list.
    pub service_tags: std::sync::Arc<std::collections::HashMap<String, Vec<IpNet>>>,
}

impl TagResolver {
    pub fn with_virtual_network(virtual_network: PrefixSet) -> Self {
        TagResolver {
            virtual_network,
            virtual_network_base: None,
            asgs: Default::default(),
            service_tags: Default::default(),
        }
    }

    pub fn for_subnet(idx: &Index<'_>, subnet: &Subnet, vnet: &VirtualNetwork) -> Self {
        let tag = virtual_network_tag(idx, subnet, vnet);
        TagResolver {
            virtual_network: tag.total,
            virtual_network_base: Some(tag.base),
            asgs: std::sync::Arc::new(asg_members(idx)),
            service_tags: idx.service_tags(),
        }
    }

    /// The same resolver for traffic that comes from (or goes to) the Internet: the fabric keeps
    /// Internet-sourced traffic out of the UDR-widened part of `VirtualNetwork`, so for such flows
    /// the tag is its base (VNet, peers, host VIP). Unchanged when the base is not known.
    pub fn for_internet_flows(&self) -> Self {
        let mut r = self.clone();
        if let Some(base) = &self.virtual_network_base {
            r.virtual_network = base.clone();
        }
        r
    }

    /// The addresses of the application security groups `ids`, and whether every group was known.
    pub fn resolve_asgs(&self, ids: &[crate::inventory::SubResource]) -> (PrefixSet, bool) {
        let mut set = PrefixSet::empty();
        let mut known = true;
        for r in ids {
            match self.asgs.get(&crate::azure::id::id_key(&r.id)) {
                Some(s) => set = set.union(s),
                None => known = false,
            }
        }
        (set, known)
    }

    pub fn resolve(&self, token: &str) -> Resolved {
        let t = token.trim();
        if t == "*" || t.eq_ignore_ascii_case("Any") {
            return Resolved {
                set: PrefixSet::all(),
                exact: true,
                tag: None,
            };
        }
        if let Some(set) = PrefixSet::parse(t) {
            return Resolved {
                set,
                exact: true,
                tag: None,
            };
        }
        let tag = Some(t.to_string());
        if t.eq_ignore_ascii_case("VirtualNetwork") {
            return Resolved {
                set: self.virtual_network.clone(),
                exact: true,
                tag,
            };
        }
        if t.eq_ignore_ascii_case("AzureLoadBalancer") {
            return Resolved {
                set: PrefixSet::parse(HOST_VIP).expect("valid address"),
                exact: true,
                tag,
            };
        }
        if t.eq_ignore_ascii_case("Internet") {
            // Public address space outside the VNet: an approximation (Microsoft publishes no list).
            let set = public_v4();
            let not_internet = self
                .virtual_network_base
                .as_ref()
                .unwrap_or(&self.virtual_network);
            return Resolved {
                set: set.difference(not_internet),
                exact: false,
                tag,
            };
        }
        // A tag of the snapshot's service tag list: its published prefixes, exact as of the list's
        // change number.
        if let Some(nets) = self.service_tags.get(&t.to_ascii_lowercase()) {
            return Resolved {
                set: PrefixSet::from_nets(nets.iter().copied()),
                exact: true,
                tag,
            };
        }
        Resolved {
            set: PrefixSet::empty(),
            exact: false,
            tag,
        }
    }
}

/// Members of every application security group, from NIC ip configurations (indexed once).
pub fn asg_members(idx: &Index<'_>) -> std::collections::HashMap<String, PrefixSet> {
    idx.asg_ips()
        .iter()
        .map(|(asg, ips)| {
            let set = PrefixSet::union_all(ips.iter().filter_map(|ip| PrefixSet::parse(ip)));
            (asg.clone(), set)
        })
        .collect()
}

/// Whether `set` holds any address on the public Internet.
pub fn has_public_addresses(set: &PrefixSet) -> bool {
    !set.intersection(&public_v4()).is_empty()
}

fn parse_all<'a>(items: impl Iterator<Item = &'a str>) -> PrefixSet {
    PrefixSet::union_all(items.filter_map(PrefixSet::parse))
}

/// CIDR prefixes of a subnet, ignoring unparsable ones.
pub fn subnet_prefixes(subnet: &Subnet) -> PrefixSet {
    parse_all(subnet.prefixes().into_iter())
}

/// The prefix length of an address-space entry, when it parses.
pub fn prefix_len(text: &str) -> Option<u8> {
    text.trim().parse::<IpNet>().ok().map(|n| n.prefix_len())
}
