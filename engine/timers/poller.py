"""The timer poller: APScheduler only wakes it; the database decides what is due and who fires it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from engine.history.checkpoints import periodic_checkpoints
from engine.timers.service import FireReport, TimerService

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger(__name__)


class TimerPoller:
    def __init__(self, timers: TimerService, interval_seconds: float) -> None:
        self.timers = timers
        self.interval = interval_seconds
        self._scheduler: BaseScheduler | None = None

    def poll(self) -> FireReport:
        """Fire everything due now (all of it: a poll drains the backlog, e.g. after downtime)."""
        total = FireReport()
        while True:
            report = self.timers.fire_due(limit=500)
            total.fired += report.fired
            total.failed += report.failed
            if report.fired + report.failed < 500:
                break
        if total.fired or total.failed:
            log.info("timers fired: %s, failed: %s", total.fired, total.failed)
        return total

    def _safe_poll(self) -> None:
        try:
            self.poll()
            self._wake_for_next()
        except Exception:  # a database outage must not kill the scheduler thread
            log.exception("timer poll failed")

    def _wake_for_next(self) -> None:
        # A timer coming due before the next regular poll gets a wake-up of its own, so it fires
        # on time instead of up to an interval late.
        next_due = self.timers.next_due()
        scheduler = self._scheduler
        if next_due is None or scheduler is None:
            return
        now = self.timers.clock.now()
        # Not for what is already due (it could not be fired just now: its instance was busy): that
        # waits for the regular poll instead of spinning.
        if now < next_due < now + timedelta(seconds=self.interval):
            scheduler.add_job(
                self._safe_poll,
                "date",
                run_date=next_due,
                id="timer-wake",
                replace_existing=True,
                misfire_grace_time=None,
            )

    def start(self, blocking: bool = False) -> None:
        """Poll now (catch-up after downtime), then every interval."""
        # APScheduler (with asyncio and multiprocessing behind it) is imported here, by the processes
        # that poll: every other `approvals` command starts without it (docs/engineering.md).
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.schedulers.blocking import BlockingScheduler

        scheduler = BlockingScheduler() if blocking else BackgroundScheduler(daemon=True)
        scheduler.add_job(
            self._safe_poll,
            "interval",
            seconds=self.interval,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
            id="timer-poll",
        )
        # The poller's process also seals the history when APPROVALS_CHECKPOINT_DIR is set.
        checkpoint = periodic_checkpoints(self.timers.db, self.timers.settings, self.timers.clock)
        if checkpoint is not None:
            scheduler.add_job(
                checkpoint,
                "interval",
                seconds=self.timers.settings.checkpoint_seconds,
                max_instances=1,
                coalesce=True,
                id="history-checkpoint",
            )
        self._scheduler = scheduler
        scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self._scheduler = None
