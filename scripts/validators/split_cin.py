"""Splits a children in need census XML into files of at most N children
each, every file with the original header, so the CIN validator (whose
reader slows down sharply past some tens of thousands of children) can check
a large area's return in parts. Also checks, across the whole file, what the
parts cannot: that LAchildID and UPN are each unique.

    python split_cin.py FILE N OUTDIR      # writes OUTDIR/part-001.xml, ...

Every child-level rule sees each child whole, so the parts together are
checked exactly as the file. The return-level rules (2883, 2886Q, 2887Q,
2888Q) compare totals or shares that pass for the file whenever they pass
for every part (plans started <= conferences, <= 2% without a gender, >= 8
disability codes used, more than one code per child somewhere).
Exit status 1 when an id repeats.
"""

import collections
import os
import sys
import xml.etree.ElementTree as ET


def main(path: str, n: str, out: str) -> int:
    n = int(n)
    tree = ET.parse(path)
    root = tree.getroot()
    children = root.find("Children")
    kids = list(children)
    ids = collections.Counter(k.findtext("ChildIdentifiers/LAchildID") for k in kids)
    upns = collections.Counter(k.findtext("ChildIdentifiers/UPN") for k in kids)
    status = 0
    for what, counter in (("LAchildID", ids), ("UPN", upns)):
        repeated = [v for v, c in counter.items() if v and c > 1]
        if repeated:
            print(f"{what} repeated across the file: {repeated[:5]} ({len(repeated)} in all)")
            status = 1
    os.makedirs(out, exist_ok=True)
    for k in list(children):
        children.remove(k)
    for i in range(0, len(kids), n):
        for k in kids[i:i + n]:
            children.append(k)
        tree.write(os.path.join(out, f"part-{i // n + 1:03d}.xml"), encoding="utf-8", xml_declaration=True)
        for k in list(children):
            children.remove(k)
    print(f"{len(kids)} children in {(len(kids) + n - 1) // n} parts of at most {n}; ids unique: {status == 0}")
    return status


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
