//! The embedded demo tenant (Contoso): three subscriptions, hub-and-spoke VNets, a firewall, Key
//! Vaults with private endpoints, private DNS zones, flow logs and an App Gateway, with DOMAIN.md's
//! misconfigurations planted next to correct twins. `azaudit scan --demo` needs no Azure account.

use std::path::Path;

use super::Snapshot;

const DEMO: &str = include_str!("../demo/tenant.json");

/// The demo tenant as a snapshot.
pub fn snapshot() -> Snapshot {
    Snapshot::from_json(DEMO, Path::new("<demo tenant>"))
        .expect("the embedded demo tenant is a valid snapshot (tested)")
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_tenant_loads() {
        let s = super::snapshot();
        assert_eq!(s.scope.subscriptions.len(), 3);
        assert!(!s.inventory.virtual_networks.is_empty());
    }
}
