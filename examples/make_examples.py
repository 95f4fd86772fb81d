"""Regenerate the two sample files that are awkward to edit by hand (run: python examples/make_examples.py).

- accounts_gbk.csv: GB18030-encoded, Chinese headers, real-world value formats, a field with a quoted
  comma and an embedded line break;
- accounts.xlsx: an Excel workbook with a title row above the header, native numbers and dates.

The other sample files are plain UTF-8 text, edited directly. Dates are on or before 2026-03-31 (the
date the tests' clock stands at).
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent

GBK_HEADERS = [
    "账号", "客户号", "客户类型", "客户姓名", "证件号码", "手机号码", "地址", "产品类型", "币种",
    "剩余本金", "利息", "滞纳金", "罚息", "最早逾期日", "逾期金额", "账单日", "宽限期", "开户日期",
    "罚息利率",
]
GBK_ROWS = [
    ["XYK-6001", "C6001", "个人", "钱多多", "11010519880808123X", "138-0013-8000",
     "北京市海淀区中关村大街1号", "信用卡", "人民币", "￥12,345.60", "210.5", "50", "0", "2026/1/5",
     "3,000.00元", "5", "3", "2020/05/10", "18%"],
    ["GXD-6002", "C6002", "个人", "孙小美", "310101199001012345", "+86 139 1234 5678",
     "上海市黄浦区南京东路1号,\n华联商厦5楼", "工薪贷", "CNY", "RMB 48000", "0", "0", "0",
     "2026年2月15日", "２１５０．００", "15", "3", "20240315", "0.18"],
    ["JYD-6003", "C6003", "个人", "阿土伯", "440301198507074321", "13500135000",
     "广东省深圳市福田区深南大道2号", "精英贷", "元", "120,000.00", "1850", "200", "310", "46011",
     "8600", "20", "5", "2023-11-20", "24"],
    ["ZSD-6004", "C6004", "个人", "金贝贝", "510104199212126789", "18628000000",
     "四川省成都市锦江区春熙路8号", "助商贷", "", "200000", "3100", "500", "880", "20251001",
     "25,000", "1", "7", "2024-6-1", "24%"],
    ["YSZK-6005", "C6005", "企业", "广州市大富翁贸易有限公司", "91440101MA5A000005", "020-87654321",
     "广东省广州市天河区天河路385号", "应收账款", "CNY", "186,400.00", "", "", "", "2025-12-31",
     "86,400.00", "", "30", "2025-09-01", ""],
    ["XYK-6006", "C6006", "个人", "沙隆巴斯", "12010119750505111X", "13602200000",
     "天津市南开区鞍山西道5号", "信用卡", "人民币", "5,000.00", "0", "0", "0", "", "", "8", "3",
     "2022/8/8", "18%"],
]

# Excel cells carry no time zone: these naive datetimes are what openpyxl writes and reads back.
XLSX_ROWS: list[list[object]] = [
    ["逾期账户清单 (示例)"],
    ["借据号", "客户编号", "姓名", "手机", "产品", "本金", "利息", "费用", "首次逾期日期", "逾期金额",
     "还款日", "放款日"],
    ["XL-7001", "C7001", "卫青", 13811112222, "消费贷", 52000, 310.5, 0,
     datetime(2026, 1, 8), 4300.5, 8, date(2024, 8, 8)],  # noqa: DTZ001
    ["XL-7002", "C7002", "霍去病", "13922223333", "信用卡", 18650.25, 562.3, 150,
     date(2026, 2, 1), 3200, 1, datetime(2021, 5, 10)],  # noqa: DTZ001
    ["XL-7003", "C7003", "李广", "13633334444", "工薪贷", 30000, 0, 0, None, None, 15, date(2025, 1, 15)],
    ["XL-7004", "C7004", "苏武", "15044445555", "应收账款", 88000, 0, 0, 46022, 88000, None,
     date(2025, 10, 1)],
    [],
    ["XL-7005", "C7001", "卫青", 13811112222, "信用卡", 9800, 245, 100, date(2026, 3, 1), 1500, 1,
     date(2019, 8, 1)],
]


def write_gbk() -> None:
    """accounts_gbk.csv in GB18030 with CRLF line ends, as Excel on a Chinese Windows saves it."""
    with (HERE / "accounts_gbk.csv").open("w", encoding="gb18030", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(GBK_HEADERS)
        writer.writerows(GBK_ROWS)


def write_xlsx() -> None:
    """accounts.xlsx: native numbers and dates, Chinese headers, a title row above the header."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "逾期账户"
    for row in XLSX_ROWS:
        ws.append(row)
    for row in ws.iter_rows(min_row=3, min_col=9, max_col=9):
        for cell in row:
            cell.number_format = "yyyy-mm-dd"
    wb.save(HERE / "accounts.xlsx")


def main() -> None:
    """Write both files."""
    write_gbk()
    write_xlsx()


if __name__ == "__main__":
    main()
