"""jieba's word table (word or word prefix → frequency) as one prepared file read without unpacking.

Unpacking jieba's 500,000-entry dictionary into a Python dict takes 0.2–0.5 s at every start; this
table is a hash table inside one bytes object, looked up in place (CRC-32, linear probing), so
loading it is reading a file. It answers exactly what the dict would: `in`, `[]`, `get`; words
added later (`jieba.add_word`) go to a small dict in front of it.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from collections.abc import Mapping

MAGIC = b"RCFREQ1\n"
_HEADER = struct.Struct("<8sIIIQ")  # magic, slots, keys, key bytes, jieba's total
_MISSING = object()


def pack(freq: Mapping[str, int], total: int) -> bytes:
    """The file for jieba's `FREQ` and `total` (counts must fit in 32 bits, as jieba's do)."""
    keys = [k.encode() for k in freq]
    values = array("I", freq.values())
    slots = 1 << max(4, (2 * len(keys) - 1).bit_length())  # at most half full
    mask = slots - 1
    table = array("I", bytes(4 * slots))
    offsets = array("I", [0])
    for n, key in enumerate(keys, 1):
        offsets.append(offsets[-1] + len(key))
        i = zlib.crc32(key) & mask
        while table[i]:
            i = (i + 1) & mask
        table[i] = n
    blob = b"".join(keys)
    head = _HEADER.pack(MAGIC, slots, len(keys), len(blob), total)
    return head + table.tobytes() + offsets.tobytes() + values.tobytes() + blob


class FreqTable:
    """A read-only `pack` file with a writable dict in front (words added after loading)."""

    def __init__(self, data: bytes) -> None:
        magic, slots, n, size, self.total = _HEADER.unpack_from(data)
        if magic != MAGIC or slots & (slots - 1):
            raise ValueError("not a frequency table")
        view = memoryview(data)
        start = _HEADER.size
        parts = []
        for count in (slots, n + 1, n):
            parts.append(view[start : start + 4 * count].cast("I"))
            start += 4 * count
        if len(data) != start + size:
            raise ValueError("truncated frequency table")
        self._table, self._offsets, self._values = parts
        self._blob = data[start:]
        self._mask = slots - 1
        self.added: dict[str, int] = {}

    def _lookup(self, word: str) -> object:
        key = word.encode()
        i = zlib.crc32(key) & self._mask
        table, offsets, blob = self._table, self._offsets, self._blob
        while n := table[i]:
            if blob[offsets[n - 1] : offsets[n]] == key:
                return self._values[n - 1]
            i = (i + 1) & self._mask
        return _MISSING

    def get(self, word: str, default: object = None) -> object:
        if (got := self.added.get(word, _MISSING)) is not _MISSING:
            return got
        got = self._lookup(word)
        return default if got is _MISSING else got

    def __getitem__(self, word: str) -> object:
        if (got := self.get(word, _MISSING)) is _MISSING:
            raise KeyError(word)
        return got

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word, _MISSING) is not _MISSING

    def __setitem__(self, word: str, value: int) -> None:
        self.added[word] = value
