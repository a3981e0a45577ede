"""Every error and warning the scenario loader produces, by wording and location (line, key
path, message, hint): each case edits a small valid scenario, BASE."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.errors import Problem, ScenarioError
from sim.scenario.loader import load_file, load_text
from sim.scenario.yamlsource import MAX_FILE_BYTES

NAME = "s.yaml"
BASE = """\
scenario:
  name: t
  start: 2026-01-01
  end: 2027-12-31
sites:
  north:
    grid:
      - {name: g1, mw: 100, energized: 2026-01-01}
      - {name: g2, mw: 50, after: g1, lead_time: 20w}
    crews: {count: 1, racks_per_week: 8}
    halls:
      hall_a:
        it_mw: 20
        gross_mw: 30
        construction: {start: 2026-02-01, duration: 6mo}
        commissioning: 8w
      hall_b:
        it_mw: 20
        pue: 1.2
        construction: {after: hall_a, lag: 4w, duration: 6mo}
platforms:
  nvl72:
    gpus_per_rack: 72
    it_kw_per_rack: 135
    burn_in: 7d
deliveries:
  vendor:
    platform: nvl72
    site: north
    tranches:
      - {date: 2026-08-01, racks: 100}
contracts:
  acme:
    kind: gpu_cloud
    site: north
    price_usd_per_gpu_hour: 2.9
    term: 3y
    tranches:
      - {hall: hall_a, racks: 100, due: 2026-12-01}
"""
COLO = """\
  colo:
    kind: colocation
    site: north
    rent_usd_per_mw_year: 1.0e+6
    term: 5y
    tranches:
      - {hall: hall_b, mw: 10, due: 2027-01-01}
"""
HALL_A = "sites.north.halls.hall_a"
IT_MW = ("it_mw: 20\n        gross", "it_mw: {}\n        gross")  # hall_a's it_mw, line 13
DUR = "write a number with a unit: 90d (days), 8w (weeks), 6mo (months) or 5y (years)"
NUM = "write a plain number; units belong in the key name (`it_mw: 50`, not `50 MW`)"
DATE = "write an ISO date, YYYY-MM-DD (e.g. 2026-03-15)"
QUOTE = "quote it (YAML reads yes/no/on/off as booleans and bare numbers as numbers)"
NAME_HINT = "use lower-case letters, digits and underscores, starting with a letter"
GPU_ONE = "a gpu_cloud contract needs exactly one of `value_usd` or `price_usd_per_gpu_hour`"
GRID_ONE = (
    "a grid phase needs exactly one of `energized` (a date) or `after` "
    "(another phase's name, with `lead_time`)"
)
BUILD_ONE = "construction needs exactly one of `start` (a date) or `after` (a hall's name)"
TRANCHE_ONE = "a gpu_cloud tranche needs exactly one of `racks` or `gpus`"


def edit(*pairs: str, text: str = BASE) -> str:
    """BASE with each (old, new) pair replaced; every ``old`` must occur exactly once."""
    for old, new in zip(pairs[::2], pairs[1::2], strict=True):
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def it_mw(value: str) -> str:
    return edit(IT_MW[0], IT_MW[1].format(value))


def problems(text: str) -> list[Problem]:
    with pytest.raises(ScenarioError) as exc:
        load_text(text, NAME)
    assert exc.value.problems
    assert all(p.file == NAME for p in exc.value.problems)
    return exc.value.problems


def only_error(text: str) -> Problem:
    errors = [p for p in problems(text) if p.severity == "error"]
    assert len(errors) == 1, "\n".join(map(str, errors))
    return errors[0]


REFERENCE = re.compile(r"^see [A-Za-z]+ in docs/scenario\.md$")


def where(p: Problem) -> tuple[int | None, str, str, str]:
    """Where and what; a hint that only points at the reference doc compares as ""
    (test_reference_hints checks those)."""
    return (p.line, p.path, p.message, "" if REFERENCE.match(p.hint) else p.hint)


def test_reference_hints_name_the_model_that_holds_the_key() -> None:
    grid = only_error(edit("energized: 2026-01-01}", "energized: 2026-01-01, after: g2}"))
    assert grid.hint == "see GridPhase in docs/scenario.md"
    step = only_error(edit("  end: 2027-12-31", "  end: 2027-12-31\n  step: fortnight"))
    assert step.hint == "see ScenarioInfo in docs/scenario.md"


def test_base_and_example_are_valid() -> None:
    assert load_text(BASE, NAME).warnings == []
    example = Path(__file__).resolve().parents[1] / "scenarios" / "example.yaml"
    assert load_file(example).scenario.scenario.name == "example"


# --- file level -------------------------------------------------------------------------


def _big(p: Path) -> None:
    with p.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: cheap to create


@pytest.mark.parametrize(
    ("make", "line", "message", "hint"),
    [
        (lambda p: None, None, "no such file", "check the path"),
        (lambda p: p.mkdir(), None, "is a directory", "give a scenario .yaml file"),
        (
            lambda p: p.write_bytes(b"scenario:\n  name: t\x00\n"),
            2,
            "contains NUL bytes: a binary file, not YAML",
            "give a scenario .yaml text file",
        ),
        (
            lambda p: p.write_bytes(b"scenario:\n  name: t\n  description: caf\xe9\n"),
            3,
            "byte 0xe9 at offset 38 is not valid UTF-8",
            "save the file as UTF-8",
        ),
        (
            lambda p: p.write_text(""),
            1,
            "the file is empty (or only comments)",
            "start from scenarios/example.yaml",
        ),
        (
            lambda p: p.write_text("# just\n\n# comments\n"),
            1,
            "the file is empty (or only comments)",
            "start from scenarios/example.yaml",
        ),
        (
            _big,
            None,
            f"file is {MAX_FILE_BYTES + 1} bytes, more than the {MAX_FILE_BYTES} allowed",
            "is this really a scenario file?",
        ),
    ],
    ids=["missing", "directory", "nul", "latin1", "empty", "comments", "too-large"],
)
def test_file_level_errors(tmp_path: Path, make, line, message, hint) -> None:
    path = tmp_path / "scn.yaml"
    make(path)
    with pytest.raises(ScenarioError) as exc:
        load_file(path)
    [p] = exc.value.problems
    assert (p.file, p.line, p.path, p.message, p.hint) == (str(path), line, "(file)", message, hint)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "scn.yaml"
    path.write_text(BASE)

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(
        ScenarioError,
        match=r"scn\.yaml: \(file\): cannot be read "
        r"\(Permission denied\); check permissions",
    ):
        load_file(path)


# --- YAML reading: message is a regex, hint a prefix ------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "path", "message", "hint"),
    [
        (
            edit("2026-01-01}\n      - {name: g2", "2026-01-01\n      - {name: g2"),
            9,
            "(syntax)",
            r"YAML syntax error: did not find expected ',' or '}' "
            r"\(while parsing a flow mapping\)$",
            "check indentation, colons and quotes near this line",
        ),
        (
            edit("name: t", "name: t: u"),
            2,
            "(syntax)",
            "YAML syntax error: mapping values are not allowed",
            "check indentation",
        ),
        (
            edit("    burn_in: 7d", "\tburn_in: 7d"),
            25,
            "(syntax)",
            "YAML syntax error: a tab character where YAML allows only spaces",
            "indent with spaces",
        ),
        (
            "scenario:\n  name: t\n\t\n  end: 2027-01-01\n",
            3,
            "(syntax)",
            "YAML syntax error: a tab character where YAML allows only spaces",
            "indent with spaces",
        ),
        (
            BASE + "---\nfoo: 1\n",
            40,
            "(syntax)",
            "YAML syntax error: but found another document",
            "check indentation",
        ),
        (
            edit("commissioning: 8w", "commissioning: 8w\n        it_mw: 25"),
            17,
            f"{HALL_A}.it_mw",
            r"duplicate key `it_mw` \(first defined on line 13\)$",
            "remove one of them: YAML would silently keep only the last",
        ),
        (
            edit("      hall_b:", "      hall_a:"),
            17,
            HALL_A,
            r"duplicate key `hall_a` \(first defined on line 12\)$",
            "remove one of them",
        ),
        (
            edit("name: t", "name: !!python/object/apply:os.system ['echo hi']"),
            2,
            "scenario.name",
            "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed$",
            "only plain YAML lists, mappings and scalars are accepted",
        ),
        (
            edit("name: t", "name: !!python/name:os.system ''"),
            2,
            "scenario.name",
            "tag 'tag:yaml.org,2002:python/name:os.system' is not allowed$",
            "remove the tag; scenario files hold only plain values",
        ),
        (
            edit("burn_in: 7d", "burn_in: !include other.yaml"),
            25,
            "platforms.nvl72.burn_in",
            "tag '!include' is not allowed$",
            "remove the tag; scenario files hold only plain values",
        ),
        (
            edit("  nvl72:\n", "  nvl72: !!set {a, b}\n  x:\n"),
            22,
            "platforms.nvl72",
            "tag 'tag:yaml.org,2002:set' is not allowed$",
            "only plain YAML lists, mappings and",
        ),
        (
            edit(
                "      hall_a:\n",
                "      hall_a: &a\n",
                "      hall_b:\n",
                "      hall_b:\n        <<: *a\n",
            ),
            18,
            "sites.north.halls.hall_b",
            r"merge keys \(<<\) are not supported$",
            "write the keys out, or use variants",
        ),
        (
            edit("start: 2026-02-01", "start: 2026-02-30"),
            15,
            f"{HALL_A}.construction.start",
            r"'2026-02-30' is not a valid value for a date \(day is out of range for month\)$",
            "write an ISO date that exists, YYYY-MM-DD",
        ),
        (
            "- a\n- b\n",
            1,
            "(top level)",
            "a scenario is a mapping of keys, not a list$",
            "start from scenarios/example.yaml",
        ),
        (
            "hello\n",
            1,
            "(top level)",
            "a scenario is a mapping of keys, not the value 'hello'$",
            "start from scenarios/example.yaml",
        ),
        (
            "scenario: " + "[" * 60 + "]" * 60 + "\n",
            1,
            "scenario" + "[0]" * 40,
            "nesting deeper than 40 levels$",
            "a scenario never needs this; check the structure",
        ),
    ],
    ids=[
        "unclosed-flow",
        "stray-colon",
        "tab-indent",
        "tab-blank-line",
        "two-documents",
        "dup-key",
        "dup-hall",
        "python-object",
        "python-name",
        "include",
        "set-tag",
        "merge-key",
        "feb-30",
        "top-list",
        "top-scalar",
        "deep-nesting",
    ],
)
def test_yaml_errors(text: str, line: int, path: str, message: str, hint: str) -> None:
    p = only_error(text)
    assert (p.line, p.path) == (line, path)
    assert re.match(message, p.message), p.message
    assert p.hint.startswith(hint), p.hint


@pytest.mark.parametrize("key", ["yes", "no", "on", "off", "true", "42", "1.5", "~", "null"])
def test_key_that_is_not_text(key: str) -> None:
    text = edit("  nvl72:\n", f"  nvl72:\n    {key}: 1\n")
    assert where(only_error(text)) == (23, "platforms.nvl72", f"key '{key}' is not text", QUOTE)
    assert where(only_error(f"{key}: 1\n")) == (1, "(top level)", f"key '{key}' is not text", QUOTE)


def test_alias_bomb_is_refused() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):  # 10**9 values once expanded
        prev, cur = chr(96 + i), chr(97 + i)
        levels.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    [p] = problems("\n".join(levels) + "\n")
    assert p.message == "the document expands to more than 200000 values"
    assert p.hint == "aliases (*name) that repeat large blocks are refused; write the data out"
    assert p.line is not None
    assert p.path == "f"  # the top-level key whose value expands


def test_yaml_problems_are_all_reported_together() -> None:
    text = edit(
        "name: t",
        "name: !!python/name:os.system ''",
        "      hall_b:",
        "      hall_a:",
        "    gpus_per_rack: 72\n",
        "    gpus_per_rack: 72\n    yes: 1\n",
    )
    assert [(p.line, p.path) for p in problems(text)] == [
        (2, "scenario.name"),
        (17, HALL_A),
        (24, "platforms.nvl72"),
    ]


# --- schema: field values (line, path, message and hint exactly) ------------------------


@pytest.mark.parametrize(
    ("text", "line", "path", "message", "hint"),
    [
        (
            edit("commissioning: 8w", "commissioning: 90"),
            16,
            f"{HALL_A}.commissioning",
            f"a duration needs a unit; {DUR} (got 90)",
            "",
        ),
        (
            edit("commissioning: 8w", "commissioning: 8 weeks"),
            16,
            f"{HALL_A}.commissioning",
            f"'8 weeks' is not a duration; {DUR}",
            "",
        ),
        (
            edit("commissioning: 8w", "commissioning: yes"),
            16,
            f"{HALL_A}.commissioning",
            f"a duration is needed; {DUR}",
            "",
        ),
        (it_mw("50 MW"), 13, f"{HALL_A}.it_mw", "expected a number (got str '50 MW')", NUM),
        (it_mw(""), 13, f"{HALL_A}.it_mw", "expected a number (got nothing)", NUM),
        (
            it_mw(".nan"),
            13,
            f"{HALL_A}.it_mw",
            "must be a finite number (got nan)",
            "replace .nan or .inf with a number",
        ),
        (
            edit("mw: 100,", "mw: .inf,"),
            8,
            "sites.north.grid[0].mw",
            "must be a finite number (got inf)",
            "replace .nan or .inf with a number",
        ),
        (
            edit("mw: 100,", "mw: -5,"),
            8,
            "sites.north.grid[0].mw",
            "must be > 0 (got -5)",
            "change the value",
        ),
        (
            edit("gpus_per_rack: 72", "gpus_per_rack: 0"),
            23,
            "platforms.nvl72.gpus_per_rack",
            "must be > 0 (got 0)",
            "change the value",
        ),
        (
            edit("gpus_per_rack: 72", "gpus_per_rack: 72.5"),
            23,
            "platforms.nvl72.gpus_per_rack",
            "expected a whole number (got 72.5)",
            "write it without a decimal part",
        ),
        (
            edit("pue: 1.2", "pue: 0.9"),
            19,
            "sites.north.halls.hall_b.pue",
            "must be >= 1 (got 0.9)",
            "change the value",
        ),
        (
            edit("    term: 3y", "    term: 3y\n    prepayment: 1.5"),
            38,
            "contracts.acme.prepayment",
            "must be <= 1 (got 1.5)",
            "change the value",
        ),
        (
            edit("  end: 2027-12-31", "  end: 2027-12-31\n  step: fortnight"),
            5,
            "scenario.step",
            "must be one of 'day', 'week' or 'month' (got 'fortnight')",
            "",
        ),
        (
            edit("start: 2026-02-01", "start: next week"),
            15,
            f"{HALL_A}.construction.start",
            "expected a date (got 'next week')",
            DATE,
        ),
        (
            edit("crews: {count: 1, racks_per_week: 8}", "crews: 4"),
            10,
            "sites.north.crews",
            "expected a mapping (got int 4)",
            "write `key: value` lines indented under this key",
        ),
        (
            edit("tranches:\n      - {date: 2026-08-01, racks: 100}", "tranches: {racks: 100}"),
            30,
            "deliveries.vendor.tranches",
            "expected a list (got a mapping)",
            "write `- item` lines, or [a, b]",
        ),
        (
            edit("tranches:\n      - {date: 2026-08-01, racks: 100}", "tranches: []"),
            30,
            "deliveries.vendor.tranches",
            "needs at least 1 item(s) (got 0)",
            "",
        ),
        (
            edit("    kind: gpu_cloud\n", "    kind: gpu_cloud\n    customer: [a, b]\n"),
            35,
            "contracts.acme.customer",
            "expected text (got a list)",
            "quote the value",
        ),
        (edit("name: t", "name: T"), 2, "scenario.name", "'T' is not a valid name", NAME_HINT),
        (
            edit("name: t", "name: " + "a" * 65),
            2,
            "scenario.name",
            "is too long (max 64 characters)",
            "shorten it",
        ),
        (
            edit("    gpus_per_rack: 72\n", ""),
            22,
            "platforms.nvl72.gpus_per_rack",
            "`gpus_per_rack` is required",
            "add `gpus_per_rack:` here",
        ),
        (
            edit("kind: gpu_cloud", "kind: gpu_clod"),
            34,
            "contracts.acme.kind",
            "unknown kind 'gpu_clod'",
            "use one of 'gpu_cloud', 'colocation'",
        ),
        (
            edit("    kind: gpu_cloud\n", ""),
            33,
            "contracts.acme.kind",
            "`kind` is required",
            "add `kind: gpu_cloud` or `kind: colocation`",
        ),
        (
            edit("platforms:", "platform:"),
            21,
            "platform",
            "unknown key `platform`",
            "did you mean `platforms`?",
        ),
        (
            edit("racks_per_week: 8}", "racks_per_week: 8, size: 2}"),
            10,
            "sites.north.crews.size",
            "unknown key `size`",
            "valid names: `cost_usd_per_week`, `count`, `lot_racks`, `racks_per_week`",
        ),
        (
            edit("price_usd_per_gpu_hour", "price_usd_per_gpu_hr"),
            36,
            "contracts.acme.price_usd_per_gpu_hr",
            "unknown key `price_usd_per_gpu_hr`",
            "did you mean `price_usd_per_gpu_hour`?",
        ),
    ],
    ids=[
        "bare-number-duration",
        "worded-duration",
        "bool-duration",
        "number-with-unit",
        "null-number",
        "nan",
        "inf",
        "negative",
        "zero-int",
        "fractional-int",
        "pue-low",
        "fraction-high",
        "literal",
        "date-text",
        "not-mapping",
        "not-list",
        "empty-list",
        "not-text",
        "bad-name",
        "long-name",
        "missing-key",
        "bad-kind",
        "no-kind",
        "top-typo",
        "no-close-key",
        "union-typo",
    ],
)
def test_field_errors(text: str, line: int, path: str, message: str, hint: str) -> None:
    assert where(only_error(text)) == (line, path, message, hint)


@pytest.mark.parametrize(
    ("old", "new", "line", "parent_line", "key", "right"),
    [
        (IT_MW[0], "it_mv: 20\n        gross", 13, 12, HALL_A, "it_mw"),
        ("racks_per_week: 8}", "racks_per_wk: 8}", 10, 10, "sites.north.crews", "racks_per_week"),
        ("racks: 100, due:", "racks: 100, dew:", 39, 39, "contracts.acme.tranches[0]", "due"),
    ],
)
def test_misspelt_required_key(old, new, line, parent_line, key: str, right: str) -> None:
    wrong = new.split(":")[-2].split()[-1]
    missing, unknown = problems(edit(old, new))
    assert where(unknown) == (
        line,
        f"{key}.{wrong}",
        f"unknown key `{wrong}`",
        f"did you mean `{right}`?",
    )
    assert where(missing) == (
        parent_line,
        f"{key}.{right}",
        f"`{right}` is required",
        f"add `{right}:` here",
    )


# --- schema: rules across fields (model validators) -------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line", "path", "message"),
    [
        (
            "after: g1, lead_time: 20w",
            "after: g1, energized: 2026-01-01",
            9,
            "sites.north.grid[1]",
            GRID_ONE,
        ),
        (", after: g1, lead_time: 20w}", "}", 9, "sites.north.grid[1]", GRID_ONE),
        (
            "energized: 2026-01-01}\n",
            "energized: 2026-01-01, lead_time: 4w}\n",
            8,
            "sites.north.grid[0]",
            "`lead_time` goes with `after`, not with `energized`",
        ),
        (
            "{start: 2026-02-01,",
            "{start: 2026-02-01, after: hall_b,",
            15,
            f"{HALL_A}.construction",
            BUILD_ONE,
        ),
        ("{start: 2026-02-01,", "{", 15, f"{HALL_A}.construction", BUILD_ONE),
        (
            "{start: 2026-02-01,",
            "{start: 2026-02-01, lag: 2w,",
            15,
            f"{HALL_A}.construction",
            "`lag` goes with `after`, not with `start`",
        ),
        (
            "        pue: 1.2\n",
            "",
            17,
            "sites.north.halls.hall_b",
            "a hall needs `gross_mw` or `pue` (or both)",
        ),
        (
            "gross_mw: 30",
            "gross_mw: 10",
            12,
            HALL_A,
            "`gross_mw` (10) is below `it_mw` (20); gross MW includes the IT load",
        ),
        (
            "gross_mw: 30",
            "gross_mw: 30\n        pue: 1.6",
            12,
            HALL_A,
            "`pue` 1.6 x `it_mw` 20 "
            "exceeds `gross_mw` 30; the annual average draw cannot exceed the design peak",
        ),
        (
            "gross_mw: 30",
            "gross_mw: 30\n        grid_mw: 25",
            12,
            HALL_A,
            "`grid_mw` (25) is below the hall's gross MW (30)",
        ),
        (
            "it_kw_per_rack: 135",
            "it_kw_per_rack: 135\n    allocated_it_kw_per_rack: 100",
            22,
            "platforms.nvl72",
            "`allocated_it_kw_per_rack` (100) is below `it_kw_per_rack` (135); "
            "the allocation includes the rack",
        ),
        (
            "racks: 100, due:",
            "racks: 100, gpus: 7200, due:",
            39,
            "contracts.acme.tranches[0]",
            TRANCHE_ONE,
        ),
        ("racks: 100, due:", "due:", 39, "contracts.acme.tranches[0]", TRANCHE_ONE),
        (
            "    crews:",
            "    mining: {mw: 10, hashrate_ehs: 1, j_per_th: 15}\n    crews:",
            10,
            "sites.north.mining",
            "mining needs exactly one of `mw` or `hashrate_ehs`",
        ),
        (
            "end: 2027-12-31",
            "end: 2025-12-31",
            4,
            "scenario.end",
            "`end` (2025-12-31) must be after `start` (2026-01-01)",
        ),
        (
            "end: 2027-12-31",
            "end: 2090-12-31",
            4,
            "scenario.end",
            "the horizon is longer than 50 years; shorten it",
        ),
    ],
    ids=[
        "grid-both",
        "grid-neither",
        "lead-time-with-date",
        "construction-both",
        "construction-neither",
        "lag-with-start",
        "hall-no-power",
        "gross-below-it",
        "pue-over-gross",
        "grid-below-gross",
        "allocation-below-rack",
        "tranche-both",
        "tranche-neither",
        "mining-both",
        "end-before-start",
        "horizon-50y",
    ],
)
def test_model_rules(old: str, new: str, line: int, path: str, message: str) -> None:
    assert where(only_error(edit(old, new))) == (line, path, message, "")


def test_all_schema_problems_in_one_error() -> None:
    text = edit(
        "name: t",
        "name: T",
        *IT_MW[:1],
        IT_MW[1].format("50 MW"),
        "burn_in: 7d",
        "burn_in: 7",
        "racks: 100}",
        "racks: 0}",
        "term: 3y",
        "term: 3 years",
    )
    with pytest.raises(ScenarioError, match=r"\n5 problems found\.$") as exc:
        load_text(text, NAME)
    assert [(p.line, p.path) for p in exc.value.problems] == [
        (2, "scenario.name"),
        (13, f"{HALL_A}.it_mw"),
        (25, "platforms.nvl72.burn_in"),
        (31, "deliveries.vendor.tranches[0].racks"),
        (37, "contracts.acme.term"),
    ]


# --- cross-reference checks -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "path", "message", "hint"),
    [
        (
            edit("after: g1,", "after: g3,"),
            9,
            "sites.north.grid[1].after",
            "no grid phase `g3` at site `north`",
            "valid names: `g1`, `g2`",
        ),
        (
            edit("after: g1,", "after: g_1,"),
            9,
            "sites.north.grid[1].after",
            "no grid phase `g_1` at site `north`",
            "did you mean `g1`?",
        ),
        (
            edit("{name: g1, mw: 100, energized: 2026-01-01}", "{name: g1, mw: 100, after: g2}"),
            8,
            "sites.north.grid[0].after",
            "grid phases depend on each other in a cycle: g1 -> g2 -> g1",
            "anchor one of them to a date with `energized`",
        ),
        (
            edit("{name: g2, mw: 50, after: g1,", "{name: g1, mw: 50, after: g1,"),
            9,
            "sites.north.grid[1].name",
            "grid phase `g1` is defined twice (also grid[0])",
            "give each phase its own name",
        ),
        (
            edit("{after: hall_a,", "{after: hall_aa,"),
            20,
            "sites.north.halls.hall_b.construction.after",
            "no hall `hall_aa` at site `north`",
            "did you mean `hall_a`?",
        ),
        (
            edit("{start: 2026-02-01,", "{after: hall_b,"),
            15,
            f"{HALL_A}.construction.after",
            "halls wait for each other in a cycle: hall_a -> hall_b -> hall_a",
            "give one of them a `start` date",
        ),
        (
            edit("it_mw: 20\n        gross_mw: 30", "it_mw: 120\n        gross_mw: 160"),
            14,
            f"{HALL_A}.gross_mw",
            "the hall needs 160 MW of grid but site `north` can never have more than 150 MW",
            "add a grid phase or make the hall smaller",
        ),
        (
            edit("    crews: {count: 1, racks_per_week: 8}\n", ""),
            28,
            "deliveries.vendor.site",
            "site `north` receives racks but has no `crews` to install them",
            "add `crews:` under sites.north",
        ),
        (
            edit("platform: nvl72", "platform: nvl27"),
            28,
            "deliveries.vendor.platform",
            "no platform `nvl27`",
            "did you mean `nvl72`?",
        ),
        (
            edit("site: north\n    tranches", "site: nort\n    tranches"),
            29,
            "deliveries.vendor.site",
            "no site `nort`",
            "did you mean `north`?",
        ),
        (
            edit("racks: 100}", "racks: 400}"),
            30,
            "deliveries.vendor.tranches",
            "400 racks of `nvl72` "
            "are delivered to `north`, but its halls that can take them hold only 296 (135 kW of "
            "critical IT each)",
            "add a hall, or deliver fewer racks",
        ),
        (
            edit("site: north\n    price", "site: nrth\n    price"),
            35,
            "contracts.acme.site",
            "no site `nrth`",
            "did you mean `north`?",
        ),
        (
            edit("{hall: hall_a, racks", "{hall: hall_aa, racks"),
            39,
            "contracts.acme.tranches[0].hall",
            "no hall `hall_aa` at site `north`",
            "did you mean `hall_a`?",
        ),
        (
            BASE + COLO.replace("hall_b", "hall_a"),
            46,
            "contracts.colo.tranches[0].hall",
            "hall `hall_a` already serves contract `acme`",
            "a hall serves one contract",
        ),
    ],
    ids=[
        "grid-unknown",
        "grid-typo",
        "grid-cycle",
        "grid-dup-name",
        "hall-typo",
        "hall-cycle",
        "hall-over-grid",
        "no-crews",
        "platform-typo",
        "delivery-site-typo",
        "too-many-racks",
        "contract-site-typo",
        "contract-hall-typo",
        "hall-two-contracts",
    ],
)
def test_cross_checks(text: str, line: int, path: str, message: str, hint: str) -> None:
    assert where(problems(text)[0]) == (line, path, message, hint)
    if path != "sites.north.grid[1].name":  # that one has a knock-on problem (see the bugs)
        assert where(only_error(text)) == (line, path, message, hint)


def test_two_contracts_taking_leftover_halls() -> None:
    text = edit("{hall: hall_a, racks: 100,", "{racks: 100,") + COLO.replace("hall: hall_b, ", "")
    found = [p for p in problems(text) if p.path == "contracts.colo.tranches"]
    assert [where(p) for p in found] == [
        (
            45,
            "contracts.colo.tranches",
            "contracts `acme` and `colo` both take whatever halls at `north` are left",
            "name the `hall` of each tranche so each hall serves one contract",
        )
    ]


def test_all_check_problems_in_one_error() -> None:
    text = edit(
        "after: g1,",
        "after: g_1,",
        "{after: hall_a,",
        "{after: hall_aa,",
        "platform: nvl72",
        "platform: nvl27",
        "site: north\n    price",
        "site: nrth\n    price",
    )
    with pytest.raises(ScenarioError, match=r"\n4 problems found\.$") as exc:
        load_text(text, NAME)
    assert [(p.line, p.path, p.severity) for p in exc.value.problems] == [
        (9, "sites.north.grid[1].after", "error"),
        (20, "sites.north.halls.hall_b.construction.after", "error"),
        (28, "deliveries.vendor.platform", "error"),
        (35, "contracts.acme.site", "error"),
    ]


# --- warnings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "path", "asks", "gives"),
    [
        (
            edit("racks: 100, due", "racks: 120, due"),
            38,
            "contracts.acme.tranches",
            "120 racks",
            100,
        ),
        (
            edit("racks: 100, due", "gpus: 9000, due"),
            38,
            "contracts.acme.tranches",
            "9000 gpus",
            7200,
        ),
        (BASE + COLO.replace("mw: 10", "mw: 30"), 45, "contracts.colo.tranches", "30 MW", 20),
    ],
    ids=["racks", "gpus", "colocation-mw"],
)
def test_contract_never_met_is_a_warning(text: str, line: int, path: str, asks: str, gives: int):
    [w] = load_text(text, NAME).warnings  # does not raise
    short = int(asks.split()[0]) - gives
    message = (
        f"the contract asks for {asks} but its halls and deliveries can give at most "
        f"{gives} (short by {short})"
    )
    assert (w.file, w.severity) == (NAME, "warning")
    assert where(w) == (line, path, message, "it can never be met in full")
    assert str(w) == f"{NAME}:{line}: warning: {path}: {message}; it can never be met in full"


def test_warnings_ride_along_but_are_not_counted_as_errors() -> None:
    with pytest.raises(ScenarioError) as exc:
        load_text(edit("platform: nvl72", "platform: nvl27"), NAME)
    assert [p.severity for p in exc.value.problems] == ["error", "warning"]
    assert str(exc.value).splitlines()[0] == (
        f"{NAME}:28: deliveries.vendor.platform: no platform `nvl27`; did you mean `nvl72`?"
    )
    assert str(exc.value).endswith("\n1 problem found.")


# --- known bugs: these assert the correct behaviour and fail until sim/ is fixed ---------


@pytest.mark.parametrize(
    ("text", "line", "path", "message", "hint"),
    [
        # validation._data_path keeps pydantic's union tag as a key: `contracts.acme.gpu_cloud`
        (edit("term: 3y", "term: 3y\n    value_usd: 1.0e+9"), 33, "contracts.acme", GPU_ONE, ""),
        (edit("    price_usd_per_gpu_hour: 2.9\n", ""), 33, "contracts.acme", GPU_ONE, ""),
        (
            edit(
                "racks: 100, due: 2026-12-01}",
                "racks: 50, due: 2026-12-01}\n      - {hall: hall_a, gpus: 3600, due: 2027-01-01}",
            ),
            33,
            "contracts.acme",
            "tranches mix `racks` and `gpus`; use one unit for the whole contract",
            "",
        ),
        (
            BASE + COLO.replace("    rent_usd_per_mw_year: 1.0e+6\n", ""),
            40,
            "contracts.colo",
            "a colocation contract needs exactly one of `value_usd` or `rent_usd_per_mw_year`",
            "",
        ),
        # validation._data_path keeps pydantic's `[key]` marker: `sites.North.[key]`
        (
            edit("  north:\n    grid", "  North:\n    grid"),
            6,
            "sites.North",
            "'North' is not a valid name",
            NAME_HINT,
        ),
        (
            edit("  nvl72:\n", "  NVL-72:\n"),
            22,
            "platforms.NVL-72",
            "'NVL-72' is not a valid name",
            NAME_HINT,
        ),
        # a YAML boolean is silently taken as the number 1 (pydantic's lax bool -> int/float)
        (it_mw("yes"), 13, f"{HALL_A}.it_mw", "expected a number (got bool True)", NUM),
        (
            edit("gpus_per_rack: 72", "gpus_per_rack: true"),
            23,
            "platforms.nvl72.gpus_per_rack",
            "expected a number (got bool True)",
            NUM,
        ),
        # a non-text duration says "expected a number" and hints at a plain number, which is refused
        (
            edit("commissioning: 8w", "commissioning:"),
            16,
            f"{HALL_A}.commissioning",
            f"a duration is needed; {DUR}",
            "",
        ),
        (
            edit("commissioning: 8w", "commissioning: [8w]"),
            16,
            f"{HALL_A}.commissioning",
            f"a duration is needed; {DUR}",
            "",
        ),
        (
            edit("term: 3y", "term: {years: 3}"),
            37,
            "contracts.acme.term",
            f"a duration is needed; {DUR}",
            "",
        ),
    ],
    ids=[
        "gpu-value-and-price",
        "gpu-no-price",
        "gpu-mixed-units",
        "colo-no-rent",
        "bad-site-name",
        "bad-platform-name",
        "bool-it-mw",
        "bool-gpus-per-rack",
        "null-duration",
        "list-duration",
        "mapping-duration",
    ],
)
def test_known_bugs(text: str, line: int, path: str, message: str, hint: str) -> None:
    assert where(only_error(text)) == (line, path, message, hint)


def test_non_scalar_key_message_is_readable() -> None:
    p = only_error(edit("  nvl72:\n", "  nvl72:\n    [a, b]: 1\n"))
    assert (p.line, p.path, p.hint) == (23, "platforms.nvl72", QUOTE)
    assert re.fullmatch(r"key .* is not text", p.message)
    assert "Node" not in p.message  # BUG: shows PyYAML's ScalarNode(tag=..., value='a') reprs


def test_duplicate_phase_name_reports_no_cycle_at_a_missing_key() -> None:
    found = problems(edit("{name: g2, mw: 50, after: g1,", "{name: g1, mw: 50, after: g1,"))
    assert found[0].path == "sites.north.grid[1].name"
    # BUG: also "cycle: g1 -> g1" at sites.north.grid[0].after (line 8), a key grid[0] lacks
    assert "sites.north.grid[0].after" not in [p.path for p in found]


def test_a_large_file_written_out_is_not_an_alias_bomb() -> None:
    """The value limit grows with the file: a portfolio written out in full reads whole
    (10,000 generated sites are about 550,000 values), an expanding alias does not."""
    from sim.scenario.yamlsource import MAX_VALUES, parse_yaml

    n = MAX_VALUES + 1000
    text = "a: [" + ", ".join(["1"] * n) + "]\n"
    assert parse_yaml(text, "big.yaml").data["a"] == [1] * n
    bomb = text + "b: [" + ", ".join(["*x"] * 10) + "]\n"
    bomb = bomb.replace("a: [", "a: &x [", 1)
    [p] = problems(bomb)
    assert p.message == f"the document expands to more than {len(bomb)} values"
    assert p.path == "b"
