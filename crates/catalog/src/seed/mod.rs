//! Seed data: the system code lists every deployment has, and the invented demo province that
//! `tinhso demo` serves. The demo data is ours; procedure names follow the national catalog.

mod demo;
mod procedure_rows;
mod procedures;
mod system;

pub use demo::{DEMO_PROVINCE_AGENCY, DEMO_PROVINCE_NAME, demo};
pub use procedures::{FIELDS, demo_procedures};
pub use system::system;
