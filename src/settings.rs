//! One settings table for everything that shapes a compilation. Each setting
//! is defined once, with its docs, default and validation (as ripgrep defines
//! each flag once): clap reads it as a flag of `render`, `validate` and
//! `plan`, and the Argo CD plugin reads its parameter of the same name through
//! the same definition, so the two can never differ in name, default or check.

use crate::check::CheckOptions;
use crate::driver::{DEFAULT_INPUT_MIB, InputBudget};
use crate::platform::{DEFAULT_CONTAINER_LABEL, DEFAULT_PROMETHEUS, Platform};
use crate::render::PromotionOutput;
use crate::{Options, check::syntax};
use clap::{Args, CommandFactory, Parser};
use std::path::PathBuf;

/// What shapes a compilation besides the input.
#[derive(Args, Debug, Clone)]
pub struct Settings {
    /// Make warnings about what oamc may misread errors (a moving image tag, an SSH repoURL,
    /// a property a trait overrides, an empty render in validate).
    #[arg(long)]
    pub strict: bool,
    /// Component, trait and policy types rendered by something else (KubeVela, Crossplane):
    /// oamc passes over them instead of refusing them. Comma-separated.
    #[arg(long, value_name = "TYPE,...", value_delimiter = ',', value_parser = external_type)]
    pub external_types: Vec<String>,
    /// Print resources that are not OAM Applications (a ConfigMap beside the Application)
    /// after the rendered ones, re-emitted, instead of refusing them; not with `-o`.
    #[arg(long)]
    pub pass_through: bool,
    /// Namespace for Applications whose metadata sets none (a DNS-1123 label).
    #[arg(short = 'n', long, value_parser = namespace)]
    pub namespace: Option<String>,
    /// Directory whose templates replace the built-in ones of the same name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Emit the Kargo pipeline of a kargo-promotion policy with the workload, skip it, or emit only it.
    #[arg(long, value_enum, default_value = "include")]
    pub promotion: PromotionOutput,
    /// Prometheus the metrics gate queries.
    #[arg(long, value_name = "URL", default_value = DEFAULT_PROMETHEUS)]
    pub prometheus_address: String,
    /// Sign metrics-gate queries with AWS SigV4 for REGION (Amazon Managed Prometheus).
    #[arg(long, value_name = "REGION")]
    pub prometheus_sigv4_region: Option<String>,
    /// Prometheus label that carries the container name in the application's series.
    #[arg(long, value_name = "LABEL", default_value = DEFAULT_CONTAINER_LABEL, value_parser = label_name)]
    pub prometheus_container_label: String,
    /// Prometheus label that carries the pods' `ab-variant` label (e.g. from a
    /// relabelling of pod labels): an A/B test's metrics gate then selects the canary variant.
    #[arg(long, value_name = "LABEL", value_parser = label_name)]
    pub prometheus_variant_label: Option<String>,
    /// Do not emit a PodDisruptionBudget per service.
    #[arg(long)]
    pub no_pdb: bool,
    /// Mount the EKS Pod Identity token into pods with a non-default serviceAccount.
    #[arg(long)]
    pub eks_pod_identity: bool,
    /// Memory budget of the run's inputs once YAML aliases are expanded, in MiB
    /// (the operator's: not a plugin parameter; the sidecar sets OAMC_MAX_INPUT_MIB).
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_INPUT_MIB, env = "OAMC_MAX_INPUT_MIB",
          value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_input_mib: u64,
}

/// Why a flag's value is refused (clap shows it as the flag's error).
#[derive(Debug)]
pub struct ValueError {
    /// What the value is ("namespace", "label").
    pub what: &'static str,
    pub value: String,
    pub why: syntax::Invalid,
}

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}` {}", self.what, self.value, self.why)
    }
}

impl std::error::Error for ValueError {}

fn namespace(value: &str) -> Result<String, ValueError> {
    syntax::dns1123_label(value)
        .map(|()| value.to_owned())
        .map_err(|why| ValueError {
            what: "namespace",
            value: value.to_owned(),
            why,
        })
}

/// Why `--external-types` refuses a value (clap shows it as the flag's error).
#[derive(Debug)]
pub enum ExternalTypeError {
    /// Not a definition name: KubeVela names definitions as DNS-1123 subdomains.
    Name(String, syntax::Invalid),
    /// A type oamc compiles itself.
    Compiled(String),
    /// A KubeVela policy on the Application's own resources: nothing else
    /// renders it.
    Builtin(String),
}

impl std::fmt::Display for ExternalTypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExternalTypeError::Name(value, why) => write!(f, "type `{value}` {why}"),
            ExternalTypeError::Compiled(value) => write!(
                f,
                "`{value}` is a type oamc compiles; it cannot be rendered elsewhere"
            ),
            ExternalTypeError::Builtin(value) => write!(
                f,
                "`{value}` is a KubeVela policy on the Application's own resources; nothing else would apply it"
            ),
        }
    }
}

impl std::error::Error for ExternalTypeError {}

/// A type rendered elsewhere: a definition name, and not one oamc compiles.
fn external_type(value: &str) -> Result<String, ExternalTypeError> {
    syntax::dns1123_subdomain(value)
        .map_err(|why| ExternalTypeError::Name(value.to_owned(), why))?;
    if crate::defs::is_known_type(value) {
        return Err(ExternalTypeError::Compiled(value.to_owned()));
    }
    if crate::defs::kubevela::builtin_policy(value).is_some() {
        return Err(ExternalTypeError::Builtin(value.to_owned()));
    }
    Ok(value.to_owned())
}

fn label_name(value: &str) -> Result<String, ValueError> {
    syntax::label_name(value)
        .map(|()| value.to_owned())
        .map_err(|why| ValueError {
            what: "label",
            value: value.to_owned(),
            why,
        })
}

/// The settings alone, parsed as the CLI parses them.
#[derive(Parser, Debug)]
#[command(name = "oamc", no_binary_name = true, disable_help_flag = true)]
struct SettingsOnly {
    #[command(flatten)]
    settings: Settings,
}

/// A setting as the plugin sees it: its parameter name and whether it is a
/// switch (`true`/`false`) or takes a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingInfo {
    pub name: String,
    pub switch: bool,
    pub help: String,
    pub default: Option<String>,
}

/// Settings a repository must not set: safety limits. Argo CD merges
/// `.argocd-source.yaml` and `.argocd-source-<app>.yaml` from the
/// application's folder into its plugin parameters (argo-cd
/// `reposerver/repository/repository.go` `mergeSourceParameters`), so whoever
/// can push could raise them. They are flags of the CLI and variables of the
/// plugin sidecar's own environment (Argo CD passes an Application's plugin
/// env only as `ARGOCD_ENV_*`), never plugin parameters.
pub const OPERATOR_ONLY: &[(&str, &str)] = &[("max-input-mib", "OAMC_MAX_INPUT_MIB")];

/// The refusal of an operator-only setting given as a plugin parameter.
pub fn operator_only(name: &str) -> Option<ParameterError> {
    OPERATOR_ONLY
        .iter()
        .find(|(setting, _)| *setting == name)
        .map(|&(setting, var)| ParameterError::OperatorOnly { setting, var })
}

/// Why the plugin's parameters (Argo CD's `ARGOCD_APP_PARAMETERS` or its
/// `PARAM_*` variables) cannot be used: one variant per reason, worded in
/// `Display` (reported as `oamc::cmp::parameter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterError {
    /// A safety limit the repository may not set.
    OperatorOnly {
        setting: &'static str,
        var: &'static str,
    },
    /// A parameter that names no setting; `hint` is "did you mean" or the list.
    Unknown {
        name: String,
        hint: String,
    },
    /// A `PARAM_*` variable that names no setting, and the ones that do.
    UnknownVariable {
        key: String,
        known: String,
    },
    /// A `PARAM_*` variable whose name is not UTF-8 (shown escaped).
    VariableName(String),
    /// An environment variable whose value is not UTF-8.
    VariableValue(String),
    /// `ARGOCD_APP_PARAMETERS` that is not a list of parameters.
    NotAList(String),
    /// An `array` or `map` parameter: every oamc setting is a string.
    NotAString(String),
    NoValue(String),
    Twice(String),
    /// A switch set to other than `true` or `false`.
    Switch {
        name: String,
        value: String,
    },
    /// The setting refused the value (its flag's own check, as clap words it).
    Value(String),
}

impl std::fmt::Display for ParameterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParameterError::OperatorOnly { setting, var } => write!(
                f,
                "`{setting}` is a safety limit the operator sets, not the repository: set {var} in the plugin sidecar's environment"
            ),
            ParameterError::Unknown { name, hint } => {
                write!(f, "unknown plugin parameter `{name}`; {hint}")
            }
            ParameterError::UnknownVariable { key, known } => {
                write!(f, "unknown plugin parameter {key}; oamc takes {known}")
            }
            ParameterError::VariableName(shown) => {
                write!(f, "unknown plugin parameter {shown}: its name is not UTF-8")
            }
            ParameterError::VariableValue(key) => {
                write!(f, "environment variable {key} is not UTF-8")
            }
            ParameterError::NotAList(why) => {
                write!(
                    f,
                    "ARGOCD_APP_PARAMETERS is not a list of parameters: {why}"
                )
            }
            ParameterError::NotAString(name) => write!(
                f,
                "plugin parameter `{name}` must be a string; oamc takes no array or map parameters"
            ),
            ParameterError::NoValue(name) => {
                write!(f, "plugin parameter `{name}` has no string value")
            }
            ParameterError::Twice(name) => {
                write!(f, "plugin parameter `{name}` is given twice; give it once")
            }
            ParameterError::Switch { name, value } => {
                write!(f, "parameter {name} must be true or false, not `{value}`")
            }
            ParameterError::Value(why) => write!(f, "plugin parameter: {why}"),
        }
    }
}

impl Settings {
    /// Every setting a repository may choose, in table order (the plugin's
    /// parameters); the [`OPERATOR_ONLY`] ones are left out.
    pub fn table() -> Vec<SettingInfo> {
        SettingsOnly::command()
            .get_arguments()
            .filter_map(|arg| {
                let name = arg.get_long()?.to_owned();
                if operator_only(&name).is_some() {
                    return None;
                }
                Some(SettingInfo {
                    name,
                    switch: !arg.get_action().takes_values(),
                    help: arg.get_help().map(|h| h.to_string()).unwrap_or_default(),
                    default: arg
                        .get_default_values()
                        .first()
                        .map(|v| v.to_string_lossy().into_owned()),
                })
            })
            .collect()
    }

    fn from_flags<I: IntoIterator<Item = String>>(flags: I) -> Result<Settings, ParameterError> {
        SettingsOnly::try_parse_from(flags)
            .map(|s| s.settings)
            .map_err(|e| {
                let text = e.render().to_string();
                let first = text.lines().next().unwrap_or("invalid setting");
                ParameterError::Value(first.strip_prefix("error: ").unwrap_or(first).to_owned())
            })
    }

    /// Settings from named string values (the plugin's parameters), each
    /// checked by the same definition as its flag. Unknown names, and a switch
    /// set to anything but `true` or `false`, are errors.
    pub fn from_parameters<'a>(
        parameters: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Settings, ParameterError> {
        let table = Settings::table();
        let mut flags = Vec::new();
        for (name, value) in parameters {
            if let Some(refusal) = operator_only(name) {
                return Err(refusal);
            }
            let Some(info) = table.iter().find(|s| s.name == name) else {
                let known = table.iter().map(|s| s.name.as_str());
                let hint = crate::check::did_you_mean(name, known).unwrap_or_else(|| {
                    format!(
                        "oamc takes {}",
                        table
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
                return Err(ParameterError::Unknown {
                    name: name.to_owned(),
                    hint,
                });
            };
            if info.switch {
                match value {
                    "true" => flags.push(format!("--{name}")),
                    "false" => {}
                    other => {
                        return Err(ParameterError::Switch {
                            name: name.to_owned(),
                            value: other.to_owned(),
                        });
                    }
                }
            } else {
                flags.push(format!("--{name}={value}"));
            }
        }
        Settings::from_flags(flags)
    }

    pub fn platform(&self) -> Platform {
        Platform {
            prometheus_address: self.prometheus_address.clone(),
            prometheus_sigv4_region: self.prometheus_sigv4_region.clone(),
            container_label: self.prometheus_container_label.clone(),
            pod_disruption_budget: !self.no_pdb,
            eks_pod_identity: self.eks_pod_identity,
            variant_label: self.prometheus_variant_label.clone(),
            plugin_parameters: self.workload_parameters(),
            ..Platform::default()
        }
    }

    /// The settings that shape a stage's workload, as plugin parameters, for
    /// the stages' Argo CD Applications: those not at their defaults. The
    /// namespace is the destination's, the templates folder is the source's,
    /// and `promotion` is the stage's own (`skip`).
    fn workload_parameters(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut switch = |name: &str, on: bool| {
            if on {
                out.push((name.to_owned(), "true".to_owned()));
            }
        };
        switch("strict", self.strict);
        switch("no-pdb", self.no_pdb);
        switch("eks-pod-identity", self.eks_pod_identity);
        switch("pass-through", self.pass_through);
        if !self.external_types.is_empty() {
            out.push(("external-types".to_owned(), self.external_types.join(",")));
        }
        let mut value = |name: &str, v: Option<&String>, default: &str| {
            if let Some(v) = v
                && v != default
            {
                out.push((name.to_owned(), v.clone()));
            }
        };
        value(
            "prometheus-address",
            Some(&self.prometheus_address),
            DEFAULT_PROMETHEUS,
        );
        value(
            "prometheus-sigv4-region",
            self.prometheus_sigv4_region.as_ref(),
            "",
        );
        value(
            "prometheus-container-label",
            Some(&self.prometheus_container_label),
            DEFAULT_CONTAINER_LABEL,
        );
        value(
            "prometheus-variant-label",
            self.prometheus_variant_label.as_ref(),
            "",
        );
        out.sort();
        out
    }

    /// The compilation these settings ask for.
    pub fn options(&self) -> Options {
        Options {
            check: CheckOptions {
                strict: self.strict,
                external_types: self.external_types.clone(),
                promotion_only: self.promotion == PromotionOutput::Only,
                namespace_given: self.namespace.is_some(),
                // Only the plugin knows a destination (`cmp::options`).
                destination_namespace: None,
                pass_through: self.pass_through,
            },
            namespace: self.namespace.clone(),
            templates: self.templates.clone(),
            source_root: None,
            platform: self.platform(),
            promotion: self.promotion,
            output_tree: false,
            input_budget: InputBudget((self.max_input_mib as usize) << 20),
            ignore_other_documents: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_parameters_are_settings_off_their_defaults() {
        let s = Settings::from_flags(
            [
                "--no-pdb",
                "--prometheus-address=http://p:9090",
                "--promotion=only",
                "-n",
                "x",
            ]
            .map(String::from),
        )
        .unwrap();
        let p = s.workload_parameters();
        assert_eq!(
            p,
            [
                ("no-pdb".into(), "true".into()),
                ("prometheus-address".into(), "http://p:9090".into())
            ]
        );
        let table = Settings::table();
        for (name, _) in Settings::from_flags(
            [
                "--strict",
                "--no-pdb",
                "--eks-pod-identity",
                "--prometheus-address=a",
                "--prometheus-sigv4-region=b",
                "--prometheus-container-label=c",
                "--prometheus-variant-label=d",
                "--external-types=w",
            ]
            .map(String::from),
        )
        .unwrap()
        .workload_parameters()
        {
            assert!(
                table.iter().any(|t| t.name == name),
                "{name} is not a setting"
            );
        }
        assert!(
            Settings::from_flags(Vec::<String>::new())
                .unwrap()
                .workload_parameters()
                .is_empty()
        );
    }

    #[test]
    fn defaults_are_the_tables_and_the_platforms() {
        let s = Settings::from_flags(Vec::<String>::new()).unwrap();
        let platform = Platform::default();
        assert_eq!(s.prometheus_address, platform.prometheus_address);
        assert_eq!(s.prometheus_container_label, platform.container_label);
        assert_eq!(
            s.platform().pod_disruption_budget,
            platform.pod_disruption_budget
        );
        assert_eq!(s.promotion, PromotionOutput::Include);
    }

    #[test]
    fn parameters_are_checked_as_flags_are() {
        let s = Settings::from_parameters([("namespace", "shop"), ("strict", "true")]).unwrap();
        assert_eq!(s.namespace.as_deref(), Some("shop"));
        assert!(s.strict);
        let bad = Settings::from_parameters([("namespace", "Bad NS!")]).unwrap_err();
        assert!(bad.to_string().contains("Bad NS!"), "{bad}");
        // A list is one comma-separated string, as Argo CD parameters are.
        let s = Settings::from_parameters([("external-types", "worker,dynamodb-table")]).unwrap();
        assert_eq!(s.external_types, ["worker", "dynamodb-table"]);
        assert_eq!(s.options().check.external_types, s.external_types);
        assert_eq!(
            s.workload_parameters(),
            [("external-types".into(), "worker,dynamodb-table".into())]
        );
        for refused in ["hpa", "Not_A_Type", "appmod-service", ""] {
            let bad = Settings::from_parameters([("external-types", refused)]);
            assert!(bad.is_err(), "{refused}");
        }
        let bad = Settings::from_parameters([("promotion", "sometimes")]).unwrap_err();
        assert!(bad.to_string().contains("sometimes"), "{bad}");
        let bad = Settings::from_parameters([("strict", "yes")]).unwrap_err();
        assert!(bad.to_string().contains("true or false"), "{bad}");
        let bad = Settings::from_parameters([("namespce", "shop")]).unwrap_err();
        assert!(
            bad.to_string().contains("did you mean `namespace`"),
            "{bad}"
        );
    }
}
