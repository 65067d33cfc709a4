//! The integration tests of `identity`, in one binary: each file below was its own test binary,
//! and every one of them linked the whole crate again.

mod accounts;
mod external;
mod oidc;
mod roles;
mod verify;
