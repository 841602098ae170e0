//! DNS104 — a VNet peered with a private endpoint's VNet resolves the endpoint's target publicly.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::support_pe::{approved_groups, connected_peers, endpoint_vnet, expected_zones, rg_of};
use super::support_pe::{endpoints_by_vnet_and_zone, rests_on_zone};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::{id_key, last_name};
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::model::dns::{uses_azure_dns, zone_links};

pub struct PeeredVnetZoneNotLinked;
pub static RULE: PeeredVnetZoneNotLinked = PeeredVnetZoneNotLinked;

static META: RuleMeta = RuleMeta {
    code: "DNS104",
    name: "peered-vnet-zone-not-linked",
    title: "VNet peered with a private endpoint's VNet is not linked to the endpoint's zone",
    severity: Severity::Medium,
    inputs: &[
        ResourceKind::PrivateEndpoint,
        ResourceKind::VirtualNetwork,
        ResourceKind::PrivateDnsZone,
        ResourceKind::VirtualNetworkLink,
    ],
    // The endpoint addresses in the evidence may come from its NICs.
    shown_inputs: &[ResourceKind::NetworkInterface],
    what: "A virtual network that is peered (Connected) with the VNet of a private endpoint, uses \
Azure-provided DNS, and has no effective link to the endpoint's private DNS zone (which exists). One finding \
per peered VNet and zone, listing the endpoints affected. The endpoint's own VNet is DNS101's concern; a \
peered VNet holding an endpoint of its own that needs the same zone (to any target) is left to DNS101 as \
well, so one missing link is one finding.",
    why: "Peering makes the endpoint's IP reachable from the peered VNet (every private endpoint adds a \
/32 route in directly peered VNets), but not its name: each VNet resolves through the private zones linked \
to it. A peered VNet without a link to the privatelink zone resolves the resource's public address, so its \
clients go over the Internet or are refused by the resource firewall. Microsoft recommends one zone per name \
linked to every VNet (hub and spokes) whose clients resolve it.",
    fix: "Link the zone to the peered VNet.\n\
Portal: Private DNS zones → <zone> → Virtual network links → Add → choose the peered VNet.\n\
az network private-dns link vnet create --resource-group <zone-rg> --zone-name <zone> --name <vnet>-link --virtual-network <peered-vnet-id> --registration-enabled false",
    example: r#"{"virtual_network": ".../virtualNetworks/vnet-spoke-ops", "zone_name": "privatelink.vaultcore.azure.net", "zones": [{"zone_id": ".../privateDnsZones/privatelink.vaultcore.azure.net", "effective": false}], "dns_servers": "Azure-provided", "peered_with": [{"virtual_network": ".../virtualNetworks/vnet-spoke-app", "peering": "peer-spoke-app-to-spoke-ops"}], "endpoints": [{"private_endpoint": ".../privateEndpoints/pe-kv-app", "target": ".../vaults/kv-app-contoso", "group_id": "vault", "private_ip_addresses": ["10.1.2.4"]}]}"#,
    references: &[
        "https://learn.microsoft.com/azure/private-link/private-endpoint-dns",
        "https://learn.microsoft.com/azure/dns/private-dns-virtual-network-links",
        "https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview",
    ],
};

#[derive(Default)]
struct Acc {
    vnet_id: String,
    zone: String,
    peered_with: Vec<Value>,
    endpoints: Vec<Value>,
}

impl Rule for PeeredVnetZoneNotLinked {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let mut acc: BTreeMap<(String, String), Acc> = BTreeMap::new();
        let mut unknown: BTreeMap<String, String> = BTreeMap::new();
        let own_needs = endpoints_by_vnet_and_zone(cx);
        for pe in &cx.inv.private_endpoints {
            let Ok(vnet) = endpoint_vnet(cx, pe) else {
                continue;
            };
            let peers = connected_peers(cx, vnet);
            for (conn, group) in approved_groups(pe) {
                for zone_name in expected_zones(cx, conn.target(), group) {
                    if cx.idx.zones_named(zone_name).is_empty() {
                        continue; // no zone at all: DNS102
                    }
                    for (peering, remote_id, remote) in &peers {
                        let Some(remote) = remote else {
                            unknown.entry(id_key(remote_id)).or_insert_with(|| {
                                format!(
                                    "{remote_id} is peered with {} (endpoint {}) but is not in the inventory",
                                    vnet.display_name(),
                                    pe.display_name()
                                )
                            });
                            continue;
                        };
                        if !uses_azure_dns(remote) {
                            continue;
                        }
                        let links = zone_links(cx.idx, zone_name, remote);
                        if links.iter().any(|l| l.effective) {
                            continue;
                        }
                        // A peered VNet holding an endpoint of its own that needs this zone (to any
                        // target) is DNS101's: the same missing link, reported once.
                        if own_needs.contains_key(&(id_key(&remote.id), zone_name.to_string())) {
                            continue;
                        }
                        let a = acc
                            .entry((id_key(&remote.id), zone_name.to_string()))
                            .or_insert_with(|| Acc {
                                vnet_id: remote.id.clone(),
                                zone: zone_name.to_string(),
                                ..Default::default()
                            });
                        let pw = json!({"virtual_network": vnet.id, "peering": peering});
                        if !a.peered_with.contains(&pw) {
                            a.peered_with.push(pw);
                        }
                        let ep = json!({
                            "private_endpoint": pe.id,
                            "target": conn.target(),
                            "group_id": group,
                            "private_ip_addresses": cx.idx.endpoint_ips(pe),
                        });
                        if !a.endpoints.contains(&ep) {
                            a.endpoints.push(ep);
                        }
                    }
                }
            }
        }
        for (id, why) in unknown {
            out.not_evaluated(&id, why);
        }
        for ((_, zone_name), a) in acc {
            let Some(remote) = cx.idx.vnet(&a.vnet_id) else {
                continue;
            };
            let links = zone_links(cx.idx, &zone_name, remote);
            let targets: Vec<&str> = {
                let mut t: Vec<&str> = a
                    .endpoints
                    .iter()
                    .filter_map(|e| e["target"].as_str().map(last_name))
                    .collect();
                t.sort();
                t.dedup();
                t
            };
            let peers: Vec<&str> = a
                .peered_with
                .iter()
                .filter_map(|p| p["virtual_network"].as_str().map(last_name))
                .collect();
            let message = format!(
                "VNet {} is peered with {} but not linked to {zone_name}, so its clients resolve {} to public addresses instead of the private endpoints.",
                remote.display_name(),
                peers.join(", "),
                targets.join(", "),
            );
            let zone_id = &links[0].zone_id;
            let remediation = format!(
                "Link {zone_name} to {}: az network private-dns link vnet create --resource-group {} --zone-name {zone_name} --name {}-link --virtual-network {} --registration-enabled false",
                remote.display_name(),
                rg_of(zone_id),
                remote.display_name(),
                remote.id,
            );
            rests_on_zone(
                out.finding(
                    &remote.id,
                    &a.zone,
                    message,
                    json!({
                        "virtual_network": remote.id,
                        "zone_name": zone_name,
                        "zones": links,
                        "dns_servers": "Azure-provided",
                        "peered_with": a.peered_with,
                        "endpoints": a.endpoints,
                    }),
                    remediation,
                ),
                cx,
                [zone_name.as_str()],
            );
        }
    }
}
