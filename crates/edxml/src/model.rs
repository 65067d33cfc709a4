//! The edXML data model (QCVN 102:2016/BTTTT, amended 2022): the document package (gói tin văn bản)
//! and the status message (gói tin trạng thái). Plain data with serde so it can travel in JSON APIs;
//! the rules live in `validate`, the XML in `build`/`parse`/`status`.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// XML namespace of QCVN 102:2016 edXML.
pub const EDXML_NS: &str = "http://www.mic.gov.vn/TBT/QCVN_102_2016";
/// XML namespace of XML Signature.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";

/// An agency taking part in an exchange (cơ quan, tổ chức): `From` or one of `To`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// Agency code (mã định danh cơ quan, QCVN 102 shape `000.00.00.H41`).
    pub organ_id: String,
    /// Parent agency in charge (cơ quan chủ quản).
    pub organization_in_charge: Option<String>,
    /// Agency name (tên cơ quan).
    pub organ_name: String,
    /// Postal address (địa chỉ).
    pub organ_add: Option<String>,
    pub email: Option<String>,
    pub telephone: Option<String>,
    pub fax: Option<String>,
    pub website: Option<String>,
}

/// Number and notation of a document (số, ký hiệu văn bản), e.g. `123` and `UBND-VP`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    pub code_number: String,
    pub code_notation: String,
}

/// Place and date of promulgation (địa danh, ngày ban hành). Dates are `yyyy/MM/dd` in XML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromulgationInfo {
    pub place: String,
    pub promulgation_date: Date,
}

/// Document type (loại văn bản): `Type` 1 legal/normative, 2 administrative; `TypeDetail` the
/// detailed code; `TypeName` its name (Quyết định, Công văn …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentType {
    pub doc_type: u8,
    pub type_detail: u16,
    pub type_name: String,
}

/// Who signed the document (người ký): authority, position, full name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignerInfo {
    /// Signing authority (thẩm quyền ký: TM., KT., Q. …).
    pub competence: Option<String>,
    /// Position (chức vụ).
    pub position: String,
    /// Full name (họ và tên).
    pub full_name: String,
}

/// Other information (thông tin khác).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherInfo {
    /// Urgency (độ khẩn): 0 normal, 1 urgent, 2 very urgent, 3 immediate, 4 express timed.
    pub priority: u8,
    /// Scope of promulgation (phạm vi ban hành).
    pub sphere_of_promulgation: Option<String>,
    /// Typist's notation (ký hiệu người đánh máy).
    pub typer_notation: Option<String>,
    /// Number of copies issued (số lượng bản phát hành).
    pub promulgation_amount: Option<u32>,
    /// Number of pages (số trang).
    pub page_amount: Option<u32>,
    /// Direction-type document (văn bản chỉ đạo): `1`/`0` in XML.
    pub direction: bool,
    /// Appendix titles (phụ lục), `Appendixes > Appendix*`.
    pub appendixes: Vec<String>,
}

/// The document this one answers (văn bản phúc đáp) or, in a status message, the document whose
/// status is reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseFor {
    pub organ_id: String,
    /// `Number/Notation` of the answered document, e.g. `45/QĐ-UBND`.
    pub code: String,
    pub promulgation_date: Date,
    /// Its DocumentId (`OrganId,yyyy/MM/dd,Number/Notation`).
    pub document_id: Option<String>,
}

/// The message header (phần thông tin văn bản): who sends what to whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageHeader {
    pub from: Organization,
    /// Recipients (nơi nhận), at least one.
    pub to: Vec<Organization>,
    /// Document identifier (mã định danh văn bản) `OrganId,yyyy/MM/dd,Number/Notation`.
    pub document_id: Option<String>,
    pub code: Code,
    pub promulgation: PromulgationInfo,
    pub document_type: DocumentType,
    /// Summary (trích yếu).
    pub subject: String,
    /// Content, for short documents (nội dung).
    pub content: Option<String>,
    pub signer: SignerInfo,
    /// Deadline for the recipients (hạn trả lời).
    pub due_date: Option<Date>,
    /// Recipient places as written on the document (nơi nhận in trên văn bản), `ToPlaces > Place*`.
    pub to_places: Vec<String>,
    pub other_info: OtherInfo,
    /// Steering type (loại chỉ đạo).
    pub steering_type: Option<u8>,
    pub response_for: Vec<ResponseFor>,
}

/// One hop of the package's route (vết chuyển gói tin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceHeader {
    pub organ_id: String,
    /// `yyyy/MM/dd HH:mm:ss` in XML, Vietnam time (UTC+7).
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
}

/// Business operation of the package (nghiệp vụ): XML `BussinessDocType`, the standard's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusinessDocType {
    /// 0, a new document (văn bản mới).
    New,
    /// 1, revoke a sent document (thu hồi).
    Revoke,
    /// 2, update a sent document (cập nhật).
    Update,
    /// 3, replace a sent document (thay thế).
    Replace,
}

impl BusinessDocType {
    pub fn code(self) -> u8 {
        match self {
            Self::New => 0,
            Self::Revoke => 1,
            Self::Update => 2,
            Self::Replace => 3,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::New,
            1 => Self::Revoke,
            2 => Self::Update,
            3 => Self::Replace,
            _ => return None,
        })
    }
}

/// The clerk handling the exchange (cán bộ xử lý).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffInfo {
    /// Department (đơn vị, phòng ban).
    pub department: Option<String>,
    /// Staff name (cán bộ).
    pub staff: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
}

/// For a replacing document: which earlier document it replaces and for whom
/// (`ReplacementInfoList > ReplacementInfo > { DocumentId, OrganIdList > OrganId* }`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplacementInfo {
    pub document_id: String,
    pub to_organ_ids: Vec<String>,
}

/// The business block (`Bussiness` in XML, the standard's spelling).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Business {
    /// `BussinessDocType`.
    pub doc_type: BusinessDocType,
    /// Why the document is revoked/updated/replaced (`BussinessDocReason`).
    pub reason: Option<String>,
    /// The DocumentId of the earlier document concerned; child element `DocumentId`, as
    /// implementations of the national axis write it.
    pub document_id: Option<String>,
    /// Whether a paper copy follows (`Paper`, 0/1).
    pub paper: Option<u8>,
    pub staff_info: Option<StaffInfo>,
    pub replacement_info: Vec<ReplacementInfo>,
}

/// The route of the package and its business operation (`TraceHeaderList`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceHeaderList {
    pub traces: Vec<TraceHeader>,
    pub business: Option<Business>,
}

/// One attachment as listed in the manifest (`edXMLManifest > Reference`); the bytes travel in
/// `AttachmentEncoded > Attachment` with the same `ContentId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub content_id: String,
    /// MIME type, e.g. `application/pdf`.
    pub content_type: String,
    pub description: Option<String>,
    /// File name (tên tệp).
    pub attachment_name: String,
}

/// What signature verification found out about the signer (thông tin chữ ký số).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureInfo {
    /// Certificate subject, RFC 4514 text.
    pub subject: String,
    /// Certificate issuer, RFC 4514 text.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// SHA-256 of the certificate DER, hex.
    pub certificate_sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// `rsa-sha256` or `ecdsa-sha256`.
    pub algorithm: String,
}

/// A document package (gói tin edXML) without the attachment bytes, which are streamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub header: MessageHeader,
    pub traces: TraceHeaderList,
    pub references: Vec<Reference>,
    /// Filled by the caller from [`crate::verify`]; ignored when writing.
    pub signature: Option<SignatureInfo>,
}

/// What the parser measured of one attachment while streaming it to the sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedAttachment {
    pub content_id: String,
    /// Decoded size in bytes.
    pub size: u64,
    /// SHA-256 of the decoded bytes.
    pub sha256: [u8; 32],
}

/// Status code of a status message (mã trạng thái xử lý văn bản).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusCode {
    /// 01 đã đến.
    Arrived,
    /// 02 từ chối tiếp nhận.
    Rejected,
    /// 03 đã tiếp nhận.
    Accepted,
    /// 04 phân công.
    Assigned,
    /// 05 đang xử lý.
    Processing,
    /// 06 hoàn thành.
    Done,
    /// 13 lấy lại (thu hồi).
    Recalled,
    /// 15 đồng ý cập nhật/lấy lại.
    ChangeAccepted,
    /// 16 từ chối cập nhật/lấy lại.
    ChangeRejected,
}

/// A status message (gói tin trạng thái): the recipient tells the sender where the document is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMessage {
    pub response_for: ResponseFor,
    pub from: Organization,
    pub status_code: StatusCode,
    pub description: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    pub staff_info: StaffInfo,
}
