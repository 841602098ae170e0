//! DNS101 — a private endpoint whose private DNS zone is not linked to the endpoint's VNet.

use serde_json::json;

use super::support_pe::{endpoints_by_vnet_and_zone, rests_on_zone, unplaced_endpoints};
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
    title: "VNet holding private endpoints is not linked to their private DNS zone",
    severity: Severity::High,
    inputs: &[
        ResourceKind::PrivateEndpoint,
        ResourceKind::VirtualNetwork,
        ResourceKind::PrivateDnsZone,
        ResourceKind::VirtualNetworkLink,
    ],
    // The endpoint addresses in the evidence may come from its NICs.
    shown_inputs: &[ResourceKind::NetworkInterface],
    what: "A virtual network holding private endpoints with approved connections whose private DNS zone \
(for example privatelink.vaultcore.azure.net for group `vault`) exists, but no zone of that name is linked \
to the VNet with a completed link, while the VNet uses Azure-provided DNS. One finding per VNet and zone \
name, on the VNet (the link is what must be created; several zones of one name may exist, so the VNet and \
the name identify the defect), listing every endpoint of the VNet that needs the zone. Peered VNets without \
an endpoint of their own needing the zone are DNS104's.",
    why: "Once a resource has an approved private endpoint, its public name gains a CNAME into the \
privatelink zone. Inside a VNet that name resolves to the endpoint's private IP only when a private DNS zone \
with exactly that name is linked to the VNet (virtual network link state Completed) and holds the A record. \
Without the link, clients in the VNet silently resolve the public address: they go over the Internet, or hit \
the resource's firewall and fail with 403 ForbiddenByFirewall, although the endpoint looks healthy.",
    fix: "Link the zone to the endpoint's VNet (one zone per name, linked to every VNet whose clients resolve it).\n\
Portal: Private DNS zones → <zone> → Virtual network links → Add → choose the VNet.\n\
az network private-dns link vnet create --resource-group <zone-rg> --zone-name <zone> --name <vnet>-link \
--virtual-network <vnet-resource-id> --registration-enabled false",
    example: r#"{"virtual_network": ".../virtualNetworks/vnet-spoke-data", "expected_zone": "privatelink.vaultcore.azure.net", "zones": [{"zone_id": ".../privateDnsZones/privatelink.vaultcore.azure.net", "effective": false}], "dns_servers": "Azure-provided", "endpoints": [{"private_endpoint": ".../privateEndpoints/pe-kv-data", "target": ".../vaults/kv-data-contoso", "group_id": "vault", "private_ip_addresses": ["10.2.2.4"], "connection": "automatic"}]}"#,
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
        for (pe, why) in unplaced_endpoints(cx) {
            out.not_evaluated(&pe.id, why);
        }
        for ((_, zone_name), need) in endpoints_by_vnet_and_zone(cx) {
            let vnet = need.vnet;
            if !uses_azure_dns(vnet) {
                // Resolution goes through the VNet's own DNS servers; whether they forward to a linked
                // VNet is outside what the inventory shows (DNS106 covers custom DNS).
                continue;
            }
            let links = zone_links(cx.idx, &zone_name, vnet);
            if links.is_empty() || links.iter().any(|l| l.effective) {
                continue; // no zone at all is DNS102; a linked zone is fine
            }
            let half_linked: Vec<_> = links.iter().filter(|l| l.link_id.is_some()).collect();
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
            let mut targets: Vec<&str> = need
                .endpoints
                .iter()
                .map(|(_, c, _)| crate::azure::id::last_name(c.target()))
                .collect();
            targets.sort_by_key(|t| t.to_ascii_lowercase());
            targets.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
            let names: Vec<&str> = need
                .endpoints
                .iter()
                .map(|(p, _, _)| p.display_name())
                .collect();
            let message = format!(
                "VNet {} holds private endpoint(s) {} but {reason}, so its clients resolve the public address of {} instead of the endpoint(s).",
                vnet.display_name(),
                names.join(", "),
                targets.join(", "),
            );
            let endpoints: Vec<_> = need
                .endpoints
                .iter()
                .map(|(pe, conn, group)| {
                    json!({
                        "private_endpoint": pe.id,
                        "private_ip_addresses": cx.idx.endpoint_ips(pe),
                        "target": conn.target(),
                        "group_id": group,
                        "connection": if conn.manual { "manual" } else { "automatic" },
                    })
                })
                .collect();
            let evidence = json!({
                "virtual_network": vnet.id,
                "expected_zone": zone_name,
                "dns_servers": "Azure-provided",
                "zones": links,
                "endpoints": endpoints,
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
                out.finding(&vnet.id, &zone_name, message, evidence, remediation),
                cx,
                [zone_name.as_str()],
            );
        }
    }
}
