//! What virtual network gateways bring a VNet: the on-premises prefixes of the local network
//! gateways of its connections (site-to-site), for the gateway's own VNet and for peered VNets
//! that use it through gateway transit (`useRemoteGateways` on the spoke's peering,
//! `allowGatewayTransit` on the hub's). Routes learned over BGP (a connection with `enableBgp`, an
//! ExpressRoute gateway or connection) are not in ARM: they are reported as unknown, never guessed.
//! Sources: Microsoft Learn "Virtual network traffic routing" (virtual network gateway routes,
//! route propagation) and "Configure VPN gateway transit for virtual network peering".

use crate::azure::id::same_id;
use crate::inventory::Index;
use crate::inventory::network::{
    GatewayConnectionType, VirtualNetwork, VirtualNetworkGateway, VirtualNetworkGatewayConnection,
};

/// One gateway whose routes reach a VNet.
#[derive(Debug, Clone)]
pub struct GatewayReach<'a> {
    pub gateway: &'a VirtualNetworkGateway,
    /// The hub VNet holding the gateway, when reached through a peering with gateway transit.
    pub transit_hub: Option<&'a VirtualNetwork>,
    /// Prefixes listed on the local network gateways of its site-to-site connections, each with
    /// the local network gateway's id.
    pub static_prefixes: Vec<(String, String)>,
    /// Why some of its routes are not known offline (BGP, ExpressRoute, an unread local gateway).
    pub unknown: Vec<String>,
}

impl GatewayReach<'_> {
    /// The gateway's private addresses in its GatewaySubnet (the next hop Azure shows).
    pub fn next_hop_ip(&self) -> Option<String> {
        self.gateway
            .properties
            .ip_configurations
            .iter()
            .find_map(|c| c.properties.private_ip_address.clone())
    }
}

/// The gateways whose routes reach the subnets of `vnet`: its own, then those of hubs it reaches
/// through gateway transit, each with the prefixes its connections bring.
pub fn gateways_for<'a>(idx: &Index<'a>, vnet: &VirtualNetwork) -> Vec<GatewayReach<'a>> {
    let mut out: Vec<GatewayReach<'a>> = idx
        .gateways_in_vnet(&vnet.id)
        .iter()
        .map(|gw| reach(idx, gw, None))
        .collect();
    for hub in transit_hubs(idx, vnet) {
        out.extend(
            idx.gateways_in_vnet(&hub.id)
                .iter()
                .map(|gw| reach(idx, gw, Some(hub))),
        );
    }
    out
}

/// Hubs whose gateway `vnet` uses: a connected peering of `vnet` with `useRemoteGateways`, whose
/// remote VNet's connected peering back to `vnet` has `allowGatewayTransit`.
pub fn transit_hubs<'a>(idx: &Index<'a>, vnet: &VirtualNetwork) -> Vec<&'a VirtualNetwork> {
    vnet.properties
        .virtual_network_peerings
        .iter()
        .filter(|p| p.is_connected() && p.properties.use_remote_gateways == Some(true))
        .filter_map(|p| {
            let remote = p.properties.remote_virtual_network.as_ref()?;
            let hub = idx.vnet(&remote.id)?;
            hub.properties
                .virtual_network_peerings
                .iter()
                .any(|back| {
                    back.is_connected()
                        && back.properties.allow_gateway_transit == Some(true)
                        && back
                            .properties
                            .remote_virtual_network
                            .as_ref()
                            .is_some_and(|r| same_id(&r.id, &vnet.id))
                })
                .then_some(hub)
        })
        .collect()
}

fn reach<'a>(
    idx: &Index<'a>,
    gw: &'a VirtualNetworkGateway,
    transit_hub: Option<&'a VirtualNetwork>,
) -> GatewayReach<'a> {
    let name = gw.display_name();
    let mut static_prefixes = Vec::new();
    let mut unknown = Vec::new();
    let express_route_gateway = gw
        .properties
        .gateway_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("ExpressRoute"));
    if express_route_gateway {
        unknown.push(format!(
            "BGP-learned routes via {name} not known offline (ExpressRoute gateway)"
        ));
    }
    for c in idx
        .connections_of_gateway(&gw.id)
        .iter()
        .filter(|c| c.is_up())
    {
        connection_routes(idx, gw, c, &mut static_prefixes, &mut unknown);
    }
    unknown.dedup();
    GatewayReach {
        gateway: gw,
        transit_hub,
        static_prefixes,
        unknown,
    }
}

fn connection_routes(
    idx: &Index<'_>,
    gw: &VirtualNetworkGateway,
    c: &VirtualNetworkGatewayConnection,
    static_prefixes: &mut Vec<(String, String)>,
    unknown: &mut Vec<String>,
) {
    let name = gw.display_name();
    let p = &c.properties;
    match c.connection_type() {
        Some(GatewayConnectionType::ExpressRoute) => {
            // The circuit, when read, says what ARM knows of the other side: its provider and
            // whether the provider has provisioned it (only then does it carry routes).
            let circuit = p
                .peer
                .as_ref()
                .and_then(|r| {
                    idx.inv.express_route_circuits.iter().find(|x| {
                        crate::azure::id::id_key(&x.id) == crate::azure::id::id_key(&r.id)
                    })
                })
                .map(|x| format!("; {}", x.summary()))
                .unwrap_or_default();
            unknown.push(format!(
                "BGP-learned routes via {name} not known offline (ExpressRoute connection {}{circuit})",
                c.display_name()
            ));
            return;
        }
        Some(GatewayConnectionType::Vnet2Vnet) => {
            unknown.push(format!(
                "routes via {name} to the VNet of VNet-to-VNet connection {} not modelled",
                c.display_name()
            ));
            return;
        }
        _ => {}
    }
    if p.enable_bgp == Some(true) {
        unknown.push(format!(
            "BGP-learned routes via {name} not known offline (connection {} has BGP enabled)",
            c.display_name()
        ));
    }
    let Some(lgw_ref) = p
        .local_network_gateway2
        .as_ref()
        .filter(|r| !r.id.is_empty())
    else {
        return;
    };
    match idx.local_network_gateway(&lgw_ref.id) {
        Some(lgw) => static_prefixes.extend(
            lgw.address_prefixes()
                .iter()
                .map(|pfx| (pfx.clone(), lgw.id.clone())),
        ),
        None => unknown.push(format!(
            "routes via {name} to local network gateway {} not known offline (not in the inventory)",
            crate::azure::id::last_name(&lgw_ref.id)
        )),
    }
}
