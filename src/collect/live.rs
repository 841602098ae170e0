//! Live collection from Azure Resource Manager into the same [`Snapshot`] that snapshot scans read.
//! Subscription-scope lists where ARM has them, children where it does not (flow logs per watcher,
//! links and A records per private DNS zone, diagnostic settings per vault), and references that
//! leave the scope (the subscription of a Traffic Analytics workspace, private DNS zones in a
//! central DNS subscription). Everything that cannot be read becomes a coverage gap; the scan goes on.

use std::collections::{BTreeSet, HashSet};

use chrono::Utc;
use futures::future::join_all;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::snapshot::{SNAPSHOT_KIND, SNAPSHOT_SCHEMA_VERSION, Snapshot, SnapshotScope};
use crate::arm::{ArmClient, ArmError};
use crate::azure::id::{id_key, subscription_of};
use crate::collect::api::api_version;
use crate::inventory::privatedns::PrivateDnsZone;
use crate::inventory::resources::Subscription;
use crate::inventory::{Coverage, CoverageGap, Inventory, ResourceKind};

/// What to collect.
#[derive(Debug, Clone, Default)]
pub struct LiveScope {
    /// Subscription ids to scan (validated GUIDs).
    pub subscriptions: Vec<String>,
    /// Scan every subscription the identity can list.
    pub all_subscriptions: bool,
    /// Only resources in this resource group (private DNS zones and network watchers are kept
    /// wherever they are: they serve resources in other groups).
    pub resource_group: Option<String>,
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
    (ResourceKind::KeyVault, "Microsoft.KeyVault/vaults"),
    (
        ResourceKind::RecoveryServicesVault,
        "Microsoft.RecoveryServices/vaults",
    ),
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

impl Collector<'_> {
    fn gap(&mut self, subscription: Option<&str>, kind: ResourceKind, scope: &str, e: &ArmError) {
        tracing::warn!(kind = ?kind, scope, error = %e, "not collected");
        self.gaps.push(CoverageGap {
            subscription_id: subscription.map(str::to_ascii_lowercase),
            kind,
            scope: Some(scope.to_string()),
            http_status: e.status(),
            code: e.code().map(str::to_string),
            message: e.message(),
        });
    }

    /// Parses items into typed resources; an item that does not parse is a gap, not a panic.
    fn parse<T: DeserializeOwned>(
        &mut self,
        kind: ResourceKind,
        sub: Option<&str>,
        values: Vec<Value>,
    ) -> Vec<T> {
        let mut out = Vec::with_capacity(values.len());
        for v in values {
            let id = v
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("<no id>")
                .to_string();
            match serde_path_to_error::deserialize::<_, T>(v) {
                Ok(t) => out.push(t),
                Err(e) => self.gap(
                    sub,
                    kind,
                    &id,
                    &ArmError::Malformed(format!(
                        "{} at {}: {}",
                        kind.label(),
                        e.path(),
                        e.inner()
                    )),
                ),
            }
        }
        out
    }

    fn absorb(&mut self, kind: ResourceKind, sub: Option<&str>, values: Vec<Value>) {
        use ResourceKind::*;
        match kind {
            NetworkSecurityGroup => {
                let v = self.parse(kind, sub, values);
                self.inv.network_security_groups.extend(v)
            }
            RouteTable => {
                let v = self.parse(kind, sub, values);
                self.inv.route_tables.extend(v)
            }
            VirtualNetwork => {
                let v = self.parse(kind, sub, values);
                self.inv.virtual_networks.extend(v)
            }
            PrivateEndpoint => {
                let v = self.parse(kind, sub, values);
                self.inv.private_endpoints.extend(v)
            }
            NetworkInterface => {
                let v = self.parse(kind, sub, values);
                self.inv.network_interfaces.extend(v)
            }
            NetworkWatcher => {
                let v = self.parse(kind, sub, values);
                self.inv.network_watchers.extend(v)
            }
            ApplicationGateway => {
                let v = self.parse(kind, sub, values);
                self.inv.application_gateways.extend(v)
            }
            AzureFirewall => {
                let v = self.parse(kind, sub, values);
                self.inv.azure_firewalls.extend(v)
            }
            PrivateDnsZone => {
                let v = self.parse(kind, sub, values);
                self.inv.private_dns_zones.extend(v)
            }
            KeyVault => {
                let v = self.parse(kind, sub, values);
                self.inv.key_vaults.extend(v)
            }
            FlowLog => {
                let v = self.parse(kind, sub, values);
                self.inv.flow_logs.extend(v)
            }
            VirtualNetworkLink => {
                let v = self.parse(kind, sub, values);
                self.inv.virtual_network_links.extend(v)
            }
            RecordSet => {
                let v = self.parse(kind, sub, values);
                self.inv.record_sets.extend(v)
            }
            DiagnosticSetting => {
                let v = self.parse(kind, sub, values);
                self.inv.diagnostic_settings.extend(v)
            }
            ResourceProvider => {
                let v = self.parse(kind, sub, values);
                self.inv.resource_providers.extend(v)
            }
            RecoveryServicesVault => {
                let v = self.parse(kind, sub, values);
                self.inv.recovery_services_vaults.extend(v)
            }
            ResourceGuardProxy => {
                let v = self.parse(kind, sub, values);
                self.inv.resource_guard_proxies.extend(v)
            }
            Subscription => {
                let v = self.parse(kind, sub, values);
                self.inv.subscriptions.extend(v)
            }
            other => unreachable!("{other:?} is not collected by list"),
        }
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

    /// Runs list requests concurrently and absorbs their results in request order.
    async fn run_lists(&mut self, requests: Vec<(ResourceKind, Option<String>, String)>) {
        let client = self.client;
        let results = join_all(requests.iter().map(|(kind, sub, path)| async move {
            client.list(path, api_version(*kind), sub.as_deref()).await
        }))
        .await;
        let mut unregistered = Vec::new();
        for ((kind, sub, path), (items, error)) in requests.into_iter().zip(results) {
            self.absorb(kind, sub.as_deref(), items);
            match error {
                None => {
                    if let Some(s) = &sub {
                        self.read.insert(s.clone());
                    }
                }
                // Decided once every registration of this batch has been absorbed.
                Some(e) if is_missing_registration(&e) => unregistered.push((kind, sub, path, e)),
                Some(e) => self.gap(sub.as_deref(), kind, &path, &e),
            }
        }
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

/// Collects the tenant described by `scope`, refusing a result that read nothing: a token ARM
/// rejected, no subscription to scan, or no requested subscription of which a single list could
/// be read. Such a snapshot would pass for an empty, clean tenant.
pub async fn collect_checked(
    client: &ArmClient,
    scope: &LiveScope,
) -> Result<Snapshot, Unreadable> {
    let (snapshot, read) = collect_with_reads(client, scope).await;
    if let Some(e) = client.rejection() {
        return Err(Unreadable::TokenRejected(e));
    }
    let scanned = &snapshot.scope.subscriptions;
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

/// The snapshot, and the scanned subscriptions of which at least one list was read.
async fn collect_with_reads(client: &ArmClient, scope: &LiveScope) -> (Snapshot, HashSet<String>) {
    let started = Utc::now();
    let mut c = Collector {
        client,
        inv: Inventory::default(),
        gaps: Vec::new(),
        read: HashSet::new(),
    };

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
    let scanned: Vec<String> = if scope.all_subscriptions {
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
        scope
            .subscriptions
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect()
    };
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

    // 2. Provider registrations and every subscription-scope list, all subscriptions at once.
    let mut requests = Vec::new();
    for sub in &scanned {
        requests.push((
            ResourceKind::ResourceProvider,
            Some(sub.clone()),
            format!("/subscriptions/{sub}/providers"),
        ));
        for (kind, provider_path) in SUBSCRIPTION_LISTS {
            requests.push((
                *kind,
                Some(sub.clone()),
                format!("/subscriptions/{sub}/providers/{provider_path}"),
            ));
        }
    }
    c.run_lists(requests).await;

    // 3. Private DNS zones in subscriptions outside the scan (a central DNS subscription) that the
    //    identity can read: endpoints in scope depend on them.
    if !c.inv.private_endpoints.is_empty() {
        let others: Vec<String> = visible
            .iter()
            .map(|s| s.subscription_id.to_ascii_lowercase())
            .filter(|s| !scanned_set.contains(s))
            .collect();
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
    }

    // 4. Children that have no subscription-wide list.
    let mut requests = Vec::new();
    for w in &c.inv.network_watchers {
        requests.push((
            ResourceKind::FlowLog,
            subscription_of(&w.id),
            format!("{}/flowLogs", w.id),
        ));
    }
    for z in &c.inv.private_dns_zones {
        let sub = subscription_of(&z.id);
        requests.push((
            ResourceKind::VirtualNetworkLink,
            sub.clone(),
            format!("{}/virtualNetworkLinks", z.id),
        ));
        if is_private_link_zone(z) {
            requests.push((ResourceKind::RecordSet, sub, format!("{}/A", z.id)));
        }
    }
    for v in &c.inv.key_vaults {
        requests.push((
            ResourceKind::DiagnosticSetting,
            subscription_of(&v.id),
            format!("{}/providers/Microsoft.Insights/diagnosticSettings", v.id),
        ));
    }
    for v in &c.inv.recovery_services_vaults {
        requests.push((
            ResourceKind::ResourceGuardProxy,
            subscription_of(&v.id),
            format!("{}/backupResourceGuardProxies", v.id),
        ));
    }
    c.run_lists(requests).await;
    read_vault_security_settings(&mut c).await;

    // 5. Provider registrations of subscriptions that hold a Traffic Analytics workspace but are
    //    not scanned: Traffic Analytics needs Microsoft.Network registered there.
    let workspace_subs: BTreeSet<String> = c
        .inv
        .flow_logs
        .iter()
        .filter_map(|f| {
            f.traffic_analytics()?
                .workspace_resource_id
                .as_deref()
                .and_then(subscription_of)
        })
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
    sort_inventory(&mut c.inv);
    let read = c.read;
    let snapshot = Snapshot {
        kind: SNAPSHOT_KIND.to_string(),
        schema_version: SNAPSHOT_SCHEMA_VERSION,
        collected_at: started,
        source: Some("live".into()),
        cloud: client.target().cloud,
        scope: SnapshotScope {
            subscriptions: scanned,
        },
        coverage: Coverage { gaps: c.gaps },
        collection: Some(client.stats()),
        inventory: c.inv,
    };
    (snapshot, read)
}

/// The subscription list of Recovery Services vaults carries little more than the provisioning
/// state; a GET per vault returns its security settings (soft delete, multi-user authorisation).
async fn read_vault_security_settings(c: &mut Collector<'_>) {
    let client = c.client;
    let kind = ResourceKind::RecoveryServicesVault;
    let ids: Vec<String> = c
        .inv
        .recovery_services_vaults
        .iter()
        .map(|v| v.id.clone())
        .collect();
    let results = join_all(ids.iter().map(|id| async move {
        let url = client.url(id, api_version(kind));
        (
            id,
            client.get_json(&url, subscription_of(id).as_deref()).await,
        )
    }))
    .await;
    for (id, result) in results {
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
}

/// Orders every list by id so that a snapshot does not depend on response timing.
fn sort_inventory(inv: &mut Inventory) {
    macro_rules! sort {
        ($($field:ident),*) => { $( inv.$field.sort_by_key(|r| id_key(&r.id)); )* };
    }
    sort!(
        subscriptions,
        network_security_groups,
        route_tables,
        virtual_networks,
        private_endpoints,
        private_dns_zones,
        virtual_network_links,
        record_sets,
        key_vaults,
        diagnostic_settings,
        network_watchers,
        flow_logs,
        application_gateways,
        network_interfaces,
        azure_firewalls,
        recovery_services_vaults,
        resource_guard_proxies
    );
    inv.resource_providers.sort_by_key(|p| {
        (
            p.id.as_deref().map(id_key).unwrap_or_default(),
            p.namespace.to_ascii_lowercase(),
        )
    });
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
