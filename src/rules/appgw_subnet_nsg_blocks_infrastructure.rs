//! AGW101 — an Application Gateway subnet NSG that blocks GatewayManager or AzureLoadBalancer.

use std::net::IpAddr;

use serde_json::{Value, json};

use super::support::{host_in, name_of, nsg_rule_cmd, port_ranges};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::id_key;
use crate::findings::Severity;
use crate::inventory::ResourceKind;
use crate::inventory::network::{Access, Direction, NetworkSecurityGroup, Protocol};
use crate::model::nsg::{PortSet, evaluate, protocol_covers, rules_in_order, token_set};
use crate::model::tags::{HOST_VIP, TagResolver, subnet_prefixes};

pub struct AppgwSubnetNsgBlocksInfrastructure;
pub static RULE: AppgwSubnetNsgBlocksInfrastructure = AppgwSubnetNsgBlocksInfrastructure;

/// Infrastructure ports GatewayManager must reach: v2 (and Basic) SKUs.
pub const V2_PORTS: (u16, u16) = (65200, 65535);
/// Infrastructure ports for the v1 SKU.
pub const V1_PORTS: (u16, u16) = (65503, 65534);

/// Source tokens that stand for (or include) GatewayManager traffic. GatewayManager addresses are
/// Azure-owned public addresses, which the `Internet` tag includes, so a rule on `Internet`, `*` or
/// `0.0.0.0/0` decides GatewayManager traffic as much as one on the tag itself. Explicit CIDRs and
/// other tags are opaque (their overlap with GatewayManager is not known offline) and are skipped:
/// they can neither prove the traffic admitted nor denied.
const GATEWAY_MANAGER_SOURCES: &[&str] = &["GatewayManager", "*", "Any", "Internet", "0.0.0.0/0"];

static META: RuleMeta = RuleMeta {
    code: "AGW101",
    name: "appgw-subnet-nsg-blocks-infrastructure",
    title: "Application Gateway subnet NSG blocks GatewayManager or Azure Load Balancer probes",
    severity: Severity::High,
    inputs: &[
        ResourceKind::ApplicationGateway,
        ResourceKind::VirtualNetwork,
        ResourceKind::NetworkSecurityGroup,
    ],
    shown_inputs: &[],
    what: "The NSG of an Application Gateway subnet (gatewayIPConfigurations[].subnet) that, rule by rule in \
priority order, does not admit TCP 65200–65535 (v2 and Basic SKUs) or 65503–65534 (v1) from GatewayManager, or \
that denies AzureLoadBalancer (168.63.129.16) before any allow. Rules with source GatewayManager, Internet, \
`*` or 0.0.0.0/0 decide GatewayManager traffic (GatewayManager addresses are Azure public addresses, inside \
Internet); rules on explicit prefixes or other tags are treated as not matching, because their overlap with \
GatewayManager's ranges cannot be known offline. An allow from GatewayManager must have destination Any; one \
with another destination is reported and does not count. A v2 gateway subnet whose NSG denies outbound \
Internet is reported too. A subnet delegated to Microsoft.Network/applicationGateways (a network-isolated, \
private gateway) needs neither the GatewayManager rule nor outbound Internet.",
    why: "Azure manages Application Gateway instances through the infrastructure ports from the GatewayManager \
service tag, and its health probes come from AzureLoadBalancer. Microsoft requires the subnet NSG to allow both: \
a deny-all above them breaks backend health (all backends show Unknown or Unhealthy, 502s) and can block \
configuration updates, while the NSG looks like a tidy \"allow 443, deny everything else\".",
    fix: "Allow GatewayManager on the infrastructure ports and AzureLoadBalancer above your deny rules.\n\
Portal: Network security group → Inbound security rules → Add: Source Service Tag GatewayManager, Destination \
Any, TCP, ports 65200-65535, Allow, priority below your deny.\n\
az network nsg rule create --resource-group <rg> --nsg-name <nsg> --name Allow-GatewayManager --priority 110 \
--direction Inbound --access Allow --protocol Tcp --source-address-prefixes GatewayManager \
--destination-address-prefixes '*' --destination-port-ranges 65200-65535",
    example: r#"{"application_gateway": ".../applicationGateways/agw-app", "sku": "Standard_v2", "subnet": ".../subnets/snet-appgw", "network_security_group": ".../networkSecurityGroups/nsg-appgw", "required": {"source": "GatewayManager", "protocol": "Tcp", "ports": "65200-65535"}, "denied_ports": "65200-65535", "deciding_rules": [{"rule": "Deny-All-Inbound", "priority": 4000}]}"#,
    references: &[
        "https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure",
        "https://learn.microsoft.com/azure/application-gateway/application-gateway-private-deployment",
        "https://learn.microsoft.com/azure/virtual-network/service-tags-overview",
    ],
};

/// The service a network-isolated (private) Application Gateway's subnet is delegated to.
pub const APPGW_DELEGATION: &str = "Microsoft.Network/applicationGateways";

/// What decides GatewayManager traffic to `local` on `port`.
struct GmVerdict {
    /// (allowed, rule, priority) of the first deciding rule.
    decided: Option<(bool, String, u32)>,
    /// Allows from GatewayManager passed over because their destination is not Any.
    narrow_allows: Vec<(String, u32, Vec<String>)>,
}

/// The first rule that decides GatewayManager traffic to `local` on `port`. An allow must have
/// destination Any (Microsoft's requirement for the GatewayManager rule): one with another
/// destination admits nothing and is reported.
fn gateway_manager_verdict(
    nsg: &NetworkSecurityGroup,
    local: IpAddr,
    port: u16,
    tags: &TagResolver,
) -> GmVerdict {
    let mut narrow_allows = Vec::new();
    for r in rules_in_order(nsg, &Direction::Inbound) {
        let p = &r.rule.properties;
        if !p.source_application_security_groups().is_empty()
            || !p.destination_application_security_groups().is_empty()
        {
            continue;
        }
        if !protocol_covers(&p.protocol, &Protocol::Tcp) {
            continue;
        }
        if !PortSet::parse(p.destination_ports()).contains(port) {
            continue;
        }
        let src_match = p.sources().iter().any(|s| {
            GATEWAY_MANAGER_SOURCES
                .iter()
                .any(|g| g.eq_ignore_ascii_case(s.trim()))
        });
        if !src_match {
            continue;
        }
        let dst = p.destinations();
        let any = dst
            .iter()
            .any(|d| d.trim() == "*" || d.eq_ignore_ascii_case("Any"));
        let allow = matches!(p.access, Access::Allow);
        if allow && !any {
            narrow_allows.push((
                r.rule.name.to_string(),
                p.priority,
                dst.iter().map(|d| d.to_string()).collect(),
            ));
            continue;
        }
        if !(any || token_set(&dst, tags).0.contains_addr(local)) {
            continue;
        }
        return GmVerdict {
            decided: Some((allow, r.rule.name.to_string(), p.priority)),
            narrow_allows,
        };
    }
    GmVerdict {
        decided: None,
        narrow_allows,
    }
}

/// A public address a v2 gateway's management traffic must reach (inside the `Internet` tag).
const OUTBOUND_PROBE: &str = "20.38.0.1";

impl Rule for AppgwSubnetNsgBlocksInfrastructure {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        for agw in &cx.inv.application_gateways {
            let v2 = agw.is_v2();
            let (lo, hi) = if v2 { V2_PORTS } else { V1_PORTS };
            let sku = agw
                .properties
                .sku
                .as_ref()
                .and_then(|s| s.tier.clone().or(s.name.clone()))
                .unwrap_or_default();
            let mut seen = Vec::new();
            for subnet_id in agw.subnet_ids() {
                if seen.contains(&id_key(subnet_id)) {
                    continue;
                }
                seen.push(id_key(subnet_id));
                let Some((subnet, vnet)) = cx.idx.subnet(subnet_id) else {
                    out.not_evaluated(
                        &agw.id,
                        format!("its subnet {subnet_id} is not in the inventory"),
                    );
                    continue;
                };
                let Some(nsg_ref) = subnet.properties.network_security_group.as_ref() else {
                    continue; // no NSG: nothing blocks the infrastructure
                };
                let Some(nsg) = cx.idx.nsg(&nsg_ref.id) else {
                    out.not_evaluated(
                        &agw.id,
                        format!("its subnet's NSG {} is not in the inventory", nsg_ref.id),
                    );
                    continue;
                };
                let Some(local) = host_in(&subnet_prefixes(subnet)) else {
                    out.not_evaluated(
                        &agw.id,
                        format!("subnet {} has no parsable prefix", subnet.display_name()),
                    );
                    continue;
                };
                let tags = cx.facts.tag_resolver(subnet, vnet);
                let nsg_name = name_of(&nsg.id);
                let agw_name = agw.name.as_deref().unwrap_or_else(|| name_of(&agw.id));
                // A network-isolated (private) gateway's subnet is delegated to
                // Microsoft.Network/applicationGateways: it needs no GatewayManager inbound rule and
                // may deny outbound Internet.
                let isolated = v2 && subnet.is_delegated_to(APPGW_DELEGATION);

                // GatewayManager on the infrastructure ports.
                let mut denied: Vec<u16> = Vec::new();
                let mut deciding: Vec<(String, u32)> = Vec::new();
                let mut narrow: Vec<(String, u32, Vec<String>)> = Vec::new();
                for port in (lo..=hi).filter(|_| !isolated) {
                    let verdict = gateway_manager_verdict(nsg, local, port, &tags);
                    for n in verdict.narrow_allows {
                        if !narrow.iter().any(|(r, _, _)| *r == n.0) {
                            narrow.push(n);
                        }
                    }
                    let (allowed, rule, prio) =
                        verdict
                            .decided
                            .unwrap_or((false, "(no matching rule)".into(), 65535));
                    if !allowed {
                        denied.push(port);
                        if !deciding.iter().any(|(r, _)| *r == rule) {
                            deciding.push((rule, prio));
                        }
                    }
                }
                if !denied.is_empty() {
                    let ports = port_ranges(&denied);
                    let first = &deciding[0];
                    let narrow_text = match narrow.first() {
                        Some((r, p, d)) => format!(
                            "; {r} ({p}) allows GatewayManager only to {}, but the rule needs destination Any",
                            d.join(", ")
                        ),
                        None => String::new(),
                    };
                    let message = format!(
                        "NSG {nsg_name} on Application Gateway {agw_name}'s subnet {} does not admit GatewayManager on TCP {ports} ({} {} decides first{narrow_text}), which the {} SKU needs.",
                        subnet.display_name(),
                        first.0,
                        first.1,
                        if v2 { "v2" } else { "v1" },
                    );
                    let evidence = json!({
                        "application_gateway": agw.id,
                        "sku": sku,
                        "v2": v2,
                        "subnet": subnet.id,
                        "network_security_group": nsg.id,
                        "required": {"source": "GatewayManager", "protocol": "Tcp", "ports": format!("{lo}-{hi}")},
                        "denied_ports": ports,
                        "deciding_rules": deciding.iter().map(|(r, p)| json!({"rule": r, "priority": p})).collect::<Vec<Value>>(),
                        "allows_with_destination_not_any": narrow.iter().map(|(r, p, d)| json!({"rule": r, "priority": p, "destination": d})).collect::<Vec<Value>>(),
                    });
                    let prio = first.1.saturating_sub(10).clamp(100, 4096);
                    let remediation = format!(
                        "Allow GatewayManager above {}: {}",
                        first.0,
                        nsg_rule_cmd(
                            &nsg.id,
                            "Allow-GatewayManager",
                            &format!(
                                "--priority {prio} --direction Inbound --access Allow --protocol Tcp --source-address-prefixes GatewayManager --destination-address-prefixes '*' --destination-port-ranges {lo}-{hi}"
                            )
                        )
                    );
                    out.finding(
                        &nsg.id,
                        &format!("{}|gateway-manager", id_key(&agw.id)),
                        message,
                        evidence,
                        remediation,
                    );
                }

                // v2 management traffic needs outbound Internet (unless network-isolated).
                let probe: IpAddr = OUTBOUND_PROBE.parse().expect("valid address");
                if let Some(v) = evaluate(
                    nsg,
                    &Direction::Outbound,
                    probe,
                    local,
                    &Protocol::Tcp,
                    443,
                    &tags.for_internet_flows(),
                )
                .filter(|v| v2 && !isolated && !v.allowed)
                {
                    let message = format!(
                        "NSG {nsg_name} on Application Gateway {agw_name}'s subnet {} denies outbound Internet with {} ({}): unsupported for a v2 gateway that is not network-isolated, whose management traffic needs it.",
                        subnet.display_name(),
                        v.rule,
                        v.priority,
                    );
                    let evidence = json!({
                        "application_gateway": agw.id,
                        "sku": sku,
                        "v2": v2,
                        "subnet": subnet.id,
                        "network_security_group": nsg.id,
                        "probe_destination": OUTBOUND_PROBE,
                        "denied_by": {"rule": v.rule, "priority": v.priority},
                        "network_isolation": false,
                        "required": {"direction": "Outbound", "destination": "Internet", "access": "Allow"},
                    });
                    let remediation = format!(
                        "Remove or narrow the outbound deny {} in {nsg_name} (keep AllowInternetOutBound reachable), or deploy the gateway with network isolation: az network nsg rule delete --resource-group {} --nsg-name {nsg_name} --name {}",
                        v.rule,
                        super::support::rg_of(&nsg.id),
                        v.rule,
                    );
                    out.finding(
                        &nsg.id,
                        &format!("{}|outbound-internet", id_key(&agw.id)),
                        message,
                        evidence,
                        remediation,
                    );
                }

                // AzureLoadBalancer probes.
                let vip: IpAddr = HOST_VIP.parse().expect("valid address");
                if let Some(v) = evaluate(
                    nsg,
                    &Direction::Inbound,
                    vip,
                    local,
                    &Protocol::Tcp,
                    80,
                    &tags,
                )
                .filter(|v| !v.allowed)
                {
                    let message = format!(
                        "NSG {nsg_name} on Application Gateway {agw_name}'s subnet {} denies AzureLoadBalancer with {} ({}) before any allow, so health probes fail.",
                        subnet.display_name(),
                        v.rule,
                        v.priority,
                    );
                    let evidence = json!({
                        "application_gateway": agw.id,
                        "sku": sku,
                        "subnet": subnet.id,
                        "network_security_group": nsg.id,
                        "probe_source": HOST_VIP,
                        "denied_by": {"rule": v.rule, "priority": v.priority},
                        "required": {"source": "AzureLoadBalancer", "destination": "*", "access": "Allow"},
                    });
                    let prio = v.priority.saturating_sub(5).clamp(100, 4096);
                    let remediation = format!(
                        "Allow AzureLoadBalancer above {}: {}",
                        v.rule,
                        nsg_rule_cmd(
                            &nsg.id,
                            "Allow-AzureLoadBalancer",
                            &format!(
                                "--priority {prio} --direction Inbound --access Allow --protocol '*' --source-address-prefixes AzureLoadBalancer --destination-address-prefixes '*' --destination-port-ranges '*'"
                            )
                        )
                    );
                    out.finding(
                        &nsg.id,
                        &format!("{}|azure-load-balancer", id_key(&agw.id)),
                        message,
                        evidence,
                        remediation,
                    );
                }
            }
        }
    }
}
