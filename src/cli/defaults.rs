//! The subscription a live read takes when no scope flag is given: `AZURE_SUBSCRIPTION_ID`, else
//! the Azure CLI's current subscription (`az account set`), as other Azure tools do.

use std::path::PathBuf;

use crate::collect::live::is_subscription_id;
use crate::error::{Error, Result};

/// A default subscription and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultSubscription {
    pub id: String,
    /// The display name, when the source knows it (the Azure CLI's profile does).
    pub name: Option<String>,
    /// `AZURE_SUBSCRIPTION_ID`, or the profile's path.
    pub source: String,
    /// The cloud the Azure CLI signed in to (`environmentName`), when it names one azaudit knows.
    pub cloud: Option<crate::azure::Cloud>,
}

impl DefaultSubscription {
    /// The line printed on stderr, so that a job log says what was read and why.
    pub fn notice(&self) -> String {
        let name = self
            .name
            .as_deref()
            .map(|n| format!("{n} ({})", self.id))
            .unwrap_or_else(|| self.id.clone());
        let from = if self.source == "AZURE_SUBSCRIPTION_ID" {
            "AZURE_SUBSCRIPTION_ID".to_string()
        } else {
            format!("the Azure CLI's current subscription in {}", self.source)
        };
        format!(
            "azaudit: no --subscription, --all-subscriptions or --management-group given: reading subscription {name}, from {from}"
        )
    }
}

/// The default subscription, if the environment names one. A value that is there but unusable
/// (not a GUID, a profile that is not JSON) is an error naming it: reading nothing, or another
/// subscription, would be worse.
pub fn default_subscription() -> Result<Option<DefaultSubscription>> {
    if let Some(id) = std::env::var("AZURE_SUBSCRIPTION_ID")
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        if !is_subscription_id(&id) {
            return Err(Error::Usage(format!(
                "AZURE_SUBSCRIPTION_ID {id:?} is not a subscription id (a GUID)"
            )));
        }
        return Ok(Some(DefaultSubscription {
            id: id.to_ascii_lowercase(),
            name: None,
            source: "AZURE_SUBSCRIPTION_ID".into(),
            cloud: None,
        }));
    }
    let Some(path) = profile_path() else {
        return Ok(None);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(Error::Io { path, source }),
    };
    from_profile(&text)
        .map_err(|problem| Error::Snapshot {
            path: path.clone(),
            problem,
        })
        .map(|found| {
            found.map(|(id, name, cloud)| DefaultSubscription {
                id,
                name,
                source: path.display().to_string(),
                cloud,
            })
        })
}

/// `$AZURE_CONFIG_DIR/azureProfile.json`, else `~/.azure/azureProfile.json`.
fn profile_path() -> Option<PathBuf> {
    let dir = match std::env::var_os("AZURE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => {
            let home = std::env::var_os("HOME")
                .or_else(|| std::env::var_os("USERPROFILE"))
                .filter(|h| !h.is_empty())?;
            PathBuf::from(home).join(".azure")
        }
    };
    Some(dir.join("azureProfile.json"))
}

/// A current subscription's id, name and cloud.
type Current = (String, Option<String>, Option<crate::azure::Cloud>);

/// The subscription marked `isDefault` in the Azure CLI's profile (which the CLI writes with a
/// byte-order mark): its id, name and cloud, or none when no subscription is marked.
fn from_profile(text: &str) -> std::result::Result<Option<Current>, String> {
    let v: serde_json::Value = serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(text))
        .map_err(|e| format!("not an Azure CLI profile: {e}"))?;
    let Some(current) = v
        .get("subscriptions")
        .and_then(|s| s.as_array())
        .and_then(|subs| {
            subs.iter()
                .find(|s| s.get("isDefault").and_then(|d| d.as_bool()) == Some(true))
        })
    else {
        return Ok(None);
    };
    let id = current
        .get("id")
        .and_then(|i| i.as_str())
        .filter(|i| is_subscription_id(i))
        .ok_or("the current subscription (isDefault) has no subscription id")?;
    let name = current
        .get("name")
        .and_then(|n| n.as_str())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    let cloud = current
        .get("environmentName")
        .and_then(|e| e.as_str())
        .and_then(|e| <crate::azure::Cloud as clap::ValueEnum>::from_str(e, true).ok());
    Ok(Some((id.to_ascii_lowercase(), name, cloud)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_gives_its_default_subscription_bom_and_all() {
        let profile = "\u{feff}{\"installationId\": \"x\", \"subscriptions\": [\
            {\"id\": \"00000000-0000-4000-8000-000000000001\", \"name\": \"Dev\", \"isDefault\": false},\
            {\"id\": \"00000000-0000-4000-8000-00000000000A\", \"name\": \"Contoso Prod\", \"isDefault\": true, \"environmentName\": \"AzureUSGovernment\"}]}";
        assert_eq!(
            from_profile(profile).unwrap(),
            Some((
                "00000000-0000-4000-8000-00000000000a".to_string(),
                Some("Contoso Prod".to_string()),
                Some(crate::azure::Cloud::Usgov)
            ))
        );
    }

    #[test]
    fn a_profile_without_a_current_subscription_gives_none() {
        assert_eq!(from_profile("{\"subscriptions\": []}").unwrap(), None);
        assert_eq!(from_profile("{}").unwrap(), None);
        assert!(
            from_profile("not json")
                .unwrap_err()
                .starts_with("not an Azure CLI profile")
        );
        assert_eq!(
            from_profile("{\"subscriptions\": [{\"id\": \"x\", \"isDefault\": true}]}")
                .unwrap_err(),
            "the current subscription (isDefault) has no subscription id"
        );
    }
}
