//! The CLI commands, one file each. `anyhow` is used here only.

pub mod inspect;
