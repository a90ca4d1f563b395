"""Maps the top-level ir/ and backends/ folders to weldish.ir and weldish.backends.

Every subpackage is discovered (an explicit list silently drops new ones from the wheel).
Metadata lives in pyproject.toml.
"""
from setuptools import find_packages, setup

PACKAGE_DIR = {"weldish": "weldish", "weldish.ir": "ir", "weldish.backends": "backends"}
packages = []
for pkg, src in list(PACKAGE_DIR.items()):
    packages.append(pkg)
    packages += [f"{pkg}.{p}" for p in find_packages(src)]

setup(package_dir=PACKAGE_DIR, packages=packages)
