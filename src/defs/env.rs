//! A container's environment variable, as the component and the sidecar
//! trait both take it: shared by definitions, owned by neither.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

impl EnvVar {
    /// As the pod's container gets it: the text as written (the kubelet
    /// expands `$(VAR)` in it, as in any container's env).
    pub fn plan(&self) -> crate::plan::EnvVarPlan {
        crate::plan::EnvVarPlan {
            name: self.name.clone(),
            value: self.value.clone(),
        }
    }
}
