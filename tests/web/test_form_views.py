"""Forms from JSON Schema (web/forms): every bundled form renders in both languages, a post comes back
as the JSON the engine validates, and what a person typed survives an error — against crafted posts too."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest
from werkzeug.datastructures import MultiDict

from engine.errors import DataValidationError, Problem
from engine.forms import load_form
from tests.conftest import REPO
from web.forms import build_form, errors_by_field, flatten, parse_submission
from web.forms.schema import MAX_ROWS, properties

FORMS = sorted((REPO / "forms").glob("*/*.json"))
CONTRACT = REPO / "forms" / "contract_review" / "contract_request.json"
MANAGER = REPO / "forms" / "contract_review" / "contract_manager_review.json"


def schema_of(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def render(view) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(REPO / "web" / "templates"),
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env.from_string('{% from "web/_form.html" import render_form %}{{ render_form(v) }}').render(
        v=view
    )


def fields_of(view) -> dict:
    found = {}
    for f in view.fields:
        found[f.name] = f
        for row in f.rows:
            found.update({c.name: c for c in row.fields})
    return found


@pytest.mark.parametrize("path", FORMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_bundled_form_renders_every_field_labelled_in_both_languages(path: Path) -> None:
    schema = schema_of(path)
    for locale in ("en", "zh"):
        view = build_form(schema, None, None, locale)
        html = render(view)
        assert [f.name for f in view.fields] == list(
            dict.fromkeys([*schema.get("x-order", []), *properties(schema)])
        )
        for f in view.fields:
            spec = properties(schema)[f.name]
            assert f.label == (spec.get("x-title-zh") if locale == "zh" else spec.get("title")), f.name
            if f.kind not in ("radio", "table", "readonly"):
                assert f'for="{f.id}"' in html and f'id="{f.id}"' in html, f.name


def contract_post(**changes: str) -> MultiDict:
    post = {
        "csrf_token": "x",
        "customer": "ACME Trading",
        "customer_type": "new",
        "amount": "120,000",
        "lines.0.product": "P-100",
        "lines.0.quantity": "10",
        "lines.0.unit_price": "12000",
        "lines.0.base_price": "11000",
        "lines.4.product": "P-200",  # rows are gathered by index, gaps closed
        "lines.4.quantity": "1.5",
        "lines.4.unit_price": "0",
        "lines.4.base_price": "0",
        "payment_term_days": "30",
        "delivery_date": "2026-12-20",
        "standard_template": "true",
        "available_credit": "",
    }
    post.update(changes)
    return MultiDict(post)


def test_a_filled_contract_request_is_the_json_the_engine_accepts() -> None:
    schema = schema_of(CONTRACT)
    submission = parse_submission(schema, contract_post())
    assert submission.errors == {} and submission.row_action is None
    data = submission.data
    assert data["amount"] == 120000 and data["payment_term_days"] == 30 and data["standard_template"] is True
    assert data["customer_type"] == "new" and data["available_credit"] is None
    assert data["lines"] == [
        {"product": "P-100", "quantity": 10, "unit_price": 12000, "base_price": 11000},
        {"product": "P-200", "quantity": 1.5, "unit_price": 0, "base_price": 0},
    ]
    load_form("contract_request", CONTRACT.read_bytes(), CONTRACT.name).validate(data, "start")
    # And back: the data flattened shows the same values in the same fields.
    again = build_form(schema, flatten(schema, data), None, "en")
    assert (
        fields_of(again)["lines.1.product"].value == "P-200" and fields_of(again)["amount"].value == "120000"
    )


def test_what_does_not_parse_is_an_error_at_its_field_and_comes_back_as_typed() -> None:
    schema = schema_of(CONTRACT)
    submission = parse_submission(schema, contract_post(amount="12abc", payment_term_days="3.5"))
    assert submission.errors == {
        "amount": ["must be a number"],
        "payment_term_days": ["must be a whole number"],
    }
    view = build_form(schema, submission.raw, submission.errors, "en")
    html = render(view)
    amount = fields_of(view)["amount"]
    assert amount.value == "12abc" and amount.errors == ["must be a number"]
    assert (
        'value="12abc"' in html
        and 'aria-describedby="f-amount-error"' in html
        and 'aria-invalid="true"' in html
    )
    assert fields_of(view)["lines.1.product"].value == "P-200"  # nothing else lost


def test_the_engines_problems_land_on_their_fields() -> None:
    schema = schema_of(MANAGER)
    form = load_form("contract_manager_review", MANAGER.read_bytes(), MANAGER.name)
    submission = parse_submission(schema, MultiDict({"decision": "reject", "comment": ""}))
    assert submission.data == {"decision": "reject"}
    with pytest.raises(DataValidationError) as refused:
        form.validate(submission.data, "task")
    errors = errors_by_field(refused.value.problems)
    assert errors == {"comment": ["is required"]}
    view = build_form(schema, submission.raw, errors, "zh")
    comment = fields_of(view)["comment"]
    assert comment.errors == ["is required"] and comment.required  # required now: the decision is reject
    assert fields_of(view)["decision"].value == "reject"
    assert not fields_of(build_form(schema, {"decision": "approve"}, None, "en"))["comment"].required
    assert json.loads(comment.required_when) == [{"field": "decision", "values": ["reject"]}]
    nested = [Problem("bad", field="lines/2/quantity"), Problem("whole form", field="(root)")]
    assert errors_by_field(nested) == {"lines.2.quantity": ["bad"], "_form": ["whole form"]}


def test_rows_are_added_and_removed_without_javascript() -> None:
    schema = schema_of(CONTRACT)
    added = parse_submission(schema, contract_post(_add_row="lines"))
    assert added.row_action == "lines" and len(build_form(schema, added.raw, None, "en").fields[4].rows) == 3
    removed = parse_submission(schema, contract_post(_remove_row="lines.0"))
    view = build_form(schema, removed.raw, None, "en")
    assert [r.fields[0].value for r in view.fields[4].rows] == ["P-200"]


def test_crafted_posts_neither_break_nor_grow_without_bound() -> None:
    schema = schema_of(CONTRACT)
    crafted = contract_post(
        **{
            "lines.999999.product": "huge index",  # more than four digits: not a row
            "lines.-1.product": "negative",
            "__proto__": "x",
            "lines.0.__class__": "x",
            "customer.0": "x",
            "unknown": "ignored",
        }
    )
    for i in range(MAX_ROWS + 50):
        crafted[f"lines.{i + 10}.product"] = "p"
    submission = parse_submission(schema, crafted)
    assert set(submission.data) <= set(properties(schema))
    assert len(submission.data["lines"]) == MAX_ROWS
    assert all(
        set(row) <= {"product", "quantity", "unit_price", "base_price"} for row in submission.data["lines"]
    )


def test_read_only_fields_are_shown_and_never_taken_from_a_post() -> None:
    schema = {
        "type": "object",
        "properties": {
            "amount": {"type": "number", "readOnly": True, "title": "Amount"},
            "decision": {"enum": ["approve", "reject"], "title": "Decision"},
        },
    }
    submission = parse_submission(schema, MultiDict({"amount": "1", "decision": "approve"}))
    assert submission.data == {"decision": "approve"}
    view = build_form(schema, flatten(schema, {"amount": 5000}), None, "en")
    assert view.fields[0].kind == "readonly" and "<output" in render(view) and "5000" in render(view)


def test_a_rating_is_a_row_of_choices_read_back_as_a_whole_number() -> None:
    path = REPO / "forms" / "complaint_handling" / "complaint_satisfaction.json"
    schema = schema_of(path)
    [rating] = [
        f for f in build_form(schema, None, None, "en").fields if f.kind == "radio" and f.options[0][0] == "1"
    ]
    assert [v for v, _ in rating.options] == ["1", "2", "3", "4", "5"]
    submission = parse_submission(schema, MultiDict({rating.name: "4"}))
    assert submission.data[rating.name] == 4
