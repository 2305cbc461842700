//! The command line: a thin layer that parses flags, runs the library and
//! decides what reaches stdout (manifests only, and only when there is no
//! error) and stderr (diagnostics).

use crate::diagnostic::{self, Diagnostic, Format};
use crate::load;
use crate::settings::Settings;
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Compile OAM Applications (appmod-service) into Argo Rollouts canaries with quality gates.
#[derive(Parser, Debug)]
#[command(name = "oamc", version, about)]
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
    /// Print the JSON Schema of an Application with appmod-service components.
    Schema,
    /// Argo CD config-management plugin mode (run by the repo-server sidecar).
    #[command(subcommand)]
    Cmp(CmpCommand),
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
    /// Files, directories (searched for *.yaml and *.yml) or `-` for stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// How to print diagnostics on stderr.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
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
    /// Files, directories (searched for *.yaml and *.yml) or `-` for stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// How to print the plan.
    #[arg(long, value_enum, default_value = "text")]
    pub format: crate::plan_view::PlanFormat,
    #[command(flatten)]
    pub settings: Settings,
}

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
    #[command(flatten)]
    pub settings: Settings,
}

/// Exit codes: 0 success, 1 invalid input, 2 usage error (clap's own).
pub const EXIT_INVALID: i32 = 1;

pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Schema => {
            print!("{}", crate::schema::application_schema_text());
            0
        }
        Command::Validate(args) => validate(&args),
        Command::Render(args) => render(&args),
        Command::Plan(args) => plan(&args),
        Command::Cmp(CmpCommand::Generate) => crate::cmp::generate(),
        Command::Cmp(CmpCommand::Discover) => crate::cmp::discover(),
    }
}

fn validate(args: &ValidateArgs) -> i32 {
    let (files, mut diagnostics) = load::load_inputs(&args.input.inputs);
    let validation = crate::validate(&files, &args.settings.options());
    diagnostics.extend(validation.diagnostics);
    report(&diagnostics, args.input.format);
    if diagnostics.iter().any(Diagnostic::is_error) {
        EXIT_INVALID
    } else {
        0
    }
}

fn render(args: &RenderArgs) -> i32 {
    let (files, load_errors) = load::load_inputs(&args.input.inputs);
    if !load_errors.is_empty() {
        report(&load_errors, args.input.format);
        return EXIT_INVALID;
    }
    let options = crate::Options {
        output_tree: args.output.is_some(),
        ..args.settings.options()
    };
    let compilation = crate::compile(&files, &options);
    report(&compilation.diagnostics, args.input.format);
    if compilation.has_errors() {
        return EXIT_INVALID;
    }
    let written = match &args.output {
        Some(dir) => write_dir(dir, args.check, &compilation),
        None => {
            // One write of the whole stream: a reader never sees half of it.
            let text = compilation.to_yaml();
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("cannot write to stdout: {e}"))
        }
    };
    match written {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_INVALID
        }
    }
}

fn plan(args: &PlanArgs) -> i32 {
    let (files, load_errors) = load::load_inputs(&args.inputs);
    if !load_errors.is_empty() {
        report(&load_errors, Format::Human);
        return EXIT_INVALID;
    }
    let (plans, diagnostics) = crate::plan_only(&files, &args.settings.options());
    report(&diagnostics, Format::Human);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return EXIT_INVALID;
    }
    print!("{}", crate::plan_view::render(&plans, args.format));
    0
}

/// The rendered-manifests tree: write it, or (`--check`) compare it with the disk.
fn write_dir(dir: &Path, check: bool, compilation: &crate::Compilation) -> Result<(), String> {
    let files = crate::output::layout(compilation)?;
    if check {
        return match crate::output::check(dir, &files)? {
            None => Ok(()),
            Some(diff) => {
                print!("{diff}");
                Err(format!(
                    "{} is not what oamc renders now; run `oamc render` with `-o {}` and commit the result",
                    dir.display(),
                    dir.display()
                ))
            }
        };
    }
    let written = crate::output::write(dir, &files)?;
    for removed in &written.removed {
        eprintln!("removed {}", dir.join(removed).display());
    }
    Ok(())
}

fn report(diagnostics: &[Diagnostic], format: Format) {
    if diagnostics.is_empty() && format != Format::Sarif {
        return;
    }
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal();
    let text = diagnostic::render_all(diagnostics, format, color);
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
