#!/usr/bin/env python3
"""Generates N synthetic procedures (JSON for `tinhso import procedures`) for benchmarks.

Names are built from the verbs and objects of real procedure names so that searches behave as
they would on a province's catalog of ~2,000 procedures. Codes are 3.NNNNNN (not used by the
demo), fields and agencies are the demo province's.
"""
import json
import random
import sys

VERBS = ["Cấp", "Cấp lại", "Cấp đổi", "Gia hạn", "Điều chỉnh", "Thu hồi", "Đăng ký", "Xác nhận", "Thẩm định",
         "Phê duyệt", "Công nhận", "Cho phép", "Chấp thuận", "Thông báo", "Giải quyết"]
OBJECTS = ["giấy phép kinh doanh rượu", "giấy phép xây dựng công trình", "giấy chứng nhận quyền sử dụng đất",
           "giấy phép lái xe", "chứng chỉ hành nghề dược", "giấy phép môi trường", "hộ kinh doanh", "nội quy lao động",
           "trợ cấp xã hội", "học bổng chính sách", "giấy phép biểu diễn nghệ thuật", "giấy phép khai thác khoáng sản",
           "giấy phép sử dụng vật liệu nổ công nghiệp", "chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
           "giấy phép hoạt động điện lực", "giấy chứng nhận đăng ký đầu tư", "quyết định giao đất", "giấy phép quy hoạch",
           "văn bằng bảo hộ giống cây trồng", "thẻ hướng dẫn viên du lịch", "giấy phép thành lập cơ sở giáo dục",
           "giấy phép hoạt động khám bệnh, chữa bệnh", "giấy chứng nhận đủ điều kiện kinh doanh xăng dầu",
           "giấy phép vận tải đường thủy nội địa", "giấy chứng nhận kiểm định phương tiện", "giấy xác nhận nhân thân"]
QUALIFIERS = ["", "đối với tổ chức", "đối với cá nhân", "cho doanh nghiệp có vốn đầu tư nước ngoài", "trong khu công nghiệp",
              "do bị mất, hỏng", "khi thay đổi thông tin", "cấp tỉnh", "cấp xã", "theo thủ tục rút gọn"]
FIELDS = ["HT", "CT", "DN", "HKD", "DT", "XD", "DD", "GT", "LD", "BTXH", "NCC", "GD", "YT", "VH", "MT", "TP"]
AGENCIES = [f"000.00.{n}.H99" for n in range(12, 30)]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rng = random.Random(20261122)
    out = []
    for i in range(n):
        name = " ".join(x for x in [rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(QUALIFIERS)] if x)
        name = f"{name} (mẫu {i + 1})"
        docs = [{"code": f"TP{j + 1}", "name": f"{d}", "originals": 1, "copies": rng.randint(0, 2)}
                for j, d in enumerate(rng.sample(["Đơn đề nghị", "Tờ khai", "Bản sao giấy tờ pháp lý", "Bản vẽ thiết kế",
                                                  "Báo cáo đánh giá", "Giấy chứng nhận sức khỏe", "Văn bản ủy quyền"], rng.randint(2, 4)))]
        out.append({
            "code": f"3.{100000 + i:06d}",
            "name": name[0].upper() + name[1:],
            "field_code": rng.choice(FIELDS),
            "level": rng.choice(["province", "commune"]),
            "online_level": rng.choice(["full", "partial", "none"]),
            "processing_value": rng.choice([1, 2, 3, 5, 7, 10, 15, 20, 30]),
            "decision_number": f"{rng.randint(100, 2999)}/QĐ-UBND",
            "effective_from": "2025-07-01",
            "documents": docs,
            "fees": [{"name": "Lệ phí", "amount": rng.choice([0, 10000, 50000, 100000, 500000])}],
            "agency_codes": [rng.choice(AGENCIES)],
            "result": "Văn bản chấp thuận",
        })
    for p in out:
        if p["online_level"] == "none":
            p["channels"] = ["in_person", "post"]
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
