//! Shared test helpers: fixtures, the real binary, and strict CRD validation.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `fixtures/<group>/<case>/` directories, sorted.
pub fn cases(group: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures").join(group))
        .expect("fixtures group exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no fixtures in {group}");
    dirs
}

/// Run the real `oamc` binary.
pub fn oamc(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oamc"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("oamc runs");
    if let Some(input) = stdin {
        use std::io::Write;
        // A run refused before it reads stdin (a usage error) closes it.
        match child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
        {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write stdin: {e}"),
            _ => {}
        }
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().expect("oamc finishes")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Compare with a golden file; `OAMC_BLESS=1 cargo test` rewrites it instead.
pub fn assert_golden(path: &Path, actual: &str) {
    if std::env::var_os("OAMC_BLESS").is_some() {
        std::fs::write(path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with OAMC_BLESS=1 and review it",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(5)
            .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
            .collect();
        panic!(
            "{} differs from the output ({} vs {} lines); rerun with OAMC_BLESS=1 and review the diff\n{}",
            path.display(),
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

/// `oamc render DIR/repo -o DIR/out` with `extra` arguments: the
/// rendered-manifests tree of a throwaway repository.
pub fn render_tree(dir: &Path, extra: &[&str]) -> Output {
    let repo = dir.join("repo");
    let out_dir = dir.join("out");
    let mut args = vec![
        "render",
        repo.to_str().expect("utf-8 path"),
        "-o",
        out_dir.to_str().expect("utf-8 path"),
    ];
    args.extend(extra);
    oamc(&args, None)
}

/// Compile one source text in-process with default options: the YAML
/// stream, or every diagnostic as `code: message` lines.
pub fn compile_source(name: &str, text: &str) -> Result<String, String> {
    let file = std::sync::Arc::new(oamc::diagnostic::SourceFile {
        name: name.into(),
        text: text.into(),
    });
    let c = oamc::compile(&[file], &oamc::Options::default());
    if c.has_errors() {
        return Err(c
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code.as_str(), d.message))
            .collect::<Vec<_>>()
            .join("\n"));
    }
    Ok(c.to_yaml())
}

/// Parse a YAML stream into JSON values, one per document.
pub fn yaml_docs(text: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(text).expect("valid YAML stream")
}

/// A strict validator for one kind from the vendored CRDs.
pub struct Crds {
    validators: Vec<(String, String, jsonschema::Validator)>,
}

impl Crds {
    pub fn load() -> Crds {
        let mut validators = Vec::new();
        for dir in ["argo-rollouts-v1.9.1", "kargo-v1.11.2", "argo-cd-v3.5.1"] {
            let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("crds").join(dir))
                .expect("crds")
                .map(|e| e.expect("entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .collect();
            files.sort();
            for file in files {
                let text = std::fs::read_to_string(&file).expect("read CRD");
                let options = serde_saphyr::options! {
                    budget: serde_saphyr::budget! { max_nodes: 2_000_000, max_events: 10_000_000 },
                };
                let crd: Value =
                    serde_saphyr::from_str_with_options(&text, options).expect("CRD parses");
                let group = crd["spec"]["group"].as_str().expect("group").to_owned();
                let kind = crd["spec"]["names"]["kind"]
                    .as_str()
                    .expect("kind")
                    .to_owned();
                for version in crd["spec"]["versions"].as_array().expect("versions") {
                    let mut schema = version["schema"]["openAPIV3Schema"].clone();
                    make_strict(&mut schema);
                    let validator = jsonschema::options()
                        .with_draft(jsonschema::Draft::Draft4)
                        .should_validate_formats(false)
                        .build(&schema)
                        .expect("CRD schema compiles");
                    let api_version =
                        format!("{group}/{}", version["name"].as_str().expect("name"));
                    validators.push((api_version, kind.clone(), validator));
                }
            }
        }
        // Core kinds: strict JSON schemas of Kubernetes v1.33 (k8s-schemas/).
        let k8s = root().join("k8s-schemas/v1.33.0-local-strict");
        let defs: Value =
            serde_json::from_str(&std::fs::read_to_string(k8s.join("_definitions.json")).unwrap())
                .unwrap();
        let registry: &'static jsonschema::Registry = Box::leak(Box::new(
            jsonschema::Registry::new()
                .add(
                    "https://k8s.schemas.local/api/_definitions.json",
                    jsonschema::Resource::from_contents(defs),
                )
                .expect("definitions register")
                .prepare()
                .expect("registry"),
        ));
        for (file, api, kind) in [
            ("service-v1.json", "v1", "Service"),
            (
                "persistentvolumeclaim-v1.json",
                "v1",
                "PersistentVolumeClaim",
            ),
            (
                "ingress-networking-v1.json",
                "networking.k8s.io/v1",
                "Ingress",
            ),
            (
                "horizontalpodautoscaler-autoscaling-v2.json",
                "autoscaling/v2",
                "HorizontalPodAutoscaler",
            ),
            (
                "poddisruptionbudget-policy-v1.json",
                "policy/v1",
                "PodDisruptionBudget",
            ),
        ] {
            let schema: Value =
                serde_json::from_str(&std::fs::read_to_string(k8s.join(file)).unwrap()).unwrap();
            let validator = jsonschema::options()
                .with_registry(registry)
                .with_base_uri(format!("https://k8s.schemas.local/api/{file}"))
                .should_validate_formats(false)
                .build(&schema)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            validators.push((api.to_owned(), kind.to_owned(), validator));
        }
        Crds { validators }
    }

    /// Errors of `doc` against its CRD; `None` when no vendored CRD defines its kind.
    pub fn errors(&self, doc: &Value) -> Option<Vec<String>> {
        let api = doc["apiVersion"].as_str()?;
        let kind = doc["kind"].as_str()?;
        let (_, _, v) = self
            .validators
            .iter()
            .find(|(a, k, _)| a == api && k == kind)?;
        Some(
            v.iter_errors(doc)
                .map(|e| format!("{}: {e}", e.instance_path()))
                .collect(),
        )
    }

    pub fn defines(&self, api: &str, kind: &str) -> bool {
        self.validators
            .iter()
            .any(|(a, k, _)| a == api && k == kind)
    }
}

/// The API server prunes unknown fields of structural schemas; a test should
/// fail on them instead. OpenAPI's `nullable` becomes a JSON Schema type list.
fn make_strict(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    let preserve = map
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if map.contains_key("properties") && !map.contains_key("additionalProperties") && !preserve {
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    if map.get("nullable").and_then(Value::as_bool) == Some(true)
        && let Some(Value::String(t)) = map.get("type").cloned()
    {
        map.insert("type".into(), serde_json::json!([t, "null"]));
    }
    for key in ["properties", "patternProperties"] {
        if let Some(Value::Object(props)) = map.get_mut(key) {
            props.values_mut().for_each(make_strict);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(v) = map.get_mut(key) {
            make_strict(v);
        }
    }
    for key in ["anyOf", "allOf", "oneOf"] {
        if let Some(Value::Array(items)) = map.get_mut(key) {
            items.iter_mut().for_each(make_strict);
        }
    }
}

/// Every key path in the documents, values left out: what a string must not change.
pub fn shape(docs: &[Value]) -> Vec<String> {
    fn walk(v: &Value, path: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, v)| walk(v, format!("{path}.{k}"), out)),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, v)| walk(v, format!("{path}[{i}]"), out)),
            _ => out.push(path),
        }
    }
    let mut out = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        walk(d, format!("doc{i}"), &mut out);
    }
    out
}

/// The kubelet's `$(VAR)` expansion of env values, command and args:
/// kubernetes `third_party/forked/golang/expansion/expand.go`, `Expand`
/// (held to its test table in tests/it/controllers/kubelet.rs).
pub fn kubelet_expand(input: &str, mapping: &std::collections::BTreeMap<String, String>) -> String {
    let bytes = input.as_bytes();
    let mut out = String::new();
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest[1..].find(')') {
                    Some(end) => {
                        let name = &rest[1..1 + end];
                        match mapping.get(name) {
                            Some(v) => out.push_str(v),
                            None => out.push_str(&format!("$({name})")),
                        }
                        end + 2
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // `$` and the next character (one UTF-8 character).
                    let c = rest.chars().next().expect("non-empty");
                    out.push('$');
                    out.push(c);
                    c.len_utf8()
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    out.push_str(&input[checkpoint.min(input.len())..]);
    out
}

/// Microsoft's SARIF Multitool (`@microsoft/sarif-multitool`, npm, in
/// tests/tools) validates every `*.sarif` file in `dir` against the SARIF
/// 2.1.0 JSON schema and the SARIF rules. Returns each finding as
/// `file: level ruleId: arguments`. Fails unless the tool ran and scanned
/// exactly `expected` files, so a missing tool or an empty folder cannot pass.
pub fn sarif_findings(dir: &Path, expected: usize) -> Vec<String> {
    let tool =
        root().join("tests/tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    assert!(
        tool.is_file(),
        "the SARIF Multitool is not installed: run `npm ci` in tests/tools (scripts/test.sh does)"
    );
    let log = dir.join("validation.out");
    let out = Command::new(&tool)
        .arg("validate")
        .arg(dir.join("*.sarif"))
        .arg("--output")
        .arg(&log)
        .args(["--log", "ForceOverwrite", "--quiet"])
        .current_dir(dir)
        // .NET without ICU (a fresh machine has none); no telemetry, no network.
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run the SARIF Multitool");
    let stdout = text(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(&format!("Done. {expected} files scanned.")),
        "the SARIF Multitool did not scan {expected} file(s): {stdout}{}",
        text(&out.stderr)
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&log).expect("its log")).unwrap();
    let run = &log["runs"][0];
    assert_eq!(
        run["invocations"][0]["executionSuccessful"], true,
        "{log:#}"
    );
    run["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or("?");
            format!(
                "{}: {} {}: {}",
                uri.rsplit('/').next().unwrap_or(uri),
                r["level"].as_str().unwrap_or("warning"),
                r["ruleId"].as_str().unwrap_or("?"),
                r["message"]["arguments"]
            )
        })
        .collect()
}

/// A fresh, empty folder of this test process under the system's temp dir.
pub fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

/// `name` in the folder of release artefacts scripts/dist.sh built
/// (`OAMC_DIST`). A test of an artefact is `#[ignore]`d in the test command
/// and run by dist.sh, which builds each artefact once (.ci/run runs both).
/// Run without it, the test fails and says how to run it: never a pass that
/// tested nothing.
pub fn dist(name: &str) -> PathBuf {
    let dir = std::env::var_os("OAMC_DIST").unwrap_or_else(|| {
        panic!("OAMC_DIST is not set: run scripts/dist.sh, which builds the release artefacts and runs this test against them")
    });
    let path = PathBuf::from(dir).join(name);
    assert!(
        path.exists(),
        "{} is missing: scripts/dist.sh builds it",
        path.display()
    );
    path
}

/// A run of the real binary, built up and checked in one expression (as
/// casey/just's tests read): `Cli::new(&["render", d]).fails(1).stderr_has("…")`.
pub struct Cli {
    args: Vec<String>,
    stdin: Option<String>,
}

/// What a [`Cli`] run printed.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Cli {
    pub fn new(args: &[&str]) -> Cli {
        Cli {
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            stdin: None,
        }
    }

    pub fn stdin(mut self, text: &str) -> Cli {
        self.stdin = Some(text.to_owned());
        self
    }

    pub fn run(self) -> Ran {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let out = oamc(&args, self.stdin.as_deref());
        Ran {
            code: out.status.code(),
            stdout: text(&out.stdout),
            stderr: text(&out.stderr),
        }
    }

    /// Run, and hold it to exit 0.
    pub fn succeeds(self) -> Ran {
        let what = self.args.join(" ");
        let ran = self.run();
        assert_eq!(ran.code, Some(0), "oamc {what}\n{}", ran.stderr);
        ran
    }

    /// Run, and hold it to exit `code` with nothing on stdout (complete or refused).
    pub fn fails(self, code: i32) -> Ran {
        let what = self.args.join(" ");
        let ran = self.run();
        assert_eq!(ran.code, Some(code), "oamc {what}\n{}", ran.stderr);
        assert!(ran.stdout.is_empty(), "oamc {what} printed\n{}", ran.stdout);
        ran
    }
}

impl Ran {
    /// Holds stderr to hold each of `parts`.
    pub fn stderr_has(self, parts: &[&str]) -> Ran {
        for part in parts {
            assert!(
                self.stderr.contains(part),
                "no {part:?} in\n{}",
                self.stderr
            );
        }
        self
    }
}
