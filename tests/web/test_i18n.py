"""web/i18n.py: the UI's language, its catalog, the models' bilingual names, dates and amounts."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import DictLoader, Environment
from lxml import etree

from web import i18n

ROOT = Path(__file__).resolve().parents[2]
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


# --- which language ---------------------------------------------------------------------------------


def test_the_saved_choice_beats_the_cookie_which_beats_the_browser() -> None:
    assert i18n.choose_locale("zh", "en", "en-US,en;q=0.9") == "zh"
    assert i18n.choose_locale("en", "zh", "zh-CN") == "en"
    assert i18n.choose_locale(None, "zh", "en-US") == "zh"
    assert i18n.choose_locale(None, None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert i18n.choose_locale(None, None, None) == "en"


def test_the_browser_s_most_wanted_supported_language_wins_whatever_the_order() -> None:
    assert i18n.choose_locale(None, None, "fr-FR, en;q=0.5, zh-TW;q=0.8") == "zh"
    assert i18n.choose_locale(None, None, "de, zh_Hans;q=0.1, en-GB;q=0.2") == "en"
    assert i18n.choose_locale(None, None, "zh;q=0, en;q=0.1") == "en"  # q=0: "not this one"


def test_unsupported_or_malformed_values_are_passed_over_never_an_error() -> None:
    assert i18n.choose_locale("fr", "klingon", "de-DE") == "en"
    assert i18n.choose_locale("", "", "") == "en"
    assert i18n.choose_locale(None, "../../etc", "zh;q=banana, *, ;;;, en;q=2") == "en"
    # A hostile header: only the first ranges are read, so a late "zh" is not reached.
    assert i18n.choose_locale(None, None, "xx," * 10_000 + "zh") == "en"
    assert i18n.choose_locale(None, None, "xx," * 5 + "zh") == "zh"


# --- the catalog --------------------------------------------------------------------------------------


def test_the_chinese_catalog_loads_and_translates() -> None:
    assert i18n.gettext("zh", "Sign in") == "登录"
    assert i18n.gettext("en", "Sign in") == "Sign in"
    assert i18n.gettext("zh", "Page %(page)s of %(pages)s", page=2, pages=5) == "第 2 页，共 5 页"
    assert i18n.gettext("en", "Page %(page)s of %(pages)s", page=2, pages=5) == "Page 2 of 5"
    # Unknown strings and languages fall back to the English.
    assert i18n.gettext("zh", "Not in the catalog") == "Not in the catalog"
    assert i18n.gettext("fr", "Sign in") == "Sign in"


def test_templates_translate_per_request_and_escape_what_they_fill_in() -> None:
    current = {"locale": "en"}
    env = Environment(
        autoescape=True,
        loader=DictLoader(
            {
                "page.html": "{{ _('Inbox') }}|{{ _('Signed in as %(name)s', name=who) }}|"
                "{{ task|localized }}|{% trans %}My tasks{% endtrans %}|{{ due|datetime }}"
            }
        ),
    )
    i18n.install(env, lambda: current["locale"], lambda: "Asia/Shanghai")
    values = {
        "who": "<b>fay</b>",
        "task": "Sales manager review\n销售经理审核",
        "due": datetime(2026, 11, 25, 17, 30, tzinfo=UTC),
    }
    page = env.get_template("page.html")
    assert page.render(values) == (
        "Inbox|Signed in as &lt;b&gt;fay&lt;/b&gt;|Sales manager review|My tasks|Nov 26, 2026, 01:30"
    )
    current["locale"] = "zh"  # the next request, another reader: the same environment
    assert (
        page.render(values)
        == "待办|当前用户：&lt;b&gt;fay&lt;/b&gt;|销售经理审核|我的任务|2026年11月26日 01:30"
    )


# The control for "every string is translated": whatever the code and templates mark (extracted as
# `make translations` does, through babel.cfg) must have a non-empty, reviewed Chinese translation
# with the same placeholders.

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")


def _marked_strings(root: Path) -> dict[str, str]:
    """msgid -> where it is used, for every string marked in root's web/ (as babel.cfg says)."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {}
    for file_name, line, message, _comments, _context in extract_from_dir(root, method_map, options_map):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, f"{file_name}:{line}")
    return found


def _translation_problems(root: Path, po_path: Path) -> list[str]:
    with po_path.open("rb") as po:
        catalog = read_po(po, locale="zh")
    problems = []
    for msgid, where in sorted(_marked_strings(root).items()):
        entry = catalog.get(msgid)
        strings = [] if entry is None else entry.string if isinstance(entry.string, tuple) else [entry.string]
        if entry is None or not all(strings):
            problems.append(f"{where}: {msgid!r} has no Chinese translation")
        elif entry.fuzzy:
            problems.append(f"{where}: {msgid!r} has a fuzzy (unreviewed) translation")
    for entry in catalog:
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set(PLACEHOLDER.findall(ids[0]))
        for text in strings:
            if text and set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"{ids[0]!r}: its translation {text!r} has other placeholders")
    return problems


def test_every_string_the_ui_marks_has_its_chinese_translation() -> None:
    assert len(_marked_strings(ROOT)) >= 50  # the vocabulary at least: extraction found something
    assert _translation_problems(ROOT, i18n.catalog_path("zh")) == []


def test_the_translation_check_catches_a_missing_a_fuzzy_and_a_mismatched_translation(tmp_path: Path) -> None:
    (tmp_path / "web" / "templates" / "web").mkdir(parents=True)
    (tmp_path / "web" / "templates" / "web" / "page.html").write_text(
        "{{ _('Inbox') }} {{ _('Brand new string') }} {% trans %}Also new{% endtrans %}"
    )
    (tmp_path / "web" / "page.py").write_text(
        "gettext(locale, 'Python string')\nN_('Sign in')\ngettext(locale, 'Hello %(name)s', name=n)\n"
    )
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Inbox"\nmsgstr "待办"\n\n'
        'msgid "Sign in"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Also new"\nmsgstr "也是新的"\n\n'
        'msgid "Hello %(name)s"\nmsgstr "你好 %(user)s"\n',
        encoding="utf-8",
    )
    problems = "\n".join(_translation_problems(tmp_path, po))
    assert "'Brand new string' has no Chinese translation" in problems
    assert "'Python string' has no Chinese translation" in problems
    assert "'Sign in' has no Chinese translation" in problems  # empty
    assert "'Also new' has a fuzzy" in problems
    assert "'Hello %(name)s': its translation '你好 %(user)s' has other placeholders" in problems
    assert "Inbox" not in problems
    assert len(problems.splitlines()) == 5


def test_fuzzy_guesses_are_not_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "zh" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "zh" / "LC_MESSAGES" / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Inbox"\nmsgstr "待办"\n\n#, fuzzy\nmsgid "Outbox"\nmsgstr "待办"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.gettext("zh", "Inbox") == "待办"
        assert i18n.gettext("zh", "Outbox") == "Outbox"
    finally:
        i18n.translations.cache_clear()


# --- names in the bundled models ------------------------------------------------------------------------


def _bundled_names() -> list[tuple[str, str]]:
    names = []
    for path in sorted((ROOT / "process_models").glob("*/*.bpmn")):
        tree = etree.parse(str(path))
        for element in tree.iter(f"{BPMN}process", f"{BPMN}userTask"):
            if element.tag == f"{BPMN}process" and element.get("isExecutable") == "false":
                continue
            names.append((f"{path.name}#{element.get('id')}", element.get("name") or ""))
    return names


BUNDLED_NAMES = _bundled_names()


def test_the_bundled_models_have_processes_and_tasks_to_check() -> None:
    assert len(BUNDLED_NAMES) >= 40


@pytest.mark.parametrize(("where", "name"), BUNDLED_NAMES, ids=[w for w, _ in BUNDLED_NAMES])
def test_every_bundled_process_and_task_name_splits_into_english_and_chinese(where: str, name: str) -> None:
    english, chinese = i18n.localized(name, "en"), i18n.localized(name, "zh")
    assert english and chinese and english != chinese, name
    assert not re.search(r"[\u4e00-\u9fff]", english), english
    assert re.match(r"[\u4e00-\u9fff]", chinese), chinese
    assert "\n" not in english and "\n" not in chinese


@pytest.mark.parametrize(
    "toml", sorted((ROOT / "process_models").glob("*/model.toml")), ids=lambda p: p.parent.name
)
def test_every_bundled_model_names_itself_in_both_languages(toml: Path) -> None:
    name = tomllib.loads(toml.read_text())["name"]
    assert i18n.localized(name, "zh") == name["zh"] and i18n.localized(name, "en") == name["en"]
    assert name["zh"] and name["en"] and name["zh"] != name["en"]


def test_localized_shows_a_text_whole_when_it_cannot_be_split() -> None:
    assert i18n.localized("Sales manager review\n销售经理审核", "zh") == "销售经理审核"
    assert i18n.localized("Contract review 合同评审", "en") == "Contract review"
    assert i18n.localized("Credit approval 信用审批（赊销审批）", "zh") == "信用审批（赊销审批）"
    for whole in ("Claim (理赔)?", "Any credit\nfor this grade?", "汇总", "Approved", "", "会签 Countersign"):
        assert i18n.localized(whole, "zh") == whole and i18n.localized(whole, "en") == whole
    assert i18n.localized({"en": "Price float", "zh": "价格浮动"}, "zh") == "价格浮动"
    assert i18n.localized({"en": "Price float"}, "zh") == "Price float"  # no Chinese: the English
    assert i18n.localized(None, "zh") == ""


def test_form_titles_and_choices_in_the_reader_s_language() -> None:
    form = json.loads((ROOT / "forms" / "contract_review" / "contract_approval.json").read_text())
    decision = form["properties"]["decision"]
    assert (i18n.form_title(form, "zh"), i18n.form_title(form, "en")) == ("合同审批", "Contract approval")
    assert (i18n.form_title(decision, "zh"), i18n.form_title(decision, "en")) == ("审批意见", "Decision")
    assert i18n.enum_titles(decision, "zh") == ["同意", "退回/不同意"]
    assert i18n.enum_titles(decision, "en") == ["approve", "reject"]
    # Chinese titles that do not name every value are not used (they would be shown against the wrong one).
    assert i18n.enum_titles({"enum": ["a", "b"], "x-enum-titles-zh": ["甲"]}, "zh") == ["a", "b"]
    assert i18n.form_title({"title": "Plain"}, "zh") == "Plain"


def test_every_bundled_form_field_has_a_chinese_title() -> None:
    missing = []
    for path in sorted((ROOT / "forms").glob("*/*.json")):
        form = json.loads(path.read_text())
        for field, node in form.get("properties", {}).items():
            if node.get("title") and not node.get("x-title-zh"):
                missing.append(f"{path.relative_to(ROOT)}: {field}")
    assert missing == []


# --- dates, times, amounts ---------------------------------------------------------------------------------

LATE_EVENING_UTC = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)  # 01:30 the next day in Shanghai


def test_a_moment_near_midnight_is_on_another_day_in_shanghai_than_in_utc() -> None:
    assert i18n.format_datetime(LATE_EVENING_UTC, "en", "UTC") == "Nov 25, 2026, 17:30"
    assert i18n.format_datetime(LATE_EVENING_UTC, "en", "Asia/Shanghai") == "Nov 26, 2026, 01:30"
    assert i18n.format_datetime(LATE_EVENING_UTC, "zh", "Asia/Shanghai") == "2026年11月26日 01:30"
    assert i18n.format_datetime(LATE_EVENING_UTC, "zh", None) == "2026年11月25日 17:30"  # no zone: UTC
    # The database hands back naive UTC on some dialects: the same moment.
    naive = LATE_EVENING_UTC.replace(tzinfo=None)
    assert i18n.format_datetime(naive, "zh", "Asia/Shanghai") == "2026年11月26日 01:30"
    assert i18n.format_date(LATE_EVENING_UTC, "en", "UTC") == "Nov 25, 2026"
    assert i18n.format_date(LATE_EVENING_UTC, "zh", "Asia/Shanghai") == "2026年11月26日"
    assert i18n.format_date(date(2026, 1, 2), "zh") == "2026年1月2日"


def test_relative_times_in_both_languages() -> None:
    now = LATE_EVENING_UTC
    assert i18n.format_relative(now + timedelta(days=2), now, "en") == "in 2 days"
    assert i18n.format_relative(now - timedelta(hours=3), now, "en") == "3 hours ago"
    assert i18n.format_relative(now + timedelta(days=2), now, "zh") == "2天后"
    assert i18n.format_relative(now - timedelta(hours=3), now, "zh") == "3小时前"


def test_amounts_with_and_without_a_currency() -> None:
    assert i18n.format_amount(Decimal("1234567.5"), "CNY", "zh") == "¥1,234,567.50"
    assert i18n.format_amount(1234567.5, "cny", "en") == "CN¥1,234,567.50"
    assert i18n.format_amount(12, "USD", "zh") == "US$12.00"
    assert i18n.format_amount("750000", None, "en") == "750,000"
    # Form data may hold anything: shown as it is, never an error on a page.
    assert i18n.format_amount("about a million", "CNY", "zh") == "about a million"
    assert i18n.format_amount(True, "CNY", "zh") == "True"
