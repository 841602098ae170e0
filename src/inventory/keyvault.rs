//! Key Vault vaults (2024-11-01, ARM-FACTS §1.7).

use super::common::{Extra, Resource, SubResource, lenient_bool, null_default};
use super::network::ConnectionState;
use crate::open_enum;
use serde::{Deserialize, Serialize};

open_enum!(DefaultAction { Allow => "Allow", Deny => "Deny" });
open_enum!(Bypass { AzureServices => "AzureServices", None => "None" });

pub type KeyVault = Resource<KeyVaultProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct KeyVaultProperties {
    pub tenant_id: Option<String>,
    pub vault_uri: Option<String>,
    pub network_acls: Option<NetworkAcls>,
    /// Spec default `enabled`; compared case-insensitively.
    pub public_network_access: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub private_endpoint_connections: Vec<KeyVaultPrivateEndpointConnection>,
    #[serde(deserialize_with = "lenient_bool")]
    pub enable_soft_delete: Option<bool>,
    #[serde(deserialize_with = "lenient_bool")]
    pub enable_purge_protection: Option<bool>,
    #[serde(deserialize_with = "lenient_bool")]
    pub enable_rbac_authorization: Option<bool>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkAcls {
    /// Absent means `AzureServices`.
    pub bypass: Option<Bypass>,
    pub default_action: Option<DefaultAction>,
    #[serde(deserialize_with = "null_default")]
    pub ip_rules: Vec<IpRule>,
    #[serde(deserialize_with = "null_default")]
    pub virtual_network_rules: Vec<VirtualNetworkRule>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct IpRule {
    pub value: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct VirtualNetworkRule {
    pub id: String,
    pub ignore_missing_vnet_service_endpoint: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A private endpoint connection as the vault lists it (also the shape of
/// `GET …/vaults/{vault}/privateEndpointConnections/{name}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct KeyVaultPrivateEndpointConnection {
    pub id: Option<String>,
    pub name: Option<String>,
    pub etag: Option<String>,
    pub properties: KeyVaultPrivateEndpointConnectionProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct KeyVaultPrivateEndpointConnectionProperties {
    pub private_endpoint: Option<SubResource>,
    pub private_link_service_connection_state: Option<ConnectionState>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl KeyVault {
    /// Whether public network access is switched off (`publicNetworkAccess` = Disabled).
    pub fn public_access_disabled(&self) -> bool {
        self.properties
            .public_network_access
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("Disabled"))
    }
}
