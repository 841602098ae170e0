//! The two ends of a flow as the user names them: a subnet, a NIC or an address for the source; a
//! name, an address or a resource id for the destination.

use std::net::IpAddr;

use crate::azure::id::{last_name, same_id};
use crate::inventory::Index;
use crate::inventory::network::{NetworkInterface, Subnet, VirtualNetwork};

/// Where the flow starts.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub subnet: &'a Subnet,
    pub vnet: &'a VirtualNetwork,
    pub nic: Option<&'a NetworkInterface>,
    pub ip: IpAddr,
    /// True when the address was picked (the subnet's first usable host), not given.
    pub ip_assumed: bool,
}

/// Where the flow goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Address(IpAddr),
    /// A DNS name, resolved from the source VNet.
    Name(String),
}

/// The NIC holding `ip` in one of its ip configurations, with that configuration's subnet.
pub fn nic_with_ip<'a>(
    idx: &Index<'a>,
    ip: IpAddr,
) -> Option<(&'a NetworkInterface, Option<&'a str>)> {
    idx.inv.network_interfaces.iter().find_map(|n| {
        n.properties.ip_configurations.iter().find_map(|c| {
            let p = &c.properties;
            (p.private_ip_address
                .as_deref()?
                .trim()
                .parse::<IpAddr>()
                .ok()?
                == ip)
                .then(|| (n, p.subnet.as_ref().map(|s| s.id.as_str())))
        })
    })
}

/// The subnets whose prefixes contain `ip`, optionally only those of `vnet`.
pub fn subnets_holding<'a>(
    idx: &Index<'a>,
    ip: IpAddr,
    vnet: Option<&str>,
) -> Vec<(&'a Subnet, &'a VirtualNetwork)> {
    idx.all_subnets()
        .filter(|(_, v)| vnet.is_none_or(|id| same_id(&v.id, id)))
        .filter(|(s, _)| crate::model::tags::subnet_prefixes(s).contains_addr(ip))
        .collect()
}

fn nic_source<'a>(
    idx: &Index<'a>,
    nic: &'a NetworkInterface,
    wanted: &str,
) -> Result<Source<'a>, String> {
    let config = nic
        .properties
        .ip_configurations
        .iter()
        .find(|c| c.properties.primary == Some(true))
        .or_else(|| nic.properties.ip_configurations.first())
        .ok_or_else(|| format!("NIC {wanted} has no ip configuration"))?;
    let ip = config
        .properties
        .private_ip_address
        .as_deref()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| format!("NIC {wanted} has no private address"))?;
    let (subnet, vnet) = config
        .properties
        .subnet
        .as_ref()
        .and_then(|s| idx.subnet(&s.id))
        .ok_or_else(|| format!("the subnet of NIC {wanted} is not in the inventory"))?;
    Ok(Source {
        subnet,
        vnet,
        nic: Some(nic),
        ip,
        ip_assumed: false,
    })
}

fn subnet_source<'a>(subnet: &'a Subnet, vnet: &'a VirtualNetwork) -> Result<Source<'a>, String> {
    // Azure reserves the first four addresses of a subnet: the first usable host is .4.
    let ip = crate::model::tags::subnet_prefixes(subnet)
        .to_cidrs()
        .first()
        .and_then(|n| n.hosts().nth(3))
        .ok_or_else(|| {
            format!(
                "subnet {} has no usable address; give an address with --from",
                subnet.display_name()
            )
        })?;
    Ok(Source {
        subnet,
        vnet,
        nic: None,
        ip,
        ip_assumed: true,
    })
}

fn one<T>(
    wanted: &str,
    what: &str,
    mut found: Vec<T>,
    id: impl Fn(&T) -> String,
) -> Result<T, String> {
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!("no {what} {wanted} in the inventory")),
        _ => Err(format!(
            "{what} {wanted} is ambiguous; use one of: {}",
            found.iter().map(id).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Finds the source: an address (its NIC, else the subnet holding it), a subnet (resource id or
/// `vnet/subnet`) or a NIC (resource id or name).
pub fn find_source<'a>(idx: &Index<'a>, wanted: &str) -> Result<Source<'a>, String> {
    let wanted = wanted.trim();
    if let Ok(ip) = wanted.parse::<IpAddr>() {
        if let Some((nic, _)) = nic_with_ip(idx, ip) {
            let mut s = nic_source(idx, nic, wanted)?;
            s.ip = ip;
            return Ok(s);
        }
        let (subnet, vnet) = one(
            wanted,
            "subnet holding",
            subnets_holding(idx, ip, None),
            |(s, _)| s.id.clone(),
        )?;
        return Ok(Source {
            subnet,
            vnet,
            nic: None,
            ip,
            ip_assumed: false,
        });
    }
    let lower = wanted.to_ascii_lowercase();
    if wanted.starts_with('/') && lower.contains("/networkinterfaces/") {
        let nic = idx
            .inv
            .network_interfaces
            .iter()
            .find(|n| same_id(&n.id, wanted))
            .ok_or_else(|| format!("no NIC {wanted} in the inventory"))?;
        return nic_source(idx, nic, wanted);
    }
    if wanted.starts_with('/') {
        let (subnet, vnet) = idx
            .subnet(wanted)
            .ok_or_else(|| format!("no subnet {wanted} in the inventory"))?;
        return subnet_source(subnet, vnet);
    }
    if let Some((vnet_name, subnet_name)) = wanted.split_once('/') {
        let found: Vec<_> = idx
            .all_subnets()
            .filter(|(s, v)| {
                v.display_name().eq_ignore_ascii_case(vnet_name)
                    && s.display_name().eq_ignore_ascii_case(subnet_name)
            })
            .collect();
        let (subnet, vnet) = one(wanted, "subnet", found, |(s, _)| s.id.clone())?;
        return subnet_source(subnet, vnet);
    }
    let found: Vec<_> = idx
        .inv
        .network_interfaces
        .iter()
        .filter(|n| last_name(&n.id).eq_ignore_ascii_case(wanted))
        .collect();
    let nic = one(wanted, "NIC", found, |n| n.id.clone())?;
    nic_source(idx, nic, wanted)
}

/// Finds the destination: an address, a DNS name, or the resource id of a Key Vault (its
/// `vaultUri` host), a private endpoint or a NIC (their address).
pub fn find_target(
    idx: &Index<'_>,
    cloud: crate::azure::Cloud,
    wanted: &str,
) -> Result<Target, String> {
    let wanted = wanted.trim();
    if let Ok(ip) = wanted.parse::<IpAddr>() {
        return Ok(Target::Address(ip));
    }
    if !wanted.starts_with('/') {
        if wanted.is_empty() || wanted.contains('/') {
            return Err(format!(
                "--to {wanted:?}: give a DNS name, an address or a resource id"
            ));
        }
        return Ok(Target::Name(
            wanted.trim_end_matches('.').to_ascii_lowercase(),
        ));
    }
    if let Some(kv) = idx.inv.key_vaults.iter().find(|k| same_id(&k.id, wanted)) {
        let host = kv
            .properties
            .vault_uri
            .as_deref()
            .and_then(|u| u.split("://").nth(1))
            .map(|h| h.trim_end_matches('/').to_ascii_lowercase())
            .or_else(|| {
                crate::model::privatelink::ZoneTable::shipped().public_name(
                    cloud,
                    "Microsoft.KeyVault/vaults",
                    "vault",
                    &kv.display_name().to_ascii_lowercase(),
                )
            })
            .ok_or_else(|| format!("Key Vault {wanted} has no vaultUri"))?;
        return Ok(Target::Name(host));
    }
    if let Some(pe) = idx.private_endpoint(wanted) {
        return idx
            .endpoint_ips(pe)
            .iter()
            .find_map(|s| s.parse().ok())
            .map(Target::Address)
            .ok_or_else(|| format!("private endpoint {wanted} has no address in the inventory"));
    }
    if let Some(n) = idx
        .inv
        .network_interfaces
        .iter()
        .find(|n| same_id(&n.id, wanted))
    {
        return n
            .properties
            .ip_configurations
            .iter()
            .find_map(|c| {
                c.properties
                    .private_ip_address
                    .as_deref()?
                    .trim()
                    .parse()
                    .ok()
            })
            .map(Target::Address)
            .ok_or_else(|| format!("NIC {wanted} has no private address"));
    }
    Err(format!(
        "--to {wanted}: no Key Vault, private endpoint or NIC with this id in the inventory"
    ))
}
