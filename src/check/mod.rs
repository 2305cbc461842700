//! Check: the toolkit every definition's rules use. A [`DocContext`] knows
//! the document being checked and turns a path into `file:line:col`;
//! `numbers` reads numbers as the cluster does; `schema_errors` words the
//! JSON Schema's findings; `syntax` holds the formats Kubernetes, Argo and
//! Prometheus define. What is checked lives with each definition (`defs`).

pub mod backtracking;
pub(crate) mod control;
pub mod duration;
pub(crate) mod envelope;
pub mod kubectl_yaml;
pub mod numbers;
pub mod quantity;
pub(crate) mod schema_errors;
pub use suggest::{did_you_mean, suggest};

/// The help of `oamc::yaml::duplicate-key`, whichever reader found it.
pub const DUPLICATE_KEY_HELP: &str =
    "Kubernetes would silently keep only one of the values; remove the other";
pub mod suggest;
pub mod syntax;
pub mod yaml_mistakes;

use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::dom::{DocPath, Node, Pos, Seg};
use std::sync::Arc;

/// Options that change what counts as an error.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Lenient warnings ([`DocContext::lenient`]) are errors.
    pub strict: bool,
    /// Component, trait and policy types rendered elsewhere (`--external-types`).
    pub external_types: Vec<String>,
    /// Only the Kargo pipeline is rendered (`--promotion only`): an
    /// Application without a kargo-promotion policy would render nothing.
    pub promotion_only: bool,
    /// `--namespace` is set: every Application has a namespace.
    pub namespace_given: bool,
    /// The Argo CD plugin renders the workload for an Application whose
    /// destination is this namespace: an Application that names another
    /// would deploy there instead.
    pub destination_namespace: Option<String>,
    /// Documents that are not Applications are printed with the rendered
    /// ones (`--pass-through`), so they are held to the reader check too.
    pub pass_through: bool,
}

/// Paths the JSON Schema rejected; rules skip them (and everything under them).
pub(crate) struct Broken<'a>(pub &'a [DocPath]);

impl Broken<'_> {
    pub fn intact(&self, path: &[Seg]) -> bool {
        !self
            .0
            .iter()
            .any(|b| b.starts_with(path) || path.starts_with(b))
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
        value: &serde_json::Value,
    ) -> Option<T> {
        match T::deserialize(value) {
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

/// The names of a container's environment at `at` (a list of `{name, value}`):
/// Kubernetes takes printable ASCII but `=` ([`syntax::env_var_name`]), and
/// keeps only the last of two equal names.
pub(crate) fn env_names<'n>(
    ctx: &mut DocContext,
    at: &DocPath,
    names: impl Iterator<Item = &'n str>,
) {
    let mut seen: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (i, name) in names.enumerate() {
        let name_at = at.index(i).key("name");
        if let Err(why) = syntax::env_var_name(name) {
            ctx.error(
                Code::Name,
                &name_at,
                format!(
                    "environment variable name `{}` {why}",
                    crate::text::shown(name)
                ),
            )
            .help =
                Some("Kubernetes v1.33 takes printable ASCII but '=' (e.g. `LOG_LEVEL`)".into());
        }
        if let Some(first) = seen.insert(name, i) {
            ctx.error(
                Code::DuplicateEnv,
                &name_at,
                format!("environment variable `{name}` is set twice (first at env[{first}])"),
            )
            .help = Some("Kubernetes keeps only the last value; remove one".into());
        }
    }
}

/// Build a document path: `path!["spec", "components", 0]`.
#[macro_export]
macro_rules! path {
    ($($seg:expr),* $(,)?) => {
        $crate::dom::DocPath::from(vec![$($crate::dom::Seg::from($seg)),*])
    };
}

impl From<String> for Seg {
    fn from(s: String) -> Seg {
        Seg::Key(s)
    }
}

impl From<&String> for Seg {
    fn from(s: &String) -> Seg {
        Seg::Key(s.clone())
    }
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

/// A duration as the controller that reads it accepts it ([`duration`]), or
/// `oamc::duration::invalid` with the spelling that was most likely meant; a
/// pause Argo cuts to whole seconds is a warning.
pub(crate) fn check_duration(ctx: &mut DocContext, at: &[Seg], kind: duration::Kind, value: &str) {
    match duration::check(kind, value) {
        Err(why) => {
            ctx.error(
                Code::Duration,
                at,
                format!("`{value}` is not a duration: {why}"),
            )
            .help = Some(match duration::suggestion(kind, value) {
                Some(fixed) => format!("write `{fixed}`"),
                None => "write a number and a unit: \"20s\", \"1m30s\", \"500ms\"".into(),
            });
        }
        Ok(checked) if checked.truncated => {
            let d = ctx.error(
                Code::DurationTruncated,
                at,
                format!(
                    "Argo Rollouts waits whole seconds: the pause `{value}` lasts {} s",
                    checked.seconds
                ),
            );
            d.severity = crate::diagnostic::Severity::Warning;
            d.help = Some(format!(
                "write `{}s` or `{}s`",
                checked.seconds,
                checked.seconds + 1
            ));
        }
        Ok(_) => {}
    }
}
