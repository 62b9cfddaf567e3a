"""Signed checkpoints against someone who holds the MAC key and can write the database."""

import base64
import json
import os
import stat
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import update

from cli.main import main as approvals
from engine.actor import SYSTEM
from engine.clock import ManualClock
from engine.errors import InvalidInput, KeyUnavailable
from engine.history import checkpoints
from engine.history.keys import chain_keys, parse_keyring
from engine.history.signing import generate_key_pair
from engine.store.schema import process_instances
from engine.timers.poller import TimerPoller
from tests.history import tamper
from tests.history.conftest import complete_next, run_bench_approval


@pytest.fixture
def signer(tmp_path):
    private, public = tmp_path / "signing" / "checkpoint.key", tmp_path / "signing" / "checkpoint.pub"
    generate_key_pair(private, public)
    return private, public


@pytest.fixture
def audited(make_engine, key_file, signer, tmp_path):
    """An engine configured for checkpoints, with two finished instances and one running."""
    engine = make_engine(
        chain_key_file=str(key_file),
        checkpoint_dir=str(tmp_path / "checkpoints"),
        checkpoint_signing_key_file=str(signer[0]),
    )
    first = run_bench_approval(engine)
    second = engine.runtime.start("bench_approval", engine.identity.actor("sam")).id
    third = engine.runtime.start("bench_approval", engine.identity.actor("sam")).id
    engine.instance_ids = (first, second, third)
    return engine


def _take(engine, tmp_path, name="cp.json"):
    path, _ = checkpoints.checkpoint_now(engine.db, engine.settings, engine.clock, tmp_path / name)
    return path


def _verify(engine, path, public=None):
    return checkpoints.verify_checkpoint(engine.db, engine.settings, path, str(public) if public else None)


def _mac_key(key_file):
    return parse_keyring(key_file.read_text(), "keys").signing_key


def test_a_checkpoint_seals_every_chain_head_and_verifies(audited, tmp_path, signer):
    path = _take(audited, tmp_path)
    document = json.loads(path.read_text())
    heads = document["payload"]["heads"]
    assert [h[0] for h in heads] == list(audited.instance_ids)
    for instance_id, seq, mac in heads:
        assert (seq, mac) == (
            tamper.events(audited, instance_id)[-1]["seq"],
            tamper.events(audited, instance_id)[-1]["hash"],
        )
    assert document["payload"]["unverified"] == []
    report = _verify(audited, path, signer[1])
    assert report.ok and report.sealed == 3 and report.checked == 3
    assert "all unchanged since" in report.describe()

    # Work going on after the checkpoint is no difference.
    tamper_free = audited.runtime.start("bench_approval", audited.identity.actor("sam")).id
    complete_next(audited, audited.instance_ids[1], audited.identity.actor("sam"))
    report = _verify(audited, path, signer[1])
    assert (
        report.ok and report.checked == 4 and tamper_free not in {d.instance_id for d in report.differences}
    )


@pytest.mark.parametrize("how", ["head", "signature", "other-signer"])
def test_an_altered_checkpoint_is_rejected(audited, tmp_path, signer, how):
    path = _take(audited, tmp_path)
    document = json.loads(path.read_text())
    if how == "head":  # the attacker fits the checkpoint to a rewritten history
        document["payload"]["heads"][0][2] = "0" * 64
    elif how == "signature":
        raw = bytearray(base64.b64decode(document["signature"]))
        raw[0] ^= 1
        document["signature"] = base64.b64encode(bytes(raw)).decode()
    else:  # re-signed with a key of the attacker's own
        forged_private, forged_public = tmp_path / "f.key", tmp_path / "f.pub"
        generate_key_pair(forged_private, forged_public)
        forger = replace(audited.settings, checkpoint_signing_key_file=str(forged_private))
        with audited.db.read() as conn:
            document = checkpoints.take_checkpoint(
                conn, chain_keys(forger, conn), checkpoints.signing_key(forger), audited.clock.now()
            )
    path.write_text(json.dumps(document))
    report = _verify(audited, path, signer[1])
    assert not report.ok and not report.signature_ok
    assert report.describe().startswith("checkpoint REJECTED: its signature does not verify")


def test_history_rewritten_with_the_mac_key_is_still_caught_by_the_checkpoint(
    audited, tmp_path, signer, key_file
):
    path = _take(audited, tmp_path)
    first, second, third = audited.instance_ids
    key = _mac_key(key_file)
    # Holding the MAC key, the attacker rewrites an approval, relinks the chain, reseals the row.
    chain = tamper.events(audited, first)
    middle = len(chain) // 2
    chain[middle]["actor"] = "mallory"
    tamper.store(audited, first, chain, relink_from=middle + 1, key=key, generation=1, seal=True)
    # ... cuts the second instance back by one event, resealing it ...
    chain = tamper.events(audited, second)
    tamper.store(audited, second, chain[:-1], relink_from=len(chain), key=key, generation=1, seal=True)
    # ... and removes the third altogether.
    tamper.delete_instance(audited, third)

    assert audited.history.verify(first, SYSTEM).ok  # the keyed chain alone cannot tell
    assert audited.history.verify(second, SYSTEM).ok

    report = _verify(audited, path, signer[1])
    assert not report.ok and report.signature_ok
    found = {d.instance_id: d.reason for d in report.differences}
    assert set(found) == {first, second, third}
    assert "differs from the one the checkpoint sealed: its history was rewritten" in found[first]
    assert "is gone: its history was cut back" in found[second]
    assert found[third].startswith("is gone: the checkpoint sealed it with")
    described = report.describe()
    assert "3 instance(s) DIFFER" in described and f"instance {first}:" in described


def test_a_broken_chain_is_named_even_when_its_head_is_unchanged(audited, tmp_path, signer):
    path = _take(audited, tmp_path)
    first = audited.instance_ids[0]
    chain = tamper.events(audited, first)
    chain[2]["actor"] = "mallory"  # in place: the head keeps its MAC
    tamper.store(audited, first, chain, relink_from=len(chain) + 1)
    (difference,) = _verify(audited, path, signer[1]).differences
    assert difference.instance_id == first and "BROKEN at event 3" in difference.reason


def test_an_instance_slipped_in_below_the_sealed_ones_is_named(audited, tmp_path, signer):
    first, second, third = audited.instance_ids
    path = _take(audited, tmp_path)
    document = json.loads(path.read_text())
    assert [h[0] for h in document["payload"]["heads"]] == [first, second, third]
    # Forge a checkpoint-time view without the second instance: signed properly, as if it had
    # not existed then; today it is there.
    document["payload"]["heads"] = [h for h in document["payload"]["heads"] if h[0] != second]
    key = checkpoints.signing_key(audited.settings)
    document["signature"] = base64.b64encode(key.sign(checkpoints._canonical(document["payload"]))).decode()
    path.write_text(json.dumps(document))
    (difference,) = _verify(audited, path, signer[1]).differences
    assert difference.instance_id == second and "inserted since" in difference.reason


def test_the_cli_writes_and_verifies_checkpoints(
    audited, tmp_path, signer, key_file, monkeypatch, capsys, database_url
):
    monkeypatch.setenv("APPROVALS_DATABASE_URL", database_url)
    monkeypatch.setenv("APPROVALS_CHAIN_KEY_FILE", str(key_file))
    monkeypatch.setenv("APPROVALS_CHECKPOINT_SIGNING_KEY_FILE", str(signer[0]))
    monkeypatch.setenv("APPROVALS_CHECKPOINT_DIR", str(tmp_path / "exported"))
    out = tmp_path / "now.json"
    assert approvals(["audit", "checkpoint", "--out", str(out)]) == 0
    assert "3 instances sealed" in capsys.readouterr().out
    assert approvals(["audit", "checkpoint"]) == 0  # into APPROVALS_CHECKPOINT_DIR
    (exported,) = (tmp_path / "exported").iterdir()
    assert exported.name.startswith("checkpoint-") and exported.suffix == ".json"
    capsys.readouterr()

    assert approvals(["audit", "verify", "--checkpoint", str(out), "--public-key", str(signer[1])]) == 0
    assert "all unchanged since" in capsys.readouterr().out
    assert approvals(["verify", str(audited.instance_ids[0])]) == 0
    assert "signed by key generation 1" in capsys.readouterr().out

    tamper.delete_instance(audited, audited.instance_ids[2])
    assert (
        approvals(["audit", "verify", "--checkpoint", str(out), "--public-key", str(signer[1]), "--json"])
        == 1
    )
    result = json.loads(capsys.readouterr().out)
    assert not result["ok"] and [d["instance_id"] for d in result["differences"]] == [audited.instance_ids[2]]

    assert approvals(["audit", "checkpoint", "--out", str(out)]) == 1  # evidence is never overwritten
    assert "already exists" in capsys.readouterr().err
    out.write_text("{not json")
    assert approvals(["audit", "verify", "--checkpoint", str(out)]) == 1
    assert "is not a checkpoint" in capsys.readouterr().err

    monkeypatch.delenv("APPROVALS_CHECKPOINT_SIGNING_KEY_FILE")
    assert approvals(["audit", "verify", "--checkpoint", str(exported)]) == 1
    assert "no public key to check the checkpoint with" in capsys.readouterr().err


def test_keygen_never_overwrites_and_keeps_the_private_key_private(
    tmp_path, monkeypatch, capsys, database_url
):
    monkeypatch.setenv("APPROVALS_DATABASE_URL", database_url)
    private, public = tmp_path / "k", tmp_path / "k.pub"
    assert approvals(["audit", "keygen", "--private", str(private), "--public", str(public)]) == 0
    assert "ed25519:" in capsys.readouterr().out
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    before = private.read_bytes()
    assert approvals(["audit", "keygen", "--private", str(private), "--public", str(tmp_path / "o.pub")]) == 1
    assert private.read_bytes() == before


def test_the_chain_key_commands(tmp_path, monkeypatch, capsys, database_url):
    key_file = tmp_path / "chain" / "keys"
    monkeypatch.setenv("APPROVALS_DATABASE_URL", database_url)
    monkeypatch.setenv("APPROVALS_CHAIN_KEY_FILE", str(key_file))
    assert approvals(["audit", "chain-key", "show"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert approvals(["audit", "chain-key", "new"]) == 0
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert approvals(["audit", "chain-key", "new"]) == 1
    assert approvals(["audit", "chain-key", "rotate"]) == 0
    capsys.readouterr()
    assert approvals(["audit", "chain-key", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["generations"] == [1, 2] and shown["signing_generation"] == 2
    assert "=" not in json.dumps(shown)  # never prints a secret


def test_the_poller_writes_checkpoints_when_configured(audited, tmp_path, make_engine, key_file):
    job = checkpoints.periodic_checkpoints(audited.db, audited.settings, audited.clock)
    job()
    audited.clock.advance(timedelta(hours=1))
    job()
    written = sorted((tmp_path / "checkpoints").iterdir())
    assert len(written) == 2
    assert all(_verify(audited, path).ok for path in written)

    poller = TimerPoller(audited.timers, 3600)
    poller.start()
    try:
        assert poller._scheduler.get_job("history-checkpoint") is not None
    finally:
        poller.stop()

    plain = make_engine(chain_key_file=str(key_file))
    assert checkpoints.periodic_checkpoints(plain.db, plain.settings, plain.clock) is None
    unusable = make_engine(
        chain_key_file=str(key_file),
        checkpoint_dir=str(tmp_path / "x"),
        checkpoint_signing_key_file=str(tmp_path / "none"),
    )
    with pytest.raises(KeyUnavailable, match=r"checkpoint signing key file .* does not exist"):
        TimerPoller(unusable.timers, 3600).start()


def test_a_malformed_checkpoint_head_names_it(audited, tmp_path, signer):
    path = _take(audited, tmp_path)
    document = json.loads(path.read_text())
    document["payload"]["heads"][1] = ["x", 1, "y"]
    key = checkpoints.signing_key(audited.settings)
    document["signature"] = base64.b64encode(key.sign(checkpoints._canonical(document["payload"]))).decode()
    path.write_text(json.dumps(document))
    with pytest.raises(InvalidInput, match="head 1 is not"):
        _verify(audited, path, signer[1])


def test_a_checkpoint_notes_chains_that_were_already_broken(audited, tmp_path):
    first = audited.instance_ids[0]
    with audited.db.transaction() as conn:
        conn.execute(update(process_instances).where(process_instances.c.id == first).values(head_seal=None))
    document = json.loads(_take(audited, tmp_path).read_text())
    assert [u[0] for u in document["payload"]["unverified"]] == [first]


def test_the_clock_dates_the_checkpoint(audited, tmp_path):
    assert isinstance(audited.clock, ManualClock)
    document = json.loads(_take(audited, tmp_path).read_text())
    assert document["payload"]["created_at"] == audited.clock.now().isoformat(timespec="seconds")
