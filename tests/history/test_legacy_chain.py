"""Events chained with plain SHA-256 before migration 0005 still verify, reported as unkeyed."""

from sqlalchemy import update

from engine.actor import SYSTEM
from engine.history.keys import create_key_file, parse_keyring, unkeyed_boundary
from engine.store import migrate
from engine.store.schema import process_instances
from tests.history import tamper
from tests.history.conftest import complete_next, run_bench_approval


def _as_written_before_0005(engine, instance_id):
    """What the 0004 code stored: plain SHA-256 links, no key generation, no head seal."""
    tamper.store(engine, instance_id, tamper.events(engine, instance_id), relink_from=1, unkeyed=True)
    with engine.db.transaction() as conn:
        conn.execute(
            update(process_instances).where(process_instances.c.id == instance_id).values(head_seal=None)
        )


def test_a_trail_from_before_the_key_verifies_as_unkeyed_and_continues_keyed(make_engine, tmp_path):
    early_key = tmp_path / "early-keys"
    create_key_file(early_key, 0)
    engine = make_engine(chain_key_file=str(early_key))
    old = run_bench_approval(engine, steps=1)

    migrate.downgrade(engine.db, "0004")
    assert migrate.current_revision(engine.db) == "0004"
    _as_written_before_0005(engine, old)
    migrate.upgrade(engine.db)
    assert migrate.current_revision(engine.db) == migrate.SCHEMA_HEAD

    # The key is made after the upgrade (`approvals audit chain-key new`): it lets only the
    # instances that already had history keep plain links.
    key_file = tmp_path / "keys"
    with engine.db.read() as conn:
        assert create_key_file(key_file, unkeyed_boundary(conn))
    assert parse_keyring(key_file.read_text(), "keys").unkeyed_through == old
    upgraded = make_engine(chain_key_file=str(key_file))
    legacy = len(tamper.events(upgraded, old))

    result = upgraded.history.verify(old, SYSTEM)
    assert result.ok and result.unkeyed_events == legacy
    assert "unkeyed (plain SHA-256, from before the chain was keyed: weaker)" in result.describe()

    complete_next(upgraded, old, upgraded.identity.actor("mia"))
    result = upgraded.history.verify(old, SYSTEM)
    assert result.ok
    assert [(s.generation, s.first_seq, s.last_seq) for s in result.segments] == [
        (None, 1, legacy),
        (1, legacy + 1, result.events),
    ]

    # The keyed tail anchors the old part: a rewrite there breaks the first keyed link.
    chain = tamper.events(upgraded, old)
    chain[1]["actor"] = "mallory"
    tamper.store(upgraded, old, chain[:legacy], relink_from=2, unkeyed=True)  # up to the old head only...
    tamper.store(upgraded, old, tamper.events(upgraded, old) + chain[legacy:], relink_from=len(chain) + 1)
    broken = upgraded.history.verify(old, SYSTEM)
    assert not broken.ok and broken.first_broken_seq == legacy + 1

    # An instance started after the key existed may not pose as one from before.
    new = upgraded.runtime.start("bench_approval", upgraded.identity.actor("sam")).id
    assert new > old
    _as_written_before_0005(upgraded, new)
    posing = upgraded.history.verify(new, SYSTEM)
    assert not posing.ok and posing.first_broken_seq == 1
    assert f"only instances up to {old} were chained before the key existed" in posing.reason


def test_a_keyed_tail_rewritten_as_unkeyed_on_an_old_instance_is_broken(make_engine, tmp_path):
    key_file = tmp_path / "keys"
    create_key_file(key_file, 0)
    engine = make_engine(chain_key_file=str(key_file))
    old = run_bench_approval(engine, steps=1)
    _as_written_before_0005(engine, old)
    legacy = len(tamper.events(engine, old))
    key_file.unlink()
    with engine.db.read() as conn:
        create_key_file(key_file, unkeyed_boundary(conn))
    engine = make_engine(chain_key_file=str(key_file))
    complete_next(engine, old, engine.identity.actor("mia"))
    assert engine.history.verify(old, SYSTEM).ok

    chain = tamper.events(engine, old)
    chain[legacy + 1]["data"] = '{"forged": true}'
    tamper.store(engine, old, chain, relink_from=legacy + 2, unkeyed=True)
    result = engine.history.verify(old, SYSTEM)
    assert not result.ok and result.first_broken_seq == legacy + 2
    assert "after keyed events" in result.reason
