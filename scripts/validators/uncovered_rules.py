"""The rules listed in uncovered.txt: rules whose data the model does not
produce (or open defects), which run.sh does not fail on."""


def uncovered(path: str, validator: str) -> set:
    """The rule codes listed for `validator` in the uncovered-rules file."""
    codes = set()
    for line in open(path, encoding="utf-8"):
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and fields[0] == validator:
            codes.add(fields[1])
    return codes
