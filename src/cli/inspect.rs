//! `routes`, `effective-rules` and `resolve`: the model's answers for one subnet, NIC or VNet, as
//! tables for people or JSON.

use std::net::IpAddr;

use clap::{Args, ValueEnum};
use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use serde_json::json;

use super::SourceArgs;
use crate::azure::id::{last_name, same_id};
use crate::error::{Error, ExitCode, Result};
use crate::inventory::Index;
use crate::inventory::network::{Direction, NetworkInterface, Protocol, Subnet, VirtualNetwork};
use crate::model::nsg::{OrderedRule, rules_in_order};
use crate::model::privatelink::ZoneTable;
use crate::model::routes::{effective_routes, lookup_from};
use crate::model::rule_sides;
use crate::model::tags::TagResolver;
use crate::report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    In,
    Out,
}

#[derive(Debug, Args)]
pub struct RoutesArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The subnet: its resource id, or `vnet/subnet`.
    #[arg(long, value_name = "SUBNET")]
    pub subnet: String,
    /// Show the route a packet to this address takes.
    #[arg(long, value_name = "IP")]
    pub dest: Option<IpAddr>,
    #[arg(long, value_enum, ignore_case = true, default_value_t = OutFormat::Table)]
    pub format: OutFormat,
}

#[derive(Debug, Args)]
pub struct EffectiveRulesArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The subnet: its resource id, or `vnet/subnet`.
    #[arg(long, value_name = "SUBNET")]
    pub subnet: String,
    /// Also the NIC's own NSG: its resource id or name.
    #[arg(long, value_name = "NIC")]
    pub nic: Option<String>,
    /// Only one direction (required with --remote).
    #[arg(long, value_enum, ignore_case = true)]
    pub direction: Option<DirectionArg>,
    /// Check one flow: the address on the other side (the source inbound, the destination outbound).
    #[arg(long, value_name = "IP", requires_all = ["port", "direction"])]
    pub remote: Option<IpAddr>,
    /// With --remote: the address in the subnet (default: the NIC's, else the subnet's first host).
    #[arg(long, value_name = "IP", requires = "remote")]
    pub local: Option<IpAddr>,
    /// With --remote: the destination port.
    #[arg(long, requires = "remote")]
    pub port: Option<u16>,
    /// With --remote: the protocol.
    #[arg(long, value_enum, ignore_case = true, default_value_t = ProtocolArg::Tcp)]
    pub protocol: ProtocolArg,
    #[arg(long, value_enum, ignore_case = true, default_value_t = OutFormat::Table)]
    pub format: OutFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    Tcp,
    Udp,
    Icmp,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The VNet the client is in: its resource id or name.
    #[arg(long, value_name = "VNET")]
    pub vnet: String,
    /// The name to resolve, e.g. kv1.vault.azure.net.
    pub fqdn: String,
    #[arg(long, value_enum, ignore_case = true, default_value_t = OutFormat::Table)]
    pub format: OutFormat,
}

/// Finds a subnet by id or `vnet/subnet`.
fn find_subnet<'a>(idx: &Index<'a>, wanted: &str) -> Result<(&'a Subnet, &'a VirtualNetwork)> {
    if wanted.starts_with('/') {
        return idx
            .subnet(wanted)
            .ok_or_else(|| Error::Usage(format!("no subnet {wanted} in the inventory")));
    }
    let (vnet_name, subnet_name) = wanted.split_once('/').ok_or_else(|| {
        Error::Usage(format!(
            "--subnet {wanted:?}: give a resource id or vnet/subnet"
        ))
    })?;
    let matches: Vec<_> = idx
        .all_subnets()
        .filter(|(s, v)| {
            v.display_name().eq_ignore_ascii_case(vnet_name)
                && s.display_name().eq_ignore_ascii_case(subnet_name)
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::Usage(format!("no subnet {wanted} in the inventory"))),
        many => Err(Error::Usage(format!(
            "{wanted} is ambiguous; use one of: {}",
            many.iter()
                .map(|(s, _)| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn find_vnet<'a>(idx: &Index<'a>, wanted: &str) -> Result<&'a VirtualNetwork> {
    let matches: Vec<_> = idx
        .inv
        .virtual_networks
        .iter()
        .filter(|v| same_id(&v.id, wanted) || v.display_name().eq_ignore_ascii_case(wanted))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::Usage(format!("no VNet {wanted} in the inventory"))),
        many => Err(Error::Usage(format!(
            "VNet {wanted} is ambiguous; use one of: {}",
            many.iter()
                .map(|v| v.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn find_nic<'a>(idx: &Index<'a>, wanted: &str) -> Result<&'a NetworkInterface> {
    let matches: Vec<_> = idx
        .inv
        .network_interfaces
        .iter()
        .filter(|n| same_id(&n.id, wanted) || last_name(&n.id).eq_ignore_ascii_case(wanted))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::Usage(format!("no NIC {wanted} in the inventory"))),
        many => Err(Error::Usage(format!(
            "NIC {wanted} is ambiguous; use one of: {}",
            many.iter()
                .map(|n| n.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Off a terminal (and without `COLUMNS`), tables wrap at this width.
const TABLE_WIDTH: u16 = 140;

fn table(header: Vec<&str>) -> Table {
    let term = super::term::current();
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(term.width.unwrap_or(TABLE_WIDTH))
        .set_header(header);
    super::term::style_table(&mut t, term.colour);
    t
}

/// Writes a human answer (fitted to the terminal's width, when known) or a JSON one.
fn emit(text: String) -> Result<ExitCode> {
    let text = match super::term::current().width {
        Some(w) if !text.starts_with(['{', '[']) => {
            super::term::fit_lines(&text, w.into(), |_| false)
        }
        _ => text,
    };
    report::write_output(None, &text)?;
    Ok(ExitCode::Clean)
}

pub fn routes(a: &RoutesArgs) -> Result<ExitCode> {
    let (snapshot, _, _) = a.source.load()?;
    let idx = Index::new(&snapshot.inventory);
    let (subnet, vnet) = find_subnet(&idx, &a.subnet)?;
    let routes = effective_routes(&idx, subnet, vnet);
    let choice = a.dest.map(|d| (d, lookup_from(vnet, &routes, d)));
    if a.format == OutFormat::Json {
        let v = json!({
            "subnet": subnet.id,
            "routes": routes,
            "lookup": choice.as_ref().map(|(d, c)| json!({"destination": d, "choice": c})),
        });
        return emit(format!(
            "{}\n",
            serde_json::to_string_pretty(&v).expect("serialises")
        ));
    }
    let mut t = table(vec![
        "Source",
        "State",
        "Address prefix",
        "Next hop type",
        "Next hop IP",
        "Note",
    ]);
    for r in &routes {
        t.add_row(vec![
            format!("{:?}", r.source),
            format!("{:?}", r.state),
            r.address_prefix.clone(),
            r.next_hop_type.to_string(),
            r.next_hop_ip_address.clone().unwrap_or_default(),
            r.invalid_reason
                .clone()
                .or_else(|| r.caveat.clone())
                .or_else(|| r.origin.as_deref().map(|o| last_name(o).to_string()))
                .unwrap_or_default(),
        ]);
    }
    let mut out = format!(
        "Effective routes of {}/{} (computed from the inventory)\n{t}\n",
        vnet.display_name(),
        subnet.display_name()
    );
    if let Some((d, c)) = choice {
        let c = c.as_ref();
        match c {
            Some(c) => out.push_str(&format!(
                "\n{d} → {} {} via {}: {}\n",
                c.route.next_hop_type,
                c.route.next_hop_ip_address.as_deref().unwrap_or(""),
                c.route.address_prefix,
                c.reason
            )),
            None => out.push_str(&format!("\n{d}: no route (dropped)\n")),
        }
        if let Some(w) = c.and_then(|c| c.caveat.as_ref()) {
            out.push_str(&format!("caveat: {w}\n"));
        }
        if let Some(f) = c.and_then(|c| c.forwarded_traffic.as_ref()) {
            out.push_str(&format!("forwarded traffic: {}\n", f.note));
        }
    }
    emit(out)
}

/// Tokens expanded to prefixes, for display (all of them for JSON).
fn expand(
    tokens: &[&str],
    asgs: &[crate::inventory::SubResource],
    tags: &TagResolver,
    full: bool,
) -> serde_json::Value {
    serde_json::to_value(rule_sides::expand(tokens, asgs, tags, full)).expect("serialises")
}

fn side_text(v: &serde_json::Value) -> String {
    serde_json::from_value::<Vec<rule_sides::Side>>(v.clone())
        .map(|sides| rule_sides::text(&sides))
        .unwrap_or_default()
}

pub fn effective_rules(a: &EffectiveRulesArgs) -> Result<ExitCode> {
    let (snapshot, _, _) = a.source.load()?;
    let idx = Index::new(&snapshot.inventory);
    let (subnet, vnet) = find_subnet(&idx, &a.subnet)?;
    let tags = TagResolver::for_subnet(&idx, subnet, vnet);
    let nic = a.nic.as_deref().map(|n| find_nic(&idx, n)).transpose()?;
    if let (Some(remote), Some(port), Some(dir)) = (a.remote, a.port, a.direction) {
        return check_flow(
            &idx, subnet, nic, &tags, dir, remote, a.local, port, a.protocol, a.format,
        );
    }
    let mut notes = Vec::new();
    let subnet_nsg = subnet
        .properties
        .network_security_group
        .as_ref()
        .map(|r| r.id.clone());
    let nic_nsg = nic.and_then(|n| {
        n.properties
            .network_security_group
            .as_ref()
            .map(|r| r.id.clone())
    });
    if let Some(n) = nic {
        let in_subnet = n.properties.ip_configurations.iter().any(|c| {
            c.properties
                .subnet
                .as_ref()
                .is_some_and(|s| same_id(&s.id, &subnet.id))
        });
        if !in_subnet {
            notes.push(format!(
                "NIC {} has no ip configuration in {}",
                last_name(&n.id),
                subnet.display_name()
            ));
        }
        if n.properties.private_endpoint.is_some() && !subnet.pe_network_policies().nsg_applies() {
            notes.push(format!(
                "NIC {} belongs to a private endpoint and the subnet's privateEndpointNetworkPolicies is {}: NSG rules are NOT applied to it",
                last_name(&n.id),
                subnet.pe_network_policies()
            ));
        }
    }
    let directions: Vec<Direction> = match a.direction {
        Some(DirectionArg::In) => vec![Direction::Inbound],
        Some(DirectionArg::Out) => vec![Direction::Outbound],
        None => vec![Direction::Inbound, Direction::Outbound],
    };
    let mut sections = Vec::new();
    for dir in &directions {
        // Inbound: subnet NSG then NIC NSG; outbound: NIC NSG then subnet NSG.
        let mut order: Vec<(&str, Option<&String>)> =
            vec![("subnet", subnet_nsg.as_ref()), ("nic", nic_nsg.as_ref())];
        if *dir == Direction::Outbound {
            order.reverse();
        }
        for (level, nsg_id) in order {
            if level == "nic" && nic.is_none() {
                continue;
            }
            let Some(nsg_id) = nsg_id else {
                sections.push(json!({"direction": dir, "level": level, "network_security_group": null, "rules": []}));
                continue;
            };
            let Some(nsg) = idx.nsg(nsg_id) else {
                notes.push(format!("NSG {nsg_id} is not in the inventory"));
                continue;
            };
            let rules: Vec<serde_json::Value> = rules_in_order(nsg, dir)
                .iter()
                .map(|OrderedRule { rule, is_default }| {
                    let p = &rule.properties;
                    json!({
                        "name": rule.name, "priority": p.priority, "default": is_default,
                        "access": p.access, "protocol": p.protocol,
                        "source": expand(&p.sources(), p.source_application_security_groups(), &tags, a.format == OutFormat::Json),
                        "source_ports": p.source_ports(),
                        "destination": expand(&p.destinations(), p.destination_application_security_groups(), &tags, a.format == OutFormat::Json),
                        "destination_ports": p.destination_ports(),
                    })
                })
                .collect();
            sections.push(json!({"direction": dir, "level": level, "network_security_group": nsg.id, "rules": rules}));
        }
    }
    if a.format == OutFormat::Json {
        let v = json!({"subnet": subnet.id, "nic": nic.map(|n| &n.id), "notes": notes, "sections": sections});
        return emit(format!(
            "{}\n",
            serde_json::to_string_pretty(&v).expect("serialises")
        ));
    }
    let mut out = format!(
        "Effective security rules for {}/{}\n",
        vnet.display_name(),
        subnet.display_name()
    );
    for n in &notes {
        out.push_str(&format!("note: {n}\n"));
    }
    for s in &sections {
        let nsg = s["network_security_group"]
            .as_str()
            .map(|id| last_name(id).to_string());
        out.push_str(&format!(
            "\n{} · {} NSG: {}\n",
            s["direction"].as_str().unwrap_or_default(),
            s["level"].as_str().unwrap_or_default(),
            nsg.clone()
                .unwrap_or_else(|| "none (all traffic passes this level)".into())
        ));
        if nsg.is_none() {
            continue;
        }
        let mut t = table(vec![
            "Priority",
            "Name",
            "Access",
            "Protocol",
            "Source",
            "Destination",
            "Ports",
        ]);
        for r in s["rules"].as_array().into_iter().flatten() {
            t.add_row(vec![
                r["priority"].to_string(),
                r["name"].as_str().unwrap_or_default().to_string(),
                r["access"].as_str().unwrap_or_default().to_string(),
                r["protocol"].as_str().unwrap_or_default().to_string(),
                side_text(&r["source"]),
                side_text(&r["destination"]),
                r["destination_ports"]
                    .as_array()
                    .map(|p| {
                        p.iter()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default(),
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    emit(out)
}

/// One flow through the subnet's and the NIC's NSGs: allowed or denied, and by which rule of each.
#[allow(clippy::too_many_arguments)]
fn check_flow(
    idx: &Index<'_>,
    subnet: &Subnet,
    nic: Option<&NetworkInterface>,
    tags: &TagResolver,
    dir: DirectionArg,
    remote: IpAddr,
    local: Option<IpAddr>,
    port: u16,
    protocol: ProtocolArg,
    format: OutFormat,
) -> Result<ExitCode> {
    let direction = match dir {
        DirectionArg::In => Direction::Inbound,
        DirectionArg::Out => Direction::Outbound,
    };
    let proto = match protocol {
        ProtocolArg::Tcp => Protocol::Tcp,
        ProtocolArg::Udp => Protocol::Udp,
        ProtocolArg::Icmp => Protocol::Icmp,
    };
    let local = local
        .or_else(|| {
            nic.and_then(|n| {
                n.properties
                    .ip_configurations
                    .iter()
                    .find_map(|c| c.properties.private_ip_address.as_deref()?.parse().ok())
            })
        })
        .or_else(|| {
            crate::model::tags::subnet_prefixes(subnet)
                .to_cidrs()
                .first()
                .and_then(|n| n.hosts().nth(3))
        })
        .ok_or_else(|| Error::Usage("give --local: the subnet has no usable address".into()))?;
    let subnet_nsg = subnet
        .properties
        .network_security_group
        .as_ref()
        .and_then(|r| idx.nsg(&r.id));
    let nic_nsg = nic
        .and_then(|n| n.properties.network_security_group.as_ref())
        .and_then(|r| idx.nsg(&r.id));
    let applies = nic.is_none_or(|n| {
        n.properties.private_endpoint.is_none() || subnet.pe_network_policies().nsg_applies()
    });
    let (allowed, layers) = crate::model::nsg::evaluate_layers(
        subnet_nsg, nic_nsg, applies, &direction, remote, local, &proto, port, tags,
    );
    if format == OutFormat::Json {
        let v = json!({
            "direction": direction, "remote": remote, "local": local, "port": port, "protocol": proto,
            "allowed": allowed, "nsgs_apply": applies, "layers": layers,
        });
        return emit(format!(
            "{}\n",
            serde_json::to_string_pretty(&v).expect("serialises")
        ));
    }
    let mut out = format!(
        "{} {remote} → {local} {}/{port}: {}\n",
        direction,
        proto,
        if allowed { "ALLOWED" } else { "DENIED" }
    );
    if !applies {
        out.push_str("  NSG rules are not applied to this private endpoint (privateEndpointNetworkPolicies)\n");
    }
    for l in &layers {
        let name = l
            .network_security_group
            .as_deref()
            .map(last_name)
            .unwrap_or("no NSG");
        match &l.verdict {
            Some(v) => out.push_str(&format!(
                "  {} NSG {name}: {} by {} ({})\n",
                l.layer,
                if v.allowed { "allowed" } else { "denied" },
                v.rule,
                v.priority
            )),
            None => out.push_str(&format!("  {} NSG {name}: passes\n", l.layer)),
        }
    }
    emit(out)
}

pub fn resolve(a: &ResolveArgs) -> Result<ExitCode> {
    let (snapshot, _, _) = a.source.load()?;
    let idx = Index::new(&snapshot.inventory);
    let vnet = find_vnet(&idx, &a.vnet)?;
    let r = crate::model::dns::resolve(&idx, ZoneTable::shipped(), snapshot.cloud, vnet, &a.fqdn);
    if a.format == OutFormat::Json {
        return emit(format!(
            "{}\n",
            serde_json::to_string_pretty(&r).expect("serialises")
        ));
    }
    let mut out = format!("{} from VNet {}\n", r.fqdn, vnet.display_name());
    for step in &r.chain {
        out.push_str(&format!(
            "  {} {}\n",
            if step.ok { "✓" } else { "✗" },
            step.what
        ));
    }
    use crate::model::dns::Answer;
    let answer = match &r.answer {
        Answer::Private { addresses } => format!("→ private: {}", addresses.join(", ")),
        Answer::Public { reason } => format!("→ PUBLIC address: {reason}"),
        Answer::NxDomain { reason } => format!("→ NXDOMAIN: {reason}"),
        Answer::Unknown { reason } => format!("→ unknown: {reason}"),
    };
    out.push_str(&format!("{answer}\n"));
    emit(out)
}
