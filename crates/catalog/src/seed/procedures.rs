//! The demo province's procedures: ~60 real-style procedures across fields, with documents,
//! fees, legal times and e-forms. Names follow the national catalog; codes, fees and the rest
//! are the demo's own.

use kernel::money::Vnd;
use serde_json::{Value, json};

use crate::model::procedure::{Fee, LegalBasis, ProcedureBody, ProcedureInput, RequiredDocument};

/// Fields of procedures (lĩnh vực): code, Vietnamese, English.
pub const FIELDS: [(&str, &str, &str); 16] = [
    ("HT", "Hộ tịch", "Civil status"),
    ("CT", "Chứng thực", "Certification"),
    ("DN", "Thành lập và hoạt động của doanh nghiệp", "Enterprises"),
    ("HKD", "Hộ kinh doanh", "Household businesses"),
    ("DT", "Đầu tư", "Investment"),
    ("XD", "Xây dựng", "Construction"),
    ("DD", "Đất đai", "Land"),
    ("GT", "Giao thông đường bộ", "Road transport"),
    ("LD", "Lao động, việc làm", "Labour and employment"),
    ("BTXH", "Bảo trợ xã hội", "Social protection"),
    ("NCC", "Người có công", "Persons with meritorious services"),
    ("GD", "Giáo dục và đào tạo", "Education and training"),
    ("YT", "Y tế", "Health"),
    ("VH", "Văn hóa, thể thao và du lịch", "Culture, sports and tourism"),
    ("MT", "Môi trường", "Environment"),
    ("TP", "Lý lịch tư pháp", "Judicial records"),
];

/// One row of the compact table below.
struct Row {
    code: &'static str,
    name: &'static str,
    field: &'static str,
    level: &'static str,
    online: &'static str,
    days: f64,
    unit: &'static str,
    fee: i64,
    /// Department code suffix (`13` → 000.00.13.H99) or `commune` for every commune.
    agency: &'static str,
    result: &'static str,
    /// Documents: `name|originals|copies`, separated by `;`.
    docs: &'static str,
    law: &'static str,
}

const ROWS: &[Row] = &[
    // Hộ tịch (commune)
    Row { code: "1.001193", name: "Đăng ký khai sinh", field: "HT", level: "commune", online: "full", days: 1.0, unit: "working_days", fee: 0, agency: "commune", result: "Giấy khai sinh", docs: "Tờ khai đăng ký khai sinh|1|0;Giấy chứng sinh|1|0", law: "60/2014/QH13" },
    Row { code: "1.000894", name: "Đăng ký kết hôn", field: "HT", level: "commune", online: "partial", days: 1.0, unit: "working_days", fee: 0, agency: "commune", result: "Giấy chứng nhận kết hôn", docs: "Tờ khai đăng ký kết hôn|1|0;Giấy xác nhận tình trạng hôn nhân|1|0", law: "60/2014/QH13" },
    Row { code: "1.000656", name: "Đăng ký khai tử", field: "HT", level: "commune", online: "full", days: 1.0, unit: "working_days", fee: 0, agency: "commune", result: "Trích lục khai tử", docs: "Tờ khai đăng ký khai tử|1|0;Giấy báo tử hoặc giấy tờ thay giấy báo tử|1|0", law: "60/2014/QH13" },
    Row { code: "1.001022", name: "Đăng ký nhận cha, mẹ, con", field: "HT", level: "commune", online: "partial", days: 3.0, unit: "working_days", fee: 15000, agency: "commune", result: "Trích lục đăng ký nhận cha, mẹ, con", docs: "Tờ khai đăng ký nhận cha, mẹ, con|1|0;Văn bản xác nhận quan hệ cha, mẹ, con|1|0", law: "60/2014/QH13" },
    Row { code: "1.004884", name: "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch", field: "HT", level: "commune", online: "partial", days: 3.0, unit: "working_days", fee: 15000, agency: "commune", result: "Trích lục thay đổi, cải chính hộ tịch", docs: "Tờ khai đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch|1|0;Giấy tờ làm căn cứ thay đổi, cải chính|0|1", law: "60/2014/QH13" },
    Row { code: "1.004873", name: "Cấp Giấy xác nhận tình trạng hôn nhân", field: "HT", level: "commune", online: "full", days: 3.0, unit: "working_days", fee: 0, agency: "commune", result: "Giấy xác nhận tình trạng hôn nhân", docs: "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân|1|0", law: "123/2015/NĐ-CP" },
    Row { code: "1.003583", name: "Cấp bản sao trích lục hộ tịch", field: "HT", level: "commune", online: "full", days: 1.0, unit: "working_days", fee: 8000, agency: "commune", result: "Bản sao trích lục hộ tịch", docs: "Tờ khai cấp bản sao trích lục hộ tịch|1|0", law: "123/2015/NĐ-CP" },
    Row { code: "1.001695", name: "Đăng ký giám hộ", field: "HT", level: "commune", online: "partial", days: 3.0, unit: "working_days", fee: 0, agency: "commune", result: "Trích lục đăng ký giám hộ", docs: "Tờ khai đăng ký giám hộ|1|0;Văn bản cử người giám hộ|1|0", law: "60/2014/QH13" },
    Row { code: "2.000986", name: "Đăng ký khai sinh có yếu tố nước ngoài", field: "HT", level: "commune", online: "partial", days: 3.0, unit: "working_days", fee: 50000, agency: "commune", result: "Giấy khai sinh", docs: "Tờ khai đăng ký khai sinh|1|0;Giấy chứng sinh|1|0;Hộ chiếu của cha, mẹ là người nước ngoài|0|1", law: "60/2014/QH13" },
    Row { code: "2.000748", name: "Đăng ký kết hôn có yếu tố nước ngoài", field: "HT", level: "commune", online: "partial", days: 10.0, unit: "working_days", fee: 1000000, agency: "commune", result: "Giấy chứng nhận kết hôn", docs: "Tờ khai đăng ký kết hôn|1|0;Giấy xác nhận tình trạng hôn nhân của người nước ngoài|1|0;Giấy xác nhận không mắc bệnh tâm thần|1|0;Hộ chiếu|0|1", law: "123/2015/NĐ-CP" },
    // Chứng thực
    Row { code: "2.000815", name: "Chứng thực bản sao từ bản chính giấy tờ, văn bản", field: "CT", level: "commune", online: "full", days: 2.0, unit: "working_hours", fee: 2000, agency: "commune", result: "Bản sao có chứng thực", docs: "Bản chính giấy tờ cần chứng thực|1|0;Bản sao cần chứng thực|0|1", law: "23/2015/NĐ-CP" },
    Row { code: "2.000884", name: "Chứng thực chữ ký trong các giấy tờ, văn bản", field: "CT", level: "commune", online: "partial", days: 1.0, unit: "working_days", fee: 10000, agency: "commune", result: "Giấy tờ có chứng thực chữ ký", docs: "Giấy tờ, văn bản cần chứng thực chữ ký|1|0;Giấy tờ tùy thân|1|0", law: "23/2015/NĐ-CP" },
    Row { code: "2.001035", name: "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản", field: "CT", level: "commune", online: "partial", days: 2.0, unit: "working_days", fee: 50000, agency: "commune", result: "Hợp đồng được chứng thực", docs: "Dự thảo hợp đồng|1|0;Giấy tờ về quyền sở hữu tài sản|0|1", law: "23/2015/NĐ-CP" },
    Row { code: "2.000927", name: "Chứng thực việc sửa đổi, bổ sung, hủy bỏ hợp đồng, giao dịch", field: "CT", level: "commune", online: "partial", days: 2.0, unit: "working_days", fee: 30000, agency: "commune", result: "Văn bản sửa đổi được chứng thực", docs: "Dự thảo văn bản sửa đổi, bổ sung|1|0;Hợp đồng đã được chứng thực|1|0", law: "23/2015/NĐ-CP" },
    // Doanh nghiệp (Sở Tài chính)
    Row { code: "2.001610", name: "Đăng ký thành lập doanh nghiệp tư nhân", field: "DN", level: "province", online: "full", days: 3.0, unit: "working_days", fee: 50000, agency: "14", result: "Giấy chứng nhận đăng ký doanh nghiệp", docs: "Giấy đề nghị đăng ký doanh nghiệp|1|0;Bản sao giấy tờ pháp lý của chủ doanh nghiệp|0|1", law: "59/2020/QH14" },
    Row { code: "2.002034", name: "Đăng ký thành lập công ty trách nhiệm hữu hạn hai thành viên trở lên", field: "DN", level: "province", online: "full", days: 3.0, unit: "working_days", fee: 50000, agency: "14", result: "Giấy chứng nhận đăng ký doanh nghiệp", docs: "Giấy đề nghị đăng ký doanh nghiệp|1|0;Điều lệ công ty|1|0;Danh sách thành viên|1|0;Bản sao giấy tờ pháp lý của thành viên|0|1", law: "59/2020/QH14" },
    Row { code: "2.002041", name: "Đăng ký thành lập công ty cổ phần", field: "DN", level: "province", online: "full", days: 3.0, unit: "working_days", fee: 50000, agency: "14", result: "Giấy chứng nhận đăng ký doanh nghiệp", docs: "Giấy đề nghị đăng ký doanh nghiệp|1|0;Điều lệ công ty|1|0;Danh sách cổ đông sáng lập|1|0", law: "59/2020/QH14" },
    Row { code: "2.001199", name: "Đăng ký thay đổi nội dung đăng ký doanh nghiệp", field: "DN", level: "province", online: "full", days: 3.0, unit: "working_days", fee: 50000, agency: "14", result: "Giấy chứng nhận đăng ký doanh nghiệp (cập nhật)", docs: "Thông báo thay đổi nội dung đăng ký doanh nghiệp|1|0;Nghị quyết, quyết định về việc thay đổi|1|0", law: "01/2021/NĐ-CP" },
    Row { code: "2.002062", name: "Thông báo tạm ngừng kinh doanh", field: "DN", level: "province", online: "full", days: 3.0, unit: "working_days", fee: 0, agency: "14", result: "Giấy xác nhận tạm ngừng kinh doanh", docs: "Thông báo tạm ngừng kinh doanh|1|0", law: "01/2021/NĐ-CP" },
    Row { code: "1.010027", name: "Giải thể doanh nghiệp", field: "DN", level: "province", online: "full", days: 5.0, unit: "working_days", fee: 0, agency: "14", result: "Thông báo về việc giải thể doanh nghiệp", docs: "Thông báo về giải thể doanh nghiệp|1|0;Báo cáo thanh lý tài sản|1|0;Danh sách người lao động đã được giải quyết quyền lợi|1|0", law: "59/2020/QH14" },
    // Hộ kinh doanh (commune since 2025)
    Row { code: "2.000720", name: "Đăng ký thành lập hộ kinh doanh", field: "HKD", level: "commune", online: "full", days: 3.0, unit: "working_days", fee: 100000, agency: "commune", result: "Giấy chứng nhận đăng ký hộ kinh doanh", docs: "Giấy đề nghị đăng ký hộ kinh doanh|1|0;Bản sao giấy tờ pháp lý của chủ hộ|0|1", law: "01/2021/NĐ-CP" },
    Row { code: "2.000719", name: "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", field: "HKD", level: "commune", online: "full", days: 3.0, unit: "working_days", fee: 100000, agency: "commune", result: "Giấy chứng nhận đăng ký hộ kinh doanh (cập nhật)", docs: "Thông báo thay đổi nội dung đăng ký hộ kinh doanh|1|0", law: "01/2021/NĐ-CP" },
    Row { code: "2.000575", name: "Chấm dứt hoạt động hộ kinh doanh", field: "HKD", level: "commune", online: "full", days: 3.0, unit: "working_days", fee: 0, agency: "commune", result: "Thông báo chấm dứt hoạt động", docs: "Thông báo chấm dứt hoạt động hộ kinh doanh|1|0", law: "01/2021/NĐ-CP" },
    // Đầu tư
    Row { code: "1.009645", name: "Cấp Giấy chứng nhận đăng ký đầu tư đối với dự án không thuộc diện chấp thuận chủ trương đầu tư", field: "DT", level: "province", online: "partial", days: 15.0, unit: "working_days", fee: 0, agency: "14", result: "Giấy chứng nhận đăng ký đầu tư", docs: "Văn bản đề nghị thực hiện dự án đầu tư|1|0;Đề xuất dự án đầu tư|1|0;Tài liệu xác nhận tư cách pháp lý của nhà đầu tư|0|1;Báo cáo năng lực tài chính|1|0", law: "61/2020/QH14" },
    Row { code: "1.009646", name: "Điều chỉnh Giấy chứng nhận đăng ký đầu tư", field: "DT", level: "province", online: "partial", days: 10.0, unit: "working_days", fee: 0, agency: "24", result: "Giấy chứng nhận đăng ký đầu tư điều chỉnh", docs: "Văn bản đề nghị điều chỉnh dự án đầu tư|1|0;Báo cáo tình hình thực hiện dự án|1|0", law: "61/2020/QH14" },
    // Xây dựng
    Row { code: "1.009972", name: "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", field: "XD", level: "commune", online: "partial", days: 15.0, unit: "working_days", fee: 75000, agency: "commune", result: "Giấy phép xây dựng", docs: "Đơn đề nghị cấp giấy phép xây dựng|1|0;Giấy tờ về quyền sử dụng đất|0|1;Bản vẽ thiết kế xây dựng|2|0", law: "50/2014/QH13" },
    Row { code: "1.009974", name: "Cấp giấy phép xây dựng mới đối với công trình không theo tuyến", field: "XD", level: "province", online: "partial", days: 20.0, unit: "working_days", fee: 150000, agency: "17", result: "Giấy phép xây dựng", docs: "Đơn đề nghị cấp giấy phép xây dựng|1|0;Giấy tờ về quyền sử dụng đất|0|1;Quyết định phê duyệt dự án|0|1;Bản vẽ thiết kế xây dựng|2|0", law: "50/2014/QH13" },
    Row { code: "1.009976", name: "Điều chỉnh giấy phép xây dựng", field: "XD", level: "province", online: "partial", days: 20.0, unit: "working_days", fee: 150000, agency: "17", result: "Giấy phép xây dựng điều chỉnh", docs: "Đơn đề nghị điều chỉnh giấy phép xây dựng|1|0;Bản chính giấy phép xây dựng đã cấp|1|0;Bản vẽ thiết kế điều chỉnh|2|0", law: "50/2014/QH13" },
    Row { code: "1.009977", name: "Gia hạn giấy phép xây dựng", field: "XD", level: "province", online: "full", days: 5.0, unit: "working_days", fee: 15000, agency: "17", result: "Giấy phép xây dựng được gia hạn", docs: "Đơn đề nghị gia hạn giấy phép xây dựng|1|0;Bản chính giấy phép xây dựng đã cấp|1|0", law: "15/2021/NĐ-CP" },
    Row { code: "1.009978", name: "Cấp lại giấy phép xây dựng", field: "XD", level: "province", online: "full", days: 5.0, unit: "working_days", fee: 15000, agency: "17", result: "Giấy phép xây dựng cấp lại", docs: "Đơn đề nghị cấp lại giấy phép xây dựng|1|0", law: "15/2021/NĐ-CP" },
    Row { code: "1.009994", name: "Thẩm định báo cáo nghiên cứu khả thi đầu tư xây dựng", field: "XD", level: "province", online: "partial", days: 30.0, unit: "working_days", fee: 0, agency: "17", result: "Thông báo kết quả thẩm định", docs: "Tờ trình thẩm định|1|0;Báo cáo nghiên cứu khả thi|1|0;Hồ sơ khảo sát xây dựng|1|0", law: "15/2021/NĐ-CP" },
    // Đất đai
    Row { code: "1.004227", name: "Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất lần đầu", field: "DD", level: "commune", online: "partial", days: 20.0, unit: "working_days", fee: 100000, agency: "commune", result: "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", docs: "Đơn đăng ký đất đai, tài sản gắn liền với đất|1|0;Giấy tờ về quyền sử dụng đất|0|1;Sơ đồ nhà ở, công trình xây dựng|1|0", law: "31/2024/QH15" },
    Row { code: "1.004203", name: "Đăng ký biến động quyền sử dụng đất do chuyển nhượng", field: "DD", level: "province", online: "partial", days: 10.0, unit: "working_days", fee: 50000, agency: "16", result: "Giấy chứng nhận được xác nhận thay đổi", docs: "Đơn đăng ký biến động đất đai|1|0;Hợp đồng chuyển nhượng có công chứng|1|0;Bản gốc Giấy chứng nhận đã cấp|1|0", law: "31/2024/QH15" },
    Row { code: "1.004199", name: "Đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất", field: "DD", level: "province", online: "full", days: 3.0, unit: "working_days", fee: 80000, agency: "16", result: "Xác nhận đăng ký thế chấp", docs: "Phiếu yêu cầu đăng ký thế chấp|1|0;Hợp đồng thế chấp|1|0;Bản gốc Giấy chứng nhận|1|0", law: "99/2022/NĐ-CP" },
    Row { code: "1.004269", name: "Cấp đổi Giấy chứng nhận quyền sử dụng đất", field: "DD", level: "province", online: "partial", days: 7.0, unit: "working_days", fee: 50000, agency: "16", result: "Giấy chứng nhận mới", docs: "Đơn đề nghị cấp đổi Giấy chứng nhận|1|0;Bản gốc Giấy chứng nhận đã cấp|1|0", law: "31/2024/QH15" },
    Row { code: "1.004238", name: "Tách thửa hoặc hợp thửa đất", field: "DD", level: "province", online: "partial", days: 15.0, unit: "working_days", fee: 100000, agency: "16", result: "Giấy chứng nhận cho thửa đất mới", docs: "Đơn đề nghị tách thửa, hợp thửa|1|0;Bản gốc Giấy chứng nhận|1|0;Bản vẽ tách thửa, hợp thửa|1|0", law: "31/2024/QH15" },
    Row { code: "1.004217", name: "Chuyển mục đích sử dụng đất phải được cơ quan nhà nước có thẩm quyền cho phép", field: "DD", level: "commune", online: "partial", days: 15.0, unit: "working_days", fee: 0, agency: "commune", result: "Quyết định cho phép chuyển mục đích sử dụng đất", docs: "Đơn xin chuyển mục đích sử dụng đất|1|0;Giấy chứng nhận quyền sử dụng đất|0|1", law: "31/2024/QH15" },
    Row { code: "1.004177", name: "Cung cấp thông tin dữ liệu đất đai", field: "DD", level: "province", online: "full", days: 2.0, unit: "working_days", fee: 30000, agency: "16", result: "Thông tin, dữ liệu đất đai", docs: "Phiếu yêu cầu cung cấp thông tin dữ liệu đất đai|1|0", law: "31/2024/QH15" },
    // Giao thông (Sở Xây dựng)
    Row { code: "1.002804", name: "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp", field: "GT", level: "province", online: "full", days: 5.0, unit: "working_days", fee: 135000, agency: "17", result: "Giấy phép lái xe", docs: "Đơn đề nghị đổi giấy phép lái xe|1|0;Giấy khám sức khỏe của người lái xe|1|0;Giấy phép lái xe đang sử dụng|0|1", law: "36/2024/QH15" },
    Row { code: "1.002809", name: "Cấp lại giấy phép lái xe", field: "GT", level: "province", online: "full", days: 10.0, unit: "working_days", fee: 135000, agency: "17", result: "Giấy phép lái xe", docs: "Đơn đề nghị cấp lại giấy phép lái xe|1|0;Giấy khám sức khỏe của người lái xe|1|0", law: "36/2024/QH15" },
    Row { code: "1.001777", name: "Cấp Giấy phép kinh doanh vận tải bằng xe ô tô", field: "GT", level: "province", online: "full", days: 5.0, unit: "working_days", fee: 200000, agency: "17", result: "Giấy phép kinh doanh vận tải bằng xe ô tô", docs: "Giấy đề nghị cấp giấy phép kinh doanh vận tải|1|0;Phương án kinh doanh vận tải|1|0;Văn bằng của người điều hành vận tải|0|1", law: "10/2020/NĐ-CP" },
    Row { code: "1.001765", name: "Cấp phù hiệu xe ô tô kinh doanh vận tải", field: "GT", level: "province", online: "full", days: 2.0, unit: "working_days", fee: 50000, agency: "17", result: "Phù hiệu xe", docs: "Giấy đề nghị cấp phù hiệu|1|0;Giấy đăng ký xe|0|1", law: "10/2020/NĐ-CP" },
    Row { code: "1.001023", name: "Cấp phép thi công nút giao đấu nối vào đường địa phương", field: "GT", level: "province", online: "partial", days: 7.0, unit: "working_days", fee: 0, agency: "17", result: "Giấy phép thi công", docs: "Đơn đề nghị cấp phép thi công|1|0;Hồ sơ thiết kế được phê duyệt|1|0", law: "36/2024/QH15" },
    Row { code: "1.012790", name: "Cấp Giấy phép lưu hành xe quá tải trọng, xe quá khổ giới hạn trên đường bộ", field: "GT", level: "province", online: "full", days: 2.0, unit: "working_days", fee: 0, agency: "17", result: "Giấy phép lưu hành xe", docs: "Đơn đề nghị cấp giấy phép lưu hành xe|1|0;Giấy đăng ký xe|0|1;Giấy chứng nhận kiểm định|0|1", law: "35/2024/QH15" },
    // Lao động
    Row { code: "1.000459", name: "Giải quyết hưởng trợ cấp thất nghiệp", field: "LD", level: "province", online: "full", days: 20.0, unit: "working_days", fee: 0, agency: "12", result: "Quyết định hưởng trợ cấp thất nghiệp", docs: "Đề nghị hưởng trợ cấp thất nghiệp|1|0;Quyết định thôi việc hoặc hợp đồng lao động đã hết hạn|0|1;Sổ bảo hiểm xã hội|1|0", law: "38/2013/QH13" },
    Row { code: "1.000105", name: "Cấp giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam", field: "LD", level: "province", online: "full", days: 5.0, unit: "working_days", fee: 400000, agency: "12", result: "Giấy phép lao động", docs: "Văn bản đề nghị cấp giấy phép lao động|1|0;Giấy chứng nhận sức khỏe|1|0;Phiếu lý lịch tư pháp|1|0;Văn bản chứng minh là nhà quản lý, chuyên gia|0|1;Hộ chiếu|0|1", law: "152/2020/NĐ-CP" },
    Row { code: "1.000040", name: "Gia hạn giấy phép lao động cho người lao động nước ngoài", field: "LD", level: "province", online: "full", days: 5.0, unit: "working_days", fee: 300000, agency: "12", result: "Giấy phép lao động được gia hạn", docs: "Văn bản đề nghị gia hạn giấy phép lao động|1|0;Giấy phép lao động còn thời hạn|1|0", law: "152/2020/NĐ-CP" },
    Row { code: "1.009811", name: "Đăng ký nội quy lao động của doanh nghiệp", field: "LD", level: "province", online: "full", days: 7.0, unit: "working_days", fee: 0, agency: "12", result: "Thông báo về việc đăng ký nội quy lao động", docs: "Văn bản đề nghị đăng ký nội quy lao động|1|0;Nội quy lao động|1|0", law: "45/2019/QH14" },
    Row { code: "1.001881", name: "Hỗ trợ học nghề cho người hưởng trợ cấp thất nghiệp", field: "LD", level: "province", online: "partial", days: 20.0, unit: "working_days", fee: 0, agency: "12", result: "Quyết định hỗ trợ học nghề", docs: "Đề nghị hỗ trợ học nghề|1|0", law: "38/2013/QH13" },
    // Bảo trợ xã hội, người có công
    Row { code: "1.001776", name: "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng", field: "BTXH", level: "commune", online: "partial", days: 12.0, unit: "working_days", fee: 0, agency: "commune", result: "Quyết định trợ cấp xã hội hằng tháng", docs: "Tờ khai đề nghị trợ cấp xã hội|1|0;Giấy tờ chứng minh thuộc đối tượng|0|1", law: "20/2021/NĐ-CP" },
    Row { code: "1.001758", name: "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội", field: "BTXH", level: "commune", online: "full", days: 3.0, unit: "working_days", fee: 0, agency: "commune", result: "Quyết định hỗ trợ chi phí mai táng", docs: "Tờ khai đề nghị hỗ trợ chi phí mai táng|1|0;Giấy báo tử|0|1", law: "20/2021/NĐ-CP" },
    Row { code: "1.010800", name: "Giải quyết chế độ trợ cấp thờ cúng liệt sĩ", field: "NCC", level: "province", online: "partial", days: 12.0, unit: "working_days", fee: 0, agency: "12", result: "Quyết định trợ cấp thờ cúng liệt sĩ", docs: "Bản khai đề nghị trợ cấp thờ cúng liệt sĩ|1|0;Biên bản ủy quyền của thân nhân|1|0", law: "131/2021/NĐ-CP" },
    Row { code: "1.010801", name: "Di chuyển hồ sơ người có công với cách mạng", field: "NCC", level: "province", online: "partial", days: 5.0, unit: "working_days", fee: 0, agency: "12", result: "Phiếu báo di chuyển hồ sơ", docs: "Đơn đề nghị di chuyển hồ sơ|1|0", law: "131/2021/NĐ-CP" },
    // Giáo dục
    Row { code: "1.005092", name: "Chuyển trường đối với học sinh trung học phổ thông", field: "GD", level: "province", online: "full", days: 3.0, unit: "working_days", fee: 0, agency: "19", result: "Giấy giới thiệu chuyển trường", docs: "Đơn xin chuyển trường|1|0;Học bạ|1|0", law: "32/2020/TT-BGDĐT" },
    Row { code: "1.005088", name: "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", field: "GD", level: "province", online: "full", days: 1.0, unit: "working_days", fee: 0, agency: "19", result: "Bản sao văn bằng, chứng chỉ", docs: "Đơn đề nghị cấp bản sao văn bằng|1|0", law: "21/2019/TT-BGDĐT" },
    Row { code: "1.004439", name: "Cho phép thành lập cơ sở giáo dục mầm non tư thục", field: "GD", level: "commune", online: "partial", days: 20.0, unit: "working_days", fee: 0, agency: "commune", result: "Quyết định cho phép thành lập", docs: "Tờ trình đề nghị thành lập|1|0;Đề án thành lập|1|0", law: "46/2017/NĐ-CP" },
    // Y tế
    Row { code: "1.001907", name: "Cấp giấy phép hành nghề khám bệnh, chữa bệnh", field: "YT", level: "province", online: "partial", days: 20.0, unit: "working_days", fee: 360000, agency: "18", result: "Giấy phép hành nghề", docs: "Đơn đề nghị cấp giấy phép hành nghề|1|0;Văn bằng chuyên môn|0|1;Giấy chứng nhận đủ sức khỏe|1|0", law: "15/2023/QH15" },
    Row { code: "1.002467", name: "Cấp giấy chứng nhận đủ điều kiện kinh doanh dược", field: "YT", level: "province", online: "partial", days: 20.0, unit: "working_days", fee: 1000000, agency: "18", result: "Giấy chứng nhận đủ điều kiện kinh doanh dược", docs: "Đơn đề nghị cấp giấy chứng nhận|1|0;Tài liệu kỹ thuật về địa điểm, trang thiết bị|1|0;Chứng chỉ hành nghề dược|0|1", law: "105/2016/QH13" },
    Row { code: "1.003178", name: "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", field: "YT", level: "province", online: "full", days: 15.0, unit: "working_days", fee: 500000, agency: "18", result: "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", docs: "Đơn đề nghị cấp giấy chứng nhận|1|0;Bản thuyết minh cơ sở vật chất|1|0;Giấy xác nhận đủ sức khỏe của chủ cơ sở|0|1", law: "55/2010/QH12" },
    // Văn hóa
    Row { code: "1.001029", name: "Cấp giấy phép kinh doanh dịch vụ karaoke", field: "VH", level: "commune", online: "full", days: 5.0, unit: "working_days", fee: 2000000, agency: "commune", result: "Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke", docs: "Đơn đề nghị cấp giấy phép|1|0;Giấy chứng nhận đăng ký kinh doanh|0|1", law: "54/2019/NĐ-CP" },
    Row { code: "1.003645", name: "Thông báo tổ chức lễ hội cấp tỉnh", field: "VH", level: "province", online: "full", days: 5.0, unit: "working_days", fee: 0, agency: "20", result: "Văn bản trả lời", docs: "Văn bản thông báo tổ chức lễ hội|1|0;Kế hoạch tổ chức lễ hội|1|0", law: "110/2018/NĐ-CP" },
    // Môi trường
    Row { code: "1.010727", name: "Cấp giấy phép môi trường cấp tỉnh", field: "MT", level: "province", online: "partial", days: 30.0, unit: "working_days", fee: 0, agency: "16", result: "Giấy phép môi trường", docs: "Văn bản đề nghị cấp giấy phép môi trường|1|0;Báo cáo đề xuất cấp giấy phép môi trường|1|0", law: "72/2020/QH14" },
    Row { code: "1.010733", name: "Đăng ký môi trường", field: "MT", level: "commune", online: "full", days: 5.0, unit: "working_days", fee: 0, agency: "commune", result: "Tiếp nhận đăng ký môi trường", docs: "Văn bản đăng ký môi trường|1|0", law: "72/2020/QH14" },
    // Lý lịch tư pháp
    Row { code: "2.000505", name: "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam", field: "TP", level: "province", online: "full", days: 10.0, unit: "working_days", fee: 200000, agency: "13", result: "Phiếu lý lịch tư pháp", docs: "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp|1|0;Giấy tờ tùy thân|0|1", law: "28/2009/QH12" },
    Row { code: "2.000488", name: "Cấp Phiếu lý lịch tư pháp cho cơ quan tiến hành tố tụng", field: "TP", level: "province", online: "partial", days: 5.0, unit: "working_days", fee: 0, agency: "13", result: "Phiếu lý lịch tư pháp", docs: "Văn bản yêu cầu cấp Phiếu lý lịch tư pháp|1|0", law: "28/2009/QH12" },
];

fn eform_for(field: &str) -> Value {
    let person = json!({
        "ho_ten": {"type": "string", "title": "Họ, chữ đệm và tên người yêu cầu", "minLength": 2, "maxLength": 100},
        "so_dinh_danh": {"type": "string", "title": "Số định danh cá nhân", "pattern": "^[0-9]{12}$"},
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "dien_thoai": {"type": "string", "title": "Số điện thoại", "maxLength": 15},
        "dia_chi": {"type": "string", "title": "Nơi cư trú", "maxLength": 300}
    });
    let mut props = person.as_object().cloned().unwrap_or_default();
    let mut required = vec!["ho_ten", "so_dinh_danh"];
    match field {
        "HT" => {
            props.insert("ho_ten_nguoi_duoc_dang_ky".into(), json!({"type": "string", "title": "Họ, chữ đệm và tên người được đăng ký", "minLength": 2}));
            props.insert("gioi_tinh".into(), json!({"enum": ["Nam", "Nữ"], "title": "Giới tính"}));
            props.insert("dan_toc".into(), json!({"type": "string", "title": "Dân tộc"}));
            props.insert("quan_he".into(), json!({"type": "string", "title": "Quan hệ với người được đăng ký"}));
            required.push("ho_ten_nguoi_duoc_dang_ky");
        }
        "DN" | "HKD" | "DT" => {
            props.insert("ten_doanh_nghiep".into(), json!({"type": "string", "title": "Tên doanh nghiệp / hộ kinh doanh", "minLength": 3}));
            props.insert("nganh_nghe".into(), json!({"type": "string", "title": "Ngành, nghề kinh doanh"}));
            props.insert("von".into(), json!({"type": "integer", "title": "Vốn (đồng)", "minimum": 0}));
            required.push("ten_doanh_nghiep");
        }
        "XD" | "DD" => {
            props.insert("dia_chi_thua_dat".into(), json!({"type": "string", "title": "Địa chỉ thửa đất / công trình"}));
            props.insert("so_thua".into(), json!({"type": "string", "title": "Thửa đất số"}));
            props.insert("to_ban_do".into(), json!({"type": "string", "title": "Tờ bản đồ số"}));
            props.insert("dien_tich".into(), json!({"type": "number", "title": "Diện tích (m²)", "exclusiveMinimum": 0}));
            required.push("dia_chi_thua_dat");
        }
        _ => {
            props.insert("noi_dung".into(), json!({"type": "string", "title": "Nội dung đề nghị", "maxLength": 2000}));
        }
    }
    json!({"type": "object", "required": required, "properties": props})
}

/// The demo procedures, ready for [`crate::Catalog::create_procedures`]. `commune_codes` are
/// the agencies that take the commune-level ones.
pub fn demo_procedures(province_suffix: &str, commune_codes: &[String]) -> Vec<ProcedureInput> {
    ROWS.iter()
        .map(|r| {
            let documents = r
                .docs
                .split(';')
                .enumerate()
                .map(|(i, d)| {
                    let mut parts = d.split('|');
                    let name = parts.next().unwrap_or("").to_owned();
                    let originals = parts.next().and_then(|x| x.parse().ok()).unwrap_or(1);
                    let copies = parts.next().and_then(|x| x.parse().ok()).unwrap_or(0);
                    let template = name.starts_with("Tờ khai").then(|| format!("Mẫu {name}"));
                    RequiredDocument { code: format!("TP{}", i + 1), name, originals, copies, mandatory: true, template, note: None }
                })
                .collect();
            let agency_codes = if r.agency == "commune" {
                commune_codes.to_vec()
            } else {
                vec![format!("000.00.{}.{}", r.agency, province_suffix)]
            };
            let channels = match r.online {
                "none" => vec!["in_person".to_string(), "post".into()],
                _ => vec!["in_person".to_string(), "online".into(), "post".into()],
            };
            let fees = if r.fee > 0 { vec![Fee { name: "Lệ phí".into(), amount: Vnd(r.fee), note: None }] } else { vec![] };
            ProcedureInput {
                code: r.code.into(),
                name: r.name.into(),
                field_code: r.field.into(),
                level: r.level.into(),
                online_level: r.online.into(),
                processing_value: r.days,
                processing_unit: Some(r.unit.into()),
                decision_number: "1520/QĐ-UBND".into(),
                decision_date: Some("2025-07-01".into()),
                effective_from: Some("2025-07-01".into()),
                body: ProcedureBody {
                    steps: vec![
                        "Tổ chức, cá nhân chuẩn bị hồ sơ theo quy định và nộp trực tiếp, qua dịch vụ bưu chính hoặc trực tuyến.".into(),
                        "Bộ phận Một cửa kiểm tra, tiếp nhận hồ sơ; hồ sơ chưa đầy đủ được hướng dẫn bổ sung một lần.".into(),
                        "Cơ quan có thẩm quyền xem xét, giải quyết và trả kết quả theo thời hạn quy định.".into(),
                    ],
                    applicant_types: if matches!(r.field, "DN" | "DT") { vec!["business".into()] } else { vec!["citizen".into(), "business".into()] },
                    conditions: None,
                    channels,
                    documents,
                    fees,
                    result: r.result.into(),
                    legal_bases: vec![LegalBasis { number: r.law.into(), title: format!("Văn bản quy phạm pháp luật số {}", r.law), issued_by: None, issued_on: None }],
                    agency_codes,
                    legacy_level: Some(match r.online { "full" => 4, "partial" => 3, _ => 2 }),
                },
                eform: Some(eform_for(r.field)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_procedure_is_valid_and_codes_are_unique() {
        let today = time::macros::date!(2026 - 01 - 01);
        let list = demo_procedures("H99", &["000.00.51.H99".into()]);
        assert!(list.len() >= 60, "{} procedures", list.len());
        let mut codes = std::collections::HashSet::new();
        for p in &list {
            assert!(p.validate(today).is_ok(), "{}: {:?}", p.code, p.validate(today).err());
            assert!(codes.insert(p.code.clone()), "duplicate {}", p.code);
            assert!(FIELDS.iter().any(|f| f.0 == p.field_code), "unknown field {}", p.field_code);
        }
    }
}
