"""Font programs as WeasyPrint embeds them, read glyph by glyph and merged into one program.

Each part of an assembled PDF carries WeasyPrint's own subsets of its fonts: TrueType (glyf) or
CID-keyed CFF, the latter wrapped in OpenType. A PDF names a glyph by its CID: for a TrueType
font (CIDFontType2 with CIDToGIDMap /Identity) the CID is the glyph id, for a CFF font
(CIDFontType0) it is the CID that the program's charset gives the glyph, which need not be its
glyph id in a subset. merge() keeps every glyph under its CID, so the parts' page content draws
the same glyphs from the one merged program as from their own.

Only the glyph data moves: a glyph's bytes are copied as the subsetter wrote them (a CFF glyph
with the Private DICT its width and hints are relative to), never re-encoded.
"""

import struct
import sys
from array import array
from bisect import bisect_right

OPENTYPE_CFF = b"OTTO"
TRUETYPE = (b"\x00\x01\x00\x00", b"true")
# Tables that hold nothing per glyph, copied from the first program; every other table that does
# (vertical metrics, kerning, device metrics, layout) is left out: a PDF viewer reads none of them.
TRUETYPE_KEPT = ("OS/2", "cmap", "cvt ", "fpgm", "gasp", "name", "prep")
HEAD_CHECKSUM_ADJUSTMENT = 8
HEAD_BBOX = 36
HEAD_INDEX_TO_LOC_FORMAT = 50
HHEA_ADVANCE_WIDTH_MAX = 10
HHEA_NUMBER_OF_H_METRICS = 34


class Unmergeable(ValueError):
    """A program whose glyphs cannot be taken apart here: its font stays as the part made it."""


def kind(data: bytes) -> str:
    """ "cff" or "truetype", from the program's own first bytes."""
    if data[:4] == OPENTYPE_CFF or data[:1] == b"\x01":  # OpenType-wrapped or bare CFF
        return "cff"
    if data[:4] in TRUETYPE:
        return "truetype"
    raise Unmergeable(f"Unknown font program starting with {bytes(data[:4])!r}.")


def merge(program_kind: str, programs, needed) -> bytes:
    """One program of this kind with the glyph of every CID in `needed`, taken from `programs`.

    `programs` are (a function returning the program's bytes, the CIDs it is known to hold), in
    the order they are preferred; a program is read only if it holds a glyph still missing. The
    result is TrueType with the glyphs under their ids, or a bare CID-keyed CFF (FontFile3
    /CIDFontType0C) with the glyphs under their CIDs.
    """
    if program_kind == "truetype":
        reader, writer = _TrueType, _write_truetype
    else:
        reader, writer = _Cff, _write_cff
    wanted, found, sources = set(needed) | {0}, {}, []
    for read, covered in programs:
        missing = (wanted - found.keys()) & (set(covered) | {0})
        if not missing:
            continue
        data = read()
        if kind(data) != program_kind:
            raise Unmergeable(f"A {kind(data)} program among {program_kind} ones.")
        source = reader(data)
        sources.append(source)
        for cid in sorted(missing):
            source.take(cid, found)
        if not wanted - found.keys():
            break
    if wanted - found.keys():
        raise Unmergeable(f"No program holds the glyphs {sorted(wanted - found.keys())[:10]}.")
    return writer(sources, found)


# --- sfnt -----------------------------------------------------------------------------------------


def sfnt_tables(data: bytes) -> dict[str, bytes]:
    (count,) = struct.unpack_from(">H", data, 4)
    tables = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag.decode("latin-1")] = data[offset : offset + length]
    return tables


def sfnt(version: bytes, tables: dict[str, bytes]) -> bytes:
    """An OpenType file of these tables, with checksums and head's checkSumAdjustment."""
    tags = sorted(tables)
    count = len(tags)
    entry = 1 << (count.bit_length() - 1)
    header = version + struct.pack(
        ">HHHH", count, entry * 16, entry.bit_length() - 1, count * 16 - entry * 16
    )
    directory, body = [], []
    offset = 12 + 16 * count
    for tag in tags:
        data = tables[tag]
        if tag == "head":  # the adjustment is computed over the file with zero in its place
            at = HEAD_CHECKSUM_ADJUSTMENT
            data = data[:at] + b"\0\0\0\0" + data[at + 4 :]
        padded = data + b"\0" * (-len(data) % 4)
        entry_bytes = struct.pack(
            ">4sIII", tag.encode("latin-1"), _checksum(padded), offset, len(data)
        )
        directory.append(entry_bytes)
        body.append(padded)
        offset += len(padded)
    font = bytearray(header + b"".join(directory) + b"".join(body))
    if "head" in tables:
        at = 12 + 16 * count + sum(len(b) for b in body[: tags.index("head")])
        adjustment = (0xB1B0AFBA - _checksum(font)) & 0xFFFFFFFF
        struct.pack_into(">I", font, at + HEAD_CHECKSUM_ADJUSTMENT, adjustment)
    return bytes(font)


def _checksum(data) -> int:
    words = array("I", bytes(data) + b"\0" * (-len(data) % 4))
    if sys.byteorder == "little":
        words.byteswap()
    return sum(words) & 0xFFFFFFFF


# --- TrueType -------------------------------------------------------------------------------------

ARG_1_AND_2_ARE_WORDS, WE_HAVE_A_SCALE, MORE_COMPONENTS = 0x0001, 0x0008, 0x0020
WE_HAVE_AN_X_AND_Y_SCALE, WE_HAVE_A_TWO_BY_TWO = 0x0040, 0x0080


class _TrueType:
    def __init__(self, data):
        self.tables = sfnt_tables(data)
        head, maxp = self.tables["head"], self.tables["maxp"]
        self.glyph_count = struct.unpack_from(">H", maxp, 4)[0]
        long_offsets = struct.unpack_from(">h", head, HEAD_INDEX_TO_LOC_FORMAT)[0] == 1
        self.loca = array("I" if long_offsets else "H")
        self.loca.frombytes(self.tables["loca"][: (self.glyph_count + 1) * self.loca.itemsize])
        if sys.byteorder == "little":
            self.loca.byteswap()
        self.scale = 1 if long_offsets else 2
        self.glyf = self.tables["glyf"]
        self.hmtx = self.tables["hmtx"]
        self.long_metrics = struct.unpack_from(">H", self.tables["hhea"], HHEA_NUMBER_OF_H_METRICS)[0]

    def take(self, gid, found):
        """The glyph (and the glyphs a composite glyph is made of) into found, by glyph id."""
        if gid in found:
            return
        if gid >= self.glyph_count:
            return  # not in this program: merge() reports it if no other program has it
        start, end = self.loca[gid] * self.scale, self.loca[gid + 1] * self.scale
        glyph = self.glyf[start:end]
        found[gid] = (glyph, self.metric(gid), self)
        for component in _components(glyph):
            self.take(component, found)

    def metric(self, gid) -> bytes:
        """advanceWidth and lsb, 4 bytes."""
        if gid < self.long_metrics:
            return self.hmtx[4 * gid : 4 * gid + 4]
        last = self.hmtx[4 * self.long_metrics - 4 : 4 * self.long_metrics - 2]
        at = 4 * self.long_metrics + 2 * (gid - self.long_metrics)
        return last + self.hmtx[at : at + 2]


def _components(glyph) -> list[int]:
    if len(glyph) < 10 or struct.unpack_from(">h", glyph, 0)[0] >= 0:
        return []  # empty or simple
    components, at, flags = [], 10, MORE_COMPONENTS
    while flags & MORE_COMPONENTS:
        flags, gid = struct.unpack_from(">HH", glyph, at)
        components.append(gid)
        at += 4 + (4 if flags & ARG_1_AND_2_ARE_WORDS else 2)
        if flags & WE_HAVE_A_SCALE:
            at += 2
        elif flags & WE_HAVE_AN_X_AND_Y_SCALE:
            at += 4
        elif flags & WE_HAVE_A_TWO_BY_TWO:
            at += 8
    return components


def _write_truetype(sources, found) -> bytes:
    count = max(found) + 1
    glyf, loca, hmtx = bytearray(), array("I", [0]), bytearray()
    for gid in range(count):
        glyph, metric, _ = found.get(gid, (b"", b"\0\0\0\0", None))
        glyf += glyph
        glyf += b"\0" * (-len(glyph) % 4)
        loca.append(len(glyf))
        hmtx += metric
    if sys.byteorder == "little":
        loca.byteswap()
    base = sources[0].tables
    tables = {tag: base[tag] for tag in TRUETYPE_KEPT if tag in base}
    tables.update(glyf=bytes(glyf), loca=loca.tobytes(), hmtx=bytes(hmtx))
    tables["maxp"] = _maxp([source.tables["maxp"] for source in sources], count)
    tables["head"] = _head([source.tables["head"] for source in sources])
    tables["hhea"] = _hhea(base["hhea"], count, hmtx)
    tables["post"] = b"\x00\x03\x00\x00" + base["post"][4:32]  # format 3: no glyph names
    return sfnt(TRUETYPE[0], tables)


def _maxp(tables, count) -> bytes:
    """numGlyphs set; every other maximum the largest of the programs'."""
    first = tables[0]
    if struct.unpack_from(">I", first, 0)[0] != 0x00010000:
        return first[:4] + struct.pack(">H", count)
    maxima = zip(*(struct.unpack_from(">13H", table, 6) for table in tables), strict=True)
    fields = [max(values) for values in maxima]
    return first[:4] + struct.pack(">H", count) + struct.pack(">13H", *fields)


def _head(tables) -> bytes:
    """Long glyph offsets, and the bounding box of all the programs'."""
    boxes = [struct.unpack_from(">hhhh", t, HEAD_BBOX) for t in tables]
    box = (
        min(b[0] for b in boxes), min(b[1] for b in boxes),
        max(b[2] for b in boxes), max(b[3] for b in boxes),
    )  # fmt: skip
    head = bytearray(tables[0])
    struct.pack_into(">hhhh", head, HEAD_BBOX, *box)
    struct.pack_into(">h", head, HEAD_INDEX_TO_LOC_FORMAT, 1)
    return bytes(head)


def _hhea(table, count, hmtx) -> bytes:
    advances = array("H", bytes(hmtx))
    if sys.byteorder == "little":
        advances.byteswap()
    hhea = bytearray(table)
    struct.pack_into(">H", hhea, HHEA_ADVANCE_WIDTH_MAX, max(advances[0::2], default=0))
    struct.pack_into(">H", hhea, HHEA_NUMBER_OF_H_METRICS, count)
    return bytes(hhea)


# --- CFF ------------------------------------------------------------------------------------------

# Top DICT operators whose operands are string ids (ROS: its first two), and those that are offsets.
SID_OPERATORS = {0, 1, 2, 3, 4, (12, 0), (12, 21), (12, 22), (12, 30), (12, 38)}
OFFSET_OPERATORS = {15, 16, 17, 18, 19, (12, 36), (12, 37)}
CHARSET, CHARSTRINGS, PRIVATE, SUBRS = 15, 17, 18, 19
ROS, FD_ARRAY, FD_SELECT, FONT_NAME = (12, 30), (12, 36), (12, 37), (12, 38)
STANDARD_STRINGS = 391  # SIDs below are the CFF specification's own strings


class _Cff:
    def __init__(self, data):
        cff = sfnt_tables(data)["CFF "] if data[:4] == OPENTYPE_CFF else data
        self.cff = cff
        names = _Index(cff, cff[2])
        tops = _Index(cff, names.end)
        self.strings = _Index(cff, tops.end)
        global_subrs = _Index(cff, self.strings.end)
        if global_subrs.count:
            raise Unmergeable("CFF with global subroutines.")
        self.name = names[0]
        self.top = _parse_dict(tops[0])
        operators = {op: operands for op, operands, _ in self.top}
        if ROS not in operators:
            raise Unmergeable("CFF that is not CID-keyed.")
        self.charstrings = _Index(cff, operators[CHARSTRINGS][0])
        self.ranges = _charset(cff, operators[CHARSET][0], self.charstrings.count)
        self.starts = [first for first, _, _ in self.ranges]
        self.fd_select = _fd_select(cff, operators[FD_SELECT][0], self.charstrings.count)
        font_dicts = _Index(cff, operators[FD_ARRAY][0])
        self.fds = [self._font_dict(font_dicts[i]) for i in range(font_dicts.count)]

    def string(self, sid) -> bytes | int:
        return sid if sid < STANDARD_STRINGS else self.strings[sid - STANDARD_STRINGS]

    def _font_dict(self, data):
        """A font DICT as a hashable key: its entries (names resolved) and its Private DICT."""
        entries, private = [], b""
        for op, operands, raw in _parse_dict(data):
            if op == PRIVATE:
                size, offset = operands
                private = self.cff[offset : offset + size]
                if any(private_op == SUBRS for private_op, _, _ in _parse_dict(private)):
                    raise Unmergeable("CFF with local subroutines.")
            elif op == FONT_NAME:
                entries.append((op, self.string(operands[0])))
            else:
                entries.append((op, raw))
        return tuple(entries), private

    def take(self, cid, found):
        gid = self._gid(cid)
        if gid is not None:
            found[cid] = (self.charstrings[gid], self.fds[self.fd_select(gid)], self)

    def _gid(self, cid):
        if cid == 0:
            return 0
        i = bisect_right(self.starts, cid) - 1
        if i < 0:
            return None
        first, gid, count = self.ranges[i]
        return gid + cid - first if cid - first < count else None


class _Index:
    """A CFF INDEX read in place: items are sliced out when asked for."""

    def __init__(self, data, at):
        self.data = data
        self.count = struct.unpack_from(">H", data, at)[0]
        if not self.count:
            self.end = at + 2
            return
        self.size = data[at + 2]
        self.offsets = at + 3
        self.base = self.offsets + (self.count + 1) * self.size - 1
        self.end = self.base + self._offset(self.count)

    def _offset(self, i):
        at = self.offsets + i * self.size
        return int.from_bytes(self.data[at : at + self.size], "big")

    def __getitem__(self, i):
        return bytes(self.data[self.base + self._offset(i) : self.base + self._offset(i + 1)])


def _charset(cff, at, count) -> list[tuple[int, int, int]]:
    """(first CID, its glyph id, how many) for runs of consecutive CIDs, sorted by CID."""
    form, at, gid, ranges = cff[at], at + 1, 1, []
    while gid < count:
        if form == 0:
            first, run = struct.unpack_from(">H", cff, at)[0], 1
            at += 2
        elif form in (1, 2):
            first, left = struct.unpack_from(">HB" if form == 1 else ">HH", cff, at)
            run, at = left + 1, at + (3 if form == 1 else 4)
        else:
            raise Unmergeable(f"CFF charset format {form}.")
        if ranges and ranges[-1][0] + ranges[-1][2] == first and ranges[-1][1] + ranges[-1][2] == gid:
            ranges[-1] = (ranges[-1][0], ranges[-1][1], ranges[-1][2] + run)
        else:
            ranges.append((first, gid, run))
        gid += run
    return sorted(ranges)


def _fd_select(cff, at, count):
    form = cff[at]
    if form == 0:
        return lambda gid: cff[at + 1 + gid]
    if form != 3:
        raise Unmergeable(f"CFF FDSelect format {form}.")
    (ranges,) = struct.unpack_from(">H", cff, at + 1)
    firsts, fds = [], []
    for i in range(ranges):
        first, fd = struct.unpack_from(">HB", cff, at + 3 + 3 * i)
        firsts.append(first)
        fds.append(fd)
    return lambda gid: fds[bisect_right(firsts, gid) - 1]


def _parse_dict(data) -> list[tuple]:
    """(operator, operands, the operands' bytes) of each DICT entry, in order."""
    entries, operands, start, at = [], [], 0, 0
    while at < len(data):
        b0 = data[at]
        if b0 <= 21:
            if b0 == 12:
                op, end = (12, data[at + 1]), at + 2
            else:
                op, end = b0, at + 1
            entries.append((op, operands, bytes(data[start:at])))
            operands, start, at = [], end, end
        elif b0 == 28:
            operands.append(struct.unpack_from(">h", data, at + 1)[0])
            at += 3
        elif b0 == 29:
            operands.append(struct.unpack_from(">i", data, at + 1)[0])
            at += 5
        elif b0 == 30:  # a real number: nibbles up to an 0xf one
            at += 1
            while data[at] >> 4 != 0xF and data[at] & 0xF != 0xF:
                at += 1
            at += 1
            operands.append(None)  # never used as a number here
        elif b0 <= 246:
            operands.append(b0 - 139)
            at += 1
        elif b0 <= 250:
            operands.append((b0 - 247) * 256 + data[at + 1] + 108)
            at += 2
        elif b0 <= 254:
            operands.append(-(b0 - 251) * 256 - data[at + 1] - 108)
            at += 2
        else:
            raise Unmergeable(f"CFF DICT byte {b0}.")
    return entries


def _int(value) -> bytes:
    if -107 <= value <= 107:
        return bytes([value + 139])
    if 108 <= value <= 1131:
        value -= 108
        return bytes([(value >> 8) + 247, value & 0xFF])
    if -1131 <= value <= -108:
        value = -value - 108
        return bytes([(value >> 8) + 251, value & 0xFF])
    return _offset(value)


def _offset(value) -> bytes:
    """Always five bytes: a DICT's size is known before the offsets it holds."""
    return b"\x1d" + struct.pack(">i", value)


def _operator(op) -> bytes:
    return bytes(op) if isinstance(op, tuple) else bytes([op])


def _index(items) -> bytes:
    if not items:
        return b"\0\0"
    ends, total = [], 1
    for item in items:
        total += len(item)
        ends.append(total)
    size = next(n for n in (1, 2, 3, 4) if total < 1 << (8 * n))
    offsets = b"".join(offset.to_bytes(size, "big") for offset in [1, *ends])
    return struct.pack(">HB", len(items), size) + offsets + b"".join(items)


class _Strings:
    def __init__(self):
        self.items = {}

    def sid(self, value) -> int:
        if isinstance(value, int):
            return value  # a standard string
        return STANDARD_STRINGS + self.items.setdefault(value, len(self.items))


def _write_cff(sources, found) -> bytes:
    """A bare CID-keyed CFF: .notdef, then the glyphs by CID, each with its own font DICT."""
    cids = sorted(found)  # 0 (.notdef) first
    fds = sorted({found[cid][1] for cid in cids}, key=repr)
    fd_index = {fd: i for i, fd in enumerate(fds)}
    first = sources[0]
    strings = _Strings()
    top = b"".join(
        _top_entry(op, operands, raw, first, strings)
        for op, operands, raw in first.top
        if op not in OFFSET_OPERATORS
    )
    font_dicts = [
        b"".join(
            _int(strings.sid(value)) + _operator(op) if op == FONT_NAME else value + _operator(op)
            for op, value in entries
        )
        for entries, _ in fds
    ]

    def top_dict(charset_at, fd_select_at, charstrings_at, fd_array_at):
        return (
            top + _offset(charset_at) + _operator(CHARSET) + _offset(fd_select_at)
            + _operator(FD_SELECT) + _offset(charstrings_at) + _operator(CHARSTRINGS)
            + _offset(fd_array_at) + _operator(FD_ARRAY)
        )  # fmt: skip

    def font_dict(entries, private, private_at):
        return entries + _offset(len(private)) + _offset(private_at) + _operator(PRIVATE)

    charset = _charset_ranges(cids[1:])
    fd_select = _fd_ranges([fd_index[found[cid][1]] for cid in cids])
    charstrings = _index([found[cid][0] for cid in cids])
    head = b"\x01\x00\x04\x04" + _index([first.name])
    string_index = _index(list(strings.items))
    charset_at = len(head) + len(_index([top_dict(0, 0, 0, 0)])) + len(string_index) + 2
    fd_select_at = charset_at + len(charset)
    charstrings_at = fd_select_at + len(fd_select)
    fd_array_at = charstrings_at + len(charstrings)
    pairs = list(zip(font_dicts, fds, strict=True))
    private_at = fd_array_at + len(_index([font_dict(d, p, 0) for d, (_, p) in pairs]))
    with_privates = []
    for entries, (_, private) in pairs:
        with_privates.append(font_dict(entries, private, private_at))
        private_at += len(private)
    return b"".join(
        [head, _index([top_dict(charset_at, fd_select_at, charstrings_at, fd_array_at)]),
         string_index, b"\0\0", charset, fd_select, charstrings, _index(with_privates),
         *(private for _, private in fds)]
    )  # fmt: skip


def _top_entry(op, operands, raw, source, strings) -> bytes:
    if op == ROS:
        registry, ordering, supplement = operands
        operands_bytes = (
            _int(strings.sid(source.string(registry))) + _int(strings.sid(source.string(ordering)))
            + _int(supplement)
        )  # fmt: skip
    elif op in SID_OPERATORS:
        operands_bytes = _int(strings.sid(source.string(operands[0])))
    else:
        operands_bytes = raw
    return operands_bytes + _operator(op)


def _charset_ranges(cids) -> bytes:
    """Format 2: runs of consecutive CIDs, glyph 1 onwards."""
    ranges = []
    for cid in cids:
        if ranges and ranges[-1][0] + ranges[-1][1] + 1 == cid:
            ranges[-1][1] += 1
        else:
            ranges.append([cid, 0])
    return b"\x02" + b"".join(struct.pack(">HH", first, left) for first, left in ranges)


def _fd_ranges(fds) -> bytes:
    """Format 3: runs of glyphs with the same font DICT, and the sentinel."""
    ranges = [(gid, fd) for gid, fd in enumerate(fds) if gid == 0 or fds[gid - 1] != fd]
    return (
        b"\x03" + struct.pack(">H", len(ranges))
        + b"".join(struct.pack(">HB", gid, fd) for gid, fd in ranges) + struct.pack(">H", len(fds))
    )  # fmt: skip
