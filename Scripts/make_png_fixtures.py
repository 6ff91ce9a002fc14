"""Writes tiny PNGs of every colour type and bit depth for FileFormatsTests, encoded by hand
with zlib + struct (independent of libpng). Pixel values follow formulas that the Swift test
repeats; where PIL is installed, its convert("RGB") is checked against the same expectation.
Run from the repository root:  python3 Scripts/make_png_fixtures.py
"""
import os
import struct
import zlib

W, H = 5, 3
OUT = os.path.join("Tests", "Fixtures", "FileFormats", "png")


def s8(i, c):  # 8-bit sample of channel c at pixel index i
    return (37 * i + 91 * c + 11) % 256


def s16(i, c):  # 16-bit sample: the high byte is s8, the low byte is noise
    return s8(i, c) * 256 + (13 * i + 7 * c) % 256


def alpha8(i):
    return (50 * i) % 256


def palette(n):
    return [((40 * k) % 256, (255 - 30 * k) % 256, (7 * k) % 256) for k in range(n)]


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(color_type, depth, rows, extra=b""):
    ihdr = struct.pack(">IIBBBBB", W, H, depth, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + r for r in rows)  # filter type 0 on every row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def pack_bits(values, depth):
    out, acc, nbits = bytearray(), 0, 0
    for v in values:
        acc = (acc << depth) | v
        nbits += depth
        if nbits == 8:
            out.append(acc); acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


def gray_low(i, depth):  # gray value for depth < 8
    return (3 * i) % (1 << depth)


files = {}
for depth in (1, 2, 4):
    rows = [pack_bits([gray_low(y * W + x, depth) for x in range(W)], depth) for y in range(H)]
    files[f"gray{depth}.png"] = png(0, depth, rows)
files["gray8.png"] = png(0, 8, [bytes(s8(y * W + x, 0) for x in range(W)) for y in range(H)])
files["gray16.png"] = png(0, 16, [b"".join(struct.pack(">H", s16(y * W + x, 0)) for x in range(W)) for y in range(H)])
files["grayalpha8.png"] = png(4, 8, [bytes(v for x in range(W) for v in (s8(y * W + x, 0), alpha8(y * W + x))) for y in range(H)])
files["grayalpha16.png"] = png(4, 16, [b"".join(struct.pack(">HH", s16(y * W + x, 0), alpha8(y * W + x) * 257) for x in range(W)) for y in range(H)])
files["rgb8.png"] = png(2, 8, [bytes(s8(y * W + x, c) for x in range(W) for c in range(3)) for y in range(H)])
files["rgb16.png"] = png(2, 16, [b"".join(struct.pack(">H", s16(y * W + x, c)) for x in range(W) for c in range(3)) for y in range(H)])
files["rgba8.png"] = png(6, 8, [bytes(v for x in range(W) for v in (s8(y * W + x, 0), s8(y * W + x, 1), s8(y * W + x, 2), alpha8(y * W + x))) for y in range(H)])
files["rgba16.png"] = png(6, 16, [b"".join(struct.pack(">HHHH", s16(y * W + x, 0), s16(y * W + x, 1), s16(y * W + x, 2), alpha8(y * W + x) * 257) for x in range(W)) for y in range(H)])
for depth, n in ((1, 2), (2, 4), (4, 16), (8, 20)):
    pal = palette(n)
    plte = chunk(b"PLTE", bytes(v for rgb in pal for v in rgb))
    rows = [pack_bits([(y * W + x) % n for x in range(W)], depth) if depth < 8 else bytes((y * W + x) % n for x in range(W)) for y in range(H)]
    files[f"palette{depth}.png"] = png(3, depth, rows, plte)
    if depth == 8:  # palette with transparency entries: transparency is dropped on read
        trns = chunk(b"tRNS", bytes((k * 60) % 256 for k in range(n)))
        files["palette8_trns.png"] = png(3, depth, rows, plte + trns)

# Adam7 interlacing: seven passes of sub-images, each with its own filtered rows.
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
raw = b""
for x0, y0, dx, dy in ADAM7:
    xs, ys = range(x0, W, dx), range(y0, H, dy)
    if len(xs) and len(ys):
        raw += b"".join(b"\x00" + bytes(s8(y * W + x, c) for x in xs for c in range(3)) for y in ys)
ihdr = struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 1)
files["rgb8_interlaced.png"] = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
                                + chunk(b"IEND", b""))

os.makedirs(OUT, exist_ok=True)
for name, data in sorted(files.items()):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("wrote", len(files), "PNGs to", OUT)


def expected(name):
    """RGB bytes the Swift reader must produce (mirrors FileFormatsTests/PNGTests.swift)."""
    out = []
    for i in range(W * H):
        if name.startswith("palette"):
            n = {"palette1": 2, "palette2": 4, "palette4": 16, "palette8": 20}[name.split(".")[0].replace("_trns", "")]
            out += palette(n)[i % n]
        elif name.startswith("gray") and name[4] in "124" and not name.startswith("gray16"):
            depth = int(name[4])
            v = gray_low(i, depth) * 255 // ((1 << depth) - 1)
            out += [v, v, v]
        elif name.startswith("gray"):
            out += [s8(i, 0)] * 3
        else:
            out += [s8(i, c) for c in range(3)]
    return bytes(out)


try:
    from PIL import Image
except ImportError:
    Image = None
if Image is not None:
    for name in sorted(files):
        got = Image.open(os.path.join(OUT, name)).convert("RGB").tobytes()
        print(f"PIL {name:20s}", "matches" if got == expected(name) else "DIFFERS")  # expected only for gray16: PIL clips mode I to 255
