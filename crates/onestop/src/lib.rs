//! The one-stop dossier engine (một cửa điện tử): dossiers from submission to result, the
//! workflow engine running procedures' process definitions, tasks in officers' inboxes,
//! deadlines in working time, supplements and payments that stop the clock, apologies,
//! history, events for notifications and the national portal, statistics.

pub mod api;
pub mod documents;
pub mod model;
pub mod pages;
pub mod registration;
pub mod seed;
pub mod service;
pub mod store;

pub use service::Onestop;
