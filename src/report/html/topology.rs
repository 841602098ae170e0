//! The topology picture, laid out in Rust and written as inline SVG: one band per subscription
//! with its VNets (subnets inside, with NSG, route table, delegation, private endpoints, firewalls
//! and gateways), peerings drawn once between VNet boxes, UDR next hops as arrows to the subnet of
//! the appliance (or to the Virtual WAN hub whose firewall it is), and a band of private DNS zones with dashed lines to the VNets they are linked
//! to. The layout is a grid per band in a fixed order (most-peered VNets first, then by name), so
//! the same inventory always gives the same picture.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::{Keys, escape};
use crate::azure::id::{id_key, last_name, subscription_of};
use crate::collect::Snapshot;
use crate::findings::Severity;
use crate::inventory::Inventory;
use crate::inventory::network::{NextHopType, RouteTable, Subnet, VirtualNetwork};
use crate::report::Report;

pub(crate) const MARGIN: f64 = 20.0;
pub(crate) const VNET_W: f64 = 340.0;
pub(crate) const GAP_X: f64 = 60.0;
const GAP_Y: f64 = 50.0;
pub(crate) const COLS: usize = 4;
const BAND_HEAD: f64 = 34.0;
const VNET_HEAD: f64 = 46.0;
const SUBNET_H: f64 = 42.0;
const SUBNET_GAP: f64 = 6.0;
const ZONE_H: f64 = 46.0;
/// More UDR arrows than this would hide the picture: subnet tags carry them instead.
const MAX_ARROWS: usize = 40;
/// More VNets than this are drawn as an overview of subscriptions (see [`layout`]).
pub(crate) const COLLAPSE_VNETS: usize = 40;

/// A drawn box.
#[derive(Debug, Clone, PartialEq)]
pub struct Rect {
    pub id: String,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

// The geometry is read by the layout tests.
#[cfg_attr(not(test), allow(dead_code))]
impl Rect {
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
    pub fn contains(&self, o: &Rect) -> bool {
        o.x >= self.x
            && o.y >= self.y
            && o.x + o.w <= self.x + self.w
            && o.y + o.h <= self.y + self.h
    }
    pub(crate) fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    pub(crate) fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

/// The picture and the geometry it was drawn from (for tests).
#[derive(Debug, Clone)]
#[cfg_attr(not(test), allow(dead_code))]
pub struct Layout {
    pub svg: String,
    /// VNet and DNS zone boxes (top-level boxes: none may overlap another).
    pub boxes: Vec<Rect>,
    /// Subnet boxes, each inside its VNet's box.
    pub subnets: Vec<(String, Rect)>,
    /// Peerings drawn, as (VNet key, VNet key) with the smaller key first.
    pub peerings: Vec<(String, String)>,
    /// UDR arrows drawn, as (VNet key, key of the subnet holding the appliance).
    pub arrows: Vec<(String, String)>,
    /// DNS zone links drawn, as (zone key, VNet key); in the overview (zone key, subscription).
    pub links: Vec<(String, String)>,
    /// In the overview: edges between subscription boxes, as (subscription, subscription, number
    /// of VNet peerings between them), the smaller subscription first.
    pub group_edges: Vec<(String, String, usize)>,
    /// In the overview: each subscription's own picture.
    pub parts: Vec<Layout>,
}

pub(crate) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub(crate) fn badge(h: &mut String, x: f64, y: f64, sev: Option<Severity>) {
    if let Some(s) = sev {
        let _ = write!(
            h,
            "<g class=\"badge sev-{s}\"><rect x=\"{x:.0}\" y=\"{y:.0}\" width=\"58\" height=\"16\" rx=\"8\"/><text x=\"{:.0}\" y=\"{:.0}\">{s}</text></g>",
            x + 29.0,
            y + 12.0
        );
    }
}

/// Lays the snapshot's network out and draws it, with each element's worst active finding. Past
/// [`COLLAPSE_VNETS`] VNets one picture would not be legible: the picture then shows one box per
/// subscription (with its counts) and the links between them, and each subscription's own
/// picture is folded away beside it, opened by clicking its box.
pub(crate) fn layout(snapshot: &Snapshot, report: &Report, keys: &mut Keys) -> Layout {
    let mut l = if snapshot.inventory.virtual_networks.len() > COLLAPSE_VNETS {
        super::overview::layout(snapshot, report, keys)
    } else {
        let worst = worst_by_key(report, keys);
        draw(snapshot, report, keys, &worst, None, "topo")
    };
    l.svg.push_str("<p class=\"legend\"><span class=\"l-peer\">—</span> peering (connected) <span class=\"l-broken\">- -</span> peering not connected <span class=\"l-transit\">—</span> gateway transit <span class=\"l-dns\">· ·</span> private DNS zone link <span class=\"l-udr\">→</span> UDR next hop to an appliance or a Virtual WAN hub firewall</p>\n");
    l
}

/// Draws the VNets of every subscription (`only` = None, with the private DNS zones) or of one.
pub(crate) fn draw(
    snapshot: &Snapshot,
    report: &Report,
    keys: &mut Keys,
    worst: &BTreeMap<usize, Severity>,
    only: Option<&str>,
    svg_id: &str,
) -> Layout {
    let inv = &snapshot.inventory;
    // In one subscription's picture, only its VNets are read.
    let in_view = |id: &str| {
        only.is_none_or(|o| subscription_of(id).is_some_and(|s| s.eq_ignore_ascii_case(o)))
    };
    let worst_of = |ks: &[usize]| ks.iter().filter_map(|k| worst.get(k).copied()).max();

    // What sits in each subnet.
    let mut in_subnet: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new(); // key → (label, resource id)
    // Private IP → (subnet key, what holds it).
    let mut ip_owner: BTreeMap<String, (String, String)> = BTreeMap::new();
    for fw in &inv.azure_firewalls {
        for c in &fw.properties.ip_configurations {
            if let Some(s) = &c.properties.subnet {
                in_subnet
                    .entry(id_key(&s.id))
                    .or_default()
                    .push((format!("FW {}", fw.display_name()), fw.id.clone()));
                if let Some(ip) = &c.properties.private_ip_address {
                    ip_owner.insert(
                        ip.clone(),
                        (id_key(&s.id), format!("FW {}", fw.display_name())),
                    );
                }
            }
        }
    }
    // Virtual WAN hub firewalls sit in no subnet: one box per hub, in the band of the hub's
    // subscription, and UDRs to the firewall's hub address point at it.
    let mut hubs: BTreeMap<String, Vec<HubBox>> = BTreeMap::new();
    {
        let mut by_hub: BTreeMap<String, HubBox> = BTreeMap::new();
        for fw in &inv.azure_firewalls {
            let in_a_subnet = fw
                .properties
                .ip_configurations
                .iter()
                .any(|c| c.properties.subnet.is_some());
            let hub_ip = fw
                .properties
                .hub_ip_addresses
                .as_ref()
                .and_then(|h| h.private_ip());
            if in_a_subnet || (fw.properties.virtual_hub.is_none() && hub_ip.is_none()) {
                continue;
            }
            let hub_id = fw
                .properties
                .virtual_hub
                .as_ref()
                .map(|h| h.id.clone())
                .unwrap_or_else(|| fw.id.clone());
            let key = format!("hub:{}", id_key(&hub_id));
            let b = by_hub.entry(key.clone()).or_insert_with(|| HubBox {
                key: key.clone(),
                id: hub_id.clone(),
                firewalls: Vec::new(),
            });
            let label = format!(
                "FW {}{}",
                fw.display_name(),
                hub_ip.map(|ip| format!(" {ip}")).unwrap_or_default()
            );
            b.firewalls.push((label.clone(), fw.id.clone()));
            if let Some(ip) = hub_ip {
                ip_owner.insert(ip.to_string(), (key, format!("FW {}", fw.display_name())));
            }
        }
        for (_, b) in by_hub {
            hubs.entry(subscription_of(&b.id).unwrap_or_default())
                .or_default()
                .push(b);
        }
    }
    for gw in &inv.virtual_network_gateways {
        for c in &gw.properties.ip_configurations {
            if let Some(s) = &c.properties.subnet {
                in_subnet.entry(id_key(&s.id)).or_default().push((
                    format!(
                        "GW {} {}",
                        gw.display_name(),
                        gw.properties.gateway_type.as_deref().unwrap_or_default()
                    ),
                    gw.id.clone(),
                ));
            }
        }
    }
    for ag in &inv.application_gateways {
        for c in &ag.properties.gateway_ip_configurations {
            if let Some(s) = &c.properties.subnet {
                in_subnet
                    .entry(id_key(&s.id))
                    .or_default()
                    .push((format!("AppGW {}", ag.display_name()), ag.id.clone()));
            }
        }
    }
    for nic in &inv.network_interfaces {
        for c in &nic.properties.ip_configurations {
            if let (Some(s), Some(ip)) = (&c.properties.subnet, &c.properties.private_ip_address) {
                ip_owner
                    .entry(ip.clone())
                    .or_insert_with(|| (id_key(&s.id), format!("NIC {}", nic.display_name())));
            }
        }
    }
    let mut endpoints: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pe in &inv.private_endpoints {
        if let Some(s) = &pe.properties.subnet {
            endpoints
                .entry(id_key(&s.id))
                .or_default()
                .push(pe.id.clone());
        }
    }
    // UDR next hops: subnet key → (appliance's subnet key, appliance) → routes.
    let mut udr: BTreeMap<String, BTreeMap<(String, String), Vec<String>>> = BTreeMap::new();
    for hop in appliance_routes(inv, inv.virtual_networks.iter().filter(|v| in_view(&v.id))) {
        if let Some((t, label)) = ip_owner.get(hop.ip) {
            udr.entry(id_key(&hop.subnet.id))
                .or_default()
                .entry((t.clone(), label.clone()))
                .or_default()
                .push(format!("{} → {}", hop.prefix, hop.ip));
        }
    }

    // Bands: subscriptions in scope order, then any other subscription holding a VNet.
    let mut degree: BTreeMap<String, usize> = BTreeMap::new();
    for v in inv.virtual_networks.iter().filter(|v| in_view(&v.id)) {
        for p in &v.properties.virtual_network_peerings {
            if let Some(r) = &p.properties.remote_virtual_network {
                *degree.entry(id_key(&v.id)).or_default() += 1;
                *degree.entry(id_key(&r.id)).or_default() += 1;
            }
        }
    }
    let mut bands: BTreeMap<String, Vec<&crate::inventory::network::VirtualNetwork>> =
        BTreeMap::new();
    for v in &inv.virtual_networks {
        bands
            .entry(subscription_of(&v.id).unwrap_or_default())
            .or_default()
            .push(v);
    }
    for vs in bands.values_mut() {
        vs.sort_by(|a, b| {
            let da = degree.get(&id_key(&a.id)).copied().unwrap_or(0);
            let db = degree.get(&id_key(&b.id)).copied().unwrap_or(0);
            db.cmp(&da)
                .then_with(|| {
                    a.display_name()
                        .to_lowercase()
                        .cmp(&b.display_name().to_lowercase())
                })
                .then_with(|| id_key(&a.id).cmp(&id_key(&b.id)))
        });
    }
    for sub in hubs.keys() {
        bands.entry(sub.clone()).or_default();
    }
    let mut order: Vec<String> = snapshot
        .scope
        .subscriptions
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .filter(|s| bands.contains_key(s))
        .collect();
    for s in bands.keys() {
        if !order.contains(s) {
            order.push(s.clone());
        }
    }
    if let Some(o) = only {
        order.retain(|s| s.eq_ignore_ascii_case(o));
    }

    let width = MARGIN * 2.0 + COLS as f64 * VNET_W + (COLS - 1) as f64 * GAP_X;
    let mut body = String::new(); // boxes
    let mut boxes = Vec::new();
    let mut subnets = Vec::new();
    let mut vnet_rect: BTreeMap<String, Rect> = BTreeMap::new();
    // Arrow targets: subnets holding an appliance, and Virtual WAN hubs.
    let mut subnet_rect: BTreeMap<String, Rect> = BTreeMap::new();
    let mut y = MARGIN;
    for sub in &order {
        let vs = &bands[sub];
        let label = match report.scope.subscription_name(sub) {
            Some(n) => format!("{n} — {sub}"),
            None => format!("subscription {sub}"),
        };
        let band_top = y;
        y += BAND_HEAD;
        let mut band_boxes = String::new();
        for row in vs.chunks(COLS) {
            let row_h = row
                .iter()
                .map(|v| vnet_height(v.properties.subnets.len()))
                .fold(0.0, f64::max);
            for (i, v) in row.iter().enumerate() {
                let x = MARGIN + i as f64 * (VNET_W + GAP_X);
                let r = Rect {
                    id: id_key(&v.id),
                    x,
                    y,
                    w: VNET_W,
                    h: vnet_height(v.properties.subnets.len()),
                };
                let vk = [keys.of(&v.id)];
                // In one subscription's picture, peerings to other subscriptions are named, not drawn.
                let outside: Vec<&str> = v
                    .properties
                    .virtual_network_peerings
                    .iter()
                    .filter_map(|p| p.properties.remote_virtual_network.as_ref())
                    .filter(|r| !in_view(&r.id))
                    .map(|r| last_name(&r.id))
                    .collect();
                let (outside_title, outside_tag) = if outside.is_empty() {
                    (String::new(), String::new())
                } else {
                    (
                        format!("\npeered outside this subscription: {}", outside.join(", ")),
                        format!(" · ⇄{} outside", outside.len()),
                    )
                };
                let _ = write!(
                    band_boxes,
                    "<g class=\"res vnet\" data-keys=\"{}\" data-name=\"{}\" tabindex=\"0\"><title>{}</title><rect class=\"vnet-box\" x=\"{x:.0}\" y=\"{y:.0}\" width=\"{VNET_W:.0}\" height=\"{:.0}\" rx=\"6\"/><text class=\"vnet-name\" x=\"{:.0}\" y=\"{:.0}\">{}</text><text class=\"small\" x=\"{:.0}\" y=\"{:.0}\">{}{}{}</text></g>",
                    vk[0],
                    escape(v.display_name()),
                    escape(&format!("{}{outside_title}", v.id)),
                    r.h,
                    x + 10.0,
                    y + 19.0,
                    escape(&clip(v.display_name(), 30)),
                    x + 10.0,
                    y + 36.0,
                    escape(&clip(
                        &v.properties.address_space.address_prefixes.join(" "),
                        40
                    )),
                    v.location
                        .as_deref()
                        .map(|l| format!(" · {}", escape(l)))
                        .unwrap_or_default(),
                    escape(&outside_tag)
                );
                badge(&mut band_boxes, x + VNET_W - 66.0, y + 8.0, worst_of(&vk));
                for (j, s) in v.properties.subnets.iter().enumerate() {
                    let sy = y + VNET_HEAD + j as f64 * (SUBNET_H + SUBNET_GAP);
                    let sr = Rect {
                        id: id_key(&s.id),
                        x: x + 10.0,
                        y: sy,
                        w: VNET_W - 20.0,
                        h: SUBNET_H,
                    };
                    let sk = id_key(&s.id);
                    let mut ks = vec![keys.of(&s.id)];
                    let mut tags: Vec<String> = Vec::new();
                    let p = &s.properties;
                    if let Some(n) = &p.network_security_group {
                        ks.push(keys.of(&n.id));
                        tags.push(format!("NSG {}", last_name(&n.id)));
                    }
                    if let Some(rt) = &p.route_table {
                        ks.push(keys.of(&rt.id));
                        tags.push(format!("RT {}", last_name(&rt.id)));
                    }
                    for d in &p.delegations {
                        tags.push(format!("⇢ {}", d.properties.service_name));
                    }
                    if let Some(pes) = endpoints.get(&sk) {
                        for pe in pes {
                            ks.push(keys.of(pe));
                        }
                        tags.push(format!("PE ×{}", pes.len()));
                    }
                    if let Some(targets) = udr.get(&sk) {
                        for (_, label) in targets.keys() {
                            tags.push(format!("UDR→{label}"));
                        }
                    }
                    if let Some(items) = in_subnet.get(&sk) {
                        for (l, id) in items {
                            ks.push(keys.of(id));
                            tags.push(l.clone());
                        }
                    }
                    let prefix = p
                        .address_prefix
                        .clone()
                        .unwrap_or_else(|| p.address_prefixes.join(" "));
                    let ks_attr: Vec<String> = ks.iter().map(|k| k.to_string()).collect();
                    let _ = write!(
                        band_boxes,
                        "<g class=\"res subnet\" data-keys=\"{}\" data-name=\"{}\" tabindex=\"0\"><title>{}&#10;{}</title><rect class=\"subnet-box\" x=\"{:.0}\" y=\"{sy:.0}\" width=\"{:.0}\" height=\"{SUBNET_H:.0}\" rx=\"4\"/><text x=\"{:.0}\" y=\"{:.0}\"><tspan class=\"subnet-name\">{}</tspan> <tspan class=\"small\">{}</tspan></text><text class=\"tags\" x=\"{:.0}\" y=\"{:.0}\">{}</text></g>",
                        ks_attr.join(" "),
                        escape(s.display_name()),
                        escape(&s.id),
                        escape(&tags.join(" · ")),
                        sr.x,
                        sr.w,
                        sr.x + 8.0,
                        sy + 16.0,
                        escape(&clip(s.display_name(), 26)),
                        escape(&clip(&prefix, 20)),
                        sr.x + 8.0,
                        sy + 33.0,
                        escape(&clip(&tags.join(" · "), 52))
                    );
                    badge(&mut band_boxes, sr.x + sr.w - 64.0, sy + 4.0, worst_of(&ks));
                    subnet_rect.insert(sk, sr.clone());
                    subnets.push((r.id.clone(), sr));
                }
                vnet_rect.insert(r.id.clone(), r.clone());
                boxes.push(r);
            }
            y += row_h + GAP_Y;
        }
        for row in hubs
            .get(sub)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .chunks(COLS)
        {
            let row_h = row
                .iter()
                .map(|b| hub_height(b.firewalls.len()))
                .fold(0.0, f64::max);
            for (i, hub) in row.iter().enumerate() {
                let x = MARGIN + i as f64 * (VNET_W + GAP_X);
                let r = Rect {
                    id: hub.key.clone(),
                    x,
                    y,
                    w: VNET_W,
                    h: hub_height(hub.firewalls.len()),
                };
                let ks: Vec<usize> = std::iter::once(keys.of(&hub.id))
                    .chain(hub.firewalls.iter().map(|(_, id)| keys.of(id)))
                    .collect();
                let ks_attr: Vec<String> = ks.iter().map(|k| k.to_string()).collect();
                let _ = write!(
                    band_boxes,
                    "<g class=\"res hub\" data-keys=\"{}\" data-name=\"{}\" tabindex=\"0\"><title>{}</title><rect class=\"hub-box\" x=\"{x:.0}\" y=\"{y:.0}\" width=\"{VNET_W:.0}\" height=\"{:.0}\" rx=\"6\"/><text class=\"vnet-name\" x=\"{:.0}\" y=\"{:.0}\">{}</text><text class=\"small\" x=\"{:.0}\" y=\"{:.0}\">Virtual WAN hub</text>",
                    ks_attr.join(" "),
                    escape(last_name(&hub.id)),
                    escape(&hub.id),
                    r.h,
                    x + 10.0,
                    y + 19.0,
                    escape(&clip(last_name(&hub.id), 30)),
                    x + 10.0,
                    y + 36.0
                );
                for (j, (label, _)) in hub.firewalls.iter().enumerate() {
                    let _ = write!(
                        band_boxes,
                        "<text class=\"tags\" x=\"{:.0}\" y=\"{:.0}\">{}</text>",
                        x + 10.0,
                        y + VNET_HEAD + 12.0 + j as f64 * 18.0,
                        escape(&clip(label, 50))
                    );
                }
                band_boxes.push_str("</g>");
                badge(&mut band_boxes, x + VNET_W - 66.0, y + 8.0, worst_of(&ks));
                subnet_rect.insert(hub.key.clone(), r.clone());
                boxes.push(r);
            }
            y += row_h + GAP_Y;
        }
        let _ = write!(
            body,
            "<g class=\"band\"><rect class=\"band-box\" x=\"{:.0}\" y=\"{band_top:.0}\" width=\"{:.0}\" height=\"{:.0}\" rx=\"8\"/><text class=\"band-name\" x=\"{:.0}\" y=\"{:.0}\">{}</text>{band_boxes}</g>",
            MARGIN / 2.0,
            width - MARGIN,
            y - band_top - GAP_Y / 2.0,
            MARGIN,
            band_top + 22.0,
            escape(&label)
        );
    }

    // Private DNS zones, in name order, with their links.
    // A subscription's own picture leaves the zones to the overview.
    let mut zones: Vec<_> = if only.is_none() {
        inv.private_dns_zones.iter().collect()
    } else {
        Vec::new()
    };
    zones.sort_by(|a, b| {
        a.display_name()
            .to_lowercase()
            .cmp(&b.display_name().to_lowercase())
            .then_with(|| id_key(&a.id).cmp(&id_key(&b.id)))
    });
    let mut edges = String::new();
    let mut links = Vec::new();
    if !zones.is_empty() {
        let band_top = y;
        y += BAND_HEAD;
        let mut zone_boxes = String::new();
        for row in zones.chunks(COLS) {
            for (i, z) in row.iter().enumerate() {
                let x = MARGIN + i as f64 * (VNET_W + GAP_X);
                let zk = id_key(&z.id);
                let r = Rect {
                    id: zk.clone(),
                    x,
                    y,
                    w: VNET_W,
                    h: ZONE_H,
                };
                let mut ks = vec![keys.of(&z.id)];
                let mut linked = 0;
                let prefix = format!("{zk}/virtualnetworklinks/");
                let mut zone_links: Vec<_> = inv
                    .virtual_network_links
                    .iter()
                    .filter(|l| id_key(&l.id).starts_with(&prefix))
                    .collect();
                zone_links.sort_by_key(|l| id_key(&l.id));
                for l in zone_links {
                    ks.push(keys.of(&l.id));
                    linked += 1;
                    if let Some(v) = &l.properties.virtual_network
                        && let Some(vr) = vnet_rect.get(&id_key(&v.id))
                    {
                        let _ = write!(
                            edges,
                            "<line class=\"dnslink\" x1=\"{:.0}\" y1=\"{:.0}\" x2=\"{:.0}\" y2=\"{:.0}\"><title>{} linked to {}</title></line>",
                            r.cx(),
                            r.y,
                            vr.cx(),
                            vr.y + vr.h,
                            escape(z.display_name()),
                            escape(last_name(&v.id))
                        );
                        links.push((zk.clone(), vr.id.clone()));
                    }
                }
                let ks_attr: Vec<String> = ks.iter().map(|k| k.to_string()).collect();
                let _ = write!(
                    zone_boxes,
                    "<g class=\"res zone\" data-keys=\"{}\" data-name=\"{}\" tabindex=\"0\"><title>{}</title><rect class=\"zone-box\" x=\"{x:.0}\" y=\"{y:.0}\" width=\"{VNET_W:.0}\" height=\"{ZONE_H:.0}\" rx=\"6\"/><text class=\"zone-name\" x=\"{:.0}\" y=\"{:.0}\">{}</text><text class=\"small\" x=\"{:.0}\" y=\"{:.0}\">{linked} VNet link(s)</text></g>",
                    ks_attr.join(" "),
                    escape(z.display_name()),
                    escape(&z.id),
                    x + 10.0,
                    y + 19.0,
                    escape(&clip(z.display_name(), 34)),
                    x + 10.0,
                    y + 37.0
                );
                badge(&mut zone_boxes, x + VNET_W - 66.0, y + 8.0, worst_of(&ks));
                boxes.push(r);
            }
            y += ZONE_H + GAP_Y;
        }
        let _ = write!(
            body,
            "<g class=\"band\"><rect class=\"band-box\" x=\"{:.0}\" y=\"{band_top:.0}\" width=\"{:.0}\" height=\"{:.0}\" rx=\"8\"/><text class=\"band-name\" x=\"{:.0}\" y=\"{:.0}\">Private DNS zones</text>{zone_boxes}</g>",
            MARGIN / 2.0,
            width - MARGIN,
            y - band_top - GAP_Y / 2.0,
            MARGIN,
            band_top + 22.0
        );
    }

    // Peerings, once per pair of VNets.
    let mut pairs: BTreeMap<
        (String, String),
        Vec<&crate::inventory::network::VirtualNetworkPeering>,
    > = BTreeMap::new();
    for v in &inv.virtual_networks {
        for p in &v.properties.virtual_network_peerings {
            if let Some(r) = &p.properties.remote_virtual_network {
                let (a, b) = (id_key(&v.id), id_key(&r.id));
                let key = if a <= b { (a, b) } else { (b, a) };
                pairs.entry(key).or_default().push(p);
            }
        }
    }
    let mut peerings = Vec::new();
    for ((a, b), ps) in &pairs {
        let (Some(ra), Some(rb)) = (vnet_rect.get(a), vnet_rect.get(b)) else {
            continue;
        };
        let connected = ps.iter().all(|p| {
            p.properties
                .peering_state
                .as_ref()
                .is_some_and(|s| s.as_str().eq_ignore_ascii_case("connected"))
        }) && ps.len() == 2;
        let transit = ps.iter().any(|p| {
            p.properties.allow_gateway_transit == Some(true)
                || p.properties.use_remote_gateways == Some(true)
        });
        let states: BTreeSet<String> = ps
            .iter()
            .map(|p| {
                p.properties
                    .peering_state
                    .as_ref()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "unknown".into())
            })
            .collect();
        let state = if connected {
            "Connected".to_string()
        } else if ps.len() == 1 {
            format!(
                "one side only: {}",
                states.iter().cloned().collect::<Vec<_>>().join("/")
            )
        } else {
            states.into_iter().collect::<Vec<_>>().join("/")
        };
        let (x1, y1) = (ra.cx(), ra.cy());
        let (x2, y2) = (rb.cx(), rb.cy());
        let bend = if (y1 - y2).abs() < 1.0 { -60.0 } else { 0.0 };
        let (mx, my) = ((x1 + x2) / 2.0, (y1.min(y2)) + bend);
        let _ = write!(
            edges,
            "<path class=\"peering{}{}\" d=\"M{x1:.0},{y1:.0} Q{mx:.0},{my:.0} {x2:.0},{y2:.0}\"><title>peering {} ⇄ {}: {}{}</title></path>",
            if connected { "" } else { " broken" },
            if transit { " transit" } else { "" },
            escape(last_name(a)),
            escape(last_name(b)),
            escape(&state),
            if transit { ", gateway transit" } else { "" }
        );
        if !connected {
            // A peering that carries no traffic says why on the picture, not only in its tooltip.
            let (lx, ly) = (
                0.25 * x1 + 0.5 * mx + 0.25 * x2,
                0.25 * y1 + 0.5 * my + 0.25 * y2,
            );
            let _ = write!(
                edges,
                "<text class=\"peering-state\" x=\"{lx:.0}\" y=\"{ly:.0}\">{}</text>",
                escape(&clip(&state, 40))
            );
        }
        peerings.push((a.clone(), b.clone()));
    }

    // UDR next hops: one arrow per VNet and appliance subnet, from the VNet's box to the subnet
    // holding the appliance; past MAX_ARROWS the subnets' `UDR→` tags say it instead.
    let mut per_vnet: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (sk, targets) in &udr {
        let Some((vnet, _)) = subnets.iter().find(|(_, r)| &r.id == sk) else {
            continue;
        };
        for ((t, label), routes) in targets {
            if !subnet_rect.contains_key(t) || subnets.iter().any(|(v, r)| &r.id == t && v == vnet)
            {
                continue;
            }
            per_vnet
                .entry((vnet.clone(), t.clone()))
                .or_default()
                .push(format!(
                    "{} to {label}: {}",
                    last_name(sk),
                    routes.join(", ")
                ));
        }
    }
    let mut arrows_svg = String::new();
    let mut arrows = Vec::new();
    if per_vnet.len() <= MAX_ARROWS {
        for ((vk, t), notes) in &per_vnet {
            let (from, to) = (&vnet_rect[vk], &subnet_rect[t]);
            let (x1, x2) = if from.cx() <= to.cx() {
                (from.x + from.w, to.x + to.w)
            } else {
                (from.x, to.x)
            };
            let (y1, y2) = (from.y + 24.0, to.cy());
            let _ = write!(
                arrows_svg,
                "<line class=\"udr\" x1=\"{x1:.0}\" y1=\"{y1:.0}\" x2=\"{x2:.0}\" y2=\"{y2:.0}\" marker-end=\"url(#arrow-{svg_id})\"><title>UDR {}</title></line>",
                escape(&notes.join("; "))
            );
            arrows.push((vk.clone(), t.clone()));
        }
    }
    let arrows_left_out = if per_vnet.len() > MAX_ARROWS {
        per_vnet.len()
    } else {
        0
    };

    let height = y + MARGIN;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg id=\"{svg_id}\" class=\"topo\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"network topology\"><defs><marker id=\"arrow-{svg_id}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\"/></marker></defs>"
    );
    // Bands first, then edges over the band backgrounds but under the boxes.
    let (bands_bg, rest) = split_backgrounds(&body);
    svg.push_str(&bands_bg);
    let _ = write!(svg, "<g class=\"edges\">{edges}</g>");
    svg.push_str(&rest);
    let _ = write!(svg, "<g class=\"arrows\">{arrows_svg}</g>");
    let _ = write!(
        svg,
        "<g class=\"legend\" transform=\"translate({:.0},{:.0})\"></g></svg>",
        MARGIN,
        height - 4.0
    );
    svg.push('\n');
    if only.is_none() && inv.virtual_networks.is_empty() && zones.is_empty() {
        svg = "<p>The inventory holds no virtual network or private DNS zone.</p>\n".into();
    }
    if arrows_left_out > 0 {
        let _ = writeln!(
            svg,
            "<p class=\"hint\">{arrows_left_out} UDR next-hop arrows are left out of the picture; each routed subnet's <code>UDR→</code> tag names its appliance.</p>"
        );
    }
    Layout {
        svg,
        boxes,
        subnets,
        peerings,
        arrows,
        links,
        group_edges: Vec::new(),
        parts: Vec::new(),
    }
}

/// Splits the band groups into their background rectangles (drawn first) and their content, so
/// edges run above band backgrounds and below VNet boxes.
/// A subnet's route to a virtual appliance, as both pictures draw it: an arrow to the appliance.
pub(super) struct ApplianceRoute<'a> {
    pub vnet: &'a VirtualNetwork,
    pub subnet: &'a Subnet,
    pub prefix: &'a str,
    /// The next hop's address, trimmed.
    pub ip: &'a str,
}

/// The virtual-appliance routes of every subnet of `vnets`, through its route table.
pub(super) fn appliance_routes<'a>(
    inv: &'a Inventory,
    vnets: impl Iterator<Item = &'a VirtualNetwork>,
) -> Vec<ApplianceRoute<'a>> {
    let route_tables: BTreeMap<String, &RouteTable> = inv
        .route_tables
        .iter()
        .map(|r| (id_key(&r.id), r))
        .collect();
    let mut out = Vec::new();
    for vnet in vnets {
        for subnet in &vnet.properties.subnets {
            let Some(rt) = subnet
                .properties
                .route_table
                .as_ref()
                .and_then(|r| route_tables.get(&id_key(&r.id)))
            else {
                continue;
            };
            for r in &rt.properties.routes {
                if r.properties.next_hop_type != NextHopType::VirtualAppliance {
                    continue;
                }
                out.push(ApplianceRoute {
                    vnet,
                    subnet,
                    prefix: &r.properties.address_prefix,
                    ip: r
                        .properties
                        .next_hop_ip_address
                        .as_deref()
                        .unwrap_or_default()
                        .trim(),
                });
            }
        }
    }
    out
}

fn split_backgrounds(body: &str) -> (String, String) {
    let mut bg = String::new();
    let mut rest = String::new();
    for part in body.split("<g class=\"band\">").filter(|p| !p.is_empty()) {
        // Each part: <rect class="band-box" …/><text …>…</text>…boxes…</g>
        let end = part.find("/>").map(|i| i + 2).unwrap_or(0);
        bg.push_str(&part[..end]);
        rest.push_str("<g class=\"band\">");
        rest.push_str(&part[end..]);
    }
    (bg, rest)
}

/// Worst active severity per resource key: of the findings on it or naming it as related.
pub(crate) fn worst_by_key(report: &Report, keys: &mut Keys) -> BTreeMap<usize, Severity> {
    let mut worst: BTreeMap<usize, Severity> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.is_active()) {
        for id in std::iter::once(&f.resource_id).chain(f.related.iter().map(|r| &r.resource_id)) {
            let k = keys.of(id);
            let e = worst.entry(k).or_insert(f.severity);
            if f.severity > *e {
                *e = f.severity;
            }
        }
    }
    worst
}

/// A Virtual WAN hub and the firewalls in it: (label, firewall id).
struct HubBox {
    key: String,
    id: String,
    firewalls: Vec<(String, String)>,
}

fn hub_height(firewalls: usize) -> f64 {
    VNET_HEAD + firewalls.max(1) as f64 * 18.0 + 8.0
}

fn vnet_height(subnets: usize) -> f64 {
    VNET_HEAD + subnets.max(1) as f64 * (SUBNET_H + SUBNET_GAP) + 4.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> (Snapshot, Report) {
        let s = crate::collect::demo::snapshot();
        let r = crate::scan::build_report(
            &s,
            "demo",
            None,
            "2026-11-24T08:00:00Z".parse().unwrap(),
            std::time::Instant::now(),
        );
        (s, r)
    }

    #[test]
    fn boxes_do_not_overlap_and_subnets_sit_in_their_vnet() {
        let (s, r) = demo();
        let l = layout(&s, &r, &mut Keys::default());
        assert!(l.boxes.len() >= s.inventory.virtual_networks.len());
        for (i, a) in l.boxes.iter().enumerate() {
            for b in &l.boxes[i + 1..] {
                assert!(!a.overlaps(b), "{} overlaps {}", a.id, b.id);
            }
        }
        for (vnet, sr) in &l.subnets {
            let vr = l.boxes.iter().find(|b| &b.id == vnet).unwrap();
            assert!(vr.contains(sr), "{} outside {vnet}", sr.id);
        }
        for (i, a) in l.subnets.iter().enumerate() {
            for b in &l.subnets[i + 1..] {
                assert!(!a.1.overlaps(&b.1), "{} overlaps {}", a.1.id, b.1.id);
            }
        }
    }

    #[test]
    fn each_peering_is_drawn_once() {
        let (s, r) = demo();
        let l = layout(&s, &r, &mut Keys::default());
        let unique: BTreeSet<_> = l.peerings.iter().cloned().collect();
        assert_eq!(unique.len(), l.peerings.len());
        let mut expected = BTreeSet::new();
        for v in &s.inventory.virtual_networks {
            for p in &v.properties.virtual_network_peerings {
                let r = p.properties.remote_virtual_network.as_ref().unwrap();
                let (a, b) = (id_key(&v.id), id_key(&r.id));
                if s.inventory
                    .virtual_networks
                    .iter()
                    .any(|w| id_key(&w.id) == b)
                {
                    expected.insert(if a <= b { (a, b) } else { (b, a) });
                }
            }
        }
        assert!(!expected.is_empty());
        assert_eq!(unique, expected);
        assert_eq!(
            l.svg.matches("<path class=\"peering").count(),
            l.peerings.len()
        );
        assert!(
            !l.arrows.is_empty(),
            "the demo's UDRs to the firewall are drawn"
        );
        assert!(!l.links.is_empty(), "the demo's zone links are drawn");
    }

    #[test]
    fn a_peering_that_is_not_connected_is_dashed_and_labelled() {
        let (mut s, r) = demo();
        let v = s
            .inventory
            .virtual_networks
            .iter_mut()
            .find(|v| !v.properties.virtual_network_peerings.is_empty())
            .unwrap();
        v.properties.virtual_network_peerings[0]
            .properties
            .peering_state = Some(crate::inventory::network::PeeringState::Disconnected);
        let l = layout(&s, &r, &mut Keys::default());
        assert_eq!(l.svg.matches("<path class=\"peering broken").count(), 1);
        assert!(l.svg.contains("class=\"peering-state\""));
        assert!(l.svg.contains("Connected/Disconnected") || l.svg.contains("Disconnected"));
    }

    /// A Virtual WAN hub firewall in the shape of Microsoft's AzureFirewallPutInHub example (no
    /// ip configuration; `virtualHub` and `hubIPAddresses`), with a spoke's UDR pointing at it.
    fn with_hub_firewall() -> (Snapshot, Report, String) {
        let (mut s, r) = demo();
        let sub = s.scope.subscriptions[0].clone();
        let fw: crate::inventory::network::AzureFirewall = serde_json::from_value(serde_json::json!({
            "name": "azurefirewall",
            "id": format!("/subscriptions/{sub}/resourceGroups/rg-wan/providers/Microsoft.Network/azureFirewalls/azurefirewall"),
            "type": "Microsoft.Network/azureFirewalls",
            "location": "West US",
            "properties": {
                "provisioningState": "Succeeded",
                "sku": {"name": "AZFW_Hub", "tier": "Standard"},
                "threatIntelMode": "Alert",
                "virtualHub": {"id": format!("/subscriptions/{sub}/resourceGroups/rg-wan/providers/Microsoft.Network/virtualHubs/hub1")},
                "hubIPAddresses": {"publicIPs": {"addresses": [{"address": "13.73.240.12"}], "count": 1}, "privateIPAddress": "10.200.0.132"},
                "additionalProperties": {}
            }
        }))
        .unwrap();
        s.inventory.azure_firewalls.push(fw);
        let rt = s
            .inventory
            .route_tables
            .iter_mut()
            .find(|t| {
                t.properties
                    .routes
                    .iter()
                    .any(|r| r.properties.next_hop_type == NextHopType::VirtualAppliance)
            })
            .unwrap();
        let route = rt
            .properties
            .routes
            .iter_mut()
            .find(|r| r.properties.next_hop_type == NextHopType::VirtualAppliance)
            .unwrap();
        route.properties.next_hop_ip_address = Some("10.200.0.132".into());
        let hub_key = format!(
            "hub:{}",
            id_key(&format!(
                "/subscriptions/{sub}/resourceGroups/rg-wan/providers/Microsoft.Network/virtualHubs/hub1"
            ))
        );
        (s, r, hub_key)
    }

    #[test]
    fn a_virtual_wan_hub_firewall_is_drawn_and_udrs_point_at_its_hub() {
        let (s, r, hub) = with_hub_firewall();
        let l = layout(&s, &r, &mut Keys::default());
        assert!(l.boxes.iter().any(|b| b.id == hub), "no box for the hub");
        for (i, a) in l.boxes.iter().enumerate() {
            for b in &l.boxes[i + 1..] {
                assert!(!a.overlaps(b), "{} overlaps {}", a.id, b.id);
            }
        }
        assert!(l.svg.contains("Virtual WAN hub"));
        assert!(l.svg.contains("FW azurefirewall 10.200.0.132"));
        assert!(
            l.arrows.iter().any(|(_, t)| t == &hub),
            "UDR arrows: {:?}",
            l.arrows
        );
        // Without the route to it, the hub is drawn but nothing points at it.
        let (mut s, r, hub) = with_hub_firewall();
        for t in &mut s.inventory.route_tables {
            for route in &mut t.properties.routes {
                if route.properties.next_hop_ip_address.as_deref() == Some("10.200.0.132") {
                    route.properties.next_hop_ip_address = Some("10.9.9.9".into());
                }
            }
        }
        let l = layout(&s, &r, &mut Keys::default());
        assert!(l.boxes.iter().any(|b| b.id == hub));
        assert!(!l.arrows.iter().any(|(_, t)| t == &hub));
    }

    #[test]
    fn same_inventory_same_picture() {
        let (s, r) = demo();
        let a = layout(&s, &r, &mut Keys::default()).svg;
        let b = layout(&s, &r, &mut Keys::default()).svg;
        assert_eq!(a, b);
    }

    #[test]
    fn hostile_names_are_text() {
        let (mut s, r) = demo();
        s.inventory.virtual_networks[0].name = Some("<script>alert(1)</script>\"'</svg>&".into());
        let l = layout(&s, &r, &mut Keys::default());
        assert!(!l.svg.contains("<script>"));
        assert!(!l.svg.contains("</svg>&"));
        assert!(
            l.svg
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&lt;/svg&gt;&amp;")
        );
    }
}
