//! `reach`: can a source reach a destination, hop by hop, with the object that decides each hop.

use clap::{Args, ValueEnum};
use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;

use super::SourceArgs;
use super::inspect::OutFormat;
use crate::error::{Error, ExitCode, Result};
use crate::inventory::Index;
use crate::inventory::network::Protocol;
use crate::reach::{Outcome, Path, Verdict, find_source, find_target, reach};
use crate::report;

pub const REACH_HELP: &str = "\
What is exact: private DNS zone links and A records (Azure-provided DNS), effective routes computed
from the inventory (system, peering, private-endpoint /32, service-endpoint and user routes, longest
prefix then user > BGP > system), NSG evaluation in priority order with NIC then subnet outbound
and subnet then NIC inbound (also on an appliance's NIC for the packets it forwards), the
private-endpoint network-policy exception, peering state and flags, classic Azure Firewall network
rule collections, and the Key Vault firewall (public network access, default action, virtual
network rules).

What is approximated: the Internet service tag (public space outside the VNet), the address of a
public service endpoint (only its service tags are known, so a rule naming some public prefixes
leaves the hop undetermined), routes learned over BGP (a caveat on the route hop), and a source
given as a subnet (its first usable address, without any NIC's own NSG).

What is unknown offline (verdict `undetermined`): answers of custom DNS servers, firewall policies,
application rules, IP groups and the rules inside an appliance (the hops after it are walked as if
it allowed the flow: a later block still blocks), anything beyond a virtual network gateway, and
the public address traffic leaves Azure from (which Key Vault IP rules match).

Exit codes:
  0  reachable
  1  blocked (the hop that blocks is named)
  2  usage or input error
  4  undetermined (the hop and what is unknown are named)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReachProtocol {
    Tcp,
    Udp,
}

#[derive(Debug, Args)]
pub struct ReachArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The source: a subnet (resource id or `vnet/subnet`), a NIC (resource id or name) or an address.
    #[arg(long, value_name = "SUBNET|NIC|IP")]
    pub from: String,
    /// The destination: a DNS name (resolved from the source VNet), an address, or the resource id
    /// of a Key Vault, private endpoint or NIC.
    #[arg(long, value_name = "FQDN|IP|RESOURCE-ID")]
    pub to: String,
    /// The destination port.
    #[arg(long, default_value_t = 443)]
    pub port: u16,
    #[arg(long, value_enum, ignore_case = true, default_value_t = ReachProtocol::Tcp)]
    pub protocol: ReachProtocol,
    #[arg(long, value_enum, ignore_case = true, default_value_t = OutFormat::Table)]
    pub format: OutFormat,
}

pub fn run(a: &ReachArgs) -> Result<ExitCode> {
    let (snapshot, _, _) = a.source.load()?;
    let idx = Index::new(&snapshot.inventory);
    let src = find_source(&idx, &a.from).map_err(Error::Usage)?;
    let target = find_target(&idx, snapshot.cloud, &a.to).map_err(Error::Usage)?;
    let protocol = match a.protocol {
        ReachProtocol::Tcp => Protocol::Tcp,
        ReachProtocol::Udp => Protocol::Udp,
    };
    let path = reach(
        &idx,
        snapshot.cloud,
        src,
        &target,
        &a.from,
        &a.to,
        a.port,
        protocol,
    );
    let text = match a.format {
        OutFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&path).expect("serialises")
        ),
        OutFormat::Table => table(&path),
    };
    report::write_output(None, &text)?;
    Ok(match path.verdict {
        Verdict::Reachable => ExitCode::Clean,
        Verdict::Blocked { .. } => ExitCode::Findings,
        Verdict::Undetermined { .. } => ExitCode::Undetermined,
    })
}

fn table(path: &Path) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(140)
        .set_header(vec!["#", "Hop", "Outcome", "At", "Decided by", "Detail"]);
    for (i, h) in path.hops.iter().enumerate() {
        let outcome = match h.outcome {
            Outcome::Pass => "pass",
            Outcome::Block => "BLOCK",
            Outcome::Unknown => "unknown",
        };
        let mut detail = h.detail.clone();
        if let Some(c) = &h.caveat {
            detail.push_str(&format!("\ncaveat: {c}"));
        }
        t.add_row(vec![
            (i + 1).to_string(),
            h.kind.label().to_string(),
            outcome.to_string(),
            h.at.clone(),
            h.decided_by.clone().unwrap_or_default(),
            detail,
        ]);
    }
    let mut out = format!(
        "{} ({}{}) → {} {}/{}\n{t}\n",
        path.from,
        path.source_address,
        if path.source_address_assumed {
            ", its first usable address"
        } else {
            ""
        },
        path.to,
        path.protocol,
        path.port
    );
    out.push_str(&match &path.verdict {
        Verdict::Reachable => "verdict: reachable\n".to_string(),
        Verdict::Blocked { reason, .. } => format!("verdict: {}: {reason}\n", path.verdict_text()),
        Verdict::Undetermined { unknown, .. } => {
            format!("verdict: {}: {unknown}\n", path.verdict_text())
        }
    });
    out
}
