import hashlib

import pytest

from engine.actor import SYSTEM, Actor
from engine.errors import InvalidInput, ModelValidationError, NotFound, PermissionDenied
from tests.conftest import BENCH_MODELS
from tests.factories import MODELS, add_users, deploy_files, deploy_path

APPROVAL = BENCH_MODELS / "bench_approval.bpmn"


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_deploying_identical_content_returns_the_existing_version(engine):
    first = deploy_path(engine, APPROVAL, note="first")
    again = deploy_path(engine, APPROVAL, note="again")
    assert (first.created, first.version.version) == (True, 1)
    assert (again.created, again.version.version, again.version.id) == (False, 1, first.version.id)
    assert [v.version for v in engine.repository.versions("bench_approval")] == [1]


def test_changed_content_becomes_the_next_version_and_old_versions_stay_readable(engine):
    original = APPROVAL.read_bytes()
    v1 = deploy_files(engine, {"bench_approval.bpmn": original})
    edited = original.replace(b'name="Finance review"', b'name="Finance check"')
    v2 = deploy_files(engine, {"bench_approval.bpmn": edited})
    assert (v1.version.version, v2.version.version) == (1, 2)
    assert v1.version.content_hash != v2.version.content_hash
    content, kind = engine.repository.file("bench_approval", 1, "bench_approval.bpmn")
    assert (content, kind) == (original, "bpmn")
    assert engine.repository.file("bench_approval", 2, "bench_approval.bpmn")[0] == edited
    assert (
        engine.repository.versions("bench_approval")[0].files[0].sha256
        == hashlib.sha256(original).hexdigest()
    )
    assert engine.repository.get_version("bench_approval").version == 2
    assert [m.latest_version for m in engine.repository.list_models()] == [2]


def test_redeploying_an_older_content_makes_it_the_latest_again(engine):
    original = APPROVAL.read_bytes()
    edited = original.replace(b'name="Prepare"', b'name="Prepare it"')
    deploy_files(engine, {"bench_approval.bpmn": original})
    deploy_files(engine, {"bench_approval.bpmn": edited})
    third = deploy_files(engine, {"bench_approval.bpmn": original})
    assert (third.created, third.version.version) == (True, 3)


def test_a_model_directory_bundles_its_forms_and_the_stored_files_are_byte_identical(engine):
    result = deploy_path(engine, MODELS / "countersign")
    names = [f.name for f in result.version.files]
    assert names == ["countersign.bpmn", "forms/approval.json", "forms/request.json"]
    stored, _ = engine.repository.file("countersign", 1, "forms/approval.json")
    assert stored == (MODELS / "countersign" / "forms" / "approval.json").read_bytes()


def test_only_process_owners_and_admins_deploy(engine):
    employee = Actor("sam", frozenset({"sales"}))
    bundle = engine.repository.bundles_from_paths([APPROVAL])
    with pytest.raises(PermissionDenied):
        engine.repository.deploy(bundle, employee)
    owner = Actor("olga", frozenset({"process_owner"}))
    assert engine.repository.deploy(bundle, owner)[0].version.deployed_by == "olga"


def test_unknown_groups_warn_and_strict_deployment_refuses_them(engine):
    result = deploy_path(engine, APPROVAL)
    unknown = sorted(w.element_id for w in result.warnings)
    assert unknown == ["finance_review", "manager_approve", "submit"]
    assert all("unknown" in w.message and w.line for w in result.warnings)

    edited = APPROVAL.read_bytes().replace(b'name="Prepare"', b'name="Prepare!"')
    bundle = engine.repository.bundle_from_files({"bench_approval.bpmn": edited})
    with pytest.raises(ModelValidationError) as err:
        engine.repository.deploy([bundle], SYSTEM, strict=True)
    assert {p.element_id for p in err.value.problems} == {"finance_review", "manager_approve", "submit"}
    add_users(engine, s="sales", m="manager", f="finance")
    assert engine.repository.deploy([bundle], SYSTEM, strict=True)[0].version.version == 2


def test_a_dangling_sequence_flow_is_refused_with_its_id_and_line(engine):
    broken = APPROVAL.read_text().replace('targetRef="finance_review" />', 'targetRef="finance_reveiw" />')
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, {"bench_approval.bpmn": broken})
    problem = next(p for p in err.value.problems if p.element_id == "f5")
    assert "finance_reveiw" in problem.message and problem.line == line_of(broken, 'id="f5"')
    assert "nothing was deployed" in err.value.message
    with pytest.raises(NotFound):
        engine.repository.versions("bench_approval")


def test_one_invalid_bundle_means_nothing_of_a_batch_is_deployed(engine):
    good = engine.repository.bundles_from_paths([MODELS / "countersign"])
    bad = engine.repository.bundle_from_files({"x.bpmn": b"<definitions>"})
    with pytest.raises(ModelValidationError):
        engine.repository.deploy([*good, bad], SYSTEM)
    assert engine.repository.list_models() == []


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<d>&x;</d>',
            "DOCTYPE",
        ),
        (
            b'<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">\n'
            b'<bpmn:process id="p">\n</bpmn:definitions>',
            "m.bpmn is not well-formed XML",
        ),
    ],
)
def test_unsafe_or_malformed_xml_is_refused(engine, content, expected):
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, {"m.bpmn": content})
    assert expected in str(err.value)


def test_schema_violations_are_reported_with_their_line(engine):
    broken = APPROVAL.read_text().replace('<bpmn:endEvent id="end">', '<bpmn:endEvent id="end" bogus="1">')
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, {"bench_approval.bpmn": broken})
    problem = err.value.problems[0]
    assert "bogus" in problem.message and problem.file == "bench_approval.bpmn"
    assert (problem.line, problem.element_id) == (line_of(broken, "bogus"), "end")
    assert "bpmn:endEvent" in problem.message


def test_oversized_files_are_refused_before_parsing(make_engine):
    small = make_engine(max_file_bytes=1000)
    with pytest.raises(ModelValidationError, match="limit is 1,000"):
        deploy_path(small, APPROVAL)


def test_scripts_that_break_the_sandbox_are_refused_at_deploy_time(engine):
    broken = APPROVAL.read_text().replace("amount = 250000", "import os\namount = 250000")
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, {"bench_approval.bpmn": broken})
    problem = err.value.problems[0]
    assert problem.element_id == "prepare" and "import is not allowed" in problem.message


def test_a_condition_with_a_syntax_error_names_its_flow(engine):
    broken = APPROVAL.read_text().replace("amount &gt; 100000", "amount &gt;&gt;&gt; 1")
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, {"bench_approval.bpmn": broken})
    assert err.value.problems[0].element_id == "f_big"


def test_missing_and_invalid_forms_are_reported(engine):
    files = {p.name: p.read_bytes() for p in (MODELS / "countersign").glob("*.bpmn")}
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, files)
    messages = {(p.element_id, p.message) for p in err.value.problems}
    assert (
        "countersign",
        "form 'request' is referenced but the bundle has no forms/request.json",
    ) in messages
    assert any(e == "finance_review" and "approval" in m for e, m in messages)

    files["forms/request.json"] = b'{"type": "object"}'
    files["forms/approval.json"] = b'{"type": "objekt"}'
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, files)
    assert err.value.problems[0].file == "forms/approval.json"
    assert err.value.problems[0].field == "type"
    # Checked again (the verdict on a form's content is kept for the process): the same refusal.
    with pytest.raises(ModelValidationError) as again:
        deploy_files(engine, files)
    assert again.value.problems == err.value.problems


def test_bundles_accept_only_known_file_kinds(engine):
    with pytest.raises(InvalidInput, match="does not belong"):
        engine.repository.bundle_from_files({"evil.py": b"print(1)"})
    with pytest.raises(InvalidInput, match="invalid file name"):
        engine.repository.bundle_from_files({"../x.bpmn": b""})


def test_every_executable_process_of_a_file_is_checked_as_a_model_of_its_own(engine):
    # Several executable processes are each deployed (tests/call_activities/); a broken one is named.
    two = APPROVAL.read_text().replace(
        "</bpmn:definitions>",
        '<bpmn:process id="second" isExecutable="true"><bpmn:startEvent id="s2"/></bpmn:process>'
        "</bpmn:definitions>",
    )
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, {"bench_approval.bpmn": two})
    assert [(p.file, p.element_id) for p in err.value.problems] == [("bench_approval.bpmn", "s2")]


def _model_with_history(tmp_path):
    home = tmp_path / "bench_approval"
    (home / "versions" / "1").mkdir(parents=True)
    (home / "bench_approval.bpmn").write_text(APPROVAL.read_text())
    old = APPROVAL.read_text().replace('name="Finance review"', 'name="Finance check"')
    (home / "versions" / "1" / "bench_approval.bpmn").write_text(old)
    return home


def test_shipped_earlier_versions_fill_an_empty_history_oldest_first(engine, tmp_path):
    home = _model_with_history(tmp_path)
    results = engine.repository.deploy(engine.repository.bundles_from_paths([tmp_path]), SYSTEM)
    assert [(r.version.version, r.created) for r in results] == [(1, True), (2, True)]
    old, _ = engine.repository.file("bench_approval", 1, "bench_approval.bpmn")
    assert b'name="Finance check"' in old
    again = engine.repository.deploy(engine.repository.bundles_from_paths([home]), SYSTEM)
    assert [(r.version.version, r.created) for r in again] == [(2, False)]


def test_shipped_history_is_not_replayed_after_versions_exist(engine, tmp_path):
    deploy_path(engine, APPROVAL)  # an installation from before the history was shipped
    home = _model_with_history(tmp_path)
    results = engine.repository.deploy(engine.repository.bundles_from_paths([home]), SYSTEM)
    assert [(r.version.version, r.created) for r in results] == [(1, False)]


def test_a_duplicate_id_is_named_with_the_line_it_first_stands_on(engine):
    text = APPROVAL.read_text()
    duplicated = text.replace('id="manager_approve"', 'id="finance_review"', 1)
    assert duplicated != text
    with pytest.raises(ModelValidationError) as refused:
        deploy_files(engine, {"bench_approval.bpmn": duplicated})
    problems = [p for p in refused.value.problems if p.element_id == "finance_review"]
    first = next(n for n, line in enumerate(duplicated.splitlines(), 1) if 'id="finance_review"' in line)
    assert any(f"id 'finance_review' is used twice (first on line {first})" in p.message for p in problems)
    assert not any("xs:ID" in p.message for p in refused.value.problems)


def test_an_element_outside_any_namespace_is_a_problem_not_a_crash(engine):
    text = APPROVAL.read_text().replace("<bpmn:startEvent", '<plain id="start" /><bpmn:startEvent', 1)
    with pytest.raises(ModelValidationError) as refused:
        deploy_files(engine, {"bench_approval.bpmn": text})
    assert any("'plain'" in p.message for p in refused.value.problems)
