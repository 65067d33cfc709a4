//! Status messages (gói tin trạng thái): small, read and written whole.
//!
//! Structure: `edXML:Status > edXML:Header > edXML:MessageStatus > { ResponseFor, From,
//! StatusCode, Description?, Timestamp, StaffInfo }`.

use std::fmt;
use std::str::FromStr;

use crate::codes::{format_timestamp, parse_timestamp};
use crate::error::EdxmlError;
use crate::header::{read as hr, write as hw};
use crate::model::{StaffInfo, StatusCode, StatusMessage};
use crate::validate::{self, STATUS};
use crate::xml::input::{Ev, XmlIn};
use crate::xml::output::Out;
use crate::xml::tree::{Kids, Ns};

impl StatusCode {
    pub const ALL: [StatusCode; 9] = [
        Self::Arrived,
        Self::Rejected,
        Self::Accepted,
        Self::Assigned,
        Self::Processing,
        Self::Done,
        Self::Recalled,
        Self::ChangeAccepted,
        Self::ChangeRejected,
    ];

    /// The two-digit code, `"01"` … `"16"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Arrived => "01",
            Self::Rejected => "02",
            Self::Accepted => "03",
            Self::Assigned => "04",
            Self::Processing => "05",
            Self::Done => "06",
            Self::Recalled => "13",
            Self::ChangeAccepted => "15",
            Self::ChangeRejected => "16",
        }
    }

    /// Vietnamese label for screens.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Arrived => "Đã đến",
            Self::Rejected => "Từ chối tiếp nhận",
            Self::Accepted => "Đã tiếp nhận",
            Self::Assigned => "Phân công",
            Self::Processing => "Đang xử lý",
            Self::Done => "Hoàn thành",
            Self::Recalled => "Lấy lại",
            Self::ChangeAccepted => "Đồng ý cập nhật/lấy lại",
            Self::ChangeRejected => "Từ chối cập nhật/lấy lại",
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Accepts the two-digit code; a single digit (`"1"`) is read as `"01"`.
impl FromStr for StatusCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let padded = if s.len() == 1 { format!("0{s}") } else { s.to_owned() };
        Self::ALL.into_iter().find(|c| c.as_str() == padded).ok_or_else(|| format!("{s:?} is not a status code (01–06, 13, 15, 16)"))
    }
}

/// Writes a status message (validated first).
pub fn write_status(msg: &StatusMessage) -> Result<Vec<u8>, EdxmlError> {
    validate::status(msg)?;
    let mut o = Out::new();
    o.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.open_root("Status");
    o.open("Header");
    o.open("MessageStatus");
    hw::response_for(&mut o, &msg.response_for);
    hw::organization(&mut o, "From", &msg.from);
    o.leaf("StatusCode", msg.status_code.as_str());
    o.opt("Description", msg.description.as_deref());
    o.leaf("Timestamp", &format_timestamp(msg.timestamp));
    hw::staff_info(&mut o, &msg.staff_info);
    o.close("MessageStatus");
    o.close("Header");
    o.close("Status");
    Ok(o.s.into_bytes())
}

/// Parses and validates a status message.
pub fn read_status(input: &[u8]) -> Result<StatusMessage, EdxmlError> {
    let mut x = XmlIn::new(input, false);
    let mut root = None;
    let mut first = true;
    loop {
        let (pos, ev) = x.next()?;
        let at_start = std::mem::replace(&mut first, false);
        match ev {
            Ev::Decl { .. } if at_start => {}
            Ev::Comment => {}
            Ev::Text(t) if t.trim().is_empty() => {}
            Ev::Start(el, empty) if root.is_none() => {
                if !el.is(&Ns::Edxml, "Status") {
                    return Err(EdxmlError::invalid(el.display_name(), "the root element must be edXML:Status"));
                }
                root = Some(x.read_tree(el, empty, 0)?);
            }
            Ev::Eof if root.is_some() => break,
            Ev::Eof => return Err(EdxmlError::Malformed { position: pos, message: "no root element".into() }),
            _ => return Err(EdxmlError::Malformed { position: pos, message: "unexpected content outside the root element".into() }),
        }
    }
    let Some(root) = root else { return Err(EdxmlError::invalid("Status", "no root element")) };
    let r = Kids::new(&root, "Status".into(), &["Header"], &[], false)?;
    let header = r.req("Header")?;
    let mut plain = header.clone();
    plain.children.retain(|c| !c.is(&Ns::Dsig, "Signature"));
    let h = Kids::new(&plain, "Status/Header".into(), &["MessageStatus"], &[], false)?;
    let k = Kids::new(
        h.req("MessageStatus")?,
        STATUS.into(),
        &["ResponseFor", "From", "StatusCode", "Description", "Timestamp", "StaffInfo"],
        &[],
        false,
    )?;
    let msg = StatusMessage {
        response_for: hr::response_for(k.req("ResponseFor")?, k.child_path("ResponseFor"))?,
        from: hr::organization(k.req("From")?, k.child_path("From"))?,
        status_code: k.parsed("StatusCode", "a status code (01–06, 13, 15, 16)", |s| s.parse().ok())?,
        description: k.opt_text("Description")?,
        timestamp: k.parsed("Timestamp", "a time yyyy/MM/dd HH:mm:ss", parse_timestamp)?,
        staff_info: match k.opt("StaffInfo") {
            Some(s) => hr::staff_info(s, k.child_path("StaffInfo"))?,
            None => StaffInfo::default(),
        },
    };
    validate::status(&msg)?;
    Ok(msg)
}
