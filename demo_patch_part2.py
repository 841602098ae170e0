#!/usr/bin/env python3
"""Adds the demo-tenant scenarios that rule catalogue part 2 needs (deterministic, idempotent).

Run from the repository root:  python3 demo_patch_part2.py
It edits src/demo/tenant.json structurally (by resource id) and writes it back with indent=2.

Added:
- vnet-spoke-ops (sub 2222, rg-ops, 10.3.0.0/16, Azure-provided DNS), peered (Connected) with
  vnet-spoke-app in both directions, linked to no private DNS zone        -> DNS104 fires on it
  (its clients resolve kv-app-contoso, kv-ops-contoso and stcontosodata publicly); vnet-hub is the
  linked twin.
- pe-st-file-ops in vnet-spoke-ops/snet-pe -> stcontosodata, group `file`; no
  privatelink.file.core.windows.net zone exists                            -> DNS102 fires on it
  (twin: pe-st-data, group blob, whose zone exists).
- vnet-spoke-legacy (sub 2222, rg-legacy, 10.4.0.0/16) with custom DNS servers 192.168.10.4/.5
  (on-premises domain controllers), peered (Connected) with vnet-hub both ways, and
  pe-st-legacy in it -> stcontosodata, group blob                           -> DNS106 fires on it
  (twin: pe-st-data in vnet-spoke-app, which uses Azure DNS).
- Recovery Services vaults rsv-app-contoso (no Resource Guard mapping)     -> BAK101 fires on it
  and rsv-data-contoso (mapped to a Resource Guard in the management subscription, soft delete
  AlwaysON) as its twin, in the shapes of recoveryservices/GETVault.json and
  ListResourceGuardProxy.json.
"""
import json
import pathlib
import uuid

ROOT = pathlib.Path(__file__).resolve().parent
TENANT = ROOT / "src" / "demo" / "tenant.json"

S1 = "11111111-1111-4111-8111-111111111111"
S2 = "22222222-2222-4222-8222-222222222222"
S3 = "33333333-3333-4333-8333-333333333333"


def rid(sub, rg, provider_path):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider_path}"


def etag(seed):
    return f'W/"{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"'


def guid(seed):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "guid:" + seed))


HUB = rid(S1, "rg-hub-network", "Microsoft.Network/virtualNetworks/vnet-hub")
SPOKE_APP = rid(S2, "rg-app", "Microsoft.Network/virtualNetworks/vnet-spoke-app")
SPOKE_OPS = rid(S2, "rg-ops", "Microsoft.Network/virtualNetworks/vnet-spoke-ops")
SPOKE_LEGACY = rid(S2, "rg-legacy", "Microsoft.Network/virtualNetworks/vnet-spoke-legacy")
STORAGE = rid(S2, "rg-data", "Microsoft.Storage/storageAccounts/stcontosodata")


def subnet(vnet_id, name, prefix, private_endpoints=()):
    sid = f"{vnet_id}/subnets/{name}"
    props = {
        "provisioningState": "Succeeded",
        "addressPrefix": prefix,
        "delegations": [],
        "privateEndpointNetworkPolicies": "Disabled",
        "privateLinkServiceNetworkPolicies": "Enabled",
    }
    if private_endpoints:
        props["privateEndpoints"] = [{"id": p} for p in private_endpoints]
    return {"name": name, "id": sid, "etag": etag(sid),
            "type": "Microsoft.Network/virtualNetworks/subnets", "properties": props}


def peering(local_id, name, remote_id, remote_space):
    pid = f"{local_id}/virtualNetworkPeerings/{name}"
    return {
        "name": name, "id": pid, "etag": etag(pid),
        "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        "properties": {
            "provisioningState": "Succeeded", "resourceGuid": guid(pid),
            "peeringState": "Connected", "peeringSyncLevel": "FullyInSync",
            "remoteVirtualNetwork": {"id": remote_id},
            "allowVirtualNetworkAccess": True, "allowForwardedTraffic": True,
            "allowGatewayTransit": False, "useRemoteGateways": False,
            "doNotVerifyRemoteGateways": False, "peerCompleteVnets": True,
            "remoteAddressSpace": {"addressPrefixes": [remote_space]},
            "remoteVirtualNetworkAddressSpace": {"addressPrefixes": [remote_space]},
        },
    }


def vnet(vid, name, space, dns_servers, subnets, peerings):
    return {
        "name": name, "id": vid, "etag": etag(vid),
        "type": "Microsoft.Network/virtualNetworks", "location": "westeurope", "tags": {},
        "properties": {
            "provisioningState": "Succeeded", "resourceGuid": guid(vid),
            "addressSpace": {"addressPrefixes": [space]},
            "dhcpOptions": {"dnsServers": dns_servers},
            "subnets": subnets, "virtualNetworkPeerings": peerings,
            "enableDdosProtection": False,
        },
    }


def endpoint(pid, name, subnet_id, target, group, ip, fqdn):
    conn = f"{pid}/privateLinkServiceConnections/{name}"
    return {
        "name": name, "id": pid, "etag": etag(pid),
        "type": "Microsoft.Network/privateEndpoints", "location": "westeurope", "tags": {},
        "properties": {
            "provisioningState": "Succeeded", "resourceGuid": guid(pid),
            "privateLinkServiceConnections": [{
                "name": name, "id": conn, "etag": etag(conn),
                "type": "Microsoft.Network/privateEndpoints/privateLinkServiceConnections",
                "properties": {
                    "provisioningState": "Succeeded", "privateLinkServiceId": target,
                    "groupIds": [group],
                    "privateLinkServiceConnectionState": {
                        "status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"},
                },
            }],
            "manualPrivateLinkServiceConnections": [],
            "subnet": {"id": subnet_id},
            "networkInterfaces": [],
            "customDnsConfigs": [{"fqdn": fqdn, "ipAddresses": [ip]}],
            "applicationSecurityGroups": [],
            "ipConfigurations": [{"name": f"ipconfig-{name}", "properties": {
                "groupId": group, "memberName": group, "privateIPAddress": ip}}],
        },
    }


def rsv(vid, name, soft_delete_state, mua):
    return {
        "location": "westeurope", "name": name, "id": vid, "etag": etag(vid),
        "type": "Microsoft.RecoveryServices/vaults", "tags": {},
        "identity": {"type": "SystemAssigned", "principalId": guid(vid + "/identity"),
                     "tenantId": "8a1b2c3d-0000-4000-8000-000000000001"},
        "sku": {"name": "RS0", "tier": "Standard"},
        "properties": {
            "publicNetworkAccess": "Enabled",
            "provisioningState": "Succeeded",
            "privateEndpointConnections": [],
            "privateEndpointStateForBackup": "None",
            "privateEndpointStateForSiteRecovery": "None",
            "securitySettings": {
                "immutabilitySettings": {"state": "Disabled"},
                "softDeleteSettings": {"softDeleteRetentionPeriodInDays": 14,
                                       "softDeleteState": soft_delete_state,
                                       "enhancedSecurityState": "Enabled"},
                "multiUserAuthorization": mua,
            },
            "redundancySettings": {"standardTierStorageRedundancy": "GeoRedundant",
                                   "crossRegionRestore": "Disabled"},
            "secureScore": "None",
            "bcdrSecurityLevel": "Fair",
        },
    }


def upsert(items, obj):
    """Replaces the item with obj's id (case-insensitively) or appends it."""
    for i, it in enumerate(items):
        if it.get("id", "").lower() == obj["id"].lower():
            items[i] = obj
            return
    items.append(obj)


def find(items, id_):
    return next(it for it in items if it.get("id", "").lower() == id_.lower())


def main():
    doc = json.loads(TENANT.read_text(encoding="utf-8"))
    inv = doc["inventory"]
    vnets = inv["virtual_networks"]

    # --- DNS104 + DNS102: vnet-spoke-ops, peered with vnet-spoke-app, no zone links.
    pe_file = rid(S2, "rg-ops", "Microsoft.Network/privateEndpoints/pe-st-file-ops")
    upsert(vnets, vnet(
        SPOKE_OPS, "vnet-spoke-ops", "10.3.0.0/16", [],
        [subnet(SPOKE_OPS, "snet-ops", "10.3.1.0/24"),
         subnet(SPOKE_OPS, "snet-pe", "10.3.2.0/24", [pe_file])],
        [peering(SPOKE_OPS, "peer-spoke-ops-to-spoke-app", SPOKE_APP, "10.1.0.0/16")]))
    upsert(find(vnets, SPOKE_APP)["properties"]["virtualNetworkPeerings"],
           peering(SPOKE_APP, "peer-spoke-app-to-spoke-ops", SPOKE_OPS, "10.3.0.0/16"))
    upsert(inv["private_endpoints"], endpoint(
        pe_file, "pe-st-file-ops", f"{SPOKE_OPS}/subnets/snet-pe", STORAGE, "file",
        "10.3.2.4", "stcontosodata.file.core.windows.net"))

    # --- DNS106: vnet-spoke-legacy with on-premises DNS servers, peered with the hub.
    pe_legacy = rid(S2, "rg-legacy", "Microsoft.Network/privateEndpoints/pe-st-legacy")
    upsert(vnets, vnet(
        SPOKE_LEGACY, "vnet-spoke-legacy", "10.4.0.0/16", ["192.168.10.4", "192.168.10.5"],
        [subnet(SPOKE_LEGACY, "snet-pe", "10.4.2.0/24", [pe_legacy])],
        [peering(SPOKE_LEGACY, "peer-spoke-legacy-to-hub", HUB, "10.0.0.0/16")]))
    upsert(find(vnets, HUB)["properties"]["virtualNetworkPeerings"],
           peering(HUB, "peer-hub-to-spoke-legacy", SPOKE_LEGACY, "10.4.0.0/16"))
    upsert(inv["private_endpoints"], endpoint(
        pe_legacy, "pe-st-legacy", f"{SPOKE_LEGACY}/subnets/snet-pe", STORAGE, "blob",
        "10.4.2.4", "stcontosodata.blob.core.windows.net"))

    # --- BAK101: two Recovery Services vaults, one mapped to a Resource Guard.
    rsv_app = rid(S2, "rg-app", "Microsoft.RecoveryServices/vaults/rsv-app-contoso")
    rsv_data = rid(S2, "rg-data", "Microsoft.RecoveryServices/vaults/rsv-data-contoso")
    guard = rid(S3, "rg-security-guard", "Microsoft.DataProtection/resourceGuards/rg-guard-contoso")
    vaults = inv.setdefault("recovery_services_vaults", [])
    upsert(vaults, rsv(rsv_app, "rsv-app-contoso", "Enabled", "Disabled"))
    upsert(vaults, rsv(rsv_data, "rsv-data-contoso", "AlwaysON", "Enabled"))
    proxies = inv.setdefault("resource_guard_proxies", [])
    upsert(proxies, {
        "id": f"{rsv_data}/backupResourceGuardProxies/VaultProxy",
        "name": "VaultProxy",
        "type": "Microsoft.RecoveryServices/vaults/backupResourceGuardProxies",
        "properties": {
            "resourceGuardResourceId": guard,
            "resourceGuardOperationDetails": [
                {"vaultCriticalOperation": op,
                 "defaultResourceRequest": f"{guard}/{op.rsplit('/', 1)[-1]}/default"}
                for op in ("Microsoft.DataProtection/resourceGuards/deleteResourceGuardProxyRequests",
                           "Microsoft.DataProtection/resourceGuards/disableSoftDeleteRequests")
            ],
            "lastUpdatedTime": "2026-05-04T09:12:00.0000000Z",
            "description": "Critical operations need approval from the security team (JIT).",
        },
    })

    TENANT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
