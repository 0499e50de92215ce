"""Build hook: compiles the native storage engine (native/) through cffi at install time.

Everything else about the package lives in pyproject.toml; setuptools needs this file only
because ``cffi_modules`` is a setup() keyword.
"""

from setuptools import setup

setup(cffi_modules=["native/build_engine.py:ffibuilder"])
