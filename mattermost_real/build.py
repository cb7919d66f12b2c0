"""Build Mattermost Team Edition from the Go module proxy into a cache outside the repository.

A scratch Go module requires the pinned ``server/v8`` and ``server/public`` versions and builds
``cmd/mattermost`` without the ``enterprise`` build tag (the enterprise packages are private). The
binary and the run-time files the server looks for beside its working directory (``i18n``,
``templates``, ``fonts``) are laid out in ``<cache>/<version>/``; a later build with the same pin
finds them and returns at once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .version import MAIN_PACKAGE, PIN, PUBLIC_MODULE, SERVER_MODULE, Pin

CACHE_ENV = "PLAYBOOKS_MATTERMOST_CACHE"
RUNTIME_DIRS = ("i18n", "templates", "fonts")
READY_MARK = "ready"


class BuildError(Exception):
    """The Go toolchain could not fetch or build Mattermost; the message says what it printed."""


def cache_root() -> Path:
    """Where builds are kept: ``$PLAYBOOKS_MATTERMOST_CACHE`` or ``~/.cache/playbooks-bot/mattermost``."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "playbooks-bot" / "mattermost"


def install_dir(pin: Pin = PIN) -> Path:
    """The folder of one pinned build: ``bin/mattermost`` and the run-time files."""
    return cache_root() / pin.key


def is_built(pin: Pin = PIN) -> bool:
    """Whether the pinned build is complete in the cache."""
    return (install_dir(pin) / READY_MARK).exists()


def _go_mod(pin: Pin) -> str:
    lines = [
        "module playbooksbot/mattermostbuild",
        "",
        f"go {pin.go}",
        "",
        "require (",
        f"\t{PUBLIC_MODULE} {pin.public}",
        f"\t{SERVER_MODULE} {pin.server}",
        ")",
        "",
    ]
    lines += [f"replace {old} => {new}" for old, new in pin.replace]
    return "\n".join(lines) + "\n"


def _go(args: list[str], workdir: Path, say: _Say) -> str:
    go = shutil.which("go")
    if go is None:
        raise BuildError("the go command is not installed: Mattermost is built from source with Go")
    environment = {**os.environ, "GOFLAGS": "-mod=mod"}
    say(f"$ go {' '.join(args)}")
    result = subprocess.run(
        [go, *args], cwd=workdir, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BuildError(f"go {' '.join(args)} failed:\n{result.stderr.strip()[-4000:]}")
    return result.stdout


class _Say:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.monotonic() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)


def build(pin: Pin = PIN, *, quiet: bool = False) -> Path:
    """Build the pinned Mattermost unless the cache has it; the install folder."""
    target = install_dir(pin)
    say = _Say(quiet)
    if is_built(pin):
        say(f"Mattermost {pin.release} ({pin.server}) is already built in {target}")
        return target
    say(f"building Mattermost {pin.release} ({SERVER_MODULE}@{pin.server}) into {target}")
    say("a cold build downloads about 300 modules and compiles for several minutes")
    work = target.parent / f".build-{pin.key}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "go.mod").write_text(_go_mod(pin))
    _go(["mod", "download", f"{SERVER_MODULE}@{pin.server}", f"{PUBLIC_MODULE}@{pin.public}"], work, say)
    say("modules of the server fetched; compiling (the longest step)")
    binary = work / "bin" / "mattermost"
    _go(["build", "-trimpath", "-o", str(binary), MAIN_PACKAGE], work, say)
    source = Path(_go(["list", "-m", "-f", "{{.Dir}}", SERVER_MODULE], work, say).strip())
    shutil.rmtree(target, ignore_errors=True)
    (target / "bin").mkdir(parents=True)
    shutil.move(str(binary), target / "bin" / "mattermost")
    for name in RUNTIME_DIRS:
        shutil.copytree(source / name, target / name)
        # The module cache is read-only; the server only reads these, but tidy permissions.
        for path in (target / name).rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
    (target / READY_MARK).write_text(f"{pin.server}\n")
    shutil.rmtree(work, ignore_errors=True)
    say(f"built: {target / 'bin' / 'mattermost'}")
    return target
