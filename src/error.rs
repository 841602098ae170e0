//! Errors that end a run, and the exit codes they map to.

use std::path::PathBuf;

/// Process exit codes, documented in the README and `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// No finding at or above `--fail-on`.
    Clean = 0,
    /// At least one finding at or above `--fail-on`; for `reach`, the path is blocked.
    Findings = 1,
    /// Usage, input or credential error.
    Usage = 2,
    /// The scan completed but coverage is incomplete and `--require-complete` was given.
    Incomplete = 3,
    /// `reach`: the path cannot be decided offline (a firewall's rules, custom DNS, on-premises).
    Undetermined = 4,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {problem}")]
    Snapshot { path: PathBuf, problem: String },
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A report or snapshot could not be written where it was asked to go.
    #[error("cannot write {path}: {problem}")]
    Output { path: PathBuf, problem: String },
    /// No credential could be built, none yielded a token, or ARM rejected the token.
    #[error("authentication: {0}")]
    Credential(String),
    /// A live read that read nothing (no subscription, or not one of them readable).
    #[error("{0}")]
    NothingRead(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::Usage
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
