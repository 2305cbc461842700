//! The Kargo pipeline: the PromotionTask really edits the image of the right
//! component in the stage's Application, the stage graph and auto-promotion
//! are what the policy says, and the Warehouse subscription is one Kargo reads.

use crate::common::*;
use serde_json::{Value, json};

fn render(case: &str) -> (Value, Vec<Value>) {
    let input = format!("fixtures/render/{case}/application.yaml");
    let out = oamc(&["render", &input], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let app: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(root().join(&input)).unwrap()).unwrap();
    (app, yaml_docs(&text(&out.stdout)))
}

fn kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

/// Kargo's yaml-update key: dot-separated, `\.` for a literal dot, numbers index lists.
fn key_path(key: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                parts.last_mut().unwrap().push(chars.next().unwrap())
            }
            '.' => parts.push(String::new()),
            c => parts.last_mut().unwrap().push(c),
        }
    }
    parts
}

fn set(doc: &mut Value, path: &[String], value: Value) {
    let (last, parents) = path.split_last().unwrap();
    let mut node = doc;
    for p in parents {
        node = match node {
            Value::Array(items) => &mut items[p.parse::<usize>().expect("index")],
            Value::Object(map) => map.entry(p.clone()).or_insert(json!({})),
            _ => panic!("{p} leads nowhere"),
        };
    }
    match node {
        Value::Array(items) => items[last.parse::<usize>().unwrap()] = value,
        Value::Object(map) => {
            map.insert(last.clone(), value);
        }
        _ => panic!("cannot set {last}"),
    }
}

/// Every leaf path whose value differs.
fn changed(a: &Value, b: &Value, path: String, out: &mut Vec<String>) {
    let empty = Value::Object(Default::default());
    let (a, b) = match (a, b) {
        (Value::Null, Value::Object(_)) => (&empty, b),
        (Value::Object(_), Value::Null) => (a, &empty),
        _ => (a, b),
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                changed(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    format!("{path}/{k}"),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                changed(p, q, format!("{path}/{i}"), out);
            }
        }
        _ if a != b => out.push(path),
        _ => {}
    }
}

#[test]
fn the_promotion_task_updates_exactly_the_image_and_the_publish_version() {
    for (case, component) in [
        ("promotion-default", "storefront"),
        ("promotion-three-stages", "worker"),
        ("promotion-custom-from", "search"),
    ] {
        let (app, docs) = render(case);
        let task = kind(&docs, "PromotionTask")[0];
        let update = task["spec"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["uses"] == "yaml-update")
            .expect("a yaml-update step");
        let mut promoted = app.clone();
        for u in update["config"]["updates"].as_array().unwrap() {
            let key = u["key"].as_str().unwrap();
            set(
                &mut promoted,
                &key_path(key),
                json!("registry.example.com/new:9.9.9"),
            );
        }
        let mut diff = Vec::new();
        changed(&app, &promoted, String::new(), &mut diff);
        let index = app["spec"]["components"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["name"] == component)
            .unwrap();
        let allowed = [
            format!("/spec/components/{index}/properties/image"),
            "/metadata/annotations/app.oam.dev/publishVersion".to_owned(),
        ];
        assert!(
            diff.iter().all(|p| allowed.contains(p)),
            "{case}: only the image and the annotation may change: {diff:?}"
        );
        assert!(
            diff.contains(&format!("/spec/components/{index}/properties/image")),
            "{case}: {diff:?}"
        );
        assert!(diff.len() <= 2, "{case}: {diff:?}");
        assert_eq!(promoted["spec"]["components"][index]["name"], component);
    }
}

#[test]
fn stages_take_freight_from_upstream_and_auto_promote_as_marked() {
    let stages_of = |docs: &[Value]| -> Vec<(String, Value)> {
        kind(docs, "Stage")
            .iter()
            .map(|s| {
                (
                    s["metadata"]["name"].as_str().unwrap().to_owned(),
                    s["spec"]["requestedFreight"][0]["sources"].clone(),
                )
            })
            .collect()
    };
    let auto_of = |docs: &[Value]| -> Vec<String> {
        kind(docs, "ProjectConfig")[0]["spec"]["promotionPolicies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["autoPromotionEnabled"] == true)
            .map(|p| p["stageSelector"]["name"].as_str().unwrap().to_owned())
            .collect()
    };

    let (_, docs) = render("promotion-default");
    assert_eq!(
        stages_of(&docs),
        [
            ("dev".into(), json!({"direct": true})),
            ("prod".into(), json!({"stages": ["dev"]}))
        ]
    );
    assert_eq!(auto_of(&docs), ["dev"]);
    assert_eq!(kind(&docs, "Project")[0]["metadata"]["name"], "shop-kargo");
    for d in docs.iter().filter(|d| {
        d["apiVersion"]
            .as_str()
            .unwrap()
            .starts_with("kargo.akuity.io/")
            && d["kind"] != "Project"
    }) {
        assert_eq!(d["metadata"]["namespace"], "shop-kargo", "{}", d["kind"]);
    }

    let (_, docs) = render("promotion-three-stages");
    assert_eq!(auto_of(&docs), ["dev", "staging"]);
    assert_eq!(
        stages_of(&docs)[2],
        ("prod".into(), json!({"stages": ["staging"]}))
    );

    let (_, docs) = render("promotion-custom-from");
    assert_eq!(
        stages_of(&docs),
        [
            ("dev".into(), json!({"direct": true})),
            ("qa".into(), json!({"stages": ["dev"]})),
            ("perf".into(), json!({"stages": ["dev"]})),
            ("prod".into(), json!({"stages": ["qa"]})),
        ]
    );
    assert_eq!(auto_of(&docs), ["dev"]);
}

#[test]
fn without_the_policy_no_kargo_resource_is_rendered() {
    for case in cases("render") {
        let input = std::fs::read_to_string(case.join("application.yaml")).unwrap();
        let expected = std::fs::read_to_string(case.join("expected.yaml")).unwrap();
        let has_policy = input.contains("type: kargo-promotion");
        assert_eq!(
            expected.contains("kargo.akuity.io/"),
            has_policy,
            "{}",
            case.display()
        );
    }
}

/// Kargo v1.11's CRD leaves Warehouse subscriptions open (preserve unknown
/// fields); this is the image subscription as Kargo's API types define it.
#[test]
fn warehouse_subscriptions_are_image_subscriptions_kargo_reads() {
    let schema = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["image"],
        "properties": { "image": {
            "type": "object",
            "additionalProperties": false,
            "required": ["repoURL"],
            "properties": {
                "repoURL": { "type": "string", "pattern": "^(\\w+([\\.-]\\w+)*(:[\\d]+)?/)?(\\w+([\\.-]\\w+)*)(/\\w+([\\.-]\\w+)*)*$" },
                "imageSelectionStrategy": { "enum": ["SemVer", "Digest", "Lexical", "NewestBuild"] },
                "constraint": { "type": "string" },
                "allowTagsRegexes": { "type": "array", "items": { "type": "string" } },
                "ignoreTagsRegexes": { "type": "array", "items": { "type": "string" } },
                "strictSemvers": { "type": "boolean" },
                "discoveryLimit": { "type": "integer", "minimum": 1, "maximum": 100 }
            }
        }}
    });
    let validator = jsonschema::validator_for(&schema).unwrap();
    for case in [
        "promotion-default",
        "promotion-three-stages",
        "promotion-custom-from",
    ] {
        let (_, docs) = render(case);
        let warehouse = kind(&docs, "Warehouse")[0];
        for sub in warehouse["spec"]["subscriptions"].as_array().unwrap() {
            let errors: Vec<String> = validator.iter_errors(sub).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{case}: {errors:?}");
        }
    }
}

#[test]
fn kargo_expressions_survive_templating_intact() {
    let (_, docs) = render("promotion-three-stages");
    let task = serde_json::to_string(kind(&docs, "PromotionTask")[0]).unwrap();
    for expr in [
        "${{ vars.repoURL }}",
        "${{ vars.branch }}",
        "./src/apps/payments/${{ ctx.stage }}",
        "stage/${{ ctx.stage }}",
        "./out/apps/payments/${{ ctx.stage }}/application.yaml",
        "${{ vars.imageRepo }}:${{ imageFrom(vars.imageRepo).Tag }}",
        "${{ ctx.stage }}-payments",
        "${{ task.outputs.push.commit }}",
    ] {
        assert!(task.contains(expr), "{expr} missing from {task}");
    }
    let (_, docs) = render("promotion-custom-from");
    let task = serde_json::to_string(kind(&docs, "PromotionTask")[0]).unwrap();
    assert!(
        task.contains("${{ vars.imageRepo }}@${{ imageFrom(vars.imageRepo).Digest }}"),
        "Digest pins by digest"
    );
}
