"""Metamorphic tests: variants of the fixture reports parse to the same sections, values and
problems (tests/parsers/variations.py). A bounded run; bench/bench_variations.py runs more."""

from __future__ import annotations

from pathlib import Path

import pytest
import variations as V

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.model import OutlineSpec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


@pytest.fixture(scope="module")
def outcomes(spec: OutlineSpec) -> list[V.Outcome]:
    return V.run(spec, seed=996, per_axis=4)


@pytest.mark.parametrize("axis", list(V.AXES))
def test_parse_is_invariant(axis: str, outcomes: list[V.Outcome]) -> None:
    mine = [o for o in outcomes if o.axis == axis]
    assert mine, f"no variant made for {axis}"
    failed = [f"{o.base} ({o.note}): {o.diffs[:3]}" for o in mine if not o.ok]
    assert not failed, "\n".join(failed)


def test_generator_is_seeded(spec: OutlineSpec) -> None:
    one = [(o.axis, o.base, o.note) for o in V.run(spec, seed=7, per_axis=1, axes=["header_synonyms", "none_cells"])]
    two = [(o.axis, o.base, o.note) for o in V.run(spec, seed=7, per_axis=1, axes=["header_synonyms", "none_cells"])]
    assert one == two


@pytest.mark.libreoffice
@pytest.mark.parametrize(("name", "target"), [("syt_full", "odt"), ("hhdn_styles", "doc"), ("p29_xlsx_hnd", "ods")])
def test_round_trip_is_invariant(name: str, target: str, spec: OutlineSpec) -> None:
    base = next(b for b in V.bases(spec) if b.name == name)
    outcome = V.check_round_trip(base, target, spec)
    assert outcome.ok, outcome.diffs
