//! Errors of the core: each carries what was found and what was expected.
//!
//! The core never knows file names; readers in [`crate::io`] wrap these with
//! the file, row or key they were reading ([`Error::context`]).

use std::fmt;

/// One error type for the library; variants by area.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value failed validation: `what` names the quantity (and where it is
    /// known, the age, sex or year), `found` the offending value.
    #[error("{what}: found {found}, expected {expected}")]
    Invalid {
        /// The quantity, with its age, sex or year where known.
        what: String,
        /// The value found, as written.
        found: String,
        /// What was expected instead.
        expected: String,
    },
    /// An iterative method did not converge (e.g. raking to inconsistent totals).
    #[error("{what} did not converge: {detail}")]
    NoConvergence {
        /// The method or quantity.
        what: String,
        /// How far it got.
        detail: String,
    },
    /// An error with its location (file, row, key) added at the edge. The
    /// inner error is part of the message, not a separate `source`, so that
    /// a printed cause chain does not repeat it.
    #[error("{location}: {inner}")]
    At {
        /// File, row, key (or sheet and cell).
        location: String,
        /// The error found there.
        inner: Box<Error>,
    },
    /// Reading or writing failed.
    #[error("{path}: {message}")]
    Io {
        /// The file or folder.
        path: String,
        /// What the system said.
        message: String,
    },
}

/// Result with the library's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A validation error.
    pub fn invalid(
        what: impl Into<String>,
        found: impl fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            what: what.into(),
            found: found.to_string(),
            expected: expected.into(),
        }
    }

    /// Adds a location (file, row, key) in front of the message.
    pub fn context(self, location: impl Into<String>) -> Self {
        Error::At {
            location: location.into(),
            inner: Box::new(self),
        }
    }

    /// An I/O failure on `path`.
    pub fn io(path: impl fmt::Display, message: impl fmt::Display) -> Self {
        Error::Io {
            path: path.to_string(),
            message: message.to_string(),
        }
    }
}
