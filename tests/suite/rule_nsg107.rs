//! NSG107 nsg-on-gateway-subnet.

use crate::common::*;
use serde_json::json;

#[test]
fn an_nsg_on_gateway_subnet_fires_and_a_bare_gateway_subnet_does_not() {
    let with_nsg =
        json!({"networkSecurityGroup": {"id": net_id("networkSecurityGroups", "nsg-gw")}});
    let t = json!({
        "virtual_networks": [
            vnet("vnet-hub", "10.0.0.0/16", vec![subnet("vnet-hub", "GatewaySubnet", "10.0.2.0/27", with_nsg)], json!({})),
            vnet("vnet-hub2", "10.9.0.0/16", vec![subnet("vnet-hub2", "GatewaySubnet", "10.9.2.0/27", json!({}))], json!({})),
        ],
        "network_security_groups": [nsg("nsg-gw", vec![])],
    });
    let r = scan(&snapshot(t));
    let f = findings_of(&r, "NSG107");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].resource_id, subnet_id("vnet-hub", "GatewaySubnet"));
    assert_twin_on(&r, "NSG107", "/vnet-hub2/subnets/GatewaySubnet");
    assert_eq!(
        f[0].evidence["network_security_group"],
        net_id("networkSecurityGroups", "nsg-gw")
    );
    // NSG103 leaves GatewaySubnet to NSG107.
    assert_twin(&r, "NSG103");
}
