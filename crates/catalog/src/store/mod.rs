//! SQL of the catalog, portable between SQLite and PostgreSQL except where a function says
//! otherwise (full-text search, JSON field access).

pub mod agencies;
pub mod codelists;
pub mod holidays;
pub mod procedures;
pub mod registries;
pub mod settings;
pub mod units;
