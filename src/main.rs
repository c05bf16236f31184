//! The `zkllm` command-line tool.

mod cli;

use clap::{Parser, Subcommand};

/// Prove, in zero knowledge, that a committed quantized LLM produced an output.
#[derive(Parser)]
#[command(name = "zkllm", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    common: cli::progress::Common,
}

#[derive(Subcommand)]
enum Command {
    /// Show the model as zkllm sees it: lowered ops, scales, tables, size estimates.
    Inspect(cli::inspect::InspectArgs),
    /// Calibrate scales and widths on sample data; report float vs quantized accuracy.
    Calibrate(cli::calibrate::CalibrateArgs),
    /// Quantize the model and commit to its weights: writes model.pk and model.vk.
    Setup(cli::setup::SetupArgs),
    /// Prove one inference: writes the proof and the public output.
    Prove(cli::prove::ProveArgs),
    /// Check a proof against a verifying key.
    Verify(cli::verify::VerifyArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Inspect(args) => cli::inspect::run(args),
        Command::Calibrate(args) => cli::calibrate::run(args, &cli.common),
        Command::Setup(args) => cli::setup::run(args, &cli.common),
        Command::Prove(args) => cli::prove::run(args, &cli.common),
        Command::Verify(args) => cli::verify::run(args, &cli.common),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
