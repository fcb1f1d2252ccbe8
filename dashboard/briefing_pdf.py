"""The region profile as a one- or two-page PDF briefing (fpdf2).

In: a ``Briefing`` whose texts are already in the reader's language (the page
builds it from the profile), and optional PNG images (locator map, trend
lines) rendered by kaleido. Out: the PDF as bytes. The briefing always carries
the source line with the licence of every source used and the permalink; when
the content would not fit on two pages, projects and images are cut back
(``render_briefing`` tries fuller variants first).

Umlauts, "≥" and "€" need a Unicode font: DejaVu Sans from the system
(fonts-dejavu-core), embedded as a subset.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = "DejaVu"
MAX_PAGES = 2
ACCENT = (11, 83, 148)
MAP_WIDTH = 0.5  # of the text width: the locator map (drawn 700 × 520 px)
CAPTION_PT, CAPTION_LINE_MM = 7, 3.4  # an image's source line under it, as the notes


@dataclass
class Briefing:
    title: str
    subtitle: str
    data_note: str  # reference dates of the figures and the warehouse build
    table_header: Sequence[str]
    table_rows: Sequence[Sequence[str]]
    notes: Sequence[str]  # peer group, fallbacks, series breaks, flags
    projects_title: str
    projects: Sequence[str]  # one line per project
    projects_empty: str
    more_projects: str  # format string with {n}
    sources_title: str
    sources: Sequence[str]  # "attribution — licence — URL" per source
    permalink_label: str
    permalink: str
    footer: str  # e.g. "DSR Dashboard · Steckbrief München · Seite"
    map_title: str = ""
    trends_title: str = ""
    col_widths: Sequence[float] = field(default_factory=lambda: (47, 18, 18, 24, 21, 22, 30))


@cache
def _pdf_class() -> type[FPDF]:
    """fpdf2's ``FPDF`` with the briefing's footer. fpdf (with fontTools) is
    imported on the first briefing, not with the page: about 17 MB that an
    app process does not hold until someone downloads a PDF."""
    from fpdf import FPDF

    class BriefingPDF(FPDF):
        footer_text = ""

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, size=7)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, f"{self.footer_text} {self.page_no()}/{{nb}}", align="R")

    return BriefingPDF


def font_paths() -> tuple[Path, Path]:
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    for path in (regular, bold):
        if not path.exists():
            raise FileNotFoundError(f"{path}: the PDF briefing needs the DejaVu fonts (Debian package fonts-dejavu-core)")
    return regular, bold


def render_briefing(briefing: Briefing, images: dict[str, bytes] | None = None, compress: bool = True,
                    captions: dict[str, str] | None = None) -> bytes:
    """The briefing as PDF bytes, at most two pages.

    ``images`` may hold "map" and "trends" (PNG bytes); ``captions`` the source
    line of each, printed as text under its image (legible at print size and
    never cut, where a source line drawn into a scaled-down image is neither).
    Variants are tried from the fullest (all projects, both images) to the
    leanest until one fits.
    """
    images = {k: v for k, v in (images or {}).items() if v}
    captions = captions or {}
    variants = [
        (25, ("map", "trends")),
        (12, ("map", "trends")),
        (12, ("map",)),
        (6, ("map",)),
        (6, ()),
        (0, ()),
    ]
    pdf = None
    for max_projects, wanted in variants:
        pdf = _render(briefing, {k: images[k] for k in wanted if k in images}, max_projects, compress, captions)
        if pdf.pages_count <= MAX_PAGES:
            break
    return bytes(pdf.output())


def _render(b: Briefing, images: dict[str, bytes], max_projects: int, compress: bool, captions: dict[str, str]) -> FPDF:
    from fpdf.fonts import FontFace

    regular, bold = font_paths()
    pdf = _pdf_class()(orientation="P", unit="mm", format="A4")
    pdf.footer_text = b.footer
    pdf.set_compression(compress)
    pdf.set_margins(15, 14, 15)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_title(b.title)
    pdf.set_subject(b.subtitle)
    pdf.set_creator("DSR Dashboard")
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(FONT, "B", 16)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(width, 7, b.title, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "", 9.5)
    pdf.multi_cell(width, 5, b.subtitle, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(80, 80, 80)
    pdf.multi_cell(width, 4, b.data_note, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)

    if b.table_rows:
        pdf.set_font(FONT, "", 7.5)
        heading = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=ACCENT)
        with pdf.table(
            col_widths=tuple(b.col_widths), text_align=("LEFT", *["RIGHT"] * (len(b.table_header) - 1)),
            line_height=3.8, headings_style=heading, first_row_as_headings=True,
            cell_fill_color=(242, 246, 250), cell_fill_mode="ROWS", borders_layout="HORIZONTAL_LINES",
        ) as table:
            for row in [b.table_header, *b.table_rows]:
                cells = table.row()
                for value in row:
                    cells.cell(str(value))
        pdf.ln(1.5)
    pdf.set_font(FONT, "", 7)
    pdf.set_text_color(70, 70, 70)
    for note in b.notes:
        pdf.multi_cell(width, 3.4, note, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)

    if "map" in images:
        _image(pdf, images["map"], b.map_title, width * MAP_WIDTH, captions.get("map", ""))
    if "trends" in images:
        _image(pdf, images["trends"], b.trends_title, width, captions.get("trends", ""))

    _heading(pdf, b.projects_title)
    pdf.set_font(FONT, "", 7.5)
    if not b.projects or max_projects == 0:
        if b.projects and max_projects == 0:
            pdf.multi_cell(width, 3.6, b.more_projects.format(n=len(b.projects)), new_x="LMARGIN", new_y="NEXT", align="L")
        else:
            pdf.multi_cell(width, 3.6, b.projects_empty, new_x="LMARGIN", new_y="NEXT", align="L")
    else:
        for line in b.projects[:max_projects]:
            pdf.multi_cell(width, 3.6, f"• {line}", new_x="LMARGIN", new_y="NEXT", align="L")
        if len(b.projects) > max_projects:
            pdf.multi_cell(width, 3.6, b.more_projects.format(n=len(b.projects) - max_projects), new_x="LMARGIN", new_y="NEXT", align="L")

    _heading(pdf, b.sources_title)
    pdf.set_font(FONT, "", 7)
    for line in b.sources:
        pdf.multi_cell(width, 3.4, line, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(1.5)
    pdf.set_font(FONT, "B", 7.5)
    pdf.multi_cell(width, 3.6, b.permalink_label, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(FONT, "", 7)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(width, 3.4, b.permalink, link=b.permalink, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    return pdf


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(1.5)
    pdf.set_font(FONT, "B", 10)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(pdf.epw, 5, text, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)


def _image(pdf: FPDF, png: bytes, title: str, width: float, caption: str = "") -> None:
    """An image (a figure with its title), its ``caption`` (the source line) as
    text under it; a new page when image and caption would not fit."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        height = width * img.height / img.width
    pdf.set_font(FONT, "", CAPTION_PT)
    caption_height = len(pdf.multi_cell(pdf.epw, CAPTION_LINE_MM, caption, dry_run=True, output="LINES")) * CAPTION_LINE_MM if caption else 0
    if pdf.get_y() + height + caption_height > pdf.page_break_trigger:
        pdf.add_page()
    if title:
        pdf.set_font(FONT, "B", 8)
        pdf.multi_cell(pdf.epw, 4, title, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.image(io.BytesIO(png), x=pdf.l_margin, y=pdf.get_y(), w=width)
    pdf.set_y(pdf.get_y() + height + 0.5)
    if caption:
        pdf.set_font(FONT, "", CAPTION_PT)
        pdf.set_text_color(85, 85, 85)
        pdf.multi_cell(pdf.epw, CAPTION_LINE_MM, caption, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(2)


def render_images(figures: dict[str, tuple[object, int, int]], scale: float = 2) -> dict[str, bytes]:
    """PNG bytes of several plotly figures ({name: (figure, width, height)}),
    drawn by the exports' renderer (``dashboard.export.render``, offline)."""
    from dashboard.export import render

    return {name: render(fig, "png", width, height, scale) for name, (fig, width, height) in figures.items()}
