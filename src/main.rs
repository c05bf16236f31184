//! The `zkllm` command-line tool.

mod cli;

use clap::{Parser, Subcommand};

/// Prove, in zero knowledge, that a committed quantized LLM produced an output.
#[derive(Parser)]
#[command(name = "zkllm", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the model as zkllm sees it: lowered ops, scales, tables, size estimates.
    Inspect(cli::inspect::InspectArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Inspect(args) => cli::inspect::run(&args),
    }
}
