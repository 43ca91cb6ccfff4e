"""Runs Data to Insight's SSDA903 validator (csc-validator-be-903) on one
collection year's files as `familyflow export --format ssda903` writes them
and prints each failing rule with its count of failing rows.

    python validate_903.py DIR YEAR [UNCOVERED]
    # DIR (2025/) holds header.csv, episodes.csv; YEAR e.g. 2024-25

The rules of the ruleset for that year are used (the latest before it
when the package has none for it). When the folder beside DIR named for
the year before (2024/ beside 2025/) holds that year's files, they are
loaded as the previous year's return, so the rules comparing two years
run too. Without UNCOVERED, exit status 0 whether or not
rules fail. With UNCOVERED (scripts/validators/uncovered.txt: the rules
whose data the model does not produce), a failing rule not listed there is
marked FAIL and the exit status is 2.
"""

import contextlib
import io
import logging
import sys
from pathlib import Path

from lac_validator import lac_validator
from lac_validator.report import Report
from lac_validator.utils import process_uploaded_files

import rulesets
from uncovered_rules import uncovered


def without_362_false_positives(v, first: int) -> int:
    """Clears rule 362's false positives in the validator's results; returns how many.

    362 (DfE): "Emergency protection order (EPO) lasted longer than 21 days".
    The validator splits a child's L2 episodes into "flows" by asking, of
    each L2 episode, whether its DEC equals the DECOM of the episode after
    it, whatever that episode's legal status. An EPO followed the same day
    by another status (an interim care order, section 20) therefore joins
    the child's next EPO, months later in another period of care, into one
    "flow" longer than 21 days. Here a flow is what the rule means: a run
    of L2 episodes each starting the day the one before ended (an open one
    runs to the end of the collection year). Only flagged rows whose own
    flow lasts 21 days or less are cleared; every other 362 row still fails.
    """
    import pandas as pd

    eps = v.ds_results.get("Episodes")
    if eps is None or "ERR_362" not in eps.columns or not eps["ERR_362"].fillna(False).any():
        return 0
    end = pd.Timestamp(first + 1, 3, 31)
    decom = pd.to_datetime(eps["DECOM"], format="%d/%m/%Y", errors="coerce")
    dec = pd.to_datetime(eps["DEC"], format="%d/%m/%Y", errors="coerce").fillna(end)
    days = {}
    order = eps.assign(_decom=decom, _dec=dec).sort_values(["CHILD", "_decom"])
    run, run_start, prev = [], None, None
    def close():
        if run:
            length = (order.loc[run[-1], "_dec"] - run_start).days
            for i in run:
                days[i] = length
    for i, row in order.iterrows():
        continues = (
            prev is not None and row["LS"] == "L2" and prev["LS"] == "L2"
            and prev["CHILD"] == row["CHILD"] and prev["_dec"] == row["_decom"]
        )
        if not continues:
            close()
            run, run_start = [], row["_decom"]
        if row["LS"] == "L2":
            run.append(i)
        prev = row
    close()
    flagged = eps.index[eps["ERR_362"].fillna(False).astype(bool)]
    false_positive = [i for i in flagged if days.get(i, 99) <= 21]
    eps.loc[false_positive, "ERR_362"] = False
    return len(false_positive)


def _validate(folder: str, first: int, registry):
    files = {"This year": [str(p) for p in sorted(Path(folder).glob("*.csv"))]}
    # The year before's return, when the folder beside this one holds it
    # (2024/ beside 2025/): the rules comparing the two years run too.
    previous = Path(folder).resolve().parent / str(first)
    if previous.is_dir() and any(previous.glob("*.csv")):
        files["Prev year"] = [str(p) for p in sorted(previous.glob("*.csv"))]
    return lac_validator.LacValidator(
        # collectionYear "2025" is the year ending 31 March 2025. The local
        # authority is only used for placements' postcodes, which the
        # export leaves blank.
        metadata={"collectionYear": str(first + 1), "localAuthority": "E09000027"},
        files=process_uploaded_files(files),
        registry=registry,
        selected_rules=None,
    )


def main(folder: str, year: str, uncovered_path=None) -> int:
    logging.disable(logging.CRITICAL)
    first = int(year[:4])
    ruleset, registry = rulesets.ruleset("lac_validator", "lac", first)
    # The validator prints on stdout as it goes: keep only the report.
    with contextlib.redirect_stdout(io.StringIO()):
        v = _validate(folder, first, registry)
    excused = without_362_false_positives(v, first)
    report = Report(v.ds_results, registry).error_report
    failing = report[report["Count"] > 0]
    print(f"ssda903 {year} ({ruleset}): {len(failing)} rules fail, "
          f"{len(v.dones)} ran, {len(v.skips)} skipped, {len(v.fails)} could not run")
    skip = uncovered(uncovered_path, "ssda903") if uncovered_path else None
    status = 0
    for _, row in failing.iterrows():
        mark = ""
        if skip is not None:
            mark = "uncovered\t" if str(row["Code"]) in skip else "FAIL\t"
            status = status if mark == "uncovered\t" else 2
        print(f"  {mark}{row['Code']}\t{int(row['Count'])}\t{row['Description']}")
    if excused:
        print(f"  excused\t362\t{excused}\tan emergency protection order of 21 days or less,"
              " joined to a later one by the validator's flows (see without_362_false_positives)")
    for code in v.fails:
        print(f"  {code}\tcould not run")
    return status


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
