//! A synthetic hub-and-spoke tenant for benchmarks, in the snapshot's shape (ARM payloads).
//!
//! One connectivity subscription holds the hub VNet with an Azure Firewall (10.0.1.4), the central
//! private DNS zones (privatelink.vaultcore.azure.net and privatelink.blob.core.windows.net, linked
//! to every VNet) and the Log Analytics workspace. Spokes come three to a subscription; each has a
//! /21 VNet peered with the hub, seven workload subnets (each with its own 30-rule NSG, a route table
//! sending 0.0.0.0/0 to the firewall and two NICs) and an endpoint subnet holding a private endpoint
//! of the spoke's Key Vault (one subnet in eight), with its A record in the central zone, a
//! diagnostic setting per vault and a VNet flow log. A few spokes carry planted misconfigurations
//! so that rules have something to report: management ports open to any source, vaults open to all
//! networks, stale A records.
#![allow(dead_code)]

use serde_json::{Value, json};

pub const HUB_SUB: &str = "00000000-0000-4000-8000-00000000a000";
const KV_ZONE: &str = "privatelink.vaultcore.azure.net";
const BLOB_ZONE: &str = "privatelink.blob.core.windows.net";
const WORKLOAD_SUBNETS: usize = 7;
const SPOKES_PER_SUBSCRIPTION: usize = 3;

/// Resources in a tenant of `spokes` spokes (see [`tenant`]), for choosing a size.
pub fn resources_per_spoke() -> usize {
    // VNet, 8 NSGs, 7 route tables, 14 NICs, endpoint, vault, diagnostic setting, 2 links, record,
    // flow log.
    1 + 8 + WORKLOAD_SUBNETS + 2 * WORKLOAD_SUBNETS + 1 + 1 + 1 + 2 + 1 + 1
}

pub fn spoke_subscription(spoke: usize) -> String {
    format!(
        "00000000-0000-4000-8000-{:012x}",
        spoke / SPOKES_PER_SUBSCRIPTION + 1
    )
}

fn rg(sub: &str, rg: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}")
}
fn net(sub: &str, group: &str, kind: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/{kind}/{name}",
        rg(sub, group)
    )
}
/// The second and third octet of block `b` (/21 blocks of 10.0.0.0/8; the hub is block 0).
fn block(b: usize) -> (usize, usize) {
    ((b * 8) / 256, (b * 8) % 256)
}

fn nsg_rules(spoke: usize, subnet: usize) -> Vec<Value> {
    let mut rules: Vec<Value> = (0..28)
        .map(|r| {
            json!({"name": format!("allow-app-{r}"), "properties": {
                "protocol": if r % 3 == 0 { "Udp" } else { "Tcp" }, "sourcePortRange": "*",
                "destinationPortRanges": [format!("{}", 8000 + r), format!("{}-{}", 9000 + r * 10, 9005 + r * 10)],
                "sourceAddressPrefixes": [format!("10.{}.{}.0/24", 64 + r, (spoke + subnet) % 256)],
                "destinationAddressPrefix": "*",
                "access": if r % 5 == 4 { "Deny" } else { "Allow" }, "priority": 200 + r * 10, "direction": "Inbound"}})
        })
        .collect();
    // One spoke in ten opens RDP to any source; the others deny everything else inbound.
    if spoke % 10 == 3 && subnet == 0 {
        rules.push(json!({"name": "allow-rdp-any", "properties": {"protocol": "Tcp", "sourcePortRange": "*",
            "destinationPortRange": "3389", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
            "access": "Allow", "priority": 150, "direction": "Inbound"}}));
    } else {
        rules.push(json!({"name": "deny-all-inbound", "properties": {"protocol": "*", "sourcePortRange": "*",
            "destinationPortRange": "*", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
            "access": "Deny", "priority": 4096, "direction": "Inbound"}}));
    }
    rules.push(json!({"name": "deny-internet-out", "properties": {"protocol": "*", "sourcePortRange": "*",
        "destinationPortRange": "*", "sourceAddressPrefix": "*", "destinationAddressPrefix": "Internet",
        "access": "Deny", "priority": 4000, "direction": "Outbound"}}));
    rules
}

fn default_rules(nsg_id: &str) -> Vec<Value> {
    [
        ("AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
        ("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"),
        ("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
        ("AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
        ("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet"),
        ("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
    ]
    .iter()
    .map(|(name, priority, dir, access, src, dst)| {
        json!({"name": name, "id": format!("{nsg_id}/defaultSecurityRules/{name}"), "properties": {
            "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
            "sourceAddressPrefix": src, "destinationAddressPrefix": dst,
            "access": access, "priority": priority, "direction": dir, "provisioningState": "Succeeded"}})
    })
    .collect()
}

fn nsg(id: &str, name: &str, rules: Vec<Value>) -> Value {
    json!({"id": id, "name": name, "type": "Microsoft.Network/networkSecurityGroups", "location": "westeurope",
           "properties": {"provisioningState": "Succeeded", "securityRules": rules, "defaultSecurityRules": default_rules(id)}})
}

fn peering(from_vnet: &str, to_vnet: &str, to_name: &str, to_space: &str) -> Value {
    json!({"name": format!("peer-to-{to_name}"), "id": format!("{from_vnet}/virtualNetworkPeerings/peer-to-{to_name}"),
           "properties": {"peeringState": "Connected", "peeringSyncLevel": "FullyInSync",
               "remoteVirtualNetwork": {"id": to_vnet}, "allowVirtualNetworkAccess": true,
               "allowForwardedTraffic": true, "allowGatewayTransit": false, "useRemoteGateways": false,
               "remoteAddressSpace": {"addressPrefixes": [to_space]}}})
}

/// The tenant as a snapshot document.
pub fn tenant(spokes: usize) -> Value {
    tenant_with_vaults(spokes, 0)
}

/// [`tenant`] with `extra_vaults` more Key Vaults in each spoke (application vaults reached
/// through the firewall, each with its diagnostic setting), for benchmarks of the reads that
/// depend on the vaults.
pub fn tenant_with_vaults(spokes: usize, extra_vaults: usize) -> Value {
    let hub_vnet = net(HUB_SUB, "rg-hub", "virtualNetworks", "vnet-hub");
    let workspace = format!(
        "{}/providers/Microsoft.OperationalInsights/workspaces/law-central",
        rg(HUB_SUB, "rg-monitor")
    );
    let zone_id = |zone: &str| {
        format!(
            "{}/providers/Microsoft.Network/privateDnsZones/{zone}",
            rg(HUB_SUB, "rg-dns")
        )
    };
    let mut subscriptions = vec![HUB_SUB.to_string()];
    let mut inv: std::collections::BTreeMap<&str, Vec<Value>> = Default::default();
    let mut push = |kind: &'static str, v: Value| inv.entry(kind).or_default().push(v);
    let mut hub_peerings = Vec::new();

    for zone in [KV_ZONE, BLOB_ZONE] {
        push(
            "private_dns_zones",
            json!({"id": zone_id(zone), "name": zone,
            "type": "Microsoft.Network/privateDnsZones", "location": "global", "properties": {"provisioningState": "Succeeded"}}),
        );
    }
    for i in 0..spokes {
        let sub = spoke_subscription(i);
        if subscriptions.last() != Some(&sub) {
            subscriptions.push(sub.clone());
        }
        let group = format!("rg-spoke-{i}");
        let (o2, o3) = block(i + 1);
        let space = format!("10.{o2}.{o3}.0/21");
        let vnet_name = format!("vnet-spoke-{i}");
        let vnet_id = net(&sub, &group, "virtualNetworks", &vnet_name);
        let mut subnets = Vec::new();
        for s in 0..=WORKLOAD_SUBNETS {
            let is_pe = s == WORKLOAD_SUBNETS;
            let sname = if is_pe {
                "snet-pe".to_string()
            } else {
                format!("snet-{s}")
            };
            let subnet_id = format!("{vnet_id}/subnets/{sname}");
            let prefix = format!("10.{o2}.{}.0/24", o3 + s);
            let nsg_name = format!("nsg-{vnet_name}-{sname}");
            let nsg_id = net(&sub, &group, "networkSecurityGroups", &nsg_name);
            push(
                "network_security_groups",
                nsg(&nsg_id, &nsg_name, nsg_rules(i, s)),
            );
            let mut props = json!({"addressPrefix": prefix, "networkSecurityGroup": {"id": nsg_id},
                "privateEndpointNetworkPolicies": if is_pe { "Enabled" } else { "Disabled" }});
            if !is_pe {
                let rt_name = format!("rt-{vnet_name}-{sname}");
                let rt_id = net(&sub, &group, "routeTables", &rt_name);
                push(
                    "route_tables",
                    json!({"id": rt_id, "name": rt_name, "type": "Microsoft.Network/routeTables",
                    "location": "westeurope", "properties": {"disableBgpRoutePropagation": true, "subnets": [{"id": subnet_id}],
                    "routes": [{"name": "default-to-firewall", "id": format!("{rt_id}/routes/default-to-firewall"),
                        "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.1.4"}}]}}),
                );
                props["routeTable"] = json!({"id": rt_id});
                for n in 0..2 {
                    let nic_name = format!("nic-{vnet_name}-{sname}-{n}");
                    let nic_id = net(&sub, &group, "networkInterfaces", &nic_name);
                    push(
                        "network_interfaces",
                        json!({"id": nic_id, "name": nic_name,
                        "type": "Microsoft.Network/networkInterfaces", "location": "westeurope",
                        "properties": {"ipConfigurations": [{"name": "ipconfig1", "id": format!("{nic_id}/ipConfigurations/ipconfig1"),
                            "properties": {"privateIPAddress": format!("10.{o2}.{}.{}", o3 + s, 4 + n),
                                "privateIPAllocationMethod": "Dynamic", "primary": true, "subnet": {"id": subnet_id}}}]}}),
                    );
                }
            }
            subnets.push(json!({"id": subnet_id, "name": sname, "properties": props}));
        }
        push(
            "virtual_networks",
            json!({"id": vnet_id, "name": vnet_name, "type": "Microsoft.Network/virtualNetworks",
            "location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": [space]},
            "dhcpOptions": {"dnsServers": []}, "subnets": subnets,
            "virtualNetworkPeerings": [peering(&vnet_id, &hub_vnet, "vnet-hub", "10.0.0.0/21")]}}),
        );
        hub_peerings.push(peering(&hub_vnet, &vnet_id, &vnet_name, &space));

        // The spoke's vault behind a private endpoint; one in seven is also open to all networks.
        let kv_name = format!("kv-spoke-{i}");
        let kv_id = format!(
            "{}/providers/Microsoft.KeyVault/vaults/{kv_name}",
            rg(&sub, &group)
        );
        let pe_name = format!("pe-{kv_name}");
        let pe_id = net(&sub, &group, "privateEndpoints", &pe_name);
        let pe_ip = format!("10.{o2}.{}.4", o3 + WORKLOAD_SUBNETS);
        let open = i % 7 == 5;
        push(
            "key_vaults",
            json!({"id": kv_id, "name": kv_name, "type": "Microsoft.KeyVault/vaults", "location": "westeurope",
            "properties": {"tenantId": "8a1b2c3d-0000-4000-8000-000000000001", "vaultUri": format!("https://{kv_name}.vault.azure.net/"),
                "sku": {"family": "A", "name": "standard"}, "enableSoftDelete": true, "provisioningState": "Succeeded",
                "publicNetworkAccess": if open { "Enabled" } else { "Disabled" },
                "networkAcls": {"bypass": "AzureServices", "defaultAction": if open { "Allow" } else { "Deny" }, "ipRules": [], "virtualNetworkRules": []},
                "privateEndpointConnections": [{"id": format!("{kv_id}/privateEndpointConnections/{pe_name}"),
                    "properties": {"provisioningState": "Succeeded", "privateEndpoint": {"id": pe_id},
                        "privateLinkServiceConnectionState": {"status": "Approved", "description": "", "actionsRequired": "None"}}}]}}),
        );
        push(
            "diagnostic_settings",
            json!({"id": format!("{kv_id}/providers/microsoft.insights/diagnosticSettings/to-law"),
            "type": "Microsoft.Insights/diagnosticSettings", "name": "to-law",
            "properties": {"workspaceId": workspace, "storageAccountId": null, "metrics": [],
                "logs": [{"category": null, "categoryGroup": "audit", "enabled": true}]}}),
        );
        for v in 0..extra_vaults {
            let name = format!("kv-spoke-{i}-app-{v}");
            let id = format!(
                "{}/providers/Microsoft.KeyVault/vaults/{name}",
                rg(&sub, &group)
            );
            push(
                "key_vaults",
                json!({"id": id, "name": name, "type": "Microsoft.KeyVault/vaults", "location": "westeurope",
                "properties": {"tenantId": "8a1b2c3d-0000-4000-8000-000000000001", "vaultUri": format!("https://{name}.vault.azure.net/"),
                    "sku": {"family": "A", "name": "standard"}, "enableSoftDelete": true, "enablePurgeProtection": true,
                    "provisioningState": "Succeeded", "publicNetworkAccess": "Enabled",
                    "networkAcls": {"bypass": "None", "defaultAction": "Deny", "ipRules": [{"value": "20.50.1.4"}], "virtualNetworkRules": []}}}),
            );
            push(
                "diagnostic_settings",
                json!({"id": format!("{id}/providers/microsoft.insights/diagnosticSettings/to-law"),
                "type": "Microsoft.Insights/diagnosticSettings", "name": "to-law",
                "properties": {"workspaceId": workspace, "storageAccountId": null, "metrics": [],
                    "logs": [{"category": null, "categoryGroup": "audit", "enabled": true}]}}),
            );
        }
        push(
            "private_endpoints",
            json!({"id": pe_id, "name": pe_name, "type": "Microsoft.Network/privateEndpoints", "location": "westeurope",
            "properties": {"provisioningState": "Succeeded", "subnet": {"id": format!("{vnet_id}/subnets/snet-pe")},
                "privateLinkServiceConnections": [{"name": pe_name, "properties": {"privateLinkServiceId": kv_id, "groupIds": ["vault"],
                    "provisioningState": "Succeeded", "privateLinkServiceConnectionState": {"status": "Approved", "description": "", "actionsRequired": "None"}}}],
                "manualPrivateLinkServiceConnections": [],
                "customDnsConfigs": [{"fqdn": format!("{kv_name}.vault.azure.net"), "ipAddresses": [pe_ip]}],
                "ipConfigurations": [{"name": "ip", "properties": {"groupId": "vault", "memberName": "default", "privateIPAddress": pe_ip}}]}}),
        );
        // One record in thirteen is stale.
        let record_ip = if i % 13 == 8 {
            format!("10.{o2}.{}.9", o3 + WORKLOAD_SUBNETS)
        } else {
            pe_ip.clone()
        };
        push(
            "record_sets",
            json!({"id": format!("{}/A/{kv_name}", zone_id(KV_ZONE)), "name": kv_name,
            "type": "Microsoft.Network/privateDnsZones/A", "properties": {"ttl": 10, "fqdn": format!("{kv_name}.{KV_ZONE}."),
            "isAutoRegistered": false, "aRecords": [{"ipv4Address": record_ip}]}}),
        );
        push(
            "flow_logs",
            json!({"id": format!("{}/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope/flowLogs/fl-{vnet_name}", rg(&sub, "NetworkWatcherRG")),
            "name": format!("fl-{vnet_name}"), "type": "Microsoft.Network/networkWatchers/flowLogs", "location": "westeurope",
            "properties": {"targetResourceId": vnet_id, "enabled": true,
                "storageId": format!("{}/providers/Microsoft.Storage/storageAccounts/stflowlogs", rg(&sub, "NetworkWatcherRG")),
                "flowAnalyticsConfiguration": {"networkWatcherFlowAnalyticsConfiguration": {"enabled": true,
                    "workspaceResourceId": workspace, "workspaceRegion": "westeurope", "trafficAnalyticsInterval": 10}}}}),
        );
    }

    // The hub: firewall subnet, endpoint subnet, peerings to every spoke.
    let hub_subnets = vec![
        json!({"id": format!("{hub_vnet}/subnets/AzureFirewallSubnet"), "name": "AzureFirewallSubnet", "properties": {"addressPrefix": "10.0.1.0/26"}}),
        json!({"id": format!("{hub_vnet}/subnets/GatewaySubnet"), "name": "GatewaySubnet", "properties": {"addressPrefix": "10.0.2.0/27"}}),
    ];
    push(
        "virtual_networks",
        json!({"id": hub_vnet, "name": "vnet-hub", "type": "Microsoft.Network/virtualNetworks",
        "location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/21"]},
        "dhcpOptions": {"dnsServers": []}, "subnets": hub_subnets, "virtualNetworkPeerings": hub_peerings}}),
    );
    let afw = net(HUB_SUB, "rg-hub", "azureFirewalls", "afw-hub");
    push(
        "azure_firewalls",
        json!({"id": afw, "name": "afw-hub", "type": "Microsoft.Network/azureFirewalls", "location": "westeurope",
        "properties": {"provisioningState": "Succeeded", "sku": {"name": "AZFW_VNet", "tier": "Standard"},
            "ipConfigurations": [{"name": "ipconfig", "id": format!("{afw}/azureFirewallIpConfigurations/ipconfig"),
                "properties": {"privateIPAddress": "10.0.1.4", "subnet": {"id": format!("{hub_vnet}/subnets/AzureFirewallSubnet")}}}]}}),
    );
    // Every VNet is linked to both central zones.
    let vnet_ids: Vec<String> = inv["virtual_networks"]
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    for zone in [KV_ZONE, BLOB_ZONE] {
        for (n, vnet) in vnet_ids.iter().enumerate() {
            inv.entry("virtual_network_links").or_default().push(json!({
                "id": format!("{}/virtualNetworkLinks/link-{n}", zone_id(zone)), "name": format!("link-{n}"),
                "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks", "location": "global",
                "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": false,
                    "virtualNetworkLinkState": "Completed", "provisioningState": "Succeeded"}}));
        }
    }
    for sub in &subscriptions {
        let entry = inv.entry("subscriptions").or_default();
        entry.push(json!({"id": format!("/subscriptions/{sub}"), "subscriptionId": sub, "displayName": format!("sub-{sub}"),
            "state": "Enabled", "tenantId": "8a1b2c3d-0000-4000-8000-000000000001"}));
        for ns in [
            "Microsoft.Network",
            "Microsoft.Insights",
            "Microsoft.KeyVault",
        ] {
            inv.entry("resource_providers").or_default().push(json!({"id": format!("/subscriptions/{sub}/providers/{ns}"),
                "namespace": ns, "registrationState": "Registered", "registrationPolicy": "RegistrationRequired", "resourceTypes": []}));
        }
        inv.entry("network_watchers").or_default().push(json!({
            "id": format!("{}/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope", rg(sub, "NetworkWatcherRG")),
            "name": "NetworkWatcher_westeurope", "type": "Microsoft.Network/networkWatchers", "location": "westeurope",
            "properties": {"provisioningState": "Succeeded"}}));
    }
    json!({"kind": "azaudit-snapshot", "schema_version": 1, "collected_at": "2026-11-24T08:00:00Z",
           "source": "synthetic", "cloud": "public", "scope": {"subscriptions": subscriptions},
           "coverage": {"gaps": []}, "inventory": inv})
}
