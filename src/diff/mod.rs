//! `oamc diff`: what a change does to how the Applications ship. Both sides
//! are loaded (a git revision through [`git`], the working tree or a folder
//! through [`crate::load`]), compiled with the same settings, and compared:
//! the plans in words, the rendered resources field by field, and the
//! [`risk`] flags. [`show`] prints the report as text, Markdown or JSON.
//!
//! This sits above the driver, beside `cli`: it runs the whole pipeline
//! twice and reads only its results.

pub mod compare;
mod fields;
pub mod git;
mod plans;
pub mod report;
pub mod risk;
pub mod show;

use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::driver::{Compilation, Options};
use std::path::Path;
use std::sync::Arc;

pub use report::Report;

/// What the command line asked to compare.
pub struct Request {
    /// BASE, then HEAD or the first INPUT (told apart as git does).
    pub args: Vec<String>,
    /// INPUTs written after `--`.
    pub inputs: Vec<String>,
    pub options: Options,
    pub allow_links: bool,
}

/// Why no report: the command line (exit status of an error, 1, for
/// `diff`: 2 means "changes") or the inputs (each problem reported).
pub enum Failure {
    Usage(String),
    Invalid(Vec<Diagnostic>),
}

/// One side of the comparison.
enum Side {
    Revision(String),
    WorkingTree,
    Folder(String),
}

impl Side {
    fn label(&self) -> String {
        match self {
            Side::Revision(r) => r.clone(),
            Side::WorkingTree => "working tree".to_owned(),
            Side::Folder(f) => f.clone(),
        }
    }
}

/// The two sides and the inputs, from the arguments: BASE is a folder
/// (then HEAD must be one) or a revision; the second argument is HEAD when
/// it names a revision, else the first input; a name that is both is
/// refused as ambiguous, as git refuses it.
fn sides(
    req: &Request,
    repo: &Result<git::Repository, Diagnostic>,
) -> Result<(Side, Side, Vec<String>), Failure> {
    let repository = || -> Result<&git::Repository, Failure> {
        repo.as_ref().map_err(|d| Failure::Invalid(vec![d.clone()]))
    };
    let is_folder = |a: &str| Path::new(a).is_dir();
    let Some(base) = req.args.first() else {
        return Err(Failure::Usage(
            "give BASE: a revision (`main`) or a folder".into(),
        ));
    };
    let ambiguous = |a: &str| {
        Failure::Usage(format!(
            "`{}` is both a folder and a revision: write `./{0}` for the folder, or the revision in full (`refs/heads/{0}`)",
            crate::text::shown(a)
        ))
    };
    if is_folder(base) && !repository().is_ok_and(|r| r.resolves(base)) {
        return match (&req.args[1..], req.inputs.is_empty()) {
            ([head], true) if is_folder(head) => Ok((
                Side::Folder(base.clone()),
                Side::Folder(head.clone()),
                Vec::new(),
            )),
            _ => Err(Failure::Usage(format!(
                "`{}` is a folder: compare it with one other folder (oamc diff OLD_DIR NEW_DIR), without inputs",
                crate::text::shown(base)
            ))),
        };
    }
    if is_folder(base) {
        return Err(ambiguous(base));
    }
    let repo = repository()?;
    let mut rest = req.args[1..].iter();
    let mut inputs = Vec::new();
    let head = match rest.next() {
        Some(second) if repo.resolves(second) => {
            if Path::new(second).exists() {
                return Err(ambiguous(second));
            }
            Side::Revision(second.clone())
        }
        Some(second) => {
            inputs.push(second.clone());
            Side::WorkingTree
        }
        None => Side::WorkingTree,
    };
    inputs.extend(rest.cloned());
    inputs.extend(req.inputs.iter().cloned());
    if inputs.is_empty() {
        inputs.push(".".to_owned());
    }
    Ok((Side::Revision(base.clone()), head, inputs))
}

/// Compare the two sides the request names: the report, and the warnings
/// of both compilations.
pub fn run(req: &Request) -> Result<(Report, Vec<Diagnostic>), Failure> {
    // Discovered even for two folders (cheap): a folder that is also a
    // revision's name is then refused as ambiguous.
    let discovered = git::Repository::discover();
    let (base, head, inputs) = sides(req, &discovered)?;
    let repo = discovered.ok();
    // Each revision resolved once, before anything is read.
    let resolve = |side: &Side| match (side, &repo) {
        (Side::Revision(r), Some(repo)) => repo.revision(r).map(Some),
        _ => Ok(None),
    };
    let (base_rev, head_rev) = match (resolve(&base), resolve(&head)) {
        (Ok(b), Ok(h)) => (b, h),
        (b, h) => {
            return Err(Failure::Invalid(
                b.err().into_iter().chain(h.err()).collect(),
            ));
        }
    };
    let mut problems = Vec::new();
    let mut load =
        |side: &Side, rev: Option<&git::Revision>, inputs: &[String]| -> Vec<Arc<SourceFile>> {
            // Each side is one run's input: its own budget, as `render` has.
            let mut budget = req.options.read_budget();
            let (files, errors) = match side {
                Side::Revision(_) => match rev {
                    Some(rev) => rev.load(inputs, &mut budget),
                    None => (Vec::new(), Vec::new()),
                },
                Side::WorkingTree => crate::load::load_inputs(inputs, &mut budget, req.allow_links),
                Side::Folder(f) => {
                    crate::load::load_inputs(std::slice::from_ref(f), &mut budget, req.allow_links)
                }
            };
            problems.extend(errors);
            files
        };
    // An input only one side has (a file the change adds or deletes) is
    // read on that side; one that neither has is a mistake.
    let present = |side: &Side, rev: Option<&git::Revision>, input: &str| match side {
        Side::Revision(_) => rev.is_some_and(|rev| rev.has(input)),
        _ => std::fs::symlink_metadata(input).is_ok(),
    };
    if let Some(missing) = inputs
        .iter()
        .find(|i| !present(&base, base_rev.as_ref(), i) && !present(&head, head_rev.as_ref(), i))
    {
        return Err(Failure::Usage(format!(
            "{} is in neither {} nor {}",
            crate::text::shown(missing),
            crate::text::shown(&base.label()),
            crate::text::shown(&head.label())
        )));
    }
    let on = |side: &Side, rev: Option<&git::Revision>| -> Vec<String> {
        inputs
            .iter()
            .filter(|i| present(side, rev, i))
            .cloned()
            .collect()
    };
    let base_files = load(&base, base_rev.as_ref(), &on(&base, base_rev.as_ref()));
    let head_files = load(&head, head_rev.as_ref(), &on(&head, head_rev.as_ref()));
    // The files read within the budget are still checked: every problem
    // of the run is reported, as `validate` reports them.
    let (base_run, head_run) = (
        compiled(&base_files, &req.options),
        compiled(&head_files, &req.options),
    );
    let diagnostics = merged_diagnostics(problems, &base_run, &head_run);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Failure::Invalid(diagnostics));
    }
    if base_run.apps.is_empty() && head_run.apps.is_empty() {
        return Err(Failure::Invalid(vec![Diagnostic::error(
            Code::NoApplication,
            format!(
                "no OAM Application in {} or {}",
                crate::text::shown(&base.label()),
                crate::text::shown(&head.label())
            ),
        )]));
    }
    let report = compare::compare(&base_run, &head_run, (&base.label(), &head.label()));
    Ok((report, diagnostics))
}

/// The run's problems, then each side's diagnostics. A file both sides hold
/// gives its warnings twice (at `<rev>:path` and at `path`, perhaps on other
/// lines): the head's is shown; the base's only when the head does not say
/// the same. The base's errors always are.
fn merged_diagnostics(
    problems: Vec<Diagnostic>,
    base_run: &Compilation,
    head_run: &Compilation,
) -> Vec<Diagnostic> {
    let mut diagnostics = problems;
    let said_by_head = |d: &Diagnostic| {
        head_run
            .diagnostics
            .iter()
            .any(|h| h.code == d.code && h.message == d.message)
    };
    diagnostics.extend(
        base_run
            .diagnostics
            .iter()
            .filter(|d| d.is_error() || !said_by_head(d))
            .cloned(),
    );
    diagnostics.extend(head_run.diagnostics.iter().cloned());
    diagnostics
}

/// One side compiled; a side without any Application (the change adds the
/// first, or removes the last) compiles to nothing, not to an error.
fn compiled(files: &[Arc<SourceFile>], options: &Options) -> Compilation {
    if files.is_empty() {
        return Compilation {
            apps: Vec::new(),
            passed: Vec::new(),
            diagnostics: Vec::new(),
            timings: Default::default(),
        };
    }
    let mut run = crate::compile(files, options);
    run.diagnostics
        .retain(|d| !matches!(d.code, Code::NoApplication | Code::EmptyOutput));
    run
}
