"""The ledger: every violation counted, the shown ones covering distinct causes."""

from __future__ import annotations

from threadconform.ledger import (
    MAX_KEPT_VIOLATIONS,
    MAX_RECORDED_VIOLATIONS,
    Finding,
    Ledger,
    Violation,
)


def violation(cause: str, n: int = 0) -> Finding:
    return Finding("PAGE-NO-GAPS", Violation("PAGE-NO-GAPS", f"{cause} #{n}", cause=cause))


def test_every_violation_is_counted_and_the_reason_says_how_many_are_shown() -> None:
    ledger = Ledger()
    ledger.add(violation("limit=7", n) for n in range(72))
    record = ledger.record("PAGE-NO-GAPS")
    assert record.violations == 72 and len(record.kept) == MAX_KEPT_VIOLATIONS
    assert record.status == "fail"
    assert record.reason.endswith(f"({MAX_KEPT_VIOLATIONS} shown of 72)")


def test_shown_violations_cover_distinct_causes_not_the_first_five() -> None:
    ledger = Ledger()
    ledger.add(violation("limit=7", n) for n in range(20))
    ledger.add([violation("limit=22"), violation("limit=35"), violation("limit=22", 1)])
    ledger.add(violation(f"limit={limit}") for limit in (36, 37, 38, 39))
    kept = ledger.record("PAGE-NO-GAPS").kept
    causes = [v.cause for v in kept]
    assert len(set(causes)) == MAX_KEPT_VIOLATIONS, causes
    assert causes[0] == "limit=7" and "limit=22" in causes and "limit=35" in causes
    assert ledger.record("PAGE-NO-GAPS").violations == 27


def test_a_few_violations_are_all_shown_without_a_count() -> None:
    ledger = Ledger()
    ledger.add([violation("limit=3"), violation("limit=3", 1)])
    record = ledger.record("PAGE-NO-GAPS")
    assert len(record.kept) == 2 and "shown of" not in record.reason


def test_walk_findings_are_reported_as_walks() -> None:
    ledger = Ledger()
    ledger.add([Finding("PAGE-NO-GAPS", walk=True)] * 31)
    assert ledger.record("PAGE-NO-GAPS").reason == "held in 31 walk(s)"
    ledger.add([Finding("PAGE-NO-GAPS")])
    assert ledger.record("PAGE-NO-GAPS").reason == "held in 32 check(s), 31 of them walks"
    ledger.add([Finding("ORDER-STABLE")] * 2)
    assert ledger.record("ORDER-STABLE").reason == "held in 2 check(s)"


def test_skips_never_count_as_checks() -> None:
    ledger = Ledger()
    ledger.add([Finding.skipped("PAGE-NO-GAPS", "the listing is empty")] * 3)
    record = ledger.record("PAGE-NO-GAPS")
    assert record.status == "skip" and record.reason == "the listing is empty"


def test_every_violation_is_recorded_up_to_the_bound_in_the_order_seen() -> None:
    ledger = Ledger()
    found = [Violation("META-PAGES", f"page {n} is wrong", (), "x", "y") for n in range(150)]
    ledger.add(Finding("META-PAGES", v) for v in found)
    record = ledger.record("META-PAGES")
    assert record.violations == 150 and len(record.kept) == MAX_KEPT_VIOLATIONS
    assert record.recorded == found[:MAX_RECORDED_VIOLATIONS]


def test_a_doubted_violation_keeps_the_rule_from_passing_whatever_else_held() -> None:
    """A walk whose repeat a write may explain, taken under writes every time: the walks
    that held elsewhere cannot clear it, so the rule skips and says why (a pass here would
    hide a fault that shows only at that walk's page boundaries)."""
    ledger = Ledger()
    why = "not judged: the listing changed during every one of 3 tries of limit=7"
    ledger.add([Finding.held("PAGE-NO-DUPLICATES") for _ in range(9)])
    ledger.add([Finding.doubted("PAGE-NO-DUPLICATES", why)])
    record = ledger.record("PAGE-NO-DUPLICATES")
    assert record.status == "skip"
    assert record.reason == f"{why} (it held in 9 other check(s))"


def test_a_plain_skip_beside_checks_that_held_is_a_pass() -> None:
    ledger = Ledger()
    ledger.add([Finding.held("FILTER-SUPERSET"), Finding.skipped("FILTER-SUPERSET", "n/a")])
    assert ledger.record("FILTER-SUPERSET").status == "pass"


def test_a_violation_beside_a_doubt_fails() -> None:
    ledger = Ledger()
    ledger.add([Finding.doubted("PAGE-NO-GAPS", "not judged"), violation("limit=3")])
    assert ledger.record("PAGE-NO-GAPS").status == "fail"
    assert ledger.record("PAGE-NO-GAPS").reason == "limit=3 #0"  # the evidence, not the doubt
