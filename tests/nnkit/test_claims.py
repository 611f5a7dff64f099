"""`claim`: a sentence of the book checked against the values it is about, and perturbed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnkit.book import claims
from nnkit.book.claims import (Check, ClaimError, above, agree, audit, below, between, claim,
                               equal, less_than, near, order_of)


def test_a_true_claim_is_silent():
    assert claim("Two is less than three.", below(np.float64(2.0), 3)) is None


def test_a_false_claim_quotes_the_sentence_and_the_values():
    with pytest.raises(ClaimError) as info:
        claim("Two exceeds three.", above(2.0, 3, name="x"),
              ends={"gd": np.float64(1.25), "adam": 8e-4})
    message = str(info.value)
    assert '"Two exceeds three."' in message
    assert "x = 2" in message and "'gd': 1.25" in message and "'adam': 0.0008" in message


def test_a_claim_is_an_assertion_error():
    assert issubclass(ClaimError, AssertionError)


@pytest.mark.parametrize("condition", [True, np.bool_(False), 1, None])
def test_the_old_precomputed_bool_form_is_refused_with_the_new_form_named(condition):
    with pytest.raises(TypeError, match="old form.*between"):
        claim(condition, "Sentence.")


def test_a_claim_needs_checks_and_a_sentence():
    with pytest.raises(TypeError, match="at least one check"):
        claim("Sentence.")
    with pytest.raises(TypeError, match="not a check"):
        claim("Sentence.", 2 < 3)
    with pytest.raises(TypeError, match="sentence"):
        claim("  ", below(1.0, 2.0))


@pytest.mark.parametrize("check, holds", [
    (below([1.0, 2.0], 3.0), True), (below([1.0, 4.0], 3.0), False),
    (above(5.0, 3.0), True), (between(4.0, 3.0, 5.5), True), (between(6.0, 3.0, 5.5), False),
    (near(4.2, 4.0, rel=0.1), True), (near(4.5, 4.0, rel=0.1), False),
    (near(0.004, 0.0, abs=0.01), True), (order_of(4e-5, 1e-4), True),
    (order_of(2e-5, 1e-4), False), (less_than(1.0, 2.0), True), (less_than(1.0, 2.0, factor=0.4), False),
    (agree([1.0, 2.0], [1.0, 2.0 + 1e-13], tol=1e-12), True),
    (agree(1.0, 1.01, tol=1e-3, relative=True), False),
    (equal(3, 3), True), (equal([1, 2], [1, 2]), True), (equal("a", "b"), False),
    (equal(np.zeros(3), 0.0), True), (equal([0.0, 1.0], 0.0), False), (equal([1, 2], [1, 2, 3]), False),
])
def test_each_kind_of_check_compares_as_its_name_says(check, holds):
    assert check.holds() is holds


def test_an_array_check_holds_only_if_every_entry_does():
    assert not between(np.array([3.5, 4.0, 6.0]), 3, 5.5).holds()


def test_a_tight_two_sided_check_fails_both_ways_under_perturbation():
    assert audit(near(4.0, 4.0, rel=0.25)) is None
    assert audit(between(4.1, 3.0, 5.5)) is None
    assert audit(agree(1.0, 1.0 + 1e-15, tol=1e-12)) is None
    assert audit(equal(64, 64)) is None and audit(equal(0, 0)) is None


def test_a_one_sided_check_near_its_bound_passes_the_audit():
    assert audit(below(0.95, 1.0)) is None
    assert audit(less_than(0.8, 1.0, margin=0.5)) is None


def test_a_bound_far_from_its_value_is_reported_as_vacuous():
    # the gradient ratio 2e-7 "below 1e-2": no 10 % or margin move reaches the bound
    assert audit(below(2e-7, 1e-2)).startswith("vacuous")
    # round-off claimed through a difference that is exactly zero, with a loose bound
    assert audit(below(0.0, 1e-12)).startswith("vacuous")


def test_a_value_compared_with_the_max_of_its_own_set_cannot_fail_when_perturbed():
    values = np.array([0.2, 0.5, 0.9])
    # as a comparison of two measured quantities the bound moves with the value
    check = Check("below", {"largest": values.max()}, {"bound": float(values.max()) + 1e-9})
    assert audit(check) is None  # a constant bound right at the value does fail when moved...
    assert audit(less_than(values.max(), values.max() * 1.5)).startswith("vacuous")


def test_a_wide_band_that_fails_only_one_way_is_reported_as_weak():
    assert audit(between(1.0, 0.0, 1.05)).startswith("weak")  # really "below 1.05"
    assert audit(between(0.01, 0.0, 100.0)).startswith("vacuous")


@pytest.mark.parametrize("low, high", [(0.2, 2.0), (0.5, 4.0), (1.0, 3.0), (-4.0, -0.5)])
def test_a_band_within_a_factor_of_ten_fails_both_ways_wherever_it_holds(low, high):
    # The band's room is measured in the metric in which `perturbations` moves a value (a step
    # of 1 or more divides), so a value anywhere in a band at most ten times wide fails both ways.
    for x in np.linspace(low, high, 41)[1:-1]:
        assert audit(between(float(x), low, high)) is None, x


def test_a_band_reaching_over_ten_times_below_the_value_is_weak():
    assert audit(between(2.0, 0.1, 5.0)).startswith("weak")   # 20 times below, 2.5 times above
    assert audit(between(0.3, 0.2, 5.0)).startswith("weak")   # 17 times above
    assert audit(between(2.0, 0.2, 5.0)) is None              # 10 times below, 2.5 times above


def test_a_string_check_is_reported():
    assert audit(equal("z < -4", "z < -4")).startswith("vacuous")


def test_a_margin_looser_than_a_factor_ten_is_refused():
    with pytest.raises(ValueError, match="margin"):
        below(1.0, 2.0, margin=100)


def test_checks_survive_a_trip_through_json():
    check = near(np.array([3.9, 4.1]), 4.0, rel=0.25, name="factors")
    again = Check.from_json(json.loads(json.dumps(check.to_json())))
    assert again == Check(check.kind, {"factors": [3.9, 4.1]}, check.bounds, check.margin, True)
    assert again.holds() and audit(again) is None


def test_claims_are_recorded_when_the_build_names_a_file(tmp_path, monkeypatch):
    target = tmp_path / "claims" / "ch.json"
    monkeypatch.setenv(claims.RECORD_ENV, str(target))
    claim("First.", below(0.95, 1.0))
    claim("Second.", near(4.0, 4.0, rel=0.1), equal(2, 2))
    data = json.loads(target.read_text())
    assert [r["sentence"] for r in data["claims"]] == ["First.", "Second."]
    assert [c["kind"] for c in data["claims"][1]["checks"]] == ["near", "equal"]
    data["pid"] = -1  # a new kernel (a rebuild) starts the file afresh
    target.write_text(json.dumps(data))
    claim("Third.", below(0.95, 1.0))
    assert [r["sentence"] for r in json.loads(target.read_text())["claims"]] == ["Third."]


def test_nothing_is_recorded_outside_the_build(tmp_path, monkeypatch):
    monkeypatch.delenv(claims.RECORD_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    claim("Silent.", below(0.95, 1.0))
    assert list(tmp_path.iterdir()) == []


def test_a_sign_can_fail_only_at_the_margin_of_a_sign():
    assert audit(above(0.3, 0.0)).startswith("vacuous")  # 10 % never changes a sign
    assert audit(above(0.3, 0.0, margin=1)) is None


def test_about_zero_is_perturbed_by_its_tolerance():
    assert audit(near(-3e-4, 0.0, abs=0.01)) is None
    assert audit(near(-8e-3, 0.0, abs=0.01)).startswith("weak")  # at one edge of +-0.01


def test_the_record_carries_the_fingerprint_of_the_page_code(tmp_path, monkeypatch):
    page = "# T\n\n```{code-cell} ipython3\nx = 1\n```\n\nProse.\n"
    monkeypatch.setenv(claims.RECORD_ENV, str(tmp_path / "p.json"))
    monkeypatch.setenv(claims.CODE_HASH_ENV, claims.code_hash(page))
    claim("One.", below(0.95, 1.0))
    recorded = json.loads((tmp_path / "p.json").read_text())["code"]
    assert recorded == claims.code_hash(page.replace("Prose.", "Other prose."))  # prose is free
    assert recorded != claims.code_hash(page.replace("x = 1", "x = 2"))          # code is not


def test_a_long_array_is_recorded_as_a_sample_that_keeps_its_extremes():
    x = np.linspace(0.5, 0.95, 100_000)
    x[12_345] = 0.999                                  # the entry that decides the audit
    data = below(x, 1.0).to_json()
    assert len(data["values"]["value"]) <= claims.RECORDED_ENTRIES + 3
    assert max(data["values"]["value"]) == 0.999
    assert audit(Check.from_json(data)) is None and audit(below(x, 1.0)) is None
    a = np.ones(50_000)
    b = a.copy()
    b[777] += 1e-13
    again = Check.from_json(agree(a, b, tol=1e-12).to_json())
    assert again.holds() and 1 + 1e-13 in again.values["b"]
