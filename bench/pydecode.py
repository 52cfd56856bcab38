#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reference decoder of a KHO radix tracker (kho-v2..v4), standard library only.

Reads a root FDT and an ELF core (as written by `khoctl synth`), parses the
FDT structure block and the ELF program headers by hand, walks the radix
tree from `preserved-memory-map` and prints every coalesced range as
`khoctl ranges --noheadings` does (START END SIZE, END inclusive, SIZE
compact: 4K, 1.5M). The scripting baseline of khobench: every bit of every
leaf is tested, like a first decoder would; khobench checks that its output
is byte for byte khoctl's.

usage: pydecode.py ROOT.fdt CORE.elf [PAGE_SHIFT]
"""
import struct
import sys

FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_NOP, FDT_END = 1, 2, 3, 4, 9


def fdt_root_props(blob):
    """Properties of the root node: {name: bytes}."""
    magic, _total, off_struct, off_strings = struct.unpack_from(">IIII", blob, 0)
    if magic != 0xD00DFEED:
        raise ValueError("not an FDT")
    props, depth, off = {}, 0, off_struct
    while True:
        (tok,) = struct.unpack_from(">I", blob, off)
        off += 4
        if tok == FDT_BEGIN_NODE:
            end = blob.index(b"\0", off)
            off = (end + 4) & ~3
            depth += 1
        elif tok == FDT_END_NODE:
            depth -= 1
        elif tok == FDT_PROP:
            plen, nameoff = struct.unpack_from(">II", blob, off)
            off += 8
            name_end = blob.index(b"\0", off_strings + nameoff)
            name = blob[off_strings + nameoff:name_end].decode()
            if depth == 1:
                props[name] = blob[off:off + plen]
            off = (off + plen + 3) & ~3
        elif tok == FDT_NOP:
            continue
        elif tok == FDT_END:
            return props
        else:
            raise ValueError("bad FDT token %d" % tok)


class Core:
    """PT_LOAD segments of an ELF64 little-endian core: physical reads."""

    def __init__(self, data):
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise ValueError("not an ELF64 LSB file")
        phoff, = struct.unpack_from("<Q", data, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
        self.data, self.segs = data, []
        for i in range(phnum):
            p_type, _fl, p_off, _va, p_pa, p_filesz = struct.unpack_from(
                "<IIQQQQ", data, phoff + i * phentsize)
            if p_type == 1 and p_filesz:
                self.segs.append((p_pa, p_filesz, p_off))

    def page(self, pa, size):
        for start, length, off in self.segs:
            if start <= pa and pa + size <= start + length:
                return self.data[off + pa - start:off + pa - start + size]
        raise ValueError("0x%x not covered" % pa)


def decode(fdt, core, ps=12):
    root, = struct.unpack("<Q", fdt_root_props(fdt)["preserved-memory-map"])
    P = 1 << ps
    tbl_log2, leaf_log2 = ps - 3, ps + 3
    key_bits = 65 - ps
    depth = 1 + -(-(key_bits - leaf_log2) // tbl_log2)
    order0_bit = 64 - ps
    folios = []  # (phys, size)

    def walk(pa, level, prefix):
        page = core.page(pa, P)
        if level == 0:
            words = struct.unpack("<%dQ" % (P // 8), page)
            for bit in range(P * 8):
                if (words[bit >> 6] >> (bit & 63)) & 1:
                    key = prefix | bit
                    hb = key.bit_length() - 1
                    order = order0_bit - hb
                    phys = (key - (1 << hb)) << (ps + order)
                    folios.append((phys, 1 << (ps + order)))
            return
        shift = (level - 1) * tbl_log2 + leaf_log2
        for i, child in enumerate(struct.unpack("<%dQ" % (P // 8), page)):
            if child:
                walk(child, level - 1, prefix | (i << shift))

    walk(root, depth - 1, 0)
    folios.sort()
    ranges, cur_s, cur_e = [], None, None
    for phys, size in folios:
        if cur_e is not None and phys <= cur_e:
            cur_e = max(cur_e, phys + size)
            continue
        if cur_e is not None:
            ranges.append((cur_s, cur_e))
        cur_s, cur_e = phys, phys + size
    if cur_e is not None:
        ranges.append((cur_s, cur_e))
    return ranges


def human(v):
    """khoctl's compact size: unit by powers of 1024, one rounded tenth."""
    u = 0
    while u < 6 and v >> (10 * (u + 1)):
        u += 1
    tenth = 0
    if u:
        shift = 10 * u
        tenth = (((v & ((1 << shift) - 1)) >> (shift - 10)) * 10 + 512) >> 10
        v >>= shift
        if tenth == 10:
            v, tenth = v + 1, 0
    return "%d%s%s" % (v, ".%d" % tenth if tenth else "", "BKMGTPE"[u])


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    with open(sys.argv[1], "rb") as f:
        fdt = f.read()
    with open(sys.argv[2], "rb") as f:
        core = Core(f.read())
    ps = int(sys.argv[3]) if len(sys.argv) == 4 else 12
    out = sys.stdout
    for start, end in decode(fdt, core, ps):
        out.write("%18s  %18s  %8s\n" % (hex(start), hex(end - 1), human(end - start)))


if __name__ == "__main__":
    main()
