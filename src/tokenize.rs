//! Hugging Face `tokenizer.json` files, through the `tokenizers` crate: a text
//! prompt or calibration text becomes the token ids the circuit proves, and
//! the proven next token becomes text again.

use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum TokenizeError {
    #[error("{path}: not a Hugging Face tokenizer.json: {why}")]
    Load { path: PathBuf, why: String },
    #[error("{path}: cannot tokenize the text: {why}")]
    Encode { path: PathBuf, why: String },
    #[error("{path}: the text has no tokens")]
    Empty { path: PathBuf },
    #[error(
        "{path}: token {id} ({piece:?}) is outside the model's vocabulary of {vocab}: \
         the tokenizer does not belong to this model"
    )]
    OutOfVocab {
        path: PathBuf,
        id: u32,
        piece: String,
        vocab: usize,
    },
}

/// A loaded `tokenizer.json`.
pub struct TextTokenizer {
    inner: tokenizers::Tokenizer,
    path: PathBuf,
}

impl TextTokenizer {
    pub fn load(path: &Path) -> Result<Self, TokenizeError> {
        let inner = tokenizers::Tokenizer::from_file(path).map_err(|e| TokenizeError::Load {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
        Ok(Self {
            inner,
            path: path.to_path_buf(),
        })
    }

    /// Token ids of `text`, with the tokenizer's own special tokens (a BOS,
    /// where its post-processor adds one), as `tokenizer(text)` does in
    /// transformers. Every id must be below `vocab`, the model's vocabulary.
    pub fn encode(&self, text: &str, vocab: usize) -> Result<Vec<i64>, TokenizeError> {
        let enc = self
            .inner
            .encode(text, true)
            .map_err(|e| TokenizeError::Encode {
                path: self.path.clone(),
                why: e.to_string(),
            })?;
        let ids = enc.get_ids();
        if ids.is_empty() {
            return Err(TokenizeError::Empty {
                path: self.path.clone(),
            });
        }
        if let Some(&id) = ids.iter().find(|&&id| id as usize >= vocab) {
            return Err(TokenizeError::OutOfVocab {
                path: self.path.clone(),
                id,
                piece: self.inner.id_to_token(id).unwrap_or_default(),
                vocab,
            });
        }
        Ok(ids.iter().map(|&i| i as i64).collect())
    }

    /// The text of one token (as it would be appended to the decoded prompt).
    pub fn decode_one(&self, id: usize) -> String {
        u32::try_from(id)
            .ok()
            .and_then(|id| self.inner.decode(&[id], false).ok())
            .unwrap_or_default()
    }
}
