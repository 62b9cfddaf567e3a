"""A model's own page, and bundles uploaded the way Camunda's deployment/create takes them."""

from __future__ import annotations

from tests.api.conftest import Api, assert_problem, bundle_files
from tests.factories import MODELS

COUNTERSIGN = MODELS / "countersign"
STARTERS = b'<bpmn:process id="countersign" camunda:candidateStarterGroups="sales"'


def camunda_style(directory=COUNTERSIGN) -> list[tuple[str, tuple[str, bytes]]]:
    """Every file as a part named `file`, the resource named by the part's file name (as curl sends
    `-F file=@forms/request.json`: the file name without its folder)."""
    return [
        ("file", (path.name, path.read_bytes())) for path in sorted(directory.rglob("*")) if path.is_file()
    ]


def test_a_bundle_uploaded_camunda_style_is_named_by_its_file_names(api: Api) -> None:
    owner = api.client("olga")
    response = owner.post("/models", files=camunda_style())
    assert response.status_code == 201, response.text
    names = {f["name"] for f in response.json()["version"]["files"]}
    assert names == {"countersign.bpmn", "forms/request.json", "forms/approval.json"}
    # the same bundle sent with the bundle's own part names is the same version: nothing new stored
    again = owner.post("/models", files=bundle_files(COUNTERSIGN))
    assert again.status_code == 200 and again.json()["version"]["version"] == 1


def test_a_part_that_is_no_bundle_file_says_how_to_send_it(api: Api) -> None:
    owner = api.client("olga")
    files = [*camunda_style(), ("file", ("notes.txt", b"hello"))]
    body = assert_problem(owner.post("/models", files=files), 400)
    assert "notes.txt" in body["detail"] and "-F file=@contract.bpmn" in body["detail"]
    # the same file twice, once by part name and once by file name, is refused, not merged
    twice = [
        *camunda_style(),
        ("countersign.bpmn", ("x.bpmn", (COUNTERSIGN / "countersign.bpmn").read_bytes())),
    ]
    body = assert_problem(owner.post("/models", files=twice), 400)
    assert "countersign.bpmn" in body["detail"]
    assert owner.get("/models").json()["items"] == []


def test_a_model_page_says_who_may_start_it_with_which_form(api: Api) -> None:
    files = bundle_files(COUNTERSIGN)
    bpmn = files["countersign.bpmn"][1].replace(b'<bpmn:process id="countersign"', STARTERS)
    assert bpmn != files["countersign.bpmn"][1]
    files["countersign.bpmn"] = ("countersign.bpmn", bpmn)
    assert api.client("olga").post("/models", files=files).status_code == 201

    page = api.client("sam").get("/models/countersign")
    assert page.status_code == 200, page.text
    body = page.json()
    assert (body["model_key"], body["latest"]["version"], body["starter_groups"]) == (
        "countersign",
        1,
        ["sales"],
    )
    assert body["may_start"] is True
    assert body["start_form"]["type"] == "object" and body["start_form"]["properties"]
    # fay is in finance: she may read the page, and it tells her she may not start it
    assert api.client("fay").get("/models/countersign").json()["may_start"] is False
    assert api.client("fay").post("/instances", json={"model": "countersign", "data": {}}).status_code == 403
    assert_problem(api.client("sam").get("/models/nothing_here"), 404)
    assert api.client(None).get("/models/countersign").status_code == 401


TWO_PROCESSES = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Defs" targetNamespace="t">
  <bpmn:process id="order_intake" isExecutable="true">
    <bpmn:startEvent id="intake_start" /><bpmn:endEvent id="intake_end" />
    <bpmn:sequenceFlow id="i1" sourceRef="intake_start" targetRef="intake_end" />
  </bpmn:process>
  <bpmn:process id="order_archive" isExecutable="true">
    <bpmn:startEvent id="archive_start" /><bpmn:endEvent id="archive_end" />
    <bpmn:sequenceFlow id="a1" sourceRef="archive_start" targetRef="archive_end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_validating_a_file_of_two_processes_reports_each(api: Api) -> None:
    owner = api.client("olga")
    report = owner.post("/models/validate", files=[("file", ("orders.bpmn", TWO_PROCESSES))])
    assert report.status_code == 200, report.text
    body = report.json()
    assert [m["model_key"] for m in body["models"]] == ["order_intake", "order_archive"]
    assert body["model_key"] == "order_intake"  # the first, at the top, as before
    assert owner.get("/models").json()["items"] == []  # a dry run stores nothing
