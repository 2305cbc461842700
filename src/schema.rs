//! The JSON Schema of an Application as oamc compiles it, generated from the
//! typed model: the envelope, plus the `appmod-service` properties wherever a
//! component has that type.

use crate::defs::appmod::{APPMOD_SERVICE, AppmodService};
use crate::defs::promotion::{KARGO_PROMOTION, KargoPromotion};
use crate::model::Application;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

pub const SCHEMA_ID: &str = "urn:oamc:schema:appmod-service";

pub fn application_schema() -> Value {
    // Draft 7: what editors support best, and a cheaper meta-schema to check at start-up.
    let mut generator = SchemaSettings::draft07().into_generator();
    let props_ref = generator.subschema_for::<AppmodService>();
    let promotion_ref = generator.subschema_for::<KargoPromotion>();
    let trait_schemas: Vec<(&str, Value)> = crate::defs::TRAITS
        .iter()
        .map(|t| (t.name, t.schema(&mut generator)))
        .collect();
    let root = generator.into_root_schema_for::<Application>();
    let mut schema = root.to_value();
    strip_null(&mut schema);
    schema["$id"] = json!(SCHEMA_ID);
    // Typed components: their properties must match the component type's schema.
    schema["definitions"]["Component"]["allOf"] = json!([{
        "if": {
            "properties": { "type": { "const": APPMOD_SERVICE } },
            "required": ["type"]
        },
        "then": {
            "properties": { "properties": props_ref.to_value() },
            "required": ["properties"]
        }
    }]);
    schema["definitions"]["Trait"]["allOf"] = trait_schemas
        .iter()
        .map(|(name, props)| {
            json!({
                "if": { "properties": { "type": { "const": name } }, "required": ["type"] },
                "then": { "properties": { "properties": props }, "required": ["properties"] }
            })
        })
        .collect();
    schema["definitions"]["Policy"]["allOf"] = json!([{
        "if": {
            "properties": { "type": { "const": KARGO_PROMOTION } },
            "required": ["type"]
        },
        "then": {
            "properties": { "properties": promotion_ref.to_value() },
            "required": ["properties"]
        }
    }]);
    schema
}

/// `null` is never a useful value for an optional property here, and an
/// `anyOf [X, null]` would hide every error inside X behind "matches no schema".
fn strip_null(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(options)) = map.get("anyOf") {
                let rest: Vec<Value> = options
                    .iter()
                    .filter(|o| o.get("type").is_none_or(|t| t != "null"))
                    .cloned()
                    .collect();
                if rest.len() == 1 && options.len() == 2 {
                    map.remove("anyOf");
                    if let Value::Object(inner) = &rest[0] {
                        for (k, v) in inner {
                            map.entry(k.clone()).or_insert(v.clone());
                        }
                    }
                }
            }
            map.values_mut().for_each(strip_null);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

/// The committed, pretty-printed form (`schemas/appmod-service.schema.json`).
pub fn application_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&application_schema()).unwrap_or_default();
    text.push('\n');
    text
}
