//! `reach` on the demo tenant: each path's hop chain, the deciding object of each hop and the
//! verdict, through every hop type (name resolution, route, NSGs both ways, peering, firewall,
//! gateway, Key Vault firewall, destination) and every verdict.

use azaudit::collect::Snapshot;
use azaudit::inventory::Index;
use azaudit::inventory::network::Protocol;
use azaudit::reach::{HopKind, Outcome, Path, Verdict, find_source, find_target, reach};

use crate::common::azaudit;

fn walk(from: &str, to: &str, port: u16) -> Path {
    walk_in(&azaudit::collect::demo::snapshot(), from, to, port)
}

fn walk_in(s: &Snapshot, from: &str, to: &str, port: u16) -> Path {
    let idx = Index::new(&s.inventory);
    let src = find_source(&idx, from).unwrap();
    let target = find_target(&idx, s.cloud, to).unwrap();
    reach(&idx, s.cloud, src, &target, from, to, port, Protocol::Tcp)
}

/// The hop chain as (kind, outcome, deciding object).
fn chain(p: &Path) -> Vec<(HopKind, Outcome, String)> {
    p.hops
        .iter()
        .map(|h| (h.kind, h.outcome, h.decided_by.clone().unwrap_or_default()))
        .collect()
}

fn hop(kind: HopKind, outcome: Outcome, by: &str) -> (HopKind, Outcome, String) {
    (kind, outcome, by.to_string())
}

use HopKind::*;
use Outcome::{Block, Pass, Unknown};

#[test]
fn the_app_subnet_reaches_its_vault_through_the_private_endpoint() {
    let p = walk(
        "vnet-spoke-app/snet-app",
        "kv-app-contoso.vault.azure.net",
        443,
    );
    assert_eq!(
        chain(&p),
        vec![
            hop(
                NameResolution,
                Pass,
                "A record kv-app-contoso in privatelink.vaultcore.azure.net → 10.1.2.4"
            ),
            hop(
                Route,
                Pass,
                "system route 10.1.2.4/32 → InterfaceEndpoint (pe-kv-app)"
            ),
            hop(SourceNsg, Pass, "nsg-app/Allow-To-VNet-Outbound (100)"),
            hop(
                DestinationNsg,
                Pass,
                "privateEndpointNetworkPolicies Disabled"
            ),
            hop(Destination, Pass, ""),
        ]
    );
    assert_eq!(p.verdict, Verdict::Reachable);
    assert_eq!(p.destination_address, Some("10.1.2.4".parse().unwrap()));
    assert_eq!(
        p.source_address,
        "10.1.1.4".parse::<std::net::IpAddr>().unwrap()
    );
    assert!(
        p.source_address_assumed,
        "a subnet source stands for its first usable address"
    );
    assert!(!walk("vm-app-01-nic", "10.1.4.4", 443).source_address_assumed);
    // The zone and its link to the VNet are the resources behind the answer.
    let dns = &p.hops[0];
    assert!(
        dns.resources
            .iter()
            .any(|r| r.ends_with("/privateDnsZones/privatelink.vaultcore.azure.net")),
        "{:?}",
        dns.resources
    );
    assert!(
        dns.resources
            .iter()
            .any(|r| r.ends_with("/virtualNetworkLinks/link-vnet-spoke-app")),
        "{:?}",
        dns.resources
    );
    assert!(
        p.hops[4]
            .detail
            .contains("private endpoint pe-kv-app of kv-app-contoso")
    );
}

#[test]
fn a_private_endpoint_whose_subnet_applies_nsgs_is_blocked_by_its_nsg() {
    let p = walk(
        "vnet-hub/snet-shared",
        "kv-data-contoso.vault.azure.net",
        443,
    );
    assert_eq!(
        chain(&p),
        vec![
            hop(
                NameResolution,
                Pass,
                "A record kv-data-contoso in privatelink.vaultcore.azure.net → 10.2.2.4"
            ),
            hop(
                Route,
                Pass,
                "system route 10.2.2.4/32 → InterfaceEndpoint (pe-kv-data)"
            ),
            hop(SourceNsg, Pass, "nsg-shared/AllowVnetOutBound (65000)"),
            hop(Peering, Pass, "peer-hub-to-spoke-data"),
            hop(DestinationNsg, Block, "nsg-pe-data/Deny-All-Inbound (4096)"),
        ]
    );
    assert!(matches!(p.verdict, Verdict::Blocked { hop: 4, .. }));
    assert_eq!(p.verdict_text(), "blocked at destination NSGs (inbound)");
    // Twin: the subnet the endpoint's NSG admits passes it. Its route table sends the endpoint
    // subnet to the firewall, and the endpoint's subnet applies route tables, so the /32 is
    // invalidated and the flow goes through the hub firewall first.
    let p = walk("vnet-spoke-data/snet-data", "10.2.2.4", 443);
    assert_eq!(
        p.hops[0].decided_by.as_deref(),
        Some("user route rt-data/to-pe-subnet (10.2.2.0/24 → VirtualAppliance)")
    );
    assert_eq!((p.hops[6].kind, p.hops[6].outcome), (DestinationNsg, Pass));
    assert_eq!(
        p.hops[6].decided_by.as_deref(),
        Some("nsg-pe-data/Allow-HTTPS-From-snet-data (100)")
    );
    assert!(
        matches!(p.verdict, Verdict::Undetermined { hop: 3, .. }),
        "{:#?}",
        p.hops
    );
}

#[test]
fn a_missing_zone_link_falls_back_to_the_public_address_which_the_vault_refuses() {
    let p = walk(
        "vnet-spoke-data/snet-data",
        "kv-app-contoso.vault.azure.net",
        443,
    );
    assert_eq!(
        chain(&p),
        vec![
            hop(
                NameResolution,
                Pass,
                "zone privatelink.vaultcore.azure.net is not (effectively) linked to VNet vnet-spoke-data"
            ),
            hop(Route, Pass, "service endpoint Microsoft.KeyVault"),
            hop(SourceNsg, Pass, "nsg-data/AllowVnetOutBound (65000)"),
            hop(KeyVaultFirewall, Block, "publicNetworkAccess Disabled"),
        ]
    );
    assert!(p.hops[0].detail.contains("PUBLIC address"));
    assert_eq!(p.destination_address, None);
    assert!(matches!(p.verdict, Verdict::Blocked { hop: 3, .. }));
}

#[test]
fn a_public_fallback_reaches_a_vault_open_to_all_networks_over_the_service_endpoint() {
    let p = walk(
        "vnet-spoke-data/snet-data",
        "kv-data-contoso.vault.azure.net",
        443,
    );
    let kinds: Vec<_> = chain(&p).into_iter().map(|(k, o, _)| (k, o)).collect();
    assert_eq!(
        kinds,
        vec![
            (NameResolution, Pass),
            (Route, Pass),
            (SourceNsg, Pass),
            (KeyVaultFirewall, Pass)
        ]
    );
    assert_eq!(
        p.hops[3].decided_by.as_deref(),
        Some("networkAcls defaultAction Allow")
    );
    assert_eq!(p.verdict, Verdict::Reachable);
    // Twin: a vault with defaultAction Deny whose VNet rules list another subnet refuses it.
    let p = walk(
        "vnet-spoke-data/snet-data",
        "kv-ops-contoso.vault.azure.net",
        443,
    );
    assert_eq!(p.hops[3].kind, KeyVaultFirewall);
    assert_eq!(p.hops[3].outcome, Block);
    assert!(
        p.hops[3]
            .detail
            .contains("no virtual network rule lists subnet snet-data"),
        "{}",
        p.hops[3].detail
    );
}

#[test]
fn a_peered_spoke_goes_through_the_hub_firewall() {
    let p = walk("vm-app-01-nic", "10.2.1.4", 443);
    assert_eq!(
        chain(&p),
        vec![
            hop(
                Route,
                Pass,
                "user route rt-app/default-to-firewall (0.0.0.0/0 → VirtualAppliance)"
            ),
            hop(SourceNsg, Pass, "nsg-app/Allow-To-VNet-Outbound (100)"),
            hop(Peering, Pass, "peer-spoke-app-to-hub"),
            hop(Appliance, Unknown, "afw-hub"),
            hop(
                Route,
                Pass,
                "system route 10.2.0.0/16 → VNetPeering (vnet-spoke-data)"
            ),
            hop(Peering, Pass, "peer-hub-to-spoke-data"),
            hop(
                DestinationNsg,
                Pass,
                "nsg-data/Allow-HTTPS-From-Hub-And-App (200)"
            ),
            hop(Destination, Pass, ""),
        ]
    );
    assert_eq!(
        p.hops[3].detail,
        "inspected by afw-hub (10.0.1.4) (its rules are not evaluated): its rules live in firewall policy afwp-hub, which azaudit does not read"
    );
    assert_eq!(p.hops[4].at, "vnet-hub/AzureFirewallSubnet");
    assert!(
        matches!(&p.verdict, Verdict::Undetermined { hop: 3, unknown } if unknown.contains("afw-hub"))
    );
    // Twin: a block after the firewall blocks whatever the firewall decides.
    let p = walk("vm-app-01-nic", "10.2.1.4", 22);
    assert_eq!(p.hops[6].kind, DestinationNsg);
    assert_eq!(
        p.hops[6].decided_by.as_deref(),
        Some("nsg-data/Deny-All-Inbound (4096)")
    );
    assert!(matches!(p.verdict, Verdict::Blocked { hop: 6, .. }));
}

#[test]
fn the_destination_nics_nsg_denies_https_but_admits_ssh() {
    let p = walk("vm-app-01-nic", "10.1.4.4", 443);
    assert_eq!(
        chain(&p),
        vec![
            hop(Route, Pass, "system route 10.1.0.0/16 → VnetLocal"),
            hop(SourceNsg, Pass, "nsg-app/Allow-To-VNet-Outbound (100)"),
            hop(
                DestinationNsg,
                Block,
                "nsg-vm-legacy-01/Deny-All-Inbound (4096)"
            ),
        ]
    );
    assert!(
        p.hops[2]
            .detail
            .contains("nic NSG nsg-vm-legacy-01: denied")
    );
    let p = walk("vm-app-01-nic", "10.1.4.4", 22);
    assert_eq!(
        p.hops[2].decided_by.as_deref(),
        Some("nsg-vm-legacy-01/Allow-Mgmt-From-Anywhere (200)")
    );
    assert_eq!(p.verdict, Verdict::Reachable);
    assert!(p.hops[3].detail.contains("vm-legacy-01"));
}

#[test]
fn the_sources_nic_nsg_denies_the_internet() {
    let p = walk("vm-legacy-01-nic", "203.0.113.10", 443);
    assert_eq!(
        chain(&p),
        vec![
            hop(Route, Pass, "system route 0.0.0.0/0 → Internet"),
            hop(
                SourceNsg,
                Block,
                "nsg-vm-legacy-01/Deny-Internet-Outbound (4000)"
            ),
        ]
    );
    // Twin: from the app subnet the UDR-widened VirtualNetwork tag lets it out to the firewall.
    let p = walk("vm-app-01-nic", "203.0.113.10", 443);
    assert_eq!(p.hops[1].outcome, Pass);
    assert_eq!(p.hops[3].kind, Appliance);
}

#[test]
fn custom_dns_servers_leave_name_resolution_undetermined() {
    let p = walk(
        "vnet-spoke-legacy/snet-pe",
        "stcontosodata.blob.core.windows.net",
        443,
    );
    assert_eq!(p.hops.len(), 1);
    assert_eq!(
        (p.hops[0].kind, p.hops[0].outcome),
        (NameResolution, Unknown)
    );
    assert!(p.hops[0].detail.contains("custom DNS servers"));
    assert!(matches!(p.verdict, Verdict::Undetermined { hop: 0, .. }));
}

#[test]
fn a_none_route_beyond_the_firewall_drops_the_traffic() {
    // 10.8.0.0/16 is no VNet's: past the hub firewall the reserved 10.0.0.0/8 route drops it.
    let p = walk("vnet-spoke-data/snet-data", "10.8.0.5", 443);
    let last = p.hops.last().unwrap();
    assert_eq!((last.kind, last.outcome), (Route, Block));
    assert_eq!(
        last.decided_by.as_deref(),
        Some("system route 10.0.0.0/8 → None")
    );
    assert_eq!(last.at, "vnet-hub/AzureFirewallSubnet");
    assert!(matches!(p.verdict, Verdict::Blocked { hop: 4, .. }));
}

#[test]
fn an_endpoint_without_an_approved_connection_carries_nothing() {
    let p = walk("vm-app-01-nic", "10.1.2.8", 443);
    let last = p.hops.last().unwrap();
    assert_eq!((last.kind, last.outcome), (Destination, Block));
    assert!(
        last.detail
            .contains("pe-kv-legacy-pending has no approved connection (status Pending)"),
        "{}",
        last.detail
    );
}

#[test]
fn a_gateway_route_leaves_the_answer_to_on_premises() {
    // The demo hub without its VPN gateway: the route names a gateway the VNet does not have.
    let s = demo_with(|s| s.inventory.virtual_network_gateways.clear());
    let p = walk_in(&s, "vnet-hub/snet-shared", "8.8.8.8", 443);
    assert_eq!(
        chain(&p),
        vec![
            hop(
                Route,
                Pass,
                "user route rt-shared-onprem/default-to-onprem (0.0.0.0/0 → VirtualNetworkGateway)"
            ),
            hop(SourceNsg, Pass, "nsg-shared/AllowVnetOutBound (65000)"),
            hop(Gateway, Unknown, ""),
        ]
    );
    assert!(
        p.hops[2]
            .detail
            .contains("neither vnet-hub nor a hub it uses through gateway transit has one"),
        "{}",
        p.hops[2].detail
    );
    assert!(matches!(p.verdict, Verdict::Undetermined { hop: 2, .. }));
}

#[test]
fn a_public_vault_behind_the_firewall_is_evaluated_past_it() {
    let p = walk("vm-app-01-nic", "kv-svc-contoso.vault.azure.net", 443);
    let kinds: Vec<_> = chain(&p).into_iter().map(|(k, o, _)| (k, o)).collect();
    assert_eq!(
        kinds,
        vec![
            (NameResolution, Pass),
            (Route, Pass),
            (SourceNsg, Pass),
            (Peering, Pass),
            (Appliance, Unknown),
            (Route, Pass),
            (KeyVaultFirewall, Pass),
        ]
    );
    assert_eq!(
        p.hops[1].detail,
        "public address → VirtualAppliance 10.0.1.4 by the default route 0.0.0.0/0"
    );
    assert_eq!(
        p.hops[5].decided_by.as_deref(),
        Some("system route 0.0.0.0/0 → Internet")
    );
}

#[test]
fn reach_exit_codes_and_formats() {
    let o = azaudit(&[
        "reach",
        "--demo",
        "--from",
        "vnet-spoke-app/snet-app",
        "--to",
        "kv-app-contoso.vault.azure.net",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("verdict: reachable"), "{text}");
    let o = azaudit(&[
        "reach",
        "--demo",
        "--from",
        "vm-app-01-nic",
        "--to",
        "10.1.4.4",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "blocked");
    assert_eq!(v["hop"], 2);
    assert_eq!(v["hops"][2]["kind"], "destination_nsg");
    assert_eq!(
        v["hops"][2]["decided_by"],
        "nsg-vm-legacy-01/Deny-All-Inbound (4096)"
    );
    let o = azaudit(&[
        "reach",
        "--demo",
        "--from",
        "vm-app-01-nic",
        "--to",
        "10.2.1.4",
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("verdict: undetermined at appliance: inspected by afw-hub")
    );
    let o = azaudit(&[
        "reach",
        "--demo",
        "--from",
        "vnet-nope/snet",
        "--to",
        "10.1.4.4",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no subnet vnet-nope/snet in the inventory")
    );
    let o = azaudit(&["reach", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains("What is unknown offline") && help.contains("4  undetermined"),
        "{help}"
    );
}

/// The demo tenant with a change.
fn demo_with(change: impl FnOnce(&mut Snapshot)) -> Snapshot {
    let mut s = azaudit::collect::demo::snapshot();
    change(&mut s);
    s
}

fn classic_rules(s: &mut Snapshot) {
    let fw = s
        .inventory
        .azure_firewalls
        .iter_mut()
        .find(|f| f.id.ends_with("/afw-hub"))
        .unwrap();
    fw.properties.firewall_policy = None;
    fw.properties.network_rule_collections = serde_json::from_value(serde_json::json!([
        {"name": "spokes", "properties": {"priority": 200, "action": {"type": "Allow"}, "rules": [
            {"name": "app-to-data-https", "protocols": ["TCP"], "sourceAddresses": ["10.1.0.0/16"],
             "destinationAddresses": ["10.2.0.0/16"], "destinationPorts": ["443"]}]}}
    ]))
    .unwrap();
}

#[test]
fn classic_firewall_network_rules_are_evaluated() {
    let s = demo_with(classic_rules);
    let p = walk_in(&s, "vm-app-01-nic", "10.2.1.4", 443);
    assert_eq!((p.hops[3].kind, p.hops[3].outcome), (Appliance, Pass));
    assert_eq!(
        p.hops[3].decided_by.as_deref(),
        Some("afw-hub/spokes/app-to-data-https (200)")
    );
    assert_eq!(p.verdict, Verdict::Reachable, "{:#?}", p.hops);
    // Twin: another port matches no network rule, and without application rules it is denied.
    let p = walk_in(&s, "vm-app-01-nic", "10.2.1.4", 8443);
    assert_eq!((p.hops[3].kind, p.hops[3].outcome), (Appliance, Block));
    assert_eq!(
        p.hops[3].decided_by.as_deref(),
        Some("afw-hub (default deny)")
    );
    assert_eq!(
        p.hops.len(),
        4,
        "nothing is walked past a firewall that denies"
    );
}

#[test]
fn source_translation_by_application_rules_is_a_caveat_where_it_changes_the_answer() {
    // The endpoint's NSG admits only snet-data; the firewall's addresses would be denied.
    let p = walk("vnet-spoke-data/snet-data", "10.2.2.4", 443);
    let nsg = p.hops.iter().find(|h| h.kind == DestinationNsg).unwrap();
    assert_eq!(nsg.outcome, Pass);
    let caveat = nsg.caveat.as_deref().unwrap();
    assert!(
        caveat.contains("from afw-hub's addresses (10.0.1.4")
            && caveat.contains("denied (nsg-pe-data/Deny-All-Inbound (4096))"),
        "{caveat}"
    );
    // Twin: nsg-data admits the hub's range too, so there is nothing to say.
    let p = walk("vm-app-01-nic", "10.2.1.4", 443);
    assert_eq!(p.hops[6].caveat, None);
}

#[test]
fn a_peering_that_refuses_forwarded_traffic_blocks_what_the_hub_firewall_forwards() {
    let s = demo_with(|s| {
        let data = s
            .inventory
            .virtual_networks
            .iter_mut()
            .find(|v| v.id.ends_with("/vnet-spoke-data"))
            .unwrap();
        data.properties.virtual_network_peerings[0]
            .properties
            .allow_forwarded_traffic = Some(false);
    });
    let p = walk_in(&s, "vm-app-01-nic", "10.2.1.4", 443);
    assert_eq!((p.hops[5].kind, p.hops[5].outcome), (Peering, Block));
    assert!(
        p.hops[5]
            .detail
            .contains("peer-spoke-data-to-hub allowForwardedTraffic false"),
        "{}",
        p.hops[5].detail
    );
    assert!(
        p.hops[5]
            .detail
            .contains("forwarded by an appliance in vnet-hub")
    );
    assert!(matches!(p.verdict, Verdict::Blocked { hop: 5, .. }));
    // Twin: traffic from the hub itself is not forwarded; the flag does not apply.
    let p = walk_in(&s, "vnet-hub/snet-shared", "10.2.1.4", 443);
    let peering = p.hops.iter().find(|h| h.kind == Peering).unwrap();
    assert_eq!(peering.outcome, Pass);
}

fn default_route_to(s: &mut Snapshot, next_hop: &str) {
    let rt = s
        .inventory
        .route_tables
        .iter_mut()
        .find(|r| r.id.ends_with("/rt-app"))
        .unwrap();
    let r = rt
        .properties
        .routes
        .iter_mut()
        .find(|r| r.name == "default-to-firewall")
        .unwrap();
    r.properties.next_hop_ip_address = Some(next_hop.to_string());
}

#[test]
fn appliances_a_nic_without_ip_forwarding_and_an_address_nothing_holds() {
    // vm-legacy-01-nic as the next hop: IP forwarding is off, so Azure drops what it is sent.
    let s = demo_with(|s| default_route_to(s, "10.1.4.4"));
    let p = walk_in(&s, "vm-app-01-nic", "203.0.113.10", 443);
    let last = p.hops.last().unwrap();
    assert_eq!((last.kind, last.outcome), (Appliance, Block));
    assert_eq!(
        last.decided_by.as_deref(),
        Some("vm-legacy-01-nic enableIPForwarding false")
    );
    // With IP forwarding on, it is an appliance whose rules are unknown, but its NIC's NSG judges
    // the forwarded packet: inbound, nothing admits 443 to 203.0.113.10.
    let forwarding = |s: &mut Snapshot| {
        default_route_to(s, "10.1.4.4");
        let nic = s
            .inventory
            .network_interfaces
            .iter_mut()
            .find(|n| n.id.ends_with("/vm-legacy-01-nic"))
            .unwrap();
        nic.properties.enable_ip_forwarding = Some(true);
    };
    let p = walk_in(&demo_with(forwarding), "vm-app-01-nic", "203.0.113.10", 443);
    assert_eq!(
        chain(&p),
        vec![
            hop(
                Route,
                Pass,
                "user route rt-app/default-to-firewall (0.0.0.0/0 → VirtualAppliance)"
            ),
            hop(SourceNsg, Pass, "nsg-app/Allow-To-VNet-Outbound (100)"),
            hop(Appliance, Unknown, "vm-legacy-01-nic"),
            hop(
                ApplianceNsg,
                Block,
                "nsg-vm-legacy-01/Deny-All-Inbound (4096)"
            ),
        ]
    );
    assert_eq!(
        p.hops[2].detail,
        "inspected by vm-legacy-01-nic (10.1.4.4) (its rules are not evaluated)"
    );
    assert!(matches!(p.verdict, Verdict::Blocked { hop: 3, .. }));
    // Twin: without that NSG the walk goes on from the appliance's subnet to the Internet.
    let p = walk_in(
        &demo_with(|s| {
            forwarding(s);
            let nic = s
                .inventory
                .network_interfaces
                .iter_mut()
                .find(|n| n.id.ends_with("/vm-legacy-01-nic"))
                .unwrap();
            nic.properties.network_security_group = None;
        }),
        "vm-app-01-nic",
        "203.0.113.10",
        443,
    );
    let kinds: Vec<_> = chain(&p).into_iter().map(|(k, o, _)| (k, o)).collect();
    assert_eq!(
        kinds,
        vec![
            (Route, Pass),
            (SourceNsg, Pass),
            (Appliance, Unknown),
            (Route, Pass),
            (Destination, Pass)
        ]
    );
    assert_eq!(p.hops[3].at, "vnet-spoke-app/snet-vm-legacy");
    assert!(matches!(p.verdict, Verdict::Undetermined { hop: 2, .. }));
    // An address no NIC or firewall holds.
    let s = demo_with(|s| default_route_to(s, "10.1.4.99"));
    let p = walk_in(&s, "vm-app-01-nic", "203.0.113.10", 443);
    let last = p.hops.last().unwrap();
    assert_eq!((last.kind, last.outcome), (Appliance, Unknown));
    assert!(
        last.detail
            .contains("no NIC or Azure Firewall in the inventory holds the next hop 10.1.4.99")
    );
}

#[test]
fn vault_ip_rules_leave_a_flow_from_a_public_address_undetermined() {
    // Without its service endpoint, snet-data reaches kv-ops' public address through the hub
    // firewall and the Internet; the vault admits only its IP rules and snet-app.
    let s = demo_with(|s| {
        let data = s
            .inventory
            .virtual_networks
            .iter_mut()
            .find(|v| v.id.ends_with("/vnet-spoke-data"))
            .unwrap();
        data.properties.subnets[0]
            .properties
            .service_endpoints
            .clear();
    });
    let p = walk_in(
        &s,
        "vnet-spoke-data/snet-data",
        "kv-ops-contoso.vault.azure.net",
        443,
    );
    let last = p.hops.last().unwrap();
    assert_eq!((last.kind, last.outcome), (KeyVaultFirewall, Unknown));
    assert_eq!(
        last.detail,
        "defaultAction Deny: admitted only if the public address of afw-hub is in the IP rules (203.0.113.0/24), which is not known offline"
    );
    // Twin: the same vault over the service endpoint is decided (no rule lists snet-data).
    let p = walk(
        "vnet-spoke-data/snet-data",
        "kv-ops-contoso.vault.azure.net",
        443,
    );
    assert_eq!(p.hops.last().unwrap().outcome, Block);
}

#[test]
fn agw103_cites_the_chain_reach_walks_for_the_same_flow() {
    let r = crate::common::scan(&azaudit::collect::demo::snapshot());
    let found = crate::common::findings_of(&r, "AGW103");
    assert_eq!(found.len(), 1);
    let e = &found[0].evidence;
    assert_eq!(e["reach_verdict"], "blocked at destination NSGs (inbound)");
    let from = e["instance_probe_source"].as_str().unwrap();
    let to = e["backend_address"].as_str().unwrap();
    let port = e["ports"][0].to_string();
    let o = azaudit(&[
        "reach", "--demo", "--from", from, "--to", to, "--port", &port, "--format", "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["hops"], e["reach"]["hops"],
        "the finding and `reach` walk the same hops"
    );
    // The rule's own verdict is the chain's blocking hop.
    let blocking = &v["hops"][v["hop"].as_u64().unwrap() as usize];
    let denied = &e["instance_denied_by"];
    assert_eq!(
        blocking["decided_by"],
        format!(
            "{}/{} ({})",
            denied["nsg"].as_str().unwrap().rsplit('/').next().unwrap(),
            denied["rule"].as_str().unwrap(),
            denied["priority"]
        )
    );
}

#[test]
fn a_gateway_in_the_vnet_is_named() {
    let s = demo_with(|s| {
        let hub = s
            .inventory
            .virtual_networks
            .iter()
            .find(|v| v.id.ends_with("/vnet-hub"))
            .unwrap();
        let gw_subnet = hub
            .properties
            .subnets
            .iter()
            .find(|x| x.display_name() == "GatewaySubnet")
            .unwrap()
            .id
            .clone();
        let id = hub.id.replace(
            "/virtualNetworks/vnet-hub",
            "/virtualNetworkGateways/vgw-hub",
        );
        // In place of the demo's own gateway.
        s.inventory.virtual_network_gateways.clear();
        s.inventory.virtual_network_gateways.push(
            serde_json::from_value(serde_json::json!({
                "id": id, "name": "vgw-hub",
                "properties": {"gatewayType": "Vpn", "ipConfigurations": [
                    {"name": "default", "properties": {"privateIPAddress": "10.0.2.4", "subnet": {"id": gw_subnet}}}]}
            }))
            .unwrap(),
        );
    });
    let p = walk_in(&s, "vnet-hub/snet-shared", "8.8.8.8", 443);
    let gw = p.hops.last().unwrap();
    assert_eq!((gw.kind, gw.outcome), (Gateway, Unknown));
    assert_eq!(gw.decided_by.as_deref(), Some("vgw-hub"));
    assert!(
        gw.detail
            .contains("leaves through virtual network gateway vgw-hub"),
        "{}",
        gw.detail
    );
}
