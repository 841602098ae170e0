//! Building blocks shared by every ARM payload type: open enums that keep unknown values and compare
//! case-insensitively, `{ "id": … }` references, and null-tolerant defaults.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// Unknown fields of an ARM object, kept so a snapshot round-trips what ARM said. Most objects
/// have none, so the map is allocated only when there are some: an empty one costs one pointer
/// instead of a whole map in every security rule, route and ip configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extra(Option<Box<Map<String, Value>>>);

impl Extra {
    pub fn new() -> Self {
        Extra(None)
    }
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.as_ref().and_then(|m| m.get(key))
    }
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|m| m.is_empty())
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        self.0
            .get_or_insert_with(Default::default)
            .insert(key, value)
    }
    /// Keeps only the entries `keep` says yes to (e.g. to drop secrets at parse time).
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        if let Some(m) = &mut self.0 {
            m.retain(|k, v| keep(k, v));
            if m.is_empty() {
                self.0 = None;
            }
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().flat_map(|m| m.iter())
    }
}

impl std::ops::Index<&str> for Extra {
    type Output = Value;
    /// `Value::Null` for a missing key, as indexing a JSON value does.
    fn index(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

impl Serialize for Extra {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = Map::<String, Value>::deserialize(d)?;
        Ok(Extra((!m.is_empty()).then(|| Box::new(m))))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Extra {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <Map<String, Value> as schemars::JsonSchema>::schema_name()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Map<String, Value> as schemars::JsonSchema>::json_schema(generator)
    }
}

/// Declares an ARM enum that is an open string in the API (`modelAsString`): known values compare
/// case-insensitively and serialise in Microsoft's documented casing; anything else is kept verbatim.
#[macro_export]
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value this version of azaudit does not know, kept as ARM sent it.
            Other(String),
        }

        impl $name {
            pub fn parse(s: &str) -> Self {
                let s = s.trim();
                $(
                    if s.eq_ignore_ascii_case($text) $(|| s.eq_ignore_ascii_case($alias))* {
                        return Self::$variant;
                    }
                )+
                Self::Other(s.to_string())
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(s) => s.as_str(),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }

        // Open: any string is valid (unknown values are kept), so the schema is a plain string that
        // lists the known values only as examples.
        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn inline_schema() -> bool {
                true
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "string", "examples": [$($text),+]})
            }
        }
    };
}

/// A reference to another resource: `{ "id": "/subscriptions/…" }`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SubResource {
    #[serde(default)]
    pub id: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Treats `null` as the type's default: ARM returns `null` for absent arrays in some API versions.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An ARM resource: the envelope every resource has, its typed `properties`, and whatever else ARM
/// sent (kept so a snapshot round-trips it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
// The container-level `default` makes the schema carry each field's default, which needs `P: Default`.
#[cfg_attr(
    feature = "schema",
    schemars(bound = "P: schemars::JsonSchema + Default + Serialize")
)]
pub struct Resource<P> {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub properties: P,
    #[serde(flatten)]
    pub extra: Extra,
}

impl<P> Resource<P> {
    /// The resource's name, from `name` or else the last segment of its id.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .unwrap_or_else(|| crate::azure::id::last_name(&self.id))
    }
}

/// Reads a boolean that some payloads send as a string (`"true"`) instead of a JSON boolean.
pub fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    })
}

open_enum!(
    /// `Enabled`/`Disabled` switches, which ARM spells in either case.
    Toggle { Enabled => "Enabled", Disabled => "Disabled" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_enum_is_case_insensitive_and_keeps_unknown_values() {
        let t: Toggle = serde_json::from_str("\"enabled\"").unwrap();
        assert_eq!(t, Toggle::Enabled);
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"Enabled\"");
        let t: Toggle = serde_json::from_str("\"SecuredByPerimeter\"").unwrap();
        assert_eq!(t, Toggle::Other("SecuredByPerimeter".into()));
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"SecuredByPerimeter\"");
    }

    #[test]
    fn null_arrays_read_as_empty() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "null_default")]
            v: Vec<String>,
        }
        let t: T = serde_json::from_str(r#"{"v": null}"#).unwrap();
        assert!(t.v.is_empty());
        let t: T = serde_json::from_str(r#"{}"#).unwrap();
        assert!(t.v.is_empty());
    }
}
