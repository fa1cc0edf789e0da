"""The C kernels are built by the install: without them big flows validate several times slower."""

import importlib


def test_the_kernels_are_built_and_used():
    kernels = importlib.import_module("ringflow.model._kernels")  # `pip install -e .` with a C compiler builds it
    from ringflow.model import document, fastcheck, structure
    assert document.native is kernels and structure.native is kernels
    assert fastcheck.native_columns is kernels.columns and fastcheck.native_unclear is kernels.unclear
