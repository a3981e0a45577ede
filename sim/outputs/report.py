"""A self-contained HTML report of a run or a comparison: one file, plots embedded, no
scripts and nothing loaded from the network, readable in any browser or mail client."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.outputs import formats
from sim.outputs.headline import headline
from sim.outputs.reportparts import criticality_rows, finance_rows, risk_rows, tranche_rows

if TYPE_CHECKING:
    from sim.compare import Comparison
    from sim.result import Result

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto;
       max-width: 1180px; padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem;
     border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
.lede { color: #555; margin-top: 0; }
.headline { font-size: 1.1rem; font-weight: 600; margin: .4rem 0 1rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #ddd; padding: .3rem .55rem; text-align: right; }
th { background: #f4f4f6; } td:first-child, th:first-child { text-align: left; }
.late { color: #b3261e; font-weight: 600; } .ok { color: #1e7d32; }
figure { margin: 1rem 0 2rem; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: .85rem; }
code { background: #f4f4f6; padding: 0 .25rem; border-radius: 3px; }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


class Raw(str):
    """A table cell already rendered as HTML."""


def _money(value: float | None) -> str:
    return formats.money(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(c if isinstance(c, Raw) else f"<td>{_e(c)}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_MONEY_FOLLOWS_BASELINE = (
    "Money (billing start, prepayment and late credits) follows each tranche's contracted "
    "(baseline) due date; the revised due date, in force at the data date, is reported for "
    "slips and on-time probabilities only."
)


def _slip(days: int | None) -> Raw:
    if days is None:
        return Raw('<td><span class="late">not in horizon</span></td>')
    css = "late" if days > 0 else "ok"
    return Raw(f'<td><span class="{css}">{days:+d} d</span></td>')


def _figures(folder: Path, captions: dict[str, str]) -> str:
    parts = []
    for png in sorted(folder.glob("*.png")):
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        caption = captions.get(png.stem.split("_")[0], png.stem.replace("_", " "))
        parts.append(
            f'<figure><img alt="{_e(png.stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(png.name)}: {_e(caption)}</figcaption></figure>"
        )
    return "".join(parts)


CAPTIONS = {
    "portfolio": "capacity by stage, GPUs against contract, utilization (portfolio)",
    "transition": "grid MW drawn by mining and by AI, and idle headroom",
    "revenue": "revenue rate per contract and from mining",
    "bands": "P50 with the P10-P90 band across replications; P80 dashed",
    "full": "probability each contract is fully delivered by a date",
    "drivers": "inputs ranked by rank correlation with the outcomes",
    "tornado": "days or dollars each input moves an outcome's P50 from its P10 to its P90",
    "overlay": "every variant on one chart",
    "gantt": "each variant's phases, with due and delivered dates",
}


def _constraint_ranges(months: dict[str, str]) -> str:
    """'2026-01..2026-04 hall; 2026-05 crews' from month -> constraint."""
    spans: list[list[str]] = []
    for month, what in sorted(months.items()):
        if spans and spans[-1][2] == what:
            spans[-1][1] = month
        else:
            spans.append([month, month, what])
    return "; ".join(f"{a}..{b} {w}" if a != b else f"{a} {w}" for a, b, w in spans)


def _contract_label(scenario: Any, name: str) -> str:
    """A contract as the report names it: its label, else its key."""
    return getattr(scenario.contracts[name], "label", "") or name


def _site_label(scenario: Any, site: str) -> str:
    """A site as the report names it: its label, else its key (`all` stays `all`)."""
    return getattr(scenario.sites[site], "label", "") or site if site in scenario.sites else site


def _hall_label(scenario: Any, site: str, hall: str | None) -> str:
    """A tranche's hall as the report names it: its label, else its key ("–" for none)."""
    if hall is None or hall not in scenario.sites[site].halls:
        return "–"
    return getattr(scenario.sites[site].halls[hall], "label", "") or hall


def _assumptions(texts: dict[str, str]) -> str:
    rows = []
    for file, text in texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            if "[R]" in line:
                rows.append((Path(file).name, number, line.strip().lstrip("#- ").strip()))
    if not rows:
        return "<p>The scenario files tag no [R] assumptions.</p>"
    return (
        "<p>Rules of thumb and assumptions ([R] in the scenario files): the inputs "
        "to tune first.</p>" + _table(["file", "line", "text"], rows)
    )


def run_report(result: Result, folder: Path) -> str:
    """The HTML report of one run whose files are in ``folder``."""
    s = result.summary
    info = s["scenario"]
    scenario = result.scenario
    grid = sum(p.mw for site in scenario.sites.values() for p in site.grid)
    variant = result.source.variant if result.source else None
    title = info["name"] + (f" (variant {variant})" if variant else "")
    parts = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="headline">{_e(headline(result))}</p>',
        f'<p class="lede">{_e(info["description"])}</p>',
        f"<p>{formats.plural(len(scenario.sites), 'site')}, {grid:,.0f} MW of grid "
        f"interconnect, {formats.plural(len(scenario.contracts), 'contract')}; "
        f"{info['start']} to {info['end']}, by {info['step']}.</p>",
        *(
            [
                f"<p><b>Status update, data date {scenario.status.as_of}</b> (the dotted line on "
                "the charts; recorded actuals are the points): what happened up to it is as "
                f"recorded, the rest is forecast from it. {_e(scenario.status.note)}</p>"
            ]
            if scenario.status is not None
            else []
        ),
    ]
    if result.source and result.source.overrides:
        parts.append(
            "<h2>Overrides</h2>"
            + _table(
                ["key path", "base", "variant"],
                [(o.path, o.as_dict()["old"], o.as_dict()["new"]) for o in result.source.overrides],
            )
        )
    rows = []
    for name, c in s["contracts"].items():
        for t in c["tranches"]:
            rows.append(
                [
                    _contract_label(scenario, name),
                    c["kind"],
                    t["tranche"],
                    _hall_label(scenario, c["site"], t["hall"]),
                    f"{t['units']:g} {c['unit']}",
                    t["due"],
                    t["delivered"] or "–",
                    _slip(t["slip_days"]),
                    t["critical_stage"].replace("_", " "),
                ]
                + ([t["due_revised"], _slip(t["slip_revised_days"])] if "due_revised" in t else [])
            )
    revised = any("due_revised" in t for c in s["contracts"].values() for t in c["tranches"])
    parts.append(
        "<h2>Contract tranches</h2>"
        + _table(
            ["contract", "kind", "tranche", "hall", "units", "due", "delivered", "slip", "set by"]
            + (["revised due", "slip vs revised"] if revised else []),
            rows,
        )
        + (f"<p>{_MONEY_FOLLOWS_BASELINE}</p>" if revised else "")
    )
    parts.append(
        _table(
            [
                "contract",
                "full delivery",
                "revenue in horizon",
                "run-rate at full delivery",
                "revenue lost to slips",
            ],
            [
                (
                    _contract_label(scenario, n),
                    c["full_delivery"] or "not in horizon",
                    _money(c["revenue_usd"]),
                    _money(c["run_rate_usd_per_year"]),
                    _money(c["revenue_lost_to_slips_usd"]),
                )
                for n, c in s["contracts"].items()
            ],
        )
    )
    money = s["money"]["all"]
    parts.append(
        "<h2>Portfolio</h2>"
        + _table(
            [
                "revenue",
                "mining revenue",
                "power cost",
                "capex",
                "crew cost",
                "cash at end",
                "GPU-months",
                "peak facility MW",
            ],
            [
                (
                    _money(money["revenue_usd"]),
                    _money(money["mining_revenue_usd"]),
                    _money(money["power_cost_usd"]),
                    _money(money["capex_usd"]),
                    _money(money["crew_cost_usd"]),
                    _money(money["cash_usd"]),
                    f"{s['gpu_months']:,.0f}",
                    f"{s['peak_facility_mw']['all']['mw']:,.1f}",
                )
            ],
        )
    )
    if "finance" in s:
        caption, (headers, finance) = finance_rows(result)
        parts.append(f"<h2>NPV and IRR</h2><p>{_e(caption)}</p>" + _table(headers, finance))
    if result.monte_carlo is not None:
        mc = result.monte_carlo
        reps = formats.plural(len(mc.replications), "replication")
        parts.append(
            f"<h2>On-time probabilities ({reps}, seed {mc.seed})</h2>"
            + _table(
                ["contract", "tranche", "due", "P(on time)", "P10", "P50", "P80", "P90"]
                + (["revised due", "P(on time vs revised)"] if revised else []),
                [
                    (
                        r["contract"],
                        r["tranche"],
                        _day(r["due"]),
                        f"{100 * r['p_on_time']:.0f}%",
                        _day(r["p10"], missing="not in horizon"),
                        _day(r["p50"], missing="not in horizon"),
                        _day(r["p80"], missing="not in horizon"),
                        _day(r["p90"], missing="not in horizon"),
                    )
                    + (
                        (_day(r["due_revised"]), f"{100 * r['p_on_time_revised']:.0f}%")
                        if revised
                        else ()
                    )
                    for r in mc.on_time.to_dict("records")
                ],
            )
        )
        caption, (headers, critical) = criticality_rows(mc.criticality, scenario)
        parts.append(f"<h2>Criticality</h2><p>{_e(caption)}</p>" + _table(headers, critical))
    parts.append(
        "<h2>What limited the ramp</h2>"
        + _table(
            ["site", "binding constraint by month"],
            [
                (_site_label(scenario, site), _constraint_ranges(months))
                for site, months in s["binding_constraint"].items()
            ],
        )
    )
    parts.append("<h2>Plots</h2>" + _figures(folder / "plots", CAPTIONS))
    texts = result.source.texts if result.source else {}
    parts.append("<h2>Assumptions</h2>" + _assumptions(texts))
    return _page(title, parts)


def comparison_report(comparison: Comparison, folder: Path) -> str:
    """The HTML report of a comparison whose files are in ``folder``."""
    base = comparison.base
    table = comparison.table
    title = f"{base} compared with {formats.plural(len(comparison.results) - 1, 'alternative')}"
    parts = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="headline">{_e(_comparison_headline(comparison))}</p>',
        f'<p class="lede">{_e(comparison.results[base].summary["scenario"]["description"])}</p>',
    ]
    overrides = [
        (name, o.path, o.as_dict()["old"], o.as_dict()["new"])
        for name, r in comparison.results.items()
        if r.source
        for o in r.source.overrides
    ]
    if overrides:
        parts.append(
            "<h2>Variants</h2>" + _table(["variant", "key path", "base", "variant"], overrides)
        )
    kpis = [
        c
        for c in table.columns
        if c != "variant" and not re.search(r"\.(delta|p_better|p_same)", c)
    ]
    rows = [
        [kpi, *[_cell(table.loc[i], kpi, i == table.index[0]) for i in table.index]] for kpi in kpis
    ]
    parts.append(
        "<h2>KPIs and deltas against the base</h2>" + _table(["KPI", *table["variant"]], rows)
    )
    if comparison.tranches is not None:
        parts.append("<h2>Tranches in every run</h2>" + _table(*tranche_rows(comparison)))
    if comparison.risk is not None:
        parts.append(
            "<h2>Paired deltas against the base</h2><p>Each replication of a variant shares "
            "its random numbers with the same replication of the base; a delta under a day or "
            "a cent is a tie (P(same)), and a KPI that never differs reads “same”.</p>"
            + _table(*risk_rows(comparison))
        )
    parts.append("<h2>Plots</h2>" + _figures(folder / "plots", CAPTIONS))
    return _page(title, parts)


def _cell(row: pd.Series, kpi: str, base: bool = False) -> str:
    value = row[kpi]
    delta = row.get(f"{kpi}.delta")
    shown = formats.kpi_value(kpi, None if value is None or pd.isna(value) else value)
    if delta is not None and not pd.isna(delta) and delta != 0:
        shown = f"{shown} ({formats.kpi_delta(kpi, delta)})"
    better = row.get(f"{kpi}.p_better")
    if better is not None and not pd.isna(better) and not base:
        if row.get(f"{kpi}.p_same") == 1.0:
            shown += " [same]"
        else:
            shown += f" [P(better) {formats.percent(better)}]"
    return shown


def _comparison_headline(comparison: Comparison) -> str:
    """The base's headline, then each variant's change in the base's largest contract's
    full delivery and in the portfolio's NPV (paired P50 with replications)."""
    base = comparison.results[comparison.base]
    text = headline(base).rstrip(".")
    contracts = list(base.summary["contracts"])
    table = comparison.table.set_index("variant")
    sentences = []
    for name in list(comparison.results)[1:]:
        bits = []
        for kpi in [f"{c}.full_delivery" for c in contracts[:1]] + ["npv_usd"]:
            if f"{kpi}.delta" not in table.columns:
                continue
            delta = table.loc[name, f"{kpi}.delta"]
            if comparison.risk is not None:
                rows = comparison.risk[
                    (comparison.risk["variant"] == name) & (comparison.risk["kpi"] == kpi)
                ]
                if len(rows):
                    delta = rows["delta_p50"].iloc[0]
            label = "NPV" if kpi == "npv_usd" else kpi.replace(".", " ").replace("_", " ")
            bits.append(f"{label} {formats.kpi_delta(kpi, delta)}")
        if bits:
            sentences.append(f"{name}: " + ", ".join(bits))
    at = " at P50" if comparison.risk is not None else ""
    return text + (f". Against the base{at}: " + "; ".join(sentences) if sentences else "") + "."


def _page(title: str, parts: list[str]) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
        + "".join(parts)
        + "<p class='lede'>Generated by dcsim.</p></body></html>\n"
    )


def _day(when: Any, missing: str = "–") -> str:
    """A date cell: ``2026-06-30``, or ``missing`` for a date not reached (NaT or None)."""
    return missing if when is None or pd.isna(when) else f"{pd.Timestamp(when):%Y-%m-%d}"
