//! Stacks: many committed tensors in one Hyrax matrix, every claim on them
//! settled by one reduction and one opening. The layout restricts to each
//! tensor; honest stacked openings verify in both modes next to a
//! single-tensor commitment; each layout forgery is rejected by the check
//! named: a tensor moved to another position in the matrix, a claim routed
//! to another tensor's rows, a layout other than the verifier's (another
//! size, another placement), a matrix with extra or missing rows.

mod common;

use common::{eval, random_point, random_small, rng, small_to_fr, transcript};
use zkllm::backend::default_backend;
use zkllm::claims::{
    commit_stack, BatchOpeningProof, OpeningError, OpeningProver, OpeningVerifier, StackLayout,
};
use zkllm::commit::{Hyrax, HyraxCommitment, RowWidth};
use zkllm::field::Fr;
use zkllm::sumcheck::EvaluationClaim;

/// Slot sizes (in variables): two of 5 (1 and 3) so that they can trade places.
const SIZES: [usize; 6] = [3, 5, 2, 5, 0, 3];
/// The stack's variables: 8 + 32 + 4 + 32 + 1 + 8 = 85 entries, padded to 128.
const STACK_VARS: usize = 7;

#[test]
fn a_stack_point_restricts_to_its_tensor() {
    let layout = StackLayout::new(&SIZES);
    assert_eq!(layout.num_vars(), STACK_VARS);
    // Largest first, each aligned to its size, none overlapping.
    let mut spans: Vec<(usize, usize)> = (0..SIZES.len())
        .map(|s| (layout.offset(s), 1 << SIZES[s]))
        .collect();
    for (s, (o, len)) in spans.iter().enumerate() {
        assert_eq!(o % len, 0, "slot {s} is not aligned");
    }
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].0 + w[0].1 <= w[1].0, "slots overlap");
    }
    let mut r = rng(1);
    let tables: Vec<Vec<i64>> = SIZES
        .iter()
        .map(|&n| random_small(&mut r, 1 << n, 10))
        .collect();
    let refs: Vec<&[i64]> = tables.iter().map(|t| t.as_slice()).collect();
    let stacked = small_to_fr(&layout.stack(&refs));
    for (slot, t) in tables.iter().enumerate() {
        let u = random_point(&mut r, SIZES[slot]);
        let p = layout.point(slot, &u);
        assert_eq!(eval(&stacked, &p), eval(&small_to_fr(t), &u), "slot {slot}");
        // The position's weight is eq(bits, r_high): 1 on the point itself.
        assert_eq!(layout.position_weight(slot, &p), Fr::from(1u64));
    }
    // At a random stack point, F(r) = Σ_slots eq(bits, r_high)·f(r_low)
    // (the padding is zero).
    let rp = random_point(&mut r, STACK_VARS);
    let combined: Fr = tables
        .iter()
        .enumerate()
        .map(|(s, t)| layout.position_weight(s, &rp) * eval(&small_to_fr(t), &rp[..SIZES[s]]))
        .sum();
    assert_eq!(eval(&stacked, &rp), combined);
}

/// The tensors (stack slots, then one single-tensor commitment) and the
/// true claims on them: ids 0..6 are the stack's slots, id 6 the single.
struct Case {
    tables: Vec<Vec<i64>>,
    single: Vec<i64>,
    claims: Vec<(usize, EvaluationClaim)>,
}

fn case() -> Case {
    let mut r = rng(7);
    let tables: Vec<Vec<i64>> = SIZES
        .iter()
        .map(|&n| random_small(&mut r, 1 << n, 12))
        .collect();
    let single = random_small(&mut r, 1 << 4, 12);
    let mut claims = Vec::new();
    for (id, t) in tables.iter().chain([&single]).enumerate() {
        let n = t.len().trailing_zeros() as usize;
        for _ in 0..(1 + id % 2) {
            let point = random_point(&mut r, n);
            let value = eval(&small_to_fr(t), &point);
            claims.push((id, EvaluationClaim { point, value }));
        }
    }
    Case {
        tables,
        single,
        claims,
    }
}

/// The prover's commitments to `stack` (as laid out and registered) and
/// the single tensor, and its proof of `claims`.
fn prove(
    pcs: &Hyrax,
    stack: &[Vec<i64>],
    single: &[i64],
    claims: &[(usize, EvaluationClaim)],
) -> ([HyraxCommitment; 2], BatchOpeningProof) {
    let be = default_backend();
    let mut r = rng(5);
    let refs: Vec<&[i64]> = stack.iter().map(|t| t.as_slice()).collect();
    let (sc, sh) = commit_stack(be, pcs, &refs, RowWidth::Widest, &mut r).unwrap();
    let (c, h) = pcs.commit_small(be, single, 4, &mut r).unwrap();
    let mut p = OpeningProver::new();
    p.add_stack(stack.to_vec(), sc.clone(), sh);
    p.add_small(single.to_vec(), c.clone(), h);
    for (id, cl) in claims {
        p.claim(*id, cl.clone());
    }
    let proof = p.prove(be, pcs, &mut transcript(b"stack"), &mut r).unwrap();
    ([sc, c], proof)
}

/// The verifier with the stack's layout from `sizes`.
fn verify(
    pcs: &Hyrax,
    sizes: &[usize],
    coms: &[HyraxCommitment; 2],
    claims: &[(usize, EvaluationClaim)],
    proof: &BatchOpeningProof,
) -> Result<(), OpeningError> {
    let mut v = OpeningVerifier::new();
    let ids = v.add_stack(pcs, sizes, RowWidth::Widest, coms[0].clone())?;
    assert_eq!(ids, (0..sizes.len()).collect::<Vec<_>>());
    v.add(coms[1].clone());
    for (id, cl) in claims {
        v.claim(*id, cl.clone());
    }
    v.verify(default_backend(), pcs, proof, &mut transcript(b"stack"))
}

/// Rejected by the stack's reduction: a sumcheck round or its final check.
fn is_reduction(e: &OpeningError) -> bool {
    matches!(
        e,
        OpeningError::Reduction {
            num_vars: STACK_VARS,
            ..
        } | OpeningError::Final {
            num_vars: STACK_VARS,
            ..
        }
    )
}

#[test]
fn stacked_openings_verify_and_layout_forgeries_are_rejected() {
    let pcs = Hyrax::setup("claims-stack", STACK_VARS);
    let c = case();
    let (coms, proof) = prove(&pcs, &c.tables, &c.single, &c.claims);
    assert_eq!(coms[0].num_vars, STACK_VARS);
    // One group per matrix size: the stack's and the single's.
    assert_eq!(proof.groups.len(), 2);
    verify(&pcs, &SIZES, &coms, &c.claims, &proof).expect("honest stacked opening verifies");

    // A tensor moved to another position in the matrix: slots 1 and 3
    // (same size) trade places in the committed stack; the prover proves
    // the true claims on its stack. Its reduction's sum is off.
    let mut moved = c.tables.clone();
    moved.swap(1, 3);
    let (mcoms, mproof) = prove(&pcs, &moved, &c.single, &c.claims);
    let e = verify(&pcs, &SIZES, &mcoms, &c.claims, &mproof).unwrap_err();
    eprintln!("tensor moved in the matrix: rejected: {e}");
    assert!(is_reduction(&e), "{e}");

    // A claim routed to another tensor's rows: the verifier's claim on
    // tensor 1 is proven as tensor 3's value at that point (same size),
    // honestly for everything else.
    let k = c.claims.iter().position(|(id, _)| *id == 1).unwrap();
    let mut routed = c.claims.clone();
    routed[k].1.value = eval(&small_to_fr(&c.tables[3]), &routed[k].1.point);
    let (rcoms, rproof) = prove(&pcs, &c.tables, &c.single, &routed);
    let e = verify(&pcs, &SIZES, &rcoms, &routed, &rproof).unwrap_err();
    eprintln!("claim routed to another tensor's rows: rejected: {e}");
    assert!(is_reduction(&e), "{e}");

    // A layout other than the verifier's, of another size: one more slot
    // of 6 variables makes a stack of 2^8.
    let mut bigger = c.tables.clone();
    bigger.push(vec![0; 1 << 6]);
    let shifted: Vec<_> = (c.claims.iter())
        .map(|(id, cl)| (if *id == 6 { 7 } else { *id }, cl.clone()))
        .collect();
    let (bcoms, bproof) = prove(&pcs, &bigger, &c.single, &shifted);
    let e = verify(&pcs, &SIZES, &bcoms, &c.claims, &bproof).unwrap_err();
    eprintln!("stack of another size: rejected: {e}");
    assert_eq!(
        e,
        OpeningError::StackSize {
            matrix: 0,
            expected: STACK_VARS,
            found: 8
        }
    );
    // ... and of the same size, placed otherwise: slot 0 of 3 variables
    // declared as 4 (the verifier's sizes differ from the prover's).
    let mut other = SIZES;
    other[0] = 4;
    let e = verify(&pcs, &other, &coms, &c.claims, &proof).unwrap_err();
    eprintln!("another placement: rejected: {e}");
    assert!(
        matches!(e, OpeningError::WrongDimension { tensor: 0, .. }),
        "{e}"
    );
    let mut resized = c.claims.clone();
    for (id, cl) in resized.iter_mut() {
        if *id == 0 {
            cl.point.push(Fr::from(0u64));
        }
    }
    let e = verify(&pcs, &other, &coms, &resized, &proof).unwrap_err();
    eprintln!("another placement, claims resized: rejected: {e}");
    assert!(is_reduction(&e), "{e}");

    // A matrix with extra or missing rows: the stack's 85 entries fill 6
    // rows of 16 (the two zero rows after them are left out), and the
    // verifier pins that count.
    assert_eq!(coms[0].rows.len(), 6);
    for delta in [1isize, -1] {
        let mut rows = coms.clone();
        if delta > 0 {
            rows[0].rows.push(rows[0].rows[0]);
        } else {
            rows[0].rows.pop();
        }
        let e = verify(&pcs, &SIZES, &rows, &c.claims, &proof).unwrap_err();
        eprintln!("matrix with {delta:+} rows: rejected: {e}");
        assert_eq!(
            e,
            OpeningError::StackRows {
                matrix: 0,
                expected: 6,
                found: (6 + delta) as usize
            }
        );
    }
    // Rows of the other width: under generators of 2^5 columns the stack's
    // widest rows are 2^5 and its square ones 2^4; the verifier pins which.
    let wide_pcs = Hyrax::setup("claims-stack", 9);
    let refs: Vec<&[i64]> = c.tables.iter().map(|t| t.as_slice()).collect();
    let (square, _) = commit_stack(
        default_backend(),
        &wide_pcs,
        &refs,
        RowWidth::Square,
        &mut rng(6),
    )
    .unwrap();
    assert_eq!((square.col_vars, square.rows.len()), (4, 6));
    let e = OpeningVerifier::<zkllm::zk::Clear>::new()
        .add_stack(&wide_pcs, &SIZES, RowWidth::Widest, square)
        .unwrap_err();
    eprintln!("rows of another width: rejected: {e}");
    assert_eq!(
        e,
        OpeningError::StackWidth {
            matrix: 0,
            expected: 5,
            found: 4
        }
    );
    // A row past the layout's, committed and proven honestly (a tensor's
    // data moved into the padding): refused by the same count.
    let mut spilled = c.tables.clone();
    spilled.push(vec![1; 1 << 5]);
    let shifted: Vec<_> = (c.claims.iter())
        .map(|(id, cl)| (if *id == 6 { 7 } else { *id }, cl.clone()))
        .collect();
    let (scoms, sproof) = prove(&pcs, &spilled, &c.single, &shifted);
    assert_eq!(scoms[0].num_vars, STACK_VARS, "117 entries still fit 2^7");
    let e = verify(&pcs, &SIZES, &scoms, &c.claims, &sproof).unwrap_err();
    eprintln!("data past the layout's rows: rejected: {e}");
    assert!(
        matches!(e, OpeningError::StackRows { matrix: 0, .. }),
        "{e}"
    );
}

/// The same in zero knowledge: the honest stacked opening verifies and the
/// moved tensor is caught by the reduction's hidden final relation.
#[test]
fn hidden_stacked_openings() {
    use zkllm::zk::{Hidden, Lc, Pedersen, ProverCtx, VerifierCtx};
    let pcs = Hyrax::setup("claims-stack", STACK_VARS);
    let ped = Pedersen::new(pcs.generators());
    let c = case();
    let secrets = common::hidden_claims(&mut rng(70), &c.claims);
    let run = |stack: &[Vec<i64>]| -> Result<(), String> {
        let be = default_backend();
        let mut r = rng(9);
        let refs: Vec<&[i64]> = stack.iter().map(|t| t.as_slice()).collect();
        let (sc, sh) = commit_stack(be, &pcs, &refs, RowWidth::Widest, &mut r).unwrap();
        let (single, h) = pcs.commit_small(be, &c.single, 4, &mut r).unwrap();
        let mut p = OpeningProver::<Hidden>::in_mode();
        p.add_stack(stack.to_vec(), sc.clone(), sh);
        p.add_small(c.single.clone(), single.clone(), h);
        for (id, cl) in &secrets {
            p.claim(*id, cl.clone());
        }
        let mut t = transcript(b"stack-zk");
        let mut ctx = ProverCtx::new(ped, &mut r);
        let proof = p.prove_in(&mut ctx, be, &pcs, &mut t).unwrap();
        let zero = ctx.finish(&mut t);

        let mut v = OpeningVerifier::<Hidden>::in_mode();
        v.add_stack(&pcs, &SIZES, RowWidth::Widest, sc)
            .map_err(|e| e.to_string())?;
        v.add(single);
        for (id, cl) in &secrets {
            let com = ark_ec::CurveGroup::into_affine(ped.commit(&cl.value));
            let claim = EvaluationClaim {
                point: cl.point.clone(),
                value: Lc::point(com),
            };
            v.claim(*id, claim);
        }
        let mut t = transcript(b"stack-zk");
        let mut ctx = VerifierCtx::new(ped);
        v.verify_in(&mut ctx, be, &pcs, &proof, &mut t)
            .map_err(|e| e.to_string())?;
        ctx.finish(zero.as_ref(), &mut t, &mut rng(3))
    };
    run(&c.tables).expect("honest hidden stacked opening verifies");
    let mut moved = c.tables.clone();
    moved.swap(1, 3);
    let e = run(&moved).unwrap_err();
    eprintln!("hidden, tensor moved in the matrix: rejected: {e}");
    assert_eq!(e, "commitments that must open to zero");
}
