"""Content-addressed build cache for g++ (and later Verilator) artefacts.

A build is keyed by the hash of everything that can change its output: the sources, the flags, the contents of
the include directories, any extra input files and the compiler's ``--version``. The key names a directory
under :func:`cache_dir`; a warm call only checks that the directory exists, so a test suite or ``fwparity
emulate`` pays for a compile once per machine, not once per process (DESIGN.md principle 4).

Concurrency: several pytest-xdist workers (or users) may ask for the same build at once. Each key has a lock
file guarded by ``fcntl.flock``; the first process builds into a private temporary directory and publishes it
with one atomic ``rename``, the others wait on the lock and then find the finished directory. A crashed build
leaves only a temporary directory behind, never a half-written entry that a later run would trust.

Loading: :func:`load_library` copies the ``.so`` to a unique file name before ``dlopen``-ing it
``RTLD_LOCAL``. The dynamic loader de-duplicates by path, and with ``RTLD_GLOBAL`` the first library's symbols
would shadow the second's; two hls4ml projects both export ``myproject``, which is how CMS once compared a
model with itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from . import _toolchain
from .errors import BuildError, InvalidArgument

__all__ = [
    "cache_dir",
    "cached_build",
    "build_shared_library",
    "build_executable",
    "load_library",
    "run_build_command",
    "hash_directory",
]

#: Bumped when the layout of a cache entry changes, so old entries are ignored rather than misread.
_CACHE_FORMAT = "fwparity-build-1"

#: How many error lines a BuildError quotes.
_MAX_ERROR_LINES = 20

_CPP_SUFFIXES = (".cpp", ".cc", ".cxx", ".c++", ".C")


def cache_dir() -> Path:
    """Return the root of the build cache: ``$FWPARITY_CACHE``, else ``$XDG_CACHE_HOME/fwparity``, else
    ``~/.cache/fwparity``. The directory is created if needed.

    Examples
    --------
    >>> import os
    >>> cache_dir().name == "fwparity" or "FWPARITY_CACHE" in os.environ
    True
    """
    env = os.environ.get("FWPARITY_CACHE")
    if env:
        root = Path(env)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "fwparity"
    root.mkdir(parents=True, exist_ok=True)
    return root


# Reading every header costs a few ms per tree (more for a Vitis include directory); a process asks for it
# once per build, so the content hash is remembered per listing (names, sizes, mtimes).
_dir_hash_cache: dict[str, str] = {}


def hash_directory(path: str | os.PathLike[str]) -> str:
    """Return a sha256 over every file below ``path`` (relative name and content).

    Contents, not mtimes, go into the key, because a pip reinstall rewrites identical headers with new mtimes
    and should not invalidate every cached build. Within a process the content hash is reused while the
    listing (names, sizes and mtimes, one ``stat`` per file) is unchanged, so an edited header is still
    noticed.
    """
    root = Path(path).resolve()
    files: list[tuple[str, Path]] = []
    listing = hashlib.sha256(str(root).encode())
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            file = Path(dirpath) / name
            st = file.stat()
            rel = str(file.relative_to(root))
            files.append((rel, file))
            listing.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    cached = _dir_hash_cache.get(listing.hexdigest())
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    for rel, file in files:
        digest.update(rel.encode() + b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    result = digest.hexdigest()
    _dir_hash_cache[listing.hexdigest()] = result
    return result


def _key_digest(key_parts: Sequence[str | bytes]) -> str:
    digest = hashlib.sha256(_CACHE_FORMAT.encode())
    for part in key_parts:
        data = part.encode() if isinstance(part, str) else bytes(part)
        # Length-prefix every part so ("ab", "c") and ("a", "bc") hash differently.
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def cached_build(
    key_parts: Sequence[str | bytes],
    build_fn: Callable[[Path], None],
    *,
    tag: str = "build",
    product: str = "",
) -> Path:
    """Run ``build_fn(tmpdir)`` at most once per key and return the published ``<entry>/<product>``.

    This is the generic core under :func:`build_shared_library` and :func:`build_executable`, and what the
    Verilator backend uses with its own command list. ``build_fn`` receives an empty private directory, must
    leave ``product`` (a relative path; ``""`` means the directory itself) inside it, and raises on failure;
    only then is the directory renamed into the cache.

    Parameters
    ----------
    key_parts
        Everything the output depends on (sources, flags, tool versions ...), as strings or bytes.
    build_fn
        Builds into the given directory.
    tag
        Human-readable prefix of the cache entry's name (letters, digits, ``-`` and ``_``).
    product
        The path, relative to the entry, that is returned.

    Returns
    -------
    Path
        ``cache_dir() / f"{tag}-{hash}" / product``.

    Raises
    ------
    InvalidArgument
        If ``tag`` is not a plain name.
    BuildError
        Whatever ``build_fn`` raised, or if it did not produce ``product``.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", tag):
        raise InvalidArgument(f"Build tag must be 1-64 letters, digits, '-' or '_', not tag={tag!r}")
    digest = _key_digest([tag, product, *key_parts])
    root = cache_dir()
    entry = root / f"{tag}-{digest[:32]}"
    target = entry / product if product else entry
    if target.exists():
        return target
    with _locked(root / "locks" / f"{entry.name}.lock"):
        if target.exists():  # another process published it while we waited
            return target
        # We hold this key's lock, so any temporary directory for it is a leftover of a killed build.
        for stale in root.glob(f".tmp-{entry.name}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{entry.name}-", dir=root))
        try:
            build_fn(tmp)
            if product and not (tmp / product).exists():
                raise BuildError(f"Build {tag!r} finished without producing product={product!r}")
            (tmp / ".fwparity-key").write_text(digest + "\n")
            os.rename(tmp, entry)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def _error_excerpt(text: str, workdir: Path) -> str:
    """The first error lines of a compiler log, with the private build directory stripped from file names."""
    for prefix in (str(workdir.resolve()) + os.sep, str(workdir) + os.sep):
        text = text.replace(prefix, "")
    lines = text.splitlines()
    errors = [i for i, line in enumerate(lines) if re.search(r"\b(error|Error|ERROR)\b", line)]
    start = errors[0] if errors else 0
    # Keep the "In file included from ..." context lines that precede the first error.
    while start > 0 and re.match(r"(In file included from |\s+from |\S+: In |\S+: At )", lines[start - 1]):
        start -= 1
    excerpt = lines[start : start + _MAX_ERROR_LINES]
    if len(lines) > start + _MAX_ERROR_LINES:
        excerpt.append(f"... ({len(lines) - start - _MAX_ERROR_LINES} more lines)")
    return "\n".join(excerpt)


def _tool_env(env: Mapping[str, str] | None) -> dict[str, str]:
    """The environment for a build tool: the C locale, so diagnostics are plain ASCII and stable."""
    return {**(dict(env) if env is not None else os.environ), "LC_ALL": "C"}


def run_build_command(
    argv: Sequence[str], *, cwd: str | os.PathLike[str], env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one build command (an argv list, never a shell string) and raise :class:`BuildError` on failure.

    The error message carries the whole command and the first error lines of its output, with the private
    build directory removed so the file names are the ones the user wrote.
    """
    argv = [str(a) for a in argv]
    try:
        proc = subprocess.run(argv, cwd=cwd, env=_tool_env(env), capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BuildError(f"Could not run {shlex.join(argv)}: {exc}") from exc
    if proc.returncode != 0:
        log = _error_excerpt((proc.stderr or "") + (proc.stdout or ""), Path(cwd))
        raise BuildError(f"Command failed with exit code {proc.returncode}: {shlex.join(argv)}\n{log}")
    return proc


def _run_parallel(commands: Sequence[list[str]], *, cwd: Path, jobs: int) -> None:
    """Run independent compile commands, at most ``jobs`` at a time; the first failure raises."""
    pending = list(commands)
    running: list[tuple[list[str], subprocess.Popen[str]]] = []
    failure: BuildError | None = None
    try:
        while pending or running:
            while pending and len(running) < jobs and failure is None:
                argv = pending.pop(0)
                try:
                    proc = subprocess.Popen(
                        argv,
                        cwd=cwd,
                        env=_tool_env(None),
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        text=True,
                    )
                except OSError as exc:
                    raise BuildError(f"Could not run {shlex.join(argv)}: {exc}") from exc
                running.append((argv, proc))
            if not running:
                break
            argv, proc = running.pop(0)
            out, _ = proc.communicate()
            if proc.returncode != 0 and failure is None:
                log = _error_excerpt(out or "", cwd)
                failure = BuildError(
                    f"Command failed with exit code {proc.returncode}: {shlex.join(argv)}\n{log}"
                )
                pending.clear()
    finally:
        for _, proc in running:
            proc.kill()
            proc.wait()
    if failure is not None:
        raise failure


def _build(
    sources: Mapping[str, str | bytes],
    *,
    kind: str,
    compiler_argv_prefix: Sequence[str] | None,
    flags: Sequence[str],
    link_flags: Sequence[str],
    include_dirs: Sequence[str | os.PathLike[str]],
    extra_inputs: Sequence[str | os.PathLike[str]],
    tag: str,
    jobs: int | None,
) -> Path:
    if not sources:
        raise InvalidArgument(f"A build needs at least one source, not sources={dict(sources)!r}")
    for name in sources:
        if Path(name).is_absolute() or ".." in Path(name).parts or not name:
            raise InvalidArgument(f"Source names must be relative paths inside the build, not {name!r}")
    units = sorted(name for name in sources if name.endswith(_CPP_SUFFIXES))
    if not units:
        raise InvalidArgument(f"No C++ translation unit (.cpp/.cc/.cxx) among sources={sorted(sources)!r}")
    prefix = list(compiler_argv_prefix) if compiler_argv_prefix else [_toolchain.find_gxx()]
    includes = [Path(d).resolve() for d in include_dirs]
    key: list[str | bytes] = [kind, "\0".join(prefix), _toolchain.tool_version(prefix[0])]
    key += ["flags", *flags, "link", *link_flags]
    for d in includes:
        key += ["include", str(d), hash_directory(d)]
    for extra in extra_inputs:
        p = Path(extra)
        key += ["extra", p.name, hash_directory(p) if p.is_dir() else p.read_bytes()]
    for name in sorted(sources):
        content = sources[name]
        key += ["source", name, content]
    product = "lib.so" if kind == "shared" else "a.out"
    pic = ["-fPIC"] if kind == "shared" else []
    include_flags = [f"-I{d}" for d in includes]

    def build(tmp: Path) -> None:
        for name, content in sources.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                path.write_text(content)
            else:
                path.write_bytes(content)
        if len(units) == 1:
            link_in = [units[0]]
            compiles: list[list[str]] = []
        else:
            link_in = [f"{unit}.o" for unit in units]
            compiles = [
                [*prefix, *flags, *pic, *include_flags, "-c", unit, "-o", f"{unit}.o"] for unit in units
            ]
        _run_parallel(compiles, cwd=tmp, jobs=jobs or os.cpu_count() or 1)
        shared = ["-shared"] if kind == "shared" else []
        compile_flags = [*flags, *include_flags] if len(units) == 1 else []
        run_build_command(
            [*prefix, *compile_flags, *pic, *shared, *link_in, *link_flags, "-o", product], cwd=tmp
        )
        for obj in compiles:  # object files are only link inputs; the sources stay for debugging
            (tmp / obj[-1]).unlink()

    return cached_build(key, build, tag=tag, product=product)


def build_shared_library(
    sources: Mapping[str, str | bytes],
    *,
    compiler_argv_prefix: Sequence[str] | None = None,
    flags: Sequence[str] = ("-O3", "-std=c++17"),
    link_flags: Sequence[str] = (),
    include_dirs: Sequence[str | os.PathLike[str]] = (),
    extra_inputs: Sequence[str | os.PathLike[str]] = (),
    tag: str = "lib",
    jobs: int | None = None,
) -> Path:
    """Compile ``sources`` into a shared library through the cache and return the ``.so`` path.

    Parameters
    ----------
    sources
        File name (relative) -> content. Every ``.cpp``/``.cc``/``.cxx`` is a translation unit; other files
        (headers) are only written next to them. Several units compile in parallel (``jobs``, default: the CPU
        count).
    compiler_argv_prefix
        The compiler command, e.g. ``["ccache", "g++"]``; default :func:`fwparity._toolchain.find_gxx`.
    flags
        Compile flags; ``-fPIC`` and ``-shared`` are added.
    link_flags
        Extra flags for the link step only (``-lm`` ...).
    include_dirs
        ``-I`` directories; their contents are part of the key.
    extra_inputs
        Other files or directories the build reads (their contents are part of the key).
    tag
        Prefix of the cache entry's directory name.
    jobs
        Parallel compiles when there are several translation units.

    Returns
    -------
    Path
        The cached ``lib.so``; load it with :func:`load_library`.

    Raises
    ------
    BuildError
        The compiler failed; the message holds the command and the first error lines.
    ToolNotFound
        No compiler.
    InvalidArgument
        No translation unit, or a source name that escapes the build directory.
    """
    return _build(
        sources,
        kind="shared",
        compiler_argv_prefix=compiler_argv_prefix,
        flags=flags,
        link_flags=link_flags,
        include_dirs=include_dirs,
        extra_inputs=extra_inputs,
        tag=tag,
        jobs=jobs,
    )


def build_executable(
    sources: Mapping[str, str | bytes],
    *,
    compiler_argv_prefix: Sequence[str] | None = None,
    flags: Sequence[str] = ("-O3", "-std=c++17"),
    link_flags: Sequence[str] = (),
    include_dirs: Sequence[str | os.PathLike[str]] = (),
    extra_inputs: Sequence[str | os.PathLike[str]] = (),
    tag: str = "exe",
    jobs: int | None = None,
) -> Path:
    """Like :func:`build_shared_library`, for an executable; returns the cached ``a.out`` path."""
    return _build(
        sources,
        kind="executable",
        compiler_argv_prefix=compiler_argv_prefix,
        flags=flags,
        link_flags=link_flags,
        include_dirs=include_dirs,
        extra_inputs=extra_inputs,
        tag=tag,
        jobs=jobs,
    )


def load_library(path: str | os.PathLike[str]) -> ctypes.CDLL:
    """Load a shared library privately: copy it to a unique file name, then ``dlopen`` it ``RTLD_LOCAL``.

    The copy defeats the loader's de-duplication by path (loading two cache entries, or the same entry twice
    after a rebuild, gives distinct handles), and ``RTLD_LOCAL`` keeps each library's symbols out of the
    global namespace, so two libraries exporting the same names each call their own. The copy is unlinked once
    it is mapped.

    Raises
    ------
    BuildError
        The file does not exist or the loader rejects it.
    """
    src = Path(path)
    if not src.is_file():
        raise BuildError(f"Shared library path={str(src)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f"fwparity-{src.stem}-", suffix=".so")
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out)
        try:
            return ctypes.CDLL(tmp, mode=os.RTLD_LOCAL | os.RTLD_NOW)
        except OSError as exc:
            raise BuildError(f"Could not load shared library path={str(src)!r}: {exc}") from exc
    finally:
        os.unlink(tmp)
