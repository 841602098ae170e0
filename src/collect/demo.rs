//! The embedded demo tenant (Contoso): three subscriptions, hub-and-spoke VNets, a firewall, Key
//! Vaults with private endpoints, private DNS zones, flow logs and an App Gateway, with known
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
    fn demo_tenant_loads_whole_and_round_trips() {
        let s = super::snapshot();
        assert_eq!(s.scope.subscriptions.len(), 3);
        // Every item of the embedded file is parsed: none is dropped by a lenient reader.
        let raw: serde_json::Value = serde_json::from_str(super::DEMO).unwrap();
        let raw_counts: Vec<(String, usize)> = raw["inventory"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_array().unwrap().len()))
            .collect();
        let written: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
        for (kind, n) in &raw_counts {
            assert!(*n > 0, "{kind} is empty in the demo");
            assert_eq!(
                written["inventory"][kind].as_array().map(Vec::len),
                Some(*n),
                "{kind}"
            );
        }
        assert_eq!(raw_counts.len(), 22);
        let again =
            super::Snapshot::from_json(&s.to_json(), std::path::Path::new("again")).unwrap();
        assert_eq!(again.to_json(), s.to_json());
    }
}
