//! Live collection of virtual network gateways, their connections, the local network gateways
//! these use and the cloud's service tags: through ARM (reached from the gateway subnets, since
//! ARM lists gateways per resource group only) and through Resource Graph, 403s becoming gaps,
//! the service-tags list paged, and a connection's shared key reaching nothing that is written.

use crate::common::arm::*;
use crate::live_collect::{CONNECTIVITY, WORKLOADS, fixture_server, fixtures};
use crate::live_graph::{Captured, GraphTenant, graph_server, with_source};

use azaudit::collect::Snapshot;
use azaudit::collect::live::{Source, collect};
use azaudit::inventory::ResourceKind;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HUB: &str = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg-hub-network/providers/Microsoft.Network";
const SECRET: &str = "s3cr3t-Pre-Shared-Key-4f1c";

fn gateway_id() -> String {
    format!("{HUB}/virtualNetworkGateways/vpngw-hub")
}

fn tags_path() -> String {
    format!(
        "/subscriptions/{CONNECTIVITY}/providers/Microsoft.Network/locations/westeurope/serviceTags"
    )
}

async fn forbid(server: &MockServer, p: &str) {
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": "AuthorizationFailed",
            "message": "The client does not have authorization to perform action"
        }})))
        .with_priority(1)
        .mount(server)
        .await;
}

/// What the fixture tenant's hub holds, however it was read.
fn assert_hub_gateway_read(snap: &Snapshot) {
    let inv = &snap.inventory;
    assert_eq!(inv.virtual_network_gateways.len(), 1);
    assert_eq!(inv.virtual_network_gateways[0].id, gateway_id());
    assert_eq!(inv.virtual_network_gateway_connections.len(), 1);
    let c = &inv.virtual_network_gateway_connections[0];
    assert_eq!(
        c.properties.local_network_gateway2.as_ref().unwrap().id,
        format!("{HUB}/localNetworkGateways/lgw-dc-amsterdam")
    );
    assert_eq!(inv.local_network_gateways.len(), 1);
    assert_eq!(
        inv.local_network_gateways[0].address_prefixes(),
        ["172.16.0.0/16", "172.18.0.0/16"]
    );
}

#[tokio::test]
async fn arm_reaches_gateways_from_their_subnets_and_reads_the_paged_service_tags() {
    let server = fixture_server().await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Arm),
    )
    .await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_hub_gateway_read(&snap);
    // Two pages merged into one list, with its change number and no nextLink left.
    let tags = &snap.inventory.service_tags;
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].change_number.as_deref(), Some("63"));
    assert_eq!(tags[0].next_link, None);
    let names: Vec<&str> = tags[0].values.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "AzureKeyVault",
            "AzureKeyVault.WestEurope",
            "Storage",
            "Storage.WestEurope"
        ]
    );
    let requests = server.received_requests().await.unwrap();
    let got = |p: &str, page: Option<&str>| {
        requests.iter().any(|r| {
            r.url.path() == p
                && r.url
                    .query_pairs()
                    .find(|(k, _)| k == "$skiptoken")
                    .map(|(_, v)| v.to_string())
                    .as_deref()
                    == page
        })
    };
    assert!(got(&tags_path(), None) && got(&tags_path(), Some("page2")));
    assert!(got(&gateway_id(), None));
    assert!(got(&format!("{}/connections", gateway_id()), None));
    // One service-tags call per cloud, however many subscriptions are scanned.
    let tag_calls = requests
        .iter()
        .filter(|r| r.url.path().ends_with("/serviceTags"))
        .count();
    assert_eq!(tag_calls, 2, "page 1 and page 2 of one list");
    let sources = &snap.collection.as_ref().unwrap().sources;
    assert_eq!(sources[&ResourceKind::VirtualNetworkGateway].source, "arm");
    assert_eq!(sources[&ResourceKind::ServiceTags].items, 4);
}

#[tokio::test]
async fn resource_graph_gives_the_gateways_and_arm_the_service_tags() {
    let server = graph_server(GraphTenant::from_fixtures()).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Graph),
    )
    .await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_hub_gateway_read(&snap);
    assert_eq!(snap.inventory.service_tags.len(), 1);
    let sources = &snap.collection.as_ref().unwrap().sources;
    for kind in [
        ResourceKind::VirtualNetworkGateway,
        ResourceKind::VirtualNetworkGatewayConnection,
        ResourceKind::LocalNetworkGateway,
    ] {
        assert_eq!(sources[&kind].source, "graph", "{kind:?}");
    }
    assert_eq!(sources[&ResourceKind::ServiceTags].source, "arm");
    let requests = server.received_requests().await.unwrap();
    assert!(
        !requests
            .iter()
            .any(|r| r.method.as_str() == "GET" && r.url.path().contains("Gateways/")),
        "no per-gateway GET when Resource Graph answered"
    );
}

#[tokio::test]
async fn a_gateway_connection_list_or_service_tags_refused_are_gaps_of_their_own() {
    let server = fixture_server().await;
    forbid(&server, &gateway_id()).await;
    forbid(&server, &tags_path()).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Arm),
    )
    .await;
    let gaps: Vec<(ResourceKind, Option<&str>, Option<u16>)> = snap
        .coverage
        .gaps
        .iter()
        .map(|g| (g.kind, g.scope.as_deref(), g.http_status))
        .collect();
    let gw = gateway_id();
    let tags = tags_path();
    assert_eq!(
        gaps,
        [
            (
                ResourceKind::VirtualNetworkGateway,
                Some(gw.as_str()),
                Some(403)
            ),
            (ResourceKind::ServiceTags, Some(tags.as_str()), Some(403)),
        ]
    );
    // Nothing read is nothing kept: tags stay "not known offline", no gateway, nothing behind it.
    assert!(snap.inventory.service_tags.is_empty());
    assert!(snap.inventory.virtual_network_gateways.is_empty());
    assert!(
        snap.inventory
            .virtual_network_gateway_connections
            .is_empty()
    );
    assert!(!snap.inventory.virtual_networks.is_empty());

    // The connection list refused, the gateway read: the gap names the list.
    let server = fixture_server().await;
    let list = format!("{}/connections", gateway_id());
    forbid(&server, &list).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Arm),
    )
    .await;
    assert_eq!(snap.coverage.gaps.len(), 1, "{:#?}", snap.coverage.gaps);
    let g = &snap.coverage.gaps[0];
    assert_eq!(g.kind, ResourceKind::VirtualNetworkGatewayConnection);
    assert_eq!(g.scope.as_deref(), Some(list.as_str()));
    assert_eq!(g.subscription_id.as_deref(), Some(CONNECTIVITY));
    assert_eq!(snap.inventory.virtual_network_gateways.len(), 1);
    assert!(snap.inventory.local_network_gateways.is_empty());
}

#[tokio::test]
async fn resource_graph_refusing_connections_falls_back_to_each_gateways_list() {
    let mut tenant = GraphTenant::from_fixtures();
    tenant.fail = vec![("microsoft.network/connections".into(), 403)];
    let server = graph_server(tenant).await;
    let snap = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Auto),
    )
    .await;
    assert!(snap.coverage.gaps.is_empty(), "{:#?}", snap.coverage.gaps);
    assert_hub_gateway_read(&snap);
    let sources = &snap.collection.as_ref().unwrap().sources;
    assert_eq!(
        sources[&ResourceKind::VirtualNetworkGatewayConnection].source,
        "arm"
    );
}

/// The fixture's connection page with a `sharedKey` (and an `authorizationKey`) on each item, as
/// ARM returns them to a caller allowed to read them.
fn connections_with_secrets() -> Value {
    let file = fixtures().join("1111/gateways/vpngw-hub.connections.p1.json");
    let mut page: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    for c in page["value"].as_array_mut().unwrap() {
        c["properties"]["sharedKey"] = json!(SECRET);
        c["properties"]["authorizationKey"] = json!(format!("{SECRET}-auth"));
    }
    page
}

#[test]
fn a_shared_key_reaches_no_snapshot_log_or_report() {
    // See live_client: a second dispatcher keeps callsites first hit on other threads enabled.
    let _second = tracing::Dispatch::new(tracing_subscriber::registry());
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let snaps = tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            // Through ARM: the gateway's connection list carries the key.
            let server = fixture_server().await;
            Mock::given(method("GET"))
                .and(path(format!("{}/connections", gateway_id())))
                .and(query_param("api-version", "2024-05-01"))
                .respond_with(ResponseTemplate::new(200).set_body_json(connections_with_secrets()))
                .with_priority(1)
                .mount(&server)
                .await;
            let arm = collect(
                &client(&server),
                &with_source(&[CONNECTIVITY, WORKLOADS], Source::Arm),
            )
            .await;
            // Through Resource Graph: its row carries the key.
            let mut tenant = GraphTenant::from_fixtures();
            let rows = tenant
                .rows
                .get_mut("microsoft.network/connections")
                .unwrap();
            for r in rows.iter_mut() {
                r["properties"]["sharedKey"] = json!(SECRET);
            }
            let server = graph_server(tenant).await;
            let graph = collect(
                &client(&server),
                &with_source(&[CONNECTIVITY, WORKLOADS], Source::Graph),
            )
            .await;
            vec![arm, graph]
        })
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.is_empty());
    assert!(!logs.contains(SECRET), "the log holds the shared key");
    for snap in snaps {
        // The connection was read, without its secrets.
        assert_eq!(snap.inventory.virtual_network_gateway_connections.len(), 1);
        assert!(!snap.to_json().contains(SECRET), "the snapshot holds it");
        assert!(!format!("{snap:?}").contains(SECRET));
        let report = crate::common::scan(&snap);
        for (format, text) in [
            ("json", report.to_json()),
            ("ndjson", azaudit::report::ndjson::render(&report)),
            ("sarif", azaudit::report::sarif::render(&report)),
            ("markdown", azaudit::report::markdown::render(&report)),
            (
                "table",
                azaudit::report::render_table(&report, Some(200), false),
            ),
        ] {
            assert!(!text.contains(SECRET), "the {format} report holds it");
        }
    }
}

/// ExpressRoute circuits have a subscription list and are in Resource Graph: read either way,
/// without their service key.
#[tokio::test]
async fn express_route_circuits_are_collected_from_arm_and_resource_graph() {
    let mut circuit = crate::model_routes::express_route_circuit();
    let id = format!("{HUB}/expressRouteCircuits/er-ams");
    circuit["id"] = json!(id);
    let server = fixture_server().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/subscriptions/{CONNECTIVITY}/providers/Microsoft.Network/expressRouteCircuits"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [circuit.clone()]})))
        .with_priority(1)
        .mount(&server)
        .await;
    let arm = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Arm),
    )
    .await;
    let mut tenant = GraphTenant::from_fixtures();
    let mut row = circuit.clone();
    row["type"] = json!("microsoft.network/expressroutecircuits");
    row["subscriptionId"] = json!(CONNECTIVITY);
    row["resourceGroup"] = json!("rg-hub-network");
    tenant
        .rows
        .insert("microsoft.network/expressroutecircuits".into(), vec![row]);
    let server = graph_server(tenant).await;
    let graph = collect(
        &client(&server),
        &with_source(&[CONNECTIVITY, WORKLOADS], Source::Graph),
    )
    .await;
    for (source, snap) in [("arm", arm), ("graph", graph)] {
        assert!(
            snap.coverage.gaps.is_empty(),
            "{source}: {:#?}",
            snap.coverage.gaps
        );
        let circuits = &snap.inventory.express_route_circuits;
        assert_eq!(circuits.len(), 1, "{source}");
        assert_eq!(circuits[0].id, id);
        assert_eq!(
            circuits[0].kind.as_deref(),
            Some("Microsoft.Network/expressRouteCircuits")
        );
        assert!(!snap.to_json().contains("circuit-service-key"), "{source}");
        let sources = &snap.collection.as_ref().unwrap().sources;
        assert_eq!(sources[&ResourceKind::ExpressRouteCircuit].source, source);
    }
}
