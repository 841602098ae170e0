//! Live collection from Azure Resource Manager into the same [`Snapshot`] that snapshot scans read.
//! Subscription-scope lists where ARM has them, children where it does not (flow logs per watcher,
//! links and A records per private DNS zone, diagnostic settings per vault), and references that
//! leave the scope (the subscription of a Traffic Analytics workspace, private DNS zones in a
//! central DNS subscription). Everything that cannot be read becomes a coverage gap; the scan goes on.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::future::join_all;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::absorb::{Parsed, absorb_items, count_of, parse_items, record_gap};
use super::graph::{GraphKind, GraphQuery};
use super::snapshot::{
    SNAPSHOT_KIND, SNAPSHOT_SCHEMA_VERSION, ShardScope, Snapshot, SnapshotScope,
};
use crate::arm::{ArmClient, ArmError};
use crate::azure::id::{id_key, subscription_of};
use crate::collect::api::api_version;
use crate::inventory::privatedns::PrivateDnsZone;
use crate::inventory::resources::Subscription;
use crate::inventory::{Coverage, CoverageGap, Inventory, KindSource, ResourceKind};

/// Where live collection reads the kinds Resource Graph indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// Resource Graph first; a kind it cannot answer is read with ARM lists.
    #[default]
    Auto,
    /// Resource Graph only: what it cannot answer is a coverage gap.
    Graph,
    /// ARM lists only, as before Resource Graph was used.
    Arm,
}

/// What to collect.
#[derive(Debug, Clone, Default)]
pub struct LiveScope {
    /// Subscription ids to scan (validated GUIDs).
    pub subscriptions: Vec<String>,
    /// Subscription display names to scan, resolved against the subscriptions the identity can
    /// list (see [`super::scope::resolve_names`]).
    pub subscription_names: Vec<String>,
    /// Only this job's share of the subscriptions (see [`super::scope::Shard::select`]).
    pub shard: Option<super::scope::Shard>,
    /// Scan every subscription the identity can list.
    pub all_subscriptions: bool,
    /// Scan the subscriptions under this management group (at any depth).
    pub management_group: Option<String>,
    /// Only resources in this resource group (private DNS zones and network watchers are kept
    /// wherever they are: they serve resources in other groups).
    pub resource_group: Option<String>,
    /// Resource Graph, ARM lists, or Resource Graph with ARM as the fallback per kind.
    pub source: Source,
}

/// The subscription-scope lists read for every scanned subscription.
const SUBSCRIPTION_LISTS: &[(ResourceKind, &str)] = &[
    (
        ResourceKind::NetworkSecurityGroup,
        "Microsoft.Network/networkSecurityGroups",
    ),
    (ResourceKind::RouteTable, "Microsoft.Network/routeTables"),
    (
        ResourceKind::VirtualNetwork,
        "Microsoft.Network/virtualNetworks",
    ),
    (
        ResourceKind::PrivateEndpoint,
        "Microsoft.Network/privateEndpoints",
    ),
    (
        ResourceKind::NetworkInterface,
        "Microsoft.Network/networkInterfaces",
    ),
    (
        ResourceKind::NetworkWatcher,
        "Microsoft.Network/networkWatchers",
    ),
    (
        ResourceKind::ApplicationGateway,
        "Microsoft.Network/applicationGateways",
    ),
    (
        ResourceKind::AzureFirewall,
        "Microsoft.Network/azureFirewalls",
    ),
    (
        ResourceKind::PrivateDnsZone,
        "Microsoft.Network/privateDnsZones",
    ),
    (
        ResourceKind::ExpressRouteCircuit,
        "Microsoft.Network/expressRouteCircuits",
    ),
    (ResourceKind::KeyVault, "Microsoft.KeyVault/vaults"),
    (
        ResourceKind::RecoveryServicesVault,
        "Microsoft.RecoveryServices/vaults",
    ),
];

/// One list to read: its kind, subscription and path.
type ListRequest = (ResourceKind, Option<String>, String);
/// A list's items and error, how long it took, and where it was read (`arm` or `batch`).
type ListResult = ((Vec<Value>, Option<ArmError>), Duration, &'static str);

/// Reads `requests` concurrently, in request order. Lists of one resource's children that are
/// usually one page go through ARM batch while it is available.
async fn fetch_lists(client: &ArmClient, requests: &[ListRequest]) -> Vec<ListResult> {
    let ordered: futures::stream::FuturesOrdered<_> =
        list_reads(client, requests).into_iter().collect();
    futures::StreamExt::collect(ordered).await
}

/// One future per request, reading it, to be run concurrently. Lists of one resource's children
/// that are usually one page go through ARM batch while it is available.
fn list_reads<'r>(
    client: &'r ArmClient,
    requests: &'r [ListRequest],
) -> Vec<futures::future::BoxFuture<'r, ListResult>> {
    use futures::FutureExt;
    let batched: Vec<usize> = if client.batch_available() {
        requests
            .iter()
            .enumerate()
            .filter(|(_, (k, _, _))| BATCHED_LISTS.contains(k))
            .map(|(i, _)| i)
            .collect()
    } else {
        Vec::new()
    };
    let batch_urls: Vec<(azure_core::http::Url, Option<String>)> = batched
        .iter()
        .map(|&i| {
            let (kind, sub, path) = &requests[i];
            (client.url(path, api_version(*kind)), sub.clone())
        })
        .collect();
    let batch_kinds: Vec<ResourceKind> = batched.iter().map(|&i| requests[i].0).collect();
    // Every batched list is read by one shared future; each request takes its own slot.
    type Slots = std::sync::Arc<std::sync::Mutex<Vec<Option<ListResult>>>>;
    let through_batch = async move {
        let t = tokio::time::Instant::now();
        let firsts = client.get_many(&batch_urls).await;
        let took = t.elapsed();
        let source = if client.batch_available() && !batch_urls.is_empty() {
            "batch"
        } else {
            "arm"
        };
        let rest = join_all(batch_urls.into_iter().zip(firsts).zip(batch_kinds).map(
            |(((url, sub), first), kind)| async move {
                let r = client
                    .list_from(url, first, api_version(kind), sub.as_deref())
                    .await;
                Some((r, took, source))
            },
        ))
        .await;
        Slots::new(std::sync::Mutex::new(rest))
    }
    .boxed()
    .shared();
    requests
        .iter()
        .enumerate()
        .map(|(i, (kind, sub, path))| match batched.binary_search(&i) {
            Ok(slot) => {
                let slots = through_batch.clone();
                async move {
                    let slots = slots.await;
                    let taken = slots.lock().expect("lock")[slot].take();
                    taken.unwrap_or_else(|| {
                        (
                            (
                                Vec::new(),
                                Some(ArmError::Malformed("no batch answer".into())),
                            ),
                            Duration::ZERO,
                            "batch",
                        )
                    })
                }
                .boxed()
            }
            Err(_) => async move {
                let t = tokio::time::Instant::now();
                let r = client.list(path, api_version(*kind), sub.as_deref()).await;
                (r, t.elapsed(), "arm")
            }
            .boxed(),
        })
        .collect()
}

/// Lists read through ARM batch: one resource's children (or a subscription's registrations),
/// usually a single page.
const BATCHED_LISTS: &[ResourceKind] = &[
    ResourceKind::ResourceProvider,
    ResourceKind::DiagnosticSetting,
    ResourceKind::RecordSet,
    ResourceKind::ResourceGuardProxy,
];

/// Whether a string is a subscription id (a GUID), checked before any call.
pub fn is_subscription_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

struct Collector<'a> {
    client: &'a ArmClient,
    inv: Inventory,
    gaps: Vec<CoverageGap>,
    /// Subscriptions of which at least one list was read: the others were not read at all.
    read: HashSet<String>,
    /// How each kind was read.
    sources: BTreeMap<ResourceKind, KindSource>,
}

/// Why a live collection has nothing to report: a snapshot of it would look like an empty tenant.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Unreadable {
    /// ARM rejected the credential's token (401), or no token could be obtained
    /// ([`ArmError::Auth`]).
    #[error("{}", match .0 { ArmError::Auth(_) => .0.to_string(), e => format!("ARM rejected the token: {e}") })]
    TokenRejected(ArmError),
    /// Not one requested subscription could be read, or there was none to read.
    #[error("{0}")]
    NothingRead(String),
    /// A requested subscription name matched no visible subscription, or several.
    #[error("{0}")]
    Scope(String),
}

/// ARM's answer to a list of a namespace the subscription has not registered.
fn is_missing_registration(e: &ArmError) -> bool {
    e.status() == Some(409) && e.code() == Some("MissingSubscriptionRegistration")
}

/// The resource provider namespace a list path reads (`…/providers/Microsoft.KeyVault/vaults`).
fn namespace_of(path: &str) -> Option<&str> {
    let (_, rest) = path.rsplit_once("/providers/")?;
    rest.split('/').next().filter(|ns| !ns.is_empty())
}

impl<'a> Collector<'a> {
    fn new(client: &'a ArmClient) -> Self {
        Collector {
            client,
            inv: Inventory::default(),
            gaps: Vec::new(),
            read: HashSet::new(),
            sources: BTreeMap::new(),
        }
    }

    /// Takes in what one Resource Graph kind read.
    fn merge(&mut self, part: Parsed) {
        self.inv.append(part.inv);
        self.gaps.extend(part.gaps);
    }

    fn gap(&mut self, subscription: Option<&str>, kind: ResourceKind, scope: &str, e: &ArmError) {
        record_gap(&mut self.gaps, subscription, kind, scope, e);
    }

    /// Parses items into typed resources; an item that does not parse is a gap, not a panic.
    fn parse<T: DeserializeOwned>(
        &mut self,
        kind: ResourceKind,
        sub: Option<&str>,
        values: Vec<Value>,
    ) -> Vec<T> {
        parse_items(&mut self.gaps, kind, sub, values)
    }

    /// Parses `values` into the inventory list of `kind`; returns how many were added.
    fn absorb(&mut self, kind: ResourceKind, sub: Option<&str>, values: Vec<Value>) -> usize {
        absorb_items(&mut self.inv, &mut self.gaps, kind, sub, values)
    }

    /// `N resources, G coverage gap(s)`: what a progress line says has been read so far.
    fn so_far(&self) -> String {
        let resources: usize = self
            .inv
            .counts()
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k,
                    ResourceKind::Subscription
                        | ResourceKind::ResourceProvider
                        | ResourceKind::ServiceTags
                )
            })
            .map(|(_, n)| n)
            .sum();
        format!("{resources} resources, {} coverage gap(s)", self.gaps.len())
    }

    /// Records that `items` of `kind` were read from `source` in `took`.
    fn note_source(&mut self, kind: ResourceKind, source: &str, items: usize, took: Duration) {
        let e = self.sources.entry(kind).or_default();
        if e.source.is_empty() || e.source == "graph" && source != "graph" {
            e.source = source.to_string();
        }
        e.items += items as u64;
        e.duration_ms = e.duration_ms.max(took.as_millis() as u64);
    }

    /// Whether the subscription's provider registrations, as read, say `namespace` is NotRegistered.
    fn not_registered(&self, subscription: Option<&str>, namespace: &str) -> bool {
        use crate::inventory::resources::RegistrationState;
        let Some(sub) = subscription else {
            return false;
        };
        self.inv.resource_providers.iter().any(|p| {
            p.subscription_id()
                .is_some_and(|s| s.eq_ignore_ascii_case(sub))
                && p.namespace.eq_ignore_ascii_case(namespace)
                && p.registration_state == Some(RegistrationState::NotRegistered)
        })
    }

    /// Runs list requests concurrently and absorbs their results in request order. Lists of one
    /// resource's children that are usually one page (provider registrations, diagnostic
    /// settings, record sets, Resource Guard mappings) go through ARM batch while it is available.
    ///
    /// Each list is parsed into the inventory as soon as it is in, so that no more than the lists
    /// in flight are held as JSON; its coverage gaps are kept in request order all the same.
    async fn run_lists(&mut self, requests: Vec<(ResourceKind, Option<String>, String)>) {
        let client = self.client;
        let mut results: futures::stream::FuturesUnordered<_> = list_reads(client, &requests)
            .into_iter()
            .enumerate()
            .map(|(i, read)| futures::FutureExt::map(read, move |r| (i, r)))
            .collect();
        let mut unregistered = Vec::new();
        let mut gaps: Vec<(usize, Vec<CoverageGap>)> = Vec::new();
        while let Some((i, result)) = futures::StreamExt::next(&mut results).await {
            let before = self.gaps.len();
            let mut put_aside = Vec::new();
            self.absorb_list(requests[i].clone(), result, &mut put_aside);
            unregistered.extend(put_aside.into_iter().map(|u| (i, u)));
            if self.gaps.len() > before {
                gaps.push((i, self.gaps.split_off(before)));
            }
        }
        drop(results);
        gaps.sort_by_key(|(i, _)| *i);
        self.gaps.extend(gaps.into_iter().flat_map(|(_, g)| g));
        unregistered.sort_by_key(|(i, ..)| *i);
        self.decide_unregistered(unregistered.into_iter().map(|(_, u)| u).collect());
    }

    /// Absorbs what [`fetch_lists`] read for `requests`, in request order.
    fn absorb_lists(&mut self, requests: Vec<ListRequest>, results: Vec<ListResult>) {
        let mut unregistered = Vec::new();
        for (request, result) in requests.into_iter().zip(results) {
            self.absorb_list(request, result, &mut unregistered);
        }
        self.decide_unregistered(unregistered);
    }

    /// Absorbs one list; a 409 `MissingSubscriptionRegistration` is put aside in `unregistered`
    /// to be decided once every registration read with it has been absorbed.
    fn absorb_list(
        &mut self,
        (kind, sub, path): ListRequest,
        ((items, error), took, source): ListResult,
        unregistered: &mut Vec<(ResourceKind, Option<String>, String, ArmError)>,
    ) {
        let n = self.absorb(kind, sub.as_deref(), items);
        self.note_source(kind, source, n, took);
        match error {
            None => {
                if let Some(s) = &sub {
                    self.read.insert(s.clone());
                }
            }
            Some(e) if is_missing_registration(&e) => unregistered.push((kind, sub, path, e)),
            Some(e) => self.gap(sub.as_deref(), kind, &path, &e),
        }
    }

    /// A namespace the subscription's registrations say is NotRegistered holds nothing: its
    /// 409 is an empty list, not a gap.
    fn decide_unregistered(
        &mut self,
        unregistered: Vec<(ResourceKind, Option<String>, String, ArmError)>,
    ) {
        for (kind, sub, path, e) in unregistered {
            let ns = namespace_of(&path).unwrap_or_default();
            if self.not_registered(sub.as_deref(), ns) {
                // A namespace the subscription never registered holds no resources: the list is
                // empty, not missing. Unread or other registration states keep the gap.
                tracing::debug!(
                    namespace = ns,
                    path,
                    "namespace not registered: nothing to list"
                );
                if let Some(s) = &sub {
                    self.read.insert(s.clone());
                }
            } else {
                self.gap(sub.as_deref(), kind, &path, &e);
            }
        }
    }
}

/// Collects the tenant described by `scope`, whatever could be read of it.
pub async fn collect(client: &ArmClient, scope: &LiveScope) -> Snapshot {
    collect_with_reads(client, scope).await.0
}

/// The snapshot of a read stopped before its first list: only the subscription list was read.
fn stopped(client: &ArmClient, started: chrono::DateTime<Utc>, gaps: Vec<CoverageGap>) -> Snapshot {
    Snapshot {
        kind: SNAPSHOT_KIND.to_string(),
        schema_version: SNAPSHOT_SCHEMA_VERSION,
        collected_at: started,
        source: Some("live".into()),
        cloud: client.target().cloud,
        scope: SnapshotScope::default(),
        coverage: Coverage { gaps },
        collection: Some(client.stats()),
        inventory: Inventory::default(),
    }
}

/// Collects the tenant described by `scope`, refusing a result that read nothing: a token ARM
/// rejected, no subscription to scan, or no requested subscription of which a single list could
/// be read. Such a snapshot would pass for an empty, clean tenant.
pub async fn collect_checked(
    client: &ArmClient,
    scope: &LiveScope,
) -> Result<Snapshot, Unreadable> {
    let (snapshot, read, scope_error) = collect_with_reads(client, scope).await;
    if let Some(e) = client.rejection() {
        return Err(Unreadable::TokenRejected(e));
    }
    if let Some(e) = scope_error {
        return Err(Unreadable::Scope(e));
    }
    let scanned = &snapshot.scope.subscriptions;
    // A share of a non-empty list that happens to be empty is an answer, not a failure: the other
    // jobs read the subscriptions.
    if scanned.is_empty()
        && snapshot
            .scope
            .shard
            .as_ref()
            .is_some_and(|s| s.subscriptions_in_all > 0)
    {
        return Ok(snapshot);
    }
    if scanned.is_empty() {
        let why = match snapshot
            .coverage
            .gaps
            .iter()
            .find(|g| g.kind == ResourceKind::Subscription && g.subscription_id.is_none())
        {
            Some(g) => format!("the subscription list could not be read: {}", cause(g)),
            None => "the identity can list no enabled subscription".to_string(),
        };
        return Err(Unreadable::NothingRead(why));
    }
    if !scanned.iter().any(|s| read.contains(s)) {
        let mut causes: Vec<String> = scanned
            .iter()
            .take(3)
            .map(|sub| {
                let first = snapshot
                    .coverage
                    .gaps
                    .iter()
                    .filter(|g| g.subscription_id.as_deref() == Some(sub.as_str()))
                    .find(|g| g.kind != ResourceKind::Subscription)
                    .map(cause)
                    .unwrap_or_else(|| "nothing answered".into());
                format!("{sub}: {first}")
            })
            .collect();
        if scanned.len() > 3 {
            causes.push(format!("and {} more", scanned.len() - 3));
        }
        return Err(Unreadable::NothingRead(format!(
            "no requested subscription could be read ({})",
            causes.join("; ")
        )));
    }
    Ok(snapshot)
}

/// `HTTP 403 AuthorizationFailed: message`, or the code and message when there was no status.
fn cause(g: &CoverageGap) -> String {
    let head = match (g.http_status, g.code.as_deref()) {
        (Some(s), Some(c)) => format!("HTTP {s} {c}"),
        (Some(s), None) => format!("HTTP {s}"),
        (None, Some(c)) => c.to_string(),
        (None, None) => "error".to_string(),
    };
    format!("{head}: {}", g.message)
}

/// The snapshot, the scanned subscriptions of which at least one list was read, and why the
/// requested scope could not be resolved (then nothing past the subscription list was read).
/// The subscriptions a Resource Graph query covers: private DNS lives in central subscriptions
/// too, so zones, links and records are queried across every visible subscription.
fn graph_subscriptions<'s>(
    query: &GraphQuery,
    dns_subs: &'s [String],
    scanned: &'s [String],
) -> &'s [String] {
    match query.kinds[0].kind {
        ResourceKind::PrivateDnsZone
        | ResourceKind::VirtualNetworkLink
        | ResourceKind::RecordSet => dns_subs,
        _ => scanned,
    }
}

async fn collect_with_reads(
    client: &ArmClient,
    scope: &LiveScope,
) -> (Snapshot, HashSet<String>, Option<String>) {
    let started = Utc::now();
    let mut c = Collector::new(client);

    // 1. Subscriptions the identity can see.
    let (visible_values, list_error) = client
        .list(
            "/subscriptions",
            api_version(ResourceKind::Subscription),
            None,
        )
        .await;
    let visible: Vec<Subscription> = c.parse(ResourceKind::Subscription, None, visible_values);
    if let Some(e) = &list_error {
        c.gap(None, ResourceKind::Subscription, "/subscriptions", e);
    }
    let scanned: Vec<String> = if let Some(mg) = &scope.management_group {
        management_group_subscriptions(&mut c, mg, &visible).await
    } else if scope.all_subscriptions {
        visible
            .iter()
            .filter(|s| {
                s.state
                    .as_deref()
                    .is_none_or(|st| st.eq_ignore_ascii_case("Enabled"))
            })
            .map(|s| s.subscription_id.to_ascii_lowercase())
            .collect()
    } else {
        let named = match (&list_error, scope.subscription_names.is_empty()) {
            (_, true) => Vec::new(),
            (Some(e), false) => {
                let why = format!(
                    "subscription names cannot be resolved: the subscription list could not be read: {e}"
                );
                return (stopped(client, started, c.gaps), HashSet::new(), Some(why));
            }
            (None, false) => match super::scope::resolve_names(
                &scope.subscription_names,
                &visible,
                "this identity can list",
            ) {
                Ok(ids) => ids,
                Err(why) => return (stopped(client, started, c.gaps), HashSet::new(), Some(why)),
            },
        };
        let mut ids: Vec<String> = Vec::new();
        for s in scope.subscriptions.iter().chain(&named) {
            let s = s.to_ascii_lowercase();
            if !ids.contains(&s) {
                ids.push(s);
            }
        }
        ids
    };
    let shard = scope.shard.map(|s| ShardScope {
        index: s.index,
        count: s.count,
        subscriptions_in_all: scanned.len(),
    });
    let scanned = match scope.shard {
        Some(s) => s.select(&scanned),
        None => scanned,
    };
    client.phase(&format!(
        "subscriptions: {} to read{}{}",
        scanned.len(),
        match &list_error {
            None => format!(" of {} visible", visible.len()),
            Some(_) => " (the subscription list could not be read)".to_string(),
        },
        shard
            .map(|s| format!(
                " (shard {}/{} of {})",
                s.index, s.count, s.subscriptions_in_all
            ))
            .unwrap_or_default()
    ));
    let scanned_set: HashSet<String> = scanned.iter().cloned().collect();
    for sub in &scanned {
        match visible.iter().find(|s| s.subscription_id.eq_ignore_ascii_case(sub)) {
            Some(s) => c.inv.subscriptions.push(s.clone()),
            None if list_error.is_none() => c.gaps.push(CoverageGap {
                subscription_id: Some(sub.clone()),
                kind: ResourceKind::Subscription,
                scope: Some(format!("/subscriptions/{sub}")),
                http_status: None,
                code: Some("SubscriptionNotVisible".into()),
                message: format!("subscription {sub} is not among those this identity can list; it may not exist or the identity lacks Reader on it"),
            }),
            None => {}
        }
    }

    let others: Vec<String> = visible
        .iter()
        .map(|s| s.subscription_id.to_ascii_lowercase())
        .filter(|s| !scanned_set.contains(s))
        .collect();
    // The rest of the tenant's list is kept too: rules must know that subscriptions outside the
    // scan exist (central private DNS zones, a hub firewall) before calling something missing.
    c.inv.subscriptions.extend(
        visible
            .iter()
            .filter(|s| !scanned_set.contains(&s.subscription_id.to_ascii_lowercase()))
            .cloned(),
    );
    let provider_requests: Vec<_> = scanned
        .iter()
        .map(|sub| {
            (
                ResourceKind::ResourceProvider,
                Some(sub.clone()),
                format!("/subscriptions/{sub}/providers"),
            )
        })
        .collect();

    // 2. Resource Graph for every kind it indexes, while provider registrations are read from ARM
    //    (they also prove each subscription readable: Resource Graph silently leaves out those
    //    it cannot read). Kinds Resource Graph cannot answer are read from ARM below.
    let mut arm_kinds: Vec<ResourceKind> = SUBSCRIPTION_LISTS.iter().map(|(k, _)| *k).collect();
    let mut arm_children: HashSet<ResourceKind> = [
        ResourceKind::FlowLog,
        ResourceKind::VirtualNetworkLink,
        ResourceKind::RecordSet,
        ResourceKind::VirtualNetworkGateway,
        ResourceKind::VirtualNetworkGatewayConnection,
        ResourceKind::LocalNetworkGateway,
    ]
    .into_iter()
    .collect();
    let mut graph_sourced: HashSet<ResourceKind> = HashSet::new();
    // Parents whose dependent reads already ran while Resource Graph answered.
    let mut streamed: HashSet<ResourceKind> = HashSet::new();
    // Kinds read to their end so far, and whether the service tags are already being read.
    let mut complete: HashSet<ResourceKind> = HashSet::new();
    let mut tags_started = false;
    if scope.source == Source::Arm || scanned.is_empty() {
        let mut requests = provider_requests;
        for sub in &scanned {
            for (kind, provider_path) in SUBSCRIPTION_LISTS {
                requests.push((
                    *kind,
                    Some(sub.clone()),
                    format!("/subscriptions/{sub}/providers/{provider_path}"),
                ));
            }
        }
        c.run_lists(requests).await;
    } else {
        // Private DNS lives in central subscriptions too: zones, links and records are queried
        // across every visible subscription (and kept from outside the scan only when endpoints
        // in it may need them, as with ARM lists).
        let dns_subs: Vec<String> = scanned.iter().chain(&others).cloned().collect();
        // Each kind is absorbed into the typed inventory as soon as its rows are in, so that the
        // rows of only a few kinds are held as JSON at once.
        enum Done {
            Graph(
                Arc<GraphQuery>,
                Result<Box<Parsed>, ArmError>,
                Duration,
                // Dependent reads already made for the query's pages as they arrived.
                Vec<(Vec<ListRequest>, Vec<ListResult>)>,
            ),
            Providers(Vec<ListResult>),
            Lists(Vec<ListRequest>, Vec<ListResult>),
            VaultSettings(Vec<String>, Vec<Result<Value, ArmError>>),
            Tags((String, String), ((Vec<Value>, Option<ArmError>), Duration)),
        }
        type Pending<'f> = std::pin::Pin<Box<dyn std::future::Future<Output = Done> + 'f>>;
        /// Starts reading the service tags as soon as where to read them is known, so that
        /// they do not wait for the slowest kind.
        fn start_tags<'f>(
            client: &'f ArmClient,
            c: &Collector<'_>,
            scanned: &[String],
            complete: &HashSet<ResourceKind>,
            started: &mut bool,
            pending: &mut futures::stream::FuturesUnordered<Pending<'f>>,
        ) {
            if *started || !service_tags_decidable(c, scanned, complete) {
                return;
            }
            *started = true;
            if let Some((sub, path)) = service_tags_request(c, scanned) {
                pending.push(Box::pin(async move {
                    let result = fetch_service_tags(client, &sub, &path).await;
                    Done::Tags((sub, path), result)
                }));
            }
        }
        let mut pending: futures::stream::FuturesUnordered<Pending<'_>> =
            futures::stream::FuturesUnordered::new();
        let providers_ref = &provider_requests;
        pending.push(Box::pin(async move {
            Done::Providers(fetch_lists(client, providers_ref).await)
        }));
        /// Reads one query's pages. Pages are parsed into a part of the inventory as they
        /// arrive, on blocking threads, while the next page is asked for; a query that fails
        /// half-way is dropped whole (and its kinds read again, alone or from ARM). The diagnostic
        /// settings of each page's vaults are read while later pages of vaults are still coming.
        fn read_graph<'f>(
            client: &'f ArmClient,
            query: Arc<GraphQuery>,
            subs: &'f [String],
        ) -> Pending<'f> {
            Box::pin(async move {
                let t = tokio::time::Instant::now();
                let (page_reads, pages) = futures::channel::mpsc::unbounded::<Vec<ListRequest>>();
                let (arrived, to_parse) =
                    futures::channel::mpsc::unbounded::<crate::collect::graph::GraphPage>();
                let read = crate::collect::graph::read_query(client, &query, subs, move |page| {
                    let _ = arrived.unbounded_send(page);
                });
                let reads_vaults = query.kinds.iter().any(|k| k.kind == ResourceKind::KeyVault);
                let label = query.label();
                let parse = async move {
                    let mut part = Parsed::default();
                    let mut failed = None;
                    // Two pages of a query parsed at once at most: each is held as its text
                    // until it is parsed.
                    let mut parsed = futures::StreamExt::buffered(
                        futures::StreamExt::map(to_parse, |page| page.parsed()),
                        2,
                    );
                    while let Some(p) = futures::StreamExt::next(&mut parsed).await {
                        match p {
                            Ok(p) => {
                                let before = part.inv.key_vaults.len();
                                part.append(p);
                                if reads_vaults {
                                    let _ = page_reads.unbounded_send(diagnostic_requests(
                                        &part.inv.key_vaults[before..],
                                    ));
                                }
                            }
                            Err(e) => {
                                failed = Some(ArmError::Malformed(format!(
                                    "a page of {label} could not be parsed: {e}"
                                )))
                            }
                        }
                    }
                    // The last page is parsed: no more dependent reads.
                    drop(page_reads);
                    (part, failed)
                };
                let dependents =
                    futures::StreamExt::collect::<Vec<_>>(futures::StreamExt::buffer_unordered(
                        futures::StreamExt::map(pages, |requests| async move {
                            let results = fetch_lists(client, &requests).await;
                            (requests, results)
                        }),
                        usize::MAX,
                    ));
                let (read, (part, failed), early) = futures::join!(read, parse, dependents);
                let r = match (read, failed) {
                    (Err(e), _) | (Ok(_), Some(e)) => Err(e),
                    (Ok(_), None) => Ok(Box::new(part)),
                };
                Done::Graph(query, r, t.elapsed(), early)
            })
        }
        let graph_kinds: Vec<&'static GraphKind> =
            crate::collect::graph::GRAPH_KINDS.iter().collect();
        for query in crate::collect::graph::queries(&graph_kinds) {
            let subs = graph_subscriptions(&query, &dns_subs, &scanned);
            pending.push(read_graph(client, Arc::new(query), subs));
        }
        while let Some(done) = futures::StreamExt::next(&mut pending).await {
            let (query, result, took, early) = match done {
                Done::Providers(results) => {
                    c.absorb_lists(provider_requests.clone(), results);
                    complete.insert(ResourceKind::ResourceProvider);
                    start_tags(
                        client,
                        &c,
                        &scanned,
                        &complete,
                        &mut tags_started,
                        &mut pending,
                    );
                    continue;
                }
                Done::Tags((sub, path), result) => {
                    apply_service_tags(&mut c, &sub, &path, result);
                    continue;
                }
                Done::Lists(requests, results) => {
                    c.absorb_lists(requests, results);
                    continue;
                }
                Done::VaultSettings(ids, results) => {
                    apply_vault_settings(&mut c, ids, results);
                    continue;
                }
                Done::Graph(query, result, took, early) => (query, result, took, early),
            };
            let reads = |kind: ResourceKind| query.kinds.iter().any(|k| k.kind == kind);
            match result {
                Ok(part) => {
                    let counts: Vec<usize> = query
                        .kinds
                        .iter()
                        .map(|k| count_of(&part.inv, k.kind))
                        .collect();
                    c.merge(*part);
                    for (k, n) in query.kinds.iter().zip(counts) {
                        c.note_source(k.kind, "graph", n, took);
                    }
                    // The vaults' diagnostic settings were read page by page as the vaults
                    // came in; a query that failed half-way drops them with its rows.
                    if reads(ResourceKind::KeyVault) {
                        for (requests, results) in early {
                            c.absorb_lists(requests, results);
                        }
                        streamed.insert(ResourceKind::KeyVault);
                    }
                    if reads(ResourceKind::RecoveryServicesVault) {
                        let requests = guard_requests(&c.inv);
                        pending.push(Box::pin(async move {
                            let results = fetch_lists(client, &requests).await;
                            Done::Lists(requests, results)
                        }));
                        let ids: Vec<String> = c
                            .inv
                            .recovery_services_vaults
                            .iter()
                            .map(|v| v.id.clone())
                            .collect();
                        pending.push(Box::pin(async move {
                            let results = fetch_vault_settings(client, &ids).await;
                            Done::VaultSettings(ids, results)
                        }));
                        streamed.insert(ResourceKind::RecoveryServicesVault);
                    }
                    for k in &query.kinds {
                        graph_sourced.insert(k.kind);
                        arm_kinds.retain(|a| *a != k.kind);
                        arm_children.remove(&k.kind);
                        complete.insert(k.kind);
                    }
                    start_tags(
                        client,
                        &c,
                        &scanned,
                        &complete,
                        &mut tags_started,
                        &mut pending,
                    );
                }
                // A query of several kinds that failed: each kind is asked for alone, so that
                // one kind Resource Graph cannot answer does not send the others to ARM.
                Err(e) if query.kinds.len() > 1 => {
                    tracing::info!(kinds = %query.label(), error = %e, "a Resource Graph query of several kinds failed: asking for each kind alone");
                    for k in &query.kinds {
                        let alone = GraphQuery::single(k);
                        let subs = graph_subscriptions(&alone, &dns_subs, &scanned);
                        pending.push(read_graph(client, Arc::new(alone), subs));
                    }
                }
                Err(e) if scope.source == Source::Graph => {
                    for k in &query.kinds {
                        for sub in &scanned {
                            c.gap(Some(sub), k.kind, crate::arm::GRAPH_PATH, &e);
                        }
                        c.note_source(k.kind, "graph", 0, took);
                        arm_kinds.retain(|a| *a != k.kind);
                        arm_children.remove(&k.kind);
                    }
                }
                Err(e) => {
                    for k in &query.kinds {
                        tracing::info!(kind = k.kind.label(), error = %e, "Resource Graph could not answer: reading ARM lists instead");
                        c.sources.entry(k.kind).or_default().fallback_from_graph =
                            Some(e.to_string());
                    }
                }
            }
        }
        let requests = scanned
            .iter()
            .flat_map(|sub| {
                SUBSCRIPTION_LISTS
                    .iter()
                    .filter(|(k, _)| arm_kinds.contains(k))
                    .map(move |(kind, provider_path)| {
                        (
                            *kind,
                            Some(sub.clone()),
                            format!("/subscriptions/{sub}/providers/{provider_path}"),
                        )
                    })
            })
            .collect();
        c.run_lists(requests).await;
        // A subscription of which nothing could be read from ARM (its provider registrations
        // first) is not proven readable: Resource Graph's silence about it means nothing, so
        // every kind of it is a gap, not an empty subscription.
        for sub in &scanned {
            if c.read.contains(sub) || graph_sourced.is_empty() {
                continue;
            }
            let cause = c
                .gaps
                .iter()
                .find(|g| {
                    g.kind == ResourceKind::ResourceProvider
                        && g.subscription_id.as_deref() == Some(sub.as_str())
                })
                .cloned();
            c.gaps.push(CoverageGap {
                subscription_id: Some(sub.clone()),
                kind: ResourceKind::Subscription,
                scope: Some(format!("/subscriptions/{sub}")),
                http_status: cause.as_ref().and_then(|g| g.http_status),
                code: cause.as_ref().and_then(|g| g.code.clone()),
                message: format!(
                    "the subscription could not be proven readable ({}); Resource Graph leaves out subscriptions it cannot read, so none of its resources count as read",
                    cause.as_ref().map(|g| g.message.as_str()).unwrap_or("its provider registrations were not read")
                ),
            });
        }
    }

    client.phase(&format!(
        "resources of {} subscription(s): {}; {} kind(s) from Resource Graph",
        scanned.len(),
        c.so_far(),
        graph_sourced.len()
    ));

    // 3. Private DNS zones in subscriptions outside the scan (a central DNS subscription) that the
    //    identity can read: endpoints in scope depend on them.
    if c.inv.private_endpoints.is_empty() {
        // Nothing in scope resolves through them: what Resource Graph returned from outside the
        // scan is dropped, as ARM lists would not have read it.
        let outside = |id: &str| subscription_of(id).is_some_and(|s| !scanned_set.contains(&s));
        c.inv.private_dns_zones.retain(|z| !outside(&z.id));
        c.inv.virtual_network_links.retain(|z| !outside(&z.id));
        c.inv.record_sets.retain(|z| !outside(&z.id));
    } else if arm_kinds.contains(&ResourceKind::PrivateDnsZone) {
        let requests = others
            .iter()
            .map(|sub| {
                (
                    ResourceKind::PrivateDnsZone,
                    Some(sub.clone()),
                    format!("/subscriptions/{sub}/providers/Microsoft.Network/privateDnsZones"),
                )
            })
            .collect();
        c.run_lists(requests).await;
        if !others.is_empty() {
            client.phase(&format!(
                "private DNS zones of {} other subscription(s): {}",
                others.len(),
                c.so_far()
            ));
        }
    }
    keep_children_of_collected_parents(&mut c.inv, &graph_sourced);

    // 4. Children that have no subscription-wide list (or that Resource Graph did not answer).
    let mut requests = Vec::new();
    if arm_children.contains(&ResourceKind::FlowLog) {
        for w in &c.inv.network_watchers {
            requests.push((
                ResourceKind::FlowLog,
                subscription_of(&w.id),
                format!("{}/flowLogs", w.id),
            ));
        }
    }
    for z in &c.inv.private_dns_zones {
        let sub = subscription_of(&z.id);
        if arm_children.contains(&ResourceKind::VirtualNetworkLink) {
            requests.push((
                ResourceKind::VirtualNetworkLink,
                sub.clone(),
                format!("{}/virtualNetworkLinks", z.id),
            ));
        }
        if arm_children.contains(&ResourceKind::RecordSet) && is_private_link_zone(z) {
            requests.push((ResourceKind::RecordSet, sub, format!("{}/A", z.id)));
        }
    }
    if !streamed.contains(&ResourceKind::KeyVault) {
        requests.extend(diagnostic_requests(&c.inv.key_vaults));
    }
    if !streamed.contains(&ResourceKind::RecoveryServicesVault) {
        requests.extend(guard_requests(&c.inv));
    }
    c.run_lists(requests).await;
    if !streamed.contains(&ResourceKind::RecoveryServicesVault) {
        read_vault_security_settings(&mut c).await;
    }
    // The service tags (one list per cloud) are read while the gateways are followed.
    let tags_request = if tags_started {
        None
    } else {
        service_tags_request(&c, &scanned)
    };
    let tags_client = c.client;
    let tags = async {
        match &tags_request {
            Some((sub, path)) => Some(fetch_service_tags(tags_client, sub, path).await),
            None => None,
        }
    };
    let ((), tags) = futures::join!(read_gateways(&mut c, &arm_children), tags);
    if let (Some((sub, path)), Some(result)) = (&tags_request, tags) {
        apply_service_tags(&mut c, sub, path, result);
    }
    client.phase(&format!(
        "child resources (flow logs, zone links and records, diagnostic settings): {}",
        c.so_far()
    ));

    // 5. Provider registrations of subscriptions that hold a Traffic Analytics workspace but are
    //    not scanned: Traffic Analytics needs Microsoft.Network registered there.
    let workspace_subs: BTreeSet<String> = c
        .inv
        .flow_logs
        .iter()
        .filter_map(|f| f.workspace_subscription())
        .filter(|s| !scanned_set.contains(s))
        .collect();
    let requests = workspace_subs
        .iter()
        .map(|sub| {
            (
                ResourceKind::ResourceProvider,
                Some(sub.clone()),
                format!("/subscriptions/{sub}/providers"),
            )
        })
        .collect();
    c.run_lists(requests).await;

    if let Some(rg) = &scope.resource_group {
        filter_resource_group(&mut c.inv, rg);
    }
    client.phase(&format!("collected: {}", c.so_far()));
    c.inv.sort_by_id();
    for (kind, s) in &c.sources {
        tracing::info!(
            kind = kind.label(),
            source = s.source.as_str(),
            items = s.items,
            ms = s.duration_ms,
            "collected"
        );
    }
    let mut stats = client.stats();
    stats.sources = std::mem::take(&mut c.sources);
    let read = c.read;
    let snapshot = Snapshot {
        kind: SNAPSHOT_KIND.to_string(),
        schema_version: SNAPSHOT_SCHEMA_VERSION,
        collected_at: started,
        source: Some("live".into()),
        cloud: client.target().cloud,
        scope: SnapshotScope {
            subscriptions: scanned,
            shard,
        },
        coverage: Coverage { gaps: c.gaps },
        collection: Some(stats),
        inventory: c.inv,
    };
    (snapshot, read, None)
}

/// Virtual network gateways, their connections and the local network gateways these name, where
/// Resource Graph did not give them. ARM lists all three per resource group only, so they are
/// reached from what was read: a gateway is named by the `ipConfigurations` of the gateway subnet
/// it sits in, its connections by the gateway's own `connections` list, and a local network
/// gateway by the connections that use it. A local network gateway no connection uses is not
/// read: it routes nothing.
async fn read_gateways(c: &mut Collector<'_>, arm_children: &HashSet<ResourceKind>) {
    use ResourceKind as K;
    if arm_children.contains(&K::VirtualNetworkGateway) {
        let ids = gateways_in_subnets(&c.inv);
        read_each(c, K::VirtualNetworkGateway, ids).await;
    }
    if arm_children.contains(&K::VirtualNetworkGatewayConnection) {
        let requests = c
            .inv
            .virtual_network_gateways
            .iter()
            .map(|g| {
                (
                    K::VirtualNetworkGatewayConnection,
                    subscription_of(&g.id),
                    format!("{}/connections", g.id),
                )
            })
            .collect();
        c.run_lists(requests).await;
        // A connection between two gateways that were both read is listed under each.
        let mut seen = HashSet::new();
        c.inv
            .virtual_network_gateway_connections
            .retain(|x| seen.insert(id_key(&x.id)));
    }
    if arm_children.contains(&K::LocalNetworkGateway) {
        let have: HashSet<String> = c
            .inv
            .local_network_gateways
            .iter()
            .map(|l| id_key(&l.id))
            .collect();
        let mut ids: Vec<String> = c
            .inv
            .virtual_network_gateway_connections
            .iter()
            .filter_map(|x| x.properties.local_network_gateway2.as_ref())
            .map(|r| r.id.clone())
            .filter(|id| !id.is_empty() && !have.contains(&id_key(id)))
            .collect();
        ids.sort_by_key(|id| id_key(id));
        ids.dedup_by(|a, b| id_key(a) == id_key(b));
        read_each(c, K::LocalNetworkGateway, ids).await;
    }
}

/// The ids of the virtual network gateways that the subnets of the inventory's VNets name in
/// their `ipConfigurations` (`…/virtualNetworkGateways/{name}/ipConfigurations/{config}`).
fn gateways_in_subnets(inv: &Inventory) -> Vec<String> {
    const TYPE: &str = "/providers/microsoft.network/virtualnetworkgateways/";
    let have: HashSet<String> = inv
        .virtual_network_gateways
        .iter()
        .map(|g| id_key(&g.id))
        .collect();
    let mut ids: Vec<String> = Vec::new();
    for vnet in &inv.virtual_networks {
        for subnet in &vnet.properties.subnets {
            for config in &subnet.properties.ip_configurations {
                let lower = config.id.to_ascii_lowercase();
                let Some(at) = lower.find(TYPE) else {
                    continue;
                };
                let name_end = lower[at + TYPE.len()..]
                    .find('/')
                    .map_or(lower.len(), |i| at + TYPE.len() + i);
                let id = &config.id[..name_end];
                if name_end > at + TYPE.len()
                    && !have.contains(&id_key(id))
                    && !ids.iter().any(|x| id_key(x) == id_key(id))
                {
                    ids.push(id.to_string());
                }
            }
        }
    }
    ids
}

/// GETs each resource of `kind` by id (through ARM batch while it is available); what cannot be
/// read is a gap of its own.
async fn read_each(c: &mut Collector<'_>, kind: ResourceKind, ids: Vec<String>) {
    if ids.is_empty() {
        return;
    }
    let t = tokio::time::Instant::now();
    let urls: Vec<_> = ids
        .iter()
        .map(|id| (c.client.url(id, api_version(kind)), subscription_of(id)))
        .collect();
    let results = c.client.get_many(&urls).await;
    let took = t.elapsed();
    let mut n = 0;
    for (id, result) in ids.iter().zip(results) {
        let sub = subscription_of(id);
        match result {
            Ok(value) => n += c.absorb(kind, sub.as_deref(), vec![value]),
            Err(e) => c.gap(sub.as_deref(), kind, id, &e),
        }
    }
    c.note_source(kind, "arm", n, took);
}

/// Where the cloud's service tags are read (subscription, path): one list per cloud, at the
/// location of a VNet (or, without one, a network security group) of the first readable
/// subscription. The location is only the list's reference: every region's tags of the cloud
/// come back. Without a VNet or an NSG nothing evaluates a tag, so nothing is read.
fn service_tags_request(c: &Collector<'_>, scanned: &[String]) -> Option<(String, String)> {
    let sub = scanned.iter().find(|s| c.read.contains(*s))?;
    let location = vnet_location(c, sub).or_else(|| {
        least_location(
            c.inv
                .network_security_groups
                .iter()
                .map(|n| (n.id.as_str(), n.location.as_deref())),
            sub,
        )
    })?;
    let path = format!(
        "/subscriptions/{sub}/providers/Microsoft.Network/locations/{}/serviceTags",
        location.to_ascii_lowercase()
    );
    Some((sub.clone(), path))
}

/// The first (by name) usable location of the resources of `sub` among `resources` (id, location).
fn least_location<'r>(
    resources: impl Iterator<Item = (&'r str, Option<&'r str>)>,
    sub: &str,
) -> Option<String> {
    resources
        .filter(|(id, _)| subscription_of(id).as_deref() == Some(sub))
        .filter_map(|(_, l)| l)
        .filter(|l| !l.is_empty() && l.chars().all(|ch| ch.is_ascii_alphanumeric()))
        .min()
        .map(str::to_string)
}

fn vnet_location(c: &Collector<'_>, sub: &str) -> Option<String> {
    least_location(
        c.inv
            .virtual_networks
            .iter()
            .map(|v| (v.id.as_str(), v.location.as_deref())),
        sub,
    )
}

/// Whether [`service_tags_request`] can be answered while other kinds are still being read: the
/// registrations (which say what is readable) and the VNets are in, and either a VNet of the
/// first readable subscription names a location or the NSGs are in too.
fn service_tags_decidable(
    c: &Collector<'_>,
    scanned: &[String],
    have: &HashSet<ResourceKind>,
) -> bool {
    if !have.contains(&ResourceKind::ResourceProvider)
        || !have.contains(&ResourceKind::VirtualNetwork)
    {
        return false;
    }
    let Some(sub) = scanned.iter().find(|s| c.read.contains(*s)) else {
        return true;
    };
    have.contains(&ResourceKind::NetworkSecurityGroup) || vnet_location(c, sub).is_some()
}

/// The pages of the service-tags list, and how long they took.
async fn fetch_service_tags(
    client: &ArmClient,
    sub: &str,
    path: &str,
) -> ((Vec<Value>, Option<ArmError>), Duration) {
    let t = tokio::time::Instant::now();
    let r = client
        .pages(path, api_version(ResourceKind::ServiceTags), Some(sub))
        .await;
    (r, t.elapsed())
}

/// Keeps the service-tags list, its pages merged into one, with its `changeNumber`. A list that
/// could not be read to its end is a gap, and none of it is kept: tags then stay "not known offline".
fn apply_service_tags(
    c: &mut Collector<'_>,
    sub: &str,
    path: &str,
    ((pages, error), took): ((Vec<Value>, Option<ArmError>), Duration),
) {
    let kind = ResourceKind::ServiceTags;
    if let Some(e) = error {
        c.gap(Some(sub), kind, path, &e);
        c.note_source(kind, "arm", 0, took);
        return;
    }
    let mut lists: Vec<crate::inventory::network::ServiceTagsList> =
        c.parse(kind, Some(sub), pages);
    if lists.is_empty() {
        return;
    }
    let mut list = lists.remove(0);
    for page in lists {
        list.values.extend(page.values);
    }
    list.next_link = None;
    let n = list.values.len();
    c.inv.service_tags.push(list);
    c.note_source(kind, "arm", n, took);
}

/// The subscriptions under a management group at any depth (its descendants list), leaving out
/// those the subscription list shows disabled. A list that cannot be read is a tenant-wide gap.
async fn management_group_subscriptions(
    c: &mut Collector<'_>,
    group: &str,
    visible: &[Subscription],
) -> Vec<String> {
    let path = format!("/providers/Microsoft.Management/managementGroups/{group}/descendants");
    let (values, error) = c
        .client
        .list(
            &path,
            crate::collect::api::MANAGEMENT_GROUP_API_VERSION,
            None,
        )
        .await;
    if let Some(e) = &error {
        c.gap(None, ResourceKind::Subscription, &path, e);
    }
    let mut out: Vec<String> = Vec::new();
    for v in &values {
        let is_subscription = v
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.to_ascii_lowercase().ends_with("/subscriptions"));
        let Some(id) = v.get("name").and_then(Value::as_str) else {
            continue;
        };
        if !is_subscription || !is_subscription_id(id) {
            continue;
        }
        let id = id.to_ascii_lowercase();
        let disabled = visible.iter().any(|s| {
            s.subscription_id.eq_ignore_ascii_case(&id)
                && s.state
                    .as_deref()
                    .is_some_and(|st| !st.eq_ignore_ascii_case("Enabled"))
        });
        if !disabled && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The subscription list of Recovery Services vaults carries little more than the provisioning
/// state; a GET per vault returns its security settings (soft delete, multi-user authorisation).
async fn read_vault_security_settings(c: &mut Collector<'_>) {
    let ids: Vec<String> = c
        .inv
        .recovery_services_vaults
        .iter()
        .map(|v| v.id.clone())
        .collect();
    let results = fetch_vault_settings(c.client, &ids).await;
    apply_vault_settings(c, ids, results);
}

async fn fetch_vault_settings(client: &ArmClient, ids: &[String]) -> Vec<Result<Value, ArmError>> {
    let kind = ResourceKind::RecoveryServicesVault;
    let urls: Vec<_> = ids
        .iter()
        .map(|id| (client.url(id, api_version(kind)), subscription_of(id)))
        .collect();
    client.get_many(&urls).await
}

fn apply_vault_settings(
    c: &mut Collector<'_>,
    ids: Vec<String>,
    results: Vec<Result<Value, ArmError>>,
) {
    let kind = ResourceKind::RecoveryServicesVault;
    for (id, result) in ids.iter().zip(results) {
        let sub = subscription_of(id);
        match result {
            Ok(value) => {
                let parsed: Vec<crate::inventory::backup::RecoveryServicesVault> =
                    c.parse(kind, sub.as_deref(), vec![value]);
                if let (Some(full), Some(slot)) = (
                    parsed.into_iter().next(),
                    c.inv
                        .recovery_services_vaults
                        .iter_mut()
                        .find(|v| id_key(&v.id) == id_key(id)),
                ) {
                    *slot = full;
                }
            }
            Err(e) => c.gap(sub.as_deref(), kind, id, &e),
        }
    }
}

/// The diagnostic-settings lists of `vaults`.
fn diagnostic_requests(vaults: &[crate::inventory::keyvault::KeyVault]) -> Vec<ListRequest> {
    vaults
        .iter()
        .map(|v| {
            (
                ResourceKind::DiagnosticSetting,
                subscription_of(&v.id),
                format!("{}/providers/Microsoft.Insights/diagnosticSettings", v.id),
            )
        })
        .collect()
}

/// The Resource Guard mapping lists of the Recovery Services vaults in the inventory.
fn guard_requests(inv: &Inventory) -> Vec<ListRequest> {
    inv.recovery_services_vaults
        .iter()
        .map(|v| {
            (
                ResourceKind::ResourceGuardProxy,
                subscription_of(&v.id),
                format!("{}/backupResourceGuardProxies", v.id),
            )
        })
        .collect()
}

/// Keeps only the children Resource Graph returned whose parent is in the inventory (ARM lists
/// them per parent, so it never has others), and only the A records of private-link zones.
fn keep_children_of_collected_parents(inv: &mut Inventory, graph_sourced: &HashSet<ResourceKind>) {
    let parent = |id: &str| {
        crate::azure::ResourceId::parse(id)
            .ok()
            .and_then(|r| r.parent())
            .map(|p| id_key(&p))
    };
    if graph_sourced.contains(&ResourceKind::FlowLog) {
        let watchers: HashSet<String> =
            inv.network_watchers.iter().map(|w| id_key(&w.id)).collect();
        inv.flow_logs
            .retain(|f| parent(&f.id).is_some_and(|p| watchers.contains(&p)));
    }
    let zones: HashSet<String> = inv
        .private_dns_zones
        .iter()
        .map(|z| id_key(&z.id))
        .collect();
    if graph_sourced.contains(&ResourceKind::VirtualNetworkLink) {
        inv.virtual_network_links
            .retain(|l| parent(&l.id).is_some_and(|p| zones.contains(&p)));
    }
    if graph_sourced.contains(&ResourceKind::RecordSet) {
        let private_link: HashSet<String> = inv
            .private_dns_zones
            .iter()
            .filter(|z| is_private_link_zone(z))
            .map(|z| id_key(&z.id))
            .collect();
        inv.record_sets.retain(|r| {
            r.record_type() == "A"
                && r.zone_id()
                    .is_some_and(|z| private_link.contains(&id_key(&z)))
        });
    }
}

/// Zones whose names make them private-link zones (`privatelink.…` or `….privatelink.…`).
fn is_private_link_zone(z: &PrivateDnsZone) -> bool {
    let name = z.zone_name();
    name.starts_with("privatelink.") || name.contains(".privatelink.")
}

fn in_group(id: &str, rg: &str) -> bool {
    crate::azure::ResourceId::parse(id)
        .ok()
        .and_then(|r| r.resource_group().map(|g| g.eq_ignore_ascii_case(rg)))
        .unwrap_or(false)
}

pub(crate) fn filter_resource_group(inv: &mut Inventory, rg: &str) {
    inv.network_security_groups.retain(|r| in_group(&r.id, rg));
    inv.route_tables.retain(|r| in_group(&r.id, rg));
    inv.virtual_networks.retain(|r| in_group(&r.id, rg));
    inv.private_endpoints.retain(|r| in_group(&r.id, rg));
    inv.network_interfaces.retain(|r| in_group(&r.id, rg));
    inv.application_gateways.retain(|r| in_group(&r.id, rg));
    inv.azure_firewalls.retain(|r| in_group(&r.id, rg));
    inv.key_vaults.retain(|r| in_group(&r.id, rg));
    let vaults: HashSet<String> = inv.key_vaults.iter().map(|v| id_key(&v.id)).collect();
    inv.diagnostic_settings
        .retain(|d| d.resource_id().is_some_and(|r| vaults.contains(&id_key(r))));
    inv.recovery_services_vaults.retain(|r| in_group(&r.id, rg));
    inv.resource_guard_proxies.retain(|r| in_group(&r.id, rg));
    // Gateways serve the VNets they sit in: kept with those VNets (or their group), and with them
    // their connections and the local network gateways these use.
    let vnets: HashSet<String> = inv.virtual_networks.iter().map(|v| id_key(&v.id)).collect();
    inv.virtual_network_gateways.retain(|g| {
        in_group(&g.id, rg)
            || g.properties
                .ip_configurations
                .iter()
                .filter_map(|c| c.properties.subnet.as_ref())
                .any(|s| vnets.contains(&id_key(crate::inventory::vnet_of_subnet_id(&s.id))))
    });
    let gateways: HashSet<String> = inv
        .virtual_network_gateways
        .iter()
        .map(|g| id_key(&g.id))
        .collect();
    inv.virtual_network_gateway_connections.retain(|c| {
        in_group(&c.id, rg)
            || [
                &c.properties.virtual_network_gateway1,
                &c.properties.virtual_network_gateway2,
            ]
            .into_iter()
            .flatten()
            .any(|g| gateways.contains(&id_key(&g.id)))
    });
    let sites: HashSet<String> = inv
        .virtual_network_gateway_connections
        .iter()
        .filter_map(|c| c.properties.local_network_gateway2.as_ref())
        .map(|l| id_key(&l.id))
        .collect();
    inv.local_network_gateways
        .retain(|l| in_group(&l.id, rg) || sites.contains(&id_key(&l.id)));
    let circuits: HashSet<String> = inv
        .virtual_network_gateway_connections
        .iter()
        .filter_map(|c| c.properties.peer.as_ref())
        .map(|p| id_key(&p.id))
        .collect();
    inv.express_route_circuits
        .retain(|c| in_group(&c.id, rg) || circuits.contains(&id_key(&c.id)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_namespace_of_a_list_is_its_last_provider_segment() {
        assert_eq!(
            namespace_of("/subscriptions/s/providers/Microsoft.KeyVault/vaults"),
            Some("Microsoft.KeyVault")
        );
        assert_eq!(
            namespace_of(
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/v/providers/Microsoft.Insights/diagnosticSettings"
            ),
            Some("Microsoft.Insights")
        );
        assert_eq!(namespace_of("/subscriptions/s/providers"), None);
        assert_eq!(namespace_of("/subscriptions/s/providers/"), None);
    }

    #[test]
    fn subscription_ids_must_be_guids() {
        assert!(is_subscription_id("22222222-2222-4222-8222-222222222222"));
        assert!(is_subscription_id("ABCDEF01-2345-6789-abcd-ef0123456789"));
        for bad in [
            "",
            "sub1",
            "22222222-2222-4222-8222-22222222222",
            "2222222g-2222-4222-8222-222222222222",
            "22222222222242228222222222222222",
        ] {
            assert!(!is_subscription_id(bad), "{bad}");
        }
    }
}
