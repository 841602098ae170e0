//! The walk: each hop asks the model (DNS resolution, effective routes, NSG evaluation, service
//! tags) and records the object that decided it.

use std::net::IpAddr;

use super::endpoints::{Source, Target, nic_with_ip, subnets_holding};
use super::keyvault::{Arrival, firewall_hop};
use super::{Hop, HopKind, Outcome, Path, Verdict};
use crate::azure::Cloud;
use crate::azure::id::{last_name, same_id};
use crate::inventory::Index;
use crate::inventory::keyvault::KeyVault;
use crate::inventory::network::{
    Direction, NetworkInterface, NetworkSecurityGroup, NextHopType, PrivateEndpoint, Protocol,
    Subnet, VirtualNetwork,
};
use crate::model::dns::{self, Answer};
use crate::model::facts::Facts;
use crate::model::firewall::{FirewallVerdict, FlowEnd, evaluate_firewall};
use crate::model::nsg::{LayerVerdict, evaluate_layers};
use crate::model::privatelink::ZoneTable;
use crate::model::routes::{EffectiveRoute, RouteSource, RouteState, lookup};
use crate::model::service_flow::{ServiceAddress, ServiceVerdict, evaluate_service_flow};
use crate::model::tags::{has_public_addresses, is_non_internet};

/// Appliances the walk follows in a row before it gives up (a routing loop, or a long chain).
const MAX_APPLIANCES: u8 = 3;

/// What the flow is addressed to once its name is resolved.
#[derive(Debug, Clone, Copy)]
enum Dest<'a> {
    Ip(IpAddr),
    /// A public service address not known offline, with the vault when it is one in the inventory.
    Public {
        vault: Option<&'a KeyVault>,
    },
}

/// Where the route sends the flow.
#[derive(Debug, Clone)]
enum Next {
    Local,
    Peering(String),
    Endpoint(String),
    Appliance(Option<String>),
    Gateway,
    Internet,
    ServiceEndpoint,
    Dropped,
}

struct Walk<'a, 'f> {
    idx: &'f Index<'a>,
    facts: &'f Facts<'a>,
    src: Source<'a>,
    port: u16,
    protocol: Protocol,
    hops: Vec<Hop>,
    /// The Azure Firewall the flow passed and its address, for what its application rules'
    /// source translation would change at the destination.
    snat: Option<(String, IpAddr)>,
}

/// Walks one flow from `src` to `target` on `port`/`protocol`.
#[allow(clippy::too_many_arguments)]
pub fn reach<'a>(
    idx: &Index<'a>,
    cloud: Cloud,
    src: Source<'a>,
    target: &Target,
    from_label: &str,
    to_label: &str,
    port: u16,
    protocol: Protocol,
) -> Path {
    let facts = Facts::new(idx);
    reach_with(
        &facts, cloud, src, target, from_label, to_label, port, protocol,
    )
}

/// [`reach`] over the per-scan memo of a rule run, so a rule citing the chain computes no subnet
/// answer twice.
#[allow(clippy::too_many_arguments)]
pub fn reach_with<'a>(
    facts: &Facts<'a>,
    cloud: Cloud,
    src: Source<'a>,
    target: &Target,
    from_label: &str,
    to_label: &str,
    port: u16,
    protocol: Protocol,
) -> Path {
    let mut w = Walk {
        idx: facts.idx,
        facts,
        src,
        port,
        protocol: protocol.clone(),
        hops: Vec::new(),
        snat: None,
    };
    let dest = w.resolve(cloud, target);
    if let Some(dest) = dest {
        w.walk_from_source(dest);
    }
    Path {
        from: from_label.to_string(),
        source_subnet: src.subnet.id.clone(),
        source_address: src.ip,
        source_address_assumed: src.ip_assumed,
        to: to_label.to_string(),
        destination_address: match dest {
            Some(Dest::Ip(ip)) => Some(ip),
            _ => None,
        },
        port,
        protocol: protocol.to_string(),
        verdict: Verdict::of(&w.hops),
        hops: w.hops,
    }
}

fn place(subnet: &Subnet, vnet: &VirtualNetwork) -> String {
    format!("{}/{}", vnet.display_name(), subnet.display_name())
}

impl<'a> Walk<'a, '_> {
    fn push(&mut self, hop: Hop) -> Outcome {
        let o = hop.outcome;
        self.hops.push(hop);
        o
    }

    // ------------------------------------------------------------ name resolution

    fn resolve(&mut self, cloud: Cloud, target: &Target) -> Option<Dest<'a>> {
        let name = match target {
            Target::Address(ip) => return Some(Dest::Ip(*ip)),
            Target::Name(n) => n,
        };
        let vnet = self.src.vnet;
        let r = dns::resolve(self.idx, ZoneTable::shipped(), cloud, vnet, name);
        let chain: Vec<String> = r
            .chain
            .iter()
            .map(|s| format!("{} {}", if s.ok { "✓" } else { "✗" }, s.what))
            .collect();
        let at = format!("VNet {}", vnet.display_name());
        let last = r.chain.last().map(|s| s.what.clone());
        let mut hop = match &r.answer {
            Answer::Private { addresses } => {
                let ip = addresses.iter().find_map(|a| a.parse::<IpAddr>().ok());
                let Some(ip) = ip else {
                    let h = Hop::new(
                        HopKind::NameResolution,
                        Outcome::Block,
                        at,
                        format!("{name}: the A record holds no address"),
                    );
                    self.push(h);
                    return None;
                };
                let mut h = Hop::new(
                    HopKind::NameResolution,
                    Outcome::Pass,
                    at,
                    format!("{name} → {ip} (private): {}", chain.join("; ")),
                );
                if addresses.len() > 1 {
                    h.caveat = Some(format!(
                        "the record holds {} addresses; {ip} is followed",
                        addresses.len()
                    ));
                }
                self.push(h.by(last.unwrap_or_default()).resource(vnet.id.clone()));
                if let Some(zone) = r
                    .private_link_name
                    .as_deref()
                    .and_then(|n| n.split_once('.'))
                    .map(|(_, z)| z)
                {
                    for l in dns::zone_links(self.idx, zone, vnet)
                        .into_iter()
                        .filter(|l| l.effective)
                    {
                        let h = self.hops.last_mut().expect("just pushed");
                        h.resources.push(l.zone_id);
                        h.resources.extend(l.link_id);
                    }
                }
                return Some(Dest::Ip(ip));
            }
            Answer::Public { reason } => {
                let vault = self.vault_named(cloud, name);
                let h = Hop::new(
                    HopKind::NameResolution,
                    Outcome::Pass,
                    at,
                    format!(
                        "{name} resolves to its PUBLIC address ({reason}): {}",
                        chain.join("; ")
                    ),
                )
                .by(reason.clone())
                .resource(vnet.id.clone());
                self.push(h);
                return Some(Dest::Public { vault });
            }
            Answer::NxDomain { reason } => Hop::new(
                HopKind::NameResolution,
                Outcome::Block,
                at,
                format!(
                    "{name} does not resolve (NXDOMAIN: {reason}): {}",
                    chain.join("; ")
                ),
            )
            .by(reason.clone()),
            Answer::Unknown { reason } => Hop::new(
                HopKind::NameResolution,
                Outcome::Unknown,
                at,
                format!(
                    "{name}: {reason}{}",
                    if chain.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", chain.join("; "))
                    }
                ),
            )
            .by(reason.clone()),
        };
        hop.resources.push(vnet.id.clone());
        self.push(hop);
        None
    }

    /// The Key Vault whose public name is `name`, when the inventory holds it.
    fn vault_named(&self, cloud: Cloud, name: &str) -> Option<&'a KeyVault> {
        let (label, _, resource_type) = ZoneTable::shipped().private_link_name(cloud, name)?;
        if !resource_type.eq_ignore_ascii_case("Microsoft.KeyVault/vaults") {
            return None;
        }
        self.idx
            .inv
            .key_vaults
            .iter()
            .find(|k| k.display_name().eq_ignore_ascii_case(&label))
    }

    // ------------------------------------------------------------ the source side

    fn walk_from_source(&mut self, dest: Dest<'a>) {
        let (subnet, vnet) = (self.src.subnet, self.src.vnet);
        let next = self.route(subnet, vnet, dest);
        if matches!(next, Next::Dropped) {
            return;
        }
        if self.source_nsgs(dest) == Outcome::Block {
            return;
        }
        self.follow(subnet, vnet, next, dest, 0);
    }

    fn route(&mut self, subnet: &'a Subnet, vnet: &'a VirtualNetwork, dest: Dest<'a>) -> Next {
        let routes = self.facts.effective_routes(subnet, vnet);
        let at = place(subnet, vnet);
        match dest {
            Dest::Ip(ip) => {
                let Some(choice) = lookup(&routes, ip) else {
                    self.push(Hop::new(
                        HopKind::Route,
                        Outcome::Block,
                        at,
                        format!("no active route contains {ip}: the traffic is dropped"),
                    ));
                    return Next::Dropped;
                };
                let r = &choice.route;
                let next = next_of(r);
                let outcome = if matches!(next, Next::Dropped) {
                    Outcome::Block
                } else {
                    Outcome::Pass
                };
                let detail = format!(
                    "{ip} → {}{}: {}{}",
                    r.next_hop_type,
                    r.next_hop_ip_address
                        .as_deref()
                        .map(|a| format!(" {a}"))
                        .unwrap_or_default(),
                    choice.reason,
                    if outcome == Outcome::Block {
                        " (next hop None drops the traffic)"
                    } else {
                        ""
                    }
                );
                let hop = Hop::new(HopKind::Route, outcome, at, detail)
                    .by(self.route_name(subnet, r))
                    .caveat(choice.caveat.clone());
                let hop = self.route_resources(hop, subnet, r);
                self.push(hop);
                next
            }
            Dest::Public { vault } => self.route_to_service(subnet, vnet, vault, &routes),
        }
    }

    /// The route to a public service address: the subnet's service endpoint for the service when
    /// it has one (its routes carry the service's prefixes, more specific than any default route),
    /// else the default route (`0.0.0.0/0`), with the more specific public routes as a caveat.
    fn route_to_service(
        &mut self,
        subnet: &'a Subnet,
        vnet: &'a VirtualNetwork,
        vault: Option<&'a KeyVault>,
        routes: &[EffectiveRoute],
    ) -> Next {
        let at = place(subnet, vnet);
        if let Some(v) = vault {
            let region = v.location.as_deref().unwrap_or_default().replace(' ', "");
            let se = subnet.properties.service_endpoints.iter().find(|se| {
                se.service.trim().eq_ignore_ascii_case("Microsoft.KeyVault")
                    && (se.locations.is_empty()
                        || se.locations.iter().any(|l| {
                            l.trim() == "*" || l.replace(' ', "").eq_ignore_ascii_case(&region)
                        }))
            });
            if se.is_some() {
                let hop = Hop::new(
                    HopKind::Route,
                    Outcome::Pass,
                    at,
                    format!(
                        "{}'s public address → VirtualNetworkServiceEndpoint: the subnet's Microsoft.KeyVault service endpoint routes the AzureKeyVault prefixes, more specific than any default route, so a 0.0.0.0/0 user route does not take this traffic",
                        v.display_name()
                    ),
                )
                .by("service endpoint Microsoft.KeyVault")
                .resource(subnet.id.clone());
                self.push(hop);
                return Next::ServiceEndpoint;
            }
        }
        let best = routes
            .iter()
            .filter(|r| {
                r.state == RouteState::Active
                    && r.net()
                        .is_some_and(|n| n.prefix_len() == 0 && n.addr().is_ipv4())
            })
            .max_by_key(|r| r.source);
        let Some(best) = best else {
            self.push(Hop::new(
                HopKind::Route,
                Outcome::Block,
                at,
                "no active default route: public addresses are dropped",
            ));
            return Next::Dropped;
        };
        let specific: Vec<String> = routes
            .iter()
            .filter(|r| r.state == RouteState::Active)
            .filter(|r| {
                r.net().is_some_and(|n| {
                    n.prefix_len() > 0
                        && has_public_addresses(&crate::model::addr::PrefixSet::from_net(n))
                })
            })
            .map(|r| format!("{} → {}", r.address_prefix, r.next_hop_type))
            .collect();
        let caveat = (!specific.is_empty()).then(|| {
            format!(
                "the service's address is not known offline: if it lies in {}, that route applies instead",
                specific.join(", ")
            )
        });
        let next = next_of(best);
        let outcome = if matches!(next, Next::Dropped) {
            Outcome::Block
        } else {
            Outcome::Pass
        };
        let detail = format!(
            "public address → {}{} by the default route {}",
            best.next_hop_type,
            best.next_hop_ip_address
                .as_deref()
                .map(|a| format!(" {a}"))
                .unwrap_or_default(),
            best.address_prefix
        );
        let hop = Hop::new(HopKind::Route, outcome, at, detail)
            .by(self.route_name(subnet, best))
            .caveat(caveat);
        let hop = self.route_resources(hop, subnet, best);
        self.push(hop);
        next
    }

    fn route_name(&self, subnet: &Subnet, r: &EffectiveRoute) -> String {
        match r.source {
            RouteSource::User => {
                let rt = crate::model::routes::route_table_of(self.idx, subnet)
                    .map(|t| t.display_name().to_string())
                    .unwrap_or_default();
                format!(
                    "user route {rt}/{} ({} → {})",
                    r.origin.as_deref().unwrap_or("?"),
                    r.address_prefix,
                    r.next_hop_type
                )
            }
            RouteSource::VirtualNetworkGateway => {
                format!("gateway route {} → {}", r.address_prefix, r.next_hop_type)
            }
            RouteSource::Default => match r.origin.as_deref() {
                Some(o) => format!(
                    "system route {} → {} ({})",
                    r.address_prefix,
                    r.next_hop_type,
                    last_name(o)
                ),
                None => format!("system route {} → {}", r.address_prefix, r.next_hop_type),
            },
        }
    }

    fn route_resources(&self, hop: Hop, subnet: &Subnet, r: &EffectiveRoute) -> Hop {
        match r.source {
            RouteSource::User => match crate::model::routes::route_table_of(self.idx, subnet) {
                Some(rt) => hop.resource(rt.id.clone()),
                None => hop,
            },
            _ => match r.origin.as_deref().filter(|o| o.starts_with('/')) {
                Some(o) => hop.resource(o.to_string()),
                None => hop,
            },
        }
    }

    /// The subnet's and the NIC's NSGs, with what could not be found noted in `missing`.
    fn nsgs_of(
        &self,
        subnet: &Subnet,
        nic: Option<&NetworkInterface>,
        missing: &mut Vec<String>,
    ) -> (
        Option<&'a NetworkSecurityGroup>,
        Option<&'a NetworkSecurityGroup>,
    ) {
        let subnet_nsg = self.nsg_of(
            subnet
                .properties
                .network_security_group
                .as_ref()
                .map(|r| r.id.as_str()),
            missing,
        );
        let nic_nsg = self.nsg_of(
            nic.and_then(|n| n.properties.network_security_group.as_ref())
                .map(|r| r.id.as_str()),
            missing,
        );
        (subnet_nsg, nic_nsg)
    }

    fn nsg_of(
        &self,
        id: Option<&str>,
        missing: &mut Vec<String>,
    ) -> Option<&'a NetworkSecurityGroup> {
        let id = id?;
        let found = self.idx.nsg(id);
        if found.is_none() {
            missing.push(format!("NSG {} is not in the inventory", last_name(id)));
        }
        found
    }

    fn source_nsgs(&mut self, dest: Dest<'a>) -> Outcome {
        let (subnet, vnet, nic) = (self.src.subnet, self.src.vnet, self.src.nic);
        let mut missing = Vec::new();
        let (subnet_nsg, nic_nsg) = self.nsgs_of(subnet, nic, &mut missing);
        let at = match nic {
            Some(n) => format!("{} (NIC {})", place(subnet, vnet), n.display_name()),
            None => place(subnet, vnet),
        };
        let tags = self.facts.tag_resolver(subnet, vnet);
        let mut hop = match dest {
            Dest::Ip(ip) => {
                let (_, layers) = evaluate_layers(
                    subnet_nsg,
                    nic_nsg,
                    true,
                    &Direction::Outbound,
                    ip,
                    self.src.ip,
                    &self.protocol,
                    self.port,
                    &tags,
                );
                layer_hop(HopKind::SourceNsg, at, &layers, nic.is_some())
            }
            Dest::Public { vault } => {
                let service = service_address(vault);
                let mut parts = Vec::new();
                let mut outcome = Outcome::Pass;
                let mut by = None;
                let mut resources = Vec::new();
                for (layer, nsg) in [("NIC", nic_nsg), ("subnet", subnet_nsg)] {
                    let Some(nsg) = nsg else { continue };
                    resources.push(nsg.id.clone());
                    let v = evaluate_service_flow(
                        nsg,
                        &Direction::Outbound,
                        self.src.ip,
                        &self.protocol,
                        self.port,
                        &service,
                        &tags,
                    );
                    match v {
                        Some(ServiceVerdict::Decided(v)) => {
                            parts.push(format!(
                                "{layer} NSG {}: {} by {} ({})",
                                nsg.display_name(),
                                if v.allowed { "allowed" } else { "denied" },
                                v.rule,
                                v.priority
                            ));
                            by = Some(format!(
                                "{}/{} ({})",
                                nsg.display_name(),
                                v.rule,
                                v.priority
                            ));
                            if !v.allowed {
                                outcome = Outcome::Block;
                                break;
                            }
                        }
                        Some(ServiceVerdict::Open {
                            rule,
                            priority,
                            remote,
                        }) => {
                            parts.push(format!(
                                "{layer} NSG {}: rule {rule} ({priority}) decides if the service's address is in {}, which is not known offline",
                                nsg.display_name(),
                                remote.join(", ")
                            ));
                            by = Some(format!("{}/{rule} ({priority})", nsg.display_name()));
                            outcome = Outcome::Unknown;
                        }
                        None => parts.push(format!(
                            "{layer} NSG {}: no rule matches",
                            nsg.display_name()
                        )),
                    }
                }
                if parts.is_empty() {
                    parts.push("no NSG on the NIC or the subnet".into());
                }
                let mut h = Hop::new(HopKind::SourceNsg, outcome, at, parts.join("; "));
                h.decided_by = by;
                h.resources = resources;
                h
            }
        };
        if self.src.nic.is_none() {
            let nic_nsgs = self.nic_nsgs_in(subnet);
            if nic_nsgs > 0 {
                hop.caveat = Some(format!(
                    "no NIC given: {nic_nsgs} NIC(s) in the subnet have an NSG of their own, which also applies to their traffic"
                ));
            }
        }
        if !missing.is_empty() {
            hop.outcome = Outcome::Unknown;
            hop.detail = format!("{}; {}", missing.join("; "), hop.detail);
        }
        self.push(hop)
    }

    fn nic_nsgs_in(&self, subnet: &Subnet) -> usize {
        self.idx
            .inv
            .network_interfaces
            .iter()
            .filter(|n| n.properties.network_security_group.is_some())
            .filter(|n| {
                n.properties.ip_configurations.iter().any(|c| {
                    c.properties
                        .subnet
                        .as_ref()
                        .is_some_and(|s| same_id(&s.id, &subnet.id))
                })
            })
            .count()
    }

    // ------------------------------------------------------------ on the way

    fn follow(
        &mut self,
        subnet: &'a Subnet,
        vnet: &'a VirtualNetwork,
        next: Next,
        dest: Dest<'a>,
        appliances: u8,
    ) {
        match (next, dest) {
            (Next::Dropped, _) => {}
            (Next::Local, Dest::Ip(ip)) => self.arrive(vnet, ip, None),
            (Next::Peering(remote), Dest::Ip(ip)) => {
                if let Some(remote) = self.cross(vnet, &remote) {
                    self.arrive(remote, ip, None);
                }
            }
            (Next::Endpoint(pe_id), Dest::Ip(ip)) => {
                let pe = self.idx.private_endpoint(&pe_id);
                let pe_vnet = pe
                    .and_then(|p| p.subnet_id())
                    .and_then(|s| self.idx.subnet(s))
                    .map(|(_, v)| v);
                let target = match pe_vnet {
                    Some(v) if !same_id(&v.id, &vnet.id) => self.cross(vnet, &v.id),
                    Some(v) => Some(v),
                    None => Some(vnet),
                };
                if let Some(v) = target {
                    self.arrive(v, ip, pe);
                }
            }
            (Next::Appliance(ip), _) => self.appliance(subnet, vnet, ip, dest, appliances),
            (Next::Gateway, _) => {
                // The VNet's own gateway, or a hub's used through gateway transit.
                let gateways = crate::model::gateways::gateways_for(self.idx, vnet);
                let mut hop = match gateways.first() {
                    Some(g) => {
                        let via = g
                            .transit_hub
                            .map(|h| format!(" (gateway transit from {})", h.display_name()))
                            .unwrap_or_default();
                        Hop::new(
                            HopKind::Gateway,
                            Outcome::Unknown,
                            place(subnet, vnet),
                            format!(
                                "the traffic leaves through virtual network gateway {}{via}: what lies beyond it (on-premises, its routes and firewalls) is not in the inventory",
                                g.gateway.display_name()
                            ),
                        )
                        .by(g.gateway.display_name())
                        .resource(g.gateway.id.clone())
                    }
                    None => Hop::new(
                        HopKind::Gateway,
                        Outcome::Unknown,
                        place(subnet, vnet),
                        format!(
                            "the route's next hop is a virtual network gateway, but neither {} nor a hub it uses through gateway transit has one in the inventory: if none exists, Azure drops the traffic",
                            vnet.display_name()
                        ),
                    ),
                };
                if gateways.len() > 1 {
                    hop.caveat = Some(format!(
                        "{} gateways reach this VNet; the first is named",
                        gateways.len()
                    ));
                }
                self.push(hop);
            }
            (Next::Internet, Dest::Public { vault: Some(v) }) => {
                let through = self.appliance_name(appliances);
                let hop = firewall_hop(v, &Arrival::Internet { through }, self.src.subnet);
                self.push(hop);
            }
            (Next::ServiceEndpoint, Dest::Public { vault: Some(v) }) => {
                let hop = firewall_hop(v, &Arrival::ServiceEndpoint, self.src.subnet);
                self.push(hop);
            }
            (Next::Internet | Next::ServiceEndpoint, Dest::Public { vault: None }) => {
                self.push(Hop::new(
                    HopKind::Destination,
                    Outcome::Unknown,
                    "public endpoint",
                    "the flow reaches the service's public address; the service's own firewall is not evaluated (azaudit evaluates Key Vault's, for a vault in the inventory)",
                ));
            }
            (Next::Internet, Dest::Ip(ip)) if !is_non_internet(ip) => {
                self.push(Hop::new(
                    HopKind::Destination,
                    Outcome::Pass,
                    "Internet",
                    format!("the flow leaves Azure for {ip} on the Internet; what answers there is not evaluated"),
                ));
            }
            (Next::Internet, Dest::Ip(ip)) => {
                self.push(Hop::new(
                    HopKind::Destination,
                    Outcome::Unknown,
                    "Internet",
                    format!("the route sends the private address {ip} to the Internet next hop, where no VNet holds it"),
                ));
            }
            (Next::ServiceEndpoint, Dest::Ip(ip)) => {
                self.push(Hop::new(
                    HopKind::Destination,
                    Outcome::Unknown,
                    "service endpoint",
                    format!("{ip} is a service's address reached over a service endpoint; the service's own firewall is not evaluated"),
                ));
            }
            (Next::Local | Next::Peering(_) | Next::Endpoint(_), Dest::Public { .. }) => {
                self.push(Hop::new(
                    HopKind::Destination,
                    Outcome::Unknown,
                    place(subnet, vnet),
                    "a route inside the network covers public addresses; which one holds the service's address is not known offline",
                ));
            }
        }
    }

    fn appliance_name(&self, appliances: u8) -> Option<String> {
        if appliances == 0 {
            return None;
        }
        self.hops
            .iter()
            .rev()
            .find(|h| h.kind == HopKind::Appliance)
            .and_then(|h| h.decided_by.clone())
    }

    /// Crosses the peering from `from` to the VNet `to_id`; the remote VNet when the flow goes on.
    fn cross(&mut self, from: &'a VirtualNetwork, to_id: &str) -> Option<&'a VirtualNetwork> {
        let at = format!("{} → {}", from.display_name(), last_name(to_id));
        let peering = from.properties.virtual_network_peerings.iter().find(|p| {
            p.properties
                .remote_virtual_network
                .as_ref()
                .is_some_and(|r| same_id(&r.id, to_id))
        });
        let Some(p) = peering else {
            self.push(Hop::new(
                HopKind::Peering,
                Outcome::Block,
                at,
                format!(
                    "{} has no peering to {}",
                    from.display_name(),
                    last_name(to_id)
                ),
            ));
            return None;
        };
        let name = p.name.clone().unwrap_or_else(|| "peering".into());
        let with_id = |h: Hop| match &p.id {
            Some(id) => h.resource(id.clone()),
            None => h,
        };
        if !p.is_connected() {
            let state = p
                .properties
                .peering_state
                .as_ref()
                .map_or("absent".to_string(), |s| s.to_string());
            self.push(with_id(
                Hop::new(
                    HopKind::Peering,
                    Outcome::Block,
                    at,
                    format!("peering {name} is {state}, not Connected"),
                )
                .by(name),
            ));
            return None;
        }
        let Some(remote) = self.idx.vnet(to_id) else {
            self.push(with_id(
                Hop::new(
                    HopKind::Peering,
                    Outcome::Unknown,
                    at,
                    format!(
                        "peering {name} is Connected but VNet {} is not in the inventory",
                        last_name(to_id)
                    ),
                )
                .by(name),
            ));
            return None;
        };
        let back = remote.properties.virtual_network_peerings.iter().find(|b| {
            b.properties
                .remote_virtual_network
                .as_ref()
                .is_some_and(|r| same_id(&r.id, &from.id))
        });
        let flag = |v: Option<bool>| v.map_or("absent".to_string(), |b| b.to_string());
        let mut facts = vec![
            format!("{name} Connected"),
            format!(
                "allowVirtualNetworkAccess {}",
                flag(p.properties.allow_virtual_network_access)
            ),
        ];
        if let Some(b) = back {
            facts.push(format!(
                "{} allowForwardedTraffic {}",
                b.name.as_deref().unwrap_or("the peering back"),
                flag(b.properties.allow_forwarded_traffic)
            ));
        }
        if p.properties.use_remote_gateways == Some(true)
            || back.is_some_and(|b| b.properties.allow_gateway_transit == Some(true))
        {
            facts.push(format!(
                "gateway transit: useRemoteGateways {}, allowGatewayTransit {}",
                flag(p.properties.use_remote_gateways),
                flag(back.and_then(|b| b.properties.allow_gateway_transit))
            ));
        }
        // Traffic whose source lies outside `from` was forwarded by an appliance there.
        let forwarded = !from
            .properties
            .address_space
            .address_prefixes
            .iter()
            .filter_map(|p| crate::model::addr::PrefixSet::parse(p))
            .any(|s| s.contains_addr(self.src.ip));
        let mut hop =
            with_id(Hop::new(HopKind::Peering, Outcome::Pass, at, facts.join("; ")).by(name));
        if let Some(id) = back.and_then(|b| b.id.as_ref()) {
            hop.resources.push(id.clone());
        }
        if forwarded && back.is_some_and(|b| b.properties.allow_forwarded_traffic != Some(true)) {
            hop.outcome = Outcome::Block;
            hop.detail = format!(
                "{}; the flow from {} was forwarded by an appliance in {}, and {}'s peering back does not allow forwarded traffic, so {} drops it",
                hop.detail,
                self.src.ip,
                from.display_name(),
                remote.display_name(),
                remote.display_name()
            );
            hop.caveat = Some("Microsoft documents allowForwardedTraffic as required for traffic an appliance forwards into the peered VNet; field tests report it is not enforced in every case".into());
        } else if p.properties.allow_virtual_network_access == Some(false) {
            hop.caveat = Some(format!(
                "allowVirtualNetworkAccess false keeps {} out of the VirtualNetwork tag: rules that allow VirtualNetwork do not admit it",
                remote.display_name()
            ));
        }
        let ok = hop.outcome != Outcome::Block;
        self.push(hop);
        ok.then_some(remote)
    }

    fn appliance(
        &mut self,
        subnet: &'a Subnet,
        vnet: &'a VirtualNetwork,
        ip: Option<String>,
        dest: Dest<'a>,
        appliances: u8,
    ) {
        let at = place(subnet, vnet);
        let Some(addr) = ip.as_deref().and_then(|s| s.trim().parse::<IpAddr>().ok()) else {
            self.push(Hop::new(
                HopKind::Appliance,
                Outcome::Block,
                at,
                "the route's next hop VirtualAppliance has no address: the traffic is dropped",
            ));
            return;
        };
        if appliances >= MAX_APPLIANCES {
            self.push(Hop::new(HopKind::Appliance, Outcome::Unknown, at, format!("more than {MAX_APPLIANCES} appliances in a row (a routing loop?): not followed further")));
            return;
        }
        if let Some(fw) = self.idx.inv.azure_firewalls.iter().find(|f| {
            f.private_ips()
                .iter()
                .any(|p| p.trim().parse::<IpAddr>().ok() == Some(addr))
        }) {
            let fw_subnet = fw
                .properties
                .ip_configurations
                .iter()
                .find_map(|c| c.properties.subnet.as_ref())
                .and_then(|s| self.idx.subnet(&s.id));
            let service;
            let end = match dest {
                Dest::Ip(ip) => FlowEnd::Addr(ip),
                Dest::Public { vault } => {
                    service = service_address(vault);
                    FlowEnd::Service(&service)
                }
            };
            let name = fw.display_name();
            let (outcome, detail, by) = match evaluate_firewall(
                fw,
                self.src.ip,
                end,
                &self.protocol,
                self.port,
            ) {
                FirewallVerdict::Rule {
                    allowed,
                    collection,
                    rule,
                    priority,
                } => (
                    if allowed {
                        Outcome::Pass
                    } else {
                        Outcome::Block
                    },
                    format!(
                        "{name} ({addr}) {} it by network rule {rule} of collection {collection} ({priority})",
                        if allowed { "allows" } else { "denies" }
                    ),
                    format!("{name}/{collection}/{rule} ({priority})"),
                ),
                FirewallVerdict::DefaultDeny => (
                    Outcome::Block,
                    format!(
                        "{name} ({addr}): no network rule matches and it has no application rules, so it denies the flow by default"
                    ),
                    format!("{name} (default deny)"),
                ),
                FirewallVerdict::Open { why } => (
                    Outcome::Unknown,
                    format!("inspected by {name} ({addr}) (its rules are not evaluated): {why}"),
                    name.to_string(),
                ),
            };
            let mut hop = Hop::new(HopKind::Appliance, outcome, name, detail)
                .by(by)
                .resource(fw.id.clone());
            if matches!(dest, Dest::Ip(ip) if is_non_internet(ip)) && outcome != Outcome::Block {
                hop.caveat = Some(format!(
                    "network rules keep the source address for private destinations; traffic an application rule allows arrives from {name}'s addresses in AzureFirewallSubnet instead"
                ));
                self.snat = Some((name.to_string(), addr));
            }
            let Some((fw_subnet, fw_vnet)) = fw_subnet else {
                hop.detail.push_str(
                    "; it sits in a Virtual WAN hub, whose routing azaudit does not model",
                );
                self.push(hop);
                return;
            };
            if !same_id(&fw_vnet.id, &vnet.id) && self.cross(vnet, &fw_vnet.id).is_none() {
                return;
            }
            if self.push(hop) == Outcome::Block {
                return;
            }
            // Azure Firewall does not translate the source of traffic to private addresses, so the
            // destination sees the original source; the onward leg starts in its subnet.
            let next = self.route(fw_subnet, fw_vnet, dest);
            self.follow(fw_subnet, fw_vnet, next, dest, appliances + 1);
            return;
        }
        if let Some((nic, nic_subnet)) = nic_with_ip(self.idx, addr) {
            self.nva(vnet, nic, nic_subnet, addr, dest, appliances);
            return;
        }
        self.push(Hop::new(
            HopKind::Appliance,
            Outcome::Unknown,
            at,
            format!("no NIC or Azure Firewall in the inventory holds the next hop {addr}: if none exists, Azure drops the traffic"),
        ));
    }

    #[allow(clippy::too_many_arguments)]
    fn nva(
        &mut self,
        vnet: &'a VirtualNetwork,
        nic: &'a NetworkInterface,
        nic_subnet: Option<&str>,
        addr: IpAddr,
        dest: Dest<'a>,
        appliances: u8,
    ) {
        let name = nic.display_name().to_string();
        if nic.properties.enable_ip_forwarding != Some(true) {
            self.push(
                Hop::new(
                    HopKind::Appliance,
                    Outcome::Block,
                    name.clone(),
                    format!("the next hop {addr} is NIC {name}, which has IP forwarding disabled: Azure drops traffic sent to it that is addressed elsewhere"),
                )
                .by(format!("{name} enableIPForwarding false"))
                .resource(nic.id.clone()),
            );
            return;
        }
        let located = nic_subnet.and_then(|s| self.idx.subnet(s));
        let Some((nva_subnet, nva_vnet)) = located else {
            self.push(Hop::new(HopKind::Appliance, Outcome::Unknown, name, format!("inspected by {} ({addr}) (its rules are not evaluated); its subnet is not in the inventory", nic.display_name())).resource(nic.id.clone()));
            return;
        };
        if !same_id(&nva_vnet.id, &vnet.id) && self.cross(vnet, &nva_vnet.id).is_none() {
            return;
        }
        let mut hop = Hop::new(
            HopKind::Appliance,
            Outcome::Unknown,
            name.clone(),
            format!("inspected by {name} ({addr}) (its rules are not evaluated)"),
        )
        .by(name)
        .resource(nic.id.clone());
        hop.caveat = Some(
            "the appliance may translate the source address; the onward hops assume it keeps it"
                .into(),
        );
        self.push(hop);
        if self.appliance_nsgs(nva_subnet, nva_vnet, nic, dest) == Outcome::Block {
            return;
        }
        let next = self.route(nva_subnet, nva_vnet, dest);
        self.follow(nva_subnet, nva_vnet, next, dest, appliances + 1);
    }

    /// The appliance NIC's and subnet's NSGs judge the forwarded packet as it is: inbound on the
    /// way in (subnet then NIC), outbound on the way out (NIC then subnet), both with the flow's
    /// own source and destination addresses.
    fn appliance_nsgs(
        &mut self,
        subnet: &'a Subnet,
        vnet: &'a VirtualNetwork,
        nic: &'a NetworkInterface,
        dest: Dest<'a>,
    ) -> Outcome {
        let mut missing = Vec::new();
        let (subnet_nsg, nic_nsg) = self.nsgs_of(subnet, Some(nic), &mut missing);
        let at = format!("{} (NIC {})", place(subnet, vnet), nic.display_name());
        let Dest::Ip(ip) = dest else {
            if subnet_nsg.is_none() && nic_nsg.is_none() {
                return Outcome::Pass;
            }
            let hop = Hop::new(
                HopKind::ApplianceNsg,
                Outcome::Unknown,
                at,
                "the appliance's NSGs judge the forwarded flow to the service's public address: not evaluated",
            );
            return self.push(hop);
        };
        if subnet_nsg.is_none() && nic_nsg.is_none() && missing.is_empty() {
            return Outcome::Pass;
        }
        let tags = self.facts.tag_resolver(subnet, vnet);
        let (inbound_ok, inbound) = evaluate_layers(
            subnet_nsg,
            nic_nsg,
            true,
            &Direction::Inbound,
            self.src.ip,
            ip,
            &self.protocol,
            self.port,
            &tags,
        );
        let mut hop = layer_hop(HopKind::ApplianceNsg, at.clone(), &inbound, true);
        hop.detail = format!("in: {}", hop.detail);
        if inbound_ok {
            let (_, outbound) = evaluate_layers(
                subnet_nsg,
                nic_nsg,
                true,
                &Direction::Outbound,
                ip,
                self.src.ip,
                &self.protocol,
                self.port,
                &tags,
            );
            let out = layer_hop(HopKind::ApplianceNsg, at, &outbound, true);
            hop.detail = format!("{}; out: {}", hop.detail, out.detail);
            hop.outcome = out.outcome;
            hop.decided_by = out.decided_by.or(hop.decided_by);
            for r in out.resources {
                if !hop.resources.contains(&r) {
                    hop.resources.push(r);
                }
            }
        }
        if !missing.is_empty() {
            hop.outcome = Outcome::Unknown;
            hop.detail = format!("{}; {}", missing.join("; "), hop.detail);
        }
        self.push(hop)
    }

    // ------------------------------------------------------------ the destination side

    fn arrive(&mut self, vnet: &'a VirtualNetwork, ip: IpAddr, pe: Option<&'a PrivateEndpoint>) {
        let nic = nic_with_ip(self.idx, ip).filter(|(_, s)| {
            s.and_then(|s| self.idx.subnet(s))
                .is_some_and(|(_, v)| same_id(&v.id, &vnet.id))
        });
        let pe = pe
            .or_else(|| {
                nic.and_then(|(n, _)| n.properties.private_endpoint.as_ref())
                    .and_then(|r| self.idx.private_endpoint(&r.id))
            })
            .or_else(|| {
                self.idx
                    .endpoints_in_vnet(&vnet.id)
                    .iter()
                    .copied()
                    .find(|p| {
                        self.idx
                            .endpoint_ips(p)
                            .iter()
                            .any(|a| a.parse::<IpAddr>().ok() == Some(ip))
                    })
            });
        let subnet = nic
            .and_then(|(_, s)| s)
            .or_else(|| pe.and_then(|p| p.subnet_id()))
            .and_then(|s| self.idx.subnet(s))
            .or_else(|| {
                subnets_holding(self.idx, ip, Some(&vnet.id))
                    .into_iter()
                    .next()
            });
        let Some((subnet, vnet)) = subnet else {
            self.push(Hop::new(
                HopKind::Destination,
                Outcome::Block,
                format!("VNet {}", vnet.display_name()),
                format!(
                    "no subnet of {} holds {ip}: nothing can answer",
                    vnet.display_name()
                ),
            ));
            return;
        };
        let nic = nic.map(|(n, _)| n);
        let mut missing = Vec::new();
        let (subnet_nsg, nic_nsg) = self.nsgs_of(subnet, nic, &mut missing);
        let applies = pe.is_none() || subnet.pe_network_policies().nsg_applies();
        let mut tags = self.facts.tag_resolver(subnet, vnet);
        if !is_non_internet(self.src.ip) {
            tags = tags.for_internet_flows();
        }
        let at = match (nic, pe) {
            (_, Some(p)) => format!(
                "{} (private endpoint {})",
                place(subnet, vnet),
                p.display_name()
            ),
            (Some(n), None) => format!("{} (NIC {})", place(subnet, vnet), n.display_name()),
            (None, None) => place(subnet, vnet),
        };
        let mut hop = if !applies {
            let mut h = Hop::new(
                HopKind::DestinationNsg,
                Outcome::Pass,
                at.clone(),
                format!(
                    "NSG rules are not applied to private endpoint {}: subnet {} has privateEndpointNetworkPolicies {}",
                    pe.map(|p| p.display_name()).unwrap_or_default(),
                    subnet.display_name(),
                    subnet.pe_network_policies()
                ),
            )
            .by(format!("privateEndpointNetworkPolicies {}", subnet.pe_network_policies()))
            .resource(subnet.id.clone());
            if let Some(n) = subnet_nsg {
                h.resources.push(n.id.clone());
            }
            h
        } else {
            let (_, layers) = evaluate_layers(
                subnet_nsg,
                nic_nsg,
                true,
                &Direction::Inbound,
                self.src.ip,
                ip,
                &self.protocol,
                self.port,
                &tags,
            );
            let mut h = layer_hop(HopKind::DestinationNsg, at.clone(), &layers, nic.is_some());
            if let Some((fw, fw_ip)) = self.snat.clone() {
                let (snat_allowed, snat_layers) = evaluate_layers(
                    subnet_nsg,
                    nic_nsg,
                    true,
                    &Direction::Inbound,
                    fw_ip,
                    ip,
                    &self.protocol,
                    self.port,
                    &tags,
                );
                if snat_allowed != (h.outcome != Outcome::Block) {
                    let by = layer_hop(
                        HopKind::DestinationNsg,
                        String::new(),
                        &snat_layers,
                        nic.is_some(),
                    );
                    h.caveat = Some(format!(
                        "if an application rule of {fw} carries the flow, it arrives from {fw}'s addresses ({fw_ip} and its instances) and is {} ({})",
                        if snat_allowed { "allowed" } else { "denied" },
                        by.decided_by.unwrap_or_default()
                    ));
                }
            }
            h
        };
        if !missing.is_empty() {
            hop.outcome = Outcome::Unknown;
            hop.detail = format!("{}; {}", missing.join("; "), hop.detail);
        }
        if self.push(hop) == Outcome::Block {
            return;
        }
        let hop = match (pe, nic) {
            (Some(p), _) => {
                let targets: Vec<String> = p
                    .connections()
                    .map(|c| last_name(c.target()).to_string())
                    .collect();
                let approved = p.connections().any(|c| c.is_approved());
                if approved {
                    Hop::new(HopKind::Destination, Outcome::Pass, at, format!("private endpoint {} of {}", p.display_name(), targets.join(", ")))
                } else {
                    let status: Vec<String> = p
                        .connections()
                        .map(|c| c.status().map_or("unknown".to_string(), |s| s.to_string()))
                        .collect();
                    Hop::new(
                        HopKind::Destination,
                        Outcome::Block,
                        at,
                        format!("private endpoint {} has no approved connection (status {}): it carries no traffic to {}", p.display_name(), status.join(", "), targets.join(", ")),
                    )
                    .by("private link connection not approved")
                }
                .resource(p.id.clone())
            }
            (None, Some(n)) => Hop::new(
                HopKind::Destination,
                Outcome::Pass,
                at,
                match &n.properties.virtual_machine {
                    Some(vm) => format!("NIC {} of VM {}", n.display_name(), last_name(&vm.id)),
                    None => format!("NIC {}", n.display_name()),
                },
            )
            .resource(n.id.clone()),
            (None, None) => Hop::new(
                HopKind::Destination,
                Outcome::Unknown,
                at,
                format!(
                    "no NIC or private endpoint in the inventory holds {ip}: whether anything answers is not known"
                ),
            ),
        };
        self.push(hop);
    }
}

/// What is known of the public address the flow goes to: a vault's tags, else only that it is an
/// Azure service's.
fn service_address(vault: Option<&KeyVault>) -> ServiceAddress {
    match vault {
        Some(v) => ServiceAddress::key_vault(v.location.as_deref()),
        None => ServiceAddress::azure_service(),
    }
}

fn next_of(r: &EffectiveRoute) -> Next {
    match &r.next_hop_type {
        NextHopType::VnetLocal => Next::Local,
        NextHopType::VnetPeering => match &r.origin {
            Some(o) => Next::Peering(o.clone()),
            None => Next::Dropped,
        },
        NextHopType::InterfaceEndpoint => Next::Endpoint(r.origin.clone().unwrap_or_default()),
        NextHopType::VirtualAppliance => Next::Appliance(r.next_hop_ip_address.clone()),
        NextHopType::VirtualNetworkGateway => Next::Gateway,
        NextHopType::Internet => Next::Internet,
        NextHopType::ServiceEndpoint => Next::ServiceEndpoint,
        _ => Next::Dropped,
    }
}

/// A hop from NSG layer verdicts, naming the deciding rule (the denying one, else the last allow).
/// Without a NIC, its layer is not shown: there is none to speak of.
fn layer_hop(kind: HopKind, at: String, layers: &[LayerVerdict], with_nic: bool) -> Hop {
    let mut parts = Vec::new();
    let mut by = None;
    let mut outcome = Outcome::Pass;
    let mut resources = Vec::new();
    for l in layers.iter().filter(|l| with_nic || l.layer != "nic") {
        let Some(id) = &l.network_security_group else {
            parts.push(format!("no {} NSG", l.layer));
            continue;
        };
        resources.push(id.clone());
        let name = last_name(id);
        match &l.verdict {
            Some(v) => {
                parts.push(format!(
                    "{} NSG {name}: {} by {} ({})",
                    l.layer,
                    if v.allowed { "allowed" } else { "denied" },
                    v.rule,
                    v.priority
                ));
                by = Some(format!("{name}/{} ({})", v.rule, v.priority));
                if !v.allowed {
                    outcome = Outcome::Block;
                }
            }
            None => parts.push(format!("{} NSG {name}: no rule matches", l.layer)),
        }
    }
    let mut h = Hop::new(kind, outcome, at, parts.join("; "));
    h.decided_by = by;
    h.resources = resources;
    h
}
