//! Argo CD config-management plugin (CMP v2) mode. Argo CD runs
//! `oamc cmp generate` in the Application's source directory with its
//! environment; stdout must be Kubernetes manifests and nothing else, and on
//! any error stdout stays empty (Argo CD would apply a partial stream).
//!
//! The repository is untrusted: every file read must lie inside the source
//! directory (no `..`, no symlink out of it), the parser's budgets hold, and
//! no environment value reaches the output except through a named parameter.

use crate::diagnostic::{self, Code, Diagnostic, Format};
use crate::platform::Platform;
use crate::render::PromotionOutput;
use crate::{Options, check::CheckOptions};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Parameters a user may set per Argo CD Application (`plugin.yaml` announces them).
pub const PARAMETERS: &[&str] = &[
    "namespace",
    "templates",
    "prometheus-address",
    "prometheus-sigv4-region",
    "strict",
    "promotion",
];

/// What Argo CD tells the plugin, read once from the environment.
#[derive(Debug, Default)]
pub struct CmpEnv {
    pub app_name: Option<String>,
    pub app_namespace: Option<String>,
    pub revision: Option<String>,
    pub source_path: Option<String>,
    pub parameters: BTreeMap<String, String>,
}

impl CmpEnv {
    pub fn from_env() -> Result<CmpEnv, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let mut parameters = BTreeMap::new();
        // PARAM_<NAME> (Argo CD's flattened form); ARGOCD_APP_PARAMETERS, when present, wins.
        for name in PARAMETERS {
            let key = format!("PARAM_{}", name.to_uppercase().replace('-', "_"));
            if let Some(v) = var(&key) {
                parameters.insert((*name).to_owned(), v);
            }
        }
        if let Some(json) = var("ARGOCD_APP_PARAMETERS") {
            parameters.extend(parse_parameters(&json)?);
        }
        Ok(CmpEnv {
            app_name: var("ARGOCD_APP_NAME"),
            app_namespace: var("ARGOCD_APP_NAMESPACE"),
            revision: var("ARGOCD_APP_REVISION"),
            source_path: var("ARGOCD_APP_SOURCE_PATH"),
            parameters,
        })
    }
}

/// `[{"name": "namespace", "string": "shop"}, …]`; unknown names are errors.
pub fn parse_parameters(json: &str) -> Result<BTreeMap<String, String>, String> {
    #[derive(serde::Deserialize)]
    struct Param {
        name: String,
        string: Option<String>,
    }
    let params: Vec<Param> = serde_json::from_str(json)
        .map_err(|e| format!("ARGOCD_APP_PARAMETERS is not valid JSON: {e}"))?;
    let mut out = BTreeMap::new();
    for p in params {
        if !PARAMETERS.contains(&p.name.as_str()) {
            return Err(format!(
                "unknown plugin parameter `{}`; oamc takes {}",
                p.name,
                PARAMETERS.join(", ")
            ));
        }
        if let Some(v) = p.string {
            out.insert(p.name, v);
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
            let text = diagnostic::render_all(&diagnostics, Format::Human, false);
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
            1
        }
    }
}

fn try_generate() -> Result<String, Vec<Diagnostic>> {
    let fail = |m: String| vec![Diagnostic::error(Code::Io, m)];
    let env = CmpEnv::from_env().map_err(fail)?;
    let root = std::env::current_dir()
        .map_err(|e| fail(format!("cannot read the source directory: {e}")))?;
    eprintln!(
        "oamc: generating {} (revision {}, path {})",
        env.app_name.as_deref().unwrap_or("?"),
        env.revision.as_deref().unwrap_or("?"),
        env.source_path.as_deref().unwrap_or(".")
    );
    let options = options(&env, &root).map_err(fail)?;
    let files = confined_inputs(&root).map_err(|e| vec![e])?;
    let (files, load_errors) = crate::load::load_paths(&files);
    if !load_errors.is_empty() {
        return Err(load_errors);
    }
    let compilation = crate::compile(&files, &options);
    if compilation.has_errors() {
        return Err(compilation.diagnostics);
    }
    // Warnings go to the repo-server log; they never fail a sync.
    let warnings = diagnostic::render_all(&compilation.diagnostics, Format::Human, false);
    let _ = std::io::stderr().lock().write_all(warnings.as_bytes());
    Ok(compilation.to_yaml())
}

fn options(env: &CmpEnv, root: &Path) -> Result<Options, String> {
    let p = &env.parameters;
    let mut platform = Platform::default();
    if let Some(v) = p.get("prometheus-address") {
        platform.prometheus_address = v.clone();
    }
    platform.prometheus_sigv4_region = p.get("prometheus-sigv4-region").cloned();
    let strict = match p.get("strict").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(format!(
                "parameter strict must be true or false, not `{other}`"
            ));
        }
    };
    let promotion = match p.get("promotion").map(String::as_str) {
        None | Some("include") => PromotionOutput::Include,
        Some("skip") => PromotionOutput::Skip,
        Some("only") => PromotionOutput::Only,
        Some(other) => {
            return Err(format!(
                "parameter promotion must be include, skip or only, not `{other}`"
            ));
        }
    };
    let templates = match p.get("templates") {
        Some(dir) => {
            let dir = confine(root, dir)?;
            // Each template file too: a link inside the folder could lead anywhere.
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let rel = dir.join(&name);
                let rel = rel
                    .strip_prefix(root.canonicalize().unwrap_or_default())
                    .unwrap_or(&rel);
                confine(root, &rel.to_string_lossy())?;
            }
            Some(dir)
        }
        None => None,
    };
    Ok(Options {
        check: CheckOptions { strict },
        namespace: p
            .get("namespace")
            .cloned()
            .or_else(|| env.app_namespace.clone()),
        templates,
        platform,
        promotion,
    })
}

/// `rel` resolved inside `root`, or an error: the repository decides the
/// path, so neither `..` nor a symlink may lead out of the source directory.
pub fn confine(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let refused =
        || format!("`{rel}` is outside the source directory; oamc reads only files inside it");
    if Path::new(rel).is_absolute() {
        return Err(refused());
    }
    let root = root
        .canonicalize()
        .map_err(|e| format!("cannot resolve the source directory: {e}"))?;
    let path = root
        .join(rel)
        .canonicalize()
        .map_err(|e| format!("cannot resolve `{rel}`: {e}"))?;
    if path.starts_with(&root) {
        Ok(path)
    } else {
        Err(refused())
    }
}

/// Every `*.yaml`/`*.yml` under `root` whose real location is inside `root`;
/// a symlink that leads out is an error, not a silent skip.
pub fn confined_inputs(root: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let real_root = root.canonicalize().map_err(|e| {
        Diagnostic::error(
            Code::Io,
            format!("cannot resolve the source directory: {e}"),
        )
    })?;
    let mut found = Vec::new();
    crate::load::walk(root, &mut found).map_err(|e| {
        Diagnostic::error(Code::Io, format!("cannot read the source directory: {e}"))
    })?;
    found.sort();
    for path in &found {
        let real = path.canonicalize().map_err(|e| {
            Diagnostic::error(Code::Io, format!("cannot resolve {}: {e}", path.display()))
        })?;
        if !real.starts_with(&real_root) {
            return Err(Diagnostic::error(
                Code::Io,
                format!(
                    "{} is a link out of the source directory; refused",
                    path.display()
                ),
            ));
        }
    }
    Ok(found
        .into_iter()
        .map(|p| p.strip_prefix(root).map(Path::to_path_buf).unwrap_or(p))
        .collect())
}

/// `oamc cmp discover`: print the files holding an OAM Application (Argo CD
/// uses the plugin when this prints anything).
pub fn discover() -> i32 {
    let Ok(root) = std::env::current_dir() else {
        return 1;
    };
    let Ok(files) = confined_inputs(&root) else {
        return 0;
    };
    let mut out = String::new();
    for file in files {
        let is_app = std::fs::read_to_string(root.join(&file)).is_ok_and(|text| {
            crate::readback::read_documents(&text)
                .is_ok_and(|docs| docs.iter().any(crate::check::is_application))
        });
        if is_app {
            out.push_str(&format!("{}\n", file.display()));
        }
    }
    print!("{out}");
    0
}
