//! Holidays and working-day arithmetic.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kernel::calendar::WorkingWeek;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{Admin, ApiResult, Json, Query};

use super::created;
use crate::Catalog;
use crate::model::holiday::{HolidayEntry, HolidayInput};

pub fn router() -> OpenApiRouter<Catalog> {
    OpenApiRouter::new()
        .routes(routes!(list_holidays, create_holiday))
        .routes(routes!(delete_holiday))
        .routes(routes!(add_days))
        .routes(routes!(between))
        .routes(routes!(get_week, put_week))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct YearQuery {
    /// Defaults to the current year.
    year: Option<i32>,
}

/// Holidays and make-up working days of a year (seeded from the Labour Code when first asked).
#[utoipa::path(get, path = "/api/holidays", tag = "calendar", params(YearQuery), responses((status = 200, body = Vec<HolidayEntry>)))]
async fn list_holidays(State(c): State<Catalog>, Query(q): Query<YearQuery>) -> ApiResult<Json<Vec<HolidayEntry>>> {
    let year = q.year.unwrap_or_else(|| kernel::time::today_vn().year());
    if !(1990..=2200).contains(&year) {
        return Err(kernel::Error::invalid("year", "từ 1990 đến 2200 (between 1990 and 2200)").into());
    }
    c.seed_holidays(year).await.or_problem()?;
    Ok(Json(c.holidays(year).await.or_problem()?))
}

/// Set a day off or a make-up working day for the province or one agency (administrator).
#[utoipa::path(post, path = "/api/holidays", tag = "calendar", request_body = HolidayInput, security(("admin" = [])),
    responses((status = 201, body = HolidayEntry), (status = 422, body = web::Problem)))]
async fn create_holiday(State(c): State<Catalog>, _: Admin, Json(input): Json<HolidayInput>) -> ApiResult<Response> {
    Ok(created(c.set_holiday(&input).await.or_problem()?))
}

/// Remove a holiday entry (administrator).
#[utoipa::path(delete, path = "/api/holidays/{id}", tag = "calendar", params(("id" = String, Path)), security(("admin" = [])),
    responses((status = 204), (status = 404, body = web::Problem)))]
async fn delete_holiday(State(c): State<Catalog>, _: Admin, Path(id): Path<String>) -> ApiResult<StatusCode> {
    c.delete_holiday(&id).await.or_problem()?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AddQuery {
    /// Start date, YYYY-MM-DD.
    from: String,
    /// Working days to add.
    days: u32,
    /// Agency code whose working week and holidays apply (default: the province's).
    agency: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct DateAnswer {
    from: String,
    days: u32,
    /// The date `days` working days after `from`.
    due: String,
}

fn date_param(field: &str, s: &str) -> ApiResult<time::Date> {
    kernel::time::parse_date(s).ok_or_else(|| kernel::Error::invalid(field, "dùng YYYY-MM-DD (use YYYY-MM-DD)").into())
}

/// The date a number of working days after a start date.
#[utoipa::path(get, path = "/api/calendar/add-working-days", tag = "calendar", params(AddQuery),
    responses((status = 200, body = DateAnswer), (status = 422, body = web::Problem)))]
async fn add_days(State(c): State<Catalog>, Query(q): Query<AddQuery>) -> ApiResult<Json<DateAnswer>> {
    let from = date_param("from", &q.from)?;
    if q.days > 3650 {
        return Err(kernel::Error::invalid("days", "tối đa 3650 (at most 3650)").into());
    }
    let due = c.add_working_days(q.agency.as_deref().filter(|s| !s.is_empty()), from, q.days).await.or_problem()?;
    Ok(Json(DateAnswer { from: kernel::time::date_text(from), days: q.days, due: kernel::time::date_text(due) }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct BetweenQuery {
    from: String,
    to: String,
    agency: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct CountAnswer {
    from: String,
    to: String,
    /// Working days in (from, to].
    working_days: i64,
}

/// How many working days lie between two dates.
#[utoipa::path(get, path = "/api/calendar/working-days-between", tag = "calendar", params(BetweenQuery),
    responses((status = 200, body = CountAnswer), (status = 422, body = web::Problem)))]
async fn between(State(c): State<Catalog>, Query(q): Query<BetweenQuery>) -> ApiResult<Json<CountAnswer>> {
    let (from, to) = (date_param("from", &q.from)?, date_param("to", &q.to)?);
    if (to - from).whole_days().abs() > 3660 * 3 {
        return Err(kernel::Error::invalid("to", "khoảng cách tối đa 30 năm (at most 30 years apart)").into());
    }
    let n = c.working_days_between(q.agency.as_deref().filter(|s| !s.is_empty()), from, to).await.or_problem()?;
    Ok(Json(CountAnswer { from: q.from, to: q.to, working_days: n }))
}

/// The province's default working week.
#[utoipa::path(get, path = "/api/calendar/default-week", tag = "calendar", responses((status = 200, body = Object)))]
async fn get_week(State(c): State<Catalog>) -> ApiResult<Json<WorkingWeek>> {
    Ok(Json(c.default_week().await.or_problem()?))
}

/// Change the province's default working week (administrator), e.g.
/// `{"mon": ["07:30-11:30", "13:30-17:00"], ..., "sat": ["07:30-11:30"]}`.
#[utoipa::path(put, path = "/api/calendar/default-week", tag = "calendar", request_body = Object, security(("admin" = [])),
    responses((status = 200, body = Object), (status = 422, body = web::Problem)))]
async fn put_week(State(c): State<Catalog>, _: Admin, Json(v): Json<serde_json::Value>) -> ApiResult<Json<WorkingWeek>> {
    let week: WorkingWeek = serde_json::from_value(v).map_err(|e| kernel::Error::invalid("working_week", e.to_string())).or_problem()?;
    if week.days.iter().all(Vec::is_empty) {
        return Err(kernel::Error::invalid("working_week", "cần ít nhất một ngày làm việc (at least one working day)").into());
    }
    c.set_default_week(&week).await.or_problem()?;
    Ok(Json(week))
}
