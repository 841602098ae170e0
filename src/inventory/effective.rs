//! Network Watcher-style answers for a running VM's NIC (`effectiveRouteTable`,
//! `effectiveNetworkSecurityGroups`). azaudit computes the same answers offline for any subnet; these
//! types let it read Azure's own answers for comparison.

use super::common::{Extra, SubResource, null_default};
use super::network::NextHopType;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct EffectiveRoute {
    pub name: Option<String>,
    pub source: Option<String>,
    pub state: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub address_prefix: Vec<String>,
    pub next_hop_type: Option<NextHopType>,
    #[serde(deserialize_with = "null_default")]
    pub next_hop_ip_address: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct EffectiveNetworkSecurityGroup {
    pub network_security_group: Option<SubResource>,
    pub association: Option<Extra>,
    #[serde(deserialize_with = "null_default")]
    pub effective_security_rules: Vec<EffectiveSecurityRule>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct EffectiveSecurityRule {
    pub name: Option<String>,
    pub protocol: Option<super::network::Protocol>,
    pub source_port_range: Option<String>,
    pub destination_port_range: Option<String>,
    pub source_address_prefix: Option<String>,
    pub destination_address_prefix: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub expanded_source_address_prefix: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub expanded_destination_address_prefix: Vec<String>,
    pub access: Option<super::network::Access>,
    pub priority: Option<u32>,
    pub direction: Option<super::network::Direction>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// An Azure Resource Graph query response page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceGraphResponse {
    pub total_records: Option<u64>,
    pub count: Option<u64>,
    pub result_truncated: Option<String>,
    #[serde(rename = "$skipToken")]
    pub skip_token: Option<String>,
    pub data: serde_json::Value,
    #[serde(deserialize_with = "null_default")]
    pub facets: Vec<Extra>,
    #[serde(flatten)]
    pub extra: Extra,
}
