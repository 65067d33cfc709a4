//! Document management (quản lý văn bản và điều hành) with inter-agency exchange: incoming
//! and outgoing registers with yearly numbering, assignment and handling, drafting, approval,
//! numbering and issue, edXML (QCVN 102:2016) packages signed with the agency's key and sent
//! through the exchange hub, which one deployment can play for others; status messages back
//! to the sender; search, spreadsheet exports, links to one-stop dossiers.

pub mod api;
pub mod hub_api;
pub mod model;
pub mod pages;
pub mod seed;
pub mod service;

pub use service::{Docflow, RemoteHub};
