"""The database schema (SQLAlchemy Core). Alembic migrations in ``migrations/`` own the real schema;
``tests/store/test_migrations.py`` checks that they and this module agree."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite has no time zones, and hashes must be stable."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


BigId = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# --- identity -------------------------------------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("display_name", String(200)),
    Column("password_hash", String(200)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    # The web UI's language ('en' or 'zh') and IANA time zone; NULL: not chosen (the browser's).
    Column("locale", String(10)),
    Column("time_zone", String(64)),
)

groups = Table(
    "groups",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("description", String(300)),
    Column("created_at", UTCDateTime, nullable=False),
)

user_groups = Table(
    "user_groups",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_name", String(100), ForeignKey("groups.name"), primary_key=True),
    Index("ix_user_groups_group_name", "group_name"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(100)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
)

# Failed-login counters shared by every server process (engine/identity/throttle.py): one row per
# user name and per client address ('user', 'address'), and one per user and address a login
# succeeded from ('known').
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("scope", String(10), primary_key=True),
    Column("subject", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("blocked_until", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_login_throttle_updated_at", "updated_at"),
)

# --- repository -----------------------------------------------------------------------------

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("model_key", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", String(300)),
    Column("content_hash", String(64), nullable=False),
    Column("deployed_by", String(100), nullable=False),
    Column("deployed_at", UTCDateTime, nullable=False),
    Column("note", Text),
    Column("info", Text, nullable=False, default="{}"),
    UniqueConstraint("model_key", "version"),
    Index("ix_model_versions_model_key_content_hash", "model_key", "content_hash"),
)

model_files = Table(
    "model_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("name", String(300), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    UniqueConstraint("version_id", "name"),
)

# --- runtime --------------------------------------------------------------------------------

process_instances = Table(
    "process_instances",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("model_key", String(200), nullable=False),
    Column("version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("business_key", String(100)),
    Column("status", String(20), nullable=False),
    Column("initiator", String(100), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    # Incremented by every command; a command only commits if it is still the revision it read.
    Column("revision", Integer, nullable=False),
    # The workflow-level part of the SpiffWorkflow state; tasks are rows of instance_task_states.
    Column("state", Text, nullable=False),
    # The instance's current data (for reading without rebuilding the workflow).
    Column("data", Text, nullable=False),
    Column("last_seq", Integer, nullable=False, default=0),
    Column("last_hash", String(64), nullable=False, default=""),
    # "<key generation>:<HMAC>" over (id, last_seq, last_hash): the row's chain head cannot be
    # moved to a shorter chain without the key. NULL until a keyed command wrote the instance.
    Column("head_seal", String(80)),
    Column("error", Text),
    # A child started by a call activity: the parent instance, its call activity's element and
    # SpiffWorkflow task (engine/runtime/calls.py); NULL for an instance started otherwise.
    Column("parent_instance_id", Integer, ForeignKey("process_instances.id")),
    Column("parent_element_id", String(200)),
    Column("parent_spiff_task_id", String(36)),
    UniqueConstraint("model_key", "business_key"),
    Index("ix_process_instances_parent_instance_id", "parent_instance_id"),
    # The operations page's stalled instances (engine/incidents): the few rows with an error, without
    # walking every running instance. Partial (WHERE error IS NOT NULL) in migration 0012; declared
    # here without the condition, because a dialect's index option makes every process that imports
    # the schema load that dialect's module (tests/cli/test_start_cost.py).
    Index("ix_process_instances_stalled", "id"),
    Index("ix_process_instances_initiator", "initiator"),
    Index("ix_process_instances_business_key", "business_key"),
    Index("ix_process_instances_started_at", "started_at"),
    # The process overview's counts per version (engine/overview): running now, ended in a period.
    Index("ix_process_instances_status_ended_at_version_id", "status", "ended_at", "version_id"),
)
# The instance search's orders (engine/runtime/search.py), each ending in the id tie-break so that a
# page is read off an index in order on PostgreSQL too (SQLite appends the rowid to every index).
Index("ix_process_instances_status_id", process_instances.c.status, process_instances.c.id)
Index("ix_process_instances_model_key_id", process_instances.c.model_key, process_instances.c.id)
Index("ix_process_instances_ended_at_id", process_instances.c.ended_at, process_instances.c.id)

# The top-level scalar values of each instance's data, as text (engine/runtime/values.py), kept in
# step by every command that changes the data: "customer = ACME" is an index range, not a scan of
# every instance's JSON.
instance_values = Table(
    "instance_values",
    metadata,
    Column("instance_id", Integer, ForeignKey("process_instances.id"), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("value", String(200), nullable=False),
    Index("ix_instance_values_name_value_instance_id", "name", "value", "instance_id"),
    # On SQLite the primary key is the table (no rowid B-tree beside it): a command that changes a
    # value writes two B-trees, not three.
    sqlite_with_rowid=False,
)

business_key_sequences = Table(
    "business_key_sequences",
    metadata,
    Column("prefix", String(20), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_value", Integer, nullable=False),
)

instance_task_states = Table(
    "instance_task_states",
    metadata,
    Column("instance_id", Integer, ForeignKey("process_instances.id"), primary_key=True),
    Column("task_id", String(36), primary_key=True),
    # Creation order: SpiffWorkflow restores a task's data as a delta against its parent.
    Column("ord", Integer, nullable=False),
    # '' for the top-level workflow, else the id of the task that owns the subprocess.
    Column("workflow_key", String(36), nullable=False),
    Column("payload", Text, nullable=False),
)

# One row per call activity reached: which child instance it started (or why it could not: an
# incident), kept in step inside the parent's commands (engine/runtime/calls.py).
instance_calls = Table(
    "instance_calls",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("parent_instance_id", Integer, ForeignKey("process_instances.id"), nullable=False),
    Column("parent_element_id", String(200), nullable=False),
    Column("parent_spiff_task_id", String(36), nullable=False),
    Column("called_key", String(200), nullable=False),
    Column("child_instance_id", Integer, ForeignKey("process_instances.id")),
    Column("status", String(20), nullable=False),  # running | completed | cancelled | incident
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Index("ix_instance_calls_parent_instance_id_status", "parent_instance_id", "status"),
    Index("ix_instance_calls_child_instance_id", "child_instance_id"),
)

# --- inbox ----------------------------------------------------------------------------------

user_tasks = Table(
    "user_tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("instance_id", Integer, ForeignKey("process_instances.id"), nullable=False),
    Column("spiff_task_id", String(36), nullable=False),
    Column("element_id", String(200), nullable=False),
    Column("name", String(300)),
    Column("model_key", String(200), nullable=False),
    Column("version_id", Integer, nullable=False),
    Column("business_key", String(100)),
    Column("lane", String(200)),
    Column("status", String(20), nullable=False),
    Column("assignee", String(100)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime),
    Column("completed_at", UTCDateTime),
    Column("completed_by", String(100)),
    Column("due_at", UTCDateTime),
    Column("priority", Integer, nullable=False, default=50),
    Column("form_key", String(200)),
    Column("is_approval", Boolean, nullable=False, default=False),
    Column("suspended", Boolean, nullable=False, default=False),
    UniqueConstraint("instance_id", "spiff_task_id"),
    Index("ix_user_tasks_status_assignee", "status", "assignee"),
    Index("ix_user_tasks_instance_id_status", "instance_id", "status"),
    # The inbox's business key filter: one request, or a prefix range ("MKT-2026-*").
    Index("ix_user_tasks_business_key", "business_key"),
    # The process overview: a version's completed tasks in a period, its open and overdue ones, each
    # read off the index alone (engine/overview).
    Index(
        "ix_user_tasks_version_waits",
        "version_id",
        "status",
        "completed_at",
        "element_id",
        "created_at",
        "due_at",
    ),
)
# The inbox's two orders, ending in the id tie-break, so a page is read off an index in order and
# the scan stops at the page's end instead of sorting every open task.
Index("ix_user_tasks_status_due_at_id", user_tasks.c.status, user_tasks.c.due_at, user_tasks.c.id)
Index("ix_user_tasks_status_priority_id", user_tasks.c.status, user_tasks.c.priority.desc(), user_tasks.c.id)

user_task_candidates = Table(
    "user_task_candidates",
    metadata,
    Column("task_id", Integer, ForeignKey("user_tasks.id", ondelete="CASCADE"), primary_key=True),
    # 'group', 'user', or 'anyone' (name '*') for a task that names no candidates: then "may this
    # actor claim it" is one EXISTS that the planner turns into an index probe per task.
    Column("kind", String(10), primary_key=True),
    Column("name", String(100), primary_key=True),
    Index("ix_user_task_candidates_kind_name_task_id", "kind", "name", "task_id"),
)

# --- history --------------------------------------------------------------------------------

history_events = Table(
    "history_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("instance_id", Integer, ForeignKey("process_instances.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("actor", String(100)),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("version_id", Integer, nullable=False),
    Column("model_version", Integer, nullable=False),
    Column("element_id", String(200)),
    Column("task_id", Integer),
    Column("data", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # The MAC key generation that signed ``hash`` (HMAC-SHA-256); NULL for plain SHA-256 events
    # written before the chain was keyed (engine/history/keys.py).
    Column("key_gen", Integer),
    UniqueConstraint("instance_id", "seq"),
    # "the instances I take part in": every instance where the user did something.
    Index("ix_history_events_actor_instance_id", "actor", "instance_id"),
)

# --- timers, event subscriptions, outbox ------------------------------------------------------

timers = Table(
    "timers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # None for a start timer, which starts new instances of its version.
    Column("instance_id", Integer, ForeignKey("process_instances.id")),
    Column("version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("model_key", String(200), nullable=False),
    Column("element_id", String(200), nullable=False),
    Column("spiff_task_id", String(36)),
    Column("kind", String(20), nullable=False),  # start | catch | boundary
    Column("expression", Text),
    Column("due_at", UTCDateTime, nullable=False),
    Column("occurrence", Integer, nullable=False, default=0),
    Column("status", String(20), nullable=False),  # pending | fired | cancelled | incident
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("fired_at", UTCDateTime),
    Index("ix_timers_status_due_at", "status", "due_at"),
    Index("ix_timers_instance_id_status", "instance_id", "status"),
)

event_subscriptions = Table(
    "event_subscriptions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # None for a start event, which starts new instances of its version.
    Column("instance_id", Integer, ForeignKey("process_instances.id")),
    Column("version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("model_key", String(200), nullable=False),
    Column("element_id", String(200), nullable=False),
    Column("spiff_task_id", String(36)),
    Column("kind", String(20), nullable=False),  # message | signal
    Column("event_name", String(200), nullable=False),
    Column("correlation_key", String(200)),
    Column("status", String(20), nullable=False),  # waiting | delivered | cancelled
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Index("ix_event_subscriptions_kind_event_name_status", "kind", "event_name", "status"),
    Index("ix_event_subscriptions_instance_id_status", "instance_id", "status"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("instance_id", Integer, ForeignKey("process_instances.id")),
    Column("kind", String(40), nullable=False),  # reminder | escalation | message | signal
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Index("ix_outbox_delivered_at", "delivered_at"),
)

records = Table(
    "records",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(100), nullable=False),
    Column("instance_id", Integer, ForeignKey("process_instances.id"), nullable=False),
    Column("model_key", String(200), nullable=False),
    Column("version_id", Integer, nullable=False),
    Column("business_key", String(100)),
    Column("element_id", String(200), nullable=False),
    Column("data", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_records_kind_created_at", "kind", "created_at"),
)

# --- external tasks (engine/external) ------------------------------------------------------

external_tasks = Table(
    "external_tasks",
    metadata,
    # Camunda's external-task ids are strings; workers only ever echo them back.
    Column("id", String(32), primary_key=True),
    Column("instance_id", Integer, ForeignKey("process_instances.id"), nullable=False),
    Column("version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("model_key", String(200), nullable=False),
    Column("element_id", String(200), nullable=False),
    Column("spiff_task_id", String(36), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("priority", BigInteger, nullable=False, default=0),
    Column("business_key", String(100)),
    Column("worker_id", String(200)),
    Column("lock_expires_at", UTCDateTime),
    Column("retries", Integer),  # NULL until a failure sets it, as in Camunda
    Column("error_message", Text),
    Column("error_details", Text),
    Column("available_at", UTCDateTime),  # a failed task is fetched again from here (retryTimeout)
    Column("status", String(20), nullable=False),  # open | completed | cancelled | incident
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Index("ix_external_tasks_status_topic", "status", "topic"),
    Index("ix_external_tasks_instance_id_status", "instance_id", "status"),
)
