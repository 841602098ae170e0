//! `probe` against a DNS responder and an HTTPS server started by the test on loopback: the CNAME
//! chain, the address and whether it is private, the one GET to /healthstatus and the client
//! address the vault reports, and that certificate checks stay on.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hickory_resolver::proto::op::{Message, OpCode};
use hickory_resolver::proto::rr::rdata::{A, CNAME};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};

use crate::common::azaudit;

const NAME: &str = "kv-probe.vault.azure.net.";
const ALIAS: &str = "kv-probe.privatelink.vaultcore.azure.net.";

/// Answers A queries for NAME with a CNAME to ALIAS and ALIAS's address 127.0.0.1; other names
/// get NXDOMAIN. Returns its address and how many queries it saw.
fn dns_responder() -> (SocketAddr, Arc<AtomicUsize>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((n, peer)) = sock.recv_from(&mut buf) {
            count.fetch_add(1, Ordering::SeqCst);
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut r = Message::response(q.metadata.id, OpCode::Query);
            r.metadata.recursion_desired = q.metadata.recursion_desired;
            r.metadata.recursion_available = true;
            let Some(query) = q.queries.first().cloned() else {
                continue;
            };
            let asked = query.name().to_ascii().to_ascii_lowercase();
            r.add_query(query.clone());
            if asked == NAME && query.query_type() == RecordType::A {
                let alias = Name::from_ascii(ALIAS).unwrap();
                r.add_answer(Record::from_rdata(
                    Name::from_ascii(NAME).unwrap(),
                    60,
                    RData::CNAME(CNAME(alias.clone())),
                ));
                r.add_answer(Record::from_rdata(
                    alias,
                    10,
                    RData::A(A::new(127, 0, 0, 1)),
                ));
            } else if asked != NAME {
                r.metadata.response_code = hickory_resolver::proto::op::ResponseCode::NXDomain;
            }
            let _ = sock.send_to(&r.to_vec().unwrap(), peer);
        }
    });
    (addr, seen)
}

/// An HTTPS server for kv-probe.vault.azure.net (certificate from the test CA) that answers
/// every request with `header` and records the request heads it received.
fn https_server(header: &'static str) -> (u16, Arc<Mutex<Vec<String>>>) {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/probe");
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(format!("{dir}/server.pem"))
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
    let key = PrivateKeyDer::from_pem_file(format!("{dir}/server.key")).unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let port = std_listener.local_addr().unwrap().port();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else { return };
                let Ok(mut tls) = acceptor.accept(tcp).await else { continue };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                seen.lock().unwrap().push(String::from_utf8_lossy(&head).to_string());
                let resp = format!("HTTP/1.1 200 OK\r\n{header}\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}");
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            }
        });
    });
    (port, requests)
}

fn probe(dns: SocketAddr, port: u16, extra: &[&str]) -> std::process::Output {
    let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/probe/ca.pem");
    let dns = dns.to_string();
    let port = port.to_string();
    let mut args = vec![
        "probe",
        "kv-probe",
        "--dns-server",
        &dns,
        "--https-port",
        &port,
        "--timeout",
        "3",
        "--ca-cert",
        ca,
    ];
    args.extend_from_slice(extra);
    azaudit(&args)
}

#[test]
fn a_private_path_shows_the_cname_chain_and_the_private_caller_address() {
    let (dns, _) = dns_responder();
    let (port, requests) = https_server(
        "x-ms-keyvault-network-info: conn_type=Ipv4;addr=10.1.1.4;act_addr_fam=InterNetwork;",
    );
    let o = probe(dns, port, &["--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["name"], "kv-probe.vault.azure.net");
    assert_eq!(
        v["resolution"]["cname_chain"][0],
        "kv-probe.vault.azure.net → kv-probe.privatelink.vaultcore.azure.net"
    );
    assert_eq!(v["resolution"]["addresses"][0], "127.0.0.1");
    assert_eq!(v["resolution"]["private"], true);
    assert_eq!(v["health"]["status"], 200);
    assert_eq!(v["health"]["caller_address"], "10.1.1.4");
    assert_eq!(v["health"]["caller_private"], true);
    assert_eq!(v["path"], "private");
    // Exactly one request: the unauthenticated GET of /healthstatus on the name given.
    let reqs = requests.lock().unwrap();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    let head = reqs[0].to_ascii_lowercase();
    assert!(head.starts_with("get /healthstatus http/1.1\r\n"), "{head}");
    assert!(
        head.contains(&format!("host: kv-probe.vault.azure.net:{port}")),
        "{head}"
    );
    assert!(!head.contains("authorization"), "{head}");
}

#[test]
fn a_public_caller_address_means_the_path_is_public() {
    let (dns, _) = dns_responder();
    let (port, _) = https_server(
        "x-ms-keyvault-network-info: conn_type=Ipv4;addr=203.0.113.7;act_addr_fam=InterNetwork;",
    );
    let o = probe(dns, port, &[]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("CNAME kv-probe.vault.azure.net → kv-probe.privatelink.vaultcore.azure.net"),
        "{text}"
    );
    assert!(
        text.contains("the vault sees this host as 203.0.113.7 (PUBLIC: the path is public)"),
        "{text}"
    );
    assert!(text.ends_with("path: public\n"), "{text}");
}

#[test]
fn certificates_are_checked_without_the_ca() {
    let (dns, _) = dns_responder();
    let (port, requests) = https_server("x-ms-keyvault-network-info: addr=10.1.1.4");
    let dns_s = dns.to_string();
    let port_s = port.to_string();
    let o = azaudit(&[
        "probe",
        "kv-probe",
        "--dns-server",
        &dns_s,
        "--https-port",
        &port_s,
        "--timeout",
        "3",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let err = v["health"]["error"].as_str().unwrap().to_ascii_lowercase();
    assert!(
        err.contains("certificate") || err.contains("issuer"),
        "{err}"
    );
    assert!(
        requests.lock().unwrap().is_empty(),
        "no request passes an untrusted certificate"
    );
}

#[test]
fn a_name_that_does_not_resolve_sends_no_request() {
    let (dns, seen) = dns_responder();
    let (port, requests) = https_server("x-ms-keyvault-network-info: addr=10.1.1.4");
    let dns_s = dns.to_string();
    let port_s = port.to_string();
    let o = azaudit(&[
        "probe",
        "other.vault.azure.net",
        "--dns-server",
        &dns_s,
        "--https-port",
        &port_s,
        "--timeout",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["resolution"]["error"].is_string(), "{v}");
    assert!(v.get("health").is_none());
    assert!(seen.load(Ordering::SeqCst) >= 1);
    assert!(requests.lock().unwrap().is_empty());
    // Bad input is a usage error.
    let o = azaudit(&["probe", "kv1", "--dns-server", "not-an-address"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_answer_is_compared_with_the_snapshots_private_endpoints() {
    let s = azaudit::collect::demo::snapshot();
    let idx = azaudit::inventory::Index::new(&s.inventory);
    let at = |addrs: &[&str]| {
        let addresses: Vec<std::net::IpAddr> = addrs.iter().map(|a| a.parse().unwrap()).collect();
        azaudit::probe::Resolution {
            private: Some(
                addresses
                    .iter()
                    .all(|a| azaudit::model::tags::is_non_internet(*a)),
            ),
            addresses,
            ..Default::default()
        }
    };
    let c = azaudit::probe::compare(&idx, "kv-app-contoso.vault.azure.net", &at(&["10.1.2.4"]));
    assert!(c.matches, "{c:?}");
    assert_eq!(c.endpoints.len(), 2, "pe-kv-app and pe-kv-app-dup");
    let c = azaudit::probe::compare(&idx, "kv-ops-contoso.vault.azure.net", &at(&["10.1.2.9"]));
    assert!(
        !c.matches && c.verdict.contains("stale or foreign record"),
        "{c:?}"
    );
    let c = azaudit::probe::compare(&idx, "kv-app-contoso.vault.azure.net", &at(&["52.1.2.3"]));
    assert!(
        c.verdict
            .contains("does not resolve through the vault's private DNS zone"),
        "{c:?}"
    );
    let c = azaudit::probe::compare(&idx, "kv-svc-contoso.vault.azure.net", &at(&["52.1.2.3"]));
    assert!(c.verdict.contains("no approved private endpoint"), "{c:?}");
}
