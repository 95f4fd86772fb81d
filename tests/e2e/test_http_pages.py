"""The portfolio pages over HTTP: overview, debtor list (full and htmx fragment), one debtor, languages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from arrears.portfolio import pages
from tests.e2e.conftest import ID_NUMBERS, PHONES, XSS_NAME, Seeded


def test_home_in_chinese_by_default(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="zh-CN">' in html
    assert "资产组合概览" in html and "按逾期阶段统计账户" in html and "欠款余额" in html
    assert 'data-kpi="debtors">5<' in html and 'data-kpi="accounts">5<' in html
    assert 'data-kpi="open_cases">4<' in html
    assert "CNY 147,311.34" in html and "USD 250.00" in html  # outstanding by currency
    rows = re.findall(r'<tr data-bucket="(\w+)">', html)
    assert rows == ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "WO"]
    assert "IMP-ABCD2345" in html and "accounts-march.csv" in html
    assert "/static/htmx.min.js" in html and "/static/app.css" in html


def test_home_in_english_sets_the_cookie(client: TestClient) -> None:
    response = client.get("/?lang=en")
    assert '<html lang="en">' in response.text
    assert "Portfolio overview" in response.text and "Accounts by bucket" in response.text
    assert "资产组合概览" not in response.text
    assert response.cookies.get("lang") == "en"
    follow = client.get("/debtors")  # the cookie carries the choice
    assert '<html lang="en">' in follow.text and "Showing 1–5 of 5 debtors" in follow.text
    back = client.get("/debtors?lang=zh-CN")
    assert '<html lang="zh-CN">' in back.text and "第 1–5 位，共 5 位债务人" in back.text


def test_accept_language_is_honoured_without_a_choice(client: TestClient) -> None:
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert '<html lang="en">' in html


def test_language_links_keep_the_current_filters(client: TestClient) -> None:
    html = client.get("/debtors?bucket=M2&lang=en").text
    assert 'href="/debtors?bucket=M2&amp;lang=zh-CN"' in html


def test_empty_portfolio_tells_what_to_run(empty_client: TestClient) -> None:
    html = empty_client.get("/").text
    assert "资产组合为空" in html
    assert "arrears demo" in html and "arrears import accounts FILE" in html
    english = empty_client.get("/?lang=en").text
    assert "The portfolio is empty" in english and "arrears demo" in english
    assert "No debtors match these filters." in empty_client.get("/debtors?lang=en").text


def test_debtor_list_page(client: TestClient) -> None:
    html = client.get("/debtors?lang=en").text
    assert '<form class="filters" role="search"' in html and 'hx-get="/debtors"' in html
    assert '<label for="q">Search</label>' in html
    assert html.count('class="debtor-link"') == 5
    assert "+86 138****5678" in html and "张*" in html


def test_debtor_list_filters_and_sort_in_the_page(client: TestClient, seeded: Seeded) -> None:
    html = client.get("/debtors?bucket=M4&lang=en").text
    assert re.findall(r'href="/debtors/(\d+)" class="debtor-link"', html) == [str(seeded.company)]
    assert '<option value="M4" selected>' in html
    html = client.get("/debtors?sort=external_id&lang=en").text
    ids = re.findall(r'href="/debtors/(\d+)" class="debtor-link"', html)
    assert ids == [str(i) for i in (seeded.zhang, seeded.li, seeded.company, seeded.xss, seeded.wang)]


def test_pages_forgive_bad_parameters(client: TestClient) -> None:
    response = client.get("/debtors?sort=evil&bucket=M99&page=zero&status=x&product=y&lang=en")
    assert response.status_code == 200 and "Showing 1–5 of 5 debtors" in response.text


def test_htmx_requests_get_only_the_results_fragment(client: TestClient) -> None:
    response = client.get("/debtors?q=%E5%BC%A0&lang=en", headers={"HX-Request": "true"})
    html = response.text
    assert "<html" not in html and '<table class="data" id="debtor-table">' in html
    assert '<p id="result-count" hx-swap-oob="innerHTML">Showing 1–1 of 1 debtors</p>' in html
    assert 'id="lang-switch"' in html and 'hx-swap-oob="true"' in html  # keeps the language links current
    assert response.headers["vary"] == "HX-Request"
    restore = client.get("/debtors", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


def test_pagination_links_keep_the_filters(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    html = client.get("/debtors?sort=external_id&q=D-&lang=en").text
    assert "Page 1 of 3" in html and "Showing 1–2 of 5 debtors" in html
    assert 'href="/debtors?q=D-&amp;sort=external_id&amp;page=2"' in html and 'rel="prev"' not in html
    html = client.get("/debtors?sort=external_id&q=D-&page=3&lang=en").text
    assert "Showing 5–5 of 5 debtors" in html and 'rel="prev"' in html and 'rel="next"' not in html


def test_debtor_page_shows_masked_data_only(client: TestClient, seeded: Seeded) -> None:
    html = client.get(f"/debtors/{seeded.zhang}?lang=en").text
    assert "张*" in html and "1101**********1234" in html and "北京市朝阳区****" in html
    assert "+86 138****5678" in html and "+86 139****4321" in html and "z***@example.com" in html
    assert "18:00" in html and "Asia/Shanghai" in html  # local time now
    assert "CNY 10,734.56" in html and "CNY 34.56" in html  # outstanding and penalty
    assert "Overdue" in html and "PAY-0001" in html and "WeChat Pay" in html
    assert "Spouse" in html and "Named in the contract" in html
    for secret in (*PHONES.values(), *ID_NUMBERS.values(), "13812345678", "zhangwei@", "建国路88号", "张伟"):
        assert secret not in html, secret


def test_debtor_page_in_chinese(client: TestClient, seeded: Seeded) -> None:
    html = client.get(f"/debtors/{seeded.company}").text
    assert "身份信息" in html and "联系方式" in html and "停催" in html and "争议" in html
    assert "应付账款联系人" in html and "统一社会信用代码" in html and "9144**********XX1X" in html


def test_script_in_a_name_is_escaped(client: TestClient, seeded: Seeded) -> None:
    for url in ("/debtors?lang=en", f"/debtors/{seeded.xss}?lang=en", "/debtors?q=%3Cscript%3E"):
        html = client.get(url).text
        assert XSS_NAME not in html, url
        assert "<script>alert" not in html, url
    html = client.get(f"/debtors/{seeded.xss}").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    search = client.get("/debtors", params={"q": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in search and "&#34;&gt;&lt;script&gt;" in search


def test_unknown_debtor_page_is_404(client: TestClient) -> None:
    for url in ("/debtors/999999", "/debtors/abc", "/debtors/12345678901234567890123"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "未找到" in response.text and "<html" in response.text


def test_static_assets_are_served(client: TestClient) -> None:
    assert "htmx" in client.get("/static/htmx.min.js").text[:200]
    assert ":root" in client.get("/static/app.css").text
