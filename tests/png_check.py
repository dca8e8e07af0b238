#!/usr/bin/python3
"""png_check: is each PNG file given whole and does it have ink?

An independent reader (Python's zlib and struct only, not cairo or
libpng): checks the signature, every chunk's CRC, IHDR, decompresses the
IDAT stream, undoes the five PNG row filters and prints, per file,
"PATH WIDTH HEIGHT VARIANCE", the variance of all 8-bit samples (a blank
picture has 0). Exits 1 with a line on stderr at the first bad file.
Usage: tests/png_check.py FILE.png...
"""
import struct
import sys
import zlib

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}   # colour type -> samples per pixel


def chunks(data, path):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG signature")
    at = 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        crc, = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise ValueError("bad CRC in chunk %r" % kind)
        yield kind, body
        at += 12 + length
        if kind == b"IEND":
            return
    raise ValueError("no IEND chunk: truncated")


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def unfilter(raw, width, height, bpp):
    stride = width * bpp
    rows, prev, at = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]) & 255
        rows.append(line)
        prev = line
    return rows


def check(path):
    data = open(path, "rb").read()
    header, idat = None, b""
    for kind, body in chunks(data, path):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if header is None:
        raise ValueError("no IHDR")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError("unexpected format: depth %d colour %d interlace %d" % (depth, colour, interlace))
    rows = unfilter(zlib.decompress(idat), width, height, CHANNELS[colour])
    n = sum(len(r) for r in rows)
    mean = sum(sum(r) for r in rows) / n
    variance = sum(sum((v - mean) ** 2 for v in r) for r in rows) / n
    return width, height, variance


def main():
    for path in sys.argv[1:]:
        try:
            width, height, variance = check(path)
        except (OSError, ValueError, zlib.error, struct.error) as e:
            print("png_check: %s: %s" % (path, e), file=sys.stderr)
            return 1
        print("%s %d %d %.1f" % (path, width, height, variance))
    return 0 if len(sys.argv) > 1 else 1


if __name__ == "__main__":
    sys.exit(main())
