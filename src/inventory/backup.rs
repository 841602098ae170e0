//! Recovery Services vaults, their Resource Guard mappings, and Resource Guards (ARM-FACTS §1.15).

use super::common::{Extra, Resource, null_default};
use serde::{Deserialize, Serialize};

pub type RecoveryServicesVault = Resource<RecoveryServicesVaultProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct RecoveryServicesVaultProperties {
    pub public_network_access: Option<String>,
    pub security_settings: Option<SecuritySettings>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct SecuritySettings {
    pub soft_delete_settings: Option<SoftDeleteSettings>,
    pub multi_user_authorization: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct SoftDeleteSettings {
    pub soft_delete_state: Option<String>,
    pub soft_delete_retention_period_in_days: Option<u32>,
    pub enhanced_security_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `backupResourceGuardProxies` entry: the vault's mapping to a Resource Guard.
pub type ResourceGuardProxy = Resource<ResourceGuardProxyProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceGuardProxyProperties {
    pub resource_guard_resource_id: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub resource_guard_operation_details: Vec<Extra>,
    #[serde(flatten)]
    pub extra: Extra,
}

pub type ResourceGuard = Resource<Extra>;
