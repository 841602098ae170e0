//! DNS107 — the end-to-end answer: from a VNet that should reach a resource through its private
//! endpoint, the resource's name does not resolve to the endpoint.

use serde_json::json;

use super::support_pe::rests_on_zone;
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::ResourceId;
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::VirtualNetwork;
use crate::model::dns::{Answer, resolve};

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
would, following the privatelink CNAME, the zone link and the A record. It reports when the answer is the \
public address, NXDOMAIN, or a private address that is not the endpoint's, citing each broken link.",
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
    example: r#"{"fqdn": "kv-data-contoso.vault.azure.net", "vnet": ".../virtualNetworks/vnet-spoke-data", "answer": "public", "reason": "zone privatelink.vaultcore.azure.net is not (effectively) linked to VNet vnet-spoke-data", "chain": [{"what": "kv-data-contoso.vault.azure.net is a CNAME to kv-data-contoso.privatelink.vaultcore.azure.net", "ok": true}, {"what": "zone privatelink.vaultcore.azure.net is not (effectively) linked to VNet vnet-spoke-data", "ok": false}], "endpoint_addresses": ["10.2.2.4"]}"#,
    references: &[
        "https://learn.microsoft.com/azure/private-link/private-endpoint-dns",
        "https://learn.microsoft.com/azure/key-vault/general/private-link-diagnostics",
        "https://learn.microsoft.com/azure/dns/private-dns-virtual-network-links",
    ],
};

impl Rule for PeResolvesPublicly {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for pe in &cx.inv.private_endpoints {
            let Some((_, vnet)) = pe.subnet_id().and_then(|s| cx.idx.subnet(s)) else {
                continue;
            };
            let endpoint_ips = cx.idx.endpoint_ips(pe);
            // The endpoint's VNet and the VNets peered with it (connected) are expected to resolve it.
            let mut clients: Vec<&VirtualNetwork> = vec![vnet];
            let peers = vnet
                .properties
                .virtual_network_peerings
                .iter()
                .filter(|p| p.is_connected())
                .filter_map(|p| p.properties.remote_virtual_network.as_ref())
                .filter_map(|r| cx.idx.vnet(&r.id));
            for v in peers {
                if !clients
                    .iter()
                    .any(|c| crate::azure::id::same_id(&c.id, &v.id))
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
                                    && crate::azure::id::same_id(c.target(), conn.target())
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
                                Some(format!("resolves to the public address because {reason}"))
                            }
                            Answer::NxDomain { reason } => {
                                Some(format!("does not resolve (NXDOMAIN) because {reason}"))
                            }
                            Answer::Private { addresses }
                                if !addresses.iter().any(|a| sibling_ips.contains(a)) =>
                            {
                                Some(format!(
                                    "resolves to {} which is not the endpoint's address ({})",
                                    addresses.join(", "),
                                    endpoint_ips.join(", ")
                                ))
                            }
                            _ => None,
                        };
                        let Some(problem) = problem else { continue };
                        let message =
                            format!("From VNet {}, {fqdn} {problem}.", client.display_name());
                        let evidence = json!({
                            "private_endpoint": pe.id,
                            "endpoint_addresses": endpoint_ips,
                            "target": conn.target(),
                            "group_id": group,
                            "resolution": r,
                        });
                        let remediation = match &r.answer {
                            Answer::Private { .. } => format!(
                                "Point the A record at the endpoint: az network private-dns record-set a add-record -g <zone-rg> -z {} -n {label} -a {} (and remove the stale address)",
                                r.private_link_name
                                    .as_deref()
                                    .and_then(|n| n.split_once('.'))
                                    .map(|(_, z)| z)
                                    .unwrap_or("<zone>"),
                                endpoint_ips
                                    .first()
                                    .map(String::as_str)
                                    .unwrap_or("<endpoint-ip>")
                            ),
                            _ => format!(
                                "Fix the broken link: {}",
                                r.chain
                                    .iter()
                                    .filter(|s| !s.ok)
                                    .map(|s| s.what.clone())
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            ),
                        };
                        let proof = out.finding(
                            &pe.id,
                            &format!("{group}|{}", client.id),
                            message,
                            evidence,
                            remediation,
                        );
                        if let Some((_, zone)) = r
                            .private_link_name
                            .as_deref()
                            .and_then(|n| n.split_once('.'))
                        {
                            rests_on_zone(proof, cx, [zone]);
                        }
                    }
                }
            }
        }
    }
}
