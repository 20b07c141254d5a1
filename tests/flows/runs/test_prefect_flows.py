"""Plain parts of the flows module: how a full cycle sums up its steps."""

from __future__ import annotations

import pytest


def test_cycle_result_returns_each_steps_summary() -> None:
    from prefect.states import Completed

    from flows.runs.pipelines import cycle_result

    states = {"mail": Completed(data={"ingest": 1}), "report": Completed(data={"report": 2})}
    assert cycle_result(states) == {"mail": {"ingest": 1}, "report": {"report": 2}}


def test_cycle_fails_naming_the_failed_steps_after_running_all() -> None:
    from prefect.states import Completed, Failed

    from flows.runs.pipelines import CycleStepFailed, cycle_result

    states = {
        "mail": Failed(message="IMAP: không kết nối được"),
        "reminders": Completed(data={}),
        "report": Failed(message="LibreOffice lỗi"),
    }
    with pytest.raises(CycleStepFailed) as info:
        cycle_result(states)
    assert "2 bước thất bại" in str(info.value)
    assert "mail: IMAP: không kết nối được" in str(info.value)
    assert "report: LibreOffice lỗi" in str(info.value)
