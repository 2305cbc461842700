//! The command line: a thin layer that parses flags, runs the library and
//! decides what reaches stdout (manifests only, and only when there is no
//! error) and stderr (diagnostics).

use crate::diagnostic::{self, Code, Diagnostic, Format};
use crate::load;
use crate::settings::Settings;
use clap::{Args, CommandFactory, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// `--version`: the release, the commit it was built from, and what it targets.
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("OAMC_COMMIT"),
    ")\ntargets Argo Rollouts ",
    env!("OAMC_ARGO_ROLLOUTS"),
    ", Kargo ",
    env!("OAMC_KARGO"),
    " and Argo CD ",
    env!("OAMC_ARGO_CD"),
    " (CRDs vendored in crds/)"
);

/// Compile OAM Applications (appmod-service) into Argo Rollouts canaries with quality gates.
#[derive(Parser, Debug)]
#[command(name = "oamc", version, long_version = LONG_VERSION, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check and render Applications into Kubernetes manifests (a YAML stream on stdout).
    Render(RenderArgs),
    /// Check Applications and report every problem; write nothing to stdout.
    Validate(ValidateArgs),
    /// Show the rollout each component will go through, step by step, and its promotion.
    Plan(PlanArgs),
    #[cfg(feature = "gates")]
    /// Run a component's gates against the running app and Prometheus, as its rollout would.
    ///
    /// The functional gate fetches URL + appPath and matches the expected text; the
    /// performance gate sends the Job's load from here; the metrics gate sends each
    /// criterion's query, with its arguments filled, to Prometheus: -n is the namespace
    /// the app runs in (default: the Application's); the web gate sends its request
    /// and judges the JSON answer. Requests go only to --url, --prometheus and --web. Exit status: 0 all passed, 1 one failed, 3 none failed but one is
    /// inconclusive (a rollout would pause), 2 usage error.
    // The settings that shape only what is rendered are not gates' (refused if given).
    #[command(
        mut_arg("templates", |a| a.hide(true)),
        mut_arg("promotion", |a| a.hide(true)),
        mut_arg("prometheus_address", |a| a.hide(true)),
        mut_arg("prometheus_sigv4_region", |a| a.hide(true)),
        mut_arg("no_pdb", |a| a.hide(true)),
        mut_arg("eks_pod_identity", |a| a.hide(true))
    )]
    Gates(GatesArgs),
    #[cfg(feature = "diff")]
    /// Show what a change does to how the Applications ship: plans, resources, risks.
    ///
    /// BASE and HEAD are git revisions (HEAD: the working tree when not given) or two
    /// folders. A revision's files are read from the repository without a checkout.
    /// Both sides are compiled with the same settings and compared: the plans in words
    /// (gates, steps, pods per weight step, stages), the rendered resources field by
    /// field, and risk flags (immutable fields, gates removed or loosened, stages and
    /// objects Argo CD will prune). INPUTs (after HEAD, or after `--`) are files or
    /// folders relative to the current directory, read on each side (default: `.`).
    /// Exit status: 0 no change, 2 changes, 1 error (usage errors included).
    Diff(DiffArgs),
    /// Print the JSON Schema of an Application with appmod-service components.
    Schema,
    /// Argo CD config-management plugin mode (run by the repo-server sidecar).
    #[command(subcommand)]
    Cmp(CmpCommand),
    /// Print a shell completion script (e.g. `oamc completions bash > /etc/bash_completion.d/oamc`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff): oamc's, e.g. `oamc man > /usr/local/share/man/man1/oamc.1`,
    /// or a subcommand's, the pages oamc's names: `oamc man render > oamc-render.1`.
    Man {
        /// The subcommand whose page to print (`render`, `validate`, …).
        #[arg(value_name = "SUBCOMMAND")]
        subcommand: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum CmpCommand {
    /// Render every Application under the current directory for Argo CD.
    Generate,
    /// Print the files under the current directory that hold an OAM Application.
    Discover,
}

#[derive(Args, Debug)]
pub struct InputArgs {
    /// Files, directories (searched for *.yaml and *.yml) or `-` for stdin;
    /// none: stdin, when it is not a terminal.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// How to report problems. `validate` writes json, sarif and junit reports
    /// on stdout (for `| jq` or a CI upload); everything else goes to stderr.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// No summary line after success; problems are still reported.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub links: LinkArgs,
}

/// Whether a folder given on the command line may be a symbolic link.
#[derive(Args, Debug, Clone, Copy)]
pub struct LinkArgs {
    /// Read an input folder, or write an output folder, that is (or lies
    /// under) a symbolic link; refused by default: a link committed to the
    /// repository can lead out of the checkout.
    #[arg(long)]
    pub allow_linked_folders: bool,
}

impl InputArgs {
    /// The inputs given, or stdin when none is given and stdin is piped.
    fn inputs(&self) -> Result<Vec<String>, clap::Error> {
        inputs_or_stdin(&self.inputs)
    }
}

fn inputs_or_stdin(inputs: &[String]) -> Result<Vec<String>, clap::Error> {
    if !inputs.is_empty() {
        return Ok(inputs.to_vec());
    }
    if std::io::stdin().is_terminal() {
        return Err(Cli::command().error(
            clap::error::ErrorKind::MissingRequiredArgument,
            "no input: give files, directories or `-`, or pipe an Application into stdin",
        ));
    }
    Ok(vec![load::STDIN.to_owned()])
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Files, directories (searched for *.yaml and *.yml) or `-` for stdin;
    /// none: stdin, when it is not a terminal.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// How to print the plan.
    #[arg(long, value_enum, default_value = "text")]
    pub format: crate::plan_view::PlanFormat,
    #[command(flatten)]
    pub links: LinkArgs,
    #[command(flatten)]
    pub settings: Settings,
}

#[cfg(feature = "gates")]
#[derive(Args, Debug)]
pub struct GatesArgs {
    /// The Application file (or `-` for stdin; none: stdin, when it is not a terminal).
    #[arg(value_name = "APP")]
    pub input: Option<String>,
    /// The component to test, when the Application has several.
    #[arg(long, value_name = "NAME")]
    pub component: Option<String>,
    /// Where the app answers, e.g. http://localhost:8080 (appPath is appended).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Prometheus' HTTP API for the metrics gate, e.g. http://localhost:9090.
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// Where the web gate's host answers from here, when its url names a host
    /// (e.g. http://localhost:8081); the url's path and query are kept.
    #[arg(long, value_name = "URL")]
    pub web: Option<String>,
    /// The value of a web gate header the rollout reads from a Secret
    /// (`NAME=VALUE`, repeatable): oamc does not read the cluster.
    #[arg(long = "web-header", value_name = "NAME=VALUE")]
    pub web_headers: Vec<String>,
    /// Run only this gate.
    #[arg(long, value_enum)]
    pub only: Option<crate::plan::Gate>,
    /// Seconds each request may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Seconds the whole run may take; past them no request is sent and the
    /// gates not run are reported inconclusive.
    #[arg(long, value_name = "SECONDS", default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub deadline: u64,
    /// How to print the results.
    #[arg(long, value_enum, default_value = "text")]
    pub format: GatesFormat,
    /// The namespace the app runs in is -n/--namespace (below) when given, else the Application's.
    #[command(flatten)]
    pub settings: Settings,
}

#[cfg(feature = "gates")]
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum GatesFormat {
    /// One line per gate and criterion, then a summary.
    Text,
    /// One JSON document, for scripts.
    Json,
}

#[cfg(feature = "diff")]
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// BASE, then HEAD when it names a revision, then INPUTs.
    #[arg(value_name = "BASE [HEAD] [INPUT]", required = true, num_args = 1..)]
    pub args: Vec<String>,
    /// INPUTs, when one could be read as a revision.
    #[arg(last = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// How to print the report: text (colour on a terminal, unless NO_COLOR),
    /// markdown (one pull-request comment), json.
    #[arg(long, value_enum, default_value = "text")]
    pub format: crate::diff::show::DiffFormat,
    /// No warnings on stderr; errors and the report are still printed.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub links: LinkArgs,
    #[command(flatten)]
    pub settings: Settings,
}

/// `oamc diff`'s exit status when the two sides differ (as `diff -q`'s 1 is
/// taken by errors here, helm-diff's `--detailed-exitcode`).
#[cfg(feature = "diff")]
pub const EXIT_CHANGES: i32 = 2;

#[derive(Args, Debug)]
pub struct RenderArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write one file per resource under DIR/<application>[/<stage>]/ instead of stdout,
    /// removing files an earlier run wrote that are no longer produced.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// With -o: change nothing; print a unified diff and exit 1 if DIR is not current.
    #[arg(long, requires = "output")]
    pub check: bool,
    /// Print how long each phase took to stderr (load, check, plan, render,
    /// verify, emit, write; each summed over the threads that ran it) and the wall time.
    #[arg(long)]
    pub timings: bool,
    #[command(flatten)]
    pub settings: Settings,
}

/// Exit codes: 0 success, 1 invalid input, 2 usage error (clap's own).
pub const EXIT_INVALID: i32 = 1;

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `oamc diff` exits 2 for "the sides differ", so its usage errors
        // exit 1, the status of every other error of that command.
        #[cfg(feature = "diff")]
        Err(e) if e.use_stderr() && std::env::args().nth(1).as_deref() == Some("diff") => {
            let _ = e.print();
            return EXIT_INVALID;
        }
        Err(e) => e.exit(),
    };
    let run = match cli.command {
        Command::Schema => {
            print!("{}", crate::schema::application_schema_text());
            Ok(0)
        }
        Command::Validate(args) => validate(&args),
        Command::Render(args) => render(&args),
        #[cfg(feature = "diff")]
        Command::Diff(args) => Ok(diff(&args)),
        Command::Plan(args) => plan(&args),
        #[cfg(feature = "gates")]
        Command::Gates(args) => gates(&args),
        Command::Cmp(CmpCommand::Generate) => Ok(crate::cmp::generate()),
        Command::Cmp(CmpCommand::Discover) => Ok(crate::cmp::discover()),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "oamc", &mut std::io::stdout());
            Ok(0)
        }
        Command::Man { subcommand } => man(subcommand.as_deref()),
    };
    // A usage error (no input on a terminal) exits 2 with clap's message.
    run.unwrap_or_else(|e| e.exit())
}

fn validate(args: &ValidateArgs) -> Result<i32, clap::Error> {
    let options = args.settings.options();
    let (files, mut diagnostics) = load::load_inputs(
        &args.input.inputs()?,
        &mut options.read_budget(),
        args.input.links.allow_linked_folders,
    );
    let validation = crate::validate(&files, &options);
    diagnostics.extend(validation.diagnostics);
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    let format = args.input.format;
    if format.is_document() {
        // The report is the output: on stdout, whole, even when it is empty.
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        if let Err(e) = diagnostic::write_report(&mut stdout, &diagnostics, &names, format, false) {
            return Ok(output_failed(Diagnostic::error(
                Code::OutputIo,
                format!("cannot write to stdout: {e}"),
            )));
        }
    } else {
        report(&diagnostics, format);
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Ok(EXIT_INVALID);
    }
    if !args.input.quiet {
        // Files without an Application pass (a pre-commit run sees every
        // YAML file), but the summary says nothing was checked.
        let nothing = if validation.applications_seen == 0 {
            ": nothing was checked (no OAM Application in the input)"
        } else {
            ""
        };
        eprintln!(
            "{}, {}, {}{nothing}",
            count(files.len(), "file", "files"),
            count(validation.applications_seen, "Application", "Applications"),
            count(diagnostics.len(), "problem", "problems")
        );
    }
    Ok(0)
}

fn man(subcommand: Option<&str>) -> Result<i32, clap::Error> {
    let mut cli = Cli::command();
    cli.build();
    let command = match subcommand {
        None => cli.clone(),
        Some(name) => match cli.find_subcommand(name) {
            // The page oamc's own names: oamc-<name>(1).
            Some(sub) => sub
                .clone()
                .display_name(format!("{}-{name}", cli.get_name()))
                .bin_name(format!("{} {name}", cli.get_name())),
            None => {
                let names: Vec<&str> = cli.get_subcommands().map(|s| s.get_name()).collect();
                let message = format!("no subcommand `{name}`; one of {}", names.join(", "));
                return Err(cli.error(clap::error::ErrorKind::InvalidValue, message));
            }
        },
    };
    let mut page = Vec::new();
    let written = clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(|e| Diagnostic::error(Code::OutputIo, format!("cannot write the man page: {e}")))
        .and_then(|()| print_stdout(&String::from_utf8_lossy(&page)));
    Ok(written.map_or_else(output_failed, |()| 0))
}

/// `1 file`, `3 files`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn print_stdout(text: &str) -> Result<(), Diagnostic> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Diagnostic::error(Code::OutputIo, format!("cannot write to stdout: {e}")))
}

fn print_manifests(compilation: &crate::driver::Compilation) -> Result<(), Diagnostic> {
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    crate::emit::write_yaml_stream(compilation.manifests(), &mut stdout)
        .and_then(|()| stdout.flush())
        .map_err(|e| Diagnostic::error(Code::OutputIo, format!("cannot write to stdout: {e}")))
}

/// Output that could not be written: reported like any other problem, exit 1.
fn output_failed(d: Diagnostic) -> i32 {
    report(&[d], Format::Human);
    EXIT_INVALID
}

fn render(args: &RenderArgs) -> Result<i32, clap::Error> {
    let started = std::time::Instant::now();
    if args.output.is_some() && args.settings.pass_through {
        // The tree has a folder per Application and stage; a passed-through
        // document belongs to none of them.
        return Err(Cli::command().error(
            clap::error::ErrorKind::ArgumentConflict,
            "--pass-through prints other documents into the stream; the -o tree holds only what oamc renders (keep other manifests in a folder of their own)",
        ));
    }
    let options = crate::Options {
        output_tree: args.output.is_some(),
        ..args.settings.options()
    };
    let inputs = args.input.inputs()?;
    let loading = std::time::Instant::now();
    let (files, load_errors) = load::load_inputs(
        &inputs,
        &mut options.read_budget(),
        args.input.links.allow_linked_folders,
    );
    let loaded = loading.elapsed();
    if !load_errors.is_empty() {
        report(&load_errors, args.input.format);
        return Ok(EXIT_INVALID);
    }
    let compilation = crate::compile(&files, &options);
    // The tree's layout is checked before anything is reported, so its
    // problems come with the rest, in the chosen format.
    let mut diagnostics = compilation.diagnostics.clone();
    let layout = match (&args.output, compilation.has_errors()) {
        (Some(_), false) => match crate::out_dir::layout(&compilation) {
            Ok(files) => Some(files),
            Err(problems) => {
                diagnostics.extend(problems);
                None
            }
        },
        _ => None,
    };
    report(&diagnostics, args.input.format);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Ok(EXIT_INVALID);
    }
    let writing = std::time::Instant::now();
    let written = match (&args.output, layout) {
        (Some(dir), Some(files)) => write_dir(
            dir,
            args.check,
            args.input.links.allow_linked_folders,
            &files,
        ),
        // Written only once every check has passed, so a run with a problem
        // prints nothing; streamed, so the output is not held twice.
        _ => print_manifests(&compilation),
    };
    if args.timings {
        use crate::driver::Phase;
        compilation.timings.add(Phase::Load, loaded);
        compilation.timings.add(Phase::Write, writing.elapsed());
        eprint!("{}", compilation.timings.report(started.elapsed()));
    }
    match written {
        Ok(()) => {
            if !args.input.quiet {
                let resources: usize = compilation.apps.iter().map(|a| a.manifests.len()).sum();
                let passed = match compilation.passed.len() {
                    0 => String::new(),
                    n => format!(", {} passed through", count(n, "document", "documents")),
                };
                eprintln!(
                    "{}, {}, {}{passed}",
                    count(files.len(), "file", "files"),
                    count(compilation.apps.len(), "Application", "Applications"),
                    count(resources, "resource", "resources")
                );
            }
            Ok(0)
        }
        Err(diagnostic) => {
            report(&[diagnostic], args.input.format);
            Ok(EXIT_INVALID)
        }
    }
}

/// The resolved plans of the inputs, problems reported; `None`: there were errors.
/// `plan` prints them and `gates` runs them: both read this one plan.
fn load_plans(
    inputs: &[String],
    settings: &Settings,
    allow_links: bool,
) -> Option<Vec<crate::plan::AppPlan>> {
    let options = settings.options();
    let (files, load_errors) = load::load_inputs(inputs, &mut options.read_budget(), allow_links);
    if !load_errors.is_empty() {
        report(&load_errors, Format::Human);
        return None;
    }
    let (plans, diagnostics) = crate::plan_only(&files, &options);
    report(&diagnostics, Format::Human);
    (!diagnostics.iter().any(Diagnostic::is_error)).then_some(plans)
}

fn plan(args: &PlanArgs) -> Result<i32, clap::Error> {
    let Some(plans) = load_plans(
        &inputs_or_stdin(&args.inputs)?,
        &args.settings,
        args.links.allow_linked_folders,
    ) else {
        return Ok(EXIT_INVALID);
    };
    let text = crate::plan_view::render(&plans, args.format).map_err(|e| {
        Diagnostic::error(
            Code::OutputIo,
            format!("cannot write the plan as JSON: {e}"),
        )
    });
    Ok(text
        .and_then(|t| print_stdout(&t))
        .map_or_else(output_failed, |()| 0))
}

#[cfg(feature = "diff")]
fn diff(args: &DiffArgs) -> i32 {
    use crate::diff::{Failure, Request};
    let request = Request {
        args: args.args.clone(),
        inputs: args.inputs.clone(),
        // diff compares Applications; what else a folder holds is render's
        // to refuse or pass through (diff's default input is the repository).
        options: crate::Options {
            ignore_other_documents: true,
            ..args.settings.options()
        },
        allow_links: args.links.allow_linked_folders,
    };
    let (diff, warnings) = match crate::diff::run(&request) {
        Ok(done) => done,
        Err(Failure::Usage(message)) => {
            let mut cli = Cli::command();
            cli.build();
            let error = match cli.find_subcommand_mut("diff") {
                Some(diff) => diff.error(clap::error::ErrorKind::InvalidValue, message),
                None => cli.error(clap::error::ErrorKind::InvalidValue, message),
            };
            let _ = error.print();
            return EXIT_INVALID;
        }
        Err(Failure::Invalid(diagnostics)) => {
            report(&diagnostics, Format::Human);
            return EXIT_INVALID;
        }
    };
    if !args.quiet {
        report(&warnings, Format::Human);
    }
    let color = args.format == crate::diff::show::DiffFormat::Text
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal();
    let text = crate::diff::show::render(&diff, args.format, color).map_err(|e| {
        Diagnostic::error(
            Code::OutputIo,
            format!("cannot write the report as JSON: {e}"),
        )
    });
    match text.and_then(|t| print_stdout(&t)) {
        Err(d) => output_failed(d),
        Ok(()) if diff.is_empty() => 0,
        Ok(()) => EXIT_CHANGES,
    }
}

/// The settings given to `gates` that only shape rendered output.
#[cfg(feature = "gates")]
fn render_only_settings(s: &Settings) -> Vec<&'static str> {
    use crate::platform::DEFAULT_PROMETHEUS;
    use crate::render::PromotionOutput;
    [
        ("--templates", s.templates.is_some()),
        ("--promotion", s.promotion != PromotionOutput::Include),
        (
            "--prometheus-address (gates queries --prometheus)",
            s.prometheus_address != DEFAULT_PROMETHEUS,
        ),
        (
            "--prometheus-sigv4-region",
            s.prometheus_sigv4_region.is_some(),
        ),
        ("--no-pdb", s.no_pdb),
        ("--eks-pod-identity", s.eks_pod_identity),
    ]
    .into_iter()
    .filter(|(_, given)| *given)
    .map(|(flag, _)| flag)
    .collect()
}

#[cfg(feature = "gates")]
fn gates(args: &GatesArgs) -> Result<i32, clap::Error> {
    let usage = |error: crate::live::UsageError| {
        let message = error.to_string();
        // Built, so the usage line is the subcommand's (`oamc gates …`).
        let mut cli = Cli::command();
        cli.build();
        match cli.find_subcommand_mut("gates") {
            Some(gates) => gates.error(clap::error::ErrorKind::InvalidValue, message),
            None => cli.error(clap::error::ErrorKind::InvalidValue, message),
        }
    };
    let unused = render_only_settings(&args.settings);
    if !unused.is_empty() {
        return Err(usage(crate::live::UsageError::Unused(unused.join(", "))));
    }
    let Some(plans) = load_plans(
        &inputs_or_stdin(args.input.as_slice())?,
        &args.settings,
        false,
    ) else {
        return Ok(EXIT_INVALID);
    };
    let selected = crate::live::select(&plans, args.component.as_deref()).map_err(usage)?;
    let request = crate::live::Request {
        component: args.component.clone(),
        url: args.url.clone(),
        prometheus: args.prometheus.clone(),
        web: args.web.clone(),
        web_headers: args.web_headers.clone(),
        namespace: args.settings.namespace.clone(),
        only: args.only,
        timeout: std::time::Duration::from_secs(args.timeout),
        deadline: std::time::Duration::from_secs(args.deadline),
    };
    let results = crate::live::run(selected, &request).map_err(usage)?;
    let text = match args.format {
        GatesFormat::Text => crate::live::text(&selected, &results),
        GatesFormat::Json => crate::live::json(&selected, &results),
    };
    if let Err(e) = print_stdout(&text) {
        return Ok(output_failed(e));
    }
    Ok(crate::live::exit_code(&results))
}

/// The rendered-manifests tree: write it, or (`--check`) compare it with the disk.
fn write_dir(
    dir: &Path,
    check: bool,
    allow_links: bool,
    files: &std::collections::BTreeMap<PathBuf, String>,
) -> Result<(), Diagnostic> {
    let io = |e: crate::out_dir::OutputError| Diagnostic::error(Code::OutputIo, e.to_string());
    if !allow_links && let Some(link) = load::linked_folder(dir) {
        return Err(Diagnostic::error(Code::OutputIo, format!(
            "the output folder {} is under the symbolic link {}; oamc writes only into real folders",
            crate::text::shown(&dir.display().to_string()),
            crate::text::shown(&link.display().to_string())
        ))
        .help("give the folder the link leads to, or pass --allow-linked-folders if the link is meant"));
    }
    if check {
        return match crate::out_dir::check(dir, files).map_err(io)? {
            None => Ok(()),
            Some(diff) => {
                print!("{diff}");
                Err(Diagnostic::error(
                    Code::OutputStale,
                    format!(
                        "{} is not what oamc renders now (the diff is on stdout)",
                        crate::text::shown(&dir.display().to_string())
                    ),
                )
                .help(format!(
                    "run `oamc render` with `-o {}` and commit the result",
                    crate::text::shown(&dir.display().to_string())
                )))
            }
        };
    }
    let written = crate::out_dir::write(dir, files).map_err(io)?;
    for kept in &written.kept {
        eprintln!(
            "kept {}: no longer rendered, but not what oamc wrote there (delete it by hand if it is stale)",
            crate::text::shown(&dir.join(kept).display().to_string())
        );
    }
    for leftover in &written.leftovers {
        eprintln!(
            "removed {}: a temporary file of a run that was killed mid-write",
            crate::text::shown(&dir.join(leftover).display().to_string())
        );
    }
    for removed in &written.removed {
        eprintln!(
            "removed {}",
            crate::text::shown(&dir.join(removed).display().to_string())
        );
    }
    Ok(())
}

fn report(diagnostics: &[Diagnostic], format: Format) {
    if diagnostics.is_empty() && format != Format::Sarif {
        return;
    }
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal();
    // Nothing is left to tell if stderr itself cannot be written.
    let mut stderr = std::io::BufWriter::new(std::io::stderr().lock());
    let _ = diagnostic::write_report(&mut stderr, diagnostics, &[], format, color);
}
