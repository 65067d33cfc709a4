//! Paging of list endpoints: `?page=1&per_page=20`, answered with the total count.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const MAX_PER_PAGE: u32 = 200;

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 200 (default 20).
    pub per_page: Option<u32>,
}

impl PageQuery {
    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    pub fn per_page(&self) -> u32 {
        self.per_page.unwrap_or(20).clamp(1, MAX_PER_PAGE)
    }

    pub fn offset(&self) -> i64 {
        (self.page() as i64 - 1) * self.per_page() as i64
    }

    pub fn limit(&self) -> i64 {
        self.per_page() as i64
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T: ToSchema> Paged<T> {
    pub fn new(items: Vec<T>, total: i64, q: &PageQuery) -> Self {
        Paged { items, total, page: q.page(), per_page: q.per_page() }
    }

    pub fn pages(&self) -> u32 {
        ((self.total.max(0) as u64).div_ceil(self.per_page as u64)).max(1) as u32
    }
}
