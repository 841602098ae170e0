//! A Resource Graph row read straight from the page's text into a typed resource, as if it were
//! the ARM list item [`normalise_row`] makes of it: without the columns only Resource Graph has,
//! the top-level `null`s (and empty `kind`/`managedBy`/`plan` strings) it fills absent columns
//! with, and with the ARM spelling of `type`. Building a JSON tree of each row first and then the
//! typed resource from it costs about twice the time, most of it in allocating and freeing the
//! tree.
//!
//! A row this reading rejects (a `null` `properties`, a duplicate column, a value of the wrong
//! type) is read again the slow way, which gives the same result as before or the error with its
//! path: the two readings never disagree on a row that parses.

use serde::de::value::StringDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::absorb::{Items, parse_items, record_gap};
use super::graph::{GRAPH_ONLY_COLUMNS, normalise_row};
use crate::arm::ArmError;
use crate::azure::id::subscription_of;
use crate::inventory::{CoverageGap, ResourceKind};

/// Rows of one kind's page, each still its JSON text, and the ARM `type` they are given back.
pub(crate) struct GraphRows<'a> {
    pub rows: Vec<&'a RawValue>,
    pub arm_type: &'static str,
}

impl Items for GraphRows<'_> {
    fn parse<T: DeserializeOwned>(
        self,
        gaps: &mut Vec<CoverageGap>,
        kind: ResourceKind,
        sub: Option<&str>,
    ) -> Vec<T> {
        let mut out = Vec::with_capacity(self.rows.len());
        for raw in self.rows {
            let Err(_) = parse_row(raw.get(), self.arm_type).map(|t| out.push(t)) else {
                continue;
            };
            // The slow reading gives the resource or the gap with the path of the first failure.
            match serde_json::from_str::<Value>(raw.get()) {
                Ok(value) => {
                    let value = normalise_row(value, self.arm_type);
                    out.extend(parse_items::<T>(gaps, kind, sub, vec![value]));
                }
                // Passed the page's check, not a full reading (an unpaired `\ud800` escape).
                Err(e) => row_gap(
                    gaps,
                    sub,
                    kind,
                    raw.get(),
                    format!("{} row: {e}", kind.label()),
                ),
            }
        }
        out
    }
}

/// Records that the row `text` could not be read as `kind`: a gap on the row's id (read without
/// the rest of it) in `sub`, or else in the row's own subscription.
pub(crate) fn row_gap(
    gaps: &mut Vec<CoverageGap>,
    sub: Option<&str>,
    kind: ResourceKind,
    text: &str,
    message: String,
) {
    #[derive(serde::Deserialize)]
    struct Id<'a> {
        #[serde(borrow)]
        id: Option<std::borrow::Cow<'a, str>>,
    }
    let id = serde_json::from_str::<Id>(text).ok().and_then(|r| r.id);
    let id = id.as_deref().unwrap_or("<no id>");
    let sub = sub.map(str::to_string).or_else(|| subscription_of(id));
    record_gap(
        gaps,
        sub.as_deref(),
        kind,
        id,
        &ArmError::Malformed(message),
    );
}

/// Reads one row's text into `T` in the ARM shape.
pub(crate) fn parse_row<T: DeserializeOwned>(
    text: &str,
    arm_type: &str,
) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let t = T::deserialize(Row {
        de: &mut de,
        arm_type,
    })?;
    de.end()?;
    Ok(t)
}

/// The row's deserializer: hands the typed resource's visitor the row's members as ARM would
/// have sent them.
struct Row<'a, D> {
    de: D,
    arm_type: &'a str,
}

impl<'de, D> Deserializer<'de> for Row<'_, D>
where
    D: Deserializer<'de, Error = serde_json::Error>,
{
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_map(RowVisitor {
            inner: visitor,
            arm_type: self.arm_type,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct RowVisitor<'a, V> {
    inner: V,
    arm_type: &'a str,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for RowVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<V::Value, M::Error> {
        self.inner.visit_map(Members {
            map,
            arm_type: self.arm_type,
            pending: Pending::Nothing,
            seen: Vec::new(),
        })
    }
}

/// What the member whose key was just handed out holds.
enum Pending {
    Nothing,
    /// Still in the text: `properties`, read straight into the typed properties.
    InText,
    /// Read already, to see whether it is left out: a small column.
    Read(Value),
}

/// The row's members less those [`normalise_row`] leaves out.
struct Members<'a, M> {
    map: M,
    arm_type: &'a str,
    pending: Pending,
    /// The columns read so far: a column twice is an error (the row is then read the slow way,
    /// which keeps the last), also when one of the two is left out.
    seen: Vec<String>,
}

impl<'de, M: MapAccess<'de>> MapAccess<'de> for Members<'_, M> {
    type Error = M::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        loop {
            let Some(key) = self.map.next_key::<String>()? else {
                return Ok(None);
            };
            if self.seen.contains(&key) {
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate column `{key}`"
                )));
            }
            self.seen.push(key.clone());
            if GRAPH_ONLY_COLUMNS.contains(&key.as_str()) {
                self.map.next_value::<IgnoredAny>()?;
                continue;
            }
            if key == "properties" {
                // A `null` here fails the typed properties: the row is then read the slow way.
                self.pending = Pending::InText;
            } else {
                let value = self.map.next_value::<Value>()?;
                if value.is_null()
                    || (matches!(key.as_str(), "kind" | "managedBy" | "plan")
                        && value.as_str() == Some(""))
                {
                    continue;
                }
                let value = match value {
                    Value::String(t) if key == "type" && t.eq_ignore_ascii_case(self.arm_type) => {
                        Value::from(self.arm_type)
                    }
                    other => other,
                };
                self.pending = Pending::Read(value);
            }
            return seed
                .deserialize(StringDeserializer::<M::Error>::new(key))
                .map(Some);
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        match std::mem::replace(&mut self.pending, Pending::Nothing) {
            Pending::InText => self.map.next_value_seed(seed),
            Pending::Read(value) => seed.deserialize(value).map_err(serde::de::Error::custom),
            Pending::Nothing => Err(serde::de::Error::custom(
                "a value was asked for before its key",
            )),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::keyvault::KeyVault;
    use crate::inventory::network::NetworkSecurityGroup;
    use serde_json::json;

    fn both<T: DeserializeOwned + serde::Serialize>(row: &Value, arm_type: &str) -> (Value, Value) {
        let fast: T = parse_row(&row.to_string(), arm_type).expect("the fast reading");
        let slow: T = serde_json::from_value(normalise_row(row.clone(), arm_type)).unwrap();
        (
            serde_json::to_value(&fast).unwrap(),
            serde_json::to_value(&slow).unwrap(),
        )
    }

    #[test]
    fn a_row_reads_as_the_arm_item_it_stands_for() {
        let row = json!({
            "id": "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/networkSecurityGroups/n",
            "name": "n", "type": "microsoft.network/networksecuritygroups", "location": "westeurope",
            "resourceGroup": "rg", "subscriptionId": "s", "tenantId": "t", "kind": "", "sku": null,
            "managedBy": "", "plan": "", "identity": null, "zones": null,
            "tags": {"env": "prod"}, "etag": "W/\"1\"",
            "properties": {"securityRules": [{"name": "r", "properties": {
                "protocol": "Tcp", "access": "Allow", "priority": 100, "direction": "Inbound",
                "sourceAddressPrefix": "*", "destinationPortRange": "22", "futureField": [1]}}],
                "futureProperty": {"a": null}}
        });
        let arm = "Microsoft.Network/networkSecurityGroups";
        let (fast, slow) = both::<NetworkSecurityGroup>(&row, arm);
        assert_eq!(fast, slow);
        assert_eq!(fast["type"], arm);
        for k in [
            "resourceGroup",
            "subscriptionId",
            "tenantId",
            "kind",
            "sku",
            "managedBy",
        ] {
            assert!(fast.get(k).is_none(), "{k}: {fast}");
        }
        assert_eq!(fast["tags"], json!({"env": "prod"}));
        assert_eq!(fast["etag"], "W/\"1\"");
        assert_eq!(fast["properties"]["futureProperty"], json!({"a": null}));
        // A `kind` with a value is kept, and a `type` of another kind is left as it came.
        let row = json!({"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v",
            "type": "Microsoft.KeyVault/Vaults", "kind": "x", "properties": {"tenantId": "t"}});
        let (fast, slow) = both::<KeyVault>(&row, "Microsoft.KeyVault/vaults");
        assert_eq!(fast, slow);
        assert_eq!(fast["type"], "Microsoft.KeyVault/vaults");
        assert_eq!(fast["kind"], "x");
        let (fast, _) = both::<KeyVault>(&row, "Microsoft.Network/other");
        assert_eq!(fast["type"], "Microsoft.KeyVault/Vaults");
    }

    #[test]
    fn rows_the_fast_reading_rejects_are_read_the_slow_way() {
        let arm = "Microsoft.Network/networkSecurityGroups";
        let text = |v: Value| serde_json::value::to_raw_value(&v).unwrap();
        let null_properties = text(json!({"id": "/x/n1", "properties": null}));
        let bad_priority = text(
            json!({"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n2",
            "properties": {"securityRules": [{"name": "r", "properties": {"priority": "high"}}]}}),
        );
        let good = text(
            json!({"id": "/x/n3", "type": "microsoft.network/networksecuritygroups", "properties": {}}),
        );
        assert!(parse_row::<NetworkSecurityGroup>(null_properties.get(), arm).is_err());
        let rows = GraphRows {
            rows: vec![&null_properties, &bad_priority, &good],
            arm_type: arm,
        };
        let mut gaps = Vec::new();
        let nsgs: Vec<NetworkSecurityGroup> =
            rows.parse(&mut gaps, ResourceKind::NetworkSecurityGroup, None);
        // `null` properties read as absent ones, as the ARM item would be.
        let ids: Vec<&str> = nsgs.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["/x/n1", "/x/n3"]);
        assert_eq!(nsgs[1].kind.as_deref(), Some(arm));
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(gaps[0].subscription_id.as_deref(), Some("s"));
        assert!(
            gaps[0].message.contains("securityRules[0]"),
            "{}",
            gaps[0].message
        );
    }

    #[test]
    fn a_column_twice_reads_as_the_slow_way_reads_it() {
        let arm = "Microsoft.Network/networkSecurityGroups";
        let text = r#"{"id": "/x/n", "name": "n", "name": null, "tags": {"a": "b"}, "tags": null, "properties": {}}"#;
        assert!(parse_row::<NetworkSecurityGroup>(text, arm).is_err());
        let raw = RawValue::from_string(text.to_string()).unwrap();
        let rows = GraphRows {
            rows: vec![&raw],
            arm_type: arm,
        };
        let mut gaps = Vec::new();
        let nsgs: Vec<NetworkSecurityGroup> =
            rows.parse(&mut gaps, ResourceKind::NetworkSecurityGroup, None);
        // The last of each wins, as in the JSON tree: no name, no tags.
        let slow: NetworkSecurityGroup =
            serde_json::from_value(normalise_row(serde_json::from_str(text).unwrap(), arm))
                .unwrap();
        assert_eq!(nsgs, [slow]);
        assert_eq!(nsgs[0].name, None);
        assert!(gaps.is_empty());
    }

    #[test]
    fn a_row_no_reading_can_take_is_a_gap_with_its_id_and_the_error() {
        let arm = "Microsoft.Network/networkSecurityGroups";
        let text = r#"{"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n", "tags": {"t": "\ud800"}, "properties": {}}"#;
        let raw = RawValue::from_string(text.to_string()).unwrap();
        let rows = GraphRows {
            rows: vec![&raw],
            arm_type: arm,
        };
        let mut gaps = Vec::new();
        let nsgs: Vec<NetworkSecurityGroup> =
            rows.parse(&mut gaps, ResourceKind::NetworkSecurityGroup, None);
        assert!(nsgs.is_empty());
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].subscription_id.as_deref(), Some("s1"));
        assert!(
            gaps[0].scope.as_deref().unwrap().ends_with("/n"),
            "{:?}",
            gaps[0]
        );
        assert!(gaps[0].message.contains("escape"), "{}", gaps[0].message);
    }

    #[test]
    fn what_is_not_an_object_is_an_error() {
        for text in ["3", "[1]", "\"x\"", "{\"id\": 1"] {
            assert!(parse_row::<KeyVault>(text, "t").is_err(), "{text}");
        }
    }
}
