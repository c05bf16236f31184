//! The calibration report page in a real headless browser (Debian's
//! chromium): it parses, every plot is in the rendered DOM, and it paints.
//! `.ci/run` installs chromium and sets `ZKLLM_REQUIRE_BROWSER=1`, so in CI
//! a missing browser fails the test; elsewhere it is skipped with a note.

use std::path::{Path, PathBuf};
use std::process::Command;

use zkllm::import::{import, ImportOptions};
use zkllm::quant::calibrate::{self, CalibSettings};
use zkllm::quant::report;
use zkllm::tokenize::TextTokenizer;

fn browser() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .map(|name| Path::new("/usr/bin").join(name))
        .find(|p| p.exists())
}

fn report_page(dir: &Path) -> (PathBuf, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("fixtures/llama_dynamo.onnx");
    let graph = import(
        &model,
        &ImportOptions {
            seq_len: 8,
            ..Default::default()
        },
    )
    .unwrap();
    let tok = TextTokenizer::load(&root.join("fixtures/tokenizer.json")).unwrap();
    let text =
        std::fs::read_to_string(root.join("calibration/pride_and_prejudice_ch1.txt")).unwrap();
    let ids = tok.encode(&text, 128).unwrap();
    let (cw, ew, src) = calibrate::split_windows(calibrate::windows(&[ids], 8));
    let cal = calibrate::calibrate(&graph, &cw, &CalibSettings::default(), &|_, _, _| {}).unwrap();
    let rep = report::evaluate(&graph, &cal.graph, &ew, &cal.file, &src, &|_, _, _| {}).unwrap();
    let html = rep.to_html(&cal.file, "llama_dynamo.onnx");
    let path = dir.join("report.html");
    std::fs::write(&path, &html).unwrap();
    (path, html)
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(chromium) = browser() else {
        assert!(
            std::env::var("ZKLLM_REQUIRE_BROWSER").is_err(),
            "ZKLLM_REQUIRE_BROWSER is set but no chromium was found"
        );
        eprintln!("skipped: no chromium (apt install chromium, or set CHROMIUM)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("zkllm-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (page, html) = report_page(&dir);
    let url = format!("file://{}", page.display());
    let run = |extra: &[&str]| {
        let o = Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                &format!("--user-data-dir={}", dir.join("profile").display()),
            ])
            .args(extra)
            .arg(&url)
            .output()
            .expect("running chromium");
        assert!(
            o.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    };
    // The DOM after parsing: every plot and every metric made it through.
    let dom = String::from_utf8(run(&["--dump-dom"]).stdout).unwrap();
    let plots = html.matches("<svg").count();
    assert!(plots >= 3, "the page has {plots} plots");
    assert_eq!(
        dom.matches("<svg").count(),
        plots,
        "plots lost in the browser's DOM"
    );
    for want in ["perplexity", "top-1", "KL"] {
        assert!(dom.contains(want), "rendered page lacks {want:?}");
    }
    // And it paints: a full-page screenshot with real content.
    let shot = dir.join("report.png");
    run(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=1200,2400",
        "--hide-scrollbars",
    ]);
    let png = std::fs::read(&shot).expect("no screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    assert!(
        png.len() > 20_000,
        "screenshot is nearly blank ({} bytes)",
        png.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
