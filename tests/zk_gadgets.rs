//! Matmul, Hadamard and linear gadgets in zero-knowledge mode: the same
//! gadget code as the clear proofs, over hidden claims. Honest proofs hand
//! on commitments to the operands' true values; transcript-consistent
//! forgeries (a wrong witness, a wrong output claim, a swapped claim
//! commitment) are each rejected by the check the test names; the proofs
//! carry no scalar but masked responses.

mod common;

use common::{eval, matmul_i64, padded, random_point, random_small, random_table, rng, transcript};
use zkllm::backend::default_backend;
use zkllm::commit::Generators;
use zkllm::field::Fr;
use zkllm::protocols::matmul::{self, MatMulShape};
use zkllm::protocols::{hadamard, linear};
use zkllm::sumcheck::EvaluationClaim;
use zkllm::zk::{Hidden, Lc, Pedersen, ProverCtx, Secret, VerifierCtx};

const ZERO: &str = "commitments that must open to zero";
/// The check that refuses a nonlinear sumcheck's end (matmul, Hadamard)
/// whose claim is not the shape's polynomial in the committed values.
const RELATION: &str = "relation: the claim";

fn ped() -> Pedersen {
    Pedersen::new(&Generators::new("zk-gadgets", 1))
}

/// The prover's hidden claim on `table` at a random point, `value + shift`.
fn hidden_claim(
    ctx: &mut ProverCtx,
    table: &[Fr],
    n: usize,
    shift: Fr,
    seed: u64,
) -> EvaluationClaim<Secret> {
    let point = random_point(&mut rng(seed), n);
    let value = eval(table, &point) + shift;
    EvaluationClaim {
        point,
        value: Secret::fresh(value, ctx.rng()),
    }
}

/// The verifier's view of a hidden claim: the commitment, as a point.
fn public(c: &EvaluationClaim<Secret>) -> EvaluationClaim<Lc> {
    EvaluationClaim {
        point: c.point.clone(),
        value: com(&c.value),
    }
}

fn com(s: &Secret) -> Lc {
    use ark_ec::CurveGroup;
    Lc::point(ped().commit(s).into_affine())
}

/// Runs `prove` then `verify` (both over one claim) and settles the
/// verifier's context; returns the handed-on claims of both sides.
fn settle(
    ctx: ProverCtx,
    mut pt: zkllm::transcript::Transcript,
    vctx: VerifierCtx,
    mut vt: zkllm::transcript::Transcript,
) -> Result<(), String> {
    let zero = ctx.finish(&mut pt);
    vctx.finish(zero.as_ref(), &mut vt, &mut rng(1))
}

fn matmul_case(seed: u64) -> (MatMulShape, Vec<Fr>, Vec<Fr>, Vec<Fr>) {
    let (h, m, k, n) = (3, 4, 6, 2);
    let mut r = rng(seed);
    let (mut a, mut b, mut c) = (vec![], vec![], vec![]);
    for _ in 0..h {
        let ah = random_small(&mut r, m * k, 16);
        let bh = random_small(&mut r, k * n, 16);
        c.extend(matmul_i64(&ah, &bh, m, k, n));
        a.extend(ah);
        b.extend(bh);
    }
    let shape = MatMulShape {
        log_b: 2,
        log_m: 2,
        log_k: 3,
        log_n: 1,
    };
    (
        shape,
        padded(&[h, m, k], &a),
        padded(&[h, k, n], &b),
        padded(&[h, m, n], &c),
    )
}

#[test]
fn hidden_matmul_honest_and_forged() {
    let (shape, a, b, c) = matmul_case(3);
    let run = |a_used: &[Fr], shift: Fr, swap: bool| -> Result<(), String> {
        let mut ctx = ProverCtx::new(ped(), &mut rng(10));
        let claim = hidden_claim(&mut ctx, &c, shape.c_vars(), shift, 4);
        let mut pt = transcript(b"zk-matmul");
        let (proof, handed) = matmul::prove_in::<Hidden>(
            &mut ctx,
            default_backend(),
            &shape,
            a_used,
            &b,
            &claim,
            &mut pt,
        );
        // The handed-on claims commit to the prover's values at their points.
        assert_eq!(handed.a.value.value, eval(a_used, &handed.a.point));
        assert_eq!(handed.b.value.value, eval(&b, &handed.b.point));
        let mut vclaim = public(&claim);
        if swap {
            let mut other = ProverCtx::new(ped(), &mut rng(99));
            vclaim = public(&hidden_claim(
                &mut other,
                &c,
                shape.c_vars(),
                Fr::from(0u64),
                4,
            ));
        }
        let mut vctx = VerifierCtx::new(ped());
        let mut vt = transcript(b"zk-matmul");
        let got = matmul::verify_in::<Hidden>(&mut vctx, &shape, &vclaim, &proof, &mut vt)
            .map_err(|e| e.to_string())?;
        if !swap {
            assert_eq!(got.a.point, handed.a.point);
            assert_eq!(got.a.value.eval(), ped().commit(&handed.a.value));
            assert_eq!(got.b.value.eval(), ped().commit(&handed.b.value));
        }
        settle(ctx, pt, vctx, vt)
    };
    run(&a, Fr::from(0u64), false).expect("honest hidden matmul verifies");
    let mut wrong = a.clone();
    wrong[5] += Fr::from(1u64);
    let e = run(&wrong, Fr::from(0u64), false).unwrap_err();
    eprintln!("matmul, wrong witness: rejected: {e}");
    assert_eq!(e, RELATION);
    let e = run(&a, Fr::from(1u64), false).unwrap_err();
    eprintln!("matmul, wrong output claim: rejected: {e}");
    assert_eq!(e, RELATION);
    let e = run(&a, Fr::from(0u64), true).unwrap_err();
    eprintln!("matmul, swapped claim commitment: rejected: {e}");
    // A derived claim is not absorbed (its points were): the challenges stay,
    // and the final relation proof's claim equation does not hold.
    assert_eq!(e, RELATION);
}

#[test]
fn hidden_hadamard_honest_and_forged() {
    let n = 5;
    let mut r = rng(7);
    let f: Vec<Vec<Fr>> = (0..3).map(|_| random_table(&mut r, 1 << n)).collect();
    let prod: Vec<Fr> = (0..1 << n).map(|i| f[0][i] * f[1][i] * f[2][i]).collect();
    let run = |used: &[Vec<Fr>], shift: Fr| -> Result<(), String> {
        let mut ctx = ProverCtx::new(ped(), &mut rng(11));
        let claim = hidden_claim(&mut ctx, &prod, n, shift, 5);
        let mut pt = transcript(b"zk-hadamard");
        let refs: Vec<&[Fr]> = used.iter().map(|v| v.as_slice()).collect();
        let (proof, handed) =
            hadamard::prove_in::<Hidden>(&mut ctx, default_backend(), &refs, &claim, &mut pt);
        let mut vctx = VerifierCtx::new(ped());
        let mut vt = transcript(b"zk-hadamard");
        let got = hadamard::verify_in::<Hidden>(&mut vctx, 3, &public(&claim), &proof, &mut vt)
            .map_err(|e| e.to_string())?;
        for ((g, h), t) in got.iter().zip(&handed).zip(used) {
            assert_eq!(g.value.eval(), ped().commit(&h.value));
            assert_eq!(h.value.value, eval(t, &h.point));
        }
        // The proof's scalars are the relation proof's masked responses only.
        for z in proof.finals.scalars() {
            assert!(handed.iter().all(|h| h.value.value != z));
        }
        settle(ctx, pt, vctx, vt)
    };
    run(&f, Fr::from(0u64)).expect("honest hidden hadamard verifies");
    let mut wrong = f.clone();
    wrong[2][3] += Fr::from(1u64);
    let e = run(&wrong, Fr::from(0u64)).unwrap_err();
    eprintln!("hadamard, wrong witness: rejected: {e}");
    assert_eq!(e, RELATION);
    let e = run(&f, Fr::from(2u64)).unwrap_err();
    eprintln!("hadamard, wrong output claim: rejected: {e}");
    assert_eq!(e, RELATION);
}

#[test]
fn hidden_linear_honest_and_forged() {
    let n = 4;
    let mut r = rng(8);
    let a = random_table(&mut r, 1 << n);
    let b = random_table(&mut r, 1 << n);
    let coeffs = [Fr::from(3u64), -Fr::from(1u64)];
    let out: Vec<Fr> = (0..1 << n)
        .map(|i| coeffs[0] * a[i] + coeffs[1] * b[i])
        .collect();
    let run = |b_used: &[Fr], shift: Fr| -> Result<(), String> {
        let mut ctx = ProverCtx::new(ped(), &mut rng(12));
        let claim = hidden_claim(&mut ctx, &out, n, shift, 6);
        let mut pt = transcript(b"zk-linear");
        let (proof, handed) = linear::prove_in::<Hidden>(
            &mut ctx,
            default_backend(),
            &coeffs,
            &[&a, b_used],
            &claim,
            &mut pt,
        );
        let mut vctx = VerifierCtx::new(ped());
        let mut vt = transcript(b"zk-linear");
        let got = linear::verify_in::<Hidden>(&mut vctx, &coeffs, &public(&claim), &proof, &mut vt)
            .map_err(|e| e.to_string())?;
        for (g, h) in got.iter().zip(&handed) {
            assert_eq!(g.value.eval(), ped().commit(&h.value));
        }
        settle(ctx, pt, vctx, vt)
    };
    run(&b, Fr::from(0u64)).expect("honest hidden linear verifies");
    let mut wrong = b.clone();
    wrong[0] += Fr::from(1u64);
    let e = run(&wrong, Fr::from(0u64)).unwrap_err();
    eprintln!("linear, wrong witness: rejected: {e}");
    assert_eq!(e, ZERO);
    let e = run(&b, Fr::from(1u64)).unwrap_err();
    eprintln!("linear, wrong output claim: rejected: {e}");
    assert_eq!(e, ZERO);
}

/// A clear-mode context cannot make a hidden proof (it has no generators
/// to hide with): refused, not a proof with identity generators.
#[test]
fn a_clear_context_refuses_hidden_mode() {
    let r = std::panic::catch_unwind(|| {
        let mut ctx = ProverCtx::clear();
        let _ = <Hidden as zkllm::zk::Mode>::fresh(&mut ctx, Fr::from(1u64));
    });
    assert!(r.is_err());
}

/// Several hidden claims on one table reduced to one hidden claim; a false
/// claim among them (proved as if true) is rejected by the zero proof.
#[test]
fn hidden_multipoint_honest_and_forged() {
    use zkllm::claims::multipoint::{prove_multipoint_in, verify_multipoint_in};
    let n = 5;
    let table = random_table(&mut rng(21), 1 << n);
    let run = |shift: Fr| -> Result<(), String> {
        let mut ctx = ProverCtx::new(ped(), &mut rng(13));
        let claims: Vec<EvaluationClaim<Secret>> = (0..3)
            .map(|j| {
                hidden_claim(
                    &mut ctx,
                    &table,
                    n,
                    if j == 1 { shift } else { Fr::from(0u64) },
                    30 + j,
                )
            })
            .collect();
        let points: Vec<Vec<Fr>> = claims.iter().map(|c| c.point.clone()).collect();
        let values: Vec<Secret> = claims.iter().map(|c| c.value).collect();
        let mut pt = transcript(b"zk-multipoint");
        let (proof, one) = prove_multipoint_in::<Hidden>(
            &mut ctx,
            default_backend(),
            &table,
            &points,
            &values,
            &mut pt,
        )
        .unwrap();
        assert_eq!(one.value.value, eval(&table, &one.point));
        let coms: Vec<Lc> = values.iter().map(com).collect();
        let mut vctx = VerifierCtx::new(ped());
        let mut vt = transcript(b"zk-multipoint");
        let got = verify_multipoint_in::<Hidden>(&mut vctx, n, &points, &coms, &proof, &mut vt)
            .map_err(|e| e.to_string())?;
        assert_eq!(got.value.eval(), ped().commit(&one.value));
        settle(ctx, pt, vctx, vt)
    };
    run(Fr::from(0u64)).expect("honest hidden multipoint verifies");
    let e = run(Fr::from(1u64)).unwrap_err();
    eprintln!("multipoint, one false claim: rejected: {e}");
    assert_eq!(e, ZERO);
}

/// The logUp-GKR fraction trees in zero-knowledge mode, batched: trees of
/// 0, 1, 2 and 4 leaf variables in one proof. Each tree's root fraction and
/// leaf claims come out as commitments to the true values (the root's
/// `P/Q` is `Σ p_i/q_i`), the proof's only scalars are masked Σ-responses
/// (none equals a value of any tree's leaves or of its claims), and a
/// changed relation response is rejected by the check named.
#[test]
fn hidden_fraction_trees() {
    use zkllm::protocols::logup::{prove_fraction_trees_in, verify_fraction_trees_in};
    use zkllm::zk::Mode;
    let depths = [4usize, 0, 1, 4, 2];
    let mut r = rng(40);
    let leaves: Vec<(Vec<Fr>, Vec<Fr>)> = depths
        .iter()
        .map(|&n| (random_table(&mut r, 1 << n), random_table(&mut r, 1 << n)))
        .collect();
    let prove = || {
        let mut ctx = ProverCtx::new(ped(), &mut rng(14));
        let mut pt = transcript(b"zk-logup");
        let (proof, known) =
            prove_fraction_trees_in::<Hidden>(&mut ctx, default_backend(), leaves.clone(), &mut pt);
        (proof, known, ctx, pt)
    };
    let (proof, known, ctx, pt) = prove();
    assert_eq!(
        proof.layers.len(),
        3,
        "one batched sumcheck per depth below the top"
    );
    for (t, ((p, q), k)) in leaves.iter().zip(&known).enumerate() {
        let expect: Fr = p
            .iter()
            .zip(q)
            .map(|(a, b)| *a * ark_ff::Field::inverse(b).unwrap())
            .sum();
        assert_eq!(
            k.root_p.value * ark_ff::Field::inverse(&k.root_q.value).unwrap(),
            expect,
            "tree {t}: the root is the fraction sum"
        );
        assert_eq!(k.point.len(), depths[t]);
        assert_eq!(k.leaf_p.value, eval(p, &k.point), "tree {t}: leaf p claim");
        assert_eq!(k.leaf_q.value, eval(q, &k.point), "tree {t}: leaf q claim");
    }
    let check = |proof: &zkllm::protocols::logup::FractionTreesProof<Hidden>| {
        let mut vctx = VerifierCtx::new(ped());
        let mut vt = transcript(b"zk-logup");
        let got = verify_fraction_trees_in::<Hidden>(&mut vctx, &depths, proof, &mut vt)
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((got, vctx, vt))
    };
    let (got, vctx, vt) = check(&proof).unwrap();
    for (g, k) in got.iter().zip(&known) {
        assert_eq!(g.point, k.point);
        for (g, k) in [
            (&g.root_p, &k.root_p),
            (&g.root_q, &k.root_q),
            (&g.leaf_p, &k.leaf_p),
            (&g.leaf_q, &k.leaf_q),
        ] {
            assert_eq!(g.eval(), ped().commit(k));
        }
    }
    // Nothing in the clear: the scalars are product-proof and relation
    // responses.
    let mut scalars = Vec::new();
    for top in &proof.tops {
        for m in &top.root {
            scalars.extend(m.proof.z);
        }
    }
    for l in &proof.layers {
        scalars.extend(l.finals.scalars());
    }
    assert!(!scalars.is_empty());
    let mut values: Vec<Fr> = Vec::new();
    for k in &known {
        values
            .extend([k.root_p, k.root_q, k.leaf_p, k.leaf_q].map(|k| <Hidden as Mode>::scalar(&k)));
    }
    for (p, q) in &leaves {
        values.extend(p.iter().chain(q));
    }
    assert!(scalars.iter().all(|s| !values.contains(s)));
    settle(ctx, pt, vctx, vt).expect("honest hidden trees verify");
    // A changed relation response is caught by that value's mask equation.
    let mut bad = proof.clone();
    bad.layers[1]
        .finals
        .relation
        .as_mut()
        .expect("a logUp layer is nonlinear")
        .z[0] += Fr::from(1u64);
    let (_, vctx, mut vt) = check(&bad).unwrap();
    let (_, _, ctx2, mut pt2) = prove();
    let zero = ctx2.finish(&mut pt2);
    let e = vctx
        .finish(zero.as_ref(), &mut vt, &mut rng(2))
        .unwrap_err();
    eprintln!("fraction trees, changed relation response: rejected: {e}");
    assert_eq!(e, "relation: a value's mask");
    // A proof for other depths is refused by its shape.
    let mut vctx = VerifierCtx::new(ped());
    let e = verify_fraction_trees_in::<Hidden>(
        &mut vctx,
        &[4, 0, 1, 4],
        &proof,
        &mut transcript(b"zk-logup"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("wrong number of trees"), "{e}");
}

/// A range lookup in zero-knowledge mode (logUp over hidden trees, the
/// root relation and the leaf checks as recorded equalities): honest
/// proofs hand on commitments to the inputs' and multiplicities' true
/// values; a value outside the table (its multiplicity moved onto a row it
/// does not use, everything else honest) and wrong multiplicities are
/// rejected by the zero proof, since the logUp sums differ.
#[test]
fn hidden_range_lookup_honest_and_forged() {
    use zkllm::field::from_i64;
    use zkllm::protocols::lookup::{self, LookupShape, LookupWitness, TableLookups};
    use zkllm::protocols::tables::LookupTable;
    let table = LookupTable::signed_range(6);
    let xs: Vec<i64> = vec![-32, -5, 0, 7, 31, 3, 3];
    let x = padded(&[xs.len()], &xs);
    let honest_m = lookup::multiplicities(&table, &[(&xs, None)]).unwrap();
    let run = |x_used: &[Fr], m: &[i64]| -> Result<(), String> {
        let mf: Vec<Fr> = m.iter().map(|v| from_i64(*v)).collect();
        let mut ctx = ProverCtx::new(ped(), &mut rng(15));
        let mut pt = transcript(b"zk-lookup");
        let wit = [LookupWitness {
            len: xs.len(),
            x: x_used,
            y: None,
        }];
        let batch = [TableLookups {
            table: &table,
            inputs: wit.to_vec(),
            m: &mf,
        }];
        let (proof, mut known) =
            lookup::prove_in::<Hidden>(&mut ctx, default_backend(), &batch, &mut pt);
        let known = known.pop().expect("one table");
        assert_eq!(known.x[0].value.value, eval(x_used, &known.x[0].point));
        assert_eq!(
            known.multiplicities.value.value,
            eval(&mf, &known.multiplicities.point)
        );
        let shapes = [LookupShape {
            num_vars: 3,
            len: xs.len(),
        }];
        let mut vctx = VerifierCtx::new(ped());
        let mut vt = transcript(b"zk-lookup");
        let got = lookup::verify_in::<Hidden>(&mut vctx, &[(&table, &shapes[..])], &proof, &mut vt)
            .map_err(|e| e.to_string())?
            .pop()
            .expect("one table");
        assert_eq!(got.x[0].value.eval(), ped().commit(&known.x[0].value));
        assert_eq!(
            got.multiplicities.value.eval(),
            ped().commit(&known.multiplicities.value)
        );
        settle(ctx, pt, vctx, vt)
    };
    run(&x, &honest_m).expect("honest hidden lookup verifies");
    // 40 is outside [-32, 32): counted on row 31 instead (the best a
    // prover can do), everything else honest.
    let mut outside = xs.clone();
    outside[4] = 40;
    let x_out = padded(&[xs.len()], &outside);
    let e = run(&x_out, &honest_m).unwrap_err();
    eprintln!("lookup, value outside the table: rejected: {e}");
    assert_eq!(e, ZERO);
    let mut wrong_m = honest_m.clone();
    wrong_m[0] += 1;
    let e = run(&x, &wrong_m).unwrap_err();
    eprintln!("lookup, wrong multiplicities: rejected: {e}");
    assert_eq!(e, ZERO);
}

/// A signed selection (rotate_half) in zero-knowledge mode: the share and
/// the handed-on claim commit to the true values; a wrong witness and a
/// wrong output claim are rejected by the zero proof.
#[test]
fn hidden_select_honest_and_forged() {
    use zkllm::protocols::index_map::{prove_select_in, rotate_half, verify_select_in};
    let sel = rotate_half(4, 8);
    let x = random_table(&mut rng(50), 32);
    let mut out = vec![Fr::from(0u64); 32];
    sel.apply(&x, &mut out);
    let run = |x_used: &[Fr], shift: Fr| -> Result<(), String> {
        let mut ctx = ProverCtx::new(ped(), &mut rng(16));
        let claim = hidden_claim(&mut ctx, &out, 5, shift, 51);
        let mut pt = transcript(b"zk-select");
        let (proof, handed) = prove_select_in::<Hidden>(
            &mut ctx,
            default_backend(),
            std::slice::from_ref(&sel),
            &[x_used],
            &claim,
            &mut pt,
        );
        assert_eq!(handed[0].value.value, eval(x_used, &handed[0].point));
        let mut vctx = VerifierCtx::new(ped());
        let mut vt = transcript(b"zk-select");
        let got = verify_select_in::<Hidden>(
            &mut vctx,
            std::slice::from_ref(&sel),
            &public(&claim),
            &proof,
            &mut vt,
        )
        .map_err(|e| e.to_string())?;
        assert_eq!(got[0].value.eval(), ped().commit(&handed[0].value));
        settle(ctx, pt, vctx, vt)
    };
    run(&x, Fr::from(0u64)).expect("honest hidden select verifies");
    let mut wrong = x.clone();
    wrong[9] += Fr::from(1u64);
    let e = run(&wrong, Fr::from(0u64)).unwrap_err();
    eprintln!("select, wrong witness: rejected: {e}");
    assert_eq!(e, ZERO);
    let e = run(&x, Fr::from(1u64)).unwrap_err();
    eprintln!("select, wrong output claim: rejected: {e}");
    assert_eq!(e, ZERO);
}
