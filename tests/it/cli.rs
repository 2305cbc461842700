//! The real binary: what reaches stdout, stderr and the exit code.

use crate::common::*;

const SPEC: &str = "fixtures/render/spec-gates/application.yaml";

#[test]
fn render_writes_a_yaml_stream_and_exits_zero() {
    let out = oamc(&["render", SPEC], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let docs = yaml_docs(&text(&out.stdout));
    let kinds: Vec<&str> = docs
        .iter()
        .map(|d| d["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        [
            "Rollout",
            "Service",
            "Service",
            "AnalysisTemplate",
            "AnalysisTemplate",
            "AnalysisTemplate",
            "PodDisruptionBudget"
        ]
    );
}

/// `--timings` reports every phase and the wall time on stderr, each a
/// number of milliseconds, and changes nothing on stdout.
#[test]
fn timings_name_every_phase_and_leave_the_output_alone() {
    let plain = oamc(&["render", SPEC], None);
    let timed = oamc(&["render", "--timings", SPEC], None);
    assert_eq!(timed.status.code(), Some(0), "{}", text(&timed.stderr));
    assert_eq!(timed.stdout, plain.stdout);
    let stderr = text(&timed.stderr);
    // Each phase's line, read as `timing NAME MS ms`.
    let took = |phase: &str| -> f64 {
        let line = stderr
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(phase))
            .unwrap_or_else(|| panic!("no {phase} line in {stderr}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            (words[0], words.get(3).copied()),
            ("timing", Some("ms")),
            "{line}"
        );
        words[2].parse().unwrap_or_else(|_| panic!("{line}"))
    };
    for phase in ["load", "plan", "write"] {
        assert!(took(phase) >= 0.0, "{phase}: {stderr}");
    }
    // The work was done: the phases that always run took time.
    for phase in ["check", "render", "verify", "emit", "wall"] {
        assert!(took(phase) > 0.0, "{phase} took no time: {stderr}");
    }
    assert!(!text(&plain.stderr).contains("timing"));
}

#[test]
fn stdin_and_directories_are_inputs() {
    let input = std::fs::read_to_string(root().join(SPEC)).expect("fixture");
    let from_stdin = oamc(&["render", "-"], Some(&input));
    let from_file = oamc(&["render", SPEC], None);
    assert!(from_stdin.status.success(), "{}", text(&from_stdin.stderr));
    assert_eq!(from_stdin.stdout, from_file.stdout);

    // A directory: every Application under it, in path order.
    let dir = tempdir("oamc-directory-input");
    for case in cases("render") {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::create_dir_all(dir.join(&name)).unwrap();
        std::fs::copy(
            case.join("application.yaml"),
            dir.join(&name).join("application.yaml"),
        )
        .unwrap();
    }
    let out = oamc(&["render", dir.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let one_by_one: Vec<String> = cases("render")
        .iter()
        .map(|case| std::fs::read_to_string(case.join("expected.yaml")).unwrap())
        .collect();
    assert_eq!(text(&out.stdout), one_by_one.join("---\n"));
    // The fixtures' folder also holds the golden files, which are not
    // Applications: a render of it is refused, at each golden file.
    let out = oamc(&["render", "fixtures/render"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("oamc::input::not-an-application")
            && stderr.contains("fixtures/render/spec-gates/expected.yaml:2:7"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A resource that is not an Application is part of what Argo CD would
/// apply from the folder: `render` refuses it (it would vanish from the
/// stream, and pruning would delete it), or with `--pass-through` prints it
/// after the rendered documents, re-emitted and held to kubectl's reading.
/// `validate` and `diff` pass over it, and every command passes over what is
/// not a resource; oamc's own output below an input folder is not input.
#[test]
fn documents_that_are_not_applications_are_refused_or_passed_through() {
    let dir = tempdir("oamc-other-documents");
    let app =
        std::fs::read_to_string(root().join("fixtures/render/no-gates/application.yaml")).unwrap();
    std::fs::write(dir.join("application.yaml"), &app).unwrap();
    let config = "# settings\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: web\ndata:\n  enabled: \"yes\"\n  count: \"3\"\n---\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: token}\nstringData: {token: abc}\n";
    std::fs::write(dir.join("config.yaml"), config).unwrap();
    let d = dir.to_str().unwrap();

    Cli::new(&["render", d]).fails(1).stderr_has(&[
        "oamc::input::not-an-application",
        // At the first one's kind.
        "config.yaml:3:7",
        "2 resources in this file are not OAM Applications: `ConfigMap` (v1) `settings`, `Secret` (v1) `token`",
        // The fix, in the help.
        "--pass-through",
    ]);
    // validate checks Applications and passes over the rest.
    Cli::new(&["validate", d]).succeeds();

    let passed = Cli::new(&["render", "--pass-through", d]).succeeds();
    let rendered = Cli::new(&["render", dir.join("application.yaml").to_str().unwrap()])
        .succeeds()
        .stdout;
    assert!(
        passed.stdout.starts_with(&rendered),
        "the rendered documents come first"
    );
    let docs = yaml_docs(&passed.stdout[rendered.len()..]);
    let inputs: Vec<_> = yaml_docs(config)
        .into_iter()
        .filter(|d| !d.is_null())
        .collect();
    assert_eq!(docs, inputs, "passed through as they were read");
    assert!(passed.stderr.contains("2 documents passed through"));

    // Not with the tree: a usage error.
    let out_dir = dir.join("rendered");
    let tree = out_dir.to_str().unwrap();
    Cli::new(&["render", "--pass-through", d, "-o", tree]).fails(2);
    assert!(!out_dir.exists());

    // Held to kubectl's reading, like an Application: `yEs` is text to
    // kubectl (go-yaml v2), a boolean to oamc's reader.
    std::fs::write(dir.join("config.yaml"), config.replace("\"3\"", "yEs")).unwrap();
    Cli::new(&["render", "--pass-through", d])
        .fails(1)
        .stderr_has(&["oamc::yaml::readers-disagree"]);

    // A resource passed through twice, or also rendered, is a duplicate.
    std::fs::write(dir.join("config.yaml"), config).unwrap();
    std::fs::write(dir.join("config-again.yaml"), config).unwrap();
    Cli::new(&["render", "--pass-through", d])
        .fails(1)
        .stderr_has(&["oamc::output::duplicate-resource", "config.yaml:3:7"]);
    std::fs::remove_file(dir.join("config-again.yaml")).unwrap();
    let service = yaml_docs(&rendered)
        .into_iter()
        .find(|d| d["kind"] == "Service")
        .unwrap();
    let service = serde_json::to_string(&service).unwrap();
    std::fs::write(dir.join("service.yaml"), service).unwrap();
    Cli::new(&["render", "--pass-through", d])
        .fails(1)
        .stderr_has(&["Application `hello`"]);
    std::fs::remove_file(dir.join("service.yaml")).unwrap();

    // What Argo CD cannot apply cannot pass: a resource without a name.
    let nameless = "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n";
    std::fs::write(dir.join("nameless.yaml"), nameless).unwrap();
    Cli::new(&["render", "--pass-through", d])
        .fails(1)
        .stderr_has(&["oamc::input::pass-through", "nameless.yaml:2:7"]);
    std::fs::remove_file(dir.join("nameless.yaml")).unwrap();

    // What is not a resource is passed over by every command: a values file,
    // kustomize's configuration, a template that is not YAML.
    std::fs::remove_file(dir.join("config.yaml")).unwrap();
    std::fs::write(dir.join("values.yaml"), "replicas: 3\nimage: {tag: v1}\n").unwrap();
    let kustomization =
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n";
    std::fs::write(dir.join("kustomization.yaml"), kustomization).unwrap();
    std::fs::write(dir.join("chart.yaml"), "{{ .Values.name }}\nfoo: [\n").unwrap();
    for extra in [&[][..], &["--pass-through"][..]] {
        let out = Cli::new(&[&["render"][..], extra, &[d][..]].concat()).succeeds();
        assert_eq!(out.stdout, rendered, "{extra:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();

    // oamc's own tree below the input folder is not read as input.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("application.yaml"), &app).unwrap();
    for _ in 0..2 {
        Cli::new(&["render", d, "-o", tree]).succeeds();
    }
    assert!(out_dir.join(".oamc-rendered").is_file());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn namespace_comes_from_the_application_then_the_flag() {
    let hello = "fixtures/render/no-gates/application.yaml";
    let out = oamc(&["render", "--namespace", "team-a", hello], None);
    for doc in yaml_docs(&text(&out.stdout)) {
        assert_eq!(doc["metadata"]["namespace"], "team-a");
    }
    let out = oamc(&["render", "--namespace", "team-a", SPEC], None);
    for doc in yaml_docs(&text(&out.stdout)) {
        assert_eq!(
            doc["metadata"]["namespace"], "shop",
            "the Application's own namespace wins"
        );
    }
    let out = oamc(&["render", hello], None);
    for doc in yaml_docs(&text(&out.stdout)) {
        assert!(doc["metadata"].get("namespace").is_none());
    }
}

#[test]
fn output_directory_gets_one_file_per_resource() {
    let dir = std::env::temp_dir().join(format!("oamc-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = oamc(&["render", SPEC, "-o", dir.to_str().expect("utf-8")], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let mut files: Vec<String> = std::fs::read_dir(dir.join("rocket-shop"))
        .expect("app folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "analysistemplate-functional-gate-rocket.yaml",
            "analysistemplate-metrics-rocket.yaml",
            "analysistemplate-performance-gate-rocket.yaml",
            "poddisruptionbudget-rocket.yaml",
            "rollout-rocket.yaml",
            "service-rocket-preview.yaml",
            "service-rocket.yaml",
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A type oamc does not compile is refused (KubeVela refuses an undefined
/// one too): printing the rest would ship the app without it. Listed in
/// `--external-types` (or the plugin parameter), it is passed over.
#[test]
fn unknown_types_are_errors_unless_listed_as_external() {
    let input = "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: a}\nspec:\n  components:\n    - name: a\n      type: appmod-service\n      properties: {image: 'nginx:1.27', image_name: web}\n      traits:\n        - type: service-binding\n    - name: t\n      type: dynamodb-table\n      properties: {tableName: orders}\n  policies:\n    - name: o\n      type: notify-slack\n";
    let out = oamc(&["render", "-"], Some(input));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    for (code, at, said) in [
        (
            "oamc::trait::unknown",
            "<stdin>:10:17",
            "trait `service-binding` on component `a`",
        ),
        (
            "oamc::component::unknown-type",
            "<stdin>:12:13",
            "component `t` has type `dynamodb-table`",
        ),
        (
            "oamc::policy::unknown",
            "<stdin>:16:13",
            "policy `o` has type `notify-slack`",
        ),
    ] {
        assert!(
            stderr.contains(code) && stderr.contains(at) && stderr.contains(said),
            "{code}: {stderr}"
        );
    }
    assert!(
        stderr.contains("--external-types dynamodb-table"),
        "{stderr}"
    );

    let listed = [
        "render",
        "--external-types",
        "service-binding,dynamodb-table",
        "--external-types=notify-slack",
        "-",
    ];
    let out = oamc(&listed, Some(input));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("oamc::"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("kind: Rollout"));
    // The stages' Argo CD Applications render through the plugin with the
    // same list, or each stage's sync would refuse what this run passed.
    let promoted = std::fs::read_to_string("fixtures/render/promotion-argocd/application.yaml")
        .unwrap()
        .replace(
            "  components:\n",
            "  components:\n    - name: t\n      type: dynamodb-table\n",
        );
    let out = oamc(
        &["render", "--external-types", "dynamodb-table", "-"],
        Some(&promoted),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        stdout
            .matches("      - name: external-types\n        string: dynamodb-table\n")
            .count(),
        2,
        "{stdout}"
    );
    // One listed is not all listed.
    let out = oamc(
        &["render", "--external-types", "notify-slack", "-"],
        Some(input),
    );
    assert_eq!(out.status.code(), Some(1));
    // KubeVela's own policies act on this Application: nothing else would
    // apply them, so they cannot be external (issue 46).
    let out = oamc(
        &["render", "--external-types", "override", "-"],
        Some(input),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("`override` is a KubeVela policy on the Application's own resources"),
        "{}",
        text(&out.stderr)
    );
    // A type oamc compiles cannot be external: a usage error.
    let out = oamc(&["render", "--external-types", "hpa", "-"], Some(input));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("`hpa` is a type oamc compiles"),
        "{}",
        text(&out.stderr)
    );
}

/// Every failure: exit 1, a message naming the file, and not one byte on stdout.
#[test]
fn errors_name_the_file_exit_one_and_write_nothing() {
    let cases: &[(&str, Option<&str>, &str)] = &[
        (
            "fixtures/does-not-exist.yaml",
            None,
            "cannot read fixtures/does-not-exist.yaml",
        ),
        ("-", Some("a: [1\nb: 2\n"), "<stdin>"),
        (
            "-",
            Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"),
            "no OAM Application",
        ),
        (
            "-",
            Some(
                "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: a}\nspec:\n  components:\n    - name: a\n      type: appmod-service\n      properties:\n        image_name: web\n",
            ),
            "missing the required property `image`",
        ),
        (
            "fixtures/invalid/upstream-placeholder-image.yaml",
            None,
            "upstream-placeholder-image.yaml:12:16",
        ),
    ];
    for (input, stdin, expected) in cases {
        let out = oamc(&["render", input], *stdin);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{input}: {stderr}");
        assert!(out.stdout.is_empty(), "{input}: stdout must stay empty");
        assert!(
            stderr.contains(expected),
            "{input}: expected {expected:?} in:\n{stderr}"
        );
    }
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(
        oamc(&["render", "--bogus", SPEC], None).status.code(),
        Some(2)
    );
    assert_eq!(oamc(&["frobnicate"], None).status.code(), Some(2));
}

#[test]
fn one_bad_file_among_good_ones_fails_the_whole_render() {
    let out = oamc(
        &[
            "render",
            SPEC,
            "fixtures/invalid/upstream-placeholder-image.yaml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "Argo CD would apply a partial stream"
    );
}

#[test]
fn diagnostics_come_as_json_lines_and_github_annotations() {
    let bad = "fixtures/invalid/upstream-placeholder-image.yaml";
    let out = oamc(&["validate", "--format", "json", bad], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.is_empty(),
        "the report goes to stdout, for `| jq`"
    );
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let image = lines
        .iter()
        .find(|l| l["code"] == "oamc::image::invalid")
        .expect("image error");
    assert_eq!(
        (image["line"].as_u64(), image["column"].as_u64()),
        (Some(12), Some(16))
    );
    assert_eq!(image["severity"], "error");

    let out = oamc(&["validate", "--format", "github", bad], None);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("::error file=fixtures/invalid/upstream-placeholder-image.yaml,line=12,col=16,title=oamc%3A%3Aimage%3A%3Ainvalid::"),
        "{stderr}"
    );
}

#[test]
fn schema_prints_the_committed_schema() {
    let out = oamc(&["schema"], None);
    assert!(out.status.success());
    let committed = std::fs::read_to_string(root().join("schemas/appmod-service.schema.json"))
        .expect("committed schema");
    assert!(
        text(&out.stdout) == committed,
        "schemas/appmod-service.schema.json is stale: run `oamc schema > schemas/appmod-service.schema.json`"
    );
}

#[test]
fn promotion_output_can_be_skipped_or_rendered_alone() {
    let input = "fixtures/render/promotion-default/application.yaml";
    let kinds = |flag: &str| -> Vec<String> {
        let out = oamc(&["render", "--promotion", flag, input], None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        yaml_docs(&text(&out.stdout))
            .iter()
            .map(|d| d["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = kinds("include");
    let skip = kinds("skip");
    let only = kinds("only");
    assert_eq!(
        only,
        [
            "Project",
            "ProjectConfig",
            "Warehouse",
            "PromotionTask",
            "Stage",
            "Stage"
        ]
    );
    assert!(!skip.iter().any(|k| only.contains(k)));
    assert_eq!(skip.len() + only.len(), all.len());
}

/// Complete or refused: each way a run used to print a partial or empty
/// stream and exit 0 now exits 1 with nothing on stdout and the reason.
#[test]
fn partial_or_empty_output_is_refused() {
    let app = |name: &str, ty: &str| {
        format!(
            "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: {name}\nspec:\n  components:\n    - name: web\n      type: {ty}\n      properties:\n        image: nginx:1.27\n        image_name: web\n"
        )
    };
    let dir = std::env::temp_dir().join(format!("oamc-cli-refused-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let write = |file: &str, text: &str| {
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let typo = write("typo.yaml", &app("shop", "appmod-servce"));
    let other = write("other.yaml", &app("shop", "webservice"));
    let one = write("one.yaml", &app("shop", "appmod-service"));
    let two = write("two.yaml", &app("shop", "appmod-service"));
    let cases: [(Vec<&str>, &str); 7] = [
        (vec!["render", &typo], "did you mean `appmod-service`?"),
        (vec!["render", "--strict", &typo], "oamc::type::misspelt"),
        (vec!["render", &other], "oamc::component::unknown-type"),
        (
            vec!["render", "--external-types", "webservice", &other],
            "oamc::output::empty",
        ),
        (
            vec!["render", &one, &two],
            "oamc::output::duplicate-resource",
        ),
        (
            vec!["render", "--promotion", "only", &one],
            "oamc::promotion::missing",
        ),
        (vec!["validate", &typo], "oamc::type::misspelt"),
    ];
    for (args, expected) in cases {
        let out = oamc(&args, None);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    // validate warns of an empty render (other KubeVela Applications may
    // share the repository); --strict makes it an error.
    let out = oamc(&["validate", "--external-types=webservice", &other], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("oamc::output::empty"));
    let out = oamc(
        &[
            "validate",
            "--strict",
            "--external-types=webservice",
            &other,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    // Distinct component names: both render.
    let three = write(
        "three.yaml",
        &app("shop-two", "appmod-service").replace("- name: web", "- name: api"),
    );
    let out = oamc(&["render", &one, &three, "-n", "shop"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `-n` is checked like `metadata.namespace` (a usage error: exit 2).
#[test]
fn the_namespace_flag_is_a_dns_label() {
    for command in ["render", "validate", "plan"] {
        let out = oamc(
            &[
                command,
                "-n",
                "Bad NS!",
                "fixtures/render/no-gates/application.yaml",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert!(out.stdout.is_empty());
        assert!(text(&out.stderr).contains("Bad NS!"));
    }
}

/// A whole number written as a float renders the same bytes as the integer.
#[test]
fn whole_number_floats_render_as_integers() {
    let app = |replicas: &str, port: &str| {
        format!(
            "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: shop\nspec:\n  components:\n    - name: web\n      type: appmod-service\n      properties:\n        image: nginx:1.27\n        image_name: web\n        replicas: {replicas}\n        port: {port}\n        resources: {{requests: {{cpu: 100m}}}}\n      traits:\n        - type: hpa\n          properties: {{max: {replicas}}}\n        - type: path-based-ingress\n          properties:\n            domain: a.example.com\n            http:\n              /: {port}\n"
        )
    };
    let expected = oamc(&["render", "-"], Some(&app("3", "80")));
    assert!(expected.status.success());
    assert!(text(&expected.stdout).contains("kind: HorizontalPodAutoscaler"));
    assert!(text(&expected.stdout).contains("kind: Ingress"));
    for (replicas, port) in [("3.0", "80.0"), ("3e0", "8e1"), ("3.00", "80.")] {
        let out = oamc(&["render", "-"], Some(&app(replicas, port)));
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(out.stdout, expected.stdout, "{replicas} {port}");
    }
    for (replicas, port, code) in [
        ("3.5", "80", "oamc::schema::type"),
        ("010", "80", "oamc::number::leading-zero"),
        ("3", "080", "oamc::number::leading-zero"),
    ] {
        let out = oamc(&["render", "-"], Some(&app(replicas, port)));
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        assert!(text(&out.stderr).contains(code), "{}", text(&out.stderr));
    }
}

/// No input and stdin on a terminal is a usage error (run under `script`,
/// which gives oamc a pseudo-terminal); no input and a pipe reads the pipe.
#[test]
fn no_input_reads_a_piped_stdin_and_refuses_a_terminal() {
    let input = std::fs::read_to_string(root().join(SPEC)).unwrap();
    let piped = oamc(&["render"], Some(&input));
    assert!(piped.status.success(), "{}", text(&piped.stderr));
    assert_eq!(piped.stdout, oamc(&["render", SPEC], None).stdout);
    let command = format!("{} validate", env!("CARGO_BIN_EXE_oamc"));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("no input"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn success_ends_with_one_summary_line_unless_quiet() {
    let out = oamc(
        &[
            "validate",
            SPEC,
            "fixtures/render/no-gates/application.yaml",
        ],
        None,
    );
    assert_eq!(text(&out.stderr), "2 files, 2 Applications, 0 problems\n");
    let out = oamc(&["render", SPEC], None);
    assert!(out.status.success());
    let resources = yaml_docs(&text(&out.stdout)).len();
    assert_eq!(
        text(&out.stderr),
        format!("1 file, 1 Application, {resources} resources\n")
    );
    for command in ["validate", "render"] {
        let out = oamc(&[command, "--quiet", SPEC], None);
        assert!(out.status.success() && out.stderr.is_empty(), "{command}");
    }
}

/// JUnit for CI systems that read it: a case per file, one failure listing its errors.
#[test]
fn validate_writes_junit_with_a_case_per_file() {
    let bad = "fixtures/invalid/ports.yaml";
    let out = oamc(&["validate", "--format", "junit", SPEC, bad], None);
    assert_eq!(out.status.code(), Some(1));
    let xml = text(&out.stdout);
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<testsuite name="oamc validate" tests="2" failures="1""#),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 2);
    // One failure per case (readers show only the first), listing both errors.
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(xml.contains(r#"message="2 errors; the first: "#), "{xml}");
    assert!(
        xml.contains("fixtures/invalid/ports.yaml:13:15: error[oamc::schema::range]"),
        "{xml}"
    );
    assert_eq!(xml.matches(": error[oamc::").count(), 2, "{xml}");
    // Well-formed: every element closed, no raw `<` or `&` in text.
    assert_eq!(
        xml.matches("<testcase").count(),
        xml.matches("</testcase>").count()
    );
    assert!(!xml.contains("& "));
}

#[test]
fn plan_prints_the_resolved_model_as_json() {
    let out = oamc(&["plan", "--format", "json", SPEC], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plans: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let service = &plans[0]["services"][0];
    assert_eq!(service["name"], "rocket");
    let text_plan = text(&oamc(&["plan", SPEC], None).stdout);
    // The same model as the text plan: every gate summary appears in both.
    for template in service["analysis_templates"].as_array().unwrap() {
        assert!(text_plan.contains(template["summary"].as_str().unwrap()));
    }
}

#[test]
fn version_names_the_commit_and_the_targets() {
    let out = oamc(&["--version"], None);
    let version = text(&out.stdout);
    assert!(
        version.starts_with(&format!("oamc {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    for dir in std::fs::read_dir(root().join("crds")).unwrap() {
        let dir = dir.unwrap();
        if !dir.file_type().unwrap().is_dir() {
            continue;
        }
        let name = dir.file_name().into_string().unwrap();
        let (_, v) = name.rsplit_once('-').unwrap();
        assert!(version.contains(v), "{name} not in {version}");
    }
}

#[test]
fn completions_and_man_page_cover_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = oamc(&["completions", shell], None);
        assert!(out.status.success(), "{shell}");
        let script = text(&out.stdout);
        for word in ["render", "validate", "plan", "namespace", "format"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let out = oamc(&["man"], None);
    let page = text(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH oamc"),
        "{page}"
    );
    for word in ["render", "validate", "plan", "completions"] {
        assert!(page.contains(word), "man page lacks {word}");
    }
    // Every page it refers to (`oamc\-render(1)`, …) is one `oamc man` prints.
    let named: Vec<String> = page
        .split("oamc\\-")
        .skip(1)
        .filter_map(|rest| rest.split_once("(1)").map(|(name, _)| name.to_owned()))
        .collect();
    assert!(named.len() >= 8, "{named:?}");
    for name in named {
        let out = oamc(&["man", &name], None);
        assert!(
            out.status.success(),
            "oamc man {name}: {}",
            text(&out.stderr)
        );
        let sub = text(&out.stdout);
        assert!(sub.contains(&format!(".TH oamc-{name} 1")), "{sub}");
    }
    let out = oamc(&["man", "nope"], None);
    assert_eq!(out.status.code(), Some(2));
}

/// `gates` lists and takes only the settings it uses; the render-only ones
/// are refused with the reason, before anything is read or sent.
#[test]
fn gates_takes_only_its_own_flags() {
    let out = oamc(&["gates", "--help"], None);
    let help = text(&out.stdout);
    for flag in [
        "--url",
        "--prometheus ",
        "--component",
        "--timeout",
        "--namespace",
        "--prometheus-container-label",
    ] {
        assert!(help.contains(flag), "gates --help lacks {flag}");
    }
    for flag in [
        "--templates",
        "--promotion",
        "--prometheus-address",
        "--prometheus-sigv4-region",
        "--no-pdb",
        "--eks-pod-identity",
    ] {
        assert!(!help.contains(flag), "gates --help lists {flag}");
    }
    let out = oamc(
        &[
            "gates",
            SPEC,
            "--url",
            "http://127.0.0.1:1",
            "--prometheus-address",
            "http://p:9090",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("gates does not use --prometheus-address"),
        "{}",
        text(&out.stderr)
    );
}

/// A file without an Application: `render` refuses it at its first line,
/// saying what it holds; `validate` passes it (a pre-commit run sees every
/// YAML file) but says nothing was checked.
#[test]
fn a_file_without_an_application_is_named_with_what_it_holds() {
    let dir = tempdir("no-application");
    let cases = [
        ("empty.yaml", "", "empty.yaml:1:1", "it is empty"),
        (
            "comments.yaml",
            "# todo\n---\n",
            "comments.yaml:1:1",
            "it holds only comments",
        ),
        (
            "chart.yaml",
            "{{- if .Values.on }}\nkind: Deployment\n{{- end }}\n",
            "chart.yaml:1:1",
            "it is not YAML, and names no `core.oam.dev`",
        ),
        (
            "config.yaml",
            "# a config\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
            "config.yaml:3:7",
            "it holds `ConfigMap` (v1)",
        ),
    ];
    for (name, body, at, holds) in cases {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        let path = path.to_str().unwrap();
        let out = oamc(&["render", path], None);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}");
        assert!(
            stderr.contains("oamc::input::no-application"),
            "{name}: {stderr}"
        );
        assert!(
            stderr.contains(at) && stderr.contains(holds),
            "{name}: {stderr}"
        );
        let out = oamc(&["validate", path], None);
        assert_eq!(out.status.code(), Some(0), "{name}");
        assert!(
            text(&out.stderr).contains("nothing was checked (no OAM Application in the input)"),
            "{name}: {}",
            text(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A tag that moves with each build floats like an untagged image: a
/// warning (an error with --strict) — unless a Digest promotion follows
/// that tag on purpose and pins each stage to the digest it found.
#[test]
fn moving_tags_warn_unless_a_digest_promotion_pins_them() {
    let app = |image: &str| {
        format!(
            "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {{name: a}}\nspec:\n  components:\n    - name: a\n      type: appmod-service\n      properties: {{image: \"{image}\", image_name: web}}\n"
        )
    };
    for tag in ["latest", "stable", "main", "nightly", "LATEST"] {
        let out = oamc(&["validate", "-"], Some(&app(&format!("nginx:{tag}"))));
        assert_eq!(out.status.code(), Some(0));
        assert!(
            text(&out.stderr).contains("oamc::image::moving-tag"),
            "{tag}"
        );
        let out = oamc(
            &["validate", "--strict", "-"],
            Some(&app(&format!("nginx:{tag}"))),
        );
        assert_eq!(out.status.code(), Some(1), "{tag}");
    }
    for pinned in [
        "nginx:1.27",
        "nginx:stable@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "nginx:stable-alpine",
    ] {
        let out = oamc(&["validate", "--strict", "-"], Some(&app(pinned)));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{pinned}: {}",
            text(&out.stderr)
        );
    }
    let out = oamc(
        &[
            "validate",
            "--strict",
            "fixtures/render/promotion-custom-from/application.yaml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
