//! What a collection could not read. Rules consult it so an unreadable input becomes "not evaluated"
//! instead of a false clean bill.

use super::ResourceKind;
use serde::{Deserialize, Serialize};

/// One thing that could not be collected: a 403 on a subscription, an unregistered provider, a
/// malformed page, exhausted retries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CoverageGap {
    /// The subscription, when the gap is confined to one.
    #[serde(default)]
    pub subscription_id: Option<String>,
    pub kind: ResourceKind,
    /// The resource or scope that was being read.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub http_status: Option<u16>,
    /// ARM's `error.code`.
    #[serde(default)]
    pub code: Option<String>,
    pub message: String,
}

impl CoverageGap {
    /// `{kind} in {subscription}: {message}`, for reasons and reports.
    pub fn summary(&self) -> String {
        format!(
            "{}{}: {}",
            self.kind.label(),
            self.subscription_id
                .as_deref()
                .map(|s| format!(" in {s}"))
                .unwrap_or_default(),
            self.message
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Coverage {
    #[serde(default)]
    pub gaps: Vec<CoverageGap>,
}

impl Coverage {
    pub fn is_complete(&self) -> bool {
        self.gaps.is_empty()
    }
    /// The gaps that touch any of `kinds`.
    pub fn gaps_for<'a>(
        &'a self,
        kinds: &'a [ResourceKind],
    ) -> impl Iterator<Item = &'a CoverageGap> + 'a {
        self.gaps.iter().filter(move |g| kinds.contains(&g.kind))
    }
}
