//! Render: format a plan with minijinja templates, one YAML document per
//! template call. Templates ship inside the binary and a platform may replace
//! any of them from a directory (`--templates DIR`).
//!
//! Every interpolated value is JSON-encoded (auto-escape), and a JSON value is
//! one YAML flow node: a user string can never add keys, documents or
//! template code to the output.

use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::dom::Pos;
use crate::load::Tree;
use crate::plan::AppPlan;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};
use std::path::Path;
use std::sync::Arc;

/// The templates oamc uses, by file name, with their built-in text.
pub const CORE: &[(&str, &str)] = &[
    ("rollout.yaml", include_str!("../templates/rollout.yaml")),
    ("service.yaml", include_str!("../templates/service.yaml")),
    (
        "poddisruptionbudget.yaml",
        include_str!("../templates/poddisruptionbudget.yaml"),
    ),
    ("ingress.yaml", include_str!("../templates/ingress.yaml")),
    (
        "persistentvolumeclaim.yaml",
        include_str!("../templates/persistentvolumeclaim.yaml"),
    ),
    (
        "horizontalpodautoscaler.yaml",
        include_str!("../templates/horizontalpodautoscaler.yaml"),
    ),
    (
        "kargo-project.yaml",
        include_str!("../templates/kargo-project.yaml"),
    ),
    (
        "kargo-projectconfig.yaml",
        include_str!("../templates/kargo-projectconfig.yaml"),
    ),
    (
        "kargo-warehouse.yaml",
        include_str!("../templates/kargo-warehouse.yaml"),
    ),
    (
        "kargo-promotiontask.yaml",
        include_str!("../templates/kargo-promotiontask.yaml"),
    ),
    (
        "kargo-stage.yaml",
        include_str!("../templates/kargo-stage.yaml"),
    ),
    (
        "argocd-application.yaml",
        include_str!("../templates/argocd-application.yaml"),
    ),
];

/// Every built-in template, name and text: the core objects', each gate's
/// and each promotion step's (their own modules name them:
/// `defs::gates::TEMPLATES`, `defs::promotion::steps::TEMPLATES`).
pub fn builtin() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    CORE.iter()
        .chain(crate::defs::gates::TEMPLATES)
        .chain(crate::defs::promotion::steps::TEMPLATES)
}

/// Largest string a template may build with `join`.
const MAX_TEMPLATE_STRING: usize = 16 * 1024 * 1024;

/// `join` as minijinja's, with the result's size checked before it is built.
/// A string the kubelet passes to a container unchanged: it expands `$(NAME)`
/// in env values, command and args and reduces `$$` to `$` (kubernetes
/// v1.33 `third_party/forked/golang/expansion/expand.go`, `Expand`), so
/// every `$` is written `$$`. Gate text the user wrote reaches the Job as written.
pub fn kubelet_literal(value: &str) -> String {
    value.replace('$', "$$")
}

fn bounded_join(
    value: &minijinja::Value,
    joiner: Option<&str>,
) -> Result<String, minijinja::Error> {
    let joiner = joiner.unwrap_or("");
    let items: Vec<minijinja::Value> = value.try_iter()?.collect();
    let mut size = joiner.len().saturating_mul(items.len().saturating_sub(1));
    let texts: Vec<std::borrow::Cow<'_, str>> = items
        .iter()
        .map(|item| match item.as_str() {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(item.to_string()),
        })
        .collect();
    for text in &texts {
        size = size.saturating_add(text.len());
        if size > MAX_TEMPLATE_STRING {
            return Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("join would build more than {MAX_TEMPLATE_STRING} bytes"),
            ));
        }
    }
    Ok(texts.join(joiner))
}

/// Largest template file read from a templates folder.
const MAX_TEMPLATE_BYTES: usize = 1024 * 1024;

/// Template execution budget: generous for any sane template, finite for a
/// custom one that loops without end.
const TEMPLATE_FUEL: u64 = 1_000_000;

/// The fuel all documents of one run may spend in custom templates: per
/// document alone, 1,200 documents each spending their full fuel run for
/// minutes. The built-in templates spend a few thousand steps a document, so
/// this is thousands of documents of any sane override.
const RUN_FUEL: u64 = 20 * TEMPLATE_FUEL;

/// Which part of an Application to emit: its workload, its Kargo pipeline, or both.
/// Per-stage Argo CD Applications render the workload; one place renders the pipeline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PromotionOutput {
    /// The workload and, when the Application has a kargo-promotion policy, its pipeline.
    #[default]
    Include,
    /// Only the workload (Rollout, Services, AnalysisTemplates, …).
    Skip,
    /// Only the Kargo pipeline.
    Only,
}

/// One rendered document and the template that produced it.
#[derive(Debug, Clone)]
pub struct RenderedDoc {
    pub template: String,
    pub text: String,
}

pub struct Templates {
    env: Environment<'static>,
    /// Where each template came from, for error messages.
    origins: Vec<(String, String)>,
    /// Fuel spent so far in this run by custom templates (rendering runs
    /// on several threads).
    spent: std::sync::atomic::AtomicU64,
}

impl Templates {
    /// The built-in templates, optionally overridden file by file from `dir`
    /// (with `root`, a folder inside `root`, read only through it).
    pub fn load(dir: Option<&Path>, root: Option<&Path>) -> Result<Templates, Vec<Diagnostic>> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Json);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(TEMPLATE_FUEL));
        // minijinja charges fuel for the bytes a template builds, except a
        // `join` without a separator: bounded here before it builds anything.
        env.add_filter("join", bounded_join);
        env.add_filter("kubelet_literal", kubelet_literal);
        let mut origins = Vec::new();
        let mut errors = Vec::new();
        let fail =
            |e: crate::load::TreeError| vec![Diagnostic::error(Code::Template, e.to_string())];
        let tree = match (dir, root) {
            (None, _) => None,
            (Some(dir), None) => Some(Tree::open(dir).map_err(fail)?),
            (Some(dir), Some(root)) => Some(
                Tree::open_as(root, "the source directory")
                    .and_then(|r| r.subtree(dir))
                    .map_err(fail)?,
            ),
        };
        if let Some(tree) = &tree {
            errors.extend(unknown_template_files(tree));
        }
        for (name, _) in builtin() {
            let overridden = match &tree {
                Some(tree) => match tree.exists(Path::new(name)) {
                    Ok(found) => found.then_some(tree),
                    Err(e) => {
                        errors.push(Diagnostic::error(Code::Template, e.to_string()));
                        continue;
                    }
                },
                None => None,
            };
            let (source, origin) = match overridden {
                Some(tree) => match tree.read(Path::new(name), MAX_TEMPLATE_BYTES) {
                    Ok(text) => (text, tree.show(Path::new(name))),
                    Err(mut e) => {
                        e.code = Code::Template;
                        errors.push(e);
                        continue;
                    }
                },
                None => {
                    // Built-ins are compiled on first use (below): a render of
                    // one canary without promotion never parses the Kargo ones.
                    origins.push((name.to_string(), format!("built-in template {name}")));
                    continue;
                }
            };
            // Overrides are compiled now, so a broken one fails every run, not only some.
            if let Err(e) = env.add_template_owned(*name, source.clone()) {
                errors.push(template_error(&origin, &source, &e));
            }
            origins.push((name.to_string(), origin));
        }
        env.set_loader(|name| {
            Ok(builtin()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| (*text).to_owned()))
        });
        if errors.is_empty() {
            Ok(Templates {
                env,
                origins,
                spent: Default::default(),
            })
        } else {
            Err(errors)
        }
    }

    /// Whether `name` is the built-in template (not overridden from `--templates`).
    pub fn is_builtin(&self, name: &str) -> bool {
        self.origins
            .iter()
            .any(|(n, o)| n == name && o.starts_with("built-in template"))
    }

    pub fn origin(&self, name: &str) -> String {
        self.origins
            .iter()
            .find(|(n, _)| n == name)
            .map_or_else(|| name.to_owned(), |(_, o)| o.clone())
    }

    fn render(&self, name: &str, ctx: minijinja::Value) -> Result<RenderedDoc, Diagnostic> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| Diagnostic::error(Code::Template, format!("template {name}: {e}")))?;
        let fail = |e: minijinja::Error| {
            // An error inside an included template (a promotion step's) is
            // shown at its own line.
            let mut inner = &e;
            while let Some(next) =
                std::error::Error::source(inner).and_then(|s| s.downcast_ref::<minijinja::Error>())
            {
                inner = next;
            }
            if let Some(included) = inner.name().filter(|n| *n != name)
                && let Ok(t) = self.env.get_template(included)
            {
                return template_error(&self.origin(included), t.source(), inner);
            }
            template_error(&self.origin(name), template.source(), &e)
        };
        let text = if self.is_builtin(name) {
            template.render(ctx).map_err(fail)?
        } else {
            use std::sync::atomic::Ordering::Relaxed;
            let out_of_fuel = || {
                Diagnostic::error(
                    Code::Template,
                    format!(
                        "template {} failed: the custom templates of this run have spent its fuel ({RUN_FUEL} steps in all)",
                        crate::text::shown(&self.origin(name))
                    ),
                )
                .help("a custom template may run 1,000,000 steps a document and 20,000,000 a run; fix the template, or remove it from the templates directory to use the built-in one")
            };
            if self.spent.load(Relaxed) >= RUN_FUEL {
                return Err(out_of_fuel());
            }
            let captured = template.render_captured(ctx).map_err(fail)?;
            let consumed = captured.state().fuel_levels().map_or(0, |(used, _)| used);
            if self
                .spent
                .fetch_add(consumed, Relaxed)
                .saturating_add(consumed)
                > RUN_FUEL
            {
                return Err(out_of_fuel());
            }
            captured.into_output()
        };
        Ok(RenderedDoc {
            template: name.to_owned(),
            text,
        })
    }

    /// All documents of one Application, in a fixed order per service:
    /// Rollout, Services, AnalysisTemplates, PodDisruptionBudget.
    pub fn render_app(
        &self,
        app: &AppPlan,
        promotion_output: PromotionOutput,
    ) -> Result<Vec<RenderedDoc>, Diagnostic> {
        let mut docs = Vec::new();
        let services = if promotion_output == PromotionOutput::Only {
            &[][..]
        } else {
            &app.services[..]
        };
        // Each part of the plan becomes a template value once; a context
        // holds it by reference count, so a document costs its own item only.
        let header = to_value(app_header(app));
        for service in services {
            let service_value = to_value(service);
            let ctx = |item: minijinja::Value| {
                context! { app => header.clone(), service => service_value.clone(), item => item }
            };
            docs.push(self.render("rollout.yaml", ctx(minijinja::Value::UNDEFINED))?);
            for port in &service.services {
                docs.push(self.render("service.yaml", ctx(to_value(port)))?);
            }
            for analysis in &service.analysis_templates {
                docs.push(self.render(analysis.template, ctx(to_value(analysis)))?);
            }
            if let Some(ingress) = &service.ingress {
                docs.push(self.render("ingress.yaml", ctx(to_value(ingress)))?);
            }
            for pvc in &service.persistent_volume_claims {
                docs.push(self.render("persistentvolumeclaim.yaml", ctx(to_value(pvc)))?);
            }
            if let Some(hpa) = &service.autoscaler {
                docs.push(self.render("horizontalpodautoscaler.yaml", ctx(to_value(hpa)))?);
            }
            if let Some(pdb) = &service.pod_disruption_budget {
                docs.push(self.render("poddisruptionbudget.yaml", ctx(to_value(pdb)))?);
            }
        }
        let pipeline = app
            .promotion
            .as_ref()
            .filter(|_| promotion_output != PromotionOutput::Skip);
        if let Some(promotion) = pipeline {
            let promotion_value = to_value(promotion);
            let ctx = |item: minijinja::Value| {
                context! { app => header.clone(), promotion => promotion_value.clone(), item => item }
            };
            for name in [
                "kargo-project.yaml",
                "kargo-projectconfig.yaml",
                "kargo-warehouse.yaml",
            ] {
                docs.push(self.render(name, ctx(minijinja::Value::UNDEFINED))?);
            }
            for task in &promotion.tasks {
                docs.push(self.render("kargo-promotiontask.yaml", ctx(to_value(task)))?);
            }
            for stage in &promotion.stages {
                docs.push(self.render("kargo-stage.yaml", ctx(to_value(stage)))?);
            }
            for application in promotion.argocd.iter().flat_map(|a| &a.applications) {
                docs.push(self.render("argocd-application.yaml", ctx(to_value(application)))?);
            }
        }
        Ok(docs)
    }
}

fn to_value<T: serde::Serialize>(value: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

/// The Application-level part of the context (its services are passed one
/// by one), borrowed: serialized as an `AppPlan` with no services and no promotion.
fn app_header(app: &AppPlan) -> impl serde::Serialize + '_ {
    #[derive(serde::Serialize)]
    struct Header<'a> {
        name: &'a str,
        namespace: &'a Option<String>,
        labels: &'a std::collections::BTreeMap<String, String>,
        services: &'a [()],
        promotion: Option<()>,
    }
    let AppPlan {
        name,
        namespace,
        labels,
        services: _,
        promotion: _,
    } = app;
    Header {
        name,
        namespace,
        labels,
        services: &[],
        promotion: None,
    }
}

fn template_error(origin: &str, source: &str, e: &minijinja::Error) -> Diagnostic {
    let file = Arc::new(SourceFile {
        name: origin.to_owned(),
        text: source.to_owned(),
    });
    let pos = e.line().map(|line| {
        let offset = source
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        Pos {
            line: line as u32,
            col: 1,
            offset,
            len: 0,
        }
    });
    let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
    Diagnostic::error(
        Code::Template,
        format!("template {origin} failed: {}{detail}", e.kind()),
    )
    .at(&file, pos)
    .help(if e.kind() == minijinja::ErrorKind::OutOfFuel {
        format!("a template may run {TEMPLATE_FUEL} steps and build about {} MB per document; fix the template, or remove it from the templates directory to use the built-in one", TEMPLATE_FUEL * 64 / 1_000_000)
    } else {
        "fix the template, or remove it from the templates directory to use the built-in one".to_owned()
    })
}

/// A file in the templates directory that oamc would never read is almost
/// certainly a misspelt override.
fn unknown_template_files(tree: &Tree) -> Vec<Diagnostic> {
    let names = match tree.file_names() {
        Ok(names) => names,
        Err(e) => {
            return vec![Diagnostic::error(
                Code::Template,
                format!(
                    "cannot read templates directory {}: {e}",
                    tree.show(Path::new(""))
                ),
            )];
        }
    };
    names
        .into_iter()
        .filter(|n| !builtin().any(|(b, _)| b == n))
        .map(|n| {
            let mut d = Diagnostic::error(
                Code::Template,
                format!(
                    "{} is not a template oamc uses",
                    crate::text::shown(&tree.show(Path::new(&n)))
                ),
            );
            let known = builtin().map(|(b, _)| *b);
            d = match crate::check::did_you_mean(&n, known) {
                Some(help) => d.help(help),
                None => d.help(format!(
                    "templates oamc uses: {}",
                    builtin().map(|(b, _)| *b).collect::<Vec<_>>().join(", ")
                )),
            };
            d
        })
        .collect()
}
