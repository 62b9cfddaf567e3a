"""The keyed chain against someone who can write the database but does not hold the MAC key."""

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from engine.actor import SYSTEM
from engine.config import Settings
from engine.errors import KeyUnavailable
from engine.history.keys import chain_keys, parse_keyring, rotate_key_file
from engine.store.schema import history_events, process_instances
from tests.conftest import ON_POSTGRES
from tests.history import tamper
from tests.history.conftest import complete_next, run_bench_approval

MIDDLE = 5  # an event with an actor, an element and data (not the first, not the last)


def _change(event, field):
    if field == "occurred_at":
        return {"occurred_at": event["occurred_at"] + timedelta(seconds=1)}
    return {
        "data": {"data": json.dumps({"decision": "approve", "amount": 1})},
        "actor": {"actor": "mallory"},
        "element_id": {"element_id": "finance_review"},
        "type": {"type": "task_cancelled"},
    }[field]


def test_every_event_is_signed_by_the_newest_key_generation(keyed, signed):
    result = keyed.history.verify(signed, SYSTEM)
    assert result.ok and result.unkeyed_events == 0
    assert [(s.generation, s.first_seq, s.last_seq) for s in result.segments] == [(1, 1, result.events)]
    assert result.describe() == (
        f"instance {signed}: history intact ({result.events} events: events 1-{result.events} signed by key generation 1)"
    )
    rows = tamper.events(keyed, signed)
    assert {r["key_gen"] for r in rows} == {1}
    # The MAC is not the plain SHA-256 the chain used to be.
    plain = tamper._link(rows[0], "", None)
    assert rows[0]["hash"] != plain


@pytest.mark.parametrize("field", ["data", "actor", "occurred_at", "element_id", "type"])
def test_a_field_changed_in_place_breaks_the_chain_at_that_event(keyed, signed, field):
    # Fails if the field is left out of the MAC input (e.g. the time stamp).
    event = tamper.events(keyed, signed)[MIDDLE - 1]
    with keyed.db.transaction() as conn:
        conn.execute(
            update(history_events)
            .where((history_events.c.instance_id == signed) & (history_events.c.seq == MIDDLE))
            .values(**_change(event, field))
        )
    result = keyed.history.verify(signed, SYSTEM)
    assert not result.ok and result.first_broken_seq == MIDDLE
    assert "recomputed without the key" in result.reason
    assert [(s.generation, s.first_seq, s.last_seq) for s in result.segments] == [(1, 1, MIDDLE - 1)]


@pytest.mark.parametrize("field", ["data", "actor", "occurred_at", "element_id", "type"])
@pytest.mark.parametrize("as_unkeyed", [False, True], ids=["claiming-the-key", "posing-as-unkeyed"])
def test_a_chain_recomputed_with_plain_sha256_is_broken(keyed, signed, field, as_unkeyed):
    chain = tamper.events(keyed, signed)
    chain[MIDDLE - 1].update(_change(chain[MIDDLE - 1], field))
    # Every later link and the instance row recomputed, as the old plain chain allowed.
    tamper.store(keyed, signed, chain, relink_from=MIDDLE, unkeyed=as_unkeyed)
    result = keyed.history.verify(signed, SYSTEM)
    assert not result.ok and result.first_broken_seq == MIDDLE
    if as_unkeyed:
        assert "unkeyed (plain SHA-256) after keyed events" in result.reason
    else:
        assert "recomputed without the key" in result.reason
    assert f"BROKEN at event {MIDDLE}" in result.describe()


def test_the_whole_chain_rewritten_as_unkeyed_is_broken_at_its_first_event(keyed, signed):
    chain = tamper.events(keyed, signed)
    tamper.store(keyed, signed, chain, relink_from=1, unkeyed=True)
    with keyed.db.transaction() as conn:
        conn.execute(update(process_instances).where(process_instances.c.id == signed).values(head_seal=None))
    result = keyed.history.verify(signed, SYSTEM)
    assert not result.ok and result.first_broken_seq == 1 and "unkeyed" in result.reason


def test_a_chain_recomputed_under_a_key_of_the_attackers_own_is_broken(keyed, signed):
    chain = tamper.events(keyed, signed)
    chain[MIDDLE - 1]["actor"] = "mallory"
    tamper.store(keyed, signed, chain, relink_from=MIDDLE, key=b"m" * 32, generation=1, seal=True)
    result = keyed.history.verify(signed, SYSTEM)
    assert not result.ok and result.first_broken_seq == MIDDLE


@pytest.mark.parametrize("unkeyed", [False, True])
def test_a_forged_event_appended_with_the_instance_row_fixed_is_detected(keyed, signed, unkeyed):
    chain = tamper.events(keyed, signed)
    forged = dict(chain[-2], seq=len(chain) + 1, type="task_completed", actor="mia")
    tamper.store(keyed, signed, [*chain, forged], relink_from=len(chain) + 1, unkeyed=unkeyed)
    result = keyed.history.verify(signed, SYSTEM)
    assert not result.ok and result.first_broken_seq == len(chain) + 1
    assert [(s.generation, s.first_seq, s.last_seq) for s in result.segments] == [(1, 1, len(chain))]


def test_the_last_event_deleted_and_the_instance_row_fixed_is_detected(keyed, signed):
    # Without the row's seal this leaves a perfectly valid, shorter chain.
    chain = tamper.events(keyed, signed)
    tamper.store(keyed, signed, chain[:-1], relink_from=len(chain))
    result = keyed.history.verify(signed, SYSTEM)
    assert not result.ok and result.first_broken_seq == len(chain)
    assert "the newest events were removed" in result.reason


def test_a_head_moved_without_the_key_is_detected(keyed, signed):
    with keyed.db.transaction() as conn:
        conn.execute(
            update(process_instances)
            .where(process_instances.c.id == signed)
            .values(head_seal="1:3:" + "0" * 64)
        )
    result = keyed.history.verify(signed, SYSTEM)
    assert not result.ok and "does not match its seal" in result.reason


def test_two_events_swapped_are_detected(keyed, signed):
    chain = tamper.events(keyed, signed)
    first, second = chain[2], chain[3]
    for column in ("type", "actor", "occurred_at", "element_id", "task_id", "data"):
        first[column], second[column] = second[column], first[column]
    tamper.store(keyed, signed, chain, relink_from=3)
    result = keyed.history.verify(signed, SYSTEM)
    assert not result.ok and result.first_broken_seq == 3


def test_rotation_old_events_verify_with_the_old_generation_new_ones_are_signed_by_the_new(
    make_engine, keyed, key_file
):
    instance_id = run_bench_approval(keyed, steps=1)
    before = tamper.events(keyed, instance_id)
    assert rotate_key_file(key_file) == 2
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    complete_next(keyed, instance_id, keyed.identity.actor("mia"))  # the running engine picks it up
    complete_next(keyed, instance_id, keyed.identity.actor("fay"))
    result = make_engine(chain_key_file=str(key_file)).history.verify(instance_id, SYSTEM)
    assert result.ok
    assert [(s.generation, s.first_seq, s.last_seq) for s in result.segments] == [
        (1, 1, len(before)),
        (2, len(before) + 1, result.events),
    ]
    assert (
        "signed by key generation 1" in result.describe()
        and "signed by key generation 2" in result.describe()
    )

    # A key ring that dropped generation 1 cannot vouch for what it signed.
    only_new = key_file.with_name("only-new")
    only_new.write_text(
        "\n".join(line for line in key_file.read_text().splitlines() if not line.startswith("1 "))
    )
    dropped = make_engine(chain_key_file=str(only_new)).history.verify(instance_id, SYSTEM)
    assert not dropped.ok and dropped.first_broken_seq == 1
    assert "key generation 1, which the key ring" in dropped.reason


def test_a_missing_key_file_is_a_clear_error(make_engine, keyed, signed, tmp_path):
    missing = tmp_path / "nowhere" / "chain-keys"
    engine = make_engine(chain_key_file=str(missing))
    with pytest.raises(KeyUnavailable, match=r"chain key file .*nowhere/chain-keys .*does not exist"):
        engine.history.verify(signed, SYSTEM)
    with pytest.raises(KeyUnavailable):
        engine.runtime.start("bench_approval", engine.identity.actor("sam"))
    assert not missing.exists()  # a configured file is never invented
    assert keyed.history.verify(signed, SYSTEM).ok  # nothing was written by the failed start


@pytest.mark.skipif(ON_POSTGRES, reason="the zero-configuration key file sits beside the SQLite database")
def test_zero_configuration_generates_a_private_key_file_beside_the_database(engine, database_url):
    instance_id = run_bench_approval(engine, steps=1)
    path = database_url.removeprefix("sqlite:///").removesuffix(".db") + ".chain-keys"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    ring = parse_keyring(Path(path).read_text(), path)
    assert ring.generations == (1,) and ring.unkeyed_through == 0
    assert engine.history.verify(instance_id, SYSTEM).ok


def test_the_key_may_come_from_the_environment_instead(make_engine, key_file):
    lines = [line for line in key_file.read_text().splitlines() if not line.startswith("#")]
    inline = make_engine(chain_keys=";".join(lines))
    instance_id = run_bench_approval(inline, steps=1)
    assert make_engine(chain_key_file=str(key_file)).history.verify(instance_id, SYSTEM).ok
    with pytest.raises(KeyUnavailable, match="not both"):
        chain_keys(make_engine(chain_keys="1 " + "A" * 44, chain_key_file=str(key_file)).settings)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "holds no key generation"),
        ("1 not-base64!", "line 1: the key of generation 1 is not base64"),
        ("# c\n1 AAAA", "line 2: the key of generation 1 has 3 bytes"),
        ("0 " + "A" * 44, "must be a positive integer"),
        ("1 " + "A" * 44 + "\n1 " + "B" * 44, "line 2: generation 1 is listed twice"),
        ("unkeyed-through x", "needs an instance id"),
        ("1", "expected '<generation> <base64 key>'"),
    ],
)
def test_a_malformed_key_ring_names_the_line(text, message):
    with pytest.raises(KeyUnavailable, match=message):
        parse_keyring(text, "keys")


def test_an_auditor_sees_the_generations_over_http_and_a_missing_key_is_503(
    make_engine, keyed, signed, tmp_path
):
    from server.app import create_app
    from server.settings import ServerSettings
    from tests.api.conftest import serve

    for server_engine, expected in ((keyed, 200), (make_engine(chain_key_file=str(tmp_path / "gone")), 503)):
        _, token = server_engine.identity.add_user(f"ann{expected}", ["auditor"])
        url, stop = serve(create_app(server_engine, ServerSettings()))
        try:
            import httpx

            with httpx.Client(
                base_url=url + "/api/v1", headers={"Authorization": f"Bearer {token}"}
            ) as client:
                response = client.get(f"/instances/{signed}/verify")
        finally:
            stop()
        assert response.status_code == expected, response.text
        body = response.json()
        if expected == 200:
            assert body["ok"] and body["segments"] == [
                {"generation": 1, "first_seq": 1, "last_seq": body["events"]}
            ]
            assert body["unkeyed_events"] == 0
        else:
            assert body["type"].endswith("key-unavailable") and "does not exist" in body["detail"]
            assert "Traceback" not in response.text


def test_a_running_instance_keeps_verifying_as_it_goes(keyed):
    instance_id = run_bench_approval(keyed, steps=0)
    for user in ("sam", "mia", "fay"):
        assert keyed.history.verify(instance_id, SYSTEM).ok
        complete_next(keyed, instance_id, keyed.identity.actor(user))
    assert keyed.history.verify(instance_id, SYSTEM).ok


def test_a_server_database_never_makes_up_its_own_key(tmp_path):
    """Each server process of a PostgreSQL installation would otherwise sign with a key of its own,
    and every other process would see its events as forged."""
    settings = Settings.from_env(database_url="postgresql://nobody@127.0.0.1:1/none", chain_key_file="")
    with pytest.raises(KeyUnavailable, match="APPROVALS_CHAIN_KEY_FILE"):
        chain_keys(settings)
