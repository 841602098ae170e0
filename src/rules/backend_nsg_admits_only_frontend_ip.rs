//! AGW103 — a backend whose NSG admits the Application Gateway only by its frontend private IP.

use std::net::IpAddr;

use serde_json::{Value, json};

use super::support::{host_in_skipping, name_of, nsg_rule_cmd, port_ranges};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::id_key;
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::{Direction, NetworkSecurityGroup, Protocol};
use crate::model::nsg::{Verdict, evaluate};
use crate::model::tags::{TagResolver, subnet_prefixes};

pub struct BackendNsgAdmitsOnlyFrontendIp;
pub static RULE: BackendNsgAdmitsOnlyFrontendIp = BackendNsgAdmitsOnlyFrontendIp;

/// Ports checked when the gateway's backend settings name none.
const FALLBACK_PORTS: &[u16] = &[80, 443];

static META: RuleMeta = RuleMeta {
    code: "AGW103",
    name: "backend-nsg-admits-only-frontend-ip",
    title: "Backend NSG admits the Application Gateway only by its frontend IP",
    severity: Severity::High,
    inputs: &[
        ResourceKind::ApplicationGateway,
        ResourceKind::NetworkInterface,
        ResourceKind::VirtualNetwork,
        ResourceKind::NetworkSecurityGroup,
    ],
    // The `reach` chain in the evidence: the gateway subnet's routes (route tables, private
    // endpoint and gateway routes) and the appliances on the way.
    shown_inputs: &[
        ResourceKind::RouteTable,
        ResourceKind::PrivateEndpoint,
        ResourceKind::AzureFirewall,
        ResourceKind::VirtualNetworkGateway,
        ResourceKind::LocalNetworkGateway,
        ResourceKind::VirtualNetworkGatewayConnection,
    ],
    what: "A backend pool member (backendAddresses[].ipAddress matched to a NIC in the inventory) whose subnet \
and NIC NSGs, evaluated together on the backend settings' ports, admit traffic from the gateway's frontend \
private IP but deny an instance address of the gateway subnet (a representative address that is not the \
frontend IP). The evidence carries the chain `azaudit reach` walks for the same flow (from that instance \
address to the backend on the first failing port), whose blocking hop is the denying rule.",
    why: "Application Gateway connects to backends, and probes them, from the private addresses of its \
instances in the gateway subnet, not from its frontend private IP. An NSG that allows only the frontend address \
(a natural reading of \"allow the gateway\") denies every probe and request: backends turn Unhealthy and \
clients get 502 Bad Gateway, while a test from the frontend IP seems to prove the rule right.",
    fix: "Allow the whole gateway subnet prefix as source on the backend ports instead of the frontend IP.\n\
Portal: Network security group → Inbound security rules → <rule> → Source IP addresses: the gateway subnet \
prefix.\n\
az network nsg rule update --resource-group <rg> --nsg-name <nsg> --name <rule> \
--source-address-prefixes <appgw-subnet-prefix>",
    example: r#"{"application_gateway": ".../applicationGateways/agw-app", "backend_address": "10.1.4.4", "network_interface": ".../networkInterfaces/vm-legacy-01-nic", "gateway_subnet_prefixes": ["10.1.3.0/24"], "frontend_private_ips": ["10.1.3.10"], "instance_probe_source": "10.1.3.4", "ports": [443], "frontend_admitted_by": {"rule": "Allow-HTTPS-From-AppGw-Frontend", "priority": 150}, "instance_denied_by": {"nsg": ".../nsg-vm-legacy-01", "rule": "Deny-All-Inbound", "priority": 4096}}"#,
    references: &[
        "https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure",
        "https://learn.microsoft.com/azure/application-gateway/application-gateway-backend-health-troubleshooting",
    ],
};

/// The combined inbound verdict of the subnet NSG then the NIC NSG, with the deciding NSG and rule.
fn chain(
    nsgs: &[&NetworkSecurityGroup],
    src: IpAddr,
    dst: IpAddr,
    port: u16,
    tags: &TagResolver,
) -> (bool, Option<(String, Verdict)>) {
    let mut last = None;
    for n in nsgs {
        match evaluate(n, &Direction::Inbound, src, dst, &Protocol::Tcp, port, tags) {
            Some(v) if v.allowed => last = Some((n.id.clone(), v)),
            Some(v) => return (false, Some((n.id.clone(), v))),
            None => return (false, None),
        }
    }
    (true, last)
}

impl Rule for BackendNsgAdmitsOnlyFrontendIp {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for agw in &cx.inv.application_gateways {
            let agw_name = agw.name.as_deref().unwrap_or_else(|| name_of(&agw.id));
            let frontends: Vec<IpAddr> = agw
                .properties
                .frontend_ip_configurations
                .iter()
                .filter_map(|f| f.properties.private_ip_address.as_deref())
                .filter_map(|a| a.parse().ok())
                .collect();
            if frontends.is_empty() {
                continue; // no private frontend: the pattern cannot occur
            }
            let Some(gw_subnet) = agw.subnet_ids().first().and_then(|s| cx.idx.subnet(s)) else {
                out.not_evaluated(&agw.id, "its gateway subnet is not in the inventory".into());
                continue;
            };
            let gw_prefixes = subnet_prefixes(gw_subnet.0);
            let Some(instance) = host_in_skipping(&gw_prefixes, &frontends) else {
                continue;
            };
            let mut ports: Vec<u16> = agw
                .properties
                .extra
                .get("backendHttpSettingsCollection")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s["properties"]["port"].as_u64())
                        .filter_map(|p| u16::try_from(p).ok())
                        .collect()
                })
                .unwrap_or_default();
            if ports.is_empty() {
                ports = FALLBACK_PORTS.to_vec();
            }
            ports.sort_unstable();
            ports.dedup();
            let mut backends: Vec<String> = agw
                .properties
                .backend_address_pools
                .iter()
                .filter_map(|p| {
                    p.properties
                        .get("backendAddresses")
                        .and_then(Value::as_array)
                })
                .flatten()
                .filter_map(|b| b["ipAddress"].as_str().map(str::to_string))
                .collect();
            backends.sort();
            backends.dedup();
            for backend in backends {
                let Ok(dst) = backend.parse::<IpAddr>() else {
                    continue;
                };
                let found = cx.inv.network_interfaces.iter().find_map(|nic| {
                    nic.properties
                        .ip_configurations
                        .iter()
                        .find(|c| {
                            c.properties.private_ip_address.as_deref() == Some(backend.as_str())
                        })
                        .map(|c| (nic, c))
                });
                let Some((nic, cfg)) = found else {
                    continue; // not a NIC in the inventory (FQDN, App Service, another tenant…)
                };
                let Some((subnet, vnet)) = cfg
                    .properties
                    .subnet
                    .as_ref()
                    .and_then(|s| cx.idx.subnet(&s.id))
                else {
                    out.not_evaluated(&nic.id, "its subnet is not in the inventory".into());
                    continue;
                };
                let mut nsgs = Vec::new();
                let mut missing = None;
                for r in [
                    subnet.properties.network_security_group.as_ref(),
                    nic.properties.network_security_group.as_ref(),
                ]
                .into_iter()
                .flatten()
                {
                    match cx.idx.nsg(&r.id) {
                        Some(n) => nsgs.push(n),
                        None => missing = Some(r.id.clone()),
                    }
                }
                if let Some(m) = missing {
                    out.not_evaluated(&nic.id, format!("NSG {m} is not in the inventory"));
                    continue;
                }
                if nsgs.is_empty() {
                    continue;
                }
                let tags = cx.facts.tag_resolver(subnet, vnet);
                let mut bad_ports = Vec::new();
                let mut frontend_rule = None;
                let mut instance_rule = None;
                for &port in &ports {
                    let from_frontend = frontends
                        .iter()
                        .map(|f| chain(&nsgs, *f, dst, port, &tags))
                        .find(|(ok, _)| *ok);
                    let Some((_, fr)) = from_frontend else {
                        continue;
                    };
                    let (inst_ok, ir) = chain(&nsgs, instance, dst, port, &tags);
                    if inst_ok {
                        continue;
                    }
                    bad_ports.push(port);
                    frontend_rule.get_or_insert(fr);
                    instance_rule.get_or_insert(ir);
                }
                if bad_ports.is_empty() {
                    continue;
                }
                let (deny_nsg, deny_rule, deny_prio) = match instance_rule.flatten() {
                    Some((n, v)) => (n, v.rule, v.priority),
                    None => (nsgs[0].id.clone(), "(no matching rule)".into(), 0),
                };
                let fr = frontend_rule.flatten();
                let nic_name = nic.name.as_deref().unwrap_or_else(|| name_of(&nic.id));
                let message = format!(
                    "NSG {} admits Application Gateway {agw_name} to backend {backend} ({nic_name}) on TCP {} only from its frontend IP {}, but denies its instance addresses in {} ({} {}), so probes fail.",
                    name_of(&deny_nsg),
                    port_ranges(&bad_ports),
                    frontends
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    gw_prefixes.to_strings().join(", "),
                    deny_rule,
                    deny_prio,
                );
                // The same flow as `azaudit reach --from <instance> --to <backend> --port <port>`
                // walks it, so the finding and the command cannot disagree.
                let path = crate::reach::reach_with(
                    cx.facts,
                    cx.cloud,
                    crate::reach::Source {
                        subnet: gw_subnet.0,
                        vnet: gw_subnet.1,
                        nic: None,
                        ip: instance,
                        ip_assumed: true,
                    },
                    &crate::reach::Target::Address(dst),
                    &instance.to_string(),
                    &backend,
                    bad_ports[0],
                    Protocol::Tcp,
                );
                let evidence = json!({
                    "reach": path,
                    "reach_verdict": path.verdict_text(),
                    "application_gateway": agw.id,
                    "backend_address": backend,
                    "network_interface": nic.id,
                    "backend_subnet": subnet.id,
                    "network_security_groups": nsgs.iter().map(|n| n.id.clone()).collect::<Vec<_>>(),
                    "gateway_subnet": gw_subnet.0.id,
                    "gateway_subnet_prefixes": gw_prefixes.to_strings(),
                    "frontend_private_ips": frontends.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "instance_probe_source": instance.to_string(),
                    "ports": bad_ports,
                    "frontend_admitted_by": fr.as_ref().map(|(n, v)| json!({"nsg": n, "rule": v.rule, "priority": v.priority})),
                    "instance_denied_by": {"nsg": deny_nsg, "rule": deny_rule, "priority": deny_prio},
                });
                let remediation = match fr.as_ref() {
                    Some((n, v)) => format!(
                        "Admit the gateway subnet instead of the frontend IP: az network nsg rule update --resource-group {} --nsg-name {} --name {} --source-address-prefixes {}",
                        super::support::rg_of(n),
                        name_of(n),
                        v.rule,
                        gw_prefixes.to_strings().join(" "),
                    ),
                    None => format!(
                        "Admit the gateway subnet: {}",
                        nsg_rule_cmd(
                            &deny_nsg,
                            "Allow-AppGw-Subnet",
                            &format!(
                                "--priority 150 --direction Inbound --access Allow --protocol Tcp --source-address-prefixes {} --destination-address-prefixes '*' --destination-port-ranges {}",
                                gw_prefixes.to_strings().join(" "),
                                port_ranges(&bad_ports).replace(',', " ")
                            )
                        )
                    ),
                };
                out.finding(
                    &deny_nsg,
                    &format!("{}|{backend}", id_key(&agw.id)),
                    message,
                    evidence,
                    remediation,
                );
            }
        }
    }
}
