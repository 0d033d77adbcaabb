"""Every start-up mistake a user makes is one line on stderr and exit code 2, no traceback.

Each case runs the installed ``gateway`` script as a user would, with only the environment
it sets (every other ``GATEWAY_*`` variable removed). The cases run together, a few at a
time, once per module; each test then reads its own case's result.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

GATEWAY = Path(sys.executable).with_name("gateway")
_SECRET = "pw-never-printed"


@dataclass(frozen=True)
class Mistake:
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    says: tuple[str, ...] = ()  # each a part of the one line


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Each case that serves gets its own free port: the cases run side by side, and one that
# binds its port before failing must not make another fail for a different reason.
def _mistakes(folder: Path, busy: int) -> dict[str, Mistake]:
    dead = _free_port()  # bound, then closed: nothing listens there
    postgres = f"postgresql://gateway:{_SECRET}@127.0.0.1:{dead}/gateway"
    upstreams = {
        "GATEWAY_PIM_URL": f"http://127.0.0.1:{dead}/api/core/v1",
        "GATEWAY_PIM_TOKEN": "t",
        "GATEWAY_OMNICOMMERCE_URL": f"http://127.0.0.1:{dead}/2022-08",
        "GATEWAY_OMNICOMMERCE_API_KEY": "k",
        "GATEWAY_CITRUSAD_URL": f"http://127.0.0.1:{dead}",
        "GATEWAY_CITRUSAD_API_KEY": "k",
        "GATEWAY_CITRUSAD_TEAM_ID": "team",
    }
    (folder / "misspelt.toml").write_text('pim_tokn = "x"\n')
    (folder / "broken.toml").write_text("port = \n")
    (folder / "broken_extension.py").write_text("raise RuntimeError('broken on purpose')\n")
    return {
        "malformed api key": Mistake(
            ("serve",),
            {"GATEWAY_PORT": str(_free_port()), "GATEWAY_API_KEYS": "sha256:abc:read"},
            ("GATEWAY_API_KEYS entry 1",),
        ),
        "check, malformed api key": Mistake(
            ("check",), {"GATEWAY_API_KEYS": "sha256:abc:read"}, ("GATEWAY_API_KEYS entry 1",)
        ),
        "port in use": Mistake(("serve",), {"GATEWAY_PORT": str(busy)}, ("GATEWAY_PORT", "in use")),
        "admin port in use": Mistake(
            ("serve",),
            {"GATEWAY_PORT": str(_free_port()), "GATEWAY_ADMIN_PORT": str(busy)},
            ("GATEWAY_ADMIN_PORT", "in use"),
        ),
        "host not on this machine": Mistake(
            ("serve",), {"GATEWAY_HOST": "192.0.2.1"}, ("GATEWAY_HOST", "192.0.2.1")
        ),
        "extension not found": Mistake(
            ("serve",),
            {"GATEWAY_PORT": str(_free_port()), "GATEWAY_EXTENSIONS": "no_such_extension"},
            ("extension no_such_extension",),
        ),
        "extension fails to import": Mistake(
            ("schema",),
            {"GATEWAY_EXTENSIONS": "broken_extension"},
            ("extension broken_extension", "broken on purpose"),
        ),
        "unknown setting": Mistake(
            ("serve",),
            {"GATEWAY_PIM_TOKN": "x"},
            ("unknown setting GATEWAY_PIM_TOKN (did you mean GATEWAY_PIM_TOKEN?)",),
        ),
        "unknown toml key": Mistake(
            ("serve", "--config", str(folder / "misspelt.toml")),
            says=("unknown setting pim_tokn (did you mean pim_token?)",),
        ),
        "bad toml": Mistake(
            ("serve", "--config", str(folder / "broken.toml")), says=("not valid TOML",)
        ),
        "url without credential": Mistake(
            ("serve",),
            {"GATEWAY_PIM_URL": "https://pim.example/api/core/v1"},
            ("GATEWAY_PIM_TOKEN is required",),
        ),
        "serve, postgres unreachable": Mistake(
            ("serve",),
            {"GATEWAY_PORT": str(_free_port()), "GATEWAY_DATABASE": postgres},
            ("GATEWAY_DATABASE", f"127.0.0.1:{dead}"),
        ),
        "worker, postgres unreachable": Mistake(
            ("worker",), {**upstreams, "GATEWAY_DATABASE": postgres}, ("GATEWAY_DATABASE",)
        ),
        "migrate, postgres unreachable": Mistake(
            ("migrate",), {"GATEWAY_DATABASE": postgres}, ("GATEWAY_DATABASE",)
        ),
        "emulate, port in use": Mistake(
            ("emulate", "--pim-port", str(busy), "--omnicommerce-port", "0"),
            says=("--pim-port", "in use"),
        ),
    }


def _run(mistake: Mistake, folder: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    return subprocess.run(
        [str(GATEWAY), *mistake.args],
        env={**clean, **mistake.env},
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )


@dataclass
class Outcomes:
    mistakes: dict[str, Mistake]
    done: dict[str, subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcomes]:
    folder = tmp_path_factory.mktemp("startup")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        mistakes = _mistakes(folder, busy.getsockname()[1])
        assert sorted(mistakes) == sorted(CASES)  # no case left out of the parametrization
        with ThreadPoolExecutor(max_workers=4) as pool:
            runs = pool.map(lambda m: _run(m, folder), mistakes.values())
            done = dict(zip(mistakes, runs, strict=True))
    yield Outcomes(mistakes, done)


CASES = [
    "malformed api key",
    "check, malformed api key",
    "port in use",
    "admin port in use",
    "host not on this machine",
    "extension not found",
    "extension fails to import",
    "unknown setting",
    "unknown toml key",
    "bad toml",
    "url without credential",
    "serve, postgres unreachable",
    "worker, postgres unreachable",
    "migrate, postgres unreachable",
    "emulate, port in use",
]


@pytest.mark.parametrize("case", CASES)
def test_a_start_up_mistake_is_one_line_and_exit_code_2(outcomes: Outcomes, case: str) -> None:
    done = outcomes.done[case]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("gateway: ")
    for part in outcomes.mistakes[case].says:
        assert part in lines[0]
    assert _SECRET not in done.stderr + done.stdout
