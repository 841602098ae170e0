//! Conformance against Microsoft's ARM examples (`../shared/arm-examples/`, or the folder named by
//! `AZAUDIT_ARM_EXAMPLES`; CI fetches them at the commits pinned in `tests/arm-examples.tsv`):
//! every response body parses with azaudit's parser for its kind, the typed structs read the values
//! the examples hold, and the manifest and the folder list the same files.

use std::collections::BTreeMap;
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
    let mut out = BTreeMap::new();
    for (n, line) in MANIFEST.lines().enumerate() {
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
