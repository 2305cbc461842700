//! The keys of an Application's envelope: `spec`, each component, trait and
//! policy. KubeVela's API server prunes a key its CRD does not declare
//! (a structural schema), so a near miss (`trait:` for `traits:`) or a
//! property one level too shallow (`targetPort` beside `properties`)
//! changes nothing and says nothing. oamc refuses each at its line, and says
//! where a property belongs, from the schema of the component's, trait's or
//! policy's type.

use super::DocContext;
use super::schema_errors::walk;
use crate::diagnostic::Code;
use crate::dom::Seg;
use crate::path;
use serde_json::Value;

/// KubeVela v1beta1's fields (`apis/core.oam.dev/common/types.go`,
/// `ApplicationComponent`, `ApplicationTrait`, `AppPolicy`; `ApplicationSpec`).
const SPEC: &[&str] = &["components", "policies", "workflow"];
const COMPONENT: &[&str] = &[
    "name",
    "type",
    "properties",
    "traits",
    "dependsOn",
    "externalRevision",
    "inputs",
    "outputs",
    "scopes",
    "replicaKey",
];
const TRAIT: &[&str] = &["type", "properties"];
const POLICY: &[&str] = &["name", "type", "properties"];

pub(crate) fn check_envelope_keys(ctx: &mut DocContext, json: &Value, schema: &Value) {
    let spec = path!["spec"];
    check_keys(
        ctx,
        &spec,
        &json["spec"],
        SPEC,
        "the Application's spec",
        None,
    );
    for (i, c) in json["spec"]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = path!["spec", "components", i];
        let props = type_properties(schema, "Component", c);
        check_keys(ctx, &at, c, COMPONENT, "a component", props.as_ref());
        for (t, tr) in c["traits"].as_array().into_iter().flatten().enumerate() {
            let at = path!["spec", "components", i, "traits", t];
            let props = type_properties(schema, "Trait", tr);
            check_keys(ctx, &at, tr, TRAIT, "a trait", props.as_ref());
        }
    }
    for (i, p) in json["spec"]["policies"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = path!["spec", "policies", i];
        let props = type_properties(schema, "Policy", p);
        check_keys(ctx, &at, p, POLICY, "a policy", props.as_ref());
    }
}

/// The type's name and its property names, for a type oamc knows.
struct TypeProperties {
    type_name: String,
    names: Vec<String>,
}

/// The schema of `properties` for the value's `type`: the `allOf` branch of
/// the envelope's definition whose `if` names that type.
fn type_properties(schema: &Value, definition: &str, value: &Value) -> Option<TypeProperties> {
    let type_name = value.get("type")?.as_str()?;
    let branches = schema
        .pointer(&format!("/definitions/{definition}/allOf"))?
        .as_array()?;
    let branch = branches
        .iter()
        .find(|b| b.pointer("/if/properties/type/const") == Some(&Value::from(type_name)))?;
    let reference = branch
        .pointer("/then/properties/properties/$ref")?
        .as_str()?;
    let target = walk(
        schema,
        &reference
            .trim_start_matches("#/")
            .split('/')
            .map(str::to_owned)
            .collect::<Vec<_>>(),
    )?;
    Some(TypeProperties {
        type_name: type_name.to_owned(),
        names: target
            .get("properties")?
            .as_object()?
            .keys()
            .cloned()
            .collect(),
    })
}

fn check_keys(
    ctx: &mut DocContext,
    at: &[Seg],
    value: &Value,
    known: &[&str],
    what: &str,
    props: Option<&TypeProperties>,
) {
    let Some(map) = value.as_object() else { return };
    for key in map.keys() {
        if known.contains(&key.as_str()) {
            continue;
        }
        let pos = ctx.key_pos(at, key);
        let (message, help) = match props.filter(|p| p.names.contains(key)) {
            Some(p) => (
                format!(
                    "`{key}` is a property of `{}`, written beside `properties`: it would be dropped",
                    p.type_name
                ),
                "indent it one level deeper, under `properties`".to_owned(),
            ),
            None => (
                format!("{what} has no key `{key}`: it would be dropped"),
                plural(key, known)
                    .map(|k| format!("did you mean `{k}`?"))
                    .or_else(|| super::did_you_mean(key, known.iter().copied()))
                    .unwrap_or_else(|| format!("{what} has {}", known.join(", "))),
            ),
        };
        ctx.push_at(Code::MisplacedKey, pos, message).help = Some(help);
    }
}

/// `policy` for `policies`, `trait` for `traits`: the list's name in the
/// singular, further from it than a typo.
fn plural<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let forms = [
        format!("{key}s"),
        format!("{}ies", key.strip_suffix('y').unwrap_or(key)),
    ];
    known.iter().copied().find(|k| forms.iter().any(|f| f == k))
}
