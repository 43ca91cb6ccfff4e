"""validate_cin.py with the validator's reader made linear-time
(fast_ingest.py): for large returns such as England's tenth.

    python validate_cin_fast.py FILE YEAR [UNCOVERED]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fast_ingest  # noqa: E402

fast_ingest.install()

import validate_cin  # noqa: E402

if __name__ == "__main__":
    sys.exit(validate_cin.main(*sys.argv[1:4]))
