"""Builds frugal._core with the project's CMake (no second build system to keep in step).

The C++ library lives one directory up. CMake configures it into build/python-pip under the
repository (or into $FRUGAL_BUILD_DIR, an existing build tree, which is then only brought up to
date: the tests reuse theirs), builds the one target frugal_python_core, and the module is
copied where setuptools expects the extension.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        build_dir = Path(os.environ.get("FRUGAL_BUILD_DIR") or SOURCE / "build" / "python-pip")
        if not (build_dir / "CMakeCache.txt").exists():
            subprocess.run(
                [
                    "cmake", "-S", str(SOURCE), "-B", str(build_dir), "-G", "Ninja",
                    "-DCMAKE_BUILD_TYPE=Release", "-DFRUGAL_BUILD_TESTS=OFF",
                    f"-DFRUGAL_PYTHON={sys.executable}",
                ],
                check=True,
            )
        jobs = os.environ.get("FRUGAL_BUILD_JOBS", str(os.cpu_count() or 1))
        subprocess.run(
            ["cmake", "--build", str(build_dir), "--target", "frugal_python_core", "-j", jobs],
            check=True,
        )
        built = sorted((build_dir / "python" / "frugal").glob("_core*.so"))
        if not built:
            raise RuntimeError(f"frugal._core was not built in {build_dir}/python/frugal")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[-1], target)


setup(ext_modules=[Extension("frugal._core", sources=[])], cmdclass={"build_ext": CMakeBuild})
