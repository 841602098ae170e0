//! Conformance against Microsoft's ARM examples (`../shared/arm-examples/`, or the folder named by
//! `AZAUDIT_ARM_EXAMPLES`; CI fetches them at the commits pinned in `tests/arm-examples.tsv`):
//! every response body parses with azaudit's parser for its kind, no field the inventory models
//! lands in a catch-all `extra` map, and the manifest, the folder and its SOURCES.md agree. The
//! values read through the typed structs are checked in `arm_example_values.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use azaudit::inventory::ResourceKind;
use serde_json::Value;

use crate::common::examples::examples_dir;

/// The manifest CI fetches the examples from: local path, source path, commit, character count.
const MANIFEST: &str = include_str!("../arm-examples.tsv");

struct ManifestEntry {
    source: String,
    commit: String,
    chars: usize,
}

fn manifest() -> BTreeMap<String, ManifestEntry> {
    parse_manifest(MANIFEST)
}

fn parse_manifest(text: &str) -> BTreeMap<String, ManifestEntry> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [local, source, commit, chars] = cols[..] else {
            panic!(
                "tests/arm-examples.tsv line {}: want 4 tab-separated columns, got {line:?}",
                n + 1
            );
        };
        let entry = ManifestEntry {
            source: source.to_string(),
            commit: commit.to_string(),
            chars: chars.parse().unwrap_or_else(|_| {
                panic!("tests/arm-examples.tsv line {}: bad count {chars:?}", n + 1)
            }),
        };
        assert!(
            out.insert(local.to_string(), entry).is_none(),
            "tests/arm-examples.tsv lists {local} twice"
        );
    }
    out
}

/// Which parser reads each example file. A file missing here fails the test, so a new example cannot
/// be skipped silently.
fn kind_of(file: &str) -> Option<ResourceKind> {
    use ResourceKind::*;
    Some(match file {
        "dataprotection/GetResourceGuard.json" => ResourceGuard,
        "keyvault/createVaultWithNetworkAcls.json"
        | "keyvault/getVault.json"
        | "keyvault/listVaultBySubscription.json" => KeyVault,
        "keyvault/getPrivateEndpointConnection.json"
        | "keyvault/listPrivateEndpointConnection.json" => KeyVaultPrivateEndpointConnection,
        "monitor/getDiagnosticSetting.json" | "monitor/listDiagnosticSettings.json" => {
            DiagnosticSetting
        }
        "monitor/listDiagnosticSettingsCategories.json" => DiagnosticSettingsCategory,
        "network/ApplicationGatewayGet.json" => ApplicationGateway,
        "network/AzureFirewallGet.json" => AzureFirewall,
        "network/NetworkInterfaceEffectiveNSGList.json" => EffectiveNetworkSecurityGroups,
        "network/NetworkInterfaceEffectiveRouteTableList.json" => EffectiveRouteTable,
        "network/NetworkInterfaceGet.json" | "network/NetworkInterfaceListAll.json" => {
            NetworkInterface
        }
        "network/NetworkSecurityGroupGet.json" | "network/NetworkSecurityGroupListAll.json" => {
            NetworkSecurityGroup
        }
        "network/NetworkWatcherFlowLogGet.json" | "network/NetworkWatcherFlowLogList.json" => {
            FlowLog
        }
        "network/NetworkWatcherListAll.json" => NetworkWatcher,
        "network/PrivateEndpointGet.json" | "network/PrivateEndpointListAll.json" => {
            PrivateEndpoint
        }
        "network/RouteTableGet.json"
        | "network/RouteTableList.json"
        | "network/RouteTableListAll.json" => RouteTable,
        "network/SubnetGet.json" => Subnet,
        "network/VirtualNetworkGatewayGet.json" => VirtualNetworkGateway,
        "network/VirtualNetworkGetWithSubnetDelegation.json"
        | "network/VirtualNetworkListAll.json" => VirtualNetwork,
        "network/VirtualNetworkPeeringGet.json" => VirtualNetworkPeering,
        "privatedns/PrivateZoneListInSubscription.json" => PrivateDnsZone,
        "privatedns/RecordSetAList.json" => RecordSet,
        "privatedns/VirtualNetworkLinkGet.json" | "privatedns/VirtualNetworkLinkList.json" => {
            VirtualNetworkLink
        }
        "recoveryservices/GETVault.json" | "recoveryservices/ListBySubscriptionIds.json" => {
            RecoveryServicesVault
        }
        "recoveryservices/GetResourceGuardProxy.json"
        | "recoveryservices/ListResourceGuardProxy.json" => ResourceGuardProxy,
        "resourcegraph/ResourcesBasicQuery.json"
        | "resourcegraph/ResourcesFirstPageQuery.json"
        | "resourcegraph/ResourcesNextPageQuery.json" => ResourceGraphQuery,
        "resources/GetProvider.json" | "resources/GetProviders.json" => ResourceProvider,
        _ => return None,
    })
}

/// Which parser reads each example of `../shared/arm-examples-next/` (examples of kinds the
/// inventory reads since the main set was pinned); files of kinds not read yet map to `None` and
/// are listed in [`NEXT_UNREAD`].
fn next_kind_of(file: &str) -> Option<ResourceKind> {
    use ResourceKind::*;
    Some(match file {
        "network/LocalNetworkGatewayGet.json" => LocalNetworkGateway,
        "network/VirtualNetworkGatewayConnectionGet.json" => VirtualNetworkGatewayConnection,
        "network/AzureFirewallPutInHub.json" => AzureFirewall,
        "network/ServiceTagsList.json" => ServiceTags,
        _ => return None,
    })
}

/// Examples of `arm-examples-next` whose kind the inventory does not read yet.
const NEXT_UNREAD: &[&str] = &[];

/// The `arm-examples-next` folder: beside the main examples folder (`AZAUDIT_ARM_EXAMPLES_NEXT`
/// overrides it); `None` when absent (it is not fetched by CI yet).
fn next_examples_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("AZAUDIT_ARM_EXAMPLES_NEXT") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/arm-examples-next"),
    };
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: no arm-examples-next folder at {}", dir.display());
        None
    }
}

/// The newer examples parse with their kind's parser, list bodies yield every item, and no key the
/// inventory models lands in `extra` (keys resembling a modeled field).
#[test]
fn next_examples_parse_and_keep_no_modeled_field_in_extra() {
    let Some(dir) = next_examples_dir() else {
        return;
    };
    let mut failures = Vec::new();
    let mut walk = FieldWalk::default();
    let files = example_files(&dir);
    assert!(
        files.len() >= 4,
        "arm-examples-next holds {} files",
        files.len()
    );
    for (rel, path) in &files {
        let Some(kind) = next_kind_of(rel) else {
            if !NEXT_UNREAD.contains(&rel.as_str()) {
                failures.push(format!(
                    "{rel}: no parser is mapped and it is not in NEXT_UNREAD"
                ));
            }
            continue;
        };
        let root = item_schema(kind);
        let title = root["title"].as_str().unwrap_or_default().to_string();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for (status, response) in doc["responses"].as_object().unwrap() {
            let Some(body) = response.get("body") else {
                continue;
            };
            match kind.parse_body(body) {
                Ok(n) if raw_items(body).is_some_and(|want| want != n) => {
                    failures.push(format!("{rel} ({status}): parsed {n} items"))
                }
                Ok(_) => {}
                Err(e) => failures.push(format!("{rel} ({status}, {kind:?}): {e}")),
            }
            let mut w = FieldWalk::default();
            w.walk(&root, &title, &root, body, "");
            walk.resembling.extend(
                w.resembling
                    .into_iter()
                    .map(|h| format!("{rel} {status} {h}")),
            );
            walk.reached
                .extend(w.reached.into_iter().map(|h| format!("{rel} {status} {h}")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        walk.resembling.is_empty(),
        "keys resembling a modeled field land in `extra`:\n{}",
        walk.resembling.join("\n")
    );
    for deep in [
        "network/LocalNetworkGatewayGet.json 200 .properties.localNetworkAddressSpace.addressPrefixes",
        "network/LocalNetworkGatewayGet.json 200 .properties.gatewayIpAddress",
        "network/VirtualNetworkGatewayConnectionGet.json 200 .properties.virtualNetworkGateway1.id",
        "network/VirtualNetworkGatewayConnectionGet.json 200 .properties.localNetworkGateway2.id",
        "network/VirtualNetworkGatewayConnectionGet.json 200 .properties.connectionType",
        "network/VirtualNetworkGatewayConnectionGet.json 200 .properties.connectionStatus",
        "network/VirtualNetworkGatewayConnectionGet.json 200 .properties.enableBgp",
        "network/AzureFirewallPutInHub.json 200 .properties.hubIPAddresses.privateIPAddress",
        "network/AzureFirewallPutInHub.json 200 .properties.virtualHub.id",
        "network/ServiceTagsList.json 200 .changeNumber",
        "network/ServiceTagsList.json 200 .values[4].properties.addressPrefixes",
        "network/ServiceTagsList.json 200 .values[4].properties.region",
    ] {
        assert!(
            walk.reached.iter().any(|s| s == deep),
            "the walk did not reach {deep}"
        );
    }
}

/// The connection example carries `sharedKey`, the IPsec pre-shared key: parsed and written back
/// (as a snapshot would hold it), it is gone, whatever the nesting; the typed values are read.
#[test]
fn a_connections_shared_key_never_reaches_the_inventory() {
    let Some(dir) = next_examples_dir() else {
        return;
    };
    let doc = crate::common::examples::read_example(
        &dir,
        "network/VirtualNetworkGatewayConnectionGet.json",
    );
    let body = &doc["responses"]["200"]["body"];
    assert_eq!(
        body["properties"]["sharedKey"], "Abc123",
        "the example carries the secret"
    );
    let c: azaudit::inventory::network::VirtualNetworkGatewayConnection =
        serde_json::from_value(body.clone()).unwrap();
    let inv = azaudit::inventory::Inventory {
        virtual_network_gateway_connections: vec![c.clone()],
        ..Default::default()
    };
    for text in [
        serde_json::to_string(&inv).unwrap(),
        serde_json::to_string_pretty(&c).unwrap(),
        format!("{c:?}"),
    ] {
        assert!(!text.to_ascii_lowercase().contains("sharedkey"), "{text}");
        assert!(!text.contains("Abc123"), "{text}");
    }
    let p = &c.properties;
    assert_eq!(p.enable_bgp, Some(false));
    assert_eq!(
        p.connection_type.as_ref().map(|t| t.as_str()),
        Some("IPsec")
    );
    assert_eq!(
        p.connection_status.as_ref().map(|t| t.as_str()),
        Some("Connecting")
    );
    assert!(
        p.local_network_gateway2
            .as_ref()
            .is_some_and(|g| g.id.ends_with("/localNetworkGateways/localgw"))
    );
    assert!(
        p.extra.contains_key("connectionProtocol"),
        "other fields are kept"
    );
    // A snapshot that held a key (written by hand, or by an older tool) loses it on load, in any casing.
    let mut raw = body.clone();
    raw["properties"]["SharedKey"] = "other".into();
    let c: azaudit::inventory::network::VirtualNetworkGatewayConnection =
        serde_json::from_value(raw).unwrap();
    assert!(!serde_json::to_string(&c).unwrap().contains("other\""));

    let lgw = crate::common::examples::read_example(&dir, "network/LocalNetworkGatewayGet.json");
    let l: azaudit::inventory::network::LocalNetworkGateway =
        serde_json::from_value(lgw["responses"]["200"]["body"].clone()).unwrap();
    assert_eq!(l.address_prefixes(), ["10.1.0.0/16"]);
    assert_eq!(l.properties.gateway_ip_address.as_deref(), Some("x.x.x.x"));
}

/// A snapshot written before the gateway kinds were read still loads, with empty lists.
#[test]
fn snapshots_without_gateway_connections_still_load() {
    let inv: azaudit::inventory::Inventory =
        serde_json::from_value(serde_json::json!({"virtual_networks": []})).unwrap();
    assert!(inv.local_network_gateways.is_empty());
    assert!(inv.virtual_network_gateway_connections.is_empty());
}

fn example_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for service in std::fs::read_dir(dir).unwrap() {
        let service = service.unwrap().path();
        if !service.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&service).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "json") {
                let rel = format!(
                    "{}/{}",
                    service.file_name().unwrap().to_string_lossy(),
                    f.file_name().unwrap().to_string_lossy()
                );
                out.push((rel, f));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_microsoft_example_body_parses() {
    let Some(dir) = examples_dir("every_microsoft_example_body_parses") else {
        return;
    };
    let files = example_files(&dir);
    assert!(
        !files.is_empty(),
        "no example files under {}",
        dir.display()
    );
    let mut failures = Vec::new();
    let mut bodies = 0;
    for (rel, path) in &files {
        let Some(kind) = kind_of(rel) else {
            failures.push(format!("{rel}: no parser is mapped to this example"));
            continue;
        };
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{rel} is not JSON: {e}"));
        let responses = doc["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{rel} has no responses"));
        for (status, response) in responses {
            let Some(body) = response.get("body") else {
                continue;
            };
            bodies += 1;
            match kind.parse_body(body) {
                // A list body must yield every item it holds, not merely parse.
                Ok(n) => match raw_items(body) {
                    Some(want) if n != want => failures.push(format!(
                        "{rel} (response {status}): parsed {n} items, the body holds {want}"
                    )),
                    None if n == 0 => {
                        failures.push(format!("{rel} (response {status}): parsed nothing"))
                    }
                    _ => {}
                },
                Err(e) => failures.push(format!("{rel} (response {status}, {kind:?}): {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "examples that do not parse:\n{}",
        failures.join("\n")
    );
    eprintln!(
        "{bodies} response bodies from {} example files parsed",
        files.len()
    );
}

/// How many items a body holds: the `value` array of an ARM page, or the `data` rows of a Resource
/// Graph answer; `None` for a single resource.
fn raw_items(body: &Value) -> Option<usize> {
    body.get("value")
        .or_else(|| body.get("data"))
        .and_then(Value::as_array)
        .map(Vec::len)
}

/// The manifest CI fetches from and the examples folder cannot drift apart: the same files, the same
/// character counts. Without the folder this still checks that every manifest entry has a parser.
#[test]
fn the_manifest_lists_exactly_the_example_files() {
    let manifest = manifest();
    assert!(
        !manifest.is_empty(),
        "tests/arm-examples.tsv lists no files"
    );
    for (local, entry) in &manifest {
        assert!(
            kind_of(local).is_some(),
            "{local}: in the manifest but no parser is mapped"
        );
        assert!(
            entry.commit.len() == 40 && entry.commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{local}: commit {:?} is not a full git hash",
            entry.commit
        );
        assert!(
            entry.source.starts_with("specification/") && entry.source.ends_with(".json"),
            "{local}: source {:?} is not a spec example path",
            entry.source
        );
        let name = local.rsplit('/').next().unwrap();
        assert!(
            entry.source.ends_with(&format!("/{name}")),
            "{local}: the source path {:?} names another file",
            entry.source
        );
    }
    let Some(dir) = examples_dir("the_manifest_lists_exactly_the_example_files") else {
        return;
    };
    let files = example_files(&dir);
    let present: Vec<&str> = files.iter().map(|(rel, _)| rel.as_str()).collect();
    let listed: Vec<&str> = manifest.keys().map(String::as_str).collect();
    assert_eq!(
        present,
        listed,
        "the files in {} differ from tests/arm-examples.tsv",
        dir.display()
    );
    for (rel, path) in &files {
        let chars = std::fs::read_to_string(path).unwrap().chars().count();
        assert_eq!(
            chars, manifest[rel].chars,
            "{rel}: {chars} characters, tests/arm-examples.tsv says {}",
            manifest[rel].chars
        );
    }
    // The shared folder documents its copies in SOURCES.md (a fetched folder has none): the pins
    // there and in the manifest must agree, so a re-pinned copy cannot leave CI on the old file.
    let Ok(sources) = std::fs::read_to_string(dir.join("SOURCES.md")) else {
        return;
    };
    let mut documented = BTreeMap::new();
    for line in sources.lines().filter(|l| l.starts_with("| `")) {
        let cols: Vec<&str> = line
            .split('|')
            .map(|c| c.trim().trim_matches('`'))
            .collect();
        if let [_, local, source, commit, chars, ..] = cols[..] {
            documented.insert(
                local.to_string(),
                (source, commit, chars.parse::<usize>().ok()),
            );
        }
    }
    let pinned: BTreeMap<String, (&str, &str, Option<usize>)> = manifest
        .iter()
        .map(|(l, e)| {
            (
                l.clone(),
                (e.source.as_str(), e.commit.as_str(), Some(e.chars)),
            )
        })
        .collect();
    assert_eq!(
        pinned,
        documented,
        "tests/arm-examples.tsv and {}/SOURCES.md pin different sources, commits or counts",
        dir.display()
    );
}

/// Parsing keeps what ARM said: fields azaudit does not model survive a round trip.
#[test]
fn unknown_fields_and_enum_values_are_kept() {
    let body = serde_json::json!({
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n",
        "futureField": {"a": 1},
        "properties": {
            "securityRules": [{
                "name": "r",
                "properties": {"protocol": "Quic", "access": "allow", "direction": "inbound", "priority": 100,
                               "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "destinationPortRange": "*",
                               "newKnob": true}
            }]
        }
    });
    let nsg: azaudit::inventory::network::NetworkSecurityGroup =
        serde_json::from_value(body).unwrap();
    let back = serde_json::to_value(&nsg).unwrap();
    assert_eq!(back["futureField"]["a"], 1);
    let rule = &back["properties"]["securityRules"][0]["properties"];
    assert_eq!(rule["protocol"], "Quic");
    assert_eq!(
        rule["access"], "Allow",
        "known values are normalised to Microsoft's casing"
    );
    assert_eq!(rule["direction"], "Inbound");
    assert_eq!(rule["newKnob"], true);
}

/// The schema of one item of `kind`, as JSON (`$defs` and `$ref` as schemars writes them).
fn item_schema(kind: ResourceKind) -> Value {
    use ResourceKind::*;
    use azaudit::inventory::{
        backup, effective, keyvault, monitor, network, privatedns, resources,
    };
    use schemars::schema_for;
    let schema = match kind {
        Subscription => schema_for!(resources::Subscription),
        ResourceProvider => schema_for!(resources::ResourceProvider),
        NetworkSecurityGroup => schema_for!(network::NetworkSecurityGroup),
        RouteTable => schema_for!(network::RouteTable),
        VirtualNetwork => schema_for!(network::VirtualNetwork),
        Subnet => schema_for!(network::Subnet),
        VirtualNetworkPeering => schema_for!(network::VirtualNetworkPeering),
        PrivateEndpoint => schema_for!(network::PrivateEndpoint),
        PrivateDnsZone => schema_for!(privatedns::PrivateDnsZone),
        VirtualNetworkLink => schema_for!(privatedns::VirtualNetworkLink),
        RecordSet => schema_for!(privatedns::RecordSet),
        KeyVault => schema_for!(keyvault::KeyVault),
        KeyVaultPrivateEndpointConnection => {
            schema_for!(keyvault::KeyVaultPrivateEndpointConnection)
        }
        DiagnosticSetting => schema_for!(monitor::DiagnosticSetting),
        DiagnosticSettingsCategory => schema_for!(monitor::DiagnosticSettingsCategory),
        NetworkWatcher => schema_for!(network::NetworkWatcher),
        FlowLog => schema_for!(network::FlowLog),
        ApplicationGateway => schema_for!(network::ApplicationGateway),
        NetworkInterface => schema_for!(network::NetworkInterface),
        AzureFirewall => schema_for!(network::AzureFirewall),
        VirtualNetworkGateway => schema_for!(network::VirtualNetworkGateway),
        LocalNetworkGateway => schema_for!(network::LocalNetworkGateway),
        VirtualNetworkGatewayConnection => schema_for!(network::VirtualNetworkGatewayConnection),
        ExpressRouteCircuit => schema_for!(network::ExpressRouteCircuit),
        ServiceTags => schema_for!(network::ServiceTagsList),
        EffectiveRouteTable => schema_for!(effective::EffectiveRoute),
        EffectiveNetworkSecurityGroups => schema_for!(effective::EffectiveNetworkSecurityGroup),
        RecoveryServicesVault => schema_for!(backup::RecoveryServicesVault),
        ResourceGuardProxy => schema_for!(backup::ResourceGuardProxy),
        ResourceGuard => schema_for!(backup::ResourceGuard),
        ResourceGraphQuery => schema_for!(effective::ResourceGraphResponse),
    };
    serde_json::to_value(schema).unwrap()
}

/// Keys that resemble a modeled field but are different fields ARM sends beside it, each with the
/// reason it is not a misspelling: (key in the example, the modeled field it resembles, why).
const SIBLING_FIELDS: &[(&str, &str, &str)] = &[(
    "targetResourceGuid",
    "targetResourceId",
    "flow logs carry both: the target's resource id and its GUID; rules read only the id",
)];

/// Modeled fields (type, JSON name) that no example carries: modeled from the specs and docs. The
/// list is exact, so a modeled field that stops matching its example key (renamed, however unlike
/// the old name) joins the set and fails the test, as does an example that starts to carry one.
const UNEXERCISED: &[(&str, &str)] = &[
    ("AzureFirewallProperties", "firewallPolicy"),
    // Microsoft's AzureFirewallPutInHub example (Virtual WAN hub firewall) is in arm-examples-next
    // (checked by next_examples_parse_and_keep_no_modeled_field_in_extra).
    ("AzureFirewallProperties", "hubIPAddresses"),
    ("AzureFirewallProperties", "virtualHub"),
    ("EffectiveRoute", "name"),
    // IP groups in classic network rules (spec AzureFirewallNetworkRule); the AzureFirewallGet
    // example's rules use addresses and FQDNs only.
    ("FirewallNetworkRule", "destinationIpGroups"),
    ("FirewallNetworkRule", "sourceIpGroups"),
    ("EffectiveSecurityRule", "expandedSourceAddressPrefix"),
    ("KeyVaultProperties", "enablePurgeProtection"),
    ("KeyVaultProperties", "enableRbacAuthorization"),
    ("KeyVaultProperties", "privateEndpointConnections"),
    ("LogSetting", "category"),
    ("NetworkInterfaceProperties", "privateEndpoint"),
    ("NicIpConfigurationProperties", "applicationSecurityGroups"),
    ("NsgProperties", "flowLogs"),
    ("NsgProperties", "networkInterfaces"),
    ("NsgProperties", "subnets"),
    ("PrivateLinkServiceConnection", "name"),
    (
        "PrivateLinkServiceConnectionProperties",
        "provisioningState",
    ),
    ("RecordSetProperties", "aaaaRecords"),
    ("RecordSetProperties", "cnameRecord"),
    ("RouteProperties", "hasBgpOverride"),
    ("RouteProperties", "nextHopIpAddress"),
    ("RouteTableProperties", "subnets"),
    ("SecurityRuleProperties", "destinationAddressPrefixes"),
    (
        "SecurityRuleProperties",
        "destinationApplicationSecurityGroups",
    ),
    ("SecurityRuleProperties", "destinationPortRanges"),
    ("SecurityRuleProperties", "sourceAddressPrefixes"),
    ("SecurityRuleProperties", "sourceApplicationSecurityGroups"),
    ("SecurityRuleProperties", "sourcePortRanges"),
    ("SubnetProperties", "addressPrefixes"),
    ("SubnetProperties", "defaultOutboundAccess"),
    ("SubnetProperties", "natGateway"),
    ("SubnetProperties", "networkSecurityGroup"),
    ("SubnetProperties", "privateEndpointNetworkPolicies"),
    ("SubnetProperties", "privateEndpoints"),
    ("SubnetProperties", "privateLinkServiceNetworkPolicies"),
    ("SubnetProperties", "routeTable"),
    ("SubnetProperties", "serviceEndpoints"),
    ("TrafficAnalytics", "workspaceResourceId"),
    ("VirtualNetworkRule", "ignoreMissingVnetServiceEndpoint"),
];

/// Whether an unmodeled key looks like a modeled one: the same but for case, singular vs plural,
/// or at most two edits apart.
fn resembles(key: &str, modeled: &str) -> bool {
    let (k, m) = (key.to_ascii_lowercase(), modeled.to_ascii_lowercase());
    let plural = |a: &str, b: &str| {
        b.strip_prefix(a)
            .is_some_and(|rest| rest == "s" || rest == "es")
            || (a.ends_with('y') && b == format!("{}ies", &a[..a.len() - 1]))
    };
    k == m || plural(&k, &m) || plural(&m, &k) || edit_distance(&k, &m) <= 2
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Walks example bodies alongside the schema of their kind.
#[derive(Default)]
struct FieldWalk {
    /// `file status path.key (modeled: name)` for unmodeled keys that resemble a modeled one.
    resembling: Vec<String>,
    /// `file status path` of every key that matched a modeled property.
    reached: Vec<String>,
    /// Every (type, property) the walked schemas model, and those some example key matched.
    modeled: BTreeSet<(String, String)>,
    matched: BTreeSet<(String, String)>,
}

impl FieldWalk {
    /// Follows `$ref` (and the `anyOf` schemars writes for `Option<T>`) to the object schemas
    /// `value` may match, each with the name of the type it describes.
    fn branches<'a>(
        root: &'a Value,
        name: &'a str,
        schema: &'a Value,
    ) -> Vec<(&'a str, &'a Value)> {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let def = r.strip_prefix("#/$defs/").expect("local $ref");
            return Self::branches(root, def, &root["$defs"][def]);
        }
        if let Some(any) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
        {
            return any
                .iter()
                .flat_map(|s| Self::branches(root, name, s))
                .collect();
        }
        vec![(name, schema)]
    }

    fn walk(&mut self, root: &Value, name: &str, schema: &Value, value: &Value, path: &str) {
        for (name, schema) in Self::branches(root, name, schema) {
            match value {
                Value::Object(map) => {
                    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                        continue;
                    };
                    for p in props.keys() {
                        self.modeled.insert((name.to_string(), p.clone()));
                    }
                    for (key, v) in map {
                        let here = format!("{path}.{key}");
                        if let Some(s) = props.get(key) {
                            self.matched.insert((name.to_string(), key.clone()));
                            self.reached.push(here.clone());
                            self.walk(root, "", s, v, &here);
                        } else {
                            self.resembling.extend(
                                props
                                    .keys()
                                    .filter(|m| resembles(key, m))
                                    .map(|m| format!("{here} (modeled: {name}.{m})")),
                            );
                        }
                    }
                }
                Value::Array(items) => {
                    if let Some(s) = schema.get("items") {
                        for (i, v) in items.iter().enumerate() {
                            self.walk(root, name, s, v, &format!("{path}[{i}]"));
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// A field the inventory models but spells differently from ARM still parses: it lands in the
/// catch-all `extra` map and reads as absent. Two checks catch that: an example key that the schema
/// does not model but that resembles a modeled field (unless a known sibling field), and the exact
/// set of modeled fields that no example key matches.
#[test]
fn no_modeled_field_lands_in_extra() {
    let Some(dir) = examples_dir("no_modeled_field_lands_in_extra") else {
        return;
    };
    let mut all = FieldWalk::default();
    for (rel, path) in example_files(&dir) {
        let kind = kind_of(&rel).unwrap_or_else(|| panic!("{rel}: no parser is mapped"));
        let root = item_schema(kind);
        let title = root["title"].as_str().unwrap_or_default().to_string();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (status, response) in doc["responses"].as_object().unwrap() {
            let Some(body) = response.get("body") else {
                continue;
            };
            let mut w = FieldWalk::default();
            match body.get("value").and_then(Value::as_array) {
                Some(items) if kind != ResourceKind::ResourceGraphQuery => {
                    for (i, item) in items.iter().enumerate() {
                        w.walk(&root, &title, &root, item, &format!("value[{i}]"));
                    }
                }
                _ => w.walk(&root, &title, &root, body, ""),
            }
            let at = |h: String| format!("{rel} {status} {h}");
            all.resembling.extend(w.resembling.into_iter().map(at));
            all.reached.extend(w.reached.into_iter().map(at));
            all.modeled.extend(w.modeled);
            all.matched.extend(w.matched);
        }
    }

    let sibling = |f: &String, (key, modeled, _why): &(&str, &str, &str)| {
        f.contains(&format!(".{key} (modeled: ")) && f.ends_with(&format!(".{modeled})"))
    };
    let (siblings, misnamed): (Vec<_>, Vec<_>) = all
        .resembling
        .into_iter()
        .partition(|f| SIBLING_FIELDS.iter().any(|s| sibling(f, s)));
    assert!(
        misnamed.is_empty(),
        "example keys that resemble a modeled field but land in `extra` (a misnamed field, or a \
         sibling to list in SIBLING_FIELDS with its reason):\n{}",
        misnamed.join("\n")
    );
    for s in SIBLING_FIELDS {
        assert!(
            siblings.iter().any(|f| sibling(f, s)),
            "SIBLING_FIELDS entry {s:?} matches no example key any more: remove it"
        );
    }

    let unmatched: BTreeSet<(String, String)> =
        all.modeled.difference(&all.matched).cloned().collect();
    let listed: BTreeSet<(String, String)> = UNEXERCISED
        .iter()
        .map(|(t, p)| (t.to_string(), p.to_string()))
        .collect();
    let show = |set: Vec<&(String, String)>| {
        set.iter()
            .map(|(t, p)| format!("{t}.{p}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let lost = show(unmatched.difference(&listed).collect());
    let gained = show(listed.difference(&unmatched).collect());
    assert!(
        lost.is_empty() && gained.is_empty(),
        "modeled fields that no example key matches any more (misnamed, so the example's key lands \
         in `extra`?): [{lost}]; listed in UNEXERCISED but now matched by an example (remove them): \
         [{gained}]"
    );

    // The walk must reach deep into the typed structs, through $refs, Option and arrays; otherwise
    // it would find nothing because it looked at nothing.
    for deep in [
        "network/NetworkSecurityGroupGet.json 200 .properties.defaultSecurityRules[5].properties.direction",
        "network/NetworkInterfaceEffectiveRouteTableList.json 200 value[5].nextHopIpAddress",
        "network/NetworkWatcherFlowLogGet.json 200 .properties.flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration.workspaceId",
        "keyvault/createVaultWithNetworkAcls.json 201 .properties.networkAcls.virtualNetworkRules[0].id",
        "network/PrivateEndpointListAll.json 200 value[1].properties.manualPrivateLinkServiceConnections[0].properties.privateLinkServiceConnectionState.status",
        "recoveryservices/GETVault.json 200 .properties.securitySettings.softDeleteSettings.softDeleteRetentionPeriodInDays",
    ] {
        assert!(
            all.reached.iter().any(|s| s == deep),
            "the walk did not reach {deep}"
        );
    }
}

#[test]
fn resemblance_catches_case_plural_and_small_edits() {
    assert!(resembles("nextHopIpAddress", "nextHopIPAddress"));
    assert!(resembles("dnsServer", "dnsServers"));
    assert!(resembles("policy", "policies"));
    assert!(resembles("targetResourceGuid", "targetResourceId"));
    assert!(!resembles("sku", "id"));
    assert!(!resembles("requestMessage", "message"));
    assert_eq!(edit_distance("kitten", "sitting"), 3);
}

/// The fetch script CI runs reads the manifest as this test does: pointed at a local mirror laid out
/// like raw GitHub content (`<commit>/<source path>`), it reproduces the example files, counting
/// characters rather than bytes (one example has Cyrillic in it), and it refuses a file whose count
/// differs. A few entries suffice: the manifest test covers the rest.
#[test]
fn the_fetch_script_reproduces_the_examples_folder() {
    let Some(dir) = examples_dir("the_fetch_script_reproduces_the_examples_folder") else {
        return;
    };
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED the_fetch_script_reproduces_the_examples_folder: no curl");
        return;
    }
    let picked = [
        "network/NetworkWatcherFlowLogGet.json",
        "network/RouteTableGet.json",
        "privatedns/RecordSetAList.json",
    ];
    let manifest = manifest();
    let tmp = tempfile::tempdir().unwrap();
    let mirror = tmp.path().join("mirror");
    let mut small = String::from("# a few entries of tests/arm-examples.tsv\n");
    for local in picked {
        let e = &manifest[local];
        let to = mirror.join(&e.commit).join(&e.source);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(dir.join(local), &to).unwrap();
        small.push_str(&format!(
            "{local}\t{}\t{}\t{}\n",
            e.source, e.commit, e.chars
        ));
    }
    let small_manifest = tmp.path().join("manifest.tsv");
    std::fs::write(&small_manifest, small).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/fetch-arm-examples.sh");
    let run = |out: &Path| {
        std::process::Command::new("bash")
            .arg(&script)
            .arg(out)
            .env(
                "ARM_EXAMPLES_BASE_URL",
                format!("file://{}", mirror.display()),
            )
            .env("ARM_EXAMPLES_MANIFEST", &small_manifest)
            .env_remove("GITHUB_ENV")
            .output()
            .unwrap()
    };
    let out = tmp.path().join("out");
    let r = run(&out);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let fetched: Vec<String> = example_files(&out)
        .into_iter()
        .map(|(rel, _)| rel)
        .collect();
    assert_eq!(fetched, picked);
    for rel in picked {
        assert_eq!(
            std::fs::read(out.join(rel)).unwrap(),
            std::fs::read(dir.join(rel)).unwrap(),
            "{rel}"
        );
    }

    // A truncated download is refused.
    let e = &manifest[picked[1]];
    let victim = mirror.join(&e.commit).join(&e.source);
    let text = std::fs::read_to_string(&victim).unwrap();
    let half: String = text.chars().take(text.chars().count() / 2).collect();
    std::fs::write(&victim, half).unwrap();
    let r = run(&tmp.path().join("out2"));
    assert!(!r.status.success());
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(
        stderr.contains(&format!("character count mismatch: {}", picked[1])),
        "{stderr}"
    );
}

/// The newer examples' manifest (fetched for GitHub Actions like the main one) lists exactly the
/// files of the `arm-examples-next` folder, with their character counts.
#[test]
fn the_next_manifest_lists_exactly_the_next_example_files() {
    let manifest = parse_manifest(include_str!("../arm-examples-next.tsv"));
    assert_eq!(manifest.len(), 4);
    let Some(dir) = next_examples_dir() else {
        return;
    };
    let files = example_files(&dir);
    let present: Vec<&str> = files.iter().map(|(rel, _)| rel.as_str()).collect();
    let listed: Vec<&str> = manifest.keys().map(String::as_str).collect();
    assert_eq!(
        present,
        listed,
        "the files in {} differ from tests/arm-examples-next.tsv",
        dir.display()
    );
    for (rel, path) in &files {
        let chars = std::fs::read_to_string(path).unwrap().chars().count();
        assert_eq!(chars, manifest[rel].chars, "{rel}");
    }
}
