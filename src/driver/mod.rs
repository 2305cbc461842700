//! The driver: runs the pipeline over a set of files — check every file
//! (in parallel), plan, render, verify and emit — and holds what only the
//! whole run can see (an empty stream, duplicate resources). Nothing below
//! it imports it.

mod file_check;
mod others;
mod timings;
pub use file_check::is_application;
pub use file_check::{Checker, FileReport, OtherDocument};
pub use timings::{Phase, Timings};

use crate::check::CheckOptions;
use crate::diagnostic::{self, Code, Diagnostic, SourceFile};
use crate::plan::AppPlan;
use crate::platform::Platform;
use crate::{defs, dom, emit, names, path, render, verify};

use std::path::PathBuf;
use std::sync::Arc;

/// Everything that shapes a compilation besides the input.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub check: CheckOptions,
    /// Namespace for Applications that do not set one.
    pub namespace: Option<String>,
    pub templates: Option<PathBuf>,
    /// When set (the Argo CD plugin), `templates` is a folder inside this
    /// one and is read only through it.
    pub source_root: Option<PathBuf>,
    pub platform: Platform,
    pub promotion: render::PromotionOutput,
    /// The output is the rendered-manifests tree (`-o`): one folder per
    /// Application and stage, each applied on its own.
    pub output_tree: bool,
    /// Bytes all inputs of the run may hold once their aliases are expanded.
    pub input_budget: InputBudget,
    /// Documents that are not Applications are neither refused nor passed
    /// through (`diff`, which compares Applications, not what Argo CD applies).
    pub ignore_other_documents: bool,
}

/// Bytes all documents of a run may render to (input is at most 64 MiB by
/// default; templates format it, they do not multiply it).
pub const MAX_OUTPUT_BYTES: usize = 256 << 20;

/// The run's memory budget for input, in MiB, unless `--max-input-mib` says otherwise.
pub const DEFAULT_INPUT_MIB: u64 = 64;

/// Bytes all inputs of a run may hold after alias expansion. Per-file limits
/// alone let thirty files of aliases add up to gigabytes.
#[derive(Debug, Clone, Copy)]
pub struct InputBudget(pub usize);

impl Options {
    /// What the run may read: its input budget, charged file by file before
    /// each is read (a file's text never holds more than its expansion).
    pub fn read_budget(&self) -> crate::load::ReadBudget {
        crate::load::ReadBudget::new(self.input_budget.0)
    }
}

impl Default for InputBudget {
    fn default() -> Self {
        InputBudget((DEFAULT_INPUT_MIB as usize) << 20)
    }
}

/// The result of checking a set of files.
pub struct Validation {
    pub apps: Vec<defs::CheckedApp>,
    pub applications_seen: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// Per file, its documents that are not Applications.
    pub others: Vec<(Arc<SourceFile>, Vec<OtherDocument>)>,
}

impl Validation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Check every Application in `files`; never stops at the first problem.
pub fn validate(files: &[Arc<SourceFile>], options: &Options) -> Validation {
    validate_timed(files, options, &Timings::default())
}

fn validate_timed(files: &[Arc<SourceFile>], options: &Options, timings: &Timings) -> Validation {
    let checker = Checker::new(options.check.clone());
    let mut out = Validation {
        apps: Vec::new(),
        applications_seen: 0,
        diagnostics: Vec::new(),
        others: Vec::new(),
    };
    // What each file will cost once read, in input order: the files past the
    // run's budget are refused, not read (reading is where the memory goes).
    let budget = options.input_budget.0;
    let costs = parallel_map(files, |file| {
        timings.time(Phase::Check, || dom::expanded_bytes(&file.text, budget).0)
    });
    let mut spent: usize = 0;
    let within = costs
        .iter()
        .take_while(|cost| {
            let total = spent.saturating_add(**cost);
            let fits = total <= budget;
            if fits {
                spent = total;
            }
            fits
        })
        .count();
    if let Some(file) = files.get(within) {
        // Where this file takes the run past its budget.
        let (_, pos) = dom::expanded_bytes(&file.text, budget - spent);
        out.diagnostics.push(
            Diagnostic::error(
                Code::InputBudget,
                format!(
                    "the input exceeds the run's memory budget of {} MiB once aliases are expanded ({} of {} files read within it)",
                    budget >> 20,
                    within,
                    files.len()
                ),
            )
            .at(file, pos)
            .help(crate::load::BUDGET_HELP),
        );
    }
    // The files read within the budget are checked all the same: every
    // problem of the run is reported, not only that the budget was reached.
    let reports = parallel_map(&files[..within], |file| {
        timings.time(Phase::Check, || checker.check_file(file))
    });
    for (file, mut report) in files.iter().zip(reports) {
        out.apps.append(&mut report.apps);
        out.applications_seen += report.applications_seen;
        out.diagnostics.append(&mut report.diagnostics);
        if !report.others.is_empty() {
            out.others.push((file.clone(), report.others));
        }
    }
    // Valid Applications that would render nothing at all (only types oamc
    // does not compile): `render` refuses them (below); `validate` says so
    // as a warning, so a pre-commit run over a repository that also holds
    // other KubeVela Applications passes, and `--strict` makes it an error.
    let renders = |app: &defs::CheckedApp| {
        let workload =
            !app.services.is_empty() && options.promotion != render::PromotionOutput::Only;
        let pipeline =
            app.promotion.is_some() && options.promotion != render::PromotionOutput::Skip;
        workload || pipeline
    };
    if !out.has_errors() && !out.apps.is_empty() && !out.apps.iter().any(renders) {
        let mut d = empty_output(files);
        if !options.check.strict {
            d.severity = diagnostic::Severity::Warning;
        }
        out.diagnostics.push(d);
    }
    out
}

fn empty_output(files: &[Arc<SourceFile>]) -> Diagnostic {
    let d = Diagnostic::error(
        Code::EmptyOutput,
        "nothing to render: no component or policy of a type oamc compiles",
    )
    .help("an empty stream would make Argo CD prune every resource of the app; see the warnings above");
    match files {
        // One file: at its (first) Application's name.
        [file] => {
            let pos = dom::parse_stream(&file.text).ok().and_then(|docs| {
                docs.iter()
                    .find(|doc| file_check::is_application(&doc.to_json()))
                    .map(|doc| doc.locate(&path!["metadata", "name"]).pos)
            });
            d.at(file, pos)
        }
        _ => d,
    }
}

/// A worker thread's stack: the main thread's on Linux.
const WORKER_STACK: usize = 8 << 20;

/// `f` over `items` on every core, results in input order. One file or
/// Application is small; many of them (a repository, a directory in CI) are
/// where the cores pay off. Workers take the next few items as they finish,
/// so one slow stretch of input does not leave a core idle.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const BATCH: usize = 8;
    // Asked only when there is work to share: the answer costs a dozen
    // reads of /proc and /sys, a tenth of a one-file run.
    let threads = if items.len() < 2 * BATCH {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(BATCH, Ordering::Relaxed);
            let Some(batch) = items.get(start..) else {
                break done;
            };
            let batch = &batch[..BATCH.min(batch.len())];
            done.extend(
                batch
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (start + i, f(item))),
            );
        }
    };
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        // A worker gets the main thread's stack, not a spawned thread's
        // 2 MiB: any file may land on any worker, and the deepest nesting
        // the reader allows needs it (in a debug build). A worker that cannot
        // start leaves its share to the others.
        let workers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut all = work();
        for w in workers {
            all.extend(
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        all
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// One compiled Application: its plan and its verified documents.
pub struct CompiledApp {
    /// The file the Application came from.
    pub source: String,
    pub file: Option<Arc<SourceFile>>,
    pub plan: AppPlan,
    /// Its resources, verified and emitted.
    pub manifests: Vec<emit::Manifest>,
}

pub struct Compilation {
    pub apps: Vec<CompiledApp>,
    /// Documents that are not Applications, passed through (`--pass-through`),
    /// printed after the rendered ones in input order.
    pub passed: Vec<others::Passed>,
    /// Warnings (and, when compilation failed, errors), in input order.
    pub diagnostics: Vec<Diagnostic>,
    /// Where the run's time went (`--timings`).
    pub timings: Timings,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// All documents as one YAML stream.
    pub fn to_yaml(&self) -> String {
        emit::to_yaml_stream(self.manifests())
    }

    /// Every document, in output order.
    pub fn manifests(&self) -> impl Iterator<Item = &emit::Manifest> {
        self.apps
            .iter()
            .flat_map(|a| &a.manifests)
            .chain(self.passed.iter().map(|p| &p.manifest))
    }
}

/// What a file without an Application holds, and where to point: its first
/// document's `kind`, or its start.
fn contents(file: &SourceFile) -> (String, dom::Pos) {
    let start = dom::pos_at(&file.text, 1, 1);
    if file.text.trim().is_empty() {
        return ("it is empty".into(), start);
    }
    // Read again only on this error path, within the same limits. Text that
    // is not YAML reaches here only when it never names `core.oam.dev` (a
    // Helm template): the checker passes it over.
    let Ok(docs) = dom::parse_stream(&file.text) else {
        return ("it is not YAML, and names no `core.oam.dev`".into(), start);
    };
    // Comments and `---` alone make no document.
    if docs.is_empty() {
        return ("it holds only comments".into(), start);
    }
    let short = |t: &str| crate::text::shown_within(t, 60).into_owned();
    let mut kinds = Vec::new();
    let mut first = None;
    for doc in &docs {
        let json = doc.to_json();
        let text = |key| json.get(key).and_then(|v| v.as_str());
        kinds.push(match (text("apiVersion"), text("kind")) {
            (Some(a), Some(k)) => format!("`{}` ({})", short(k), short(a)),
            (None, Some(k)) => format!("`{}`", short(k)),
            _ => "a document without `kind`".to_owned(),
        });
        if first.is_none() && text("kind").is_some() {
            first = Some(doc.locate(&path!["kind"]).pos);
        }
    }
    kinds.sort();
    kinds.dedup();
    let more = kinds.len().saturating_sub(4);
    kinds.truncate(4);
    let mut holds = format!("it holds {}", kinds.join(", "));
    if more > 0 {
        holds.push_str(&format!(" and {more} more kinds"));
    }
    (holds, first.unwrap_or(start))
}

/// Check and plan every Application in `files` (what `oamc plan` shows).
pub fn plan_only(files: &[Arc<SourceFile>], options: &Options) -> (Vec<AppPlan>, Vec<Diagnostic>) {
    let validation = validate(files, options);
    let plans = if validation.has_errors() {
        Vec::new()
    } else {
        validation
            .apps
            .iter()
            .map(|checked| defs::plan_app(checked, options.namespace.as_deref(), &options.platform))
            .collect()
    };
    (plans, validation.diagnostics)
}

/// Check, plan, render and verify every Application in `files`.
pub fn compile(files: &[Arc<SourceFile>], options: &Options) -> Compilation {
    let timings = Timings::default();
    let validation = validate_timed(files, options, &timings);
    let mut diagnostics = validation.diagnostics;
    no_application(files, validation.applications_seen, &mut diagnostics);
    // A document that is not an Application is refused, or passed through.
    let mut passed = Vec::new();
    if validation.applications_seen > 0 && !options.ignore_other_documents {
        if options.check.pass_through {
            let (docs, mut problems) = others::pass(&validation.others);
            passed = docs;
            diagnostics.append(&mut problems);
        } else {
            diagnostics.append(&mut others::refuse(&validation.others));
        }
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Compilation {
            apps: Vec::new(),
            passed: Vec::new(),
            diagnostics,
            timings,
        };
    }
    let templates =
        match render::Templates::load(options.templates.as_deref(), options.source_root.as_deref())
        {
            Ok(t) => t,
            Err(mut errors) => {
                diagnostics.append(&mut errors);
                return Compilation {
                    apps: Vec::new(),
                    passed: Vec::new(),
                    diagnostics,
                    timings,
                };
            }
        };
    // Bytes rendered so far by every worker: the run's output budget.
    let rendered_bytes = std::sync::atomic::AtomicUsize::new(0);
    let compiled = parallel_map(&validation.apps, |checked| {
        compile_app(checked, options, &templates, &timings, &rendered_bytes)
    });
    let mut apps = Vec::new();
    for result in compiled {
        match result {
            Ok(app) => apps.push(app),
            Err(mut errors) => diagnostics.append(&mut errors),
        }
    }
    if !diagnostics.iter().any(Diagnostic::is_error) && apps.iter().all(|a| a.manifests.is_empty())
    {
        // validate's warning of the same: here it is the error.
        diagnostics.retain(|d| d.code != Code::EmptyOutput);
        diagnostics.push(empty_output(files));
    }
    let mut compilation = Compilation {
        apps,
        passed,
        diagnostics,
        timings,
    };
    if !compilation.has_errors() {
        let mut duplicates = compilation.duplicate_resources(options.output_tree);
        compilation.diagnostics.append(&mut duplicates);
    }
    if compilation.has_errors() {
        compilation.apps.clear();
        compilation.passed.clear();
    }
    compilation
}

/// The error for a run whose files hold no Application (and no other error).
fn no_application(files: &[Arc<SourceFile>], seen: usize, diagnostics: &mut Vec<Diagnostic>) {
    if files.len() == 1 && seen == 0 && !diagnostics.iter().any(Diagnostic::is_error) {
        let (holds, pos) = contents(&files[0]);
        diagnostics.push(
            Diagnostic::error(
                Code::NoApplication,
                format!("no OAM Application in this file: {holds}"),
            )
            .at(&files[0], Some(pos))
            .help("oamc renders documents with `apiVersion: core.oam.dev/v1beta1` and `kind: Application`"),
        );
    } else if seen == 0 && !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.push(Diagnostic::error(
            Code::NoApplication,
            format!("no OAM Application in the {} input file(s)", files.len()),
        ));
    }
}

/// One checked Application planned, rendered within the run's output
/// budget (`rendered_bytes`, shared by the workers), verified and emitted.
fn compile_app(
    checked: &defs::CheckedApp,
    options: &Options,
    templates: &render::Templates,
    timings: &Timings,
    rendered_bytes: &std::sync::atomic::AtomicUsize,
) -> Result<CompiledApp, Vec<Diagnostic>> {
    let plan = timings.time(Phase::Plan, || {
        defs::plan_app(checked, options.namespace.as_deref(), &options.platform)
    });
    let rendered = timings
        .time(Phase::Render, || {
            templates.render_app(&plan, options.promotion)
        })
        .map_err(|e| vec![e])?;
    let size: usize = rendered.iter().map(|d| d.text.len()).sum();
    let total = rendered_bytes.fetch_add(size, std::sync::atomic::Ordering::Relaxed) + size;
    if total > MAX_OUTPUT_BYTES {
        return Err(vec![
            Diagnostic::error(
                Code::Template,
                format!(
                    "the run renders more than {} MiB (at Application `{}`)",
                    MAX_OUTPUT_BYTES >> 20,
                    plan.name
                ),
            )
            .at(&checked.file, None)
            .help("split the run; a custom template that repeats its input can also cause this"),
        ]);
    }
    let verified = timings.time(Phase::Verify, || verify::verify(&rendered, templates))?;
    let manifests = timings
        .time(Phase::Emit, || {
            verified
                .into_iter()
                .map(emit::manifest)
                .collect::<Result<_, _>>()
        })
        .map_err(|e| {
            vec![Diagnostic::error(
                Code::Verify,
                format!("cannot emit YAML: {e}"),
            )]
        })?;
    Ok(CompiledApp {
        source: checked.file.name.clone(),
        file: Some(checked.file.clone()),
        plan,
        manifests,
    })
}

/// A resource's identity in the output: (its folder with `-o`, apiVersion,
/// kind, namespace, name).
type ResourceKey<'a> = (
    Option<(String, Option<String>)>,
    &'a str,
    &'a str,
    Option<&'a str>,
    &'a str,
);

/// Where the Application `name` of `file` writes its name. Read again with
/// positions: valid files are first read without them, and this is needed
/// only for an error.
fn name_position(file: &SourceFile, name: &str) -> Option<dom::Pos> {
    let docs = dom::parse_stream(&file.text).ok()?;
    docs.iter()
        .filter(|doc| file_check::is_application(&doc.to_json()))
        .map(|doc| doc.locate(&path!["metadata", "name"]))
        .find(|node| node.as_str() == Some(name))
        .map(|node| node.pos)
}

impl Compilation {
    /// Two resources with the same apiVersion, kind, namespace and name in
    /// one set that Argo CD applies: the whole stream, or with `per_folder`
    /// (the rendered-manifests tree) one `<application>[/<stage>]` folder.
    fn duplicate_resources(&self, per_folder: bool) -> Vec<Diagnostic> {
        use std::collections::{BTreeMap, HashMap};
        // The Kargo pipeline and the stages' Argo CD Applications live once,
        // in Kargo's and Argo CD's cluster: in two stage folders, two Argo CD
        // Applications would own them. Only the workload is per folder.
        let pipeline = |m: &emit::Manifest| {
            m.api_version.starts_with("kargo.akuity.io/")
                || (m.api_version == "argoproj.io/v1alpha1" && m.kind == "Application")
        };
        let folder = |app: &CompiledApp, m: &emit::Manifest| {
            (per_folder && !pipeline(m))
                .then(|| (app.plan.name.clone(), names::stage_of(&app.source)))
        };
        // (folder, apiVersion, kind, namespace, name) → the Application (by index) that rendered it.
        let mut seen: HashMap<ResourceKey, usize> = HashMap::new();
        // (first, second) Application → the resources both render, one diagnostic per pair.
        let mut clashes: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
        let mut pipelines: std::collections::BTreeSet<(usize, usize)> = Default::default();
        for (i, app) in self.apps.iter().enumerate() {
            for m in &app.manifests {
                let key = (
                    folder(app, m),
                    m.api_version.as_str(),
                    m.kind.as_str(),
                    m.namespace.as_deref(),
                    m.name.as_str(),
                );
                if let Some(first) = seen.insert(key, i) {
                    if per_folder && pipeline(m) {
                        pipelines.insert((first, i));
                    }
                    let namespace = m
                        .namespace
                        .as_deref()
                        .map_or_else(String::new, |ns| format!(" in `{ns}`"));
                    clashes.entry((first, i)).or_default().push(format!(
                        "{} {} `{}`{namespace}",
                        m.api_version, m.kind, m.name
                    ));
                }
            }
        }
        let passed_clashes = self.passed_clashes(&seen);
        clashes
            .into_iter()
            .map(|((first_index, second_index), resources)| {
                let (first, second) = (&self.apps[first_index], &self.apps[second_index]);
                let d = Diagnostic::error(
                    Code::DuplicateResource,
                    format!(
                        "Application `{}` ({}) renders {} resource(s) that Application `{}` ({}) renders too: {}",
                        second.plan.name,
                        second.source,
                        resources.len(),
                        first.plan.name,
                        first.source,
                        resources.join(", ")
                    ),
                )
                .help(if pipelines.contains(&(first_index, second_index)) {
                    "the Kargo pipeline belongs in one folder, synced by one Argo CD Application: keep the kargo-promotion policy in one stage's manifest"
                } else {
                    "Argo CD would apply one over the other; give the Applications distinct names or namespaces"
                });
                match &second.file {
                    Some(file) => d.at(file, name_position(file, &second.plan.name)),
                    None => d,
                }
            })
            .chain(passed_clashes)
            .collect()
    }

    /// Each passed-through document that is also rendered, or passed twice.
    fn passed_clashes(
        &self,
        seen: &std::collections::HashMap<ResourceKey, usize>,
    ) -> Vec<Diagnostic> {
        use std::collections::HashMap;
        // A passed-through document is one more resource of the stream
        // (never with the tree: `-o` refuses `--pass-through`).
        let mut passed_clashes = Vec::new();
        let mut passed_seen: HashMap<ResourceKey, &others::Passed> = HashMap::new();
        for p in &self.passed {
            let m = &p.manifest;
            let key = (
                None,
                m.api_version.as_str(),
                m.kind.as_str(),
                m.namespace.as_deref(),
                m.name.as_str(),
            );
            let also = match (seen.get(&key), passed_seen.get(&key)) {
                (Some(&app), _) => Some(format!(
                    "Application `{}` ({}) renders it",
                    self.apps[app].plan.name, self.apps[app].source
                )),
                (None, Some(first)) => Some(format!(
                    "{} passes it through too",
                    crate::text::shown(&first.file.name)
                )),
                (None, None) => None,
            };
            match also {
                Some(also) => passed_clashes.push(
                    Diagnostic::error(
                        Code::DuplicateResource,
                        format!(
                            "{} {} `{}` is passed through here, and {also}",
                            m.api_version,
                            m.kind,
                            crate::text::shown(&m.name)
                        ),
                    )
                    .help("Argo CD would apply one over the other; keep one of them")
                    .at(&p.file, others::position(&p.file, p.ordinal)),
                ),
                None => {
                    passed_seen.insert(key, p);
                }
            }
        }
        passed_clashes
    }
}
