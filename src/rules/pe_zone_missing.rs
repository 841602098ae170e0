//! DNS102 — no private DNS zone with the name a private endpoint needs exists anywhere.

use serde_json::json;

use super::support_pe::{
    approved_groups, describe_gap, edit_distance, endpoint_vnet, expected_zones, rg_of,
};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::last_name;
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::model::dns::uses_azure_dns;

pub struct PeZoneMissing;
pub static RULE: PeZoneMissing = PeZoneMissing;

static META: RuleMeta = RuleMeta {
    code: "DNS102",
    name: "pe-zone-missing",
    title: "No private DNS zone exists for a private endpoint",
    severity: Severity::High,
    inputs: &[
        ResourceKind::PrivateEndpoint,
        ResourceKind::VirtualNetwork,
        ResourceKind::PrivateDnsZone,
    ],
    // The endpoint addresses in the evidence may come from its NICs.
    shown_inputs: &[ResourceKind::NetworkInterface],
    what: "A private endpoint with an approved connection, in a VNet that uses Azure-provided DNS, for \
which no private DNS zone of the expected name (for example privatelink.vaultcore.azure.net for a Key \
Vault, group `vault`) exists anywhere in the scanned inventory. Not evaluated when private DNS zones could \
not be fully collected, since the zone may live where azaudit could not read, and not evaluated either \
unless every subscription of the tenant was scanned (the inventory's subscription list, peered VNets and \
private-link targets all in scope): with central private DNS the zones live in a connectivity \
subscription, and a VNet can be linked to a zone in any subscription.",
    why: "The resource's public name is a CNAME into the privatelink zone; without a private DNS zone of \
exactly that name linked to the VNet, Azure DNS answers with the public address. Clients then go over the \
Internet or hit the resource firewall (403 ForbiddenByFirewall) although the endpoint is approved and \
healthy. Zones with a similar but wrong name (see DNS103) do not help.",
    fix: "Create the zone, link it to the VNets whose clients use the endpoint, and let the endpoint \
manage its A record through a DNS zone group.\n\
Portal: Private endpoint → DNS configuration → Add configuration → choose or create the zone.\n\
az network private-dns zone create --resource-group <dns-rg> --name <zone>\n\
az network private-dns link vnet create --resource-group <dns-rg> --zone-name <zone> --name <vnet>-link --virtual-network <vnet-id> --registration-enabled false\n\
az network private-endpoint dns-zone-group create --resource-group <pe-rg> --endpoint-name <pe> --name default --private-dns-zone <zone-id> --zone-name <zone>",
    example: r#"{"private_endpoint": ".../privateEndpoints/pe-st-file-ops", "private_ip_addresses": ["10.3.2.4"], "target": ".../storageAccounts/stcontosodata", "group_id": "file", "expected_zone": "privatelink.file.core.windows.net", "zones_found": [], "similar_zones": [], "virtual_network": ".../virtualNetworks/vnet-spoke-ops", "dns_servers": "Azure-provided"}"#,
    references: &[
        "https://learn.microsoft.com/azure/private-link/private-endpoint-dns",
        "https://learn.microsoft.com/azure/key-vault/general/private-link-diagnostics",
        "https://learn.microsoft.com/azure/private-link/private-endpoint-dns-integration",
        "https://learn.microsoft.com/azure/cloud-adoption-framework/ready/azure-best-practices/private-link-and-dns-integration-at-scale",
    ],
};

impl Rule for PeZoneMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let zone_gap = cx
            .coverage
            .gaps
            .iter()
            .find(|g| g.touches_kind(ResourceKind::PrivateDnsZone));
        // Central private DNS: the zones often live in a connectivity subscription. A zone found
        // nowhere is only missing when no subscription of the tenant was left out of the scan.
        let outside = cx.outside_scope();
        for pe in &cx.inv.private_endpoints {
            let vnet = match endpoint_vnet(cx, pe) {
                Ok(v) => v,
                Err(why) => {
                    if approved_groups(pe).next().is_some() {
                        out.not_evaluated(&pe.id, why);
                    }
                    continue;
                }
            };
            if !uses_azure_dns(vnet) {
                continue; // custom DNS servers: DNS106
            }
            for (conn, group) in approved_groups(pe) {
                for zone_name in expected_zones(cx, conn.target(), group) {
                    if !cx.idx.zones_named(zone_name).is_empty() {
                        continue;
                    }
                    if let Some(g) = zone_gap {
                        out.not_evaluated(
                            &pe.id,
                            format!(
                                "no zone {zone_name} was found, but {}; the zone may exist there",
                                describe_gap(g)
                            ),
                        );
                        continue;
                    }
                    if let Some(why) = &outside {
                        out.not_evaluated(
                            &pe.id,
                            format!(
                                "no zone {zone_name} was found in the scanned subscriptions, but {why}; the zone may live there (central private DNS)"
                            ),
                        );
                        continue;
                    }
                    let mut similar: Vec<String> = cx
                        .inv
                        .private_dns_zones
                        .iter()
                        .map(|z| z.zone_name())
                        .filter(|n| edit_distance(n, zone_name) <= 6)
                        .collect();
                    similar.sort();
                    similar.dedup();
                    let target_name = last_name(conn.target());
                    let message = format!(
                        "Private endpoint {} ({group} → {target_name}) needs private DNS zone {zone_name}, which exists nowhere in the inventory, so clients in {} resolve {target_name}'s public address.",
                        pe.display_name(),
                        vnet.display_name(),
                    );
                    let dns_rg = cx
                        .inv
                        .private_dns_zones
                        .first()
                        .map(|z| rg_of(&z.id))
                        .unwrap_or_else(|| rg_of(&vnet.id));
                    let remediation = format!(
                        "Create the zone, link it and attach it to the endpoint: az network private-dns zone create --resource-group {dns_rg} --name {zone_name} && az network private-dns link vnet create --resource-group {dns_rg} --zone-name {zone_name} --name {vnet_name}-link --virtual-network {vnet_id} --registration-enabled false && az network private-endpoint dns-zone-group create --resource-group {pe_rg} --endpoint-name {pe_name} --name default --private-dns-zone {zone_name} --zone-name {zone_label}",
                        vnet_name = vnet.display_name(),
                        vnet_id = vnet.id,
                        pe_rg = rg_of(&pe.id),
                        pe_name = pe.display_name(),
                        zone_label = zone_name.replace('.', "-"),
                    );
                    out.finding(
                        &pe.id,
                        &format!("{group}|{zone_name}").to_ascii_lowercase(),
                        message,
                        json!({
                            "private_endpoint": pe.id,
                            "private_ip_addresses": cx.idx.endpoint_ips(pe),
                            "target": conn.target(),
                            "group_id": group,
                            "expected_zone": zone_name,
                            "zones_found": [],
                            "similar_zones": similar,
                            "virtual_network": vnet.id,
                            "dns_servers": "Azure-provided",
                        }),
                        remediation,
                    );
                }
            }
        }
    }
}
