//! Credentials: `--auth auto|cli|azd|sp|workload|pipelines|msi|token`. `auto` tries a service
//! principal from the environment, workload identity, an Azure Pipelines service connection, the
//! Azure CLI, the Azure Developer CLI, then managed identity
//! last under a short timeout (an unreachable IMDS takes ~100 s to fail). The first source that
//! works is kept for the rest of the run. Errors name each source and what it said; they never
//! contain a token.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_core::http::ClientOptions;
use azure_identity::{
    AzureCliCredential, AzureDeveloperCliCredential, AzurePipelinesCredential,
    AzurePipelinesCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};

use super::cloud::ArmTarget;
use crate::error::{Error, Result};

/// How the scan authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// Service principal from the environment, workload identity, Azure CLI, azd, managed identity.
    Auto,
    /// The Azure CLI's signed-in account (`az login`).
    Cli,
    /// The Azure Developer CLI's account (`azd auth login`).
    Azd,
    /// A service principal from AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or
    /// AZURE_CLIENT_CERTIFICATE_PATH (a PEM file with the certificate and its RSA private key).
    Sp,
    /// Workload identity federation: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE.
    Workload,
    /// An Azure Pipelines service connection (workload identity federation):
    /// AZURESUBSCRIPTION_TENANT_ID, AZURESUBSCRIPTION_CLIENT_ID,
    /// AZURESUBSCRIPTION_SERVICE_CONNECTION_ID and SYSTEM_ACCESSTOKEN, as the AzureCLI@2 task sets
    /// them (AZURE_TENANT_ID / AZURE_CLIENT_ID also work).
    Pipelines,
    /// The managed identity of the host (AZURE_CLIENT_ID selects a user-assigned one).
    Msi,
    /// A bearer token from AZAUDIT_ACCESS_TOKEN (e.g. `az account get-access-token`).
    Token,
}

/// How long `auto` waits for managed identity before giving up on it.
pub const MSI_PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// A fixed bearer token (`--auth token`).
pub struct StaticToken(Secret);

impl std::fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaticToken(<redacted>)")
    }
}

impl StaticToken {
    pub fn new(token: String) -> Arc<Self> {
        Arc::new(StaticToken(Secret::new(token)))
    }
}

#[async_trait]
impl TokenCredential for StaticToken {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        // The real expiry is unknown; ARM answers 401 once it passes.
        Ok(AccessToken::new(
            self.0.clone(),
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}

/// One source of the `auto` chain.
struct Source {
    name: &'static str,
    credential: Arc<dyn TokenCredential>,
    timeout: Option<Duration>,
}

/// Tries sources in order; the first that yields a token is used from then on.
pub struct Chain {
    sources: Vec<Source>,
    /// Sources that could not even be constructed (missing variables, unsupported host), with why.
    unavailable: Vec<(&'static str, String)>,
    chosen: Mutex<Option<usize>>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.sources.iter().map(|s| s.name).collect();
        f.debug_struct("Chain").field("sources", &names).finish()
    }
}

#[async_trait]
impl TokenCredential for Chain {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let chosen = *self.chosen.lock().expect("lock");
        if let Some(i) = chosen {
            return self.sources[i].credential.get_token(scopes, options).await;
        }
        let mut said: Vec<String> = self
            .unavailable
            .iter()
            .map(|(n, why)| format!("{n}: {why}"))
            .collect();
        for (i, s) in self.sources.iter().enumerate() {
            let attempt = s.credential.get_token(scopes, options.clone());
            let result = match s.timeout {
                Some(t) => match tokio::time::timeout(t, attempt).await {
                    Ok(r) => r,
                    Err(_) => {
                        said.push(format!("{}: no answer within {} s", s.name, t.as_secs()));
                        continue;
                    }
                },
                None => attempt.await,
            };
            match result {
                Ok(token) => {
                    tracing::info!(source = s.name, "authenticated");
                    *self.chosen.lock().expect("lock") = Some(i);
                    return Ok(token);
                }
                Err(e) => said.push(format!("{}: {}", s.name, one_line(&e.to_string()))),
            }
        }
        Err(azure_core::Error::with_message(
            ErrorKind::Credential,
            format!("no credential worked:\n  {}", said.join("\n  ")),
        ))
    }
}

/// A credential and how to name it in an error: the `--auth` mode and, for `auto`, the source
/// that gave the token.
#[derive(Clone)]
pub struct Credential {
    pub token: Arc<dyn TokenCredential>,
    label: Label,
}

#[derive(Clone)]
enum Label {
    Fixed(String),
    Chain(Arc<Chain>),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential({})", self.name())
    }
}

impl Credential {
    /// A credential known by `name` (tests, embedders).
    pub fn named(token: Arc<dyn TokenCredential>, name: impl Into<String>) -> Self {
        Credential {
            token,
            label: Label::Fixed(name.into()),
        }
    }

    /// What the credential is, for one-line errors: never a secret.
    pub fn name(&self) -> String {
        match &self.label {
            Label::Fixed(n) => n.clone(),
            Label::Chain(chain) => match *chain.chosen.lock().expect("lock") {
                Some(i) => format!("--auth auto ({})", chain.sources[i].name),
                None => "--auth auto".to_string(),
            },
        }
    }
}

/// A credential, or why it could not be built.
type Built = std::result::Result<Arc<dyn TokenCredential>, String>;

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn client_options(target: &ArmTarget) -> ClientOptions {
    ClientOptions {
        cloud: Some(Arc::new(target.cloud_configuration())),
        ..Default::default()
    }
}

/// A service principal from the environment: with AZURE_CLIENT_SECRET, else with the certificate
/// AZURE_CLIENT_CERTIFICATE_PATH names (the order other Azure SDKs' environment credential uses).
fn service_principal(target: &ArmTarget) -> Built {
    let (tenant, client) = (env("AZURE_TENANT_ID"), env("AZURE_CLIENT_ID"));
    let secret = env("AZURE_CLIENT_SECRET");
    let certificate = env("AZURE_CLIENT_CERTIFICATE_PATH");
    let (Some(tenant), Some(client), true) =
        (tenant, client, secret.is_some() || certificate.is_some())
    else {
        return Err(
            "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) are not all set".into(),
        );
    };
    let Some(secret) = secret else {
        return certificate_principal(target, tenant, client, &certificate.expect("checked above"));
    };
    let options = ClientSecretCredentialOptions {
        client_options: client_options(target),
    };
    ClientSecretCredential::new(&tenant, client, Secret::new(secret), Some(options))
        .map(|c| c as Arc<dyn TokenCredential>)
        .map_err(|e| one_line(&e.to_string()))
}

/// A service principal signing in with a PEM certificate and key (see [`super::certificate`]).
fn certificate_principal(target: &ArmTarget, tenant: String, client: String, path: &str) -> Built {
    let pem =
        std::fs::read(path).map_err(|e| format!("AZURE_CLIENT_CERTIFICATE_PATH {path}: {e}"))?;
    let authority = match target.cloud {
        crate::azure::Cloud::Public => "https://login.microsoftonline.com",
        crate::azure::Cloud::Usgov => "https://login.microsoftonline.us",
        crate::azure::Cloud::China => "https://login.chinacloudapi.cn",
    };
    let audience = format!("{authority}/{tenant}/oauth2/v2.0/token");
    let send_chain = env("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN")
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let assertion =
        super::certificate::CertificateAssertion::from_pem(&pem, &client, &audience, send_chain)
            .map_err(|e| format!("AZURE_CLIENT_CERTIFICATE_PATH {path}: {e}"))?;
    let options = azure_identity::ClientAssertionCredentialOptions {
        client_options: client_options(target),
    };
    azure_identity::ClientAssertionCredential::new(tenant, client, assertion, Some(options))
        .map(|c| c as Arc<dyn TokenCredential>)
        .map_err(|e| one_line(&e.to_string()))
}

fn workload(target: &ArmTarget) -> Built {
    if env("AZURE_FEDERATED_TOKEN_FILE").is_none() {
        return Err("AZURE_FEDERATED_TOKEN_FILE is not set".into());
    }
    let mut options = WorkloadIdentityCredentialOptions::default();
    options.credential_options.client_options = client_options(target);
    WorkloadIdentityCredential::new(Some(options))
        .map(|c| c as Arc<dyn TokenCredential>)
        .map_err(|e| one_line(&e.to_string()))
}

fn pipelines(target: &ArmTarget) -> Built {
    let tenant = env("AZURESUBSCRIPTION_TENANT_ID").or_else(|| env("AZURE_TENANT_ID"));
    let client = env("AZURESUBSCRIPTION_CLIENT_ID").or_else(|| env("AZURE_CLIENT_ID"));
    let connection = env("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID");
    let token = env("SYSTEM_ACCESSTOKEN");
    let missing: Vec<&str> = [
        (tenant.is_none(), "AZURESUBSCRIPTION_TENANT_ID"),
        (client.is_none(), "AZURESUBSCRIPTION_CLIENT_ID"),
        (
            connection.is_none(),
            "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
        ),
        (token.is_none(), "SYSTEM_ACCESSTOKEN"),
    ]
    .iter()
    .filter(|(m, _)| *m)
    .map(|(_, name)| *name)
    .collect();
    let (Some(tenant), Some(client), Some(connection), Some(token)) =
        (tenant, client, connection, token)
    else {
        return Err(format!("{} not set", missing.join(", ")));
    };
    let mut options = AzurePipelinesCredentialOptions::default();
    options.credential_options.client_options = client_options(target);
    AzurePipelinesCredential::new(
        tenant,
        client,
        &connection,
        Secret::new(token),
        Some(options),
    )
    .map(|c| c as Arc<dyn TokenCredential>)
    .map_err(|e| one_line(&e.to_string()))
}

fn managed_identity(target: &ArmTarget) -> Built {
    let options = ManagedIdentityCredentialOptions {
        user_assigned_id: env("AZURE_CLIENT_ID").map(azure_identity::UserAssignedId::ClientId),
        client_options: client_options(target),
    };
    ManagedIdentityCredential::new(Some(options))
        .map(|c| c as Arc<dyn TokenCredential>)
        .map_err(|e| one_line(&e.to_string()))
}

fn cli() -> Built {
    AzureCliCredential::new(None)
        .map(|c| c as Arc<dyn TokenCredential>)
        .map_err(|e| one_line(&e.to_string()))
}

fn azd() -> Built {
    AzureDeveloperCliCredential::new(None)
        .map(|c| c as Arc<dyn TokenCredential>)
        .map_err(|e| one_line(&e.to_string()))
}

/// Builds the credential for `mode`. Configuration problems (a missing variable for an explicit
/// mode) are reported here; sign-in failures surface on the first request.
pub fn build(mode: AuthMode, target: &ArmTarget) -> Result<Arc<dyn TokenCredential>> {
    build_named(mode, target).map(|c| c.token)
}

/// [`build`], keeping what the credential is for error messages.
pub fn build_named(mode: AuthMode, target: &ArmTarget) -> Result<Credential> {
    // The token clients are HTTPS clients too.
    super::tls::install();
    let client_id = env("AZURE_CLIENT_ID")
        .map(|id| format!(" {id}"))
        .unwrap_or_default();
    let explicit = |name: &'static str, what: String, r: Built| {
        r.map(|token| Credential::named(token, format!("--auth {name} ({what})")))
            .map_err(|why| Error::Credential(format!("--auth {name}: {why}")))
    };
    match mode {
        AuthMode::Token => {
            let token = env("AZAUDIT_ACCESS_TOKEN").ok_or_else(|| {
                Error::Credential("--auth token: AZAUDIT_ACCESS_TOKEN is not set".into())
            })?;
            Ok(Credential::named(
                StaticToken::new(token.trim().to_string()),
                "--auth token (AZAUDIT_ACCESS_TOKEN)",
            ))
        }
        AuthMode::Sp => explicit(
            "sp",
            format!("service principal{client_id}"),
            service_principal(target),
        ),
        AuthMode::Workload => explicit(
            "workload",
            format!("workload identity{client_id}"),
            workload(target),
        ),
        AuthMode::Pipelines => explicit(
            "pipelines",
            "Azure Pipelines service connection".into(),
            pipelines(target),
        ),
        AuthMode::Msi => explicit(
            "msi",
            format!("managed identity{client_id}"),
            managed_identity(target),
        ),
        AuthMode::Cli => explicit("cli", "Azure CLI".into(), cli()),
        AuthMode::Azd => explicit("azd", "Azure Developer CLI".into(), azd()),
        AuthMode::Auto => {
            let candidates: Vec<(&'static str, Built, Option<Duration>)> = vec![
                (
                    "service principal (environment)",
                    service_principal(target),
                    None,
                ),
                ("workload identity", workload(target), None),
                (
                    "Azure Pipelines service connection",
                    pipelines(target),
                    None,
                ),
                ("Azure CLI", cli(), None),
                ("Azure Developer CLI", azd(), None),
                (
                    "managed identity",
                    managed_identity(target),
                    Some(MSI_PROBE_TIMEOUT),
                ),
            ];
            let mut sources = Vec::new();
            let mut unavailable = Vec::new();
            for (name, c, timeout) in candidates {
                match c {
                    Ok(credential) => sources.push(Source {
                        name,
                        credential,
                        timeout,
                    }),
                    Err(why) => unavailable.push((name, why)),
                }
            }
            let chain = Arc::new(Chain {
                sources,
                unavailable,
                chosen: Mutex::new(None),
            });
            Ok(Credential {
                token: chain.clone(),
                label: Label::Chain(chain),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fails(&'static str);
    #[async_trait]
    impl TokenCredential for Fails {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            Err(azure_core::Error::with_message(
                ErrorKind::Credential,
                self.0,
            ))
        }
    }
    #[derive(Debug)]
    struct Hangs;
    #[async_trait]
    impl TokenCredential for Hangs {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            unreachable!()
        }
    }

    fn chain(sources: Vec<Source>) -> Chain {
        Chain {
            sources,
            unavailable: vec![(
                "service principal (environment)",
                "variables not set".into(),
            )],
            chosen: Mutex::new(None),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn chain_reports_every_source_and_bounds_the_slow_one() {
        let c = chain(vec![
            Source {
                name: "Azure CLI",
                credential: Arc::new(Fails("az not found on PATH")),
                timeout: None,
            },
            Source {
                name: "managed identity",
                credential: Arc::new(Hangs),
                timeout: Some(MSI_PROBE_TIMEOUT),
            },
        ]);
        let err = c.get_token(&["s"], None).await.unwrap_err().to_string();
        assert!(
            err.contains("service principal (environment): variables not set"),
            "{err}"
        );
        assert!(err.contains("Azure CLI: az not found on PATH"), "{err}");
        assert!(
            err.contains("managed identity: no answer within 3 s"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn chain_sticks_to_the_first_source_that_works() {
        let c = chain(vec![
            Source {
                name: "Azure CLI",
                credential: Arc::new(Fails("not logged in")),
                timeout: None,
            },
            Source {
                name: "token",
                credential: StaticToken::new("t0ken".into()),
                timeout: None,
            },
        ]);
        assert_eq!(
            c.get_token(&["s"], None).await.unwrap().token.secret(),
            "t0ken"
        );
        assert_eq!(*c.chosen.lock().unwrap(), Some(1));
    }

    #[test]
    fn static_token_debug_is_redacted() {
        let t = StaticToken::new("super-secret".into());
        assert!(!format!("{t:?}").contains("super-secret"));
    }
}
