//! The Azure clouds (sovereign or public) a tenant can live in.

use serde::{Deserialize, Serialize};

/// The Azure cloud a tenant lives in; names of private-link zones and endpoints differ per cloud.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    #[default]
    #[value(alias = "AzureCloud")]
    Public,
    #[value(alias = "AzureUSGovernment")]
    Usgov,
    #[value(alias = "AzureChinaCloud")]
    China,
}

impl Cloud {
    /// The cloud's name as Azure tooling spells it.
    pub fn azure_name(self) -> &'static str {
        match self {
            Cloud::Public => "AzureCloud",
            Cloud::Usgov => "AzureUSGovernment",
            Cloud::China => "AzureChinaCloud",
        }
    }
}
