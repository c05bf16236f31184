//! Proving key, verifying key and proof files.
//!
//! Each file is `magic (8 bytes) ‖ format version (u32) ‖ SHA-256 of the body
//! ‖ body`; a truncated, corrupted or foreign file is a clear error, never a
//! panic. Bodies use the checked [`crate::wire`] encoding, with the graph as
//! length-prefixed JSON. The verifying key carries the graph without the
//! weights' data (it is public and small); its digest binds every proof.

use std::path::Path;

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::circuit::Statement;
use crate::commit::{HyraxCommitment, HyraxHint};
use crate::field::Fr;
use crate::ir::check::{check_graph, WeightData};
use crate::ir::stored::{Backing, IntWidth, StoredInts};
use crate::ir::{Data, Graph, Op};
use crate::wire::{Reader, Wire, WireError, Writer};

/// 2: commitments carry their row width (rows as wide as the generators).
/// 3: checked key graphs, weight-padding claims, the two-sided zkAttn row
/// sum, the logit scale in the statement, libm tables.
/// 6: weights and a proof's tensors committed in stacks (few Hyrax matrices).
/// 7: weight stacks in rows of their square shape.
/// 8: weight stacks opened by row folds (the proof's fold groups); the
/// proving key's weights in a section of narrow integers, read in place.
/// 9: weight stacks in rows as wide as the generators.
pub const FORMAT_VERSION: u32 = 9;
const PK_MAGIC: &[u8; 8] = b"ZKLLMPK\0";
const VK_MAGIC: &[u8; 8] = b"ZKLLMVK\0";
const PROOF_MAGIC: &[u8; 8] = b"ZKLLMPF\0";

#[derive(Debug, Error)]
pub enum ArtifactError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a zkllm {what} file (bad magic bytes)")]
    Magic { path: String, what: &'static str },
    #[error(
        "{path}: {what} file format version {found}, this zkllm reads version {FORMAT_VERSION}: {}",
        redo(what)
    )]
    Version {
        path: String,
        what: &'static str,
        found: u32,
    },
    #[error("{path}: file is truncated or corrupted (checksum mismatch)")]
    Checksum { path: String },
    #[error("{path}: malformed {what}: {why}")]
    Malformed {
        path: String,
        what: &'static str,
        why: String,
    },
}

/// The verifying key: public circuit and weight commitments.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyingKey {
    /// The quantized graph without weight data.
    pub graph: Graph,
    pub generator_seed: String,
    pub max_vars: usize,
    /// SHA-256 of the generators (`Generators::pin`): lets a verifier take
    /// them from its cache; checked against the derived ones otherwise.
    pub generators_pin: [u8; 32],
    pub weights: Vec<HyraxCommitment>,
}

/// The proving key: the verifying key plus weights and commitment blinds.
#[derive(Clone, Debug)]
pub struct ProvingKey {
    /// The quantized graph with weight data.
    pub graph: Graph,
    pub vk: VerifyingKey,
    pub weight_hints: Vec<HyraxHint>,
}

/// A proof file: the public statement and the proof.
#[derive(Clone, Debug, PartialEq)]
pub struct ProofFile {
    /// Digest of the verifying key the proof was made for.
    pub vk_digest: [u8; 32],
    pub statement: Statement,
    pub logit_frac_bits: i32,
    /// Zero-knowledge or clear: the header byte of the proof says which.
    pub proof: crate::circuit::AnyProof,
}

/// The graph with weight data removed (what the verifier sees).
pub fn public_graph(graph: &Graph) -> Graph {
    let mut g = graph.clone();
    for n in &mut g.nodes {
        if matches!(n.op, Op::Weight { .. }) {
            n.data = None;
        }
    }
    g
}

impl VerifyingKey {
    /// The key's body (the file after its header): what [`Self::digest`] hashes.
    pub fn body(&self) -> Vec<u8> {
        let mut w = Writer::new();
        put_json(&mut w, &self.graph);
        put_str(&mut w, &self.generator_seed);
        w.put_u32(self.max_vars as u32);
        w.put_bytes(&self.generators_pin);
        w.put_seq(&self.weights);
        w.into_bytes()
    }

    fn read_body(r: &mut Reader<'_>, path: &str) -> Result<Self, ArtifactError> {
        let bad = |why: String| ArtifactError::Malformed {
            path: path.into(),
            what: "verifying key",
            why,
        };
        let graph: Graph = get_json(r).map_err(bad)?;
        let generator_seed = get_str(r).map_err(|e| bad(e.to_string()))?;
        // Generators are hashed to the curve from the seed, so no seed gives
        // their owner discrete logs; the standard one leaves the key's
        // writer no choice at all.
        if generator_seed != crate::circuit::GENERATOR_SEED {
            return Err(bad(format!(
                "generator seed {generator_seed:?} is not zkllm's ({:?})",
                crate::circuit::GENERATOR_SEED
            )));
        }
        let max_vars = r.get_u32("max vars").map_err(|e| bad(e.to_string()))? as usize;
        let mut generators_pin = [0u8; 32];
        generators_pin.copy_from_slice(
            r.take(32, "generators digest")
                .map_err(|e| bad(e.to_string()))?,
        );
        let weights: Vec<HyraxCommitment> = r
            .get_seq("weight commitments")
            .map_err(|e| bad(e.to_string()))?;
        if max_vars > crate::commit::hyrax::MAX_NUM_VARS {
            return Err(bad("generator size out of range".into()));
        }
        check_key_graph(&graph, WeightData::Absent).map_err(&bad)?;
        let sizes = crate::circuit::weight_vars(&graph);
        let runs = crate::circuit::weight_stacks(&graph);
        if runs.len() != weights.len() {
            return Err(bad(format!(
                "{} weight commitments, the circuit's {} weight nodes make {} stacks",
                weights.len(),
                sizes.len(),
                runs.len()
            )));
        }
        // Each stack's commitment has the size, row width and row count
        // its layout and the generators prescribe.
        // Weights are in rows of `claims::folds::key_row_width`.
        let key_rows = crate::claims::folds::key_row_width(&sizes);
        let gen_cols = crate::commit::hyrax::square_col_vars(max_vars);
        for (k, (c, run)) in weights.iter().zip(&runs).enumerate() {
            let layout = crate::claims::StackLayout::new(&sizes[run.clone()]);
            let nv = layout.num_vars();
            let cols = key_rows.col_vars(nv, gen_cols);
            let rows = layout.used_rows(cols);
            if c.num_vars != nv || nv > max_vars || c.col_vars != cols || c.rows.len() != rows {
                return Err(bad(format!(
                    "weight stack {k} (weight nodes {}..{}) has a commitment of 2^{} entries in {} rows of 2^{}; its layout needs 2^{nv} in {rows} rows of 2^{cols} (generators: {max_vars})",
                    run.start, run.end, c.num_vars, c.rows.len(), c.col_vars
                )));
            }
        }
        Ok(Self {
            graph,
            generator_seed,
            max_vars,
            generators_pin,
            weights,
        })
    }

    /// SHA-256 of the key's body: what every proof is bound to.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.body()).into()
    }

    pub fn save(&self, path: &Path) -> Result<(), ArtifactError> {
        save(path, VK_MAGIC, &self.body())
    }

    pub fn load(path: &Path) -> Result<Self, ArtifactError> {
        let body = load(path, VK_MAGIC, "verifying key")?;
        Self::from_body(&body, &path.display().to_string())
    }

    /// Parses a key body (the file after its header; `path` names it in errors).
    pub fn from_body(body: &[u8], path: &str) -> Result<Self, ArtifactError> {
        let p = path.to_string();
        let mut r = Reader::new(body);
        let vk = Self::read_body(&mut r, &p)?;
        r.finish().map_err(|e| ArtifactError::Malformed {
            path: p,
            what: "verifying key",
            why: e.to_string(),
        })?;
        Ok(vk)
    }
}

impl ProvingKey {
    /// Writes the key: the circuit without weight data, the verifying key,
    /// the commitment blinds, then the weights section (per weight node, in
    /// node order: its width tag, entry count and little-endian entries in
    /// their narrowest width, [`crate::ir::stored`]) that [`Self::load`]
    /// reads in place.
    pub fn save(&self, path: &Path) -> Result<(), ArtifactError> {
        let p = path.display().to_string();
        let mut w = Writer::new();
        put_json(&mut w, &public_graph(&self.graph));
        w.put_bytes(&self.vk.body());
        w.put_u32(self.weight_hints.len() as u32);
        for h in &self.weight_hints {
            w.put_seq(&h.blinds);
        }
        let weights: Vec<&crate::ir::Node> = (self.graph.nodes.iter())
            .filter(|n| matches!(n.op, Op::Weight { .. }))
            .collect();
        w.put_u32(weights.len() as u32);
        for node in weights {
            let ints = match &node.data {
                Some(Data::I64(v)) => StoredInts::from_values(v),
                Some(Data::Stored(s)) => s.clone(),
                _ => {
                    return Err(ArtifactError::Malformed {
                        path: p,
                        what: "proving key",
                        why: format!(
                            "weight node {} '{}' has no integer data",
                            node.id, node.name
                        ),
                    })
                }
            };
            w.put_u8(ints.width().tag());
            w.put_u32(ints.len() as u32);
            w.put_u32((ints.len() >> 32) as u32);
            w.put_bytes(ints.raw());
        }
        save(path, PK_MAGIC, &w.into_bytes())
    }

    /// Reads a key file. Its checksum is checked by reading the file once;
    /// the weights are then read in place through a memory map of it (no
    /// copy of them in memory), as the witness and the openings need them.
    #[allow(unsafe_code)]
    pub fn load(path: &Path) -> Result<Self, ArtifactError> {
        let p = path.display().to_string();
        let io = |source| ArtifactError::Io {
            path: p.clone(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        check_file_header(&file, PK_MAGIC, "proving key", &p)?;
        // SAFETY: the map is read-only and lives as long as the weights that
        // read it. A key file changed by another process while it is mapped
        // can only change the values read (a proof that fails to verify); it
        // is the prover's own file.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        if map.len() < 44 || map[12..44] != load_hash(&file, &p)? {
            return Err(ArtifactError::Checksum { path: p });
        }
        Self::parse(std::sync::Arc::new(Backing::Map(map)), 44, &p)
    }

    /// Parses a key body (the file after its header; `path` names it in errors).
    pub fn from_body(body: &[u8], path: &str) -> Result<Self, ArtifactError> {
        Self::parse(std::sync::Arc::new(Backing::Owned(body.to_vec())), 0, path)
    }

    /// Parses the body that starts at `start` of `backing`; the weights
    /// stay there, read in place.
    fn parse(
        backing: std::sync::Arc<Backing>,
        start: usize,
        path: &str,
    ) -> Result<Self, ArtifactError> {
        let p = path.to_string();
        let bad = |why: String| ArtifactError::Malformed {
            path: p.clone(),
            what: "proving key",
            why,
        };
        let bytes: &[u8] = match backing.as_ref() {
            Backing::Map(m) => m,
            Backing::Owned(v) => v,
        };
        let body = &bytes[start..];
        let mut r = Reader::new(body);
        let mut graph: Graph = get_json(&mut r).map_err(bad)?;
        check_key_graph(&graph, WeightData::Absent).map_err(bad)?;
        let vk = VerifyingKey::read_body(&mut r, &p)?;
        let n = r.get_u32("hint count").map_err(|e| bad(e.to_string()))? as usize;
        if n != vk.weights.len() {
            return Err(bad(
                "hint count does not match the weight commitments".into()
            ));
        }
        let mut weight_hints = Vec::with_capacity(n);
        for _ in 0..n {
            let blinds: Vec<Fr> = r.get_seq("blinds").map_err(|e| bad(e.to_string()))?;
            weight_hints.push(HyraxHint { blinds });
        }
        if graph != vk.graph {
            return Err(bad(
                "the embedded verifying key does not match the circuit".into()
            ));
        }
        let weight_nodes: Vec<usize> = (graph.nodes.iter())
            .filter(|n| matches!(n.op, Op::Weight { .. }))
            .map(|n| n.id)
            .collect();
        let count = r.get_u32("weight count").map_err(|e| bad(e.to_string()))? as usize;
        if count != weight_nodes.len() {
            return Err(bad(format!(
                "{count} weights stored for {} weight nodes",
                weight_nodes.len()
            )));
        }
        for id in weight_nodes {
            let node = &graph.nodes[id];
            let name = format!("weight node {id} '{}'", node.name);
            let e = |e: WireError| bad(format!("{name}: {e}"));
            let tag = r.get_u8("weight width").map_err(e)?;
            let width = IntWidth::from_tag(tag)
                .ok_or_else(|| bad(format!("{name}: unknown integer width {tag}")))?;
            let lo = r.get_u32("weight entries").map_err(e)? as u64;
            let hi = r.get_u32("weight entries").map_err(e)? as u64;
            let len =
                usize::try_from(lo | hi << 32).map_err(|_| bad(format!("{name}: too large")))?;
            if len != crate::ir::numel(&node.shape) {
                return Err(bad(format!(
                    "{name}: {len} entries stored for shape {:?}",
                    node.shape
                )));
            }
            let offset = start + body.len() - r.remaining();
            let size = len
                .checked_mul(width.bytes())
                .ok_or_else(|| bad(format!("{name}: too large")))?;
            r.take(size, "weight entries").map_err(e)?;
            let ints = StoredInts::new(backing.clone(), offset, len, width)
                .ok_or_else(|| bad(format!("{name}: entries past the end of the file")))?;
            graph.nodes[id].data = Some(Data::Stored(ints));
        }
        r.finish().map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            graph,
            vk,
            weight_hints,
        })
    }
}

impl ProofFile {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.put_bytes(&self.vk_digest);
        put_i64s(&mut w, &self.statement.ids);
        w.put_u32(self.statement.position as u32);
        match self.statement.next_token {
            Some(t) => {
                w.put_u8(2);
                w.put_u32(t as u32);
            }
            None => w.put_u8(self.statement.all_positions as u8),
        }
        put_i64s(&mut w, &self.statement.logits);
        w.put_u32(self.logit_frac_bits as u32);
        self.proof.write(&mut w);
        w.into_bytes()
    }

    pub fn from_body(body: &[u8], path: &str) -> Result<Self, ArtifactError> {
        let bad = |e: WireError| ArtifactError::Malformed {
            path: path.into(),
            what: "proof",
            why: e.to_string(),
        };
        // A proof's points are checked to be on the curve, not in the
        // subgroup: see `wire::PointCheck::OnCurve` for why that is sound.
        let mut r = Reader::for_proof(body);
        let mut vk_digest = [0u8; 32];
        vk_digest.copy_from_slice(r.take(32, "vk digest").map_err(bad)?);
        let ids = get_i64s(&mut r).map_err(bad)?;
        let position = r.get_u32("position").map_err(bad)? as usize;
        let (all_positions, next_token) = match r.get_u8("public-output kind").map_err(bad)? {
            0 => (false, None),
            1 => (true, None),
            2 => (false, Some(r.get_u32("next token").map_err(bad)? as usize)),
            _ => {
                return Err(bad(WireError::Invalid {
                    what: "public-output kind",
                }))
            }
        };
        let logits = get_i64s(&mut r).map_err(bad)?;
        let logit_frac_bits = r.get_u32("logit scale").map_err(bad)? as i32;
        let proof = r.get_parallel::<crate::circuit::AnyProof>().map_err(bad)?;
        r.finish().map_err(bad)?;
        Ok(Self {
            vk_digest,
            statement: Statement {
                ids,
                position,
                all_positions,
                logits,
                next_token,
            },
            logit_frac_bits,
            proof,
        })
    }

    pub fn save(&self, path: &Path) -> Result<(), ArtifactError> {
        save(path, PROOF_MAGIC, &self.to_bytes())
    }

    pub fn load(path: &Path) -> Result<Self, ArtifactError> {
        let body = load(path, PROOF_MAGIC, "proof")?;
        Self::from_body(&body, &path.display().to_string())
    }
}

fn save(path: &Path, magic: &[u8; 8], body: &[u8]) -> Result<(), ArtifactError> {
    use std::io::Write;
    let io = |source| ArtifactError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    f.write_all(magic).map_err(io)?;
    f.write_all(&FORMAT_VERSION.to_le_bytes()).map_err(io)?;
    f.write_all(&Sha256::digest(body)).map_err(io)?;
    f.write_all(body).map_err(io)?;
    f.flush().map_err(io)
}

/// Checks a file's magic and version from its first bytes.
fn check_file_header(
    file: &std::fs::File,
    magic: &[u8; 8],
    what: &'static str,
    p: &str,
) -> Result<(), ArtifactError> {
    use std::io::Read;
    let mut head = Vec::with_capacity(44);
    file.take(44)
        .read_to_end(&mut head)
        .map_err(|source| ArtifactError::Io {
            path: p.into(),
            source,
        })?;
    check_magic_version(&head, magic, what, p)
}

/// Checks the magic and format version at the start of a file's bytes
/// (its 44-byte header or more).
fn check_magic_version(
    bytes: &[u8],
    magic: &[u8; 8],
    what: &'static str,
    p: &str,
) -> Result<(), ArtifactError> {
    if bytes.len() < 8 || &bytes[..8] != magic {
        return Err(ArtifactError::Magic {
            path: p.into(),
            what,
        });
    }
    if bytes.len() < 44 {
        return Err(ArtifactError::Checksum { path: p.into() });
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != FORMAT_VERSION {
        return Err(ArtifactError::Version {
            path: p.into(),
            what,
            found: version,
        });
    }
    Ok(())
}

/// SHA-256 of the file after its 44-byte header, read in pieces (the file
/// is not held in memory).
fn load_hash(file: &std::fs::File, p: &str) -> Result<[u8; 32], ArtifactError> {
    use std::io::{Read, Seek};
    let io = |source| ArtifactError::Io {
        path: p.into(),
        source,
    };
    let mut f = file;
    f.seek(std::io::SeekFrom::Start(44)).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// Reads a file and checks magic, version and checksum; returns the body.
pub fn load(path: &Path, magic: &[u8; 8], what: &'static str) -> Result<Vec<u8>, ArtifactError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ArtifactError::Io {
        path: p.clone(),
        source,
    })?;
    check_header(&bytes, magic, what, &p).map(|b| b.to_vec())
}

/// What to do with a file of another format version.
fn redo(what: &str) -> &'static str {
    if what.contains("proof") {
        "prove again with this version (and keys from its `zkllm setup`)"
    } else {
        "run `zkllm setup` again with this version to rebuild the keys"
    }
}

/// Checks magic, version and checksum of in-memory file bytes.
pub fn check_header<'a>(
    bytes: &'a [u8],
    magic: &[u8; 8],
    what: &'static str,
    p: &str,
) -> Result<&'a [u8], ArtifactError> {
    check_magic_version(bytes, magic, what, p)?;
    let body = &bytes[44..];
    if Sha256::digest(body).as_slice() != &bytes[12..44] {
        return Err(ArtifactError::Checksum { path: p.into() });
    }
    Ok(body)
}

/// The graph check every key passes before any use: the structural rules
/// of [`crate::ir::check`], then the circuit's own limits ([`Plan::new`]:
/// widths, shifts, table sizes, zkAttn bands), each error naming the node.
///
/// [`Plan::new`]: crate::circuit::Plan::new
pub fn check_key_graph(graph: &Graph, weights: WeightData) -> Result<(), String> {
    check_graph(graph, weights).map_err(|e| format!("invalid circuit: {e}"))?;
    crate::circuit::Plan::new(graph).map_err(|e| format!("invalid circuit: {e}"))?;
    Ok(())
}

pub const PROOF_FILE_MAGIC: &[u8; 8] = PROOF_MAGIC;

fn put_json<T: serde::Serialize>(w: &mut Writer, v: &T) {
    let s = serde_json::to_vec(v).expect("graph serialises");
    w.put_u32(s.len() as u32);
    w.put_bytes(&s);
}

fn get_json<T: serde::de::DeserializeOwned>(r: &mut Reader<'_>) -> Result<T, String> {
    let n = r.get_u32("json length").map_err(|e| e.to_string())? as usize;
    let b = r.take(n, "json").map_err(|e| e.to_string())?;
    serde_json::from_slice(b).map_err(|e| e.to_string())
}

fn put_str(w: &mut Writer, s: &str) {
    w.put_u32(s.len() as u32);
    w.put_bytes(s.as_bytes());
}

fn get_str(r: &mut Reader<'_>) -> Result<String, WireError> {
    let n = r.get_u32("string length")? as usize;
    let b = r.take(n, "string")?;
    String::from_utf8(b.to_vec()).map_err(|_| WireError::Invalid {
        what: "utf-8 string",
    })
}

fn put_i64s(w: &mut Writer, v: &[i64]) {
    w.put_u32(v.len() as u32);
    for x in v {
        w.put_bytes(&x.to_le_bytes());
    }
}

fn get_i64s(r: &mut Reader<'_>) -> Result<Vec<i64>, WireError> {
    let n = r.get_u32("integer count")? as usize;
    if n.saturating_mul(8) > r.remaining() {
        return Err(WireError::LengthTooLarge {
            what: "integers",
            len: n,
            left: r.remaining(),
        });
    }
    (0..n)
        .map(|_| {
            let b = r.take(8, "integer")?;
            Ok(i64::from_le_bytes(b.try_into().expect("8 bytes")))
        })
        .collect()
}
