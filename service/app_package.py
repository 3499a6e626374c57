"""The Zendesk app package: check that ``manifests/zendesk`` is complete, then zip it the way
Zendesk accepts it (manifest.json at the root of the zip; Admin Center's "Upload private app"
and ``zcli apps:create`` both take that zip).

What "complete" means, and where each rule comes from:

- the files Zendesk requires in ``assets/``: ``logo.png`` 320x320 and ``logo-small.png``
  128x128, the small one a PNG with transparency
  (https://developer.zendesk.com/apps/docs/developer-guide/styling,
  https://developer.zendesk.com/documentation/apps/publish-your-app-or-theme/create_assets);
- ``assets/icon_<location>.svg`` for each Support location that has an icon (top_bar, nav_bar,
  system_top_bar, ticket_editor: ``LOCATIONS_WITH_ICONS`` in zendesk_apps_support's package.rb),
  an ``<svg>`` with a ``viewBox`` (the styling page) and no embedded bitmap (Zendesk would
  replace it by a placeholder: the ``bitmap_in_svg`` warning of its validator). Zendesk itself
  accepts a nav bar app without the icon and shows none; we refuse it;
- only the file types the styling page lists as accepted assets, and no symlink
  (``symlink_in_zip``);
- every language the product speaks (en, he, bg) translated, with the same keys as the
  default locale's file and no empty text, and every manifest parameter labelled: our rule,
  stricter than Zendesk's (which wants only ``app.name`` in en.json for a private app).
"""

from __future__ import annotations

import json
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from service.web.i18n import UI_LANGUAGES

SOURCE = Path(__file__).resolve().parents[1] / "manifests" / "zendesk"
OUTPUT = Path("dist") / "incidentdesk-app.zip"
LOCATIONS_WITH_ICONS = ("top_bar", "nav_bar", "system_top_bar", "ticket_editor")
LOGO_SIZES = {"assets/logo.png": (320, 320), "assets/logo-small.png": (128, 128)}
TRANSPARENT_LOGO = "assets/logo-small.png"
ASSET_SUFFIXES = frozenset(
    [
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".svg",
        ".js",
        ".htm",
        ".html",
        ".css",
        ".map",
        ".eot",
        ".woff",
        ".woff2",
        ".otf",
        ".ttf",
        ".json",
        ".xml",
        ".hbs",
        ".hdbs",
    ]
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_ALPHA_COLOR_TYPES = (4, 6)  # greyscale + alpha, RGB + alpha
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
# The zip's entries carry this date, not the files' own: the same sources give the same bytes.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


class PackageError(Exception):
    """The package is incomplete; ``problems`` says each thing to fix."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class BuiltPackage:
    path: Path
    files: tuple[str, ...]


def _read_json(source: Path, name: str, problems: list[str]) -> object:
    try:
        return json.loads((source / name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{name} is missing")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{name} is not valid JSON: {exc}")
    return None


def _leaves(value: object, prefix: str = "") -> dict[str, object]:
    """``{"app.parameters.service_url.label": "...", ...}`` for a nested translation object."""
    if not isinstance(value, dict):
        return {prefix: value}
    found: dict[str, object] = {}
    for key, inner in value.items():
        found.update(_leaves(inner, f"{prefix}.{key}" if prefix else str(key)))
    return found


def _translation_problems(source: Path, manifest: dict[str, object]) -> list[str]:
    problems: list[str] = []
    default = str(manifest.get("defaultLocale") or "en")
    texts = {
        locale: _read_json(source, f"translations/{locale}.json", problems)
        for locale in dict.fromkeys((default, *UI_LANGUAGES))
    }
    reference = texts.get(default)
    if not isinstance(reference, dict):
        return problems
    wanted = set(_leaves(reference))
    parameters = manifest.get("parameters")
    for parameter in parameters if isinstance(parameters, list) else []:
        if isinstance(parameter, dict):
            wanted.add(f"app.parameters.{parameter.get('name')}.label")
    for locale, text in texts.items():
        name = f"translations/{locale}.json"
        if text is None:
            continue
        if not isinstance(text, dict):
            problems.append(f"{name} is not a JSON object")
            continue
        leaves = _leaves(text)
        missing = sorted(wanted - set(leaves))
        extra = sorted(set(leaves) - wanted)
        empty = sorted(k for k, v in leaves.items() if not (isinstance(v, str) and v.strip()))
        if missing:
            problems.append(f"{name} lacks {', '.join(missing)}")
        if extra:
            problems.append(f"{name} has keys translations/{default}.json does not: {', '.join(extra)}")
        if empty:
            problems.append(f"{name} has empty or non-text values: {', '.join(empty)}")
    return problems


def png_facts(data: bytes) -> tuple[int, int, bool] | None:
    """Width, height and whether it has transparency (an alpha channel or a tRNS chunk); None
    when ``data`` is not a PNG."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height, _depth, color_type = struct.unpack(">IIBB", data[16:26])
    return width, height, color_type in PNG_ALPHA_COLOR_TYPES or b"tRNS" in data


def _logo_problems(source: Path) -> list[str]:
    problems = []
    for name, size in LOGO_SIZES.items():
        path = source / name
        facts = png_facts(path.read_bytes()) if path.is_file() else None
        if facts is None:
            problems.append(f"{name} is missing or not a PNG (Zendesk needs a {size[0]}x{size[1]} PNG)")
        elif facts[:2] != size:
            problems.append(f"{name} is {facts[0]}x{facts[1]}; Zendesk needs {size[0]}x{size[1]}")
        elif name == TRANSPARENT_LOGO and not facts[2]:
            problems.append(f"{name} has no transparency; Zendesk needs a PNG-24 with transparency")
    return problems


def _svg_problem(path: Path, name: str) -> str | None:
    try:
        root = ElementTree.fromstring(path.read_bytes())
    except FileNotFoundError:
        return f"{name} is missing: the manifest uses a location that shows an icon"
    except ElementTree.ParseError as exc:
        return f"{name} is not valid SVG markup: {exc}"
    if root.tag not in ("svg", f"{SVG_NAMESPACE}svg"):
        return f"{name} is not an <svg> document"
    symbols = [el for el in root.iter() if el.tag.endswith("symbol")]
    if not all("viewBox" in el.attrib for el in symbols or [root]):
        return f"{name} needs a viewBox on its <svg> (or on each <symbol>); Zendesk resizes it to 18x18"
    if symbols and not any(el.get("id") == "default" for el in symbols):
        return f'{name} uses <symbol> tags, so one of them needs id="default" (the initial icon)'
    if any(el.tag.endswith("image") for el in root.iter()):
        return f"{name} embeds a bitmap; Zendesk would replace it by a placeholder icon"
    return None


def _icon_problems(source: Path, manifest: dict[str, object]) -> list[str]:
    location = manifest.get("location")
    support = location.get("support") if isinstance(location, dict) else None
    used = [name for name in LOCATIONS_WITH_ICONS if isinstance(support, dict) and name in support]
    found = (_svg_problem(source / "assets" / f"icon_{n}.svg", f"assets/icon_{n}.svg") for n in used)
    return [problem for problem in found if problem]


def package_files(source: Path) -> list[str]:
    return sorted(str(p.relative_to(source)) for p in source.rglob("*") if p.is_file() or p.is_symlink())


def _file_problems(source: Path, files: list[str]) -> list[str]:
    problems = []
    for name in files:
        if (source / name).is_symlink():
            problems.append(f"{name} is a symlink; Zendesk refuses symlinks in the zip")
        elif name in ("manifest.json", "requirements.json"):
            continue
        elif name.startswith("translations/"):
            if name.count("/") != 1 or not name.endswith(".json"):
                problems.append(f"{name} is not a translations/<locale>.json file")
        elif not name.startswith("assets/"):
            problems.append(
                f"{name} does not belong in the package (only manifest.json, requirements.json, "
                "translations/ and assets/)"
            )
        elif Path(name).suffix.lower() not in ASSET_SUFFIXES or Path(name).name.startswith("."):
            problems.append(f"{name} is not a file type Zendesk accepts in assets/")
    return problems


def check(source: Path = SOURCE) -> list[str]:
    """Every reason the package in ``source`` is not ready to upload; [] when it is."""
    problems: list[str] = []
    manifest = _read_json(source, "manifest.json", problems)
    if (source / "requirements.json").exists():
        _read_json(source, "requirements.json", problems)
    if manifest is not None and not isinstance(manifest, dict):
        problems.append("manifest.json is not a JSON object")
    manifest = manifest if isinstance(manifest, dict) else {}
    problems += _file_problems(source, package_files(source))
    problems += _translation_problems(source, manifest)
    problems += _logo_problems(source)
    problems += _icon_problems(source, manifest)
    return problems


def build(source: Path = SOURCE, output: Path = OUTPUT) -> BuiltPackage:
    """Zip ``source`` into ``output`` with manifest.json at the root; PackageError when incomplete."""
    problems = check(source)
    if problems:
        raise PackageError(problems)
    files = package_files(source)
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            entry = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, (source / name).read_bytes())
    return BuiltPackage(path=output, files=tuple(files))
