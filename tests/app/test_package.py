"""`incidentdesk package-app`: the zip it builds from manifests/zendesk passes Zendesk's rules
(tests/app/zaf_rules.py), and an incomplete package is refused with what to fix."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from service.cli import main
from tests.app.zaf_rules import message, missing_location_icons, zip_errors
from tests.helpers import REFERENCE, needs_reference

PACKAGE = Path(__file__).resolve().parents[2] / "manifests" / "zendesk"
pytestmark = needs_reference(REFERENCE / "zendesk" / "zaf")


def package_app(source: Path, output: Path) -> None:
    main(["package-app", "--source", str(source), "--output", str(output)])


def png(width: int, height: int, color_type: int) -> bytes:
    """A minimal valid PNG of one colour; color type 2 is RGB (no alpha), 6 is RGBA."""
    channels = {2: 3, 6: 4}[color_type]
    rows = b"".join(b"\x00" + b"\x80" * (width * channels) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def copy(tmp_path) -> Path:
    """A copy of the real package to break."""
    return Path(shutil.copytree(PACKAGE, tmp_path / "app"))


def refusal(source: Path, output: Path) -> str:
    with pytest.raises(SystemExit) as refused:
        package_app(source, output)
    assert not output.exists(), "nothing is written for an incomplete package"
    return str(refused.value.code)


def test_the_built_zip_passes_zendesks_rules(tmp_path):
    output = tmp_path / "dist" / "incidentdesk-app.zip"
    package_app(PACKAGE, output)
    assert zip_errors(output) == []
    with zipfile.ZipFile(output) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        small_logo = archive.read("assets/logo-small.png")
        icon = archive.read("assets/icon_nav_bar.svg").decode()
    assert names == {
        "manifest.json",
        "requirements.json",
        "translations/en.json",
        "translations/he.json",
        "translations/bg.json",
        "assets/logo.png",
        "assets/logo-small.png",
        "assets/icon_nav_bar.svg",
    }
    assert missing_location_icons(manifest, names) == []
    # 128 wide, colour type 6 (RGBA): the PNG-24 with transparency Zendesk asks for.
    assert struct.unpack(">IIBB", small_logo[16:26])[::3] == (128, 6)
    assert 'viewBox="0 0 18 18"' in icon and "<image" not in icon


def test_the_same_sources_give_the_same_zip(tmp_path):
    package_app(PACKAGE, tmp_path / "a.zip")
    package_app(PACKAGE, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_the_checker_reports_zendesks_messages_for_a_broken_zip(tmp_path):
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as archive:
        archive.writestr("app/manifest.json", "{}")
    assert zip_errors(nested) == [message("nested_manifest", found_path="app/manifest.json")]
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        for path in PACKAGE.rglob("*"):
            if path.is_file() and path.name != "en.json":
                archive.write(path, str(path.relative_to(PACKAGE)))
        archive.writestr("translations/en.json", json.dumps({"app": {"short_description": "x"}}))
        archive.writestr("translations/english.json", "{}")
        archive.writestr("assets/notes.pdf", b"%PDF-1.4")
        link = zipfile.ZipInfo("assets/link.svg")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "icon_nav_bar.svg")
    errors = zip_errors(broken)
    assert "Missing required key from translations/en.json: name" in errors
    assert "translations/english.json is not a valid locale." in errors
    assert "Unsupported MIME type detected in assets/notes.pdf." in errors
    assert "Symlinks are not allowed in the zip file" in errors
    manifest = json.loads((PACKAGE / "manifest.json").read_text())
    assert missing_location_icons(manifest, {"manifest.json"}) == ["assets/icon_nav_bar.svg"]


def test_a_translation_key_missing_in_hebrew_is_refused(copy, tmp_path):
    he = copy / "translations" / "he.json"
    text = json.loads(he.read_text(encoding="utf-8"))
    del text["app"]["parameters"]["service_url"]["helpText"]
    he.write_text(json.dumps(text, ensure_ascii=False), encoding="utf-8")
    said = refusal(copy, tmp_path / "out.zip")
    assert "is not complete" in said
    assert "translations/he.json lacks app.parameters.service_url.helpText" in said


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda app: (app / "assets" / "icon_nav_bar.svg").unlink(), "assets/icon_nav_bar.svg is missing"),
        (
            lambda app: (app / "assets" / "logo-small.png").write_bytes(png(128, 128, 2)),
            "assets/logo-small.png has no transparency",
        ),
        (
            lambda app: (app / "assets" / "logo.png").write_bytes(png(256, 256, 2)),
            "assets/logo.png is 256x256; Zendesk needs 320x320",
        ),
        (lambda app: (app / "translations" / "bg.json").unlink(), "translations/bg.json is missing"),
        (lambda app: (app / "notes.txt").write_text("todo"), "notes.txt does not belong in the package"),
        (
            lambda app: (app / "assets" / "icon_nav_bar.svg").write_text(
                '<svg xmlns="http://www.w3.org/2000/svg"/>'
            ),
            "assets/icon_nav_bar.svg needs a viewBox",
        ),
        (
            lambda app: (app / "translations" / "en.json").write_text("{nope"),
            "translations/en.json is not valid JSON",
        ),
    ],
)
def test_an_incomplete_package_is_refused_with_what_to_fix(copy, tmp_path, breakage, expected):
    breakage(copy)
    assert expected in refusal(copy, tmp_path / "out.zip")


def test_the_command_exits_non_zero_on_a_refusal(copy, tmp_path):
    (copy / "assets" / "icon_nav_bar.svg").unlink()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "service.cli",
            "package-app",
            "--source",
            str(copy),
            "--output",
            str(tmp_path / "x.zip"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PACKAGE.parents[1])},
        check=False,
    )
    assert done.returncode == 1
    assert "assets/icon_nav_bar.svg is missing" in done.stderr
