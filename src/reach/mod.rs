//! "Can X reach Y?": one flow walked hop by hop the way Azure carries it — name resolution from the
//! source VNet, the source subnet's effective route, the source's outbound NSGs, appliances and
//! peerings on the way, the destination's inbound NSGs and, for a Key Vault reached over its public
//! address, the vault's firewall — each hop naming the object that decides it. Every answer comes
//! from `model` (DNS, routes, NSG evaluation, tags); this module only chains them.
//!
//! The verdict is the first hop that blocks the flow, else the first hop azaudit cannot decide
//! offline (a firewall's rules, on-premises, custom DNS servers), else reachable. Hops after an
//! undecided one are walked as if it let the flow pass: a later block blocks whatever it decides.

mod endpoints;
mod keyvault;
mod walk;

use std::net::IpAddr;

use serde::Serialize;

pub use endpoints::{Source, Target, find_source, find_target};
pub use walk::{reach, reach_with};

/// What a hop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HopKind {
    NameResolution,
    Route,
    SourceNsg,
    Peering,
    Appliance,
    ApplianceNsg,
    Gateway,
    DestinationNsg,
    KeyVaultFirewall,
    Destination,
}

impl HopKind {
    pub fn label(self) -> &'static str {
        match self {
            HopKind::NameResolution => "name resolution",
            HopKind::Route => "route",
            HopKind::SourceNsg => "source NSGs (outbound)",
            HopKind::Peering => "peering",
            HopKind::Appliance => "appliance",
            HopKind::ApplianceNsg => "appliance NSGs",
            HopKind::Gateway => "virtual network gateway",
            HopKind::DestinationNsg => "destination NSGs (inbound)",
            HopKind::KeyVaultFirewall => "Key Vault firewall",
            HopKind::Destination => "destination",
        }
    }
}

/// What a hop does to the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Block,
    /// Not decidable offline; `Hop::detail` says what is unknown.
    Unknown,
}

/// One hop of the path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hop {
    pub kind: HopKind,
    pub outcome: Outcome,
    /// Where the hop happens (a VNet/subnet, a peering, a NIC).
    pub at: String,
    /// The object that decides the hop: a rule, a route, a zone, a peering, a firewall.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// Resource ids of the deciding objects.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    pub detail: String,
    /// Why Azure's answer may differ from this one (an approximation, not a verdict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
}

impl Hop {
    pub fn new(
        kind: HopKind,
        outcome: Outcome,
        at: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Hop {
            kind,
            outcome,
            at: at.into(),
            decided_by: None,
            resources: Vec::new(),
            detail: detail.into(),
            caveat: None,
        }
    }
    pub fn by(mut self, decided_by: impl Into<String>) -> Self {
        self.decided_by = Some(decided_by.into());
        self
    }
    pub fn resource(mut self, id: impl Into<String>) -> Self {
        let id = id.into();
        if !id.is_empty() {
            self.resources.push(id);
        }
        self
    }
    pub fn caveat(mut self, caveat: Option<String>) -> Self {
        self.caveat = caveat;
        self
    }
}

/// The answer for the whole path.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Reachable,
    /// Blocked at hop `hop` (an index into `hops`).
    Blocked {
        hop: usize,
        reason: String,
    },
    /// Not decidable offline at hop `hop`: `unknown` says what azaudit cannot see.
    Undetermined {
        hop: usize,
        unknown: String,
    },
}

impl Verdict {
    /// The first blocking hop, else the first unknown one, else reachable.
    pub fn of(hops: &[Hop]) -> Verdict {
        if let Some((i, h)) = hops
            .iter()
            .enumerate()
            .find(|(_, h)| h.outcome == Outcome::Block)
        {
            return Verdict::Blocked {
                hop: i,
                reason: h.detail.clone(),
            };
        }
        if let Some((i, h)) = hops
            .iter()
            .enumerate()
            .find(|(_, h)| h.outcome == Outcome::Unknown)
        {
            return Verdict::Undetermined {
                hop: i,
                unknown: h.detail.clone(),
            };
        }
        Verdict::Reachable
    }
}

/// One walked flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Path {
    /// The source as given and the subnet it resolved to.
    pub from: String,
    pub source_subnet: String,
    pub source_address: IpAddr,
    /// True when the source was a subnet and its first usable address stands for it.
    pub source_address_assumed: bool,
    pub to: String,
    /// The destination address, when known (a public service address is not known offline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_address: Option<IpAddr>,
    pub port: u16,
    pub protocol: String,
    pub hops: Vec<Hop>,
    #[serde(flatten)]
    pub verdict: Verdict,
}

impl Path {
    /// `reachable`, `blocked at <hop>` or `undetermined at <hop>`.
    pub fn verdict_text(&self) -> String {
        match &self.verdict {
            Verdict::Reachable => "reachable".into(),
            Verdict::Blocked { hop, .. } => {
                format!("blocked at {}", self.hops[*hop].kind.label())
            }
            Verdict::Undetermined { hop, .. } => {
                format!("undetermined at {}", self.hops[*hop].kind.label())
            }
        }
    }
}
