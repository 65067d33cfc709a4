//! The error every component returns. The web layer maps it once to problem+json
//! (RFC 9457) with a stable `type` and Vietnamese/English messages.

use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One invalid input field, named as the client sent it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input fails validation; nothing was changed.
    #[error("invalid input: {}", summary(.0))]
    Invalid(Vec<FieldError>),
    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with the current state (duplicate, stale version, wrong state).
    #[error("conflict: {0}")]
    Conflict(String),
    /// No or bad credentials.
    #[error("authentication required")]
    Unauthorized,
    /// Credentials are fine but the action is not allowed.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The caller has asked too often; try again later.
    #[error("too many requests: {0}")]
    TooMany(String),
    /// The request is well-formed but not something the server can do (bad file type, etc.).
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

fn summary(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound(what.into())
    }

    pub fn conflict(what: impl Into<String>) -> Self {
        Error::Conflict(what.into())
    }

    pub fn internal(what: impl std::fmt::Display) -> Self {
        Error::Internal(what.to_string())
    }

    /// True when the database refused a duplicate key.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Error::Db(e) => e.as_database_error().is_some_and(|d| d.is_unique_violation()),
            _ => false,
        }
    }
}

/// Collects field errors while validating a whole input, so the caller hears about every bad
/// field at once.
#[derive(Debug, Default)]
pub struct Violations(pub Vec<FieldError>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Records the error of `r` under `field` and returns its value if any.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: std::result::Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Invalid(self.0)) }
    }
}
