//! oamc: compile OAM Applications with `appmod-service` components into the
//! manifests GitOps applies.
//!
//! The pipeline, one module per stage:
//! [`load`] inputs → [`dom`] spanned YAML → [`check`] schema and rules into
//! typed [`model`] values → [`plan`] one resolved model → [`render`]
//! templates → [`verify`] read back and cross-check → [`emit`] canonical YAML.

// Input is untrusted: library code reports problems, it does not panic on them.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod check;
pub mod cli;
pub mod cmp;
pub mod diagnostic;
pub mod dom;
pub mod emit;
pub mod load;
pub mod model;
pub mod names;
pub mod output;
pub mod plan;
pub mod plan_view;
pub mod platform;
pub mod readback;
pub mod render;
pub mod schema;
pub mod verify;

use check::{CheckOptions, Checker};
use diagnostic::{Code, Diagnostic, SourceFile};
use plan::AppPlan;
use platform::Platform;
use std::path::PathBuf;
use std::sync::Arc;

/// Everything that shapes a compilation besides the input.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub check: CheckOptions,
    /// Namespace for Applications that do not set one.
    pub namespace: Option<String>,
    pub templates: Option<PathBuf>,
    pub platform: Platform,
    pub promotion: render::PromotionOutput,
}

/// The result of checking a set of files.
pub struct Validation {
    pub apps: Vec<check::CheckedApp>,
    pub applications_seen: usize,
    pub diagnostics: Vec<Diagnostic>,
}

impl Validation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Check every Application in `files`; never stops at the first problem.
pub fn validate(files: &[Arc<SourceFile>], options: &Options) -> Validation {
    let checker = Checker::new(options.check);
    let mut out = Validation {
        apps: Vec::new(),
        applications_seen: 0,
        diagnostics: Vec::new(),
    };
    for mut report in parallel_map(files, |file| checker.check_file(file)) {
        out.apps.append(&mut report.apps);
        out.applications_seen += report.applications_seen;
        out.diagnostics.append(&mut report.diagnostics);
    }
    out
}

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
        let workers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
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
    pub plan: AppPlan,
    /// Its resources, verified and emitted.
    pub manifests: Vec<emit::Manifest>,
}

pub struct Compilation {
    pub apps: Vec<CompiledApp>,
    /// Warnings (and, when compilation failed, errors), in input order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// All documents as one YAML stream.
    pub fn to_yaml(&self) -> String {
        emit::to_yaml_stream(self.apps.iter().flat_map(|a| &a.manifests))
    }
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
            .map(|checked| plan::plan_app(checked, options.namespace.as_deref(), &options.platform))
            .collect()
    };
    (plans, validation.diagnostics)
}

/// Check, plan, render and verify every Application in `files`.
pub fn compile(files: &[Arc<SourceFile>], options: &Options) -> Compilation {
    let validation = validate(files, options);
    let mut diagnostics = validation.diagnostics;
    if files.len() == 1
        && validation.applications_seen == 0
        && !diagnostics.iter().any(Diagnostic::is_error)
    {
        diagnostics.push(
            Diagnostic::error(
                Code::NoApplication,
                "no OAM Application (core.oam.dev/v1beta1, kind Application) in this file",
            )
            .at(&files[0], None),
        );
    } else if validation.applications_seen == 0 && !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.push(Diagnostic::error(
            Code::NoApplication,
            format!("no OAM Application in the {} input file(s)", files.len()),
        ));
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Compilation {
            apps: Vec::new(),
            diagnostics,
        };
    }
    let templates = match render::Templates::load(options.templates.as_deref()) {
        Ok(t) => t,
        Err(mut errors) => {
            diagnostics.append(&mut errors);
            return Compilation {
                apps: Vec::new(),
                diagnostics,
            };
        }
    };
    let compiled = parallel_map(&validation.apps, |checked| {
        let plan = plan::plan_app(checked, options.namespace.as_deref(), &options.platform);
        let rendered = templates
            .render_app(&plan, options.promotion)
            .map_err(|e| vec![e])?;
        let manifests = verify::verify(&rendered, &templates)?
            .into_iter()
            .map(emit::manifest)
            .collect::<Result<_, _>>()
            .map_err(|e| {
                vec![Diagnostic::error(
                    Code::Verify,
                    format!("cannot emit YAML: {e}"),
                )]
            })?;
        Ok(CompiledApp {
            source: checked.file.name.clone(),
            plan,
            manifests,
        })
    });
    let mut apps = Vec::new();
    for result in compiled {
        match result {
            Ok(app) => apps.push(app),
            Err(mut errors) => diagnostics.append(&mut errors),
        }
    }
    Compilation { apps, diagnostics }
}
