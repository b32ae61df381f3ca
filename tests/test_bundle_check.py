"""The bundle check's platform rules (`infra/bundle_check.py`), on made-up wheels and on
real shared objects; the check itself runs on the built bundle (`make check-bundle`)."""
from __future__ import annotations

import glob
import sys
from pathlib import Path

import pytest

from infra import bundle_check as check


@pytest.mark.parametrize(("tag", "loads"), [
    ("py3-none-any", True),
    ("cp313-cp313-manylinux_2_28_x86_64", True),
    ("cp313-cp313-manylinux_2_34_x86_64", True),
    ("cp313-cp313-manylinux2014_x86_64", True),
    ("cp313-cp313-manylinux1_x86_64", True),
    ("cp311-abi3-manylinux_2_34_x86_64", True),
    ("cp313-cp313-manylinux_2_35_x86_64", False),  # newer than AL2023's glibc
    ("cp313-cp313-linux_x86_64", False),  # built from source on the packaging machine
    ("cp311-cp311-manylinux_2_28_x86_64", False),  # another Python
    ("cp314-abi3-manylinux_2_28_x86_64", False),
    ("cp313-cp313-manylinux_2_28_aarch64", False),
    ("cp313-cp313-musllinux_1_2_x86_64", False),
])
def test_a_wheel_tag_loads_only_on_the_runtimes_python_glibc_and_machine(tag, loads):
    assert check.tag_loads(tag) is loads


def test_a_native_wheel_built_from_source_is_a_finding_and_pure_ones_are_not(tmp_path: Path):
    for name, tags in {"pure-1.0": ["py3-none-any"], "built-2.0": ["cp313-cp313-linux_x86_64"],
                       "good-3.0": ["cp313-cp313-manylinux_2_17_x86_64", "cp313-cp313-manylinux2014_x86_64"]}.items():
        (tmp_path / f"{name}.dist-info").mkdir()
        (tmp_path / f"{name}.dist-info" / "WHEEL").write_text("Wheel-Version: 1.0\n" + "".join(f"Tag: {t}\n" for t in tags))
    findings, native = check.check_wheels(tmp_path)
    assert len(native) == 2
    assert len(findings) == 1 and "built-2.0" in findings[0] and "built from source" in findings[0]


def test_the_elf_reader_finds_needed_libraries_and_glibc_versions():
    shared = sorted(glob.glob(f"{sys.base_prefix}/lib/python3*/lib-dynload/_ssl*.so")
                    + glob.glob(f"{Path(check.__file__).parents[1]}/.venv/lib/python3*/site-packages/pydantic_core/*.so"))
    if not shared:
        pytest.skip("no shared object to read")
    info = check.elf_info(Path(shared[0]))
    assert info is not None and info["machine"] == check.ELF_MACHINE_X86_64
    assert "libc.so.6" in info["needed"] or any(lib.startswith("libc.so") for lib, _ in info["versions"])
    assert any(name.startswith("GLIBC_") for _, name in info["versions"])
    assert check.elf_info(Path(check.__file__)) is None  # not ELF


def test_an_elf_file_needing_a_newer_glibc_or_a_library_outside_the_bundle_is_a_finding(tmp_path, monkeypatch):
    (tmp_path / "ext.so").write_bytes(b"\x7fELF")
    (tmp_path / "libbundled.so.1").write_bytes(b"not elf")
    monkeypatch.setattr(check, "elf_info", lambda p: None if p.name.startswith("libbundled") else {
        "machine": check.ELF_MACHINE_X86_64, "needed": ["libc.so.6", "libbundled.so.1", "libjpeg.so.62"],
        "versions": [("libc.so.6", "GLIBC_2.34"), ("libc.so.6", "GLIBC_2.38"), ("libstdc++.so.6", "GLIBCXX_3.4.30")]})
    findings, count = check.check_elves(tmp_path)
    assert count == 1
    assert sorted(f.split(": ", 1)[1] for f in findings) == [
        "needs GLIBCXX_3.4.30 (from libstdc++.so.6); the runtime has 3.4.29",
        "needs GLIBC_2.38 (from libc.so.6); the runtime has 2.34",
        "needs libjpeg.so.62, in neither the bundle nor the runtime's base",
    ]
