//! Effective routes for any subnet, computed from the inventory (Network Watcher only shows them for
//! a running VM's NIC). System routes, peering routes, service-endpoint routes, private-endpoint /32
//! routes and the subnet's UDRs; selection by longest prefix, then user > BGP > system for equal
//! prefixes; the private-endpoint exception of "disable-private-endpoint-network-policy".
//! Sources: Microsoft Learn "Virtual network traffic routing" and "Manage network policies for
//! private endpoints" (ARM-FACTS §4.3–4.5).

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::addr::PrefixSet;
use crate::inventory::Index;
use crate::inventory::network::{NextHopType, RouteTable, Subnet, VirtualNetwork};

/// Where a route comes from, as Network Watcher names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum RouteSource {
    /// A system route.
    Default,
    /// Learned from a virtual network gateway (BGP).
    VirtualNetworkGateway,
    /// A user-defined route.
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RouteState {
    Active,
    Invalid,
}

/// One route as Network Watcher shows it, plus why it is invalid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectiveRoute {
    pub source: RouteSource,
    pub state: RouteState,
    /// A CIDR prefix, or a service tag for service-endpoint and tag-based routes.
    pub address_prefix: String,
    pub next_hop_type: NextHopType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_hop_ip_address: Option<String>,
    /// The UDR's name, the peered VNet, or the private endpoint behind the route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid_reason: Option<String>,
    /// What the route stands for when its prefixes are not known offline (BGP-learned routes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
    #[serde(skip)]
    net: Option<IpNet>,
}

impl EffectiveRoute {
    fn new(
        source: RouteSource,
        prefix: &str,
        hop: NextHopType,
        ip: Option<String>,
        origin: Option<String>,
    ) -> Self {
        EffectiveRoute {
            source,
            state: RouteState::Active,
            address_prefix: prefix.to_string(),
            next_hop_type: hop,
            next_hop_ip_address: ip,
            origin,
            invalid_reason: None,
            caveat: None,
            net: prefix.trim().parse::<IpNet>().ok().map(|n| n.trunc()),
        }
    }
    /// The route's prefix, when it is a CIDR (not a service tag).
    pub fn net(&self) -> Option<IpNet> {
        self.net
    }
    fn invalidate(&mut self, why: String) {
        self.state = RouteState::Invalid;
        self.invalid_reason = Some(why);
    }
}

/// The prefix shown for routes a gateway learns over BGP, which ARM does not list.
pub const BGP_PLACEHOLDER: &str = "(BGP-learned)";

/// The reserved ranges that get a system route with next hop None.
const RESERVED: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
];

/// The service tag of each service-endpoint service (Microsoft Learn: service tags overview).
const SERVICE_ENDPOINT_TAGS: &[(&str, &str)] = &[
    ("Microsoft.Storage", "Storage"),
    ("Microsoft.Storage.Global", "Storage"),
    ("Microsoft.Sql", "Sql"),
    ("Microsoft.AzureCosmosDB", "AzureCosmosDB"),
    ("Microsoft.KeyVault", "AzureKeyVault"),
    ("Microsoft.ServiceBus", "ServiceBus"),
    ("Microsoft.EventHub", "EventHub"),
    ("Microsoft.Web", "AppService"),
    ("Microsoft.ContainerRegistry", "AzureContainerRegistry"),
    ("Microsoft.AzureActiveDirectory", "AzureActiveDirectory"),
];

/// The service tags whose prefixes a service endpoint's routes carry: the regional tag of each
/// of its locations (`Storage.WestEurope`), or the global tag for `*` or no location.
pub fn service_endpoint_tags(se: &crate::inventory::network::ServiceEndpoint) -> Vec<String> {
    let Some((_, base)) = SERVICE_ENDPOINT_TAGS
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(se.service.trim()))
    else {
        return Vec::new();
    };
    let regional: Vec<String> = se
        .locations
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && *l != "*")
        .map(|l| format!("{base}.{}", l.replace(' ', "")))
        .collect();
    if regional.is_empty() || se.locations.iter().any(|l| l.trim() == "*") {
        let mut v = vec![base.to_string()];
        v.extend(regional);
        v
    } else {
        regional
    }
}

/// The route table of a subnet, when it has one in the inventory.
pub fn route_table_of<'a>(idx: &Index<'a>, subnet: &Subnet) -> Option<&'a RouteTable> {
    subnet
        .properties
        .route_table
        .as_ref()
        .and_then(|r| idx.route_table(&r.id))
}

/// Private endpoints whose subnet lies in `vnet`.
/// Computes the effective routes of `subnet` in `vnet`.
pub fn effective_routes(
    idx: &Index<'_>,
    subnet: &Subnet,
    vnet: &VirtualNetwork,
) -> Vec<EffectiveRoute> {
    let mut routes = Vec::new();
    let space: Vec<IpNet> = vnet
        .properties
        .address_space
        .address_prefixes
        .iter()
        .filter_map(|p| p.parse::<IpNet>().ok().map(|n| n.trunc()))
        .collect();

    // VNet address space → VnetLocal.
    for p in &vnet.properties.address_space.address_prefixes {
        routes.push(EffectiveRoute::new(
            RouteSource::Default,
            p,
            NextHopType::VnetLocal,
            None,
            None,
        ));
    }
    // 0.0.0.0/0 → Internet.
    routes.push(EffectiveRoute::new(
        RouteSource::Default,
        "0.0.0.0/0",
        NextHopType::Internet,
        None,
        None,
    ));
    // Reserved ranges → None, unless the VNet uses exactly that range (then it is VnetLocal) or a
    // range that includes it (then Azure removes the route).
    // Microsoft's routing example: the None routes are removed from a subnet whose route table
    // overrides 0.0.0.0/0.
    let overrides_default = route_table_of(idx, subnet).is_some_and(|rt| {
        rt.properties
            .routes
            .iter()
            .any(|r| r.properties.address_prefix.trim() == "0.0.0.0/0")
    });
    for r in RESERVED {
        let reserved: IpNet = r.parse().expect("static prefix");
        if overrides_default || space.iter().any(|s| s.contains(&reserved)) {
            continue;
        }
        routes.push(EffectiveRoute::new(
            RouteSource::Default,
            r,
            NextHopType::None,
            None,
            None,
        ));
    }
    // Connected peerings → VNetPeering.
    let mut peered: Vec<&VirtualNetwork> = Vec::new();
    for peering in &vnet.properties.virtual_network_peerings {
        if !peering.is_connected() {
            continue;
        }
        let remote = peering
            .properties
            .remote_virtual_network
            .as_ref()
            .map(|r| r.id.clone());
        for p in peering.remote_prefixes() {
            routes.push(EffectiveRoute::new(
                RouteSource::Default,
                p,
                NextHopType::VnetPeering,
                None,
                remote.clone(),
            ));
        }
        if let Some(v) = remote.as_deref().and_then(|id| idx.vnet(id)) {
            peered.push(v);
        }
    }
    // Virtual network gateways of this VNet and of hubs reached through gateway transit → the
    // on-premises prefixes of their site-to-site connections (source VirtualNetworkGateway), and a
    // placeholder for what they learn over BGP (not in ARM). A route table that disables gateway
    // route propagation keeps them all from the subnet (shown Invalid).
    let no_propagation = route_table_of(idx, subnet)
        .filter(|rt| rt.properties.disable_bgp_route_propagation == Some(true));
    let mut gateway_routes = Vec::new();
    for reach in super::gateways::gateways_for(idx, vnet) {
        let via = match reach.transit_hub {
            Some(hub) => format!(
                "{} (gateway transit from {})",
                reach.gateway.display_name(),
                hub.display_name()
            ),
            None => reach.gateway.display_name().to_string(),
        };
        for (prefix, lgw) in &reach.static_prefixes {
            let mut r = EffectiveRoute::new(
                RouteSource::VirtualNetworkGateway,
                prefix,
                NextHopType::VirtualNetworkGateway,
                reach.next_hop_ip(),
                Some(lgw.clone()),
            );
            r.caveat = Some(format!("on-premises prefix via {via}"));
            gateway_routes.push(r);
        }
        for why in &reach.unknown {
            let mut r = EffectiveRoute::new(
                RouteSource::VirtualNetworkGateway,
                BGP_PLACEHOLDER,
                NextHopType::VirtualNetworkGateway,
                reach.next_hop_ip(),
                Some(reach.gateway.id.clone()),
            );
            r.caveat = Some(match reach.transit_hub {
                Some(hub) => format!(
                    "{why}; reached through gateway transit from {}",
                    hub.display_name()
                ),
                None => why.clone(),
            });
            gateway_routes.push(r);
        }
    }
    for r in &mut gateway_routes {
        if let Some(rt) = no_propagation {
            r.invalidate(format!(
                "route table {} disables gateway route propagation (disableBgpRoutePropagation)",
                rt.display_name()
            ));
        }
    }
    // An active gateway route beats a system route of the same prefix (user > BGP > system): a
    // reserved None range the site also lists turns Invalid, as Azure shows it.
    for g in gateway_routes
        .iter()
        .filter(|g| g.state == RouteState::Active)
    {
        let Some(gn) = g.net() else { continue };
        for r in routes
            .iter_mut()
            .filter(|r| r.state == RouteState::Active && r.net() == Some(gn))
        {
            r.invalidate(format!(
                "virtual network gateway route {} (on-premises) has the same prefix and takes precedence",
                g.address_prefix
            ));
        }
    }
    routes.extend(gateway_routes);
    // Service endpoints → the service's prefixes (a service tag; its ranges are not in the inventory).
    // With the cloud's service tags in the snapshot, the routes carry the service's prefixes in
    // the endpoint's regions (e.g. Microsoft.Storage in westeurope → Storage.WestEurope).
    let tags = idx.service_tags();
    for se in &subnet.properties.service_endpoints {
        let names = service_endpoint_tags(se);
        let mut known = false;
        for name in &names {
            let Some(nets) = tags.get(&name.to_ascii_lowercase()) else {
                continue;
            };
            known = true;
            for n in nets {
                routes.push(EffectiveRoute::new(
                    RouteSource::Default,
                    &n.to_string(),
                    NextHopType::ServiceEndpoint,
                    None,
                    Some(format!("{} ({name})", se.service)),
                ));
            }
        }
        if !known {
            routes.push(EffectiveRoute::new(
                RouteSource::Default,
                &se.service,
                NextHopType::ServiceEndpoint,
                None,
                None,
            ));
        }
    }
    // Private endpoints in this VNet and directly peered VNets → /32 InterfaceEndpoint.
    let mut pe_routes = Vec::new();
    for v in std::iter::once(vnet).chain(peered.iter().copied()) {
        for pe in idx.endpoints_in_vnet(&v.id) {
            for ip in idx.endpoint_ips(pe) {
                if let Ok(addr) = ip.parse::<IpAddr>() {
                    let prefix = IpNet::from(addr).to_string();
                    pe_routes.push((
                        EffectiveRoute::new(
                            RouteSource::Default,
                            &prefix,
                            NextHopType::InterfaceEndpoint,
                            None,
                            Some(pe.id.clone()),
                        ),
                        pe,
                        v,
                    ));
                }
            }
        }
    }
    // User-defined routes.
    let mut udrs = Vec::new();
    if let Some(rt) = route_table_of(idx, subnet) {
        for r in &rt.properties.routes {
            udrs.push(EffectiveRoute::new(
                RouteSource::User,
                &r.properties.address_prefix,
                r.properties.next_hop_type.clone(),
                r.properties.next_hop_ip_address.clone(),
                Some(r.name.clone()),
            ));
        }
    }

    // The private-endpoint exception: a UDR covering the endpoint invalidates its /32 only when the
    // endpoint's subnet enables route-table policies and the UDR's prefix is at least as long as the
    // VNet address space that holds the endpoint. (A 0.0.0.0/0 UDR never does.)
    for (route, pe, pe_vnet) in &mut pe_routes {
        let Some(addr) = route.net().map(|n| n.addr()) else {
            continue;
        };
        let policies = pe
            .subnet_id()
            .and_then(|s| idx.subnet(s))
            .map(|(s, _)| s.pe_network_policies());
        let route_enabled = policies.as_ref().is_some_and(|p| p.route_tables_apply());
        let space_len = pe_vnet
            .properties
            .address_space
            .address_prefixes
            .iter()
            .filter_map(|p| p.parse::<IpNet>().ok())
            .filter(|n| n.contains(&addr))
            .map(|n| n.prefix_len())
            .min();
        if !route_enabled {
            continue;
        }
        if let Some(udr) = udrs
            .iter()
            .filter(|u| {
                u.net().is_some_and(|n| {
                    n.contains(&addr) && n.prefix_len() < route.net().map_or(0, |r| r.prefix_len())
                })
            })
            .find(|u| space_len.is_some_and(|l| u.net().is_some_and(|n| n.prefix_len() >= l)))
        {
            route.invalidate(format!(
                "user route {} ({}) covers the endpoint, network policies are enabled on its subnet, and the route's prefix is at least as long as the VNet address space",
                udr.origin.as_deref().unwrap_or("?"),
                udr.address_prefix
            ));
        }
    }
    routes.extend(pe_routes.into_iter().map(|(r, _, _)| r));

    // Equal prefixes: a user route beats a system route (BGP is not modelled beyond this order).
    for udr in &udrs {
        let Some(un) = udr.net() else { continue };
        for r in routes
            .iter_mut()
            .filter(|r| r.state == RouteState::Active && r.net() == Some(un))
        {
            r.invalidate(format!(
                "user route {} has the same prefix and takes precedence",
                udr.origin.as_deref().unwrap_or("?")
            ));
        }
    }
    routes.extend(udrs);
    routes
}

/// The route a packet to `dest` takes, and why.
#[derive(Debug, Clone, Serialize)]
pub struct RouteChoice {
    pub route: EffectiveRoute,
    pub reason: String,
    /// Why the answer may differ in Azure: an active gateway learns routes over BGP that are not
    /// known offline, and one more specific than the chosen route would take the packet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
    /// The peering to the VNet of the appliance the route names, when that VNet is peered: what
    /// the appliance forwards back into this VNet crosses it (see [`appliance_peering`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarded_traffic: Option<ForwardedTraffic>,
}

/// What decides whether traffic a virtual appliance in a peered VNet forwards reaches this VNet.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ForwardedTraffic {
    /// This VNet's peering to the appliance's VNet.
    pub peering: String,
    pub remote_virtual_network: String,
    /// `allowForwardedTraffic` on that peering (absent is ARM's default, false).
    pub allow_forwarded_traffic: bool,
    pub note: String,
}

/// The peering of `vnet` whose remote space holds `appliance`, with its `allowForwardedTraffic`.
/// Azure admits traffic over a peering that did not originate in the remote VNet (what an appliance
/// there forwards, replies from beyond it included) only when the receiving side's peering allows
/// forwarded traffic (Microsoft: virtual-network-manage-peering, "Allow forwarded traffic").
pub fn appliance_peering(vnet: &VirtualNetwork, appliance: IpAddr) -> Option<ForwardedTraffic> {
    let peering = vnet.properties.virtual_network_peerings.iter().find(|p| {
        p.is_connected()
            && p.remote_prefixes()
                .iter()
                .filter_map(|x| x.parse::<IpNet>().ok())
                .any(|n| n.contains(&appliance))
    })?;
    let allowed = peering.properties.allow_forwarded_traffic == Some(true);
    let name = peering.name.clone().unwrap_or_default();
    let remote = peering
        .properties
        .remote_virtual_network
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or_default();
    let remote_name = remote.rsplit('/').next().unwrap_or_default().to_string();
    let note = if allowed {
        format!(
            "the appliance {appliance} is in peered VNet {remote_name}: what it forwards into this VNet \
             (replies from beyond it included) arrives because peering {name} allows forwarded traffic"
        )
    } else {
        format!(
            "the appliance {appliance} is in peered VNet {remote_name}, and peering {name} does not allow \
             forwarded traffic (allowForwardedTraffic is not true): Azure drops what the appliance \
             forwards into this VNet that did not originate in {remote_name}, replies from beyond it included"
        )
    };
    Some(ForwardedTraffic {
        peering: name,
        remote_virtual_network: remote,
        allow_forwarded_traffic: allowed,
        note,
    })
}

/// [`lookup`], with the forwarded-traffic setting of the peering its appliance next hop lies behind.
pub fn lookup_from(
    vnet: &VirtualNetwork,
    routes: &[EffectiveRoute],
    dest: IpAddr,
) -> Option<RouteChoice> {
    let mut choice = lookup(routes, dest)?;
    if choice.route.next_hop_type == NextHopType::VirtualAppliance {
        choice.forwarded_traffic = choice
            .route
            .next_hop_ip_address
            .as_deref()
            .and_then(|ip| ip.parse().ok())
            .and_then(|ip| appliance_peering(vnet, ip));
    }
    Some(choice)
}

/// The caveats of the active routes whose prefixes are not known offline (BGP-learned routes).
pub fn unknown_route_caveats(routes: &[EffectiveRoute]) -> Vec<&str> {
    routes
        .iter()
        .filter(|r| {
            r.state == RouteState::Active
                && r.net().is_none()
                && r.next_hop_type == NextHopType::VirtualNetworkGateway
        })
        .filter_map(|r| r.caveat.as_deref())
        .collect()
}

/// Longest-prefix match over the active CIDR routes; equal prefixes were already resolved.
pub fn lookup(routes: &[EffectiveRoute], dest: IpAddr) -> Option<RouteChoice> {
    let candidates: Vec<&EffectiveRoute> = routes
        .iter()
        .filter(|r| r.state == RouteState::Active && r.net().is_some_and(|n| n.contains(&dest)))
        .collect();
    let best = candidates
        .iter()
        .max_by_key(|r| (r.net().map_or(0, |n| n.prefix_len()), r.source))?;
    let others = candidates.len() - 1;
    let max = if dest.is_ipv4() { 32 } else { 128 };
    let unknown = unknown_route_caveats(routes);
    let caveat = (!unknown.is_empty() && best.net().is_some_and(|n| n.prefix_len() < max)).then(|| {
        format!(
            "{}: a learned prefix more specific than {} would send {dest} to the gateway instead of {}",
            unknown.join("; "),
            best.address_prefix,
            best.next_hop_type
        )
    });
    // Service-endpoint routes carry the service's prefixes, which are not known offline: a public
    // destination may be one of them, and then Azure takes it to the service endpoint instead.
    let service_endpoints: Vec<&str> = routes
        .iter()
        .filter(|r| {
            r.state == RouteState::Active
                && r.net().is_none()
                && r.next_hop_type == NextHopType::ServiceEndpoint
        })
        .map(|r| r.address_prefix.as_str())
        .collect();
    let public = !super::tags::is_non_internet(dest);
    let se_caveat = (public
        && !service_endpoints.is_empty()
        && best.net().is_some_and(|n| n.prefix_len() < max))
    .then(|| {
        format!(
            "service endpoint routes ({}) carry the services' prefixes, not known offline: if {dest} \
             is an address of one of them, Azure sends it to VirtualNetworkServiceEndpoint instead of {}",
            service_endpoints.join(", "),
            best.next_hop_type
        )
    });
    let caveat = match (caveat, se_caveat) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    };
    Some(RouteChoice {
        caveat,
        forwarded_traffic: None,
        route: (*best).clone(),
        reason: format!(
            "longest prefix match: {} ({:?} route) is the most specific of {} active route(s) containing {dest}",
            best.address_prefix,
            best.source,
            others + 1
        ),
    })
}

/// The addresses that routes with next hop `hop` send traffic for (Active CIDR routes only, after
/// longer prefixes carve out their part).
pub fn addresses_via(routes: &[EffectiveRoute], hop: &NextHopType) -> PrefixSet {
    let mut active: Vec<&EffectiveRoute> = routes
        .iter()
        .filter(|r| r.state == RouteState::Active && r.net().is_some())
        .collect();
    active.sort_by_key(|r| std::cmp::Reverse(r.net().map_or(0, |n| n.prefix_len())));
    let mut claimed = PrefixSet::empty();
    let mut out = PrefixSet::empty();
    for r in active {
        let set = PrefixSet::from_net(r.net().expect("filtered")).difference(&claimed);
        if &r.next_hop_type == hop {
            out = out.union(&set);
        }
        claimed = claimed.union(&set);
    }
    out
}

/// Longest-prefix lookup over a fixed set of routes in O(prefix length) per address: the routes
/// are bucketed by prefix length and looked up by their truncated network.
pub struct LpmTable<'r> {
    /// (prefix length, network) → the route that wins among equal prefixes
    routes: std::collections::HashMap<(u8, IpNet), &'r EffectiveRoute>,
    /// prefix lengths present, longest first
    lengths: Vec<u8>,
}

impl<'r> LpmTable<'r> {
    /// A table of the Active CIDR routes of `routes` that `keep` accepts.
    pub fn new(
        routes: &'r [EffectiveRoute],
        keep: impl Fn(&EffectiveRoute) -> bool,
    ) -> LpmTable<'r> {
        let mut map: std::collections::HashMap<(u8, IpNet), &'r EffectiveRoute> =
            std::collections::HashMap::new();
        for r in routes
            .iter()
            .filter(|r| r.state == RouteState::Active && keep(r))
        {
            let Some(n) = r.net() else { continue };
            map.entry((n.prefix_len(), n))
                .and_modify(|e| {
                    if r.source > e.source {
                        *e = r;
                    }
                })
                .or_insert(r);
        }
        let mut lengths: Vec<u8> = map.keys().map(|(l, _)| *l).collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        lengths.dedup();
        LpmTable {
            routes: map,
            lengths,
        }
    }

    /// The route that wins the longest-prefix match for `dest`.
    pub fn lookup(&self, dest: IpAddr) -> Option<&'r EffectiveRoute> {
        let max = if dest.is_ipv4() { 32 } else { 128 };
        self.lengths.iter().filter(|l| **l <= max).find_map(|l| {
            let n = IpNet::new(dest, *l).ok()?.trunc();
            self.routes.get(&(*l, n)).copied()
        })
    }
}
