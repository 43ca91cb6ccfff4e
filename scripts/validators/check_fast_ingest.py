"""Checks that fast_ingest.py's reader gives the validator's own tables.

    python check_fast_ingest.py FILE    # a cin.xml

Reads FILE with the validator's reader and with the linear-time one and
compares every table exactly (values, dtypes, index); exits 1 on the first
difference. Takes the validator's own (quadratic) time.
"""
import os
import sys
import xml.etree.ElementTree as ET

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cin_validator.ingress as ingress  # noqa: E402
import fast_ingest  # noqa: E402


def main(path):
    root = ET.parse(path).getroot()
    own = ingress.XMLtoCSV(root)
    fast_ingest.install()
    try:
        fast = ingress.XMLtoCSV(root)
    finally:
        fast_ingest.uninstall()
    names = sorted(n for n in dir(own) if isinstance(getattr(own, n, None), pd.DataFrame))
    for name in names:
        try:
            pd.testing.assert_frame_equal(getattr(own, name), getattr(fast, name), check_exact=True)
        except AssertionError as e:
            print(f"{name}: differs: {e}")
            return 1
        print(f"{name}: {getattr(own, name).shape[0]} rows, equal")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
