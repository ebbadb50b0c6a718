"""Staff extend the vocabulary with data files only: a synonym, a topic and a park alias, each put in a
temporary dictionary directory or a copy of the knowledge base, reach a real Assistant's replies."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from assistant import lexicon as lx
from assistant import understand as und
from assistant.engine import Assistant
from assistant.settings import Settings, bundled_kb
from knowledge import synonyms
from knowledge.catalog import Catalog

PARK_ALIAS = "蓝楹园"  # a made-up nickname for 示例·低空经济产业园


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def staff_files(tmp_path) -> tuple[Path, Catalog]:
    """What a service-center colleague would write: two dictionary lines and one YAML line."""
    dict_dir = tmp_path / "dict"
    write(dict_dir / "tracks.tsv", "# 我们这里的叫法\n人形机器人\t铁甲小宝\n")
    write(dict_dir / "topics.tsv", "科创人才引进和培养\t人才绿卡|蓉漂人才卡\n")
    kb = tmp_path / "kb"
    shutil.copytree(bundled_kb(), kb)
    park = kb / "parks" / "low-altitude.yaml"
    yaml_text = park.read_text(encoding="utf-8")
    park.write_text(
        re.sub(r"^aliases: \[", f"aliases: [{PARK_ALIAS}, ", yaml_text, flags=re.M), encoding="utf-8"
    )
    return dict_dir, Catalog.load(kb)


@pytest.fixture
def restore_vocabulary(kb_index, catalog, store):
    yield
    und.use_dictionary(None)
    Assistant(kb_index, catalog, store, Settings(data_dir=kb_index.data_dir))  # teaches the names again


def ask(a: Assistant, text: str):
    return a.respond(None, text)


def test_a_synonym_a_topic_and_a_park_alias_from_files(
    kb_index, catalog, store, staff_files, restore_vocabulary
):
    dict_dir, staff_catalog = staff_files
    questions = ("我们做铁甲小宝的，有什么园区推荐？", "人才绿卡怎么申请？", f"{PARK_ALIAS}有哪些优惠？")

    plain = Assistant(kb_index, catalog, store, Settings(data_dir=kb_index.data_dir))
    before = [ask(plain, q) for q in questions]
    assert before[0].profile.track is None and not before[0].parks  # asked for the track instead
    assert und.topic_terms(questions[1]) == [] and und.topic_terms(questions[2]) == []
    assert "park-low-altitude" not in {c.doc_id for c in before[2].citations}

    taught = Assistant(
        kb_index, staff_catalog, store, Settings(data_dir=kb_index.data_dir, dict_dir=dict_dir)
    )
    robot, talent, park = (ask(taught, q) for q in questions)

    # The synonym: 铁甲小宝 is the 人形机器人 track, so the park cards come.
    assert robot.profile.track == "人形机器人"
    assert "park-humanoid-robot" in [p.id for p in robot.parks]
    # The topic: named like the talent guide, whose steps now answer "怎么申请".
    assert und.topic_terms(questions[1]) == ["科创人才引进和培养"]
    assert ("guide-talent", True) in {(c.doc_id, "办理流程" in c.section) for c in talent.citations}
    # The park alias: understood as the park, and its documents are quoted.
    assert und.topic_terms(questions[2]) == ["示例·低空经济产业园"]
    assert "park-low-altitude" in {c.doc_id for c in park.citations}
    # The bundled vocabulary is still there.
    assert und.topic_terms("算力券怎么领") == ["算力券"]


def test_bundled_aliases_and_guide_keywords(assistant):
    assert und.topic_terms("AI产业园在哪") == ["示例·人工智能产业园"]
    assert und.topic_terms("直投子基金投什么") == ["省级产业投资基金直投子基金"]
    assert und.topic_terms("科创贷怎么办") == ["科创贷"]  # an alias never takes a dictionary topic
    # A keyword only one guide lists picks it when neither a topic nor the top passage does.
    # guide_for returns (guide, named): a guide picked by its own keyword is one the question names.
    guide, named = assistant.retrieval.guide_for([], [], None, "想租算力，要准备什么")
    assert guide is not None and guide.id == "guide-compute-voucher" and named
    # 融资 is a need and three guides list it: no guide
    assert assistant.retrieval.guide_for([], [], None, "融资担保怎么办") == (None, False)


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("tracks.tsv", "# 说明\n人工智能 大模型\n", "tracks.tsv 第2行"),  # one space is not a column break
        ("needs.tsv", "space\t场地\t工位||桌子\n", "needs.tsv 第1行"),
        ("intents.txt", "[complaint]\n太坑了\n(?<!不\n", "intents.txt 第3行"),
        ("intents.txt", "太坑了\n", "intents.txt 第1行"),
        ("words.txt", "\n[smaltalk]\n嗨嗨\n", "words.txt 第2行"),
        ("synonym.txt", "老板\t企业家\n", "synonym.txt"),
    ],
)
def test_a_malformed_entry_names_its_file_and_line(tmp_path, name, text, where):
    before = lx.COMPLAINT
    write(tmp_path / name, text)
    with pytest.raises(lx.DictionaryError) as err:
        lx.load(tmp_path)
    assert where in str(err.value) and "请" in str(err.value)
    assert lx.COMPLAINT is before  # nothing half-loaded


def test_staff_words_join_a_cue_list(tmp_path, restore_vocabulary):
    assert und.classify_intent("你们这服务太坑了", und.Profile(), False) != "complaint"
    write(tmp_path / "dict" / "intents.txt", "[complaint]\n太坑了\n")
    write(tmp_path / "dict" / "synonyms.txt", "飞的  低空经济\n")
    write(tmp_path / "dict" / "说明.md", "# 我们加的词\n")  # not a dictionary file: left alone
    und.use_dictionary(tmp_path / "dict")
    assert und.classify_intent("你们这服务太坑了", und.Profile(), False) == "complaint"
    assert "低空经济" in synonyms.widen("飞的有补贴吗")
