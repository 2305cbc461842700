//! The checker's two passes over a file: first without source positions
//! (the fast reader), then, only for a file with something to report, with
//! them. Each document is held to the compiled JSON Schema, then handed to
//! the definitions (`defs`) for typed reading and rules.

use crate::check::{Broken, CheckOptions, DocContext, numbers, schema_errors};
use crate::defs::CheckedApp;
use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::dom::{self, DocPath, Node, Seg};
use crate::model;
use std::sync::Arc;

/// The committed schema (the checker's form: no format patterns), compiled
/// into the binary at build time: nothing to build or meta-check at start-up
/// (a test holds the file equal to what the types generate).
#[jsonschema::validator(
    path = "src/driver/application.schema.json",
    draft = Draft7,
    validate_formats = false
)]
struct ApplicationSchema;

/// Checks files with the compiled schema and the rules; one per process.
pub struct Checker {
    /// The schema as a value, read only to explain a failure (suggestions, allowed values).
    schema: std::sync::OnceLock<serde_json::Value>,
    options: CheckOptions,
}

/// What checking one file produced.
#[derive(Default)]
pub struct FileReport {
    pub apps: Vec<CheckedApp>,
    /// Applications found, valid or not.
    pub applications_seen: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// The file's documents that are not Applications (nor near misses):
    /// `validate` passes over them; `render` refuses or passes them through.
    pub others: Vec<OtherDocument>,
}

/// A resource that is not an OAM Application: a ConfigMap beside the
/// Application, a golden file of rendered manifests.
#[derive(Debug, Clone)]
pub struct OtherDocument {
    /// Its place among the file's non-empty documents (to point at it again,
    /// on the error path only).
    pub ordinal: usize,
    /// What it is, for a message: `` `ConfigMap` (v1) `settings` ``.
    pub summary: String,
    /// The document, kept only when the run passes such documents through.
    pub value: Option<serde_json::Value>,
}

impl Checker {
    pub fn new(options: CheckOptions) -> Checker {
        Checker {
            schema: std::sync::OnceLock::new(),
            options,
        }
    }

    /// Check every Application in one file. Most files are valid, so they are
    /// first read without source positions (the fast reader of rendered
    /// output, a fraction of the cost); only a file with something to report,
    /// or outside that reader's plain subset, is read again with positions
    /// and checked again, so every diagnostic points at its line and column.
    pub fn check_file(&self, file: &Arc<SourceFile>) -> FileReport {
        if let Some(values) = crate::readback::read_plain_subset(&file.text) {
            let report = self.check_documents(file, values.into_iter().map(|v| (v, None)));
            if report.diagnostics.is_empty() {
                return report;
            }
        }
        self.check_file_with_positions(file)
    }

    fn check_file_with_positions(&self, file: &Arc<SourceFile>) -> FileReport {
        let docs = match dom::parse_stream(&file.text) {
            Ok(docs) => docs,
            Err(e) => return yaml_error_report(file, e),
        };
        self.check_documents(file, docs.iter().map(|doc| (doc.to_json(), Some(doc))))
    }

    fn check_documents<'a>(
        &self,
        file: &Arc<SourceFile>,
        docs: impl Iterator<Item = (serde_json::Value, Option<&'a Node>)>,
    ) -> FileReport {
        let mut report = FileReport::default();
        // Empty documents (`---` alone, comments) hold nothing to lose.
        let docs = docs.filter(|(json, _)| !json.is_null());
        for (ordinal, (mut json, doc)) in docs.enumerate() {
            if !is_application(&json) {
                // A near miss is refused: skipped, it would vanish from the
                // stream, and Argo CD would prune what it had deployed.
                if let Some(d) = near_miss(file, doc, &json) {
                    report.diagnostics.push(d);
                } else {
                    self.other_document(file, doc, json, ordinal, &mut report);
                }
                continue;
            }
            numbers::whole_floats_to_integers(&mut json);
            let json = &json;
            report.applications_seen += 1;
            let mut ctx = DocContext {
                file,
                doc,
                options: self.options.clone(),
                diagnostics: Vec::new(),
            };
            let app = self.check_document(&mut ctx, json);
            report.diagnostics.append(&mut ctx.diagnostics);
            if let Some(app) = app {
                report.apps.push(app);
            }
        }
        // Read top to bottom, whichever stage found the problem.
        report
            .diagnostics
            .sort_by_key(|d| d.pos.map(|p| (p.line, p.col)));
        report
    }

    /// Note a document that is not an Application. Passed through, it is
    /// held to the same reader check as an Application: kubectl must read
    /// every plain scalar of it as oamc does, or the re-emitted document
    /// would mean something else than the file did.
    fn other_document(
        &self,
        file: &Arc<SourceFile>,
        doc: Option<&Node>,
        json: serde_json::Value,
        ordinal: usize,
        report: &mut FileReport,
    ) {
        if !is_resource(&json) {
            return;
        }
        let summary = summary(&json);
        let value = if self.options.pass_through {
            let mut ctx = DocContext {
                file,
                doc,
                options: self.options.clone(),
                diagnostics: Vec::new(),
            };
            crate::check::kubectl_yaml::report_reader_disagreements(&mut ctx);
            report.diagnostics.append(&mut ctx.diagnostics);
            Some(json)
        } else {
            None
        };
        report.others.push(OtherDocument {
            ordinal,
            summary,
            value,
        });
    }

    fn check_document(&self, ctx: &mut DocContext, json: &serde_json::Value) -> Option<CheckedApp> {
        numbers::report_leading_zeros(ctx);
        crate::check::kubectl_yaml::report_reader_disagreements(ctx);
        crate::check::control::report_control_characters(ctx, json);
        let mut broken: Vec<DocPath> = Vec::new();
        // Most documents are valid, and asking only that costs a fraction of
        // collecting errors.
        if !ApplicationSchema::is_valid(json) {
            let schema = self.schema.get_or_init(schema_errors::committed_schema);
            for error in ApplicationSchema::iter_errors(json) {
                broken.extend(schema_errors::report(ctx, schema, &error));
            }
        }
        let schema = self.schema.get_or_init(schema_errors::committed_schema);
        crate::check::envelope::check_envelope_keys(ctx, json, schema);
        // Semantic rules still run on every part the schema accepted, so one
        // run shows all problems, not the schema's and then the rules'.
        crate::defs::check_application(ctx, json, &Broken(&broken))
    }
}

/// A document is compiled when it says it is an OAM Application; anything else
/// (a Kustomization, a plain ConfigMap) is not ours and passes silently.
pub fn is_application(doc: &serde_json::Value) -> bool {
    let text = |key| doc.get(key).and_then(serde_json::Value::as_str);
    text("apiVersion").is_some_and(|api| api.starts_with("core.oam.dev/"))
        && text("kind") == Some(model::KIND)
}

/// Whether a document that is not an Application is a resource Argo CD
/// would apply: a mapping with a `kind`. A values file or a tool's
/// configuration (no `kind`) is not, nor is kustomize's own configuration
/// (`kustomize.config.k8s.io`: kustomize reads a Kustomization, nothing
/// applies it); Argo CD would not apply those from a folder either.
fn is_resource(json: &serde_json::Value) -> bool {
    let text = |key| json.get(key).and_then(serde_json::Value::as_str);
    text("kind").is_some()
        && !text("apiVersion").is_some_and(|api| api.starts_with("kustomize.config.k8s.io/"))
}

/// A document in a few words: `` `ConfigMap` (v1) `settings` ``.
pub fn summary(json: &serde_json::Value) -> String {
    let text = |pointer| json.pointer(pointer).and_then(serde_json::Value::as_str);
    let short = |t: &str| crate::text::shown_within(t, 60).into_owned();
    let mut out = match (text("/kind"), text("/apiVersion")) {
        (Some(kind), Some(api)) => format!("`{}` ({})", short(kind), short(api)),
        (Some(kind), None) => format!("`{}`", short(kind)),
        _ if json.is_object() => "a document without `kind`".to_owned(),
        _ => "a document that is not a mapping".to_owned(),
    };
    if let Some(name) = text("/metadata/name") {
        out.push_str(&format!(" `{}`", short(name)));
    }
    out
}

/// A document that reads like an OAM Application with a typo in `kind` or
/// `apiVersion` (`Applicaton`, `application`, `core.oam.io/v1beta1`): an
/// error at the field, with the spelling meant. Another API's `Application`
/// (Argo CD's `argoproj.io`) and other kinds of `core.oam.dev` (a
/// ComponentDefinition) are not near misses.
fn near_miss(
    file: &Arc<SourceFile>,
    doc: Option<&Node>,
    json: &serde_json::Value,
) -> Option<Diagnostic> {
    let text = |key| json.get(key).and_then(serde_json::Value::as_str);
    let (api, kind) = (text("apiVersion")?, text("kind")?);
    let group = api.split('/').next().unwrap_or(api);
    let oam_group = group == "core.oam.dev";
    // One typo away, or OAM's name in another domain (`core.oam.io`).
    let group_close = !oam_group
        && (crate::check::suggest(group, ["core.oam.dev"]).is_some()
            || group
                .split('.')
                .any(|part| part.eq_ignore_ascii_case("oam")));
    let kind_close = kind != model::KIND && crate::check::suggest(kind, [model::KIND]).is_some();
    let (path, message, help) = if oam_group && kind_close {
        (
            "kind",
            format!("kind `{kind}` is not an OAM kind: this document would be skipped"),
            format!("did you mean `{}`?", model::KIND),
        )
    } else if group_close && (kind == model::KIND || kind_close) {
        (
            "apiVersion",
            format!("apiVersion `{api}` is not OAM's: this document would be skipped"),
            format!("did you mean `{}`?", model::API_VERSION),
        )
    } else {
        return None;
    };
    let pos = doc.map(|d| d.locate(&[Seg::Key(path.into())]).pos);
    Some(
        Diagnostic::error(Code::NearMissDocument, message)
            .at(file, pos)
            .help(help),
    )
}

/// A file that is not YAML oamc reads: one diagnostic, at the problem.
fn yaml_error_report(file: &Arc<SourceFile>, e: dom::YamlError) -> FileReport {
    let code = if e.message.contains("budget") || e.message.contains("limit") {
        Code::YamlLimit
    } else if e.message.contains("duplicate mapping key") {
        Code::DuplicateKey
    } else {
        Code::YamlSyntax
    };
    // Text that is not YAML and never names OAM's API group cannot hold an
    // Application (a Helm template, a Jinja file): not ours, like a ConfigMap.
    // Every Application names `core.oam.dev` in its apiVersion, so a broken
    // one is still reported; input over the limits always is.
    if code != Code::YamlLimit && !file.text.contains("core.oam.dev") {
        return FileReport::default();
    }
    let mistake = match (code, e.pos) {
        (Code::YamlSyntax, Some(pos)) => {
            crate::check::yaml_mistakes::explain(&file.text, pos.line).map(|m| (m, pos))
        }
        _ => None,
    };
    if let Some((m, parser)) = mistake {
        // The mistake in the user's words, where it is; the parser's words
        // and position stay as the label.
        let d = Diagnostic::error(code, format!("invalid YAML: {}", m.message))
            .at(file, Some(dom::pos_at(&file.text, m.line, m.col)))
            .label(format!(
                "the parser, at {}:{}: {}",
                parser.line, parser.col, e.message
            ))
            .help(m.help);
        return FileReport {
            diagnostics: vec![d],
            ..FileReport::default()
        };
    }
    let mut d = Diagnostic::error(code, format!("invalid YAML: {}", e.message)).at(file, e.pos);
    if code == Code::DuplicateKey {
        d = d.help(
            e.pos
                .and_then(|p| misindented_hint(&file.text, p.line as usize))
                .unwrap_or_else(|| crate::check::DUPLICATE_KEY_HELP.into()),
        );
    }
    if code == Code::YamlLimit {
        d = d.help(format!(
            "oamc refuses inputs beyond {} bytes, nesting depth {}, {} nodes, {} aliases or {} documents",
            dom::limits::MAX_FILE_BYTES,
            dom::limits::MAX_DEPTH,
            dom::limits::MAX_NODES,
            dom::limits::MAX_ALIASES,
            dom::limits::MAX_DOCUMENTS
        ));
    }
    FileReport {
        diagnostics: vec![d],
        ..FileReport::default()
    }
}

/// A key repeated right after a nested block is usually a line of that block
/// indented too little (`image:` meant under `functionalGate:`), not a key
/// written twice: say so, with the lines involved.
fn misindented_hint(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let content = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
    let here = *lines.get(line.checked_sub(1)?)?;
    let key = here
        .trim_start()
        .trim_start_matches("- ")
        .split(':')
        .next()?
        .trim();
    let before = &lines[..line - 1];
    // The line before is deeper: the duplicate closes a nested block.
    let previous = before.iter().rev().find(|l| content(l))?;
    if indent(previous) <= indent(here) {
        return None;
    }
    // The key that opened that block, at the duplicate's own indentation.
    let (opener_at, opener) = before
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| content(l) && indent(l) <= indent(here))?;
    if indent(opener) != indent(here) || !opener.trim_end().ends_with(':') {
        return None;
    }
    let block = opener.trim().trim_end_matches(':');
    let child_indent = before[opener_at + 1..]
        .iter()
        .find(|l| content(l))
        .map_or(indent(here) + 2, |l| indent(l));
    Some(format!(
        "if `{key}` belongs to `{block}` (line {}), indent it to column {} like the lines under it; \
         otherwise remove one of the two `{key}` keys",
        opener_at + 1,
        child_indent + 1
    ))
}

#[cfg(test)]
mod tests {
    //! The compiled-in validator is jsonschema's code generation, a younger
    //! path than its runtime validator: hold the two to the same answers on
    //! every fixture and on random damage to them.
    use super::ApplicationSchema;
    use proptest::prelude::*;
    use serde_json::{Value, json};
    use std::sync::LazyLock;

    fn runtime() -> jsonschema::Validator {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(false)
            .build(&crate::check::schema_errors::committed_schema())
            .unwrap()
    }

    /// Every error as (where, which keyword, what it says), in a stable order.
    fn errors<'a>(found: impl Iterator<Item = jsonschema::ValidationError<'a>>) -> Vec<String> {
        let mut all: Vec<String> = found
            .map(|e| format!("{} | {} | {}", e.instance_path(), e.schema_path(), e))
            .collect();
        all.sort();
        all
    }

    fn places(errors: &[String]) -> std::collections::BTreeSet<&str> {
        errors
            .iter()
            .filter_map(|e| e.split(" | ").next())
            .collect()
    }

    /// The same verdict, errors at the same places, and no error the runtime
    /// validator does not report. (The generated code leaves out an error
    /// implied by another at the same place: `[]` for a `const` string is
    /// reported as not the constant, not also as not a string.)
    fn assert_same(runtime: &jsonschema::Validator, doc: &Value) {
        assert_eq!(
            ApplicationSchema::is_valid(doc),
            runtime.is_valid(doc),
            "{doc}"
        );
        let compiled = errors(ApplicationSchema::iter_errors(doc));
        let expected = errors(runtime.iter_errors(doc));
        assert_eq!(places(&compiled), places(&expected), "{doc}");
        for error in &compiled {
            assert!(expected.contains(error), "{error} not in {expected:#?}");
        }
    }

    fn fixture_documents() -> Vec<Value> {
        fixture_files()
            .iter()
            .filter_map(|f| crate::dom::parse_values(&std::fs::read_to_string(f).unwrap()).ok())
            .flatten()
            .filter(|d| d["kind"] == "Application")
            .collect()
    }

    fn fixture_files() -> Vec<std::path::PathBuf> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
        let mut files = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(root)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml") {
                    files.push(path);
                }
            }
        }
        files.sort();
        files
    }

    /// The position-free first pass must accept exactly what the full pass
    /// accepts, with the same result; anything else goes to the full pass.
    #[test]
    fn first_pass_without_positions_checks_like_the_full_pass() {
        // The deep-nesting fixture needs the stack of a main thread, where the CLI
        // reads its files, not the 2 MiB of a test thread (in a debug build).
        std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(first_pass_agrees)
            .unwrap()
            .join()
            .unwrap();
    }

    fn first_pass_agrees() {
        let checker = super::Checker::new(Default::default());
        let mut fast = 0;
        for path in fixture_files() {
            let text = std::fs::read_to_string(&path).unwrap();
            let file = std::sync::Arc::new(crate::diagnostic::SourceFile {
                name: path.display().to_string(),
                text,
            });
            let full = checker.check_file_with_positions(&file);
            let report = checker.check_file(&file);
            assert_eq!(
                format!("{:?}", report.apps),
                format!("{:?}", full.apps),
                "{path:?}"
            );
            assert_eq!(report.applications_seen, full.applications_seen, "{path:?}");
            let messages = |r: &super::FileReport| {
                r.diagnostics
                    .iter()
                    .map(|d| format!("{:?} {:?} {}", d.code, d.pos, d.message))
                    .collect::<Vec<_>>()
            };
            assert_eq!(messages(&report), messages(&full), "{path:?}");
            if let Some(values) = crate::readback::read_plain_subset(&file.text)
                && checker
                    .check_documents(&file, values.into_iter().map(|v| (v, None)))
                    .diagnostics
                    .is_empty()
            {
                fast += 1;
            }
        }
        // The valid fixtures take the fast pass.
        assert!(fast >= 15, "only {fast} fixtures took the first pass");
    }

    #[test]
    fn compiled_and_runtime_validators_agree_on_every_fixture() {
        let runtime = runtime();
        let docs = fixture_documents();
        assert!(docs.len() > 20, "found only {} Applications", docs.len());
        assert!(docs.iter().any(|d| !runtime.is_valid(d)));
        for doc in &docs {
            assert_same(&runtime, doc);
        }
    }

    /// Every path to a node of `doc`, as JSON pointers.
    fn pointers(doc: &Value, at: String, out: &mut Vec<String>) {
        match doc {
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                pointers(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                )
            }),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, v)| pointers(v, format!("{at}/{i}"), out)),
            _ => {}
        }
        out.push(at);
    }

    fn damage() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-zA-Z0-9 ./:{}-]{0,12}".prop_map(Value::from),
            Just(json!([])),
            Just(json!({})),
            Just(json!({ "funtionalGate": 1 })),
            Just(json!(["x", 1, null])),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn compiled_and_runtime_validators_agree_on_damaged_fixtures(
            pick in any::<prop::sample::Index>(),
            spots in prop::collection::vec((any::<prop::sample::Index>(), damage(), any::<bool>()), 1..4),
        ) {
            static RUNTIME: LazyLock<jsonschema::Validator> = LazyLock::new(runtime);
            static DOCS: LazyLock<Vec<Value>> = LazyLock::new(fixture_documents);
            let mut doc = DOCS[pick.index(DOCS.len())].clone();
            for (spot, value, remove) in spots {
                let mut all = Vec::new();
                pointers(&doc, String::new(), &mut all);
                let target = all[spot.index(all.len())].clone();
                // Remove a key, or put something else in a node's place.
                let (parent, key) = target.rsplit_once('/').unwrap_or(("", ""));
                match (remove, doc.pointer_mut(parent)) {
                    (true, Some(Value::Object(map))) => {
                        map.remove(&key.replace("~1", "/").replace("~0", "~"));
                    }
                    _ => {
                        if let Some(node) = doc.pointer_mut(&target) {
                            *node = value;
                        }
                    }
                }
            }
            assert_same(&RUNTIME, &doc);
        }
    }
}
