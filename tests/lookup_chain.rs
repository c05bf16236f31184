//! Chained lookups: a lookup that reads another lookup's output reads its
//! raw committed tensor, whose padding is `f₁(p)`, not 0. The second table's
//! raw output is padded with `f₂(f₁(0))` so the padding entries are in its
//! table; here `f₂(f₁(0)) = exp(1/2) ≠ f₂(0) = 1`, so padding the second raw
//! output with `f₂(0)` (the old rule) makes the honest prover's lookup fail.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkllm::backend::default_backend;
use zkllm::circuit::{self, Plan, Statement};
use zkllm::commit::Hyrax;
use zkllm::ir::{Data, Func, Graph, Op, Quant, TableRange};
use zkllm::witness;

/// Rows and columns of the output: neither a power of two, so both axes pad.
const SEQ: usize = 3;
const VOCAB: usize = 5;

/// `input_ids [1,3]` (unused); public `x [1,3,5]` at 5 fractional bits →
/// Rescale by 1 → sigmoid (8 fractional bits) → exp (8 fractional bits).
fn graph(exp_table: TableRange) -> Graph {
    let shape = vec![1, SEQ, VOCAB];
    let mut g = Graph::default();
    let input = g.push(
        "input_ids",
        Op::Input {
            name: "input_ids".into(),
        },
        vec![],
        vec![1, SEQ],
    );
    g.nodes[input].quant = Some(Quant {
        bits: 32,
        frac_bits: 0,
    });
    let x = g.push("x", Op::Constant, vec![], shape.clone());
    g.nodes[x].quant = Some(Quant {
        bits: 9,
        frac_bits: 5,
    });
    let values: Vec<i64> = (0..SEQ * VOCAB)
        .map(|e| (e as i64 * 37) % 256 - 128)
        .collect();
    g.nodes[x].data = Some(Data::I64(values));
    let r = g.push("rescale", Op::Rescale { shift: 1 }, vec![x], shape.clone());
    g.nodes[r].quant = Some(Quant {
        bits: 8,
        frac_bits: 4,
    });
    let s = g.push(
        "sigmoid",
        Op::Lookup {
            func: Func::Sigmoid,
            table: Some(TableRange {
                lo: -128,
                log_size: 8,
            }),
        },
        vec![r],
        shape.clone(),
    );
    g.nodes[s].quant = Some(Quant {
        bits: 10,
        frac_bits: 8,
    });
    let y = g.push(
        "exp",
        Op::Lookup {
            func: Func::Exp,
            table: Some(exp_table),
        },
        vec![s],
        shape,
    );
    g.nodes[y].quant = Some(Quant {
        bits: 12,
        frac_bits: 8,
    });
    g.input = input;
    g.output = y;
    g.seq_len = SEQ;
    g
}

#[test]
fn a_lookup_of_a_lookup_with_nonzero_padding_proves_and_verifies() {
    let g = graph(TableRange { lo: 0, log_size: 9 });
    let plan = Plan::new(&g).unwrap();
    let (sig, exp) = (3, 4);
    // σ(0)·2^8 = 128 pads the sigmoid's raw output; exp(128/2^8)·2^8 = 422 the exp's.
    assert_eq!(plan.raw_pad[sig], 128);
    assert_eq!(plan.raw_pad[exp], 422);
    assert!(plan.masked_output[sig] && plan.masked_output[exp]);
    // The old padding f₂(0) = 256 would not be in the exp table at input 128.
    assert_ne!(plan.raw_pad[exp], 256);

    let pcs = Hyrax::setup(circuit::GENERATOR_SEED, circuit::generator_vars(&g, &plan));
    let ids = vec![0; SEQ];
    let wit = witness::generate(&g, &ids).unwrap();
    let out = wit.node(g.output);
    assert!(out.iter().all(|&v| (256..700).contains(&v)), "{out:?}");
    let stmt = Statement {
        ids,
        position: SEQ - 1,
        all_positions: false,
        next_token: None,
        logits: out[(SEQ - 1) * VOCAB..].to_vec(),
    };
    let be = default_backend();
    let digest = [9u8; 32];
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let proof = circuit::prove(
        be,
        &pcs,
        &g,
        &plan,
        &[],
        &digest,
        &wit,
        &stmt,
        &mut rng,
        &|_, _, _| {},
    )
    .expect("an honest chain of lookups proves");
    circuit::verify(be, &pcs, &g, &plan, &[], &digest, &stmt, &proof)
        .expect("an honest chain of lookups verifies");

    // A wrong public output is still rejected.
    let mut bad = stmt.clone();
    bad.logits[0] += 1;
    assert!(circuit::verify(be, &pcs, &g, &plan, &[], &digest, &bad, &proof).is_err());
}

#[test]
fn a_table_that_excludes_its_inputs_padding_is_refused() {
    // The sigmoid's raw output is padded with 128, outside [0, 64).
    let g = graph(TableRange { lo: 0, log_size: 6 });
    let e = Plan::new(&g).unwrap_err().to_string();
    assert!(e.contains("excludes its input's padding value 128"), "{e}");
}
