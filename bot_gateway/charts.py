"""The admin stats' revenue chart: daily bars, one panel per asset, drawn into a PNG.

matplotlib draws on the CPU for tens of milliseconds, which would stall every bot of the process
if it ran on the event loop, so `render_revenue_chart` is synchronous and callers run it in a
thread (`asyncio.to_thread`). It uses the object-oriented API on the Agg canvas, never pyplot:
pyplot keeps global figures and is not safe from several threads. Assets have different units,
so each gets its own panel and y axis; amounts arrive in major units (the asset's scale applied).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

BAR_COLOURS = ("#2f80ed", "#27ae60", "#f2994a", "#9b51e0", "#eb5757")


@dataclass(frozen=True)
class Series:
    """One asset's daily revenue: day labels ("11-27") and amounts in major units."""

    days: Sequence[str]
    amounts: Sequence[float]


def render_revenue_chart(series: Mapping[str, Series], title: str) -> bytes:
    """A PNG (1000 px wide) with one bar panel per asset, in the order of `series`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels = max(len(series), 1)
    figure = Figure(figsize=(10, 2.6 * panels + 0.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(panels, 1, squeeze=False)[:, 0]
    figure.suptitle(title)
    for index, (ax, (asset, points)) in enumerate(zip(axes, series.items(), strict=False)):
        positions = range(len(points.days))
        ax.bar(positions, points.amounts, color=BAR_COLOURS[index % len(BAR_COLOURS)])
        step = max(1, len(points.days) // 10)  # at most about ten day labels under a panel
        ax.set_xticks(list(positions)[::step], list(points.days)[::step])
        ax.set_ylabel(asset)
        ax.grid(axis="y", alpha=0.3)
        if max(points.amounts, default=0) > 0:
            ax.set_ylim(bottom=0)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
