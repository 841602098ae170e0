//! Private DNS zones, their virtual network links and record sets (2024-06-01, ARM-FACTS §1.6).

use super::common::{Extra, Resource, SubResource, lenient_bool, null_default};
use crate::open_enum;
use serde::{Deserialize, Serialize};

open_enum!(LinkState { Completed => "Completed" | "Done", InProgress => "InProgress" });
open_enum!(ResolutionPolicy { Default => "Default", NxDomainRedirect => "NxDomainRedirect" });

pub type PrivateDnsZone = Resource<Extra>;

impl PrivateDnsZone {
    /// The zone's DNS name, lower-cased and without a trailing dot.
    pub fn zone_name(&self) -> String {
        normalise_dns_name(
            self.name
                .as_deref()
                .unwrap_or_else(|| crate::azure::id::last_name(&self.id)),
        )
    }
}

/// DNS names compare case-insensitively and with or without the trailing dot.
pub fn normalise_dns_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

pub type VirtualNetworkLink = Resource<VirtualNetworkLinkProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct VirtualNetworkLinkProperties {
    pub virtual_network: Option<SubResource>,
    #[serde(deserialize_with = "lenient_bool")]
    pub registration_enabled: Option<bool>,
    /// Absent means `Default`.
    pub resolution_policy: Option<ResolutionPolicy>,
    pub virtual_network_link_state: Option<LinkState>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl VirtualNetworkLink {
    pub fn vnet_id(&self) -> Option<&str> {
        self.properties
            .virtual_network
            .as_ref()
            .map(|v| v.id.as_str())
            .filter(|s| !s.is_empty())
    }
    /// The zone id this link belongs to (links are children of a zone).
    pub fn zone_id(&self) -> Option<String> {
        crate::azure::ResourceId::parse(&self.id)
            .ok()
            .and_then(|id| id.parent())
    }
    /// A link resolves names only once it is `Completed` and its provisioning `Succeeded`
    /// (an absent state is taken as healthy: older API versions omit it).
    pub fn is_effective(&self) -> bool {
        let state_ok = !matches!(
            self.properties.virtual_network_link_state,
            Some(LinkState::InProgress) | Some(LinkState::Other(_))
        );
        let prov_ok = self
            .properties
            .provisioning_state
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("Succeeded"));
        state_ok && prov_ok
    }
}

pub type RecordSet = Resource<RecordSetProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct RecordSetProperties {
    pub ttl: Option<u64>,
    pub fqdn: Option<String>,
    pub is_auto_registered: Option<bool>,
    #[serde(deserialize_with = "null_default")]
    pub a_records: Vec<ARecord>,
    #[serde(deserialize_with = "null_default")]
    pub aaaa_records: Vec<Extra>,
    pub cname_record: Option<CnameRecord>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ARecord {
    pub ipv4_address: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct CnameRecord {
    pub cname: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl RecordSet {
    /// The record type from the id (`…/privateDnsZones/{zone}/A/{name}`) or the `type` field.
    pub fn record_type(&self) -> String {
        if let Some(t) = self.kind.as_deref().and_then(|t| t.rsplit('/').next()) {
            return t.to_ascii_uppercase();
        }
        let parts: Vec<&str> = self.id.rsplit('/').collect();
        parts
            .get(1)
            .map(|s| s.to_ascii_uppercase())
            .unwrap_or_default()
    }
    /// The zone id this record set belongs to.
    pub fn zone_id(&self) -> Option<String> {
        let lower = self.id.to_ascii_lowercase();
        let marker = "/privatednszones/";
        let start = lower.find(marker)? + marker.len();
        let end = lower[start..]
            .find('/')
            .map(|e| start + e)
            .unwrap_or(lower.len());
        Some(self.id[..end].to_string())
    }
    /// The relative record name (`kv1` in zone `privatelink.vaultcore.azure.net`).
    pub fn record_name(&self) -> String {
        normalise_dns_name(
            self.name
                .as_deref()
                .unwrap_or_else(|| crate::azure::id::last_name(&self.id)),
        )
    }
    pub fn ipv4_addresses(&self) -> Vec<&str> {
        self.properties
            .a_records
            .iter()
            .filter_map(|a| a.ipv4_address.as_deref())
            .collect()
    }
}
