"""The content-hash build cache: keys, locking between processes, error messages, private library loading."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fwparity import _build
from fwparity._toolchain import find_gxx
from fwparity.errors import BuildError, InvalidArgument

pytestmark = pytest.mark.requires_gxx

LIB_SOURCE = textwrap.dedent(
    """
    static int counter = 0;
    extern "C" int which() { return WHICH; }
    extern "C" int call_which() { return which(); }
    extern "C" int bump() { return ++counter; }
    """
)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("FWPARITY_CACHE", str(root))
    return root


@pytest.fixture
def counting_gxx(tmp_path: Path) -> tuple[list[str], Path]:
    """A compiler wrapper that logs each real compile (not ``--version``) and is slow enough to race."""
    log = tmp_path / "compiles.log"
    script = tmp_path / "gxx-wrapper"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            if [ "$1" != "--version" ]; then echo "$$" >> "{log}"; sleep 0.5; fi
            exec "{find_gxx()}" "$@"
            """
        )
    )
    script.chmod(0o755)
    return [str(script)], log


def _compiles(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


# ------------------------------------------------------------------------------------------------------------
# cache_dir
# ------------------------------------------------------------------------------------------------------------


def test_cache_dir_prefers_fwparity_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FWPARITY_CACHE", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "b"))
    assert _build.cache_dir() == tmp_path / "a"
    assert (tmp_path / "a").is_dir()


def test_cache_dir_respects_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FWPARITY_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _build.cache_dir() == tmp_path / "xdg" / "fwparity"


def test_cache_dir_defaults_to_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FWPARITY_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _build.cache_dir() == tmp_path / ".cache" / "fwparity"


# ------------------------------------------------------------------------------------------------------------
# keys: a warm call never recompiles; any input change does
# ------------------------------------------------------------------------------------------------------------


def test_warm_call_does_not_recompile(cache: Path, counting_gxx: tuple[list[str], Path]) -> None:
    prefix, log = counting_gxx
    sources = {"lib.cpp": LIB_SOURCE.replace("WHICH", "1")}
    first = _build.build_shared_library(sources, compiler_argv_prefix=prefix, flags=["-O0"])
    second = _build.build_shared_library(sources, compiler_argv_prefix=prefix, flags=["-O0"])
    assert first == second
    assert first.is_relative_to(cache)
    assert _compiles(log) == 1


@pytest.mark.parametrize(
    ("change"),
    [
        pytest.param({"flags": ["-O1"]}, id="flags"),
        pytest.param({"sources": {"lib.cpp": LIB_SOURCE.replace("WHICH", "2")}}, id="source-content"),
        pytest.param(
            {"sources": {"lib.cpp": LIB_SOURCE.replace("WHICH", "1"), "x.h": "//"}}, id="extra-header"
        ),
        pytest.param({"tag": "other"}, id="tag"),
    ],
)
def test_changed_input_rebuilds(cache: Path, counting_gxx: tuple[list[str], Path], change: dict) -> None:
    prefix, log = counting_gxx
    base = {"sources": {"lib.cpp": LIB_SOURCE.replace("WHICH", "1")}, "flags": ["-O0"], "tag": "lib"}
    first = _build.build_shared_library(compiler_argv_prefix=prefix, **base)  # type: ignore[arg-type]
    second = _build.build_shared_library(compiler_argv_prefix=prefix, **{**base, **change})  # type: ignore[arg-type]
    assert first != second
    assert _compiles(log) == 2


def test_include_dir_content_is_part_of_the_key(cache: Path, tmp_path: Path) -> None:
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "value.h").write_text("#define VALUE 1\n")
    sources = {"lib.cpp": '#include "value.h"\nextern "C" int value() { return VALUE; }\n'}
    first = _build.build_shared_library(sources, include_dirs=[inc], flags=["-O0"])
    assert _build.load_library(first).value() == 1
    (inc / "value.h").write_text("#define VALUE 2\n")  # same size: only the mtime and the content change
    second = _build.build_shared_library(sources, include_dirs=[inc], flags=["-O0"])
    assert second != first
    assert _build.load_library(second).value() == 2


def test_several_translation_units_compile_and_link(cache: Path) -> None:
    sources = {
        "a.cpp": 'extern "C" int a() { return 40; }\n',
        "b.cpp": 'extern "C" int a(); extern "C" int b() { return a() + 2; }\n',
        "common.h": "// not a translation unit\n",
    }
    lib = _build.load_library(_build.build_shared_library(sources, flags=["-O0"], jobs=2))
    assert lib.b() == 42


def test_executable(cache: Path) -> None:
    exe = _build.build_executable(
        {"main.cpp": '#include <cstdio>\nint main() { std::puts("hi"); }\n'}, flags=["-O0"]
    )
    assert subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout == "hi\n"


# ------------------------------------------------------------------------------------------------------------
# concurrency: two processes asking for the same build compile once
# ------------------------------------------------------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import sys
    from fwparity import _build
    path = _build.build_shared_library(
        {"lib.cpp": sys.argv[2]}, compiler_argv_prefix=[sys.argv[1]], flags=["-O0"]
    )
    print(path)
    """
)


def test_two_processes_build_once(cache: Path, counting_gxx: tuple[list[str], Path]) -> None:
    prefix, log = counting_gxx
    source = LIB_SOURCE.replace("WHICH", "7")
    env = {**os.environ, "FWPARITY_CACHE": str(cache)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, prefix[0], source], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs[0] == outputs[1]
    assert _compiles(log) == 1
    assert _build.load_library(outputs[0]).which() == 7
    # Nothing but the published entry and the lock directory is left behind.
    assert sorted(p.name for p in cache.iterdir() if not p.name.startswith("lib-")) == ["locks"]


# ------------------------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------------------------


def test_compile_error_names_command_and_user_file(cache: Path) -> None:
    sources = {"user_model.cpp": 'extern "C" int f() {\n  return undeclared_thing;\n}\n'}
    with pytest.raises(BuildError) as info:
        _build.build_shared_library(sources, flags=["-O0", "-std=c++17"])
    message = str(info.value)
    first, second, *_ = message.splitlines()
    assert first.startswith("Command failed with exit code 1: ")
    assert first.endswith(" -O0 -std=c++17 -fPIC -shared user_model.cpp -o lib.so")
    assert second.startswith("user_model.cpp: In function ")
    assert "user_model.cpp:2:10: error: 'undeclared_thing' was not declared in this scope" in message
    assert str(cache) not in message
    # A failed build publishes nothing, so the next call tries again rather than trusting a broken entry.
    assert sorted(p.name for p in cache.iterdir()) == ["locks"]


def test_error_excerpt_is_capped() -> None:
    log = "\n".join(f"x.cpp:{i}:1: error: bad" for i in range(50))
    excerpt = _build._error_excerpt(log, Path("/nonexistent"))
    assert excerpt.splitlines()[-1] == "... (30 more lines)"
    assert len(excerpt.splitlines()) == 21


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param(
            {"sources": {}},
            InvalidArgument,
            r"^A build needs at least one source, not sources=\{\}$",
            id="empty",
        ),
        pytest.param(
            {"sources": {"a.h": "//"}},
            InvalidArgument,
            r"^No C\+\+ translation unit \(\.cpp/\.cc/\.cxx\) among sources=\['a\.h'\]$",
            id="no-unit",
        ),
        pytest.param(
            {"sources": {"../evil.cpp": "//"}},
            InvalidArgument,
            r"^Source names must be relative paths inside the build, not '\.\./evil\.cpp'$",
            id="escape",
        ),
        pytest.param(
            {"sources": {"a.cpp": "//"}, "tag": "no spaces"},
            InvalidArgument,
            r"^Build tag must be 1-64 letters, digits, '-' or '_', not tag='no spaces'$",
            id="tag",
        ),
    ],
)
def test_invalid_calls(cache: Path, kwargs: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        _build.build_shared_library(**kwargs)


def test_cached_build_product_missing(cache: Path) -> None:
    with pytest.raises(BuildError, match=r"^Build 'gen' finished without producing product='out\.txt'$"):
        _build.cached_build(["k"], lambda tmp: None, tag="gen", product="out.txt")


def test_cached_build_generic(cache: Path) -> None:
    calls: list[Path] = []

    def build(tmp: Path) -> None:
        calls.append(tmp)
        (tmp / "out.txt").write_text("made")

    first = _build.cached_build(["key", b"\x00bytes"], build, tag="gen", product="out.txt")
    second = _build.cached_build(["key", b"\x00bytes"], build, tag="gen", product="out.txt")
    assert first == second and first.read_text() == "made" and len(calls) == 1
    # Parts are length-prefixed: a different split of the same bytes is a different key.
    third = _build.cached_build(["ke", "y\x00bytes"], build, tag="gen", product="out.txt")
    assert third != first and len(calls) == 2


def test_leftover_of_a_killed_build_is_removed(cache: Path) -> None:
    def build(tmp: Path) -> None:
        (tmp / "out.txt").write_text("made")

    entry = _build.cached_build(["stale"], build, tag="gen", product="out.txt").parent
    # Unpublish the entry and leave the temporary directory a killed build of this key would leave.
    shutil.rmtree(entry)
    leftover = cache / f".tmp-{entry.name}-killed"
    leftover.mkdir()
    (leftover / "half.o").write_text("")
    _build.cached_build(["stale"], build, tag="gen", product="out.txt")
    assert not leftover.exists()
    assert [p.name for p in cache.iterdir() if p.name.startswith(".tmp-")] == []


def test_load_library_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.so"
    with pytest.raises(BuildError, match=rf"^Shared library path={str(path)!r} does not exist$"):
        _build.load_library(path)


# ------------------------------------------------------------------------------------------------------------
# private loading: same symbol names in two libraries
# ------------------------------------------------------------------------------------------------------------


def test_same_symbols_in_two_libraries_each_call_their_own(cache: Path) -> None:
    one = _build.load_library(
        _build.build_shared_library({"lib.cpp": LIB_SOURCE.replace("WHICH", "1")}, flags=["-O0"])
    )
    two = _build.load_library(
        _build.build_shared_library({"lib.cpp": LIB_SOURCE.replace("WHICH", "2")}, flags=["-O0"])
    )
    # call_which() calls the exported which() through the PLT at -O0 with -fPIC; under RTLD_GLOBAL the second
    # library would bind to the first one's which().
    assert (one.which(), one.call_which()) == (1, 1)
    assert (two.which(), two.call_which()) == (2, 2)


def test_same_path_loaded_twice_gives_independent_state(cache: Path) -> None:
    path = _build.build_shared_library({"lib.cpp": LIB_SOURCE.replace("WHICH", "3")}, flags=["-O0"])
    first, second = _build.load_library(path), _build.load_library(path)
    assert [first.bump(), first.bump(), second.bump()] == [1, 2, 1]
