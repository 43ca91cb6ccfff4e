"""The validators' ruleset for a collection year: the year's own, else the
latest one before it (a year newer than the package's rules is checked
against its newest), else the earliest the package has."""

import importlib
import pkgutil


def ruleset(package: str, prefix: str, first: int):
    """(name, registry) of `package.rules.<prefix>YYYY_YY` for the year
    beginning in April of `first` (2024 for 2024-25)."""
    rules = importlib.import_module(f"{package}.rules")
    years = sorted(
        int(m.name[len(prefix):len(prefix) + 4])
        for m in pkgutil.iter_modules(rules.__path__)
        if m.name.startswith(prefix) and m.name[len(prefix):len(prefix) + 4].isdigit()
    )
    if not years:
        raise SystemExit(f"{package} has no {prefix} rulesets")
    earlier = [y for y in years if y <= first]
    y = earlier[-1] if earlier else years[0]
    name = f"{prefix}{y}_{(y + 1) % 100:02d}"
    module = importlib.import_module(f"{package}.rules.{name}")
    return name, getattr(module, "registry")
