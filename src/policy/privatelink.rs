//! The private-link DNS zone table shipped in `policies/privatelink-zones.toml`: for a private
//! endpoint's target type and group id, the private DNS zone(s) that make its name resolve privately,
//! per cloud.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::Cloud;

const SHIPPED: &str = include_str!("../../policies/privatelink-zones.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct ZoneTable {
    pub schema_version: u32,
    #[serde(rename = "zone")]
    pub zones: Vec<ZoneRow>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ZoneRow {
    pub resource_type: String,
    pub group_id: String,
    #[serde(default)]
    pub public_forwarders: Vec<String>,
    /// Cloud name (`AzureCloud`, …) → zone names.
    #[serde(default)]
    pub clouds: BTreeMap<String, Vec<String>>,
}

static TABLE: LazyLock<ZoneTable> = LazyLock::new(|| {
    toml::from_str(SHIPPED).expect("policies/privatelink-zones.toml is valid (checked by tests)")
});

impl ZoneTable {
    /// The shipped table.
    pub fn shipped() -> &'static ZoneTable {
        &TABLE
    }

    /// The zone names for a target resource type and group id in a cloud. Matches the resource type
    /// and group id case-insensitively; when the type is unknown but exactly one row has the group
    /// id, that row is used. Region placeholders (`{regionName}`) are left in place.
    pub fn zones_for(&self, cloud: Cloud, resource_type: &str, group_id: &str) -> Vec<&str> {
        let by_type: Vec<&ZoneRow> = self
            .zones
            .iter()
            .filter(|r| {
                r.group_id.eq_ignore_ascii_case(group_id)
                    && r.resource_type.eq_ignore_ascii_case(resource_type)
            })
            .collect();
        let rows = if by_type.is_empty() {
            let by_group: Vec<&ZoneRow> = self
                .zones
                .iter()
                .filter(|r| r.group_id.eq_ignore_ascii_case(group_id))
                .collect();
            if by_group.len() == 1 {
                by_group
            } else {
                Vec::new()
            }
        } else {
            by_type
        };
        rows.iter()
            .flat_map(|r| r.clouds.get(cloud.azure_name()).into_iter().flatten())
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_parses_and_has_key_vault_in_every_cloud() {
        let t = ZoneTable::shipped();
        assert_eq!(t.schema_version, 1);
        assert_eq!(
            t.zones_for(Cloud::Public, "Microsoft.KeyVault/vaults", "vault"),
            vec!["privatelink.vaultcore.azure.net"]
        );
        assert_eq!(
            t.zones_for(Cloud::Usgov, "microsoft.keyvault/VAULTS", "Vault"),
            vec!["privatelink.vaultcore.usgovcloudapi.net"]
        );
        assert_eq!(
            t.zones_for(Cloud::China, "Microsoft.KeyVault/vaults", "vault"),
            vec!["privatelink.vaultcore.azure.cn"]
        );
        assert_eq!(
            t.zones_for(Cloud::Public, "Microsoft.Storage/storageAccounts", "blob"),
            vec!["privatelink.blob.core.windows.net"]
        );
    }

    #[test]
    fn unknown_group_yields_nothing() {
        assert!(
            ZoneTable::shipped()
                .zones_for(Cloud::Public, "Contoso.Widgets/things", "nope")
                .is_empty()
        );
    }
}
