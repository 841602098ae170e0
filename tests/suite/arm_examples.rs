//! Conformance: every response body in Microsoft's ARM examples (`../shared/arm-examples/`, or the
//! folder named by `AZAUDIT_ARM_EXAMPLES`) parses with azaudit's parser for its kind.

use std::path::{Path, PathBuf};

use azaudit::inventory::ResourceKind;
use serde_json::Value;

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

fn examples_dir() -> PathBuf {
    match std::env::var_os("AZAUDIT_ARM_EXAMPLES") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/arm-examples"),
    }
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
    let dir = examples_dir();
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: Microsoft's ARM examples are not at {} (set AZAUDIT_ARM_EXAMPLES to their folder)",
            dir.display()
        );
        return;
    }
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
                Ok(n) => assert!(
                    n > 0 || body.get("value").is_some(),
                    "{rel} {status}: parsed nothing"
                ),
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
