//! The ARM endpoints and api-versions azaudit reads each kind with (see the README's
//! "Permissions and API versions"). Kept in one table so collection and documentation agree.

use crate::inventory::ResourceKind;

/// Public-cloud ARM host; sovereign clouds have their own.
pub const PUBLIC_ARM_ENDPOINT: &str = "https://management.azure.com";

/// The api-version of the management-group descendants list (`--management-group`).
pub const MANAGEMENT_GROUP_API_VERSION: &str = "2020-05-01";

/// The api-version azaudit uses for a resource kind.
pub fn api_version(kind: ResourceKind) -> &'static str {
    use ResourceKind::*;
    match kind {
        Subscription => "2022-12-01",
        ResourceProvider => "2025-04-01",
        NetworkSecurityGroup
        | RouteTable
        | VirtualNetwork
        | Subnet
        | VirtualNetworkPeering
        | PrivateEndpoint
        | NetworkInterface
        | NetworkWatcher
        | FlowLog
        | AzureFirewall
        | VirtualNetworkGateway
        | LocalNetworkGateway
        | VirtualNetworkGatewayConnection
        | ExpressRouteCircuit
        | ServiceTags => "2024-05-01",
        ApplicationGateway | EffectiveRouteTable | EffectiveNetworkSecurityGroups => "2024-07-01",
        PrivateDnsZone | VirtualNetworkLink | RecordSet => "2024-06-01",
        KeyVault | KeyVaultPrivateEndpointConnection => "2024-11-01",
        DiagnosticSetting | DiagnosticSettingsCategory => "2021-05-01-preview",
        RecoveryServicesVault | ResourceGuardProxy => "2025-02-01",
        ResourceGuard => "2025-07-01",
        ResourceGraphQuery => "2024-04-01",
    }
}
