"""Quartz cron timeCycles (Camunda 7): field checks that name the field, deploy refusals, a cron start
event and a cron boundary cycle on the test clock, and no burst of catch-up firings after downtime."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.actor import SYSTEM
from engine.cron import CronError, check_cron, looks_like_cron, parse_cron
from engine.errors import ModelValidationError
from engine.tasks.service import TaskQuery
from tests.factories import add_users, deploy_files

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


def firings(text: str, after: datetime, count: int = 3, tz=SHANGHAI) -> list[str]:
    cycle, out, moment = parse_cron(text, tz), [], after
    for n in range(count):
        found = cycle.next_after(moment, n)
        if found is None:
            break
        moment = found[1]
        out.append(moment.astimezone(tz).strftime("%a %Y-%m-%d %H:%M:%S"))
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0 0/5 * * * ?", ["Mon 2026-03-02 09:05:00", "Mon 2026-03-02 09:10:00", "Mon 2026-03-02 09:15:00"]),
        (
            "30 15 10 ? * MON-FRI",
            ["Mon 2026-03-02 10:15:30", "Tue 2026-03-03 10:15:30", "Wed 2026-03-04 10:15:30"],
        ),
        # Quartz counts day-of-week from 1 = Sunday (cron and croniter count from 0 = Sunday)
        ("0 0 12 ? * 1", ["Sun 2026-03-08 12:00:00", "Sun 2026-03-15 12:00:00", "Sun 2026-03-22 12:00:00"]),
        ("0 0 12 ? * */2", ["Tue 2026-03-03 12:00:00", "Thu 2026-03-05 12:00:00", "Sat 2026-03-07 12:00:00"]),
        ("0 0 18 L * ?", ["Tue 2026-03-31 18:00:00", "Thu 2026-04-30 18:00:00", "Sun 2026-05-31 18:00:00"]),
        ("0 0 8 15W * ?", ["Mon 2026-03-16 08:00:00", "Wed 2026-04-15 08:00:00", "Fri 2026-05-15 08:00:00"]),
        ("0 0 10 ? * 6#3", ["Fri 2026-03-20 10:00:00", "Fri 2026-04-17 10:00:00", "Fri 2026-05-15 10:00:00"]),
        ("0 0 10 ? * 6L", ["Fri 2026-03-27 10:00:00", "Fri 2026-04-24 10:00:00", "Fri 2026-05-29 10:00:00"]),
        ("0 0 10 ? * L", ["Sat 2026-03-07 10:00:00", "Sat 2026-03-14 10:00:00", "Sat 2026-03-21 10:00:00"]),
        ("0 0 9 1 JAN,JUL ? 2027", ["Fri 2027-01-01 09:00:00", "Thu 2027-07-01 09:00:00"]),
        ("0 0 0 29 FEB ?", ["Tue 2028-02-29 00:00:00", "Sun 2032-02-29 00:00:00", "Fri 2036-02-29 00:00:00"]),
        (
            "0 0 9-17/4 1 * ?",
            ["Wed 2026-04-01 09:00:00", "Wed 2026-04-01 13:00:00", "Wed 2026-04-01 17:00:00"],
        ),
    ],
)
def test_quartz_cron_fires_where_quartz_would(text, expected):
    assert looks_like_cron(text)
    assert firings(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 0 12 ? * MOX", "day-of-week: 'MOX' is not a day"),
        ("0 0 12 ? FOO *", "month: 'FOO' is not a month"),
        ("0 */0 * * * ?", "minutes: a step of 0 never moves"),
        ("0 0-99999999 * * * ?", "minutes: 99999999 is outside 0-59"),
        ("0 0 24 * * ?", "hours: 24 is outside 0-23"),
        ("0 0/61 * * * ?", "minutes: the step 61 is larger than the field"),
        ("0 0 12 20-10 * ?", "day-of-month: the range 20-10 runs backwards"),
        ("0 0 12 * * ? 2026 1", "has 8"),
        ("0 12 * * *", "has 5"),
        ("0 0 12 * * MON", "exactly one of day-of-month and day-of-week must be '?'"),
        ("0 0 12 ? * ?", "exactly one of day-of-month and day-of-week must be '?'"),
        ("? 0 12 1 * ?", "seconds: '?' is only allowed in day-of-month or day-of-week"),
        ("0 0 12 ? * 2#6", "day-of-week: in '2#6' the week must be 1-5"),
        ("0 0 12 ? * 2#1,3", "day-of-week: '2#1' cannot be part of a list"),
        ("0 0 12 LW * ?", "day-of-month: 'LW' is not supported"),
        ("0 0 12 L-3 * ?", "day-of-month: 'L-3' is not supported"),
        ("0 0 12 1,,2 * ?", "day-of-month: '1,,2' has an empty list item"),
        ("0 0 12 1 * ? 1969", "year: 1969 is outside 1970-2099"),
        ("0 0 0 30 2 ?", "never fires"),
        ("0 0 0 31 APR,JUN ?", "never fires"),
        ("0 0 0 1 1 ? 2020", "never fires"),
    ],
)
def test_hostile_cron_expressions_are_refused_naming_the_field(text, message):
    with pytest.raises(CronError) as err:
        check_cron(text, SHANGHAI, NOW)
    assert message in str(err.value)


def test_python_and_iso_timer_definitions_are_not_taken_for_cron():
    for text in ["R/PT1H", "PT5M", "2026-01-01T00:00:00Z", "days if urgent else 5", "${cycle}", "cycle"]:
        assert not looks_like_cron(text), text


def _process(process_id: str, body: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Defs_{process_id}"
  targetNamespace="http://example.com/approvals">
  <bpmn:process id="{process_id}" isExecutable="true">
{body}
  </bpmn:process>
</bpmn:definitions>
"""


def cron_start(cycle: str) -> str:
    return _process(
        "weekday_digest",
        f"""    <bpmn:startEvent id="weekday_morning">
      <bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t_start"><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">{cycle}</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:userTask id="read_digest" name="Read the digest"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="weekday_morning" targetRef="read_digest" />
    <bpmn:sequenceFlow id="f2" sourceRef="read_digest" targetRef="end" />""",
    )


def cron_boundary(cycle: str) -> str:
    return _process(
        "nagged",
        f"""    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="approve" name="Approve"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="nag" attachedToRef="approve" cancelActivity="false">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t_nag"><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">{cycle}</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="count_nag" name="Count"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:script>nagged = True</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="nag_end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="end" />
    <bpmn:sequenceFlow id="f3" sourceRef="nag" targetRef="count_nag" />
    <bpmn:sequenceFlow id="f4" sourceRef="count_nag" targetRef="nag_end" />""",
    )


def pending(engine, instance_id=None):
    return {t.element_id: t for t in engine.timers.list(SYSTEM, instance_id=instance_id)}


def test_a_cron_start_event_starts_an_instance_every_weekday_morning(engine, clock):
    clock.set(datetime(2026, 3, 5, 2, 0, tzinfo=UTC))  # Thursday 10:00 in Shanghai (the engine's zone)
    deploy_files(engine, {"digest.bpmn": cron_start("0 30 8 ? * MON-FRI")})
    started_on = []
    for _ in range(3):
        due = pending(engine)["weekday_morning"].due_at
        clock.set(due)
        assert engine.timers.fire_due().fired == 1
        started_on.append(due.astimezone(SHANGHAI).strftime("%a %H:%M"))
    assert started_on == ["Fri 08:30", "Mon 08:30", "Tue 08:30"]  # the weekend is skipped
    assert len(engine.runtime.list(SYSTEM)) == 3
    # down for a month: one catch-up start, then the next weekday morning after now (as Camunda)
    clock.set(datetime(2026, 4, 11, 4, 0, tzinfo=UTC))  # Saturday noon
    assert engine.timers.fire_due().fired == 1
    assert engine.timers.fire_due().fired == 0
    assert len(engine.runtime.list(SYSTEM)) == 4
    assert pending(engine)["weekday_morning"].due_at == datetime(2026, 4, 13, 0, 30, tzinfo=UTC)


def test_a_cron_boundary_cycle_nags_on_schedule_until_the_task_is_done(engine, clock):
    people = add_users(engine, sam="sales_rep")
    deploy_files(engine, {"nagged.bpmn": cron_boundary("0 0 9,15 ? * MON-FRI")})
    clock.set(datetime(2026, 3, 6, 2, 0, tzinfo=UTC))  # Friday 10:00 Shanghai
    instance = engine.runtime.start("nagged", people["sam"])
    nag = pending(engine, instance.id)["nag"]
    assert nag.due_at == datetime(2026, 3, 6, 7, 0, tzinfo=UTC)  # Friday 15:00
    seen = []
    for _ in range(3):
        clock.set(pending(engine, instance.id)["nag"].due_at)
        assert engine.timers.fire_due().fired == 1
        seen.append(clock.now().astimezone(SHANGHAI).strftime("%a %H:%M"))
    assert seen == ["Fri 15:00", "Mon 09:00", "Mon 15:00"]
    fired = [e for e in engine.history.events(instance.id, SYSTEM) if e.type == "timer_fired"]
    assert len(fired) == 3
    assert engine.runtime.get(instance.id, SYSTEM).data.get("nagged") is True
    # a long weekend of downtime: one firing, then the next slot after now, not a burst
    clock.set(datetime(2026, 3, 12, 8, 0, tzinfo=UTC))  # Thursday 16:00
    assert engine.timers.fire_due().fired == 1
    assert pending(engine, instance.id)["nag"].due_at == datetime(2026, 3, 13, 1, 0, tzinfo=UTC)
    assert engine.history.verify(instance.id, SYSTEM).ok


@pytest.mark.parametrize("cycle", ["0 0 9,15 ? * MON-FRI", "R/PT6H"])
def test_completing_the_task_ends_the_cycle(engine, clock, cycle):
    people = add_users(engine, sam="sales_rep")
    deploy_files(engine, {"nagged.bpmn": cron_boundary(cycle)})
    instance = engine.runtime.start("nagged", people["sam"])
    clock.set(pending(engine, instance.id)["nag"].due_at)
    assert engine.timers.fire_due().fired == 1
    (task,) = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
    engine.tasks.complete(task.id, people["sam"])
    assert pending(engine, instance.id) == {}
    assert engine.runtime.get(instance.id, SYSTEM).status == "completed"


@pytest.mark.parametrize(
    ("model", "element_id", "message"),
    [
        (cron_start("0 0 0 30 2 ?"), "weekday_morning", "never fires"),
        (cron_start("0 0 12 ? * MOX"), "weekday_morning", "day-of-week: 'MOX' is not a day"),
        (cron_boundary("0 */0 * * * ?"), "nag", "minutes: a step of 0 never moves"),
        (cron_boundary("0 0 12 * * ? 2026 1"), "nag", "has 8"),
    ],
)
def test_a_bad_cron_cycle_is_refused_at_deploy_naming_the_element_and_line(
    engine, model, element_id, message
):
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, {"cron.bpmn": model})
    (problem,) = err.value.problems
    assert problem.element_id == element_id and message in problem.message and problem.line
    assert problem.message.startswith("invalid timeCycle")
    assert pending(engine) == {}
