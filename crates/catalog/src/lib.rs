//! Shared catalogs (danh mục dùng chung): administrative units, agencies, code lists, holidays
//! and the working-day calendar, the procedure catalog with versions and e-forms, generic
//! registries behind the GovStack Digital Registries API, and Vietnamese-folded search.

pub mod api;
pub mod eform;
pub mod import;
pub mod model;
pub mod pages;
pub mod seed;
pub mod service;
pub mod store;

pub use service::Catalog;
