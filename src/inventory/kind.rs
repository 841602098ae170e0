//! The resource kinds azaudit reads, and a parser per kind for raw ARM response bodies.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::*;

/// Every ARM payload kind azaudit understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Subscription,
    ResourceProvider,
    NetworkSecurityGroup,
    RouteTable,
    VirtualNetwork,
    Subnet,
    VirtualNetworkPeering,
    PrivateEndpoint,
    PrivateDnsZone,
    VirtualNetworkLink,
    RecordSet,
    KeyVault,
    KeyVaultPrivateEndpointConnection,
    DiagnosticSetting,
    DiagnosticSettingsCategory,
    NetworkWatcher,
    FlowLog,
    ApplicationGateway,
    NetworkInterface,
    AzureFirewall,
    VirtualNetworkGateway,
    LocalNetworkGateway,
    VirtualNetworkGatewayConnection,
    ExpressRouteCircuit,
    ServiceTags,
    EffectiveRouteTable,
    EffectiveNetworkSecurityGroups,
    RecoveryServicesVault,
    ResourceGuardProxy,
    ResourceGuard,
    ResourceGraphQuery,
}

impl ResourceKind {
    pub fn label(self) -> &'static str {
        use ResourceKind::*;
        match self {
            Subscription => "subscriptions",
            ResourceProvider => "resource providers",
            NetworkSecurityGroup => "network security groups",
            RouteTable => "route tables",
            VirtualNetwork => "virtual networks",
            Subnet => "subnets",
            VirtualNetworkPeering => "virtual network peerings",
            PrivateEndpoint => "private endpoints",
            PrivateDnsZone => "private DNS zones",
            VirtualNetworkLink => "private DNS virtual network links",
            RecordSet => "private DNS record sets",
            KeyVault => "key vaults",
            KeyVaultPrivateEndpointConnection => "key vault private endpoint connections",
            DiagnosticSetting => "diagnostic settings",
            DiagnosticSettingsCategory => "diagnostic settings categories",
            NetworkWatcher => "network watchers",
            FlowLog => "flow logs",
            ApplicationGateway => "application gateways",
            NetworkInterface => "network interfaces",
            AzureFirewall => "Azure firewalls",
            VirtualNetworkGateway => "virtual network gateways",
            LocalNetworkGateway => "local network gateways",
            VirtualNetworkGatewayConnection => "virtual network gateway connections",
            ExpressRouteCircuit => "ExpressRoute circuits",
            ServiceTags => "service tags",
            EffectiveRouteTable => "effective routes",
            EffectiveNetworkSecurityGroups => "effective security rules",
            RecoveryServicesVault => "Recovery Services vaults",
            ResourceGuardProxy => "Resource Guard mappings",
            ResourceGuard => "Resource Guards",
            ResourceGraphQuery => "Resource Graph results",
        }
    }

    /// Parses an ARM response body of this kind (a single object or a `{"value": [...]}` page) and
    /// returns how many items it held.
    pub fn parse_body(self, body: &Value) -> Result<usize, String> {
        use ResourceKind::*;
        match self {
            Subscription => count::<resources::Subscription>(body),
            ResourceProvider => count::<resources::ResourceProvider>(body),
            NetworkSecurityGroup => count::<network::NetworkSecurityGroup>(body),
            RouteTable => count::<network::RouteTable>(body),
            VirtualNetwork => count::<network::VirtualNetwork>(body),
            Subnet => count::<network::Subnet>(body),
            VirtualNetworkPeering => count::<network::VirtualNetworkPeering>(body),
            PrivateEndpoint => count::<network::PrivateEndpoint>(body),
            PrivateDnsZone => count::<privatedns::PrivateDnsZone>(body),
            VirtualNetworkLink => count::<privatedns::VirtualNetworkLink>(body),
            RecordSet => count::<privatedns::RecordSet>(body),
            KeyVault => count::<keyvault::KeyVault>(body),
            KeyVaultPrivateEndpointConnection => {
                count::<keyvault::KeyVaultPrivateEndpointConnection>(body)
            }
            DiagnosticSetting => count::<monitor::DiagnosticSetting>(body),
            DiagnosticSettingsCategory => count::<monitor::DiagnosticSettingsCategory>(body),
            NetworkWatcher => count::<network::NetworkWatcher>(body),
            FlowLog => count::<network::FlowLog>(body),
            ApplicationGateway => count::<network::ApplicationGateway>(body),
            NetworkInterface => count::<network::NetworkInterface>(body),
            AzureFirewall => count::<network::AzureFirewall>(body),
            VirtualNetworkGateway => count::<network::VirtualNetworkGateway>(body),
            LocalNetworkGateway => count::<network::LocalNetworkGateway>(body),
            VirtualNetworkGatewayConnection => {
                count::<network::VirtualNetworkGatewayConnection>(body)
            }
            ExpressRouteCircuit => count::<network::ExpressRouteCircuit>(body),
            ServiceTags => count::<network::ServiceTagsList>(body),
            EffectiveRouteTable => count::<effective::EffectiveRoute>(body),
            EffectiveNetworkSecurityGroups => {
                count::<effective::EffectiveNetworkSecurityGroup>(body)
            }
            RecoveryServicesVault => count::<backup::RecoveryServicesVault>(body),
            ResourceGuardProxy => count::<backup::ResourceGuardProxy>(body),
            ResourceGuard => count::<backup::ResourceGuard>(body),
            ResourceGraphQuery => {
                serde_json::from_value::<effective::ResourceGraphResponse>(body.clone())
                    .map(|r| r.data.as_array().map_or(0, Vec::len))
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// The ARM list envelope.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    #[serde(default = "Vec::new", deserialize_with = "super::common::null_default")]
    pub value: Vec<T>,
    #[serde(default, rename = "nextLink")]
    pub next_link: Option<String>,
}

fn count<T: DeserializeOwned>(body: &Value) -> Result<usize, String> {
    if body.get("value").is_some_and(Value::is_array) {
        let page: Page<T> = serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
        Ok(page.value.len())
    } else {
        serde_json::from_value::<T>(body.clone()).map_err(|e| e.to_string())?;
        Ok(1)
    }
}
