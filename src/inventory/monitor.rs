//! Diagnostic settings (Microsoft.Insights, 2021-05-01-preview, ARM-FACTS §1.10).

use super::common::{Extra, Resource, lenient_bool, null_default};
use serde::{Deserialize, Serialize};

pub type DiagnosticSetting = Resource<DiagnosticSettingProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct DiagnosticSettingProperties {
    pub storage_account_id: Option<String>,
    /// Full resource id of the Log Analytics workspace; `""` in some payloads means none.
    pub workspace_id: Option<String>,
    pub event_hub_authorization_rule_id: Option<String>,
    pub marketplace_partner_id: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub logs: Vec<LogSetting>,
    #[serde(deserialize_with = "null_default")]
    pub metrics: Vec<Extra>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct LogSetting {
    pub category: Option<String>,
    pub category_group: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub enabled: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl DiagnosticSetting {
    /// The resource this setting belongs to.
    pub fn resource_id(&self) -> Option<&str> {
        crate::azure::id::extension_parent(&self.id)
    }
    pub fn workspace(&self) -> Option<&str> {
        self.properties
            .workspace_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// An entry of `diagnosticSettingsCategories`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct DiagnosticSettingsCategory {
    pub id: Option<String>,
    pub name: Option<String>,
    pub properties: DiagnosticSettingsCategoryProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct DiagnosticSettingsCategoryProperties {
    pub category_type: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub category_groups: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}
