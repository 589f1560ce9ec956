"""Print a report's HTML to PDF with headless Chromium, offline, in a private temporary folder.

Chromium rather than an HTML-to-PDF library: it is already what the workspace's browser tests run on (so
it is installed wherever the tests run), it adds no Python dependency, and it prints the same HTML and
CSS the clinician sees in a browser, named landscape page included. The page is loaded from a file in
a folder only this process can read, with every network route closed, so printing fetches nothing.
Nothing here writes the PDF where it is wanted: the CLI does, through its output helpers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import DynamicsError

#: the programs tried, in order, when DYNAMICS_CHROMIUM does not name one
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120

# Flags that keep a print offline and quiet: no profile of the user's, no network (every host resolves
# to nothing and any proxy is a dead end), no extensions, no first-run work, no header or footer lines.
OFFLINE = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-default-apps", "--disable-extensions", "--disable-sync",
           "--no-first-run", "--no-default-browser-check", "--metrics-recording-only", "--mute-audio",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
           "--no-pdf-header-footer", "--disable-dev-shm-usage")


class PdfRendererMissing(DynamicsError):
    """No Chromium to print the PDF with."""

    def __init__(self):
        super().__init__("cannot write a PDF: Chromium is not installed", file="--output",
                         hint="install it (apt-get install chromium) or set DYNAMICS_CHROMIUM to its path, "
                              "or write OUT.html and print that from a browser")


class PdfFailed(DynamicsError):
    """Chromium ran but produced no PDF."""

    def __init__(self, detail: str):
        super().__init__(f"Chromium could not print the PDF ({detail})", file="--output",
                         hint="write OUT.html and print it from a browser, or run again with --debug")


def browser() -> str | None:
    """Return the Chromium program to print with, or None when there is none."""
    named = os.environ.get("DYNAMICS_CHROMIUM")
    if named:
        return shutil.which(named)
    return next(filter(None, map(shutil.which, BROWSERS)), None)


def dated(pdf: bytes, day) -> bytes:
    """Return a PDF whose creation and modification dates are `day` (midnight, UTC), not the moment
    it was printed, so the same case gives the same bytes. The new date has the same length as the
    old, so the PDF's byte offsets stay right."""
    import re
    stamp = f"D:{day:%Y%m%d}000000+00'00'".encode()

    def same_length(found) -> bytes:
        old = found.group(2)
        return found.group(1) + (stamp if len(stamp) == len(old) else old) + b")"
    return re.sub(rb"(/(?:CreationDate|ModDate) ?\()(D:[0-9+\-Z']+)\)", same_length, pdf)


def html_to_pdf(html: str, day=None) -> bytes:
    """Return the PDF Chromium prints from one self-contained HTML document (dated `day` when given)."""
    program = browser()
    if program is None:
        raise PdfRendererMissing()
    with tempfile.TemporaryDirectory(prefix="dynamics-pdf-") as folder:   # mode 0700: only this user
        work = Path(folder)
        page, out = work / "report.html", work / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [program, *OFFLINE, f"--user-data-dir={work / 'profile'}", f"--crash-dumps-dir={work}",
                   f"--print-to-pdf={out}", page.as_uri()]
        env = dict(os.environ, HOME=str(work), XDG_CONFIG_HOME=str(work), XDG_CACHE_HOME=str(work))
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, env=env, cwd=work,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PdfFailed(f"no answer in {TIMEOUT} s") from None
        except OSError as exc:
            raise PdfFailed(exc.strerror or str(exc)) from None
        if not out.is_file() or out.stat().st_size == 0:
            last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or [f"exit {done.returncode}"])[-1]
            raise PdfFailed(last[:200])
        data = out.read_bytes()
        return dated(data, day) if day is not None else data
