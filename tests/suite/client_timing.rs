//! The ARM client's waits, deadlines, throttle windows and concurrency limits, asserted exactly:
//! an in-process ARM (no socket) lets these run under paused tokio time.

use crate::common::arm::*;

use std::time::Duration;

use azaudit::arm::{ArmError, ClientSettings};
use serde_json::json;
use tokio::time::Instant;

const SUB_A: &str = "00000000-0000-4000-8000-00000000000a";
const SUB_B: &str = "00000000-0000-4000-8000-00000000000b";

fn nsgs(sub: &str) -> String {
    format!("/subscriptions/{sub}/providers/Microsoft.Network/networkSecurityGroups")
}

fn empty() -> Reply {
    Reply::ok(json!({"value": []}))
}

/// Time between consecutive requests as the transport saw them.
fn gaps(s: &Scripted) -> Vec<Duration> {
    s.sent().windows(2).map(|w| w[1].at - w[0].at).collect()
}

/// The first request answers `first`, every later one an empty list; returns the gap between them.
async fn wait_after(first: Reply, settings: ClientSettings) -> Duration {
    let first = std::sync::Mutex::new(Some(first));
    let arm = Scripted::new(move |_, _| first.lock().unwrap().take().unwrap_or_else(empty));
    let (_, err) = arm
        .client(settings)
        .list(&nsgs(SUB_A), "2024-05-01", Some(SUB_A))
        .await;
    assert!(err.is_none(), "{err:?}");
    let g = gaps(&arm);
    assert_eq!(g.len(), 1, "{g:?}");
    g[0]
}

#[tokio::test(start_paused = true)]
async fn retry_after_seconds_are_waited_out() {
    let w = wait_after(Reply::throttled("retry-after", "7"), scripted_settings()).await;
    assert_eq!(w, Duration::from_secs(7));
}

#[tokio::test(start_paused = true)]
async fn x_ms_retry_after_ms_is_honoured() {
    let w = wait_after(
        Reply::throttled("x-ms-retry-after-ms", "1500"),
        scripted_settings(),
    )
    .await;
    assert_eq!(w, Duration::from_millis(1500));
}

#[tokio::test(start_paused = true)]
async fn retry_after_ms_is_honoured() {
    let w = wait_after(
        Reply::throttled("retry-after-ms", "2500"),
        scripted_settings(),
    )
    .await;
    assert_eq!(w, Duration::from_millis(2500));
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_an_http_date_is_honoured() {
    // An HTTP date has whole seconds and is read against the wall clock, which barely moves
    // while tokio time is paused: the wait is 29 to 30 s.
    let when = chrono::Utc::now() + chrono::Duration::seconds(30);
    let date = when.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let w = wait_after(
        Reply::new(503, "").header("retry-after", &date),
        scripted_settings(),
    )
    .await;
    assert!(
        w > Duration::from_secs(28) && w <= Duration::from_secs(30),
        "{date}: waited {w:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_is_capped_at_max_wait() {
    let settings = ClientSettings {
        max_wait: Duration::from_secs(45),
        ..scripted_settings()
    };
    let w = wait_after(Reply::throttled("retry-after", "3600"), settings).await;
    // Exactly the cap: neither ignored (the 10 ms back-off) nor obeyed (an hour).
    assert_eq!(w, Duration::from_secs(45));
}

#[tokio::test(start_paused = true)]
async fn a_slow_answer_ends_at_the_request_deadline() {
    let arm = Scripted::new(|_, _| empty().after(Duration::from_secs(3600)));
    let settings = ClientSettings {
        request_timeout: Duration::from_secs(30),
        ..scripted_settings()
    };
    let t = Instant::now();
    let (_, err) = arm
        .client(settings)
        .list(&nsgs(SUB_A), "2024-05-01", Some(SUB_A))
        .await;
    assert_eq!(t.elapsed(), Duration::from_secs(30));
    assert_eq!(err, Some(ArmError::Deadline(Duration::from_secs(30))));
    assert_eq!(err.unwrap().code(), Some("Timeout"));
}

#[tokio::test(start_paused = true)]
async fn throttled_requests_are_retried_until_the_deadline_not_six_times() {
    let arm = Scripted::new(|_, _| Reply::throttled("retry-after", "2"));
    let settings = ClientSettings {
        request_timeout: Duration::from_secs(31),
        max_retries: 5,
        ..scripted_settings()
    };
    let t = Instant::now();
    let c = arm.client(settings);
    let (_, err) = c.list(&nsgs(SUB_A), "2024-05-01", Some(SUB_A)).await;
    // Sent at 0, 2, …, 30 s; the wait after the last would pass the 31 s deadline.
    assert_eq!(arm.sent().len(), 16);
    assert_eq!(t.elapsed(), Duration::from_secs(30));
    match err {
        Some(ArmError::Http {
            status: 429,
            attempts: 16,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let s = c.stats();
    assert_eq!((s.requests, s.retries, s.throttled), (16, 15, 16));
    assert_eq!(s.throttle_wait_ms, 30_000);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_request_succeeds_after_more_than_max_retries_429s() {
    let arm = Scripted::new(|_, i| {
        if i < 10 {
            Reply::throttled("retry-after", "1")
        } else {
            Reply::ok(json!({"value": [{"id": "a"}]}))
        }
    });
    let (items, err) = arm
        .client(scripted_settings())
        .list(&nsgs(SUB_A), "2024-05-01", Some(SUB_A))
        .await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(items.len(), 1);
    assert_eq!(arm.sent().len(), 11);
}

#[tokio::test(start_paused = true)]
async fn server_errors_stop_after_max_retries() {
    let arm = Scripted::new(|_, _| Reply::new(500, ""));
    let settings = ClientSettings {
        max_retries: 3,
        ..scripted_settings()
    };
    let (_, err) = arm
        .client(settings)
        .list(&nsgs(SUB_A), "2024-05-01", Some(SUB_A))
        .await;
    assert_eq!(arm.sent().len(), 4);
    assert_eq!(err.and_then(|e| e.status()), Some(500));
    // Exponential back-off from 10 ms.
    assert_eq!(gaps(&arm), [10, 20, 40].map(Duration::from_millis).to_vec());
}

#[tokio::test(start_paused = true)]
async fn a_truncated_200_is_retried_before_it_is_an_error() {
    let arm = Scripted::new(|_, i| match i {
        0 => Reply::new(200, r#"{"value": [{"id": "a"},"#),
        1 => Reply::new(200, "<html>bad gateway</html>"),
        _ => Reply::ok(json!({"value": [{"id": "a"}, {"id": "b"}]})),
    });
    let c = arm.client(scripted_settings());
    let (items, err) = c.list(&nsgs(SUB_A), "2024-05-01", Some(SUB_A)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(items.len(), 2);
    assert_eq!(c.stats().retries, 2);
}

#[tokio::test(start_paused = true)]
async fn a_body_that_stays_truncated_is_malformed_after_the_retries() {
    let arm = Scripted::new(|_, _| Reply::new(200, r#"{"value": ["#));
    let settings = ClientSettings {
        max_retries: 2,
        ..scripted_settings()
    };
    let (_, err) = arm
        .client(settings)
        .list(&nsgs(SUB_A), "2024-05-01", Some(SUB_A))
        .await;
    assert_eq!(arm.sent().len(), 3);
    let e = err.unwrap();
    assert_eq!(e.code(), Some("MalformedResponse"));
    assert!(e.message().contains("truncated JSON"), "{e}");
    assert!(e.message().contains("after 3 attempts"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn a_429_holds_every_request_to_its_subscription_and_no_other() {
    // The first request to A is throttled for 5 s; everything else succeeds.
    let arm = Scripted::new(|_, i| {
        if i == 0 {
            Reply::throttled("retry-after", "5")
        } else {
            empty()
        }
    });
    let c = arm.client(scripted_settings());
    let t0 = Instant::now();
    let later = |sub: &'static str, path: String| {
        let c = &c;
        async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            c.list(&path, "2024-05-01", Some(sub)).await
        }
    };
    let route_tables = format!("/subscriptions/{SUB_A}/providers/Microsoft.Network/routeTables");
    let nsgs_a = nsgs(SUB_A);
    let (a1, a2, b, tenant) = tokio::join!(
        c.list(&nsgs_a, "2024-05-01", Some(SUB_A)),
        later(SUB_A, route_tables.clone()),
        later(SUB_B, nsgs(SUB_B)),
        async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            c.list("/subscriptions", "2022-12-01", None).await
        },
    );
    for (_, e) in [&a1, &a2, &b, &tenant] {
        assert!(e.is_none(), "{e:?}");
    }
    let when = |p: &str| {
        arm.sent()
            .iter()
            .filter(|s| s.url.path() == p)
            .map(|s| s.at - t0)
            .collect::<Vec<_>>()
    };
    let secs = |n: u64| vec![Duration::from_secs(n)];
    // A's other list, asked for at 1 s, waits out A's window with the throttled one.
    assert_eq!(when(&route_tables), secs(5));
    assert_eq!(
        when(&nsgs(SUB_A)),
        vec![Duration::ZERO, Duration::from_secs(5)]
    );
    // Another subscription and the tenant scope are not held.
    assert_eq!(when(&nsgs(SUB_B)), secs(1));
    assert_eq!(when("/subscriptions"), secs(1));
}

#[tokio::test(start_paused = true)]
async fn requests_per_subscription_are_capped() {
    let arm = Scripted::new(|_, _| empty().after(Duration::from_secs(1)));
    let settings = ClientSettings {
        max_concurrency: 16,
        per_subscription: 3,
        ..scripted_settings()
    };
    let c = arm.client(settings);
    let t = Instant::now();
    let lists: Vec<_> = (0..10)
        .flat_map(|i| {
            [SUB_A, SUB_B].map(|sub| {
                let path = format!(
                    "/subscriptions/{sub}/resourceGroups/rg{i}/providers/Microsoft.Network/routeTables"
                );
                (sub, path)
            })
        })
        .collect();
    let results = futures::future::join_all(
        lists
            .iter()
            .map(|(sub, p)| c.list(p, "2024-05-01", Some(sub))),
    )
    .await;
    assert!(results.iter().all(|(_, e)| e.is_none()));
    assert_eq!(arm.max_in_flight(Some(SUB_A)), 3);
    assert_eq!(arm.max_in_flight(Some(SUB_B)), 3);
    assert_eq!(arm.max_in_flight(None), 6);
    // Ten requests three at a time take four rounds of one second.
    assert_eq!(t.elapsed(), Duration::from_secs(4));
}

#[tokio::test(start_paused = true)]
async fn requests_overall_are_capped() {
    let arm = Scripted::new(|_, _| empty().after(Duration::from_secs(1)));
    let settings = ClientSettings {
        max_concurrency: 4,
        per_subscription: 8,
        ..scripted_settings()
    };
    let c = arm.client(settings);
    let lists: Vec<_> = (0..8)
        .flat_map(|i| {
            [SUB_A, SUB_B].map(|sub| {
                (
                    sub,
                    format!("/subscriptions/{sub}/resourceGroups/rg{i}/providers/Microsoft.Network/routeTables"),
                )
            })
        })
        .collect();
    futures::future::join_all(
        lists
            .iter()
            .map(|(sub, p)| c.list(p, "2024-05-01", Some(sub))),
    )
    .await;
    assert_eq!(arm.max_in_flight(None), 4);
}

#[tokio::test(start_paused = true)]
async fn a_rejected_token_stops_all_further_requests() {
    let arm = Scripted::new(|_, _| {
        Reply::new(
            401,
            r#"{"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}"#,
        )
    });
    let c = arm.client(scripted_settings());
    let (_, first) = c.list(&nsgs(SUB_A), "2024-05-01", Some(SUB_A)).await;
    let (_, second) = c.list(&nsgs(SUB_B), "2024-05-01", Some(SUB_B)).await;
    assert_eq!(
        arm.sent().len(),
        1,
        "nothing is sent once ARM rejected the token"
    );
    let e = first.unwrap();
    assert_eq!(
        (e.status(), e.code()),
        (Some(401), Some("InvalidAuthenticationToken"))
    );
    assert_eq!(second, Some(e.clone()));
    assert_eq!(c.rejection(), Some(e));
}

#[tokio::test(start_paused = true)]
async fn resource_graph_queries_and_batch_calls_have_pools_beside_the_direct_gets() {
    let arm = Scripted::new(|_, _| {
        Reply::ok(json!({"value": [], "data": [], "responses": []})).after(Duration::from_secs(1))
    });
    let c = arm.client(ClientSettings {
        max_concurrency: 1,
        max_graph_queries: 2,
        max_batch_calls: 2,
        ..scripted_settings()
    });
    let t = Instant::now();
    let gets = futures::future::join_all([SUB_A, SUB_B].map(|sub| {
        let c = &c;
        async move {
            let (_, err) = c.list(&nsgs(sub), "2024-05-01", Some(sub)).await;
            assert!(err.is_none(), "{err:?}");
            t.elapsed()
        }
    }));
    let queries = futures::future::join_all((0..3).map(|_| {
        let c = &c;
        async move {
            c.query_graph(&json!({"query": "resources"})).await.unwrap();
            t.elapsed()
        }
    }));
    let batches = futures::future::join_all((0..2).map(|_| {
        let c = &c;
        async move {
            c.post_batch(&json!({"requests": []}), 0).await.unwrap();
            t.elapsed()
        }
    }));
    let (gets, queries, batches) = futures::join!(gets, queries, batches);
    let secs = |s: &[u64]| {
        s.iter()
            .map(|s| Duration::from_secs(*s))
            .collect::<Vec<_>>()
    };
    // One direct GET at a time; queries and batches neither wait for the GETs nor for each
    // other, each within its own pool.
    assert_eq!(gets, secs(&[1, 2]));
    assert_eq!(queries, secs(&[1, 1, 2]));
    assert_eq!(batches, secs(&[1, 1]));
    assert_eq!(arm.max_in_flight(None), 5);
}
