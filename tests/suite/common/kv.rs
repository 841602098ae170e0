//! Builders for private endpoints, private DNS, Key Vaults, diagnostic settings and Recovery
//! Services vaults, in ARM's shapes.

use super::*;

pub const KV_ZONE: &str = "privatelink.vaultcore.azure.net";
pub const BLOB_ZONE: &str = "privatelink.blob.core.windows.net";

pub fn kv_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.KeyVault/vaults/{name}",
        rg_id("rg-app")
    )
}
pub fn st_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Storage/storageAccounts/{name}",
        rg_id("rg-data")
    )
}
pub fn zone_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/privateDnsZones/{name}",
        rg_id("rg-dns")
    )
}
pub fn pe_id(name: &str) -> String {
    net_id("privateEndpoints", name)
}

/// A private endpoint in `{vnet}/snet-pe` with one automatic connection.
pub fn pe(name: &str, vnet: &str, target: &str, group: &str, status: &str, ip: &str) -> Value {
    json!({
        "id": pe_id(name), "name": name, "type": "Microsoft.Network/privateEndpoints",
        "location": "westeurope",
        "properties": {
            "provisioningState": "Succeeded",
            "subnet": {"id": subnet_id(vnet, "snet-pe")},
            "privateLinkServiceConnections": [{
                "name": name,
                "properties": {"privateLinkServiceId": target, "groupIds": [group], "provisioningState": "Succeeded",
                               "privateLinkServiceConnectionState": {"status": status, "description": "", "actionsRequired": "None"}}
            }],
            "manualPrivateLinkServiceConnections": [],
            "ipConfigurations": [{"name": "ip", "properties": {"groupId": group, "memberName": "default", "privateIPAddress": ip}}]
        }
    })
}

/// The same endpoint with its connection moved to the manual list.
pub fn manual(mut pe: Value) -> Value {
    let conns = pe["properties"]["privateLinkServiceConnections"].take();
    pe["properties"]["manualPrivateLinkServiceConnections"] = conns;
    pe["properties"]["privateLinkServiceConnections"] = json!([]);
    pe
}

pub fn zone(name: &str) -> Value {
    json!({"id": zone_id(name), "name": name, "type": "Microsoft.Network/privateDnsZones",
           "location": "global", "properties": {}})
}

pub fn link(zone: &str, vnet: &str) -> Value {
    link_in_state(zone, vnet, "Completed")
}

pub fn link_in_state(zone: &str, vnet: &str, state: &str) -> Value {
    json!({
        "id": format!("{}/virtualNetworkLinks/link-{vnet}", zone_id(zone)), "name": format!("link-{vnet}"),
        "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks", "location": "global",
        "properties": {"virtualNetwork": {"id": net_id("virtualNetworks", vnet)}, "registrationEnabled": false,
                       "virtualNetworkLinkState": state, "provisioningState": "Succeeded"}
    })
}

pub fn a_record(zone: &str, name: &str, ips: &[&str], ttl: u64) -> Value {
    let recs: Vec<Value> = ips.iter().map(|i| json!({"ipv4Address": i})).collect();
    json!({
        "id": format!("{}/A/{name}", zone_id(zone)), "name": name, "type": "Microsoft.Network/privateDnsZones/A",
        "properties": {"ttl": ttl, "fqdn": format!("{name}.{zone}."), "isAutoRegistered": false, "aRecords": recs}
    })
}

/// A VNet with an `snet-pe` subnet; `dns` are its custom DNS servers (empty = Azure DNS).
pub fn pe_vnet(name: &str, space: &str, dns: &[&str], peerings: Vec<Value>) -> Value {
    let pe_prefix = space.replace(".0.0/16", ".2.0/24");
    vnet(
        name,
        space,
        vec![subnet(name, "snet-pe", &pe_prefix, json!({}))],
        json!({"dhcpOptions": {"dnsServers": dns}, "virtualNetworkPeerings": peerings}),
    )
}

pub fn peering(from: &str, to: &str, state: &str) -> Value {
    json!({
        "name": format!("peer-{from}-to-{to}"),
        "id": format!("{}/virtualNetworkPeerings/peer-{from}-to-{to}", net_id("virtualNetworks", from)),
        "properties": {"peeringState": state, "remoteVirtualNetwork": {"id": net_id("virtualNetworks", to)},
                       "allowVirtualNetworkAccess": true}
    })
}

/// A Key Vault; `props` is merged into its properties.
pub fn vault(name: &str, props: Value) -> Value {
    let mut p = json!({
        "tenantId": "8a1b2c3d-0000-4000-8000-000000000001",
        "vaultUri": format!("https://{name}.vault.azure.net/"),
        "sku": {"family": "A", "name": "standard"},
        "enableSoftDelete": true, "provisioningState": "Succeeded",
        "privateEndpointConnections": []
    });
    merge(&mut p, props);
    json!({"id": kv_id(name), "name": name, "type": "Microsoft.KeyVault/vaults", "location": "westeurope",
           "properties": p})
}

/// A vault-side private endpoint connection.
pub fn vault_conn(vault: &str, pe_name: &str, status: &str, provisioning: &str) -> Value {
    json!({
        "id": format!("{}/privateEndpointConnections/{pe_name}.1234", kv_id(vault)),
        "name": format!("{pe_name}.1234"),
        "properties": {"provisioningState": provisioning, "privateEndpoint": {"id": pe_id(pe_name)},
                       "privateLinkServiceConnectionState": {"status": status, "description": "", "actionsRequired": "None"}}
    })
}

pub fn acls(default_action: &str, bypass: &str, ips: &[&str], subnets: &[&str]) -> Value {
    json!({
        "bypass": bypass, "defaultAction": default_action,
        "ipRules": ips.iter().map(|i| json!({"value": i})).collect::<Vec<_>>(),
        "virtualNetworkRules": subnets.iter().map(|s| json!({"id": s, "ignoreMissingVnetServiceEndpoint": false})).collect::<Vec<_>>()
    })
}

pub const LAW: &str = "/subscriptions/00000000-0000-4000-8000-000000000003/resourceGroups/rg-monitor/providers/Microsoft.OperationalInsights/workspaces/law-central";

/// A diagnostic setting on a vault; `logs` as ARM lists them.
pub fn diag(vault: &str, name: &str, workspace: &str, logs: Value) -> Value {
    json!({
        "id": format!("{}/providers/microsoft.insights/diagnosticSettings/{name}", kv_id(vault)),
        "type": "Microsoft.Insights/diagnosticSettings", "name": name,
        "properties": {"workspaceId": workspace, "storageAccountId": null, "logs": logs, "metrics": []}
    })
}

pub fn rsv_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.RecoveryServices/vaults/{name}",
        rg_id("rg-backup")
    )
}

pub fn rsv(name: &str, soft_delete: &str) -> Value {
    json!({
        "id": rsv_id(name), "name": name, "type": "Microsoft.RecoveryServices/vaults", "location": "westeurope",
        "properties": {"provisioningState": "Succeeded", "publicNetworkAccess": "Enabled",
            "securitySettings": {"softDeleteSettings": {"softDeleteState": soft_delete, "softDeleteRetentionPeriodInDays": 14},
                                 "multiUserAuthorization": "Disabled"}}
    })
}

pub fn guard_proxy(vault: &str) -> Value {
    json!({
        "id": format!("{}/backupResourceGuardProxies/VaultProxy", rsv_id(vault)), "name": "VaultProxy",
        "type": "Microsoft.RecoveryServices/vaults/backupResourceGuardProxies",
        "properties": {"resourceGuardResourceId": "/subscriptions/00000000-0000-4000-8000-000000000009/resourceGroups/rg-guard/providers/Microsoft.DataProtection/resourceGuards/guard1",
                       "resourceGuardOperationDetails": []}
    })
}

/// A subscription as the tenant's subscription list holds it.
pub fn subscription(sub: &str) -> Value {
    json!({"id": format!("/subscriptions/{sub}"), "subscriptionId": sub, "state": "Enabled"})
}
