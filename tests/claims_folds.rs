//! Key stacks settled by row folds from their small integers
//! (`claims::folds`): the fold of a slot's rows is the claim's row part,
//! honest openings verify in both modes beside a stack opened the usual
//! way, and each forgery is rejected by the check named: a witness other
//! than the committed one, a wrong claimed value, a swapped commitment, a
//! claim routed to another slot, a missing fold group, rows of another
//! width.

mod common;

use common::{eval, random_point, random_small, rng, small_to_fr, transcript};
use zkllm::backend::default_backend;
use zkllm::claims::folds::{fold_rows, place_claim};
use zkllm::claims::{
    commit_stack, BatchOpeningProof, OpeningError, OpeningProver, OpeningVerifier, SmallTensors,
    StackLayout,
};
use zkllm::commit::{Hyrax, HyraxCommitment, RowWidth};
use zkllm::field::Fr;
use zkllm::poly::eq_eval;
use zkllm::sumcheck::EvaluationClaim;
use zkllm::wire::Wire;

/// Stack A (2^7 entries, square rows of 2^4): slots smaller than a row
/// (3, 2, 0, 3 variables) and slots spanning rows (two of 5, to trade).
const A: [usize; 6] = [3, 5, 2, 5, 0, 3];
/// Stack B (2^10, square rows of 2^5): a slot spanning 16 rows, one of 4
/// rows, one inside a row.
const B: [usize; 3] = [9, 7, 3];
const PCS_VARS: usize = 10;

/// The same tables in runs of 5 entries, read from the end: runs that
/// straddle rows and slots of any size, in no particular order.
struct OddRuns(Vec<Vec<i64>>);

impl SmallTensors for OddRuns {
    fn runs(&self, slot: usize) -> usize {
        self.0[slot].len().div_ceil(5)
    }
    fn run(&self, slot: usize, k: usize, buf: &mut Vec<i64>) -> usize {
        let t = &self.0[slot];
        let k = self.runs(slot) - 1 - k;
        buf.clear();
        buf.extend_from_slice(&t[5 * k..(5 * k + 5).min(t.len())]);
        5 * k
    }
}

fn tables(sizes: &[usize], seed: u64) -> Vec<Vec<i64>> {
    let mut r = rng(seed);
    sizes
        .iter()
        .map(|&n| random_small(&mut r, 1 << n, 12))
        .collect()
}

#[test]
fn a_row_fold_is_the_claims_row_part() {
    let mut r = rng(1);
    for (sizes, col_vars) in [(&A[..], 4), (&B[..], 5)] {
        let layout = StackLayout::new(sizes);
        let t = tables(sizes, 2);
        let odd = OddRuns(t.clone());
        for (slot, table) in t.iter().enumerate() {
            let u = random_point(&mut r, sizes[slot]);
            let (first_row, row_eq, b) = place_claim(&layout, slot, &u, col_vars);
            // The fold's rows lie inside the stack and cover the slot.
            let rows = (layout.offset(slot) >> col_vars)
                ..=((layout.offset(slot) + (1 << sizes[slot]) - 1) >> col_vars);
            assert_eq!(first_row, *rows.start(), "slot {slot}");
            assert_eq!(row_eq.len(), rows.count(), "slot {slot}");
            for tensors in [&t as &dyn SmallTensors, &odd] {
                let f = fold_rows(tensors, &layout, first_row, &row_eq, col_vars);
                let at_b: Fr = f
                    .iter()
                    .enumerate()
                    .map(|(col, v)| {
                        let bits: Vec<Fr> = (0..col_vars)
                            .map(|i| Fr::from(((col >> i) & 1) as u64))
                            .collect();
                        eq_eval(&b, &bits) * v
                    })
                    .sum();
                assert_eq!(at_b, eval(&small_to_fr(table), &u), "slot {slot}");
            }
        }
    }
}

/// Two key stacks, one ordinary stack beside them, and true claims: ids
/// 0..6 stack A, 6..9 stack B, 9 the ordinary single-slot stack.
struct Case {
    a: Vec<Vec<i64>>,
    b: Vec<Vec<i64>>,
    other: Vec<i64>,
    claims: Vec<(usize, EvaluationClaim)>,
}

fn claims_on(
    tables: impl IntoIterator<Item = Vec<i64>>,
    seed: u64,
) -> Vec<(usize, EvaluationClaim)> {
    let mut r = rng(seed);
    let mut claims = Vec::new();
    for (id, t) in tables.into_iter().enumerate() {
        let n = t.len().trailing_zeros() as usize;
        // Two claims on some tensors, both on one row for the small ones.
        for _ in 0..(1 + id % 2) {
            let point = random_point(&mut r, n);
            let value = eval(&small_to_fr(&t), &point);
            claims.push((id, EvaluationClaim { point, value }));
        }
    }
    claims
}

fn case() -> Case {
    let a = tables(&A, 7);
    let b = tables(&B, 8);
    let other = random_small(&mut rng(9), 1 << 6, 12);
    let all = a.iter().chain(&b).chain([&other]).cloned();
    let claims = claims_on(all, 10);
    Case {
        a,
        b,
        other,
        claims,
    }
}

struct Committed {
    a: HyraxCommitment,
    b: HyraxCommitment,
    other: HyraxCommitment,
}

/// Commits the case's tensors (A and B in square rows).
fn commit(pcs: &Hyrax, a: &[Vec<i64>], b: &[Vec<i64>], other: &[i64]) -> Committed {
    let be = default_backend();
    let mut r = rng(5);
    let (ca, _) = commit_stack(be, pcs, &as_refs(a), RowWidth::Square, &mut r).unwrap();
    let (cb, _) = commit_stack(be, pcs, &as_refs(b), RowWidth::Square, &mut r).unwrap();
    let (co, _) = commit_stack(be, pcs, &[other], RowWidth::Widest, &mut r).unwrap();
    Committed {
        a: ca,
        b: cb,
        other: co,
    }
}

fn as_refs(t: &[Vec<i64>]) -> Vec<&[i64]> {
    t.iter().map(|x| x.as_slice()).collect()
}

/// The prover's commitments to its `a`, `b`, `other` and its proof of
/// `claims`, folding from `witness_a` (the committed `a` when honest).
fn prove(
    pcs: &Hyrax,
    tensors: (&[Vec<i64>], &[Vec<i64>], &[i64]),
    witness_a: Box<dyn SmallTensors>,
    claims: &[(usize, EvaluationClaim)],
) -> (Committed, BatchOpeningProof) {
    prove_in_rows(pcs, RowWidth::Square, tensors, witness_a, claims)
}

/// [`prove`] with the key stacks in rows of `width`.
fn prove_in_rows(
    pcs: &Hyrax,
    width: RowWidth,
    (a, b, other): (&[Vec<i64>], &[Vec<i64>], &[i64]),
    witness_a: Box<dyn SmallTensors>,
    claims: &[(usize, EvaluationClaim)],
) -> (Committed, BatchOpeningProof) {
    let be = default_backend();
    let mut r = rng(5);
    let (ca, ha) = commit_stack(be, pcs, &as_refs(a), width, &mut r).unwrap();
    let (cb, hb) = commit_stack(be, pcs, &as_refs(b), width, &mut r).unwrap();
    let (co, ho) = commit_stack(be, pcs, &[other], RowWidth::Widest, &mut r).unwrap();
    let mut p = OpeningProver::new();
    assert_eq!(
        p.add_key_stack(witness_a, &A, ca.clone(), ha),
        (0..6).collect::<Vec<_>>()
    );
    p.add_key_stack(Box::new(b.to_vec()), &B, cb.clone(), hb);
    p.add_stack(vec![other.to_vec()], co.clone(), ho);
    for (id, cl) in claims {
        p.claim(*id, cl.clone());
    }
    let proof = p.prove(be, pcs, &mut transcript(b"folds"), &mut r).unwrap();
    (
        Committed {
            a: ca,
            b: cb,
            other: co,
        },
        proof,
    )
}

fn verify(
    pcs: &Hyrax,
    coms: &Committed,
    claims: &[(usize, EvaluationClaim)],
    proof: &BatchOpeningProof,
) -> Result<(), OpeningError> {
    verify_in_rows(pcs, RowWidth::Square, coms, claims, proof)
}

fn verify_in_rows(
    pcs: &Hyrax,
    width: RowWidth,
    coms: &Committed,
    claims: &[(usize, EvaluationClaim)],
    proof: &BatchOpeningProof,
) -> Result<(), OpeningError> {
    let mut v = OpeningVerifier::new();
    v.add_key_stack(pcs, &A, width, coms.a.clone())?;
    v.add_key_stack(pcs, &B, width, coms.b.clone())?;
    v.add_stack(pcs, &[6], RowWidth::Widest, coms.other.clone())?;
    for (id, cl) in claims {
        v.claim(*id, cl.clone());
    }
    v.verify(default_backend(), pcs, proof, &mut transcript(b"folds"))
}

fn is_fold_opening(e: &OpeningError, cols: usize) -> bool {
    matches!(e, OpeningError::FoldOpening { col_vars, .. } if *col_vars == cols)
}

fn is_fold_reduction(e: &OpeningError, cols: usize) -> bool {
    matches!(e, OpeningError::FoldReduction { col_vars, .. } | OpeningError::FoldFinal { col_vars, .. } if *col_vars == cols)
}

#[test]
fn key_stacks_open_by_row_folds_and_forgeries_are_rejected() {
    let pcs = Hyrax::setup("claims-folds", PCS_VARS);
    let c = case();
    let honest = (&c.a[..], &c.b[..], &c.other[..]);
    let (coms, proof) = prove(&pcs, honest, Box::new(c.a.clone()), &c.claims);
    assert_eq!((coms.a.col_vars, coms.b.col_vars), (4, 5));
    // One fold group per row width, one ordinary group for the other stack.
    assert_eq!((proof.folds.len(), proof.groups.len()), (2, 1));
    verify(&pcs, &coms, &c.claims, &proof).expect("honest fold openings verify");
    // The runs a key is read in do not change the proof.
    let (_, odd) = prove(&pcs, honest, Box::new(OddRuns(c.a.clone())), &c.claims);
    assert_eq!(odd.to_bytes(), proof.to_bytes());
    // Equal to a commitment of the same tables made elsewhere.
    let again = commit(&pcs, &c.a, &c.b, &c.other);
    assert_eq!(
        (again.a.rows, again.b.rows),
        (coms.a.rows.clone(), coms.b.rows.clone())
    );

    // Wrong witness: the prover folds from tables with one entry of slot 1
    // changed (and claims their true values); its commitment is to the
    // key's. The fold reduction holds; the row-fold opening does not.
    let mut altered = c.a.clone();
    altered[1][17] += 1;
    let wclaims = claims_on(altered.iter().chain(&c.b).chain([&c.other]).cloned(), 10);
    let (wcoms, wproof) = prove(&pcs, honest, Box::new(altered), &wclaims);
    let e = verify(&pcs, &wcoms, &wclaims, &wproof).unwrap_err();
    eprintln!("wrong witness: rejected: {e}");
    assert!(is_fold_opening(&e, 4), "{e}");

    // Wrong claimed value on stack B: proven honestly from the key, the
    // reduction's sum is off.
    let k = c.claims.iter().position(|(id, _)| *id == 7).unwrap();
    let mut wrong = c.claims.clone();
    wrong[k].1.value += Fr::from(1u64);
    let (vcoms, vproof) = prove(&pcs, honest, Box::new(c.a.clone()), &wrong);
    let e = verify(&pcs, &vcoms, &wrong, &vproof).unwrap_err();
    eprintln!("wrong claimed value: rejected: {e}");
    assert!(is_fold_reduction(&e, 5), "{e}");

    // Swapped commitment: the verifier holds a commitment to another key of
    // the same layout; the prover proves its own tables' true claims.
    let a2 = tables(&A, 70);
    let sclaims = claims_on(a2.iter().chain(&c.b).chain([&c.other]).cloned(), 10);
    let (_, sproof) = prove(&pcs, (&a2, &c.b, &c.other), Box::new(a2.clone()), &sclaims);
    let e = verify(&pcs, &coms, &sclaims, &sproof).unwrap_err();
    eprintln!("swapped commitment: rejected: {e}");
    assert!(is_fold_opening(&e, 4), "{e}");

    // A claim routed to another slot of the same size: the verifier's claim
    // on slot 1 is tensor 3's value there, proven honestly but for that.
    let k = c.claims.iter().position(|(id, _)| *id == 1).unwrap();
    let mut routed = c.claims.clone();
    routed[k].1.value = eval(&small_to_fr(&c.a[3]), &routed[k].1.point);
    let (rcoms, rproof) = prove(&pcs, honest, Box::new(c.a.clone()), &routed);
    let e = verify(&pcs, &rcoms, &routed, &rproof).unwrap_err();
    eprintln!("claim routed to another slot: rejected: {e}");
    assert!(is_fold_reduction(&e, 4), "{e}");

    // A claim on a slot inside a row (slot 5 of A, 8 entries) moved to the
    // other 3-variable slot 0: same row width, other columns.
    let k = c.claims.iter().position(|(id, _)| *id == 5).unwrap();
    let mut small = c.claims.clone();
    small[k].1.value = eval(&small_to_fr(&c.a[0]), &small[k].1.point);
    let (scoms, smproof) = prove(&pcs, honest, Box::new(c.a.clone()), &small);
    let e = verify(&pcs, &scoms, &small, &smproof).unwrap_err();
    eprintln!("claim moved within a row: rejected: {e}");
    assert!(is_fold_reduction(&e, 4), "{e}");

    // A proof without its second fold group.
    let mut short = proof.clone();
    short.folds.pop();
    let e = verify(&pcs, &coms, &c.claims, &short).unwrap_err();
    assert_eq!(
        e,
        OpeningError::FoldGroupCount {
            expected: 2,
            found: 1
        }
    );

    // Rows of the other width: a key stack must be in square rows.
    let refs = as_refs(&c.a);
    let (widest, _) = commit_stack(
        default_backend(),
        &pcs,
        &refs,
        RowWidth::Widest,
        &mut rng(6),
    )
    .unwrap();
    let e = OpeningVerifier::<zkllm::zk::Clear>::new()
        .add_key_stack(&pcs, &A, RowWidth::Square, widest)
        .unwrap_err();
    eprintln!("key stack in rows of another width: rejected: {e}");
    assert!(
        matches!(
            e,
            OpeningError::StackWidth {
                matrix: 0,
                expected: 4,
                ..
            }
        ),
        "{e}"
    );
}

/// Key rows as wide as the generators: both stacks in rows
/// of 2^5 (one fold group; A in 3 rows, its slots inside a row), honest
/// openings verify and a wrong witness fails the row-fold opening.
#[test]
fn key_stacks_in_the_widest_rows() {
    const KEY_ROW_WIDTH: RowWidth = RowWidth::Widest;
    let pcs = Hyrax::setup("claims-folds", PCS_VARS);
    let c = case();
    let honest = (&c.a[..], &c.b[..], &c.other[..]);
    let (coms, proof) = prove_in_rows(
        &pcs,
        KEY_ROW_WIDTH,
        honest,
        Box::new(c.a.clone()),
        &c.claims,
    );
    assert_eq!((coms.a.col_vars, coms.a.rows.len()), (5, 3));
    assert_eq!((coms.b.col_vars, coms.b.rows.len()), (5, 21));
    assert_eq!(proof.folds.len(), 1);
    verify_in_rows(&pcs, KEY_ROW_WIDTH, &coms, &c.claims, &proof).expect("honest");
    let mut altered = c.a.clone();
    altered[5][6] += 2;
    let wclaims = claims_on(altered.iter().chain(&c.b).chain([&c.other]).cloned(), 10);
    let (wcoms, wproof) = prove_in_rows(&pcs, KEY_ROW_WIDTH, honest, Box::new(altered), &wclaims);
    let e = verify_in_rows(&pcs, KEY_ROW_WIDTH, &wcoms, &wclaims, &wproof).unwrap_err();
    eprintln!("widest rows, wrong witness: rejected: {e}");
    assert!(is_fold_opening(&e, 5), "{e}");
    // The verifier pins the width: square rows are refused.
    let e = verify_in_rows(&pcs, RowWidth::Square, &coms, &c.claims, &proof).unwrap_err();
    assert!(
        matches!(
            e,
            OpeningError::StackWidth {
                matrix: 0,
                expected: 4,
                found: 5
            }
        ),
        "{e}"
    );
}

/// In zero knowledge: the honest openings verify; a wrong witness fails the
/// hidden row-fold opening, and a wrong claimed value the reduction's
/// hidden final relation.
#[test]
fn hidden_fold_openings() {
    use zkllm::zk::{Hidden, Lc, Pedersen, ProverCtx, VerifierCtx};
    let pcs = Hyrax::setup("claims-folds", PCS_VARS);
    let ped = Pedersen::new(pcs.generators());
    let c = case();
    let run = |witness_a: Vec<Vec<i64>>,
               claims: &[(usize, EvaluationClaim)]|
     -> Result<(), String> {
        let be = default_backend();
        let mut r = rng(9);
        let secrets = common::hidden_claims(&mut r, claims);
        let (ca, ha) = commit_stack(be, &pcs, &as_refs(&c.a), RowWidth::Square, &mut r).unwrap();
        let (cb, hb) = commit_stack(be, &pcs, &as_refs(&c.b), RowWidth::Square, &mut r).unwrap();
        let mut p = OpeningProver::<Hidden>::in_mode();
        p.add_key_stack(Box::new(witness_a), &A, ca.clone(), ha);
        p.add_key_stack(Box::new(c.b.clone()), &B, cb.clone(), hb);
        for (id, cl) in &secrets {
            p.claim(*id, cl.clone());
        }
        let mut t = transcript(b"folds-zk");
        let mut ctx = ProverCtx::new(ped, &mut r);
        let proof = p.prove_in(&mut ctx, be, &pcs, &mut t).unwrap();
        let zero = ctx.finish(&mut t);

        let mut v = OpeningVerifier::<Hidden>::in_mode();
        v.add_key_stack(&pcs, &A, RowWidth::Square, ca)
            .map_err(|e| e.to_string())?;
        v.add_key_stack(&pcs, &B, RowWidth::Square, cb)
            .map_err(|e| e.to_string())?;
        for (id, cl) in &secrets {
            let com = ark_ec::CurveGroup::into_affine(ped.commit(&cl.value));
            let claim = EvaluationClaim {
                point: cl.point.clone(),
                value: Lc::point(com),
            };
            v.claim(*id, claim);
        }
        let mut t = transcript(b"folds-zk");
        let mut ctx = VerifierCtx::new(ped);
        v.verify_in(&mut ctx, be, &pcs, &proof, &mut t)
            .map_err(|e| format!("verify: {e}"))?;
        ctx.finish(zero.as_ref(), &mut t, &mut rng(3))
    };
    let key_claims: Vec<_> = c.claims.iter().filter(|(id, _)| *id < 9).cloned().collect();
    run(c.a.clone(), &key_claims).expect("honest hidden fold openings verify");

    let mut altered = c.a.clone();
    altered[3][2] -= 3;
    let wclaims: Vec<_> = claims_on(altered.iter().chain(&c.b).cloned(), 10);
    let e = run(altered, &wclaims).unwrap_err();
    eprintln!("hidden, wrong witness: rejected: {e}");
    assert!(e.starts_with("verify: key stacks in rows of 2^4"), "{e}");

    let mut wrong = key_claims.clone();
    wrong[0].1.value += Fr::from(1u64);
    let e = run(c.a.clone(), &wrong).unwrap_err();
    eprintln!("hidden, wrong claimed value: rejected: {e}");
    assert_eq!(e, "commitments that must open to zero");
}
