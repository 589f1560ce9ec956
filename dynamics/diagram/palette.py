"""The diagram's palette and font: Okabe-Ito colours, each paired with a word, shape or line style.

The Okabe-Ito hues stay distinguishable with the common forms of colour blindness, and nothing in the
diagram depends on colour alone. Fonts are generic names, so the SVG stays self-contained.
"""

from __future__ import annotations

FONT = "Helvetica,Arial,sans-serif"
# The size of the body text, in points, and the smallest drawn: shrunk to fit an A4 landscape page, the largest
# picture still prints it at 9 points or more (tests/test_render.py).
TEXT = 13

# Okabe-Ito hues: blue and vermillion for the partners, bluish green for help; (line, fill, text).
PARTNER_COLOURS = (("#0072B2", "#DCEBF7", "#004A75"), ("#D55E00", "#FBE4D3", "#8A3D00"))
HELP = ("#009E73", "#E3F4EE", "#005C43")
SAFETY = ("#000000", "#FFF3B0", "#000000")
NOTE = ("#6B6B6B", "#F3F3F3", "#333333")
GREY = "#555555"
