"""The spreadsheet export (`dcsim run --excel`): one workbook for the people who take the
numbers from a spreadsheet.

Sheets: `Summary` (the horizon, the discount rate, and per contract and per site the money,
NPV and IRR), `Tranches` (due, delivered, slip; with replications P(on time) and the P50,
P80 and P90 dates; last, the stage that set each date in the plan run), and one sheet per
site and one for the portfolio with the calendar months' money flows, net cash flow,
discount factor and present value, ending in a formula that adds the present values up to
the NPV. Values are the exact figures (money to the cent), formatted as money, percentages
and dates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import UsageError
from sim.outputs.headline import date_quantile, headline, who

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from sim.result import Result

MONEY = '"$"#,##0.00;[Red]-"$"#,##0.00'
PERCENT = "0.0%"
DATE = "yyyy-mm-dd"
MONTHLY = [
    ("date", "month end", DATE),
    ("revenue_usd", "contract revenue", MONEY),
    ("late_credits_usd", "late credits (less)", MONEY),
    ("prepayment_usd", "prepayments, net", MONEY),
    ("mining_revenue_usd", "mining revenue", MONEY),
    ("power_cost_usd", "power cost (less)", MONEY),
    ("capex_usd", "capex (less)", MONEY),
    ("crew_cost_usd", "crew cost (less)", MONEY),
    ("net_cash_flow_usd", "net cash flow", MONEY),
    ("discount_factor", "discount factor", "0.000000"),
    ("present_value_usd", "present value", MONEY),
]


def write_workbook(result: Result, path: Path) -> Path:
    """Write the run's workbook to ``path`` (an .xlsx file) and return it."""
    try:
        from openpyxl import Workbook
    except ImportError:  # pragma: no cover - a dependency; only a broken install lacks it
        raise UsageError(
            "--excel needs openpyxl, which is missing; install it with "
            "`pip install openpyxl` (or reinstall dcsim)"
        ) from None
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    _summary(summary, result)
    _tranches(book.create_sheet("Tranches"), result)
    if result.monthly is not None:
        used = {"summary", "tranches"}
        for site, rows in result.monthly.groupby("site", sort=False):
            label = "portfolio" if site == "all" else _site_label(result, str(site))
            _monthly(book.create_sheet(_sheet_name(label, used)), rows)
    book.save(path)
    return path


def _site_label(result: Result, site: str) -> str:
    return getattr(result.scenario.sites[site], "label", "") or site


def _sheet_name(label: str, used: set[str]) -> str:
    """A valid, unique sheet name: no []:*?/\\ and at most 31 characters."""
    base = re.sub(r"[\[\]:*?/\\]", " ", label).strip()[:31] or "site"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _day(text: str | None) -> dt.date | None:
    """An ISO date as a date, so the spreadsheet sorts and subtracts it."""
    return dt.date.fromisoformat(text) if text else None


def _rows(
    sheet: Worksheet, headers: list[str], rows: Iterable[Iterable[Any]], formats: list[str]
) -> None:
    """A header row in bold, then the rows, each column in its number format."""
    from openpyxl.styles import Font

    sheet.append(headers)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell, number_format in zip(sheet[sheet.max_row], formats, strict=False):
            if number_format:
                cell.number_format = number_format
    for i, header in enumerate(headers, 1):
        width = max(len(str(header)), 12)
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = width + 2


def _summary(sheet: Worksheet, result: Result) -> None:
    s = result.summary
    info, finance = s["scenario"], s["finance"]
    sheet.append([headline(result)])
    sheet.append([])
    facts = [
        ["scenario", info["name"], ""],
        ["horizon", f"{info['start']} to {info['end']}", ""],
        ["discount rate (a year)", finance["discount_rate"], PERCENT],
        ["valuation date", finance["valuation_date"], ""],
    ]
    for key, value, number_format in facts:
        sheet.append([key, value])
        sheet.cell(sheet.max_row, 2).number_format = number_format or "General"
    sheet.append([])
    contracts = [
        [
            name,
            who(name, result.scenario.contracts[name]),
            c["kind"],
            c["units_contracted"],
            c["unit"],
            _day(c["full_delivery"]),
            c["revenue_usd"],
            c["revenue_lost_to_slips_usd"],
            finance["contracts"][name]["npv_usd"],
            finance["contracts"][name]["irr"],
        ]
        for name, c in s["contracts"].items()
    ]
    headers = ["contract", "for", "kind", "units", "unit", "full delivery", "revenue"]
    headers += ["revenue lost to slips", "NPV", "IRR"]
    _rows(sheet, headers, contracts, ["", "", "", "", "", DATE, MONEY, MONEY, MONEY, PERCENT])
    sheet.append([])
    sites = [
        [
            "portfolio" if site == "all" else _site_label(result, site),
            m["revenue_usd"],
            m["mining_revenue_usd"],
            m["power_cost_usd"],
            m["capex_usd"],
            m["crew_cost_usd"],
            m["cash_usd"],
            finance["sites"][site]["npv_usd"],
            finance["sites"][site]["irr"],
        ]
        for site, m in s["money"].items()
    ]
    headers = ["site", "revenue", "mining revenue", "power cost", "capex", "crew cost"]
    _rows(sheet, [*headers, "cash at end", "NPV", "IRR"], sites, ["", *[MONEY] * 7, PERCENT])
    sheet.column_dimensions["A"].width = 24


def _tranches(sheet: Worksheet, result: Result) -> None:
    mc = result.monte_carlo
    headers = ["contract", "tranche", "hall", "units", "unit", "due", "delivered", "slip days"]
    if mc is not None:
        headers += ["P(on time)", "P50", "P80", "P90"]
    headers += ["date set by (plan)"]
    rows = []
    for name, c in result.summary["contracts"].items():
        for t in c["tranches"]:
            hall = t["hall"] and result.scenario.sites[c["site"]].halls.get(t["hall"])
            label = (getattr(hall, "label", "") or t["hall"]) if hall else t["hall"]
            row = [name, t["tranche"], label, t["units"], c["unit"], _day(t["due"])]
            row += [_day(t["delivered"]), t["slip_days"]]
            if mc is not None:
                mine = mc.on_time[
                    (mc.on_time["contract"] == name) & (mc.on_time["tranche"] == t["tranche"])
                ]
                delivered = mc.replications[f"{name}.tranche_{t['tranche']}.delivered"]
                row += [float(mine["p_on_time"].iloc[0])]
                row += [_day(date_quantile(delivered, q)) for q in (50, 80, 90)]
            rows.append([*row, t["critical_stage"].replace("_", " ")])
    formats = ["", "", "", "", "", DATE, DATE, "0"]
    formats += [PERCENT, DATE, DATE, DATE] if mc is not None else []
    formats += [""]
    _rows(sheet, headers, rows, formats)


def _monthly(sheet: Worksheet, rows: Any) -> None:
    from openpyxl.utils import get_column_letter

    columns = [c for c, _, _ in MONTHLY]
    _rows(
        sheet,
        [h for _, h, _ in MONTHLY],
        rows[columns].itertuples(index=False, name=None),
        [f for _, _, f in MONTHLY],
    )
    last = sheet.max_row
    column = get_column_letter(len(MONTHLY))  # the present values
    sheet.append(["NPV"] + [None] * (len(MONTHLY) - 2) + [f"=SUM({column}2:{column}{last})"])
    sheet.cell(sheet.max_row, len(MONTHLY)).number_format = MONEY
    sheet.freeze_panes = "B2"
