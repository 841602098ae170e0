//! Where ARM lives and which token audience it accepts, per cloud or for a custom endpoint
//! (Azure Stack Hub, a proxy).

use azure_core::http::Url;

use crate::azure::Cloud;
use crate::error::{Error, Result};

/// The ARM endpoint a scan talks to, and the scope its tokens are requested for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmTarget {
    pub cloud: Cloud,
    pub endpoint: Url,
    /// OAuth scope for ARM tokens (`{audience}/.default`).
    pub scope: String,
}

impl ArmTarget {
    pub fn for_cloud(cloud: Cloud) -> Self {
        let host = match cloud {
            Cloud::Public => "https://management.azure.com",
            Cloud::Usgov => "https://management.usgovcloudapi.net",
            Cloud::China => "https://management.chinacloudapi.cn",
        };
        ArmTarget {
            cloud,
            endpoint: Url::parse(host).expect("static URL"),
            scope: format!("{host}/.default"),
        }
    }

    /// A custom ARM endpoint (`--arm-endpoint`). It must be https: the bearer token is never sent
    /// in clear text.
    pub fn custom(cloud: Cloud, endpoint: &str) -> Result<Self> {
        let url = Url::parse(endpoint.trim())
            .map_err(|e| Error::Usage(format!("--arm-endpoint {endpoint:?} is not a URL: {e}")))?;
        if url.scheme() != "https" {
            return Err(Error::Usage(format!(
                "--arm-endpoint {endpoint:?} must use https: tokens are never sent in clear text"
            )));
        }
        if url.host_str().is_none() || url.path() != "/" || url.query().is_some() {
            return Err(Error::Usage(format!(
                "--arm-endpoint {endpoint:?} must be a bare origin such as https://management.azure.com"
            )));
        }
        let origin = url.as_str().trim_end_matches('/').to_string();
        Ok(ArmTarget {
            cloud,
            endpoint: url,
            scope: format!("{origin}/.default"),
        })
    }

    /// Whether `url` is on this ARM endpoint (same scheme, host and port): the only place the
    /// bearer token may go.
    pub fn owns(&self, url: &Url) -> bool {
        url.scheme() == self.endpoint.scheme()
            && url.host_str().map(str::to_ascii_lowercase)
                == self.endpoint.host_str().map(str::to_ascii_lowercase)
            && url.port_or_known_default() == self.endpoint.port_or_known_default()
    }

    /// The SDK's cloud configuration for credentials (authority host).
    pub fn cloud_configuration(&self) -> azure_core::cloud::CloudConfiguration {
        use azure_core::cloud::CloudConfiguration;
        match self.cloud {
            Cloud::Public => CloudConfiguration::AzurePublic,
            Cloud::Usgov => CloudConfiguration::AzureGovernment,
            Cloud::China => CloudConfiguration::AzureChina,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sovereign_clouds_have_their_own_hosts_and_audiences() {
        let gov = ArmTarget::for_cloud(Cloud::Usgov);
        assert_eq!(
            gov.endpoint.host_str(),
            Some("management.usgovcloudapi.net")
        );
        assert_eq!(gov.scope, "https://management.usgovcloudapi.net/.default");
        let cn = ArmTarget::for_cloud(Cloud::China);
        assert_eq!(cn.scope, "https://management.chinacloudapi.cn/.default");
    }

    #[test]
    fn custom_endpoints_must_be_https_origins() {
        let t = ArmTarget::custom(
            Cloud::Public,
            "https://management.local.azurestack.external/",
        )
        .unwrap();
        assert_eq!(
            t.scope,
            "https://management.local.azurestack.external/.default"
        );
        assert!(ArmTarget::custom(Cloud::Public, "http://management.azure.com").is_err());
        assert!(ArmTarget::custom(Cloud::Public, "https://x.example/path").is_err());
        assert!(ArmTarget::custom(Cloud::Public, "not a url").is_err());
    }

    #[test]
    fn only_the_configured_origin_is_owned() {
        let t = ArmTarget::for_cloud(Cloud::Public);
        let own = |u: &str| t.owns(&Url::parse(u).unwrap());
        assert!(own(
            "https://management.azure.com/subscriptions?api-version=1"
        ));
        assert!(own("https://MANAGEMENT.azure.com:443/x"));
        assert!(!own("http://management.azure.com/x"));
        assert!(!own("https://management.azure.com.evil.example/x"));
        assert!(!own("https://management.azure.com:8443/x"));
        assert!(!own("https://evil.example/x"));
    }
}
