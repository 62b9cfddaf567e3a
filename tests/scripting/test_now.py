"""now() in scripts, conditions and timer expressions is the command's clock, which tests move."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.actor import SYSTEM
from engine.errors import ScriptError, WorkflowError
from engine.scripting.sandbox import evaluate, execute
from engine.tasks.service import TaskQuery
from tests.factories import MODELS, add_users, deploy_files, deploy_path


@pytest.mark.parametrize(
    ("review_after", "end"), [(timedelta(days=3), "late"), (timedelta(days=1), "on_time")]
)
def test_scripts_conditions_and_timers_read_the_commands_clock(make_engine, clock, review_after, end):
    engine = make_engine()
    deploy_path(engine, MODELS / "stamp")
    people = add_users(engine, sam="sales_rep", mona="sales_manager")
    started_at = clock.now()
    instance = engine.runtime.start("stamp", people["sam"])
    data = engine.runtime.get(instance.id, SYSTEM).data
    local = started_at.astimezone(ZoneInfo(engine.settings.timezone))
    assert datetime.fromisoformat(data["stamped"]) == started_at
    assert data["stamped"] == local.isoformat()  # in the engine's time zone: .date() is the local day
    assert data["stamped_day"] == local.date().isoformat()
    (timer,) = engine.timers.list(SYSTEM, instance_id=instance.id)
    assert timer.due_at == started_at + timedelta(hours=2)

    clock.advance(timedelta(hours=2, seconds=1))
    assert engine.timers.fire_due().fired == 1
    clock.advance(review_after)
    fresh = make_engine()  # rebuilt from the stored state: now() is bound again, to this command
    (review,) = fresh.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
    fresh.tasks.complete(review.id, people["mona"])
    ended = [e.element_id for e in fresh.history.events(instance.id, SYSTEM) if e.type == "end_event"]
    assert ended == [end]


def test_functions_join_the_sandbox_without_becoming_data():
    functions = {"now": lambda: "the command's moment"}
    assert evaluate("now()", {}, functions) == "the command's moment"
    assert evaluate("now", {"now": "a variable"}, functions) == "a variable"  # data hides them
    data: dict = {}
    execute("at = now()", data, functions)
    assert data == {"at": "the command's moment"}
    with pytest.raises(NameError):
        evaluate("now()", {})


def test_a_value_process_data_cannot_keep_is_refused_naming_the_variable():
    for script, kind in (("at = now()", "datetime"), ("xs = [1, {'d': date(2026, 1, 1)}]", "date")):
        with pytest.raises(ScriptError, match=f"'(at|xs)' would hold a {kind}.*isoformat"):
            execute(script, {}, {"now": lambda: datetime(2026, 1, 1, tzinfo=UTC)})
    with pytest.raises(ScriptError, match="'tags' would hold a set"):
        execute("tags = {'a', 'b'}", {})
    data = {"kept": {1, 2}}  # what a script did not touch is not its business
    execute("n = len(kept)", data)
    assert data["n"] == 2


def test_a_script_storing_now_itself_fails_its_command_with_a_clear_error(engine):
    bpmn = (MODELS / "stamp" / "stamp.bpmn").read_text()
    deploy_files(engine, {"stamp.bpmn": bpmn.replace("stamped = now().isoformat()", "stamped = now()")})
    people = add_users(engine, sam="sales_rep")
    with pytest.raises(WorkflowError) as err:
        engine.runtime.start("stamp", people["sam"])
    assert err.value.problems[0].element_id == "stamp_it"
    assert "'stamped' would hold a datetime" in err.value.message
    assert engine.runtime.list(SYSTEM) == []
