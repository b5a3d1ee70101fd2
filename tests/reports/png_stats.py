#!/usr/bin/env python3
"""Prints "WIDTH HEIGHT DISTINCT_COLOURS NON_WHITE_FRACTION" for an 8-bit RGB/RGBA PNG (what
headless Chromium writes), decoding it with the standard library only: the HTML report's
rendering test uses it to tell a drawn page from a blank one. Exits 1 with a reason otherwise."""
import struct
import sys
import zlib


def main(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("not a PNG: " + path)
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        sys.exit("unsupported PNG layout: depth %d colour %d interlace %d" % (depth, colour, interlace))
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    prev, colours, non_white = bytearray(stride), set(), 0
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp * 4):  # every 4th pixel is plenty
            px = bytes(line[x:x + 3])
            colours.add(px)
            non_white += px != b"\xff\xff\xff"
        prev = line
    sampled = height * ((width + 3) // 4)
    print(width, height, len(colours), "%.4f" % (non_white / sampled))


if __name__ == "__main__":
    main(sys.argv[1])
