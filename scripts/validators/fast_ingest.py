"""Linear-time ingestion for csc-validator-be-cin's XMLtoCSV.

The validator's reader appends every child to growing DataFrames with
`pd.concat`, which takes time quadratic in the children: about 4 CPU-minutes
for the default scenario's 6,700 children and many hours for England's tenth
(83,000 children a year). `install()` makes those appends collect their
pieces and concatenates each table once at the end of the reader's
`__init__`; nothing else in the validator changes. `check_fast_ingest.py`
shows the tables equal, dtypes included, to the validator's own on a file.
Used by `validate_cin_fast.py`, never by CI (CI's returns are small).
"""
import pandas as pd
import cin_validator.ingress as ingress


class _Pieces:
    """A table being built: its first frame (the empty table with its
    columns, which the reader consults) and the frames appended since."""

    def __init__(self, first):
        self.pieces = [first]
        self.columns = first.columns


class _Pandas:
    """pandas as the reader module sees it: `concat([table, rows],
    ignore_index=True)` appends to the table's pieces; anything else is
    pandas' own."""

    def __getattr__(self, name):
        return getattr(pd, name)

    def concat(self, objs, *args, **kw):
        objs = list(objs)
        if len(objs) == 2 and not args and kw == {"ignore_index": True}:
            head = objs[0]
            if isinstance(head, _Pieces):
                head.pieces.append(objs[1])
                return head
            if isinstance(head, pd.DataFrame):
                table = _Pieces(head)
                table.pieces.append(objs[1])
                return table
        objs = [pd.concat(o.pieces, ignore_index=True) if isinstance(o, _Pieces) else o
                for o in objs]
        return pd.concat(objs, *args, **kw)


_own_init = ingress.XMLtoCSV.__init__


def _init(self, root):
    _own_init(self, root)
    for name, value in list(vars(self).items()):
        if isinstance(value, _Pieces):
            setattr(self, name, pd.concat(value.pieces, ignore_index=True))


def install():
    """Makes the validator's reader linear-time."""
    ingress.pd = _Pandas()
    ingress.XMLtoCSV.__init__ = _init


def uninstall():
    """Restores the validator's own reader."""
    ingress.pd = pd
    ingress.XMLtoCSV.__init__ = _own_init
