//! Progress for long steps (hidden with `-q` or `--json`): bars on a
//! terminal, plain timestamped lines when stderr is a log file or a pipe
//! (a 15-minute calibration under `nohup` should still say where it is).

use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often a plain progress line is written at most, per stage.
const LINE_EVERY: Duration = Duration::from_secs(10);

pub struct Bars {
    quiet: bool,
    current: RefCell<Option<(String, ProgressBar)>>,
    /// Not a terminal: the stage plain lines are written for.
    lines: Option<RefCell<Option<LineStage>>>,
}

/// The stage a plain progress line is about.
struct LineStage {
    name: String,
    start: Instant,
    last: Instant,
    /// Its `done == total` line was written.
    ended: bool,
}

impl LineStage {
    /// The stage's last line, when its callbacks did not reach `total`.
    fn close(self) {
        if !self.ended {
            eprintln!(
                "{}: done ({:.1} s)",
                self.name,
                self.start.elapsed().as_secs_f64()
            );
        }
    }
}

impl Bars {
    pub fn new(quiet: bool) -> Self {
        let terminal = std::io::stderr().is_terminal();
        Self {
            quiet,
            current: RefCell::new(None),
            lines: (!terminal).then(|| RefCell::new(None)),
        }
    }

    /// The callback handed to the pipeline: one bar (or line) per stage.
    pub fn update(&self, stage: &str, done: usize, total: usize) {
        if self.quiet {
            return;
        }
        if let Some(lines) = &self.lines {
            return Self::line(lines, stage, done, total);
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

    /// A plain line at a stage's start and end, and every [`LINE_EVERY`].
    fn line(state: &RefCell<Option<LineStage>>, stage: &str, done: usize, total: usize) {
        let now = Instant::now();
        let mut st = state.borrow_mut();
        if st.as_ref().is_none_or(|s| s.name != stage) {
            if let Some(old) = st.take() {
                old.close();
            }
            eprintln!("{stage}: {done}/{total}");
            *st = Some(LineStage {
                name: stage.to_string(),
                start: now,
                last: now,
                ended: false,
            });
            return;
        }
        let s = st.as_mut().expect("set above");
        if done >= total || now.duration_since(s.last) >= LINE_EVERY {
            s.last = now;
            s.ended = done >= total;
            eprintln!(
                "{stage}: {done}/{total} ({:.1} s)",
                now.duration_since(s.start).as_secs_f64()
            );
        }
    }

    /// A message on stderr that does not break a bar in progress.
    pub fn println(&self, msg: &str) {
        match self.current.borrow().as_ref() {
            Some((_, bar)) => bar.println(msg),
            None => eprintln!("{msg}"),
        }
    }

    pub fn finish(&self) {
        if let Some(lines) = &self.lines {
            if let Some(old) = lines.borrow_mut().take() {
                old.close();
            }
        }
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
