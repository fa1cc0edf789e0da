"""Builds the C kernels of flow validation (ringflow/model/_structure.c, _columns.c, _templates.c).

They are optional: without a compiler the install still succeeds, and validation runs their
pure-Python twins (structure.scan_py, fastcheck.columns_py and unclear_py), the same checks,
slower on big flows.
"""

from setuptools import Extension, setup


def kernel(name: str) -> Extension:
    return Extension(f"ringflow.model.{name}", [f"ringflow/model/{name}.c"], depends=["ringflow/model/_idtable.h"],
                     optional=True, extra_compile_args=["-O2"])


setup(ext_modules=[kernel("_structure"), kernel("_columns"), kernel("_templates")])
