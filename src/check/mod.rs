//! Check: from spanned YAML documents to typed, validated Applications, with
//! every problem reported as a [`Diagnostic`] at its source position.
//!
//! Order per document: JSON Schema (structure, types, unknown keys) → typed
//! read → semantic rules (formats, derived names, cross-field rules).

pub mod numbers;
mod promotion;
mod rules;
mod schema_errors;
pub mod traits;
pub(crate) use schema_errors::suggest;
pub mod syntax;

use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::dom::{self, Node, Pos, Seg};
use crate::model::{self, Application, AppmodService};
use crate::path;
use serde::Deserialize;
use std::sync::Arc;

/// An Application that passed every check, ready to plan.
#[derive(Debug, Clone)]
pub struct CheckedApp {
    pub file: Arc<SourceFile>,
    pub app: Application,
    pub services: Vec<CheckedService>,
    pub promotion: Option<CheckedPromotion>,
}

/// A valid `kargo-promotion` policy and what it promotes.
#[derive(Debug, Clone)]
pub struct CheckedPromotion {
    pub props: model::KargoPromotion,
    /// Index of the promoted component in `spec.components` (the image key's index).
    pub component_index: usize,
    /// The image repository the Warehouse watches (resolved default).
    pub image_repo: String,
}

#[derive(Debug, Clone)]
pub struct CheckedService {
    pub name: String,
    pub props: AppmodService,
    pub traits: traits::CheckedTraits,
}

/// Options that change what counts as an error.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// Unknown component types and traits are errors instead of warnings.
    pub strict: bool,
    /// Only the Kargo pipeline is rendered (`--promotion only`): an
    /// Application without a kargo-promotion policy would render nothing.
    pub promotion_only: bool,
}

/// The committed schema, compiled into the binary at build time: nothing to
/// build or meta-check at start-up (a test holds the file equal to what the
/// types generate).
#[jsonschema::validator(
    path = "schemas/appmod-service.schema.json",
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
        for (mut json, doc) in docs {
            if !is_application(&json) {
                continue;
            }
            numbers::whole_floats_to_integers(&mut json);
            let json = &json;
            report.applications_seen += 1;
            let mut ctx = DocContext {
                file,
                doc,
                options: self.options,
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

    fn check_document(&self, ctx: &mut DocContext, json: &serde_json::Value) -> Option<CheckedApp> {
        if let Some(doc) = ctx.doc {
            let mut found = Vec::new();
            numbers::leading_zero_numbers(doc, &ctx.file.text, &mut found);
            for (pos, spelling) in found {
                let digits = spelling
                    .trim_start_matches(['-', '+'])
                    .trim_start_matches('0');
                ctx.push_at(
                    Code::LeadingZero,
                    Some(pos),
                    format!("`{spelling}` is a number with a leading zero, which YAML readers disagree on"),
                )
                .help = Some(format!(
                    "YAML 1.1 readers such as kubectl read it as octal, YAML 1.2 readers as decimal; write `{}` (or quote it if it is text)",
                    if digits.is_empty() || digits.starts_with('.') { format!("0{digits}") } else { digits.to_owned() }
                ));
            }
        }
        let mut broken: Vec<Vec<Seg>> = Vec::new();
        // Most documents are valid, and asking only that costs a fraction of
        // collecting errors.
        if !ApplicationSchema::is_valid(json) {
            let schema = self.schema.get_or_init(crate::schema::committed_schema);
            for error in ApplicationSchema::iter_errors(json) {
                broken.extend(schema_errors::report(ctx, schema, &error));
            }
        }
        // Semantic rules still run on every part the schema accepted, so one
        // run shows all problems, not the schema's and then the rules'.
        let broken = rules::Broken(&broken);
        if broken.intact(&path!["metadata"])
            && let Some(metadata) =
                ctx.typed::<model::Metadata>(&path!["metadata"], json["metadata"].clone())
        {
            rules::check_metadata(ctx, &metadata);
        }
        let components = json.pointer("/spec/components").and_then(|c| c.as_array());
        if components.is_some_and(|c| c.len() > dom::limits::MAX_COMPONENTS) {
            ctx.error(
                Code::YamlLimit,
                &path!["spec", "components"],
                format!(
                    "more than {} components in one Application",
                    dom::limits::MAX_COMPONENTS
                ),
            )
            .help = Some("split the Application".into());
            return None;
        }
        let mut names = rules::ComponentNames::default();
        let mut routes = traits::Routes::new();
        let mut services = Vec::new();
        let mut service_components = Vec::new();
        for (i, value) in components.into_iter().flatten().enumerate() {
            // The component's own name and type must be readable; a broken trait
            // or property spoils only itself (the rules skip it).
            let envelope = ["name", "type"].map(|k| path!["spec", "components", i, k]);
            if !envelope.iter().all(|p| broken.intact(p)) {
                continue;
            }
            let at = path!["spec", "components", i];
            let Some(component) = ctx.typed::<model::Component>(&at, value.clone()) else {
                continue;
            };
            if component.type_ == model::APPMOD_SERVICE {
                service_components.push(promotion::ServiceComponent {
                    index: i,
                    name: component.name.clone(),
                    image: value
                        .pointer("/properties/image")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                });
            }
            if let Some(service) =
                rules::check_component(ctx, i, &component, &mut names, &broken, &mut routes)
            {
                services.push(service);
            }
        }

        let app_name = json.pointer("/metadata/name").and_then(|v| v.as_str());
        let policies = json.pointer("/spec/policies").and_then(|c| c.as_array());
        let mut promotion = None;
        let mut promotion_seen = None;
        for (i, value) in policies.into_iter().flatten().enumerate() {
            let envelope = ["name", "type"].map(|k| path!["spec", "policies", i, k]);
            if !envelope.iter().all(|p| broken.intact(p)) {
                continue;
            }
            let at = path!["spec", "policies", i];
            let Some(policy) = ctx.typed::<model::Policy>(&at, value.clone()) else {
                continue;
            };
            if policy.type_ != model::KARGO_PROMOTION
                && let Some(meant) = crate::defs::misspelling_of(
                    &policy.type_,
                    crate::defs::POLICY_TYPES.iter().copied(),
                )
            {
                ctx.error(
                    Code::MisspeltType,
                    &path!["spec", "policies", i, "type"],
                    format!(
                        "policy `{}` has type `{}`, which is not a type oamc applies",
                        policy.name, policy.type_
                    ),
                )
                .help = Some(format!("did you mean `{meant}`?"));
                continue;
            }
            if policy.type_ != model::KARGO_PROMOTION {
                ctx.lenient(
                    Code::UnknownPolicy,
                    &path!["spec", "policies", i, "type"],
                    format!(
                        "policy `{}` has type `{}`, which oamc does not apply",
                        policy.name, policy.type_
                    ),
                )
                .help = Some(format!(
                    "oamc applies `{}` policies; use --strict to make this an error",
                    model::KARGO_PROMOTION
                ));
                continue;
            }
            if let Some(first) = promotion_seen.replace(i) {
                ctx.error(
                    Code::DuplicatePolicy,
                    &path!["spec", "policies", i, "type"],
                    format!("a second kargo-promotion policy (the first is spec.policies[{first}]); an Application has one pipeline"),
                );
                continue;
            }
            if !broken.intact(&path!["spec", "policies", i]) {
                continue;
            }
            let props_json = policy.properties.clone().unwrap_or_default();
            let props_at = path!["spec", "policies", i, "properties"];
            if let Some(props) = ctx.typed::<model::KargoPromotion>(&props_at, props_json) {
                promotion =
                    promotion::check_promotion(ctx, i, app_name, &props, &service_components);
            }
        }
        if self.options.promotion_only && promotion_seen.is_none() {
            let at = if policies.is_some() {
                path!["spec", "policies"]
            } else {
                path!["metadata", "name"]
            };
            ctx.error(
                Code::NoPromotionPolicy,
                &at,
                format!(
                    "`--promotion only` renders the Kargo pipeline, and Application `{}` has no kargo-promotion policy",
                    app_name.unwrap_or("?")
                ),
            )
            .help = Some("add a kargo-promotion policy, or render this Application with `--promotion include` or `skip`".into());
        }
        if ctx.diagnostics.iter().any(Diagnostic::is_error) {
            return None;
        }
        let app = match Application::deserialize(json) {
            Ok(app) => app,
            Err(e) => {
                ctx.error(
                    Code::Internal,
                    &[],
                    format!("cannot read the Application: {e}"),
                );
                return None;
            }
        };
        Some(CheckedApp {
            file: ctx.file.clone(),
            app,
            services,
            promotion,
        })
    }
}

/// A document is compiled when it says it is an OAM Application; anything else
/// (a Kustomization, a plain ConfigMap) is not ours and passes silently.
pub fn is_application(doc: &serde_json::Value) -> bool {
    let text = |key| doc.get(key).and_then(serde_json::Value::as_str);
    text("apiVersion").is_some_and(|api| api.starts_with("core.oam.dev/"))
        && text("kind") == Some(model::KIND)
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
    let mut d = Diagnostic::error(code, format!("invalid YAML: {}", e.message)).at(file, e.pos);
    if code == Code::DuplicateKey {
        d = d.help("Kubernetes would silently keep only one of the values; remove the other");
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

/// One document being checked: where diagnostics point and where they go.
pub(crate) struct DocContext<'a> {
    pub file: &'a Arc<SourceFile>,
    /// The document with source positions; `None` on the first, position-free
    /// pass, whose diagnostics are thrown away (see [`Checker::check_file`]).
    pub doc: Option<&'a Node>,
    pub options: CheckOptions,
    pub diagnostics: Vec<Diagnostic>,
}

impl DocContext<'_> {
    pub fn pos(&self, path: &[Seg]) -> Option<Pos> {
        self.doc.map(|doc| doc.locate(path).pos)
    }

    /// Where the key `key` of the mapping at `path` is written.
    pub fn key_pos(&self, path: &[Seg], key: &str) -> Option<Pos> {
        self.doc
            .and_then(|doc| doc.locate_key(path, key))
            .map(|k| k.pos)
            .or_else(|| self.pos(path))
    }

    /// The value at `path` read into its typed form. The schema accepted it,
    /// so a failure here is a gap between the schema and the types: reported,
    /// never dropped, so the component cannot vanish from the output.
    pub fn typed<T: serde::de::DeserializeOwned>(
        &mut self,
        path: &[Seg],
        value: serde_json::Value,
    ) -> Option<T> {
        match serde_json::from_value(value) {
            Ok(typed) => Some(typed),
            Err(e) => {
                self.error(
                    Code::Internal,
                    path,
                    format!("cannot read {}: {e}", schema_errors::describe(path)),
                );
                None
            }
        }
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    pub fn error(
        &mut self,
        code: Code,
        path: &[Seg],
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let pos = self.pos(path);
        self.push_at(code, pos, message)
    }

    /// An error at a position found by other means than a path.
    pub fn push_at(
        &mut self,
        code: Code,
        pos: Option<Pos>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let index = self.diagnostics.len();
        self.diagnostics
            .push(Diagnostic::error(code, message).at(self.file, pos));
        &mut self.diagnostics[index]
    }

    /// A warning, or an error under `--strict`.
    pub fn lenient(
        &mut self,
        code: Code,
        path: &[Seg],
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let strict = self.options.strict;
        let d = self.error(code, path, message);
        if !strict {
            d.severity = crate::diagnostic::Severity::Warning;
        }
        d
    }
}

/// Build a path (an array of segments): `path!["spec", "components", 0]`.
#[macro_export]
macro_rules! path {
    ($($seg:expr),* $(,)?) => {
        [$($crate::dom::Seg::from($seg)),*]
    };
}

impl From<&str> for Seg {
    fn from(s: &str) -> Seg {
        Seg::Key(s.to_owned())
    }
}

impl From<usize> for Seg {
    fn from(i: usize) -> Seg {
        Seg::Index(i)
    }
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
            .build(&crate::schema::committed_schema())
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
