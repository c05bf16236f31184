//! The batched opening of every claim on committed tensors: same-sized
//! tensors are opened together in groups of bounded size (a real model's
//! weights would not fit one group in memory). Honest openings verify when
//! the groups split; a verifier grouping differently, a changed value, a
//! swapped commitment and a false claim are each rejected.

mod common;

use common::{eval, random_point, random_small, rng, transcript};
use zkllm::backend::default_backend;
use zkllm::claims::{BatchOpeningProof, OpeningProver, OpeningVerifier};
use zkllm::commit::{Hyrax, HyraxCommitment};
use zkllm::field::{from_i64_slice, Fr};
use zkllm::sumcheck::EvaluationClaim;

/// Five 4-variable tensors and two 3-variable ones, one or two claims each.
struct Case {
    tables: Vec<Vec<i64>>,
    commitments: Vec<HyraxCommitment>,
    claims: Vec<(usize, EvaluationClaim)>,
}

fn case(pcs: &Hyrax) -> (Case, Vec<zkllm::commit::HyraxHint>) {
    let mut r = rng(11);
    let sizes = [4usize, 4, 3, 4, 4, 3, 4];
    let mut tables = Vec::new();
    let (mut commitments, mut hints, mut claims) = (Vec::new(), Vec::new(), Vec::new());
    for (i, &n) in sizes.iter().enumerate() {
        let t = random_small(&mut r, 1 << n, 12);
        let (c, h) = pcs.commit_small(default_backend(), &t, n, &mut r).unwrap();
        for _ in 0..(1 + i % 2) {
            let point = random_point(&mut r, n);
            let value = eval(&from_i64_slice(&t), &point);
            claims.push((i, EvaluationClaim { point, value }));
        }
        tables.push(t);
        commitments.push(c);
        hints.push(h);
    }
    (
        Case {
            tables,
            commitments,
            claims,
        },
        hints,
    )
}

/// Proves with a group limit; `small` registers the tables as integers.
fn prove(
    pcs: &Hyrax,
    c: &Case,
    hints: &[zkllm::commit::HyraxHint],
    limit: usize,
    small: bool,
) -> BatchOpeningProof {
    let mut p = OpeningProver::new().with_group_limit(limit);
    for ((t, com), h) in c.tables.iter().zip(&c.commitments).zip(hints) {
        if small {
            p.add_small(t.clone(), com.clone(), h.clone());
        } else {
            p.add(from_i64_slice(t), com.clone(), h.clone());
        }
    }
    for (id, cl) in &c.claims {
        p.claim(*id, cl.clone());
    }
    p.prove(
        default_backend(),
        pcs,
        &mut transcript(b"batch"),
        &mut rng(5),
    )
    .unwrap()
}

fn verify(
    pcs: &Hyrax,
    commitments: &[HyraxCommitment],
    claims: &[(usize, EvaluationClaim)],
    proof: &BatchOpeningProof,
    limit: usize,
) -> Result<(), String> {
    let mut v = OpeningVerifier::new().with_group_limit(limit);
    for c in commitments {
        v.add(c.clone());
    }
    for (id, cl) in claims {
        v.claim(*id, cl.clone());
    }
    v.verify(default_backend(), pcs, proof, &mut transcript(b"batch"))
        .map_err(|e| e.to_string())
}

#[test]
fn groups_split_by_size_and_every_tamper_is_rejected() {
    let pcs = Hyrax::setup("claims-batch", 4);
    let (c, hints) = case(&pcs);
    // 32 entries per group: the five 16-entry tensors make groups of 2, 2, 1;
    // the two 8-entry ones fit one group.
    let limit = 32;
    let proof = prove(&pcs, &c, &hints, limit, true);
    assert_eq!(proof.groups.len(), 4);
    verify(&pcs, &c.commitments, &c.claims, &proof, limit).expect("honest split opening verifies");

    // Integers and field elements are the same tables: the same proof.
    assert_eq!(prove(&pcs, &c, &hints, limit, false), proof);
    // Unsplit (one group per size): also honest, and grouped differently.
    let whole = prove(&pcs, &c, &hints, usize::MAX, true);
    assert_eq!(whole.groups.len(), 2);
    verify(&pcs, &c.commitments, &c.claims, &whole, usize::MAX).expect("unsplit verifies");

    // A verifier that groups otherwise rejects (the groups are not the prover's to choose).
    let e = verify(&pcs, &c.commitments, &c.claims, &whole, limit).unwrap_err();
    assert!(e.contains("opening groups"), "{e}");

    // A changed value in a later group.
    let mut bad = proof.clone();
    bad.groups[2].reduction.finals.0[0] += Fr::from(1u64);
    assert!(verify(&pcs, &c.commitments, &c.claims, &bad, limit).is_err());

    // A swapped commitment (tensor 4's replaced by tensor 3's, same size).
    let mut coms = c.commitments.clone();
    coms[4] = coms[3].clone();
    assert!(verify(&pcs, &coms, &c.claims, &proof, limit).is_err());

    // A false claim on a tensor of the last 4-variable group.
    let mut claims = c.claims.clone();
    let k = claims.iter().position(|(id, _)| *id == 6).unwrap();
    claims[k].1.value += Fr::from(1u64);
    assert!(verify(&pcs, &c.commitments, &claims, &proof, limit).is_err());
}

/// The same accumulator in zero-knowledge mode: claims are value
/// commitments, the groups' reductions and openings hide every value.
/// Honest proofs verify; transcript-consistent forgeries are rejected with
/// the check named: a false claim (the prover proves it as if true), a
/// swapped tensor commitment, another prover's claim commitment; two
/// proofs share no element; and no scalar of the proof equals a claimed
/// value or a tensor's value at its group's point.
#[test]
fn hidden_claims_open_without_values() {
    use zkllm::zk::{Hidden, Pedersen, ProverCtx, Secret, VerifierCtx, ZeroProof};
    let pcs = Hyrax::setup("claims-batch", 4);
    let ped = Pedersen::new(pcs.generators());
    let (c, hints) = case(&pcs);
    let limit = 32;
    // The prover's claims (secrets) and the verifier's (their commitments).
    let secrets = common::hidden_claims(&mut rng(77), &c.claims);
    let prove_hidden = |claims: &[(usize, EvaluationClaim<Secret>)], seed: u64| {
        let mut p = OpeningProver::<Hidden>::in_mode().with_group_limit(limit);
        for ((t, com), h) in c.tables.iter().zip(&c.commitments).zip(&hints) {
            p.add_small(t.clone(), com.clone(), h.clone());
        }
        for (id, cl) in claims {
            p.claim(*id, cl.clone());
        }
        let mut t = transcript(b"batch-zk");
        let mut ctx = ProverCtx::new(ped, &mut rng(seed));
        let proof = p
            .prove_in(&mut ctx, default_backend(), &pcs, &mut t)
            .unwrap();
        let zero = ctx.finish(&mut t);
        (proof, zero)
    };
    let verify_hidden = |coms: &[HyraxCommitment],
                         claims: &[(usize, EvaluationClaim<Secret>)],
                         proof: &BatchOpeningProof<Hidden>,
                         zero: Option<&ZeroProof>|
     -> Result<(), String> {
        let mut v = OpeningVerifier::<Hidden>::in_mode().with_group_limit(limit);
        for com in coms {
            v.add(com.clone());
        }
        for (id, cl) in claims {
            v.claim(
                *id,
                EvaluationClaim {
                    point: cl.point.clone(),
                    value: zkllm::zk::Lc::point(ark_ec::CurveGroup::into_affine(
                        ped.commit(&cl.value),
                    )),
                },
            );
        }
        let mut t = transcript(b"batch-zk");
        let mut ctx = VerifierCtx::new(ped);
        v.verify_in(&mut ctx, default_backend(), &pcs, proof, &mut t)
            .map_err(|e| e.to_string())?;
        ctx.finish(zero, &mut t, &mut rng(3))
    };
    let (proof, zero) = prove_hidden(&secrets, 1);
    assert_eq!(proof.groups.len(), 4);
    verify_hidden(&c.commitments, &secrets, &proof, zero.as_ref()).expect("honest hidden opening");

    // A false claim, proved as if true.
    let mut false_claims = secrets.clone();
    false_claims[3].1.value.value += Fr::from(1u64);
    let (p, z) = prove_hidden(&false_claims, 2);
    let e = verify_hidden(&c.commitments, &false_claims, &p, z.as_ref()).unwrap_err();
    // The group's claimed sum is off; the reduction's final relation, a
    // commitment that must open to zero, does not.
    eprintln!("false hidden claim: rejected: {e}");
    assert_eq!(e, "commitments that must open to zero");
    // A swapped tensor commitment.
    let mut coms = c.commitments.clone();
    coms[4] = coms[3].clone();
    let e = verify_hidden(&coms, &secrets, &proof, zero.as_ref()).unwrap_err();
    eprintln!("swapped commitment: rejected: {e}");
    assert!(e.contains("opening"), "{e}");
    // The zero proof left out.
    let e = verify_hidden(&c.commitments, &secrets, &proof, None).unwrap_err();
    assert!(e.contains("zero proof is missing"), "{e}");

    // Fresh randomness: a second proof of the same claims shares nothing.
    let (again, zero2) = prove_hidden(&secrets, 9);
    verify_hidden(&c.commitments, &secrets, &again, zero2.as_ref()).unwrap();
    let (a, b) = (
        elements(&proof, zero.as_ref()),
        elements(&again, zero2.as_ref()),
    );
    assert!(!a.is_empty());
    assert!(
        a.iter().all(|x| !b.contains(x)),
        "two hidden proofs share an element"
    );

    // Nothing in the clear: no scalar is a claimed value, or a tensor's
    // value at a point its group's reduction ended in.
    let mut evaluations: Vec<Fr> = c.claims.iter().map(|(_, cl)| cl.value).collect();
    let clear = prove(&pcs, &c, &hints, limit, true);
    for g in &clear.groups {
        evaluations.extend(g.reduction.finals.0.iter().copied());
    }
    let scalars = hidden_scalars(&proof, zero.as_ref());
    assert!(!scalars.is_empty());
    for s in &scalars {
        assert!(
            !evaluations.contains(s),
            "a hidden proof states an evaluation in the clear"
        );
    }
}

/// Every element of a hidden batch opening, as bytes.
fn elements(
    p: &BatchOpeningProof<zkllm::zk::Hidden>,
    zero: Option<&zkllm::zk::ZeroProof>,
) -> Vec<Vec<u8>> {
    use zkllm::wire::Wire;
    let mut out = Vec::new();
    let mut pt = |a: &zkllm::G1Affine| out.push(a.to_bytes());
    for g in &p.groups {
        for r in &g.reduction.rounds.rounds {
            r.0.iter().for_each(&mut pt);
        }
        g.reduction.finals.points().iter().for_each(&mut pt);
        let ipa = &g.opening.ipa;
        ipa.l.iter().chain(&ipa.r).for_each(&mut pt);
        pt(&ipa.a);
    }
    if let Some(z) = zero {
        pt(&z.a);
    }
    out.extend(hidden_scalars(p, zero).iter().map(|s| s.to_bytes()));
    out
}

/// The field elements a hidden batch opening sends.
fn hidden_scalars(
    p: &BatchOpeningProof<zkllm::zk::Hidden>,
    zero: Option<&zkllm::zk::ZeroProof>,
) -> Vec<Fr> {
    let mut out = Vec::new();
    for g in &p.groups {
        out.extend(g.reduction.finals.scalars());
        out.push(g.opening.ipa.z1);
        out.push(g.opening.ipa.z2);
    }
    if let Some(z) = zero {
        out.push(z.z);
    }
    out
}
