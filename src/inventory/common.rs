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
    pub const fn new() -> Self {
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
    /// Inserts `key` at position `index` (or last, if there are fewer entries); a key already
    /// there keeps its place and takes the new value.
    pub fn shift_insert(&mut self, index: usize, key: String, value: Value) {
        let m = self.0.get_or_insert_with(Default::default);
        if let Some(v) = m.get_mut(&key) {
            *v = value;
        } else {
            m.shift_insert(index.min(m.len()), key, value);
        }
    }
    /// Removes `key`, keeping the order of the others.
    pub fn shift_remove(&mut self, key: &str) -> Option<Value> {
        let m = self.0.as_mut()?;
        let v = m.shift_remove(key);
        if m.is_empty() {
            self.0 = None;
        }
        v
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
            Other($crate::inventory::common::Unknown),
        }

        impl $name {
            pub fn parse(s: &str) -> Self {
                let s = s.trim();
                $(
                    if s.eq_ignore_ascii_case($text) $(|| s.eq_ignore_ascii_case($alias))* {
                        return Self::$variant;
                    }
                )+
                Self::Other(s.into())
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(s) => s,
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

/// An open enum's value that azaudit does not know, as ARM sent it. Boxed twice so that the enum
/// is two words rather than three: unknown values are rare, and open enums are in every security
/// rule and route.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unknown(Box<Box<str>>);

impl From<&str> for Unknown {
    fn from(s: &str) -> Self {
        Unknown(Box::new(s.into()))
    }
}

impl std::ops::Deref for Unknown {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
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
/// The list is kept at its exact length (see [`Exact`]).
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de> + Exact,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default().exact())
}

/// A list read at its exact length, for lists that are never `null` (the inventory's own).
pub fn exact<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Exact,
{
    Ok(T::deserialize(d)?.exact())
}

/// A list that gives back the room it grew into while it was parsed. A JSON array's length is not
/// known until its end, so a parsed `Vec` doubles as it fills and keeps up to twice the room it
/// needs (four elements for one port or prefix); over the hundreds of thousands of security
/// rules, prefixes and ports of a large tenant that is a third of the inventory's memory.
pub trait Exact {
    fn exact(self) -> Self;
}

impl<T> Exact for Vec<T> {
    fn exact(mut self) -> Self {
        self.shrink_to_fit();
        self
    }
}

/// Reads a JSON array (or `null`, as empty) straight into a boxed slice of its exact length. The
/// ports and prefixes of a security rule are lists of one or two, so up to four elements are
/// gathered on the stack and then moved into one allocation of the right size: a `Vec` shrunk
/// after growing would leave a hole behind in the heap for each list.
pub fn exact_slice<'de, D, T>(d: D) -> Result<Box<[T]>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Slice<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Slice<T> {
        type Value = Box<[T]>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array or null")
        }
        fn visit_none<E>(self) -> Result<Box<[T]>, E> {
            Ok(Box::default())
        }
        fn visit_unit<E>(self) -> Result<Box<[T]>, E> {
            Ok(Box::default())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Box<[T]>, D::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Box<[T]>, A::Error> {
            const HEAD: usize = 4;
            let mut head: [Option<T>; HEAD] = [const { None }; HEAD];
            for (n, slot) in head.iter_mut().enumerate() {
                match seq.next_element()? {
                    Some(v) => *slot = Some(v),
                    None => {
                        let mut exact = Vec::with_capacity(n);
                        exact.extend(head.into_iter().flatten());
                        return Ok(exact.into_boxed_slice());
                    }
                }
            }
            let mut all: Vec<T> = head.into_iter().flatten().collect();
            while let Some(v) = seq.next_element()? {
                all.push(v);
            }
            Ok(all.into_boxed_slice())
        }
    }
    d.deserialize_option(Slice(std::marker::PhantomData))
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
    fn lists_are_read_at_their_exact_length() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "exact_slice")]
            s: Box<[String]>,
            #[serde(default, deserialize_with = "null_default")]
            v: Vec<u32>,
        }
        for n in [0usize, 1, 2, 3, 4, 5, 9] {
            let items: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
            let json = serde_json::json!({"s": items, "v": (0..n as u32).collect::<Vec<_>>()});
            let t: T = serde_json::from_value(json).unwrap();
            assert_eq!(&*t.s, items.as_slice());
            assert_eq!(t.v, (0..n as u32).collect::<Vec<_>>());
            assert_eq!(t.v.capacity(), n, "no spare room for {n} elements");
        }
        let t: T = serde_json::from_str(r#"{"s": null, "v": null}"#).unwrap();
        assert!(t.s.is_empty() && t.v.is_empty());
        let t: T = serde_json::from_str("{}").unwrap();
        assert!(t.s.is_empty());
        let err = serde_json::from_str::<T>(r#"{"s": "10.0.0.0/8"}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("expected an array or null"), "{err}");
        let err = serde_json::from_str::<T>(r#"{"s": ["a", 1]}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("expected a string"), "{err}");
    }

    #[test]
    fn open_enum_is_two_words() {
        // Open enums sit in every security rule and route: unknown values are boxed so that the
        // known ones cost two words, not three.
        assert_eq!(
            std::mem::size_of::<Toggle>(),
            2 * std::mem::size_of::<usize>()
        );
        let t = Toggle::parse(" Paused ");
        assert_eq!(t.as_str(), "Paused");
        assert_eq!(t.clone(), t);
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
