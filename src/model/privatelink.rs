//! The private-link DNS zone table shipped in `policies/privatelink-zones.toml`: for a private
//! endpoint's target type and group id, the private DNS zone(s) that make its name resolve privately,
//! per cloud.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::azure::Cloud;

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
    /// Cloud name → further zone names Microsoft lists for the row that an endpoint does not need
    /// (e.g. `scm.privatelink.azurewebsites.net`, whose records go into the main zone with Azure
    /// Private DNS): valid names, so never a misnamed zone, but never expected either.
    #[serde(default)]
    pub listed: BTreeMap<String, Vec<String>>,
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

impl ZoneTable {
    /// The public name of a private-link resource (`kv1.vault.azure.net`): its name under the row's
    /// first public forwarder.
    pub fn public_name(
        &self,
        cloud: Cloud,
        resource_type: &str,
        group_id: &str,
        name: &str,
    ) -> Option<String> {
        let zones = self.zones_for(cloud, resource_type, group_id);
        let zone = zones.first()?;
        let row = self.zones.iter().find(|r| {
            r.group_id.eq_ignore_ascii_case(group_id)
                && r.clouds
                    .get(cloud.azure_name())
                    .is_some_and(|z| z.iter().any(|x| x == zone))
        })?;
        let forwarder = row.public_forwarders.first()?;
        if cloud != Cloud::Public
            && !zone.ends_with(forwarder.split_once('.').map_or("", |(_, rest)| rest))
        {
            // Forwarders are listed for the public cloud; elsewhere derive the name from the zone.
            return Some(format!("{name}.{}", zone.strip_prefix("privatelink.")?));
        }
        Some(format!("{name}.{forwarder}"))
    }

    /// For a public name such as `kv1.vault.azure.net`, the resource label (`kv1`), the private-link
    /// zone its CNAME points into (`privatelink.vaultcore.azure.net`) and the target resource type,
    /// from the rows' public forwarders. Only rows with one zone in `cloud` and no region
    /// placeholder take part.
    pub fn private_link_name(&self, cloud: Cloud, fqdn: &str) -> Option<(String, String, String)> {
        let name = fqdn.trim().trim_end_matches('.').to_ascii_lowercase();
        let (label, rest) = name.split_once('.')?;
        for row in &self.zones {
            let Some(zones) = row.clouds.get(cloud.azure_name()) else {
                continue;
            };
            if zones.len() != 1 || zones[0].contains('{') {
                continue;
            }
            if row
                .public_forwarders
                .iter()
                .any(|f| f.trim_end_matches('.').eq_ignore_ascii_case(rest))
                || zones[0]
                    .strip_prefix("privatelink.")
                    .is_some_and(|z| z.eq_ignore_ascii_case(rest))
            {
                return Some((
                    label.to_string(),
                    zones[0].to_ascii_lowercase(),
                    row.resource_type.clone(),
                ));
            }
        }
        None
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
    fn public_names_map_to_their_private_link_zone() {
        let t = ZoneTable::shipped();
        let (label, zone, ty) = t
            .private_link_name(Cloud::Public, "KV1.vault.azure.net.")
            .unwrap();
        assert_eq!(
            (label.as_str(), zone.as_str()),
            ("kv1", "privatelink.vaultcore.azure.net")
        );
        assert!(ty.eq_ignore_ascii_case("Microsoft.KeyVault/vaults"));
        assert!(
            t.private_link_name(Cloud::Public, "www.example.com")
                .is_none()
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
