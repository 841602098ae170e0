#!/usr/bin/env python3
"""Rule catalogue part 1: plant the demo-tenant scenarios that part 1's rules need.

Deterministic and idempotent: resources are found by name and every change is an "ensure" (insert
or replace by name), so running it twice gives the same file. Writes src/demo/tenant.json back with
indent=2, ensure_ascii=False and a trailing newline.

What it changes (and which rule it is for):
  1. nsg-app: outbound Allow-To-VNet-Outbound (100, to VirtualNetwork) and Deny-Internet-Outbound
     (4000) -> NSG102 on snet-app (rt-app's 0.0.0.0/0 widens the tag), NSG108 (no AzurePlatformLKM deny).
  2. rt-data: /32 routes with next hop Internet to the public-cloud KMS addresses -> NSG108 twin
     (rt-app still lacks them).
  3. nsg-gateway-subnet (new, hub) on GatewaySubnet -> NSG107.
  4. rt-app also associated with snet-appgw -> AGW102 (v2 gateway subnet with 0.0.0.0/0 to the
     firewall) and RTE105 (route table shared by two subnets).
  5. nsg-vm-legacy-01 (new) on vm-legacy-01-nic: Deny-SSH-From-Internet 100, Allow-HTTPS-From-AppGw-
     Frontend 150 (source 10.1.3.10 only), Allow-Mgmt-From-Anywhere 200 (22 and 3389, plural ports),
     Deny-All-Inbound 4096 -> NSG105 (3389 only: 22 is denied first), AGW103 (with 6).
     snet-vm-legacy itself keeps no NSG (NSG106 still fires there).
  6. agw-app: backend pool pool-legacy with 10.1.4.4 (vm-legacy-01) -> AGW103; pool-app (10.1.1.4)
     is the twin.
  7. rt-shared-pe-routes (new, hub, not associated): 362 per-endpoint /32 routes, to-old-nva
     10.9.0.0/16 -> VirtualAppliance 10.0.5.4 (no such address), blackhole-legacy 10.8.0.0/16 -> None
     -> RTE102, RTE103, RTE104.
  8. fl-vnet-hub (new VNet flow log on vnet-hub in the connectivity subscription, Traffic Analytics to
     law-central) and Microsoft.Insights "Registering" in that subscription -> FLW102 (low); vnet-hub
     is now covered, FLW104 still fires on vnet-spoke-data.
"""

import copy
import json
import pathlib

PATH = pathlib.Path(__file__).resolve().parent / "src" / "demo" / "tenant.json"

HUB = "/subscriptions/11111111-1111-4111-8111-111111111111"
WL = "/subscriptions/22222222-2222-4222-8222-222222222222"
HUB_NET = f"{HUB}/resourceGroups/rg-hub-network/providers/Microsoft.Network"
APP_NET = f"{WL}/resourceGroups/rg-app/providers/Microsoft.Network"
LAW = "/subscriptions/33333333-3333-4333-8333-333333333333/resourceGroups/rg-monitor/providers/Microsoft.OperationalInsights/workspaces/law-central"


def by_name(items, name):
    for item in items:
        if item.get("name") == name:
            return item
    raise KeyError(name)


def ensure(items, obj, key="name"):
    """Insert obj, or replace the item with the same key."""
    for i, item in enumerate(items):
        if item.get(key) == obj[key]:
            items[i] = obj
            return
    items.append(obj)


def ensure_ref(refs, rid):
    if not any(r.get("id", "").lower() == rid.lower() for r in refs):
        refs.append({"id": rid})


def sec_rule(nsg_id, name, prio, direction, access, proto, src, dst, ports, description=None):
    props = {"provisioningState": "Succeeded", "protocol": proto, "sourcePortRange": "*",
             "access": access, "priority": prio, "direction": direction,
             "sourcePortRanges": [], "destinationPortRanges": [],
             "sourceAddressPrefixes": [], "destinationAddressPrefixes": []}
    if description:
        props["description"] = description
    for single, plural, value in (("sourceAddressPrefix", "sourceAddressPrefixes", src),
                                  ("destinationAddressPrefix", "destinationAddressPrefixes", dst),
                                  ("destinationPortRange", "destinationPortRanges", ports)):
        if isinstance(value, list):
            props[plural] = value
        else:
            props[single] = value
    return {"name": name, "id": f"{nsg_id}/securityRules/{name}",
            "type": "Microsoft.Network/networkSecurityGroups/securityRules", "properties": props}


def default_rules(template_nsg, nsg_id):
    out = []
    for r in template_nsg["properties"].get("defaultSecurityRules", []):
        r = copy.deepcopy(r)
        r.pop("etag", None)
        r["id"] = f"{nsg_id}/defaultSecurityRules/{r['name']}"
        out.append(r)
    return out


def new_nsg(template_nsg, nsg_id, name, rules, subnets=(), nics=()):
    return {"name": name, "id": nsg_id, "type": "Microsoft.Network/networkSecurityGroups",
            "location": "westeurope", "tags": {},
            "properties": {"provisioningState": "Succeeded", "securityRules": rules,
                           "defaultSecurityRules": default_rules(template_nsg, nsg_id),
                           "subnets": [{"id": s} for s in subnets],
                           "networkInterfaces": [{"id": n} for n in nics]}}


def route(rt_id, name, prefix, hop, ip=None):
    props = {"provisioningState": "Succeeded", "addressPrefix": prefix, "nextHopType": hop,
             "hasBgpOverride": False}
    if ip:
        props["nextHopIpAddress"] = ip
    return {"name": name, "id": f"{rt_id}/routes/{name}",
            "type": "Microsoft.Network/routeTables/routes", "properties": props}


def subnet_of(inv, vnet, name):
    return by_name(by_name(inv["virtual_networks"], vnet)["properties"]["subnets"], name)


def main():
    doc = json.loads(PATH.read_text(encoding="utf-8"))
    inv = doc["inventory"]
    nsgs = inv["network_security_groups"]
    rts = inv["route_tables"]
    nsg_app = by_name(nsgs, "nsg-app")

    # 1. Egress posture on nsg-app.
    rules = nsg_app["properties"]["securityRules"]
    ensure(rules, sec_rule(nsg_app["id"], "Allow-To-VNet-Outbound", 100, "Outbound", "Allow", "*",
                           "*", "VirtualNetwork", "*", "East-west to the network"))
    ensure(rules, sec_rule(nsg_app["id"], "Deny-Internet-Outbound", 4000, "Outbound", "Deny", "*",
                           "*", "Internet", "*", "No direct Internet egress"))

    # 2. KMS routes on rt-data (the twin of rt-app).
    rt_data = by_name(rts, "rt-data")
    for name, ip in (("kms-azkms-1", "20.118.99.224"), ("kms-azkms-2", "40.83.235.53"),
                     ("kms-kms", "23.102.135.246")):
        ensure(rt_data["properties"]["routes"], route(rt_data["id"], name, f"{ip}/32", "Internet"))

    # 3. An NSG on the hub GatewaySubnet.
    gw_subnet = subnet_of(inv, "vnet-hub", "GatewaySubnet")
    gw_nsg_id = f"{HUB_NET}/networkSecurityGroups/nsg-gateway-subnet"
    ensure(nsgs, new_nsg(nsg_app, gw_nsg_id, "nsg-gateway-subnet", [], subnets=[gw_subnet["id"]]))
    gw_subnet["properties"]["networkSecurityGroup"] = {"id": gw_nsg_id}

    # 4. rt-app shared with the App Gateway subnet.
    rt_app = by_name(rts, "rt-app")
    appgw_subnet = subnet_of(inv, "vnet-spoke-app", "snet-appgw")
    appgw_subnet["properties"]["routeTable"] = {"id": rt_app["id"]}
    ensure_ref(rt_app["properties"].setdefault("subnets", []), appgw_subnet["id"])

    # 5. NIC-level NSG on vm-legacy-01.
    nic = by_name(inv["network_interfaces"], "vm-legacy-01-nic")
    legacy_id = f"{APP_NET}/networkSecurityGroups/nsg-vm-legacy-01"
    legacy_rules = [
        sec_rule(legacy_id, "Deny-SSH-From-Internet", 100, "Inbound", "Deny", "Tcp", "Internet", "*", "22"),
        sec_rule(legacy_id, "Allow-HTTPS-From-AppGw-Frontend", 150, "Inbound", "Allow", "Tcp",
                 "10.1.3.10", "*", "443", "Only the gateway's frontend IP"),
        sec_rule(legacy_id, "Allow-Mgmt-From-Anywhere", 200, "Inbound", "Allow", "Tcp", "*", "*",
                 ["22", "3389"], "Temporary: vendor support access"),
        sec_rule(legacy_id, "Deny-All-Inbound", 4096, "Inbound", "Deny", "*", "*", "*", "*"),
    ]
    ensure(nsgs, new_nsg(nsg_app, legacy_id, "nsg-vm-legacy-01", legacy_rules, nics=[nic["id"]]))
    nic["properties"]["networkSecurityGroup"] = {"id": legacy_id}

    # 6. A backend pool with the legacy VM on agw-app.
    agw = by_name(inv["application_gateways"], "agw-app")
    ensure(agw["properties"]["backendAddressPools"], {
        "name": "pool-legacy", "id": f"{agw['id']}/backendAddressPools/pool-legacy",
        "type": "Microsoft.Network/applicationGateways/backendAddressPools",
        "properties": {"provisioningState": "Succeeded", "backendAddresses": [{"ipAddress": "10.1.4.4"}]}})

    # 7. A route table near the limit with a dangling appliance and a blackhole.
    big_id = f"{HUB_NET}/routeTables/rt-shared-pe-routes"
    routes = []
    for i in range(362):
        octet3, host = (2, 4 + i) if i < 250 else (2, 4 + i - 250)
        second = 1 if i < 250 else 2
        addr = f"10.{second}.{octet3}.{host}"
        routes.append(route(big_id, f"pe-{addr.replace('.', '-')}", f"{addr}/32", "VirtualAppliance", "10.0.1.4"))
    routes.append(route(big_id, "to-old-nva", "10.9.0.0/16", "VirtualAppliance", "10.0.5.4"))
    routes.append(route(big_id, "blackhole-legacy", "10.8.0.0/16", "None"))
    ensure(rts, {"name": "rt-shared-pe-routes", "id": big_id, "type": "Microsoft.Network/routeTables",
                 "location": "westeurope", "tags": {},
                 "properties": {"provisioningState": "Succeeded", "disableBgpRoutePropagation": True,
                                "routes": routes, "subnets": []}})

    # 8. A VNet flow log in the connectivity subscription, where Microsoft.Insights is registering.
    fl_template = by_name(inv["flow_logs"], "fl-vnet-spoke-app")
    fl = copy.deepcopy(fl_template)
    fl.pop("etag", None)
    fl["name"] = "fl-vnet-hub"
    fl["id"] = f"{HUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope/flowLogs/fl-vnet-hub"
    vnet_hub = by_name(inv["virtual_networks"], "vnet-hub")
    fl["properties"]["targetResourceId"] = vnet_hub["id"]
    fl["properties"].pop("targetResourceGuid", None)
    fl["properties"]["storageId"] = f"{HUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Storage/storageAccounts/stflowlogshub"
    fl["properties"]["flowAnalyticsConfiguration"]["networkWatcherFlowAnalyticsConfiguration"]["workspaceResourceId"] = LAW
    ensure(inv["flow_logs"], fl)
    for p in inv["resource_providers"]:
        if p["id"].lower() == f"{HUB}/providers/Microsoft.Insights".lower():
            p["registrationState"] = "Registering"

    PATH.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
