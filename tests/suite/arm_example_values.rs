//! What azaudit reads from Microsoft's ARM examples through its typed structs: parsing is not enough,
//! each value a rule relies on must arrive in the field meant for it (a misnamed field would parse,
//! land in `extra`, and read as absent).

use std::path::{Path, PathBuf};

use azaudit::inventory::Page;
use azaudit::inventory::backup::{RecoveryServicesVault, ResourceGuard, ResourceGuardProxy};
use azaudit::inventory::effective::{
    EffectiveNetworkSecurityGroup, EffectiveRoute, ResourceGraphResponse,
};
use azaudit::inventory::keyvault::{
    Bypass, DefaultAction, KeyVault, KeyVaultPrivateEndpointConnection,
};
use azaudit::inventory::monitor::{DiagnosticSetting, DiagnosticSettingsCategory};
use azaudit::inventory::network::*;
use azaudit::inventory::privatedns::{
    LinkState, PrivateDnsZone, RecordSet, ResolutionPolicy, VirtualNetworkLink,
};
use azaudit::inventory::resources::{RegistrationState, ResourceProvider};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::common::examples::{examples_dir, read_example};

fn body<'a>(doc: &'a Value, rel: &str, status: &str) -> &'a Value {
    doc["responses"][status]
        .get("body")
        .unwrap_or_else(|| panic!("{rel} has no {status} response body"))
}

fn typed<T: DeserializeOwned>(v: &Value, rel: &str) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The single resource in an example's response `status`.
fn one_at<T: DeserializeOwned>(dir: &Path, rel: &str, status: &str) -> T {
    let doc = read_example(dir, rel);
    typed(body(&doc, rel, status), rel)
}

fn one<T: DeserializeOwned>(dir: &Path, rel: &str) -> T {
    one_at(dir, rel, "200")
}

/// The items of a list example's 200 page, checked to be as many as the raw `value` array holds.
fn page<T: DeserializeOwned>(dir: &Path, rel: &str) -> Page<T> {
    let doc = read_example(dir, rel);
    let body = body(&doc, rel, "200");
    let raw = body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{rel}: the body has no value array"))
        .len();
    let page: Page<T> = typed(body, rel);
    assert_eq!(
        page.value.len(),
        raw,
        "{rel}: items parsed vs the raw value array"
    );
    page
}

fn list<T: DeserializeOwned>(dir: &Path, rel: &str) -> Vec<T> {
    page(dir, rel).value
}

fn dir(test: &str) -> Option<PathBuf> {
    examples_dir(test)
}

fn id_of(r: &Option<azaudit::inventory::SubResource>) -> &str {
    r.as_ref().map(|s| s.id.as_str()).unwrap_or_default()
}

fn rules(rules: &[SecurityRule]) -> Vec<(&str, u32, Direction, Access)> {
    rules
        .iter()
        .map(|r| {
            let p = &r.properties;
            (
                r.name.as_str(),
                p.priority,
                p.direction.clone(),
                p.access.clone(),
            )
        })
        .collect()
}

/// Azure's six default rules, as every NSG example lists them.
fn default_rules() -> Vec<(&'static str, u32, Direction, Access)> {
    use Access::*;
    use Direction::*;
    vec![
        ("AllowVnetInBound", 65000, Inbound, Allow),
        ("AllowAzureLoadBalancerInBound", 65001, Inbound, Allow),
        ("DenyAllInBound", 65500, Inbound, Deny),
        ("AllowVnetOutBound", 65000, Outbound, Allow),
        ("AllowInternetOutBound", 65001, Outbound, Allow),
        ("DenyAllOutBound", 65500, Outbound, Deny),
    ]
}

#[test]
fn nsg_get_has_one_custom_rule_and_the_six_default_rules() {
    let Some(dir) = dir("nsg_get_has_one_custom_rule_and_the_six_default_rules") else {
        return;
    };
    let nsg: NetworkSecurityGroup = one(&dir, "network/NetworkSecurityGroupGet.json");
    assert_eq!(nsg.display_name(), "testnsg");
    assert_eq!(
        rules(&nsg.properties.security_rules),
        [("rule1", 130, Direction::Inbound, Access::Allow)]
    );
    let r = &nsg.properties.security_rules[0].properties;
    assert_eq!(r.protocol, Protocol::Any);
    assert_eq!(r.destination_ports(), ["80"]);
    assert_eq!(r.source_ports(), ["*"]);
    assert_eq!(r.sources(), ["*"]);
    assert_eq!(r.destinations(), ["*"]);
    assert_eq!(
        rules(&nsg.properties.default_security_rules),
        default_rules()
    );
    let d = &nsg.properties.default_security_rules;
    assert_eq!(d[0].properties.sources(), ["VirtualNetwork"]);
    assert_eq!(d[0].properties.destinations(), ["VirtualNetwork"]);
    assert_eq!(d[1].properties.sources(), ["AzureLoadBalancer"]);
    assert_eq!(d[4].properties.destinations(), ["Internet"]);
    assert_eq!(
        d[0].properties.description(),
        Some("Allow inbound traffic from all VMs in VNET")
    );
}

#[test]
fn nsg_list_has_two_groups_with_only_default_rules() {
    let Some(dir) = dir("nsg_list_has_two_groups_with_only_default_rules") else {
        return;
    };
    let nsgs: Vec<NetworkSecurityGroup> = list(&dir, "network/NetworkSecurityGroupListAll.json");
    let names: Vec<_> = nsgs.iter().map(|n| n.display_name()).collect();
    assert_eq!(names, ["nsg1", "nsg3"]);
    for n in &nsgs {
        assert!(n.properties.security_rules.is_empty());
        assert_eq!(rules(&n.properties.default_security_rules), default_rules());
    }
}

fn routes(rt: &RouteTable) -> Vec<(&str, &str, NextHopType, Option<&str>)> {
    rt.properties
        .routes
        .iter()
        .map(|r| {
            let p = &r.properties;
            (
                r.name.as_str(),
                p.address_prefix.as_str(),
                p.next_hop_type.clone(),
                p.next_hop_ip_address.as_deref(),
            )
        })
        .collect()
}

#[test]
fn route_tables_read_routes_next_hops_and_bgp_propagation() {
    let Some(dir) = dir("route_tables_read_routes_next_hops_and_bgp_propagation") else {
        return;
    };
    let route1 = [(
        "route1",
        "10.0.3.0/24",
        NextHopType::VirtualNetworkGateway,
        None,
    )];
    let rt: RouteTable = one(&dir, "network/RouteTableGet.json");
    assert_eq!(rt.display_name(), "testrt");
    assert_eq!(rt.properties.disable_bgp_route_propagation, Some(false));
    assert_eq!(routes(&rt), route1);

    let rts: Vec<RouteTable> = list(&dir, "network/RouteTableList.json");
    let got: Vec<_> = rts
        .iter()
        .map(|t| {
            (
                t.display_name(),
                t.properties.disable_bgp_route_propagation,
                routes(t).len(),
            )
        })
        .collect();
    assert_eq!(got, [("testrt", Some(true), 1), ("testrt2", Some(true), 0)]);
    assert_eq!(routes(&rts[0]), route1);

    // The subscription-wide list omits the field: read as unset, not as false.
    let rts: Vec<RouteTable> = list(&dir, "network/RouteTableListAll.json");
    let got: Vec<_> = rts
        .iter()
        .map(|t| {
            (
                t.display_name(),
                t.properties.disable_bgp_route_propagation,
                routes(t).len(),
            )
        })
        .collect();
    assert_eq!(got, [("testrt", None, 1), ("testrt3", None, 0)]);
    assert_eq!(routes(&rts[0]), route1);
}

#[test]
fn effective_routes_read_prefixes_and_next_hops() {
    let Some(dir) = dir("effective_routes_read_prefixes_and_next_hops") else {
        return;
    };
    let routes: Vec<EffectiveRoute> =
        list(&dir, "network/NetworkInterfaceEffectiveRouteTableList.json");
    let got: Vec<_> = routes
        .iter()
        .map(|r| {
            (
                r.source.as_deref(),
                r.state.as_deref(),
                r.address_prefix.clone(),
                r.next_hop_type.clone(),
                r.next_hop_ip_address.len(),
            )
        })
        .collect();
    let d = |p: &str, hop| {
        (
            Some("Default"),
            Some("Active"),
            vec![p.to_string()],
            Some(hop),
            0,
        )
    };
    assert_eq!(
        got,
        [
            d("172.20.2.0/24", NextHopType::VnetLocal),
            d("0.0.0.0/0", NextHopType::Internet),
            d("10.0.0.0/8", NextHopType::None),
            d("100.64.0.0/10", NextHopType::None),
            d("172.16.0.0/12", NextHopType::None),
            d("192.168.0.0/16", NextHopType::None),
        ]
    );
}

#[test]
fn effective_nsg_rules_read_protocol_priority_and_expanded_prefixes() {
    let Some(dir) = dir("effective_nsg_rules_read_protocol_priority_and_expanded_prefixes") else {
        return;
    };
    let groups: Vec<EffectiveNetworkSecurityGroup> =
        list(&dir, "network/NetworkInterfaceEffectiveNSGList.json");
    assert_eq!(groups.len(), 1);
    assert!(id_of(&groups[0].network_security_group).ends_with("/networkSecurityGroups/test-nsg"));
    let got: Vec<_> = groups[0]
        .effective_security_rules
        .iter()
        .map(|r| {
            (
                r.name.as_deref().unwrap_or_default(),
                r.protocol.clone(),
                r.priority,
                r.direction.clone(),
                r.access.clone(),
                r.expanded_destination_address_prefix.len(),
            )
        })
        .collect();
    use Access::Allow;
    use Direction::*;
    assert_eq!(
        got,
        [
            (
                "securityRules/rule1",
                Some(Protocol::Tcp),
                Some(234),
                Some(Inbound),
                Some(Allow),
                0
            ),
            (
                "securityRules/default-allow-rdp",
                Some(Protocol::Tcp),
                Some(1000),
                Some(Inbound),
                Some(Allow),
                0
            ),
            // "All" in effective rules is the same as "*".
            (
                "defaultSecurityRules/AllowInternetOutBound",
                Some(Protocol::Any),
                Some(65001),
                Some(Outbound),
                Some(Allow),
                4
            ),
        ]
    );
    let rdp = &groups[0].effective_security_rules[1];
    assert_eq!(rdp.destination_port_range.as_deref(), Some("3389-3389"));
    assert_eq!(rdp.source_address_prefix.as_deref(), Some("1.1.1.1/32"));
}

#[test]
fn vnets_read_address_space_dns_servers_subnets_and_delegations() {
    let Some(dir) = dir("vnets_read_address_space_dns_servers_subnets_and_delegations") else {
        return;
    };
    let vnets: Vec<VirtualNetwork> = list(&dir, "network/VirtualNetworkListAll.json");
    let got: Vec<_> = vnets
        .iter()
        .map(|v| {
            (
                v.display_name(),
                v.properties.address_space.address_prefixes.clone(),
                v.dns_servers().to_vec(),
                v.properties.subnets.len(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("vnet1", vec!["10.0.0.0/8".to_string()], vec![], 1),
            (
                "vnet2",
                vec!["10.0.0.0/16".to_string()],
                vec!["8.8.8.8".to_string()],
                0
            ),
        ]
    );
    assert!(
        vnets[0].properties.dhcp_options.is_some(),
        "an empty dnsServers list is still read"
    );
    let s = &vnets[0].properties.subnets[0];
    assert_eq!(
        (s.display_name(), s.prefixes()),
        ("test-1", vec!["10.0.0.0/24"])
    );

    let v: VirtualNetwork = one(&dir, "network/VirtualNetworkGetWithSubnetDelegation.json");
    assert!(v.properties.dhcp_options.is_none());
    assert!(v.dns_servers().is_empty());
    let s = &v.properties.subnets[0];
    assert_eq!(
        (s.display_name(), s.prefixes()),
        ("subnet1", vec!["10.0.1.0/24"])
    );
    let d = &s.properties.delegations[0];
    assert_eq!(d.name.as_deref(), Some("myDelegation"));
    assert_eq!(d.properties.service_name, "Microsoft.Provider/resourceType");
    assert!(
        s.properties.ip_configurations[0]
            .id
            .ends_with("/loadBalancers/lb/frontendIPConfigurations/fe")
    );

    let s: Subnet = one(&dir, "network/SubnetGet.json");
    assert_eq!(
        (s.display_name(), s.prefixes()),
        ("subnet1", vec!["10.0.0.0/16"])
    );
    assert_eq!(
        s.pe_network_policies(),
        PrivateEndpointNetworkPolicies::Disabled
    );
    assert!(s.properties.network_security_group.is_none() && s.properties.route_table.is_none());
}

#[test]
fn peering_reads_forwarding_gateways_remote_space_and_state() {
    let Some(dir) = dir("peering_reads_forwarding_gateways_remote_space_and_state") else {
        return;
    };
    let p: VirtualNetworkPeering = one(&dir, "network/VirtualNetworkPeeringGet.json");
    let q = &p.properties;
    assert_eq!(q.allow_virtual_network_access, Some(true));
    assert_eq!(q.allow_forwarded_traffic, Some(true));
    assert_eq!(q.allow_gateway_transit, Some(false));
    assert_eq!(q.use_remote_gateways, Some(false));
    assert!(id_of(&q.remote_virtual_network).ends_with("/virtualNetworks/vnet2"));
    assert_eq!(
        q.remote_address_space.as_ref().unwrap().address_prefixes,
        ["12.0.0.0/8"]
    );
    assert_eq!(
        q.remote_virtual_network_address_space
            .as_ref()
            .unwrap()
            .address_prefixes,
        ["12.0.0.0/8"]
    );
    assert_eq!(p.remote_prefixes(), ["12.0.0.0/8"]);
    assert_eq!(q.peering_state, Some(PeeringState::Initiated));
    assert!(!p.is_connected());
    assert_eq!(q.peering_sync_level.as_deref(), Some("FullyInSync"));
}

fn connections(pe: &PrivateEndpoint) -> Vec<(bool, Option<ConnectionStatus>, &str)> {
    pe.connections()
        .map(|c| {
            let target = c
                .connection
                .properties
                .private_link_service_id
                .as_deref()
                .unwrap_or_default();
            (
                c.manual,
                c.status().cloned(),
                target.rsplit('/').next().unwrap(),
            )
        })
        .collect()
}

fn dns_configs(pe: &PrivateEndpoint) -> Vec<(&str, Vec<&str>)> {
    pe.properties
        .custom_dns_configs
        .iter()
        .map(|c| {
            (
                c.fqdn.as_deref().unwrap_or_default(),
                c.ip_addresses.iter().map(String::as_str).collect(),
            )
        })
        .collect()
}

#[test]
fn private_endpoints_read_connections_dns_configs_and_subnet() {
    let Some(dir) = dir("private_endpoints_read_connections_dns_configs_and_subnet") else {
        return;
    };
    let pe: PrivateEndpoint = one(&dir, "network/PrivateEndpointGet.json");
    assert_eq!(
        connections(&pe),
        [(false, Some(ConnectionStatus::Approved), "testPls")]
    );
    assert!(pe.connections().all(|c| c.is_approved()));
    assert_eq!(
        pe.properties.private_link_service_connections[0]
            .properties
            .group_ids,
        ["groupIdFromResource"]
    );
    assert_eq!(
        dns_configs(&pe),
        [
            ("abc.cosmos.com", vec!["192.168.0.4"]),
            ("abc2.cosmos.com", vec!["192.168.0.5"])
        ]
    );
    assert_eq!(
        pe.subnet_id(),
        Some(
            "/subscriptions/subId/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/myVnet/subnets/mySubnet"
        )
    );
    let ips: Vec<_> = pe
        .properties
        .ip_configurations
        .iter()
        .map(|c| {
            (
                c.properties.group_id.as_deref(),
                c.properties.member_name.as_deref(),
                c.properties.private_ip_address.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        ips,
        [
            (Some("file"), Some("file"), Some("192.168.0.6")),
            (Some("file"), Some("file2"), Some("192.168.0.7"))
        ]
    );
    // Microsoft's typo "provders" in the NIC id is kept verbatim.
    assert!(
        pe.properties.network_interfaces[0]
            .id
            .contains("/provders/")
    );
    assert_eq!(
        pe.properties.custom_network_interface_name.as_deref(),
        Some("testPeNic")
    );

    let pes: Vec<PrivateEndpoint> = list(&dir, "network/PrivateEndpointListAll.json");
    let got: Vec<_> = pes.iter().map(connections).collect();
    assert_eq!(
        got,
        [
            vec![(false, Some(ConnectionStatus::Approved), "testPls1")],
            vec![(true, Some(ConnectionStatus::Pending), "testPls2")],
            vec![(false, Some(ConnectionStatus::Approved), "testPls3")],
        ]
    );
    let subnets: Vec<_> = pes
        .iter()
        .map(|p| p.subnet_id().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(subnets, ["mySubnet", "mySubnet2", "mySubnet3"]);
    assert_eq!(
        dns_configs(&pes[1]),
        [
            ("abc3.cosmos1.com", vec!["192.168.0.5"]),
            ("abc4.cosmos1.com", vec!["192.168.0.6"])
        ]
    );
}

#[test]
fn nics_read_ip_configurations_subnet_and_nsg() {
    let Some(dir) = dir("nics_read_ip_configurations_subnet_and_nsg") else {
        return;
    };
    let nic: NetworkInterface = one(&dir, "network/NetworkInterfaceGet.json");
    let p = &nic.properties;
    assert!(id_of(&p.network_security_group).ends_with("/networkSecurityGroups/nsg"));
    assert!(id_of(&p.virtual_machine).ends_with("/virtualMachines/vm1"));
    assert_eq!(p.enable_ip_forwarding, Some(false));
    let got: Vec<_> = p
        .ip_configurations
        .iter()
        .map(|c| {
            (
                c.name.as_deref().unwrap_or_default(),
                c.properties.private_ip_address.as_deref(),
                id_of(&c.properties.subnet)
                    .rsplit_once("/virtualNetworks/")
                    .unwrap()
                    .1,
                c.properties.primary,
                c.properties.public_ip_address.is_some(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "ipconfig1",
                Some("172.20.2.4"),
                "rg1-vnet/subnets/default",
                Some(true),
                true
            ),
            (
                "ipconfig2",
                Some("172.20.2.16/28"),
                "rg1-vnet/subnets/default",
                Some(false),
                false
            ),
        ]
    );

    let nics: Vec<NetworkInterface> = list(&dir, "network/NetworkInterfaceListAll.json");
    let got: Vec<_> = nics
        .iter()
        .map(|n| {
            (
                n.display_name(),
                id_of(&n.properties.network_security_group)
                    .rsplit('/')
                    .next()
                    .unwrap(),
                n.properties.virtual_machine.is_some(),
                id_of(&n.properties.ip_configurations[0].properties.subnet)
                    .rsplit_once("/virtualNetworks/")
                    .unwrap()
                    .1,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("test-nic", "nsg", true, "rg1-vnet/subnets/default"),
            ("test-nic2", "", false, "rgnew-vnet2/subnets/default"),
        ]
    );
}

#[test]
fn flow_logs_read_target_storage_and_traffic_analytics() {
    let Some(dir) = dir("flow_logs_read_target_storage_and_traffic_analytics") else {
        return;
    };
    let fl: FlowLog = one(&dir, "network/NetworkWatcherFlowLogGet.json");
    let p = &fl.properties;
    assert_eq!(
        p.target_resource_id.as_deref(),
        Some(
            "/subscriptions/subid/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/vm5-nsg"
        )
    );
    assert!(
        p.storage_id
            .as_deref()
            .unwrap()
            .ends_with("/storageAccounts/wzstorage002")
    );
    assert_eq!(p.enabled, Some(true));
    let ta = fl
        .traffic_analytics()
        .expect("traffic analytics configuration");
    assert_eq!(ta.enabled, Some(false));
    assert_eq!(ta.workspace_id.as_deref(), Some("-"));
    assert_eq!(ta.workspace_region.as_deref(), Some("-"));
    assert_eq!(ta.traffic_analytics_interval, Some(60));
    assert_eq!(
        fl.watcher_id().as_deref(),
        Some(
            "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkWatchers/тц1"
        )
    );

    let fls: Vec<FlowLog> = list(&dir, "network/NetworkWatcherFlowLogList.json");
    let got: Vec<_> = fls
        .iter()
        .map(|f| {
            (
                f.display_name(),
                f.properties
                    .target_resource_id
                    .as_deref()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap(),
                f.properties.enabled,
                f.traffic_analytics().map(|t| t.enabled),
            )
        })
        .collect();
    // The second has an empty flowAnalyticsConfiguration: no traffic analytics at all.
    assert_eq!(
        got,
        [
            ("flowLog1", "vm5-nsg", Some(true), Some(Some(false))),
            ("flowLog2", "DSCP-test-vm1-nsg", Some(true), None),
        ]
    );
    assert!(fls[1].properties.flow_analytics_configuration.is_some());
}

#[test]
fn watchers_app_gateway_firewall_and_vpn_gateway_read_their_subnets() {
    let Some(dir) = dir("watchers_app_gateway_firewall_and_vpn_gateway_read_their_subnets") else {
        return;
    };
    let nws: Vec<NetworkWatcher> = list(&dir, "network/NetworkWatcherListAll.json");
    let got: Vec<_> = nws
        .iter()
        .map(|w| (w.display_name(), w.location.as_deref()))
        .collect();
    assert_eq!(got, [("nw1", Some("eastus")), ("nw2", Some("westus"))]);

    let agw: ApplicationGateway = one(&dir, "network/ApplicationGatewayGet.json");
    let sku = agw.properties.sku.as_ref().unwrap();
    assert_eq!(
        (sku.name.as_deref(), sku.tier.as_deref(), sku.capacity),
        (Some("Standard_Medium"), Some("Standard"), Some(3))
    );
    assert!(!agw.is_v2());
    assert_eq!(
        agw.subnet_ids(),
        [
            "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/virtualNetwork1/subnets/appgwsubnet"
        ]
    );
    assert_eq!(
        agw.properties.gateway_ip_configurations[0].name.as_deref(),
        Some("appgwipc")
    );
    let fe = &agw.properties.frontend_ip_configurations[0].properties;
    assert!(id_of(&fe.public_ip_address).ends_with("/publicIPAddresses/appgwpip"));
    let pools: Vec<_> = agw
        .properties
        .backend_address_pools
        .iter()
        .map(|p| p.name.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(pools, ["appgwpool", "appgwpool1"]);
    assert_eq!(agw.properties.operational_state.as_deref(), Some("Running"));
    // Not modeled: the AGW backend rule reads the backend ports from `extra` under this exact key.
    let ports: Vec<_> = agw.properties.extra["backendHttpSettingsCollection"]
        .as_array()
        .expect("backendHttpSettingsCollection is kept in extra")
        .iter()
        .map(|s| s["properties"]["port"].as_u64())
        .collect();
    assert_eq!(ports, [Some(80)]);

    let fw: AzureFirewall = one(&dir, "network/AzureFirewallGet.json");
    assert_eq!(fw.private_ips(), ["10.0.0.0"]);
    let ipc = &fw.properties.ip_configurations[0].properties;
    assert!(id_of(&ipc.subnet).ends_with("/virtualNetworks/vnet2/subnets/AzureFirewallSubnet"));
    assert!(id_of(&ipc.public_ip_address).ends_with("/publicIPAddresses/pipName"));
    assert_eq!(fw.properties.threat_intel_mode.as_deref(), Some("Alert"));
    assert_eq!(fw.properties.sku.as_ref().unwrap()["name"], "AZFW_VNet");

    let gw: VirtualNetworkGateway = one(&dir, "network/VirtualNetworkGatewayGet.json");
    let p = &gw.properties;
    assert_eq!(
        (
            p.gateway_type.as_deref(),
            p.vpn_type.as_deref(),
            p.enable_bgp
        ),
        (Some("Vpn"), Some("RouteBased"), Some(false))
    );
    assert!(
        id_of(&p.ip_configurations[0].properties.subnet).ends_with("/vnet1/subnets/GatewaySubnet")
    );
    assert_eq!(
        p.custom_routes.as_ref().unwrap().address_prefixes,
        ["101.168.0.6/32"]
    );
}

#[test]
fn private_dns_reads_zones_links_and_a_records() {
    let Some(dir) = dir("private_dns_reads_zones_links_and_a_records") else {
        return;
    };
    let zones = page::<PrivateDnsZone>(&dir, "privatedns/PrivateZoneListInSubscription.json");
    assert!(zones.next_link.is_some());
    let names: Vec<_> = zones.value.iter().map(|z| z.zone_name()).collect();
    assert_eq!(names, ["privatezone1.com", "privatezone2.com"]);

    let links: Vec<VirtualNetworkLink> = list(&dir, "privatedns/VirtualNetworkLinkList.json");
    let got: Vec<_> = links
        .iter()
        .map(|l| {
            let p = &l.properties;
            (
                l.display_name(),
                p.resolution_policy.clone(),
                p.virtual_network_link_state.clone(),
                p.registration_enabled,
                l.is_effective(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "virtualNetworkLink1",
                Some(ResolutionPolicy::NxDomainRedirect),
                Some(LinkState::Completed),
                Some(false),
                true
            ),
            (
                "virtualNetworkLink2",
                Some(ResolutionPolicy::Default),
                Some(LinkState::InProgress),
                Some(true),
                false
            ),
        ]
    );
    assert!(
        links[0]
            .vnet_id()
            .unwrap()
            .ends_with("/virtualNetworks/virtualNetworkName")
    );
    assert!(
        links[0]
            .zone_id()
            .unwrap()
            .ends_with("/privateDnsZones/privatelink.contoso.com")
    );

    let link: VirtualNetworkLink = one(&dir, "privatedns/VirtualNetworkLinkGet.json");
    let p = &link.properties;
    assert_eq!(p.resolution_policy, None, "absent in this example");
    assert_eq!(p.virtual_network_link_state, Some(LinkState::Completed));
    assert_eq!(p.registration_enabled, Some(false));
    assert_eq!(p.provisioning_state.as_deref(), Some("Succeeded"));

    let sets: Vec<RecordSet> = list(&dir, "privatedns/RecordSetAList.json");
    let got: Vec<_> = sets
        .iter()
        .map(|r| {
            (
                r.record_type(),
                r.record_name(),
                r.ipv4_addresses(),
                r.properties.ttl,
                r.properties.fqdn.as_deref(),
                r.properties.is_auto_registered,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "A".to_string(),
                "recorda1".to_string(),
                vec!["1.2.3.4"],
                Some(3600),
                Some("recorda1.privatezone1.com."),
                Some(false)
            ),
            (
                "A".to_string(),
                "recorda2".to_string(),
                vec!["5.6.7.8"],
                Some(3600),
                Some("recorda2.privatezone1.com."),
                Some(false)
            ),
        ]
    );
    assert!(
        sets[0]
            .zone_id()
            .unwrap()
            .ends_with("/privateDnsZones/privatezone1.com")
    );
}

#[test]
fn key_vaults_read_network_acls_public_access_and_connections() {
    let Some(dir) = dir("key_vaults_read_network_acls_public_access_and_connections") else {
        return;
    };
    let kv: KeyVault = one(&dir, "keyvault/getVault.json");
    assert!(kv.properties.network_acls.is_none());
    assert_eq!(
        kv.properties.public_network_access.as_deref(),
        Some("Enabled")
    );
    assert!(!kv.public_access_disabled());
    assert_eq!(
        kv.properties.vault_uri.as_deref(),
        Some("https://sample-vault.vault.azure.net")
    );
    assert_eq!(kv.properties.enable_soft_delete, None);

    // The PUT example answers 200 and 201 with the same body.
    for status in ["200", "201"] {
        let kv: KeyVault = one_at(&dir, "keyvault/createVaultWithNetworkAcls.json", status);
        let acls = kv.properties.network_acls.as_ref().expect("networkAcls");
        assert_eq!(acls.default_action, Some(DefaultAction::Deny), "{status}");
        assert_eq!(acls.bypass, Some(Bypass::AzureServices), "{status}");
        let ips: Vec<_> = acls.ip_rules.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(ips, ["124.56.78.91/32", "'10.91.4.0/24'"], "{status}");
        let vnets: Vec<_> = acls
            .virtual_network_rules
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(
            vnets,
            [
                "/subscriptions/subid/resourcegroups/rg1/providers/microsoft.network/virtualnetworks/test-vnet/subnets/subnet1"
            ],
            "{status}"
        );
    }

    let kvs = page::<KeyVault>(&dir, "keyvault/listVaultBySubscription.json");
    assert!(
        kvs.next_link
            .as_deref()
            .unwrap()
            .contains("api-version=22025-05-01")
    );
    assert_eq!(kvs.value[0].display_name(), "sample-vault");
    assert_eq!(kvs.value[0].properties.enable_soft_delete, Some(true));

    let pec: KeyVaultPrivateEndpointConnection =
        one(&dir, "keyvault/getPrivateEndpointConnection.json");
    let state = |c: &KeyVaultPrivateEndpointConnection| {
        (
            id_of(&c.properties.private_endpoint)
                .rsplit('/')
                .next()
                .unwrap()
                .to_string(),
            c.properties
                .private_link_service_connection_state
                .as_ref()
                .and_then(|s| s.status.clone()),
        )
    };
    assert_eq!(
        state(&pec),
        ("sample-pe".to_string(), Some(ConnectionStatus::Approved))
    );
    let pecs = page::<KeyVaultPrivateEndpointConnection>(
        &dir,
        "keyvault/listPrivateEndpointConnection.json",
    );
    assert!(
        pecs.next_link.is_none(),
        "\"nextLink\": null is no next page"
    );
    let got: Vec<_> = pecs.value.iter().map(state).collect();
    assert_eq!(
        got,
        vec![("sample-pe".to_string(), Some(ConnectionStatus::Approved)); 2]
    );
}

#[test]
fn diagnostic_settings_read_category_groups_and_destinations() {
    let Some(dir) = dir("diagnostic_settings_read_category_groups_and_destinations") else {
        return;
    };
    let check = |d: &DiagnosticSetting| {
        let logs: Vec<_> = d
            .properties
            .logs
            .iter()
            .map(|l| {
                (
                    l.category.as_deref(),
                    l.category_group.as_deref(),
                    l.enabled,
                )
            })
            .collect();
        assert_eq!(logs, [(None, Some("allLogs"), Some(true))]);
        assert_eq!(d.properties.workspace_id.as_deref(), Some(""));
        assert_eq!(d.workspace(), None, "an empty workspaceId is no workspace");
        assert!(
            d.properties
                .storage_account_id
                .as_deref()
                .unwrap()
                .ends_with("/storageAccounts/appteststorage1")
        );
        assert!(d.properties.event_hub_authorization_rule_id.is_some());
        assert_eq!(d.properties.metrics.len(), 1);
        assert_eq!(
            d.resource_id(),
            Some(
                "/subscriptions/1a66ce04-b633-4a0b-b2bc-a912ec8986a6/resourcegroups/viruela1/providers/microsoft.logic/workflows/viruela6"
            )
        );
    };
    let d: DiagnosticSetting = one(&dir, "monitor/getDiagnosticSetting.json");
    check(&d);
    assert!(
        d.properties
            .marketplace_partner_id
            .as_deref()
            .unwrap()
            .ends_with("/monitors/dd1")
    );
    let ds: Vec<DiagnosticSetting> = list(&dir, "monitor/listDiagnosticSettings.json");
    assert_eq!(ds.len(), 1);
    check(&ds[0]);

    let cats: Vec<DiagnosticSettingsCategory> =
        list(&dir, "monitor/listDiagnosticSettingsCategories.json");
    let got: Vec<_> = cats
        .iter()
        .map(|c| {
            (
                c.name.as_deref(),
                c.properties.category_type.as_deref(),
                c.properties.category_groups.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                Some("WorkflowRuntime"),
                Some("Logs"),
                vec!["allLogs".to_string()]
            ),
            (Some("WorkflowMetric"), Some("Metrics"), vec![]),
        ]
    );
}

#[test]
fn providers_read_registration_state() {
    let Some(dir) = dir("providers_read_registration_state") else {
        return;
    };
    let ps: Vec<ResourceProvider> = list(&dir, "resources/GetProviders.json");
    let got: Vec<_> = ps
        .iter()
        .map(|p| {
            (
                p.namespace.as_str(),
                p.registration_state.clone(),
                p.registration_policy.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Microsoft.TestRP1",
                Some(RegistrationState::Registering),
                Some("RegistrationRequired")
            ),
            (
                "Microsoft.Resources",
                Some(RegistrationState::Registered),
                Some("RegistrationFree")
            ),
            (
                "Microsoft.TestRP2",
                Some(RegistrationState::NotRegistered),
                Some("RegistrationRequired")
            ),
        ]
    );
    assert_eq!(
        ps[0].subscription_id().as_deref(),
        Some("00000000-0000-0000-0000-000000000000")
    );
    let p: ResourceProvider = one(&dir, "resources/GetProvider.json");
    assert_eq!(p.namespace, "Microsoft.TestRP1");
    assert_eq!(p.registration_state, Some(RegistrationState::Registering));
    assert_eq!(p.resource_types.len(), 2);
}

#[test]
fn backup_vaults_read_soft_delete_and_resource_guard_mappings() {
    let Some(dir) = dir("backup_vaults_read_soft_delete_and_resource_guard_mappings") else {
        return;
    };
    let v: RecoveryServicesVault = one(&dir, "recoveryservices/GETVault.json");
    let sec = v
        .properties
        .security_settings
        .as_ref()
        .expect("securitySettings");
    let sd = sec
        .soft_delete_settings
        .as_ref()
        .expect("softDeleteSettings");
    assert_eq!(sd.soft_delete_state.as_deref(), Some("Enabled"));
    assert_eq!(sd.soft_delete_retention_period_in_days, Some(14));
    assert_eq!(sd.enhanced_security_state.as_deref(), Some("Enabled"));
    assert_eq!(sec.multi_user_authorization.as_deref(), Some("Disabled"));
    assert_eq!(
        v.properties.public_network_access.as_deref(),
        Some("Enabled")
    );

    let vs: Vec<RecoveryServicesVault> = list(&dir, "recoveryservices/ListBySubscriptionIds.json");
    let names: Vec<_> = vs.iter().map(|v| v.display_name()).collect();
    assert_eq!(names, ["patchtest", "swaggerExample", "today1"]);
    assert!(vs.iter().all(|v| v.properties.security_settings.is_none()));

    let guard_of = |p: &ResourceGuardProxy| {
        (
            p.properties
                .resource_guard_resource_id
                .as_deref()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string(),
            p.properties.resource_guard_operation_details.len(),
        )
    };
    let p: ResourceGuardProxy = one(&dir, "recoveryservices/GetResourceGuardProxy.json");
    assert_eq!(guard_of(&p), ("VaultGuardTestNew".to_string(), 2));
    let ps: Vec<ResourceGuardProxy> = list(&dir, "recoveryservices/ListResourceGuardProxy.json");
    let got: Vec<_> = ps.iter().map(guard_of).collect();
    assert_eq!(got, [("VaultGuardTestNew".to_string(), 2)]);

    let g: ResourceGuard = one(&dir, "dataprotection/GetResourceGuard.json");
    assert_eq!(g.display_name(), "ResourceGuardTestNew");
    assert_eq!(
        g.properties["resourceGuardOperations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn resource_graph_reads_paging_and_rows() {
    let Some(dir) = dir("resource_graph_reads_paging_and_rows") else {
        return;
    };
    let got: Vec<_> = [
        "resourcegraph/ResourcesBasicQuery.json",
        "resourcegraph/ResourcesFirstPageQuery.json",
        "resourcegraph/ResourcesNextPageQuery.json",
    ]
    .iter()
    .map(|rel| {
        let r: ResourceGraphResponse = one(&dir, rel);
        (
            r.total_records,
            r.count,
            r.result_truncated,
            r.skip_token.map(|t| t.len()),
            r.data.as_array().map(Vec::len),
        )
    })
    .collect();
    let f = || Some("false".to_string());
    assert_eq!(
        got,
        [
            (Some(3), Some(3), f(), None, Some(3)),
            (Some(386), Some(3), f(), Some(60), Some(3)),
            (Some(386), Some(3), f(), Some(64), Some(3)),
        ]
    );
}
