//! The console's calendar: holidays and make-up days of a year, and the working week.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use web::{Caller, Shell, render};

use super::*;

#[derive(Template)]
#[template(path = "admin_calendar.html")]
struct CalendarPage {
    shell: Shell,
    csrf: String,
    year: i32,
    days: Vec<HolidayEntry>,
    /// Per weekday: key, name, sessions as text (`07:30-11:30, 13:30-17:00`), empty for a day off.
    week: Vec<(&'static str, &'static str, String)>,
    form: HolidayInput,
    errors: Vec<String>,
    notice: Option<String>,
}

const WEEKDAYS: [(&str, &str, &str); 7] = [
    ("mon", "Thứ Hai", "Monday"),
    ("tue", "Thứ Ba", "Tuesday"),
    ("wed", "Thứ Tư", "Wednesday"),
    ("thu", "Thứ Năm", "Thursday"),
    ("fri", "Thứ Sáu", "Friday"),
    ("sat", "Thứ Bảy", "Saturday"),
    ("sun", "Chủ Nhật", "Sunday"),
];

fn hm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn week_rows(w: &WorkingWeek, en: bool, sent: Option<&[(String, String)]>) -> Vec<(&'static str, &'static str, String)> {
    WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let text = match sent {
                Some(f) => get(f, d.0).to_owned(),
                None => w.days[i].iter().map(|s| format!("{}-{}", hm(s.start), hm(s.end))).collect::<Vec<_>>().join(", "),
            };
            (d.0, if en { d.2 } else { d.1 }, text)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn show_calendar(
    c: &Catalog,
    shell: Shell,
    caller: &Caller,
    year: i32,
    form: HolidayInput,
    sent_week: Option<&[(String, String)]>,
    errors: Vec<String>,
    notice: Option<String>,
) -> Response {
    let run = async { Ok::<_, kernel::Error>((c.holidays(year).await?, c.default_week().await?)) };
    match run.await {
        Ok((days, week)) => {
            let en = shell.lang.is_en();
            let title = shell.t("Ngày nghỉ và tuần làm việc", "Holidays and the working week").to_owned();
            failed(
                render(&CalendarPage {
                    shell: shell.titled(title, "admin"),
                    csrf: caller.csrf.clone().unwrap_or_default(),
                    year,
                    days,
                    week: week_rows(&week, en, sent_week),
                    form,
                    errors: errors.clone(),
                    notice,
                }),
                &errors,
            )
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

fn this_year() -> i32 {
    kernel::time::today_vn().year()
}

pub async fn calendar(State(c): State<Catalog>, shell: Shell, caller: Caller, web::Query(q): web::Query<ListQuery>) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, "/admin/calendar") {
        return r;
    }
    let year = q.year.filter(|y| (2000..=2100).contains(y)).unwrap_or_else(this_year);
    let notice = q.ok.map(|what| match what.as_str() {
        "week" => shell.t("Đã lưu tuần làm việc.", "Working week saved.").to_owned(),
        "removed" => shell.t("Đã xoá ngày.", "Day removed.").to_owned(),
        d => format!("{} {d}.", shell.t("Đã lưu ngày", "Saved the day")),
    });
    let form = HolidayInput { kind: Some("off".into()), ..Default::default() };
    show_calendar(&c, shell, &caller, year, form, None, vec![], notice).await
}

pub async fn add_day(State(c): State<Catalog>, shell: Shell, caller: Caller, body: String) -> Response {
    if let Err(r) = catalog_admin_post(&shell, &caller, "/admin/calendar", &body) {
        return r;
    }
    let f = pairs(&body);
    let input = HolidayInput {
        date: get(&f, "date").into(),
        agency_code: opt(&f, "agency_code"),
        kind: opt(&f, "kind"),
        name: get(&f, "name").into(),
        name_en: opt(&f, "name_en"),
    };
    let year = input.date.get(..4).and_then(|y| y.parse().ok()).unwrap_or_else(this_year);
    match c.set_holiday(&input).await {
        Ok(d) => Redirect::to(&format!("/admin/calendar?year={}&ok={}", d.date.year(), kernel::time::date_text(d.date))).into_response(),
        Err(kernel::Error::Invalid(errors)) => show_calendar(&c, shell, &caller, year, input, None, messages(errors), None).await,
        Err(e) => web::page::error_page(shell, e),
    }
}

pub async fn remove_day(State(c): State<Catalog>, shell: Shell, caller: Caller, Path(id): Path<String>, body: String) -> Response {
    if let Err(r) = catalog_admin_post(&shell, &caller, "/admin/calendar", &body) {
        return r;
    }
    let year = get(&pairs(&body), "year").parse().unwrap_or_else(|_| this_year());
    match c.delete_holiday(&id).await {
        Ok(()) => Redirect::to(&format!("/admin/calendar?year={year}&ok=removed")).into_response(),
        Err(e) => web::page::error_page(shell, e),
    }
}

pub async fn save_week(State(c): State<Catalog>, shell: Shell, caller: Caller, body: String) -> Response {
    if let Err(r) = catalog_admin_post(&shell, &caller, "/admin/calendar", &body) {
        return r;
    }
    let f = pairs(&body);
    let mut week = WorkingWeek { days: Default::default() };
    let mut errors = Vec::new();
    for (i, d) in WEEKDAYS.iter().enumerate() {
        for part in get(&f, d.0).split([',', ';']).map(str::trim).filter(|s| !s.is_empty()) {
            match Session::parse(part) {
                Some(s) if week.days[i].last().is_none_or(|l: &Session| l.end <= s.start) => week.days[i].push(s),
                _ => {
                    errors.push(format!("{}: «{part}» — ghi giờ như 07:30-11:30, theo thứ tự (write hours as 07:30-11:30, in order)", d.1))
                }
            }
        }
    }
    if week.days.iter().all(Vec::is_empty) {
        errors.push(shell.t("Cần ít nhất một ngày làm việc trong tuần.", "At least one working day is needed.").to_owned());
    }
    let year = get(&f, "year").parse().unwrap_or_else(|_| this_year());
    if !errors.is_empty() {
        let form = HolidayInput { kind: Some("off".into()), ..Default::default() };
        return show_calendar(&c, shell, &caller, year, form, Some(&f), errors, None).await;
    }
    match c.set_default_week(&week).await {
        Ok(()) => Redirect::to(&format!("/admin/calendar?year={year}&ok=week")).into_response(),
        Err(e) => web::page::error_page(shell, e),
    }
}
