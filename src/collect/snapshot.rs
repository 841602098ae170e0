//! The versioned snapshot file: an inventory plus what its collection covered. `azaudit scan
//! --snapshot FILE` reads it; every problem with the file becomes one line naming the file.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::azure::Cloud;
use crate::error::{Error, Result};
use crate::inventory::{Coverage, Inventory};

/// The `kind` every snapshot declares.
pub const SNAPSHOT_KIND: &str = "azaudit-snapshot";
/// The snapshot schema this build reads and writes.
pub const SNAPSHOT_SCHEMA_VERSION: u64 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SnapshotScope {
    #[serde(default)]
    pub subscriptions: Vec<String>,
    /// Set when this read was one share of the subscription list (`--shard K/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardScope>,
}

/// One share of a subscription list read by several jobs: `index` of `count`, and how many
/// subscriptions the whole list had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ShardScope {
    pub index: u32,
    pub count: u32,
    pub subscriptions_in_all: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Snapshot {
    pub kind: String,
    pub schema_version: u64,
    pub collected_at: DateTime<Utc>,
    /// `live`, `demo`, …: where the inventory came from.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub cloud: Cloud,
    pub scope: SnapshotScope,
    #[serde(default)]
    pub coverage: Coverage,
    /// Request counters of the live collection that wrote this snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<crate::inventory::RequestStats>,
    pub inventory: Inventory,
}

impl Snapshot {
    /// The subscriptions of the tenant's list that this snapshot read (its scope); the list also
    /// holds the tenant's other subscriptions, which stay outside the scan.
    pub fn scanned_subscriptions(
        &self,
    ) -> impl Iterator<Item = &crate::inventory::resources::Subscription> {
        self.inventory.subscriptions.iter().filter(|s| {
            self.scope
                .subscriptions
                .iter()
                .any(|x| x.eq_ignore_ascii_case(&s.subscription_id))
        })
    }

    /// Parses snapshot text; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &Path) -> Result<Snapshot> {
        let problem = |problem: String| Error::Snapshot {
            path: origin.to_path_buf(),
            problem,
        };
        // PowerShell's `Out-File` and Windows editors write UTF-8 with a byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(problem("the file is empty, not an azaudit snapshot".into()));
        }
        // A first pass reads only `kind` and `schema_version` (skipping the rest without building
        // it), so that a file that is not a snapshot, or of another version, gets that answer
        // rather than a type error deep inside; the second pass parses straight into the typed
        // inventory, with no JSON tree of the whole file in between.
        let probe: Probe = serde_json::from_str(text).map_err(|e| {
            problem(if e.is_eof() {
                format!(
                    "truncated: the JSON ends early (line {}, column {})",
                    e.line(),
                    e.column()
                )
            } else {
                format!("not valid JSON: {e}")
            })
        })?;
        let (kind, version) = match probe {
            Probe::Object {
                kind,
                schema_version,
            } => (kind, schema_version),
            Probe::Other(what) => {
                return Err(problem(format!(
                    "not an azaudit snapshot: the top level is {what}, not an object"
                )));
            }
        };
        match kind.as_ref().and_then(Value::as_str) {
            Some(SNAPSHOT_KIND) => {}
            Some(other) => {
                return Err(problem(format!(
                    "not an azaudit snapshot: \"kind\" is {other:?}, expected {SNAPSHOT_KIND:?}"
                )));
            }
            None => {
                return Err(problem(format!(
                    "not an azaudit snapshot: no \"kind\": {SNAPSHOT_KIND:?} field"
                )));
            }
        }
        match version {
            Some(v) if v.as_u64() == Some(SNAPSHOT_SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(problem(format!(
                    "unsupported snapshot schema_version {v} (this azaudit reads version {SNAPSHOT_SCHEMA_VERSION})"
                )));
            }
            None => return Err(problem("the snapshot has no schema_version".into())),
        }
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize::<_, Snapshot>(&mut de)
            .map_err(|e| problem(format!("invalid snapshot at {}: {}", e.path(), e.inner())))
    }

    /// Reads and parses a snapshot file. The file is parsed as it is read, so its text is never
    /// held beside the inventory it becomes (a large tenant's snapshot is hundreds of megabytes).
    /// Only when that fails is the file read whole, to say precisely what is wrong with it.
    pub fn load(path: &Path) -> Result<Snapshot> {
        use std::io::BufRead;
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
        // PowerShell's `Out-File` and Windows editors write UTF-8 with a byte-order mark.
        if reader.fill_buf().map_err(io)?.starts_with(b"\xef\xbb\xbf") {
            reader.consume(3);
        }
        let mut de = serde_json::Deserializer::from_reader(reader);
        if let Ok(snapshot) = Snapshot::deserialize(&mut de).and_then(|s| de.end().map(|()| s))
            && snapshot.kind == SNAPSHOT_KIND
            && snapshot.schema_version == SNAPSHOT_SCHEMA_VERSION
        {
            return Ok(snapshot);
        }
        drop(de);
        let bytes = std::fs::read(path).map_err(io)?;
        let text = String::from_utf8(bytes).map_err(|e| Error::Snapshot {
            path: path.to_path_buf(),
            problem: format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        })?;
        match Snapshot::from_json(&text, path) {
            Err(e) => Err(e),
            // The streamed parse failed, so the text cannot be a snapshot after all (it changed
            // while being read): say so rather than use it.
            Ok(_) => Err(Error::Snapshot {
                path: path.to_path_buf(),
                problem: "the file changed while it was read".into(),
            }),
        }
    }

    /// Narrows the snapshot to some of its subscriptions and to one resource group, as a live read
    /// with `--subscription`/`--resource-group` would have: private DNS zones (with their links
    /// and records), network watchers with their flow logs, and provider registrations are kept
    /// wherever they are, since they serve every subscription and group that refers to them.
    pub fn restrict(
        &mut self,
        subscriptions: &[String],
        resource_group: Option<&str>,
    ) -> Result<()> {
        if !subscriptions.is_empty() {
            for s in subscriptions {
                if !self
                    .scope
                    .subscriptions
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(s))
                {
                    return Err(Error::Usage(format!(
                        "subscription {s} is not in the snapshot (it holds {})",
                        self.scope.subscriptions.join(", ")
                    )));
                }
            }
            self.keep_subscriptions(subscriptions);
        }
        if let Some(rg) = resource_group {
            super::live::filter_resource_group(&mut self.inventory, rg);
        }
        Ok(())
    }

    /// Keeps only these subscriptions (none when empty), as a live read of just them would have
    /// read: their resources, scope and gaps, and the tenant's whole subscription list (the others
    /// still exist outside the scan); private DNS from other subscriptions only while
    /// private endpoints remain to resolve through it; the provider registrations of Traffic
    /// Analytics workspaces' subscriptions, which live collection reads wherever they are. The
    /// inventory is taken apart field by field, so a kind added to it cannot be left out here.
    pub fn keep_subscriptions(&mut self, subscriptions: &[String]) {
        use crate::azure::id::subscription_of;
        let wanted: std::collections::HashSet<String> = subscriptions
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        let keep = |id: &str| subscription_of(id).is_some_and(|s| wanted.contains(&s));
        let Inventory {
            // The tenant's list stays whole, as a live scan of these subscriptions sees it.
            subscriptions: _,
            resource_providers,
            network_security_groups,
            route_tables,
            virtual_networks,
            private_endpoints,
            private_dns_zones,
            virtual_network_links,
            record_sets,
            key_vaults,
            diagnostic_settings,
            network_watchers,
            flow_logs,
            application_gateways,
            network_interfaces,
            azure_firewalls,
            virtual_network_gateways,
            local_network_gateways,
            virtual_network_gateway_connections,
            express_route_circuits,
            service_tags: _,
            recovery_services_vaults,
            resource_guard_proxies,
        } = &mut self.inventory;
        network_security_groups.retain(|r| keep(&r.id));
        route_tables.retain(|r| keep(&r.id));
        virtual_networks.retain(|r| keep(&r.id));
        private_endpoints.retain(|r| keep(&r.id));
        key_vaults.retain(|r| keep(&r.id));
        diagnostic_settings.retain(|r| keep(&r.id));
        network_watchers.retain(|r| keep(&r.id));
        flow_logs.retain(|r| keep(&r.id));
        application_gateways.retain(|r| keep(&r.id));
        network_interfaces.retain(|r| keep(&r.id));
        azure_firewalls.retain(|r| keep(&r.id));
        virtual_network_gateways.retain(|r| keep(&r.id));
        local_network_gateways.retain(|r| keep(&r.id));
        virtual_network_gateway_connections.retain(|r| keep(&r.id));
        express_route_circuits.retain(|r| keep(&r.id));
        recovery_services_vaults.retain(|r| keep(&r.id));
        resource_guard_proxies.retain(|r| keep(&r.id));
        if private_endpoints.is_empty() {
            private_dns_zones.retain(|r| keep(&r.id));
            virtual_network_links.retain(|r| keep(&r.id));
            record_sets.retain(|r| keep(&r.id));
        }
        let workspace_subscriptions: std::collections::HashSet<String> = flow_logs
            .iter()
            .filter_map(|f| f.workspace_subscription())
            .collect();
        resource_providers.retain(|p| {
            p.id.as_deref()
                .and_then(subscription_of)
                .is_none_or(|s| wanted.contains(&s) || workspace_subscriptions.contains(&s))
        });
        self.scope
            .subscriptions
            .retain(|s| wanted.contains(&s.to_ascii_lowercase()));
        self.coverage.gaps.retain(|g| {
            g.subscription_id
                .as_deref()
                .is_none_or(|s| wanted.contains(&s.to_ascii_lowercase()))
        });
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("snapshot serialises");
        s.push('\n');
        s
    }
}

/// What the first pass learns of a document: the two header fields of an object, or what else
/// the top level is.
enum Probe {
    Object {
        kind: Option<Value>,
        schema_version: Option<Value>,
    },
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Probe {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(ProbeVisitor)
    }
}

struct ProbeVisitor;

impl<'de> serde::de::Visitor<'de> for ProbeVisitor {
    type Value = Probe;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON document")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Probe, A::Error> {
        let (mut kind, mut schema_version) = (None, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "kind" => kind = Some(map.next_value()?),
                "schema_version" => schema_version = Some(map.next_value()?),
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(Probe::Object {
            kind,
            schema_version,
        })
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Probe, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Probe::Other("an array"))
    }
    fn visit_unit<E>(self) -> std::result::Result<Probe, E> {
        Ok(Probe::Other("null"))
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Probe, E> {
        Ok(Probe::Other("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Probe, E> {
        Ok(Probe::Other("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Probe, E> {
        Ok(Probe::Other("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Probe, E> {
        Ok(Probe::Other("a number"))
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<Probe, E> {
        Ok(Probe::Other("a string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Snapshot::from_json(text, Path::new("snap.json"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_snapshots_get_one_line_errors_naming_the_file() {
        let cases = [
            ("", "empty"),
            (
                "{\"kind\": \"azaudit-snapshot\", \"schema_version\": 1, \"inventory\": {",
                "truncated",
            ),
            ("{not json}", "not valid JSON"),
            ("[1,2]", "top level is an array"),
            ("{\"value\": []}", "no \"kind\""),
            ("{\"kind\": \"other\"}", "\"kind\" is \"other\""),
            (
                "{\"kind\": \"azaudit-snapshot\", \"schema_version\": 99}",
                "unsupported snapshot schema_version 99",
            ),
            ("{\"kind\": \"azaudit-snapshot\"}", "no schema_version"),
            (
                r#"{"kind": "azaudit-snapshot", "schema_version": 1, "collected_at": "2026-01-01T00:00:00Z", "scope": {}, "inventory": {}} {}"#,
                "trailing characters",
            ),
            (
                r#"{"kind": "azaudit-snapshot", "schema_version": 1, "collected_at": "2026-01-01T00:00:00Z", "scope": {}, "inventory": {"network_security_groups": [{"properties": {"securityRules": [{"name": "r", "properties": {"protocol": "Tcp", "access": "Allow", "direction": "Inbound", "priority": "high"}}]}}]}}"#,
                "invalid snapshot at inventory.network_security_groups[0].properties.securityRules[0].properties.priority",
            ),
        ];
        for (text, want) in cases {
            let e = err(text);
            assert!(e.starts_with("snap.json: "), "{e}");
            assert!(e.contains(want), "{e:?} should contain {want:?}");
            assert!(!e.contains('\n'), "{e:?} is not one line");
        }
    }

    const MINIMAL: &str = r#"{"kind": "azaudit-snapshot", "schema_version": 1, "collected_at": "2026-01-01T00:00:00Z", "scope": {"subscriptions": ["s1"]}, "inventory": {"route_tables": [{"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt"}]}}"#;

    fn load(bytes: &[u8]) -> Result<Snapshot> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap.json");
        std::fs::write(&path, bytes).unwrap();
        Snapshot::load(&path)
    }

    #[test]
    fn a_file_is_read_as_it_is_parsed_with_or_without_a_byte_order_mark() {
        for bytes in [
            MINIMAL.as_bytes().to_vec(),
            [b"\xef\xbb\xbf".as_slice(), MINIMAL.as_bytes()].concat(),
        ] {
            let s = load(&bytes).unwrap();
            assert_eq!(s.scope.subscriptions, ["s1"]);
            assert_eq!(s.inventory.route_tables.len(), 1);
        }
    }

    #[test]
    fn a_bad_file_gets_the_same_precise_error_as_bad_text() {
        let version_99 = MINIMAL.replace("\"schema_version\": 1", "\"schema_version\": 99");
        let other_kind = MINIMAL.replace("azaudit-snapshot", "other");
        let cases: [(&[u8], &str); 6] = [
            (b"", "empty"),
            (&MINIMAL.as_bytes()[..60], "truncated"),
            (
                version_99.as_bytes(),
                "unsupported snapshot schema_version 99",
            ),
            (other_kind.as_bytes(), "\"kind\" is \"other\""),
            (
                b"{\"kind\": \"azaudit-snapshot\xff\"}",
                "not UTF-8 text (invalid byte at offset 26)",
            ),
            (
                format!("{MINIMAL} {{}}").as_bytes().to_vec().leak(),
                "trailing characters",
            ),
        ];
        for (bytes, want) in cases {
            let e = load(bytes).unwrap_err().to_string();
            assert!(e.contains("snap.json: "), "{e}");
            assert!(e.contains(want), "{e:?} should contain {want:?}");
        }
    }
}
