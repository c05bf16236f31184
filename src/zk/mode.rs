//! The one seam between plain and zero-knowledge proofs.
//!
//! A [`Mode`] says what a claimed value is — to the verifier a field element
//! ([`Clear`]) or a Pedersen commitment ([`Hidden`]); to the prover the value,
//! or the value and its blind — how a sumcheck round travels, and how a
//! sumcheck's final relation is settled. Points are public in both modes:
//! gadgets compute points and coefficients, and combine, absorb and hand on
//! values only through the mode, so each gadget is written once
//! ([`prove_instance`] / [`verify_instance`] are the shared sumcheck step).
//!
//! In [`Clear`] the verifier evaluates each relation at once; in [`Hidden`]
//! it records it — products as proofs of product, equalities as commitments
//! to zero — and [`VerifierCtx::finish`] settles all of them with one zero
//! proof and one multi-scalar multiplication.

use std::fmt::Debug;

use ark_std::rand::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use super::checks::Checks;
use super::lc::Lc;
use super::pedersen::{combine, Pedersen, Secret};
use super::sigma::{ZeroProof, ZeroProver, ZeroVerifier};
use super::sumcheck::{self as zs, Committed, FinalProof};
use crate::backend::Backend;
use crate::commit::hyrax::Values;
use crate::commit::ipa::Claimed;
use crate::commit::{Fold, Hyrax, HyraxCommitment, HyraxHint, HyraxOpening, PcsError};
use crate::field::{Fr, G1Affine};
use crate::poly::SumOfProducts;
use crate::sumcheck::{self, Plain, RoundCodec, SumcheckError, SumcheckProof};
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};
use ark_ec::CurveGroup;

/// The prover's side of a proof in some mode: the value generators, a
/// generator for blinds and the equalities left for the zero proof.
pub struct ProverCtx {
    pub ped: Pedersen,
    rng: ChaCha20Rng,
    zeros: ZeroProver,
    /// False for [`ProverCtx::clear`], which has no generators to hide with.
    hiding: bool,
}

impl ProverCtx {
    /// Blinds and nonces come from `rng` (the operating system's generator
    /// in the binary; a seeded one only in tests).
    pub fn new<R: RngCore + CryptoRng>(ped: Pedersen, rng: &mut R) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        Self {
            ped,
            rng: ChaCha20Rng::from_seed(seed),
            zeros: ZeroProver::new(),
            hiding: true,
        }
    }

    /// A context for [`Clear`] proofs, which commit and draw nothing. A
    /// [`Hidden`] proof refuses it (it has no generators to hide with).
    pub fn clear() -> Self {
        Self {
            ped: Pedersen::unusable(),
            rng: ChaCha20Rng::from_seed([0; 32]),
            zeros: ZeroProver::new(),
            hiding: false,
        }
    }

    fn hiding(&mut self) -> &mut Self {
        assert!(
            self.hiding,
            "hidden mode needs ProverCtx::new with the key's generators"
        );
        self
    }

    pub fn rng(&mut self) -> &mut ChaCha20Rng {
        &mut self.rng
    }

    /// The zero proof of every equality recorded (none in [`Clear`] mode).
    pub fn finish(self, t: &mut Transcript) -> Option<ZeroProof> {
        let Self {
            ped,
            mut rng,
            zeros,
            ..
        } = self;
        (!zeros.is_empty()).then(|| zeros.prove(&ped, t, &mut rng))
    }
}

/// The verifier's side: recorded equalities and group equations.
pub struct VerifierCtx {
    pub ped: Pedersen,
    zeros: ZeroVerifier,
    checks: Checks,
}

impl VerifierCtx {
    pub fn new(ped: Pedersen) -> Self {
        Self {
            ped,
            zeros: ZeroVerifier::new(),
            checks: Checks::new(),
        }
    }

    /// A context for [`Clear`] proofs (which record nothing).
    pub fn clear() -> Self {
        Self::new(Pedersen::unusable())
    }

    /// Settles every recorded relation: the zero proof (present exactly
    /// when equalities were recorded) and one batched group check with the
    /// verifier's own random weights.
    pub fn finish<R: RngCore + CryptoRng>(
        self,
        zero: Option<&ZeroProof>,
        t: &mut Transcript,
        rng: &mut R,
    ) -> Result<(), String> {
        let Self {
            ped,
            zeros,
            mut checks,
        } = self;
        match (zeros.is_empty(), zero) {
            (true, None) => {}
            (false, Some(z)) => zeros.verify(&ped, z, t, &mut checks),
            (true, Some(_)) => return Err("a zero proof where nothing was claimed zero".into()),
            (false, None) => return Err("the zero proof is missing".into()),
        }
        checks.verify(rng).map_err(|e| e.to_string())
    }
}

pub trait Mode: Sized + 'static {
    /// Whether values are hidden (the proof header says which).
    const ZERO_KNOWLEDGE: bool;
    /// A claimed value as the verifier holds it.
    type Value: Clone + Debug + PartialEq;
    /// A claimed value as the prover holds it.
    type Known: Clone + Copy + Debug;
    type Codec: RoundCodec<Claim = Self::Value>;
    /// How a sumcheck's final values travel.
    type Final: Wire + Clone + Debug + PartialEq;
    /// A value the prover states outside a sumcheck, as it travels.
    type Sent: Wire + Clone + Debug + PartialEq;
    /// What a product of two claimed values costs in the proof (nothing in
    /// the clear; a commitment and a proof of product when hidden).
    type Product: Wire + Clone + Debug + PartialEq;

    /// Prover: the claim `a·b`, and its message. The operands' values must
    /// already be in the transcript.
    fn prove_product(
        ctx: &mut ProverCtx,
        a: &Self::Known,
        b: &Self::Known,
        t: &mut Transcript,
    ) -> (Self::Known, Self::Product);
    /// Verifier: the claim `a·b` from its message (hidden: the proof of
    /// product is recorded for [`VerifierCtx::finish`]).
    fn verify_product(
        ctx: &mut VerifierCtx,
        a: &Self::Value,
        b: &Self::Value,
        msg: &Self::Product,
        t: &mut Transcript,
    ) -> Self::Value;

    /// Prover: states the value `k` (the caller absorbs it with
    /// [`Mode::absorb_sent`]).
    fn send(ctx: &ProverCtx, k: &Self::Known) -> Self::Sent;
    fn received(s: &Self::Sent) -> Self::Value;
    /// Absorbs a stated value as it travels (both sides, before any
    /// challenge that depends on it).
    fn absorb_sent(t: &mut Transcript, label: &'static [u8], s: &Self::Sent);

    /// The prover's handle on `v`, fresh (a new blind when hidden).
    fn fresh(ctx: &mut ProverCtx, v: Fr) -> Self::Known;
    fn scalar(k: &Self::Known) -> Fr;
    /// What the verifier holds for `k`.
    fn value(ctx: &ProverCtx, k: &Self::Known) -> Self::Value;
    /// A public value as a claim (a commitment with blind 0 when hidden).
    fn public(ped: &Pedersen, v: Fr) -> Self::Value;
    fn public_known(v: Fr) -> Self::Known;
    fn combine_known(terms: &[(Fr, Self::Known)]) -> Self::Known;
    fn combine(terms: &[(Fr, Self::Value)]) -> Self::Value;
    /// Absorbs a derived claim (a combination of absorbed messages and
    /// challenges): the clear mode absorbs the scalar, the hidden mode
    /// nothing (its points were absorbed as they arrived).
    fn absorb(t: &mut Transcript, label: &'static [u8], v: &Self::Value);
    /// Prover: [`Mode::absorb`] of the claim it holds as `k`.
    fn absorb_known(ctx: &ProverCtx, t: &mut Transcript, label: &'static [u8], k: &Self::Known) {
        Self::absorb(t, label, &Self::value(ctx, k));
    }

    /// Prover: `a` and `b` hold the same value (hidden: recorded for the
    /// zero proof; clear: nothing to send).
    fn prove_equal(ctx: &mut ProverCtx, a: &Self::Known, b: &Self::Known);
    /// Verifier: `a` and `b` must be equal (clear: checked now; hidden:
    /// recorded, settled by [`VerifierCtx::finish`]). False only when a
    /// clear check fails now.
    #[must_use]
    fn require_equal(ctx: &mut VerifierCtx, a: &Self::Value, b: &Self::Value) -> bool;

    fn codec(ctx: &mut ProverCtx, claim: Self::Known) -> Self::Codec;
    /// The claim the rounds reduced to, once they are done.
    fn reduced(codec: &Self::Codec, sop: &SumOfProducts, values: &[Fr]) -> Self::Known;

    #[allow(clippy::too_many_arguments)]
    fn prove_final(
        ctx: &mut ProverCtx,
        sop: &SumOfProducts,
        values: &[Fr],
        public: &[bool],
        reduced: Self::Known,
        t: &mut Transcript,
    ) -> (Self::Final, Vec<Self::Known>);

    fn verify_final(
        ctx: &mut VerifierCtx,
        sop: &SumOfProducts,
        public: &[Option<Fr>],
        reduced: Self::Value,
        f: &Self::Final,
        t: &mut Transcript,
    ) -> Result<Vec<Self::Value>, String>;

    /// Prover: one Hyrax opening of same-shaped tables at `point` to the
    /// claimed values `values` (in the clear, or hidden).
    #[allow(clippy::too_many_arguments)]
    fn open(
        ctx: &mut ProverCtx,
        pcs: &Hyrax,
        backend: &dyn Backend,
        tables: &[&[Fr]],
        hints: &[&HyraxHint],
        commitments: &[&HyraxCommitment],
        point: &[Fr],
        values: &[Self::Known],
        t: &mut Transcript,
    ) -> Result<HyraxOpening, PcsError>;

    #[allow(clippy::too_many_arguments)]
    fn verify_open(
        pcs: &Hyrax,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        point: &[Fr],
        values: &[Self::Value],
        proof: &HyraxOpening,
        t: &mut Transcript,
    ) -> Result<(), PcsError>;

    /// Prover: one row-fold opening ([`Hyrax::open_folds`]) to the claimed
    /// values of the folds at `col_point` (in the clear, or hidden).
    #[allow(clippy::too_many_arguments)]
    fn open_folds(
        ctx: &mut ProverCtx,
        pcs: &Hyrax,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        hints: &[&HyraxHint],
        folds: &[Fold],
        folded: &[Vec<Fr>],
        col_point: &[Fr],
        values: &[Self::Known],
        t: &mut Transcript,
    ) -> Result<HyraxOpening, PcsError>;

    #[allow(clippy::too_many_arguments)]
    fn verify_open_folds(
        pcs: &Hyrax,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        folds: &[Fold],
        col_point: &[Fr],
        values: &[Self::Value],
        proof: &HyraxOpening,
        t: &mut Transcript,
    ) -> Result<(), PcsError>;
}

/// Values in the clear (not zero-knowledge): the faster proofs of
/// `prove --no-zk`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clear;

/// Values hidden in Pedersen commitments (zero-knowledge).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hidden;

/// An empty message (a clear product costs nothing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoMessage;

impl Wire for NoMessage {
    const MIN_BYTES: usize = 0;
    fn write(&self, _: &mut Writer) {}
    fn read(_: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(NoMessage)
    }
}

/// A hidden product: the commitment to `a·b` and its proof of product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HiddenProduct {
    pub product: G1Affine,
    pub proof: super::sigma::ProductProof,
}

impl Wire for HiddenProduct {
    const MIN_BYTES: usize = 48 + super::sigma::ProductProof::MIN_BYTES;
    fn write(&self, w: &mut Writer) {
        w.put(&self.product);
        self.proof.write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            product: r.get()?,
            proof: r.get()?,
        })
    }
}

/// The final values of a clear sumcheck: those of the tables the verifier
/// does not compute, in table order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClearFinal(pub Vec<Fr>);

impl Wire for ClearFinal {
    const MIN_BYTES: usize = 4;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self(r.get_seq("final values")?))
    }
}

impl Mode for Clear {
    const ZERO_KNOWLEDGE: bool = false;
    type Value = Fr;
    type Known = Fr;
    type Codec = Plain;
    type Final = ClearFinal;
    type Sent = Fr;
    type Product = NoMessage;

    fn prove_product(_: &mut ProverCtx, a: &Fr, b: &Fr, _: &mut Transcript) -> (Fr, NoMessage) {
        (*a * b, NoMessage)
    }
    fn verify_product(
        _: &mut VerifierCtx,
        a: &Fr,
        b: &Fr,
        _: &NoMessage,
        _: &mut Transcript,
    ) -> Fr {
        *a * b
    }
    fn send(_: &ProverCtx, k: &Fr) -> Fr {
        *k
    }
    fn received(s: &Fr) -> Fr {
        *s
    }
    fn absorb_sent(t: &mut Transcript, label: &'static [u8], s: &Fr) {
        t.append_scalar(label, s);
    }

    fn fresh(_: &mut ProverCtx, v: Fr) -> Fr {
        v
    }
    fn scalar(k: &Fr) -> Fr {
        *k
    }
    fn value(_: &ProverCtx, k: &Fr) -> Fr {
        *k
    }
    fn public(_: &Pedersen, v: Fr) -> Fr {
        v
    }
    fn public_known(v: Fr) -> Fr {
        v
    }
    fn combine_known(terms: &[(Fr, Fr)]) -> Fr {
        terms.iter().map(|(c, v)| *c * v).sum()
    }
    fn combine(terms: &[(Fr, Fr)]) -> Fr {
        terms.iter().map(|(c, v)| *c * v).sum()
    }
    fn absorb(t: &mut Transcript, label: &'static [u8], v: &Fr) {
        t.append_scalar(label, v);
    }
    fn prove_equal(_: &mut ProverCtx, _: &Fr, _: &Fr) {}
    fn require_equal(_: &mut VerifierCtx, a: &Fr, b: &Fr) -> bool {
        a == b
    }
    fn codec(_: &mut ProverCtx, _: Fr) -> Plain {
        Plain
    }
    fn reduced(_: &Plain, sop: &SumOfProducts, values: &[Fr]) -> Fr {
        sop.evaluate(values)
    }
    fn prove_final(
        _: &mut ProverCtx,
        _: &SumOfProducts,
        values: &[Fr],
        public: &[bool],
        _: Fr,
        t: &mut Transcript,
    ) -> (ClearFinal, Vec<Fr>) {
        let stated: Vec<Fr> = values
            .iter()
            .zip(public)
            .filter(|(_, p)| !**p)
            .map(|(v, _)| *v)
            .collect();
        t.append_scalars(b"sumcheck-final-values", &stated);
        (ClearFinal(stated.clone()), stated)
    }
    fn verify_final(
        _: &mut VerifierCtx,
        sop: &SumOfProducts,
        public: &[Option<Fr>],
        reduced: Fr,
        f: &ClearFinal,
        t: &mut Transcript,
    ) -> Result<Vec<Fr>, String> {
        let hidden = public.iter().filter(|p| p.is_none()).count();
        if f.0.len() != hidden {
            return Err(format!(
                "{} final values, the shape has {hidden} stated tables",
                f.0.len()
            ));
        }
        t.append_scalars(b"sumcheck-final-values", &f.0);
        let mut it = f.0.iter();
        let all: Vec<Fr> = public
            .iter()
            .map(|p| p.unwrap_or_else(|| *it.next().expect("counted")))
            .collect();
        if sop.evaluate(&all) != reduced {
            return Err("the final values do not give the reduced claim".into());
        }
        Ok(f.0.clone())
    }
    fn open(
        ctx: &mut ProverCtx,
        pcs: &Hyrax,
        backend: &dyn Backend,
        tables: &[&[Fr]],
        hints: &[&HyraxHint],
        commitments: &[&HyraxCommitment],
        point: &[Fr],
        values: &[Fr],
        t: &mut Transcript,
    ) -> Result<HyraxOpening, PcsError> {
        pcs.open_batch(
            backend,
            tables,
            hints,
            commitments,
            point,
            values,
            t,
            &mut ctx.rng,
        )
    }
    fn verify_open(
        pcs: &Hyrax,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        point: &[Fr],
        values: &[Fr],
        proof: &HyraxOpening,
        t: &mut Transcript,
    ) -> Result<(), PcsError> {
        pcs.verify_batch(backend, commitments, point, values, proof, t)
    }
    fn open_folds(
        ctx: &mut ProverCtx,
        pcs: &Hyrax,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        hints: &[&HyraxHint],
        folds: &[Fold],
        folded: &[Vec<Fr>],
        col_point: &[Fr],
        values: &[Fr],
        t: &mut Transcript,
    ) -> Result<HyraxOpening, PcsError> {
        let blinds = vec![Fr::from(0u64); values.len()];
        pcs.open_folds(
            backend,
            commitments,
            hints,
            folds,
            folded,
            col_point,
            (Values::Public(values), values, &blinds),
            t,
            &mut ctx.rng,
        )
    }
    fn verify_open_folds(
        pcs: &Hyrax,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        folds: &[Fold],
        col_point: &[Fr],
        values: &[Fr],
        proof: &HyraxOpening,
        t: &mut Transcript,
    ) -> Result<(), PcsError> {
        let claimed =
            |alphas: &[Fr]| Claimed::Public(values.iter().zip(alphas).map(|(v, a)| *v * a).sum());
        pcs.verify_folds(
            backend,
            commitments,
            folds,
            col_point,
            Values::Public(values),
            &claimed,
            proof,
            t,
        )
    }
}

impl Mode for Hidden {
    const ZERO_KNOWLEDGE: bool = true;
    type Value = Lc;
    type Known = Secret;
    type Codec = Committed;
    type Final = FinalProof;
    type Sent = G1Affine;
    type Product = HiddenProduct;

    fn prove_product(
        ctx: &mut ProverCtx,
        a: &Secret,
        b: &Secret,
        t: &mut Transcript,
    ) -> (Secret, HiddenProduct) {
        let ctx = ctx.hiding();
        let z = Secret::fresh(a.value * b.value, &mut ctx.rng);
        let product = ctx.ped.commit(&z).into_affine();
        t.append_point(b"product-commitment", &product);
        let proof = super::sigma::prove_product(&ctx.ped, a, b, &z, t, &mut ctx.rng);
        (z, HiddenProduct { product, proof })
    }
    fn verify_product(
        ctx: &mut VerifierCtx,
        a: &Lc,
        b: &Lc,
        msg: &HiddenProduct,
        t: &mut Transcript,
    ) -> Lc {
        t.append_point(b"product-commitment", &msg.product);
        let z = Lc::point(msg.product);
        let ped = ctx.ped;
        super::sigma::verify_product(&ped, [a, b, &z], &msg.proof, t, &mut ctx.checks);
        z
    }

    fn send(ctx: &ProverCtx, k: &Secret) -> G1Affine {
        ctx.ped.commit(k).into_affine()
    }
    fn received(s: &G1Affine) -> Lc {
        Lc::point(*s)
    }
    fn absorb_sent(t: &mut Transcript, label: &'static [u8], s: &G1Affine) {
        t.append_point(label, s);
    }

    fn fresh(ctx: &mut ProverCtx, v: Fr) -> Secret {
        Secret::fresh(v, &mut ctx.hiding().rng)
    }
    fn scalar(k: &Secret) -> Fr {
        k.value
    }
    fn value(ctx: &ProverCtx, k: &Secret) -> Lc {
        Lc::point(ctx.ped.commit(k).into_affine())
    }
    fn public(ped: &Pedersen, v: Fr) -> Lc {
        Lc {
            terms: vec![(v, ped.u)],
        }
    }
    fn public_known(v: Fr) -> Secret {
        Secret::public(v)
    }
    fn combine_known(terms: &[(Fr, Secret)]) -> Secret {
        combine(terms)
    }
    fn combine(terms: &[(Fr, Lc)]) -> Lc {
        Lc::combine(terms.iter().map(|(c, v)| (*c, v)))
    }
    fn absorb(_: &mut Transcript, _: &'static [u8], _: &Lc) {}
    fn absorb_known(_: &ProverCtx, _: &mut Transcript, _: &'static [u8], _: &Secret) {}
    fn prove_equal(ctx: &mut ProverCtx, a: &Secret, b: &Secret) {
        ctx.zeros.require_zero(*a - *b);
    }
    fn require_equal(ctx: &mut VerifierCtx, a: &Lc, b: &Lc) -> bool {
        ctx.zeros.require_zero(a - b);
        true
    }
    fn codec(ctx: &mut ProverCtx, claim: Secret) -> Committed {
        let ctx = ctx.hiding();
        Committed::new(ctx.ped, claim, &mut ctx.rng)
    }
    fn reduced(codec: &Committed, _: &SumOfProducts, _: &[Fr]) -> Secret {
        codec.claim_secret()
    }
    fn prove_final(
        ctx: &mut ProverCtx,
        sop: &SumOfProducts,
        values: &[Fr],
        public: &[bool],
        reduced: Secret,
        t: &mut Transcript,
    ) -> (FinalProof, Vec<Secret>) {
        let ped = ctx.ped;
        zs::prove_final(
            &ped,
            sop,
            values,
            public,
            reduced,
            &mut ctx.zeros,
            t,
            &mut ctx.rng,
        )
    }
    fn verify_final(
        ctx: &mut VerifierCtx,
        sop: &SumOfProducts,
        public: &[Option<Fr>],
        reduced: Lc,
        f: &FinalProof,
        t: &mut Transcript,
    ) -> Result<Vec<Lc>, String> {
        let ped = ctx.ped;
        zs::verify_final(
            &ped,
            sop,
            public,
            reduced,
            f,
            &mut ctx.zeros,
            &mut ctx.checks,
            t,
        )
        .map_err(|e| e.to_string())
    }
    fn open(
        ctx: &mut ProverCtx,
        pcs: &Hyrax,
        backend: &dyn Backend,
        tables: &[&[Fr]],
        hints: &[&HyraxHint],
        commitments: &[&HyraxCommitment],
        point: &[Fr],
        values: &[Secret],
        t: &mut Transcript,
    ) -> Result<HyraxOpening, PcsError> {
        let vals: Vec<Fr> = values.iter().map(|s| s.value).collect();
        let blinds: Vec<Fr> = values.iter().map(|s| s.blind).collect();
        pcs.open_batch_hidden(
            backend,
            tables,
            hints,
            commitments,
            point,
            &vals,
            &blinds,
            t,
            &mut ctx.rng,
        )
    }
    fn verify_open(
        pcs: &Hyrax,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        point: &[Fr],
        values: &[Lc],
        proof: &HyraxOpening,
        t: &mut Transcript,
    ) -> Result<(), PcsError> {
        // Σ α_i·value_i as one combination of the proof's points: one MSM.
        let combine = |alphas: &[Fr]| Lc::combine(alphas.iter().copied().zip(values)).eval();
        pcs.verify_batch_hidden(
            backend,
            commitments,
            point,
            values.len(),
            &combine,
            proof,
            t,
        )
    }
    fn open_folds(
        ctx: &mut ProverCtx,
        pcs: &Hyrax,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        hints: &[&HyraxHint],
        folds: &[Fold],
        folded: &[Vec<Fr>],
        col_point: &[Fr],
        values: &[Secret],
        t: &mut Transcript,
    ) -> Result<HyraxOpening, PcsError> {
        let vals: Vec<Fr> = values.iter().map(|s| s.value).collect();
        let blinds: Vec<Fr> = values.iter().map(|s| s.blind).collect();
        pcs.open_folds(
            backend,
            commitments,
            hints,
            folds,
            folded,
            col_point,
            (Values::Committed(values.len()), &vals, &blinds),
            t,
            &mut ctx.rng,
        )
    }
    fn verify_open_folds(
        pcs: &Hyrax,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        folds: &[Fold],
        col_point: &[Fr],
        values: &[Lc],
        proof: &HyraxOpening,
        t: &mut Transcript,
    ) -> Result<(), PcsError> {
        // Σ α_k·value_k as one combination of the proof's points: one MSM.
        let claimed = |alphas: &[Fr]| {
            Claimed::Committed(Lc::combine(alphas.iter().copied().zip(values)).eval())
        };
        pcs.verify_folds(
            backend,
            commitments,
            folds,
            col_point,
            Values::Committed(values.len()),
            &claimed,
            proof,
            t,
        )
    }
}

/// A sumcheck whose claimed sum is a claim and whose final values are handed
/// on as claims: the rounds and the final message.
pub struct Instance<M: Mode> {
    pub rounds: SumcheckProof<M::Codec>,
    pub finals: M::Final,
}

impl<M: Mode> Clone for Instance<M> {
    fn clone(&self) -> Self {
        Self {
            rounds: SumcheckProof {
                rounds: self.rounds.rounds.clone(),
            },
            finals: self.finals.clone(),
        }
    }
}

impl<M: Mode> Debug for Instance<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("rounds", &self.rounds.rounds)
            .field("finals", &self.finals)
            .finish()
    }
}

impl<M: Mode> PartialEq for Instance<M> {
    fn eq(&self, o: &Self) -> bool {
        self.rounds.rounds == o.rounds.rounds && self.finals == o.finals
    }
}

impl<M: Mode> Wire for Instance<M> {
    const MIN_BYTES: usize = 4 + <M::Final as Wire>::MIN_BYTES;
    fn write(&self, w: &mut Writer) {
        self.rounds.write(w);
        self.finals.write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            rounds: r.get()?,
            finals: r.get()?,
        })
    }
}

/// Prover: `Σ_x sop(tables(x)) = claim`; the tables marked `public` are the
/// verifier's to evaluate. Returns the proof, the point, and the handles on
/// the other tables' values there (table order): the claims handed on.
#[allow(clippy::too_many_arguments)]
pub fn prove_instance<M: Mode>(
    ctx: &mut ProverCtx,
    backend: &dyn Backend,
    tables: Vec<Vec<Fr>>,
    sop: &SumOfProducts,
    claim: M::Known,
    public: &[bool],
    t: &mut Transcript,
) -> (Instance<M>, Vec<Fr>, Vec<M::Known>) {
    let mut codec = M::codec(ctx, claim);
    let (rounds, out) =
        sumcheck::prove_with(&mut codec, backend, tables, sop, M::scalar(&claim), t);
    let reduced = M::reduced(&codec, sop, &out.final_values);
    let (finals, handed) = M::prove_final(ctx, sop, &out.final_values, public, reduced, t);
    (Instance { rounds, finals }, out.point, handed)
}

/// Verifier: checks the rounds against `claim`, then the final relation with
/// the public tables' values `public(point)`; returns the point and the
/// claims on the other tables there.
pub fn verify_instance<M: Mode>(
    ctx: &mut VerifierCtx,
    num_vars: usize,
    sop: &SumOfProducts,
    claim: M::Value,
    public: impl FnOnce(&[Fr]) -> Vec<Option<Fr>>,
    proof: &Instance<M>,
    t: &mut Transcript,
) -> Result<(Vec<Fr>, Vec<M::Value>), InstanceError> {
    let ec = sumcheck::verify_with::<M::Codec>(num_vars, sop, claim, &proof.rounds, t)?;
    let public = public(&ec.point);
    assert_eq!(public.len(), sop.num_tables(), "one entry per table");
    let handed = M::verify_final(ctx, sop, &public, ec.value, &proof.finals, t)
        .map_err(InstanceError::Final)?;
    Ok((ec.point, handed))
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InstanceError {
    #[error(transparent)]
    Sumcheck(#[from] SumcheckError),
    #[error("{0}")]
    Final(String),
}
