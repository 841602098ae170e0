//! DNS106 — a private endpoint in a VNet with custom DNS servers: the zone alone does not make
//! resolution private.

use std::net::IpAddr;

use serde_json::json;

use super::support_pe::{approved_groups, endpoint_vnet, expected_zones, rests_on_zone};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::last_name;
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::model::addr::PrefixSet;
use crate::model::dns::uses_azure_dns;
use crate::model::tags::HOST_VIP;

pub struct PeVnetCustomDns;
pub static RULE: PeVnetCustomDns = PeVnetCustomDns;

static META: RuleMeta = RuleMeta {
    code: "DNS106",
    name: "pe-vnet-custom-dns",
    title: "Private endpoint's VNet uses custom DNS servers",
    severity: Severity::Low,
    inputs: &[
        ResourceKind::PrivateEndpoint,
        ResourceKind::VirtualNetwork,
        ResourceKind::PrivateDnsZone,
        ResourceKind::VirtualNetworkLink,
    ],
    // The endpoint addresses in the evidence may come from its NICs.
    shown_inputs: &[ResourceKind::NetworkInterface],
    what: "A private endpoint with an approved connection whose VNet sets custom DNS servers \
(dhcpOptions.dnsServers non-empty and not only 168.63.129.16). azaudit cannot see the servers' \
configuration, so the finding states what must hold and what the inventory shows: the expected zones, the \
VNets they are linked to, and whether a DNS server address lies inside one of those VNets. Low severity when \
no linked VNet holds a server address; info when one does (the setup is plausible but unverified).",
    why: "With custom DNS servers, a VNet's clients never ask Azure DNS directly: a private DNS zone \
linked to the VNet has no effect on them. Private names resolve privately only if the custom servers \
forward the public zone (e.g. vault.azure.net, or the privatelink zone) to 168.63.129.16 from a VNet that is \
linked to the private DNS zone (typically a DNS forwarder or Azure DNS Private Resolver in the hub). Without \
that forwarder, clients resolve the public address.",
    fix: "Make the DNS servers forward to Azure DNS from a VNet linked to the zone: a conditional \
forwarder for the service's public zone (e.g. vault.azure.net and vaultcore.azure.net) to 168.63.129.16 on a \
server in a linked VNet, or an Azure DNS Private Resolver inbound endpoint.\n\
Portal: Private DNS zones → <zone> → Virtual network links → Add the DNS servers' VNet; DNS servers: add the \
conditional forwarder.\n\
az network private-dns link vnet create --resource-group <zone-rg> --zone-name <zone> --name <dns-vnet>-link --virtual-network <dns-servers-vnet-id> --registration-enabled false\n\
Verify from a client: nslookup <name>.vault.azure.net must return the endpoint's private IP.",
    example: r#"{"private_endpoint": ".../privateEndpoints/pe-st-legacy", "virtual_network": ".../virtualNetworks/vnet-spoke-legacy", "dns_servers": ["10.0.3.4"], "zones": [{"target": ".../storageAccounts/stcontosodata", "group_id": "blob", "expected_zone": "privatelink.blob.core.windows.net", "zone_ids": [".../privateDnsZones/privatelink.blob.core.windows.net"], "linked_virtual_networks": [".../vnet-hub", ".../vnet-spoke-app"]}], "dns_servers_in_linked_vnets": [], "requirement": "the DNS servers must forward to 168.63.129.16 from a VNet linked to the zone"}"#,
    references: &[
        "https://learn.microsoft.com/azure/private-link/private-endpoint-dns-integration",
        "https://learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16",
        "https://learn.microsoft.com/azure/key-vault/general/private-link-diagnostics",
    ],
};

const REQUIREMENT: &str = "the custom DNS servers must forward the service's names to 168.63.129.16 from a VNet linked to the private DNS zone";

impl Rule for PeVnetCustomDns {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for pe in &cx.inv.private_endpoints {
            if approved_groups(pe).next().is_none() {
                continue;
            }
            let Ok(vnet) = endpoint_vnet(cx, pe) else {
                continue;
            };
            if uses_azure_dns(vnet) {
                continue;
            }
            let servers: Vec<String> = vnet
                .dns_servers()
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| s != HOST_VIP)
                .collect();
            let mut zones = Vec::new();
            let mut linked_all: Vec<String> = Vec::new();
            for (conn, group) in approved_groups(pe) {
                for zone_name in expected_zones(cx, conn.target(), group) {
                    let found = cx.idx.zones_named(zone_name);
                    let mut linked: Vec<String> = found
                        .iter()
                        .flat_map(|z| cx.idx.links_of_zone(&z.id).iter())
                        .filter(|l| l.is_effective())
                        .filter_map(|l| l.vnet_id().map(str::to_string))
                        .collect();
                    linked.sort_by_key(|v| v.to_ascii_lowercase());
                    linked.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
                    linked_all.extend(linked.iter().cloned());
                    zones.push(json!({
                        "target": conn.target(),
                        "group_id": group,
                        "expected_zone": zone_name,
                        "zone_ids": found.iter().map(|z| z.id.clone()).collect::<Vec<_>>(),
                        "linked_virtual_networks": linked,
                    }));
                }
            }
            // Which DNS servers sit inside a VNet linked to an expected zone.
            let mut servers_in_linked = Vec::new();
            for s in &servers {
                let Ok(addr) = s.parse::<IpAddr>() else {
                    continue;
                };
                for v in &linked_all {
                    let Some(linked_vnet) = cx.idx.vnet(v) else {
                        continue;
                    };
                    let inside = linked_vnet
                        .properties
                        .address_space
                        .address_prefixes
                        .iter()
                        .filter_map(|p| PrefixSet::parse(p))
                        .any(|set| set.contains_addr(addr));
                    if inside {
                        servers_in_linked
                            .push(json!({"dns_server": s, "virtual_network": linked_vnet.id}));
                    }
                }
            }
            let plausible = !servers_in_linked.is_empty();
            let severity = if plausible {
                Severity::Info
            } else {
                Severity::Low
            };
            let zone_names: Vec<&str> = zones
                .iter()
                .filter_map(|z| z["expected_zone"].as_str())
                .collect();
            let targets: Vec<&str> = zones
                .iter()
                .filter_map(|z| z["target"].as_str().map(last_name))
                .collect();
            let message = format!(
                "Private endpoint {} ({}) is in VNet {}, which uses custom DNS servers {}: {} resolves privately only if those servers forward its names to 168.63.129.16 from a VNet linked to {}.",
                pe.display_name(),
                targets.join(", "),
                vnet.display_name(),
                servers.join(", "),
                targets.join(", "),
                if zone_names.is_empty() {
                    "no known zone for this service".to_string()
                } else {
                    zone_names.join(", ")
                },
            );
            let forwarder_vnet = linked_all
                .first()
                .cloned()
                .unwrap_or_else(|| "<dns-servers-vnet-id>".into());
            let remediation = format!(
                "On the DNS servers {} add a conditional forwarder for the service's public zone to 168.63.129.16, running in a VNet linked to {}; if the servers' VNet is not linked yet: az network private-dns link vnet create --resource-group <zone-rg> --zone-name {} --name dns-servers-link --virtual-network {forwarder_vnet} --registration-enabled false. Then check from {}: nslookup must return {}.",
                servers.join(", "),
                zone_names.join(", "),
                zone_names.first().copied().unwrap_or("<zone>"),
                vnet.display_name(),
                cx.idx.endpoint_ips(pe).join(", "),
            );
            rests_on_zone(
                out.finding_with_severity(
                    severity,
                    &pe.id,
                    "custom-dns",
                    message,
                    json!({
                        "private_endpoint": pe.id,
                        "private_ip_addresses": cx.idx.endpoint_ips(pe),
                        "virtual_network": vnet.id,
                        "dns_servers": servers,
                        "zones": zones,
                        "dns_servers_in_linked_vnets": servers_in_linked,
                        "requirement": REQUIREMENT,
                    }),
                    remediation,
                ),
                cx,
                zone_names.iter().copied(),
            );
        }
    }
}
