//! Diagnostics as data: every problem oamc finds is a [`Diagnostic`] with a
//! stable code, a position in a source file and, where it helps, a hint.
//! Rendering (miette for people, JSON lines / GitHub annotations for tools) is
//! separate from finding.

use crate::dom::Pos;
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

/// Stable rule codes: tools and docs refer to these, so they never change meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Io,
    YamlSyntax,
    YamlLimit,
    DuplicateKey,
    NoApplication,
    SchemaRequired,
    SchemaUnknownProperty,
    SchemaType,
    SchemaEnum,
    SchemaRange,
    SchemaOther,
    UnknownComponentType,
    UnknownTrait,
    Name,
    DerivedName,
    Image,
    Duration,
    PromqlDuration,
    MetricName,
    DuplicateEnv,
    AppPath,
    PerformanceThreshold,
    ArgoTemplateSyntax,
    DuplicateComponent,
    Template,
    Verify,
    KargoExpression,
    GitRepo,
    ManifestPath,
    Placeholder,
    StageGraph,
    UnknownComponent,
    UnknownPolicy,
    StrategyMismatch,
    StrategySteps,
    StrategyRouting,
    TraitConflict,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "oamc::io",
            Code::YamlSyntax => "oamc::yaml::syntax",
            Code::YamlLimit => "oamc::yaml::limit",
            Code::DuplicateKey => "oamc::yaml::duplicate-key",
            Code::NoApplication => "oamc::input::no-application",
            Code::SchemaRequired => "oamc::schema::required",
            Code::SchemaUnknownProperty => "oamc::schema::unknown-property",
            Code::SchemaType => "oamc::schema::type",
            Code::SchemaEnum => "oamc::schema::enum",
            Code::SchemaRange => "oamc::schema::range",
            Code::SchemaOther => "oamc::schema::invalid",
            Code::UnknownComponentType => "oamc::component::unknown-type",
            Code::UnknownTrait => "oamc::trait::unknown",
            Code::Name => "oamc::name::invalid",
            Code::DerivedName => "oamc::name::derived-too-long",
            Code::Image => "oamc::image::invalid",
            Code::Duration => "oamc::duration::invalid",
            Code::PromqlDuration => "oamc::metrics::rate-interval",
            Code::MetricName => "oamc::metrics::metric-name",
            Code::DuplicateEnv => "oamc::env::duplicate",
            Code::AppPath => "oamc::app-path::invalid",
            Code::PerformanceThreshold => "oamc::gate::performance-threshold",
            Code::ArgoTemplateSyntax => "oamc::gate::template-braces",
            Code::DuplicateComponent => "oamc::component::duplicate",
            Code::Template => "oamc::template",
            Code::Verify => "oamc::verify",
            Code::KargoExpression => "oamc::promotion::expression",
            Code::GitRepo => "oamc::promotion::git",
            Code::ManifestPath => "oamc::promotion::manifest-path",
            Code::Placeholder => "oamc::promotion::placeholder",
            Code::StageGraph => "oamc::promotion::stages",
            Code::UnknownComponent => "oamc::promotion::component",
            Code::UnknownPolicy => "oamc::policy::unknown",
            Code::StrategyMismatch => "oamc::strategy::mismatch",
            Code::StrategySteps => "oamc::strategy::steps",
            Code::StrategyRouting => "oamc::strategy::traffic-routing",
            Code::TraitConflict => "oamc::trait::invalid",
        }
    }
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
        f.write_str(&self.message)
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
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
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
            Some(self.label.clone().unwrap_or_else(|| "here".into())),
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
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
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
}

/// All diagnostics of a run in one format (SARIF is one document for the run).
pub fn render_all(diagnostics: &[Diagnostic], format: Format, color: bool) -> String {
    if format == Format::Sarif {
        return sarif(diagnostics);
    }
    let mut out: String = diagnostics
        .iter()
        .map(|d| render(d, format, color))
        .collect();
    if format == Format::Human && !diagnostics.is_empty() {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = diagnostics.len() - errors;
        out.push_str(&format!("{errors} error(s), {warnings} warning(s)\n"));
    }
    out
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn sarif(diagnostics: &[Diagnostic]) -> String {
    let mut rules: Vec<&'static str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let results: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let mut region = serde_json::Map::new();
            if let Some(p) = d.pos.filter(|p| p.line > 0) {
                region.insert("startLine".into(), p.line.into());
                region.insert("startColumn".into(), p.col.into());
            }
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str(&format!(" (help: {help})"));
            }
            let mut location = serde_json::json!({
                "physicalLocation": { "artifactLocation": { "uri": d.file_name() } }
            });
            if !region.is_empty() {
                location["physicalLocation"]["region"] = serde_json::Value::Object(region);
            }
            serde_json::json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": rules.iter().position(|r| *r == d.code.as_str()),
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
                "rules": rules.iter().map(|r| serde_json::json!({ "id": r })).collect::<Vec<_>>(),
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
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
            if handler.render_report(&mut out, diag).is_err() {
                out = format!(
                    "{}: {}: {}\n",
                    diag.location(),
                    diag.code.as_str(),
                    diag.message
                );
            }
            // miette shows the file in the snippet header; without a snippet say where.
            if diag.pos.is_none() {
                out = format!("{}: {}", diag.file_name(), out.trim_start());
            }
            out
        }
        Format::Sarif => sarif(std::slice::from_ref(diag)),
        Format::Json => {
            let pos = diag.pos.filter(|p| p.line > 0);
            let value = serde_json::json!({
                "severity": level(diag.severity),
                "code": diag.code.as_str(),
                "message": diag.message,
                "file": diag.file_name(),
                "line": pos.map(|p| p.line),
                "column": pos.map(|p| p.col),
                "help": diag.help,
            });
            format!("{value}\n")
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
            let mut message = diag.message.clone();
            if let Some(help) = &diag.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
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
