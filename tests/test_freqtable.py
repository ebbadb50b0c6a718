"""The prepared jieba table answers exactly what jieba's dict would."""

from __future__ import annotations

import pytest

from knowledge.freqtable import FreqTable, pack

FREQ = {"算": 0, "算力": 20, "算力券": 7, "申请": 3000, "a": 1, "创业担保贷款": 12}


def test_every_word_and_every_miss_as_the_dict_says() -> None:
    table = FreqTable(pack(FREQ, 3040))
    assert table.total == 3040
    for word, freq in FREQ.items():
        assert word in table and table[word] == freq and table.get(word) == freq
    for miss in ("", "算力券怎么", "b", "申"):
        assert miss not in table and table.get(miss) is None and table.get(miss, 0) == 0
        with pytest.raises(KeyError):
            table[miss]


def test_added_words_stand_in_front_of_the_file() -> None:
    table = FreqTable(pack(FREQ, 1))
    table["天使基金"] = 2000  # what jieba.add_word does, with its prefixes
    table["算力"] = 5
    assert table["天使基金"] == 2000 and table["算力"] == 5 and table.added == {"天使基金": 2000, "算力": 5}


def test_a_damaged_file_is_refused() -> None:
    data = pack(FREQ, 1)
    with pytest.raises(ValueError):
        FreqTable(data[:-3])
    with pytest.raises(ValueError):
        FreqTable(b"X" + data[1:])
