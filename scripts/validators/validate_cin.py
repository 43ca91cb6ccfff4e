"""Runs Data to Insight's children in need census validator
(csc-validator-be-cin) on one file as `familyflow export --format cin`
writes it and prints each failing rule with its count of failing locations.

    python validate_cin.py FILE YEAR [UNCOVERED]
    # FILE 2025/cin.xml; YEAR e.g. 2024-25

The rules of the ruleset for that year are used (the latest before it
when the package has none for it). Exit status 1 when the file cannot be
read at all; else, without UNCOVERED, 0 whether or not rules fail. With UNCOVERED
(scripts/validators/uncovered.txt), a failing rule not listed there is
marked FAIL and the exit status is 2.
"""

import collections
import contextlib
import io
import sys
import xml.etree.ElementTree as ET

from cin_validator import cin_validator

import rulesets
from uncovered_rules import uncovered


def without_8569q_false_positives(df, data):
    """The issues without rule 8569Q's false positives, and how many were left out.

    8569Q (DfE): "If <CINreferralDate> is before [Start_of_Census_Year] minus
    1 working day, <ReferralNFA> must be false". The validator computes the
    cut-off as collection_start - CustomBusinessDay(n=0), which on a bank
    holiday rolls FORWARD: when 1 April is a bank holiday (Easter Monday,
    1 April 2024) the cut-off becomes 2 April, so a no-further-action
    referral dated 1 April is flagged although it is not before the start of
    the census year. Only rows whose referral date is on or after the true
    cut-off (the England working day before 1 April, by the validator's own
    holiday calendar) are left out; every other 8569Q row still fails.
    """
    import pandas as pd
    from cin_validator.utils import create_holidays_array, make_census_period

    flagged = df[df["rule_code"].astype(str) == "8569Q"] if len(df) else df
    if not len(flagged):
        return df, 0
    details = data["CINdetails"]
    start, _ = make_census_period(data["Header"]["ReferenceDate"])
    cutoff = start - pd.offsets.CustomBusinessDay(n=1, calendar=create_holidays_array())
    false_positive = [
        i for i, row in flagged.iterrows()
        if details.loc[row["row_id"], "CINreferralDate"] >= cutoff
    ]
    return df.drop(index=false_positive), len(false_positive)


def main(path: str, year: str, uncovered_path=None) -> int:
    first = int(year[:4])
    ruleset, registry = rulesets.ruleset("cin_validator", "cin", first)
    try:
        root = ET.parse(path).getroot()
        data = cin_validator.process_data(cin_validator.convert_data(root))
    except Exception as e:  # the reader stops: nothing else can be checked
        print(f"cin {year} ({ruleset}): the file could not be read: {type(e).__name__}: {e}")
        return 1
    crashed = io.StringIO()
    with contextlib.redirect_stdout(crashed):
        v = cin_validator.CinValidator(data, registry)
    counts = collections.Counter()
    messages = {}
    df = v.full_issue_df
    df, excused = without_8569q_false_positives(df, data)
    if len(df):
        for (code, msg), n in df.groupby(["rule_code", "rule_description"]).size().items():
            counts[str(code)] += int(n)
            messages[str(code)] = msg
    for _, row in v.multichild_issues.drop_duplicates().iterrows():
        code = str(row["rule_code"])
        counts[code] = max(counts[code], 1)
        messages[code] = row["rule_description"]
    print(f"cin {year} ({ruleset}): {len(counts)} rules fail of {len(registry)}")
    skip = uncovered(uncovered_path, "cin") if uncovered_path else None
    status = 0
    for code in sorted(counts, key=lambda c: (len(c), c)):
        mark = ""
        if skip is not None:
            mark = "uncovered\t" if code in skip else "FAIL\t"
            status = status if code in skip else 2
        print(f"  {mark}{code}\t{counts[code]}\t{messages[code]}")
    if excused:
        print(f"  excused\t8569Q\t{excused}\treferral dated on or after the working day before"
              " the census year starts: flagged only by the validator's holiday arithmetic"
              " (see without_8569q_false_positives)")
    for line in crashed.getvalue().splitlines():
        if line.startswith("Error with rule"):
            print(f"  {line}")
    return status


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
