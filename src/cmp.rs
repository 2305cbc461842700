//! Argo CD config-management plugin (CMP v2) mode. Argo CD runs
//! `oamc cmp generate` in the Application's source directory with its
//! environment; stdout must be Kubernetes manifests and nothing else, and on
//! any error stdout stays empty (Argo CD would apply a partial stream).
//!
//! The repository is untrusted: every file read must lie inside the source
//! directory (no `..`, no symlink out of it), the parser's budgets hold, and
//! no environment value reaches the output except through a named parameter.

use crate::Options;
use crate::diagnostic::{self, Code, Diagnostic, Format};
use crate::load::Tree;
use crate::settings::{ParameterError, Settings};

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// How the Application's source directory (the current one) is named in messages.
const SOURCE_DIRECTORY: &str = "the source directory";

/// What Argo CD tells the plugin, read once from the environment.
#[derive(Debug, Default)]
pub struct CmpEnv {
    pub app_name: Option<String>,
    pub app_namespace: Option<String>,
    pub revision: Option<String>,
    pub source_path: Option<String>,
    /// The plugin parameters by name, as given (checked by [`Settings`]).
    pub parameters: BTreeMap<String, String>,
}

impl CmpEnv {
    pub(crate) fn from_env() -> Result<CmpEnv, ParameterError> {
        let mut vars = Vec::new();
        for (key, value) in std::env::vars_os() {
            match key.into_string() {
                Ok(key) => vars.push((key, value)),
                // Only a parameter's name matters; one that is not UTF-8
                // cannot name a setting and is refused, not skipped.
                Err(key) if key.as_encoded_bytes().starts_with(b"PARAM_") => {
                    return Err(ParameterError::VariableName(
                        crate::text::shown(&key.to_string_lossy()).to_string(),
                    ));
                }
                Err(_) => {}
            }
        }
        Self::from_vars(vars)
    }

    /// Read from `(name, value)` environment pairs. Parameters come from
    /// `ARGOCD_APP_PARAMETERS` when Argo CD sets it, else from `PARAM_<NAME>`
    /// (its flattened form); a `PARAM_*` that names no setting is an error either way.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, std::ffi::OsString)>,
    ) -> Result<CmpEnv, ParameterError> {
        let mut env = BTreeMap::new();
        for (key, value) in vars {
            let value = value
                .into_string()
                .map_err(|_| ParameterError::VariableValue(key.clone()))?;
            env.insert(key, value);
        }
        let var = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
        let table = Settings::table();
        let env_key = |name: &str| format!("PARAM_{}", name.to_uppercase().replace('-', "_"));
        let mut flattened = BTreeMap::new();
        for (key, value) in env.range("PARAM_".to_owned()..) {
            if !key.starts_with("PARAM_") {
                break;
            }
            if let Some(refusal) = crate::settings::OPERATOR_ONLY
                .iter()
                .find(|(name, _)| env_key(name) == *key)
                .and_then(|(name, _)| crate::settings::operator_only(name))
            {
                return Err(refusal);
            }
            let Some(info) = table.iter().find(|s| env_key(&s.name) == *key) else {
                return Err(ParameterError::UnknownVariable {
                    key: key.clone(),
                    known: table
                        .iter()
                        .map(|s| env_key(&s.name))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            flattened.insert(info.name.clone(), value.clone());
        }
        let parameters = match var("ARGOCD_APP_PARAMETERS") {
            Some(json) => parse_parameters(&json)?,
            None => flattened,
        };
        Ok(CmpEnv {
            app_name: var("ARGOCD_APP_NAME"),
            app_namespace: var("ARGOCD_APP_NAMESPACE"),
            revision: var("ARGOCD_APP_REVISION"),
            source_path: var("ARGOCD_APP_SOURCE_PATH"),
            parameters,
        })
    }
}

/// `[{"name": "namespace", "string": "shop"}, …]`. Every oamc setting is a
/// string: an `array` or `map` parameter, an unknown field and a name given
/// twice are errors (names are checked against the settings later).
pub(crate) fn parse_parameters(json: &str) -> Result<BTreeMap<String, String>, ParameterError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Param {
        name: String,
        string: Option<String>,
        array: Option<serde_json::Value>,
        map: Option<serde_json::Value>,
    }
    // `null` is what Argo CD sends for a plugin source without parameters: it
    // marshals a nil slice (argo-cd v3.5.1,
    // `ApplicationSourcePluginParameters.Environ`, types.go).
    let params: Option<Vec<Param>> =
        serde_json::from_str(json).map_err(|e| ParameterError::NotAList(e.to_string()))?;
    let params = params.into_iter().flatten();
    let mut out = BTreeMap::new();
    for p in params {
        let value = match (p.string, p.array.is_some() || p.map.is_some()) {
            (Some(v), false) => v,
            (_, true) => {
                return Err(ParameterError::NotAString(p.name));
            }
            (None, false) => {
                return Err(ParameterError::NoValue(p.name));
            }
        };
        if out.insert(p.name.clone(), value).is_some() {
            return Err(ParameterError::Twice(p.name));
        }
    }
    Ok(out)
}

/// `oamc cmp generate`: render the Applications under the current directory.
pub fn generate() -> i32 {
    match try_generate() {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return 1;
            }
            0
        }
        Err(diagnostics) => {
            let mut stderr = std::io::BufWriter::new(std::io::stderr().lock());
            let _ = diagnostic::write_report(&mut stderr, &diagnostics, &[], Format::Human, false);
            1
        }
    }
}

fn try_generate() -> Result<String, Vec<Diagnostic>> {
    let fail = |e: ParameterError| vec![Diagnostic::error(Code::Parameter, e.to_string())];
    let env = CmpEnv::from_env().map_err(fail)?;
    let root = std::env::current_dir().map_err(|e| {
        vec![Diagnostic::error(
            Code::Io,
            format!("cannot read the source directory: {e}"),
        )]
    })?;
    eprintln!(
        "oamc: generating {} (revision {}, path {})",
        crate::text::shown(env.app_name.as_deref().unwrap_or("?")),
        crate::text::shown(env.revision.as_deref().unwrap_or("?")),
        crate::text::shown(env.source_path.as_deref().unwrap_or("."))
    );
    let options = options(&env, &root).map_err(fail)?;
    let tree = Tree::open_as(Path::new("."), SOURCE_DIRECTORY)
        .map_err(|e| vec![Diagnostic::error(Code::Io, e.to_string())])?;
    let (files, load_errors) = tree.load_yaml(&mut options.read_budget());
    if !load_errors.is_empty() {
        return Err(load_errors);
    }
    let compilation = crate::compile(&files, &options);
    if compilation.has_errors() {
        return Err(compilation.diagnostics);
    }
    // Warnings go to the repo-server log; they never fail a sync.
    let mut stderr = std::io::BufWriter::new(std::io::stderr().lock());
    let _ = diagnostic::write_report(
        &mut stderr,
        &compilation.diagnostics,
        &[],
        Format::Human,
        false,
    );
    Ok(compilation.to_yaml())
}

fn options(env: &CmpEnv, root: &Path) -> Result<Options, ParameterError> {
    let mut parameters: Vec<(&str, &str)> = env
        .parameters
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // The destination namespace is the default, checked like the parameter.
    if !env.parameters.contains_key("namespace")
        && let Some(ns) = &env.app_namespace
    {
        parameters.push(("namespace", ns));
    }
    let settings = Settings::from_parameters(parameters)?;
    let mut options = settings.options();
    // The workload goes to the destination namespace; the pipeline
    // (`promotion: only`) names its own namespaces.
    if options.promotion != crate::render::PromotionOutput::Only {
        options.check.destination_namespace = env.app_namespace.clone().filter(|ns| !ns.is_empty());
    }
    Ok(Options {
        // The templates folder is read inside the source directory only.
        source_root: Some(root.to_path_buf()),
        ..options
    })
}

/// `oamc cmp discover`: print the files holding an OAM Application (Argo CD
/// uses the plugin when this prints anything). Reads through the same
/// capability as `generate`, each file within the input limit.
pub fn discover() -> i32 {
    let Ok(tree) = Tree::open_as(Path::new("."), SOURCE_DIRECTORY) else {
        return 1;
    };
    let Ok(files) = tree.yaml_files() else {
        return 0;
    };
    let mut out = String::new();
    for file in files {
        let is_app = tree
            .read(&file, crate::dom::limits::MAX_FILE_BYTES)
            .is_ok_and(|text| {
                crate::readback::read_documents(&text)
                    .is_ok_and(|docs| docs.iter().any(crate::driver::is_application))
            });
        if is_app {
            out.push_str(&format!(
                "{}\n",
                crate::text::shown(&file.display().to_string())
            ));
        }
    }
    print!("{out}");
    0
}
