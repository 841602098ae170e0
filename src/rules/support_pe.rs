//! Helpers shared by the private-endpoint, private-DNS and Key Vault rules: where an endpoint lives,
//! which zones it needs, how a vault's network ACLs read, and whether a coverage gap blocks a decision.

use serde_json::{Value, json};

use super::{Context, Proof};
use crate::azure::ResourceId;
use crate::azure::id::{id_key, last_name, same_id};
use crate::inventory::CoverageGap;
use crate::inventory::ResourceKind;
use crate::inventory::keyvault::{Bypass, DefaultAction, KeyVault};
use crate::inventory::network::{
    ConnectionStatus, EndpointConnection, PrivateEndpoint, VirtualNetwork,
};

/// The VNet that holds a private endpoint, or why it cannot be found.
pub fn endpoint_vnet<'a>(
    cx: &Context<'a>,
    pe: &PrivateEndpoint,
) -> Result<&'a VirtualNetwork, String> {
    let Some(subnet_id) = pe.subnet_id() else {
        return Err("the endpoint names no subnet".into());
    };
    if let Some((_, vnet)) = cx.idx.subnet(subnet_id) {
        return Ok(vnet);
    }
    let vnet_id = ResourceId::parse(subnet_id).ok().and_then(|s| s.parent());
    vnet_id
        .as_deref()
        .and_then(|v| cx.idx.vnet(v))
        .ok_or_else(|| format!("its subnet {subnet_id} is not in the inventory"))
}

/// The resource type of a private-link target (`Microsoft.KeyVault/vaults`).
pub fn target_type(target: &str) -> String {
    ResourceId::parse(target)
        .map(|r| r.resource_type())
        .unwrap_or_default()
}

pub use super::support::rg_of;

/// The zone names (for the scan's cloud) that make a connection's target resolve privately; zones
/// templated on a region (`{regionName}`) are left out because the region is not decided here.
pub fn expected_zones<'t>(cx: &Context<'t>, target: &str, group: &str) -> Vec<&'t str> {
    cx.zones
        .zones_for(cx.cloud, &target_type(target), group)
        .into_iter()
        .filter(|z| !z.contains('{'))
        .collect()
}

/// Approved connections of an endpoint, with each of their group ids.
pub fn approved_groups<'p>(
    pe: &'p PrivateEndpoint,
) -> impl Iterator<Item = (EndpointConnection<'p>, &'p str)> + 'p {
    pe.connections().filter(|c| c.is_approved()).flat_map(|c| {
        c.connection
            .properties
            .group_ids
            .iter()
            .map(move |g| (c, g.as_str()))
    })
}

/// The VNets peered with `vnet` through a connected peering: (peering name, remote VNet id, the
/// remote VNet when it is in the inventory).
pub fn connected_peers<'a>(
    cx: &Context<'a>,
    vnet: &'a VirtualNetwork,
) -> Vec<(String, String, Option<&'a VirtualNetwork>)> {
    vnet.properties
        .virtual_network_peerings
        .iter()
        .filter(|p| p.is_connected())
        .filter_map(|p| {
            let remote = p.properties.remote_virtual_network.as_ref()?.id.clone();
            if remote.is_empty() || same_id(&remote, &vnet.id) {
                return None;
            }
            let name = p
                .name
                .clone()
                .unwrap_or_else(|| last_name(p.id.as_deref().unwrap_or_default()).to_string());
            let found = cx.idx.vnet(&remote);
            Some((name, remote, found))
        })
        .collect()
}

/// The approved endpoints of one VNet that need one zone name.
pub struct ZoneNeed<'a> {
    pub vnet: &'a VirtualNetwork,
    pub endpoints: Vec<(&'a PrivateEndpoint, EndpointConnection<'a>, &'a str)>,
}

/// Every (VNet, zone name) that approved endpoints in that VNet need, keyed by the VNet's id key
/// and the zone name, in inventory order of the endpoints: the unit of "this VNet must resolve
/// this zone" shared by DNS101, DNS104 and DNS107.
pub fn endpoints_by_vnet_and_zone<'a>(
    cx: &Context<'a>,
) -> std::collections::BTreeMap<(String, String), ZoneNeed<'a>> {
    let mut out: std::collections::BTreeMap<(String, String), ZoneNeed<'a>> = Default::default();
    for pe in &cx.inv.private_endpoints {
        let Ok(vnet) = endpoint_vnet(cx, pe) else {
            continue;
        };
        for (conn, group) in approved_groups(pe) {
            for zone in expected_zones(cx, conn.target(), group) {
                out.entry((id_key(&vnet.id), zone.to_string()))
                    .or_insert_with(|| ZoneNeed {
                        vnet,
                        endpoints: Vec::new(),
                    })
                    .endpoints
                    .push((pe, conn, group));
            }
        }
    }
    out
}

/// Approved endpoints whose VNet cannot be found, with the reason.
pub fn unplaced_endpoints<'a>(cx: &Context<'a>) -> Vec<(&'a PrivateEndpoint, String)> {
    cx.inv
        .private_endpoints
        .iter()
        .filter(|pe| approved_groups(pe).next().is_some())
        .filter_map(|pe| endpoint_vnet(cx, pe).err().map(|why| (pe, why)))
        .collect()
}

/// Marks a private DNS verdict about the zones `zone_names` as resting on every zone of those names (their
/// links and records, and the lists of their subscriptions) and on the zone lists of every
/// subscription: a VNet can be linked to a zone of that name wherever it lives, so a zone list that
/// could not be read may hide the one that answers.
pub fn rests_on_zone<'n>(
    proof: Proof<'_>,
    cx: &Context<'_>,
    zone_names: impl IntoIterator<Item = &'n str>,
) {
    let mut proof = proof.rests_on_all(&[ResourceKind::PrivateDnsZone]);
    for name in zone_names {
        for z in cx.idx.zones_named(name) {
            proof = proof.rests_on(&z.id);
        }
    }
}

/// A gap described for a not-evaluated reason.
pub fn describe_gap(g: &CoverageGap) -> String {
    format!("not collected: {}", g.summary())
}

/// Whether a connection state means the connection does nothing.
pub fn status_is_dead(status: Option<&ConnectionStatus>) -> bool {
    matches!(
        status,
        Some(ConnectionStatus::Pending)
            | Some(ConnectionStatus::Rejected)
            | Some(ConnectionStatus::Disconnected)
            | Some(ConnectionStatus::Other(_))
    )
}

/// Whether a provisioning state is `Failed`.
pub fn provisioning_failed(state: Option<&str>) -> bool {
    state.is_some_and(|s| s.eq_ignore_ascii_case("Failed"))
}

/// An approved private endpoint of a vault, from either side.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct VaultEndpoint {
    pub id: String,
    pub seen_from: &'static str,
}

/// The approved private endpoints of a vault: the vault's own `privateEndpointConnections`
/// (Approved, provisioning not Failed) and inventory endpoints with an approved connection to it.
pub fn approved_vault_endpoints(cx: &Context<'_>, kv: &KeyVault) -> Vec<VaultEndpoint> {
    let mut out: Vec<VaultEndpoint> = Vec::new();
    for c in &kv.properties.private_endpoint_connections {
        let approved = c
            .properties
            .private_link_service_connection_state
            .as_ref()
            .and_then(|s| s.status.as_ref())
            .is_some_and(|s| matches!(s, ConnectionStatus::Approved));
        if !approved || provisioning_failed(c.properties.provisioning_state.as_deref()) {
            continue;
        }
        if let Some(pe) = c
            .properties
            .private_endpoint
            .as_ref()
            .filter(|p| !p.id.is_empty())
        {
            out.push(VaultEndpoint {
                id: pe.id.clone(),
                seen_from: "vault",
            });
        }
    }
    for pe in cx.idx.endpoints_targeting(&kv.id) {
        let to_vault = pe
            .connections()
            .any(|c| c.is_approved() && same_id(c.target(), &kv.id));
        if to_vault && !out.iter().any(|e| same_id(&e.id, &pe.id)) {
            out.push(VaultEndpoint {
                id: pe.id.clone(),
                seen_from: "private_endpoint",
            });
        }
    }
    out.sort_by_key(|e| id_key(&e.id));
    out
}

/// The network posture of a vault as ARM states it, with the API defaults applied.
#[derive(Debug, Clone)]
pub struct VaultNetwork {
    /// `publicNetworkAccess` is Disabled.
    pub public_disabled: bool,
    /// `publicNetworkAccess` is SecuredByPerimeter: a Network Security Perimeter's access rules, not
    /// the vault's firewall, decide public access, so the vault is not open to all networks.
    pub secured_by_perimeter: bool,
    /// `publicNetworkAccess` as ARM sent it (absent = enabled).
    pub public_network_access: Value,
    /// `networkAcls.defaultAction` is Deny.
    pub firewall_on: bool,
    /// `networkAcls.defaultAction` as ARM sent it, or `null` when absent.
    pub default_action: Value,
    /// `networkAcls.bypass` is AzureServices (the default when absent).
    pub bypass_azure_services: bool,
    pub bypass: Value,
    pub has_network_acls: bool,
}

impl VaultNetwork {
    pub fn of(kv: &KeyVault) -> Self {
        let acls = kv.properties.network_acls.as_ref();
        let default_action = acls.and_then(|a| a.default_action.as_ref());
        let bypass = acls.and_then(|a| a.bypass.as_ref());
        VaultNetwork {
            public_disabled: kv.public_access_disabled(),
            secured_by_perimeter: kv
                .properties
                .public_network_access
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("SecuredByPerimeter")),
            public_network_access: kv
                .properties
                .public_network_access
                .as_deref()
                .map(|s| json!(s))
                .unwrap_or(Value::Null),
            firewall_on: matches!(default_action, Some(DefaultAction::Deny)),
            default_action: default_action
                .map(|d| json!(d.as_str()))
                .unwrap_or(Value::Null),
            bypass_azure_services: !matches!(bypass, Some(Bypass::None)),
            bypass: bypass.map(|b| json!(b.as_str())).unwrap_or(Value::Null),
            has_network_acls: acls.is_some(),
        }
    }
    /// The vault answers requests from any Internet address.
    pub fn open_to_internet(&self) -> bool {
        !self.public_disabled && !self.secured_by_perimeter && !self.firewall_on
    }
    pub fn evidence(&self) -> Value {
        json!({
            "public_network_access": self.public_network_access,
            "public_network_access_effective": if self.public_disabled {
                "Disabled"
            } else if self.secured_by_perimeter {
                "SecuredByPerimeter"
            } else {
                "Enabled"
            },
            "network_acls_present": self.has_network_acls,
            "default_action": self.default_action,
            "default_action_effective": if self.firewall_on { "Deny" } else { "Allow" },
            "bypass": self.bypass,
            "bypass_effective": if self.bypass_azure_services { "AzureServices" } else { "None" },
        })
    }
}

/// Levenshtein distance between two ASCII-ish strings (by chars).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
