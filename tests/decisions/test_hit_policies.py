"""Every hit policy with the standard's semantics, including its errors."""

from __future__ import annotations

import pytest

from engine.errors import DecisionError, ModelValidationError

from .dmn_factory import load, table

# Rules over x with deliberate overlaps: 5 matches rules 1, 2 and 3; 50 matches rule 3 only.
OVERLAPPING = [(["<= 10"], ['"low"', "1"]), (["[5..20]"], ['"mid"', "2"]), (["-"], ['"any"', "3"])]


def model(
    hit_policy: str | None, rules=OVERLAPPING, outputs=(("level", "string"), ("points", "number")), **kwargs
):
    return load(
        table(
            "d", [("X", "x", "number")], list(outputs), rules, hit_policy=hit_policy, name="Level", **kwargs
        )
    )


def evaluate(m, x):
    return m.evaluate("d", {"x": x})


def single_output(rules):
    return [(cells, outs[:1]) for cells, outs in rules]


class TestUnique:
    def test_default_hit_policy_is_unique(self) -> None:
        m = model(None, rules=[(["< 5"], ['"low"', "1"]), ([">= 5"], ['"high"', "2"])])
        assert m.find("d").hit_policy == "UNIQUE"
        assert evaluate(m, 4).result == {"level": "low", "points": 1}

    def test_no_match_is_none(self) -> None:
        m = model("UNIQUE", rules=[(["< 5"], ['"low"', "1"])])
        outcome = evaluate(m, 7)
        assert outcome.result is None
        assert outcome.trace[0].matched_rules == []

    def test_two_matches_is_an_error_naming_decision_and_rules(self) -> None:
        m = model("UNIQUE")
        with pytest.raises(DecisionError) as caught:
            evaluate(m, 5)
        message = str(caught.value)
        assert "'Level' (d)" in message
        assert "1 (d_r1), 2 (d_r2), 3 (d_r3)" in message
        assert caught.value.problems[0].decision_id == "d"

    def test_single_output_gives_the_value(self) -> None:
        m = model("UNIQUE", rules=[(["< 5"], ['"low"'])], outputs=[("level", "string")])
        assert evaluate(m, 1).result == "low"

    def test_empty_output_entry_is_none(self) -> None:
        m = model("UNIQUE", rules=[(["< 5"], ['"low"', ""])])
        assert evaluate(m, 1).result == {"level": "low", "points": None}


class TestDefaults:
    def test_default_output_entries_apply_when_nothing_matches(self) -> None:
        m = model("UNIQUE", rules=[(["< 5"], ['"low"', "1"])], defaults={0: '"none"', 1: "0"})
        assert evaluate(m, 7).result == {"level": "none", "points": 0}
        assert evaluate(m, 1).result == {"level": "low", "points": 1}

    def test_outputs_without_default_are_none(self) -> None:
        m = model("FIRST", rules=[(["< 5"], ['"low"', "1"])], defaults={0: '"none"'})
        assert evaluate(m, 7).result == {"level": "none", "points": None}

    def test_default_may_be_an_expression(self) -> None:
        m = model(
            "UNIQUE",
            rules=[(["< 5"], ['"low"'])],
            outputs=[("level", "string")],
            defaults={0: '"over " + string(x)'},
        )
        assert evaluate(m, 7).result == "over 7"

    def test_multi_hit_tables_answer_an_empty_list_not_the_default(self) -> None:
        m = model(
            "COLLECT", rules=[(["< 5"], ['"low"'])], outputs=[("level", "string")], defaults={0: '"none"'}
        )
        assert evaluate(m, 7).result == []


class TestFirst:
    def test_first_matching_rule_in_rule_order_wins(self) -> None:
        m = model("FIRST")
        outcome = evaluate(m, 5)
        assert outcome.result == {"level": "low", "points": 1}
        assert outcome.trace[0].matched_rules == ["d_r1"]
        assert evaluate(m, 15).result == {"level": "mid", "points": 2}
        assert evaluate(m, 50).result == {"level": "any", "points": 3}


class TestAny:
    def test_agreeing_rules_give_their_common_output(self) -> None:
        m = model(
            "ANY", rules=[(["<= 10"], ['"a"', "1"]), (["[5..20]"], ['"a"', "1"]), ([">= 30"], ['"b"', "2"])]
        )
        outcome = evaluate(m, 7)
        assert outcome.result == {"level": "a", "points": 1}
        assert outcome.trace[0].matched_rules == ["d_r1", "d_r2"]

    def test_disagreeing_rules_are_an_error(self) -> None:
        m = model("ANY")
        with pytest.raises(DecisionError, match=r"ANY.*rule 1 \(d_r1\).*rule 2 \(d_r2\)"):
            evaluate(m, 5)
        assert evaluate(m, 50).result == {"level": "any", "points": 3}


class TestPriority:
    def test_highest_priority_output_wins_regardless_of_rule_order(self) -> None:
        m = model(
            "PRIORITY",
            rules=single_output(OVERLAPPING),
            outputs=[("level", "string")],
            output_values={0: '"mid","low","any"'},
        )
        assert evaluate(m, 5).result == "mid"
        assert evaluate(m, 2).result == "low"
        assert evaluate(m, 50).result == "any"
        assert evaluate(m, 5).trace[0].matched_rules == ["d_r1", "d_r2", "d_r3"]

    def test_priority_over_several_outputs_compares_them_in_order(self) -> None:
        rules = [(["-"], ['"b"', '"y"']), (["-"], ['"a"', '"z"']), (["-"], ['"a"', '"y"'])]
        m = model(
            "PRIORITY",
            rules=rules,
            outputs=[("first", "string"), ("second", "string")],
            output_values={0: '"a","b"', 1: '"y","z"'},
        )
        assert evaluate(m, 1).result == {"first": "a", "second": "y"}

    def test_ties_go_to_the_earlier_rule(self) -> None:
        rules = [(["-"], ['"a"', "1"]), (["-"], ['"a"', "2"])]
        m = model("PRIORITY", rules=rules, output_values={0: '"a","b"'})
        assert evaluate(m, 1).result == {"level": "a", "points": 1}

    def test_priority_needs_output_values(self) -> None:
        with pytest.raises(ModelValidationError, match="PRIORITY"):
            model("PRIORITY")


class TestMultipleHits:
    def test_collect_lists_every_match_in_rule_order(self) -> None:
        m = model("COLLECT")
        assert evaluate(m, 5).result == [
            {"level": "low", "points": 1},
            {"level": "mid", "points": 2},
            {"level": "any", "points": 3},
        ]
        assert evaluate(m, 50).result == [{"level": "any", "points": 3}]

    def test_collect_with_one_output_lists_values(self) -> None:
        m = model("COLLECT", rules=single_output(OVERLAPPING), outputs=[("level", "string")])
        assert evaluate(m, 15).result == ["mid", "any"]

    def test_collect_of_nothing_is_an_empty_list(self) -> None:
        m = model("COLLECT", rules=[(["< 0"], ['"neg"', "1"])])
        assert evaluate(m, 1).result == []

    def test_rule_order(self) -> None:
        m = model("RULE ORDER", rules=single_output(OVERLAPPING), outputs=[("level", "string")])
        assert evaluate(m, 5).result == ["low", "mid", "any"]

    def test_output_order_sorts_by_output_values_keeping_rule_order_among_equals(self) -> None:
        rules = [
            (["-"], ['"low"', "1"]),
            (["-"], ['"high"', "2"]),
            (["-"], ['"low"', "3"]),
            (["-"], ['"mid"', "4"]),
        ]
        m = model("OUTPUT ORDER", rules=rules, output_values={0: '"high","mid","low"'})
        assert [r["points"] for r in evaluate(m, 1).result] == [2, 4, 1, 3]

    def test_hit_policy_spelling_is_forgiving(self) -> None:
        m = model("Rule_Order", rules=single_output(OVERLAPPING), outputs=[("level", "string")])
        assert m.find("d").hit_policy == "RULE ORDER"


POINTS = [(["<= 10"], ["1"]), (["[5..20]"], ["2"]), (["-"], ["4"]), (["> 100"], ["8"]), (["[5..6]"], [""])]


class TestCollectAggregations:
    @pytest.mark.parametrize(
        ("aggregation", "x", "expected"),
        [
            ("SUM", 5, 7),
            ("SUM", 50, 4),
            ("SUM", 200, 12),
            ("MIN", 5, 1),
            ("MIN", 200, 4),
            ("MAX", 5, 4),
            ("MAX", 200, 8),
            ("COUNT", 5, 4),
            ("COUNT", 50, 1),
            ("COUNT", 200, 2),
        ],
    )
    def test_aggregations(self, aggregation: str, x: int, expected: int) -> None:
        m = model("COLLECT", rules=POINTS, outputs=[("points", "number")], aggregation=aggregation)
        assert evaluate(m, x).result == expected

    @pytest.mark.parametrize(
        ("aggregation", "expected"), [("SUM", None), ("MIN", None), ("MAX", None), ("COUNT", 0)]
    )
    def test_aggregations_of_nothing(self, aggregation: str, expected: int | None) -> None:
        m = model(
            "COLLECT", rules=[(["< 0"], ["1"])], outputs=[("points", "number")], aggregation=aggregation
        )
        assert evaluate(m, 5).result == expected

    def test_min_max_work_on_strings(self) -> None:
        m = model(
            "COLLECT",
            rules=[(["-"], ['"b"']), (["-"], ['"a"'])],
            outputs=[("s", "string")],
            aggregation="MAX",
        )
        assert evaluate(m, 1).result == "b"

    def test_sum_of_strings_is_an_error(self) -> None:
        m = model("COLLECT", rules=[(["-"], ['"b"'])], outputs=[("s", "string")], aggregation="SUM")
        with pytest.raises(DecisionError, match="SUM needs numbers"):
            evaluate(m, 1)

    @pytest.mark.parametrize(
        ("hit_policy", "aggregation", "outputs", "message"),
        [
            ("COLLECT", "AVG", [("p", "number")], "unknown aggregation 'AVG'"),
            ("UNIQUE", "SUM", [("p", "number")], "only allowed with hit policy COLLECT"),
            ("COLLECT", "SUM", [("p", "number"), ("q", "number")], "exactly one output"),
        ],
    )
    def test_invalid_aggregations_are_refused_at_load(
        self, hit_policy, aggregation, outputs, message
    ) -> None:
        rules = [(["-"], ["1"] * len(outputs))]
        with pytest.raises(ModelValidationError) as caught:
            model(hit_policy, rules=rules, outputs=outputs, aggregation=aggregation)
        assert any(message in p.message for p in caught.value.problems)


def test_unknown_hit_policy_is_refused_at_load() -> None:
    with pytest.raises(ModelValidationError) as caught:
        model("BEST")
    problem = caught.value.problems[0]
    assert "unknown hit policy 'BEST'" in problem.message
    assert problem.decision_id == "d" and problem.file == "test.dmn" and problem.line == 3
