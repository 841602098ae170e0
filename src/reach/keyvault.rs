//! The Key Vault firewall for a flow that reaches the vault over its public address: public network
//! access, `networkAcls.defaultAction`, virtual network rules (which match only traffic that
//! arrives over the subnet's `Microsoft.KeyVault` service endpoint, whose source is then the
//! private address) and IP rules (which match the public address the traffic leaves Azure from,
//! not known offline). Trusted-service bypass does not apply to a client in a VNet.

use super::{Hop, HopKind, Outcome};
use crate::azure::id::{last_name, same_id};
use crate::inventory::keyvault::{DefaultAction, KeyVault};
use crate::inventory::network::Subnet;

/// How the flow arrives at the vault's public endpoint.
#[derive(Debug, Clone)]
pub enum Arrival {
    /// Over the source subnet's `Microsoft.KeyVault` service endpoint.
    ServiceEndpoint,
    /// From the Internet next hop: from the source subnet's outbound public address, or from the
    /// public address of the appliance that forwarded it.
    Internet { through: Option<String> },
}

pub fn firewall_hop(vault: &KeyVault, arrival: &Arrival, source_subnet: &Subnet) -> Hop {
    let name = vault.display_name();
    let hop = |outcome, detail: String| {
        Hop::new(HopKind::KeyVaultFirewall, outcome, name, detail).resource(vault.id.clone())
    };
    if vault.public_access_disabled() {
        return hop(
            Outcome::Block,
            format!("{name} has publicNetworkAccess Disabled: it accepts only private endpoint traffic, and this flow arrives at its public address"),
        )
        .by("publicNetworkAccess Disabled");
    }
    let pna = vault
        .properties
        .public_network_access
        .as_deref()
        .unwrap_or("Enabled");
    if !pna.eq_ignore_ascii_case("Enabled") {
        return hop(
            Outcome::Unknown,
            format!("{name} has publicNetworkAccess {pna}: access is decided by a network security perimeter, which azaudit does not read"),
        )
        .by(format!("publicNetworkAccess {pna}"));
    }
    let acls = vault.properties.network_acls.as_ref();
    let deny = acls.is_some_and(|a| a.default_action == Some(DefaultAction::Deny));
    if !deny {
        return hop(
            Outcome::Pass,
            format!(
                "{name} accepts traffic from all networks (networkAcls defaultAction {})",
                acls.and_then(|a| a.default_action.as_ref())
                    .map_or("absent".to_string(), |d| d.to_string())
            ),
        )
        .by("networkAcls defaultAction Allow");
    }
    let acls = acls.expect("deny implies acls");
    match arrival {
        Arrival::ServiceEndpoint => {
            match acls.virtual_network_rules.iter().find(|r| same_id(&r.id, &source_subnet.id)) {
                Some(r) => hop(
                    Outcome::Pass,
                    format!("defaultAction Deny, but a virtual network rule admits subnet {} (reached over its Microsoft.KeyVault service endpoint)", source_subnet.display_name()),
                )
                .by(format!("virtualNetworkRules: {}", last_name(&r.id))),
                None => hop(
                    Outcome::Block,
                    format!("defaultAction Deny and no virtual network rule lists subnet {}; traffic over its service endpoint comes from the private address, which IP rules do not match", source_subnet.display_name()),
                )
                .by("networkAcls defaultAction Deny"),
            }
        }
        Arrival::Internet { through } => {
            let from = match through {
                Some(fw) => format!("the public address of {fw}"),
                None => format!(
                    "the outbound public address of subnet {}",
                    source_subnet.display_name()
                ),
            };
            if acls.ip_rules.is_empty() {
                hop(
                    Outcome::Block,
                    format!("defaultAction Deny with no IP rules; virtual network rules match only service-endpoint traffic, and this flow arrives from {from}"),
                )
                .by("networkAcls defaultAction Deny")
            } else {
                let rules: Vec<&str> = acls.ip_rules.iter().map(|r| r.value.as_str()).collect();
                hop(
                    Outcome::Unknown,
                    format!("defaultAction Deny: admitted only if {from} is in the IP rules ({}), which is not known offline", rules.join(", ")),
                )
                .by(format!("ipRules {}", rules.join(", ")))
            }
        }
    }
}
