//! What the API server checks of the objects oamc writes beyond their OpenAPI
//! schema (which `Crds` holds them to): names, labels, annotations, the pod
//! template's containers, resources, volumes and probes, claims, Ingress
//! hosts and paths, Service ports (kubernetes v1.33
//! `pkg/apis/core/validation/validation.go`, `pkg/apis/networking/validation`,
//! apimachinery `pkg/api/validation/objectmeta.go`). A custom resource's pod
//! template (a Rollout's, a Job gate's) is checked as the ReplicaSet or Job
//! the controller makes of it will be.
//!
//! The string rules are oamc's own (`oamc::check::syntax`), each held to
//! apimachinery's test tables; this model is where they apply, written from
//! the objects' side, so that a field oamc copies without checking it shows
//! here. It runs over every golden fixture, and the differential test runs it
//! over every variant oamc accepts.

use crate::common::*;
use oamc::check::quantity;
use oamc::check::syntax;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Why the API server (or, for a custom resource's pod template, the
/// controller's child object) would refuse `doc`: one line per finding.
pub fn refusals(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let kind = doc["kind"].as_str().unwrap_or("?");
    let name = doc["metadata"]["name"].as_str().unwrap_or("");
    let mut say = |what: String| out.push(format!("{kind}/{name}: {what}"));
    object_meta(kind, &doc["metadata"], &mut say);
    let spec = &doc["spec"];
    match kind {
        "Rollout" => {
            meta_labels(&spec["template"]["metadata"], "template", &mut say);
            pod_spec(&spec["template"]["spec"], &mut say);
        }
        "AnalysisTemplate" => {
            for m in spec["metrics"].as_array().into_iter().flatten() {
                let job = &m["provider"]["job"];
                if job.is_object() {
                    pod_spec(&job["spec"]["template"]["spec"], &mut say);
                }
            }
        }
        "PersistentVolumeClaim" => {
            let storage = &spec["resources"]["requests"]["storage"];
            match quantity_of(storage) {
                Some(q) if q > quantity::Quantity::ZERO => {}
                _ => say(format!("claim size {storage} is not a positive quantity")),
            }
            if let Some(class) = spec["storageClassName"].as_str() {
                check(
                    &mut say,
                    "storageClassName",
                    class,
                    syntax::dns1123_subdomain,
                );
            }
        }
        "Ingress" => ingress(spec, &mut say),
        "Service" => {
            for p in spec["ports"].as_array().into_iter().flatten() {
                port_number(&p["port"], "Service port", &mut say);
                if let Some(n) = p["name"].as_str() {
                    check(&mut say, "Service port name", n, syntax::dns1123_label);
                }
            }
            labels(&spec["selector"], "selector", &mut say);
        }
        "HorizontalPodAutoscaler" => {
            let (min, max) = (spec["minReplicas"].as_i64(), spec["maxReplicas"].as_i64());
            if min.is_some_and(|m| m < 1) || max.is_none_or(|m| m < min.unwrap_or(1)) {
                say(format!("replicas {min:?}..{max:?}"));
            }
        }
        _ => {}
    }
    out
}

fn check(
    say: &mut impl FnMut(String),
    what: &str,
    value: &str,
    rule: fn(&str) -> Result<(), syntax::Invalid>,
) {
    if let Err(why) = rule(value) {
        say(format!("{what} {value:?} {why}"));
    }
}

fn object_meta(kind: &str, meta: &Value, say: &mut impl FnMut(String)) {
    let name = meta["name"].as_str().unwrap_or("");
    let rule = match kind {
        "Service" => syntax::dns1035_label,
        _ => syntax::dns1123_subdomain,
    };
    check(say, "name", name, rule);
    if let Some(ns) = meta["namespace"].as_str() {
        check(say, "namespace", ns, syntax::dns1123_label);
    }
    meta_labels(meta, "metadata", say);
}

fn meta_labels(meta: &Value, at: &str, say: &mut impl FnMut(String)) {
    labels(&meta["labels"], &format!("{at}.labels"), say);
    let mut total = 0;
    for (k, v) in meta["annotations"].as_object().into_iter().flatten() {
        check(
            say,
            &format!("{at}.annotations key"),
            k,
            syntax::qualified_name,
        );
        total += k.len() + v.as_str().map_or(0, str::len);
    }
    if total > 256 * 1024 {
        say(format!("{at}.annotations total {total} bytes"));
    }
}

fn labels(map: &Value, at: &str, say: &mut impl FnMut(String)) {
    for (k, v) in map.as_object().into_iter().flatten() {
        check(say, &format!("{at} key"), k, syntax::qualified_name);
        match v.as_str() {
            Some(v) => check(say, &format!("{at}[{k}]"), v, syntax::label_value),
            None => say(format!("{at}[{k}] is not text: {v}")),
        }
    }
}

fn port_number(port: &Value, what: &str, say: &mut impl FnMut(String)) {
    if !port.as_u64().is_some_and(|p| (1..=65535).contains(&p)) {
        say(format!("{what} {port} is not 1-65535"));
    }
}

/// apimachinery `IsValidPortName`: an IANA service name.
fn port_name(name: &str, what: &str, say: &mut impl FnMut(String)) {
    let ok = name.len() <= 15
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && syntax::dns1123_label(name).is_ok()
        && !name.contains("--");
    if !ok {
        say(format!("{what} name {name:?}"));
    }
}

fn quantity_of(v: &Value) -> Option<quantity::Quantity> {
    match v {
        Value::String(s) => quantity::parse(s).ok(),
        Value::Number(n) => quantity::parse(&n.to_string()).ok(),
        _ => None,
    }
}

fn pod_spec(spec: &Value, say: &mut impl FnMut(String)) {
    let mut volumes = BTreeSet::new();
    for v in spec["volumes"].as_array().into_iter().flatten() {
        let name = v["name"].as_str().unwrap_or("");
        check(say, "volume name", name, syntax::dns1123_label);
        if !volumes.insert(name) {
            say(format!("volume {name:?} twice"));
        }
        for (source, field) in [
            ("persistentVolumeClaim", "claimName"),
            ("configMap", "name"),
            ("secret", "secretName"),
        ] {
            if let Some(n) = v[source][field].as_str() {
                check(
                    say,
                    &format!("{source}.{field}"),
                    n,
                    syntax::dns1123_subdomain,
                );
            }
        }
    }
    if let Some(sa) = spec["serviceAccountName"].as_str() {
        check(say, "serviceAccountName", sa, syntax::dns1123_subdomain);
    }
    let mut names = BTreeSet::new();
    let containers = spec["containers"].as_array().into_iter().flatten();
    let init = spec["initContainers"].as_array().into_iter().flatten();
    for c in containers.chain(init) {
        let name = c["name"].as_str().unwrap_or("");
        check(say, "container name", name, syntax::dns1123_label);
        if !names.insert(name) {
            say(format!("container {name:?} twice"));
        }
        if c["image"].as_str().is_none_or(|i| i.trim().is_empty()) {
            say(format!("container {name:?} has no image"));
        }
        for e in c["env"].as_array().into_iter().flatten() {
            check(
                say,
                "env name",
                e["name"].as_str().unwrap_or(""),
                syntax::env_var_name,
            );
        }
        for p in c["ports"].as_array().into_iter().flatten() {
            port_number(&p["containerPort"], "containerPort", say);
        }
        resources(&c["resources"], say);
        let mut mounts = BTreeSet::new();
        for m in c["volumeMounts"].as_array().into_iter().flatten() {
            let vol = m["name"].as_str().unwrap_or("");
            if !volumes.contains(vol) {
                say(format!("mount of {vol:?}, which is no volume"));
            }
            let path = m["mountPath"].as_str().unwrap_or("");
            if path.is_empty() || !mounts.insert(path) {
                say(format!("mountPath {path:?} empty or twice"));
            }
            if let Some(sub) = m["subPath"].as_str()
                && (sub.starts_with('/') || sub.split('/').any(|p| p == ".."))
            {
                say(format!("subPath {sub:?} leaves the volume"));
            }
        }
        probe(&c["readinessProbe"], say);
    }
}

fn resources(r: &Value, say: &mut impl FnMut(String)) {
    let side = |k: &str| r[k].as_object().cloned().unwrap_or_default();
    let (requests, limits) = (side("requests"), side("limits"));
    for (k, v) in requests.iter().chain(&limits) {
        match quantity_of(v) {
            Some(q) if q >= quantity::Quantity::ZERO => {}
            _ => say(format!("resource {k} = {v} is not a non-negative quantity")),
        }
        let standard = ["cpu", "memory", "ephemeral-storage"].contains(&k.as_str())
            || k.starts_with("hugepages-")
            || k.contains('/');
        if !standard {
            say(format!("resource name {k:?} is not one a container takes"));
        }
    }
    for (k, request) in &requests {
        if let (Some(req), Some(lim)) = (quantity_of(request), limits.get(k).and_then(quantity_of))
            && req > lim
        {
            say(format!("request {k} {request} is above its limit"));
        }
    }
}

fn probe(p: &Value, say: &mut impl FnMut(String)) {
    let Some(p) = p.as_object() else { return };
    let handlers = ["exec", "httpGet", "tcpSocket", "grpc"]
        .iter()
        .filter(|h| p.contains_key(**h))
        .count();
    if handlers != 1 {
        say(format!("readiness probe with {handlers} handlers"));
    }
    for h in ["httpGet", "tcpSocket"] {
        match &p.get(h).map(|h| &h["port"]) {
            Some(Value::String(name)) => port_name(name, "probe port", say),
            Some(port) => port_number(port, "probe port", say),
            None => {}
        }
    }
    if let Some(exec) = p.get("exec")
        && exec["command"].as_array().is_none_or(Vec::is_empty)
    {
        say("exec probe without a command".into());
    }
}

fn ingress(spec: &Value, say: &mut impl FnMut(String)) {
    if let Some(class) = spec["ingressClassName"].as_str() {
        check(say, "ingressClassName", class, syntax::dns1123_subdomain);
    }
    for rule in spec["rules"].as_array().into_iter().flatten() {
        if let Some(host) = rule["host"].as_str() {
            check(
                say,
                "host",
                host.strip_prefix("*.").unwrap_or(host),
                syntax::dns1123_subdomain,
            );
        }
        let paths = rule["http"]["paths"].as_array();
        if paths.is_none_or(Vec::is_empty) {
            say("a rule without paths".into());
        }
        for p in paths.into_iter().flatten() {
            let path = p["path"].as_str().unwrap_or("");
            match p["pathType"].as_str() {
                Some("Prefix" | "Exact") => {
                    check(say, "Prefix path", path, syntax::ingress_prefix_path)
                }
                Some("ImplementationSpecific") if !path.is_empty() && !path.starts_with('/') => {
                    say(format!("path {path:?} is not absolute"))
                }
                Some("ImplementationSpecific") => {}
                other => say(format!("pathType {other:?}")),
            }
            let backend = &p["backend"]["service"];
            check(
                say,
                "backend",
                backend["name"].as_str().unwrap_or(""),
                syntax::dns1035_label,
            );
            match backend["port"]["name"].as_str() {
                Some(name) => port_name(name, "backend port", say),
                None => port_number(&backend["port"]["number"], "backend port", say),
            }
        }
    }
}

/// Every document of every golden fixture passes.
#[test]
fn every_golden_fixture_passes_the_api_servers_checks() {
    let mut found = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("fixtures/render")).unwrap() {
        let expected = entry.unwrap().path().join("expected.yaml");
        let Ok(text) = std::fs::read_to_string(&expected) else {
            continue;
        };
        for doc in yaml_docs(&text) {
            seen += 1;
            found.extend(
                refusals(&doc)
                    .into_iter()
                    .map(|r| format!("{}: {r}", expected.display())),
            );
        }
    }
    assert!(seen > 100, "only {seen} documents");
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The model refuses what the API server refuses: a check that cannot fail
/// would pass every fixture too.
#[test]
fn the_model_refuses_what_the_api_server_refuses() {
    let rollout = |container: Value, volumes: Value| {
        json!({
            "kind": "Rollout", "metadata": {"name": "shop", "labels": {"app": "shop"}},
            "spec": {"template": {"metadata": {}, "spec": {"containers": [container], "volumes": volumes}}}
        })
    };
    let ok = json!({"name": "shop", "image": "shop:1"});
    assert_eq!(
        refusals(&rollout(ok.clone(), json!([]))),
        Vec::<String>::new()
    );
    let bad_containers = [
        json!({"name": "Shop", "image": "shop:1"}),
        json!({"name": "shop", "image": ""}),
        json!({"name": "shop", "image": "s:1", "env": [{"name": "ünï"}]}),
        json!({"name": "shop", "image": "s:1", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}),
        json!({"name": "shop", "image": "s:1", "resources": {"requests": {"memory": "-1Gi"}}}),
        json!({"name": "shop", "image": "s:1", "resources": {"requests": {"gpu": "1"}}}),
        json!({"name": "shop", "image": "s:1", "resources": {"limits": {"cpu": "512mi"}}}),
        json!({"name": "shop", "image": "s:1", "readinessProbe": {"httpGet": {"port": "8080"}}}),
        json!({"name": "shop", "image": "s:1", "readinessProbe": {"exec": {"command": []}}}),
        json!({"name": "shop", "image": "s:1", "volumeMounts": [{"name": "nope", "mountPath": "/x"}]}),
    ];
    for c in bad_containers {
        assert!(!refusals(&rollout(c.clone(), json!([]))).is_empty(), "{c}");
    }
    let mount = json!({"name": "shop", "image": "s:1", "volumeMounts": [{"name": "d", "mountPath": "/d", "subPath": "../x"}]});
    assert!(!refusals(&rollout(mount, json!([{"name": "d", "emptyDir": {}}]))).is_empty());
    let long = "x".repeat(64);
    let labelled = json!({"kind": "Service", "metadata": {"name": "shop", "labels": {"app.kubernetes.io/part-of": long}}, "spec": {}});
    assert!(!refusals(&labelled).is_empty());
    let ingress = |path: &str, ty: &str| {
        json!({"kind": "Ingress", "metadata": {"name": "shop"}, "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [
            {"path": path, "pathType": ty, "backend": {"service": {"name": "shop", "port": {"number": 80}}}}
        ]}}]}})
    };
    assert!(refusals(&ingress("/a", "Prefix")).is_empty());
    assert!(!refusals(&ingress("/a//b", "Prefix")).is_empty());
    assert!(!refusals(&ingress("a", "ImplementationSpecific")).is_empty());
    let claim = json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "c"}, "spec": {"resources": {"requests": {"storage": "0"}}}});
    assert!(!refusals(&claim).is_empty());
}

/// Values that break one rule or another of the API server's.
const EDGES: &[&str] = &[
    "", " ", "ünï", "-1", "0", "/a//b", "../x", "A_B", "a=b", "1.5", "*", "a\u{7f}",
];

/// Every string of every fixture Application — a property of a component,
/// a trait or a policy, a path, a resource or label name — replaced in turn
/// by each of [`EDGES`] and by 300 characters: oamc refuses it, or renders
/// objects the API server accepts. The hunt for a field oamc copies
/// unchecked, over every definition a fixture uses.
#[test]
fn every_string_of_every_fixture_is_refused_or_accepted_by_the_api_server() {
    let mut apps = Vec::new();
    for entry in std::fs::read_dir(root().join("fixtures/render")).unwrap() {
        let file = entry.unwrap().path().join("application.yaml");
        if let Ok(text) = std::fs::read_to_string(&file) {
            apps.extend(
                yaml_docs(&text)
                    .into_iter()
                    .filter(|d| d["kind"] == "Application"),
            );
        }
    }
    assert!(apps.len() >= 15, "{} Applications", apps.len());
    let long = "x".repeat(300);
    let edges: Vec<&str> = EDGES.iter().copied().chain([long.as_str()]).collect();
    let mut seen = BTreeSet::new();
    let (mut tried, mut rendered) = (0, 0);
    let mut found = Vec::new();
    for app in &apps {
        for (at, is_key) in strings(app) {
            // One family of places once: a fixture's second `env[3].value` adds nothing.
            let shape: String = at
                .iter()
                .map(|s| if s.parse::<usize>().is_ok() { "#" } else { s })
                .collect::<Vec<_>>()
                .join(".");
            if !seen.insert((shape.clone(), is_key)) {
                continue;
            }
            for edge in &edges {
                let Some(mutated) = replaced(app, &at, is_key, edge) else {
                    continue;
                };
                tried += 1;
                let Ok(out) = compile_source("edge.yaml", &mutated.to_string()) else {
                    continue;
                };
                rendered += 1;
                for doc in yaml_docs(&out) {
                    for r in refusals(&doc) {
                        found.push(format!(
                            "{shape}{} = {edge:.20?}: {r}",
                            if is_key { " (key)" } else { "" }
                        ));
                    }
                }
            }
        }
    }
    eprintln!("{tried} edges tried, {rendered} rendered");
    assert!(
        tried > 1000 && rendered > 100,
        "{tried} tried, {rendered} rendered"
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The places of `v`'s strings: each string value's path, and each key of
/// a map whose keys are the user's (paths, resource names, labels).
fn strings(v: &Value) -> Vec<(Vec<String>, bool)> {
    fn walk(v: &Value, at: &mut Vec<String>, out: &mut Vec<(Vec<String>, bool)>) {
        match v {
            Value::String(_) => out.push((at.clone(), false)),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    at.push(i.to_string());
                    walk(item, at, out);
                    at.pop();
                }
            }
            Value::Object(map) => {
                let user_keys = matches!(
                    at.last().map(String::as_str),
                    Some("http" | "requests" | "limits")
                ) || (at.last().is_some_and(|k| k == "properties")
                    && v.get("type").is_none()
                    && at.len() >= 2);
                for (k, item) in map {
                    at.push(k.clone());
                    if user_keys {
                        out.push((at.clone(), true));
                    }
                    walk(item, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out.retain(|(at, _)| at.first().is_some_and(|k| k == "spec" || k == "metadata"));
    out
}

/// `v` with the string (or key) at `at` replaced by `edge`.
fn replaced(v: &Value, at: &[String], is_key: bool, edge: &str) -> Option<Value> {
    let mut out = v.clone();
    let (last, parent) = at.split_last()?;
    let mut slot = &mut out;
    for step in parent {
        slot = match slot {
            Value::Object(m) => m.get_mut(step)?,
            Value::Array(a) => a.get_mut(step.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    if is_key {
        let map = slot.as_object_mut()?;
        let value = map.remove(last)?;
        map.insert(edge.to_owned(), value);
    } else {
        let target = match slot {
            Value::Object(m) => m.get_mut(last)?,
            Value::Array(a) => a.get_mut(last.parse::<usize>().ok()?)?,
            _ => return None,
        };
        *target = json!(edge);
    }
    Some(out)
}
