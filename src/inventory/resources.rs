//! Subscriptions and resource-provider registrations (ARM-FACTS §1.8).

use super::common::{Extra, null_default};
use crate::open_enum;
use serde::{Deserialize, Serialize};

open_enum!(
    RegistrationState {
        Registered => "Registered",
        NotRegistered => "NotRegistered",
        Registering => "Registering",
        Unregistering => "Unregistering",
    }
);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct Subscription {
    pub id: String,
    pub subscription_id: String,
    pub display_name: Option<String>,
    pub state: Option<String>,
    pub tenant_id: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceProvider {
    pub id: Option<String>,
    pub namespace: String,
    pub registration_state: Option<RegistrationState>,
    pub registration_policy: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub resource_types: Vec<Extra>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ResourceProvider {
    /// The subscription the registration belongs to, from `/subscriptions/{id}/providers/{ns}`.
    pub fn subscription_id(&self) -> Option<String> {
        self.id
            .as_deref()
            .and_then(crate::azure::id::subscription_of)
    }
}
