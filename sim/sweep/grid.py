"""A study's grid: `--set name=v1,v2` settings and `--seeds 1-20`, checked against the
topology's declared parameters before any task starts, and their product as tasks.

    grid = Grid.read(text, source="hub.yaml", sets=["spokes=5,10"], seeds="1-2")
    grid.tasks()   # (Task(settings=(("spokes", 5),), seed=1), ...) in a fixed order
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from pki.files import shown
from sim.topology.limits import MAX_SEED
from sim.topology.parameters import Scalar, declared_parameters, override
from sim.topology.yaml_lines import YamlError

MAX_TASKS = 100_000  # runs in one study: a table of rows, not a study that never ends
MAX_SEEDS_TEXT = 200  # characters of --seeds


class GridError(ValueError):
    """A --set or --seeds that cannot be used: one line naming the option."""


@dataclass(frozen=True, kw_only=True)
class Task:
    """One run of the study: the parameter values (in --set order) and the seed."""

    settings: tuple[tuple[str, Scalar], ...]
    seed: int

    def __post_init__(self) -> None:
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed {self.seed} is out of range (0..{MAX_SEED})")

    @property
    def label(self) -> str:
        """`spokes=5 crl-capacity=2 seed 1`, as a progress or error line names the task."""
        return " ".join([*(f"{name}={_text(value)}" for name, value in self.settings),
                         f"seed {self.seed}"])

    def parameters(self) -> dict[str, str]:
        """The settings as `--param` overrides (sim.topology.load_topology's `parameters`)."""
        return {name: _text(value) for name, value in self.settings}


@dataclass(frozen=True, kw_only=True)
class Grid:
    settings: tuple[tuple[str, tuple[Scalar, ...]], ...]
    seeds: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ValueError("a grid has at least one seed")
        if any(not values for _, values in self.settings):
            raise ValueError("a setting has at least one value")

    @classmethod
    def read(cls, text: str, *, sets: Sequence[str], seeds: str) -> Grid:
        """The grid the options describe, each value checked against the topology's
        `parameters:` (type and range); GridError, one line, at the first problem."""
        try:
            declared = declared_parameters(text)
        except YamlError as exc:
            where = f"line {exc.line}: " if exc.line else ""
            raise GridError(f"{where}{exc.problem}") from None
        settings: list[tuple[str, tuple[Scalar, ...]]] = []
        for item in sets:
            name, sep, values = item.partition("=")
            name = name.strip()
            if not sep or not name or not values.strip():
                raise GridError(f"--set {shown(item)}: expected NAME=VALUE[,VALUE...]")
            if name in (known for known, _ in settings):
                raise GridError(f"--set {name}: set twice (give every value in one --set, "
                                "separated by commas)")
            checked: list[Scalar] = []
            for raw in values.split(","):
                try:
                    value = override(declared, name, raw.strip(), option="--set")
                except YamlError as exc:
                    raise GridError(exc.problem) from None
                if any(v == value and type(v) is type(value) for v in checked):
                    raise GridError(f"--set {name}: {shown(raw.strip())} is given twice")
                checked.append(value)
            settings.append((name, tuple(checked)))
        grid = cls(settings=tuple(settings), seeds=seed_list(seeds))
        count = grid.size
        if count > MAX_TASKS:
            raise GridError(f"--set/--seeds: {count:,} runs is more than {MAX_TASKS:,}")
        return grid

    @property
    def size(self) -> int:
        count = len(self.seeds)
        for _, values in self.settings:
            count *= len(values)
        return count

    def tasks(self) -> tuple[Task, ...]:
        """Every combination of the settings, each with every seed; the last --set varies
        fastest, then the seed."""
        names = [name for name, _ in self.settings]
        combos = itertools.product(*(values for _, values in self.settings))
        return tuple(Task(settings=tuple(zip(names, combo, strict=True)), seed=seed)
                     for combo in combos for seed in self.seeds)


def seed_list(text: str) -> tuple[int, ...]:
    """`--seeds 1-20`, `1,3,7` or both (`1-5,9`): each 0..MAX_SEED, none twice."""
    where = f"--seeds {shown(text)}"
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_SEEDS_TEXT:
        raise GridError(f"{where}: expected seeds such as 1-20 or 1,3,7")
    seeds: dict[int, None] = {}  # in the order given
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        first, last = _seed(where, low), _seed(where, high) if dash else None
        if last is None:
            last = first
        if last < first:
            raise GridError(f"{where}: {first}-{last} runs backwards")
        if last - first >= MAX_TASKS or len(seeds) + last - first >= MAX_TASKS:
            raise GridError(f"{where}: more than {MAX_TASKS:,} seeds")
        for seed in range(first, last + 1):
            if seed in seeds:
                raise GridError(f"{where}: seed {seed} is given twice")
            seeds[seed] = None
    return tuple(seeds)


def _seed(where: str, text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()):  # int() would take '３' and '1_000'
        raise GridError(f"{where}: {shown(text)} is not a whole number")
    seed = int(text)
    if seed > MAX_SEED:
        raise GridError(f"{where}: {seed} is out of range (0..{MAX_SEED})")
    return seed


def _text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
