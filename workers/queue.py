"""The job queue's names, in one place: what the ingress, the sweeper, the gRPC services and the workers
enqueue, and the deterministic job ids that make enqueueing the same work twice a no-op (arq keeps one job
per id while it is queued, running, or its result is kept).

    ingest_event(tenant_id, inbox_id)     a stored webhook → records          job id ingest:{inbox_id}
    run_record(tenant_id, record_id)      one attempt of a record's flow     job id record:{id}[:r{replays}]:{attempt}
    deliver_alert(tenant_id, alert_id)    send one alert over the tenant's channel   job id alert:{alert_id}
    start_run(tenant_id, run_id)          a sync run finds its records (flow's discover) job id run:{run_id}[:p{passes}]
    preview_record(tenant_id, record_id)  a dry run: what the record's next attempt would send (returned as
                                          the job's result, a dict; nothing is written anywhere)
                                                                               job id preview:{record_id}:{nonce}
    estimate_run(tenant_id, flow, start, end)  what a run over the window would take (the flow's estimate, a
                                          dict as the job's result)           job id estimate:{nonce}
"""

from __future__ import annotations

QUEUE = "connectors:queue"
"""arq's queue name (its default, ``arq:queue``, is shared by anything else on the same Redis)."""

INGEST_EVENT = "ingest_event"
RUN_RECORD = "run_record"
DELIVER_ALERT = "deliver_alert"
START_RUN = "start_run"
PREVIEW_RECORD = "preview_record"
ESTIMATE_RUN = "estimate_run"


def ingest_job_id(inbox_id: str) -> str:
    return f"ingest:{inbox_id}"


def record_job_id(record_id: str, attempt: int, replays: int = 0, late: int | None = None) -> str:
    """One job per attempt; a replayed record counts its attempts from 1 again, so the replay is in the id.
    ``late``: the sweeper's period when it finds the attempt's job long overdue (its worker died holding it,
    and arq keeps a dead job's id until its timeout), so the job it queues instead has an id of its own."""
    base = f"record:{record_id}:{attempt}" if not replays else f"record:{record_id}:r{replays}:{attempt}"
    return base if late is None else f"{base}:late{late}"


def alert_job_id(alert_id: str) -> str:
    return f"alert:{alert_id}"


def run_job_id(run_id: str, passes: int = 0) -> str:
    """The job of a run's next discovery pass: ``passes`` have started before it (a dead pass's job id is kept
    by arq until its timeout, so the pass after it needs an id of its own)."""
    return f"run:{run_id}" if not passes else f"run:{run_id}:p{passes}"


def preview_job_id(record_id: str, nonce: str) -> str:
    return f"preview:{record_id}:{nonce}"
