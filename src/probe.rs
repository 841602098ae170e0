//! `probe`: the data-plane check, run from a host inside the network (a VM, an AKS pod, a build
//! agent). It resolves a Key Vault's name with the host's resolver (or a given DNS server), shows
//! the CNAME chain and whether the address is private, compares it with the vault's private
//! endpoint addresses in a snapshot, and sends one unauthenticated GET to
//! `https://<name>/healthstatus`, whose `x-ms-keyvault-network-info` header names the client
//! address the vault sees: a private address means the path is private. No other request is made
//! and no token is sent; every wait is bounded.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use serde::Serialize;

use crate::inventory::Index;
use crate::model::tags::is_non_internet;

/// The header Key Vault answers `/healthstatus` with.
pub const NETWORK_INFO_HEADER: &str = "x-ms-keyvault-network-info";

/// What to probe and how.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// The fully qualified name (`kv1.vault.azure.net`).
    pub name: String,
    /// Ask this DNS server instead of the host's resolver configuration.
    pub dns_server: Option<SocketAddr>,
    /// Bound of each DNS query and of the HTTPS request.
    pub timeout: Duration,
    /// PEM certificates to trust besides the operating system's store.
    pub ca_certs: Vec<reqwest::Certificate>,
    /// The HTTPS port (443; another only for tests against a local server).
    pub https_port: u16,
}

/// The name resolution the host does.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Resolution {
    pub resolver: String,
    /// Each alias step, `name → target`.
    pub cname_chain: Vec<String>,
    pub addresses: Vec<IpAddr>,
    /// Whether every address is private (None when nothing resolved).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How the answer compares with the vault's private endpoints in the snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Approved private endpoints of the vault and their addresses.
    pub endpoints: Vec<(String, Vec<String>)>,
    pub matches: bool,
    pub verdict: String,
}

/// The vault's `/healthstatus` answer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Health {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_info: Option<String>,
    /// The client address the vault saw (`addr=` of the header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_address: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_private: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub name: String,
    pub resolution: Resolution,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<Comparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    /// `private`, `public` or `unknown`: the path this host takes to the vault.
    pub path: String,
}

/// The name to probe: a bare vault name becomes `{name}.vault.azure.net` (its public name in
/// `cloud`), a name with dots is taken as it is.
pub fn probe_name(given: &str, cloud: crate::azure::Cloud) -> String {
    let g = given.trim().trim_end_matches('.').to_ascii_lowercase();
    if g.contains('.') {
        return g;
    }
    crate::model::privatelink::ZoneTable::shipped()
        .public_name(cloud, "Microsoft.KeyVault/vaults", "vault", &g)
        .unwrap_or_else(|| format!("{g}.vault.azure.net"))
}

fn resolver(opts: &ProbeOptions) -> Result<(TokioResolver, String), String> {
    let mut ro = ResolverOpts::default();
    ro.timeout = opts.timeout;
    ro.attempts = 1;
    let (builder, label) = match opts.dns_server {
        Some(server) => {
            let mut ns = NameServerConfig::udp_and_tcp(server.ip());
            for c in &mut ns.connections {
                c.port = server.port();
            }
            let config = ResolverConfig::from_parts(None, Vec::new(), vec![ns]);
            (
                TokioResolver::builder_with_config(config, TokioRuntimeProvider::default()),
                format!("DNS server {server}"),
            )
        }
        None => (
            TokioResolver::builder_tokio()
                .map_err(|e| format!("cannot read the host's resolver configuration: {e}"))?,
            "the host's resolver".to_string(),
        ),
    };
    let r = builder
        .with_options(ro)
        .build()
        .map_err(|e| format!("cannot build the resolver: {e}"))?;
    Ok((r, label))
}

async fn resolve(opts: &ProbeOptions) -> Resolution {
    let (r, label) = match resolver(opts) {
        Ok(x) => x,
        Err(e) => {
            return Resolution {
                resolver: "the host's resolver".into(),
                error: Some(e),
                ..Default::default()
            };
        }
    };
    let mut out = Resolution {
        resolver: label,
        ..Default::default()
    };
    // The whole lookup is bounded too (each query already is).
    let fqdn = format!("{}.", opts.name);
    let lookup =
        tokio::time::timeout(opts.timeout * 3, r.lookup(fqdn.as_str(), RecordType::A)).await;
    match lookup {
        Err(_) => out.error = Some(format!("no answer within {:?}", opts.timeout * 3)),
        Ok(Err(e)) => out.error = Some(e.to_string()),
        Ok(Ok(l)) => {
            for rec in l.answers() {
                match &rec.data {
                    RData::CNAME(c) => out.cname_chain.push(format!(
                        "{} → {}",
                        rec.name.to_string().trim_end_matches('.'),
                        c.0.to_string().trim_end_matches('.')
                    )),
                    RData::A(a) => out.addresses.push(IpAddr::V4(a.0)),
                    RData::AAAA(a) => out.addresses.push(IpAddr::V6(a.0)),
                    _ => {}
                }
            }
        }
    }
    if !out.addresses.is_empty() {
        out.private = Some(out.addresses.iter().all(|a| is_non_internet(*a)));
    }
    out
}

/// The `addr=` value of an `x-ms-keyvault-network-info` header (`conn_type=Ipv4;addr=10.1.2.4;…`).
pub fn caller_address(header: &str) -> Option<IpAddr> {
    header
        .split([';', ','])
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("addr"))
        .and_then(|(_, v)| v.trim().parse().ok())
}

async fn health(opts: &ProbeOptions, address: Option<IpAddr>) -> Health {
    let url = if opts.https_port == 443 {
        format!("https://{}/healthstatus", opts.name)
    } else {
        format!("https://{}:{}/healthstatus", opts.name, opts.https_port)
    };
    let mut h = Health {
        url: url.clone(),
        ..Default::default()
    };
    crate::arm::tls::install();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(opts.timeout)
        .timeout(opts.timeout * 2)
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_merge(opts.ca_certs.iter().cloned());
    if let Some(a) = address {
        // The request goes to the address shown above, not to a second lookup's.
        builder = builder.resolve(&opts.name, SocketAddr::new(a, opts.https_port));
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            h.error = Some(format!("cannot build the HTTPS client: {e}"));
            return h;
        }
    };
    match client.get(&url).send().await {
        Ok(resp) => {
            h.status = Some(resp.status().as_u16());
            h.network_info = resp
                .headers()
                .get(NETWORK_INFO_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            h.caller_address = h.network_info.as_deref().and_then(caller_address);
            h.caller_private = h.caller_address.map(is_non_internet);
            if h.network_info.is_none() {
                h.error = Some(format!(
                    "the answer has no {NETWORK_INFO_HEADER} header (not a Key Vault?)"
                ));
            }
        }
        Err(e) => {
            // The error chain names the cause (TLS, timeout, refused) without any secret.
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            h.error = Some(msg);
        }
    }
    h
}

/// Compares the answer with the vault's approved private endpoints in the snapshot.
pub fn compare(idx: &Index<'_>, name: &str, resolution: &Resolution) -> Comparison {
    let label = name.split('.').next().unwrap_or_default();
    let endpoints: Vec<(String, Vec<String>)> = idx
        .endpoints_targeting_name(label)
        .iter()
        .filter(|pe| pe.connections().any(|c| c.is_approved()))
        .map(|pe| (pe.display_name().to_string(), idx.endpoint_ips(pe)))
        .collect();
    let known: Vec<IpAddr> = endpoints
        .iter()
        .flat_map(|(_, ips)| ips.iter().filter_map(|s| s.parse().ok()))
        .collect();
    let matches =
        !resolution.addresses.is_empty() && resolution.addresses.iter().all(|a| known.contains(a));
    let verdict = if endpoints.is_empty() {
        format!(
            "{label} has no approved private endpoint in the snapshot: its public address is expected"
        )
    } else if resolution.addresses.is_empty() {
        "the name did not resolve".to_string()
    } else if matches {
        "the address is the vault's private endpoint address".to_string()
    } else if resolution.private == Some(true) {
        "a private address that is none of the vault's private endpoint addresses: a stale or foreign record".to_string()
    } else {
        "a public address although the vault has approved private endpoints: this host does not resolve through the vault's private DNS zone".to_string()
    };
    Comparison {
        endpoints,
        matches,
        verdict,
    }
}

/// Runs the probe: resolution, then the one GET (unless nothing resolved).
pub async fn probe(opts: &ProbeOptions, idx: Option<&Index<'_>>) -> ProbeReport {
    let resolution = resolve(opts).await;
    let snapshot = idx.map(|i| compare(i, &opts.name, &resolution));
    let health = match resolution.addresses.first() {
        Some(a) => Some(health(opts, Some(*a)).await),
        None => None,
    };
    let caller = health.as_ref().and_then(|h| h.caller_private);
    let path = match caller {
        Some(true) => "private",
        Some(false) => "public",
        None => "unknown",
    };
    ProbeReport {
        name: opts.name.clone(),
        resolution,
        snapshot,
        health,
        path: path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_address_is_read_from_the_header() {
        assert_eq!(
            caller_address("conn_type=Ipv4;addr=10.1.1.4;act_addr_fam=InterNetwork;"),
            Some("10.1.1.4".parse().unwrap())
        );
        assert_eq!(caller_address("conn_type=Ipv4"), None);
    }

    #[test]
    fn bare_vault_names_get_the_clouds_suffix() {
        assert_eq!(
            probe_name("KV1", crate::azure::Cloud::Public),
            "kv1.vault.azure.net"
        );
        assert_eq!(
            probe_name("kv1.vault.azure.net.", crate::azure::Cloud::Public),
            "kv1.vault.azure.net"
        );
    }
}
