"""What the web process asks of the runs layer: after staff rebuild the report in the
workspace, the Prefect dashboard's report artifact (`bao-cao-tong-hop-moi-nhat`) is refreshed
the same way the build-report flow refreshes it. The web never imports prefect: the entry
point (`baocao web`, the demo) hands it `refresh_report_artifact`."""

from __future__ import annotations

import os
from typing import Any

from flows.app import App, status_report


def refresh_report_artifact(app: App, campaign_id: str, result: dict[str, Any]) -> str | None:
    """Publish the report just built and the review queue; None when done, else why not (in
    Vietnamese, for the page: the report itself is built either way)."""
    if not os.environ.get("PREFECT_API_URL"):
        return "tiến trình web không kết nối với máy chủ Prefect (chưa đặt PREFECT_API_URL)"
    try:
        from flows.runs import dashboard  # lazy: prefect loads only when a report is rebuilt
        from flows.runs.pipelines import artifact_campaign  # lazy: imports prefect too (see above)

        status = status_report(app, campaign_id)
        labels = {r.id: r.label for r in app.campaign(campaign_id).outline.table.rows}
        keyed = artifact_campaign(app, campaign_id)
        dashboard.publish_report(result, status["review"], labels, app.settings.web.base_url, keyed=keyed)
        dashboard.publish_review(status["review"], app.settings.web.base_url, keyed=keyed)
    except Exception as err:  # noqa: BLE001 — the report is built; the page says the dashboard is not
        return f"không cập nhật được bảng theo dõi Prefect ({type(err).__name__}: {err})"
    return None
