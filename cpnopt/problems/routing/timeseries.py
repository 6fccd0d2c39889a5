"""Hourly electricity price and hydropower series: a synthetic generator and a CSV loader.

The STPer paper drives i_e(t) with ENTSO-E day-ahead prices and α_n(t) with German
hydropower generation. cpnopt ships no third-party data: :func:`synthetic_series` draws a
series with the shapes such data have, and :func:`load_csv` reads a real one exported by
the user (same columns).

- Price (€/MWh): ``mean · (1 + a_d sin(2π(h − 8)/24) + a_w w(h)) + N(0, σ)``, a daily
  wave peaking in the evening, a weekly factor ``w`` that lowers weekends (−1 on Saturday
  and Sunday, +0.4 on weekdays), clipped at 0.
- Hydropower (MW): ``mean · (1 + b_d sin(2π(h − 14)/24)) + N(0, σ_h)``, clipped at 0: run of
  river varies little, storage plants follow the daily demand peak.

``data/sample_week.csv`` is one week made by :func:`synthetic_series` with its defaults and
seed 0 (``python -m cpnopt.problems.routing.timeseries`` rewrites it). It is NOT ENTSO-E
data; it only shows the file format and lets instances be built from a file.
CSV format: a header ``hour,price_eur_mwh,hydro_mw`` then one row per hour (hour = 0, 1, …).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cpnopt.errors import InputError
from cpnopt.jsonio import read_csv_rows

SAMPLE_CSV = Path(__file__).with_name("data") / "sample_week.csv"
COLUMNS = ("hour", "price_eur_mwh", "hydro_mw")


@dataclass(frozen=True)
class HourlySeries:
    price_eur_mwh: tuple[float, ...]
    hydro_mw: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.price_eur_mwh or len(self.price_eur_mwh) != len(self.hydro_mw):
            raise InputError(
                "series", len(self.price_eur_mwh), "price and hydro need the same, non-zero number of hours"
            )

    @property
    def hours(self) -> int:
        return len(self.price_eur_mwh)

    def hydro_share(self) -> np.ndarray:
        """h(t) = hydro_mw / max hydro_mw ∈ [0, 1] (all 0 when the series is all 0)."""
        hydro = np.array(self.hydro_mw, dtype=float)
        peak = hydro.max()
        return hydro / peak if peak > 0 else hydro


def synthetic_series(
    hours: int,
    rng: np.random.Generator,
    price_mean: float = 80.0,
    daily_amplitude: float = 0.3,
    weekly_amplitude: float = 0.15,
    price_noise: float = 8.0,
    hydro_mean_mw: float = 1500.0,
    hydro_daily_amplitude: float = 0.25,
    hydro_noise_mw: float = 100.0,
) -> HourlySeries:
    """Hourly series with a daily and a weekly shape plus Gaussian noise (see the module docstring)."""
    if hours < 1:
        raise InputError("hours", hours, "must be ≥ 1")
    h = np.arange(hours)
    weekend = (h // 24) % 7 >= 5
    weekly = np.where(weekend, -1.0, 0.4)
    price = price_mean * (1 + daily_amplitude * np.sin(2 * math.pi * (h - 8) / 24) + weekly_amplitude * weekly)
    price = np.clip(price + rng.normal(0.0, price_noise, hours), 0.0, None)
    hydro = hydro_mean_mw * (1 + hydro_daily_amplitude * np.sin(2 * math.pi * (h - 14) / 24))
    hydro = np.clip(hydro + rng.normal(0.0, hydro_noise_mw, hours), 0.0, None)
    return HourlySeries(tuple(np.round(price, 2).tolist()), tuple(np.round(hydro, 1).tolist()))


def load_csv(path: str | Path) -> HourlySeries:
    """Read ``hour,price_eur_mwh,hydro_mw`` rows; hours must run 0, 1, 2, … without gaps."""
    path = Path(path)
    rows = read_csv_rows(path, "series_csv")
    if not rows or any(c not in rows[0] for c in COLUMNS):
        raise InputError("series_csv", str(path), f"needs a header with columns {', '.join(COLUMNS)}")
    price, hydro = [], []
    for i, row in enumerate(rows):
        try:
            hour, p, w = int(row["hour"]), float(row["price_eur_mwh"]), float(row["hydro_mw"])
        except (TypeError, ValueError):
            raise InputError(
                f"series_csv line {i + 2}", row, "hour must be an integer, price and hydro numbers"
            ) from None
        if hour != i:
            raise InputError(f"series_csv line {i + 2}.hour", hour, f"expected hour {i} (consecutive from 0)")
        if not (math.isfinite(p) and math.isfinite(w) and w >= 0):
            raise InputError(f"series_csv line {i + 2}", row, "price must be finite and hydro ≥ 0")
        price.append(p)
        hydro.append(w)
    return HourlySeries(tuple(price), tuple(hydro))


def write_csv(series: HourlySeries, path: str | Path) -> None:
    with Path(path).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for hour, (p, w) in enumerate(zip(series.price_eur_mwh, series.hydro_mw)):
            writer.writerow((hour, p, w))


if __name__ == "__main__":
    write_csv(synthetic_series(168, np.random.default_rng(0)), SAMPLE_CSV)
