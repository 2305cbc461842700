//! Platform settings: what the platform team decides once for every
//! application (where Prometheus is, which extras to emit). Developers decide
//! the rest in their Application.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Platform {
    /// Prometheus the metrics gate queries.
    pub prometheus_address: String,
    /// Sign Prometheus queries with AWS SigV4 for this region (Amazon Managed Prometheus).
    pub prometheus_sigv4_region: Option<String>,
    /// The Prometheus label that carries the container name in the app's series.
    pub container_label: String,
    /// Pause between the canary's intermediate weights (upstream: 5s).
    pub step_pause: crate::plan::PauseDuration,
    pub revision_history_limit: u32,
    /// Emit a PodDisruptionBudget (maxUnavailable 1) per service.
    pub pod_disruption_budget: bool,
    /// Spread pods over zones when the scheduler can (soft: single-zone clusters still schedule).
    pub zone_spread: bool,
    /// Mount the EKS Pod Identity token into pods whose serviceAccount is not `default`.
    pub eks_pod_identity: bool,
    /// A gate Job that runs longer than this fails.
    pub gate_job_deadline_seconds: u32,
    /// Requests and concurrency of the performance gate's load.
    pub load_requests: u32,
    pub load_concurrency: u32,
    /// The Prometheus label that carries an A/B pod's `ab-variant` label, when
    /// Prometheus scrapes it: the metrics gate then selects the canary variant.
    pub variant_label: Option<String>,
    /// The settings that shape the workload, as the plugin parameters of the
    /// stages' Argo CD Applications (those not at their defaults).
    pub plugin_parameters: Vec<(String, String)>,
}

pub const DEFAULT_PROMETHEUS: &str = "http://prometheus-operated.monitoring.svc:9090";
/// The label cAdvisor-style series carry the container name in.
pub const DEFAULT_CONTAINER_LABEL: &str = "container_name";

impl Default for Platform {
    fn default() -> Self {
        Platform {
            prometheus_address: DEFAULT_PROMETHEUS.into(),
            prometheus_sigv4_region: None,
            container_label: DEFAULT_CONTAINER_LABEL.into(),
            step_pause: crate::plan::PauseDuration::new("5s", 5, false),
            revision_history_limit: 2,
            pod_disruption_budget: true,
            zone_spread: true,
            eks_pod_identity: false,
            gate_job_deadline_seconds: 300,
            load_requests: 1000,
            load_concurrency: 10,
            variant_label: None,
            plugin_parameters: Vec::new(),
        }
    }
}
