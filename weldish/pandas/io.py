"""Readers (lazy scans come next): pandas' own readers for now."""
import pandas as _pd

from ._common import call_pandas


def read_parquet(path, *args, **kwargs):
    return call_pandas(_pd.read_parquet, (path, *args), kwargs, "pandas.read_parquet",
                       "eager read")


def read_csv(path, *args, **kwargs):
    return call_pandas(_pd.read_csv, (path, *args), kwargs, "pandas.read_csv", "eager read")
