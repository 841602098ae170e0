//! The JSON Schema of a policy file (`azaudit schema policy`), for editors that check TOML
//! against one (Taplo, Even Better TOML). Built from the rule registry and the shipped defaults,
//! so every rule, parameter and bound the parser accepts is in it.

use serde_json::{Map, Value, json};

use super::file::{PARAM_BOUNDS, Policy};

/// The policy file format version the schema describes.
pub const POLICY_SCHEMA_VERSION: u64 = 1;

/// The schema of one parameter, from its shipped default value and its bounds.
fn param_schema(code: &str, name: &str, default: &toml::Value) -> Value {
    let bounds = PARAM_BOUNDS
        .iter()
        .find(|(c, p, ..)| *c == code && *p == name);
    let mut schema = match (bounds, default) {
        (Some((.., lo, hi, true)), _) => json!({
            "type": "array", "minItems": 1,
            "items": {"type": "integer", "minimum": lo, "maximum": hi}
        }),
        (Some((.., lo, hi, false)), _) => json!({"type": "integer", "minimum": lo, "maximum": hi}),
        (None, toml::Value::Integer(_)) => json!({"type": "integer"}),
        (None, toml::Value::Float(_)) => json!({"type": "number"}),
        (None, toml::Value::Boolean(_)) => json!({"type": "boolean"}),
        (None, toml::Value::String(_)) => json!({"type": "string"}),
        (None, toml::Value::Array(_)) => json!({"type": "array"}),
        (None, _) => json!({}),
    };
    schema["default"] = toml_to_json(default);
    schema
}

fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => json!(s),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Datetime(d) => json!(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// The policy schema, with its `$id`.
pub fn schema() -> Value {
    let shipped = Policy::shipped();
    let severities = json!(["info", "low", "medium", "high", "critical"]);
    let mut rules = Map::new();
    let mut codes = vec![json!("*")];
    for r in crate::rules::registry() {
        let m = r.meta();
        codes.push(json!(m.code));
        let params: Map<String, Value> = shipped
            .rules
            .get(m.code)
            .map(|s| {
                s.params
                    .iter()
                    .map(|(name, v)| (name.clone(), param_schema(m.code, name, v)))
                    .collect()
            })
            .unwrap_or_default();
        let mut rule = json!({
            "type": "object",
            "description": format!("{} {}: {}", m.code, m.name, m.title),
            "additionalProperties": false,
            "properties": {
                "enabled": {"type": "boolean", "default": true},
                "severity": {"enum": severities, "default": m.severity.as_str()},
            }
        });
        if !params.is_empty() {
            rule["properties"]["params"] = json!({
                "type": "object", "additionalProperties": false, "properties": params
            });
        }
        rules.insert(m.code.to_string(), rule);
    }
    json!({
        // Draft 7, with only keywords Draft 4 already had: Taplo reads Draft 4.
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": format!("urn:azaudit:schema:policy:{POLICY_SCHEMA_VERSION}"),
        "title": "azaudit policy file (TOML)",
        "description": "Rule severities, parameters and exemptions over the shipped defaults (policies/default.toml). Rule codes as `azaudit rules` prints them.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "schema_version": {"enum": [POLICY_SCHEMA_VERSION]},
            "rules": {"type": "object", "additionalProperties": false, "properties": rules},
            "exemptions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["rule", "resource", "reason"],
                    "properties": {
                        "rule": {"enum": codes, "description": "a rule code, or \"*\" for every rule"},
                        "resource": {
                            "type": "string",
                            "description": "a case-insensitive glob over resource ids (* and ? only)",
                            "pattern": "^[/*?][^\\[\\]{}]*$"
                        },
                        "reason": {"type": "string", "pattern": "\\S"},
                        "expires": {
                            "type": "string", "format": "date",
                            "description": "a TOML local date (2027-01-31): the exemption stops suppressing after it"
                        }
                    }
                }
            }
        }
    })
}

/// A policy file's TOML as the JSON the schema describes (dates as strings), for validation.
pub fn policy_as_json(text: &str) -> Result<Value, String> {
    let v: toml::Value = toml::from_str(text.strip_prefix('\u{feff}').unwrap_or(text))
        .map_err(|e| e.message().to_string())?;
    Ok(toml_to_json(&v))
}
