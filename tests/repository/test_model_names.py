"""A model's name in each language (model.toml's ``name = { en, zh }``) reaches the faces."""

from pathlib import Path

from engine import Engine
from tests.factories import MODELS, deploy_path

PROCESS_MODELS = Path(__file__).resolve().parents[2] / "process_models"


def test_model_summaries_and_versions_carry_the_name_per_language(engine: Engine) -> None:
    deploy_path(engine, PROCESS_MODELS / "contract_review")
    (summary,) = engine.repository.list_models()
    assert summary.names == {"en": "Contract review", "zh": "合同评审"}
    assert summary.name == "Contract review"
    assert engine.repository.get_version("contract_review").names == {
        "en": "Contract review",
        "zh": "合同评审",
    }


def test_a_model_named_in_one_string_has_no_names_per_language(engine: Engine) -> None:
    deploy_path(engine, MODELS / "countersign")  # no model.toml: the process's name is the name
    (summary,) = engine.repository.list_models()
    assert summary.name and summary.names == {}
    assert engine.repository.get_version("countersign").names == {}
