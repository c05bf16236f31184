//! The CLI commands, one file each. `anyhow` is used here only.

pub mod calibrate;
pub mod inspect;
pub mod progress;
pub mod prove;
pub mod setup;
pub mod verify;
