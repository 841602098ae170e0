//! `probe`: resolve a Key Vault's name from this host and ask the vault which address it sees.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::inspect::OutFormat;
use crate::collect::Snapshot;
use crate::error::{Error, ExitCode, Result};
use crate::inventory::Index;
use crate::probe::{ProbeOptions, ProbeReport, probe, probe_name};
use crate::report;

pub const PROBE_HELP: &str = "\
Run it on a host inside the network (a VM, an AKS pod, a build agent). It makes one DNS lookup
(with the host's resolver, or --dns-server) and one unauthenticated GET to
https://<name>/healthstatus on the address it resolved; Key Vault answers with the header
x-ms-keyvault-network-info, whose addr= is the client address the vault sees. No token is sent,
no other request is made, every wait is bounded by --timeout.

Exit codes:
  0  the vault sees a private client address (the path is private)
  1  the vault sees a public client address
  2  usage or input error
  4  not known: the name did not resolve or the vault did not answer";

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The vault's name (kv1) or a fully qualified name (kv1.vault.azure.net).
    pub name: String,
    /// A snapshot written by `azaudit collect`: compare the answer with the vault's private
    /// endpoint addresses.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Ask this DNS server (IP or IP:PORT) instead of the host's resolver configuration.
    #[arg(long, value_name = "IP[:PORT]")]
    pub dns_server: Option<String>,
    /// Seconds each DNS query and the HTTPS request may take (1–60).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub timeout: u64,
    /// A PEM certificate to trust besides the operating system's store (a TLS-inspecting proxy's CA), repeatable.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
    /// The HTTPS port (for tests against a local server).
    #[arg(long, default_value_t = 443, hide = true)]
    pub https_port: u16,
    #[arg(long, value_enum, ignore_case = true, default_value_t = OutFormat::Table)]
    pub format: OutFormat,
}

fn dns_server(text: &str) -> Result<SocketAddr> {
    if let Ok(a) = text.parse::<SocketAddr>() {
        return Ok(a);
    }
    text.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| {
            Error::Usage(format!(
                "--dns-server {text:?}: give an IP address or IP:PORT"
            ))
        })
}

fn ca_certs(paths: &[PathBuf]) -> Result<Vec<reqwest::Certificate>> {
    let mut out = Vec::new();
    for p in paths {
        let pem = std::fs::read(p)
            .map_err(|e| Error::Usage(format!("--ca-cert {}: {e}", p.display())))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            Error::Usage(format!(
                "--ca-cert {}: not a PEM certificate: {e}",
                p.display()
            ))
        })?;
        if certs.is_empty() {
            return Err(Error::Usage(format!(
                "--ca-cert {}: no certificate in it",
                p.display()
            )));
        }
        out.extend(certs);
    }
    Ok(out)
}

pub fn run(a: &ProbeArgs) -> Result<ExitCode> {
    let snapshot = a.snapshot.as_deref().map(Snapshot::load).transpose()?;
    let cloud = snapshot.as_ref().map(|s| s.cloud).unwrap_or_default();
    let opts = ProbeOptions {
        name: probe_name(&a.name, cloud),
        dns_server: a.dns_server.as_deref().map(dns_server).transpose()?,
        timeout: Duration::from_secs(a.timeout),
        ca_certs: ca_certs(&a.ca_cert)?,
        https_port: a.https_port,
    };
    let idx = snapshot.as_ref().map(|s| Index::new(&s.inventory));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("async runtime: {e}")))?;
    let r = runtime.block_on(probe(&opts, idx.as_ref()));
    let text = match a.format {
        OutFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&r).expect("serialises")
        ),
        OutFormat::Table => text(&r),
    };
    report::write_output(None, &text)?;
    Ok(match r.path.as_str() {
        "private" => ExitCode::Clean,
        "public" => ExitCode::Findings,
        _ => ExitCode::Undetermined,
    })
}

fn text(r: &ProbeReport) -> String {
    let mut out = format!("{} (resolved by {})\n", r.name, r.resolution.resolver);
    for c in &r.resolution.cname_chain {
        out.push_str(&format!("  CNAME {c}\n"));
    }
    match &r.resolution.error {
        Some(e) => out.push_str(&format!("  does not resolve: {e}\n")),
        None => out.push_str(&format!(
            "  address {} ({})\n",
            r.resolution
                .addresses
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            match r.resolution.private {
                Some(true) => "private",
                Some(false) => "PUBLIC",
                None => "none",
            }
        )),
    }
    if let Some(c) = &r.snapshot {
        let eps: Vec<String> = c
            .endpoints
            .iter()
            .map(|(n, ips)| format!("{n} {}", ips.join(",")))
            .collect();
        out.push_str(&format!(
            "  snapshot: {}{}\n",
            c.verdict,
            if eps.is_empty() {
                String::new()
            } else {
                format!(" (private endpoints: {})", eps.join("; "))
            }
        ));
    }
    if let Some(h) = &r.health {
        out.push_str(&format!("GET {}", h.url));
        if let Some(s) = h.status {
            out.push_str(&format!(" → {s}"));
        }
        out.push('\n');
        if let Some(n) = &h.network_info {
            out.push_str(&format!("  x-ms-keyvault-network-info: {n}\n"));
        }
        if let (Some(a), Some(p)) = (h.caller_address, h.caller_private) {
            out.push_str(&format!(
                "  the vault sees this host as {a} ({})\n",
                if p {
                    "private: the path is private"
                } else {
                    "PUBLIC: the path is public"
                }
            ));
        }
        if let Some(e) = &h.error {
            out.push_str(&format!("  {e}\n"));
        }
    }
    out.push_str(&format!("path: {}\n", r.path));
    out
}
