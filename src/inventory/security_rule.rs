//! NSG security rules, the most numerous objects of a tenant's inventory (tens per NSG), laid out
//! for memory: each side's ports and addresses are one value whether ARM sent the singular field,
//! the plural one or both, short strings are inline, and the rarely used application security
//! groups are boxed. The JSON is exactly ARM's shape: every field, in ARM's order.

use compact_str::CompactString;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::common::{Extra, SubResource, exact_slice};
use super::network::{Access, Direction, Protocol};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SecurityRule {
    // Boxed, not inline: an id is always longer than an inline string holds.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub id: Option<Box<str>>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub name: CompactString,
    pub properties: SecurityRuleProperties,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecurityRuleProperties {
    pub protocol: Protocol,
    pub access: Access,
    pub priority: u32,
    pub direction: Direction,
    provisioning: Provisioning,
    source_ports: Values,
    destination_ports: Values,
    sources: Values,
    destinations: Values,
    rare: Option<Box<Rare>>,
}

/// `provisioningState`, which is `Succeeded` on nearly every rule: one byte for that, and the
/// rare other values in [`Rare`].
#[derive(Debug, Clone, Copy, PartialEq)]
enum Provisioning {
    Absent,
    Succeeded,
    Other,
}

/// What few rules have, boxed together so that the others pay one word for it.
#[derive(Debug, Clone, Default, PartialEq)]
struct Rare {
    description: Option<Box<str>>,
    /// A `provisioningState` other than `Succeeded`.
    provisioning_state: Option<CompactString>,
    asgs: Asgs,
    extra: Extra,
}

/// The application security groups a rule names as its source and destination.
#[derive(Debug, Clone, Default, PartialEq)]
struct Asgs {
    source: Box<[SubResource]>,
    destination: Box<[SubResource]>,
}

/// One side's ports or addresses: `sourcePortRange` and `sourcePortRanges`, say. ARM fills one
/// of the pair; a payload with both keeps both. Three words, with the usual single value inline.
#[derive(Debug, Clone, Default, PartialEq)]
enum Values {
    #[default]
    None,
    One(CompactString),
    Many(Box<[CompactString]>),
    Both(Box<(CompactString, Box<[CompactString]>)>),
}

impl Values {
    fn new(one: Option<CompactString>, many: Box<[CompactString]>) -> Self {
        match (one, many.is_empty()) {
            (None, true) => Values::None,
            (Some(one), true) => Values::One(one),
            (None, false) => Values::Many(many),
            (Some(one), false) => Values::Both(Box::new((one, many))),
        }
    }
    /// The singular field.
    fn one(&self) -> Option<&CompactString> {
        match self {
            Values::One(one) => Some(one),
            Values::Both(both) => Some(&both.0),
            Values::None | Values::Many(_) => None,
        }
    }
    /// The plural field.
    fn many(&self) -> &[CompactString] {
        match self {
            Values::Many(many) => many,
            Values::Both(both) => &both.1,
            Values::None | Values::One(_) => &[],
        }
    }
    /// The singular value, then the plural ones, trimmed, without empty strings.
    fn merged(&self) -> Vec<&str> {
        self.one()
            .into_iter()
            .chain(self.many())
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

const SUCCEEDED: &str = "Succeeded";

impl SecurityRuleProperties {
    /// Source address prefixes or tags, from the singular or the plural field (ARM fills either).
    pub fn sources(&self) -> Vec<&str> {
        self.sources.merged()
    }
    pub fn destinations(&self) -> Vec<&str> {
        self.destinations.merged()
    }
    pub fn destination_ports(&self) -> Vec<&str> {
        self.destination_ports.merged()
    }
    pub fn source_ports(&self) -> Vec<&str> {
        self.source_ports.merged()
    }
    pub fn source_application_security_groups(&self) -> &[SubResource] {
        self.rare.as_ref().map_or(&[], |r| &r.asgs.source)
    }
    pub fn destination_application_security_groups(&self) -> &[SubResource] {
        self.rare.as_ref().map_or(&[], |r| &r.asgs.destination)
    }
    pub fn description(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.description.as_deref())
    }
    pub fn provisioning_state(&self) -> Option<&str> {
        match self.provisioning {
            Provisioning::Absent => None,
            Provisioning::Succeeded => Some(SUCCEEDED),
            Provisioning::Other => self
                .rare
                .as_ref()
                .and_then(|r| r.provisioning_state.as_deref()),
        }
    }
    /// Fields of the rule's properties this version of azaudit does not know.
    pub fn extra(&self) -> &Extra {
        static NONE: Extra = Extra::new();
        self.rare.as_ref().map_or(&NONE, |r| &r.extra)
    }
}

// `properties` of a security rule as ARM sends it; the parsed form is `SecurityRuleProperties`.
// (A plain comment: a doc comment would become the snapshot schema's description.)
#[derive(Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", schemars(rename = "SecurityRuleProperties"))]
struct Wire {
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    description: Option<Box<str>>,
    protocol: Protocol,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    source_port_range: Option<CompactString>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    destination_port_range: Option<CompactString>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    source_address_prefix: Option<CompactString>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    destination_address_prefix: Option<CompactString>,
    #[serde(default, deserialize_with = "exact_slice")]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    source_port_ranges: Box<[CompactString]>,
    #[serde(default, deserialize_with = "exact_slice")]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    destination_port_ranges: Box<[CompactString]>,
    #[serde(default, deserialize_with = "exact_slice")]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    source_address_prefixes: Box<[CompactString]>,
    #[serde(default, deserialize_with = "exact_slice")]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    destination_address_prefixes: Box<[CompactString]>,
    #[serde(default, deserialize_with = "exact_slice")]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<SubResource>"))]
    source_application_security_groups: Box<[SubResource]>,
    #[serde(default, deserialize_with = "exact_slice")]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<SubResource>"))]
    destination_application_security_groups: Box<[SubResource]>,
    access: Access,
    priority: u32,
    direction: Direction,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    provisioning_state: Option<CompactString>,
    #[serde(flatten)]
    extra: Extra,
}

/// [`Wire`] borrowed from the parsed form, for writing: the same fields in the same order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireRef<'a> {
    description: Option<&'a str>,
    protocol: &'a Protocol,
    source_port_range: Option<&'a CompactString>,
    destination_port_range: Option<&'a CompactString>,
    source_address_prefix: Option<&'a CompactString>,
    destination_address_prefix: Option<&'a CompactString>,
    source_port_ranges: &'a [CompactString],
    destination_port_ranges: &'a [CompactString],
    source_address_prefixes: &'a [CompactString],
    destination_address_prefixes: &'a [CompactString],
    source_application_security_groups: &'a [SubResource],
    destination_application_security_groups: &'a [SubResource],
    access: &'a Access,
    priority: u32,
    direction: &'a Direction,
    provisioning_state: Option<&'a str>,
    #[serde(flatten)]
    extra: &'a Extra,
}

impl<'de> Deserialize<'de> for SecurityRuleProperties {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = Wire::deserialize(d)?;
        let (provisioning, provisioning_state) = match w.provisioning_state {
            None => (Provisioning::Absent, None),
            Some(s) if s == SUCCEEDED => (Provisioning::Succeeded, None),
            other => (Provisioning::Other, other),
        };
        let rare = Rare {
            description: w.description,
            provisioning_state,
            asgs: Asgs {
                source: w.source_application_security_groups,
                destination: w.destination_application_security_groups,
            },
            extra: w.extra,
        };
        Ok(SecurityRuleProperties {
            protocol: w.protocol,
            access: w.access,
            priority: w.priority,
            direction: w.direction,
            provisioning,
            source_ports: Values::new(w.source_port_range, w.source_port_ranges),
            destination_ports: Values::new(w.destination_port_range, w.destination_port_ranges),
            sources: Values::new(w.source_address_prefix, w.source_address_prefixes),
            destinations: Values::new(w.destination_address_prefix, w.destination_address_prefixes),
            rare: (rare != Rare::default()).then(|| Box::new(rare)),
        })
    }
}

impl Serialize for SecurityRuleProperties {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WireRef {
            description: self.description(),
            protocol: &self.protocol,
            source_port_range: self.source_ports.one(),
            destination_port_range: self.destination_ports.one(),
            source_address_prefix: self.sources.one(),
            destination_address_prefix: self.destinations.one(),
            source_port_ranges: self.source_ports.many(),
            destination_port_ranges: self.destination_ports.many(),
            source_address_prefixes: self.sources.many(),
            destination_address_prefixes: self.destinations.many(),
            source_application_security_groups: self.source_application_security_groups(),
            destination_application_security_groups: self.destination_application_security_groups(),
            access: &self.access,
            priority: self.priority,
            direction: &self.direction,
            provisioning_state: self.provisioning_state(),
            extra: self.extra(),
        }
        .serialize(s)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for SecurityRuleProperties {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        Wire::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        Wire::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Wire::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_rule_is_written_back_exactly_as_it_was_read() {
        let full = json!({
            "description": "Allow the web tier", "protocol": "Tcp",
            "sourcePortRange": "*", "destinationPortRange": "443",
            "sourceAddressPrefix": "10.0.0.0/24", "destinationAddressPrefix": null,
            "sourcePortRanges": [], "destinationPortRanges": ["8443", "9000-9005"],
            "sourceAddressPrefixes": ["10.1.0.0/24"], "destinationAddressPrefixes": [],
            "sourceApplicationSecurityGroups": [], "destinationApplicationSecurityGroups": [{"id": "/x/asg"}],
            "access": "Allow", "priority": 100, "direction": "Inbound",
            "provisioningState": "Succeeded", "etag": "W/\"1\""
        });
        let p: SecurityRuleProperties = serde_json::from_value(full.clone()).unwrap();
        assert_eq!(serde_json::to_value(&p).unwrap(), full);
        // Key order as ARM's, unknown fields last.
        let text = serde_json::to_string(&p).unwrap();
        let keys: Vec<&str> = full
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut at = 0;
        for k in keys {
            let i = text[at..].find(&format!("\"{k}\"")).expect(k);
            at += i;
        }
        assert_eq!(p.sources(), ["10.0.0.0/24", "10.1.0.0/24"]);
        assert_eq!(p.destinations(), Vec::<&str>::new());
        assert_eq!(p.destination_ports(), ["443", "8443", "9000-9005"]);
        assert_eq!(p.source_ports(), ["*"]);
        assert!(p.source_application_security_groups().is_empty());
        assert_eq!(p.destination_application_security_groups()[0].id, "/x/asg");
        assert_eq!(p.description(), Some("Allow the web tier"));
        assert_eq!(p.provisioning_state(), Some("Succeeded"));
        assert_eq!(p.extra()["etag"], "W/\"1\"");

        // A minimal rule: absent fields are written as ARM writes them, null and empty.
        let p: SecurityRuleProperties = serde_json::from_value(json!({
            "protocol": "*", "sourceAddressPrefixes": null, "access": "Deny",
            "priority": 4096, "direction": "Outbound"
        }))
        .unwrap();
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"description": null, "protocol": "*", "sourcePortRange": null,
                   "destinationPortRange": null, "sourceAddressPrefix": null,
                   "destinationAddressPrefix": null, "sourcePortRanges": [],
                   "destinationPortRanges": [], "sourceAddressPrefixes": [],
                   "destinationAddressPrefixes": [], "sourceApplicationSecurityGroups": [],
                   "destinationApplicationSecurityGroups": [], "access": "Deny",
                   "priority": 4096, "direction": "Outbound", "provisioningState": null})
        );
        assert!(p.sources().is_empty());
        assert_eq!((p.description(), p.provisioning_state()), (None, None));
        assert!(p.rare.is_none(), "nothing rare to hold");
        // A state other than `Succeeded` is kept as it came.
        let p: SecurityRuleProperties = serde_json::from_value(json!({
            "protocol": "*", "access": "Deny", "priority": 4096, "direction": "Outbound",
            "provisioningState": "succeeded"
        }))
        .unwrap();
        assert_eq!(p.provisioning_state(), Some("succeeded"));
        assert_eq!(
            serde_json::to_value(&p).unwrap()["provisioningState"],
            "succeeded"
        );
        let err = serde_json::from_value::<SecurityRuleProperties>(json!({"protocol": "Tcp"}))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("missing field `access`"), "{err}");
    }

    #[test]
    fn a_side_costs_three_words_and_a_rule_stays_small() {
        assert_eq!(std::mem::size_of::<Values>(), 24);
        assert!(
            std::mem::size_of::<SecurityRuleProperties>() <= 160,
            "{}",
            std::mem::size_of::<SecurityRuleProperties>()
        );
    }
}
