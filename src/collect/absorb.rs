//! Parsing what ARM or Resource Graph returned into the typed inventory: an item that does not
//! parse is a coverage gap of its own, never a panic. Free of the client, so that large pages
//! can be parsed on a blocking thread while the collection goes on.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::arm::ArmError;
use crate::azure::id::subscription_of;
use crate::inventory::{CoverageGap, Inventory, ResourceKind};

/// Resources and coverage gaps parsed from some pages, to be merged into a collection.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub inv: Inventory,
    pub gaps: Vec<CoverageGap>,
}

impl Parsed {
    /// Parses `items` into the inventory list of `kind`; returns how many were added.
    pub fn absorb(&mut self, kind: ResourceKind, sub: Option<&str>, items: impl Items) -> usize {
        absorb_items(&mut self.inv, &mut self.gaps, kind, sub, items)
    }

    /// Takes in another part.
    pub fn append(&mut self, other: Parsed) {
        self.inv.append(other.inv);
        self.gaps.extend(other.gaps);
    }
}

/// Records that `scope` of `kind` could not be read, and why.
pub(crate) fn record_gap(
    gaps: &mut Vec<CoverageGap>,
    subscription: Option<&str>,
    kind: ResourceKind,
    scope: &str,
    e: &ArmError,
) {
    tracing::warn!(kind = ?kind, scope, error = %e, "not collected");
    gaps.push(CoverageGap {
        subscription_id: subscription.map(str::to_ascii_lowercase),
        kind,
        scope: Some(scope.to_string()),
        http_status: e.status(),
        code: e.code().map(str::to_string),
        message: e.message(),
    });
}

/// Items of one kind, not yet typed: JSON values from an ARM list, or the rows of a Resource
/// Graph page still as their text.
pub(crate) trait Items {
    /// The items that parse as `T`; each one that does not is a gap of its own.
    fn parse<T: DeserializeOwned>(
        self,
        gaps: &mut Vec<CoverageGap>,
        kind: ResourceKind,
        sub: Option<&str>,
    ) -> Vec<T>;
}

impl Items for Vec<Value> {
    fn parse<T: DeserializeOwned>(
        self,
        gaps: &mut Vec<CoverageGap>,
        kind: ResourceKind,
        sub: Option<&str>,
    ) -> Vec<T> {
        parse_items(gaps, kind, sub, self)
    }
}

/// Parses items into typed resources; an item that does not parse is a gap, not a panic.
pub(crate) fn parse_items<T: DeserializeOwned>(
    gaps: &mut Vec<CoverageGap>,
    kind: ResourceKind,
    sub: Option<&str>,
    values: Vec<Value>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        // Most items parse: the path of the first failure is only worth tracking for those
        // that do not, so they are parsed again to find it.
        if let Ok(t) = T::deserialize(&v) {
            out.push(t);
            continue;
        }
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("<no id>")
            .to_string();
        match serde_path_to_error::deserialize::<_, T>(v) {
            Ok(t) => out.push(t),
            // Rows of a Resource Graph query span subscriptions: the gap is the row's own.
            Err(e) => record_gap(
                gaps,
                sub.map(str::to_string)
                    .or_else(|| subscription_of(&id))
                    .as_deref(),
                kind,
                &id,
                &ArmError::Malformed(format!("{} at {}: {}", kind.label(), e.path(), e.inner())),
            ),
        }
    }
    out
}

/// Parses `items` into the inventory list of `kind`; returns how many were added.
pub(crate) fn absorb_items(
    inv: &mut Inventory,
    gaps: &mut Vec<CoverageGap>,
    kind: ResourceKind,
    sub: Option<&str>,
    items: impl Items,
) -> usize {
    use ResourceKind::*;
    let before = count_of(inv, kind);
    match kind {
        NetworkSecurityGroup => {
            let v = items.parse(gaps, kind, sub);
            inv.network_security_groups.extend(v)
        }
        RouteTable => {
            let v = items.parse(gaps, kind, sub);
            inv.route_tables.extend(v)
        }
        VirtualNetwork => {
            let v = items.parse(gaps, kind, sub);
            inv.virtual_networks.extend(v)
        }
        PrivateEndpoint => {
            let v = items.parse(gaps, kind, sub);
            inv.private_endpoints.extend(v)
        }
        NetworkInterface => {
            let v = items.parse(gaps, kind, sub);
            inv.network_interfaces.extend(v)
        }
        NetworkWatcher => {
            let v = items.parse(gaps, kind, sub);
            inv.network_watchers.extend(v)
        }
        ApplicationGateway => {
            let v = items.parse(gaps, kind, sub);
            inv.application_gateways.extend(v)
        }
        AzureFirewall => {
            let v = items.parse(gaps, kind, sub);
            inv.azure_firewalls.extend(v)
        }
        PrivateDnsZone => {
            let v = items.parse(gaps, kind, sub);
            inv.private_dns_zones.extend(v)
        }
        KeyVault => {
            let v = items.parse(gaps, kind, sub);
            inv.key_vaults.extend(v)
        }
        FlowLog => {
            let v = items.parse(gaps, kind, sub);
            inv.flow_logs.extend(v)
        }
        VirtualNetworkLink => {
            let v = items.parse(gaps, kind, sub);
            inv.virtual_network_links.extend(v)
        }
        RecordSet => {
            let v = items.parse(gaps, kind, sub);
            inv.record_sets.extend(v)
        }
        DiagnosticSetting => {
            let v = items.parse(gaps, kind, sub);
            inv.diagnostic_settings.extend(v)
        }
        ResourceProvider => {
            let v = items.parse(gaps, kind, sub);
            inv.resource_providers.extend(v)
        }
        RecoveryServicesVault => {
            let v = items.parse(gaps, kind, sub);
            inv.recovery_services_vaults.extend(v)
        }
        ResourceGuardProxy => {
            let v = items.parse(gaps, kind, sub);
            inv.resource_guard_proxies.extend(v)
        }
        Subscription => {
            let v = items.parse(gaps, kind, sub);
            inv.subscriptions.extend(v)
        }
        VirtualNetworkGateway => {
            let v = items.parse(gaps, kind, sub);
            inv.virtual_network_gateways.extend(v)
        }
        LocalNetworkGateway => {
            let v = items.parse(gaps, kind, sub);
            inv.local_network_gateways.extend(v)
        }
        VirtualNetworkGatewayConnection => {
            let v = items.parse(gaps, kind, sub);
            inv.virtual_network_gateway_connections.extend(v)
        }
        ExpressRouteCircuit => {
            let v = items.parse(gaps, kind, sub);
            inv.express_route_circuits.extend(v)
        }
        ServiceTags => {
            let v = items.parse(gaps, kind, sub);
            inv.service_tags.extend(v)
        }
        other => {
            tracing::error!(kind = ?other, "not a kind collected by list; items dropped");
        }
    }
    count_of(inv, kind).saturating_sub(before)
}

/// How many items of `kind` the inventory holds.
pub(crate) fn count_of(inv: &Inventory, kind: ResourceKind) -> usize {
    use ResourceKind::*;
    let i = inv;
    match kind {
        NetworkSecurityGroup => i.network_security_groups.len(),
        RouteTable => i.route_tables.len(),
        VirtualNetwork => i.virtual_networks.len(),
        PrivateEndpoint => i.private_endpoints.len(),
        NetworkInterface => i.network_interfaces.len(),
        NetworkWatcher => i.network_watchers.len(),
        ApplicationGateway => i.application_gateways.len(),
        AzureFirewall => i.azure_firewalls.len(),
        PrivateDnsZone => i.private_dns_zones.len(),
        KeyVault => i.key_vaults.len(),
        FlowLog => i.flow_logs.len(),
        VirtualNetworkLink => i.virtual_network_links.len(),
        RecordSet => i.record_sets.len(),
        DiagnosticSetting => i.diagnostic_settings.len(),
        ResourceProvider => i.resource_providers.len(),
        RecoveryServicesVault => i.recovery_services_vaults.len(),
        ResourceGuardProxy => i.resource_guard_proxies.len(),
        Subscription => i.subscriptions.len(),
        VirtualNetworkGateway => i.virtual_network_gateways.len(),
        LocalNetworkGateway => i.local_network_gateways.len(),
        VirtualNetworkGatewayConnection => i.virtual_network_gateway_connections.len(),
        ExpressRouteCircuit => i.express_route_circuits.len(),
        ServiceTags => i.service_tags.len(),
        _ => 0,
    }
}
