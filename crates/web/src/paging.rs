//! Paging of list endpoints: `?page=1&per_page=20`, answered with the total count.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const MAX_PER_PAGE: u32 = 200;

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[serde(default, deserialize_with = "page_number")]
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Items per page, 1 to 200 (default 20).
    #[serde(default, deserialize_with = "page_size")]
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

/// A page number given is 1 or more: 0 is refused rather than read as 1.
fn page_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match Option::<u32>::deserialize(d)? {
        Some(0) => Err(serde::de::Error::custom("page: từ 1 (from 1)")),
        n => Ok(n),
    }
}

/// A page size given is within 1..=MAX_PER_PAGE: a larger one is refused rather than cut down
/// without a word.
fn page_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match Option::<u32>::deserialize(d)? {
        Some(n) if n == 0 || n > MAX_PER_PAGE => {
            Err(serde::de::Error::custom(format!("per_page: từ 1 đến {MAX_PER_PAGE} (1 to {MAX_PER_PAGE})")))
        }
        n => Ok(n),
    }
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
