//! Fixed-point edge cases on small hand-built graphs: constants that must
//! survive quantization, zero rows through a norm, fully masked softmax rows,
//! and the structure the prover relies on (every product rescaled).

use zkllm::ir::{float, Data, EinsumSpec, Func, Graph, Mask, NormKind, Op};
use zkllm::quant::{dequantize, quantize, Calibration, QuantConfig, QuantError};
use zkllm::witness;

/// A 4-token graph whose input ids look up rows of `table` (rows of `d`):
/// the graph and its `embed` node.
fn embedded(table: Vec<f32>, d: usize) -> (Graph, usize) {
    let mut g = Graph {
        seq_len: 4,
        ..Graph::default()
    };
    let ids = g.push(
        "input_ids",
        Op::Input {
            name: "input_ids".into(),
        },
        vec![],
        vec![1, 4],
    );
    g.input = ids;
    let t = g.push(
        "emb",
        Op::Weight {
            name: "emb".into(),
            initializer: true,
        },
        vec![],
        vec![table.len() / d, d],
    );
    g.nodes[t].data = Some(Data::F32(table));
    let x = g.push("embed", Op::Embedding, vec![t, ids], vec![1, 4, d]);
    (g, x)
}

/// ids [1,4] → Embedding(table [5,8]) → Norm(eps) → ·gain → EinSum(W [8,6]) →
/// Lookup(Gelu) → scores = x·xᵀ → Mask → Softmax.
fn graph(eps: f64, table: Vec<f32>, keep: Vec<bool>) -> Graph {
    let (mut g, x) = embedded(table, 8);
    let n = g.push(
        "norm",
        Op::Norm {
            kind: NormKind::Rms,
            axis: 2,
            eps,
        },
        vec![x],
        vec![1, 4, 8],
    );
    let gain = g.push(
        "gain",
        Op::Weight {
            name: "gain".into(),
            initializer: true,
        },
        vec![],
        vec![1, 1, 8],
    );
    g.nodes[gain].data = Some(Data::F32((0..8).map(|i| 0.5 + i as f32 * 0.1).collect()));
    let y = g.push("scaled", Op::Hadamard, vec![n, gain], vec![1, 4, 8]);
    let w = g.push(
        "w",
        Op::Weight {
            name: "w".into(),
            initializer: true,
        },
        vec![],
        vec![8, 6],
    );
    g.nodes[w].data = Some(Data::F32(
        (0..48).map(|i| ((i * 7 % 11) as f32 - 5.0) / 7.0).collect(),
    ));
    let spec = EinsumSpec::parse("bmk,kn->bmn").unwrap();
    let h = g.push(
        "proj",
        Op::EinSum {
            spec,
            weight_operand: Some(1),
        },
        vec![y, w],
        vec![1, 4, 6],
    );
    let a = g.push(
        "gelu",
        Op::Lookup {
            func: Func::Gelu,
            table: None,
        },
        vec![h],
        vec![1, 4, 6],
    );
    let s = g.push(
        "scale",
        Op::MulConst {
            value: 0.25,
            q: 0,
            frac_bits: 0,
        },
        vec![a],
        vec![1, 4, 6],
    );
    let spec = EinsumSpec::parse("bmk,bnk->bmn").unwrap();
    let sc = g.push(
        "scores",
        Op::EinSum {
            spec,
            weight_operand: None,
        },
        vec![s, a],
        vec![1, 4, 4],
    );
    let m = Mask {
        shape: vec![1, 4, 4],
        keep,
    };
    g.output = g.push(
        "probs",
        Op::Softmax {
            mask: Some(m),
            exp_frac_bits: None,
        },
        vec![sc],
        vec![1, 4, 4],
    );
    g
}

fn causal() -> Vec<bool> {
    (0..16).map(|i| i % 4 <= i / 4).collect()
}

fn table() -> Vec<f32> {
    (0..40)
        .map(|i| ((i * 13 % 17) as f32 - 8.0) / 4.0)
        .collect()
}

fn run(g: &Graph, ids: &[i64]) -> (Vec<f64>, Vec<f64>, Graph) {
    let values = float::eval(g, ids).unwrap();
    let q = quantize(
        g,
        &Calibration::from_float_run(g, &values),
        &QuantConfig::default(),
    )
    .unwrap();
    let w = witness::generate(&q, ids).unwrap();
    (values[g.output].clone(), w.logits_f64(), q)
}

#[test]
fn witness_tracks_float_and_every_product_is_rescaled() {
    let g = graph(1e-5, table(), causal());
    let (f, q, qg) = run(&g, &[0, 3, 1, 4]);
    let err = f
        .iter()
        .zip(&q)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(err < 2e-3, "softmax output error {err}");
    // Rows sum to ~1 and masked entries are exactly 0.
    for r in 0..4 {
        let row = &q[r * 4..r * 4 + 4];
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-3);
        assert!(row[r + 1..].iter().all(|&v| v == 0.0));
    }
    // Every product feeds a Rescale unless its own scale already fits, and no
    // range-checked tensor is wider than 24 bits.
    for n in &qg.nodes {
        let qn = n.quant.unwrap();
        match n.op {
            Op::Rescale { shift } => assert!(shift > 0),
            Op::Lookup { table, .. } => assert!(table.is_some()),
            Op::Norm { .. } | Op::Mask(_) => panic!("float-only op left in {}", n.name),
            _ => {}
        }
        if !n.name.ends_with("/product")
            && !n.name.ends_with("/square")
            && !n.name.ends_with("/sumsq")
        {
            assert!(qn.bits <= 32, "{} has {} bits", n.name, qn.bits);
        }
    }
    assert_eq!(
        qg.nodes
            .iter()
            .filter(|n| matches!(
                n.op,
                Op::Lookup {
                    func: Func::RsqrtMean { .. },
                    ..
                }
            ))
            .count(),
        1
    );
}

#[test]
fn zero_rows_and_tiny_eps_survive() {
    // Token 2's embedding row is all zeros: mean square 0, so 1/√(0 + ε) is the
    // table's (saturated) value at 0 — never a division by zero — and the
    // normalised row is exactly 0. ε = 1e-12 would round to 0 at any 16-bit
    // scale; it stays a float inside the table.
    let mut t = table();
    t[16..24].iter_mut().for_each(|v| *v = 0.0);
    let g = graph(1e-12, t, causal());
    let ids = [2, 2, 1, 2];
    let values = float::eval(&g, &ids).unwrap();
    let q = quantize(
        &g,
        &Calibration::from_float_run(&g, &values),
        &QuantConfig::default(),
    )
    .unwrap();
    let w = witness::generate(&q, &ids).unwrap();
    let norm = q.nodes.iter().find(|n| n.name == "norm").unwrap();
    let f = norm.quant.unwrap().frac_bits;
    let row0: Vec<f64> = w.node(norm.id)[..8]
        .iter()
        .map(|&v| dequantize(v, f))
        .collect();
    assert!(row0.iter().all(|&v| v == 0.0), "{row0:?}");
}

#[test]
fn fully_masked_rows_give_zeros() {
    let mut keep = causal();
    keep[8..12].iter_mut().for_each(|k| *k = false); // row 2 fully masked
    let g = graph(1e-5, table(), keep);
    let (_, q, _) = run(&g, &[0, 3, 1, 4]);
    assert!(q[8..12].iter().all(|&v| v == 0.0));
    assert!((q[12..16].iter().sum::<f64>() - 1.0).abs() < 1e-3);
}

#[test]
fn constants_that_would_vanish_are_refused() {
    let mut g = graph(1e-5, table(), causal());
    let ids = [0, 3, 1, 4];
    let values = float::eval(&g, &ids).unwrap();
    let calib = Calibration::from_float_run(&g, &values);
    let scale = g.nodes.iter().position(|n| n.name == "scale").unwrap();
    g.nodes[scale].op = Op::MulConst {
        value: 1e-20,
        q: 0,
        frac_bits: 0,
    };
    let e = quantize(&g, &calib, &QuantConfig::default()).unwrap_err();
    assert!(matches!(e, QuantError::Constant { .. }), "{e}");
    assert!(e.to_string().contains("scale") && e.to_string().contains("rounds to zero"));
    g.nodes[scale].op = Op::MulConst {
        value: f64::NAN,
        q: 0,
        frac_bits: 0,
    };
    assert!(matches!(
        quantize(&g, &calib, &QuantConfig::default()),
        Err(QuantError::Constant { .. })
    ));
}

#[test]
fn witness_is_deterministic() {
    let g = graph(1e-5, table(), causal());
    let values = float::eval(&g, &[0, 3, 1, 4]).unwrap();
    let q = quantize(
        &g,
        &Calibration::from_float_run(&g, &values),
        &QuantConfig::default(),
    )
    .unwrap();
    let a = witness::generate(&q, &[0, 3, 1, 4]).unwrap();
    let b = witness::generate(&q, &[0, 3, 1, 4]).unwrap();
    assert_eq!(a, b);
    // The zkAttn rows reproduce the softmax output, and each row sums to
    // 2^f_out within the tolerance the proof checks.
    let sm = q
        .nodes
        .iter()
        .position(|n| matches!(n.op, Op::Softmax { .. }))
        .unwrap();
    let node = &q.nodes[sm];
    let qi = q.nodes[node.inputs[0]].quant.unwrap();
    let n = *node.shape.last().unwrap();
    let p =
        zkllm::quant::ZkAttnParams::new(n, qi.bits, qi.frac_bits, node.quant.unwrap().frac_bits);
    let z = a.node(node.inputs[0]);
    for (r, y) in a.node(sm).chunks(n).enumerate() {
        let keep: Vec<bool> = (0..n).map(|j| j <= r % n).collect();
        let (_, row) = zkllm::quant::zkattn_row(&z[r * n..(r + 1) * n], Some(&keep), &p);
        assert_eq!(row, y);
        let total: i64 = y.iter().sum();
        assert!(
            (total - (1i64 << p.f_out)).abs() <= p.tolerance,
            "row {r} sums to {total}"
        );
    }
}

/// ids [1,4] → Embedding(table [3, d]) → RMSNorm: the output. Row 0 is an
/// attention-sink-like row: channel 7 is `sink`, the rest ordinary.
fn norm_graph(d: usize, sink: f32) -> Graph {
    let table = (0..3 * d)
        .map(|i| match (i / d, i % d) {
            (0, 7) => sink,
            (r, c) => ((c * 13 + r * 5) % 17) as f32 / 8.0 - 1.0,
        })
        .collect();
    let (mut g, x) = embedded(table, d);
    g.output = g.push(
        "norm",
        Op::Norm {
            kind: NormKind::Rms,
            axis: 2,
            eps: 1e-5,
        },
        vec![x],
        vec![1, 4, d],
    );
    g
}

#[test]
fn a_norm_over_a_wide_input_squares_a_narrowed_copy() {
    // A 26-bit input over 4,096 channels: its exact sum of squares would be
    // 2·26 − 1 + 12 = 63 bits, past what a node may declare. The quantizer
    // squares a copy cut to fit; the normalised output still uses the full
    // input, and tracks the float norm.
    let d = 4096;
    let g = norm_graph(d, 900.0);
    let ids = [0, 1, 2, 1];
    let values = float::eval(&g, &ids).unwrap();
    let calib = Calibration::from_float_run(&g, &values);
    // The embedding's rows are the weight table's: 26-bit weights.
    let mut cfg = QuantConfig {
        weight_bits: 26,
        ..QuantConfig::default()
    };
    let q = quantize(&g, &calib, &cfg).unwrap();
    let node = |name: &str| q.nodes.iter().find(|n| n.name == name);
    let narrowed = node("norm/narrowed").expect("a narrowed copy feeds the square");
    assert_eq!(node("norm/square").unwrap().inputs, vec![narrowed.id; 2]);
    assert!(node("norm/sumsq").unwrap().quant.unwrap().bits <= zkllm::ir::check::MAX_BITS);
    let w = witness::generate(&q, &ids).unwrap();
    let out = w.logits_f64();
    let err = values[g.output]
        .iter()
        .zip(&out)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    // Within the output's own rounding (half a step at its scale, and the
    // narrowed copy's rounding far below it).
    let f = node("norm").unwrap().quant.unwrap().frac_bits;
    assert!(
        err <= 0.6 * 2f64.powi(-f),
        "norm output error {err} at 2^-{f}"
    );
    // At 4,096 channels a 24-bit input fits without the copy.
    cfg.weight_bits = 24;
    let q = quantize(&g, &calib, &cfg).unwrap();
    assert!(q.nodes.iter().all(|n| n.name != "norm/narrowed"));
}

#[test]
fn a_sink_rows_one_over_rms_keeps_its_precision() {
    // The sink row's 1/rms is ~700× smaller than the ordinary rows': at the
    // scale that fits the largest in 24 bits it would keep ~13 significant
    // bits, and its error scales the whole row. The table output is widened
    // until it keeps RSQRT_SIG_BITS.
    let g = norm_graph(64, 3000.0);
    let ids = [0, 1, 2, 1];
    let values = float::eval(&g, &ids).unwrap();
    let calib = Calibration::from_float_run(&g, &values);
    let q = quantize(&g, &calib, &QuantConfig::default()).unwrap();
    let r = q.nodes.iter().find(|n| n.name == "norm/rsqrt").unwrap();
    let qr = r.quant.unwrap();
    assert!(qr.bits > zkllm::quant::RSQRT_BITS, "{qr:?}");
    let w = witness::generate(&q, &ids).unwrap();
    let embed = &values[g.nodes.iter().position(|n| n.name == "embed").unwrap()];
    // Row 0 (token 0) is the sink; its table input is near the table's top,
    // so what is left is the output's own rounding.
    let got = dequantize(w.node(r.id)[0], qr.frac_bits);
    let want = 1.0 / (embed[..64].iter().map(|v| v * v).sum::<f64>() / 64.0 + 1e-5).sqrt();
    let rel = (got / want - 1.0).abs();
    let sig = zkllm::quant::RSQRT_SIG_BITS as i32;
    assert!(
        rel < 2f64.powi(-sig + 1),
        "the sink row's 1/rms is off by {rel:e}"
    );
}
