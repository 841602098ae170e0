//! The TLS crypto provider of every HTTPS client azaudit builds (the SDK's ARM and token clients,
//! `probe`, the Sentinel push): ring, installed as rustls' process default. The HTTP stack is built
//! without a provider of its own, and reqwest refuses to build a client without one, so each
//! constructor calls [`install`] first.
//!
//! Certificates are verified as before: rustls-platform-verifier against the platform's trust
//! store, with ring's signature algorithms (RSA PKCS#1 and PSS, ECDSA P-256 and P-384, Ed25519:
//! the algorithms of Microsoft's and public CAs' certificate chains).

/// Installs ring as the process-wide rustls provider; a provider installed earlier (by an
/// embedding program) is kept.
pub fn install() {
    // An Err only says a provider is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    #[test]
    fn installs_ring_once_and_keeps_it() {
        super::install();
        super::install();
        let provider = rustls::crypto::CryptoProvider::get_default().expect("a provider");
        assert!(!provider.cipher_suites.is_empty());
        // ring's provider offers exactly its own suites.
        assert_eq!(
            provider.cipher_suites.len(),
            rustls::crypto::ring::default_provider().cipher_suites.len()
        );
    }
}
