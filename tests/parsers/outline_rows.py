"""The Đề án 996 table's row labels, as the outline writes them (shared by the table tests)."""

LABELS = {
    "1": "Đầu tư chuẩn đo lường, phương tiện đo sử dụng trong kiểm định, hiệu chuẩn, thử nghiệm phương tiện đo",
    "2": "Số chất chuẩn, chuẩn đo lường, phương tiện đo được nghiên cứu, sản xuất, thương mại hóa",
    "3": "Nhiệm vụ nghiên cứu khoa học cơ bản, nghiên cứu ứng dụng khoa học công nghệ về đo lường",
    "4": "Số cán bộ, nhân viên đã tham gia các khóa bồi dưỡng, tập huấn nâng cao chuyên môn nghiệp vụ về đo lường",
    "5": "Số doanh nghiệp đã được cung cấp dịch vụ kiểm định, hiệu chuẩn, thử nghiệm phương tiện đo",
    "6": "Số phương tiện đo, chuẩn đo lường được kiểm định, hiệu chuẩn cho doanh nghiệp",
    "7": "Số người tham dự các khóa đào tạo xây dựng và áp dụng Chương trình bảo đảm đo lường",
}
