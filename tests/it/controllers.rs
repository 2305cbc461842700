//! Controller semantics: what Kargo, Argo Rollouts, Argo CD and the kubelet
//! do with the fields oamc emits, each behaviour modelled from the upstream
//! function it mirrors (named in each module, at the version oamc targets)
//! and held to upstream's own test vectors (`tests/it/controllers/data/`).

mod argocd;
mod git;
mod kargo;
mod kubectl_yaml;
mod kubelet;
mod ledger;
mod pipeline;
mod rollouts;
mod webmetric;

/// A file of upstream test vectors under `tests/it/controllers/data/`.
fn data(file: &str) -> serde_json::Value {
    let path = crate::common::root()
        .join("tests/it/controllers/data")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}
