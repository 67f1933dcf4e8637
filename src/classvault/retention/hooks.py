"""Hooks retention runs for the apps above it (core.hooks; docs/architecture.md)."""

from classvault.core.hooks import Hook

# Run by the retention schedule (retention.jobs.retention_tick) after each run, outside any
# transaction, with ``now``: apps above add their own deadline work to the worker's
# schedule (rights: reminders of data-subject requests). Each handler is idempotent.
schedule_ran: Hook = Hook("schedule_ran")
