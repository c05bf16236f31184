//! Every committed fixture imports, its lowered float graph reproduces tract's
//! float logits, and its exact integer witness agrees with tract.
//!
//! Tolerance (tiny random models, 16-bit default quantization): the top-1
//! token of the witness equals tract's at every position whose float top-2
//! margin is above 0.01, and the max abs logit error stays below 5% of the
//! logits' range. The measured errors are printed (`--nocapture`).

mod import_common;

use import_common::{compare, fixture_names, load_ref, run_fixture};

#[test]
fn every_fixture_imports_and_agrees() {
    let names = fixture_names();
    assert!(names.len() >= 2, "fixtures missing: {names:?}");
    println!(
        "{:<22} {:>6} {:>10} {:>10} {:>10} {:>9} {:>8} {:>10}",
        "fixture", "nodes", "ref-tract", "max|err|", "mean|err|", "top1", "margin", "max|logit|"
    );
    for name in names {
        let r = run_fixture(&name);
        let reference = load_ref(&name);
        // tract vs the exporter-side reference (torch, or onnxruntime where the
        // export itself departs from torch).
        let tract64: Vec<f64> = r.tract.iter().map(|&x| x as f64).collect();
        let (ref_err, _) = compare(&reference.expected(), &tract64);
        assert!(
            ref_err < 1e-3,
            "{name}: tract departs from the reference by {ref_err}"
        );
        // The lowered float graph vs tract: the lowering is exact up to f32.
        let (float_err, _) = compare(&r.tract, &r.ir_float);
        assert!(
            float_err < 1e-3,
            "{name}: lowered float graph departs from tract by {float_err}"
        );
        let range = r.tract.iter().fold(0.0f64, |m, &x| m.max((x as f64).abs()));
        println!(
            "{:<22} {:>6} {:>10.2e} {:>10.4} {:>10.4} {:>4}/{:<4} {:>8} {:>10.3}",
            name,
            r.quant_nodes,
            ref_err,
            r.max_err,
            r.mean_err,
            r.top1_agree,
            r.positions,
            r.confident_agree,
            range
        );
        assert!(
            r.max_err < 0.05 * range.max(1.0),
            "{name}: max logit error {} (range {range})",
            r.max_err
        );
        assert!(
            r.softmax.0 >= 2 && r.softmax.0 == r.softmax.1,
            "{name}: softmax nodes (total, masked) = {:?}",
            r.softmax
        );
        assert!(
            r.confident_disagree == 0,
            "{name}: top-1 differs at {} confident positions",
            r.confident_disagree
        );
    }
}
