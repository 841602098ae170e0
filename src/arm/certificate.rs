//! A service principal that signs in with a certificate (`AZURE_CLIENT_CERTIFICATE_PATH`): the
//! certificate's private key signs a client assertion (a PS256 JWT whose `x5t#S256` header names
//! the certificate by its SHA-256 thumbprint, the format Microsoft Entra ID documents), which azure_identity's
//! `ClientAssertionCredential` exchanges for tokens. azure_identity's own certificate credential
//! needs OpenSSL; this uses the crypto library the TLS stack already links (ring), so it
//! reads PEM (certificate and unencrypted private key) only.

use std::sync::Arc;

use async_trait::async_trait;
use azure_core::http::ClientMethodOptions;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::{digest, rand::SystemRandom, signature};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// How long one assertion is valid; Microsoft Entra ID asks for a short life.
const ASSERTION_LIFETIME_SECS: i64 = 600;

/// Signs client assertions with a certificate's key.
pub struct CertificateAssertion {
    client_id: String,
    /// The token endpoint, which is the assertion's audience.
    audience: String,
    key: Arc<signature::RsaKeyPair>,
    header: String,
}

impl std::fmt::Debug for CertificateAssertion {
    // Never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAssertion")
            .field("client_id", &self.client_id)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl CertificateAssertion {
    /// Reads the PEM file: the first certificate names the key; with `send_chain` every
    /// certificate goes in the `x5c` header (subject name and issuer authentication).
    pub fn from_pem(
        pem: &[u8],
        client_id: &str,
        audience: &str,
        send_chain: bool,
    ) -> Result<Self, String> {
        let contains = |needle: &[u8]| pem.windows(needle.len()).any(|w| w == needle);
        if !contains(b"-----BEGIN ") {
            return Err("not a PEM file (a PKCS#12 .pfx is not read; convert it with `openssl pkcs12 -in cert.pfx -out cert.pem -nodes`)".into());
        }
        if contains(b"-----BEGIN ENCRYPTED PRIVATE KEY") {
            return Err("the private key is encrypted; give the key unencrypted (`openssl pkcs8 -in key.pem -out plain.pem`) in a file only the job can read".into());
        }
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("unreadable certificate: {e}"))?;
        let Some(first) = certs.first() else {
            return Err(
                "no CERTIFICATE in the file (it needs the certificate and its private key)".into(),
            );
        };
        let key = match PrivateKeyDer::from_pem_slice(pem) {
            Ok(PrivateKeyDer::Pkcs8(k)) => signature::RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            Ok(PrivateKeyDer::Pkcs1(k)) => signature::RsaKeyPair::from_der(k.secret_pkcs1_der()),
            Ok(_) => return Err("the private key is not an RSA key (Microsoft Entra ID certificate credentials are RSA)".into()),
            Err(_) => return Err("no PRIVATE KEY in the file (it needs the certificate and its private key)".into()),
        }
        .map_err(|e| format!("the private key is not a usable RSA key: {e}"))?;
        let thumbprint = digest::digest(&digest::SHA256, first.as_ref());
        let mut header = serde_json::json!({
            "alg": "PS256",
            "typ": "JWT",
            "x5t#S256": URL_SAFE_NO_PAD.encode(thumbprint.as_ref()),
        });
        if send_chain {
            header["x5c"] = certs.iter().map(|c| STANDARD.encode(c.as_ref())).collect();
        }
        Ok(CertificateAssertion {
            client_id: client_id.to_string(),
            audience: audience.to_string(),
            key: Arc::new(key),
            header: URL_SAFE_NO_PAD.encode(header.to_string()),
        })
    }

    /// A fresh assertion valid from `now` for [`ASSERTION_LIFETIME_SECS`].
    pub fn assertion_at(&self, now: chrono::DateTime<chrono::Utc>) -> Result<String, String> {
        let iat = now.timestamp();
        let claims = serde_json::json!({
            "aud": self.audience,
            "iss": self.client_id,
            "sub": self.client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "iat": iat,
            "nbf": iat,
            "exp": iat + ASSERTION_LIFETIME_SECS,
        });
        let signed = format!(
            "{}.{}",
            self.header,
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &signature::RSA_PSS_SHA256,
                &SystemRandom::new(),
                signed.as_bytes(),
                &mut sig,
            )
            .map_err(|_| "signing the client assertion failed".to_string())?;
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    /// The public key, to check a signature.
    pub fn public_key(&self) -> Vec<u8> {
        use signature::KeyPair;
        self.key.public_key().as_ref().to_vec()
    }
}

#[async_trait]
impl azure_identity::ClientAssertion for CertificateAssertion {
    async fn secret(&self, _: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        self.assertion_at(chrono::Utc::now()).map_err(|e| {
            azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUDIENCE: &str =
        "https://login.microsoftonline.com/00000000-0000-4000-8000-000000000001/oauth2/v2.0/token";
    const CLIENT: &str = "00000000-0000-4000-8000-0000000000c1";
    /// A self-signed certificate and its RSA key, made for these tests (see its README).
    const CLIENT_PEM: &str = include_str!("../../tests/fixtures/certificate/client.pem");

    fn pem_block(label: &str, der: &[u8]) -> String {
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            STANDARD.encode(der)
        )
    }

    /// A PEM file as `openssl pkcs12 -nodes` writes it: certificate, then a PKCS#8 RSA key.
    fn pem() -> String {
        CLIENT_PEM.to_string()
    }

    /// The DER bytes of the file's certificate.
    fn cert_der() -> Vec<u8> {
        CertificateDer::from_pem_slice(CLIENT_PEM.as_bytes())
            .unwrap()
            .as_ref()
            .to_vec()
    }

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn the_assertion_is_a_signed_jwt_naming_the_certificate() {
        let a = CertificateAssertion::from_pem(pem().as_bytes(), CLIENT, AUDIENCE, false).unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .to_utc();
        let jwt = a.assertion_at(now).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = decode(parts[0]);
        let thumbprint = digest::digest(&digest::SHA256, &cert_der());
        assert_eq!(
            header,
            serde_json::json!({
                "alg": "PS256", "typ": "JWT",
                "x5t#S256": URL_SAFE_NO_PAD.encode(thumbprint.as_ref())
            })
        );
        let claims = decode(parts[1]);
        assert_eq!(claims["aud"], AUDIENCE);
        assert_eq!(
            (claims["iss"].as_str(), claims["sub"].as_str()),
            (Some(CLIENT), Some(CLIENT))
        );
        assert_eq!(claims["nbf"], now.timestamp());
        assert_eq!(claims["exp"], now.timestamp() + 600);
        // Each assertion is new.
        assert_ne!(
            decode(a.assertion_at(now).unwrap().split('.').nth(1).unwrap())["jti"],
            claims["jti"]
        );
        // The signature verifies with the certificate's public key, and only over these bytes.
        let key =
            signature::UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, a.public_key());
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        assert!(key.verify(signed.as_bytes(), &sig).is_ok());
        assert!(key.verify(format!("{signed}x").as_bytes(), &sig).is_err());
        // The key never shows in debug output.
        assert!(!format!("{a:?}").contains("PRIVATE"));
    }

    #[test]
    fn the_chain_goes_in_x5c_when_asked() {
        let a = CertificateAssertion::from_pem(pem().as_bytes(), CLIENT, AUDIENCE, true).unwrap();
        let jwt = a.assertion_at(chrono::Utc::now()).unwrap();
        let header = decode(jwt.split('.').next().unwrap());
        assert_eq!(
            header["x5c"],
            serde_json::json!([STANDARD.encode(cert_der())])
        );
    }

    #[test]
    fn unusable_files_are_named_precisely() {
        let err =
            |pem: &[u8]| CertificateAssertion::from_pem(pem, CLIENT, AUDIENCE, false).unwrap_err();
        // A PKCS#12 file is DER, not PEM.
        assert!(
            err(&[0x30, 0x82, 0x0a, 0x01, 0x02])
                .starts_with("not a PEM file (a PKCS#12 .pfx is not read;")
        );
        let cert = pem_block("CERTIFICATE", &cert_der());
        assert!(err(cert.as_bytes()).starts_with("no PRIVATE KEY in the file"));
        let key_only = pem()
            .split_once("-----BEGIN PRIVATE KEY")
            .map(|(_, k)| format!("-----BEGIN PRIVATE KEY{k}"))
            .unwrap();
        assert!(err(key_only.as_bytes()).starts_with("no CERTIFICATE in the file"));
        let encrypted = format!("{cert}{}", pem_block("ENCRYPTED PRIVATE KEY", b"x"));
        assert!(err(encrypted.as_bytes()).starts_with("the private key is encrypted"));
        let garbage = format!("{cert}{}", pem_block("PRIVATE KEY", b"not a key"));
        assert!(err(garbage.as_bytes()).starts_with("the private key is not a usable RSA key"));
    }
}
