"""Checks that the validators' excused false positives are only those.

    python test_excuses.py RETURNS_YEAR_DIR YEAR
    # e.g. /tmp/familyflow-validators/returns/2026 2025-26

validate_903.py clears rule 362 rows whose emergency protection order
lasted 21 days or less, and validate_cin.py rule 8569Q rows dated on or
after the working day before the census year. Into a copy of a real
export it adds two children: one whose two short EPOs in separate periods
of care the validator joins (must be excused, not failed) and one with a
genuine 44-day EPO (must still FAIL). 8569Q's excuse is checked on a
referral on the cut-off day (excused) and one the day before (kept).
Exit status 0 when every check holds, 1 otherwise.
"""

import contextlib
import io
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

import validate_903
import validate_cin


def check_362(folder: Path, year: str) -> list[str]:
    first = int(year[:4])
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / folder.name
        shutil.copytree(folder, work)
        header = pd.read_csv(work / "header.csv", dtype=str, keep_default_na=False)
        episodes = pd.read_csv(work / "episodes.csv", dtype=str, keep_default_na=False)
        template = episodes.iloc[0].to_dict()
        rows = []
        for child, spans in {
            # Joined by the validator: EPO 9 days, then s20 the same day; later an EPO of 1 day.
            "99900001": [
                ("01/05/%d", "S", "L2", "13/05/%d", "X1"),
                ("13/05/%d", "L", "V2", "20/06/%d", "E4A"),
                ("01/09/%d", "S", "L2", "02/09/%d", "X1"),
                ("02/09/%d", "L", "C1", "", ""),
            ],
            # A genuine EPO of 44 days.
            "99900002": [
                ("01/05/%d", "S", "L2", "14/06/%d", "X1"),
                ("14/06/%d", "L", "C1", "", ""),
            ],
        }.items():
            h = header.iloc[0].to_dict()
            h["CHILD"] = child
            h["UPN"] = "A" + child + "0000"
            h["DOB"] = f"01/01/{first - 5}"
            header = pd.concat([header, pd.DataFrame([h])], ignore_index=True)
            for decom, rne, ls, dec, rec in spans:
                e = dict(template)
                e.update(CHILD=child, DECOM=decom % first, RNE=rne, LS=ls,
                         DEC=dec % first if dec else "", REC=rec, PLACE="U4")
                rows.append(e)
        episodes = pd.concat([episodes, pd.DataFrame(rows)], ignore_index=True)
        header.to_csv(work / "header.csv", index=False)
        episodes.to_csv(work / "episodes.csv", index=False)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = validate_903.main(str(work), year, str(Path(__file__).with_name("uncovered.txt")))
        text = out.getvalue()
        fail = [l for l in text.splitlines() if l.strip().startswith("FAIL\t362\t")]
        excused = [l for l in text.splitlines() if l.strip().startswith("excused\t362\t")]
        if status != 2 or not fail or fail[0].split("\t")[2] != "1":
            failures.append(f"362: the 44-day EPO (1 row) must FAIL; got status {status}:\n{text}")
        if not excused or int(excused[0].split("\t")[2]) < 2:
            failures.append(f"362: the two joined short EPOs must be excused:\n{text}")
    return failures


def check_8569q() -> list[str]:
    # Census year 2024-25: 1 April 2024 was Easter Monday, so the cut-off is
    # Thursday 28 March 2024 (Good Friday 29 March is a holiday too).
    details = pd.DataFrame({"CINreferralDate": pd.to_datetime(["2024-03-28", "2024-03-27"])})
    issues = pd.DataFrame({"rule_code": ["8569Q", "8569Q"], "row_id": [0, 1]})
    data = {"CINdetails": details, "Header": pd.DataFrame({"ReferenceDate": ["2025-03-31"]})}
    kept, excused = validate_cin.without_8569q_false_positives(issues, data)
    if excused != 1 or list(kept["row_id"]) != [1]:
        return [f"8569Q: expected the 28 March referral excused and 27 March kept; got {excused}, {list(kept['row_id'])}"]
    return []


def main(folder: str, year: str) -> int:
    failures = check_362(Path(folder), year) + check_8569q()
    for f in failures:
        print(f"test_excuses: {f}")
    if not failures:
        print("test_excuses: 362 and 8569Q excuse only their false positives")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
