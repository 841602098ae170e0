//! NSG106 subnet-without-nsg.

use crate::common::*;
use serde_json::json;

#[test]
fn workload_subnet_without_nsg_fires_and_platform_subnets_do_not() {
    let with_nsg =
        json!({"networkSecurityGroup": {"id": net_id("networkSecurityGroups", "nsg-a")}});
    let netapp = json!({"delegations": [{"name": "anf", "properties": {"serviceName": "Microsoft.Netapp/volumes"}}]});
    let t = json!({
        "virtual_networks": [vnet("vnet-hub", "10.0.0.0/16", vec![
            subnet("vnet-hub", "snet-vm", "10.0.10.0/24", json!({})),
            subnet("vnet-hub", "snet-ok", "10.0.11.0/24", with_nsg),
            subnet("vnet-hub", "GatewaySubnet", "10.0.2.0/27", json!({})),
            subnet("vnet-hub", "AzureFirewallSubnet", "10.0.1.0/26", json!({})),
            subnet("vnet-hub", "AzureFirewallManagementSubnet", "10.0.1.64/26", json!({})),
            subnet("vnet-hub", "AzureBastionSubnet", "10.0.3.0/26", json!({})),
            subnet("vnet-hub", "RouteServerSubnet", "10.0.4.0/27", json!({})),
            subnet("vnet-hub", "snet-anf", "10.0.5.0/24", netapp),
        ], json!({}))],
        "network_security_groups": [nsg("nsg-a", vec![])],
    });
    let r = scan(&snapshot(t));
    let f = findings_of(&r, "NSG106");
    let names: Vec<_> = f
        .iter()
        .map(|f| azaudit::azure::id::last_name(&f.resource_id))
        .collect();
    assert_eq!(names, vec!["snet-vm", "snet-anf"], "medium before low");
    for twin in [
        "snet-ok",
        "GatewaySubnet",
        "AzureFirewallSubnet",
        "AzureFirewallManagementSubnet",
        "AzureBastionSubnet",
        "RouteServerSubnet",
    ] {
        assert_twin_on(&r, "NSG106", &format!("/subnets/{twin}"));
    }
    let vm = f
        .iter()
        .find(|f| f.resource_id.ends_with("snet-vm"))
        .unwrap();
    assert_eq!(vm.severity, azaudit::report::Severity::Medium);
    assert_eq!(vm.evidence["address_prefixes"], json!(["10.0.10.0/24"]));
    let anf = f
        .iter()
        .find(|f| f.resource_id.ends_with("snet-anf"))
        .unwrap();
    assert_eq!(anf.severity, azaudit::report::Severity::Low);
    assert_eq!(
        anf.evidence["delegations"],
        json!(["Microsoft.Netapp/volumes"])
    );
}
