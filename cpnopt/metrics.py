"""How a quantity is shown to people: display name, unit, sense and number format.

Each family declares, once, a :class:`MetricInfo` per metric of its evaluator and per
generator parameter that a suite may sweep (``Family.metrics``); the harness adds the
quantities every family has (:data:`COMMON`: gap, runtime, an exact method's own MIP gap; a
family whose suites show ``report.bound`` declares it in its objective's unit). Tables and
figures read names, units and formats from here, so they never print an identifier or a
number in exponent notation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricInfo:
    """Display metadata of one metric or parameter.

    ``sense`` is "max" or "min" for a quality metric (better when larger / smaller) and None
    for a quantity that is neither (a parameter, a count, a runtime — never bolded as best).
    ``percent`` shows a share in [0, 1] as a percentage. A number is shown with ``decimals``
    fixed decimals when given, else with ``digits`` significant digits (at most
    :data:`MAX_DECIMALS` decimals), always with thousands separators.
    """

    name: str
    unit: str = ""
    sense: str | None = None
    percent: bool = False
    decimals: int | None = None
    digits: int = 3
    integer: bool = False  # a count: integer axis ticks

    @property
    def label(self) -> str:
        """Name with its unit, as a column header or an axis label: "profit (money)", "gap (%)"."""
        unit = "%" if self.percent else self.unit
        return f"{self.name} ({unit})" if unit else self.name

    def scaled(self, value: float) -> float:
        """The value in the unit shown (a share as a percentage)."""
        return 100.0 * value if self.percent else value

    def decimals_for(self, value: float) -> int:
        """Decimals to show ``value`` (already scaled) with."""
        if self.decimals is not None:
            return self.decimals
        if self.percent:
            return 1
        if self.integer and float(value).is_integer():
            return 0
        if value == 0 or not math.isfinite(value):
            return 0
        magnitude = math.floor(math.log10(abs(value)))
        return min(max(0, self.digits - 1 - magnitude), MAX_DECIMALS)

    def format(self, value: float, decimals: int | None = None) -> str:
        """``value`` (unscaled) as text: thousands separators, no exponent, "%" for a share."""
        shown = self.scaled(value)
        if not math.isfinite(shown):
            return "—"
        places = self.decimals_for(shown) if decimals is None else decimals
        text = f"{shown:,.{places}f}"
        if text.lstrip("-").strip("0.,") == "":  # "-0.0" → "0.0"
            text = text.lstrip("-")
        return text + ("%" if self.percent else "")

    def format_pair(self, mean: float, spread: float) -> tuple[str, str]:
        """Mean and spread with the same decimals (the mean's), the spread without a "%" sign."""
        places = self.decimals_for(self.scaled(mean) if mean else self.scaled(spread))
        spread_text = f"{self.scaled(spread):,.{places}f}"
        return self.format(mean, places), spread_text


MAX_DECIMALS = 4

COMMON: dict[str, MetricInfo] = {
    "gap": MetricInfo("gap to optimum", sense="min", percent=True, decimals=2),
    "gap_bound": MetricInfo("gap to bound", sense="min", percent=True, decimals=2),
    "runtime_s": MetricInfo("runtime", "s"),
    "report.gap": MetricInfo("own MIP gap", sense="min", percent=True, decimals=2),
}
"""Quantities of every family: the gap to the reference, the method's runtime, its own gap."""


def humanize(identifier: str) -> str:
    """A readable fallback for a quantity nobody declared: ``mean_paths_used`` → "mean paths used"."""
    return identifier.removeprefix("report.").replace("_", " ")


def metric_info(declared: Mapping[str, MetricInfo], key: str) -> MetricInfo:
    """Metadata of ``key`` (a metric or parameter the family declares, or a :data:`COMMON` key);
    an undeclared key gets its identifier made readable, never the identifier itself."""
    if key in COMMON:
        return COMMON[key]
    if key in declared:
        return declared[key]
    return MetricInfo(humanize(key))
