//! DNS105 — the A record a private endpoint needs is missing, stale, or has an unsuitable TTL.

use serde_json::json;

use super::support_pe::rests_on_zone;
use super::support_pe::{approved_groups, connected_peers, endpoint_vnet, expected_zones, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::{last_name, same_id};
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::privatedns::normalise_dns_name;
use crate::model::dns::zone_links;

pub struct PeDnsRecord;
pub static RULE: PeDnsRecord = PeDnsRecord;

/// Lowest recommended TTL of a private-endpoint A record, in seconds.
pub const MIN_TTL: u64 = 10;
/// Highest recommended TTL of a private-endpoint A record, in seconds.
pub const MAX_TTL: u64 = 600;

static META: RuleMeta = RuleMeta {
    code: "DNS105",
    name: "pe-dns-record",
    title: "Private endpoint's A record is missing, stale, or has an unsuitable TTL",
    severity: Severity::High,
    inputs: &[
        ResourceKind::PrivateEndpoint,
        ResourceKind::VirtualNetwork,
        ResourceKind::PrivateDnsZone,
        ResourceKind::VirtualNetworkLink,
        ResourceKind::RecordSet,
        // The endpoint's addresses, which a record must hold, may come from its NICs.
        ResourceKind::NetworkInterface,
    ],
    shown_inputs: &[],
    what: "For an approved private endpoint and each private DNS zone of the expected name that is \
effectively linked to the endpoint's VNet: no A record named after the resource (high); an A record whose \
addresses do not include the endpoint's current private IP, typically left over after the endpoint was \
re-created (high); or a TTL outside 10–600 s (low). Record names come from the endpoint's customDnsConfigs \
FQDNs when present (the label before the service suffix); otherwise they are approximated by the target \
resource's name (exact for Key Vault, Storage, SQL and most single-name services; services with regional or \
multi-part names, e.g. Cosmos DB regional endpoints, publish customDnsConfigs that are used instead). Records \
are matched per zone: a service with several zones (an Azure Monitor Private Link Scope uses monitor, oms, \
ods, agentsvc and blob) needs in each zone only the customDnsConfigs names carrying that zone's suffix, with \
those configurations' addresses; such an endpoint without customDnsConfigs is not evaluated. A record that \
points at a sibling endpoint of the same resource and group reachable from the VNet (in it, or in a VNet \
peered with it) is not stale: the scope's global names are shared by all its endpoints. Zones not linked to \
the endpoint's VNet are DNS101/DNS106's concern.",
    why: "Inside the VNet the resource's name resolves through the CNAME {name}.privatelink.<zone> to the \
A record in the linked private zone. A missing record yields NXDOMAIN (or the public address with the \
NxDomainRedirect fallback); a stale record sends clients to an IP that no longer belongs to the endpoint, so \
connections time out. Microsoft recommends a TTL no smaller than 10 seconds and no bigger than 600 seconds \
(Key Vault private link diagnostics): too large a TTL keeps stale answers cached after a change, so clients \
take too long to recover.",
    fix: "Let the endpoint manage its record through a DNS zone group, or set the record by hand.\n\
Portal: Private endpoint → DNS configuration → Add configuration (zone group); or Private DNS zones → <zone> → \
record set <name> → edit the IP and TTL.\n\
az network private-dns record-set a update --resource-group <zone-rg> --zone-name <zone> --name <record> --set ttl=10\n\
az network private-dns record-set a add-record --resource-group <zone-rg> --zone-name <zone> --record-set-name <record> --ipv4-address <endpoint-ip>",
    example: r#"{"private_endpoint": ".../privateEndpoints/pe-kv-ops", "target": ".../vaults/kv-ops-contoso", "group_id": "vault", "zone": ".../privateDnsZones/privatelink.vaultcore.azure.net", "record_name": "kv-ops-contoso", "record_name_source": "customDnsConfigs", "fqdn": "kv-ops-contoso.vault.azure.net", "record": ".../A/kv-ops-contoso", "problem": "stale", "record_addresses": ["10.1.2.9"], "endpoint_addresses": ["10.1.2.5"], "ttl": 3600, "ttl_bounds": [10, 600]}"#,
    references: &[
        "https://learn.microsoft.com/azure/private-link/private-endpoint-dns",
        "https://learn.microsoft.com/azure/key-vault/general/private-link-diagnostics",
        "https://learn.microsoft.com/azure/dns/private-dns-privatednszone",
        "https://learn.microsoft.com/azure/azure-monitor/logs/private-link-configure",
    ],
};

/// The record name a FQDN needs in `zone`: the labels in front of the zone, of the zone without its
/// `privatelink.` label, or of a known public suffix; otherwise the first label.
pub fn record_name_for(fqdn: &str, zone: &str) -> String {
    let f = normalise_dns_name(fqdn);
    let zone = normalise_dns_name(zone);
    let bare = zone
        .strip_prefix("privatelink.")
        .unwrap_or(&zone)
        .to_string();
    for suffix in [zone.clone(), bare] {
        if let Some(prefix) = f.strip_suffix(&format!(".{suffix}")) {
            return prefix.to_string();
        }
    }
    f.split('.').next().unwrap_or_default().to_string()
}

/// Whether `fqdn` is a name of `zone` or of the public suffix the zone shadows
/// (`api.monitor.azure.com` in `privatelink.monitor.azure.com`).
fn fqdn_in_zone(fqdn: &str, zone: &str) -> bool {
    let f = normalise_dns_name(fqdn);
    let zone = normalise_dns_name(zone);
    let bare = zone.strip_prefix("privatelink.").unwrap_or(&zone);
    f.ends_with(&format!(".{zone}")) || f.ends_with(&format!(".{bare}"))
}

impl Rule for PeDnsRecord {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let min_ttl = cx.param_u64(META.code, "min_ttl", MIN_TTL);
        let max_ttl = cx.param_u64(META.code, "max_ttl", MAX_TTL);
        for pe in &cx.inv.private_endpoints {
            let Ok(vnet) = endpoint_vnet(cx, pe) else {
                continue;
            };
            let all_ips = cx.idx.endpoint_ips(pe);
            let peers = connected_peers(cx, vnet);
            for (conn, group) in approved_groups(pe) {
                let target = conn.target();
                let zones = expected_zones(cx, target, group);
                // Sibling endpoints of the same target and group reachable from this VNet (in it,
                // or in a VNet peered with it): a record pointing at one of them is not stale.
                let siblings: Vec<(String, Vec<String>)> = cx
                    .idx
                    .endpoints_targeting(target)
                    .iter()
                    .filter(|o| !same_id(&o.id, &pe.id))
                    .filter(|o| {
                        approved_groups(o).any(|(c, g)| {
                            same_id(c.target(), target) && g.eq_ignore_ascii_case(group)
                        })
                    })
                    .filter(|o| {
                        endpoint_vnet(cx, o).is_ok_and(|v| {
                            same_id(&v.id, &vnet.id)
                                || peers.iter().any(|(_, remote, _)| same_id(remote, &v.id))
                        })
                    })
                    .map(|o| (o.id.clone(), cx.idx.endpoint_ips(o)))
                    .collect();
                let configs: Vec<(&str, &[String])> = pe
                    .properties
                    .custom_dns_configs
                    .iter()
                    .filter_map(|c| {
                        let fqdn = c.fqdn.as_deref().filter(|f| !f.trim().is_empty())?;
                        Some((fqdn, c.ip_addresses.as_slice()))
                    })
                    .collect();
                for zone_name in zones.iter().copied() {
                    let linked: Vec<_> = zone_links(cx.idx, zone_name, vnet)
                        .into_iter()
                        .filter(|l| l.effective)
                        .collect();
                    if linked.is_empty() {
                        continue;
                    }
                    // The endpoint's DNS configurations that live in this zone. A service with
                    // several zones (Azure Monitor Private Link Scope: monitor, oms, ods, agentsvc,
                    // blob) publishes each name in the zone whose suffix it carries; a single-zone
                    // service's names all belong to its zone (vault.azure.net → vaultcore).
                    let mut mine: Vec<(&str, &[String])> = configs
                        .iter()
                        .copied()
                        .filter(|(fqdn, _)| fqdn_in_zone(fqdn, zone_name))
                        .collect();
                    if mine.is_empty() && zones.len() == 1 {
                        mine = configs.clone();
                    }
                    if mine.is_empty() && zones.len() > 1 {
                        if configs.is_empty() {
                            out.not_evaluated(
                                &pe.id,
                                format!(
                                    "{zone_name}: the endpoint publishes no customDnsConfigs and {} uses {} zones, so the record names it needs there are not known",
                                    last_name(target),
                                    zones.len()
                                ),
                            );
                        }
                        continue; // none of this endpoint's names lives in this zone
                    }
                    // (record name, the addresses it must include, where the name came from, fqdn)
                    let mut wanted: Vec<(String, Vec<String>, &str, Option<String>)> = mine
                        .iter()
                        .map(|(fqdn, ips)| {
                            let ips = if ips.is_empty() {
                                all_ips.clone()
                            } else {
                                ips.to_vec()
                            };
                            (
                                record_name_for(fqdn, zone_name),
                                ips,
                                "customDnsConfigs",
                                Some(fqdn.to_string()),
                            )
                        })
                        .collect();
                    if wanted.is_empty() {
                        wanted.push((
                            last_name(target).to_ascii_lowercase(),
                            all_ips.clone(),
                            "target resource name (approximation)",
                            None,
                        ));
                    }
                    wanted.dedup_by(|a, b| a.0 == b.0);
                    for zl in &linked {
                        let zone_rg = rg_of(&zl.zone_id);
                        for (name, ips, source, fqdn) in &wanted {
                            let record = cx
                                .idx
                                .records_named(&zl.zone_id, name)
                                .iter()
                                .find(|r| r.record_type() == "A");
                            let base = json!({
                                "private_endpoint": pe.id,
                                "target": target,
                                "group_id": group,
                                "virtual_network": vnet.id,
                                "zone": zl.zone_id,
                                "zone_link": zl.link_id,
                                "record_name": name,
                                "record_name_source": source,
                                "fqdn": fqdn,
                                "endpoint_addresses": ips,
                            });
                            let ip = ips
                                .first()
                                .cloned()
                                .unwrap_or_else(|| "<endpoint-ip>".into());
                            let Some(record) = record else {
                                let mut ev = base.clone();
                                ev["problem"] = json!("missing");
                                ev["record"] = json!(null);
                                rests_on_zone(
                                    out.finding(
                                        &pe.id,
                                        &format!("{zone_name}|{name}|missing"),
                                        format!(
                                            "Zone {zone_name} (linked to {}) has no A record {name} for private endpoint {}, so {} does not resolve to {ip}.",
                                            vnet.display_name(),
                                            pe.display_name(),
                                            last_name(target),
                                        ),
                                        ev,
                                        format!(
                                            "Add the record (or attach a DNS zone group to the endpoint): az network private-dns record-set a add-record --resource-group {zone_rg} --zone-name {zone_name} --record-set-name {name} --ipv4-address {ip}"
                                        ),
                                    ),
                                    cx,
                                    [zone_name],
                                );
                                continue;
                            };
                            let have: Vec<&str> = record.ipv4_addresses();
                            let ttl = record.properties.ttl;
                            let mut ev = base.clone();
                            ev["record"] = json!(record.id);
                            ev["record_addresses"] = json!(have);
                            ev["ttl"] = json!(ttl);
                            ev["ttl_bounds"] = json!([min_ttl, max_ttl]);
                            let sibling_hit: Vec<&str> = siblings
                                .iter()
                                .filter(|(_, sips)| sips.iter().any(|i| have.contains(&i.as_str())))
                                .map(|(id, _)| id.as_str())
                                .collect();
                            if !ips.is_empty()
                                && !ips.iter().any(|i| have.contains(&i.as_str()))
                                && sibling_hit.is_empty()
                            {
                                let mut e = ev.clone();
                                e["problem"] = json!("stale");
                                e["reachable_sibling_endpoints"] = json!(
                                    siblings
                                        .iter()
                                        .map(|(id, ips)| json!({"id": id, "addresses": ips}))
                                        .collect::<Vec<_>>()
                                );
                                rests_on_zone(
                                    out.finding(
                                        &pe.id,
                                        &format!("{zone_name}|{name}|stale"),
                                        format!(
                                            "A record {name} in {zone_name} points at {} but private endpoint {} has {}, so clients in {} connect to an address that is not the endpoint.",
                                            if have.is_empty() { "nothing".to_string() } else { have.join(", ") },
                                            pe.display_name(),
                                            ips.join(", "),
                                            vnet.display_name(),
                                        ),
                                        e,
                                        format!(
                                            "Point the record at the endpoint's IP: az network private-dns record-set a add-record --resource-group {zone_rg} --zone-name {zone_name} --record-set-name {name} --ipv4-address {ip}{}",
                                            have.iter()
                                                .map(|old| format!(" && az network private-dns record-set a remove-record --resource-group {zone_rg} --zone-name {zone_name} --record-set-name {name} --ipv4-address {old}"))
                                                .collect::<String>()
                                        ),
                                    ),
                                    cx,
                                    [zone_name],
                                );
                            }
                            if let Some(t) = ttl.filter(|t| !(min_ttl..=max_ttl).contains(t)) {
                                let mut e = ev.clone();
                                e["problem"] = json!("ttl");
                                rests_on_zone(
                                    out.finding_with_severity(
                                        Severity::Low,
                                        &pe.id,
                                        &format!("{zone_name}|{name}|ttl"),
                                        format!(
                                            "A record {name} in {zone_name} (private endpoint {}) has TTL {t} s, outside the recommended {min_ttl}–{max_ttl} s, so changes to the endpoint stay cached.",
                                            pe.display_name(),
                                        ),
                                        e,
                                        format!(
                                            "az network private-dns record-set a update --resource-group {zone_rg} --zone-name {zone_name} --name {name} --set ttl={min_ttl}"
                                        ),
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
    }
}
