"""One settings object: defaults < TOML file < RAG_* env vars < explicit overrides."""

from __future__ import annotations

import pytest

from rag.config import load_settings
from rag.errors import ConfigError


def test_toml_then_env_then_overrides(tmp_path, monkeypatch):
    config = tmp_path / "rag.toml"
    config.write_text('ask_k = 7\ncollection = "from_toml"\nabstain_threshold = 0.3\n')
    monkeypatch.setenv("RAG_CONFIG", str(config))
    monkeypatch.setenv("RAG_ASK_K", "9")
    settings = load_settings(collection="explicit")
    assert (settings.retrieval.ask_k, settings.store.collection, settings.answer.abstain_threshold) == (
        9,
        "explicit",
        0.3,
    )


def test_bad_values_name_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_SEARCH_K", "ten")
    with pytest.raises(ConfigError, match="search_k"):
        load_settings()
    monkeypatch.delenv("RAG_SEARCH_K")
    config = tmp_path / "bad.toml"
    config.write_text("colection = 'typo'\n")
    with pytest.raises(ConfigError, match="unknown setting 'colection'"):
        load_settings(config)
    with pytest.raises(ConfigError, match="retrieval_mode"):
        load_settings(retrieval_mode="sparse")
    with pytest.raises(ConfigError, match="dense_weight"):
        load_settings(dense_weight=1.5)
    with pytest.raises(ConfigError, match="rerank_title_weight"):
        load_settings(rerank_title_weight=-0.1)
    with pytest.raises(ConfigError, match="rerank_pool"):
        load_settings(rerank_pool=0)
    with pytest.raises(ConfigError, match="feedback_weight"):
        load_settings(feedback_weight=-1)
    with pytest.raises(ConfigError, match="feedback_papers"):
        load_settings(feedback_papers=0)
    with pytest.raises(ConfigError, match="compare_few_line_sentences"):
        load_settings(compare_few_line_sentences=0)


def test_openai_variables_are_a_fallback_and_keys_are_never_shown(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("RAG_LLM_BASE_URL", "http://127.0.0.1:9999/v1")
    settings = load_settings()
    assert settings.llm.llm_api_key == "sk-secret"
    assert settings.llm.llm_base_url == "http://127.0.0.1:9999/v1"
    assert "sk-secret" not in repr(settings.public_dict())


def test_offline_settings_are_applied_in_code():
    import os

    import rag  # noqa: F401 - importing the package applies them

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert os.path.isfile(os.path.join(os.environ["TIKTOKEN_CACHE_DIR"], "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"))


def test_repr_of_settings_hides_keys():
    settings = load_settings(llm_api_key="sk-hidden", embed_api_key="sk-hidden2")
    assert "sk-hidden" not in repr(settings)
