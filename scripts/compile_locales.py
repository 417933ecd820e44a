"""Extract the bots' texts and compile their gettext catalogs (`make locales`).

    python scripts/compile_locales.py            # compile every bot.po into its bot.mo
    python scripts/compile_locales.py --extract  # also rewrite bot.pot from the code

The .mo files are committed, so running the gateway needs no build step; a test
(tests/bots/test_locales.py) fails when a .mo says something other than its .po.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bot_gateway"
LOCALES = PACKAGE / "locales"
DOMAIN = "bot"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "gettext_noop": None}


def extract() -> Catalog:
    """Every text the gateway's code marks for translation."""
    catalog = Catalog(project="billing-hub bot gateway", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def compile_all() -> list[Path]:
    """Compile each locale's bot.po into bot.mo beside it."""
    written = []
    for po_path in sorted(LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=po_path.parts[-3])
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--extract", action="store_true", help="also rewrite bot.pot from the code")
    args = parser.parse_args()
    if args.extract:
        with (LOCALES / f"{DOMAIN}.pot").open("wb") as target:
            write_po(target, extract(), omit_header=False, sort_output=True, no_location=True)
    for path in compile_all():
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
