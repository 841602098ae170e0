//! An NSG's security rules (its own, or its defaults) with what every rule of the list repeats held
//! once. ARM gives each rule an id made of the NSG's id, `/securityRules/` (or
//! `/defaultSecurityRules/`) and the rule's name, and the NSG's etag and the rule's `type` in every
//! rule: with tens of rules to an NSG these copies are most of a tenant's inventory. Here the list
//! keeps the id prefix and the repeated fields once, and the rules without them; an NSG's six
//! default rules, alike in every NSG but for those, are one copy for the whole tenant. A snapshot
//! is written back exactly as ARM sent it.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::security_rule::SecurityRule;

const USER_INFIX: &str = "/securityRules/";
const DEFAULT_INFIX: &str = "/defaultSecurityRules/";
/// Sets of shared default rules kept at most: a tenant has one or a few (an API version that adds
/// a field, say); past this bound further sets are kept per NSG.
const SHARED_SETS: usize = 32;

/// The rules of one list, in ARM's order. Dereferences to the rules as held: where the list holds
/// the ids and repeated fields once, a rule there has no `id` and lacks those fields (see
/// [`Self::id`] and [`Self::to_vec`]); rules read the names and properties, which are whole.
#[derive(Debug, Clone)]
pub struct SecurityRules(Held);

#[derive(Debug, Clone)]
enum Held {
    /// Each rule as ARM sent it.
    Own(Box<[SecurityRule]>),
    Stripped {
        common: Box<Common>,
        rules: Arc<[SecurityRule]>,
    },
}

/// What every rule of a list has alike.
#[derive(Debug, Clone, PartialEq)]
struct Common {
    /// A rule's id is this, the infix, then its name.
    id_prefix: Box<str>,
    infix: &'static str,
    /// Unknown fields every rule carries with the same value at the same place among its own,
    /// by that place (ascending).
    extra: Box<[(usize, String, Value)]>,
}

impl Default for SecurityRules {
    fn default() -> Self {
        SecurityRules(Held::Own(Box::default()))
    }
}

impl std::ops::Deref for SecurityRules {
    type Target = [SecurityRule];
    fn deref(&self) -> &[SecurityRule] {
        match &self.0 {
            Held::Own(rules) => rules,
            Held::Stripped { rules, .. } => rules,
        }
    }
}

impl SecurityRules {
    /// An NSG's own rules (`securityRules`).
    pub fn user(rules: Vec<SecurityRule>) -> Self {
        Self::new(rules, USER_INFIX, false)
    }

    /// An NSG's default rules (`defaultSecurityRules`), shared with other NSGs that have the same.
    pub fn defaults(rules: Vec<SecurityRule>) -> Self {
        Self::new(rules, DEFAULT_INFIX, true)
    }

    fn new(rules: Vec<SecurityRule>, infix: &'static str, share: bool) -> Self {
        let Some((common, stripped)) = strip(&rules, infix) else {
            return SecurityRules(Held::Own(rules.into_boxed_slice()));
        };
        let stripped = match share {
            true => match intern(stripped) {
                Some(shared) => shared,
                None => return SecurityRules(Held::Own(rules.into_boxed_slice())),
            },
            false => stripped.into(),
        };
        SecurityRules(Held::Stripped {
            common: Box::new(common),
            rules: stripped,
        })
    }

    /// The id ARM gave rule `i`.
    pub fn id(&self, i: usize) -> Option<std::borrow::Cow<'_, str>> {
        match &self.0 {
            Held::Own(rules) => rules.get(i)?.id.as_deref().map(Into::into),
            Held::Stripped { common, rules } => {
                Some(format!("{}{}{}", common.id_prefix, common.infix, rules.get(i)?.name).into())
            }
        }
    }

    /// The rules as ARM sent them: ids and every field.
    pub fn to_vec(&self) -> Vec<SecurityRule> {
        (0..self.len()).map(|i| self.full(i)).collect()
    }

    /// Rule `i` as ARM sent it.
    fn full(&self, i: usize) -> SecurityRule {
        match &self.0 {
            Held::Own(rules) => rules[i].clone(),
            Held::Stripped { common, rules } => {
                let mut rule = rules[i].clone();
                rule.id = self.id(i).map(|id| id.into_owned().into_boxed_str());
                for (at, key, value) in common.extra.iter() {
                    rule.extra.shift_insert(*at, key.clone(), value.clone());
                }
                rule
            }
        }
    }
}

/// The rules without what they all have alike, when each one's id is `<prefix><infix><name>`
/// with one prefix.
fn strip(rules: &[SecurityRule], infix: &'static str) -> Option<(Common, Vec<SecurityRule>)> {
    let first = rules.first()?;
    let id_prefix = first
        .id
        .as_deref()?
        .strip_suffix(first.name.as_str())?
        .strip_suffix(infix)?;
    let derived = |r: &SecurityRule| {
        r.id.as_deref()
            .and_then(|id| id.strip_prefix(id_prefix))
            .and_then(|rest| rest.strip_prefix(infix))
            == Some(r.name.as_str())
    };
    if !rules.iter().all(derived) {
        return None;
    }
    // The first rule's unknown fields that every rule has, equal and at the same place.
    let extra: Vec<(usize, String, Value)> = first
        .extra
        .iter()
        .enumerate()
        .filter(|(at, (key, value))| {
            rules.iter().all(|r| {
                r.extra
                    .iter()
                    .nth(*at)
                    .is_some_and(|(k, v)| k == *key && same_json(v, value))
            })
        })
        .map(|(at, (key, value))| (at, key.clone(), value.clone()))
        .collect();
    let stripped = rules
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.id = None;
            for (_, key, _) in &extra {
                r.extra.shift_remove(key);
            }
            r
        })
        .collect();
    let common = Common {
        id_prefix: id_prefix.into(),
        infix,
        extra: extra.into_boxed_slice(),
    };
    Some((common, stripped))
}

/// Whether two JSON values are written the same: JSON equality ignores the order of an object's
/// keys and the sign of a zero, and the copy kept for both must be written as each one came.
fn same_json(a: &Value, b: &Value) -> bool {
    a == b && serde_json::to_string(a).ok() == serde_json::to_string(b).ok()
}

/// The one shared copy of `rules`; `None` when [`SHARED_SETS`] sets are held already. Sets are
/// told apart by how they are written, so that each NSG's rules are written back as they came.
fn intern(rules: Vec<SecurityRule>) -> Option<Arc<[SecurityRule]>> {
    type Sets = Vec<(Vec<u8>, Arc<[SecurityRule]>)>;
    static SETS: Mutex<Sets> = Mutex::new(Vec::new());
    let written = serde_json::to_vec(&rules).ok()?;
    let mut sets = SETS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, set)) = sets.iter().find(|(w, _)| *w == written) {
        return Some(set.clone());
    }
    if sets.len() >= SHARED_SETS {
        return None;
    }
    let set: Arc<[SecurityRule]> = rules.into();
    sets.push((written, set.clone()));
    Some(set)
}

impl PartialEq for SecurityRules {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Held::Own(a), Held::Own(b)) => a == b,
            (
                Held::Stripped { common, rules },
                Held::Stripped {
                    common: oc,
                    rules: or,
                },
            ) if common == oc => rules == or,
            _ => {
                self.len() == other.len() && (0..self.len()).all(|i| self.full(i) == other.full(i))
            }
        }
    }
}

impl Serialize for SecurityRules {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.len()))?;
        match &self.0 {
            Held::Own(rules) => {
                for rule in rules.iter() {
                    seq.serialize_element(rule)?;
                }
            }
            Held::Stripped { .. } => {
                for i in 0..self.len() {
                    seq.serialize_element(&self.full(i))?;
                }
            }
        }
        seq.end()
    }
}

/// Reads `securityRules`; `null` is none.
pub fn user_rules<'de, D: Deserializer<'de>>(d: D) -> Result<SecurityRules, D::Error> {
    let rules = Option::<Vec<SecurityRule>>::deserialize(d)?.unwrap_or_default();
    Ok(SecurityRules::user(rules))
}

/// Reads `defaultSecurityRules`; `null` is none.
pub fn default_rules<'de, D: Deserializer<'de>>(d: D) -> Result<SecurityRules, D::Error> {
    let rules = Option::<Vec<SecurityRule>>::deserialize(d)?.unwrap_or_default();
    Ok(SecurityRules::defaults(rules))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/a";
    const B: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/b";

    /// Rules as ARM sends them: name, id, etag, properties, type.
    fn arm_rules(nsg: &str, infix: &str, etag: Option<&str>) -> Value {
        let rule = |name: &str, priority: u32, direction: &str| {
            let mut r = serde_json::Map::new();
            r.insert("name".into(), json!(name));
            r.insert("id".into(), json!(format!("{nsg}{infix}{name}")));
            if let Some(e) = etag {
                r.insert("etag".into(), json!(e));
            }
            r.insert(
                "properties".into(),
                json!({
                    "provisioningState": "Succeeded", "description": "d", "protocol": "*",
                    "sourcePortRange": "*", "destinationPortRange": "*",
                    "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
                    "access": "Allow", "priority": priority, "direction": direction,
                    "sourcePortRanges": [], "destinationPortRanges": [],
                    "sourceAddressPrefixes": [], "destinationAddressPrefixes": []
                }),
            );
            r.insert(
                "type".into(),
                json!(format!(
                    "Microsoft.Network/networkSecurityGroups/{}",
                    infix.trim_matches('/')
                )),
            );
            Value::Object(r)
        };
        json!([
            rule("AllowVnetInBound", 65000, "Inbound"),
            rule("DenyAllInBound", 65500, "Inbound"),
            rule("AllowVnetOutBound", 65000, "Outbound")
        ])
    }

    fn defaults(v: &Value) -> SecurityRules {
        default_rules(v.clone()).unwrap()
    }

    fn user(v: &Value) -> SecurityRules {
        user_rules(v.clone()).unwrap()
    }

    /// How the rules are written when each is held as it came.
    fn as_written(v: &Value) -> String {
        let own: Vec<SecurityRule> = serde_json::from_value(v.clone()).unwrap();
        serde_json::to_string(&own).unwrap()
    }

    #[test]
    fn default_rules_alike_but_for_ids_and_etags_are_one_copy_written_back_as_they_came() {
        let (ja, jb) = (
            arm_rules(A, DEFAULT_INFIX, Some("W/\"1\"")),
            arm_rules(B, DEFAULT_INFIX, Some("W/\"2\"")),
        );
        let (ra, rb) = (defaults(&ja), defaults(&jb));
        let (Held::Stripped { rules: sa, .. }, Held::Stripped { rules: sb, .. }) = (&ra.0, &rb.0)
        else {
            panic!("not stripped: {ra:?}");
        };
        assert!(Arc::ptr_eq(sa, sb));
        // Byte for byte, key order included.
        assert_eq!(serde_json::to_string(&ra).unwrap(), as_written(&ja));
        assert_eq!(serde_json::to_string(&rb).unwrap(), as_written(&jb));
        assert!(as_written(&ja).contains(r#""etag":"W/\"1\"","type""#));
        // As held: names and properties whole, no id, no repeated fields.
        assert_eq!(ra.len(), 3);
        assert_eq!(ra[1].name, "DenyAllInBound");
        assert_eq!(ra[1].properties.priority, 65500);
        assert_eq!(ra[1].properties.sources(), ["*"]);
        assert_eq!((ra[1].id.as_deref(), ra[1].extra.is_empty()), (None, true));
        let id = format!("{A}/defaultSecurityRules/DenyAllInBound");
        assert_eq!(ra.id(1).as_deref(), Some(id.as_str()));
        let full = ra.to_vec();
        assert_eq!(full[1].id.as_deref(), Some(id.as_str()));
        assert_eq!(full[1].extra["etag"], "W/\"1\"");
        assert_ne!(ra, rb);
        assert_eq!(ra, defaults(&ja));
        // Without etags too.
        let plain = arm_rules(A, DEFAULT_INFIX, None);
        assert_eq!(
            serde_json::to_string(&defaults(&plain)).unwrap(),
            as_written(&plain)
        );
    }

    #[test]
    fn an_nsgs_own_rules_hold_their_ids_and_repeated_fields_once() {
        let j = arm_rules(A, USER_INFIX, Some("W/\"1\""));
        let r = user(&j);
        assert!(matches!(r.0, Held::Stripped { .. }), "{r:?}");
        assert_eq!(serde_json::to_string(&r).unwrap(), as_written(&j));
        assert_eq!(
            r.id(2).as_deref(),
            Some(&*format!("{A}/securityRules/AllowVnetOutBound"))
        );
        assert_eq!(r.id(3), None);
        // The user infix is not the defaults' one.
        let wrong = arm_rules(A, DEFAULT_INFIX, None);
        assert!(matches!(user(&wrong).0, Held::Own(_)));
        // A field only some rules have stays with them, in its place.
        let mut some = j.clone();
        some[1]["properties"]["x"] = json!(1);
        let mut m = serde_json::Map::new();
        for (k, v) in some[1].as_object().unwrap() {
            m.insert(k.clone(), v.clone());
            if k == "etag" {
                m.insert("zone".into(), json!("z"));
            }
        }
        some[1] = Value::Object(m);
        let r = user(&some);
        assert!(matches!(r.0, Held::Stripped { .. }), "{r:?}");
        assert_eq!(serde_json::to_string(&r).unwrap(), as_written(&some));
        assert_eq!(r[1].extra["zone"], "z");
    }

    #[test]
    fn rules_alike_but_for_key_order_or_the_sign_of_a_zero_are_written_as_each_came() {
        // Within one list: a field equal as JSON but written otherwise stays with each rule.
        let mut j = arm_rules(A, USER_INFIX, Some("W/\"1\""));
        j[0]["x"] = serde_json::from_str(r#"{"a": 1, "b": 2}"#).unwrap();
        j[1]["x"] = serde_json::from_str(r#"{"b": 2, "a": 1}"#).unwrap();
        j[2]["x"] = serde_json::from_str(r#"{"a": 1, "b": 2}"#).unwrap();
        assert_eq!(serde_json::to_string(&user(&j)).unwrap(), as_written(&j));
        // Across NSGs: default rules that differ only so are not one copy.
        let mut a = arm_rules(A, DEFAULT_INFIX, None);
        let mut b = arm_rules(B, DEFAULT_INFIX, None);
        a[0]["properties"]["y"] = serde_json::from_str(r#"{"p": 1, "q": 2}"#).unwrap();
        b[0]["properties"]["y"] = serde_json::from_str(r#"{"q": 2, "p": 1}"#).unwrap();
        a[1]["properties"]["z"] = serde_json::from_str("0.0").unwrap();
        b[1]["properties"]["z"] = serde_json::from_str("-0.0").unwrap();
        let (ra, rb) = (defaults(&a), defaults(&b));
        assert_eq!(serde_json::to_string(&ra).unwrap(), as_written(&a));
        assert_eq!(serde_json::to_string(&rb).unwrap(), as_written(&b));
        assert!(as_written(&b).contains("-0.0"));
    }

    #[test]
    fn rules_that_are_not_alike_are_kept_as_they_came() {
        let mut cases = Vec::new();
        // An id of another NSG, an id that does not end in the name, no id.
        for (i, value) in [
            (1, json!("/other/defaultSecurityRules/DenyAllInBound")),
            (2, json!(format!("{A}/defaultSecurityRules/x"))),
            (0, Value::Null),
        ] {
            let mut v = arm_rules(A, DEFAULT_INFIX, Some("W/\"1\""));
            v[i]["id"] = value;
            cases.push(v);
        }
        for v in cases {
            let r = defaults(&v);
            assert!(matches!(r.0, Held::Own(_)), "{v}");
            assert_eq!(serde_json::to_string(&r).unwrap(), as_written(&v));
        }
        // Etags that differ stay with their rules.
        let mut v = arm_rules(A, DEFAULT_INFIX, Some("W/\"1\""));
        v[2]["etag"] = json!("W/\"9\"");
        let r = defaults(&v);
        assert_eq!(serde_json::to_string(&r).unwrap(), as_written(&v));
        assert_eq!(r[2].extra["etag"], "W/\"9\"");
        // `null` and an empty list are no rules.
        assert!(defaults(&Value::Null).is_empty());
        assert!(user(&json!([])).is_empty());
        assert_eq!(serde_json::to_string(&user(&Value::Null)).unwrap(), "[]");
    }
}
