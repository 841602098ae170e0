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
    /// Parses `values` into the inventory list of `kind`; returns how many were added.
    pub fn absorb(&mut self, kind: ResourceKind, sub: Option<&str>, values: Vec<Value>) -> usize {
        absorb_items(&mut self.inv, &mut self.gaps, kind, sub, values)
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

/// Parses `values` into the inventory list of `kind`; returns how many were added.
pub(crate) fn absorb_items(
    inv: &mut Inventory,
    gaps: &mut Vec<CoverageGap>,
    kind: ResourceKind,
    sub: Option<&str>,
    values: Vec<Value>,
) -> usize {
    use ResourceKind::*;
    let before = count_of(inv, kind);
    match kind {
        NetworkSecurityGroup => {
            let v = parse_items(gaps, kind, sub, values);
            inv.network_security_groups.extend(v)
        }
        RouteTable => {
            let v = parse_items(gaps, kind, sub, values);
            inv.route_tables.extend(v)
        }
        VirtualNetwork => {
            let v = parse_items(gaps, kind, sub, values);
            inv.virtual_networks.extend(v)
        }
        PrivateEndpoint => {
            let v = parse_items(gaps, kind, sub, values);
            inv.private_endpoints.extend(v)
        }
        NetworkInterface => {
            let v = parse_items(gaps, kind, sub, values);
            inv.network_interfaces.extend(v)
        }
        NetworkWatcher => {
            let v = parse_items(gaps, kind, sub, values);
            inv.network_watchers.extend(v)
        }
        ApplicationGateway => {
            let v = parse_items(gaps, kind, sub, values);
            inv.application_gateways.extend(v)
        }
        AzureFirewall => {
            let v = parse_items(gaps, kind, sub, values);
            inv.azure_firewalls.extend(v)
        }
        PrivateDnsZone => {
            let v = parse_items(gaps, kind, sub, values);
            inv.private_dns_zones.extend(v)
        }
        KeyVault => {
            let v = parse_items(gaps, kind, sub, values);
            inv.key_vaults.extend(v)
        }
        FlowLog => {
            let v = parse_items(gaps, kind, sub, values);
            inv.flow_logs.extend(v)
        }
        VirtualNetworkLink => {
            let v = parse_items(gaps, kind, sub, values);
            inv.virtual_network_links.extend(v)
        }
        RecordSet => {
            let v = parse_items(gaps, kind, sub, values);
            inv.record_sets.extend(v)
        }
        DiagnosticSetting => {
            let v = parse_items(gaps, kind, sub, values);
            inv.diagnostic_settings.extend(v)
        }
        ResourceProvider => {
            let v = parse_items(gaps, kind, sub, values);
            inv.resource_providers.extend(v)
        }
        RecoveryServicesVault => {
            let v = parse_items(gaps, kind, sub, values);
            inv.recovery_services_vaults.extend(v)
        }
        ResourceGuardProxy => {
            let v = parse_items(gaps, kind, sub, values);
            inv.resource_guard_proxies.extend(v)
        }
        Subscription => {
            let v = parse_items(gaps, kind, sub, values);
            inv.subscriptions.extend(v)
        }
        VirtualNetworkGateway => {
            let v = parse_items(gaps, kind, sub, values);
            inv.virtual_network_gateways.extend(v)
        }
        LocalNetworkGateway => {
            let v = parse_items(gaps, kind, sub, values);
            inv.local_network_gateways.extend(v)
        }
        VirtualNetworkGatewayConnection => {
            let v = parse_items(gaps, kind, sub, values);
            inv.virtual_network_gateway_connections.extend(v)
        }
        ExpressRouteCircuit => {
            let v = parse_items(gaps, kind, sub, values);
            inv.express_route_circuits.extend(v)
        }
        ServiceTags => {
            let v = parse_items(gaps, kind, sub, values);
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
