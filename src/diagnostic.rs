//! Diagnostics as data: every problem oamc finds is a [`Diagnostic`] with a
//! stable code, a position in a source file and, where it helps, a hint.
//! Rendering (miette for people, JSON lines / GitHub annotations for tools) is
//! separate from finding.

use crate::dom::Pos;
use crate::text::{shown, shown_message, xml};
use std::fmt;
use std::sync::Arc;

/// A loaded input file; diagnostics point into its text.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One table of diagnostic codes: each variant with its stable id and a
/// one-line summary of its one meaning. Tools and docs refer to the ids, so
/// they never change meaning; the book's code table is held to this one by a
/// test, and SARIF's `rules` are read from it.
macro_rules! codes {
    ($($variant:ident => $id:literal, $summary:literal;)*) => {
        /// Stable rule codes (see the table in this module).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $id,)* }
            }

            /// What the code means, in one line.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

codes! {
    Io => "oamc::io", "an input file or folder cannot be read";
    YamlSyntax => "oamc::yaml::syntax", "the file is not valid YAML";
    YamlLimit => "oamc::yaml::limit", "the input exceeds a resource limit (size, depth, nodes, aliases, documents, components)";
    InputBudget => "oamc::input::budget", "the run's inputs exceed its memory budget once aliases are expanded";
    DuplicateKey => "oamc::yaml::duplicate-key", "a mapping key is written twice, or two keys that read as one (`on:` and `true:`)";
    ControlCharacter => "oamc::text::control-character", "a control character (other than tab and line break) in a user string";
    FormatCharacter => "oamc::text::format-character", "an invisible Unicode format character (Cf: a bidi control, a zero-width character) in a user string";
    YamlReaders => "oamc::yaml::readers-disagree", "a plain scalar or key kubectl (go-yaml, YAML 1.1) reads as another value than oamc's reader (`1_000`, `yEs`): quote it or spell it as both read it";
    NumberAsText => "oamc::number::as-text", "a number where text is expected, written so that its text would change (`2.10` is read as 2.1)";
    LeadingZero => "oamc::number::leading-zero", "a number written with a leading zero, which YAML 1.1 reads as octal and YAML 1.2 as decimal";
    NoApplication => "oamc::input::no-application", "no OAM Application in the input";
    NearMissDocument => "oamc::input::near-miss", "a document whose kind or apiVersion is one typo away from an OAM Application's: it would be skipped";
    NotAnApplication => "oamc::input::not-an-application", "`render` was given a resource (a document with a `kind`) that is not an OAM Application, and not told to pass it through: it would be left out of what Argo CD applies";
    PassThrough => "oamc::input::pass-through", "a document to pass through is not an object Argo CD can apply (`apiVersion`, `kind`, `metadata.name`)";
    SchemaRequired => "oamc::schema::required", "a required property is missing";
    SchemaUnknownProperty => "oamc::schema::unknown-property", "a property the definition does not have";
    MisplacedKey => "oamc::schema::misplaced-key", "a key the Application's spec, a component, trait or policy does not have (KubeVela would drop it), e.g. a property written beside `properties`";
    SchemaType => "oamc::schema::type", "a value of the wrong type";
    SchemaEnum => "oamc::schema::enum", "a value outside the allowed set";
    SchemaRange => "oamc::schema::range", "a number or list length outside its range";
    SchemaOther => "oamc::schema::invalid", "another JSON Schema rule is broken";
    Internal => "oamc::internal", "the schema accepted a value the typed model cannot read (a bug in oamc: please report it)";
    UnknownComponentType => "oamc::component::unknown-type", "a component type oamc does not compile and `--external-types` does not list";
    UnknownTrait => "oamc::trait::unknown", "a trait type oamc does not compile and `--external-types` does not list";
    Workflow => "oamc::workflow::unsupported", "a KubeVela workflow with steps (`spec.workflow`), which oamc does not run: Argo CD applies the rendered objects at once, so a step (a `suspend` approval) would not happen";
    UnknownPolicy => "oamc::policy::unknown", "a policy type oamc does not apply and `--external-types` does not list";
    MisspeltType => "oamc::type::misspelt", "a component, trait or policy type close to one oamc compiles: a typo";
    DuplicateComponent => "oamc::component::duplicate", "two components with the same name";
    Name => "oamc::name::invalid", "a value Kubernetes reads as a name, label or key is not one";
    ServiceName => "oamc::name::not-dns1035", "a component name that cannot name a Service (it must start with a letter)";
    DerivedName => "oamc::name::derived-too-long", "a name oamc derives from the component name (e.g. `<name>-preview`) is over 63 characters";
    MovingTag => "oamc::image::moving-tag", "a component image on a tag that moves with each build (`latest`, `stable`, `main`, `nightly`, …), which floats like an untagged image (warning; error with --strict)";
    Image => "oamc::image::invalid", "an image reference without a tag or digest, or malformed";
    Duration => "oamc::duration::invalid", "not a duration the controller reads (`20s`, `1m30s`, `500ms`; a pause also `20`)";
    DurationTruncated => "oamc::duration::truncated", "a pause Argo Rollouts cuts to whole seconds (`1500ms` waits 1 s)";
    PromqlDuration => "oamc::metrics::rate-interval", "rateInterval is not a PromQL duration";
    MetricName => "oamc::metrics::metric-name", "not a Prometheus metric name";
    DuplicateEnv => "oamc::env::duplicate", "an environment variable set twice";
    ProbePort => "oamc::probe::port", "a readiness probe port given as text: a name the container's ports do not have (the pod never becomes Ready), or digits, which Kubernetes refuses as a port name";
    Quantity => "oamc::resources::quantity", "a resource request or limit that is not a Kubernetes quantity (`512mi`, `1.5GB`, `0.5 cores`), which the API server refuses";
    ResourceName => "oamc::resources::name", "a resource name Kubernetes refuses in a container (`gpu`: not cpu, memory, ephemeral-storage, hugepages-<size> or a domain-prefixed extended resource)";
    ResourceValue => "oamc::resources::value", "a quantity Kubernetes refuses for that resource: negative, a fraction of an extended resource, huge pages not in whole pages or without cpu or memory beside them";
    ResourceLimit => "oamc::resources::limit", "a request above its limit, or a huge-page or extended-resource request without an equal limit, which Kubernetes refuses";
    Probe => "oamc::probe::handler", "a readiness probe without exactly one handler (httpGet, tcpSocket, exec or grpc), or an exec handler without a command, which Kubernetes refuses";
    EmptyProperty => "oamc::property::empty", "an empty mapping that sets nothing (`resources: {}`), written nowhere in the output (warning)";
    AppPath => "oamc::app-path::invalid", "appPath or an ingress path is not an absolute URL path";
    PerformanceThreshold => "oamc::gate::performance-threshold", "the performance gate's limit is not a positive number of milliseconds";
    NoLatencyLimit => "oamc::gate::no-latency-limit", "the performance gate has no latency limit; it fails only when requests fail";
    WebUrl => "oamc::gate::web-url", "the web gate's url is neither a path on the new version nor an absolute http(s) URL without credentials";
    WebRequest => "oamc::gate::web-request", "a web gate request Go's client or Argo Rollouts refuses to send: a body with GET, a header name that is not an HTTP token";
    WebJsonPath => "oamc::gate::web-json-path", "a web gate jsonPath outside what oamc reads as client-go does (one `{…}` of fields, quoted keys and indexes)";
    WebComparison => "oamc::gate::web-comparison", "a web gate ordering (`>`, `<`, …) of text or true/false, which expr compares character by character or cannot evaluate";
    ArgoTemplateSyntax => "oamc::gate::template-braces", "`{{` in gate text, which Argo Rollouts would read as an argument";
    StrategyMismatch => "oamc::strategy::mismatch", "settings for a strategy other than the chosen one";
    StrategySteps => "oamc::strategy::steps", "canary weights that do not strictly increase";
    ExperimentShort => "oamc::strategy::experiment-short", "an A/B experiment that ends before a metrics gate's last reading, which Argo Rollouts then counts as passed";
    StrategyRouting => "oamc::strategy::traffic-routing", "not exactly one traffic router, a router that does not drive the trait's Ingress, or an ALB servicePort the Services do not listen on";
    TraitConflict => "oamc::trait::conflict", "two traits or entries claim the same thing (ingress, replicas, route, volume, mount path, container name)";
    UnknownVolume => "oamc::trait::unknown-volume", "a sidecar mounts a volume no storage trait of its component declares";
    TraitIgnored => "oamc::trait::ignored", "a trait property oamc accepts and ignores (warning)";
    PropertyOverridden => "oamc::property::overridden", "a component property a trait decides instead, e.g. replicas beside an hpa (warning; error with --strict)";
    TraitPort => "oamc::trait::port", "an ingress route to a port the component's Service does not have";
    TraitNoPaths => "oamc::trait::no-paths", "an ingress trait without a path";
    TraitMinMax => "oamc::trait::min-max", "an autoscaler whose max is below its min";
    HpaTarget => "oamc::trait::hpa-target", "an hpa without a cpu or mem target, or a target value of the wrong kind";
    HpaRequests => "oamc::trait::hpa-requests", "an autoscaler Utilization target on a pod with a container that requests none of that resource, so it never scales";
    ReservedLabel => "oamc::trait::reserved-label", "the label `app`, which is the Rollout's selector";
    MountPath => "oamc::storage::mount-path", "a volume's mountPath that is not absolute, or a subPath that leaves the volume (absolute, or with `..`)";
    StorageSize => "oamc::storage::size", "a volume claim's size that is not a positive Kubernetes quantity, which the API server refuses";
    StorageAccessMode => "oamc::storage::access-mode", "a claim oamc renders that only one node (ReadWriteOnce) or one pod (ReadWriteOncePod) can mount, which a rollout's second pod cannot";
    GitRepo => "oamc::promotion::git", "the promotion's Git repository URL or branch";
    GitProvider => "oamc::promotion::git-provider", "a stage that promotes by pull request on a Git host Kargo cannot name, or gitProvider without such a stage";
    GitSsh => "oamc::promotion::ssh-url", "an SSH repoURL, which Kargo deprecated in v1.10 and removes in v1.13 (warning; error with --strict)";
    ManifestPath => "oamc::promotion::manifest-path", "a manifest path without `{stage}` or outside the repository";
    Placeholder => "oamc::promotion::placeholder", "an unknown `{placeholder}` in a promotion pattern";
    StageGraph => "oamc::promotion::stages", "the stage graph: names, `from` an earlier stage, no cycles";
    UnknownComponent => "oamc::promotion::component", "the promoted component is missing or ambiguous";
    KargoExpression => "oamc::promotion::expression", "`${{` in a user value, which Kargo would evaluate";
    DestinationNamespace => "oamc::plugin::destination-namespace", "in the Argo CD plugin, an Application whose metadata.namespace is not the Argo CD Application's destination namespace (it would deploy elsewhere)";
    ArgoCd => "oamc::promotion::argocd", "the stages' Argo CD Applications: destination, sync policy, namespace or stage folder";
    PromotionConstraint => "oamc::promotion::constraint", "an image selection strategy that needs a constraint has none";
    TagFilter => "oamc::promotion::tag-filter", "a Warehouse tag filter that is not a regular expression, does not apply to the strategy, or never matches the component's own tag";
    DuplicatePolicy => "oamc::policy::duplicate", "a second kargo-promotion policy in one Application";
    NoPromotionPolicy => "oamc::promotion::missing", "`--promotion only` on an Application without a kargo-promotion policy";
    EmptyOutput => "oamc::output::empty", "the run would print no resource, which would make Argo CD prune everything (a warning in validate without --strict)";
    DuplicateResource => "oamc::output::duplicate-resource", "two resources with the same apiVersion, kind, namespace and name";
    OutputPath => "oamc::output::path", "a resource the rendered-manifests tree cannot hold: two on one path, or a name or kind that cannot name a file";
    OutputIo => "oamc::output::io", "the output cannot be written: stdout, or the rendered-manifests tree (read, locked or written)";
    OutputStale => "oamc::output::stale", "`render --check`: the rendered-manifests tree is not what oamc renders now";
    Parameter => "oamc::plugin::parameter", "an Argo CD plugin parameter is unknown, repeated, of the wrong shape or invalid";
    Template => "oamc::template", "a template cannot be read, compiled or rendered";
    Verify => "oamc::verify", "a rendered document fails oamc's read-back cross-checks";
    Revision => "oamc::diff::revision", "`oamc diff`: a revision that is not a commit of the repository, or no repository around the current directory";
    ReportTruncated => "oamc::report::truncated", "more problems than one report lists: the rest are counted, not shown";
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub file: Option<Arc<SourceFile>>,
    pub pos: Option<Pos>,
    /// Short text shown under the highlighted source.
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            file: None,
            pos: None,
            label: None,
            help: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, file: &Arc<SourceFile>, pos: Option<Pos>) -> Self {
        self.file = Some(file.clone());
        self.pos = pos;
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn file_name(&self) -> &str {
        self.file.as_ref().map_or("<input>", |f| f.name.as_str())
    }

    /// `file:line:col`, or just the file when the position is unknown.
    pub fn location(&self) -> String {
        match self.pos {
            Some(p) if p.line > 0 => format!("{}:{}:{}", self.file_name(), p.line, p.col),
            _ => self.file_name().to_owned(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shown_message(&self.message))
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.as_str()))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(shown_message(h)) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        match (&self.file, self.pos) {
            (Some(file), Some(_)) => Some(file.as_ref() as &dyn miette::SourceCode),
            _ => None,
        }
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let pos = self.pos?;
        self.file.as_ref()?;
        let span = miette::LabeledSpan::new(
            Some(
                self.label
                    .as_deref()
                    .map_or("here".into(), |l| shown(l).into_owned()),
            ),
            pos.offset,
            pos.len.max(1),
        );
        Some(Box::new(std::iter::once(span)))
    }
}

impl miette::SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            shown_name(&self.name),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// A file name as any output may show it (the one escape, [`shown`]).
fn shown_name(name: &str) -> String {
    shown(name).into_owned()
}

/// How diagnostics are printed on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// miette reports with source snippets (colour unless NO_COLOR is set or stderr is not a terminal).
    Human,
    /// One JSON object per line.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`).
    Github,
    /// One SARIF 2.1.0 log, for code-scanning UIs.
    Sarif,
    /// One JUnit XML report: a test case per input file, a failure listing its errors.
    Junit,
}

impl Format {
    /// A report a program reads whole (`validate` prints it on stdout).
    pub fn is_document(self) -> bool {
        matches!(self, Format::Json | Format::Sarif | Format::Junit)
    }
}

/// All diagnostics of a run in one format (SARIF is one document for the run).
pub fn render_all(diagnostics: &[Diagnostic], format: Format, color: bool) -> String {
    render_report(diagnostics, &[], format, color)
}

/// The most diagnostics a report lists for one file, and for a whole run:
/// past them the rest are counted in one closing diagnostic, so a hostile
/// file of thousands of problems cannot make the report (and the memory
/// that builds it) grow without bound.
pub const MAX_SHOWN_PER_FILE: usize = 100;
pub const MAX_SHOWN_PER_RUN: usize = 1000;
/// A source line longer than this is not shown as a snippet (it would be
/// repeated whole for every problem on it): the place and message are.
pub const MAX_SNIPPET_LINE: usize = 512;

/// The diagnostics a report lists: at most [`MAX_SHOWN_PER_FILE`] a file and
/// [`MAX_SHOWN_PER_RUN`] in all, in their order, then one that counts the rest.
pub fn listed(diagnostics: &[Diagnostic]) -> std::borrow::Cow<'_, [Diagnostic]> {
    if diagnostics.len() <= MAX_SHOWN_PER_FILE {
        return std::borrow::Cow::Borrowed(diagnostics);
    }
    let mut per_file: std::collections::HashMap<&str, usize> = Default::default();
    let mut kept = Vec::new();
    let (mut hidden, mut hidden_errors) = (0usize, false);
    let mut hidden_files: std::collections::BTreeSet<&str> = Default::default();
    for d in diagnostics {
        let seen = per_file.entry(d.file_name()).or_default();
        if *seen < MAX_SHOWN_PER_FILE && kept.len() < MAX_SHOWN_PER_RUN {
            *seen += 1;
            kept.push(d.clone());
        } else {
            hidden += 1;
            hidden_errors |= d.is_error();
            hidden_files.insert(d.file_name());
        }
    }
    if hidden > 0 {
        let mut d = Diagnostic::error(
            Code::ReportTruncated,
            format!(
                "{hidden} more problem(s) in {} file(s) are not shown: a report lists at most {MAX_SHOWN_PER_FILE} a file and {MAX_SHOWN_PER_RUN} in all",
                hidden_files.len()
            ),
        )
        .help("fix the problems shown and run again");
        if !hidden_errors {
            d.severity = Severity::Warning;
        }
        kept.push(d);
    }
    std::borrow::Cow::Owned(kept)
}

/// All diagnostics of a run over `files` (JUnit lists every file, problems or not).
pub fn render_report(
    diagnostics: &[Diagnostic],
    files: &[String],
    format: Format,
    color: bool,
) -> String {
    let mut out = String::new();
    let done: Result<(), std::convert::Infallible> =
        each_part(diagnostics, files, format, color, |part| {
            out.push_str(part);
            Ok(())
        });
    match done {
        Ok(()) => out,
        Err(never) => match never {},
    }
}

/// [`render_report`] written to `w` as it is produced: a diagnostic at a
/// time for the line formats, so the report is never held whole (SARIF and
/// JUnit are one document each, bounded by [`listed`]).
pub fn write_report(
    w: &mut dyn std::io::Write,
    diagnostics: &[Diagnostic],
    files: &[String],
    format: Format,
    color: bool,
) -> std::io::Result<()> {
    each_part(diagnostics, files, format, color, |part| {
        w.write_all(part.as_bytes())
    })?;
    w.flush()
}

fn each_part<E>(
    diagnostics: &[Diagnostic],
    files: &[String],
    format: Format,
    color: bool,
    mut emit: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    // The closing count is of every problem, shown or not.
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let diagnostics = &*listed(diagnostics);
    match format {
        Format::Sarif => emit(&sarif(diagnostics)),
        Format::Junit => emit(&junit(diagnostics, files)),
        Format::Human | Format::Json | Format::Github => {
            for d in diagnostics {
                emit(&render(d, format, color))?;
            }
            if format == Format::Human && !diagnostics.is_empty() {
                emit(&format!("{errors} error(s), {warnings} warning(s)\n"))?;
            }
            Ok(())
        }
    }
}

/// JUnit XML as CI systems read it (Jenkins, GitLab, Azure): one test case per
/// file, one `<failure>` listing its errors; warnings go to the case's `<system-out>`.
fn junit(diagnostics: &[Diagnostic], files: &[String]) -> String {
    let mut names: Vec<&str> = files.iter().map(String::as_str).collect();
    for d in diagnostics {
        if !names.contains(&d.file_name()) {
            names.push(d.file_name());
        }
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let failed = names
        .iter()
        .filter(|n| {
            diagnostics
                .iter()
                .any(|d| d.is_error() && d.file_name() == **n)
        })
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"oamc validate\" tests=\"{}\" failures=\"{failed}\" errors=\"0\">\n",
        names.len()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"oamc validate\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">\n",
        names.len()
    ));
    for name in &names {
        let mine: Vec<&Diagnostic> = diagnostics
            .iter()
            .filter(|d| d.file_name() == *name)
            .collect();
        out.push_str(&format!(
            "    <testcase classname=\"oamc\" name=\"{}\" file=\"{}\">\n",
            xml(&shown_name(name)),
            xml(&shown_name(name))
        ));
        // One `<failure>` per case: most readers (Jenkins, GitLab) show only
        // the first. It names the first error; its text lists them all.
        let errors: Vec<&&Diagnostic> = mine.iter().filter(|d| d.is_error()).collect();
        if let Some(first) = errors.first() {
            let message = match errors.len() {
                1 => shown_message(&first.message).into_owned(),
                n => format!("{n} errors; the first: {}", shown_message(&first.message)),
            };
            let lines: Vec<String> = errors.iter().map(|d| plain_line(d)).collect();
            out.push_str(&format!(
                "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                first.code.as_str(),
                xml(&message),
                xml(&lines.join("\n"))
            ));
        }
        let warnings: Vec<String> = mine
            .iter()
            .filter(|d| !d.is_error())
            .map(|d| plain_line(d))
            .collect();
        if !warnings.is_empty() {
            out.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                xml(&warnings.join("\n"))
            ));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    debug_assert!(errors == 0 || failed > 0);
    out
}

/// `file:line:col: level[code]: message (help: …)` on one line.
fn plain_line(d: &Diagnostic) -> String {
    let mut line = format!(
        "{}: {}[{}]: {}",
        shown_name(&d.location()),
        level(d.severity),
        d.code.as_str(),
        shown_message(&d.message)
    );
    if let Some(help) = &d.help {
        line.push_str(&format!(" (help: {})", shown_message(help)));
    }
    line
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Where each code is explained: the book's table of diagnostic codes.
pub const HELP_URI: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/blob/main/docs/src/reference/diagnostics.md#diagnostic-codes"
);

fn sarif(diagnostics: &[Diagnostic]) -> String {
    let mut rules: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
    rules.sort_unstable();
    rules.dedup();
    let results: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let mut region = serde_json::Map::new();
            if let Some(p) = d.pos.filter(|p| p.line > 0) {
                region.insert("startLine".into(), p.line.into());
                region.insert("startColumn".into(), p.col.into());
                if let Some((line, col)) = sarif_end(d, p) {
                    region.insert("endLine".into(), line.into());
                    region.insert("endColumn".into(), col.into());
                }
            }
            let mut message = shown_message(&d.message).into_owned();
            if let Some(help) = &d.help {
                message.push_str(&format!(" (help: {})", shown_message(help)));
            }
            let mut location = serde_json::json!({
                "physicalLocation": { "artifactLocation": { "uri": sarif_uri(d.file_name()) } }
            });
            if !region.is_empty() {
                location["physicalLocation"]["region"] = serde_json::Value::Object(region);
            }
            serde_json::json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": rules.iter().position(|r| *r == d.code),
                "level": level(d.severity),
                "message": { "text": message },
                "locations": [location],
            })
        })
        .collect();
    let log = serde_json::json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": { "driver": {
                "name": "oamc",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules.iter().map(|code| serde_json::json!({
                    "id": code.as_str(),
                    "shortDescription": { "text": code.summary() },
                    "helpUri": HELP_URI,
                })).collect::<Vec<_>>(),
            }},
            // Columns count characters, as the YAML reader reports them.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    crate::text::json_without_commands(format!("{log:#}\n"))
}

/// Where a diagnostic's span ends, as SARIF counts it (the line and the
/// column of the character after the span), when the span is known.
fn sarif_end(d: &Diagnostic, p: Pos) -> Option<(u32, u32)> {
    if p.len == 0 {
        return None;
    }
    let span = d
        .file
        .as_ref()?
        .text
        .get(p.offset..p.offset.checked_add(p.len)?)?;
    Some(match span.rfind('\n') {
        None => (
            p.line,
            p.col
                .checked_add(u32::try_from(span.chars().count()).ok()?)?,
        ),
        Some(i) => (
            p.line
                .checked_add(u32::try_from(span.matches('\n').count()).ok()?)?,
            1 + u32::try_from(span[i + 1..].chars().count()).ok()?,
        ),
    })
}

/// A file name as a SARIF `uri`, with every byte but the unreserved
/// characters and `/` percent-encoded, so no name can carry a scheme
/// (`javascript:`), a query or a fragment. A relative name is a relative
/// reference (RFC 3986), resolved against the checkout; an absolute one is a
/// `file://` URI, the one scheme oamc writes itself (SARIF §3.4.3: a
/// relative reference may not begin with `/`, the Multitool's SARIF1004).
fn sarif_uri(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 7);
    if name.starts_with('/') {
        out.push_str("file://");
    }
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether miette may show the diagnostic's snippet as the source has it: no
/// line of it (with its context) is over [`MAX_SNIPPET_LINE`] bytes, none
/// holds a character [`crate::text::is_escaped`] keeps out of output (a CR
/// other than CRLF's included), and none holds `##[`, which GitHub's runner
/// reads as a command anywhere in a line (a `::` cannot start one: miette
/// puts the line number first). The window is taken by bytes around the
/// place, as miette counts lines (at LF), not by the place's line number:
/// YAML counts a lone CR as a line break too, so the two numbers differ
/// after one.
fn snippet_is_safe(diag: &Diagnostic) -> bool {
    let (Some(file), Some(pos)) = (&diag.file, diag.pos) else {
        return true;
    };
    let text = &file.text;
    let (Some(before), Some(after)) = (
        text.get(..pos.offset),
        text.get((pos.offset + pos.len).min(text.len())..),
    ) else {
        return false;
    };
    // Two lines of context either side, and one more for good measure.
    let start = before.rmatch_indices('\n').nth(3).map_or(0, |(i, _)| i + 1);
    let end = after
        .match_indices('\n')
        .nth(3)
        .map_or(text.len(), |(i, _)| text.len() - after.len() + i);
    text[start..end].split('\n').all(|l| {
        let l = l.strip_suffix('\r').unwrap_or(l);
        l.len() <= MAX_SNIPPET_LINE
            && !l.contains("##[")
            && !l.contains(|c: char| c != '\t' && crate::text::is_escaped(c))
    })
}

/// How much of a long line the plain snippet shows either side of the place.
const WINDOW: usize = 60;

/// The diagnostic's line alone, escaped, and only a window of it around the
/// place when it is long: what a report shows when the snippet is not safe.
fn plain_snippet(diag: &Diagnostic) -> Option<String> {
    let (file, pos) = (diag.file.as_ref()?, diag.pos?);
    let start = file
        .text
        .get(..pos.offset)?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = file.text[start..]
        .find('\n')
        .map_or(file.text.len(), |i| start + i);
    let line = &file.text[start..end];
    let at = pos.offset - start;
    // Character boundaries around the place, at most WINDOW characters away.
    let before: Vec<usize> = line[..at].char_indices().map(|(i, _)| i).collect();
    let from = before.len().checked_sub(WINDOW).map_or(0, |k| before[k]);
    let to = line[at..]
        .char_indices()
        .nth(WINDOW)
        .map_or(line.len(), |(i, _)| at + i);
    // The window escaped in one piece (`##` before the place and `[` after
    // it make a command together), the caret counted within it.
    let (window, before) = crate::text::shown_marked(&line[from..to], usize::MAX, at - from);
    let (open, close) = (
        if from > 0 { "…" } else { "" },
        if to < line.len() { "…" } else { "" },
    );
    let prefix = format!("{:>5} │ {open}", pos.line);
    let caret_at = prefix.chars().count() + before;
    Some(format!(
        "{prefix}{window}{close}\n{}^ {}\n",
        " ".repeat(caret_at),
        diag.label
            .as_deref()
            .map_or("here".into(), |l| shown(l).into_owned())
    ))
}

pub fn render(diag: &Diagnostic, format: Format, color: bool) -> String {
    match format {
        Format::Human => {
            let theme = if color {
                miette::GraphicalTheme::unicode()
            } else {
                miette::GraphicalTheme::unicode_nocolor()
            };
            let handler = miette::GraphicalReportHandler::new_themed(theme).with_context_lines(2);
            let mut out = String::new();
            if !snippet_is_safe(diag) || handler.render_report(&mut out, diag).is_err() {
                out = format!(
                    "{}: {}: {}\n",
                    shown_name(&diag.location()),
                    diag.code.as_str(),
                    shown_message(&diag.message)
                );
                if let Some(snippet) = plain_snippet(diag) {
                    out.push_str(&snippet);
                }
                if let Some(help) = &diag.help {
                    out.push_str(&format!("  help: {}\n", shown_message(help)));
                }
            }
            // miette shows the file in the snippet header; without a snippet say where.
            if diag.pos.is_none() {
                out = format!("{}: {}", shown_name(diag.file_name()), out.trim_start());
            }
            out
        }
        Format::Sarif => sarif(std::slice::from_ref(diag)),
        Format::Junit => junit(std::slice::from_ref(diag), &[]),
        Format::Json => {
            let pos = diag.pos.filter(|p| p.line > 0);
            let value = serde_json::json!({
                "severity": level(diag.severity),
                "code": diag.code.as_str(),
                "message": shown_message(&diag.message),
                "file": diag.file_name(),
                "line": pos.map(|p| p.line),
                "column": pos.map(|p| p.col),
                "help": diag.help.as_deref().map(shown_message),
            });
            crate::text::json_without_commands(format!("{value}\n"))
        }
        Format::Github => {
            let kind = level(diag.severity);
            let mut props = format!("file={}", github_escape_property(diag.file_name()));
            if let Some(p) = diag.pos.filter(|p| p.line > 0) {
                props.push_str(&format!(",line={},col={}", p.line, p.col));
            }
            props.push_str(&format!(
                ",title={}",
                github_escape_property(diag.code.as_str())
            ));
            let mut message = shown_message(&diag.message).into_owned();
            if let Some(help) = &diag.help {
                message.push_str("\nhelp: ");
                message.push_str(&shown_message(help));
            }
            format!("::{kind} {props}::{}\n", github_escape_data(&message))
        }
    }
}

fn github_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn github_escape_property(s: &str) -> String {
    github_escape_data(s)
        .replace(':', "%3A")
        .replace(',', "%2C")
}
