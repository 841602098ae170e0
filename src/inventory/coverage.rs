//! What a collection could not read. Rules consult it so an unreadable input becomes "not evaluated"
//! instead of a false clean bill.

use super::ResourceKind;
use serde::{Deserialize, Serialize};

/// One thing that could not be collected: a 403 on a subscription, an unregistered provider, a
/// malformed page, exhausted retries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CoverageGap {
    /// The subscription, when the gap is confined to one.
    #[serde(default)]
    pub subscription_id: Option<String>,
    pub kind: ResourceKind,
    /// The resource or scope that was being read.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub http_status: Option<u16>,
    /// ARM's `error.code`.
    #[serde(default)]
    pub code: Option<String>,
    pub message: String,
}

impl ResourceKind {
    /// The kinds through which this kind is collected: when one of them could not be read, neither
    /// was this one (flow logs are listed per network watcher, links and record sets per zone,
    /// diagnostic settings per vault, and everything within a subscription that could not be read).
    pub fn read_through(self) -> &'static [ResourceKind] {
        use ResourceKind::*;
        match self {
            Subscription => &[],
            FlowLog => &[NetworkWatcher, Subscription],
            VirtualNetworkLink | RecordSet => &[PrivateDnsZone, Subscription],
            DiagnosticSetting | DiagnosticSettingsCategory => &[KeyVault, Subscription],
            KeyVaultPrivateEndpointConnection => &[KeyVault, Subscription],
            ResourceGuardProxy | ResourceGuard => &[RecoveryServicesVault, Subscription],
            Subnet | VirtualNetworkPeering => &[VirtualNetwork, Subscription],
            EffectiveRouteTable | EffectiveNetworkSecurityGroups => {
                &[NetworkInterface, Subscription]
            }
            _ => &[Subscription],
        }
    }
}

/// Whether two resource ids are the same resource or one contains the other (compared
/// case-insensitively, as ARM does).
fn related(a: &str, b: &str) -> bool {
    let (a, b) = (
        a.trim_end_matches('/').to_ascii_lowercase(),
        b.trim_end_matches('/').to_ascii_lowercase(),
    );
    let within = |inner: &str, outer: &str| {
        inner.len() > outer.len()
            && inner.starts_with(outer)
            && inner.as_bytes()[outer.len()] == b'/'
    };
    a == b || within(&a, &b) || within(&b, &a)
}

/// The resource whose data a scope reads: the scope itself when it names a resource, its parent
/// when it names a list under one (`{zone}/A`, `{vault}/providers/Microsoft.Insights/diagnosticSettings`),
/// `None` for a list of a whole subscription (`/subscriptions/{s}/providers/…`) or of the tenant.
fn scope_owner(scope: &str) -> Option<String> {
    let segs: Vec<&str> = scope.trim_matches('/').split('/').collect();
    let is = |i: usize, name: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(name));
    let n = segs.len();
    let (mut i, mut end) = (0, 0);
    if is(0, "subscriptions") && n >= 2 {
        i = 2;
        end = 2;
        if is(2, "resourceGroups") && n >= 4 {
            i = 4;
            end = 4;
        }
    }
    if end == 0 {
        return None;
    }
    while is(i, "providers") {
        i += 2; // `providers/{namespace}`
        // Then `{type}/{name}` pairs; a type without a name is a list.
        while i + 1 < n && !is(i, "providers") {
            i += 2;
            end = i;
        }
        if i < n && !is(i, "providers") {
            break;
        }
    }
    // A subscription (or `…/providers` of one) is the whole subscription.
    (end > 2).then(|| format!("/{}", segs[..end].join("/")))
}

impl CoverageGap {
    /// Whether this gap leaves data of `kind` unread: a gap of that kind, or of a kind it is
    /// collected through.
    pub fn touches_kind(&self, kind: ResourceKind) -> bool {
        self.kind == kind || kind.read_through().contains(&self.kind)
    }

    /// Whether this gap may hide data about the resource `id` (its properties, its children, or
    /// anything in its subscription when the gap spans the subscription). A gap without a
    /// subscription and without a narrower scope spans the tenant.
    pub fn touches_resource(&self, id: &str) -> bool {
        if let Some(owner) = self.scope.as_deref().and_then(scope_owner) {
            return related(&owner, id);
        }
        match &self.subscription_id {
            None => true,
            Some(s) => {
                crate::azure::id::subscription_of(id).is_some_and(|o| o.eq_ignore_ascii_case(s))
            }
        }
    }

    /// `{kind} in {subscription}: {message}`, for reasons and reports.
    pub fn summary(&self) -> String {
        format!(
            "{}{}: {}",
            self.kind.label(),
            self.subscription_id
                .as_deref()
                .map(|s| format!(" in {s}"))
                .unwrap_or_default(),
            self.message
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Coverage {
    #[serde(default)]
    pub gaps: Vec<CoverageGap>,
}

impl Coverage {
    pub fn is_complete(&self) -> bool {
        self.gaps.is_empty()
    }
    /// The gaps that leave any of `kinds` unread (directly or through a kind they are collected
    /// through).
    pub fn gaps_for<'a>(
        &'a self,
        kinds: &'a [ResourceKind],
    ) -> impl Iterator<Item = &'a CoverageGap> + 'a {
        self.gaps
            .iter()
            .filter(move |g| kinds.iter().any(|k| g.touches_kind(*k)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZONE: &str = "/subscriptions/h/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net";

    fn gap(sub: Option<&str>, kind: ResourceKind, scope: Option<&str>) -> CoverageGap {
        CoverageGap {
            subscription_id: sub.map(str::to_string),
            kind,
            scope: scope.map(str::to_string),
            http_status: Some(403),
            code: None,
            message: "x".into(),
        }
    }

    #[test]
    fn scopes_name_the_resource_whose_data_is_missing() {
        assert_eq!(scope_owner(&format!("{ZONE}/A")).as_deref(), Some(ZONE));
        assert_eq!(
            scope_owner(&format!("{ZONE}/virtualNetworkLinks")).as_deref(),
            Some(ZONE)
        );
        assert_eq!(scope_owner(ZONE).as_deref(), Some(ZONE));
        let vault = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv";
        assert_eq!(
            scope_owner(&format!(
                "{vault}/providers/Microsoft.Insights/diagnosticSettings"
            ))
            .as_deref(),
            Some(vault)
        );
        assert_eq!(
            scope_owner("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups")
                .as_deref(),
            Some("/subscriptions/s/resourceGroups/rg")
        );
        for whole in [
            "/subscriptions/s/providers/Microsoft.Network/networkSecurityGroups",
            "/subscriptions/s/providers",
            "/subscriptions/s",
            "/subscriptions",
            "<no id>",
        ] {
            assert_eq!(scope_owner(whole), None, "{whole}");
        }
    }

    #[test]
    fn a_gap_touches_resources_of_its_scope_or_subscription_only() {
        let record = format!("{ZONE}/A/kv-app");
        let other_zone = ZONE.replace("vaultcore", "blob.core.windows");
        let scoped = gap(
            Some("h"),
            ResourceKind::RecordSet,
            Some(&format!("{ZONE}/A")),
        );
        assert!(scoped.touches_resource(ZONE));
        assert!(scoped.touches_resource(&record));
        assert!(
            !scoped.touches_resource(&other_zone),
            "another zone's records were read"
        );
        let whole = gap(Some("H"), ResourceKind::RecordSet, None);
        assert!(
            whole.touches_resource(&other_zone),
            "subscription ids compare case-insensitively"
        );
        assert!(!whole.touches_resource("/subscriptions/spoke/resourceGroups/rg"));
        let listed = gap(
            Some("h"),
            ResourceKind::PrivateDnsZone,
            Some("/subscriptions/h/providers/Microsoft.Network/privateDnsZones"),
        );
        assert!(listed.touches_resource(ZONE));
        assert!(!listed.touches_resource("/subscriptions/spoke/resourceGroups/rg"));
        let tenant = gap(None, ResourceKind::Subscription, Some("/subscriptions"));
        assert!(tenant.touches_resource("/subscriptions/anything/resourceGroups/rg"));
    }

    #[test]
    fn a_gap_in_a_parent_kind_leaves_its_children_unread() {
        let watchers = gap(Some("s"), ResourceKind::NetworkWatcher, None);
        assert!(watchers.touches_kind(ResourceKind::FlowLog));
        assert!(watchers.touches_kind(ResourceKind::NetworkWatcher));
        assert!(!watchers.touches_kind(ResourceKind::RouteTable));
        let zones = gap(Some("s"), ResourceKind::PrivateDnsZone, None);
        assert!(zones.touches_kind(ResourceKind::RecordSet));
        assert!(zones.touches_kind(ResourceKind::VirtualNetworkLink));
        let sub = gap(Some("s"), ResourceKind::Subscription, None);
        assert!(
            sub.touches_kind(ResourceKind::KeyVault) && sub.touches_kind(ResourceKind::FlowLog)
        );
        let records = gap(Some("s"), ResourceKind::RecordSet, None);
        assert!(!records.touches_kind(ResourceKind::PrivateDnsZone));
    }
}

/// Request counters of the collection that read the inventory, reported in the run metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RequestStats {
    pub requests: u64,
    pub retries: u64,
    pub throttled: u64,
    pub throttle_wait_ms: u64,
    pub bytes: u64,
    pub refused_next_links: u64,
    /// Resource Graph queries sent (each page is one query).
    #[serde(default)]
    pub graph_queries: u64,
    /// Time Resource Graph queries waited for the per-user quota window to reset.
    #[serde(default)]
    pub graph_quota_wait_ms: u64,
    /// ARM batch calls sent, and the GET requests inside them.
    #[serde(default)]
    pub batch_calls: u64,
    #[serde(default)]
    pub batch_inner_requests: u64,
    /// Where each kind was read from (`graph`, `arm`, `batch`), with items and time.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub sources: std::collections::BTreeMap<ResourceKind, KindSource>,
}

/// How one kind was collected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KindSource {
    /// `graph` (Azure Resource Graph), `arm` (ARM lists and GETs) or `batch` (ARM batch).
    pub source: String,
    /// Items of the kind read.
    pub items: u64,
    /// Wall time of the kind's reads (the slowest of its requests that ran together).
    pub duration_ms: u64,
    /// Why Resource Graph was not used for the kind when it was asked first (its error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_from_graph: Option<String>,
}
