//! The `zkllm` command-line tool.

use clap::Parser;

/// Prove, in zero knowledge, that a committed quantized LLM produced an output.
#[derive(Parser)]
#[command(name = "zkllm", version, about)]
struct Cli {}

fn main() {
    let _ = Cli::parse();
}
