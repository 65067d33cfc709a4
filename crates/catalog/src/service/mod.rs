//! Catalog use cases: validate input (every bad field at once), check references, write in one
//! transaction. Other components use the catalog only through [`Catalog`].

mod agencies;
mod calendar;
mod codelists;
mod procedures;
mod registries;
mod units;

pub use registries::{DrQuery, DrWrite, UsageEntry};

use kernel::db::Db;

/// The catalog component's entry point.
#[derive(Clone)]
pub struct Catalog {
    pub db: Db,
}

impl Catalog {
    pub fn new(db: Db) -> Self {
        Catalog { db }
    }
}
