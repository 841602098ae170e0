//! DNS101 — a private endpoint whose private DNS zone is not linked to the endpoint's VNet.

use serde_json::json;

use super::support_pe::rests_on_zone;
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::ResourceId;
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::model::dns::{uses_azure_dns, zone_links};

pub struct PeZoneNotLinked;
pub static RULE: PeZoneNotLinked = PeZoneNotLinked;

static META: RuleMeta = RuleMeta {
    code: "DNS101",
    name: "pe-zone-not-linked",
    title: "Private endpoint's private DNS zone is not linked to the endpoint's VNet",
    severity: Severity::High,
    inputs: &[
        ResourceKind::PrivateEndpoint,
        ResourceKind::VirtualNetwork,
        ResourceKind::PrivateDnsZone,
        ResourceKind::VirtualNetworkLink,
    ],
    // The endpoint addresses in the evidence may come from its NICs.
    shown_inputs: &[ResourceKind::NetworkInterface],
    what: "A private endpoint with an approved connection whose private DNS zone (for example \
privatelink.vaultcore.azure.net for group `vault`) exists, but no zone of that name is linked to the \
endpoint's virtual network with a completed link, while the VNet uses Azure-provided DNS.",
    why: "Once a resource has an approved private endpoint, its public name gains a CNAME into the \
privatelink zone. Inside a VNet that name resolves to the endpoint's private IP only when a private DNS zone \
with exactly that name is linked to the VNet (virtual network link state Completed) and holds the A record. \
Without the link, clients in the VNet silently resolve the public address: they go over the Internet, or hit \
the resource's firewall and fail with 403 ForbiddenByFirewall, although the endpoint looks healthy.",
    fix: "Link the zone to the endpoint's VNet (one zone per name, linked to every VNet whose clients resolve it).\n\
Portal: Private DNS zones → <zone> → Virtual network links → Add → choose the VNet.\n\
az network private-dns link vnet create --resource-group <zone-rg> --zone-name <zone> --name <vnet>-link \
--virtual-network <vnet-resource-id> --registration-enabled false",
    example: r#"{"private_endpoint": ".../privateEndpoints/pe-kv-data", "target": ".../vaults/kv-data-contoso", "group_id": "vault", "expected_zone": "privatelink.vaultcore.azure.net", "virtual_network": ".../virtualNetworks/vnet-spoke-data", "zones": [{"zone_id": ".../privateDnsZones/privatelink.vaultcore.azure.net", "effective": false}], "dns_servers": "Azure-provided"}"#,
    references: &[
        "https://learn.microsoft.com/azure/private-link/private-endpoint-dns",
        "https://learn.microsoft.com/azure/dns/private-dns-virtual-network-links",
        "https://learn.microsoft.com/azure/key-vault/general/private-link-diagnostics",
    ],
};

impl Rule for PeZoneNotLinked {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for pe in &cx.inv.private_endpoints {
            let Some(subnet_id) = pe.subnet_id() else {
                out.not_evaluated(&pe.id, "the endpoint names no subnet".into());
                continue;
            };
            let vnet = match cx.idx.subnet(subnet_id) {
                Some((_, vnet)) => vnet,
                None => {
                    let vnet_id = ResourceId::parse(subnet_id).ok().and_then(|s| s.parent());
                    match vnet_id.as_deref().and_then(|v| cx.idx.vnet(v)) {
                        Some(v) => v,
                        None => {
                            out.not_evaluated(
                                &pe.id,
                                format!("its subnet {subnet_id} is not in the inventory"),
                            );
                            continue;
                        }
                    }
                }
            };
            if !uses_azure_dns(vnet) {
                // Resolution goes through the VNet's own DNS servers; whether they forward to a linked
                // VNet is outside what the inventory shows (a separate rule covers custom DNS).
                continue;
            }
            for conn in pe.connections().filter(|c| c.is_approved()) {
                let target_type = ResourceId::parse(conn.target())
                    .map(|r| r.resource_type())
                    .unwrap_or_default();
                for group in &conn.connection.properties.group_ids {
                    for zone_name in cx.zones.zones_for(cx.cloud, &target_type, group) {
                        if zone_name.contains('{') {
                            continue; // region-templated zones need the region; not decided here
                        }
                        let links = zone_links(cx.idx, zone_name, vnet);
                        if links.is_empty() || links.iter().any(|l| l.effective) {
                            continue; // no zone at all is a different finding; a linked zone is fine
                        }
                        let half_linked: Vec<_> =
                            links.iter().filter(|l| l.link_id.is_some()).collect();
                        let reason = if half_linked.is_empty() {
                            format!(
                                "no zone named {zone_name} is linked to VNet {}",
                                vnet.display_name()
                            )
                        } else {
                            format!(
                                "the link from {zone_name} to VNet {} is not effective (state {}, provisioning {})",
                                vnet.display_name(),
                                half_linked[0].link_state.as_deref().unwrap_or("unknown"),
                                half_linked[0]
                                    .provisioning_state
                                    .as_deref()
                                    .unwrap_or("unknown"),
                            )
                        };
                        let target_name = crate::azure::id::last_name(conn.target());
                        let message = format!(
                            "Private endpoint {} ({} → {target_name}): {reason}, so clients in {} resolve {target_name}'s public address instead of the endpoint.",
                            pe.display_name(),
                            group,
                            vnet.display_name(),
                        );
                        let ips = cx.idx.endpoint_ips(pe);
                        let evidence = json!({
                            "private_endpoint": pe.id,
                            "private_ip_addresses": ips,
                            "target": conn.target(),
                            "group_id": group,
                            "connection": if conn.manual { "manual" } else { "automatic" },
                            "expected_zone": zone_name,
                            "virtual_network": vnet.id,
                            "dns_servers": "Azure-provided",
                            "zones": links,
                        });
                        let zone_id = &links[0].zone_id;
                        let zone_rg = ResourceId::parse(zone_id)
                            .ok()
                            .and_then(|r| r.resource_group().map(str::to_string))
                            .unwrap_or_else(|| "<zone-rg>".into());
                        let remediation = format!(
                            "Link {zone_name} to {}: az network private-dns link vnet create --resource-group {zone_rg} --zone-name {zone_name} --name {}-link --virtual-network {} --registration-enabled false",
                            vnet.display_name(),
                            vnet.display_name(),
                            vnet.id,
                        );
                        rests_on_zone(
                            out.finding(
                                &pe.id,
                                &format!("{group}|{zone_name}"),
                                message,
                                evidence,
                                remediation,
                            ),
                            cx,
                            [zone_name],
                        );
                    }
                }
            }
        }
    }
}
