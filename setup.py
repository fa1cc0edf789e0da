"""Builds the C kernels of the flow model: normalize's common case (ringflow/model/_document.c)
and validation's (_structure.c, _columns.c, _templates.c).

They are optional: without a compiler the install still succeeds, and the model runs their
pure-Python twins (document._nodes_and_edges, structure.scan_py, fastcheck.columns_py and
unclear_py), the same checks, several times slower on big flows.
"""

from setuptools import Extension, setup


def kernel(name: str) -> Extension:
    return Extension(f"ringflow.model.{name}", [f"ringflow/model/{name}.c"], depends=["ringflow/model/_idtable.h"],
                     optional=True, extra_compile_args=["-O2"])


setup(ext_modules=[kernel(name) for name in ("_document", "_structure", "_columns", "_templates")])
