//! The Argo CD plugin contract: run plugin.yaml's own `generate` and
//! `discover` commands, exactly as written, in a copy of a repository, with
//! the environment Argo CD sets.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn plugin_command(key: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("cmp/plugin.yaml")).unwrap();
    let plugin: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    let cmd = plugin["spec"]
        .pointer(key)
        .and_then(Value::as_array)
        .expect("command in plugin.yaml");
    cmd.iter().map(|c| c.as_str().unwrap().to_owned()).collect()
}

/// A throwaway repository: `deployment/dev/application.yaml` plus a non-OAM file.
fn repo(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oamc-cmp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("deployment/dev")).unwrap();
    std::fs::copy(
        root().join("fixtures/render/promotion-default/application.yaml"),
        dir.join("deployment/dev/application.yaml"),
    )
    .unwrap();
    std::fs::write(dir.join("kustomization.yaml"), "resources: []\n").unwrap();
    dir
}

/// Run a plugin command the way the CMP server does: in the source directory,
/// with Argo CD's variables, and with `oamc` found on PATH.
fn run(command: &[String], dir: &Path, params: Option<&str>) -> Output {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_oamc"))
        .parent()
        .unwrap()
        .to_owned();
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..])
        .current_dir(dir)
        .env_clear()
        .env("PATH", bin_dir)
        .env("ARGOCD_APP_NAME", "shop-dev")
        .env("ARGOCD_APP_NAMESPACE", "shop-dev")
        .env("ARGOCD_APP_REVISION", "0123456789abcdef")
        .env("ARGOCD_APP_SOURCE_PATH", ".")
        .env("ARGOCD_ENV_SECRET_TOKEN", "do-not-leak-me");
    if let Some(p) = params {
        cmd.env("ARGOCD_APP_PARAMETERS", p);
    }
    cmd.output().expect("plugin command runs")
}

#[test]
fn generate_writes_only_valid_manifests() {
    let dir = repo("ok");
    let out = run(&plugin_command("/generate/command"), &dir, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let docs = yaml_docs(&stdout);
    assert!(docs.len() > 5);
    let crds = Crds::load();
    for doc in &docs {
        for key in ["apiVersion", "kind"] {
            assert!(doc[key].is_string(), "{doc}");
        }
        assert!(doc["metadata"]["name"].is_string());
        if let Some(errors) = crds.errors(doc) {
            assert!(errors.is_empty(), "{errors:?}");
        }
    }
    // The destination namespace is the default namespace; nothing of the environment leaks.
    let rollout = docs.iter().find(|d| d["kind"] == "Rollout").unwrap();
    assert_eq!(rollout["metadata"]["namespace"], "shop-dev");
    assert!(!stdout.contains("do-not-leak-me") && !stdout.contains("0123456789abcdef"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn parameters_shape_the_output() {
    let dir = repo("params");
    let params = r#"[{"name":"namespace","string":"team-x"},{"name":"promotion","string":"skip"},{"name":"prometheus-address","string":"http://prom:9090"}]"#;
    let out = run(&plugin_command("/generate/command"), &dir, Some(params));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = yaml_docs(&text(&out.stdout));
    assert!(docs.iter().all(|d| {
        !d["apiVersion"]
            .as_str()
            .unwrap()
            .starts_with("kargo.akuity.io")
    }));
    assert!(docs.iter().all(|d| d["metadata"]["namespace"] == "team-x"));

    let out = run(
        &plugin_command("/generate/command"),
        &dir,
        Some(r#"[{"name":"colour","string":"red"}]"#),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("unknown plugin parameter `colour`"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_broken_manifest_fails_with_nothing_on_stdout() {
    let dir = repo("broken");
    let app = dir.join("deployment/dev/application.yaml");
    let text_in = std::fs::read_to_string(&app)
        .unwrap()
        .replace("pause: 20s", "pause: soon");
    std::fs::write(&app, text_in).unwrap();
    let out = run(&plugin_command("/generate/command"), &dir, None);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty(),
        "Argo CD would apply a partial stream"
    );
    assert!(
        text(&out.stderr).contains("deployment/dev/application.yaml:17:18"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn discover_matches_directories_that_hold_an_application() {
    let dir = repo("discover");
    let out = run(&plugin_command("/discover/find/command"), &dir, None);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "deployment/dev/application.yaml\n");

    std::fs::remove_dir_all(dir.join("deployment")).unwrap();
    let out = run(&plugin_command("/discover/find/command"), &dir, None);
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty(),
        "no Application: Argo CD must not pick this plugin"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn paths_out_of_the_source_directory_are_refused() {
    let outside = std::env::temp_dir().join(format!("oamc-cmp-outside-{}", std::process::id()));
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("rollout.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n",
    )
    .unwrap();
    let generate = plugin_command("/generate/command");

    // A templates parameter climbing out, absolute or relative.
    let dir = repo("escape");
    for templates in ["../../etc", "/etc", outside.to_str().unwrap()] {
        let params = format!(r#"[{{"name":"templates","string":"{templates}"}}]"#);
        let out = run(&generate, &dir, Some(&params));
        assert_eq!(out.status.code(), Some(1), "{templates}");
        assert!(out.stdout.is_empty());
        assert!(
            text(&out.stderr).contains("oamc reads only inside the source directory"),
            "{}",
            text(&out.stderr)
        );
    }

    // A templates folder inside, holding a link out.
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("rollout.yaml"),
        dir.join("templates/rollout.yaml"),
    )
    .unwrap();
    let out = run(
        &generate,
        &dir,
        Some(r#"[{"name":"templates","string":"templates"}]"#),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());

    // A manifest that is a link out of the tree.
    let dir2 = repo("escape-link");
    std::os::unix::fs::symlink(
        outside.join("rollout.yaml"),
        dir2.join("deployment/dev/linked.yaml"),
    )
    .unwrap();
    let out = run(&generate, &dir2, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("led outside")
            && text(&out.stderr).contains("oamc reads only inside the source directory"),
        "{}",
        text(&out.stderr)
    );

    for d in [dir, dir2, outside] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Run `generate` with extra environment variables.
fn generate_with(dir: &Path, params: Option<&str>, env: &[(&str, &str)]) -> Output {
    let command = plugin_command("/generate/command");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_oamc")).parent().unwrap();
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..])
        .current_dir(dir)
        .env_clear()
        .env("PATH", bin_dir)
        .env("ARGOCD_APP_NAMESPACE", "shop-dev");
    if let Some(p) = params {
        cmd.env("ARGOCD_APP_PARAMETERS", p);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("plugin command runs")
}

/// Parameters are read through the CLI's own settings table: a wrong JSON
/// shape, a name given twice, an unknown `PARAM_*` and a value the flag
/// would refuse all fail the sync with nothing on stdout.
#[test]
fn parameters_of_the_wrong_shape_or_name_are_refused() {
    let dir = repo("param-shapes");
    let refused = [
        (
            Some(r#"[{"name":"namespace","array":["a"]}]"#),
            vec![],
            "must be a string",
        ),
        (
            Some(r#"[{"name":"namespace","string":"a"},{"name":"namespace","string":"b"}]"#),
            vec![],
            "given twice",
        ),
        (
            Some(r#"[{"name":"namespace","string":"Bad NS!"}]"#),
            vec![],
            "Bad NS!",
        ),
        (
            Some(r#"[{"name":"strict","string":"maybe"}]"#),
            vec![],
            "true or false",
        ),
        (
            Some(r#"{"name":"namespace"}"#),
            vec![],
            "not a list of parameters",
        ),
        (None, vec![("PARAM_FOO", "1")], "PARAM_FOO"),
        (None, vec![("PARAM_NAMESPACE", "Bad NS!")], "Bad NS!"),
        (
            Some(r#"[{"name":"namespace","string":"ok"}]"#),
            vec![("PARAM_COLOUR", "red")],
            "PARAM_COLOUR",
        ),
    ];
    for (params, env, message) in refused {
        let out = generate_with(&dir, params, &env);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{params:?} {env:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{params:?} {env:?}");
        assert!(stderr.contains(message), "{params:?} {env:?}: {stderr}");
        assert!(stderr.contains("oamc::plugin::parameter"), "{stderr}");
    }
    // The flattened form alone works, and every setting of the CLI is a parameter.
    let out = generate_with(
        &dir,
        None,
        &[
            ("PARAM_NAMESPACE", "team-y"),
            ("PARAM_NO_PDB", "true"),
            ("PARAM_PROMOTION", "skip"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = yaml_docs(&text(&out.stdout));
    assert!(docs.iter().all(|d| d["metadata"]["namespace"] == "team-y"));
    assert!(!docs.iter().any(|d| d["kind"] == "PodDisruptionBudget"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// plugin.yaml announces exactly the settings table, with its defaults.
#[test]
fn plugin_yaml_announces_every_setting() {
    let text = std::fs::read_to_string(root().join("cmp/plugin.yaml")).unwrap();
    let plugin: Value = serde_saphyr::from_str(&text).unwrap();
    let announced = plugin["spec"]["parameters"]["static"].as_array().unwrap();
    let names: Vec<&str> = announced
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let table = oamc::settings::Settings::table();
    let expected: Vec<&str> = table.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, expected);
    // The name the stages' Argo CD Applications use for the plugin.
    assert_eq!(
        format!(
            "{}-{}",
            plugin["metadata"]["name"].as_str().unwrap(),
            plugin["spec"]["version"].as_str().unwrap()
        ),
        oamc::names::PLUGIN_NAME
    );
    for (param, setting) in announced.iter().zip(&table) {
        let default = match (&setting.default, setting.switch) {
            (Some(d), _) => Some(d.clone()),
            (None, true) => Some("false".to_owned()),
            (None, false) => None,
        };
        assert_eq!(
            param["string"].as_str().map(str::to_owned),
            default,
            "{}",
            setting.name
        );
    }
}

/// The spec's flow from one Application: each Stage's promotion commits a
/// file, and the Argo CD Application oamc emits for that stage renders that
/// file's folder (with the plugin, workload only), is the one `argocd-update`
/// names, and is authorized for that Stage.
#[test]
fn each_stage_commits_the_file_its_argocd_application_renders() {
    let fixture = "fixtures/render/promotion-argocd/application.yaml";
    let out = oamc(&["render", "--promotion", "only", fixture], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = yaml_docs(&text(&out.stdout));
    let of = |kind: &str| -> Vec<&Value> { docs.iter().filter(|d| d["kind"] == kind).collect() };
    let task = of("PromotionTask")[0];
    let vars: Vec<(String, String)> = task["spec"]["vars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_owned(),
                v["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // Kargo's evaluation of the expressions these steps use.
    let eval = |text: &str, stage: &str| {
        let mut t = text.replace("${{ ctx.stage }}", stage);
        for (name, value) in &vars {
            t = t.replace(&format!("${{{{ vars.{name} }}}}"), value);
        }
        assert!(!t.contains("${{"), "unevaluated: {t}");
        t
    };
    let step = |uses: &str| -> &Value {
        task["spec"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["uses"] == uses)
            .unwrap_or_else(|| panic!("a {uses} step"))
    };
    // The checkout the promotion writes: the stage's own branch.
    let written = step("git-clone")["config"]["checkout"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["create"] == true)
        .expect("a checkout of the stage's branch");
    let clone_path = written["path"].as_str().unwrap();
    let update = step("yaml-update")["config"]["path"].as_str().unwrap();
    let argocd_update = &step("argocd-update")["config"]["apps"][0];
    let app: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(root().join(fixture)).unwrap()).unwrap();
    let namespace = app["metadata"]["namespace"].as_str().unwrap();
    let stages = of("Stage");
    assert_eq!(stages.len(), 2);
    assert_eq!(
        of("Application").len(),
        stages.len(),
        "one Argo CD Application per stage"
    );
    let repo = std::env::temp_dir().join(format!("oamc-flow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&repo);
    for stage in stages {
        let name = stage["metadata"]["name"].as_str().unwrap();
        let project = stage["metadata"]["namespace"].as_str().unwrap();
        let file = eval(update, name);
        let file = file
            .strip_prefix(clone_path)
            .unwrap_or_else(|| panic!("{file} is not under the checkout {clone_path}"))
            .trim_start_matches('/')
            .to_owned();
        let argo_name = eval(argocd_update["name"].as_str().unwrap(), name);
        let argo = of("Application")
            .into_iter()
            .find(|a| a["metadata"]["name"] == argo_name.as_str())
            .unwrap_or_else(|| panic!("argocd-update names {argo_name}, which oamc does not emit"));
        assert_eq!(argo["metadata"]["namespace"], argocd_update["namespace"]);
        assert_eq!(
            argo["metadata"]["annotations"]["kargo.akuity.io/authorized-stage"],
            format!("{project}:{name}")
        );
        let source = &argo["spec"]["source"];
        assert_eq!(
            source["path"]
                .as_str()
                .map(|p| format!("{p}/application.yaml")),
            Some(file.clone()),
            "stage {name}: the promotion commits {file}, its Argo CD Application renders {}",
            source["path"]
        );
        assert_eq!(
            source["repoURL"],
            eval(
                argocd_update["sources"][0]["repoURL"].as_str().unwrap(),
                name
            )
            .as_str()
        );
        assert_eq!(
            source["targetRevision"],
            eval(written["branch"].as_str().unwrap(), name).as_str(),
            "stage {name}: its Application tracks the branch its promotions push"
        );
        assert_eq!(source["plugin"]["name"], oamc::names::PLUGIN_NAME);
        // The stage's own namespace where the policy names one, else the Application's.
        let namespace =
            app["spec"]["policies"][0]["properties"]["argocd"]["stages"][name]["namespace"]
                .as_str()
                .unwrap_or(namespace);
        assert_eq!(argo["spec"]["destination"]["namespace"], namespace);
        // What that Application's plugin renders there: the workload, no pipeline.
        let dir = repo.join(source["path"].as_str().unwrap());
        std::fs::create_dir_all(&dir).unwrap();
        let written = std::fs::read_to_string(root().join(fixture)).unwrap();
        let params = serde_json::to_string(&source["plugin"]["parameters"]).unwrap();
        let own = app["metadata"]["namespace"].as_str().unwrap();
        if namespace != own {
            // A copy that keeps the other namespace would deploy there
            // (gitops-engine sets the destination only on objects without
            // one): the plugin refuses it.
            std::fs::write(dir.join("application.yaml"), &written).unwrap();
            let out = generate_with(&dir, Some(&params), &[("ARGOCD_APP_NAMESPACE", namespace)]);
            assert_eq!(out.status.code(), Some(1), "stage {name}");
            assert!(out.stdout.is_empty());
            assert!(
                text(&out.stderr).contains("oamc::plugin::destination-namespace"),
                "{}",
                text(&out.stderr)
            );
        }
        let copy = written.replace(
            &format!("\n  namespace: {own}\n"),
            &format!("\n  namespace: {namespace}\n"),
        );
        std::fs::write(dir.join("application.yaml"), copy).unwrap();
        let out = generate_with(&dir, Some(&params), &[("ARGOCD_APP_NAMESPACE", namespace)]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let kinds: Vec<String> = yaml_docs(&text(&out.stdout))
            .iter()
            .map(|d| d["kind"].as_str().unwrap().to_owned())
            .collect();
        assert!(kinds.contains(&"Rollout".to_owned()), "{kinds:?}");
        for pipeline in [
            "Project",
            "Warehouse",
            "Stage",
            "PromotionTask",
            "Application",
        ] {
            assert!(
                !kinds.iter().any(|k| k == pipeline),
                "stage {name} renders {pipeline}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&repo);
}

/// A ConfigMap beside the Application fails the sync, with nothing on
/// stdout: left out of the stream, Argo CD with pruning would delete it.
/// With the parameter `pass-through` it is applied after the rendered ones.
#[test]
fn other_documents_fail_the_sync_unless_passed_through() {
    let dir = repo("other-documents");
    let config =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: debug\n";
    std::fs::write(dir.join("config.yaml"), config).unwrap();
    let out = generate_with(&dir, None, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("oamc::input::not-an-application") && stderr.contains("config.yaml:2:7"),
        "{stderr}"
    );
    for (params, env) in [
        (Some(r#"[{"name":"pass-through","string":"true"}]"#), vec![]),
        (None, vec![("PARAM_PASS_THROUGH", "true")]),
    ] {
        let out = generate_with(&dir, params, &env);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let docs = yaml_docs(&text(&out.stdout));
        assert_eq!(docs.last(), yaml_docs(config).first(), "{params:?} {env:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
