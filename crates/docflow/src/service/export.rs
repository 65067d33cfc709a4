//! Registers exported as spreadsheets (.xlsx): the incoming or outgoing register of an agency
//! for a year, with the columns of the paper register (NĐ 30/2020 appendix).

use kernel::authz::Principal;
use kernel::{Error, Result};
use rust_xlsxwriter::{Format, Workbook};

use super::Docflow;
use super::read::DocumentFilter;
use crate::model::{Direction, priority_label};

impl Docflow {
    /// The register of `direction` for `year` as an .xlsx workbook, with the caller's visibility.
    pub async fn export_register(&self, p: &Principal, agency_code: Option<&str>, direction: Direction, year: i32) -> Result<Vec<u8>> {
        let agency = self.acting_agency(p, agency_code).await?;
        let f = DocumentFilter {
            direction: Some(direction.as_str().into()),
            agency_code: Some(agency.code.clone()),
            year: Some(year as i64),
            ..Default::default()
        };
        let (mut docs, _) = self.search(p, &f, 0, 100_000).await?;
        docs.sort_by_key(|d| (d.register_code.clone(), d.reg_number));
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let title = match direction {
            Direction::Incoming => format!("SỔ ĐĂNG KÝ VĂN BẢN ĐẾN NĂM {year} — {}", agency.name),
            Direction::Outgoing => format!("SỔ ĐĂNG KÝ VĂN BẢN ĐI NĂM {year} — {}", agency.name),
        };
        let bold = Format::new().set_bold();
        let wrap = Format::new().set_text_wrap();
        let err = |e: rust_xlsxwriter::XlsxError| Error::internal(format!("xlsx: {e}"));
        ws.set_name(if direction == Direction::Incoming { "Văn bản đến" } else { "Văn bản đi" }).map_err(err)?;
        ws.write_string_with_format(0, 0, &title, &bold).map_err(err)?;
        let headers: &[&str] = match direction {
            Direction::Incoming => &[
                "Sổ",
                "Số đến",
                "Ngày đến",
                "Tác giả (nơi gửi)",
                "Số, ký hiệu",
                "Ngày văn bản",
                "Loại",
                "Trích yếu nội dung",
                "Độ khẩn",
                "Hạn xử lý",
                "Trạng thái",
            ],
            Direction::Outgoing => {
                &["Sổ", "Số", "Số, ký hiệu", "Ngày văn bản", "Loại", "Trích yếu nội dung", "Người ký", "Nơi nhận", "Độ khẩn", "Trạng thái"]
            }
        };
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(2, c as u16, *h, &bold).map_err(err)?;
        }
        for (row, d) in (3u32..).zip(docs.iter().filter(|d| d.reg_number.is_some())) {
            let arrived = kernel::time::vn_datetime(d.created_at).date();
            let cells: Vec<String> = match direction {
                Direction::Incoming => vec![
                    d.register_code.clone().unwrap_or_default(),
                    d.reg_number.map(|n| n.to_string()).unwrap_or_default(),
                    kernel::time::date_vi(arrived),
                    d.sender_name.clone().unwrap_or_default(),
                    d.number_notation(),
                    d.promulgation_date.as_deref().and_then(kernel::time::parse_date).map(kernel::time::date_vi).unwrap_or_default(),
                    d.type_name.clone(),
                    d.subject.clone(),
                    priority_label(d.priority, false).into(),
                    d.due_date.as_deref().and_then(kernel::time::parse_date).map(kernel::time::date_vi).unwrap_or_default(),
                    d.state.label(false).into(),
                ],
                Direction::Outgoing => vec![
                    d.register_code.clone().unwrap_or_default(),
                    d.reg_number.map(|n| n.to_string()).unwrap_or_default(),
                    d.number_notation(),
                    d.promulgation_date.as_deref().and_then(kernel::time::parse_date).map(kernel::time::date_vi).unwrap_or_default(),
                    d.type_name.clone(),
                    d.subject.clone(),
                    d.signer_name.clone().unwrap_or_default(),
                    self.recipients(&d.id).await?.iter().map(|r| r.name.clone()).collect::<Vec<_>>().join("; "),
                    priority_label(d.priority, false).into(),
                    d.state.label(false).into(),
                ],
            };
            for (c, v) in cells.iter().enumerate() {
                if c == 1
                    && let Ok(n) = v.parse::<f64>()
                {
                    ws.write_number(row, c as u16, n).map_err(err)?;
                } else {
                    ws.write_string_with_format(row, c as u16, v, &wrap).map_err(err)?;
                }
            }
        }
        for (c, w) in [8.0, 8.0, 12.0, 30.0, 16.0, 12.0, 14.0, 60.0, 12.0, 12.0, 18.0].iter().enumerate().take(headers.len()) {
            ws.set_column_width(c as u16, *w).map_err(err)?;
        }
        wb.save_to_buffer().map_err(err)
    }
}
