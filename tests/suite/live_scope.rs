//! Subscription display names and `--shard K/N` in a live read of the fixture tenant: names are
//! resolved against the subscription list before anything else is read, shards split what the
//! identity can list.

use crate::common::arm::client;
use crate::live_collect::{CONNECTIVITY, WORKLOADS, fixture_server, scope};

use azaudit::collect::live::{LiveScope, Unreadable, collect_checked};
use azaudit::collect::scope::Shard;

#[tokio::test]
async fn a_display_name_reads_its_subscription() {
    let server = fixture_server().await;
    let c = client(&server);
    let named = LiveScope {
        subscription_names: vec!["CONTOSO-workloads".into()],
        ..LiveScope::default()
    };
    let by_name = collect_checked(&c, &named).await.unwrap();
    assert_eq!(by_name.scope.subscriptions, [WORKLOADS]);
    assert!(
        by_name.coverage.gaps.is_empty(),
        "{:#?}",
        by_name.coverage.gaps
    );
    let by_id = collect_checked(&client(&server), &scope(&[WORKLOADS]))
        .await
        .unwrap();
    assert_eq!(by_name.inventory, by_id.inventory);
}

#[tokio::test]
async fn an_unknown_name_stops_the_read_after_the_subscription_list() {
    let server = fixture_server().await;
    let c = client(&server);
    let named = LiveScope {
        subscriptions: vec![CONNECTIVITY.into()],
        subscription_names: vec!["contoso".into()],
        ..LiveScope::default()
    };
    match collect_checked(&c, &named).await {
        Err(Unreadable::Scope(why)) => assert_eq!(
            why,
            format!(
                "no subscription named \"contoso\" among the 2 this identity can list: \
                 contoso-connectivity ({CONNECTIVITY}), contoso-workloads ({WORKLOADS})"
            )
        ),
        other => panic!("{:?}", other.map(|s| s.scope)),
    }
    // Only the subscription list was read.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests.len(),
        1,
        "{:?}",
        requests.iter().map(|r| r.url.path()).collect::<Vec<_>>()
    );
    assert_eq!(requests[0].url.path(), "/subscriptions");
}

#[tokio::test]
async fn shards_of_all_subscriptions_are_disjoint_and_cover_the_list() {
    let server = fixture_server().await;
    let shard = |index| LiveScope {
        all_subscriptions: true,
        shard: Some(Shard { index, count: 2 }),
        ..LiveScope::default()
    };
    let one = collect_checked(&client(&server), &shard(1)).await.unwrap();
    let two = collect_checked(&client(&server), &shard(2)).await.unwrap();
    assert_eq!(one.scope.subscriptions, [CONNECTIVITY]);
    assert_eq!(two.scope.subscriptions, [WORKLOADS]);
    let recorded = one.scope.shard.unwrap();
    assert_eq!(
        (
            recorded.index,
            recorded.count,
            recorded.subscriptions_in_all
        ),
        (1, 2, 2)
    );
    assert!(one.coverage.gaps.is_empty(), "{:#?}", one.coverage.gaps);
    assert!(two.coverage.gaps.is_empty(), "{:#?}", two.coverage.gaps);
    // An empty share of a non-empty list is an answer: nothing read, nothing wrong.
    let empty = collect_checked(
        &client(&server),
        &LiveScope {
            all_subscriptions: true,
            shard: Some(Shard { index: 3, count: 3 }),
            ..LiveScope::default()
        },
    )
    .await
    .unwrap();
    assert!(empty.scope.subscriptions.is_empty());
    assert_eq!(empty.scope.shard.unwrap().subscriptions_in_all, 2);
    // Nothing read but the tenant's subscription list, which a snapshot keeps whole.
    let mut listed: Vec<&str> = empty
        .inventory
        .subscriptions
        .iter()
        .map(|s| s.subscription_id.as_str())
        .collect();
    listed.sort();
    assert_eq!(listed, [CONNECTIVITY, WORKLOADS]);
    assert_eq!(
        azaudit::inventory::Inventory {
            subscriptions: Vec::new(),
            ..empty.inventory
        },
        azaudit::inventory::Inventory::default()
    );
}

/// Each phase of a collection ends with one line saying what it read (the CLI prints them on a
/// non-terminal stderr); the last counts what the snapshot holds.
#[tokio::test]
async fn each_phase_of_a_collection_says_what_it_read() {
    use std::sync::{Arc, Mutex};
    let server = fixture_server().await;
    let c = client(&server);
    let lines: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
    let sink = lines.clone();
    c.set_phase_hook(Arc::new(
        move |what: &str, s: &azaudit::arm::RequestStats| {
            sink.lock().unwrap().push((what.to_string(), s.requests));
        },
    ));
    let snap = collect_checked(&c, &scope(&[CONNECTIVITY, WORKLOADS]))
        .await
        .unwrap();
    let lines = lines.lock().unwrap().clone();
    let phases: Vec<&str> = lines
        .iter()
        .map(|(l, _)| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        phases,
        [
            "subscriptions",
            "resources of 2 subscription(s)",
            "child resources (flow logs, zone links and records, diagnostic settings)",
            "collected"
        ],
        "{lines:#?}"
    );
    assert_eq!(lines[0].0, "subscriptions: 2 to read of 2 visible");
    assert_eq!(lines[0].1, 1, "only the subscription list was read before");
    // Requests only grow, and the last line counts what the snapshot holds.
    assert!(lines.windows(2).all(|w| w[0].1 <= w[1].1));
    let resources: usize = snap
        .inventory
        .counts()
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k,
                azaudit::inventory::ResourceKind::Subscription
                    | azaudit::inventory::ResourceKind::ResourceProvider
                    | azaudit::inventory::ResourceKind::ServiceTags
            )
        })
        .map(|(_, n)| n)
        .sum();
    assert!(resources > 20);
    assert_eq!(
        lines[3].0,
        format!("collected: {resources} resources, 0 coverage gap(s)")
    );
    assert_eq!(lines[3].1, snap.collection.unwrap().requests);
}
