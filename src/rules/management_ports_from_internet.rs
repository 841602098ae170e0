//! NSG105 — management ports (SSH, RDP) reachable from the Internet through the subnet NSG and the NIC
//! NSG together.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::{Value, json};

use super::support::{host_in, name_of, port_ranges, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::id_key;
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::{
    Direction, NetworkSecurityGroup, Protocol, Subnet, VirtualNetwork,
};
use crate::model::nsg::{Verdict, evaluate};
use crate::model::tags::subnet_prefixes;

pub struct ManagementPortsFromInternet;
pub static RULE: ManagementPortsFromInternet = ManagementPortsFromInternet;

/// The management ports checked: **the default** (SSH and RDP). A parameter in spirit; kept here as a
/// constant until rules take configuration.
pub const DEFAULT_MANAGEMENT_PORTS: &[u16] = &[22, 3389];

/// Representative public source addresses: a well-known public resolver and an address of
/// TEST-NET-3, both inside the `Internet` tag and outside every private range.
pub const PUBLIC_PROBES: &[&str] = &["8.8.8.8", "203.0.113.10"];

const MAX_TARGETS: usize = 16;

static META: RuleMeta = RuleMeta {
    code: "NSG105",
    name: "management-ports-from-internet",
    title: "Management ports reachable from the Internet",
    severity: Severity::High,
    inputs: &[
        ResourceKind::VirtualNetwork,
        ResourceKind::NetworkSecurityGroup,
        ResourceKind::NetworkInterface,
        ResourceKind::RouteTable,
    ],
    shown_inputs: &[],
    what: "An NSG that lets TCP 22 or 3389 (the default management ports) in from public sources, evaluated the \
way Azure does for every NIC: inbound traffic must pass the subnet NSG and then the NIC NSG (a missing NSG on one \
level passes), the first matching rule by priority decides, singular and plural prefix and port fields both \
count. Each flow is evaluated with representative public sources (8.8.8.8 and 203.0.113.10). Subnets with an NSG \
and no NIC in the inventory are evaluated for a representative address of the subnet. One finding per admitting \
NSG, listing the ports and the NICs or subnets behind it. The Internet tag is public space outside the VNet and \
its peers; a UDR such as 0.0.0.0/0 does not narrow it. An allow from VirtualNetwork does not count even when a \
UDR widened that tag to every address: the platform keeps Internet-sourced traffic out of it (IP flow verify \
says otherwise); that exposure is east-west and NSG101 reports it.",
    why: "SSH and RDP exposed to the Internet are scanned and brute-forced within minutes of an address becoming \
reachable; they are the most common initial access into cloud VMs. A higher-priority deny, a NIC NSG that denies \
what the subnet NSG allows, or a rule that lists the ports in destinationPortRanges change the answer, so the \
check has to follow NSG evaluation rather than look for a rule named \"RDP\".",
    fix: "Remove the allow or restrict its source to your management prefixes, and use Azure Bastion or \
just-in-time VM access for administration.\nPortal: Network security group → Inbound security rules → <rule> → \
Source: IP addresses → your admin range (or delete the rule).\n\
az network nsg rule update --resource-group <rg> --nsg-name <nsg> --name <rule> \
--source-address-prefixes <admin-prefix>",
    example: r#"{"network_security_group": ".../networkSecurityGroups/nsg-vm-legacy-01", "ports": [3389], "admitting_rules": [{"port": 3389, "rule": "Allow-Mgmt-From-Anywhere", "priority": 200}], "targets": [{"network_interface": ".../networkInterfaces/vm-legacy-01-nic", "address": "10.1.4.4", "subnet_nsg": null, "nic_nsg": ".../nsg-vm-legacy-01"}], "probe_sources": ["8.8.8.8", "203.0.113.10"]}"#,
    references: &[
        "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview",
        "https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works",
        "https://learn.microsoft.com/azure/bastion/bastion-overview",
        "https://learn.microsoft.com/azure/virtual-network/service-tags-overview",
    ],
};

/// One place traffic can arrive: a NIC ip configuration, or a subnet with no NIC in the inventory.
struct Path<'a> {
    subnet: &'a Subnet,
    vnet: &'a VirtualNetwork,
    subnet_nsg: Option<&'a NetworkSecurityGroup>,
    nic_id: Option<&'a str>,
    nic_nsg: Option<&'a NetworkSecurityGroup>,
    local: IpAddr,
}

#[derive(Default)]
struct Admitted {
    ports: Vec<u16>,
    rules: BTreeMap<(u16, String), u32>,
    targets: Vec<Value>,
    /// Whether some admitting rule names the `Internet` tag, whose exact range is not known offline.
    via_internet_tag: bool,
}

/// Whether the rule `name` of `nsg` names the `Internet` tag among its sources.
fn names_internet_tag(nsg: &NetworkSecurityGroup, name: &str) -> bool {
    crate::model::nsg::rules_in_order(nsg, &Direction::Inbound)
        .iter()
        .find(|r| r.rule.name == name)
        .is_some_and(|r| {
            r.rule
                .properties
                .sources()
                .iter()
                .any(|s| s.eq_ignore_ascii_case("Internet"))
        })
}

fn verdict_json(v: &Option<Verdict>) -> Value {
    match v {
        Some(v) => json!({"allowed": v.allowed, "rule": v.rule, "priority": v.priority}),
        None => Value::Null,
    }
}

impl Rule for ManagementPortsFromInternet {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let mut paths: Vec<Path<'_>> = Vec::new();
        let mut subnets_with_nics = std::collections::HashSet::new();
        for nic in &cx.inv.network_interfaces {
            // Its subnets hold a NIC even when this NIC cannot be judged: the subnet NSG alone
            // must not stand in for a path whose NIC NSG is unknown.
            for cfg in &nic.properties.ip_configurations {
                if let Some(s) = cfg.properties.subnet.as_ref() {
                    subnets_with_nics.insert(id_key(&s.id));
                }
            }
            let nic_nsg = match nic.properties.network_security_group.as_ref() {
                Some(r) => match cx.idx.nsg(&r.id) {
                    Some(n) => Some(n),
                    None => {
                        out.not_evaluated(
                            &nic.id,
                            format!("its NSG {} is not in the inventory", r.id),
                        );
                        continue;
                    }
                },
                None => None,
            };
            for cfg in &nic.properties.ip_configurations {
                let Some(subnet_ref) = cfg.properties.subnet.as_ref() else {
                    continue;
                };
                let Some((subnet, vnet)) = cx.idx.subnet(&subnet_ref.id) else {
                    out.not_evaluated(
                        &nic.id,
                        format!("its subnet {} is not in the inventory", subnet_ref.id),
                    );
                    continue;
                };
                let subnet_nsg = match subnet.properties.network_security_group.as_ref() {
                    Some(r) => match cx.idx.nsg(&r.id) {
                        Some(n) => Some(n),
                        None => {
                            out.not_evaluated(
                                &nic.id,
                                format!("its subnet's NSG {} is not in the inventory", r.id),
                            );
                            continue;
                        }
                    },
                    None => None,
                };
                if subnet_nsg.is_none() && nic_nsg.is_none() {
                    continue; // no NSG at all: NSG106 reports the subnet
                }
                let Some(local) = cfg
                    .properties
                    .private_ip_address
                    .as_deref()
                    .and_then(|a| a.parse().ok())
                else {
                    continue;
                };
                paths.push(Path {
                    subnet,
                    vnet,
                    subnet_nsg,
                    nic_id: Some(&nic.id),
                    nic_nsg,
                    local,
                });
            }
        }
        for (subnet, vnet) in cx.idx.all_subnets() {
            if subnets_with_nics.contains(&id_key(&subnet.id)) {
                continue;
            }
            let Some(nsg) = subnet
                .properties
                .network_security_group
                .as_ref()
                .and_then(|r| cx.idx.nsg(&r.id))
            else {
                continue;
            };
            let Some(local) = host_in(&subnet_prefixes(subnet)) else {
                continue;
            };
            paths.push(Path {
                subnet,
                vnet,
                subnet_nsg: Some(nsg),
                nic_id: None,
                nic_nsg: None,
                local,
            });
        }

        let probes: Vec<IpAddr> = PUBLIC_PROBES
            .iter()
            .map(|p| p.parse().expect("valid probe"))
            .collect();
        let defaults: Vec<u64> = DEFAULT_MANAGEMENT_PORTS
            .iter()
            .map(|p| u64::from(*p))
            .collect();
        let checked_ports: Vec<u16> = cx
            .param_u64_list(META.code, "ports", &defaults)
            .into_iter()
            .filter_map(|p| u16::try_from(p).ok())
            .collect();
        let mut by_nsg: BTreeMap<String, (&NetworkSecurityGroup, Admitted)> = BTreeMap::new();
        for path in &paths {
            // Internet-sourced traffic is not in the UDR-widened part of VirtualNetwork: the fabric
            // filters it out of that tag, so an allow from VirtualNetwork does not admit it (NSG101
            // reports that east-west exposure). The Internet tag itself is not narrowed by UDRs.
            let tags = cx
                .facts
                .tag_resolver(path.subnet, path.vnet)
                .for_internet_flows();
            for &port in &checked_ports {
                for &src in &probes {
                    let eval = |nsg: Option<&NetworkSecurityGroup>| {
                        nsg.map(|n| {
                            evaluate(
                                n,
                                &Direction::Inbound,
                                src,
                                path.local,
                                &Protocol::Tcp,
                                port,
                                &tags,
                            )
                        })
                    };
                    // Inbound: the subnet NSG first, then the NIC NSG; a level without an NSG passes.
                    let sv = eval(path.subnet_nsg);
                    let nv = eval(path.nic_nsg);
                    let passes = |v: &Option<Option<Verdict>>| match v {
                        None => true,
                        Some(Some(v)) => v.allowed,
                        Some(None) => false,
                    };
                    if !(passes(&sv) && passes(&nv)) {
                        continue;
                    }
                    let target = json!({
                        "subnet": path.subnet.id,
                        "network_interface": path.nic_id,
                        "address": path.local.to_string(),
                        "subnet_nsg": path.subnet_nsg.map(|n| n.id.clone()),
                        "nic_nsg": path.nic_nsg.map(|n| n.id.clone()),
                        "port": port,
                        "source": src.to_string(),
                        "subnet_verdict": sv.as_ref().map(verdict_json),
                        "nic_verdict": nv.as_ref().map(verdict_json),
                    });
                    for (nsg, verdict) in [(path.subnet_nsg, &sv), (path.nic_nsg, &nv)] {
                        let (Some(nsg), Some(Some(v))) = (nsg, verdict) else {
                            continue;
                        };
                        let entry = by_nsg
                            .entry(id_key(&nsg.id))
                            .or_insert_with(|| (nsg, Admitted::default()));
                        if !entry.1.ports.contains(&port) {
                            entry.1.ports.push(port);
                        }
                        entry.1.rules.insert((port, v.rule.clone()), v.priority);
                        entry.1.via_internet_tag |= names_internet_tag(nsg, &v.rule);
                        let same = |t: &Value| {
                            t["address"] == target["address"] && t["port"] == target["port"]
                        };
                        if !entry.1.targets.iter().any(same) {
                            entry.1.targets.push(target.clone());
                        }
                    }
                    break; // one public source admitted is enough for this port
                }
            }
        }

        for (_, (nsg, mut adm)) in by_nsg {
            adm.ports.sort_unstable();
            let ports = port_ranges(&adm.ports);
            let nsg_name = name_of(&nsg.id);
            let rules: Vec<Value> = adm
                .rules
                .iter()
                .map(|((port, rule), prio)| json!({"port": port, "rule": rule, "priority": prio}))
                .collect();
            let first_rule = adm
                .rules
                .keys()
                .next()
                .map(|(_, r)| r.clone())
                .unwrap_or_default();
            let mut addresses: Vec<String> = adm
                .targets
                .iter()
                .filter_map(|t| t["address"].as_str().map(str::to_string))
                .collect();
            addresses.dedup();
            let target_count = adm.targets.len();
            adm.targets.truncate(MAX_TARGETS);
            let message = format!(
                "NSG {nsg_name} lets TCP {ports} in from the Internet (rule {}) to {} ({}), with the subnet and NIC NSGs evaluated together.",
                adm.rules
                    .iter()
                    .map(|((_, r), p)| format!("{r} {p}"))
                    .collect::<Vec<_>>()
                    .dedup_join(),
                addresses.first().cloned().unwrap_or_default(),
                if addresses.len() > 1 {
                    format!("and {} more", addresses.len() - 1)
                } else {
                    "one target".into()
                },
            );
            let evidence = json!({
                "network_security_group": nsg.id,
                "ports": adm.ports,
                "ports_checked": checked_ports,
                "protocol": "Tcp",
                "probe_sources": PUBLIC_PROBES,
                "admitting_rules": rules,
                "targets": adm.targets,
                "target_count": target_count,
            });
            let mut evidence = evidence;
            if adm.via_internet_tag {
                evidence["internet_tag"] = json!({
                    "exact": false,
                    "note": "the Internet tag's exact range is not known offline; it is taken as public IPv4 space outside the VNet, its peers and the host VIP (UDR prefixes do not narrow it), and each probe source is inside it",
                });
            }
            let remediation = format!(
                "Restrict {first_rule} in {nsg_name} to your management prefixes (or delete it and use Azure Bastion): az network nsg rule update --resource-group {} --nsg-name {nsg_name} --name {first_rule} --source-address-prefixes <admin-prefix>",
                rg_of(&nsg.id),
            );
            out.finding(
                &nsg.id,
                &format!("tcp:{ports}"),
                message,
                evidence,
                remediation,
            );
        }
    }
}

trait DedupJoin {
    fn dedup_join(self) -> String;
}

impl DedupJoin for Vec<String> {
    fn dedup_join(mut self) -> String {
        self.sort();
        self.dedup();
        self.join(", ")
    }
}
