"""Process owners deploy, validate and read models over HTTP."""

from __future__ import annotations

import hashlib

from tests.api.conftest import Api, assert_problem, bundle_files
from tests.factories import MODELS

COUNTERSIGN = MODELS / "countersign"


def with_unknown_group() -> dict:
    """countersign's bundle with its legal review addressed to a group nobody is in yet: a warning."""
    files = bundle_files(COUNTERSIGN)
    bpmn = files["countersign.bpmn"][1].replace(b'candidateGroups="legal"', b'candidateGroups="legal_dept"')
    files["countersign.bpmn"] = ("countersign.bpmn", bpmn)
    return files


def test_deploying_a_bundle_creates_a_version_once(api: Api) -> None:
    owner = api.client("olga")
    files = with_unknown_group()
    assert set(files) == {"countersign.bpmn", "forms/request.json", "forms/approval.json"}
    response = owner.post("/models", files=files, data={"note": "first cut"})
    assert response.status_code == 201, response.text
    deployed = response.json()
    version = deployed["version"]
    assert deployed["created"] is True
    assert (version["model_key"], version["version"], version["deployed_by"], version["note"]) == (
        "countersign",
        1,
        "olga",
        "first cut",
    )
    assert {f["name"] for f in version["files"]} == set(files)
    assert response.headers["location"].endswith("/api/v1/models/countersign/versions")
    # unknown groups are warnings, returned with the result
    assert any(w.get("element_id") == "legal_review" for w in deployed["warnings"])

    again = owner.post("/models", files=files)
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["version"]["version"] == 1

    changed = dict(files)
    changed["countersign.bpmn"] = (
        "x.bpmn",
        files["countersign.bpmn"][1].replace(b"Finance review", b"Finance check"),
    )
    assert owner.post("/models", files=changed).json()["version"]["version"] == 2
    versions = owner.get("/models/countersign/versions").json()["items"]
    assert [v["version"] for v in versions] == [1, 2]
    models = owner.get("/models").json()["items"]
    assert [(m["model_key"], m["latest_version"], m["versions"]) for m in models] == [("countersign", 2, 2)]


def test_files_come_back_byte_for_byte(api: Api) -> None:
    files = bundle_files(COUNTERSIGN)
    # CRLF line ends and a BOM-free non-ASCII title must survive untouched.
    files["forms/approval.json"] = ("approval.json", files["forms/approval.json"][1].replace(b"\n", b"\r\n"))
    api.client("olga").post("/models", files=files).raise_for_status()
    reader = api.client("fay")
    for name, (_, content) in files.items():
        response = reader.get(f"/models/countersign/versions/1/files/{name}")
        assert response.status_code == 200
        assert response.content == content, name
        assert hashlib.sha256(response.content).hexdigest() in {
            f["sha256"] for f in reader.get("/models/countersign/versions").json()["items"][0]["files"]
        }
    bpmn = reader.get("/models/countersign/versions/1/files/countersign.bpmn")
    assert bpmn.headers["content-type"] == "application/xml"
    assert "sandbox" in bpmn.headers["content-security-policy"]
    form = reader.get("/models/countersign/versions/1/files/forms%2Frequest.json")  # as Swagger UI sends it
    assert (
        form.headers["content-type"] == "application/json" and form.content == files["forms/request.json"][1]
    )


def test_an_invalid_bundle_is_422_naming_file_line_and_element(api: Api) -> None:
    files = bundle_files(COUNTERSIGN)
    broken = files["countersign.bpmn"][1].replace(b'targetRef="join"', b'targetRef="nowhere"', 1)
    files["countersign.bpmn"] = ("countersign.bpmn", broken)
    body = assert_problem(api.client("olga").post("/models", files=files), 422, "invalid-model")
    assert any(p.get("file") == "countersign.bpmn" and p.get("line") for p in body["problems"])
    assert any("nowhere" in p["message"] or p.get("element_id") for p in body["problems"])
    assert api.client("olga").get("/models").json()["items"] == []  # nothing deployed

    not_xml = {"countersign.bpmn": ("countersign.bpmn", b"<bpmn:definitions")}
    body = assert_problem(api.client("olga").post("/models", files=not_xml), 422)
    assert body["problems"][0]["file"] == "countersign.bpmn"


def test_validate_is_a_dry_run_with_warnings(api: Api) -> None:
    owner = api.client("olga")
    response = owner.post("/models/validate", files=with_unknown_group())
    assert response.status_code == 200
    report = response.json()
    assert report["model_key"] == "countersign"
    assert [w["element_id"] for w in report["warnings"] if "legal_dept" in w["message"]] == ["legal_review"]
    assert owner.get("/models").json()["items"] == []
    strict = owner.post("/models/validate", files=with_unknown_group(), data={"strict": "true"})
    body = assert_problem(strict, 422, "invalid-model")
    assert "strict" in body["detail"] and body["problems"][0]["element_id"] == "legal_review"
    assert_problem(owner.post("/models", files=with_unknown_group(), data={"strict": "1"}), 422)
    assert (
        owner.post("/models/validate", files=bundle_files(COUNTERSIGN), data={"strict": "true"}).json()[
            "warnings"
        ]
        == []
    )
    assert_problem(owner.post("/models", files=bundle_files(COUNTERSIGN), data={"strict": "perhaps"}), 400)


def test_upload_form_mistakes_are_400(api: Api) -> None:
    owner = api.client("olga")
    assert_problem(owner.post("/models", data={"note": "not multipart"}), 415)
    assert_problem(owner.post("/models", files={"note": (None, "no files")}), 400)
    body = assert_problem(
        owner.post("/models", files=bundle_files(COUNTERSIGN), data={"model.toml": "key = 1"}), 400
    )
    assert body["problems"][0]["field"] == "model.toml"
    assert_problem(owner.post("/models", files={"../escape.bpmn": ("e.bpmn", b"<x/>")}), 400)
    assert_problem(owner.post("/models", files={"notes.txt": ("notes.txt", b"hello")}), 400)


def test_uploads_have_a_size_limit(api: Api) -> None:
    limit = api.engine.settings.max_upload_bytes
    files = bundle_files(COUNTERSIGN)
    files["forms/padding.json"] = ("padding.json", b" " * (limit + 1))
    body = assert_problem(api.client("olga").post("/models", files=files), 413)
    assert body["status"] == 413
    # one file over the per-file limit, the whole upload within the bundle limit
    files["forms/padding.json"] = ("padding.json", b"{}" + b" " * api.engine.settings.max_file_bytes)
    assert_problem(api.client("olga").post("/models", files=files), 422)


def test_only_process_owners_and_admins_deploy(api: Api) -> None:
    for user in ("fay", "ann"):
        assert_problem(api.client(user).post("/models", files=bundle_files(COUNTERSIGN)), 403, "forbidden")
        assert_problem(api.client(user).post("/models/validate", files=bundle_files(COUNTERSIGN)), 403)
    assert api.client("root").post("/models", files=bundle_files(COUNTERSIGN)).status_code == 201
    assert api.client("ann").get("/models/countersign/versions").status_code == 200
