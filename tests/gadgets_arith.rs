//! Matmul, Hadamard, linear ops and index maps: honest proofs verify with
//! true operand claims; tampered witnesses, messages, commitments and outputs
//! are rejected.

mod common;

use ark_ff::One;
use common::{claim_on, eval, matmul_i64, padded, random_small, rng, transcript};
use zkllm::backend::default_backend;
use zkllm::claims::{BatchOpeningProof, OpeningError, OpeningProver, OpeningVerifier};
use zkllm::commit::{Hyrax, HyraxCommitment, HyraxHint, PcsError};
use zkllm::field::{from_i64, Fr};
use zkllm::protocols::index_map::{self, permute_point, reshape_is_free};
use zkllm::protocols::matmul::{self, MatMulShape};
use zkllm::protocols::{hadamard, linear, ProtocolError};
use zkllm::sumcheck::EvaluationClaim;

fn log(d: usize) -> usize {
    zkllm::poly::num_vars_for(d)
}

struct MatMulCase {
    shape: MatMulShape,
    a: Vec<Fr>,
    b: Vec<Fr>,
    c: Vec<Fr>,
}

/// `heads` independent `m×k · k×n` products, padded per axis.
fn matmul_case(heads: usize, m: usize, k: usize, n: usize, seed: u64) -> MatMulCase {
    let mut r = rng(seed);
    let (mut a, mut b, mut c) = (vec![], vec![], vec![]);
    for _ in 0..heads {
        let ah = random_small(&mut r, m * k, 16);
        let bh = random_small(&mut r, k * n, 16);
        c.extend(matmul_i64(&ah, &bh, m, k, n));
        a.extend(ah);
        b.extend(bh);
    }
    MatMulCase {
        shape: MatMulShape {
            log_b: log(heads),
            log_m: log(m),
            log_k: log(k),
            log_n: log(n),
        },
        a: padded(&[heads, m, k], &a),
        b: padded(&[heads, k, n], &b),
        c: padded(&[heads, m, n], &c),
    }
}

#[test]
fn matmul_honest_at_several_shapes() {
    for (i, (h, m, k, n)) in [
        (1, 1, 1, 1),
        (1, 3, 5, 7),
        (1, 8, 16, 4),
        (3, 4, 6, 2),
        (12, 5, 8, 5),
    ]
    .into_iter()
    .enumerate()
    {
        let case = matmul_case(h, m, k, n, i as u64);
        let c = claim_on(&mut rng(100 + i as u64), &case.c);
        let (proof, pc) = matmul::prove(
            default_backend(),
            &case.shape,
            &case.a,
            &case.b,
            &c,
            &mut transcript(b"mm"),
        );
        let vc = matmul::verify(&case.shape, &c, &proof, &mut transcript(b"mm")).expect("verifies");
        assert_eq!(pc, vc);
        assert_eq!(eval(&case.a, &vc.a.point), vc.a.value, "claim on A is true");
        assert_eq!(eval(&case.b, &vc.b.point), vc.b.value, "claim on B is true");
    }
}

#[test]
fn matmul_tampering_is_rejected() {
    let case = matmul_case(2, 5, 6, 3, 7);
    let c = claim_on(&mut rng(1), &case.c);
    let be = default_backend();
    let (proof, _) = matmul::prove(
        be,
        &case.shape,
        &case.a,
        &case.b,
        &c,
        &mut transcript(b"mm"),
    );
    // Changed prover messages.
    let mut p = proof.clone();
    p.finals.0[0] += Fr::one();
    assert!(matmul::verify(&case.shape, &c, &p, &mut transcript(b"mm")).is_err());
    let mut p = proof.clone();
    p.rounds.rounds[0].0[1] += Fr::one();
    assert!(matmul::verify(&case.shape, &c, &p, &mut transcript(b"mm")).is_err());
    // Wrong public output.
    let wrong = EvaluationClaim {
        point: c.point.clone(),
        value: c.value + Fr::one(),
    };
    assert!(matmul::verify(&case.shape, &wrong, &proof, &mut transcript(b"mm")).is_err());
    // Wrong witness: one element of A off. The proof either fails or leaves a false claim on A.
    let mut a = case.a.clone();
    a[3] += Fr::one();
    let (p, _) = matmul::prove(be, &case.shape, &a, &case.b, &c, &mut transcript(b"mm"));
    match matmul::verify(&case.shape, &c, &p, &mut transcript(b"mm")) {
        Err(_) => {}
        Ok(claims) => assert_ne!(eval(&case.a, &claims.a.point), claims.a.value),
    }
    // Another transcript context.
    assert!(matmul::verify(&case.shape, &c, &proof, &mut transcript(b"other")).is_err());
}

/// Where a [`matmul_with_committed_weights_and_swapped_commitment`] check failed.
#[derive(Debug)]
enum Caught {
    MatMul(ProtocolError),
    Opening(OpeningError),
}

/// `C = A·B` with `B` a committed weight: the honest proof verifies; a
/// prover who commits to another tensor `B'` (a swapped weight commitment)
/// but proves the product with the true `B`, consistently (the transcript
/// absorbs `B'`'s commitment on both sides, the matmul sumcheck and the
/// opening's claim reduction are honest runs on `B`, the opening uses `B'`'s
/// commitment and blinds), passes every check but the Hyrax opening, which
/// rejects it.
#[test]
fn matmul_with_committed_weights_and_swapped_commitment() {
    let case = matmul_case(1, 4, 8, 8, 9);
    let pcs = Hyrax::setup("gadgets", 8);
    let be = default_backend();
    let b_vars = case.shape.b_vars();
    let (com, hint) = pcs.commit(be, &case.b, b_vars, &mut rng(3)).unwrap();
    let mut other_b = case.b.clone();
    other_b[0] += Fr::one();
    let (other, other_hint) = pcs.commit(be, &other_b, b_vars, &mut rng(5)).unwrap();
    assert_ne!(com, other);
    let c = claim_on(&mut rng(4), &case.c);

    // The prover: absorbs `com`, proves the product with the true `B`, and
    // opens the table `table` against `com` with `hint`.
    let prove_with = |com: &HyraxCommitment, hint: &HyraxHint, table: &[Fr]| {
        let mut t = transcript(b"mm");
        com.absorb(b"weights", &mut t);
        let (proof, claims) = matmul::prove(be, &case.shape, &case.a, &case.b, &c, &mut t);
        let mut openings = OpeningProver::new();
        let id = openings.add(table.to_vec(), com.clone(), hint.clone());
        openings.claim(id, claims.b.clone());
        let opening = openings.prove(be, &pcs, &mut t, &mut rng(6)).unwrap();
        (proof, claims, opening)
    };
    let verify_with = |com: &HyraxCommitment,
                       proof: &matmul::MatMulProof,
                       opening: &BatchOpeningProof|
     -> Result<(), Caught> {
        let mut t = transcript(b"mm");
        com.absorb(b"weights", &mut t);
        let claims = matmul::verify(&case.shape, &c, proof, &mut t).map_err(Caught::MatMul)?;
        let mut v = OpeningVerifier::new();
        let id = v.add(com.clone());
        v.claim(id, claims.b);
        v.verify(be, &pcs, opening, &mut t).map_err(Caught::Opening)
    };

    let (proof, _, opening) = prove_with(&com, &hint, &case.b);
    verify_with(&com, &proof, &opening).expect("honest proof with committed weights verifies");

    // The forgery: `B'` committed, the relation proven with `B`.
    let (forged, claims, forged_opening) = prove_with(&other, &other_hint, &case.b);
    assert_eq!(
        eval(&case.b, &claims.b.point),
        claims.b.value,
        "the claim is true of B"
    );
    assert_ne!(
        eval(&other_b, &claims.b.point),
        claims.b.value,
        "and false of the committed B'"
    );
    match verify_with(&other, &forged, &forged_opening) {
        Err(Caught::Opening(OpeningError::Opening {
            num_vars,
            source: PcsError::OpeningRejected,
        })) => assert_eq!(num_vars, b_vars),
        other => panic!("swapped commitment not caught by the Hyrax opening: {other:?}"),
    }

    // Swapping the commitment after the fact (the honest proof checked against
    // `B'`) changes the transcript, so the matmul sumcheck already fails.
    assert!(matches!(
        verify_with(&other, &proof, &opening),
        Err(Caught::MatMul(ProtocolError::Sumcheck { .. }))
    ));
}

#[test]
fn hadamard_two_to_four_factors() {
    let mut r = rng(20);
    for k in 1..=4 {
        let dims = [3, 5];
        let factors: Vec<Vec<i64>> = (0..k).map(|_| random_small(&mut r, 15, 8)).collect();
        let prod: Vec<i64> = (0..15)
            .map(|i| factors.iter().map(|f| f[i]).product())
            .collect();
        let tables: Vec<Vec<Fr>> = factors.iter().map(|f| padded(&dims, f)).collect();
        let c_table = padded(&dims, &prod);
        let c = claim_on(&mut r, &c_table);
        let refs: Vec<&[Fr]> = tables.iter().map(|t| t.as_slice()).collect();
        let (proof, _) = hadamard::prove(default_backend(), &refs, &c, &mut transcript(b"h"));
        let claims = hadamard::verify(k, &c, &proof, &mut transcript(b"h")).expect("verifies");
        for (t, cl) in tables.iter().zip(&claims) {
            assert_eq!(eval(t, &cl.point), cl.value);
        }
        // Tampering.
        let mut p = proof.clone();
        p.finals.0[0] += Fr::one();
        assert!(hadamard::verify(k, &c, &p, &mut transcript(b"h")).is_err());
        let wrong = EvaluationClaim {
            point: c.point.clone(),
            value: c.value + Fr::one(),
        };
        assert!(hadamard::verify(k, &wrong, &proof, &mut transcript(b"h")).is_err());
        let mut bad = tables.clone();
        bad[0][1] += Fr::one();
        let refs: Vec<&[Fr]> = bad.iter().map(|t| t.as_slice()).collect();
        let (p, _) = hadamard::prove(default_backend(), &refs, &c, &mut transcript(b"h"));
        match hadamard::verify(k, &c, &p, &mut transcript(b"h")) {
            Err(_) => {}
            Ok(cl) => assert_ne!(eval(&tables[0], &cl[0].point), cl[0].value),
        }
    }
}

#[test]
fn linear_combinations_and_residuals() {
    let mut r = rng(30);
    let a = random_small(&mut r, 20, 16);
    let b = random_small(&mut r, 20, 16);
    let (ta, tb) = (padded(&[4, 5], &a), padded(&[4, 5], &b));
    let coeffs = [Fr::from(3u64), -Fr::one()];
    let c_vals: Vec<i64> = a.iter().zip(&b).map(|(x, y)| 3 * x - y).collect();
    let c = claim_on(&mut r, &padded(&[4, 5], &c_vals));
    let (proof, _) = linear::prove(
        default_backend(),
        &coeffs,
        &[&ta, &tb],
        &c,
        &mut transcript(b"l"),
    );
    let claims = linear::verify(&coeffs, &c, &proof, &mut transcript(b"l")).unwrap();
    assert_eq!(eval(&ta, &claims[0].point), claims[0].value);
    assert_eq!(eval(&tb, &claims[1].point), claims[1].value);
    // Shifting value between the inputs keeps the sum but makes a false claim.
    let mut p = proof.clone();
    p.values[0] += Fr::one();
    p.values[1] += Fr::from(3u64);
    let cl = linear::verify(&coeffs, &c, &p, &mut transcript(b"l")).unwrap();
    assert_ne!(
        eval(&ta, &cl[0].point),
        cl[0].value,
        "false claim is left for the opening"
    );
    let mut p = proof.clone();
    p.values[0] += Fr::one();
    assert!(linear::verify(&coeffs, &c, &p, &mut transcript(b"l")).is_err());
    let wrong = EvaluationClaim {
        point: c.point.clone(),
        value: c.value + Fr::one(),
    };
    assert!(linear::verify(&coeffs, &wrong, &proof, &mut transcript(b"l")).is_err());
}

#[test]
fn broadcast_of_a_bias_over_rows() {
    let mut r = rng(31);
    let bias = random_small(&mut r, 6, 16);
    let rows = 5;
    let full: Vec<i64> = (0..rows).flat_map(|_| bias.clone()).collect();
    let c = claim_on(&mut r, &padded(&[rows, 6], &full));
    let claim = linear::broadcast_rows_verify(log(6), rows, &c).unwrap();
    assert_eq!(eval(&padded(&[6], &bias), &claim.point), claim.value);
    // A claim on a tensor whose padding rows are not zero leads to a false claim on the bias.
    let mut bad = padded(&[rows, 6], &full);
    bad[7 * 8] = from_i64(1);
    let c = claim_on(&mut r, &bad);
    let claim = linear::broadcast_rows_verify(log(6), rows, &c).unwrap();
    assert_ne!(eval(&padded(&[6], &bias), &claim.point), claim.value);
}

#[test]
fn free_index_maps_move_the_point() {
    let mut r = rng(40);
    let dims = [3, 5, 4];
    let x = random_small(&mut r, 60, 16);
    let tx = padded(&dims, &x);
    // Transpose to [4, 3, 5] (perm: out axis a = in axis perm[a]).
    let perm = [2, 0, 1];
    let mut y = vec![0i64; 60];
    for i in 0..3 {
        for j in 0..5 {
            for k in 0..4 {
                y[(k * 3 + i) * 5 + j] = x[(i * 5 + j) * 4 + k];
            }
        }
    }
    let ty = padded(&[4, 3, 5], &y);
    let c = claim_on(&mut r, &ty);
    let p = permute_point(&dims, &perm, &c.point);
    assert_eq!(eval(&tx, &p), c.value);
    // Free reshape: the same table.
    assert!(!reshape_is_free(&[3, 5, 4], &[15, 4]));
    assert_ne!(padded(&[15, 4], &x), tx, "that reshape moves elements");
    assert!(reshape_is_free(&[3, 2, 4], &[3, 8]));
    let z = random_small(&mut r, 24, 16);
    assert_eq!(padded(&[3, 2, 4], &z), padded(&[3, 8], &z));
}

fn check_select(sels: &[index_map::Selection], inputs: &[Vec<Fr>], out: &[Fr], seed: u64) {
    let mut r = rng(seed);
    let c = claim_on(&mut r, out);
    let refs: Vec<&[Fr]> = inputs.iter().map(|t| t.as_slice()).collect();
    let (proof, _) =
        index_map::prove_select(default_backend(), sels, &refs, &c, &mut transcript(b"s"));
    let claims =
        index_map::verify_select(sels, &c, &proof, &mut transcript(b"s")).expect("verifies");
    for (t, cl) in inputs.iter().zip(&claims) {
        assert_eq!(eval(t, &cl.point), cl.value);
    }
    let mut p = proof.clone();
    p.sumchecks[0].finals.0[0] += Fr::one();
    assert!(index_map::verify_select(sels, &c, &p, &mut transcript(b"s")).is_err());
    let mut p = proof.clone();
    p.shares[0] += Fr::one();
    assert!(index_map::verify_select(sels, &c, &p, &mut transcript(b"s")).is_err());
    let wrong = EvaluationClaim {
        point: c.point.clone(),
        value: c.value + Fr::one(),
    };
    assert!(index_map::verify_select(sels, &wrong, &proof, &mut transcript(b"s")).is_err());
}

#[test]
fn selections_rotate_half_reshape_slice_concat() {
    let mut r = rng(50);
    // rotate_half on [3, 8].
    let x = random_small(&mut r, 24, 16);
    let mut y = vec![0i64; 24];
    for i in 0..3 {
        for j in 0..8 {
            y[i * 8 + j] = if j < 4 {
                -x[i * 8 + j + 4]
            } else {
                x[i * 8 + j - 4]
            };
        }
    }
    let sel = index_map::rotate_half(3, 8);
    check_select(&[sel], &[padded(&[3, 8], &x)], &padded(&[3, 8], &y), 1);
    // A non-free reshape [4, 6] -> [6, 4] (same row-major data).
    let x = random_small(&mut r, 24, 16);
    check_select(
        &[index_map::reshape(&[4, 6], &[6, 4])],
        &[padded(&[4, 6], &x)],
        &padded(&[6, 4], &x),
        2,
    );
    // Slice columns 2..5 of [3, 7].
    let x = random_small(&mut r, 21, 16);
    let y: Vec<i64> = (0..3)
        .flat_map(|i| (2..5).map(move |j| (i, j)))
        .map(|(i, j)| x[i * 7 + j])
        .collect();
    check_select(
        &[index_map::slice(&[3, 7], 1, 2, 3, 1)],
        &[padded(&[3, 7], &x)],
        &padded(&[3, 3], &y),
        3,
    );
    // Odd columns of [3, 7] (a strided slice, as in interleaved rotary).
    let y: Vec<i64> = (0..3)
        .flat_map(|i| (1..7).step_by(2).map(move |j| (i, j)))
        .map(|(i, j)| x[i * 7 + j])
        .collect();
    check_select(
        &[index_map::slice(&[3, 7], 1, 1, 3, 2)],
        &[padded(&[3, 7], &x)],
        &padded(&[3, 3], &y),
        3,
    );
    // Concat [2, 3] and [2, 2] along the last axis.
    let a = random_small(&mut r, 6, 16);
    let b = random_small(&mut r, 4, 16);
    let y: Vec<i64> = (0..2)
        .flat_map(|i| {
            a[i * 3..i * 3 + 3]
                .iter()
                .chain(&b[i * 2..i * 2 + 2])
                .copied()
                .collect::<Vec<_>>()
        })
        .collect();
    let sels = index_map::concat(&[vec![2, 3], vec![2, 2]], 1);
    check_select(
        &sels,
        &[padded(&[2, 3], &a), padded(&[2, 2], &b)],
        &padded(&[2, 5], &y),
        4,
    );
}
