//! NSG108 — Windows activation (KMS, TCP 1688) and NSG/route posture: an outbound deny that does not
//! stop it, and forced tunnelling that breaks it.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use serde_json::json;

use super::support::{
    UnreadPeers, is_everything_or_internet, name_of, nsg_rule_cmd, rg_of, user_rules,
};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::Cloud;
use crate::azure::id::id_key;
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::{Access, AzureFirewall, Direction, NextHopType, Protocol, Subnet};
use crate::model::addr::PrefixSet;
use crate::model::nsg::PortSet;
use crate::model::tags::prefix_len;

pub struct KmsPlatformTraffic;
pub static RULE: KmsPlatformTraffic = KmsPlatformTraffic;

/// The KMS port.
pub const KMS_PORT: u16 = 1688;

/// Azure's KMS endpoints per cloud (Microsoft: custom-routes-enable-kms-activation).
pub fn kms_endpoints(cloud: Cloud) -> &'static [(&'static str, &'static str)] {
    match cloud {
        Cloud::Public => &[
            ("azkms.core.windows.net", "20.118.99.224"),
            ("azkms.core.windows.net", "40.83.235.53"),
            ("kms.core.windows.net", "23.102.135.246"),
        ],
        Cloud::Usgov => &[
            ("kms.core.usgovcloudapi.net", "23.97.0.13"),
            ("azkms.core.usgovcloudapi.net", "52.126.105.2"),
        ],
        Cloud::China => &[
            ("azkms.core.chinacloudapi.cn", "159.27.28.100"),
            ("azkms.core.chinacloudapi.cn", "163.228.64.161"),
            ("kms.core.chinacloudapi.cn", "42.159.7.249"),
        ],
    }
}

static META: RuleMeta = RuleMeta {
    code: "NSG108",
    name: "kms-platform-traffic",
    title: "Windows activation (KMS) traffic is not what the NSG or route table suggests",
    severity: Severity::Info,
    inputs: &[
        ResourceKind::NetworkSecurityGroup,
        ResourceKind::RouteTable,
        ResourceKind::VirtualNetwork,
        ResourceKind::NetworkInterface,
        ResourceKind::AzureFirewall,
    ],
    shown_inputs: &[],
    what: "Two informational cases that never meet on one subnet. (1) An NSG with a user outbound Deny to Internet \
or every destination that covers TCP 1688, and no outbound deny on the AzurePlatformLKM service tag, applied to \
a subnet (directly or through a NIC) without a 0.0.0.0/0 user route: Windows activation still reaches KMS there. \
(2) A route table in use by a subnet with a 0.0.0.0/0 route that tunnels towards on-premises or an unknown \
appliance (next hop VirtualNetworkGateway, or a VirtualAppliance that is not an Azure Firewall with a public IP) \
and without routes with next hop Internet for each KMS address of the tenant's cloud (public: 20.118.99.224, \
40.83.235.53, 23.102.135.246): Windows VMs fail to activate. An Azure Firewall with a public IP sends activation \
out from an Azure public address, which KMS accepts.",
    why: "Platform traffic ignores ordinary NSG rules: KMS activation (TCP 1688 to kms.core.windows.net / \
azkms.core.windows.net) passes an outbound Deny to Internet (Microsoft: NSG overview, Azure platform considerations); only a deny on \
AzurePlatformLKM stops it. Microsoft disables this platform rule for deployments with a 0.0.0.0/0 route, so \
there the NSG's deny does apply; activation then follows the default route, and when that leads on-premises \
it is refused because it no longer comes from an Azure public IP, unless /32 routes to the KMS addresses with \
next hop Internet exist.",
    fix: "For (1), add an outbound deny with destination AzurePlatformLKM if activation must be blocked, or \
accept it knowingly. For (2), add /32 routes with next hop Internet for each KMS address.\n\
Portal: Route tables → <table> → Routes → Add: Destination IP addresses 20.118.99.224/32, Next hop Internet \
(repeat per address).\n\
az network route-table route create --resource-group <rg> --route-table-name <rt> --name kms-1 \
--address-prefix 20.118.99.224/32 --next-hop-type Internet",
    example: r#"{"route_table": ".../routeTables/rt-app", "default_route": {"route": "default-to-firewall", "next_hop_type": "VirtualAppliance", "next_hop_ip_address": "10.0.1.4"}, "cloud": "public", "kms_endpoints": ["20.118.99.224", "40.83.235.53", "23.102.135.246"], "missing_internet_routes": ["20.118.99.224", "40.83.235.53", "23.102.135.246"], "subnets": [".../subnets/snet-app"]}"#,
    references: &[
        "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview",
        "https://learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/custom-routes-enable-kms-activation",
        "https://learn.microsoft.com/azure/virtual-network/service-tags-overview",
    ],
};

impl Rule for KmsPlatformTraffic {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let endpoints = kms_endpoints(cx.cloud);
        // Where each NSG applies: its subnets, and the subnets of the NICs that carry it.
        let mut applies: HashMap<String, Vec<&Subnet>> = HashMap::new();
        for (s, _) in cx.idx.all_subnets() {
            if let Some(n) = &s.properties.network_security_group {
                applies.entry(id_key(&n.id)).or_default().push(s);
            }
        }
        for nic in &cx.inv.network_interfaces {
            let Some(n) = &nic.properties.network_security_group else {
                continue;
            };
            for c in &nic.properties.ip_configurations {
                if let Some((s, _)) = c
                    .properties
                    .subnet
                    .as_ref()
                    .and_then(|r| cx.idx.subnet(&r.id))
                {
                    let list = applies.entry(id_key(&n.id)).or_default();
                    if !list.iter().any(|x| id_key(&x.id) == id_key(&s.id)) {
                        list.push(s);
                    }
                }
            }
        }
        // (1) Outbound denies that KMS passes: only where the platform exception holds, i.e. in
        // subnets without a 0.0.0.0/0 user route (Microsoft disables the rule with one).
        for nsg in &cx.inv.network_security_groups {
            let denies = user_rules(nsg, &Direction::Outbound, &Access::Deny);
            let lkm_denied = denies.iter().any(|r| {
                r.properties
                    .destinations()
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case("AzurePlatformLKM"))
            });
            if lkm_denied {
                continue;
            }
            let broad: Vec<_> = denies
                .iter()
                .filter(|r| {
                    let p = &r.properties;
                    matches!(p.protocol, Protocol::Any | Protocol::Tcp)
                        && PortSet::parse(p.destination_ports()).contains(KMS_PORT)
                        && p.destinations()
                            .iter()
                            .any(|d| is_everything_or_internet(d))
                })
                .collect();
            if broad.is_empty() {
                continue;
            }
            let subnets = applies
                .get(&id_key(&nsg.id))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let (forced, open): (Vec<&Subnet>, Vec<&Subnet>) = subnets
                .iter()
                .copied()
                .partition(|s| default_route_of(cx, s).is_some());
            if open.is_empty() {
                continue; // unused, or every subnet forces 0.0.0.0/0: the exception is disabled there
            }
            let Some(first) = broad.first() else {
                continue;
            };
            let nsg_name = name_of(&nsg.id);
            let message = format!(
                "NSG {nsg_name} denies outbound traffic with {} ({}) but has no deny on AzurePlatformLKM, so Windows activation (KMS, TCP {KMS_PORT}) still leaves {} subnet(s) without a 0.0.0.0/0 route ({}).",
                first.name,
                first.properties.priority,
                open.len(),
                open.iter()
                    .map(|s| s.display_name())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            let evidence = json!({
                "network_security_group": nsg.id,
                "subnets": open.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
                "subnets_with_default_route": forced.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
                "outbound_denies": broad.iter().map(|r| json!({
                    "rule": r.name,
                    "priority": r.properties.priority,
                    "destination": r.properties.destinations(),
                })).collect::<Vec<_>>(),
                "missing": "an outbound Deny with destination AzurePlatformLKM",
                "kms_port": KMS_PORT,
                "kms_endpoints": endpoints.iter().map(|(h, ip)| json!({"host": h, "address": ip})).collect::<Vec<_>>(),
            });
            let remediation = format!(
                "If activation must be blocked too, deny AzurePlatformLKM explicitly: {}",
                nsg_rule_cmd(
                    &nsg.id,
                    "Deny-AzurePlatformLKM",
                    &format!(
                        "--priority {} --direction Outbound --access Deny --protocol Tcp --source-address-prefixes '*' --destination-address-prefixes AzurePlatformLKM --destination-port-ranges {KMS_PORT}",
                        first.properties.priority.saturating_sub(1).max(100)
                    )
                )
            );
            // "No 0.0.0.0/0 route there" rests on those subnets' route tables having been read.
            let mut proof = out.finding(&nsg.id, "lkm-not-denied", message, evidence, remediation);
            for rt in open
                .iter()
                .filter_map(|s| s.properties.route_table.as_ref())
            {
                proof = proof.rests_on(&rt.id);
            }
        }

        // (2) Forced tunnelling without KMS routes.
        let firewalls: HashMap<&str, &AzureFirewall> = cx
            .inv
            .azure_firewalls
            .iter()
            .flat_map(|f| f.private_ips().into_iter().map(move |ip| (ip.trim(), f)))
            .collect();
        let unread_peers = UnreadPeers::new(cx);
        for rt in &cx.inv.route_tables {
            let mut subnets: BTreeSet<String> =
                rt.properties.subnets.iter().map(|s| s.id.clone()).collect();
            for (s, _) in cx.idx.subnets_using_route_table(&rt.id) {
                subnets.insert(s.id.clone());
            }
            if subnets.is_empty() {
                continue;
            }
            let Some(default) = rt.properties.routes.iter().find(|r| {
                r.properties.address_prefix.trim() == "0.0.0.0/0"
                    && matches!(
                        r.properties.next_hop_type,
                        NextHopType::VirtualAppliance | NextHopType::VirtualNetworkGateway
                    )
            }) else {
                continue;
            };
            // An Azure Firewall with a public IP sends activation out from an Azure public
            // address, which KMS accepts: that is not forced tunnelling towards on-premises.
            let firewall = (default.properties.next_hop_type == NextHopType::VirtualAppliance)
                .then(|| {
                    default
                        .properties
                        .next_hop_ip_address
                        .as_deref()
                        .and_then(|ip| firewalls.get(ip.trim()))
                })
                .flatten();
            if firewall.is_some_and(|f| f.has_public_ip()) {
                continue;
            }
            // An appliance in a peered VNet that was not scanned may be an Azure Firewall with a
            // public IP: nothing can be said.
            if firewall.is_none()
                && default.properties.next_hop_type == NextHopType::VirtualAppliance
                && let Some(why) = default
                    .properties
                    .next_hop_ip_address
                    .as_deref()
                    .and_then(|ip| unread_peers.holding(ip))
            {
                out.not_evaluated(&rt.id, format!("route {}: {why}", default.name));
                continue;
            }
            let missing: Vec<&str> = endpoints
                .iter()
                .map(|(_, ip)| *ip)
                .filter(|ip| {
                    let addr: IpAddr = ip.parse().expect("valid KMS address");
                    !rt.properties.routes.iter().any(|r| {
                        r.properties.next_hop_type == NextHopType::Internet
                            && prefix_len(&r.properties.address_prefix).is_some_and(|l| l > 0)
                            && PrefixSet::parse(&r.properties.address_prefix)
                                .is_some_and(|p| p.contains_addr(addr))
                    })
                })
                .collect();
            if missing.is_empty() {
                continue;
            }
            let rt_name = name_of(&rt.id);
            let message = format!(
                "Route table {rt_name} forces 0.0.0.0/0 to {} without next-hop-Internet routes for KMS {} (cloud {}), so Windows VMs in {} subnet(s) cannot activate.",
                default.properties.next_hop_type,
                missing.join(", "),
                cx.cloud.azure_name(),
                subnets.len(),
            );
            let evidence = json!({
                "route_table": rt.id,
                "default_route": {
                    "route": default.name,
                    "address_prefix": default.properties.address_prefix,
                    "next_hop_type": default.properties.next_hop_type.to_string(),
                    "next_hop_ip_address": default.properties.next_hop_ip_address,
                },
                "cloud": cx.cloud,
                "kms_endpoints": endpoints.iter().map(|(_, ip)| *ip).collect::<Vec<_>>(),
                "missing_internet_routes": missing,
                "subnets": subnets,
                "next_hop": match (&default.properties.next_hop_type, firewall) {
                    (NextHopType::VirtualNetworkGateway, _) => "a virtual network gateway: activation is tunnelled to on-premises".to_string(),
                    (_, Some(f)) => format!("Azure Firewall {} without a public IP", name_of(&f.id)),
                    _ => "a virtual appliance that is not an Azure Firewall with a public IP: activation leaves through it, not from an Azure public IP, unless it forwards it to the Internet itself".to_string(),
                },
            });
            let remediation = format!(
                "Add a /32 route with next hop Internet per KMS address, e.g. az network route-table route create --resource-group {} --route-table-name {rt_name} --name kms-{} --address-prefix {}/32 --next-hop-type Internet",
                rg_of(&rt.id),
                missing[0].replace('.', "-"),
                missing[0],
            );
            let proof = out.finding(&rt.id, "kms-routes-missing", message, evidence, remediation);
            if default.properties.next_hop_type == NextHopType::VirtualAppliance {
                // "Not an Azure Firewall with a public IP" rests on every firewall having been read.
                proof.rests_on_all(&[ResourceKind::AzureFirewall]);
            }
        }
    }
}

/// The subnet's user route for 0.0.0.0/0 with a next hop other than Internet: with it, Microsoft
/// disables the platform rule that lets KMS activation pass the NSG.
fn default_route_of<'a>(
    cx: &Context<'a>,
    subnet: &Subnet,
) -> Option<&'a crate::inventory::network::Route> {
    crate::model::routes::route_table_of(cx.idx, subnet)?
        .properties
        .routes
        .iter()
        .find(|r| {
            r.properties.address_prefix.trim() == "0.0.0.0/0"
                && r.properties.next_hop_type != NextHopType::Internet
        })
}
