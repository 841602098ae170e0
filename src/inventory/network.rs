//! Microsoft.Network payloads: NSGs, route tables, virtual networks, private endpoints, NICs,
//! network watchers and flow logs, application gateways, Azure Firewalls, VNet gateways.
//! Shapes follow the 2024-05-01/2024-07-01 API (Microsoft's examples); see ARM-FACTS §1.2–1.14.

use super::common::{Extra, Resource, SubResource, Toggle, lenient_bool, null_default};
use crate::open_enum;
use serde::{Deserialize, Serialize};

open_enum!(
    /// NSG rule protocol; `*` (and `All` in effective rules) means any.
    Protocol { Any => "*" | "All" | "Any", Tcp => "Tcp", Udp => "Udp", Icmp => "Icmp", Esp => "Esp", Ah => "Ah" }
);
open_enum!(Access { Allow => "Allow", Deny => "Deny" });
open_enum!(Direction { Inbound => "Inbound", Outbound => "Outbound" });
open_enum!(
    /// Route next hop types (`RouteNextHopType`), with the spellings effective routes use.
    NextHopType {
        VirtualNetworkGateway => "VirtualNetworkGateway",
        VnetLocal => "VnetLocal" | "VirtualNetwork",
        Internet => "Internet",
        VirtualAppliance => "VirtualAppliance",
        None => "None",
        VnetPeering => "VNetPeering" | "VirtualNetworkPeering",
        ServiceEndpoint => "VirtualNetworkServiceEndpoint",
        InterfaceEndpoint => "InterfaceEndpoint",
    }
);
open_enum!(
    /// `privateEndpointNetworkPolicies` of a subnet; the API default is `Disabled`.
    PrivateEndpointNetworkPolicies {
        Disabled => "Disabled",
        Enabled => "Enabled",
        NetworkSecurityGroupEnabled => "NetworkSecurityGroupEnabled",
        RouteTableEnabled => "RouteTableEnabled",
    }
);
open_enum!(PeeringState { Initiated => "Initiated", Connected => "Connected", Disconnected => "Disconnected" });

impl PrivateEndpointNetworkPolicies {
    /// Whether NSG rules apply to private endpoints in the subnet.
    pub fn nsg_applies(&self) -> bool {
        matches!(self, Self::Enabled | Self::NetworkSecurityGroupEnabled)
    }
    /// Whether UDRs can invalidate the endpoints' /32 routes.
    pub fn route_tables_apply(&self) -> bool {
        matches!(self, Self::Enabled | Self::RouteTableEnabled)
    }
}

// ---------------------------------------------------------------- NSGs

pub type NetworkSecurityGroup = Resource<NsgProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct NsgProperties {
    #[serde(deserialize_with = "super::rule_list::user_rules")]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<SecurityRule>"))]
    pub security_rules: SecurityRules,
    #[serde(deserialize_with = "super::rule_list::default_rules")]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<SecurityRule>"))]
    pub default_security_rules: SecurityRules,
    #[serde(deserialize_with = "null_default")]
    pub subnets: Vec<SubResource>,
    #[serde(deserialize_with = "null_default")]
    pub network_interfaces: Vec<SubResource>,
    #[serde(deserialize_with = "null_default")]
    pub flow_logs: Vec<SubResource>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

pub use super::rule_list::SecurityRules;
pub use super::security_rule::{SecurityRule, SecurityRuleProperties};

/// The singular value, then the plural ones, trimmed, without empty strings.
fn merge<'a, S: AsRef<str>>(one: &'a Option<S>, many: &'a [S]) -> Vec<&'a str> {
    let mut out: Vec<&str> = many
        .iter()
        .map(|s| s.as_ref().trim())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(s) = one
        .as_ref()
        .map(|s| s.as_ref().trim())
        .filter(|s| !s.is_empty())
    {
        out.insert(0, s);
    }
    out
}

// ---------------------------------------------------------------- route tables

pub type RouteTable = Resource<RouteTableProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct RouteTableProperties {
    #[serde(deserialize_with = "null_default")]
    pub routes: Vec<Route>,
    #[serde(deserialize_with = "null_default")]
    pub subnets: Vec<SubResource>,
    /// Absent in some list responses: absent means "not set" (propagation on).
    #[serde(deserialize_with = "lenient_bool")]
    pub disable_bgp_route_propagation: Option<bool>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct Route {
    pub id: Option<String>,
    pub name: String,
    pub properties: RouteProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RouteProperties {
    /// A CIDR prefix or a service tag name.
    #[serde(default)]
    pub address_prefix: String,
    pub next_hop_type: NextHopType,
    #[serde(default)]
    pub next_hop_ip_address: Option<String>,
    #[serde(default)]
    pub has_bgp_override: Option<bool>,
    #[serde(default)]
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Default for RouteProperties {
    fn default() -> Self {
        RouteProperties {
            address_prefix: String::new(),
            next_hop_type: NextHopType::None,
            next_hop_ip_address: None,
            has_bgp_override: None,
            provisioning_state: None,
            extra: Extra::new(),
        }
    }
}

// ---------------------------------------------------------------- virtual networks

pub type VirtualNetwork = Resource<VirtualNetworkProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct VirtualNetworkProperties {
    pub address_space: AddressSpace,
    pub dhcp_options: Option<DhcpOptions>,
    #[serde(deserialize_with = "null_default")]
    pub subnets: Vec<Subnet>,
    #[serde(deserialize_with = "null_default")]
    pub virtual_network_peerings: Vec<VirtualNetworkPeering>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct AddressSpace {
    #[serde(deserialize_with = "null_default")]
    pub address_prefixes: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct DhcpOptions {
    /// Empty means Azure-provided DNS (168.63.129.16).
    #[serde(deserialize_with = "null_default")]
    pub dns_servers: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl VirtualNetwork {
    /// Custom DNS servers, empty when the VNet uses Azure-provided DNS.
    pub fn dns_servers(&self) -> &[String] {
        self.properties
            .dhcp_options
            .as_ref()
            .map(|d| d.dns_servers.as_slice())
            .unwrap_or_default()
    }
}

pub type Subnet = Resource<SubnetProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct SubnetProperties {
    pub address_prefix: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub address_prefixes: Vec<String>,
    pub network_security_group: Option<SubResource>,
    pub route_table: Option<SubResource>,
    pub nat_gateway: Option<SubResource>,
    #[serde(deserialize_with = "null_default")]
    pub service_endpoints: Vec<ServiceEndpoint>,
    #[serde(deserialize_with = "null_default")]
    pub delegations: Vec<Delegation>,
    #[serde(deserialize_with = "null_default")]
    pub private_endpoints: Vec<SubResource>,
    #[serde(deserialize_with = "null_default")]
    pub ip_configurations: Vec<SubResource>,
    /// Absent means the API default, `Disabled`.
    pub private_endpoint_network_policies: Option<PrivateEndpointNetworkPolicies>,
    pub private_link_service_network_policies: Option<Toggle>,
    pub default_outbound_access: Option<bool>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Subnet {
    /// Address prefixes from the singular or the plural field.
    pub fn prefixes(&self) -> Vec<&str> {
        merge(
            &self.properties.address_prefix,
            &self.properties.address_prefixes,
        )
    }
    /// Whether the subnet is delegated to `service` (e.g. `Microsoft.Network/applicationGateways`).
    pub fn is_delegated_to(&self, service: &str) -> bool {
        self.properties.delegations.iter().any(|d| {
            d.properties
                .service_name
                .trim()
                .eq_ignore_ascii_case(service)
        })
    }
    /// The effective `privateEndpointNetworkPolicies`, applying the API default.
    pub fn pe_network_policies(&self) -> PrivateEndpointNetworkPolicies {
        self.properties
            .private_endpoint_network_policies
            .clone()
            .unwrap_or(PrivateEndpointNetworkPolicies::Disabled)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceEndpoint {
    pub service: String,
    #[serde(deserialize_with = "null_default")]
    pub locations: Vec<String>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct Delegation {
    pub name: Option<String>,
    pub properties: DelegationProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct DelegationProperties {
    pub service_name: String,
    #[serde(deserialize_with = "null_default")]
    pub actions: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct VirtualNetworkPeering {
    pub id: Option<String>,
    pub name: Option<String>,
    pub properties: PeeringProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct PeeringProperties {
    pub allow_virtual_network_access: Option<bool>,
    pub allow_forwarded_traffic: Option<bool>,
    pub allow_gateway_transit: Option<bool>,
    pub use_remote_gateways: Option<bool>,
    pub remote_virtual_network: Option<SubResource>,
    pub remote_address_space: Option<AddressSpace>,
    pub remote_virtual_network_address_space: Option<AddressSpace>,
    pub peering_state: Option<PeeringState>,
    pub peering_sync_level: Option<String>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl VirtualNetworkPeering {
    /// The remote prefixes this peering makes reachable: the peered space, else the remote VNet's space.
    pub fn remote_prefixes(&self) -> Vec<&str> {
        let p = &self.properties;
        p.remote_address_space
            .as_ref()
            .filter(|s| !s.address_prefixes.is_empty())
            .or(p.remote_virtual_network_address_space.as_ref())
            .map(|s| s.address_prefixes.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }
    pub fn is_connected(&self) -> bool {
        matches!(self.properties.peering_state, Some(PeeringState::Connected))
    }
    /// Whether the peer's space is in this VNet's `VirtualNetwork` tag: a connected peering with
    /// `allowVirtualNetworkAccess` true (the default when absent). With it false the peer is not in
    /// the tag, so AllowVnetInBound/OutBound do not admit it (Microsoft: virtual-network-manage-peering).
    pub fn in_virtual_network_tag(&self) -> bool {
        self.is_connected() && self.properties.allow_virtual_network_access != Some(false)
    }
}

// ---------------------------------------------------------------- private endpoints

pub type PrivateEndpoint = Resource<PrivateEndpointProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct PrivateEndpointProperties {
    pub subnet: Option<SubResource>,
    #[serde(deserialize_with = "null_default")]
    pub private_link_service_connections: Vec<PrivateLinkServiceConnection>,
    #[serde(deserialize_with = "null_default")]
    pub manual_private_link_service_connections: Vec<PrivateLinkServiceConnection>,
    #[serde(deserialize_with = "null_default")]
    pub network_interfaces: Vec<SubResource>,
    #[serde(deserialize_with = "null_default")]
    pub custom_dns_configs: Vec<CustomDnsConfig>,
    #[serde(deserialize_with = "null_default")]
    pub ip_configurations: Vec<PrivateEndpointIpConfiguration>,
    #[serde(deserialize_with = "null_default")]
    pub application_security_groups: Vec<SubResource>,
    pub custom_network_interface_name: Option<String>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct PrivateLinkServiceConnection {
    pub id: Option<String>,
    pub name: Option<String>,
    pub properties: PrivateLinkServiceConnectionProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct PrivateLinkServiceConnectionProperties {
    pub private_link_service_id: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub group_ids: Vec<String>,
    pub request_message: Option<String>,
    pub private_link_service_connection_state: Option<ConnectionState>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

open_enum!(
    /// `privateLinkServiceConnectionState.status`.
    ConnectionStatus { Approved => "Approved", Pending => "Pending", Rejected => "Rejected", Disconnected => "Disconnected" }
);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ConnectionState {
    pub status: Option<ConnectionStatus>,
    pub description: Option<String>,
    pub actions_required: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct CustomDnsConfig {
    pub fqdn: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub ip_addresses: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct PrivateEndpointIpConfiguration {
    pub name: Option<String>,
    pub properties: PrivateEndpointIpConfigurationProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct PrivateEndpointIpConfigurationProperties {
    pub group_id: Option<String>,
    pub member_name: Option<String>,
    #[serde(rename = "privateIPAddress")]
    pub private_ip_address: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One connection of a private endpoint, whichever list (automatic or manual) it came from.
#[derive(Debug, Clone, Copy)]
pub struct EndpointConnection<'a> {
    pub connection: &'a PrivateLinkServiceConnection,
    pub manual: bool,
}

impl EndpointConnection<'_> {
    pub fn target(&self) -> &str {
        self.connection
            .properties
            .private_link_service_id
            .as_deref()
            .unwrap_or_default()
    }
    pub fn status(&self) -> Option<&ConnectionStatus> {
        self.connection
            .properties
            .private_link_service_connection_state
            .as_ref()
            .and_then(|s| s.status.as_ref())
    }
    pub fn is_approved(&self) -> bool {
        matches!(self.status(), Some(ConnectionStatus::Approved))
    }
}

impl PrivateEndpoint {
    /// Automatic and manual connections together.
    pub fn connections(&self) -> impl Iterator<Item = EndpointConnection<'_>> {
        let p = &self.properties;
        p.private_link_service_connections
            .iter()
            .map(|c| EndpointConnection {
                connection: c,
                manual: false,
            })
            .chain(
                p.manual_private_link_service_connections
                    .iter()
                    .map(|c| EndpointConnection {
                        connection: c,
                        manual: true,
                    }),
            )
    }
    pub fn subnet_id(&self) -> Option<&str> {
        self.properties
            .subnet
            .as_ref()
            .map(|s| s.id.as_str())
            .filter(|s| !s.is_empty())
    }
}

// ---------------------------------------------------------------- NICs

pub type NetworkInterface = Resource<NetworkInterfaceProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkInterfaceProperties {
    #[serde(deserialize_with = "null_default")]
    pub ip_configurations: Vec<NicIpConfiguration>,
    pub network_security_group: Option<SubResource>,
    pub virtual_machine: Option<SubResource>,
    pub private_endpoint: Option<SubResource>,
    #[serde(rename = "enableIPForwarding", deserialize_with = "lenient_bool")]
    pub enable_ip_forwarding: Option<bool>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct NicIpConfiguration {
    pub id: Option<String>,
    pub name: Option<String>,
    pub properties: NicIpConfigurationProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct NicIpConfigurationProperties {
    #[serde(rename = "privateIPAddress")]
    pub private_ip_address: Option<String>,
    #[serde(rename = "privateIPAllocationMethod")]
    pub private_ip_allocation_method: Option<String>,
    pub subnet: Option<SubResource>,
    #[serde(rename = "publicIPAddress")]
    pub public_ip_address: Option<SubResource>,
    #[serde(deserialize_with = "null_default")]
    pub application_security_groups: Vec<SubResource>,
    pub primary: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

// ---------------------------------------------------------------- watchers and flow logs

pub type NetworkWatcher = Resource<Extra>;

pub type FlowLog = Resource<FlowLogProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct FlowLogProperties {
    pub target_resource_id: Option<String>,
    pub storage_id: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub enabled: Option<bool>,
    pub flow_analytics_configuration: Option<FlowAnalyticsConfiguration>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct FlowAnalyticsConfiguration {
    pub network_watcher_flow_analytics_configuration: Option<TrafficAnalytics>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct TrafficAnalytics {
    #[serde(deserialize_with = "lenient_bool")]
    pub enabled: Option<bool>,
    pub workspace_id: Option<String>,
    pub workspace_region: Option<String>,
    pub workspace_resource_id: Option<String>,
    pub traffic_analytics_interval: Option<u32>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl FlowLog {
    pub fn traffic_analytics(&self) -> Option<&TrafficAnalytics> {
        self.properties
            .flow_analytics_configuration
            .as_ref()
            .and_then(|c| c.network_watcher_flow_analytics_configuration.as_ref())
    }
    /// The subscription (lower-case) of the Log Analytics workspace Traffic Analytics sends to,
    /// which needs Microsoft.Network registered whether or not it is scanned.
    pub fn workspace_subscription(&self) -> Option<String> {
        self.traffic_analytics()?
            .workspace_resource_id
            .as_deref()
            .and_then(crate::azure::id::subscription_of)
    }
    /// The watcher this flow log belongs to (flow logs are children of a network watcher).
    pub fn watcher_id(&self) -> Option<String> {
        crate::azure::ResourceId::parse(&self.id)
            .ok()
            .and_then(|id| id.parent())
    }
}

// ---------------------------------------------------------------- application gateways, firewalls, gateways

pub type ApplicationGateway = Resource<ApplicationGatewayProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ApplicationGatewayProperties {
    pub sku: Option<ApplicationGatewaySku>,
    #[serde(rename = "gatewayIPConfigurations", deserialize_with = "null_default")]
    pub gateway_ip_configurations: Vec<SubnetHolder>,
    #[serde(rename = "frontendIPConfigurations", deserialize_with = "null_default")]
    pub frontend_ip_configurations: Vec<FrontendIpConfiguration>,
    #[serde(deserialize_with = "null_default")]
    pub backend_address_pools: Vec<BackendAddressPool>,
    pub operational_state: Option<String>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ApplicationGatewaySku {
    pub name: Option<String>,
    pub tier: Option<String>,
    pub capacity: Option<u32>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ApplicationGateway {
    /// v2 SKUs (`Standard_v2`, `WAF_v2`, `Basic`) need ports 65200–65535 open to `GatewayManager`.
    pub fn is_v2(&self) -> bool {
        let sku = self.properties.sku.as_ref();
        let tier = sku.and_then(|s| s.tier.as_deref()).unwrap_or_default();
        let name = sku.and_then(|s| s.name.as_deref()).unwrap_or_default();
        tier.to_ascii_lowercase().ends_with("_v2")
            || name.to_ascii_lowercase().ends_with("_v2")
            || tier.eq_ignore_ascii_case("Basic")
    }
    pub fn subnet_ids(&self) -> Vec<&str> {
        self.properties
            .gateway_ip_configurations
            .iter()
            .filter_map(|c| c.properties.subnet.as_ref().map(|s| s.id.as_str()))
            .collect()
    }
}

/// An `ipConfigurations`-style child whose properties name a subnet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct SubnetHolder {
    pub id: Option<String>,
    pub name: Option<String>,
    pub properties: SubnetHolderProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct SubnetHolderProperties {
    pub subnet: Option<SubResource>,
    #[serde(rename = "privateIPAddress")]
    pub private_ip_address: Option<String>,
    #[serde(rename = "publicIPAddress")]
    pub public_ip_address: Option<SubResource>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct FrontendIpConfiguration {
    pub id: Option<String>,
    pub name: Option<String>,
    pub properties: SubnetHolderProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct BackendAddressPool {
    pub id: Option<String>,
    pub name: Option<String>,
    pub properties: Extra,
    #[serde(flatten)]
    pub extra: Extra,
}

pub type AzureFirewall = Resource<AzureFirewallProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct AzureFirewallProperties {
    #[serde(deserialize_with = "null_default")]
    pub ip_configurations: Vec<SubnetHolder>,
    pub firewall_policy: Option<SubResource>,
    /// Classic rules (a firewall without a policy): network rule collections, evaluated in
    /// priority order before application rules.
    #[serde(deserialize_with = "null_default")]
    pub network_rule_collections: Vec<FirewallNetworkRuleCollection>,
    /// Classic application (FQDN) rule collections: kept, not evaluated.
    #[serde(deserialize_with = "null_default")]
    pub application_rule_collections: Vec<Extra>,
    pub sku: Option<Extra>,
    pub threat_intel_mode: Option<String>,
    /// A Virtual WAN hub firewall (`AZFW_Hub`) has no `ipConfigurations`: its addresses are here.
    #[serde(rename = "hubIPAddresses")]
    pub hub_ip_addresses: Option<HubIpAddresses>,
    /// The Virtual WAN hub a hub firewall is deployed in.
    pub virtual_hub: Option<SubResource>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A classic network rule collection of an Azure Firewall (AzureFirewallGet example shape).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct FirewallNetworkRuleCollection {
    pub id: Option<String>,
    pub name: Option<String>,
    pub properties: FirewallNetworkRuleCollectionProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct FirewallNetworkRuleCollectionProperties {
    pub priority: Option<u32>,
    pub action: Option<FirewallRuleAction>,
    #[serde(deserialize_with = "null_default")]
    pub rules: Vec<FirewallNetworkRule>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct FirewallRuleAction {
    /// `Allow` or `Deny`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct FirewallNetworkRule {
    pub name: Option<String>,
    /// `TCP`, `UDP`, `ICMP`, `Any`.
    #[serde(deserialize_with = "null_default")]
    pub protocols: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub source_addresses: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub source_ip_groups: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub destination_addresses: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub destination_ip_groups: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub destination_fqdns: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub destination_ports: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct HubIpAddresses {
    /// The private address UDRs point at: a string in Microsoft's example
    /// (`"privateIPAddress": "10.0.0.0"`); read leniently, an object with an address field counts.
    #[serde(rename = "privateIPAddress")]
    pub private_ip_address: Option<serde_json::Value>,
    #[serde(rename = "publicIPs")]
    pub public_ips: Option<HubPublicIps>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct HubPublicIps {
    #[serde(deserialize_with = "null_default")]
    pub addresses: Vec<Extra>,
    pub count: Option<u32>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl HubIpAddresses {
    /// The hub firewall's private address, whichever shape it came in.
    pub fn private_ip(&self) -> Option<&str> {
        match self.private_ip_address.as_ref()? {
            serde_json::Value::String(s) => Some(s.as_str()),
            serde_json::Value::Object(o) => ["ip", "address", "ipAddress", "privateIPAddress"]
                .iter()
                .find_map(|k| o.get(*k).and_then(|v| v.as_str())),
            _ => None,
        }
        .map(str::trim)
        .filter(|s| !s.is_empty())
    }
}

impl AzureFirewall {
    /// The firewall's private addresses: those of its ip configurations and, for a Virtual WAN hub
    /// firewall, `hubIPAddresses.privateIPAddress`.
    pub fn private_ips(&self) -> Vec<&str> {
        let mut ips: Vec<&str> = self
            .properties
            .ip_configurations
            .iter()
            .filter_map(|c| c.properties.private_ip_address.as_deref())
            .collect();
        if let Some(ip) = self
            .properties
            .hub_ip_addresses
            .as_ref()
            .and_then(|h| h.private_ip())
        {
            ips.push(ip);
        }
        ips
    }
    /// Whether the firewall has a public IP (so traffic it sends to the Internet leaves from an
    /// Azure public address).
    pub fn has_public_ip(&self) -> bool {
        self.properties
            .ip_configurations
            .iter()
            .any(|c| c.properties.public_ip_address.is_some())
            || self
                .properties
                .hub_ip_addresses
                .as_ref()
                .and_then(|h| h.public_ips.as_ref())
                .is_some_and(|p| !p.addresses.is_empty() || p.count.is_some_and(|c| c > 0))
    }
}

pub type VirtualNetworkGateway = Resource<VirtualNetworkGatewayProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct VirtualNetworkGatewayProperties {
    pub gateway_type: Option<String>,
    pub vpn_type: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub enable_bgp: Option<bool>,
    #[serde(deserialize_with = "null_default")]
    pub ip_configurations: Vec<SubnetHolder>,
    pub custom_routes: Option<AddressSpace>,
    #[serde(flatten)]
    pub extra: Extra,
}

// ---------------------------------------------------------------- local network gateways, connections

/// A local network gateway: the on-premises site behind a site-to-site connection.
pub type LocalNetworkGateway = Resource<LocalNetworkGatewayProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct LocalNetworkGatewayProperties {
    /// The on-premises prefixes Azure routes to the connection (`VirtualNetworkGateway` routes).
    pub local_network_address_space: Option<AddressSpace>,
    pub gateway_ip_address: Option<String>,
    pub fqdn: Option<String>,
    /// Present when the site speaks BGP: its routes are then learned, not listed in ARM.
    pub bgp_settings: Option<BgpSettings>,
    pub provisioning_state: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl LocalNetworkGateway {
    /// The on-premises prefixes listed on the gateway.
    pub fn address_prefixes(&self) -> &[String] {
        self.properties
            .local_network_address_space
            .as_ref()
            .map_or(&[], |a| a.address_prefixes.as_slice())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct BgpSettings {
    pub asn: Option<u64>,
    pub bgp_peering_address: Option<String>,
    pub peer_weight: Option<i64>,
    #[serde(flatten)]
    pub extra: Extra,
}

open_enum!(
    /// `connectionType` of a virtual network gateway connection.
    GatewayConnectionType { IPsec => "IPsec", Vnet2Vnet => "Vnet2Vnet", ExpressRoute => "ExpressRoute", VpnClient => "VPNClient" }
);
open_enum!(
    /// `connectionStatus` of a virtual network gateway connection.
    GatewayConnectionStatus { Unknown => "Unknown", Connecting => "Connecting", Connected => "Connected", NotConnected => "NotConnected" }
);

/// A virtual network gateway connection (`Microsoft.Network/connections`). Its `sharedKey` (the
/// IPsec pre-shared key, a secret) is dropped while parsing: it never reaches the inventory, a
/// snapshot, a log or a report.
pub type VirtualNetworkGatewayConnection = Resource<ConnectionProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ConnectionProperties {
    pub virtual_network_gateway1: Option<SubResource>,
    pub virtual_network_gateway2: Option<SubResource>,
    pub local_network_gateway2: Option<SubResource>,
    pub peer: Option<SubResource>,
    pub connection_type: Option<GatewayConnectionType>,
    pub connection_status: Option<GatewayConnectionStatus>,
    #[serde(deserialize_with = "lenient_bool")]
    pub enable_bgp: Option<bool>,
    pub provisioning_state: Option<String>,
    #[serde(flatten, deserialize_with = "without_secrets")]
    pub extra: Extra,
}

/// Keys that hold secrets and are never kept, at any depth of a gateway connection's or an
/// ExpressRoute circuit's properties: IPsec and BGP pre-shared keys, authorization keys, a
/// circuit's service key.
const SECRET_KEYS: &[&str] = &["sharedKey", "authorizationKey", "serviceKey"];

/// Reads the unmodeled fields of a connection or circuit without its secrets.
fn without_secrets<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Extra, D::Error> {
    let mut m = Extra::deserialize(d)?;
    m.retain(|k, v| {
        strip_value(v);
        !is_secret(k)
    });
    Ok(m)
}

fn is_secret(key: &str) -> bool {
    SECRET_KEYS.iter().any(|s| s.eq_ignore_ascii_case(key))
}

fn strip_value(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            o.retain(|k, _| !is_secret(k));
            o.values_mut().for_each(strip_value);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_value),
        _ => {}
    }
}

impl VirtualNetworkGatewayConnection {
    /// The connection's type (site-to-site `IPsec`, `Vnet2Vnet`, `ExpressRoute`).
    pub fn connection_type(&self) -> Option<&GatewayConnectionType> {
        self.properties.connection_type.as_ref()
    }
    /// Whether the connection's routes are programmed: a provisioned connection whose status is not
    /// `NotConnected` (`Connecting` is a tunnel coming up; an absent status is read from the
    /// configuration).
    pub fn is_up(&self) -> bool {
        !matches!(
            self.properties.connection_status,
            Some(GatewayConnectionStatus::NotConnected)
        ) && self
            .properties
            .provisioning_state
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("Succeeded"))
    }
}

// ---------------------------------------------------------------- ExpressRoute circuits

/// An ExpressRoute circuit, as far as ARM shows it: its provider, location and provisioning
/// states. The routes it carries are learned over BGP and are not in ARM. Its `serviceKey`, and the
/// keys of its authorizations and peerings, are dropped while parsing.
pub type ExpressRouteCircuit = Resource<ExpressRouteCircuitProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ExpressRouteCircuitProperties {
    pub service_provider_properties: Option<ServiceProviderProperties>,
    /// Azure's side (`Enabled`).
    pub circuit_provisioning_state: Option<String>,
    /// The provider's side (`NotProvisioned`, `Provisioning`, `Provisioned`, `Deprovisioning`):
    /// only a provisioned circuit carries traffic.
    pub service_provider_provisioning_state: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub global_reach_enabled: Option<bool>,
    pub provisioning_state: Option<String>,
    #[serde(flatten, deserialize_with = "without_secrets")]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceProviderProperties {
    pub service_provider_name: Option<String>,
    pub peering_location: Option<String>,
    pub bandwidth_in_mbps: Option<u64>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ExpressRouteCircuit {
    /// What ARM says of the circuit, for a caveat: provider, location and the provider's state.
    pub fn summary(&self) -> String {
        let p = &self.properties;
        let sp = p.service_provider_properties.as_ref();
        let provider = sp
            .and_then(|s| s.service_provider_name.as_deref())
            .unwrap_or("unknown provider");
        let location = sp
            .and_then(|s| s.peering_location.as_deref())
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        let state = p
            .service_provider_provisioning_state
            .as_deref()
            .unwrap_or("unknown");
        format!(
            "circuit {}: {provider}{location}, provider state {state}",
            self.display_name()
        )
    }
}

// ---------------------------------------------------------------- service tags

/// The answer of `GET /subscriptions/{id}/providers/Microsoft.Network/locations/{location}/serviceTags`:
/// every service tag of the cloud with its prefixes, as of `changeNumber`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceTagsList {
    pub id: Option<String>,
    pub name: Option<String>,
    pub change_number: Option<String>,
    pub cloud: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub values: Vec<ServiceTag>,
    pub next_link: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceTag {
    pub name: String,
    pub id: Option<String>,
    pub properties: ServiceTagProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceTagProperties {
    pub change_number: Option<String>,
    pub region: Option<String>,
    pub system_service: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub address_prefixes: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}
