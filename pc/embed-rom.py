#!/usr/bin/env python3
"""Embed an option ROM image in C: fix its checksum byte (the last byte, so
that all bytes sum to 0 modulo 256, as the PC option ROM format requires)
and write it as a `static const` array.

Usage: embed-rom.py INPUT.bin OUTPUT.h NAME
"""
import sys

src, dst, name = sys.argv[1:4]
data = bytearray(open(src, "rb").read())
if len(data) % 512 or data[:2] != b"\x55\xaa":
    sys.exit(f"{src}: not an option ROM image")
data[-1] = (-sum(data[:-1])) & 0xFF
with open(dst, "w") as out:
    out.write(f"/* Generated from {src.split('/')[-1]} by embed-rom.py: do not edit. */\n")
    out.write(f"static const unsigned char {name}[{len(data)}] = {{\n")
    for i in range(0, len(data), 12):
        out.write("    " + ", ".join(f"0x{b:02x}" for b in data[i:i + 12]) + ",\n")
    out.write("};\n")
