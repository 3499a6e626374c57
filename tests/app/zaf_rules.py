"""A checker for a Zendesk app package, built from the rules and messages Zendesk's own validator
(zendesk_apps_support) uses, as transcribed in the shared reference folder. The reference files
are read in place, never copied into the repository. The zip-level rules at the end come from
that validator's source (github.com/zendesk/zendesk_apps_support, lib/zendesk_apps_support/
package.rb and validations/{translations,mime}.rb), each named where it is used; their messages
are the reference's zas__config__locales__en.yml."""

from __future__ import annotations

import json
import re
import stat
import zipfile
from functools import cache

import yaml

from tests.helpers import REFERENCE as SHARED_REFERENCE

REFERENCE = SHARED_REFERENCE / "zendesk" / "zaf"
PLACEHOLDER_URL = re.compile(r"^\{\{setting\.([a-z0-9_]+)\}\}(/\S*)?$")


@cache
def constants() -> dict:
    return json.loads((REFERENCE / "zaf-validation-constants.json").read_text(encoding="utf-8"))


@cache
def _messages() -> dict:
    data = yaml.safe_load((REFERENCE / "zas__config__locales__en.yml").read_text(encoding="utf-8"))
    return data["en"]["txt"]["apps"]["admin"]["error"]["app_build"]


def message(key: str, count: int | None = None, **values: object) -> str:
    """Zendesk's validation message for ``key`` (dotted below app_build), values filled in."""
    text = _messages()
    for part in key.split("."):
        text = text[part]
    if isinstance(text, dict):
        text = text["one" if count == 1 else "other"]
    return re.sub(r"%\{(\w+)\}", lambda m: str(values[m.group(1)]), text)


def reference(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


def _parameter_types() -> set[str]:
    return {t.split(" ")[0] for t in constants()["manifest_rules"]["parameter_types"]}


def _locations_by_product() -> dict[str, set[str]]:
    products = constants()["products"]
    found: dict[str, set[str]] = {}
    for location in constants()["locations"]:
        names = {location["product"], products[location["product"]]["legacy_name"]}
        for name in names:
            found.setdefault(name, set()).add(location["name"])
    return found


def _location_uri_errors(url: object, location: str, parameters: dict, files: set[str]) -> list[str]:
    if not url:
        return [message("blank_location_uri", location=location)]
    url = str(url)
    placeholder = PLACEHOLDER_URL.match(url)
    if placeholder:
        # A setting filled in at install time: it must name a declared URL parameter.
        param = parameters.get(placeholder.group(1))
        return [] if param and param.get("type") == "url" else [message("invalid_location_uri", uri=url)]
    if re.match(r"^[a-z][a-z0-9+.-]*:", url, re.IGNORECASE):
        return [] if url.lower().startswith("https://") else [message("invalid_location_uri", uri=url)]
    return [] if url in files else [message("invalid_location_uri", uri=url)]


def _location_errors(manifest: dict, parameters: dict, files: set[str]) -> list[str]:
    location = manifest.get("location")
    valid = _locations_by_product()
    if isinstance(location, (str, list)):  # framework v1 style: names only, all in Support
        names = [location] if isinstance(location, str) else location
        wrong = [n for n in names if n not in valid["support"]]
        errors = (
            [
                message(
                    "invalid_location",
                    count=len(wrong),
                    invalid_locations=", ".join(wrong),
                    host_name="support",
                )
            ]
            if wrong
            else []
        )
        if manifest.get("frameworkVersion") in constants()["manifest_rules"]["frameworkVersion_accepted"]:
            errors.append(message("locations_must_be_urls"))
        return errors
    errors = []
    for host, locations in (location or {}).items():
        if host not in valid:
            errors.append(message("invalid_host", host_name=host))
            continue
        wrong = [name for name in locations if name not in valid[host]]
        if wrong:
            errors.append(
                message(
                    "invalid_location", count=len(wrong), invalid_locations=", ".join(wrong), host_name=host
                )
            )
        for name, spec in locations.items():
            spec = spec if isinstance(spec, dict) else {"url": spec}
            errors += _location_uri_errors(spec.get("url"), name, parameters, files)
            if "flexible" in spec and not isinstance(spec["flexible"], bool):
                errors.append(message("invalid_location_flexible_type", flexible=spec["flexible"]))
    return errors


def _parameter_errors(parameters: object) -> list[str]:
    if not isinstance(parameters, list):
        return [message("parameters_not_an_array")]
    errors = []
    names = [p.get("name") for p in parameters]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        errors.append(message("duplicate_parameters", duplicate_parameters=", ".join(duplicates)))
    if "name" in names:
        errors.append(message("name_as_parameter_name"))
    wrong = [p.get("type") for p in parameters if p.get("type", "text") not in _parameter_types()]
    if wrong:
        errors.append(message("invalid_type_parameter", count=len(wrong), invalid_types=", ".join(wrong)))
    hidden = [p["name"] for p in parameters if p.get("type") == "hidden" and p.get("required")]
    if hidden:
        errors.append(
            message("invalid_hidden_parameter", count=len(hidden), invalid_params=", ".join(hidden))
        )
    return errors


def manifest_errors(manifest: dict, files: set[str]) -> list[str]:
    """``files``: the package's paths relative to its root (manifest.json, assets/..., ...)."""
    rules = constants()["manifest_rules"]
    only = manifest.get("requirementsOnly") or manifest.get("marketingOnly")
    required = rules["required_keys_always"] + (
        [] if only else rules["required_unless_requirementsOnly_or_marketingOnly"]
    )
    missing = [key for key in required if key not in manifest]
    errors = (
        [message("manifest_keys.missing", count=len(missing), missing_keys=", ".join(missing))]
        if missing
        else []
    )
    version = manifest.get("frameworkVersion")
    if version is not None and version not in rules["frameworkVersion_accepted"]:
        errors.append(
            message(
                "invalid_version",
                target_version=version,
                available_versions=", ".join(rules["frameworkVersion_accepted"]),
            )
        )
    locale = manifest.get("defaultLocale")
    if locale and f"translations/{locale}.json" not in files:
        errors.append(message("missing_translation_file", default_locale=locale))
    raw_parameters = manifest.get("parameters", [])
    errors += _parameter_errors(raw_parameters)
    parameters = {p.get("name"): p for p in raw_parameters} if isinstance(raw_parameters, list) else {}
    if not only:
        errors += _location_errors(manifest, parameters, files)
    return errors


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [k for k, _ in pairs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(
            message("duplicate_requirements", count=len(duplicates), duplicate_keys=", ".join(duplicates))
        )
    return dict(pairs)


def requirements_errors(text: str) -> list[str]:
    rules = constants()["requirements_rules"]
    try:
        requirements = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except ValueError as exc:
        return [str(exc)]
    wrong = [kind for kind in requirements if kind not in constants()["requirement_types"]]
    errors = (
        [message("invalid_requirements_types", count=len(wrong), invalid_types=", ".join(wrong))]
        if wrong
        else []
    )
    count = sum(len(items) for items in requirements.values() if isinstance(items, dict))
    if count > rules["max_requirements"]:
        errors.append(message("excessive_requirements", max=rules["max_requirements"], count=count))
    for kind, items in requirements.items():
        for identifier, item in items.items():
            needed = [] if kind in rules["title_required_for_every_requirement_except"] else ["title"]
            needed += rules["webhooks_required_keys"] if kind == "webhooks" else []
            errors += [
                message("missing_required_fields", field=f, identifier=identifier)
                for f in needed
                if f not in item
            ]
    return errors


# ---- the zip: rules read in zendesk_apps_support's source on GitHub (the versions our code index
# holds, which may be older than the reference's commit f3de3c7) ------------------------------------
# lib/zendesk_apps_support/package.rb: the locations whose icon Zendesk draws from
# assets/icon_<location>.svg (without it the location shows no icon of the app's own).
LOCATIONS_WITH_ICONS = ("top_bar", "nav_bar", "system_top_bar", "ticket_editor")
# lib/zendesk_apps_support/validations/translations.rb: VALID_LOCALE, and the keys en.json needs
# (only "name" for a private app; the four below for a public one).
VALID_LOCALE = re.compile(r"^[a-z]{2}(-\w{2,3})?$")
PUBLIC_APP_TRANSLATION_KEYS = ("name", "short_description", "installation_instructions", "long_description")
# lib/zendesk_apps_support/validations/mime.rb: UNSUPPORTED_MIME_TYPES (by extension or content).
# It reports them as a literal "Unsupported MIME Type(s) detected in ..." warning, with a TODO to
# use the en.yml message ``unsupported_mime_type_detected``; we use that message.
UNSUPPORTED_TYPES = frozenset(
    [
        "vnd.rar",
        "rar",
        "zip",
        "gzip",
        "pdf",
        "doc",
        "docx",
        "avi",
        "bin",
        "bz",
        "bz2",
        "csh",
        "sh",
        "jar",
        "mp3",
        "mpeg",
        "odt",
        "pptx",
        "ppt",
        "xls",
        "xlsx",
        "7z",
    ]
)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _translation_errors(name: str, data: bytes, private: bool) -> list[str]:
    locale = name.removeprefix("translations/").removesuffix(".json")
    if not VALID_LOCALE.match(locale):
        return [message("translation.invalid_locale", file=name)]
    try:
        text = json.loads(data)
    except ValueError as exc:
        return [message("translation.not_json", file=name, errors=exc)]
    if not isinstance(text, dict):
        return [message("translation.not_json_object", file=name)]
    if name != "translations/en.json":
        return []
    keys = {"short_description" if k == "description" else k for k in (text.get("app") or {})}
    needed = ["name"] if private else list(PUBLIC_APP_TRANSLATION_KEYS)
    missing = [k for k in needed if k not in keys]
    return (
        [message("translation.missing_required_key", file=name, missing_key=", ".join(missing))]
        if missing
        else []
    )


def zip_errors(path) -> list[str]:
    """Zendesk's checks of the uploaded zip itself: manifest.json at its root, no symlinks,
    translation files, blocked file types; then the manifest and requirements rules above on the
    files as zipped."""
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        contents = {name: archive.read(name) for name in entries}
    if "manifest.json" not in contents:
        nested = sorted(n for n in contents if n.endswith("/manifest.json"))
        return [message("nested_manifest", found_path=nested[0])] if nested else [message("missing_manifest")]
    errors = [message("symlink_in_zip")] if any(_is_symlink(i) for i in entries.values()) else []
    manifest = json.loads(contents["manifest.json"])
    errors += manifest_errors(manifest, set(contents))
    if "requirements.json" in contents:
        errors += requirements_errors(contents["requirements.json"].decode("utf-8"))
    for name, data in contents.items():
        if re.match(r"^translations/(.*)\.json$", name):
            errors += _translation_errors(name, data, bool(manifest.get("private")))
    blocked = [n for n in contents if n.rsplit(".", 1)[-1].lower() in UNSUPPORTED_TYPES]
    if blocked:
        errors.append(
            message("unsupported_mime_type_detected", count=len(blocked), file_names=", ".join(blocked))
        )
    return errors


def missing_location_icons(manifest: dict, files: set[str]) -> list[str]:
    """The icons package.rb looks for and does not find (Zendesk then shows no app icon there)."""
    support = (manifest.get("location") or {}).get("support") or {}
    return [
        f"assets/icon_{name}.svg"
        for name in LOCATIONS_WITH_ICONS
        if name in support and f"assets/icon_{name}.svg" not in files
    ]
