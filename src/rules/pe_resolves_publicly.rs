//! DNS107 — the end-to-end answer: from a VNet that should reach a resource through its private
//! endpoint, the resource's name does not resolve to the endpoint.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::support_pe::{connected_peers, rests_on_zone, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::ResourceId;
use crate::azure::id::{id_key, same_id};
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::VirtualNetwork;
use crate::model::dns::{Answer, resolve, zone_links};

pub struct PeResolvesPublicly;
pub static RULE: PeResolvesPublicly = PeResolvesPublicly;

static META: RuleMeta = RuleMeta {
    code: "DNS107",
    name: "pe-name-resolves-publicly",
    title: "From a VNet that uses a private endpoint, the resource name does not resolve to the endpoint",
    severity: Severity::High,
    inputs: &[
        ResourceKind::PrivateEndpoint,
        ResourceKind::VirtualNetwork,
        ResourceKind::PrivateDnsZone,
        ResourceKind::VirtualNetworkLink,
        ResourceKind::RecordSet,
        ResourceKind::NetworkInterface,
    ],
    shown_inputs: &[],
    what: "For each approved private endpoint, azaudit resolves the target's public name (e.g. \
kv1.vault.azure.net) as a client in the endpoint's VNet and in every VNet peered with it that uses Azure DNS \
would, following the privatelink CNAME, the zone link and the A record. It reports the failures (public \
address, NXDOMAIN, or a private address that is no endpoint's of the resource) that no other rule explains: \
the client VNet resolves through a zone of the right name that is not the one linked to the endpoint's VNet \
(split zones: hub and spoke each with their own privatelink zone) and that zone lacks or misstates the \
record. One finding per client VNet and zone name, on the client VNet, listing every name and endpoint \
affected. A client VNet linked to no zone of the name is DNS101's (its own endpoints) or DNS104's (a peer); \
no zone of the name anywhere is DNS102's; a missing or stale record in the zone linked to the endpoint's VNet \
is DNS105's.",
    why: "Private endpoints only help if clients resolve the resource's name to the endpoint's private IP. The \
chain has several links that fail silently: the zone must have exactly the private-link name, be linked to the \
client's VNet, and hold an A record named after the resource whose address is the endpoint's current IP. Any \
break sends clients to the public endpoint (over the Internet, or into the resource's firewall with 403 \
ForbiddenByFirewall) or to a stale address, while the endpoint itself looks healthy. Today this path is \
checked by hand with nslookup from a VM.",
    fix: "Follow the broken link named in the finding: link the zone to the VNet, create or correct the A \
record, or rename the zone.\n\
az network private-dns link vnet create -g <zone-rg> -z <zone> -n <vnet>-link -v <vnet-id> -e false\n\
az network private-dns record-set a add-record -g <zone-rg> -z <zone> -n <resource-name> -a <endpoint-ip>\n\
Verify from a VM in the VNet: nslookup <resource>.vault.azure.net (the answer must be the endpoint's IP).",
    example: r#"{"virtual_network": ".../virtualNetworks/vnet-spoke-ops", "zone_name": "privatelink.vaultcore.azure.net", "answering_zone": ".../resourceGroups/rg-ops-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net", "private_endpoints": [".../privateEndpoints/pe-kv-app"], "names": [{"fqdn": "kv-app-contoso.vault.azure.net", "problem": "does not resolve (NXDOMAIN) because zone privatelink.vaultcore.azure.net has no A record named kv-app-contoso", "private_endpoint": ".../privateEndpoints/pe-kv-app", "endpoint_addresses": ["10.1.2.4"]}]}"#,
    references: &[
        "https://learn.microsoft.com/azure/private-link/private-endpoint-dns",
        "https://learn.microsoft.com/azure/key-vault/general/private-link-diagnostics",
        "https://learn.microsoft.com/azure/dns/private-dns-virtual-network-links",
        "https://learn.microsoft.com/azure/cloud-adoption-framework/ready/azure-best-practices/private-link-and-dns-integration-at-scale",
    ],
};

/// Names one client VNet fails to resolve through one zone name, for one finding.
struct Failure {
    client: String,
    zone_name: String,
    answering_zone: String,
    names: Vec<Value>,
    endpoints: Vec<String>,
}

impl Rule for PeResolvesPublicly {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let mut failures: BTreeMap<(String, String), Failure> = BTreeMap::new();
        for pe in &cx.inv.private_endpoints {
            let Some((_, vnet)) = pe.subnet_id().and_then(|s| cx.idx.subnet(s)) else {
                continue;
            };
            let endpoint_ips = cx.idx.endpoint_ips(pe);
            // The endpoint's VNet and the VNets peered with it (connected) are expected to resolve it.
            let mut clients: Vec<&VirtualNetwork> = vec![vnet];
            for (_, _, remote) in connected_peers(cx, vnet) {
                if let Some(v) = remote
                    && !clients.iter().any(|c| same_id(&c.id, &v.id))
                {
                    clients.push(v);
                }
            }
            for conn in pe.connections().filter(|c| c.is_approved()) {
                let target_type = ResourceId::parse(conn.target())
                    .map(|r| r.resource_type())
                    .unwrap_or_default();
                let label = crate::azure::id::last_name(conn.target()).to_ascii_lowercase();
                for group in &conn.connection.properties.group_ids {
                    let Some(fqdn) = cx.zones.public_name(cx.cloud, &target_type, group, &label)
                    else {
                        continue;
                    };
                    // Any approved endpoint of the same target and group is a right answer (a second
                    // endpoint in the same VNet is its own finding).
                    let sibling_ips: Vec<String> = cx
                        .idx
                        .endpoints_targeting(conn.target())
                        .iter()
                        .filter(|other| {
                            other.connections().any(|c| {
                                c.is_approved()
                                    && same_id(c.target(), conn.target())
                                    && c.connection
                                        .properties
                                        .group_ids
                                        .iter()
                                        .any(|g| g.eq_ignore_ascii_case(group))
                            })
                        })
                        .flat_map(|other| cx.idx.endpoint_ips(other))
                        .collect();
                    for client in &clients {
                        let r = resolve(cx.idx, cx.zones, cx.cloud, client, &fqdn);
                        let problem = match &r.answer {
                            Answer::Public { reason } => {
                                format!("resolves to the public address because {reason}")
                            }
                            Answer::NxDomain { reason } => {
                                format!("does not resolve (NXDOMAIN) because {reason}")
                            }
                            Answer::Private { addresses }
                                if !addresses.iter().any(|a| sibling_ips.contains(a)) =>
                            {
                                format!(
                                    "resolves to {} which is not the endpoint's address ({})",
                                    addresses.join(", "),
                                    endpoint_ips.join(", ")
                                )
                            }
                            _ => continue,
                        };
                        let Some((_, zone_name)) = r
                            .private_link_name
                            .as_deref()
                            .and_then(|n| n.split_once('.'))
                        else {
                            continue;
                        };
                        // Root causes other rules report are not repeated here: no zone linked to
                        // the client VNet (DNS101 for the endpoint's VNet or one holding its own
                        // endpoint, DNS104 for a peer, DNS102 when no zone of the name exists), or
                        // a missing or stale record in a zone linked to the endpoint's VNet (DNS105).
                        let Some(answering) = zone_links(cx.idx, zone_name, client)
                            .into_iter()
                            .find(|l| l.effective)
                        else {
                            continue;
                        };
                        let endpoint_side = zone_links(cx.idx, zone_name, vnet)
                            .into_iter()
                            .any(|l| l.effective && same_id(&l.zone_id, &answering.zone_id));
                        if endpoint_side {
                            continue;
                        }
                        let f = failures
                            .entry((id_key(&client.id), zone_name.to_string()))
                            .or_insert_with(|| Failure {
                                client: client.id.clone(),
                                zone_name: zone_name.to_string(),
                                answering_zone: answering.zone_id.clone(),
                                names: Vec::new(),
                                endpoints: Vec::new(),
                            });
                        if !f.endpoints.iter().any(|e| same_id(e, &pe.id)) {
                            f.endpoints.push(pe.id.clone());
                        }
                        let entry = json!({
                            "fqdn": fqdn,
                            "problem": problem,
                            "private_endpoint": pe.id,
                            "endpoint_addresses": endpoint_ips,
                            "target": conn.target(),
                            "group_id": group,
                            "resolution": r,
                        });
                        if !f.names.iter().any(|n| {
                            n["fqdn"] == entry["fqdn"]
                                && n["private_endpoint"] == entry["private_endpoint"]
                        }) {
                            f.names.push(entry);
                        }
                    }
                }
            }
        }
        for (_, f) in failures {
            let Some(client) = cx.idx.vnet(&f.client) else {
                continue;
            };
            let mut fqdns: Vec<&str> = f.names.iter().filter_map(|n| n["fqdn"].as_str()).collect();
            fqdns.sort();
            fqdns.dedup();
            let message = format!(
                "From VNet {}, {} do(es) not resolve to the private endpoint(s): the VNet resolves {} through zone {}, which lacks or misstates their A records (the endpoints' own VNets do not resolve through that zone).",
                client.display_name(),
                fqdns.join(", "),
                f.zone_name,
                f.answering_zone,
            );
            let zone_rg = rg_of(&f.answering_zone);
            let remediation = format!(
                "Give {} one zone per name: link it to the zone the endpoints' VNets use (delete its link to {} first: a VNet links one zone of a name), or add the endpoints' A records to that zone, e.g. az network private-dns record-set a add-record --resource-group {zone_rg} --zone-name {} --record-set-name <resource-name> --ipv4-address <endpoint-ip>",
                client.display_name(),
                f.answering_zone,
                f.zone_name,
            );
            let evidence = json!({
                "virtual_network": f.client,
                "zone_name": f.zone_name,
                "answering_zone": f.answering_zone,
                "private_endpoints": f.endpoints,
                "names": f.names,
            });
            rests_on_zone(
                out.finding(&f.client, &f.zone_name, message, evidence, remediation),
                cx,
                [f.zone_name.as_str()],
            );
        }
    }
}
