//! The per-subnet drill-down: each subnet's effective routes (as `azaudit routes`) and effective
//! security rules (as `azaudit effective-rules`), embedded once as compact JSON and drawn by the
//! page's script when a subnet is picked. Large tenants repeat the same text thousands of times
//! (rule names, prefixes, default rules, system routes), so every string is stored once in a
//! table and rows and rules are shared between the subnets and NSGs that have them.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::Keys;
use crate::azure::id::last_name;
use crate::collect::Snapshot;
use crate::inventory::Index;
use crate::inventory::network::{Direction, SecurityRule};
use crate::model::nsg::rules_in_order;
use crate::model::routes::effective_routes;
use crate::model::rule_sides;
use crate::model::tags::TagResolver;

/// Interns strings, rows and rules: each distinct one gets the next index.
#[derive(Default)]
struct Interner {
    strings: Vec<String>,
    string_at: HashMap<String, usize>,
    rows: Vec<Value>,
    row_at: HashMap<String, usize>,
}

impl Interner {
    fn s(&mut self, text: &str) -> usize {
        if let Some(&i) = self.string_at.get(text) {
            return i;
        }
        self.strings.push(text.to_string());
        self.string_at
            .insert(text.to_string(), self.strings.len() - 1);
        self.strings.len() - 1
    }
    fn row(&mut self, row: Value) -> usize {
        let text = row.to_string();
        if let Some(&i) = self.row_at.get(&text) {
            return i;
        }
        self.rows.push(row);
        self.row_at.insert(text, self.rows.len() - 1);
        self.rows.len() - 1
    }
}

/// Whether a token's expansion depends on the subnet it is seen from (the `VirtualNetwork` tag
/// holds the subnet's own VNet, its peers and its UDR prefixes; `Internet` is the rest).
fn depends_on_subnet(token: &str) -> bool {
    let t = token.trim();
    t.eq_ignore_ascii_case("VirtualNetwork") || t.eq_ignore_ascii_case("Internet")
}

fn sides_of(
    rule: &SecurityRule,
    source: bool,
) -> Vec<(String, Option<crate::inventory::SubResource>)> {
    let p = &rule.properties;
    let (tokens, asgs) = if source {
        (p.sources(), p.source_application_security_groups())
    } else {
        (
            p.destinations(),
            p.destination_application_security_groups(),
        )
    };
    tokens
        .into_iter()
        .map(|t| (t.to_string(), None))
        .chain(
            asgs.iter()
                .map(|a| (rule_sides::asg_token(a), Some(a.clone()))),
        )
        .collect()
}

fn name_of<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The drill-down data of every subnet, as JSON whose strings cannot end the `<script>` element
/// holding it (`<`, `>` and `&` are written as `\u` escapes).
pub(crate) fn data(snapshot: &Snapshot, keys: &mut Keys) -> String {
    let idx = Index::new(&snapshot.inventory);
    let mut t = Interner::default();
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_at: HashMap<String, usize> = HashMap::new();
    let mut nsgs: BTreeMap<String, Value> = BTreeMap::new();
    // Token → text, for tokens that read the same from every subnet.
    let mut fixed: BTreeMap<String, usize> = BTreeMap::new();
    let mut subnets: BTreeMap<String, Value> = BTreeMap::new();
    let mut vnets: Vec<_> = snapshot.inventory.virtual_networks.iter().collect();
    vnets.sort_by_key(|v| crate::azure::id::id_key(&v.id));
    for v in vnets {
        for s in &v.properties.subnets {
            let mut route_rows = Vec::new();
            for r in effective_routes(&idx, s, v) {
                let note = r
                    .invalid_reason
                    .clone()
                    .or_else(|| r.origin.as_deref().map(|o| last_name(o).to_string()))
                    .unwrap_or_default();
                let row = json!([
                    t.s(&name_of(&r.source)),
                    t.s(&name_of(&r.state)),
                    t.s(&r.address_prefix),
                    t.s(&r.next_hop_type.to_string()),
                    t.s(r.next_hop_ip_address.as_deref().unwrap_or_default()),
                    t.s(&note),
                    u8::from(r.invalid_reason.is_some()),
                ]);
                route_rows.push(t.row(row));
            }
            let mut notes = Vec::new();
            let mut nsg_key = Value::Null;
            let mut by_subnet: BTreeMap<String, usize> = BTreeMap::new();
            if let Some(nsg_ref) = &s.properties.network_security_group {
                match idx.nsg(&nsg_ref.id) {
                    None => notes.push(t.s(&format!("NSG {} is not in the inventory", nsg_ref.id))),
                    Some(nsg) => {
                        let tags = TagResolver::for_subnet(&idx, s, v);
                        let k = keys.of(&nsg.id).to_string();
                        let mut per_direction = Vec::new();
                        for dir in [Direction::Inbound, Direction::Outbound] {
                            let mut list = Vec::new();
                            for o in rules_in_order(nsg, &dir) {
                                let p = &o.rule.properties;
                                let mut sides = Vec::new();
                                for source in [true, false] {
                                    let mut toks = Vec::new();
                                    for (token, asg) in sides_of(o.rule, source) {
                                        let ti = t.s(&token);
                                        let per_subnet = asg.is_none() && depends_on_subnet(&token);
                                        let known = if per_subnet {
                                            by_subnet.contains_key(&ti.to_string())
                                        } else {
                                            fixed.contains_key(&ti.to_string())
                                        };
                                        // Each token is expanded once per subnet (or once for all).
                                        if !known {
                                            let side = match &asg {
                                                Some(a) => rule_sides::expand(
                                                    &[],
                                                    std::slice::from_ref(a),
                                                    &tags,
                                                    false,
                                                ),
                                                None => {
                                                    rule_sides::expand(&[&token], &[], &tags, false)
                                                }
                                            };
                                            let xi = t.s(&rule_sides::text(&side));
                                            if per_subnet {
                                                by_subnet.insert(ti.to_string(), xi);
                                            } else {
                                                fixed.insert(ti.to_string(), xi);
                                            }
                                        }
                                        toks.push(ti);
                                    }
                                    sides.push(toks);
                                }
                                let rule = json!([
                                    p.priority,
                                    t.s(&o.rule.name),
                                    t.s(&name_of(&p.access)),
                                    t.s(&name_of(&p.protocol)),
                                    sides[0],
                                    t.s(&p.source_ports().join(",")),
                                    sides[1],
                                    t.s(&p.destination_ports().join(",")),
                                    u8::from(o.is_default),
                                ]);
                                let text = rule.to_string();
                                let i = *rule_at.entry(text).or_insert_with(|| {
                                    rules.push(rule);
                                    rules.len() - 1
                                });
                                list.push(i);
                            }
                            per_direction.push(list);
                        }
                        nsgs.entry(k.clone()).or_insert_with(|| {
                            json!([t.s(nsg.display_name()), per_direction[0], per_direction[1]])
                        });
                        nsg_key = Value::String(k);
                    }
                }
            }
            subnets.insert(
                keys.of(&s.id).to_string(),
                json!([
                    t.s(v.display_name()),
                    t.s(s.display_name()),
                    nsg_key,
                    by_subnet,
                    route_rows,
                    notes
                ]),
            );
        }
    }
    let doc = json!({
        "s": t.strings,
        "routes": t.rows,
        "rules": rules,
        "nsg": nsgs,
        "fixed": fixed,
        "subnet": subnets,
    });
    script_safe(&doc.to_string())
}

/// JSON text that cannot close or comment out the element it sits in.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_the_data_is_escaped_and_the_json_reads_back() {
        let text = script_safe(&json!({"n": "</script><!--&"}).to_string());
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["n"], "</script><!--&");
    }
}
