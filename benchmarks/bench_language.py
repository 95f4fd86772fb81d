"""Language check speed: median time to check a 300-character collection note (lexicons compiled once)."""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.common import Result

NOTE = (
    "客户今天上午接通，称本月工资推迟发放，暂时无法全额还款。已告知当前逾期金额人民币3,256.80元，其中本金3,000元，"
    "滞纳金50元，罚息206.80元。客户同意3月15日前先还1,000元，通过手机银行转账。提醒客户保留转账凭证。"
    "客户情绪激动，说别再给我打电话了，我已经请了律师。坐席回复：再不还钱我们明天就上门找你，让你全家不得安宁。"
    "Customer says the amount is wrong and asks for a statement. "
    "We'll send a written statement by e-mail today."
)


def main(argv: list[str] | None = None) -> list[Result]:
    """Check the note many times and report the median and the first (cold) call."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args(argv)
    from arrears.compliance.language.detector import check_text
    from arrears.compliance.language.lexicon import load_lexicons

    note = NOTE[:300]
    start = time.perf_counter()
    load_lexicons()
    cold = time.perf_counter() - start
    times = []
    found = 0
    for _ in range(args.runs):
        t0 = time.perf_counter()
        found = len(check_text(note))
        times.append(time.perf_counter() - t0)
    median_ms = statistics.median(times) * 1000
    return [
        Result("language check: 300-char note (median)", round(median_ms, 3), "ms", "< 5 ms", median_ms < 5,
               f"{args.runs} runs, {found} findings per note"),
        Result("language check: lexicon load + compile (cold)", round(cold * 1000, 1), "ms", "< 1000 ms",
               cold < 1.0, ""),
    ]


if __name__ == "__main__":
    for r in main():
        print(r.as_dict())
