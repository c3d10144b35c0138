"""pytest plugin for fwparity (registered through the ``pytest11`` entry point).

Every pytest run in an environment with fwparity installed loads this module, so its top-level imports are
pytest and the standard library only; fwparity's own modules (numpy, h5py, hypothesis ...) are imported inside
the fixtures and helpers that need them.

What it gives a test suite:

- ``--fwparity-backends`` / ini ``fwparity_backends`` / env ``FWPARITY_BACKENDS``: the backends to compare,
  comma separated, first = expected (default ``reference,csim``); the :func:`fwparity_backends` fixture
  returns them;
- ``--fwparity-profile`` / ini ``fwparity_profile`` / env ``FWPARITY_HYPOTHESIS_PROFILE``: the hypothesis
  profile, one of ``dev`` (50 examples), ``ci`` (200, derandomized) and ``nightly`` (5000), registered here;
- :func:`assert_parity`, whose failure message is :func:`fwparity.report.diff_report`'s text;
- the ``pytest_fwparity_make_backend(name, options)`` hook (``firstresult``): return a Backend to replace or
  add one (a board in the loop, a commercial simulator).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

__all__ = ["assert_parity", "PROFILES", "register_profiles"]

#: hypothesis profile name -> settings keywords (deadline None and the slow-data health checks are common to
#: all). Every profile spells out derandomize and print_blob: hypothesis loads its own settings when it sees CI=true,
#: and a profile that left them out would inherit those and behave differently in CI than on a laptop.
PROFILES: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 50, "derandomize": False, "print_blob": False},
    "ci": {"max_examples": 200, "derandomize": True, "print_blob": True},
    "nightly": {"max_examples": 5000, "derandomize": False, "print_blob": True},
}
_DEFAULT_BACKENDS = "reference,csim"
_config: pytest.Config | None = None


class hookspecs:
    """Hook specifications added to pytest by this plugin."""

    @pytest.hookspec(firstresult=True)
    def pytest_fwparity_make_backend(self, name: str, options: Mapping[str, Any]) -> Any:
        """Return a :class:`fwparity._backend.Backend` for ``name``, or None to let fwparity build its own."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fwparity", "fwparity bit-exact parity checks")
    group.addoption(
        "--fwparity-backends",
        dest="fwparity_backends",
        default=None,
        metavar="LIST",
        help="backends to compare, first = expected (ini fwparity_backends, env FWPARITY_BACKENDS; "
        f"default {_DEFAULT_BACKENDS})",
    )
    group.addoption(
        "--fwparity-profile",
        dest="fwparity_profile",
        default=None,
        choices=sorted(PROFILES),
        help="hypothesis profile (ini fwparity_profile, env FWPARITY_HYPOTHESIS_PROFILE; default dev)",
    )
    parser.addini("fwparity_backends", "backends to compare, comma separated, first = expected", default="")
    parser.addini("fwparity_profile", "hypothesis profile: dev, ci or nightly", default="")


def _setting(config: pytest.Config, option: str, ini: str, env: str, default: str) -> str:
    """Command line first, then the environment, then the ini file, then the default."""
    value = config.getoption(option)
    if value:
        return str(value)
    if os.environ.get(env):
        return os.environ[env]
    return str(config.getini(ini) or default)


def register_profiles() -> bool:
    """Register the dev/ci/nightly hypothesis profiles; False when hypothesis is not installed."""
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:
        return False
    common: dict[str, Any] = {
        "deadline": None,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    }
    for name, kwargs in PROFILES.items():
        settings.register_profile(name, **common, **kwargs)
    return True


def pytest_configure(config: pytest.Config) -> None:
    global _config
    _config = config
    profile = _setting(config, "fwparity_profile", "fwparity_profile", "FWPARITY_HYPOTHESIS_PROFILE", "dev")
    if profile not in PROFILES:
        raise pytest.UsageError(
            f"fwparity: hypothesis profile {profile!r} is not in supported list: {', '.join(PROFILES)}"
        )
    # Only when hypothesis is imported anyway would loading it cost nothing; a suite that never uses it still
    # pays one import here, which is the price of a profile that applies from the first test.
    if register_profiles():
        from hypothesis import settings

        settings.load_profile(profile)


def backend_names(config: pytest.Config) -> list[str]:
    """The configured backend names, in order (first = expected)."""
    text = _setting(config, "fwparity_backends", "fwparity_backends", "FWPARITY_BACKENDS", _DEFAULT_BACKENDS)
    names = [n.strip() for n in text.split(",") if n.strip()]
    if len(names) < 2:
        raise pytest.UsageError(f"fwparity: backends needs at least two names, not {text!r}")
    return names


def pytest_report_header(config: pytest.Config) -> str:
    profile = _setting(config, "fwparity_profile", "fwparity_profile", "FWPARITY_HYPOTHESIS_PROFILE", "dev")
    return f"fwparity: backends {','.join(backend_names(config))}, hypothesis profile {profile}"


def make_backend(
    name: Any, options: Mapping[str, Any] | None = None, *, config: pytest.Config | None = None
) -> Any:
    """A Backend for ``name``: from the ``pytest_fwparity_make_backend`` hook if a plugin answers, else
    :func:`fwparity.get_backend`. A Backend object passes through unchanged."""
    from fwparity._backend import Backend, get_backend

    if isinstance(name, Backend):
        return name
    config = config or _config
    opts = dict(options or {})
    if config is not None:
        made = config.hook.pytest_fwparity_make_backend(name=name, options=opts)
        if made is not None:
            return made
    return get_backend(name, **opts)


@pytest.fixture
def fwparity_backends(request: pytest.FixtureRequest) -> list[str]:
    """The backend names to compare (``--fwparity-backends`` ...), first = expected."""
    return backend_names(request.config)


@pytest.fixture
def fwparity_make_backend(request: pytest.FixtureRequest) -> Any:
    """``make(name, **options) -> Backend``, going through the ``pytest_fwparity_make_backend`` hook."""

    def make(name: str, **options: Any) -> Any:
        return make_backend(name, options, config=request.config)

    return make


def assert_parity(
    model: Any,
    inputs: Any,
    *,
    against: Sequence[Any] | str | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    tolerance_lsb: int = 0,
) -> Any:
    """Run ``model`` on ``inputs`` through every backend in ``against`` and fail unless all agree bit for bit.

    ``against`` defaults to the configured backends (``--fwparity-backends``); names go through the
    ``pytest_fwparity_make_backend`` hook. The failure message is :func:`fwparity.report.diff_report`'s text:
    the first mismatching elements with both raw codes, the XOR, the class and the first divergent layer.

    Returns
    -------
    Comparison
        When every backend agrees.
    """
    __tracebackhide__ = True
    from fwparity.compare import validate
    from fwparity.report import diff_report

    if against is None:
        names: Sequence[Any] = backend_names(_config) if _config is not None else _DEFAULT_BACKENDS.split(",")
    elif isinstance(against, str):
        names = [a.strip() for a in against.split(",") if a.strip()]
    else:
        names = list(against)
    opts = dict(options or {})
    backends = [make_backend(n, opts.get(n, {}) if isinstance(n, str) else {}) for n in names]
    comparison = validate(model, inputs, against=backends, tolerance_lsb=tolerance_lsb)
    if comparison.status != "parity":
        pytest.fail(diff_report(comparison), pytrace=False)
    return comparison
