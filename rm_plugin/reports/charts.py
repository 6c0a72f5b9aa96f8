"""Charts as inline SVG, drawn by matplotlib, that need no network, no script and no inline style.

Each chart becomes an ``<svg>`` element to place straight into HTML: the file opens offline
and prints as vectors. Matplotlib writes its colours as ``style="…"`` attributes and a
``<style>`` element, which a strict Content-Security-Policy (the portal's ``style-src
'self'``) refuses; they are rewritten here as SVG presentation attributes, which draw the same
and are not styles. Every element id is prefixed with the chart's key, so several charts on one
page never share an id, and the output is the same for the same figures (no date in it).

Every chart gets a ``<title>`` and a ``<desc>`` holding its text alternative, and
``role="img"``; the page puts the same figures in a table under it.
"""

from __future__ import annotations

import io
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from rm_plugin.reports.sections import Chart

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
# Okabe and Ito's palette: told apart with every common colour-vision deficiency, and in grey print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
FONT = ["DejaVu Sans", "Arial", "Helvetica", "sans-serif"]
# Matplotlib's settings are global: one chart is drawn at a time in a process (web threads too).
_LOCK = threading.Lock()

ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)


def svg(chart: Chart, title: str) -> str:
    """The chart as an ``<svg>`` element (a string) ready to put into an HTML page; ``title`` is
    its accessible name, ``chart.alt`` its description."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    rows = max(len(chart.categories), 1)
    height = 0.45 * rows + 1.2 if chart.kind == "hbars" else 3.0
    settings = {
        "svg.fonttype": "none",
        "svg.hashsalt": chart.key,
        "font.family": "sans-serif",
        "font.sans-serif": FONT,
        "font.size": 9,
        "text.parse_math": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with _LOCK, matplotlib.rc_context(settings):
        figure = Figure(figsize=(6.4, min(height, 9.0)), layout="constrained")
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        _draw(axes, chart)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return _inline(out.getvalue(), chart, title)


def _draw(axes, chart: Chart) -> None:  # type: ignore[no-untyped-def]
    categories = list(chart.categories)
    positions = list(range(len(categories)))
    count = len(chart.series)
    width = 0.8 / max(count, 1)
    if chart.kind in ("bars", "hbars"):
        for i, (name, values) in enumerate(chart.series):
            offsets = [p - 0.4 + width * (i + 0.5) for p in positions]
            heights = [v or 0.0 for v in values]
            colour = PALETTE[i % len(PALETTE)]
            if chart.kind == "bars":
                bars = axes.bar(offsets, heights, width, label=name, color=colour)
            else:
                bars = axes.barh(offsets, heights, width, label=name, color=colour)
            axes.bar_label(bars, labels=[_label(v) for v in values], padding=2, fontsize=8)
        if chart.kind == "bars":
            axes.set_xticks(positions, categories)
            axes.set_ylabel(chart.value_label)
            axes.margins(y=0.15)
        else:
            axes.set_yticks(positions, categories)
            axes.invert_yaxis()
            axes.set_xlabel(chart.value_label)
            axes.margins(x=0.15)
    elif chart.kind == "bars_line":
        (bar_name, bars), (line_name, line) = chart.series
        axes.bar(positions, [v or 0.0 for v in bars], 0.6, label=bar_name, color=PALETTE[0])
        axes.plot(positions, [v or 0.0 for v in line], marker="o", label=line_name, color=PALETTE[1])
        axes.set_xticks(positions, categories)
        axes.set_ylabel(chart.value_label)
    elif chart.kind == "intervals":
        for i, ((name, values), errors) in enumerate(zip(chart.series, chart.errors, strict=True)):
            shift = (i - (count - 1) / 2) * 0.2
            shown = [
                (p + shift, v, e)
                for p, v, e in zip(positions, values, errors, strict=True)
                if v is not None and e is not None
            ]
            if not shown:
                continue
            xs, ys = [s[0] for s in shown], [s[1] for s in shown]
            below = [y - e[0] for _, y, e in shown]
            above = [e[1] - y for _, y, e in shown]
            axes.errorbar(xs, ys, yerr=[below, above], fmt="o", capsize=4, label=name, color=PALETTE[i])
        axes.set_xticks(positions, categories)
        axes.set_xlim(-0.5, len(positions) - 0.5)
        axes.set_ylabel(chart.value_label)
    else:
        raise ValueError(f"unknown chart kind {chart.kind!r}")
    if chart.percent:
        from matplotlib.ticker import PercentFormatter

        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    if count > 1 or chart.kind == "bars_line":
        axes.legend(frameon=False, fontsize=8)
    axes.grid(axis="x" if chart.kind == "hbars" else "y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    _rotate_long_labels(axes, categories, chart.kind)


def _rotate_long_labels(axes, categories: Sequence[str], kind: str) -> None:  # type: ignore[no-untyped-def]
    if kind != "hbars" and (sum(len(c) for c in categories) > 60 or len(categories) > 8):
        for label in axes.get_xticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")


def _label(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _prefix_ids(root: ET.Element, prefix: str) -> None:
    """Give every id (matplotlib's ``figure_1``, ``axes_1`` ... repeat in every chart) the chart's
    prefix, and point every ``url(#…)`` and ``href="#…"`` at the renamed element."""
    renamed = {}
    for element in root.iter():
        old = element.get("id")
        if old:
            renamed[old] = f"{prefix}-{old}"
            element.set("id", renamed[old])
    href = f"{{{XLINK}}}href"
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in (href, "href") and value.startswith("#") and value[1:] in renamed:
                element.set(name, "#" + renamed[value[1:]])
            elif "url(#" in value:
                element.set(
                    name, re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{renamed.get(m[1], m[1])})", value)
                )


def _inline(document: str, chart: Chart, name: str) -> str:
    """Matplotlib's SVG document as an inline element: no prolog, no metadata, no style."""
    root = ET.fromstring(document.encode("utf-8"))
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{{{SVG}}}metadata", f"{{{SVG}}}style"):
                parent.remove(child)
    for element in root.iter():
        style = element.attrib.pop("style", None)
        if style:
            for declaration in style.split(";"):
                prop, sep, value = declaration.partition(":")
                if sep and prop.strip():
                    element.set(prop.strip(), value.strip())
    # What the removed <style> set for every element: inherited presentation attributes.
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    for size in ("width", "height"):
        root.attrib.pop(size, None)
    ident = f"chart-{chart.key}"
    _prefix_ids(root, ident)
    root.set("id", ident)
    root.set("role", "img")
    root.set("aria-labelledby", f"{ident}-title")
    desc = ET.Element(f"{{{SVG}}}desc", {"id": f"{ident}-desc"})
    desc.text = chart.alt
    title = ET.Element(f"{{{SVG}}}title", {"id": f"{ident}-title"})
    title.text = name
    root.insert(0, desc)
    root.insert(0, title)
    return ET.tostring(root, encoding="unicode")
