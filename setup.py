"""Package layout that pyproject.toml alone cannot say: the top-level ``assets/`` folder
(the repository's one copy of the shipped models and the icon) is installed as the
package ``kws_gui.assets``, found at run time with ``importlib.resources``.

Everything else about the project is in pyproject.toml.
"""

from setuptools import find_namespace_packages, find_packages, setup

#: ``kws_gui.assets`` and its data folders (``models``, ``icons``), all shipped whole.
ASSET_PACKAGES = [
    "kws_gui.assets",
    *(f"kws_gui.assets.{name}" for name in find_namespace_packages("assets", exclude=["*__pycache__*"])),
]

setup(
    packages=[*find_packages(include=["kws_gui*", "trainer*"]), *ASSET_PACKAGES],
    package_dir={"kws_gui.assets": "assets"},
    package_data={name: ["*"] for name in ASSET_PACKAGES},
)
