//! Generators with no known discrete-log relations.
//!
//! Each generator is the IETF hash-to-curve (`BLS12381G1_XMD:SHA-256_SSWU_RO_`)
//! of its label and index under a domain that includes the public seed
//! string, so anyone can recompute them and nobody knows a relation between
//! them: the binding of every commitment rests on that.

use ark_bls12_381::g1::Config as G1Config;
use ark_ec::hashing::curve_maps::wb::WBMap;
use ark_ec::hashing::map_to_curve_hasher::MapToCurveBasedHasher;
use ark_ec::hashing::HashToCurve;
use ark_ff::field_hashers::DefaultFieldHasher;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::field::{G1Affine, G1Projective};
use crate::wire::hex;

type G1Hasher =
    MapToCurveBasedHasher<G1Projective, DefaultFieldHasher<Sha256, 128>, WBMap<G1Config>>;

/// Pedersen/Hyrax generators: `g` for vector entries, `h` for blinds, `u` for
/// the inner-product value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generators {
    seed: String,
    pub g: Vec<G1Affine>,
    pub h: G1Affine,
    pub u: G1Affine,
}

impl Generators {
    /// Derives `2^log_len` vector generators (plus `h` and `u`) from `seed`.
    /// The `i`-th generator depends on the seed and `i` alone, so a smaller
    /// set is a prefix of a larger one: the process keeps the largest set
    /// it derived per seed and derives only what is missing.
    pub fn new(seed: &str, log_len: usize) -> Self {
        type Memo = std::collections::HashMap<String, Generators>;
        static DERIVED: std::sync::Mutex<Option<Memo>> = std::sync::Mutex::new(None);
        let len = 1usize << log_len;
        let mut memo = DERIVED.lock().unwrap_or_else(|e| e.into_inner());
        let memo = memo.get_or_insert_with(Default::default);
        if let Some(known) = memo.get(seed) {
            if known.g.len() >= len {
                let mut out = known.clone();
                out.g.truncate(len);
                return out;
            }
        }
        let mut g: Vec<G1Affine> = memo.get(seed).map(|k| k.g.clone()).unwrap_or_default();
        let out = Self::derive(seed, g.len(), &mut g, len);
        memo.insert(seed.to_string(), out.clone());
        out
    }

    /// [`Self::new`] without the process's memo: what deriving costs.
    pub fn derive_fresh(seed: &str, log_len: usize) -> Self {
        Self::derive(seed, 0, &mut Vec::new(), 1 << log_len)
    }

    /// Hashes generators `from..len` onto the end of `known` (the first
    /// `from`), and `h`, `u`.
    fn derive(seed: &str, from: usize, known: &mut Vec<G1Affine>, len: usize) -> Self {
        let dst = format!("zkllm-v{}-generators-{seed}", crate::PROTOCOL_VERSION);
        let hasher = G1Hasher::new(dst.as_bytes()).expect("valid hash-to-curve parameters");
        let hash = |msg: &[u8]| hasher.hash(msg).expect("hash to curve succeeds");
        known.truncate(from);
        let missing: Vec<G1Affine> = (from as u64..len as u64)
            .into_par_iter()
            .map(|i| hash(&[b"G".as_slice(), &i.to_le_bytes()].concat()))
            .collect();
        known.extend(missing);
        Self {
            seed: seed.to_string(),
            g: std::mem::take(known),
            h: hash(b"H"),
            u: hash(b"U"),
        }
    }

    pub fn seed(&self) -> &str {
        &self.seed
    }

    /// Base-2 log of the number of vector generators.
    pub fn log_len(&self) -> usize {
        self.g.len().trailing_zeros() as usize
    }

    /// Digest of the seed and size, which determine every generator.
    pub fn digest(&self) -> [u8; 32] {
        seed_digest(&self.seed, self.log_len())
    }

    /// SHA-256 of every generator's uncompressed encoding (`g`, then `h`,
    /// `u`): what a verifying key pins, so a verifier can take generators
    /// from its cache without deriving them again, and a key made with
    /// other generators is refused.
    pub fn pin(&self) -> [u8; 32] {
        Sha256::digest(encode_points(self.all())).into()
    }

    fn all(&self) -> impl Iterator<Item = &G1Affine> {
        self.g.iter().chain([&self.h, &self.u])
    }

    /// The generators for `seed` and `log_len` that a key pins by `pin`:
    /// read from `cache` when a file there holds exactly them, else derived
    /// (and then written there for the next run). A cache file whose points
    /// do not hash to `pin` — edited, truncated, or from another version —
    /// is ignored and replaced, so the cache is never trusted beyond the
    /// key; a key whose pin is not the derived generators' is an error.
    pub fn pinned(
        seed: &str,
        log_len: usize,
        pin: &[u8; 32],
        cache: Option<&Path>,
    ) -> Result<Self, GeneratorError> {
        let file = cache.map(|dir| dir.join(cache_file_name(pin)));
        if let Some(gens) = file.and_then(|f| read_cache(&f, seed, log_len, pin)) {
            return Ok(gens);
        }
        let (gens, derived) = Self::derive_cached(seed, log_len, cache);
        if &derived != pin {
            return Err(GeneratorError::PinMismatch {
                pinned: hex(pin),
                derived: hex(&derived),
            });
        }
        Ok(gens)
    }

    /// Derives the generators, writes them to the cache in `cache` for
    /// [`Self::pinned`], and returns them with their [`pin`](Self::pin).
    /// Writing is best effort: without a writable cache, the next run
    /// derives again.
    pub fn derive_cached(seed: &str, log_len: usize, cache: Option<&Path>) -> (Self, [u8; 32]) {
        let gens = Self::new(seed, log_len);
        let pin = gens.pin();
        if let Some(dir) = cache {
            let _ = write_cache(&dir.join(cache_file_name(&pin)), &gens);
        }
        (gens, pin)
    }
}

/// A key's generators are not the ones its seed and size derive.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GeneratorError {
    #[error("the key pins generators with digest {pinned}, but its seed and size derive generators with digest {derived}: the key was not made with zkllm's generators")]
    PinMismatch { pinned: String, derived: String },
}

/// Where generators are cached: `$ZKLLM_CACHE` (empty turns the cache off),
/// else `$XDG_CACHE_HOME/zkllm`, else `$HOME/.cache/zkllm`.
pub fn cache_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(v) = std::env::var_os("ZKLLM_CACHE") {
        return (!v.is_empty()).then(|| PathBuf::from(v));
    }
    var("XDG_CACHE_HOME")
        .map(|d| PathBuf::from(d).join("zkllm"))
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache").join("zkllm")))
}

fn seed_digest(seed: &str, log_len: usize) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"zkllm-generators");
    h.update((seed.len() as u64).to_le_bytes());
    h.update(seed.as_bytes());
    h.update((log_len as u64).to_le_bytes());
    h.finalize().into()
}

const CACHE_MAGIC: &[u8; 8] = b"ZKLLMGEN";
const POINT_BYTES: usize = 96;

fn cache_file_name(pin: &[u8; 32]) -> String {
    format!("generators-{}.bin", &hex(pin)[..32])
}

fn encode_points<'a>(points: impl Iterator<Item = &'a G1Affine>) -> Vec<u8> {
    let mut out = Vec::new();
    for p in points {
        p.serialize_uncompressed(&mut out)
            .expect("writing to a vector succeeds");
    }
    out
}

/// The cache file: magic, the seed-and-size digest, then every point
/// uncompressed (no square roots to read it back).
fn write_cache(file: &Path, gens: &Generators) -> std::io::Result<()> {
    let dir = file.parent().expect("a cache file is in a directory");
    std::fs::create_dir_all(dir)?;
    let mut bytes = CACHE_MAGIC.to_vec();
    bytes.extend_from_slice(&gens.digest());
    bytes.extend(encode_points(gens.all()));
    // Written whole under a name unique to this write, then renamed: a
    // concurrent reader sees the old file or the new one, never part of one.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp",
        file.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("generators"),
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&tmp, &bytes)?;
    std::fs::rename(&tmp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// The cached generators, if the file holds `2^log_len + 2` points for
/// `seed` that hash to `pin` and lie on the curve; otherwise `None`.
fn read_cache(file: &Path, seed: &str, log_len: usize, pin: &[u8; 32]) -> Option<Generators> {
    let bytes = std::fs::read(file).ok()?;
    let (head, points) = bytes.split_at_checked(CACHE_MAGIC.len() + 32)?;
    if &head[..8] != CACHE_MAGIC || head[8..] != seed_digest(seed, log_len) {
        return None;
    }
    let count = (1usize << log_len) + 2;
    if points.len() != count * POINT_BYTES || &<[u8; 32]>::from(Sha256::digest(points)) != pin {
        return None;
    }
    let mut all: Vec<G1Affine> = points
        .par_chunks(POINT_BYTES)
        .map(|b| {
            let p = G1Affine::deserialize_uncompressed_unchecked(b).ok()?;
            p.is_on_curve().then_some(p)
        })
        .collect::<Option<_>>()?;
    let u = all.pop()?;
    let h = all.pop()?;
    Some(Generators {
        seed: seed.to_string(),
        g: all,
        h,
        u,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_reproducible_and_distinct() {
        let a = Generators::new("test", 3);
        let b = Generators::new("test", 3);
        assert_eq!(a, b);
        let c = Generators::new("other", 3);
        assert_ne!(a.g[0], c.g[0]);
        let mut all = a.g.clone();
        all.push(a.h);
        all.push(a.u);
        for i in 0..all.len() {
            for j in 0..i {
                assert_ne!(all[i], all[j]);
            }
        }
        assert!(a
            .g
            .iter()
            .all(|p| p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve()));
    }

    #[test]
    fn pinned_generators_come_from_the_cache_only_when_they_hash_to_the_pin() {
        let dir = std::env::temp_dir().join(format!("zkllm-gens-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let want = Generators::new("cache-test", 4);
        let pin = want.pin();
        let file = dir.join(cache_file_name(&pin));
        // A miss derives and writes the file; a hit reads the same points.
        assert_eq!(read_cache(&file, "cache-test", 4, &pin), None);
        assert_eq!(
            Generators::pinned("cache-test", 4, &pin, Some(&dir)).unwrap(),
            want
        );
        assert_eq!(read_cache(&file, "cache-test", 4, &pin), Some(want.clone()));
        assert_eq!(
            Generators::pinned("cache-test", 4, &pin, Some(&dir)).unwrap(),
            want
        );
        // The same file is no hit for another size or seed.
        assert_eq!(read_cache(&file, "cache-test", 3, &pin), None);
        assert_eq!(read_cache(&file, "other", 4, &pin), None);
        // An edited or truncated file is ignored, and replaced by the
        // derived points.
        let good = std::fs::read(&file).unwrap();
        let mut edited = good.clone();
        edited[40 + 96 * 3 + 5] ^= 1;
        std::fs::write(&file, &edited).unwrap();
        assert_eq!(read_cache(&file, "cache-test", 4, &pin), None);
        assert_eq!(
            Generators::pinned("cache-test", 4, &pin, Some(&dir)).unwrap(),
            want
        );
        assert_eq!(std::fs::read(&file).unwrap(), good);
        std::fs::write(&file, &good[..good.len() - 1]).unwrap();
        assert_eq!(read_cache(&file, "cache-test", 4, &pin), None);
        // A pin that is not the derived generators' is refused, cache or not.
        let mut wrong = pin;
        wrong[0] ^= 1;
        for cache in [Some(dir.as_path()), None] {
            let e = Generators::pinned("cache-test", 4, &wrong, cache).unwrap_err();
            assert!(
                e.to_string().contains("not made with zkllm's generators"),
                "{e}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
