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
    bad.groups[2].values[0] += Fr::from(1u64);
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
