#!/usr/bin/env python3
"""Generate the `contoso` ARM fixture tenant from src/demo/tenant.json.

Usage:
    python3 wiremock-fixtures/generate.py           # regenerate contoso/ and verify it
    python3 wiremock-fixtures/generate.py --check   # only verify the files on disk

The snapshot's inventory holds ARM resource objects exactly as ARM returns
them.  This script serves them again as the paged ARM list responses that the
collector requests, writes one JSON file per page, a manifest mapping each
request (path + api-version) to its pages, and the per-kind object counts a
complete collection must yield.  Python 3 standard library only; the output
depends on nothing but the snapshot, so reruns are byte-identical.

After writing, the files are read back and verified; any mismatch is printed
and the script exits with status 1.
"""

import json
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

HERE = Path(__file__).resolve().parent
SNAPSHOT = HERE.parent / "src" / "demo" / "tenant.json"
OUT = HERE / "contoso"
HOST = "https://management.azure.com"

SUB_CONNECTIVITY = "11111111-1111-4111-8111-111111111111"
SUB_WORKLOADS = "22222222-2222-4222-8222-222222222222"
SUB_MANAGEMENT = "33333333-3333-4333-8333-333333333333"

# Subscriptions the identity can list (GET /subscriptions) and scan.
LISTABLE_SUBS = [SUB_CONNECTIVITY, SUB_WORKLOADS]
# Subscriptions whose resource providers are readable (the management
# subscription is not listable but its providers can be read).
PROVIDER_SUBS = [SUB_CONNECTIVITY, SUB_WORKLOADS, SUB_MANAGEMENT]

SUBSCRIPTIONS_API = "2022-12-01"
PROVIDERS_API = "2025-04-01"

# Subscription-scope lists:
# (inventory key, provider type, api-version, file stem, end marker)
# end marker: "omit" -> last page has no nextLink field,
#             "null" -> last page has "nextLink": null.
SUB_LISTS = [
    ("network_security_groups", "Microsoft.Network/networkSecurityGroups", "2024-05-01", "nsgs", "omit"),
    ("route_tables", "Microsoft.Network/routeTables", "2024-05-01", "route-tables", "omit"),
    ("virtual_networks", "Microsoft.Network/virtualNetworks", "2024-05-01", "vnets", "omit"),
    ("private_endpoints", "Microsoft.Network/privateEndpoints", "2024-05-01", "private-endpoints", "omit"),
    ("network_interfaces", "Microsoft.Network/networkInterfaces", "2024-05-01", "nics", "omit"),
    ("network_watchers", "Microsoft.Network/networkWatchers", "2024-05-01", "network-watchers", "omit"),
    ("application_gateways", "Microsoft.Network/applicationGateways", "2024-07-01", "app-gateways", "omit"),
    ("azure_firewalls", "Microsoft.Network/azureFirewalls", "2024-05-01", "firewalls", "omit"),
    ("private_dns_zones", "Microsoft.Network/privateDnsZones", "2024-06-01", "private-dns-zones", "null"),
    ("express_route_circuits", "Microsoft.Network/expressRouteCircuits", "2024-05-01", "er-circuits", "omit"),
    ("key_vaults", "Microsoft.KeyVault/vaults", "2024-11-01", "key-vaults", "omit"),
    ("recovery_services_vaults", "Microsoft.RecoveryServices/vaults", "2025-02-01", "rs-vaults", "omit"),
]

# Child lists, one request per parent object:
# (inventory key, parent inventory key, path suffix, api-version, folder,
#  file suffix, end marker)
CHILD_LISTS = [
    ("flow_logs", "network_watchers", "/flowLogs", "2024-05-01", "watchers", "flow-logs", "omit"),
    ("virtual_network_links", "private_dns_zones", "/virtualNetworkLinks", "2024-06-01", "zones", "links", "null"),
    ("record_sets", "private_dns_zones", "/A", "2024-06-01", "zones", "a", "null"),
    ("diagnostic_settings", "key_vaults", "/providers/Microsoft.Insights/diagnosticSettings",
     "2021-05-01-preview", "vaults", "diagnostic-settings", "omit"),
    ("resource_guard_proxies", "recovery_services_vaults", "/backupResourceGuardProxies", "2025-02-01",
     "rs-vaults", "guard-proxies", "omit"),
]

# Paging plans, keyed by (subscription id, inventory key).  A plan is a list
# of page sizes; None means "all remaining items".  Lists without a plan are
# served as a single page.
PAGING = {
    # 2 items in the snapshot: one per page so the list really spans 2 pages.
    (SUB_WORKLOADS, "virtual_networks"): "chunks:1",
    # 9 items: 2 + 2 + 2 + 2 + 1.
    (SUB_WORKLOADS, "network_interfaces"): "chunks:2",
    # 1 item, an empty page that still carries a nextLink, then the rest.
    (SUB_WORKLOADS, "network_security_groups"): [1, 0, None],
}


# Virtual network gateways, their connections and local network gateways: ARM lists them per
# resource group only, so the collector GETs each gateway its VNet's gateway subnet names, lists
# each gateway's connections, and GETs each local network gateway a connection uses.
GATEWAYS_API = "2024-05-01"
GATEWAY_TYPE = "/providers/microsoft.network/virtualnetworkgateways/"

# The cloud's service tags: one GET (at the location of the first scanned subscription's VNets),
# served in pages of this many tags.
SERVICE_TAGS_API = "2024-05-01"
SERVICE_TAGS_PAGE = 2


def short(sub_id):
    return sub_id[:4]


def sub_of(resource_id):
    parts = resource_id.split("/")
    if len(parts) < 3 or parts[1].lower() != "subscriptions":
        raise ValueError(f"not a subscription-scoped id: {resource_id}")
    return parts[2].lower()


def under(resource_id, prefix):
    """Case-insensitive 'resource_id lies strictly below prefix'."""
    return resource_id.lower().startswith(prefix.rstrip("/").lower() + "/")


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def split_pages(items, plan):
    if plan is None:
        return [list(items)]
    if isinstance(plan, str):
        size = int(plan.split(":", 1)[1])
        pages = [items[i:i + size] for i in range(0, len(items), size)]
        return pages or [[]]
    pages, pos = [], 0
    for size in plan:
        if size is None:
            pages.append(items[pos:])
            pos = len(items)
        else:
            pages.append(items[pos:pos + size])
            pos += size
    if pos != len(items):
        raise ValueError(f"paging plan {plan} does not cover {len(items)} items")
    return pages


def next_link(path, api_version, page_number):
    return f"{HOST}{path}?api-version={api_version}&$skiptoken=page{page_number}"


def load_snapshot():
    with open(SNAPSHOT, encoding="utf-8") as f:
        snap = json.load(f)
    if snap.get("kind") != "azaudit-snapshot":
        raise SystemExit(f"{SNAPSHOT}: not an azaudit snapshot")
    return snap["inventory"]


def plan_requests(inv):
    """Return the list of requests to serve:
    dicts with path, api_version, key, folder, stem, items, plan, end."""
    requests = []

    subs = [s for s in inv["subscriptions"] if s["subscriptionId"].lower() in LISTABLE_SUBS]
    requests.append(dict(path="/subscriptions", api_version=SUBSCRIPTIONS_API, key="subscriptions",
                         folder="root", stem="subscriptions", items=subs, plan=None, end="omit"))

    for sub in PROVIDER_SUBS:
        items = [p for p in inv["resource_providers"] if under(p["id"], f"/subscriptions/{sub}")]
        requests.append(dict(path=f"/subscriptions/{sub}/providers", api_version=PROVIDERS_API,
                             key="resource_providers", folder=short(sub), stem="providers",
                             items=items, plan=None, end="omit"))

    served_parents = {}  # inventory key -> [(subscription, object)]
    for sub in LISTABLE_SUBS:
        for key, rtype, api, stem, end in SUB_LISTS:
            items = [o for o in inv.get(key, []) if under(o["id"], f"/subscriptions/{sub}")]
            served_parents.setdefault(key, []).extend((sub, o) for o in items)
            requests.append(dict(path=f"/subscriptions/{sub}/providers/{rtype}", api_version=api,
                                 key=key, folder=short(sub), stem=stem, items=items,
                                 plan=PAGING.get((sub, key)), end=end))

    # Single GETs: Recovery Services vaults are read one by one for their security settings.
    for sub, vault in served_parents.get("recovery_services_vaults", []):
        requests.append(dict(path=vault["id"], api_version="2025-02-01", key=None, get=True,
                             folder=f"{short(sub)}/rs-vaults", stem=f"{safe_name(vault['name'])}.get",
                             items=[vault], plan=None, end="omit"))

    requests.extend(gateway_requests(inv))
    requests.extend(service_tag_requests(inv))

    for key, parent_key, suffix, api, folder, file_suffix, end in CHILD_LISTS:
        for sub, parent in served_parents.get(parent_key, []):
            base = parent["id"] + suffix
            items = [o for o in inv.get(key, []) if under(o["id"], base)]
            requests.append(dict(path=base, api_version=api, key=key,
                                 folder=f"{short(sub)}/{folder}",
                                 stem=f"{safe_name(parent['name'])}.{file_suffix}",
                                 items=items, plan=PAGING.get((sub, key)), end=end))
    return requests


def gateway_requests(inv):
    """GETs of the gateways the served VNets' subnets name, their connection lists, and GETs of
    the local network gateways those connections use."""
    requests, gateways = [], []
    by_id = {g["id"].lower(): g for g in inv.get("virtual_network_gateways", [])}
    for sub in LISTABLE_SUBS:
        for vnet in inv.get("virtual_networks", []):
            if not under(vnet["id"], f"/subscriptions/{sub}"):
                continue
            for subnet in vnet["properties"].get("subnets", []):
                for config in subnet["properties"].get("ipConfigurations", []):
                    lower = config["id"].lower()
                    at = lower.find(GATEWAY_TYPE)
                    if at < 0:
                        continue
                    name_end = lower.find("/", at + len(GATEWAY_TYPE))
                    gw = by_id.get(lower[:name_end if name_end >= 0 else len(lower)])
                    if gw is not None and gw not in gateways:
                        gateways.append(gw)
    sites = []
    for gw in gateways:
        sub = sub_of(gw["id"])
        requests.append(dict(path=gw["id"], api_version=GATEWAYS_API, key="virtual_network_gateways",
                             get=True, folder=f"{short(sub)}/gateways", stem=f"{safe_name(gw['name'])}.get",
                             items=[gw], plan=None, end="omit"))
        connections = [c for c in inv.get("virtual_network_gateway_connections", [])
                       if gw["id"].lower() in {(c["properties"].get(k) or {}).get("id", "").lower()
                                               for k in ("virtualNetworkGateway1", "virtualNetworkGateway2")}]
        requests.append(dict(path=gw["id"] + "/connections", api_version=GATEWAYS_API,
                             key="virtual_network_gateway_connections", folder=f"{short(sub)}/gateways",
                             stem=f"{safe_name(gw['name'])}.connections", items=connections, plan=None,
                             end="omit"))
        for c in connections:
            ref = (c["properties"].get("localNetworkGateway2") or {}).get("id", "").lower()
            site = next((l for l in inv.get("local_network_gateways", []) if l["id"].lower() == ref), None)
            if site is not None and site not in sites:
                sites.append(site)
    for site in sites:
        sub = sub_of(site["id"])
        requests.append(dict(path=site["id"], api_version=GATEWAYS_API, key="local_network_gateways",
                             get=True, folder=f"{short(sub)}/local-gateways",
                             stem=f"{safe_name(site['name'])}.get", items=[site], plan=None, end="omit"))
    return requests


def service_tag_requests(inv):
    """The service-tags list, one per cloud: served in every scanned subscription (at its VNets'
    location), since the collector reads it in the first one it can read. Only the first
    subscription's copy is the snapshot's object and counts; the others name their own
    subscription in `id`."""
    lists = inv.get("service_tags", [])
    if not lists:
        return []
    requests = []
    for n, sub in enumerate(LISTABLE_SUBS):
        locations = [v["location"] for v in inv["virtual_networks"] if under(v["id"], f"/subscriptions/{sub}")]
        if not locations:
            continue
        tag_list = dict(lists[0])
        tag_list["id"] = re.sub(r"^/subscriptions/[^/]+", f"/subscriptions/{sub}", tag_list["id"])
        requests.append(dict(path=f"/subscriptions/{sub}/providers/Microsoft.Network/locations/{min(locations)}/serviceTags",
                             api_version=SERVICE_TAGS_API, key="service_tags" if n == 0 else None, tags=True,
                             folder=short(sub), stem="service-tags", items=[tag_list], plan=None, end="omit"))
    return requests


def tag_pages(tag_list, path, api_version):
    """A service-tags list as ARM pages it: the list's fields on every page, `values` split."""
    values = tag_list["values"]
    chunks = [values[i:i + SERVICE_TAGS_PAGE] for i in range(0, len(values), SERVICE_TAGS_PAGE)] or [[]]
    pages = []
    for i, chunk in enumerate(chunks):
        page = {k: v for k, v in tag_list.items() if k not in ("values", "nextLink")}
        page["values"] = chunk
        if i + 1 < len(chunks):
            page["nextLink"] = next_link(path, api_version, i + 2)
        pages.append(page)
    return pages


def merged_tag_list(pages):
    """The one list the collector keeps from a paged service-tags answer."""
    merged = {k: v for k, v in pages[0].items() if k != "nextLink"}
    merged["values"] = [t for p in pages for t in p["values"]]
    return merged


def dump(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def write(rel, obj):
    target = OUT / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="\n") as f:
        f.write(dump(obj))


def generate(inv):
    requests = plan_requests(inv)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)

    manifest, seen_files = [], set()
    counts = {key: 0 for key in inv}
    for req in requests:
        if req.get("get"):
            rel = f"{req['folder']}/{req['stem']}.json"
            write(rel, req["items"][0])
            manifest.append({"path": req["path"], "api_version": req["api_version"], "pages": [rel], "get": True})
            if req["key"]:
                counts[req["key"]] = counts.get(req["key"], 0) + 1
            continue
        if req.get("tags"):
            files = []
            for i, page in enumerate(tag_pages(req["items"][0], req["path"], req["api_version"])):
                rel = f"{req['folder']}/{req['stem']}.p{i + 1}.json"
                write(rel, page)
                files.append(rel)
            manifest.append({"path": req["path"], "api_version": req["api_version"], "pages": files, "tags": True})
            if req["key"]:
                counts[req["key"]] = counts.get(req["key"], 0) + 1
            continue
        pages = split_pages(req["items"], req["plan"])
        files = []
        for i, page_items in enumerate(pages):
            body = {"value": page_items}
            if i + 1 < len(pages):
                body["nextLink"] = next_link(req["path"], req["api_version"], i + 2)
            elif req["end"] == "null":
                body["nextLink"] = None
            rel = f"{req['folder']}/{req['stem']}.p{i + 1}.json"
            if rel in seen_files:
                raise SystemExit(f"file name collision: {rel}")
            seen_files.add(rel)
            write(rel, body)
            files.append(rel)
        manifest.append({"path": req["path"], "api_version": req["api_version"], "pages": files})
        counts[req["key"]] = counts.get(req["key"], 0) + len(req["items"])

    manifest.sort(key=lambda e: (e["path"], e["api_version"]))
    write("manifest.json", manifest)
    write("expected-counts.json", dict(sorted(counts.items())))
    return manifest


# ---------------------------------------------------------------------------
# Verification: reads everything back from disk.


def canon(obj):
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def verify(inv):
    errors = []
    err = errors.append

    # 1. Every file is UTF-8 JSON.
    on_disk, unreadable = {}, set()
    for p in sorted(OUT.rglob("*")):
        if p.is_file():
            rel = p.relative_to(OUT).as_posix()
            try:
                on_disk[rel] = json.loads(p.read_bytes().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                err(f"{rel}: not valid UTF-8 JSON: {e}")
                unreadable.add(rel)
    manifest = on_disk.get("manifest.json")
    counts = on_disk.get("expected-counts.json")
    if not isinstance(manifest, list) or not isinstance(counts, dict):
        err("manifest.json or expected-counts.json missing or malformed")
        return errors

    # 2. Manifest shape, order, uniqueness, and no unreferenced files.
    keys = [(e["path"], e["api_version"]) for e in manifest]
    if keys != sorted(keys):
        err("manifest.json is not sorted by (path, api_version)")
    if len(set(keys)) != len(keys):
        err("manifest.json has duplicate (path, api_version) entries")
    referenced = [f for e in manifest for f in e["pages"]]
    if len(set(referenced)) != len(referenced):
        err("a page file is referenced more than once")
    stray = set(on_disk) - set(referenced) - {"manifest.json", "expected-counts.json"}
    missing = set(referenced) - set(on_disk) - unreadable
    if stray:
        err(f"files not referenced by the manifest: {sorted(stray)}")
    if missing:
        err(f"files referenced but missing: {sorted(missing)}")
    if missing or unreadable:
        return errors

    # 3. The manifest holds exactly the requests the collector makes.
    expected_requests = {(r["path"], r["api_version"]): r for r in plan_requests(inv)}
    if set(keys) != set(expected_requests):
        err(f"manifest requests differ: extra {sorted(set(keys) - set(expected_requests))}, "
            f"missing {sorted(set(expected_requests) - set(keys))}")

    # 4. Page bodies and nextLinks.
    served = {key: [] for key in inv}
    for entry in manifest:
        path, api = entry["path"], entry["api_version"]
        req = expected_requests.get((path, api))
        pages = entry["pages"]
        if entry.get("get"):
            if req is None or len(pages) != 1 or canon(on_disk.get(pages[0])) != canon(req["items"][0]):
                err(f"{path}: single GET body differs from the snapshot's object")
            elif req["key"]:
                served.setdefault(req["key"], []).append(on_disk[pages[0]])
            continue
        if entry.get("tags"):
            bodies = [on_disk[rel] for rel in pages]
            for i, body in enumerate(bodies[:-1]):
                if body.get("nextLink") != next_link(path, api, i + 2):
                    err(f"{pages[i]}: nextLink does not point to page {i + 2}")
            if "nextLink" in bodies[-1]:
                err(f"{pages[-1]}: last page must not carry a nextLink field")
            merged = merged_tag_list(bodies)
            if req is None or canon(merged) != canon(req["items"][0]):
                err(f"{path}: the merged pages differ from the snapshot's service-tags list")
            elif req["key"]:
                served.setdefault(req["key"], []).append(merged)
            continue
        if not pages:
            err(f"{path}: no pages")
            continue
        values = []
        for i, rel in enumerate(pages):
            body = on_disk[rel]
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                err(f"{rel}: body is not an object with a 'value' array")
                continue
            if set(body) - {"value", "nextLink"}:
                err(f"{rel}: unexpected top-level fields {sorted(set(body) - {'value', 'nextLink'})}")
            values.extend(body["value"])
            last = i + 1 == len(pages)
            if not last:
                link = body.get("nextLink")
                if not isinstance(link, str):
                    err(f"{rel}: continuing page without a nextLink")
                    continue
                u = urlsplit(link)
                q = parse_qsl(u.query, keep_blank_values=True)
                want = [("api-version", api), ("$skiptoken", f"page{i + 2}")]
                if (u.scheme, u.netloc) != ("https", "management.azure.com") or u.path != path or q != want:
                    err(f"{rel}: nextLink {link!r} does not point to {path} {want}")
                if link != next_link(path, api, i + 2):
                    err(f"{rel}: nextLink {link!r} is not in canonical form")
            else:
                end = req["end"] if req else "omit"
                if end == "omit" and "nextLink" in body:
                    err(f"{rel}: last page must not carry a nextLink field")
                if end == "null" and ("nextLink" not in body or body["nextLink"] is not None):
                    err(f"{rel}: last page must end with \"nextLink\": null")
        if req is None:
            continue
        # Every item lies in the request's scope.
        child_keys = {c[0] for c in CHILD_LISTS}
        for o in values:
            oid = o.get("id", "")
            if req["key"] == "subscriptions":
                ok = oid.lower() in {f"/subscriptions/{s}" for s in LISTABLE_SUBS}
            elif req["key"] == "virtual_network_gateway_connections":
                gateway = path[: -len("/connections")].lower()
                ok = gateway in {(o["properties"].get(k) or {}).get("id", "").lower()
                                 for k in ("virtualNetworkGateway1", "virtualNetworkGateway2")}
            elif req["key"] in child_keys:
                ok = under(oid, path)
            else:  # subscription-scope list or providers
                ok = under(oid, "/".join(path.split("/")[:3]))
            if not ok:
                err(f"{path}: item {oid} is outside the request's scope")
        if [canon(v) for v in values] != [canon(v) for v in req["items"]]:
            err(f"{path}?api-version={api}: concatenated pages differ from the snapshot's objects")
        served.setdefault(req["key"], []).extend(values)

    # 5. Nothing lost, duplicated or altered, per inventory kind, against the
    #    snapshot filtered independently by scope.
    def in_scope(key, o):
        if key == "subscriptions":
            return o["subscriptionId"].lower() in LISTABLE_SUBS
        if key == "resource_providers":
            return sub_of(o["id"]) in PROVIDER_SUBS
        return sub_of(o["id"]) in LISTABLE_SUBS

    for key, objs in inv.items():
        want = sorted(canon(o) for o in objs if in_scope(key, o))
        got = sorted(canon(o) for o in served[key])
        if want != got:
            err(f"{key}: served {len(got)} objects, snapshot scope has {len(want)} (or contents differ)")
        if counts.get(key) != len(want):
            err(f"expected-counts.json: {key} = {counts.get(key)}, snapshot scope has {len(want)}")
    if not set(inv) <= set(counts) or any(counts[k] for k in set(counts) - set(inv)):
        err("expected-counts.json keys differ from the inventory keys")

    # 6. Byte-for-byte: every file is in the canonical pretty-printed form.
    for rel, obj in on_disk.items():
        if (OUT / rel).read_text(encoding="utf-8") != dump(obj):
            err(f"{rel}: not in canonical pretty-printed form")
    return errors


def main(argv):
    inv = load_snapshot()
    if "--check" not in argv:
        generate(inv)
    errors = verify(inv)
    if errors:
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        return 1
    manifest = json.loads((OUT / "manifest.json").read_text(encoding="utf-8"))
    n_pages = sum(len(e["pages"]) for e in manifest)
    print(f"ok: {len(manifest)} requests, {n_pages} pages in {OUT.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
