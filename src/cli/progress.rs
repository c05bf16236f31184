//! Progress bars for long steps (hidden with `-q` or `--json`).

use std::cell::RefCell;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Bars {
    quiet: bool,
    current: RefCell<Option<(String, ProgressBar)>>,
}

impl Bars {
    pub fn new(quiet: bool) -> Self {
        Self {
            quiet,
            current: RefCell::new(None),
        }
    }

    /// The callback handed to the pipeline: one bar per stage.
    pub fn update(&self, stage: &str, done: usize, total: usize) {
        if self.quiet {
            return;
        }
        let mut cur = self.current.borrow_mut();
        let same = cur.as_ref().is_some_and(|(s, _)| s == stage);
        if !same {
            if let Some((_, bar)) = cur.take() {
                bar.finish_and_clear();
            }
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len} {elapsed}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_message(stage.to_string());
            *cur = Some((stage.to_string(), bar));
        }
        if let Some((_, bar)) = cur.as_ref() {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    }

    pub fn finish(&self) {
        if let Some((_, bar)) = self.current.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}

/// Options every command takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bars or chatter.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Worker threads (default: all cores).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
}

impl Common {
    pub fn init(&self) {
        if let Some(n) = self.threads {
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .build_global();
        }
    }

    pub fn bars(&self) -> Bars {
        Bars::new(self.quiet || self.json)
    }
}
