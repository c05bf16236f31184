//! The committed (zero-knowledge) sumcheck and its Σ-protocols: honest
//! proofs verify and hand on commitments to the true table values;
//! transcript-consistent forgeries are rejected by the named check; two
//! proofs of one statement share no element; the Σ-protocols' simulators
//! produce accepting transcripts without the witness.

use ark_ec::CurveGroup;
use ark_ff::UniformRand;
use ark_std::rand::{rngs::StdRng, SeedableRng};

use zkllm::backend::default_backend;
use zkllm::commit::Generators;
use zkllm::field::{Fr, G1Affine, G1Projective};
use zkllm::poly::{eq_eval, eq_table, DenseMle, SumOfProducts};
use zkllm::sumcheck::{prove_with, verify_with, RoundCodec, SumcheckError, SumcheckProof};
use zkllm::transcript::Transcript;
use zkllm::zk::sigma::{
    product_accepts, prove_product, simulate_product, simulate_zero, zero_accepts, ProductProof,
};
use zkllm::zk::sumcheck::{prove_final, verify_final, CommittedRound, FinalProof};
use zkllm::zk::{Checks, Committed, Lc, Pedersen, Secret, ZeroProof, ZeroProver, ZeroVerifier};

/// A commitment as the verifier holds it.
fn lc(ped: &Pedersen, s: &Secret) -> Lc {
    Lc::point(ped.commit(s).into_affine())
}

const N: usize = 4;

fn ped() -> Pedersen {
    Pedersen::new(&Generators::new("zk-test", 1))
}

/// `Σ_x eq(u, x)·a(x)·b(x) + 3·a(x)·b(x)·c(x) + 5·eq(u, x)·c(x)`: a term
/// with a public factor, one with three committed ones (degree 3 in the
/// relation proof), and one linear in the committed values (left to the
/// zero proof's side of the final equation).
fn shape() -> SumOfProducts {
    SumOfProducts::new(
        4,
        vec![
            (Fr::from(1u64), vec![0, 1, 2]),
            (Fr::from(3u64), vec![1, 2, 3]),
            (Fr::from(5u64), vec![0, 3]),
        ],
    )
}

struct Instance {
    u: Vec<Fr>,
    tables: Vec<Vec<Fr>>,
    sum: Fr,
}

fn instance(seed: u64) -> Instance {
    let mut rng = StdRng::seed_from_u64(seed);
    let u: Vec<Fr> = (0..N).map(|_| Fr::rand(&mut rng)).collect();
    let mut tables = vec![eq_table(&u)];
    for _ in 0..3 {
        tables.push((0..1 << N).map(|_| Fr::rand(&mut rng)).collect());
    }
    let sum = (0..1 << N)
        .map(|x| {
            tables[0][x] * tables[1][x] * tables[2][x]
                + Fr::from(3u64) * tables[1][x] * tables[2][x] * tables[3][x]
                + Fr::from(5u64) * tables[0][x] * tables[3][x]
        })
        .sum();
    Instance { u, tables, sum }
}

/// What a forging prover changes; all else honest.
#[derive(Clone, Copy, Default)]
struct Forge {
    /// Claims `sum + δ`.
    sum: Option<Fr>,
    /// Sends `g(0) + δ` (and so an implied `g(1) − δ`) in this round.
    round: Option<(usize, Fr)>,
    /// Commits to `f_k(r) + δ` for this table.
    value: Option<(usize, Fr)>,
}

/// The committed codec with one round's polynomial shifted by `δ` at 0 and
/// `−δ` at 1 (still summing to the claim), otherwise honest.
struct ShiftRound {
    inner: Committed,
    at: Option<(usize, Fr)>,
    round: usize,
}

impl RoundCodec for ShiftRound {
    type Claim = Lc;
    type Round = CommittedRound;
    fn send(&mut self, evals: &[Fr], t: &mut Transcript) -> CommittedRound {
        let mut e = evals.to_vec();
        if let Some((i, d)) = self.at {
            if i == self.round {
                e[0] += d;
                e[1] -= d;
            }
        }
        self.round += 1;
        self.inner.send(&e, t)
    }
    fn bind(&mut self, r: Fr) {
        self.inner.bind(r)
    }
    fn receive(
        c: &Lc,
        r: &CommittedRound,
        i: usize,
        d: usize,
        t: &mut Transcript,
    ) -> Result<(Fr, Lc), SumcheckError> {
        Committed::receive(c, r, i, d, t)
    }
    fn claim(&mut self, sum: Fr) -> Lc {
        self.inner.claim(sum)
    }
    fn absorb_claim(c: &Lc, t: &mut Transcript) {
        Committed::absorb_claim(c, t)
    }
}

struct Proof {
    claim: Lc,
    rounds: SumcheckProof<Committed>,
    finals: FinalProof,
    zero: ZeroProof,
    /// The prover's secrets of the handed-on values, and the point.
    handed: Vec<Secret>,
    point: Vec<Fr>,
}

fn prove(inst: &Instance, forge: Forge, seed: u64) -> Proof {
    let ped = ped();
    let mut rng = StdRng::seed_from_u64(seed);
    let claimed = inst.sum + forge.sum.unwrap_or_default();
    let claim_secret = Secret::fresh(claimed, &mut rng);
    let mut codec = ShiftRound {
        inner: Committed::new(ped, claim_secret, &mut rng),
        at: forge.round,
        round: 0,
    };
    let mut t = Transcript::new(b"zk-sumcheck-test");
    let (p, out) = prove_with(
        &mut codec,
        default_backend(),
        inst.tables.clone(),
        &shape(),
        claimed,
        &mut t,
    );
    let mut values = out.final_values.clone();
    if let Some((k, d)) = forge.value {
        values[k] += d;
    }
    let mut zeros = ZeroProver::new();
    let (finals, handed) = prove_final(
        &ped,
        &shape(),
        &values,
        &[true, false, false, false],
        codec.inner.claim_secret(),
        &mut zeros,
        &mut t,
        &mut rng,
    );
    let zero = zeros.prove(&ped, &mut t, &mut rng);
    Proof {
        claim: lc(&ped, &claim_secret),
        rounds: SumcheckProof { rounds: p.rounds },
        finals,
        zero,
        handed,
        point: out.point,
    }
}

/// The verifier: returns the handed-on commitments, or the failed check.
fn verify(inst: &Instance, claim: Lc, p: &Proof) -> Result<Vec<Lc>, String> {
    let ped = ped();
    let mut t = Transcript::new(b"zk-sumcheck-test");
    let ec = verify_with::<Committed>(N, &shape(), claim, &p.rounds, &mut t)
        .map_err(|e| e.to_string())?;
    let public = [Some(eq_eval(&inst.u, &ec.point)), None, None, None];
    let mut zeros = ZeroVerifier::new();
    let mut checks = Checks::new();
    let handed = verify_final(
        &ped,
        &shape(),
        &public,
        ec.value,
        &p.finals,
        &mut zeros,
        &mut checks,
        &mut t,
    )
    .map_err(|e| e.to_string())?;
    zeros.verify(&ped, &p.zero, &mut t, &mut checks);
    checks
        .verify(&mut StdRng::seed_from_u64(99))
        .map_err(|e| e.to_string())?;
    Ok(handed)
}

#[test]
fn honest_committed_sumcheck_hands_on_the_true_values() {
    let inst = instance(1);
    let p = prove(&inst, Forge::default(), 7);
    let handed = verify(&inst, p.claim.clone(), &p).expect("honest proof verifies");
    assert_eq!(handed.len(), 3);
    let ped = ped();
    for (k, (c, s)) in handed.iter().zip(&p.handed).enumerate() {
        assert_eq!(
            c.eval(),
            ped.commit(s),
            "table {}: commitment opens to the secret",
            k + 1
        );
        let truth = DenseMle::new(inst.tables[k + 1].clone()).evaluate(&p.point);
        assert_eq!(
            s.value,
            truth,
            "table {}: the committed value is f(r)",
            k + 1
        );
    }
}

/// Each forgery proves the false statement honestly but for the one thing
/// forged; each is caught, and the test names the check that catches it.
#[test]
fn forged_committed_sumchecks_are_rejected_by_the_named_check() {
    let inst = instance(2);
    let one = Fr::from(1u64);
    // Every forgery leaves the final claim off the shape's polynomial in
    // the committed values: the relation proof's claim equation refuses it.
    let zero_check = "relation: the claim";
    let cases: Vec<(&str, Forge, &str)> = vec![
        (
            "wrong claimed sum",
            Forge {
                sum: Some(one),
                ..Default::default()
            },
            zero_check,
        ),
        (
            "changed round message (first round)",
            Forge {
                round: Some((0, one)),
                ..Default::default()
            },
            zero_check,
        ),
        (
            "changed round message (last round)",
            Forge {
                round: Some((N - 1, Fr::from(5u64))),
                ..Default::default()
            },
            zero_check,
        ),
        (
            "wrong final value (a table handed on)",
            Forge {
                value: Some((1, one)),
                ..Default::default()
            },
            zero_check,
        ),
        (
            "wrong final value (the public eq table)",
            Forge {
                value: Some((0, one)),
                ..Default::default()
            },
            zero_check,
        ),
    ];
    for (what, forge, check) in cases {
        let p = prove(&inst, forge, 11);
        let err = verify(&inst, p.claim.clone(), &p).expect_err(what);
        eprintln!("{what}: rejected: {err}");
        assert_eq!(err, check, "{what}");
    }
    // A swapped commitment: the honest proof checked against the claim
    // commitment of another instance's sum.
    let other = prove(&instance(3), Forge::default(), 11);
    let p = prove(&inst, Forge::default(), 11);
    // A claim is derived from absorbed points, not absorbed itself: the
    // challenges stay, and the final relation does not hold.
    let err = verify(&inst, other.claim.clone(), &p).expect_err("swapped claim");
    eprintln!("swapped claim commitment: rejected: {err}");
    assert_eq!(err, zero_check);
    // The final step's shape is the verifier's: a proof that drops the
    // relation proof is refused before any group work.
    let mut p = prove(&inst, Forge::default(), 11);
    p.finals.relation = None;
    let err = verify(&inst, p.claim.clone(), &p).expect_err("no relation proof");
    assert!(err.contains("needs a relation proof"), "{err}");
    // A product committed wrong (as at a logUp root), proved with the same
    // formulas: the proof of product catches it.
    let ped = ped();
    let mut rng = StdRng::seed_from_u64(5);
    let x = Secret::fresh(Fr::from(6u64), &mut rng);
    let y = Secret::fresh(Fr::from(7u64), &mut rng);
    let z = Secret::fresh(Fr::from(43u64), &mut rng);
    let mut t = Transcript::new(b"product");
    let proof = prove_product(&ped, &x, &y, &z, &mut t, &mut rng);
    let mut t = Transcript::new(b"product");
    let mut checks = Checks::new();
    zkllm::zk::sigma::verify_product(
        &ped,
        [&lc(&ped, &x), &lc(&ped, &y), &lc(&ped, &z)],
        &proof,
        &mut t,
        &mut checks,
    );
    assert_eq!(checks.verify(&mut rng), Err("proof of product"));
    // A wrong-degree round is refused before any group work.
    let mut p = prove(&inst, Forge::default(), 11);
    p.rounds.rounds[1].0.pop();
    let err = verify(&inst, p.claim.clone(), &p).expect_err("short round");
    assert!(err.contains("degree"), "{err}");
}

/// Every group element and scalar of a proof, as bytes.
fn elements(p: &Proof) -> Vec<Vec<u8>> {
    use ark_serialize::CanonicalSerialize;
    let mut out = Vec::new();
    let mut pt = |a: &G1Affine| {
        let mut b = Vec::new();
        a.serialize_compressed(&mut b).unwrap();
        out.push(b);
    };
    for r in &p.rounds.rounds {
        r.0.iter().for_each(&mut pt);
    }
    p.finals.points().iter().for_each(&mut pt);
    pt(&p.zero.a);
    let mut sc = |s: &Fr| {
        let mut b = Vec::new();
        s.serialize_compressed(&mut b).unwrap();
        out.push(b);
    };
    p.finals.scalars().iter().for_each(&mut sc);
    sc(&p.zero.z);
    out
}

/// Test (a) at the sumcheck level: two proofs of one statement (the same
/// claim commitment) from different prover randomness share no element.
#[test]
fn two_proofs_of_one_statement_share_no_element() {
    let inst = instance(4);
    let a = prove(&inst, Forge::default(), 100);
    let mut b = prove(&inst, Forge::default(), 200);
    assert!(verify(&inst, a.claim.clone(), &a).is_ok());
    // The same statement: b re-proved under a's claim commitment.
    let ped = ped();
    let mut rng = StdRng::seed_from_u64(100);
    let claim_secret = Secret::fresh(inst.sum, &mut rng);
    assert_eq!(lc(&ped, &claim_secret), a.claim);
    let mut rng = StdRng::seed_from_u64(200);
    let _ = Secret::fresh(inst.sum, &mut rng);
    let mut codec = Committed::new(ped, claim_secret, &mut rng);
    let mut t = Transcript::new(b"zk-sumcheck-test");
    let (p, out) = prove_with(
        &mut codec,
        default_backend(),
        inst.tables.clone(),
        &shape(),
        inst.sum,
        &mut t,
    );
    let mut zeros = ZeroProver::new();
    let (finals, _) = prove_final(
        &ped,
        &shape(),
        &out.final_values,
        &[true, false, false, false],
        codec.claim_secret(),
        &mut zeros,
        &mut t,
        &mut rng,
    );
    b.rounds = p;
    b.finals = finals;
    b.zero = zeros.prove(&ped, &mut t, &mut rng);
    b.claim = a.claim.clone();
    assert!(
        verify(&inst, b.claim.clone(), &b).is_ok(),
        "b verifies under a's claim"
    );
    let ea = elements(&a);
    let eb = elements(&b);
    assert_eq!(ea.len(), eb.len());
    let shared: Vec<_> = ea.iter().filter(|x| eb.contains(x)).collect();
    assert!(shared.is_empty(), "{} shared elements", shared.len());
}

/// Test (b) for the Σ-protocols and the commitments.
///
/// Shows: (1) for a challenge the simulator picks, it outputs accepting
/// product and zero proofs without the witness, even for false statements
/// (so accepting transcripts carry no knowledge of one), with uniform
/// responses as in an honest proof; (2) the round and value commitments
/// are perfectly hiding: with a trapdoor `H = τ·U` (known only in this
/// test), a commitment to one value is also a commitment to any other
/// under another blind, so they are independent of the witness.
#[test]
fn simulators_accept_without_the_witness() {
    let mut rng = StdRng::seed_from_u64(9);
    let ped = ped();
    let c = Fr::rand(&mut rng);
    let x = Secret::fresh(Fr::from(6u64), &mut rng);
    let y = Secret::fresh(Fr::from(7u64), &mut rng);
    let wrong = Secret::fresh(Fr::from(41u64), &mut rng);
    let xyz = [ped.commit(&x), ped.commit(&y), ped.commit(&wrong)];
    let sim: ProductProof = simulate_product(&ped, xyz, c, &mut rng);
    assert!(product_accepts(&ped, xyz, &sim, c));
    assert!(!product_accepts(&ped, xyz, &sim, c + Fr::from(1u64)));
    let nonzero = ped.commit(&Secret::fresh(Fr::from(3u64), &mut rng));
    let z = simulate_zero(&ped, nonzero, c, &mut rng);
    assert!(zero_accepts(&ped, nonzero, c, &z));
    assert!(!zero_accepts(&ped, nonzero, c + Fr::from(1u64), &z));

    let tau = Fr::rand(&mut rng);
    let u = ped.u;
    let trapdoor = Pedersen {
        u,
        h: (G1Projective::from(u) * tau).into_affine(),
    };
    let a = Secret::fresh(Fr::from(1234u64), &mut rng);
    let v = Fr::from(987_654u64);
    let b = Secret {
        value: v,
        blind: a.blind + (a.value - v) * ark_ff::Field::inverse(&tau).unwrap(),
    };
    assert_eq!(trapdoor.commit(&a), trapdoor.commit(&b));
}

/// The claim flow end to end, in zero knowledge: tables committed with
/// Hyrax, the committed sumcheck hands on commitments to their values at
/// its point, and one hidden batch opening proves them against the table
/// commitments — no value of a table appears anywhere. Forgeries: a
/// handed-on commitment to another value, two commitments swapped, and the
/// honest opening checked against another table's commitment.
#[test]
fn committed_claims_close_in_a_hidden_opening() {
    use zkllm::commit::Hyrax;
    let inst = instance(6);
    let be = default_backend();
    let pcs = Hyrax::setup("zk-test", N);
    // The codec's generators must be the opening's (U and H).
    let ped = Pedersen::new(pcs.generators());
    let mut rng = StdRng::seed_from_u64(8);
    let committed: Vec<_> = (1..4)
        .map(|k| pcs.commit(be, &inst.tables[k], N, &mut rng).unwrap())
        .collect();

    let prove_all = |shift: Option<(usize, Fr)>, swap: bool, rng: &mut StdRng| {
        let claim_secret = Secret::fresh(inst.sum, rng);
        let mut codec = Committed::new(ped, claim_secret, rng);
        let mut t = Transcript::new(b"zk-flow");
        let (p, out) = prove_with(
            &mut codec,
            be,
            inst.tables.clone(),
            &shape(),
            inst.sum,
            &mut t,
        );
        let mut zeros = ZeroProver::new();
        let (finals, handed) = prove_final(
            &ped,
            &shape(),
            &out.final_values,
            &[true, false, false, false],
            codec.claim_secret(),
            &mut zeros,
            &mut t,
            rng,
        );
        let zero = zeros.prove(&ped, &mut t, rng);
        // The opening: of the handed-on secrets (or a forged one).
        let mut secrets = handed.clone();
        if let Some((k, d)) = shift {
            secrets[k].value += d;
        }
        let mut coms: Vec<G1Projective> = secrets.iter().map(|s| ped.commit(s)).collect();
        if swap {
            coms.swap(0, 1);
            secrets.swap(0, 1);
        }
        let tables: Vec<&[Fr]> = (1..4).map(|k| inst.tables[k].as_slice()).collect();
        let hints: Vec<_> = committed.iter().map(|c| &c.1).collect();
        let cs: Vec<_> = committed.iter().map(|c| &c.0).collect();
        let values: Vec<Fr> = secrets.iter().map(|s| s.value).collect();
        let blinds: Vec<Fr> = secrets.iter().map(|s| s.blind).collect();
        let opening = pcs
            .open_batch_hidden(
                be, &tables, &hints, &cs, &out.point, &values, &blinds, &mut t, rng,
            )
            .unwrap();
        (lc(&ped, &claim_secret), p, finals, zero, coms, opening)
    };
    let check = |claim,
                 p: &SumcheckProof<Committed>,
                 finals: &FinalProof,
                 zero: &ZeroProof,
                 coms: &[G1Projective],
                 opening,
                 table_order: [usize; 3]|
     -> Result<(), String> {
        let mut t = Transcript::new(b"zk-flow");
        let ec =
            verify_with::<Committed>(N, &shape(), claim, p, &mut t).map_err(|e| e.to_string())?;
        let public = [Some(eq_eval(&inst.u, &ec.point)), None, None, None];
        let (mut zeros, mut checks) = (ZeroVerifier::new(), Checks::new());
        let handed = verify_final(
            &ped,
            &shape(),
            &public,
            ec.value,
            finals,
            &mut zeros,
            &mut checks,
            &mut t,
        )
        .map_err(|e| e.to_string())?;
        zeros.verify(&ped, zero, &mut t, &mut checks);
        checks
            .verify(&mut StdRng::seed_from_u64(1))
            .map_err(|e| e.to_string())?;
        // The verifier opens the commitments the sumcheck handed on, never
        // ones the prover names (`coms` is what the prover opened).
        assert_eq!(handed.len(), coms.len());
        let cs: Vec<_> = table_order.iter().map(|k| &committed[*k].0).collect();
        let opened = handed;
        let combine = |alphas: &[Fr]| Lc::combine(alphas.iter().copied().zip(&opened)).eval();
        pcs.verify_batch_hidden(be, &cs, &ec.point, opened.len(), &combine, opening, &mut t)
            .map_err(|e| format!("opening: {e}"))
    };
    let mut rng = StdRng::seed_from_u64(30);
    let (c, p, f, z, coms, o) = prove_all(None, false, &mut rng);
    check(c.clone(), &p, &f, &z, &coms, &o, [0, 1, 2]).expect("honest flow verifies");
    // The opening is checked against another table's commitment.
    let err = check(c, &p, &f, &z, &coms, &o, [1, 0, 2]).expect_err("wrong table");
    eprintln!("opening against the wrong table: rejected: {err}");
    assert!(err.starts_with("opening"), "{err}");
    // The prover opens a commitment to another value than the one the
    // sumcheck handed on (transcript-consistent from there).
    let (c, p, f, z, coms, o) = prove_all(Some((1, Fr::from(1u64))), false, &mut rng);
    let err = check(c, &p, &f, &z, &coms, &o, [0, 1, 2]).expect_err("forged value");
    eprintln!("opening a forged value: rejected: {err}");
    assert!(err.starts_with("opening"), "{err}");
    // Two value commitments swapped (and the prover opening them so).
    let (c, p, f, z, coms, o) = prove_all(None, true, &mut rng);
    let err = check(c, &p, &f, &z, &coms, &o, [0, 1, 2]).expect_err("swapped");
    eprintln!("swapped value commitments: rejected: {err}");
    assert!(err.starts_with("opening"), "{err}");
}
