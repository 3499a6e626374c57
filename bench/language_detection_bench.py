"""Language detection on short complaints: accuracy per language and time per ticket.

Run: ``.venv/bin/python -m bench.language_detection_bench`` (add ``--rounds 1`` for a quick run).

The labelled set is ``bench/data/complaints_<lang>.txt``: 40 short helpdesk complaints each in
Hebrew, Arabic, Russian, Bulgarian and English, one a line, written for this benchmark (late
parcels, double charges, broken checkout, refunds, wrong sizes). The detector is the service's
own (``service.language_detection.OfflineLanguageDetector``: py3langid narrowed to Zendesk's
languages); a sentence counts as right when the detected language is its label, whatever the
confidence, and "sure" when the confidence also reaches the threshold the reply uses
(``service.domain.text.reply_language.MIN_CONFIDENCE``). Time per ticket is the whole ``detect``
call, model already loaded (the load is timed once, apart); best of the rounds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from service.domain.text.reply_language import MIN_CONFIDENCE
from service.language_detection import OfflineLanguageDetector

DATA = Path(__file__).parent / "data"
LANGUAGES = ("he", "ar", "ru", "bg", "en")


def labelled() -> list[tuple[str, str]]:
    pairs = []
    for language in LANGUAGES:
        lines = (DATA / f"complaints_{language}.txt").read_text(encoding="utf-8").splitlines()
        pairs.extend((language, line.strip()) for line in lines if line.strip())
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds over the whole set")
    args = parser.parse_args(argv)

    sentences = labelled()
    detector = OfflineLanguageDetector()
    started = time.perf_counter()
    detector.detect("warm up")
    load_seconds = time.perf_counter() - started

    results = [(label, detector.detect(text)) for label, text in sentences]
    best = float("inf")
    for _ in range(args.rounds):
        started = time.perf_counter()
        for _, text in sentences:
            detector.detect(text)
        best = min(best, time.perf_counter() - started)

    print(f"{len(sentences)} sentences; model load {load_seconds * 1000:.0f} ms (once per process)")
    print(f"{'language':<9} {'right':>6} {'sure':>6}  wrong answers")
    right_total = sure_total = 0
    for language in LANGUAGES:
        mine = [found for label, found in results if label == language]
        right = [f for f in mine if f is not None and f.locale == language]
        sure = [f for f in right if f.confidence >= MIN_CONFIDENCE]
        wrong = sorted({f.locale if f else "none" for f in mine if f not in right})
        right_total, sure_total = right_total + len(right), sure_total + len(sure)
        print(
            f"{language:<9} {len(right) / len(mine):>6.1%} {len(sure) / len(mine):>6.1%}  {', '.join(wrong) or '-'}"
        )
    print(f"{'all':<9} {right_total / len(results):>6.1%} {sure_total / len(results):>6.1%}")
    print(f"time per ticket: {best / len(sentences) * 1e6:.0f} µs (best of {args.rounds} rounds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
