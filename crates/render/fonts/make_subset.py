"""Rebuild the embedded fonts: a Latin + Greek + maths subset of DejaVu Sans (regular and bold).

The Bitstream Vera licence asks that modified fonts be renamed, so the subset's family is "DQM Sans".
Usage: python3 -m venv v && v/bin/pip install fonttools && v/bin/python make_subset.py /usr/share/fonts/truetype/dejavu
"""
import sys
from fontTools import subset
from fontTools.ttLib import TTFont

UNICODES = (
    list(range(0x20, 0x7F)) + list(range(0xA0, 0x100))  # Basic Latin, Latin-1
    + list(range(0x391, 0x3CA)) + [0x3D1, 0x3D5, 0x3F5]  # Greek letters and variants
    + [0x2013, 0x2014, 0x2022, 0x2026, 0x2032, 0x2033, 0x2190, 0x2191, 0x2192, 0x2193, 0x2194,
       0x2202, 0x2207, 0x2211, 0x2212, 0x221A, 0x221D, 0x221E, 0x222B, 0x2248, 0x2260, 0x2261,
       0x2264, 0x2265, 0x2282, 0x2283, 0x2218, 0x22C5, 0x2135, 0x210F, 0x2113]
)

def build(src, dst, family, style):
    font = TTFont(src)
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    sub = subset.Subsetter(options)
    sub.populate(unicodes=UNICODES)
    sub.subset(font)
    full = f"{family} {style}" if style != "Regular" else family
    for rec in font["name"].names:
        if rec.nameID == 1:
            rec.string = family
        elif rec.nameID in (3, 4):
            rec.string = full
        elif rec.nameID == 6:
            rec.string = full.replace(" ", "")
    font.save(dst)

if __name__ == "__main__":
    root = sys.argv[1]
    build(f"{root}/DejaVuSans.ttf", "DQMSans.ttf", "DQM Sans", "Regular")
    build(f"{root}/DejaVuSans-Bold.ttf", "DQMSans-Bold.ttf", "DQM Sans", "Bold")
