//! The topology of a large tenant: one collapsed box per subscription (its VNets, subnets and Virtual
//! WAN hubs counted, its worst active finding as a badge), straight lines for the VNet peerings
//! between two subscriptions (one line per pair of subscriptions, labelled with how many), curved
//! arrows for UDRs whose appliance is in another subscription, and the private DNS zones with
//! dotted lines to the subscriptions whose VNets they are linked to. Each subscription's own
//! picture (see [`super::topology::draw`]) follows, folded; clicking its box opens it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::topology::{
    COLS, GAP_X, Layout, MARGIN, Rect, VNET_W, appliance_routes, badge, clip, draw, worst_by_key,
};
use super::{Keys, escape};
use crate::azure::id::{id_key, subscription_of};
use crate::collect::Snapshot;
use crate::findings::Severity;
use crate::report::Report;

const GROUP_COLS: usize = 6;
const GROUP_H: f64 = 78.0;
const GROUP_GAP_Y: f64 = 70.0;
const ZONE_H: f64 = 46.0;
/// Past this many subscription-to-subscription UDR arrows, the appliances' boxes count them.
const MAX_GROUP_ARROWS: usize = 12;
/// Past this many subscriptions linked to one zone, the zone's box counts them.
const MAX_ZONE_LINES: usize = 8;

fn group_w() -> f64 {
    let width = COLS as f64 * VNET_W + (COLS - 1) as f64 * GAP_X;
    (width - (GROUP_COLS - 1) as f64 * 40.0) / GROUP_COLS as f64
}

#[derive(Default)]
struct Group {
    vnets: usize,
    subnets: usize,
    hubs: BTreeSet<String>,
    worst: Option<Severity>,
}

pub(crate) fn layout(snapshot: &Snapshot, report: &Report, keys: &mut Keys) -> Layout {
    let inv = &snapshot.inventory;
    let sub_of = |id: &str| subscription_of(id).unwrap_or_default().to_ascii_lowercase();
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut vnet_sub: BTreeMap<String, String> = BTreeMap::new();
    for v in &inv.virtual_networks {
        let g = groups.entry(sub_of(&v.id)).or_default();
        g.vnets += 1;
        g.subnets += v.properties.subnets.len();
        vnet_sub.insert(id_key(&v.id), sub_of(&v.id));
    }
    // Hub firewalls without a subnet sit in their Virtual WAN hub (drawn in the hub's subscription).
    let mut fw_ip_sub: BTreeMap<String, String> = BTreeMap::new();
    for fw in &inv.azure_firewalls {
        for c in &fw.properties.ip_configurations {
            if let (Some(s), Some(ip)) = (&c.properties.subnet, &c.properties.private_ip_address) {
                fw_ip_sub.insert(ip.trim().to_string(), sub_of(&s.id));
            }
        }
        if fw
            .properties
            .ip_configurations
            .iter()
            .all(|c| c.properties.subnet.is_none())
            && let Some(hub) = &fw.properties.virtual_hub
        {
            groups
                .entry(sub_of(&hub.id))
                .or_default()
                .hubs
                .insert(id_key(&hub.id));
            if let Some(ip) = fw
                .properties
                .hub_ip_addresses
                .as_ref()
                .and_then(|h| h.private_ip())
            {
                fw_ip_sub.insert(ip.to_string(), sub_of(&hub.id));
            }
        }
    }
    for nic in &inv.network_interfaces {
        for c in &nic.properties.ip_configurations {
            if let (Some(s), Some(ip)) = (&c.properties.subnet, &c.properties.private_ip_address) {
                fw_ip_sub
                    .entry(ip.trim().to_string())
                    .or_insert_with(|| sub_of(&s.id));
            }
        }
    }
    for f in report.findings.iter().filter(|f| f.is_active()) {
        if let Some(g) = f
            .subscription_id
            .as_deref()
            .and_then(|s| groups.get_mut(&s.to_ascii_lowercase()))
        {
            g.worst = g.worst.max(Some(f.severity));
        }
    }

    // Peerings between subscriptions, once per pair of VNets.
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    for v in &inv.virtual_networks {
        for p in &v.properties.virtual_network_peerings {
            if let Some(r) = &p.properties.remote_virtual_network {
                let (a, b) = (id_key(&v.id), id_key(&r.id));
                pairs.insert(if a <= b { (a, b) } else { (b, a) });
            }
        }
    }
    let mut between: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut degree: BTreeMap<String, usize> = BTreeMap::new();
    for (a, b) in &pairs {
        let (Some(sa), Some(sb)) = (vnet_sub.get(a), vnet_sub.get(b)) else {
            continue;
        };
        if sa != sb {
            let key = if sa <= sb {
                (sa.clone(), sb.clone())
            } else {
                (sb.clone(), sa.clone())
            };
            *between.entry(key).or_default() += 1;
            *degree.entry(sa.clone()).or_default() += 1;
            *degree.entry(sb.clone()).or_default() += 1;
        }
    }

    // UDRs whose appliance is in another subscription: (from, to) → routed subnets.
    let mut udr: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for hop in appliance_routes(inv, inv.virtual_networks.iter()) {
        if let Some(to) = fw_ip_sub.get(hop.ip)
            && *to != sub_of(&hop.vnet.id)
            && groups.contains_key(to)
        {
            udr.entry((sub_of(&hop.vnet.id), to.clone()))
                .or_default()
                .insert(id_key(&hop.subnet.id));
        }
    }

    // Order: the most connected subscriptions (hubs) first, then the scope's order.
    let scope: Vec<String> = snapshot
        .scope
        .subscriptions
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let mut order: Vec<String> = groups.keys().cloned().collect();
    order.sort_by(|a, b| {
        let rank = |s: &String| scope.iter().position(|x| x == s).unwrap_or(usize::MAX);
        degree
            .get(b)
            .copied()
            .unwrap_or(0)
            .cmp(&degree.get(a).copied().unwrap_or(0))
            .then_with(|| rank(a).cmp(&rank(b)))
            .then_with(|| a.cmp(b))
    });

    let gw = group_w();
    let width = MARGIN * 2.0 + COLS as f64 * VNET_W + (COLS - 1) as f64 * GAP_X;
    let mut boxes = Vec::new();
    let mut rect_of: BTreeMap<String, Rect> = BTreeMap::new();
    let mut body = String::new();
    let mut y = MARGIN;
    // A hub subscription (peered with several others) gets the first row to itself, centred, so
    // its lines fan out evenly.
    let hub_row = order
        .first()
        .is_some_and(|s| degree.get(s).copied().unwrap_or(0) >= GROUP_COLS);
    let mut rows: Vec<&[String]> = Vec::new();
    if hub_row {
        rows.push(&order[..1]);
        rows.extend(order[1..].chunks(GROUP_COLS));
    } else {
        rows.extend(order.chunks(GROUP_COLS));
    }
    let mut udr_in: BTreeMap<&String, usize> = BTreeMap::new();
    for (_, to) in udr.keys() {
        *udr_in.entry(to).or_default() += 1;
    }
    let draw_udr = udr.len() <= MAX_GROUP_ARROWS;
    for row in rows {
        let left = if row.len() == 1 && hub_row && row[0] == order[0] {
            MARGIN + (width - 2.0 * MARGIN - gw) / 2.0
        } else {
            MARGIN
        };
        for (i, sub) in row.iter().enumerate() {
            let g = &groups[sub];
            let n = order.iter().position(|s| s == sub).unwrap_or(0);
            let x = left + i as f64 * (gw + 40.0);
            let r = Rect {
                id: sub.clone(),
                x,
                y,
                w: gw,
                h: GROUP_H,
            };
            let name = report
                .scope
                .subscription_name(sub)
                .map(str::to_string)
                .unwrap_or_else(|| sub.clone());
            // An unnamed subscription is told apart by the end of its id.
            let short = match report.scope.subscription_name(sub) {
                Some(n) => clip(n, 17),
                None => format!("…{}", &sub[sub.len().saturating_sub(12)..]),
            };
            let hubs = if g.hubs.is_empty() {
                String::new()
            } else {
                format!(" · {} vWAN hub(s)", g.hubs.len())
            };
            let third = match udr_in.get(sub) {
                Some(k) if !draw_udr => {
                    format!("UDR next hop for {k} subscription(s)")
                }
                _ => "▸ open".to_string(),
            };
            let _ = write!(
                body,
                "<g class=\"group\" data-sub=\"{}\" data-detail=\"sub-{n}\" tabindex=\"0\"><title>{} ({}): click to open its picture</title><rect class=\"group-box\" x=\"{x:.0}\" y=\"{y:.0}\" width=\"{gw:.0}\" height=\"{GROUP_H:.0}\" rx=\"6\"/><text class=\"vnet-name\" x=\"{:.0}\" y=\"{:.0}\">{}</text><text class=\"small\" x=\"{:.0}\" y=\"{:.0}\">{} VNet(s) · {} subnet(s){}</text><text class=\"small\" x=\"{:.0}\" y=\"{:.0}\">{}</text></g>",
                escape(sub),
                escape(&name),
                escape(sub),
                x + 10.0,
                y + 20.0,
                escape(&short),
                x + 10.0,
                y + 42.0,
                g.vnets,
                g.subnets,
                escape(&hubs),
                x + 10.0,
                y + 62.0,
                escape(&clip(&third, 38))
            );
            badge(&mut body, x + gw - 66.0, y + 8.0, g.worst);
            rect_of.insert(sub.clone(), r.clone());
            boxes.push(r);
        }
        y += GROUP_H + GROUP_GAP_Y;
    }

    let mut edges = String::new();
    let mut group_edges = Vec::new();
    for ((a, b), count) in &between {
        let (ra, rb) = (&rect_of[a], &rect_of[b]);
        let (x1, y1, x2, y2) = (ra.cx(), ra.cy(), rb.cx(), rb.cy());
        let _ = write!(
            edges,
            "<line class=\"peering\" x1=\"{x1:.0}\" y1=\"{y1:.0}\" x2=\"{x2:.0}\" y2=\"{y2:.0}\"><title>{count} peering(s) between {} and {}</title></line><text class=\"edge-count\" x=\"{:.0}\" y=\"{:.0}\">{count}</text>",
            escape(a),
            escape(b),
            0.3 * x1 + 0.7 * x2,
            0.3 * y1 + 0.7 * y2
        );
        group_edges.push((a.clone(), b.clone(), *count));
    }
    let mut arrows = Vec::new();
    for ((from, to), routed) in udr.iter().filter(|_| draw_udr) {
        let (rf, rt) = (&rect_of[from], &rect_of[to]);
        let (x1, y1) = (rf.x + rf.w - 20.0, rf.y);
        let (x2, y2) = (rt.x + rt.w - 20.0, rt.y + rt.h);
        let (mx, my) = ((x1 + x2) / 2.0 + 60.0, (y1 + y2) / 2.0);
        let _ = write!(
            edges,
            "<path class=\"udr\" d=\"M{x1:.0},{y1:.0} Q{mx:.0},{my:.0} {x2:.0},{y2:.0}\" marker-end=\"url(#arrow-topo)\"><title>{} subnet(s) of {} route to an appliance in {}</title></path>",
            routed.len(),
            escape(from),
            escape(to)
        );
        arrows.push((from.clone(), to.clone()));
    }

    // Private DNS zones, with one dotted line per subscription holding a linked VNet.
    let mut zones: Vec<_> = inv.private_dns_zones.iter().collect();
    zones.sort_by(|a, b| {
        a.display_name()
            .to_lowercase()
            .cmp(&b.display_name().to_lowercase())
            .then_with(|| id_key(&a.id).cmp(&id_key(&b.id)))
    });
    let mut links = Vec::new();
    if !zones.is_empty() {
        let band_top = y;
        y += 34.0;
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
                let prefix = format!("{zk}/virtualnetworklinks/");
                let mut ks = vec![keys.of(&z.id)];
                let mut linked: BTreeMap<String, usize> = BTreeMap::new();
                for l in inv
                    .virtual_network_links
                    .iter()
                    .filter(|l| id_key(&l.id).starts_with(&prefix))
                {
                    ks.push(keys.of(&l.id));
                    if let Some(v) = &l.properties.virtual_network
                        && let Some(sub) = vnet_sub.get(&id_key(&v.id))
                    {
                        *linked.entry(sub.clone()).or_default() += 1;
                    }
                }
                // A zone linked everywhere says so in its box instead of with a line to each box.
                for (sub, n) in linked.iter().filter(|_| linked.len() <= MAX_ZONE_LINES) {
                    let g = &rect_of[sub];
                    let _ = write!(
                        edges,
                        "<line class=\"dnslink\" x1=\"{:.0}\" y1=\"{:.0}\" x2=\"{:.0}\" y2=\"{:.0}\"><title>{} linked to {n} VNet(s) of {}</title></line>",
                        r.cx(),
                        r.y,
                        g.cx(),
                        g.y + g.h,
                        escape(z.display_name()),
                        escape(sub)
                    );
                    links.push((zk.clone(), sub.clone()));
                }
                let ks_attr: Vec<String> = ks.iter().map(|k| k.to_string()).collect();
                let _ = write!(
                    zone_boxes,
                    "<g class=\"res zone\" data-keys=\"{}\" data-name=\"{}\" tabindex=\"0\"><title>{}</title><rect class=\"zone-box\" x=\"{x:.0}\" y=\"{y:.0}\" width=\"{VNET_W:.0}\" height=\"{ZONE_H:.0}\" rx=\"6\"/><text class=\"zone-name\" x=\"{:.0}\" y=\"{:.0}\">{}</text><text class=\"small\" x=\"{:.0}\" y=\"{:.0}\">{} VNet link(s), {} subscription(s)</text></g>",
                    ks_attr.join(" "),
                    escape(z.display_name()),
                    escape(&z.id),
                    x + 10.0,
                    y + 19.0,
                    escape(&clip(z.display_name(), 34)),
                    x + 10.0,
                    y + 37.0,
                    ks.len() - 1,
                    linked.len()
                );
                boxes.push(r);
            }
            y += ZONE_H + 50.0;
        }
        let _ = write!(
            body,
            "<g class=\"band\"><rect class=\"band-box\" x=\"{:.0}\" y=\"{band_top:.0}\" width=\"{:.0}\" height=\"{:.0}\" rx=\"8\"/><text class=\"band-name\" x=\"{:.0}\" y=\"{:.0}\">Private DNS zones</text>{zone_boxes}</g>",
            MARGIN / 2.0,
            width - MARGIN,
            y - band_top - 25.0,
            MARGIN,
            band_top + 22.0
        );
    }

    let height = y + MARGIN;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<p class=\"hint\">{} VNets in {} subscriptions: each subscription is one box (click it to open its picture below); lines between boxes count the VNet peerings between them.</p>",
        inv.virtual_networks.len(),
        groups.len()
    );
    let _ = writeln!(
        svg,
        "<svg id=\"topo\" class=\"topo overview\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"network topology by subscription\"><defs><marker id=\"arrow-topo\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\"/></marker></defs><g class=\"edges\">{edges}</g>{body}</svg>"
    );
    let mut parts = Vec::new();
    let worst = worst_by_key(report, keys);
    svg.push_str("<div id=\"sub-pictures\">");
    for (n, sub) in order.iter().enumerate() {
        let part = draw(
            snapshot,
            report,
            keys,
            &worst,
            Some(sub),
            &format!("topo-{n}"),
        );
        let g = &groups[sub];
        let name = report
            .scope
            .subscription_name(sub)
            .map(|s| format!("{s} — {sub}"))
            .unwrap_or_else(|| format!("subscription {sub}"));
        let _ = writeln!(
            svg,
            "<details class=\"sub-detail\" id=\"sub-{n}\"><summary>{} · {} VNet(s), {} subnet(s){}</summary>{}</details>",
            escape(&name),
            g.vnets,
            g.subnets,
            g.worst
                .map(|s| format!(" · worst finding {s}"))
                .unwrap_or_default(),
            part.svg
        );
        parts.push(part);
    }
    svg.push_str("</div>\n");
    let peerings = parts.iter().flat_map(|p| p.peerings.clone()).collect();
    Layout {
        svg,
        boxes,
        subnets: Vec::new(),
        peerings,
        arrows,
        links,
        group_edges,
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `subs` subscriptions of `per_sub` spoke VNets (two subnets each), every spoke peered both
    /// ways with the hub VNet of the first subscription and with the next spoke of its own
    /// subscription, one route table per spoke sending 0.0.0.0/0 to the hub's firewall, and one
    /// private DNS zone linked to every VNet.
    fn tenant(subs: usize, per_sub: usize) -> Snapshot {
        let sub = |i: usize| format!("00000000-0000-4000-8000-{i:012x}");
        let vnet_id = |s: usize, n: usize| {
            format!(
                "/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-{s}-{n}",
                sub(s)
            )
        };
        let hub = format!(
            "/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-hub",
            sub(0)
        );
        let zone = format!(
            "/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net",
            sub(0)
        );
        let peer = |from: &str, to: &str| {
            json!({"name": format!("to-{}", crate::azure::id::last_name(to)), "id": format!("{from}/virtualNetworkPeerings/to-{}", crate::azure::id::last_name(to)),
                   "properties": {"peeringState": "Connected", "remoteVirtualNetwork": {"id": to}}})
        };
        let mut vnets = Vec::new();
        let mut hub_peers = Vec::new();
        let mut tables = Vec::new();
        let mut links = Vec::new();
        for s in 1..=subs {
            for n in 0..per_sub {
                let id = vnet_id(s, n);
                let rt = format!(
                    "/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt-{s}-{n}",
                    sub(s)
                );
                tables.push(json!({"id": rt, "name": format!("rt-{s}-{n}"), "properties": {"routes": [
                    {"name": "default", "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.1.4"}}]}}));
                let mut peers = vec![peer(&id, &hub)];
                hub_peers.push(peer(&hub, &id));
                if n + 1 < per_sub {
                    peers.push(peer(&id, &vnet_id(s, n + 1)));
                }
                if n > 0 {
                    peers.push(peer(&id, &vnet_id(s, n - 1)));
                }
                let b = s * per_sub + n;
                vnets.push(json!({"id": id, "name": format!("vnet-{s}-{n}"), "location": "westeurope", "properties": {
                    "addressSpace": {"addressPrefixes": [format!("10.{}.{}.0/24", 1 + b / 256, b % 256)]},
                    "subnets": [
                        {"id": format!("{id}/subnets/a"), "name": "a", "properties": {"addressPrefix": format!("10.{}.{}.0/25", 1 + b / 256, b % 256), "routeTable": {"id": rt}}},
                        {"id": format!("{id}/subnets/b"), "name": "b", "properties": {"addressPrefix": format!("10.{}.{}.128/25", 1 + b / 256, b % 256)}}
                    ],
                    "virtualNetworkPeerings": peers}}));
                links.push(json!({"id": format!("{zone}/virtualNetworkLinks/l-{s}-{n}"), "name": format!("l-{s}-{n}"),
                    "properties": {"virtualNetwork": {"id": id}, "registrationEnabled": false}}));
            }
        }
        vnets.push(json!({"id": hub, "name": "vnet-hub", "location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"id": format!("{hub}/subnets/AzureFirewallSubnet"), "name": "AzureFirewallSubnet", "properties": {"addressPrefix": "10.0.1.0/26"}}],
            "virtualNetworkPeerings": hub_peers}}));
        let mut s = crate::collect::demo::snapshot();
        s.scope.subscriptions = (0..=subs).map(sub).collect();
        let inv = &mut s.inventory;
        inv.virtual_networks = serde_json::from_value(json!(vnets)).unwrap();
        inv.route_tables = serde_json::from_value(json!(tables)).unwrap();
        inv.virtual_network_links = serde_json::from_value(json!(links)).unwrap();
        inv.private_dns_zones = serde_json::from_value(
            json!([{"id": zone, "name": "privatelink.vaultcore.azure.net", "properties": {}}]),
        )
        .unwrap();
        inv.azure_firewalls = serde_json::from_value(json!([{"id": format!("/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/afw", sub(0)), "name": "afw",
            "properties": {"ipConfigurations": [{"name": "c", "properties": {"subnet": {"id": format!("{hub}/subnets/AzureFirewallSubnet")}, "privateIPAddress": "10.0.1.4"}}]}}])).unwrap();
        inv.network_interfaces.clear();
        inv.private_endpoints.clear();
        inv.network_security_groups.clear();
        inv.application_gateways.clear();
        s
    }

    fn report(s: &Snapshot) -> Report {
        crate::scan::build_report(
            s,
            "test",
            None,
            "2026-11-24T08:00:00Z".parse().unwrap(),
            std::time::Instant::now(),
        )
    }

    #[test]
    fn two_hundred_fifty_vnets_collapse_into_subscription_boxes() {
        let s = tenant(50, 5);
        assert_eq!(s.inventory.virtual_networks.len(), 251);
        let r = report(&s);
        let l = super::super::topology::layout(&s, &r, &mut Keys::default());
        // One box per subscription (the hub's too) and the zone; none overlaps another.
        assert_eq!(l.boxes.len(), 51 + 1);
        for (i, a) in l.boxes.iter().enumerate() {
            for b in &l.boxes[i + 1..] {
                assert!(!a.overlaps(b), "{} overlaps {}", a.id, b.id);
            }
        }
        // Each subscription's picture is folded beside it, valid on its own.
        assert_eq!(l.parts.len(), 51);
        assert_eq!(l.svg.matches("<details class=\"sub-detail\"").count(), 51);
        assert_eq!(
            l.svg
                .matches("<details class=\"sub-detail\" id=\"sub-0\">")
                .count(),
            1
        );
        for p in &l.parts {
            for (i, a) in p.boxes.iter().enumerate() {
                for b in &p.boxes[i + 1..] {
                    assert!(!a.overlaps(b), "{} overlaps {}", a.id, b.id);
                }
            }
            for (vnet, sr) in &p.subnets {
                assert!(p.boxes.iter().find(|b| &b.id == vnet).unwrap().contains(sr));
            }
        }
        // Every peering is drawn once: inside its subscription's picture, or counted on the one
        // line between two subscription boxes.
        let mut intra = BTreeSet::new();
        let mut cross = BTreeSet::new();
        let sub_of = |k: &str| subscription_of(k).unwrap().to_ascii_lowercase();
        for v in &s.inventory.virtual_networks {
            for p in &v.properties.virtual_network_peerings {
                let (a, b) = (
                    id_key(&v.id),
                    id_key(&p.properties.remote_virtual_network.as_ref().unwrap().id),
                );
                let pair = if a <= b { (a, b) } else { (b, a) };
                if sub_of(&pair.0) == sub_of(&pair.1) {
                    intra.insert(pair);
                } else {
                    cross.insert(pair);
                }
            }
        }
        let cross = cross.len();
        assert_eq!(cross, 250);
        let drawn: BTreeSet<_> = l.peerings.iter().cloned().collect();
        assert_eq!(drawn.len(), l.peerings.len(), "a peering drawn twice");
        assert_eq!(drawn, intra);
        assert_eq!(l.group_edges.len(), 50);
        assert_eq!(l.group_edges.iter().map(|e| e.2).sum::<usize>(), cross);
        assert!(l.group_edges.iter().all(|e| e.2 == 5));
        assert_eq!(l.svg.matches("<line class=\"peering\"").count(), 50);
        // In a spoke subscription's picture, each spoke names its peering to the hub.
        assert_eq!(l.parts[1].svg.matches(" · ⇄1 outside</text>").count(), 5);
        assert!(
            l.parts[1]
                .svg
                .contains("peered outside this subscription: vnet-hub")
        );
        assert_eq!(l.parts[0].svg.matches(" · ⇄250 outside</text>").count(), 1);
        // Fifty UDR arrows and zone lines into one box would hide the picture: the boxes count them.
        assert!(l.arrows.is_empty() && l.links.is_empty());
        assert!(l.svg.contains("UDR next hop for 50 subscription(s)"));
        assert!(l.svg.contains("250 VNet link(s), 50 subscription(s)"));
        // The hub's subscription comes first (most connected).
        assert!(
            l.svg.contains(
                "data-sub=\"00000000-0000-4000-8000-000000000000\" data-detail=\"sub-0\""
            )
        );
        // Deterministic.
        let again = super::super::topology::layout(&s, &r, &mut Keys::default());
        assert_eq!(l.svg, again.svg);
    }

    #[test]
    fn a_few_subscriptions_get_their_udr_arrows_and_zone_lines() {
        let s = tenant(8, 5);
        let r = report(&s);
        let l = super::super::topology::layout(&s, &r, &mut Keys::default());
        assert_eq!(l.parts.len(), 9);
        let hub = "00000000-0000-4000-8000-000000000000".to_string();
        assert_eq!(l.arrows.len(), 8);
        assert!(l.arrows.iter().all(|(from, to)| to == &hub && from != &hub));
        assert_eq!(l.links.len(), 8);
        assert_eq!(l.svg.matches("<path class=\"udr\"").count(), 8);
    }

    #[test]
    fn a_small_tenant_is_drawn_whole() {
        let s = tenant(2, 3);
        let r = report(&s);
        let l = super::super::topology::layout(&s, &r, &mut Keys::default());
        assert!(l.parts.is_empty());
        assert!(!l.svg.contains("sub-detail"));
        assert_eq!(l.boxes.len(), 7 + 1);
    }
}
